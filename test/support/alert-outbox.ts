/** Waiting for the app's alert delivery to finish, instead of sleeping and hoping it has. */
import type { TestApp } from "./app.js";
import { testRedis } from "./redis.js";
import { until } from "./until.js";

/**
 * Resolves once the app's alert outbox is empty. A group leaves the outbox only after its message,
 * update and thread lines went out (and stays while in its group wait or backing off), so after this
 * every delivery asked for so far has happened: what was not posted by now will not be.
 */
export async function outboxDrained(app: Pick<TestApp, "redisPrefix">, timeoutMs?: number): Promise<void> {
  const redis = testRedis();
  try {
    await until(
      "the alert outbox to drain",
      async () => (await redis.llen(`${app.redisPrefix}:alerts:outbox`)) === 0,
      timeoutMs,
    );
  } finally {
    redis.disconnect();
  }
}
