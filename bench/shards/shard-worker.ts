/**
 * A worker process of the shards bench: the production anomaly workers (startAnomalyWorkers, the
 * service and the store, as `cloudops worker` runs them) from the built code in dist/, without the
 * schedulers, so the bench adds each run itself. Its clock is fixed at END so every scan reads the
 * same window. Prints "ready" once its workers run; SIGTERM closes them.
 *
 * Usage: shard-worker PROM_URL REDIS_URL PREFIX NAME END SHARDS
 */
const built = (module: string) => new URL(`../../dist/${module}.js`, import.meta.url).href;
const { startAnomalyWorkers } = (await import(
  built("jobs/anomaly-jobs")
)) as typeof import("../../src/jobs/anomaly-jobs.js");
const { AnomalyService } = (await import(
  built("anomaly/anomaly-service")
)) as typeof import("../../src/anomaly/anomaly-service.js");
const { AnomalyStore } = (await import(
  built("anomaly/anomaly-store")
)) as typeof import("../../src/anomaly/anomaly-store.js");
const { Environments } = (await import(
  built("metrics/environments")
)) as typeof import("../../src/metrics/environments.js");
const { silentLogger } = (await import(
  built("observability/logger")
)) as typeof import("../../src/observability/logger.js");
const { Redis } = await import("ioredis");

const [promUrl, redisUrl, prefix, name, end, shards] = process.argv.slice(2);
if (!promUrl || !redisUrl || !prefix || !name || !end || !shards)
  throw new Error("usage: shard-worker PROM_URL REDIS_URL PREFIX NAME END SHARDS");
const redis = new Redis(redisUrl);
const store = new AnomalyStore(redis, `${prefix}:anomaly`);
const service = new AnomalyService(store, { now: () => Number(end) * 1000 });
const workers = startAnomalyWorkers(
  {
    environments: new Environments({
      environments: [{ name: "default", url: promUrl }],
      timeoutMs: 60_000,
      retries: 1,
      cacheTtlMs: 0,
    }),
    service,
    store,
    logger: silentLogger(),
  },
  {
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    prefix: `${prefix}:bull`,
    scanEveryMs: 60_000,
    trainEveryMs: 3_600_000,
    lockDurationMs: 60_000,
    shards: shards === "auto" ? "auto" : Number(shards),
    workerName: name,
  },
);
process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  workers.close().finally(() => {
    redis.disconnect();
    process.exit(0);
  });
});
