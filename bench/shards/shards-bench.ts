/**
 * Sharded scans at 10,000 hosts (`npm run bench -- shards`): two worker processes running the
 * production anomaly workers (built code) on one Redis prefix take the shards of a training run and of
 * scans; each run is timed from the job's creation to its completion, with each worker's peak RSS
 * over the run (VmHWM, reset before each run through /proc/PID/clear_refs) and the shards it ran.
 * Prometheus is simulated (bench/shards/fake-prometheus.ts): a 10,000-host backfill would take the
 * 2-core machine far longer than the runs it feeds. Also compares the two ways of reading one scan
 * window: the whole fleet at once, or shard by shard with the instance filter.
 *
 * BENCH_SHARDS_HOSTS (default 10000), BENCH_SHARDS_HISTORY (seconds of history, default one day).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { type Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import { fetchFeatures } from "../../src/anomaly/feature-fetch.js";
import { HOSTS_PER_SHARD, listFleet, shardClient, shardCount, splitFleet } from "../../src/anomaly/shards.js";
import { SCAN_QUEUE, SCAN_SHARD_QUEUE, TRAIN_QUEUE, TRAIN_SHARD_QUEUE } from "../../src/jobs/anomaly-jobs.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { writeFleet } from "../../test/support/fleet-fixture.js";
import { startBackfilledPrometheus } from "../../test/support/prometheus-process.js";

const HOSTS = Number(process.env.BENCH_SHARDS_HOSTS ?? 10_000);
const HISTORY = Number(process.env.BENCH_SHARDS_HISTORY ?? 86_400);
const END = Math.floor(Date.UTC(2026, 0, 15) / 1000);
const WORKERS = 2;
/** Hosts backfilled into a real Prometheus for the comparison of the two reads there. */
const REAL_HOSTS = Number(process.env.BENCH_SHARDS_REAL_HOSTS ?? 2000);

function start(script: string, args: string[]): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, firstLine };
}

/** Peak resident set of a process since its last reset, MB (Linux). */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

interface RunRow {
  run: string;
  seconds: number;
  result: Record<string, unknown>;
  shardsBy: Record<string, number>;
  peakMb: number[];
}

/**
 * The two reads of a scan window against a real Prometheus: REAL_HOSTS hosts (6 hours at one minute,
 * one series per family) backfilled with promtool. Each read runs twice, alternating, after a warm-up.
 */
export async function realReads(): Promise<string> {
  const files = await writeFleet({
    hosts: REAL_HOSTS,
    end: END,
    days: 0.25,
    stepSeconds: 60,
    realistic: false,
  });
  const prom = await startBackfilledPrometheus(files);
  try {
    const client = new PrometheusClient({
      environment: "bench",
      baseUrl: prom.url,
      timeoutMs: 60_000,
      retries: 1,
      cacheTtlMs: 0,
    });
    const range = { start: END - 3900, end: END, step: 60 };
    const whole = async () => {
      const w = await fetchFeatures(client, range, { rateWindowSeconds: 300 });
      return { queries: w.queries, hosts: w.hosts.size };
    };
    const sharded = async () => {
      const fleet = await listFleet(client, range);
      const split = splitFleet(fleet, shardCount("auto", fleet.length));
      let queries = 1;
      let hosts = 0;
      for (const s of split) {
        const w = await fetchFeatures(shardClient(client, s.instances), range, { rateWindowSeconds: 300 });
        queries += w.queries;
        hosts += w.hosts.size;
      }
      return { queries, hosts, shards: split.length };
    };
    const timed = async <T>(read: () => Promise<T>) => {
      const t0 = performance.now();
      const r = await read();
      return { ...r, seconds: (performance.now() - t0) / 1000 };
    };
    await whole();
    const rows: string[] = [];
    for (let i = 0; i < 2; i++) {
      const a = await timed(whole);
      rows.push(`| whole fleet at once | ${a.seconds.toFixed(2)} | ${a.queries} | ${a.hosts} |`);
      const b = await timed(sharded);
      rows.push(
        `| ${b.shards} shards one after another (instance filter), fleet listed first | ${b.seconds.toFixed(2)} | ${b.queries} | ${b.hosts} |`,
      );
    }
    return [
      `The same two reads against a real Prometheus: ${REAL_HOSTS.toLocaleString("en")} hosts (6 h at 1 min, one series per metric family) backfilled with promtool; each read twice, alternating, after a warm-up read.`,
      "",
      "| read | seconds | queries | hosts |",
      "|---|---:|---:|---:|",
      ...rows,
    ].join("\n");
  } finally {
    await prom.stop();
  }
}

