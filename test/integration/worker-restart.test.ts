/**
 * `cloudops worker` killed in the middle of a scan job: a new worker picks the job up once its lock
 * expires, completes it, and the finding is recorded once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AnomalyStore } from "../../src/anomaly/anomaly-store.js";
import { builtCli, CLI } from "../cli/built-cli.js";
import { type SlowProxy, startSlowProxy } from "../fakes/slow-proxy.js";
import { fleetHost, writeFleet } from "../support/fleet-fixture.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";
import { until } from "../support/until.js";

const BURST_HOST = 1;
const prefix = testPrefix("worker-restart");
let prom: PrometheusProcess;
let proxy: SlowProxy;
let redis: Redis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  await builtCli();
  // The worker scores "now", whenever a loaded machine gets there: the fleet's history runs 15 minutes
  // past the start (Prometheus answers from the samples up to the query's time), and the burst covers
  // the last 10 minutes before now and all of those 15.
  const ahead = 900;
  const end = Math.floor(Date.now() / 60_000) * 60 + ahead;
  const files = await writeFleet({
    hosts: 4,
    end,
    days: 2,
    stepSeconds: 60,
    burst: { host: BURST_HOST, secondsBeforeEnd: 600 + ahead },
  });
  prom = await startBackfilledPrometheus(files);
  // Every range query waits 1 s (under the client timeout of 2 s): a train + scan job takes seconds.
  proxy = await startSlowProxy(prom.url, "/api/v1/query_range", 1000);
  redis = new Redis(inject("redisUrl"));
}, 300_000);

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await proxy?.close();
  await prom?.stop();
  await dropKeysAndDisconnect(redis, prefix);
});

function startWorker(): ChildProcess {
  // The built command, as `cloudops worker` runs in production (no TypeScript loader).
  const child = spawn(process.execPath, [CLI, "worker"], {
    env: {
      ...process.env,
      PROMETHEUS_URL: proxy.url,
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: prefix,
      ANOMALY_SCAN_EVERY: "10s",
      ANOMALY_JOB_LOCK: "3s",
      // No health port: another copy of the suite (or a worker on this machine) may hold 3001.
      WORKER_HEALTH_PORT: "0",
      LOG_LEVEL: process.env.WORKER_LOG ?? "silent",
    },
    stdio: process.env.WORKER_LOG ? "inherit" : "ignore",
  });
  children.push(child);
  return child;
}

describe("cloudops worker", () => {
  it("finishes a scan after its worker is killed mid-job, and records the finding once", async () => {
    const store = new AnomalyStore(redis, `${prefix}:anomaly`);
    const first = startWorker();
    // The first job is running once Prometheus sees its range queries.
    await until("the first job's queries", () => proxy.matched > 0, 120_000);
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    expect((await store.status("default")).lastScanAt).toBeUndefined();

    startWorker();
    // A scan that ran before any model was trained completes too, scoring nobody: wait for one that
    // scored the fleet (which job the kill interrupted, and which queue runs first, depends on load).
    // The scores are written before the episodes they open: wait for both.
    await until(
      "a scan that scored the fleet and recorded its findings",
      async () =>
        (await store.latest("default")).length === 4 && (await store.findings(50, "default")).length > 0,
      180_000,
    );
    const findings = await store.findings(50, "default");
    expect(findings.map((f) => f.instance)).toEqual([`${fleetHost(BURST_HOST)}:9100`]);

    // Later scans see the same burst and add nothing.
    proxy.delayMs = 0;
    const firstScanAt = (await store.status("default")).lastScanAt ?? 0;
    await until(
      "another scan",
      async () => ((await store.status("default")).lastScanAt ?? 0) > firstScanAt,
      120_000,
    );
    expect(await store.findings(50, "default")).toHaveLength(1);
  }, 480_000);
});
