/**
 * The alert pipeline's front door: alerts in from every source (routed, silenced or queued), and the
 * actions people take from chat (acknowledge, silence, unsilence, resolve), each written to the audit
 * log under the person's name. Who may act is decided before this, by the dispatcher's access policy;
 * the open groups and the audit trail come out as data (see alert-list.ts for their presenters).
 */
import type { Logger } from "../observability/logger.js";
import { makeReply, type Reply, type RichText, type UserRef } from "../reply/reply.js";
import type { Alert } from "./alert.js";
import type { OpenAlertGroup } from "./alert-list.js";
import type { AlertStore, Change, GroupState } from "./alert-store.js";
import type { AlertmanagerSilences } from "./alertmanager-silences.js";
import { type AuditEntry, type AuditLog, auditActor } from "./audit-log.js";
import { clock, duration, groupDetails } from "./group-message.js";
import type { AlertRouter } from "./routing.js";
import { hasNonEmptyMatcher, MAX_SILENCE_MS, type SilenceStore, silenceMatches } from "./silences.js";

export interface AlertServiceDeps {
  store: AlertStore;
  silences: SilenceStore;
  audit: AuditLog;
  router: AlertRouter;
  logger: Logger;
  /** Set when ALERTMANAGER_URL is: chat silences of Alertmanager alerts are mirrored there. */
  alertmanager?: AlertmanagerSilences;
  /** Called after changes were queued, to deliver them now. */
  onQueued?: () => void;
  /** Told of every alert received and what it changed (metrics). */
  onReceived?: (alert: Alert, change: Change) => void;
  now?: () => number;
}

export interface ActionResult {
  ok: boolean;
  reply: Reply;
}

/** Open groups looked at for expired alerts per sweep (ALERT_MAX_OPEN_GROUPS' ceiling). */
const STALE_SWEEP = 100_000;
/** Groups `list()` returns at most. */
const LISTED_GROUPS = 30;

export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,4})\s*(m|min|h|d|w)$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[
    (m[2] as string).toLowerCase() as "m"
  ];
  const ms = Number(m[1]) * unit;
  return ms > 0 && ms <= MAX_SILENCE_MS ? ms : undefined;
}

const refuse = (text: string): ActionResult => ({
  ok: false,
  reply: makeReply({ title: "Not done", text, tone: "error" }),
});
const done = (title: string, text: RichText): ActionResult => ({
  ok: true,
  reply: makeReply({ title, text, tone: "ok" }),
});
const noSuchAlert = (id: string) =>
  refuse(`There is no alert ${id.slice(0, 20)}. \`alerts\` lists the open ones.`);

export class AlertService {
  /** Told when people resolve alerts of chat rules by hand (the rule engine resets that host). */
  private ruleAlertResolved?: (ruleId: string, fingerprint: string) => Promise<void>;

  constructor(private readonly deps: AlertServiceDeps) {}

  onRuleAlertResolved(handler: (ruleId: string, fingerprint: string) => Promise<void>): void {
    this.ruleAlertResolved = handler;
  }

  /** Writes an entry to the audit log (rule changes, made elsewhere, are audited here too). */
  async audit(entry: { actor: string; action: string; subject: string; detail: string }): Promise<void> {
    await this.deps.audit.write(entry, this.now());
  }

  private now() {
    return this.deps.now?.() ?? Date.now();
  }

  /** Routes, silences and stores alerts; returns what each changed. */
  async ingest(alerts: Alert[]): Promise<Record<Change, number>> {
    const changes: Record<Change, number> = { new: 0, resolved: 0, refired: 0, unchanged: 0 };
    const silences = await this.deps.silences.active(this.now());
    for (const alert of alerts) {
      const silenced = silences.some((s) => silenceMatches(s.matchers, alert.labels));
      const change = await this.deps.store.receive(alert, this.deps.router.targets(alert), {
        silenced,
        now: this.now(),
      });
      changes[change]++;
      this.deps.onReceived?.(alert, change);
    }
    if (changes.new + changes.resolved + changes.refired > 0) this.deps.onQueued?.();
    return changes;
  }

  async acknowledge(id: string, actor: UserRef): Promise<ActionResult> {
    const group = await this.deps.store.acknowledge(id, actor, this.now());
    if (!group) return noSuchAlert(id);
    await this.audit({
      actor: auditActor(actor),
      action: "ack",
      subject: id,
      detail: group.labels.alertname ?? "",
    });
    this.deps.onQueued?.();
    return done("Acknowledged", [`Alert ${id} acknowledged by `, { mention: actor }, "."]);
  }

