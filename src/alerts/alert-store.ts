/**
 * Alerts in Redis: the alert by fingerprint, the message that shows it, and an outbox of alerts whose
 * message must be posted or updated. An alert is written before it is queued, and leaves the outbox
 * only once its message is posted, so a crash in between is delivered on the next start.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { parseStored } from "../redis/parse-stored.js";
import type { Alert } from "./alert.js";

export interface MessageRef {
  platform: "slack";
  channel: string;
  ts: string;
  /** Status the message shows, to tell whether it must change. */
  shows: Alert["status"];
}

export interface StoredAlert {
  alert: Alert;
  message?: MessageRef;
  /** Bumped by every change that queues the alert; delivery removes it from the outbox only at the revision it delivered. */
  rev: number;
}

const storedAlert = z.object({
  fingerprint: z.string(),
  status: z.enum(["firing", "resolved"]),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.number(),
  endsAt: z.number().optional(),
  generatorUrl: z.string().optional(),
  source: z.literal("alertmanager"),
});

const messageRef = z.object({
  platform: z.literal("slack"),
  channel: z.string(),
  ts: z.string(),
  shows: z.enum(["firing", "resolved"]),
});

/** How long a resolved alert and its message ref stay in Redis. */
export const RESOLVED_RETENTION_MS = 7 * 86_400_000;

/** What an incoming alert changes. */
export type Change = "new" | "resolved" | "refired" | "unchanged";

export class AlertStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(fp: string) {
    return `${this.prefix}:alert:${fp}`;
  }
  private get outbox() {
    return `${this.prefix}:outbox`;
  }

  /** The alert and its message ref live under separate keys, so receiving and delivering never overwrite each other. */
  async get(fingerprint: string): Promise<StoredAlert | undefined> {
    const k = this.key(fingerprint);
    const [rawAlert, rawMessage, rawRev] = await this.redis.mget(k, `${k}:message`, `${k}:rev`);
    const alert = parseStored(storedAlert, rawAlert);
    if (!alert) return undefined;
    const message = parseStored(messageRef, rawMessage);
    return { alert: alert as Alert, ...(message ? { message } : {}), rev: Number(rawRev ?? 0) || 0 };
  }

  /**
   * Records an alert as Alertmanager sent it and queues its message when it changed. Alertmanager
   * resends firing alerts every group interval; those are deduplicated here.
   */
  async receive(alert: Alert): Promise<Change> {
    const before = await this.get(alert.fingerprint);
    let change: Change;
    if (!before) change = alert.status === "firing" ? "new" : "unchanged";
    else if (before.alert.status === alert.status) change = "unchanged";
    else change = alert.status === "resolved" ? "resolved" : "refired";
    if (!before && change === "unchanged") return change; // a resolve for an alert we never saw
    const multi = this.redis.multi();
    // Resolved alerts are kept a while for their message's sake, then forgotten.
    if (alert.status === "resolved") {
      multi
        .set(this.key(alert.fingerprint), JSON.stringify(alert), "PX", RESOLVED_RETENTION_MS)
        .pexpire(`${this.key(alert.fingerprint)}:message`, RESOLVED_RETENTION_MS);
    } else {
      multi
        .set(this.key(alert.fingerprint), JSON.stringify(alert))
        .persist(`${this.key(alert.fingerprint)}:message`);
    }
    if (change !== "unchanged") {
      const rev = `${this.key(alert.fingerprint)}:rev`;
      multi.incr(rev).pexpire(rev, RESOLVED_RETENTION_MS);
      multi.lrem(this.outbox, 0, alert.fingerprint).rpush(this.outbox, alert.fingerprint);
    }
    await multi.exec();
    return change;
  }

  async setMessage(fingerprint: string, message: MessageRef): Promise<void> {
    const key = `${this.key(fingerprint)}:message`;
    if (message.shows === "resolved")
      await this.redis.set(key, JSON.stringify(message), "PX", RESOLVED_RETENTION_MS);
    else await this.redis.set(key, JSON.stringify(message));
  }

  /** Fingerprints waiting for delivery, oldest first. */
  async pending(limit = 100): Promise<string[]> {
    return this.redis.lrange(this.outbox, 0, limit - 1);
  }

  /**
   * Takes the alert off the outbox if nothing changed since revision `rev` was read: a change that
   * arrived while its message was being posted stays queued. Atomic in Redis.
   */
  async doneAt(fingerprint: string, rev: number): Promise<boolean> {
    const removed = await this.redis.eval(
      "if (tonumber(redis.call('GET', KEYS[1]) or '0') == tonumber(ARGV[1])) then return redis.call('LREM', KEYS[2], 1, ARGV[2]) end return -1",
      2,
      `${this.key(fingerprint)}:rev`,
      this.outbox,
      String(rev),
      fingerprint,
    );
    return removed !== -1;
  }

  /** Only one replica delivers a given alert at a time; the claim expires if that replica dies. */
  async claim(fingerprint: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.key(fingerprint)}:claim`, owner, "PX", ttlMs, "NX")) === "OK";
  }

  async release(fingerprint: string, owner: string): Promise<void> {
    const key = `${this.key(fingerprint)}:claim`;
    if ((await this.redis.get(key)) === owner) await this.redis.del(key);
  }
}
