/**
 * Child process of the scale bench, so its memory is the pipeline's alone: fetch the training window
 * of every host, train one model per host, save them to Redis, fetch a scan window and score every
 * host. Prints per-stage seconds and peak RSS as JSON. Runs the built code (dist/, as `cloudops
 * worker` does in production, training threads included), not the TypeScript sources.
 *
 * With MODE `fetch` (Prometheus also holding the recorded features), it times the training and scan
 * windows' fetch both ways instead: raw queries, and the service's own path (FeatureSources), which
 * finds the recording rules and reads their series.
 */
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { deleteKeys } from "../../test/support/redis-keys.js";

const built = (module: string) => new URL(`../../dist/${module}.js`, import.meta.url).href;
const { AnomalyService } = (await import(
  built("anomaly/anomaly-service")
)) as typeof import("../../src/anomaly/anomaly-service.js");
const { AnomalyStore } = (await import(
  built("anomaly/anomaly-store")
)) as typeof import("../../src/anomaly/anomaly-store.js");
const { fetchFeatures } = (await import(
  built("anomaly/feature-fetch")
)) as typeof import("../../src/anomaly/feature-fetch.js");
const { FeatureSources } = (await import(
  built("anomaly/feature-source")
)) as typeof import("../../src/anomaly/feature-source.js");
const { PrometheusClient } = (await import(
  built("metrics/prometheus-client")
)) as typeof import("../../src/metrics/prometheus-client.js");

const [promUrl, end, redisUrl, mode = "pipeline"] = process.argv.slice(2);
if (!promUrl || !end) throw new Error("usage: scale-run PROM_URL END [REDIS_URL] [pipeline|fetch]");
const END = Number(end);

interface Stage {
  stage: string;
  seconds: number;
  peakRssMb: number;
  queries?: number;
}
const stages: Stage[] = [];
let peak = 0;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage.rss());
};
// Training is synchronous between batch saves, so the sampler also runs at every await.
const timer = setInterval(sample, 5);
async function stage<T>(name: string, run: () => Promise<T> | T, queries?: (r: T) => number): Promise<T> {
  peak = process.memoryUsage.rss();
  const t0 = performance.now();
  const r = await run();
  sample();
  stages.push({
    stage: name,
    seconds: (performance.now() - t0) / 1000,
    peakRssMb: peak / 2 ** 20,
    ...(queries ? { queries: queries(r) } : {}),
  });
  return r;
}

const client = new PrometheusClient({
  environment: "bench",
  baseUrl: promUrl,
  timeoutMs: 60_000,
  retries: 1,
  cacheTtlMs: 0,
});
if (mode === "fetch") {
  type Window = Awaited<ReturnType<typeof fetchFeatures>>;
  /** Grid points with a value, over all hosts and features. */
  const points = (w: Window) => {
    let n = 0;
    for (const series of w.hosts.values())
      for (const c of series) for (const v of c) if (!Number.isNaN(v)) n++;
    return n;
  };
  const logged: string[] = [];
  const sources = new FeatureSources({ logger: { info: (_fields, message) => logged.push(message) } });
  const week = { start: END - 7 * 86400, end: END, step: 300 };
  const scanRange = { start: END - 3900, end: END, step: 60 };
  const counts: Record<string, { hosts: number; points: number }> = {};
  const keep = (name: string, w: Window) => {
    counts[name] = { hosts: w.hosts.size, points: points(w) };
    w.hosts.clear();
  };
  keep(
    "fetch 7 days, raw queries",
    await stage(
      "fetch 7 days, raw queries",
      () => fetchFeatures(client, week, { rateWindowSeconds: 300 }),
      (w) => w.queries,
    ),
  );
  keep(
    "fetch 7 days, recording rules",
    await stage(
      "fetch 7 days, recording rules",
      () => sources.fetch(client, week, { rateWindowSeconds: 300 }),
      (w) => w.queries,
    ),
  );
  keep(
    "fetch scan window, raw queries",
    await stage(
      "fetch scan window, raw queries",
      () => fetchFeatures(client, scanRange, { rateWindowSeconds: 300 }),
      (w) => w.queries,
    ),
  );
  keep(
    "fetch scan window, recording rules",
    await stage(
      "fetch scan window, recording rules",
      () => sources.fetch(client, scanRange, { rateWindowSeconds: 300 }),
      (w) => w.queries,
    ),
  );
  clearInterval(timer);
  process.stdout.write(
    JSON.stringify({ stages, counts, logged, maxRssMb: process.resourceUsage().maxRSS / 1024 }),
  );
  process.exit(0);
}

const redis = new Redis(redisUrl ?? "redis://127.0.0.1:6379");
const prefix = `bench-scale-${process.pid}`;
const store = new AnomalyStore(redis, prefix);
const service = new AnomalyService(store, { now: () => END * 1000 });
const window = await stage(
  "fetch 7 days",
  () => fetchFeatures(client, { start: END - 7 * 86400, end: END, step: 300 }, { rateWindowSeconds: 300 }),
  (w) => w.queries,
);
const hosts = window.hosts.size;
const trained = await stage("train and save models", () => service.trainFrom("bench", window));
window.hosts.clear();
const scanWindow = await stage(
  "fetch scan window",
  // The service's default scan window: the newest point and the hour the temporal part compares it with.
  () => fetchFeatures(client, { start: END - 3900, end: END, step: 60 }, { rateWindowSeconds: 300 }),
  (w) => w.queries,
);
const scan = await stage("first scan: load models and score", () => service.scanFrom("bench", scanWindow));
await stage("next scans: score (models cached)", () => service.scanFrom("bench", scanWindow));
// Every key of this run (models, scores and the findings, which clear() leaves as they are kept per store).
await deleteKeys(redis, `${prefix}:`);
redis.disconnect();
const scores = scan.scores;
if (trained.hosts !== hosts) throw new Error(`trained ${trained.hosts} of ${hosts} hosts`);
clearInterval(timer);
process.stdout.write(
  JSON.stringify({
    hosts,
    scored: scores.length,
    anomalous: scores.filter((s) => s.anomalous).map((s) => s.instance),
    stages,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
