/**
 * The anomaly store for `cloudops ask`: the same Redis keys as the bot (REDIS_URL, REDIS_PREFIX), but
 * connected only when an answer first reads it, so questions that need no anomaly results never
 * load ioredis nor open a connection. One connection attempt, capped at a short timeout: a dead or
 * unreachable Redis makes every read reject with StoreUnavailableError, which the answer reports,
 * instead of a CLI that hangs or answers as if no scan had run.
 */
import type { Redis } from "ioredis";
import type { AnomalyStore } from "../anomaly/anomaly-store.js";
import { describeRedisUrl, StoreUnavailableError } from "../anomaly/store-errors.js";
import type { RedisTopology } from "../config/config.js";

export interface LazyAnomalyStoreOptions {
  redisUrl: string;
  /** REDIS_SENTINELS or REDIS_CLUSTER_NODES (config.redisTopology); default: the node of `redisUrl`. */
  topology?: RedisTopology;
  /** The deployment's key prefix (config.redisPrefix); the store lives under `${prefix}:anomaly`. */
  prefix: string;
  connectTimeoutMs?: number;
}

export interface LazyAnomalyStore {
  store: AnomalyStore;
  /** True once a read has asked for the connection. */
  readonly opened: boolean;
  /** Closes the connection, if one was opened, so the process can exit at once. */
  close(): Promise<void>;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;

function reasonOf(e: unknown, timeoutMs: number): string {
  const code = (e as { code?: string }).code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ETIMEDOUT") return `no answer within ${timeoutMs / 1000} s`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  return e instanceof Error ? e.message : String(e);
}

export function lazyAnomalyStore(opts: LazyAnomalyStoreOptions): LazyAnomalyStore {
  const where = describeRedisUrl(opts.redisUrl);
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let client: Redis | undefined;
  let opening: Promise<AnomalyStore> | undefined;

  const open = async (): Promise<AnomalyStore> => {
    const [{ createRedis }, { AnomalyStore }] = await Promise.all([
      import("../redis/connect.js"),
      import("../anomaly/anomaly-store.js"),
    ]);
    const settings = { redisUrl: opts.redisUrl, redisTopology: opts.topology ?? { kind: "single" as const } };
    const redis = createRedis(settings, {
      purpose: "cli",
      lazyConnect: true,
      connectTimeout: timeoutMs,
      // One attempt and no queue: a lost connection fails the read now rather than retrying forever.
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      // A server that never closes its side would hold the process open this long after disconnect.
      disconnectTimeout: 100,
    });
    client = redis;
    // Failures reach the caller through the rejected reads; the event carries the cause (ECONNREFUSED
    // …) that connect() itself reports only as "Connection is closed".
    let cause: unknown;
    redis.on("error", (e: unknown) => {
      cause ??= e;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })), timeoutMs);
    });
    try {
      await Promise.race([redis.connect(), timeout]);
    } catch (e) {
      redis.disconnect();
      throw new StoreUnavailableError(where, reasonOf(cause ?? e, timeoutMs), { cause: cause ?? e });
    } finally {
      clearTimeout(timer);
    }
    return new AnomalyStore(redis, `${opts.prefix}:anomaly`);
  };

  // A proxy rather than a subclass: every read the store has (or gains) goes through the same
  // connect-once path, and an unreachable Redis surfaces as one typed error whatever was called.
  const store = new Proxy({} as AnomalyStore, {
    get(_target, name) {
      if (name === "then") return undefined; // not a thenable: `await store` must not call into Redis
      return async (...args: unknown[]) => {
        opening ??= open();
        const real = await opening;
        const method = (real as unknown as Record<PropertyKey, unknown>)[name];
        if (typeof method !== "function") throw new TypeError(`AnomalyStore has no method ${String(name)}`);
        try {
          return await method.apply(real, args);
        } catch (e) {
          // A reply error is Redis answering; anything while the connection is gone is Redis missing.
          if (client && client.status !== "ready" && (e as Error).name !== "ReplyError")
            throw new StoreUnavailableError(where, reasonOf(e, timeoutMs), { cause: e });
          throw e;
        }
      };
    },
  });

  return {
    store,
    get opened() {
      return opening !== undefined;
    },
    async close() {
      await opening?.catch(() => undefined);
      if (!client) return;
      if (client.status === "ready") await client.quit().catch(() => client?.disconnect());
      else client.disconnect();
    },
  };
}
