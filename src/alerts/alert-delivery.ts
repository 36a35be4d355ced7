/**
 * Delivers queued alert groups: posts a group's message when it first fires, updates that same message
 * when anything it shows changes (an alert resolves or fires again, an ack, a silence), and posts the
 * changes as lines in its thread. A failed delivery stays queued and is tried again with backoff;
 * replicas sharing Redis claim a group before touching its message.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../observability/logger.js";
import type { Reply, ReplyChart, RichText } from "../reply/reply.js";
import type { AlertStore, GroupState, MessageRef } from "./alert-store.js";
import { eventLine } from "./group-message.js";
import type { TargetPlatform } from "./routing.js";

/** One chat platform's side of alert delivery (Slack, Teams). */
export interface AlertNotifier {
  /** Posts the group's message; returns where it is and what it shows. */
  post(state: GroupState): Promise<MessageRef>;
  /** Brings the message up to date; a message that already shows this state is left alone. */
  update(state: GroupState, ref: MessageRef): Promise<MessageRef>;
  /** Posts lines in the message's thread (or as replies to the activity); the platform escapes them. */
  thread(ref: MessageRef, lines: RichText[]): Promise<void>;
  /**
   * Finds the group's message posted since `sinceMs` by an attempt that died before storing where it
   * is (so a retry never posts it twice); undefined when there is none or the platform cannot tell.
   */
  find?(state: GroupState, sinceMs: number): Promise<MessageRef | undefined>;
  /** Seconds the platform asked us to wait before the next call, when that is why `e` happened. */
  retryAfter?(e: unknown): number | undefined;
  /** Posts a chart under the message (in its thread). */
  attachChart?(ref: MessageRef, chart: ReplyChart): Promise<void>;
  /** Whether `e` may pass if tried again (rate limit, 5xx, network), as opposed to a refusal. */
  isTransient?(e: unknown): boolean;
  /** Whether `e` means the post certainly did not happen (so no search is needed before retrying). */
  certainlyNotPosted?(e: unknown): boolean;
  /** Posts a reply in the message's thread (the first look); returns its id (Slack ts, Teams activity id). */
  reply?(ref: MessageRef, reply: Reply): Promise<string>;
  /** Replaces a reply that {@link AlertNotifier.reply} posted. */
  editReply?(ref: MessageRef, id: string, reply: Reply): Promise<void>;
}

export interface AlertDeliveryOptions {
  /** Safety-net pass over the outbox, also what picks up work left by a crash. */
  intervalMs?: number;
  /** How long a replica may hold an alert before another may take it over. */
  claimTtlMs?: number;
  maxBackoffMs?: number;
  /** A new group waits this long for more alerts before its first message (as Alertmanager's group_wait). */
  groupWaitMs?: number;
  /** The chart posted under a group's first message (the last hours of what it is about). */
  chartFor?: (state: GroupState) => Promise<ReplyChart | undefined>;
  /** Told of each group delivered or failed (metrics). */
  onDelivery?: (platform: string, outcome: "ok" | "failed") => void;
  /** Told when a group's message was posted (`first`) or brought up to date (the first look starts here). */
  onMessage?: (state: GroupState, ref: MessageRef, first: boolean) => void;
  /** Work done at every pass, such as ending expired silences. */
  housekeeping?: () => Promise<void>;
  now?: () => number;
}

/**
 * Passes a group whose delivery keeps failing in a way that may pass stops in, before later groups
 * are tried past it (its own problem, then, not the platform's).
 */
const HEAD_PATIENCE = 8;
/** Alerts handled per pass over the outbox. */
const PASS_SIZE = 100;

export class AlertDelivery {
  private readonly owner = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private waiting = false;
  private lastHousekeeping = 0;
  /** Epoch ms before which nothing is posted (the platform's Retry-After). */
  private notBefore = 0;
  /** Groups whose delivery failed: attempts so far and when to try again. */
  private readonly retries = new Map<string, { attempts: number; notBefore: number }>();
  /** The notifier of the group being delivered (to read its failures). */
  private current: AlertNotifier | undefined;
  private stopped = false;

