/**
 * Sharded anomaly scans and training on real BullMQ, Redis and a backfilled Prometheus: a fleet split
 * by a stable hash of the instance, each shard its own job; two workers on one prefix both take
 * shards; the results equal an unsharded scan's; a shard whose worker is killed (SIGKILL of a built
 * `cloudops worker`) is redone by the other worker and the scan completes with every host scored once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { parser } from "@prometheus-io/lezer-promql";
import { type Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AnomalyService } from "../../src/anomaly/anomaly-service.js";
import { AnomalyStore, type ScanChanges } from "../../src/anomaly/anomaly-store.js";
import { FEATURES, featureQuery } from "../../src/anomaly/features.js";
import { fnv1a, shardCount, shardOf, splitFleet, withInstanceFilter } from "../../src/anomaly/shards.js";
import { loadConfig } from "../../src/config/config.js";
import {
  type AnomalyWorkers,
  SCAN_QUEUE,
  SCAN_SHARD_QUEUE,
  type ScanShardResult,
  startAnomalyWorkers,
  TRAIN_QUEUE,
} from "../../src/jobs/anomaly-jobs.js";
import { Environments } from "../../src/metrics/environments.js";
import { silentLogger } from "../../src/observability/logger.js";
import { builtCli, CLI } from "../cli/built-cli.js";
import { type SlowProxy, startSlowProxy } from "../fakes/slow-proxy.js";
import { fleetHost, writeFleet } from "../support/fleet-fixture.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";
import { until } from "../support/until.js";

const HOSTS = 12;
const BURST_HOST = 5;
const BURST = `${fleetHost(BURST_HOST)}:9100`;
const FLEET = Array.from({ length: HOSTS }, (_, i) => `${fleetHost(i)}:9100`).sort();
/** The fleet's data runs this far past the wall clock, so a worker scoring "now" finds fresh points. */
const AHEAD = 900;
const prefix = testPrefix("anomaly-shards");
let prom: PrometheusProcess;
let proxy: SlowProxy;
let redis: Redis;
/** A minute inside the fleet's data, for the workers whose clock the test sets. */
let NOW: number;
const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const cli = builtCli();
  const end = Math.floor(Date.now() / 60_000) * 60 + AHEAD;
  NOW = (end - AHEAD) * 1000;
  prom = await startBackfilledPrometheus(
    await writeFleet({
      hosts: HOSTS,
      end,
      days: 1,
      stepSeconds: 60,
      // The burst covers the 10 minutes before the test's clock and the fleet's time past it.
      burst: { host: BURST_HOST, secondsBeforeEnd: 600 + AHEAD },
    }),
  );
  proxy = await startSlowProxy(prom.url, "/api/v1/query_range", 0);
  redis = new Redis(inject("redisUrl"));
  await cli;
}, 300_000);

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  for (const close of closers.reverse()) await close();
  await proxy?.close();
  await prom?.stop();
  await dropKeysAndDisconnect(redis, prefix);
}, 60_000);

const connection = () => ({ url: inject("redisUrl"), maxRetriesPerRequest: null });

function environments(url: string): Environments {
  return new Environments({
    environments: [{ name: "default", url }],
    timeoutMs: 20_000,
    retries: 1,
    cacheTtlMs: 0,
  });
}

interface WorkerSet {
  workers: AnomalyWorkers;
  /** Shards this worker set scanned. */
  scanned: number[];
  trained: number[];
  changes: ScanChanges[];
}

