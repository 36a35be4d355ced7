/** The CLI's anomaly store: connects on first read only, and an unreachable Redis is one typed error. */
import { afterAll, describe, expect, inject, it } from "vitest";
import { AnomalyStore } from "../../src/anomaly/anomaly-store.js";
import { describeRedisUrl, StoreUnavailableError } from "../../src/anomaly/store-errors.js";
import { lazyAnomalyStore } from "../../src/cli/lazy-anomaly-store.js";
import { deadUrl } from "../fakes/broken-prometheus.js";
import { dropKeysAndDisconnect, testPrefix, testRedis } from "../support/redis.js";

describe("lazyAnomalyStore", () => {
  const prefix = testPrefix("cli-lazy-store");
  const redis = testRedis();

  afterAll(async () => {
    await dropKeysAndDisconnect(redis, prefix);
  });

  it("opens nothing until a read, then reads what the bot's store wrote under the same prefix", async () => {
    await new AnomalyStore(redis, `${prefix}:anomaly`).recordScan("prod", [], 1_700_000_000_000);
    const lazy = lazyAnomalyStore({ redisUrl: inject("redisUrl"), prefix });
    expect(lazy.opened).toBe(false);
    try {
      const status = await lazy.store.status("prod");
      expect(lazy.opened).toBe(true);
      expect(status.lastScanAt).toBe(1_700_000_000_000);
      expect(await lazy.store.latest("prod")).toEqual([]);
    } finally {
      await lazy.close();
    }
  });

  it("closing a store never read is a no-op", async () => {
    const lazy = lazyAnomalyStore({ redisUrl: "redis://127.0.0.1:1", prefix });
    await lazy.close();
    expect(lazy.opened).toBe(false);
  });

  it("rejects every read with StoreUnavailableError naming the server and the reason", async () => {
    const url = (await deadUrl()).replace("http:", "redis:");
    const lazy = lazyAnomalyStore({ redisUrl: url, prefix });
    try {
      const error = await lazy.store.status("prod").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).where).toBe(`Redis at ${new URL(url).host}`);
      expect((error as StoreUnavailableError).reason).toBe("connection refused");
      // Later reads fail the same way, without a second attempt hanging.
      await expect(lazy.store.latest("prod")).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await lazy.close();
    }
  });

  it("is not a thenable, so awaiting it does not touch Redis", async () => {
    const lazy = lazyAnomalyStore({ redisUrl: "redis://127.0.0.1:1", prefix });
    expect(await Promise.resolve(lazy.store)).toBe(lazy.store);
    expect(lazy.opened).toBe(false);
  });
});

describe("describeRedisUrl", () => {
  it("names host and port, never the password", () => {
    expect(describeRedisUrl("redis://:s3cret@cache.internal:6380/2")).toBe("Redis at cache.internal:6380");
    expect(describeRedisUrl("redis://user:s3cret@10.0.0.5")).toBe("Redis at 10.0.0.5:6379");
    expect(describeRedisUrl("not a url")).toBe("Redis");
  });
});