  constructor(
    private readonly store: AlertStore,
    private readonly notifiers: Partial<Record<TargetPlatform, AlertNotifier>>,
    private readonly logger: Logger,
    private readonly opts: AlertDeliveryOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    void this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Delivers what is queued now (coalesced with a pass already running). */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    // Rate-limited: the pass after Retry-After picks this up (a timer may fire a hair early, so re-arm it).
    if (Date.now() < this.notBefore) {
      if (!this.running) this.schedule();
      return Promise.resolve();
    }
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass()
      .catch((e: unknown) => {
        // Redis itself failed: nothing was lost (the outbox is in Redis); try again later.
        this.failures++;
        this.logger.warn({ reason: e instanceof Error ? e.message : String(e) }, "alert outbox unreadable");
      })
      .finally(() => {
        this.running = undefined;
        // After a failure, back off even if more is waiting, rather than hammer a failing Slack.
        if (this.again && this.failures === 0 && Date.now() >= this.notBefore) {
          this.again = false;
          void this.kick();
        } else {
          this.again = false;
          this.schedule();
        }
      });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    // A group in its group wait is looked at again soon, not at the next safety-net pass.
    const base = this.waiting
      ? Math.min(1000, this.opts.intervalMs ?? 15_000)
      : (this.opts.intervalMs ?? 15_000);
    const backoff =
      this.failures > 0 ? Math.min(this.opts.maxBackoffMs ?? 60_000, 500 * 2 ** (this.failures - 1)) : base;
    const delay = Math.max(backoff, this.notBefore - Date.now());
    this.timer = setTimeout(() => void this.kick(), delay);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    let delivered = 0;
    let failed = 0;
    // Housekeeping walks every open group: not on every pass of a busy outbox.
    if (this.opts.housekeeping && Date.now() - this.lastHousekeeping >= 10_000) {
      this.lastHousekeeping = Date.now();
      await this.opts.housekeeping();
    }
    const batch = await this.store.pending(PASS_SIZE);
    let waiting = false;
    const failedIds: string[] = [];
    let stoppedInOrder = false;
    for (const id of batch) {
      if (this.stopped) return;
      const retry = this.retries.get(id);
      if (retry && retry.notBefore > Date.now()) {
        waiting = true;
        continue;
      }
      if (!(await this.store.claim(id, this.owner, this.opts.claimTtlMs ?? 30_000))) continue;
      try {
        const rev = await this.deliver(id);
        this.retries.delete(id);
        delivered++;
        if (this.current && rev !== WAIT) this.opts.onDelivery?.(this.platformOf(), "ok");
        if (rev === WAIT) waiting = true;
        else if (rev === AGAIN) this.again = true;
        // A change that arrived during delivery stays queued for the next pass.
        else if (!(await this.store.doneAt(id, rev))) this.again = true;
      } catch (e) {
        failed++;
        this.opts.onDelivery?.(this.platformOf(), "failed");
        this.logger.warn(
          { group: id, reason: e instanceof Error ? e.message : String(e) },
          "alert delivery failed; will retry",
        );
        // This group backs off on its own and goes to the back of the outbox, so one bad message
        // neither holds up the others nor is hammered (unless none went out: see below).
        const attempts = (retry?.attempts ?? 0) + 1;
        this.retries.set(id, {
          attempts,
          notBefore: Date.now() + Math.min(this.opts.maxBackoffMs ?? 60_000, 250 * 2 ** attempts),
        });
        failedIds.push(id);
        waiting = true;
        const wait = this.current?.retryAfter?.(e);
        if (wait !== undefined) {
          // Slack rate-limits the app, not the message: stop this pass, in order, and wait as asked.
          this.notBefore = Date.now() + wait * 1000;
          this.again = true;
          stoppedInOrder = true;
          break;
        }
        // A failure that may pass (5xx, network) says the platform is down more often than that this
        // message is bad: stop here, so no later group overtakes this one and the outbox drains in
        // order once the platform is back. A group that has failed this way many times is passed over
        // instead (below, it goes to the back if the others go out).
        if (this.current?.isTransient?.(e) !== false && attempts <= HEAD_PATIENCE) {
          stoppedInOrder = true;
          break;
        }
      } finally {
        await this.store.release(id, this.owner);
      }
    }
    if (delivered > 0 && !stoppedInOrder) for (const id of failedIds) await this.store.moveToBack(id);
    // Nothing went out: the platform is down, not these messages. The whole outbox backs off and
    // keeps its order; groups waiting each on their own would go out shuffled once it is back.
    else
      for (const id of failedIds) {
        const retry = this.retries.get(id);
        if (retry) retry.notBefore = 0;
      }
    // A full batch that made progress means more may be waiting: go on right after this pass.
    if (batch.length === PASS_SIZE && delivered > 0) this.again = true;
    // The whole outbox backs off only when nothing could be delivered (the platform is down).
    if (stoppedInOrder)
      for (const id of failedIds) {
        const retry = this.retries.get(id);
        if (retry) retry.notBefore = 0;
      }
    this.failures = failed > 0 && (delivered === 0 || stoppedInOrder) ? this.failures + 1 : 0;
    this.waiting = waiting;
    if (this.retries.size > 10_000) this.retries.clear();
  }