/** The production workers (startAnomalyWorkers) on `sub`'s queues, with a shard-counting service. */
function startWorkerSet(sub: string, url: string, shards: number, now?: () => number): WorkerSet {
  const store = new AnomalyStore(redis, `${prefix}.${sub}:anomaly`);
  const service = new AnomalyService(store, { ...(now ? { now } : {}), trainThreads: 1 });
  const set: WorkerSet = { scanned: [], trained: [], changes: [] } as unknown as WorkerSet;
  const scanShard = service.scanShard.bind(service);
  service.scanShard = async (env, client, shard, at, signal) => {
    const r = await scanShard(env, client, shard, at, signal);
    set.scanned.push(shard.index);
    return r;
  };
  const trainShard = service.trainShard.bind(service);
  service.trainShard = async (env, client, plan, shard, signal) => {
    const r = await trainShard(env, client, plan, shard, signal);
    set.trained.push(shard.index);
    return r;
  };
  set.workers = startAnomalyWorkers(
    {
      environments: environments(url),
      service,
      store,
      logger: silentLogger(),
      onScanChanges: (_env, c) => {
        set.changes.push(c);
      },
    },
    {
      connection: connection(),
      prefix: `${prefix}.${sub}:bull`,
      scanEveryMs: 60_000,
      trainEveryMs: 3_600_000,
      lockDurationMs: 3000,
      shards,
    },
  );
  closers.push(() => set.workers.close());
  return set;
}

async function runJob(sub: string, queueName: string, jobId: string): Promise<Job> {
  const queue = new Queue(queueName, { connection: connection(), prefix: `${prefix}.${sub}:bull` });
  closers.push(() => queue.close());
  {
    await queue.add(queueName === SCAN_QUEUE ? "scan" : "train", { environment: "default" }, { jobId });
    let job: Job | undefined;
    await until(
      `${queueName} job ${jobId} to complete`,
      async () => {
        job = await queue.getJob(jobId);
        if (job?.failedReason) throw new Error(`job ${jobId} failed: ${job.failedReason}`);
        return job?.finishedOn !== undefined;
      },
      240_000,
      200,
    );
    return job as Job;
  }
}

