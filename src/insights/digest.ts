/**
 * A digest's data: what happened over a day or a week, section by section. Sections come from a list
 * of providers (alerts, anomalies, the fleet's biggest changes, capacity risks, savings, …); each
 * runs on its own, bounded in time, and one that fails becomes a section that says so — the digest
 * still goes out with the rest. Data only: digest-presenter.ts turns it into one Reply.
 */
import type { Redis } from "ioredis";
import type { Finding } from "../anomaly/anomaly-store.js";
import { namedQuery } from "../metrics/catalogue.js";
import type { Environments } from "../metrics/environments.js";
import { hostOfInstance } from "../metrics/promql.js";

/**
 * What the digest reads of an alert and of an alert message (group), as the alert store keeps them
 * (structural: the alerts module uses insights, not the other way round).
 */
export interface DigestAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  startsAt: number;
  endsAt?: number;
}
export interface DigestAlertGroup {
  kind?: string;
  createdAt: number;
  ack?: { at: number };
  resolvedAt?: number;
}

/** The window a digest covers, epoch ms: [from, to), and the one before it, [previousFrom, from). */
export interface DigestWindow {
  period: "daily" | "weekly";
  from: number;
  to: number;
  previousFrom: number;
}

export function digestWindow(period: "daily" | "weekly", to: number): DigestWindow {
  const len = period === "weekly" ? 7 * 86_400_000 : 86_400_000;
  return { period, from: to - len, to, previousFrom: to - 2 * len };
}

export interface DigestContext extends DigestWindow {
  /** The environments the digest covers. */
  environments: string[];
  signal?: AbortSignal;
}

/** Alerts over the window: what fired and resolved, and how fast people acknowledged and resolved. */
export interface AlertsSection {
  kind: "alerts";
  /** Alerts that started in the window (each alert once, whatever channels it went to). */
  fired: number;
  /** Fired in the window, by their `severity` label ("none" when they have none). */
  bySeverity: Record<string, number>;
  /** Alerts that resolved in the window. */
  resolved: number;
  /** Alerts firing at the end of the window. */
  stillFiring: number;
  /** Alert messages (groups) acknowledged in the window, and the median time from posting to it. */
  acknowledged: number;
  medianAckMs?: number;
  /** Alert messages whose last alert resolved in the window, and the median time they were open. */
  closed: number;
  medianResolveMs?: number;
  /** Alerts fired per day of the window (start of the day, epoch ms; count). */
  perDay: Array<[number, number]>;
  /** Whether the store held more than was read (the counts are then lower bounds). */
  truncated: boolean;
}

export interface AnomaliesSection {
  kind: "anomalies";
  findings: number;
  /** Hosts with findings, most findings first. */
  hosts: Array<{ host: string; environment: string; findings: number }>;
}

/** One fleet-wide number this window against the window before. */
export interface FleetChange {
  environment: string;
  metric: "cpu" | "memory";
  /** Average over the window (percent); undefined when Prometheus held no data for it. */
  now?: number;
  before?: number;
}

export interface ChangesSection {
  kind: "changes";
  /** Biggest change first (by absolute difference; those without both numbers last). */
  changes: FleetChange[];
  /** The fleet averages over the window, for the digest's chart: one line per environment and metric. */
  series: Array<{ name: string; points: Array<[number, number | null]> }>;
  /** Where the numbers come from. */
  source: string;
}

/** Something that may fill: from the capacity forecasts. */
export interface CapacityRiskItem {
  /** "db-1 /data", "web-2 memory". */
  what: string;
  environment: string;
  /** When it is expected to be full, epoch ms. */
  fullAt: number;
}

export interface CapacitySection {
  kind: "capacity";
  /** Risks within {@link CapacitySection.withinMs}, soonest first. */
  risks: CapacityRiskItem[];
  withinMs: number;
  /** Series the forecasts looked at. */
  checked: number;
  /** Of those, series with too little history to forecast. */
  insufficient: number;
}

export interface SavingsItem {
  what: string;
  environment: string;
  /** Money a month, in {@link SavingsSection.currency}. */
  monthly: number;
}

export interface SavingsSection {
  kind: "savings";
  items: SavingsItem[];
  totalMonthly: number;
  currency: string;
  /** Whether the amounts are at the default list prices (an estimate), not the operator's. */
  estimated?: boolean;
  /** Hosts looked at, and those with too little history for a recommendation. */
  checked: number;
  insufficient: number;
}

export type DigestSectionData =
  | AlertsSection
  | AnomaliesSection
  | ChangesSection
  | CapacitySection
  | SavingsSection;

/** One source of a digest section. `collect` may throw: the section then says it failed, and why. */
export interface DigestSectionProvider {
  /** Stable name, for logs and tests ("alerts"). */
  name: string;
  /** What the section is about, as the digest names it when it failed ("Capacity risks"). */
  title: string;
  collect(ctx: DigestContext): Promise<DigestSectionData>;
}