export async function shardsBench(): Promise<string> {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const prefix = `bench-shards-${process.pid}`;
  const fake = start("bench/shards/fake-prometheus.ts", [String(HOSTS), String(END), String(HISTORY)]);
  const children: ChildProcess[] = [fake.child];
  const queues: Queue[] = [];
  const redis = new Redis(redisUrl);
  try {
    const { url } = JSON.parse(await fake.firstLine) as { url: string };
    const client = new PrometheusClient({
      environment: "bench",
      baseUrl: url,
      timeoutMs: 60_000,
      retries: 1,
      cacheTtlMs: 0,
    });
    const counts = async () => {
      // One retry: a kept-alive connection may have been closed by the server in between.
      const get = () => fetch(`${url}/counts`).then((r) => r.json());
      return (await get().catch(get)) as { query_range: number; bytes: number };
    };

    // One scan window read two ways, in this process, before the workers start.
    const range = { start: END - 3900, end: END, step: 60 };
    let c0 = await counts();
    let t0 = performance.now();
    const whole = await fetchFeatures(client, range, { rateWindowSeconds: 300 });
    const wholeRead = {
      seconds: (performance.now() - t0) / 1000,
      queries: whole.queries,
      hosts: whole.hosts.size,
      mb: ((await counts()).bytes - c0.bytes) / 2 ** 20,
    };
    whole.hosts.clear();
    c0 = await counts();
    t0 = performance.now();
    const fleet = await listFleet(client, range);
    const split = splitFleet(fleet, shardCount("auto", fleet.length));
    let shardQueries = 1;
    let shardHosts = 0;
    for (const s of split) {
      const w = await fetchFeatures(shardClient(client, s.instances), range, { rateWindowSeconds: 300 });
      shardQueries += w.queries;
      shardHosts += w.hosts.size;
    }
    const shardRead = {
      seconds: (performance.now() - t0) / 1000,
      queries: shardQueries,
      hosts: shardHosts,
      mb: ((await counts()).bytes - c0.bytes) / 2 ** 20,
      shards: split.length,
    };

    const workers = Array.from({ length: WORKERS }, (_, i) =>
      start("bench/shards/shard-worker.ts", [url, redisUrl, prefix, `worker-${i + 1}`, String(END), "auto"]),
    );
    children.push(...workers.map((w) => w.child));
    await Promise.all(workers.map((w) => w.firstLine));
    const pids = workers.map((w) => w.child.pid as number);
    const queue = (name: string) => {
      const q = new Queue(name, {
        connection: { url: redisUrl, maxRetriesPerRequest: null },
        prefix: `${prefix}:bull`,
      });
      queues.push(q);
      return q;
    };
    const scans = queue(SCAN_QUEUE);
    const trains = queue(TRAIN_QUEUE);
    const scanShards = queue(SCAN_SHARD_QUEUE);
    const trainShards = queue(TRAIN_SHARD_QUEUE);

    const rows: RunRow[] = [];
    const run = async (label: string, q: Queue, shardQueue: Queue, kind: string, jobId: string) => {
      for (const pid of pids) resetPeak(pid);
      const started = performance.now();
      await q.add(kind, { environment: "default" }, { jobId });
      let job: Job | undefined;
      for (;;) {
        job = await q.getJob(jobId);
        if (job?.failedReason) throw new Error(`${label} failed: ${job.failedReason}`);
        if (job?.finishedOn !== undefined) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (performance.now() - started) / 1000;
      const result = job.returnvalue as Record<string, unknown>;
      const shardsBy: Record<string, number> = {};
      for (let i = 0; i < Number(result.shards ?? 0) + 8; i++) {
        const shard = await shardQueue.getJob(`${kind}-default-${jobId}-${i}`);
        if (shard?.processedBy) shardsBy[shard.processedBy] = (shardsBy[shard.processedBy] ?? 0) + 1;
      }
      rows.push({ run: label, seconds, result, shardsBy, peakMb: pids.map(peakRssMb) });
    };
    await run("train (history read and models saved)", trains, trainShards, "train", "bench-train");
    await run("first scan (models loaded and decoded)", scans, scanShards, "scan", "bench-scan-a");
    await run("next scan", scans, scanShards, "scan", "bench-scan-b");
    // Shards go to whichever worker is free, so each worker's cache of decoded models grows toward
    // the fleet's over scans: the later rows show where it levels off.
    for (const id of ["c", "d", "e", "f"])
      await run("next scan", scans, scanShards, "scan", `bench-scan-${id}`);
    const status = await redis.hgetall(`${prefix}:anomaly:default:status`);
    const flagged = Object.keys(await redis.hgetall(`${prefix}:anomaly:default:open`));

    const names = Array.from({ length: WORKERS }, (_, i) => `worker-${i + 1}`);
    return [
      `${HOSTS.toLocaleString("en")} simulated hosts (${(HISTORY / 3600).toFixed(0)} h of history), ANOMALY_SHARDS=auto (one shard per ~${HOSTS_PER_SHARD} hosts: ${shardRead.shards} shards), ${WORKERS} worker processes (built code) on one Redis prefix.`,
      "Prometheus: simulated by a fake HTTP server speaking the real /api/v1/query_range, /api/v1/series and /api/v1/query JSON (generated series, not a backfilled Prometheus); its CPU shares the machine with the workers.",
      `Status after the runs: ${status.hosts} hosts trained, ${status.scoredHosts} scored by the last scan; open episodes: ${flagged.join(", ") || "none"} (the fake's burst is on host-00001).`,
      "",
      `| run | seconds | ${names.map((n) => `shards on ${n}`).join(" | ")} | ${names.map((n) => `${n} peak RSS MB`).join(" | ")} |`,
      `|---|---:|${names.map(() => "---:").join("|")}|${names.map(() => "---:").join("|")}|`,
      ...rows.map(
        (r) =>
          `| ${r.run} | ${r.seconds.toFixed(2)} | ${names.map((n) => r.shardsBy[n] ?? 0).join(" | ")} | ${r.peakMb.map((m) => m.toFixed(0)).join(" | ")} |`,
      ),
      "",
      "One scan window (65 min at 1 min) read in this process, against the same fake:",
      "",
      "| read | seconds | queries | hosts | MB received |",
      "|---|---:|---:|---:|---:|",
      `| whole fleet at once | ${wholeRead.seconds.toFixed(2)} | ${wholeRead.queries} | ${wholeRead.hosts} | ${wholeRead.mb.toFixed(1)} |`,
      `| ${shardRead.shards} shards one after another (instance filter), fleet listed first | ${shardRead.seconds.toFixed(2)} | ${shardRead.queries} | ${shardRead.hosts} | ${shardRead.mb.toFixed(1)} |`,
      "",
      await realReads(),
    ].join("\n");
  } finally {
    for (const q of queues) await q.close();
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(
      children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : Promise.resolve())),
    );
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
    redis.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  (process.argv[2] === "real" ? realReads() : shardsBench()).then((s) => process.stdout.write(`${s}\n`));
}
