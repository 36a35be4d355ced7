/**
 * Alert history and the audit trail for a period, for reports and exports: rows, and a summary
 * (count, by severity, median time to acknowledge and to resolve, the alerts that fired most).
 *
 * Alerts come from the alert store, which keeps a resolved alert for ALERT_RETENTION_MS after it
 * resolved (and a firing one while its source keeps sending it): history older than that is gone,
 * and the summary says from when it is complete. The audit trail is a capped Redis stream.
 *
 * Data only.
 */
import type { Redis } from "ioredis";

/**
 * What reports read of the alert store (alerts/alert-store.ts's AlertStore has it). Said here rather
 * than imported: alerts/ uses insights/ (forecasts), and folders must not import each other both ways.
 */
export interface AlertSource {
  getAlert(fingerprint: string): Promise<StoredAlertView | undefined>;
  getGroup(id: string): Promise<{ ack?: { by: { name: string }; at: number } } | undefined>;
}

export interface StoredAlertView {
  alert: {
    fingerprint: string;
    status: "firing" | "resolved";
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: number;
    endsAt?: number;
    source: string;
  };
  groups: string[];
}

/** An audit entry as the audit trail (alerts/audit-log.ts) stores it. */
interface AuditEntry {
  at: number;
  actor: string;
  action: string;
  subject: string;
  detail: string;
}

/** How long the alert store keeps a resolved alert (its ALERT_RETENTION_MS, checked by a test). */
export const ALERT_RETENTION_MS = 7 * 86_400_000;

/** Most rows an export returns; the answer says when there were more. */
export const MAX_EXPORT_ROWS = 10_000;
/** Alerts read from the store at most per report (the store holds far fewer in practice). */
const MAX_SCANNED = 50_000;

export interface AlertHistoryRow {
  fingerprint: string;
  alertname: string;
  severity: string;
  /** instance, else job. */
  target: string;
  environment: string;
  source: string;
  status: "firing" | "resolved";
  startsAt: string;
  endsAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  minutesToAcknowledge: number | null;
  minutesToResolve: number | null;
  summary: string;
}

export interface AlertHistorySummary {
  count: number;
  firing: number;
  resolved: number;
  bySeverity: Record<string, number>;
  acknowledged: number;
  medianMinutesToAcknowledge: number | null;
  medianMinutesToResolve: number | null;
  topAlertnames: Array<{ alertname: string; count: number }>;
  /** ISO: alerts are complete from here on (the store keeps resolved alerts for a while only). */
  completeFrom: string;
  /** True when the period starts before {@link completeFrom}. */
  partial: boolean;
  retentionDays: number;
}

export interface AlertHistory {
  from: string;
  to: string;
  rows: AlertHistoryRow[];
  /** Rows that matched; more than `rows.length` when cut at the limit. */
  total: number;
  truncated: boolean;
  summary: AlertHistorySummary;
}

const iso = (ms: number) => new Date(ms).toISOString();
const minutes = (ms: number) => Math.round(ms / 600) / 100;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const m = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return Math.round(m * 100) / 100;
}

/**
 * Reads alerts and their groups from the alert store. `alertsPrefix` is the store's key prefix
 * (`<REDIS_PREFIX>:alerts`): alerts are listed by scanning its alert keys, then read through the store.
 */
export class AlertHistoryReader {
  constructor(
    private readonly redis: Redis,
    private readonly alertsPrefix: string,
    private readonly store: AlertSource,
  ) {}

