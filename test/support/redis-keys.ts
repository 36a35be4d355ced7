/**
 * Names of the Redis keys a test run writes, shared by the tests (test/support/redis.ts) and the
 * run's clean-up check (test/support/redis-keys-setup.ts). Every key of a run starts with
 * `cloudops-test.<runId>.`: two copies of the suite on one Redis never share a key, and what a run
 * left behind can be counted. Only letters, digits, `.`, `-` and `_`, so a prefix also passes as the
 * bot's REDIS_PREFIX to a child process.
 */
import type { Redis } from "ioredis";

export const TEST_KEY_ROOT = "cloudops-test";

/** The prefix of every key of run `runId`. */
export const runKeyPrefix = (runId: string): string => `${TEST_KEY_ROOT}.${runId}.`;

/** Keys matching the glob `pattern`, by SCAN (never KEYS: the Redis may be a user's, and large). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    for (const k of batch) keys.add(k);
    cursor = next;
  } while (cursor !== "0");
  return [...keys];
}

/** Deletes every key under `prefix`; returns how many. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  const keys = await scanKeys(redis, `${prefix}*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  return keys.length;
}