  /** Brings the group's message up to date; returns the revision it delivered, or WAIT. */
  private async deliver(id: string): Promise<number> {
    const state = await this.store.groupState(id);
    if (!state) return 0;
    const notifier = this.notifiers[state.group.target.platform];
    this.current = notifier;
    if (!notifier) {
      this.logger.warn(
        { group: id, platform: state.group.target.platform },
        "no notifier for this platform is configured; the alert group is not posted",
      );
      return state.rev;
    }
    const now = this.opts.now?.() ?? Date.now();
    const silenced = state.group.silence && state.group.silence.until > now;
    let { message } = state;
    if (!message && state.group.heldIn) {
      // Held back in its channel's summary: what changed shows there.
      await this.store.touchSummary(state.group.heldIn);
      await this.store.eventsPosted(id, state.events.length);
      this.again = true;
      return state.rev;
    }
    if (!message) {
      // A group that resolved or was silenced before its first message needs none.
      const live =
        state.group.kind === "summary"
          ? (state.held?.count ?? 0) > 0
          : state.alerts.some((a) => a.status === "firing");
      if (!live || silenced) {
        await this.store.eventsPosted(id, state.events.length);
        return state.rev;
      }
      if (now < state.group.createdAt + (this.opts.groupWaitMs ?? 0)) return WAIT;
      const earlier = await this.store.postingSince(id);
      // A flood posts ALERT_POSTS_PER_MINUTE new messages a minute per channel; the rest are held in
      // one summary message there, never dropped (`alerts` lists them). The summary itself is exempt.
      if (
        earlier === undefined &&
        state.group.kind !== "summary" &&
        !(await this.store.takePostSlot(state.group.target, now))
      ) {
        await this.store.hold(id, now);
        await this.store.eventsPosted(id, state.events.length);
        this.again = true;
        return state.rev;
      }
      const found =
        earlier !== undefined
          ? await notifier.find?.(state, earlier).catch((e: unknown) => {
              // A passing failure: look again at the next attempt rather than risk a second post.
              if (notifier.isTransient?.(e) !== false) throw e;
              // Cannot look at all (e.g. no channels:history scope): post; a duplicate beats a lost alert.
              this.logger.warn({ group: id, reason: String(e) }, "cannot look for an interrupted post");
              return undefined;
            })
          : undefined;
      if (found) {
        this.logger.info({ group: id, ts: found.ts }, "found the message an interrupted delivery posted");
        await this.store.setMessage(id, found);
        // Bring it up to date on the next pass (what it shows is not known here).
        return AGAIN;
      }
      await this.store.markPosting(id, Date.now());
      try {
        message = await notifier.post(state);
      } catch (e) {
        if (notifier.certainlyNotPosted?.(e)) await this.store.clearPosting(id);
        throw e;
      }
      await this.store.setMessage(id, message);
      // The first message shows everything so far: earlier events need no thread lines.
      await this.store.eventsPosted(id, state.events.length);
      await this.attachChart(notifier, state, message);
      this.opts.onMessage?.(state, message, true);
      return state.rev;
    }
    const updated = await notifier.update(state, message);
    if (updated.digest !== message.digest) await this.store.setMessage(id, updated);
    if (state.events.length > 0) {
      await notifier.thread(updated, state.events.map(eventLine));
      await this.store.eventsPosted(id, state.events.length);
    }
    this.opts.onMessage?.(state, updated, false);
    return state.rev;
  }

  private platformOf(): string {
    for (const [platform, n] of Object.entries(this.notifiers)) if (n === this.current) return platform;
    return "unknown";
  }

  /** Best effort: the alert is delivered whether or not its chart can be drawn and uploaded. */
  private async attachChart(notifier: AlertNotifier, state: GroupState, ref: MessageRef): Promise<void> {
    if (!this.opts.chartFor || !notifier.attachChart) return;
    try {
      const chart = await this.opts.chartFor(state);
      if (chart) await notifier.attachChart(ref, chart);
    } catch (e) {
      this.logger.warn({ group: state.group.id, reason: String(e) }, "alert chart not posted");
    }
  }
}

/** deliver()'s answer for a group still in its group wait: leave it queued. */
const WAIT = -1;
/** deliver()'s answer for a group to look at again right away. */
const AGAIN = -2;
