/**
 * Alerts in Redis. An alert (by fingerprint) belongs to one group per channel it is routed to; a group
 * is one chat message. The group's message is posted, updated and annotated in its thread by delivery;
 * an outbox of group ids says which messages must change. Everything is written before it is queued,
 * and a group leaves the outbox only at the revision that was delivered, so nothing is lost to a crash
 * or to a change that arrives mid-delivery.
 */
import type { ChainableCommander, Redis } from "ioredis";
import { z } from "zod";
import { parseStored } from "../redis/parse-stored.js";
import type { UserRef } from "../reply/reply.js";
import type { Alert } from "./alert.js";
import { groupId, groupLabels, type Target } from "./routing.js";

export interface MessageRef {
  platform: "slack" | "teams";
  channel: string;
  /** Slack message ts, or the Teams activity id. */
  ts: string;
  /** Digest of what the message shows, to tell whether it must change. */
  digest: string;
}

export interface Acknowledgement {
  by: UserRef;
  at: number;
}

export interface GroupSilence {
  id: string;
  until: number;
  by: UserRef;
}

/**
 * Something that happened to a group, said as a line in its message's thread. Stored as data; the
 * words are group-message's `eventLine`, so a person's name is a mention on every platform.
 */
export type GroupEvent =
  | { kind: "started" | "refired"; at: number; where: string }
  | { kind: "resolved"; at: number; where: string }
  | { kind: "reminder"; at: number; ageMs: number }
  | { kind: "ack"; at: number; by: UserRef }
  | { kind: "silenced"; at: number; by: UserRef; forMs: number }
  | { kind: "unsilenced"; at: number; by: UserRef }
  | { kind: "silence-ended"; at: number }
  /** A line stored as text by an earlier version. */
  | { kind: "note"; text: string };

/**
 * What a group is: alerts that share labels (the usual), the one per channel that gathers new alerts
 * once ALERT_MAX_OPEN_GROUPS groups are open ("overflow"), or the one message per channel that stands
 * for groups held back by ALERT_POSTS_PER_MINUTE ("summary").
 */
export type GroupKind = "alerts" | "overflow" | "summary";

export interface AlertGroup {
  id: string;
  /** Absent in groups drawn by hand (tests, previews): "alerts". */
  kind?: GroupKind;
  /** The summary group this group is held in: it has no message of its own. */
  heldIn?: string;
  target: Omit<Target, "groupBy">;
  labels: Record<string, string>;
  createdAt: number;
  ack?: Acknowledgement;
  silence?: GroupSilence;
  /** When its last firing alert resolved; unset while any fires. */
  resolvedAt?: number;
}

export interface StoredAlert {
  alert: Alert;
  groups: string[];
}

/** A held group as its channel's summary message names it. */
export interface HeldGroup {
  id: string;
  name: string;
  /** Where its first firing alert is (instance, job), if anywhere. */
  where: string;
  firing: number;
  severity: string;
}

export interface GroupState {
  group: AlertGroup;
  alerts: Alert[];
  /** For a summary group: how many groups it holds, and the first of them (oldest first). */
  held?: { count: number; groups: HeldGroup[] };
  message?: MessageRef;
  /** What waits to be said in the message's thread, oldest first. */
  events: GroupEvent[];
  rev: number;
}

