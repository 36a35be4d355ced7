/**
 * The alert pipeline's front door: alerts in from every source (routed, silenced or queued), and the
 * actions people take from chat (acknowledge, silence, unsilence, resolve, list, audit), each checked
 * against the allow-list and written to the audit log.
 */
import type { Logger } from "../observability/logger.js";
import { makeReply, type Reply } from "../reply/reply.js";
import type { Alert } from "./alert.js";
import type { AlertStore, Change } from "./alert-store.js";
import type { AlertmanagerSilences } from "./alertmanager-silences.js";
import type { AuditLog } from "./audit-log.js";
import { clock, duration, groupDetails } from "./group-message.js";
import type { AlertRouter } from "./routing.js";
import type { SilenceStore } from "./silences.js";

export interface AlertServiceDeps {
  store: AlertStore;
  silences: SilenceStore;
  audit: AuditLog;
  router: AlertRouter;
  logger: Logger;
  /** Set when ALERTMANAGER_URL is: chat silences of Alertmanager alerts are mirrored there. */
  alertmanager?: AlertmanagerSilences;
  /** User ids allowed to act on alerts; empty = everyone the bot answers. */
  actors: string[];
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

/** Longest silence settable from chat. */
const MAX_SILENCE_MS = 30 * 86_400_000;

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
const done = (title: string, text: string): ActionResult => ({
  ok: true,
  reply: makeReply({ title, text, tone: "ok" }),
});

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
      const silenced = silences.some((s) =>
        Object.entries(s.matchers).every(([k, v]) => (alert.labels[k] ?? "") === v),
      );
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

  mayAct(user: string): boolean {
    return this.deps.actors.length === 0 || this.deps.actors.includes(user);
  }

  private denied(user: string): ActionResult | undefined {
    return this.mayAct(user)
      ? undefined
      : refuse("You are not on the list of people allowed to act on alerts (ALERT_ACTORS). Ask an admin.");
  }

  /**
   * A button of an alert message (group-message's action ids) pressed in Slack or Teams; undefined
   * for an id that is not an alert action.
   */
  async press(
    action: string,
    id: string,
    arg: string,
    user: string,
    by = user,
  ): Promise<ActionResult | undefined> {
    switch (action) {
      case "alert-ack":
        return this.acknowledge(id, user, by);
      case "alert-silence":
        return this.silence(id, arg, user, by);
      case "alert-unsilence":
        return this.unsilence(id, user, by);
      case "alert-resolve":
        return this.resolve(id, user, by);
      default:
        return undefined;
    }
  }

  async acknowledge(id: string, user: string, by = user): Promise<ActionResult> {
    const denied = this.denied(user);
    if (denied) return denied;
    const group = await this.deps.store.acknowledge(id, by, this.now());
    if (!group)
      return refuse(`There is no alert ${id.slice(0, 20)}. \`/cloudops alerts\` lists the open ones.`);
    await this.audit({
      actor: by,
      action: "ack",
      subject: id,
      detail: group.labels.alertname ?? "",
    });
    this.deps.onQueued?.();
    return done("Acknowledged", `Alert ${id} acknowledged by ${by}.`);
  }

