/**
 * REDIS_SENTINELS, REDIS_SENTINEL_NAME, REDIS_SENTINEL_PASSWORD and REDIS_CLUSTER_NODES: parsed into
 * config.redisTopology, refused with one line naming the variable, the Cluster prefix made one hash
 * tag; and the connections createRedis makes from them (options only: nothing connects here).
 */
import { Cluster, Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { loadConfig, redisKeyPrefix } from "../../src/config/config.js";
import { createRedis, isCluster, keySlot, urlOptions } from "../../src/redis/connect.js";

const errorOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    return (e as Error).message;
  }
  return "";
};

describe("Redis topology configuration", () => {
  it("is one node by default, with the prefix as given", () => {
    const c = loadConfig({});
    expect(c.redisTopology).toEqual({ kind: "single" });
    expect(c.redisPrefix).toBe("cloudops");
  });

  it("reads sentinels, the master group name (default mymaster) and the sentinels' password", () => {
    const c = loadConfig({
      REDIS_SENTINELS: "10.0.0.1:26379, sentinel-b:26380,[::1]:26381",
      REDIS_SENTINEL_PASSWORD: "s3cret",
    });
    expect(c.redisTopology).toEqual({
      kind: "sentinel",
      name: "mymaster",
      sentinelPassword: "s3cret",
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "sentinel-b", port: 26380 },
        { host: "::1", port: 26381 },
      ],
    });
    expect(c.redisPrefix).toBe("cloudops");
    expect(
      loadConfig({ REDIS_SENTINELS: "s:26379", REDIS_SENTINEL_NAME: "cache-1" }).redisTopology,
    ).toMatchObject({ name: "cache-1" });
  });

  it("reads cluster nodes and makes the prefix one hash tag (kept when it already is one)", () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: "redis-0:6379,redis-1:6379", REDIS_PREFIX: "ops" });
    expect(c.redisTopology).toEqual({
      kind: "cluster",
      nodes: [
        { host: "redis-0", port: 6379 },
        { host: "redis-1", port: 6379 },
      ],
    });
    expect(c.redisPrefix).toBe("{ops}");
    expect(loadConfig({ REDIS_CLUSTER_NODES: "r:6379", REDIS_PREFIX: "{ops}" }).redisPrefix).toBe("{ops}");
    expect(loadConfig({ REDIS_CLUSTER_NODES: "r:6379" }).redisPrefix).toBe("{cloudops}");
    expect(redisKeyPrefix("ops", { kind: "single" })).toBe("ops");
  });

  it.each([
    [
      { REDIS_SENTINELS: "a:1", REDIS_CLUSTER_NODES: "b:2" },
      /^Invalid configuration: REDIS_CLUSTER_NODES cannot be set together with REDIS_SENTINELS/,
    ],
    [
      { REDIS_SENTINELS: "sentinel" },
      /^Invalid configuration: REDIS_SENTINELS must be host:port,host:port \(got "sentinel"\)/,
    ],
    [
      { REDIS_CLUSTER_NODES: "a:6379,b:99999" },
      /REDIS_CLUSTER_NODES must be host:port,host:port \(got "b:99999"\)/,
    ],
    [{ REDIS_SENTINEL_PASSWORD: "x" }, /REDIS_SENTINEL_PASSWORD is set but REDIS_SENTINELS is not/],
    [{ REDIS_SENTINELS: "a:1", REDIS_SENTINEL_NAME: "my master" }, /REDIS_SENTINEL_NAME must be 1-128/],
    [
      { REDIS_CLUSTER_NODES: "a:6379", REDIS_URL: "redis://a:6379/2" },
      /REDIS_URL selects database 2, but a Redis Cluster \(REDIS_CLUSTER_NODES\) has database 0 only/,
    ],
    [{ REDIS_PREFIX: "{a}b" }, /REDIS_PREFIX must be 1-64 letters/],
  ])("refuses %o", (env, message) => {
    expect(errorOf(env)).toMatch(message);
  });
});

describe("createRedis", () => {
  it("takes user, password, database and TLS from REDIS_URL", () => {
    expect(urlOptions("rediss://bot:p%40ss@redis:6380/3")).toEqual({
      username: "bot",
      password: "p@ss",
      db: 3,
      tls: {},
    });
    expect(urlOptions("redis://127.0.0.1:6379")).toEqual({});
  });

  it("makes a Sentinel client that follows failovers, with the nodes' password from REDIS_URL", () => {
    const c = loadConfig({
      REDIS_URL: "redis://:nodepass@ignored:1/1",
      REDIS_SENTINELS: "127.0.0.1:26379",
      REDIS_SENTINEL_NAME: "main",
      REDIS_SENTINEL_PASSWORD: "sentpass",
    });
    const r = createRedis(c, { purpose: "queue", lazyConnect: true, maxRetriesPerRequest: 3 });
    try {
      expect(r).toBeInstanceOf(Redis);
      expect(isCluster(r)).toBe(false);
      expect(r.options).toMatchObject({
        sentinels: [{ host: "127.0.0.1", port: 26379 }],
        name: "main",
        password: "nodepass",
        sentinelPassword: "sentpass",
        db: 1,
        failoverDetector: true,
        // BullMQ's connection never limits retries.
        maxRetriesPerRequest: null,
      });
      expect(
        r.options.reconnectOnError?.(new Error("READONLY You can't write against a read only replica.")),
      ).toBe(2);
      expect(r.options.reconnectOnError?.(new Error("WRONGTYPE"))).toBe(false);
    } finally {
      r.disconnect();
    }
  });

  it("makes a Cluster client: cluster-wide options lifted out of the nodes' options", () => {
    const c = loadConfig({
      REDIS_URL: "redis://:pw@x:1",
      REDIS_CLUSTER_NODES: "127.0.0.1:7000,127.0.0.1:7001",
    });
    const r = createRedis(c, {
      purpose: "app",
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 2,
      retryStrategy: (n) => n * 7,
    });
    try {
      expect(isCluster(r)).toBe(true);
      const cluster = r as unknown as Cluster;
      expect(cluster).toBeInstanceOf(Cluster);
      expect(cluster.options).toMatchObject({ lazyConnect: true, enableOfflineQueue: false });
      expect(cluster.options.clusterRetryStrategy?.(3)).toBe(21);
      expect(cluster.options.redisOptions).toMatchObject({ password: "pw", maxRetriesPerRequest: 2 });
      expect(cluster.options.redisOptions).not.toHaveProperty("retryStrategy");
    } finally {
      r.disconnect();
    }
  });

  it("refuses SCAN on a Cluster without a hash-tagged MATCH (it could not know which node to ask)", async () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: "127.0.0.1:7000" });
    const r = createRedis(c, { purpose: "app", lazyConnect: true });
    try {
      await expect(r.scan("0", "MATCH", "cloudops:*")).rejects.toThrow(/hash-tagged MATCH pattern/);
    } finally {
      r.disconnect();
    }
  });

  it("computes Redis Cluster key slots (CRC16 XMODEM mod 16384)", () => {
    // Values from the Redis Cluster specification's reference implementation.
    expect(keySlot("123456789")).toBe(0x31c3 % 16384);
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("")).toBe(0);
  });
});