  private async fingerprints(): Promise<string[]> {
    const found: string[] = [];
    const match = `${this.alertsPrefix}:alert:*`;
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      for (const k of keys) {
        const fp = k.slice(this.alertsPrefix.length + ":alert:".length);
        if (/^[0-9a-zA-Z]{1,64}$/.test(fp)) found.push(fp);
      }
    } while (cursor !== "0" && found.length < MAX_SCANNED);
    return [...new Set(found)];
  }

  /** Alerts that were firing at any time in [from, to), oldest first, with their acknowledgement. */
  async history(from: number, to: number, opts: { limit?: number; now: number }): Promise<AlertHistory> {
    const limit = Math.min(Math.max(1, opts.limit ?? MAX_EXPORT_ROWS), MAX_EXPORT_ROWS);
    const stored: StoredAlertView[] = [];
    for (const fp of await this.fingerprints()) {
      const s = await this.store.getAlert(fp);
      if (!s) continue;
      const end = s.alert.endsAt ?? Number.POSITIVE_INFINITY;
      if (s.alert.startsAt < to && end >= from) stored.push(s);
    }
    type Ack = { by: { name: string }; at: number };
    const groups = new Map<string, { ack?: Ack } | undefined>();
    const rows: AlertHistoryRow[] = [];
    for (const s of stored) {
      let ack: Ack | undefined;
      for (const id of s.groups) {
        if (!groups.has(id)) groups.set(id, await this.store.getGroup(id));
        const g = groups.get(id);
        if (g?.ack && (!ack || g.ack.at < ack.at)) ack = g.ack;
      }
      const a = s.alert;
      const ackAt = ack && ack.at >= a.startsAt ? ack.at : undefined;
      rows.push({
        fingerprint: a.fingerprint,
        alertname: a.labels.alertname ?? "",
        severity: a.labels.severity ?? "none",
        target: a.labels.instance ?? a.labels.job ?? "",
        environment: a.labels.environment ?? a.labels.env ?? "",
        source: a.source,
        status: a.status,
        startsAt: iso(a.startsAt),
        endsAt: a.endsAt !== undefined ? iso(a.endsAt) : null,
        acknowledgedAt: ack ? iso(ack.at) : null,
        acknowledgedBy: ack ? ack.by.name : null,
        minutesToAcknowledge: ackAt !== undefined ? minutes(ackAt - a.startsAt) : null,
        minutesToResolve: a.endsAt !== undefined ? minutes(Math.max(0, a.endsAt - a.startsAt)) : null,
        summary: (a.annotations.summary ?? a.annotations.description ?? "").slice(0, 300),
      });
    }
    rows.sort((x, y) => x.startsAt.localeCompare(y.startsAt) || x.fingerprint.localeCompare(y.fingerprint));
    const completeFrom = opts.now - ALERT_RETENTION_MS;
    return {
      from: iso(from),
      to: iso(to),
      rows: rows.slice(0, limit),
      total: rows.length,
      truncated: rows.length > limit,
      summary: summarize(rows, completeFrom, from),
    };
  }
}

export function summarize(rows: AlertHistoryRow[], completeFrom: number, from: number): AlertHistorySummary {
  const bySeverity: Record<string, number> = {};
  const byName = new Map<string, number>();
  for (const r of rows) {
    bySeverity[r.severity] = (bySeverity[r.severity] ?? 0) + 1;
    byName.set(r.alertname, (byName.get(r.alertname) ?? 0) + 1);
  }
  const toAck = rows.flatMap((r) => (r.minutesToAcknowledge === null ? [] : [r.minutesToAcknowledge]));
  const toResolve = rows.flatMap((r) => (r.minutesToResolve === null ? [] : [r.minutesToResolve]));
  return {
    count: rows.length,
    firing: rows.filter((r) => r.status === "firing").length,
    resolved: rows.filter((r) => r.status === "resolved").length,
    bySeverity,
    acknowledged: toAck.length,
    medianMinutesToAcknowledge: median(toAck),
    medianMinutesToResolve: median(toResolve),
    topAlertnames: [...byName.entries()]
      .map(([alertname, count]) => ({ alertname, count }))
      .sort((a, b) => b.count - a.count || a.alertname.localeCompare(b.alertname))
      .slice(0, 5),
    completeFrom: iso(completeFrom),
    partial: from < completeFrom,
    retentionDays: ALERT_RETENTION_MS / 86_400_000,
  };
}

export interface AuditExport {
  from: string;
  to: string;
  rows: Array<Omit<AuditEntry, "at"> & { at: string }>;
  total: number;
  truncated: boolean;
  /** The trail keeps this many entries at most (older ones are dropped). */
  capacity: number;
}

/** Entries the audit stream keeps (AuditLog trims it near this). */
const AUDIT_CAPACITY = 10_000;

/** Audit entries written in [from, to), oldest first, at most `limit`. `key` is the audit stream. */
export async function auditBetween(
  redis: Redis,
  key: string,
  from: number,
  to: number,
  limit = MAX_EXPORT_ROWS,
): Promise<AuditExport> {
  const max = Math.min(Math.max(1, limit), MAX_EXPORT_ROWS);
  // The stream is capped near AUDIT_CAPACITY: reading it whole (newest first) is bounded. Entries are
  // filtered by their own time, which is when the action was taken.
  const raw = await redis.xrevrange(key, "+", "-", "COUNT", AUDIT_CAPACITY + 1000);
  const matched: AuditEntry[] = [];
  for (const [, fields] of raw) {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
    const at = Number(f.at);
    if (!Number.isFinite(at) || at < from || at >= to) continue;
    matched.push({
      at,
      actor: (f.actor ?? "").slice(0, 100),
      action: (f.action ?? "").slice(0, 40),
      subject: (f.subject ?? "").slice(0, 100),
      detail: (f.detail ?? "").slice(0, 500),
    });
  }
  matched.sort((a, b) => a.at - b.at);
  return {
    from: iso(from),
    to: iso(to),
    rows: matched.slice(0, max).map((e) => ({ ...e, at: iso(e.at) })),
    total: matched.length,
    truncated: matched.length > max,
    capacity: AUDIT_CAPACITY,
  };
}
