/**
 * Delivers queued alerts: posts a message for a new alert, updates that same message (and notes the
 * change in its thread) when it resolves or fires again. A failed delivery stays queued and is tried
 * again with backoff; replicas sharing Redis claim an alert before touching its message.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../observability/logger.js";
import type { Alert } from "./alert.js";
import type { AlertStore, MessageRef } from "./alert-store.js";

export interface AlertNotifier {
  /** Posts the alert's message; returns where it is. */
  post(alert: Alert): Promise<MessageRef>;
  /** Changes that message to the alert's current state and notes the change in its thread. */
  update(alert: Alert, ref: MessageRef): Promise<MessageRef>;
}

export interface AlertDeliveryOptions {
  /** Safety-net pass over the outbox, also what picks up work left by a crash. */
  intervalMs?: number;
  /** How long a replica may hold an alert before another may take it over. */
  claimTtlMs?: number;
  maxBackoffMs?: number;
}

/** Alerts handled per pass over the outbox. */
const PASS_SIZE = 100;

export class AlertDelivery {
  private readonly owner = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly store: AlertStore,
    private readonly notifier: AlertNotifier,
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
        if (this.again && this.failures === 0) {
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
    const base = this.opts.intervalMs ?? 15_000;
    const delay =
      this.failures > 0 ? Math.min(this.opts.maxBackoffMs ?? 60_000, 500 * 2 ** (this.failures - 1)) : base;
    this.timer = setTimeout(() => void this.kick(), delay);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    let failed = false;
    const batch = await this.store.pending(PASS_SIZE);
    // A full batch means more may be waiting: go on right after this pass.
    if (batch.length === PASS_SIZE) this.again = true;
    for (const fp of batch) {
      if (this.stopped) return;
      if (!(await this.store.claim(fp, this.owner, this.opts.claimTtlMs ?? 60_000))) continue;
      try {
        const rev = await this.deliver(fp);
        // A change that arrived during delivery stays queued for the next pass.
        if (!(await this.store.doneAt(fp, rev))) this.again = true;
      } catch (e) {
        failed = true;
        this.logger.warn(
          { fingerprint: fp, reason: e instanceof Error ? e.message : String(e) },
          "alert delivery failed; will retry",
        );
      } finally {
        await this.store.release(fp, this.owner);
      }
    }
    this.failures = failed ? this.failures + 1 : 0;
  }

  /** Brings the alert's message up to date; returns the revision it delivered. */
  private async deliver(fp: string): Promise<number> {
    const current = await this.store.get(fp);
    if (!current) return 0;
    const { alert, message, rev } = current;
    if (!message) {
      // A resolve that arrives before the firing message went out needs no message of its own.
      if (alert.status === "resolved") return rev;
      await this.store.setMessage(fp, await this.notifier.post(alert));
      return rev;
    }
    if (message.shows !== alert.status)
      await this.store.setMessage(fp, await this.notifier.update(alert, message));
    return rev;
  }
}