export type DigestSection = { name: string; title: string } & (
  | { ok: true; data: DigestSectionData }
  | { ok: false; error: string }
);

export interface DigestData extends DigestWindow {
  environments: string[];
  sections: DigestSection[];
}

/** How long one section may take before it is given up (the others are not held up by it). */
export const SECTION_TIMEOUT_MS = 30_000;

/** Runs every provider side by side; a failure or a timeout costs that section only. */
export async function buildDigest(
  providers: readonly DigestSectionProvider[],
  ctx: DigestContext,
  timeoutMs = SECTION_TIMEOUT_MS,
): Promise<DigestData> {
  const sections = await Promise.all(
    providers.map(async (p): Promise<DigestSection> => {
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      ctx.signal?.addEventListener("abort", onAbort, { once: true });
      let timer: NodeJS.Timeout | undefined;
      try {
        const data = await Promise.race([
          p.collect({ ...ctx, signal: controller.signal }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              controller.abort();
              reject(new Error(`no answer within ${+(timeoutMs / 1000).toFixed(1)} s`));
            }, timeoutMs);
          }),
        ]);
        return { name: p.name, title: p.title, ok: true, data };
      } catch (e) {
        return { name: p.name, title: p.title, ok: false, error: oneLine(e) };
      } finally {
        clearTimeout(timer);
        ctx.signal?.removeEventListener("abort", onAbort);
      }
    }),
  );
  const { period, from, to, previousFrom, environments } = ctx;
  return { period, from, to, previousFrom, environments, sections };
}

function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, " ").slice(0, 200) || "failed";
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Keys read at most from the alert store per digest; the counts say when there was more. */
const MAX_ALERT_KEYS = 20_000;

/**
 * Alerts from the alert store: every alert and alert message (group) it still keeps (resolved ones
 * for 7 days), found with SCAN in bounded batches.
 */
export function alertsProvider(deps: {
  redis: Redis;
  /** The alert store's key prefix (`${prefix}:alerts`). */
  alertsPrefix: string;
  store: {
    getAlert(fingerprint: string): Promise<{ alert: DigestAlert } | undefined>;
    getGroup(id: string): Promise<DigestAlertGroup | undefined>;
  };
}): DigestSectionProvider {
  return {
    name: "alerts",
    title: "Alerts",
    async collect(ctx) {
      const { fingerprints, groupIds, truncated } = await scanAlertKeys(deps.redis, deps.alertsPrefix);
      const alerts = (await inBatches(fingerprints, (fp) => deps.store.getAlert(fp)))
        .map((s) => s?.alert)
        .filter((a): a is DigestAlert => a !== undefined);
      const groups = (await inBatches(groupIds, (id) => deps.store.getGroup(id))).filter(
        (g): g is DigestAlertGroup => g !== undefined && (g.kind ?? "alerts") === "alerts",
      );
      return alertsSection(alerts, groups, ctx, truncated);
    },
  };
}

/** The alerts section from alerts and groups (pure: tested without Redis). */
export function alertsSection(
  alerts: readonly DigestAlert[],
  groups: readonly DigestAlertGroup[],
  w: DigestWindow,
  truncated = false,
): AlertsSection {
  // The window ends at the moment the digest is made: what happened up to it counts.
  const inWindow = (t: number | undefined) => t !== undefined && t >= w.from && t <= w.to;
  const fired = alerts.filter((a) => inWindow(a.startsAt));
  const bySeverity: Record<string, number> = {};
  for (const a of fired) {
    const sev = (a.labels.severity ?? "none").toLowerCase().slice(0, 20) || "none";
    bySeverity[sev] = (bySeverity[sev] ?? 0) + 1;
  }
  const resolved = alerts.filter((a) => a.status === "resolved" && inWindow(a.endsAt)).length;
  const stillFiring = alerts.filter((a) => a.status === "firing" && a.startsAt <= w.to).length;
  const ackTimes = groups
    .filter((g) => g.ack && inWindow(g.ack.at))
    .map((g) => (g.ack?.at ?? 0) - g.createdAt)
    .filter((ms) => ms >= 0);
  const resolveTimes = groups
    .filter((g) => inWindow(g.resolvedAt))
    .map((g) => (g.resolvedAt ?? 0) - g.createdAt)
    .filter((ms) => ms >= 0);
  const days = Math.round((w.to - w.from) / 86_400_000);
  const perDay: Array<[number, number]> = [];
  for (let i = 0; i < days; i++) {
    const start = w.from + i * 86_400_000;
    perDay.push([start, fired.filter((a) => a.startsAt >= start && a.startsAt < start + 86_400_000).length]);
  }
  const medianAckMs = median(ackTimes);
  const medianResolveMs = median(resolveTimes);
  return {
    kind: "alerts",
    fired: fired.length,
    bySeverity,
    resolved,
    stillFiring,
    acknowledged: ackTimes.length,
    ...(medianAckMs !== undefined ? { medianAckMs } : {}),
    closed: resolveTimes.length,
    ...(medianResolveMs !== undefined ? { medianResolveMs } : {}),
    perDay,
    truncated,
  };
}