  async silence(id: string, forText: string, user: string, by = user): Promise<ActionResult> {
    const denied = this.denied(user);
    if (denied) return denied;
    const ms = parseDuration(forText);
    if (ms === undefined)
      return refuse(
        `"${forText.slice(0, 20)}" is not a duration I can silence for: use 30m, 2h, 1d (at most 30d).`,
      );
    const state = await this.deps.store.groupState(id);
    if (!state)
      return refuse(`There is no alert ${id.slice(0, 20)}. \`/cloudops alerts\` lists the open ones.`);
    const now = this.now();
    const matchers = Object.fromEntries(Object.entries(state.group.labels).filter(([, v]) => v !== ""));
    const silence = await this.deps.silences.create({
      matchers,
      startsAt: now,
      endsAt: now + ms,
      createdBy: by,
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
      { id: silence.id, until: silence.endsAt, by },
      `🔕 Silenced for ${duration(ms)} by ${by}`,
    );
    await this.audit({
      actor: by,
      action: "silence",
      subject: id,
      detail: `${duration(ms)} until ${clock(silence.endsAt)}; silence ${silence.id}; ${Object.entries(
        matchers,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(",")}`,
    });
    this.deps.onQueued?.();
    return done(
      "Silenced",
      `Alert ${id} silenced until ${clock(silence.endsAt)} (silence ${silence.id}).${note}`,
    );
  }

  async unsilence(id: string, user: string, by = user): Promise<ActionResult> {
    const denied = this.denied(user);
    if (denied) return denied;
    const group = await this.deps.store.getGroup(id);
    if (!group?.silence) return refuse(`Alert ${id.slice(0, 20)} is not silenced.`);
    const silence = await this.deps.silences.expire(group.silence.id, this.now());
    if (silence?.alertmanagerId)
      await this.deps.alertmanager
        ?.expire(silence.alertmanagerId)
        .catch((e: unknown) =>
          this.deps.logger.warn({ reason: String(e) }, "Alertmanager silence expiry failed"),
        );
    await this.deps.store.setGroupSilence(id, undefined, `🔔 Silence lifted by ${by}`);
    await this.audit({ actor: by, action: "unsilence", subject: id, detail: group.silence.id });
    this.deps.onQueued?.();
    return done("Unsilenced", `Alert ${id} is no longer silenced.`);
  }

  /** Resolves the chat-rule alerts of a group by hand (other sources resolve themselves). */
  async resolve(id: string, user: string, by = user): Promise<ActionResult> {
    const denied = this.denied(user);
    if (denied) return denied;
    const state = await this.deps.store.groupState(id);
    if (!state) return refuse(`There is no alert ${id.slice(0, 20)}.`);
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
      actor: by,
      action: "resolve",
      subject: id,
      detail: `${rules.length} alert(s)`,
    });
    return done("Resolved", `Alert ${id} resolved by ${by}.`);
  }

  async details(id: string): Promise<Reply | undefined> {
    const state = await this.deps.store.groupState(id);
    return state ? groupDetails(state) : undefined;
  }

  /** The open alert groups, oldest first. */
  async list(): Promise<Reply> {
    const ids = await this.deps.store.openGroupIds(30);
    const lines: string[] = [];
    const now = this.now();
    for (const id of ids) {
      const state = await this.deps.store.groupState(id);
      if (!state) continue;
      const firing = state.alerts.filter((a) => a.status === "firing");
      const name = state.group.labels.alertname || firing[0]?.labels.alertname || "alert";
      const flags = [
        state.group.ack ? `acked by ${state.group.ack.by}` : "",
        state.group.silence && state.group.silence.until > now
          ? `silenced until ${clock(state.group.silence.until)}`
          : "",
      ].filter(Boolean);
      const place = firing.length === 1 ? (firing[0]?.labels.instance ?? "") : `${firing.length} firing`;
      lines.push(
        `\`${id}\` ${name} ${place} · since ${clock(Math.min(...firing.map((a) => a.startsAt)))}${flags.length ? ` · ${flags.join(", ")}` : ""}`,
      );
    }
    return makeReply({
      title: lines.length ? `${lines.length} open alert${lines.length === 1 ? "" : "s"}` : "No open alerts",
      text: lines.length ? lines.join("\n") : "Nothing is firing.",
      tone: lines.length ? "warning" : "ok",
      context: ["/cloudops ack ID · /cloudops silence ID 2h · /cloudops audit"],
    });
  }

  async auditReply(limit = 20): Promise<Reply> {
    const entries = await this.deps.audit.recent(limit);
    return makeReply({
      title: "Audit log",
      text: entries.length
        ? entries
            .map(
              (e) => `${clock(e.at)} ${e.actor} ${e.action} ${e.subject}${e.detail ? ` (${e.detail})` : ""}`,
            )
            .join("\n")
        : "No actions recorded yet.",
    });
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

  /** Ends silences whose time is up and brings their groups' messages up to date. */
  async expireSilences(): Promise<void> {
    for (const s of await this.deps.silences.takeExpired(this.now())) {
      for (const id of s.groups) {
        const group = await this.deps.store.getGroup(id);
        if (group?.silence?.id === s.id)
          await this.deps.store.setGroupSilence(id, undefined, "🔔 Silence ended");
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
