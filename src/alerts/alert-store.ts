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
    const [rawAlert, rawMessage] = await this.redis.mget(
      this.key(fingerprint),
      `${this.key(fingerprint)}:message`,
    );
    const alert = parseStored(storedAlert, rawAlert);
    if (!alert) return undefined;
    const message = parseStored(messageRef, rawMessage);
    return { alert: alert as Alert, ...(message ? { message } : {}) };
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
    if (change !== "unchanged")
      multi.lrem(this.outbox, 0, alert.fingerprint).rpush(this.outbox, alert.fingerprint);
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

  async done(fingerprint: string): Promise<void> {
    await this.redis.lrem(this.outbox, 1, fingerprint);
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
