/**
 * Silences in Redis: label matchers and an end time. An alert matching an active silence is recorded
 * but posts nothing; when the silence ends, the groups it covered are brought up to date.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { parseStored } from "../redis/parse-stored.js";

export interface Silence {
  id: string;
  /** Label equality matchers; an alert matches when it has every one. */
  matchers: Record<string, string>;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  /** Groups silenced from their message, updated when the silence ends. */
  groups: string[];
  /** The matching silence created in Alertmanager, if any. */
  alertmanagerId?: string;
}

const silenceSchema = z.object({
  id: z.string(),
  matchers: z.record(z.string(), z.string()),
  startsAt: z.number(),
  endsAt: z.number(),
  createdBy: z.string(),
  comment: z.string(),
  groups: z.array(z.string()),
  alertmanagerId: z.string().optional(),
});

/** Silences are limited in number so matching stays cheap on every alert. */
const MAX_ACTIVE = 1000;

export class SilenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private get byEnd() {
    return `${this.prefix}:silences:by-end`;
  }
  private key(id: string) {
    return `${this.prefix}:silence:${id}`;
  }

  async create(s: Omit<Silence, "id">): Promise<Silence> {
    if ((await this.redis.zcard(this.byEnd)) >= MAX_ACTIVE)
      throw new Error(`too many active silences (${MAX_ACTIVE}); expire or remove some first`);
    const silence: Silence = { ...s, id: randomBytes(4).toString("hex") };
    await this.redis
      .multi()
      .set(
        this.key(silence.id),
        JSON.stringify(silence),
        "PX",
        Math.max(1, s.endsAt - Date.now()) + 86_400_000,
      )
      .zadd(this.byEnd, silence.endsAt, silence.id)
      .exec();
    return silence;
  }

  async get(id: string): Promise<Silence | undefined> {
    if (!/^[0-9a-f]{8}$/.test(id)) return undefined;
    return parseStored(silenceSchema, await this.redis.get(this.key(id)));
  }

  async setAlertmanagerId(silence: Silence, alertmanagerId: string): Promise<void> {
    await this.redis.set(this.key(silence.id), JSON.stringify({ ...silence, alertmanagerId }), "KEEPTTL");
  }

  /** Active silences (ended ones are left for {@link takeExpired}). */
  async active(now = Date.now()): Promise<Silence[]> {
    const ids = await this.redis.zrangebyscore(this.byEnd, now + 1, "+inf");
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(ids.map((id) => this.key(id)));
    return texts.map((t) => parseStored(silenceSchema, t)).filter((s): s is Silence => s !== undefined);
  }

  /** The active silence covering these labels, if any. */
  async matching(labels: Record<string, string>, now = Date.now()): Promise<Silence | undefined> {
    return (await this.active(now)).find((s) =>
      Object.entries(s.matchers).every(([k, v]) => (labels[k] ?? "") === v),
    );
  }

  /** Ends a silence now (the caller updates what it covered); undefined when there is none by that id. */
  async expire(id: string, now = Date.now()): Promise<Silence | undefined> {
    const s = await this.get(id);
    if (!s) return undefined;
    await this.redis.zrem(this.byEnd, id);
    return { ...s, endsAt: now };
  }

  /**
   * Silences that have ended, each handed to exactly one caller (replicas race for them with ZREM).
   */
  async takeExpired(now = Date.now()): Promise<Silence[]> {
    const ids = await this.redis.zrangebyscore(this.byEnd, "-inf", now, "LIMIT", 0, 100);
    const out: Silence[] = [];
    for (const id of ids) {
      if ((await this.redis.zrem(this.byEnd, id)) !== 1) continue;
      const s = await this.get(id);
      if (s) out.push(s);
    }
    return out;
  }
}
