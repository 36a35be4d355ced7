/**
 * Redis for tests: every test writes under its own prefix from `testPrefix`, below the run's root
 * (see redis-keys.ts), and removes its keys when done; the run fails if any are left.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { deleteKeys, runKeyPrefix } from "./redis-keys.js";

/**
 * A prefix no other test, and no other run, shares: `cloudops-test.<runId>.<name>.<random>`.
 * At most 64 characters of `[A-Za-z0-9_.-]`, so it is also a valid REDIS_PREFIX.
 */
export function testPrefix(name: string): string {
  const label = name.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 24);
  return `${runKeyPrefix(inject("redisRunId"))}${label}.${randomBytes(3).toString("hex")}`;
}

/** A connection to the run's Redis. */
export function testRedis(): Redis {
  return new Redis(inject("redisUrl"));
}

/** Deletes every key under `prefix` (a test's own prefix, or one it derived from it). */
export async function dropKeys(prefix: string): Promise<void> {
  const redis = testRedis();
  try {
    await deleteKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix` and closes the connection. */
export async function dropKeysAndDisconnect(redis: Redis, prefix: string): Promise<void> {
  try {
    await deleteKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