  async silence(id: string, forText: string, actor: UserRef): Promise<ActionResult> {
    const ms = parseDuration(forText);
    if (ms === undefined)
      return refuse(
        `"${forText.slice(0, 20)}" is not a duration I can silence for: use 30m, 2h, 1d (at most 30d).`,
      );
    const state = await this.deps.store.groupState(id);
    if (!state) return noSuchAlert(id);
    if (state.group.kind === "overflow" || state.group.kind === "summary")
      return refuse(
        `Alert ${id} gathers unrelated alerts (a flood beyond ALERT_MAX_OPEN_GROUPS or ALERT_POSTS_PER_MINUTE): no silence covers them as one. Acknowledge it, or silence the alerts in their source.`,
      );
    const now = this.now();
    // An empty group-by value is a matcher too (`label=""`: alerts without it), so the silence covers
    // this group's alerts and not, say, every alert of any environment.
    const matchers = { ...state.group.labels };
    if (!hasNonEmptyMatcher(matchers))
      return refuse(
        `Alert ${id} cannot be silenced: its group has no label value to match (${
          Object.keys(matchers).join(", ") || "no group-by labels"
        } empty), so a silence would hide every alert. Acknowledge it instead, or group alerts by labels they carry (ALERT_GROUP_BY, routes' group_by).`,
      );
    const silence = await this.deps.silences.create({
      matchers,
      startsAt: now,
      endsAt: now + ms,
      createdBy: auditActor(actor),
      comment: `Silenced from chat (alert ${id})`,
      groups: [id],
    });
    let note = "";
    if (this.deps.alertmanager && state.alerts.some((a) => a.source === "alertmanager")) {
      try {
        const amId = await this.deps.alertmanager.create({ ...silence, matchers });
        await this.deps.silences.setAlertmanagerId(silence, amId);
        note = ` Also silenced in Alertmanager (${amId}).`;
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        this.deps.logger.warn({ group: id, reason }, "Alertmanager silence failed");
        note = ` Alertmanager could not be told (${reason}); it may still notify its other receivers.`;
      }
    }
    await this.deps.store.setGroupSilence(
      id,
      { id: silence.id, until: silence.endsAt, by: actor },
      { kind: "silenced", at: now, by: actor, forMs: ms },
    );
    await this.audit({
      actor: auditActor(actor),
      action: "silence",
      subject: id,
      detail: `${duration(ms)} until ${clock(silence.endsAt)}; silence ${silence.id}; ${Object.entries(
        matchers,
      )
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(",")}`,
    });
    this.deps.onQueued?.();
    return done(
      "Silenced",
      `Alert ${id} silenced until ${clock(silence.endsAt)} (silence ${silence.id}).${note}`,
    );
  }

  async unsilence(id: string, actor: UserRef): Promise<ActionResult> {
    const group = await this.deps.store.getGroup(id);
    if (!group?.silence) return refuse(`Alert ${id.slice(0, 20)} is not silenced.`);
    const now = this.now();
    const silence = await this.deps.silences.expire(group.silence.id, now);
    if (silence?.alertmanagerId)
      await this.deps.alertmanager
        ?.expire(silence.alertmanagerId)
        .catch((e: unknown) =>
          this.deps.logger.warn({ reason: String(e) }, "Alertmanager silence expiry failed"),
        );
    await this.deps.store.setGroupSilence(id, undefined, { kind: "unsilenced", at: now, by: actor });
    await this.audit({
      actor: auditActor(actor),
      action: "unsilence",
      subject: id,
      detail: group.silence.id,
    });
    this.deps.onQueued?.();
    return done("Unsilenced", `Alert ${id} is no longer silenced.`);
  }