const labels = z.record(z.string(), z.string());
const storedAlertSchema = z.object({
  alert: z.object({
    fingerprint: z.string(),
    status: z.enum(["firing", "resolved"]),
    labels,
    annotations: labels,
    startsAt: z.number(),
    endsAt: z.number().optional(),
    generatorUrl: z.string().optional(),
    source: z.enum(["alertmanager", "anomaly", "rule", "forecast"]),
    value: z.string().optional(),
    ruleId: z.string().optional(),
  }),
  groups: z.array(z.string()),
});
const targetSchema = z.object({
  platform: z.enum(["slack", "teams"]),
  channel: z.string(),
  mention: z.string().optional(),
  route: z.string(),
});
const messageRefSchema = z.object({
  platform: z.enum(["slack", "teams"]),
  channel: z.string(),
  ts: z.string(),
  digest: z.string(),
});
const userRefSchema = z.object({
  platform: z.enum(["slack", "teams", "console", "cli", "api"]),
  id: z.string().max(200),
  name: z.string().max(200),
});
/** A person as stored; earlier versions stored a plain name or id, read back as one from the API. */
const storedUserSchema = z.preprocess(
  (v) => (typeof v === "string" ? { platform: "api", id: v, name: v } : v),
  userRefSchema,
) as z.ZodType<UserRef>;
const ackSchema = z.object({ by: storedUserSchema, at: z.number() });
const groupSilenceSchema = z.object({ id: z.string(), until: z.number(), by: storedUserSchema });
const groupEventSchema: z.ZodType<GroupEvent> = z.discriminatedUnion("kind", [
  z.object({ kind: z.enum(["started", "refired", "resolved"]), at: z.number(), where: z.string() }),
  z.object({ kind: z.literal("reminder"), at: z.number(), ageMs: z.number() }),
  z.object({ kind: z.literal("ack"), at: z.number(), by: userRefSchema }),
  z.object({ kind: z.literal("silenced"), at: z.number(), by: userRefSchema, forMs: z.number() }),
  z.object({ kind: z.literal("unsilenced"), at: z.number(), by: userRefSchema }),
  z.object({ kind: z.literal("silence-ended"), at: z.number() }),
  z.object({ kind: z.literal("note"), text: z.string() }),
]);

/**
 * A thread event as stored. Events were plain lines before they were data: such a line (or anything
 * else that is not an event) reads as a note showing the text as it was.
 */
export function parseEvent(raw: string): GroupEvent {
  return parseStored(groupEventSchema, raw) ?? { kind: "note", text: raw.slice(0, 3000) };
}

const storeEvent = (event: GroupEvent) => JSON.stringify(event);

/** How long resolved alerts and their group's message stay in Redis. */
export const RESOLVED_RETENTION_MS = 7 * 86_400_000;
/** Default ALERT_FIRING_TTL: three of Alertmanager's default repeat_interval (4 h). */
export const FIRING_TTL_MS = 12 * 3_600_000;
/** Default ALERT_POSTS_PER_MINUTE. */
export const POSTS_PER_MINUTE = 20;
/** Default ALERT_MAX_OPEN_GROUPS. */
export const MAX_OPEN_GROUPS = 1000;
/** Held groups a summary message names; the rest are counted. */
const SUMMARY_LISTED = 15;
/** Events kept per group while waiting for delivery (a flapping alert must not grow them forever). */
const MAX_EVENTS = 50;

/** What an incoming alert changes. */
export type Change = "new" | "resolved" | "refired" | "unchanged";

export interface StoreOptions {
  /**
   * A group that fires again within this long of resolving reopens its message (flap damping);
   * after it, a new message is posted.
   */
  reopenWindowMs?: number;
  /**
   * A firing alert not sent again within this long expires (Alertmanager re-sends firing alerts at
   * least every repeat_interval, rules at every evaluation). Default FIRING_TTL_MS.
   */
  firingTtlMs?: number;
  /** Open groups kept; a new group beyond it is folded into its channel's overflow group. */
  maxOpenGroups?: number;
  /** New messages per channel and minute; groups beyond it are held in one summary message. */
  postsPerMinute?: number;
}

/** The labels of a channel's overflow group (not labels any alert has: it is named by them). */
const OVERFLOW_LABELS = { alertname: "More alert groups than ALERT_MAX_OPEN_GROUPS" };
/** The labels a channel's summary group is identified by. */
const SUMMARY_LABELS = { "cloudops:summary": "held" };

/** A group an alert goes to: where and by which labels, when the group must be created. */
interface Place {
  id: string;
  target?: Target;
  labels?: Record<string, string>;
  kind?: GroupKind;
}

const where = (a: Alert) => a.labels.instance ?? a.labels.job ?? a.labels.alertname ?? a.fingerprint;