async function scanAlertKeys(redis: Redis, prefix: string) {
  const alertKey = new RegExp(`^${escapeRegExp(prefix)}:alert:([^:]{1,200})$`);
  const groupKey = new RegExp(`^${escapeRegExp(prefix)}:group:([0-9a-f]{8})$`);
  const fingerprints: string[] = [];
  const groupIds: string[] = [];
  let cursor = "0";
  let seen = 0;
  let truncated = false;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    for (const k of keys) {
      const a = alertKey.exec(k);
      if (a) fingerprints.push(a[1] as string);
      const g = groupKey.exec(k);
      if (g) groupIds.push(g[1] as string);
    }
    seen += keys.length;
    if (seen >= MAX_ALERT_KEYS && cursor !== "0") {
      truncated = true;
      break;
    }
  } while (cursor !== "0");
  return { fingerprints: [...new Set(fingerprints)], groupIds: [...new Set(groupIds)], truncated };
}

async function inBatches<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, size = 100): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Anomaly findings the detector opened in the window, per host. */
export function anomaliesProvider(store: {
  findings(limit?: number, environment?: string): Promise<Finding[]>;
}): DigestSectionProvider {
  return {
    name: "anomalies",
    title: "Anomalies",
    async collect(ctx) {
      const findings = (await store.findings(500)).filter(
        (f) => f.detectedAt >= ctx.from && f.detectedAt < ctx.to && ctx.environments.includes(f.environment),
      );
      return anomaliesSection(findings);
    },
  };
}

export function anomaliesSection(findings: readonly Finding[]): AnomaliesSection {
  const byHost = new Map<string, { host: string; environment: string; findings: number }>();
  for (const f of findings) {
    const host = hostOfInstance(f.instance);
    const key = `${f.environment}\u0000${host}`;
    const entry = byHost.get(key) ?? { host, environment: f.environment, findings: 0 };
    entry.findings++;
    byHost.set(key, entry);
  }
  return {
    kind: "anomalies",
    findings: findings.length,
    hosts: [...byHost.values()].sort((a, b) => b.findings - a.findings || a.host.localeCompare(b.host)),
  };
}

const CHANGE_METRICS = [
  { metric: "cpu", query: "cpu_busy_percent", label: "CPU" },
  { metric: "memory", query: "memory_used_percent", label: "memory" },
] as const;

/**
 * The fleet's CPU and memory, averaged over every host, this window against the one before: one
 * range query per environment and metric over both windows.
 */
export function changesProvider(environments: Pick<Environments, "get">): DigestSectionProvider {
  return {
    name: "changes",
    title: "Biggest changes",
    async collect(ctx) {
      const len = ctx.to - ctx.from;
      // About 150 points a window: the daily digest every 10 min, the weekly one every hour.
      const step = len > 86_400_000 ? 3600 : 600;
      const changes: FleetChange[] = [];
      const series: ChangesSection["series"] = [];
      const errors: string[] = [];
      for (const environment of ctx.environments) {
        const client = environments.get(environment);
        if (!client) {
          errors.push(`${environment}: not configured`);
          continue;
        }
        for (const m of CHANGE_METRICS) {
          try {
            const result = await client.range(
              `avg(${namedQuery(m.query).build({})})`,
              { start: Math.floor(ctx.previousFrom / 1000), end: Math.floor(ctx.to / 1000), step },
              { ...(ctx.signal ? { signal: ctx.signal } : {}), timeoutMs: 20_000 },
            );
            const points = (result[0]?.points ?? []).filter(([, v]) => Number.isFinite(v));
            const mean = (a: number, b: number) => {
              const vs = points.filter(([t]) => t * 1000 >= a && t * 1000 < b).map(([, v]) => v);
              return vs.length ? vs.reduce((s, v) => s + v, 0) / vs.length : undefined;
            };
            const now = mean(ctx.from, ctx.to + 1);
            const before = mean(ctx.previousFrom, ctx.from);
            changes.push({
              environment,
              metric: m.metric,
              ...(now !== undefined ? { now } : {}),
              ...(before !== undefined ? { before } : {}),
            });
            series.push({
              name: ctx.environments.length > 1 ? `${m.label} ${environment}` : m.label,
              points: points.filter(([t]) => t * 1000 >= ctx.from).map(([t, v]) => [t * 1000, v]),
            });
          } catch (e) {
            errors.push(`${environment} ${m.label}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
      // Nothing read at all: the section failed (and says why); a partial read is shown as it is.
      if (changes.length === 0 && errors.length > 0) throw new Error(errors.join("; "));
      changes.sort((a, b) => size(b) - size(a));
      return {
        kind: "changes",
        changes,
        series,
        source: "fleet averages of cpu_busy_percent and memory_used_percent",
      };
    },
  };
}

const size = (c: FleetChange) =>
  c.now !== undefined && c.before !== undefined ? Math.abs(c.now - c.before) : Number.NEGATIVE_INFINITY;