  /** Resolves the chat-rule alerts of a group by hand (other sources resolve themselves). */
  async resolve(id: string, actor: UserRef): Promise<ActionResult> {
    const state = await this.deps.store.groupState(id);
    if (!state) return noSuchAlert(id);
    const rules = state.alerts.filter((a) => a.source === "rule" && a.status === "firing");
    if (rules.length === 0)
      return refuse(
        "Only alerts of chat rules can be resolved by hand; the others resolve when their source says so.",
      );
    const now = this.now();
    for (const a of rules) {
      await this.ingest([{ ...a, status: "resolved", endsAt: now }]);
      if (a.ruleId) await this.ruleAlertResolved?.(a.ruleId, a.fingerprint);
    }
    await this.audit({
      actor: auditActor(actor),
      action: "resolve",
      subject: id,
      detail: `${rules.length} alert(s)`,
    });
    return done("Resolved", [`Alert ${id} resolved by `, { mention: actor }, "."]);
  }

  async details(id: string): Promise<Reply | undefined> {
    const state = await this.deps.store.groupState(id);
    return state ? groupDetails(state) : undefined;
  }

  /** The open alert groups, oldest first (at most 30). */
  async list(): Promise<OpenAlertGroup[]> {
    const now = this.now();
    const out: OpenAlertGroup[] = [];
    for (const id of await this.deps.store.openGroupIds(LISTED_GROUPS)) {
      const state = await this.deps.store.groupState(id);
      if (state) out.push(openGroup(state, now));
    }
    return out;
  }

  /** The latest audit entries, newest first. */
  auditEntries(limit = 20): Promise<AuditEntry[]> {
    return this.deps.audit.recent(limit);
  }

  /** Ends firing alerts not sent again within ALERT_FIRING_TTL; returns how many. */
  async expireStale(): Promise<number> {
    let expired = 0;
    for (const id of await this.deps.store.openGroupIds(STALE_SWEEP))
      expired += await this.deps.store.expireStale(id, this.now());
    if (expired > 0) this.deps.onQueued?.();
    return expired;
  }

  /** Reminds, in their threads, of groups firing unacknowledged for a repeat interval. */
  async remind(intervalMs: number): Promise<number> {
    if (intervalMs <= 0) return 0;
    let reminded = 0;
    for (const id of await this.deps.store.openGroupIds(1000))
      if (await this.deps.store.remindIfDue(id, intervalMs, this.now())) reminded++;
    if (reminded > 0) this.deps.onQueued?.();
    return reminded;
  }

  /**
   * Periodic upkeep, run by delivery's passes: ends what has run out — firing alerts their source
   * stopped sending (ALERT_FIRING_TTL; Alertmanager re-sends firing alerts every repeat_interval, which
   * keeps them) and silences whose time is up — and reminds of groups firing unacknowledged.
   */
  async housekeeping(repeatIntervalMs: number): Promise<void> {
    await this.expireStale();
    await this.expireSilences();
    await this.remind(repeatIntervalMs);
  }

  /** Ends silences whose time is up and brings their groups' messages up to date. */
  async expireSilences(): Promise<void> {
    for (const s of await this.deps.silences.takeExpired(this.now())) {
      for (const id of s.groups) {
        const group = await this.deps.store.getGroup(id);
        if (group?.silence?.id === s.id)
          await this.deps.store.setGroupSilence(id, undefined, { kind: "silence-ended", at: this.now() });
      }
      await this.audit({
        actor: "cloudops",
        action: "silence-ended",
        subject: s.id,
        detail: s.groups.join(","),
      });
      this.deps.onQueued?.();
    }
  }
}

/** A group as `alerts` lists it. */
function openGroup(state: GroupState, now: number): OpenAlertGroup {
  const { group } = state;
  const firing = state.alerts.filter((a) => a.status === "firing");
  const shown = firing.length > 0 ? firing : state.alerts;
  const first = shown[0];
  const instances = new Set(shown.map((a) => a.labels.instance).filter(Boolean));
  const severities = shown.map((a) => a.labels.severity ?? "warning");
  const severity = ["critical", "warning", "info"].find((s) => severities.includes(s)) ?? severities[0];
  const environment = group.labels.environment || first?.labels.environment;
  return {
    id: group.id,
    name: group.labels.alertname || first?.labels.alertname || "alert",
    ...(firing.length === 1 && instances.size === 1 ? { instance: [...instances][0] as string } : {}),
    firing: firing.length,
    since: Math.min(...shown.map((a) => a.startsAt)),
    severity: severity ?? "warning",
    ...(environment ? { environment } : {}),
    ...(group.ack ? { ack: { by: group.ack.by, at: group.ack.at } } : {}),
    ...(group.silence && group.silence.until > now ? { silencedUntil: group.silence.until } : {}),
  };
}