describe("shards", () => {
  it("puts every host in one shard by a stable hash, and 'auto' makes one shard per ~400 hosts", () => {
    // FNV-1a 32-bit reference values.
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
    const fleet = Array.from({ length: 10_000 }, (_, i) => `host-${i}.example:9100`);
    const split = splitFleet(fleet, 25);
    expect(split.reduce((n, s) => n + s.instances.length, 0)).toBe(10_000);
    for (const s of split) {
      expect(s.instances.length).toBeGreaterThan(300);
      expect(s.instances.length).toBeLessThan(500);
      for (const i of s.instances) expect(shardOf(i, 25)).toBe(s.index);
    }
    expect(shardCount("auto", 10_000)).toBe(25);
    expect(shardCount("auto", 12)).toBe(1);
    expect(shardCount("auto", 401)).toBe(2);
    expect(shardCount(4, 12)).toBe(4);
  });

  it("filters every selector of every feature query by the shard's instances", () => {
    const instances = ["web-1:9100", 'db.a"b:9100'];
    for (const f of FEATURES) {
      const q = withInstanceFilter(featureQuery(f, 300), instances);
      const tree = parser.parse(q);
      let selectors = 0;
      let errors = 0;
      tree.iterate({
        enter(n) {
          if (n.type.isError) errors++;
          if (n.name !== "VectorSelector") return;
          selectors++;
          expect(q.slice(n.from, n.to)).toContain('instance=~"web-1:9100|db\\\\.a\\"b:9100"');
        },
      });
      expect(errors).toBe(0);
      expect(selectors).toBeGreaterThan(0);
    }
    expect(withInstanceFilter('rate(x{}[5m]) / y{a="b"}', ["h"])).toBe(
      'rate(x{instance=~"h"}[5m]) / y{instance=~"h",a="b"}',
    );
  });

  it('reads ANOMALY_SHARDS as "auto" (default) or 1-256', () => {
    expect(loadConfig({}).anomaly.shards).toBe("auto");
    expect(loadConfig({ ANOMALY_SHARDS: "AUTO" }).anomaly.shards).toBe("auto");
    expect(loadConfig({ ANOMALY_SHARDS: "8" }).anomaly.shards).toBe(8);
    for (const bad of ["0", "257", "-1", "2.5", "many"])
      expect(() => loadConfig({ ANOMALY_SHARDS: bad })).toThrow(/ANOMALY_SHARDS/);
  });

  it("ends an episode only in the shard that owns its host", async () => {
    const store = new AnomalyStore(redis, `${prefix}:episodes`);
    const score = (instance: string, anomalous: boolean) => ({
      instance,
      at: 1,
      score: anomalous ? 9 : 1,
      threshold: 5,
      anomalous,
      deviations: [],
    });
    const owner = shardOf(BURST, 3);
    const other = (owner + 1) % 3;
    const opened = await store.recordShardScan(
      "prod",
      { index: owner, count: 3 },
      [score(BURST, true)],
      1000,
    );
    expect(opened.opened.map((f) => f.instance)).toEqual([BURST]);
    // Another shard, which never had the host, ends nothing and leaves its latest score alone.
    const elsewhere = await store.recordShardScan("prod", { index: other, count: 3 }, [], 2000);
    expect(elsewhere.ended).toEqual([]);
    expect((await store.latest("prod")).map((s) => s.instance)).toEqual([BURST]);
    // Its own shard, not seeing it any more, ends it and drops its score.
    const gone = await store.recordShardScan("prod", { index: owner, count: 3 }, [], 3000);
    expect(gone.ended.map((f) => f.instance)).toEqual([BURST]);
    expect(await store.latest("prod")).toEqual([]);
    await store.clear("prod");
  });

  it("splits a scan between two workers, trains first, and scores as an unsharded scan does", async () => {
    // Each range query waits, so a shard takes long enough for both workers to hold some.
    proxy.delayMs = 150;
    const a = startWorkerSet("two", proxy.url, 4, () => NOW);
    const b = startWorkerSet("two", proxy.url, 4, () => NOW);
    const scan = await runJob("two", SCAN_QUEUE, "first-scan");
    proxy.delayMs = 0;
    expect(scan.returnvalue).toMatchObject({ hosts: HOSTS, findings: 1, shards: 4 });
    // No model yet: the shards trained their hosts first, then scored them.
    expect([...a.trained, ...b.trained].sort()).toEqual([0, 1, 2, 3]);
    expect([...a.scanned, ...b.scanned].sort()).toEqual([0, 1, 2, 3]);
    expect(a.scanned.length).toBeGreaterThan(0);
    expect(b.scanned.length).toBeGreaterThan(0);
    // Every host in exactly one shard, each shard a separate job.
    const values = Object.values(await scan.getChildrenValues<ScanShardResult>());
    expect(values).toHaveLength(4);
    expect(values.flatMap((v) => v.scored).sort()).toEqual(FLEET);
    // What every shard opened reaches the alert pipeline in one call for the environment.
    const changes = [...a.changes, ...b.changes];
    expect(changes).toHaveLength(1);
    expect(changes[0]?.opened.map((f) => f.instance)).toEqual([BURST]);
    expect(changes[0]?.ended).toEqual([]);

    const sharded = new AnomalyStore(redis, `${prefix}.two:anomaly`);
    const status = await sharded.status("default");
    expect(status).toMatchObject({ hosts: HOSTS, scoredHosts: HOSTS, lastScanAt: NOW });
    expect(status.lastError).toBeUndefined();

    // The same fleet, the same clock, one process and no shards.
    const whole = new AnomalyStore(redis, `${prefix}.whole:anomaly`);
    const service = new AnomalyService(whole, { now: () => NOW, trainThreads: 1 });
    const client = environments(prom.url).get("default");
    if (!client) throw new Error("no client");
    await service.train("default", client);
    const unsharded = await service.scan("default", client);
    const view = (s: { instance: string; score: number; threshold: number; anomalous: boolean }) => ({
      instance: s.instance,
      score: s.score,
      threshold: s.threshold,
      anomalous: s.anomalous,
    });
    const byInstance = (x: { instance: string }, y: { instance: string }) =>
      x.instance.localeCompare(y.instance);
    expect((await sharded.latest("default")).map(view).sort(byInstance)).toEqual(
      unsharded.scores.map(view).sort(byInstance),
    );
    expect((await whole.findings(10, "default")).map((f) => f.instance)).toEqual([BURST]);

    // A second scan sees the same burst: no shard ends the episode, nothing new reaches the pipeline.
    const again = await runJob("two", SCAN_QUEUE, "second-scan");
    expect(again.returnvalue).toMatchObject({ hosts: HOSTS, findings: 0, shards: 4 });
    expect([...a.changes, ...b.changes]).toHaveLength(1);
    expect((await sharded.findings(10, "default")).map((f) => f.instance)).toEqual([BURST]);

    // A sharded training run: every shard retrains its hosts and the run records the whole fleet.
    const trainedBefore = a.trained.length + b.trained.length;
    const training = await runJob("two", TRAIN_QUEUE, "training");
    expect(training.returnvalue).toMatchObject({ hosts: HOSTS, shards: 4 });
    expect(a.trained.length + b.trained.length).toBe(trainedBefore + 4);
    expect((await sharded.status("default")).hosts).toBe(HOSTS);
  }, 300_000);

  it("keeps at most modelCacheHosts decoded models between scans, the least recently used dropped", async () => {
    const store = new AnomalyStore(redis, `${prefix}.cache:anomaly`);
    const client = environments(prom.url).get("default");
    if (!client) throw new Error("no client");
    /** Counts the models read from Redis (and so decoded) while `run` runs. */
    const loadedDuring = (() => {
      const counts: number[] = [];
      const load = store.loadModels.bind(store);
      store.loadModels = async (env, instances) => {
        const r = await load(env, instances);
        counts.push(r.size);
        return r;
      };
      return async (run: () => Promise<unknown>) => {
        counts.length = 0;
        await run();
        return counts.reduce((a, b) => a + b, 0);
      };
    })();
    await new AnomalyService(store, { now: () => NOW, trainThreads: 1 }).train("default", client);
    const bounded = new AnomalyService(store, { now: () => NOW, modelCacheHosts: 5 });
    expect(await loadedDuring(() => bounded.scan("default", client))).toBe(HOSTS);
    // Five kept: the other seven are read and decoded again.
    expect(await loadedDuring(() => bounded.scan("default", client))).toBe(HOSTS - 5);
    const whole = new AnomalyService(store, { now: () => NOW });
    expect(await loadedDuring(() => whole.scan("default", client))).toBe(HOSTS);
    expect(await loadedDuring(() => whole.scan("default", client))).toBe(0);
    await store.clear("default");
  }, 120_000);

  it("keeps the other shards' results when one shard fails for good, and says so in the status", async () => {
    // A Prometheus in front of the real one that refuses every range query naming one host: the shard
    // holding it fails each attempt.
    const lost = fleetHost(0);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        if (req.url?.startsWith("/api/v1/query_range") && body.toString().includes(lost)) {
          res.writeHead(400, { "content-type": "application/json" });
          res.end('{"status":"error","errorType":"bad_data","error":"refused by the test"}');
          return;
        }
        const to = new URL(prom.url);
        const up = request(
          { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        up.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Models for every host first, through the real Prometheus.
    const store = new AnomalyStore(redis, `${prefix}.partial:anomaly`);
    const client = environments(prom.url).get("default");
    if (!client) throw new Error("no client");
    await new AnomalyService(store, { now: () => NOW, trainThreads: 1 }).train("default", client);
    const set = startWorkerSet("partial", url, 4, () => NOW);
    const scan = await runJob("partial", SCAN_QUEUE, "partial-scan");
    const lostShard = splitFleet(FLEET, 4).find((s) => s.instances.some((i) => i.startsWith(`${lost}:`)));
    const kept = FLEET.filter((i) => !lostShard?.instances.includes(i));
    expect(scan.returnvalue).toMatchObject({ hosts: kept.length, shards: 3 });
    expect(scan.returnvalue.failures).toMatch(/^1 of 4 shards failed: .*refused by the test/);
    expect((await store.latest("default")).map((s) => s.instance).sort()).toEqual(kept);
    const status = await store.status("default");
    expect(status).toMatchObject({ scoredHosts: kept.length, lastScanAt: NOW });
    expect(status.lastError).toMatch(/1 of 4 shards failed/);
    // The burst host's shard was kept, and its finding reached the pipeline.
    expect(kept).toContain(BURST);
    expect(set.changes.flatMap((c) => c.opened.map((f) => f.instance))).toEqual([BURST]);
  }, 240_000);

  it("redoes the shard of a SIGKILLed `cloudops worker` on the other worker; every host scored once", async () => {
    const sub = "kill";
    // Models first (the worker scores the wall clock's "now", which the fleet's data runs past).
    const store = new AnomalyStore(redis, `${prefix}.${sub}:anomaly`);
    const client = environments(prom.url).get("default");
    if (!client) throw new Error("no client");
    await new AnomalyService(store, { trainThreads: 1 }).train("default", client);
    // The built worker reads through the slow proxy: a shard holds it for seconds.
    proxy.delayMs = 2000;
    const child = spawn(process.execPath, [CLI, "worker"], {
      env: {
        ...process.env,
        PROMETHEUS_URL: proxy.url,
        PROMETHEUS_TIMEOUT_MS: "30000",
        REDIS_URL: inject("redisUrl"),
        REDIS_PREFIX: `${prefix}.${sub}`,
        ANOMALY_SHARDS: "3",
        ANOMALY_SCAN_EVERY: "24h",
        ANOMALY_TRAIN_EVERY: "7d",
        ANOMALY_JOB_LOCK: "3s",
        WORKER_HEALTH_PORT: "0",
        LOG_LEVEL: process.env.WORKER_LOG ?? "silent",
      },
      stdio: process.env.WORKER_LOG ? "inherit" : "ignore",
    });
    children.push(child);
    const shards = new Queue(SCAN_SHARD_QUEUE, { connection: connection(), prefix: `${prefix}.${sub}:bull` });
    closers.push(() => shards.close());
    const queue = new Queue(SCAN_QUEUE, { connection: connection(), prefix: `${prefix}.${sub}:bull` });
    closers.push(() => queue.close());
    await queue.add("scan", { environment: "default" }, { jobId: "killed-scan" });
    // The child is in the middle of a shard of that scan.
    let held: string[] = [];
    await until(
      "the child worker to hold a shard of the scan",
      async () => {
        if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode}`);
        held = (await shards.getActive())
          .filter((j) => String(j.id).startsWith("scan-default-killed-scan-"))
          .map((j) => String(j.id));
        return held.length > 0;
      },
      120_000,
      50,
    );
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    // The other worker (production code, in this process) takes over once the shard's lock expires.
    proxy.delayMs = 0;
    startWorkerSet(sub, prom.url, 3);
    let job: Job | undefined;
    await until(
      "the scan to complete",
      async () => {
        job = await queue.getJob("killed-scan");
        return job?.finishedOn !== undefined;
      },
      180_000,
      200,
    );
    expect(job?.failedReason).toBeFalsy();
    expect(job?.returnvalue).toMatchObject({ hosts: HOSTS, shards: 3 });
    const values = Object.values(await (job as Job).getChildrenValues<ScanShardResult>());
    // Each host once: the killed shard counted once, from its second run.
    expect(values.flatMap((v) => v.scored).sort()).toEqual(FLEET);
    for (const id of held) {
      const shard = await shards.getJob(id);
      expect(shard?.finishedOn).toBeDefined();
      expect(shard?.stalledCounter).toBeGreaterThanOrEqual(1);
    }
    expect((await store.findings(10, "default")).map((f) => f.instance)).toEqual([BURST]);
    expect((await store.status("default")).scoredHosts).toBe(HOSTS);
  }, 420_000);
});
