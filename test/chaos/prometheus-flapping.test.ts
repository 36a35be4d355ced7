/**
 * Prometheus going away and coming back, twice, behind a proxy that drops every connection while it
 * is off: questions asked meanwhile are answered within the answer deadline with "Prometheus
 * unreachable" in the headline (the bot neither crashes nor hangs), questions asked while it is back
 * get their numbers, and an anomaly scan that failed while it was off is retried and completes once
 * it is back.
 */
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SCAN_QUEUE } from "../../src/jobs/anomaly-jobs.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { fleetHost, writeFleet } from "../support/fleet-fixture.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { until } from "../support/until.js";
import { type FlakyProxy, startFlakyProxy } from "./flaky-proxy.js";

const END = Math.floor(Date.UTC(2026, 5, 2, 14, 0, 0) / 1000);
const DEADLINE_MS = 4000;
const HOST = fleetHost(0);
let prom: PrometheusProcess;
let proxy: FlakyProxy;
let app: TestApp;
let queue: Queue;

beforeAll(async () => {
  // An hour and a half of history at 15 s: enough for a first model.
  prom = await startBackfilledPrometheus(
    await writeFleet({ hosts: 2, end: END, days: 90 / 1440, stepSeconds: 15 }),
  );
  proxy = await startFlakyProxy(prom.url);
  app = await startTestApp(
    {
      PROMETHEUS_URL: proxy.url,
      PROMETHEUS_RETRIES: "0",
      // Every question goes to Prometheus (a cached answer would hide whether it is there).
      PROMETHEUS_CACHE_TTL_MS: "0",
      PROMETHEUS_TIMEOUT_MS: "2000",
      ANSWER_DEADLINE_MS: String(DEADLINE_MS),
      ANOMALY_ENABLED: "true",
      ANOMALY_SCAN_EVERY: "10s",
    },
    undefined,
    () => END * 1000,
  );
  queue = new Queue(SCAN_QUEUE, {
    connection: { url: inject("redisUrl") },
    prefix: `${app.redisPrefix}:bull`,
  });
}, 120_000);

afterAll(async () => {
  await queue?.close();
  await app?.close();
  await proxy?.close();
  await prom?.stop();
});

async function ask(text: string): Promise<{ title: string; text: string; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${app.url}/api/v1/ask`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
    signal: AbortSignal.timeout(30_000),
  });
  expect(res.status).toBe(200);
  const { reply } = (await res.json()) as { reply: { title: string; text: string } };
  return { ...reply, ms: Date.now() - started };
}

/** Scan jobs that failed an attempt: waiting for their retry, or done since. */
async function retriedScans() {
  const jobs = await queue.getJobs(["delayed", "wait", "active", "completed", "failed"]);
  return jobs.filter((j) => j.name === "scan" && (j.stacktrace?.length ?? 0) > 0);
}

describe("Prometheus flapping", () => {
  it("answers 'unreachable' within the deadline while it is off, and scans complete on retry once it is back", async () => {
    await until("a first scan", async () => (await queue.getCompletedCount()) > 0, 90_000);
    for (let cycle = 0; cycle < 2; cycle++) {
      proxy.up = false;
      for (const question of [`cpu on ${HOST}`, "what's the current system health?"]) {
        const r = await ask(question);
        expect(r.title, question).toMatch(/Prometheus unreachable/);
        expect(r.text).toMatch(/could not be reached|refused/);
        expect(r.ms).toBeLessThan(DEADLINE_MS + 2000);
      }
      // A scan attempt fails while Prometheus is off, and waits for its retry.
      const seen = new Set((await retriedScans()).map((j) => j.id));
      let retrying: string | undefined;
      await until(
        "a scan attempt that failed",
        async () => {
          retrying = (await retriedScans()).find((j) => !seen.has(j.id))?.id;
          return retrying !== undefined;
        },
        30_000,
      );
      proxy.up = true;
      const back = await ask(`cpu on ${HOST}`);
      expect(back.title).toMatch(new RegExp(`^🟢 CPU \\d+\\.\\d% on ${HOST}$`));
      await until(
        `scan ${retrying} completed on retry`,
        async () => (await queue.getJob(String(retrying)))?.finishedOn !== undefined,
        60_000,
      );
      const job = await queue.getJob(String(retrying));
      expect(await job?.isCompleted()).toBe(true);
      expect(job?.returnvalue).toMatchObject({ hosts: 2 });
    }
    expect(proxy.dropped).toBeGreaterThan(0);
    // Still serving.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  }, 240_000);
});
