/** Redis clean-up for tests that write under their own key prefix. */
import type { Redis } from "ioredis";

/** Deletes every key under `prefix` and closes the connection. */
export async function dropKeysAndDisconnect(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
