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
  /**
   * Label equality matchers; an alert matches when it has every one. A value "" matches an alert
   * without that label (Alertmanager's `label=""`).
   */
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

/** Whether a silence with these matchers could match anything but every alert. */
export function hasNonEmptyMatcher(matchers: Record<string, string>): boolean {
  return Object.values(matchers).some((v) => v !== "");
}

/**
 * Whether a silence's matchers cover an alert's labels. Matchers that are all empty would cover
 * every alert (an empty `every()` is true): such a silence (refused since, but perhaps stored by an
 * earlier version) matches nothing.
 */
export function silenceMatches(matchers: Record<string, string>, labels: Record<string, string>): boolean {
  return hasNonEmptyMatcher(matchers) && Object.entries(matchers).every(([k, v]) => (labels[k] ?? "") === v);
}

/** Thrown for a silence that would match every alert. */
export class SilenceTooBroad extends Error {
  constructor() {
    super("a silence needs at least one matcher with a value; this one would match every alert");
    this.name = "SilenceTooBroad";
  }
}

/** Longest silence (chat allows 30 days). */
export const MAX_SILENCE_MS = 30 * 86_400_000;

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

  /** @throws {SilenceTooBroad} when no matcher has a value. */
  async create(s: Omit<Silence, "id">): Promise<Silence> {
    if (!hasNonEmptyMatcher(s.matchers)) throw new SilenceTooBroad();
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
      // Bounded (MAX_ACTIVE, ended ones taken off); every silence in it ends within MAX_SILENCE_MS of
      // its creation, so the index may go once the newest has ended and been taken off.
      .pexpire(this.byEnd, MAX_SILENCE_MS + 86_400_000)
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
    return (await this.active(now)).find((s) => silenceMatches(s.matchers, labels));
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