export class AlertStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly opts: StoreOptions = {},
  ) {}

  private alertKey(fp: string) {
    return `${this.prefix}:alert:${fp}`;
  }
  private groupKey(id: string) {
    return `${this.prefix}:group:${id}`;
  }
  private get outbox() {
    return `${this.prefix}:outbox`;
  }
  private get openGroups() {
    return `${this.prefix}:groups:open`;
  }
  /** Every key of a group (retention applies to them together). */
  private groupKeys(id: string): string[] {
    const g = this.groupKey(id);
    return [
      g,
      `${g}:alerts`,
      `${g}:firing`,
      `${g}:message`,
      `${g}:events`,
      `${g}:rev`,
      `${g}:posting`,
      `${g}:held`,
    ];
  }

  /**
   * How long a live group's keys (and the outbox and open list) are kept from their last write: a
   * group whose alerts all expired is closed well before, by {@link expireStale}.
   */
  private get liveTtlMs(): number {
    return (this.opts.firingTtlMs ?? FIRING_TTL_MS) + RESOLVED_RETENTION_MS;
  }

  /** How long an alert is kept from the last time its source sent it. */
  private alertTtlMs(alert: Alert): number {
    if (alert.status === "resolved") return RESOLVED_RETENTION_MS;
    // The detector sends an episode's start and end only, not the episode again and again.
    if (alert.source === "anomaly") return Math.max(RESOLVED_RETENTION_MS, this.opts.firingTtlMs ?? 0);
    return this.opts.firingTtlMs ?? FIRING_TTL_MS;
  }

  /** Gives every key of the group (and the shared lists) a TTL from now: no key outlives its use. */
  private keepAlive(multi: ChainableCommander, id: string, ttlMs = this.liveTtlMs): ChainableCommander {
    for (const k of this.groupKeys(id)) if (!k.endsWith(":posting")) multi.pexpire(k, ttlMs);
    return multi.pexpire(this.outbox, this.liveTtlMs).pexpire(this.openGroups, this.liveTtlMs);
  }

  /** Queues the group's message (a new revision to deliver). */
  private queue(multi: ChainableCommander, id: string): ChainableCommander {
    return multi
      .incr(`${this.groupKey(id)}:rev`)
      .lrem(this.outbox, 0, id)
      .rpush(this.outbox, id);
  }

  async getAlert(fingerprint: string): Promise<StoredAlert | undefined> {
    const stored = parseStored(storedAlertSchema, await this.redis.get(this.alertKey(fingerprint)));
    return stored as StoredAlert | undefined;
  }

  async getGroup(id: string): Promise<AlertGroup | undefined> {
    if (!/^[0-9a-f]{8}$/.test(id)) return undefined;
    const raw = await this.redis.hgetall(this.groupKey(id));
    const target = parseStored(targetSchema, raw.target);
    const labelSet = parseStored(labels, raw.labels);
    if (!target || !labelSet) return undefined;
    const ack = parseStored(ackSchema, raw.ack);
    const silence = parseStored(groupSilenceSchema, raw.silence);
    const resolvedAt = Number(raw.resolvedAt);
    const kind: GroupKind = raw.kind === "overflow" || raw.kind === "summary" ? raw.kind : "alerts";
    return {
      id,
      kind,
      ...(raw.heldIn && /^[0-9a-f]{8}$/.test(raw.heldIn) ? { heldIn: raw.heldIn } : {}),
      target,
      labels: labelSet,
      createdAt: Number(raw.createdAt) || 0,
      ...(ack ? { ack } : {}),
      ...(silence ? { silence } : {}),
      ...(raw.resolvedAt && Number.isFinite(resolvedAt) ? { resolvedAt } : {}),
    };
  }

  /** The group, its alerts, its message and what waits to be said in its thread. */
  async groupState(id: string): Promise<GroupState | undefined> {
    const group = await this.getGroup(id);
    if (!group) return undefined;
    const g = this.groupKey(id);
    const [members, rawMessage, events, rawRev] = await Promise.all([
      this.redis.smembers(`${g}:alerts`),
      this.redis.get(`${g}:message`),
      this.redis.lrange(`${g}:events`, 0, -1),
      this.redis.get(`${g}:rev`),
    ]);
    const texts = members.length > 0 ? await this.redis.mget(members.map((fp) => this.alertKey(fp))) : [];
    const alerts = texts
      .map((t) => parseStored(storedAlertSchema, t)?.alert as Alert | undefined)
      .filter((a): a is Alert => a !== undefined)
      .sort((a, b) => a.startsAt - b.startsAt || a.fingerprint.localeCompare(b.fingerprint));
    const message = parseStored(messageRefSchema, rawMessage);
    const held = group.kind === "summary" ? await this.heldGroups(id) : undefined;
    return {
      group,
      alerts,
      ...(held ? { held } : {}),
      ...(message ? { message } : {}),
      events: events.map(parseEvent),
      rev: Number(rawRev ?? 0) || 0,
    };
  }

  /** The groups a summary holds: how many, and the first (oldest) few as its message names them. */
  private async heldGroups(id: string): Promise<{ count: number; groups: HeldGroup[] }> {
    const key = `${this.groupKey(id)}:held`;
    const [count, ids] = await Promise.all([
      this.redis.zcard(key),
      this.redis.zrange(key, 0, String(SUMMARY_LISTED - 1)),
    ]);
    const groups: HeldGroup[] = [];
    for (const heldId of ids) {
      const firing = await this.redis.smembers(`${this.groupKey(heldId)}:firing`);
      const [group, first] = await Promise.all([
        this.getGroup(heldId),
        firing[0] ? this.getAlert(firing[0]) : undefined,
      ]);
      if (!group) continue;
      const a = first?.alert;
      groups.push({
        id: heldId,
        name: group.labels.alertname || a?.labels.alertname || "alert",
        where: a ? where(a) : "",
        firing: firing.length,
        severity: a?.labels.severity ?? "warning",
      });
    }
    return { count, groups };
  }

  /**
   * Records an alert as its source sent it and queues its groups' messages when it changed. Sources
   * repeat firing alerts (Alertmanager every group interval, rules every evaluation); those are
   * deduplicated here. A silenced alert is recorded, and only updates a message already posted.
   */
  async receive(alert: Alert, targets: Target[], opts: { silenced?: boolean; now?: number } = {}) {
    const now = opts.now ?? Date.now();
    const before = await this.getAlert(alert.fingerprint);
    let change: Change;
    if (!before) change = alert.status === "firing" ? "new" : "unchanged";
    else if (before.alert.status === alert.status) change = "unchanged";
    else change = alert.status === "resolved" ? "resolved" : "refired";
    // A resolve for an alert never seen has no message to change.
    if (!before && change === "unchanged") return change;
    const places = before?.groups.length
      ? before.groups.map((id) => this.placeOf(alert, id, targets))
      : await this.newPlaces(alert, targets);
    const groups = places.map((p) => p.id);
    const multi = this.redis.multi();
    const stored = JSON.stringify({ alert, groups } satisfies StoredAlert);
    // Every send refreshes the TTL: a firing alert its source stops sending expires (expireStale).
    multi.set(this.alertKey(alert.fingerprint), stored, "PX", this.alertTtlMs(alert));
    if (alert.status === "firing") for (const id of groups) this.keepAlive(multi, id);
    await multi.exec();
    if (change === "unchanged") {
      // A send cut short (Redis gone after the alert was stored, before its groups were) is resent
      // as unchanged: the groups that do not show it yet are brought up to date as that send would
      // have, or the alert would never be posted.
      const behind = await this.groupsBehind(alert, groups);
      if (behind.length === 0) return change;
      change = alert.status === "firing" ? "new" : "resolved";
      for (const place of places.filter((p) => behind.includes(p.id)))
        await this.applyToGroup(place, alert, change, opts.silenced === true, now);
      return change;
    }
    for (const place of places) await this.applyToGroup(place, alert, change, opts.silenced === true, now);
    return change;
  }

  /** The groups of a stored alert whose firing set disagrees with its status. */
  private async groupsBehind(alert: Alert, groups: string[]): Promise<string[]> {
    if (groups.length === 0) return [];
    const multi = this.redis.multi();
    for (const id of groups) multi.sismember(`${this.groupKey(id)}:firing`, alert.fingerprint);
    const replies = (await multi.exec()) ?? [];
    const firing = alert.status === "firing";
    return groups.filter((_, i) => (replies[i]?.[1] === 1) !== firing);
  }

  private groupIdFor(alert: Alert, target: Target): string {
    return groupId(target, groupLabels(alert, target.groupBy));
  }

  /** Where an alert already placed in group `id` goes now (its target, if still routed there). */
  private placeOf(alert: Alert, id: string, targets: Target[]): Place {
    const target = targets.find((t) => this.groupIdFor(alert, t) === id);
    return target ? { id, target, labels: groupLabels(alert, target.groupBy), kind: "alerts" } : { id };
  }

  /**
   * The groups a new alert joins, one per target: its own, unless ALERT_MAX_OPEN_GROUPS groups are
   * open and it is not one of them; then the channel's overflow group (Redis stays bounded however
   * many distinct label sets are sent).
   */
  private async newPlaces(alert: Alert, targets: Target[]): Promise<Place[]> {
    const out: Place[] = [];
    const max = this.opts.maxOpenGroups ?? MAX_OPEN_GROUPS;
    for (const target of targets) {
      const labels = groupLabels(alert, target.groupBy);
      let place: Place = { id: groupId(target, labels), target, labels, kind: "alerts" };
      if (
        (await this.redis.zscore(this.openGroups, place.id)) === null &&
        (await this.redis.zcard(this.openGroups)) >= max
      )
        place = { id: groupId(target, OVERFLOW_LABELS), target, labels: OVERFLOW_LABELS, kind: "overflow" };
      if (!out.some((p) => p.id === place.id)) out.push(place);
    }
    return out;
  }

  private async applyToGroup(
    place: Place,
    alert: Alert,
    change: Exclude<Change, "unchanged">,
    silenced: boolean,
    now: number,
  ): Promise<void> {
    const { id } = place;
    const g = this.groupKey(id);
    let group = await this.getGroup(id);
    if (!group) {
      if (!place.target || !place.labels) return; // the group expired; nothing to show the change in
      const { groupBy: _, ...shown } = place.target;
      await this.redis
        .multi()
        .hsetnx(g, "target", JSON.stringify(shown))
        .hsetnx(g, "labels", JSON.stringify(place.labels))
        .hsetnx(g, "createdAt", String(now))
        .hsetnx(g, "kind", place.kind ?? "alerts")
        .pexpire(g, this.liveTtlMs)
        .exec();
      group = await this.getGroup(id);
      if (!group) return;
    }
    const multi = this.redis.multi();
    let event: GroupEvent | undefined;
    if (alert.status === "firing") {
      multi.sadd(`${g}:alerts`, alert.fingerprint).sadd(`${g}:firing`, alert.fingerprint);
      if (group.resolvedAt !== undefined) {
        multi.hdel(g, "resolvedAt");
        if (now - group.resolvedAt > (this.opts.reopenWindowMs ?? 30 * 60_000)) {
          // Quiet for long enough: this is a new incident, with a new message, not an old one edited.
          multi
            .del(`${g}:message`, `${g}:events`, `${g}:posting`)
            .hdel(g, "ack", "heldIn")
            .hset(g, "createdAt", String(now));
          // The new incident's message lists what fires now, not what resolved in the last one.
          const gone = await this.resolvedMembers(id);
          if (gone.length > 0) multi.srem(`${g}:alerts`, ...gone);
          multi.sadd(`${g}:alerts`, alert.fingerprint);
        } else event = { kind: "refired", at: now, where: where(alert) };
      } else if (change === "refired") event = { kind: "refired", at: now, where: where(alert) };
      else event = { kind: "started", at: now, where: where(alert) };
      multi.zadd(this.openGroups, "NX", String(group.createdAt || now), id);
    } else {
      multi.sadd(`${g}:alerts`, alert.fingerprint).srem(`${g}:firing`, alert.fingerprint);
      event = { kind: "resolved", at: alert.endsAt ?? now, where: where(alert) };
    }
    // A silence keeps quiet, not stale: a group already in the channel is still edited in place (an
    // edit notifies nobody), but the change gets no thread line (which would), and a new group is not
    // posted at all.
    if (event && !silenced)
      multi.rpush(`${g}:events`, storeEvent(event)).ltrim(`${g}:events`, -MAX_EVENTS, -1);
    // A held group's change shows in its summary, which delivery updates when it takes the group.
    const queue = !silenced || group.heldIn !== undefined || (await this.redis.exists(`${g}:message`)) === 1;
    if (queue) this.queue(multi, id);
    // Firing again: a resolved group's keys were set to expire in a week; they live on now.
    if (alert.status === "firing") this.keepAlive(multi, id);
    await multi.exec();
    if (alert.status === "resolved" && (await this.redis.scard(`${g}:firing`)) === 0)
      await this.closeGroup(id, now);
  }

  private async resolvedMembers(id: string): Promise<string[]> {
    const g = this.groupKey(id);
    const [all, firing] = await Promise.all([
      this.redis.smembers(`${g}:alerts`),
      this.redis.smembers(`${g}:firing`),
    ]);
    const still = new Set(firing);
    const gone = all.filter((fp) => !still.has(fp));
    return gone;
  }

  /** Every alert of the group resolved: it leaves the open list and is kept a week for its message. */
  private async closeGroup(id: string, now: number): Promise<void> {
    const group = await this.getGroup(id);
    const multi = this.redis
      .multi()
      .hset(this.groupKey(id), "resolvedAt", String(now))
      .zrem(this.openGroups, id);
    for (const k of this.groupKeys(id)) multi.pexpire(k, RESOLVED_RETENTION_MS);
    await multi.exec();
    // A held group leaves its summary; the summary says so, and closes with the last one.
    if (group?.heldIn) {
      const summary = group.heldIn;
      const s = this.groupKey(summary);
      await this.redis.multi().zrem(`${s}:held`, id).hdel(this.groupKey(id), "heldIn").exec();
      const left = await this.redis.zcard(`${s}:held`);
      const m = this.redis.multi();
      if (left === 0) m.hset(s, "resolvedAt", String(now));
      this.queue(m, summary);
      this.keepAlive(m, summary, left === 0 ? RESOLVED_RETENTION_MS : this.liveTtlMs);
      await m.exec();
    }
  }

  /**
   * Holds a group back from its own message (its channel had its ALERT_POSTS_PER_MINUTE new messages
   * this minute): it goes into the channel's one summary message, which is queued. Returns its id.
   */
  async hold(id: string, now: number): Promise<string | undefined> {
    const group = await this.getGroup(id);
    if (!group) return undefined;
    const summary = groupId({ ...group.target, groupBy: [] }, SUMMARY_LABELS);
    const s = this.groupKey(summary);
    const existing = await this.getGroup(summary);
    const multi = this.redis.multi();
    if (!existing || existing.resolvedAt !== undefined)
      // A new flood after the last one's groups all resolved: a new summary message.
      multi
        .del(`${s}:message`, `${s}:events`, `${s}:posting`, `${s}:held`)
        .hdel(s, "resolvedAt")
        .hset(s, {
          target: JSON.stringify(group.target),
          labels: JSON.stringify(SUMMARY_LABELS),
          createdAt: String(now),
          kind: "summary",
        });
    multi.zadd(`${s}:held`, "NX", String(now), id).hset(this.groupKey(id), "heldIn", summary);
    this.queue(multi, summary);
    this.keepAlive(multi, summary);
    await multi.exec();
    return summary;
  }

  /** Queues a held group's summary again (something the summary shows of it changed). */
  async touchSummary(summary: string): Promise<void> {
    const m = this.redis.multi();
    this.queue(m, summary);
    await m.exec();
  }

  /**
   * Takes one of the channel's new-message slots for this minute; false when its
   * ALERT_POSTS_PER_MINUTE are used up (the group is then held in the channel's summary).
   */
  async takePostSlot(target: AlertGroup["target"], now: number): Promise<boolean> {
    const perMinute = this.opts.postsPerMinute ?? POSTS_PER_MINUTE;
    const minute = Math.floor(now / 60_000);
    const key = `${this.prefix}:posts:${groupId({ ...target, groupBy: [] }, {})}:${minute}`;
    const [[, n]] = (await this.redis.multi().incr(key).pexpire(key, 120_000).exec()) as [[unknown, number]];
    return n <= perMinute;
  }

  /**
   * Ends firing alerts of the group whose source stopped sending them (their key expired, see
   * ALERT_FIRING_TTL): they leave the group, a thread line says so, and the group closes when
   * nothing else fires. Returns how many expired.
   */
  async expireStale(id: string, now: number): Promise<number> {
    const g = this.groupKey(id);
    const firing = await this.redis.smembers(`${g}:firing`);
    if (firing.length === 0) return 0;
    const alive = await this.redis.mget(firing.map((fp) => this.alertKey(fp)));
    const gone = firing.filter((_, i) => alive[i] === null);
    if (gone.length === 0) return 0;
    const note = `⌛ ${gone.length === 1 ? "1 alert" : `${gone.length} alerts`} expired: not sent again by ${
      gone.length === 1 ? "its source" : "their source"
    } (ALERT_FIRING_TTL)`;
    const multi = this.redis
      .multi()
      .srem(`${g}:firing`, ...gone)
      .srem(`${g}:alerts`, ...gone)
      .rpush(`${g}:events`, storeEvent({ kind: "note", text: note }))
      .ltrim(`${g}:events`, -MAX_EVENTS, -1);
    this.queue(multi, id);
    this.keepAlive(multi, id);
    await multi.exec();
    if ((await this.redis.scard(`${g}:firing`)) === 0) await this.closeGroup(id, now);
    return gone.length;
  }

  /** Groups with at least one firing alert, oldest first. */
  async openGroupIds(limit = 50): Promise<string[]> {
    return this.redis.zrange(this.openGroups, 0, String(limit - 1));
  }

  /**
   * A reminder for a group still firing, unacknowledged and unsilenced `intervalMs` after it was posted
   * or last reminded: a thread line, queued once however many replicas look (compare-and-set in Redis).
   */
  async remindIfDue(id: string, intervalMs: number, now: number): Promise<boolean> {
    const group = await this.getGroup(id);
    // A held group is named in its summary; reminders are for messages of their own.
    if (!group || group.ack || group.resolvedAt !== undefined || group.heldIn) return false;
    if (group.silence && group.silence.until > now) return false;
    const g = this.groupKey(id);
    const last = await this.redis.hget(g, "remindedAt");
    const since = Number(last ?? group.createdAt) || group.createdAt;
    if (now - since < intervalMs) return false;
    const won = await this.redis.eval(
      "if (redis.call('HGET', KEYS[1], 'remindedAt') or '') == ARGV[1] then redis.call('HSET', KEYS[1], 'remindedAt', ARGV[2]) return 1 end return 0",
      1,
      g,
      last ?? "",
      String(now),
    );
    if (won !== 1) return false;
    const multi = this.redis
      .multi()
      .rpush(`${g}:events`, storeEvent({ kind: "reminder", at: now, ageMs: now - group.createdAt }));
    await this.keepAlive(this.queue(multi, id), id).exec();
    return true;
  }

  /** Marks a group acknowledged and queues its message; false when it does not exist or is resolved. */
  async acknowledge(id: string, by: UserRef, now = Date.now()): Promise<AlertGroup | undefined> {
    const group = await this.getGroup(id);
    if (!group) return undefined;
    const g = this.groupKey(id);
    const multi = this.redis
      .multi()
      .hset(g, "ack", JSON.stringify({ by, at: now } satisfies Acknowledgement))
      .rpush(`${g}:events`, storeEvent({ kind: "ack", at: now, by }));
    await this.keepAlive(this.queue(multi, id), id, this.ttlOf(group)).exec();
    return { ...group, ack: { by, at: now } };
  }

  /** Marks a group silenced until `until` (or clears it) and queues its message. */
  async setGroupSilence(id: string, silence: GroupSilence | undefined, event: GroupEvent): Promise<void> {
    const g = this.groupKey(id);
    const multi = this.redis.multi();
    if (silence) multi.hset(g, "silence", JSON.stringify(silence));
    else multi.hdel(g, "silence");
    multi.rpush(`${g}:events`, storeEvent(event));
    await this.keepAlive(this.queue(multi, id), id, this.ttlOf(await this.getGroup(id))).exec();
  }

  async setMessage(id: string, message: MessageRef): Promise<void> {
    // A group that resolved keeps its message only as long as its other keys.
    const ttl = (await this.redis.hexists(this.groupKey(id), "resolvedAt"))
      ? RESOLVED_RETENTION_MS
      : this.liveTtlMs;
    await this.redis
      .multi()
      .set(`${this.groupKey(id)}:message`, JSON.stringify(message), "PX", ttl)
      .del(`${this.groupKey(id)}:posting`)
      .exec();
  }

  /** The TTL a write to this group's keys gives them: a week once it resolved, else a live group's. */
  private ttlOf(group: AlertGroup | undefined): number {
    return group?.resolvedAt !== undefined ? RESOLVED_RETENTION_MS : this.liveTtlMs;
  }

  /**
   * Notes that the group's first message is being posted. If the poster dies before it stores the
   * message ref, whoever delivers next finds this note and looks for the message before posting again.
   */
  async markPosting(id: string, now: number): Promise<void> {
    await this.redis.set(`${this.groupKey(id)}:posting`, String(now), "PX", RESOLVED_RETENTION_MS);
  }

  async clearPosting(id: string): Promise<void> {
    await this.redis.del(`${this.groupKey(id)}:posting`);
  }

  /** When an earlier attempt began posting the group's first message, if one may have. */
  async postingSince(id: string): Promise<number | undefined> {
    const raw = Number(await this.redis.get(`${this.groupKey(id)}:posting`));
    return Number.isFinite(raw) && raw > 0 ? raw : undefined;
  }

  /** Drops the first `count` thread events (those just posted). */
  async eventsPosted(id: string, count: number): Promise<void> {
    if (count > 0) await this.redis.ltrim(`${this.groupKey(id)}:events`, count, -1);
  }

  async outboxLength(): Promise<number> {
    return this.redis.llen(this.outbox);
  }

  /** Group ids waiting for delivery, oldest first. */
  async pending(limit = 100): Promise<string[]> {
    return this.redis.lrange(this.outbox, 0, limit - 1);
  }

  /** Moves a queued group to the back of the outbox (its delivery failed; others go first). */
  async moveToBack(id: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then redis.call('RPUSH', KEYS[1], ARGV[1]) end return 0",
      1,
      this.outbox,
      id,
    );
  }

  /**
   * Takes the group off the outbox if nothing changed since revision `rev` was read: a change that
   * arrived while its message was being posted stays queued. Atomic in Redis.
   */
  async doneAt(id: string, rev: number): Promise<boolean> {
    const removed = await this.redis.eval(
      "if (tonumber(redis.call('GET', KEYS[1]) or '0') == tonumber(ARGV[1])) then return redis.call('LREM', KEYS[2], 1, ARGV[2]) end return -1",
      2,
      `${this.groupKey(id)}:rev`,
      this.outbox,
      String(rev),
      id,
    );
    return removed !== -1;
  }

  /** Only one replica delivers a given group at a time; the claim expires if that replica dies. */
  async claim(id: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.groupKey(id)}:claim`, owner, "PX", ttlMs, "NX")) === "OK";
  }

  async release(id: string, owner: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      `${this.groupKey(id)}:claim`,
      owner,
    );
  }
}
