/**
 * Every Redis connection of the bot, the worker and the CLI is made here, from REDIS_URL and, when
 * set, REDIS_SENTINELS or REDIS_CLUSTER_NODES (config.redisTopology):
 *
 * - single node: `new Redis(REDIS_URL)`;
 * - Sentinel: a `Redis` that asks the sentinels for the master of REDIS_SENTINEL_NAME, follows a
 *   failover (ioredis' failover detector) and reconnects when a demoted master answers READONLY;
 * - Cluster: an ioredis `Cluster` seeded with REDIS_CLUSTER_NODES.
 *
 * REDIS_URL still gives the user, password and TLS (`rediss://`) of the Redis nodes in every mode,
 * and the database (`/N`) for a single node and Sentinel (a Cluster has database 0 only).
 *
 * A Cluster is returned typed as `Redis`: the commands the stores use (keyed commands, MULTI and
 * pipelines on one slot, EVAL with declared keys, pub/sub, duplicate, connect, status, ping) have the
 * same signatures on both, and every key of ours shares one hash tag (config.redisKeyPrefix), so a
 * transaction or script never spans slots. SCAN, which has no key to route by, is sent to the node
 * that holds the slot of the MATCH pattern's hash tag (see `routeScan`).
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { Config } from "../config/config.js";

/** What a connection is made from: the deployment's REDIS_URL and topology. */
export type RedisSettings = Pick<Config, "redisUrl" | "redisTopology">;

/** Who uses the connection; `queue` is BullMQ's (no per-command retry limit). */
export type RedisPurpose = "app" | "worker" | "queue" | "cli";

/** ioredis' options plus who uses the connection (`role` is taken: ioredis' Sentinel role). */
export interface CreateRedisOptions extends RedisOptions {
  purpose: RedisPurpose;
}

/** User, password, database and TLS of REDIS_URL, as ioredis options. */
export function urlOptions(url: string): RedisOptions {
  const u = new URL(url);
  const db = Number(u.pathname.replace(/^\//, "") || "0");
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
  };
}

/** True for the ioredis Cluster `createRedis` returns on REDIS_CLUSTER_NODES. */
export function isCluster(redis: Redis | Cluster): redis is Cluster {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/**
 * A connection on `settings`' topology. `options` are ioredis' connection options as for a single
 * node; on a Cluster, those that belong to the cluster (lazyConnect, enableOfflineQueue,
 * retryStrategy as clusterRetryStrategy) are lifted out of the nodes' `redisOptions`.
 */
export function createRedis(settings: RedisSettings, options: CreateRedisOptions): Redis {
  const { purpose, ...rest } = options;
  // BullMQ refuses a connection with a per-command retry limit (its workers block for long).
  const own: RedisOptions = { ...rest, ...(purpose === "queue" ? { maxRetriesPerRequest: null } : {}) };
  const topology = settings.redisTopology;
  if (topology.kind === "single") return new Redis(settings.redisUrl, own);
  const fromUrl = urlOptions(settings.redisUrl);
  if (topology.kind === "sentinel") {
    return new Redis({
      ...fromUrl,
      ...own,
      sentinels: topology.sentinels,
      name: topology.name,
      ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
      // TLS of REDIS_URL is the nodes'; the sentinels are reached in plain TCP.
      ...(fromUrl.tls ? { enableTLSForSentinelMode: true } : {}),
      // A +switch-master from the sentinels reconnects at once instead of at the next error.
      failoverDetector: true,
      // A master demoted by a failover refuses writes until the connection moves to the new one.
      reconnectOnError: (err) => (err.message.startsWith("READONLY") ? 2 : false),
    });
  }
  const { lazyConnect, enableOfflineQueue, retryStrategy, ...nodeOptions } = own;
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...fromUrl, ...nodeOptions },
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) } : {}),
  };
  const cluster = new Cluster(topology.nodes, clusterOptions);
  routeScan(cluster);
  return cluster as unknown as Redis;
}

/**
 * SCAN on a Cluster goes to whichever node ioredis picks, and each node scans only its own slots.
 * Ours are all in the slot of one hash tag: the scan is sent to the master holding the slot of the
 * MATCH pattern's hash tag (`{cloudops}:alerts:*`), and refused without one.
 */
function routeScan(cluster: Cluster): void {
  const scan = async (cursor: string | number, ...args: (string | number)[]) => {
    const at = args.findIndex((a) => String(a).toUpperCase() === "MATCH");
    const pattern = at >= 0 ? String(args[at + 1] ?? "") : "";
    const tag = /^[^{]*\{([^{}]+)\}/.exec(pattern)?.[1];
    if (!tag) throw new Error(`SCAN on a Redis Cluster needs a hash-tagged MATCH pattern (got "${pattern}")`);
    const node = await nodeForSlot(cluster, keySlot(tag));
    const nodeScan = node.scan.bind(node) as unknown as (
      ...a: (string | number)[]
    ) => Promise<[string, string[]]>;
    return nodeScan(cursor, ...args);
  };
  Object.defineProperty(cluster, "scan", { value: scan, configurable: true, writable: true });
}

/** The master serving `slot`, once the cluster's slot map is known. */
async function nodeForSlot(cluster: Cluster, slot: number): Promise<Redis> {
  const find = () => {
    const key = cluster.slots[slot]?.[0];
    return key
      ? cluster.nodes("master").find((n) => `${n.options.host}:${n.options.port}` === key)
      : undefined;
  };
  let node = find();
  if (!node) {
    // Not connected yet (or the map is being refreshed): any command waits for the cluster.
    await cluster.ping();
    node = find();
  }
  if (!node) throw new Error(`no Redis Cluster node serves slot ${slot}`);
  return node;
}

/** Redis Cluster's key slot: CRC16 (XMODEM) of the hash tag, modulo 16384. */
export function keySlot(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag, "utf8")) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
