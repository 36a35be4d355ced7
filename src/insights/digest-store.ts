/**
 * Channels' digests in Redis, one per conversation (platform + channel or Teams conversation id):
 * its schedule, who set it and when. Kept in one hash, so a restarted bot, or another replica, finds
 * every digest and re-creates its job scheduler from it.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { parseStored } from "../redis/parse-stored.js";
import { type DigestSchedule, digestScheduleSchema } from "./digest-schedule.js";

/** Where a digest is posted: Slack channel (or DM) id, or Teams conversation id. */
export interface DigestPlace {
  platform: "slack" | "teams";
  channel: string;
}

export interface StoredDigest extends DigestPlace {
  schedule: DigestSchedule;
  /** Who set it, as the audit log names them. */
  setBy: string;
  setAt: number;
}

const storedDigestSchema = z.object({
  platform: z.enum(["slack", "teams"]),
  channel: z.string().min(1).max(400),
  schedule: digestScheduleSchema,
  setBy: z.string().max(200),
  setAt: z.number(),
});

/** Most digests kept: one per channel, and no deployment has more channels that want one. */
export const MAX_DIGESTS = 500;

export const placeKey = (p: DigestPlace) => `${p.platform}:${p.channel}`;

export class DigestStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async get(place: DigestPlace): Promise<StoredDigest | undefined> {
    return parseStored(storedDigestSchema, await this.redis.hget(this.key, placeKey(place))) as
      | StoredDigest
      | undefined;
  }

  /** Saves the digest; false when the limit is reached and this channel had none. */
  async put(digest: StoredDigest): Promise<boolean> {
    const field = placeKey(digest);
    if (!(await this.redis.hexists(this.key, field)) && (await this.redis.hlen(this.key)) >= MAX_DIGESTS)
      return false;
    await this.redis.hset(this.key, field, JSON.stringify(digest));
    return true;
  }

  /** Removes the channel's digest; whether there was one. */
  async remove(place: DigestPlace): Promise<boolean> {
    return (await this.redis.hdel(this.key, placeKey(place))) > 0;
  }

  /** Every stored digest that reads back valid (anything else is skipped, never trusted). */
  async all(): Promise<StoredDigest[]> {
    const raw = await this.redis.hgetall(this.key);
    return Object.values(raw)
      .map((t) => parseStored(storedDigestSchema, t) as StoredDigest | undefined)
      .filter((d): d is StoredDigest => d !== undefined);
  }
}
