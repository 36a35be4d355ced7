/**
 * A fresh Prometheus: the detector says it is learning (how much history, when the first model is
 * due) instead of modelling noise or saying "no anomalies"; once the minimum history exists it trains
 * on it at a finer step, scores every host, and says its confidence is lower than with a full window.
 * Also the answer's headline when the scan is failing or Redis cannot be read.
 */
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { registerAnomalyGauges } from "../../src/anomaly/anomaly-metrics.js";
import { AnomalyService } from "../../src/anomaly/anomaly-service.js";
import { AnomalyStore } from "../../src/anomaly/anomaly-store.js";
import { FEATURES } from "../../src/anomaly/features.js";
import { BuiltinEngine } from "../../src/assistant/engine.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { Environments } from "../../src/metrics/environments.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import type { Reply } from "../../src/reply/reply.js";
import { writeFleet } from "../support/fleet-fixture.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";

const END = Math.floor(Date.UTC(2026, 2, 10, 8, 0, 0) / 1000);
const HOSTS = 2;
let young: PrometheusProcess;
let hourOld: PrometheusProcess;
let redis: Redis;
const prefix = testPrefix("cold-start");

beforeAll(async () => {
  // 40 minutes and 90 minutes of history, scraped every 15 s.
  [young, hourOld] = await Promise.all([
    writeFleet({ hosts: HOSTS, end: END, days: 40 / 1440, stepSeconds: 15 }).then(startBackfilledPrometheus),
    writeFleet({ hosts: HOSTS, end: END, days: 90 / 1440, stepSeconds: 15 }).then(startBackfilledPrometheus),
  ]);
  redis = new Redis(inject("redisUrl"));
}, 120_000);

afterAll(async () => {
  await Promise.all([young?.stop(), hourOld?.stop()]);
  await dropKeysAndDisconnect(redis, prefix);
});

const client = (url: string) =>
  new PrometheusClient({ environment: "prod", baseUrl: url, timeoutMs: 10_000, retries: 0, cacheTtlMs: 0 });

function engineOn(url: string, store: AnomalyStore): BuiltinEngine {
  return new BuiltinEngine({
    environments: new Environments(
      prometheusSettings(loadConfig({ PROMETHEUS_ENVIRONMENTS: `prod=${url}` })),
    ),
    renderChart: renderLineChart,
    deadlineMs: 10_000,
    anomalies: store,
    now: () => END * 1000,
  });
}

async function ask(engine: BuiltinEngine, text: string): Promise<Reply> {
  return (await engine.answer({ platform: "api", user: "t", channel: "t", text })).reply;
}

async function gauge(store: AnomalyStore, name: string): Promise<number | undefined> {
  const registry = new Registry();
  registerAnomalyGauges(registry, store, () => ["prod"]);
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values as { value: number }[] | undefined)?.[0]?.value;
}

describe("anomaly detection from a cold start", () => {
  it("says it is learning, with the history it has and when the first model is due", async () => {
    const store = new AnomalyStore(redis, `${prefix}:young`);
    const service = new AnomalyService(store, { now: () => END * 1000 });
    const trained = await service.train("prod", client(young.url));
    expect(trained.hosts).toBe(0);
    expect(trained.learning).toBeDefined();
    // The first grid point with every rate is some minutes after the first scrape.
    expect(trained.historySeconds).toBeGreaterThanOrEqual(30 * 60);
    expect(trained.historySeconds).toBeLessThanOrEqual(40 * 60);
    expect(await store.modelCount("prod")).toBe(0);
    const due = END + 3600 - trained.historySeconds;
    expect(trained.learning?.firstModelDueAt).toBe(due * 1000);
    // Dated to the scrape: the same ETA from a check a quarter of an hour later, whatever its grid.
    const later = new AnomalyService(store, { now: () => (END + 900) * 1000 });
    const again = await later.train("prod", client(young.url));
    expect(again.learning?.firstModelDueAt).toBe(due * 1000);

    const r = await ask(engineOn(young.url, store), "any anomalies?");
    expect(r.tone).toBe("warning");
    const clock = new Date(due * 1000).toISOString().slice(11, 16);
    expect(r.title).toMatch(
      new RegExp(`^🟠 Learning: \\d+ min of history, first anomaly model due at ${clock}`),
    );
    expect(r.text).toContain("once it has 1 h of history");
    expect(r.text).not.toMatch(/No anomalies/);
    expect(await gauge(store, "cloudops_anomaly_learning")).toBe(1);
    expect(await gauge(store, "cloudops_anomaly_scan_failing")).toBe(0);
  });

  it("trains on an hour and a half of history at a finer step, scores every host, and says the confidence is lower", async () => {
    const store = new AnomalyStore(redis, `${prefix}:hour`);
    const service = new AnomalyService(store, { now: () => END * 1000 });
    const trained = await service.train("prod", client(hourOld.url));
    expect(trained.learning).toBeUndefined();
    expect(trained.hosts).toBe(HOSTS);
    // Host models, not the pooled fallback: the finer step gives each host enough rows.
    expect(trained.pooled).toBe(0);
    // Two small queries dated the first sample; the features were read once, over the span with data.
    expect(trained.queries).toBe(FEATURES.length + 3);
    const scan = await service.scan("prod", client(hourOld.url));
    expect(scan.scores).toHaveLength(HOSTS);
    expect(scan.untrained).toEqual([]);

    const status = await store.status("prod");
    expect(status.learning).toBeUndefined();
    expect(status.trainedHistorySeconds).toBeGreaterThanOrEqual(3600);
    const r = await ask(engineOn(hourOld.url, store), "any anomalies?");
    expect(r.title).toMatch(/^🟢 No anomalies at the 08:00 UTC scan/);
    expect(r.context.join("\n")).toMatch(
      /Lower confidence: models trained on 1 h \d+ min of history \(full window 7 d\)/,
    );
    expect(await gauge(store, "cloudops_anomaly_learning")).toBe(0);
  });

  it("leads with a failing scan, never with the last good result", async () => {
    const store = new AnomalyStore(redis, `${prefix}:failing`);
    await store.recordScan("prod", [], (END - 120) * 1000);
    // A recorded error newer than the last scan: the scan is failing now.
    await redis.hset(
      `${prefix}:failing:prod:status`,
      "lastError",
      "Prometheus at http://prom:9090 did not answer within 10 s",
      "lastErrorAt",
      String((END - 30) * 1000),
    );
    const r = await ask(engineOn(hourOld.url, store), "any anomalies?");
    expect(r.tone).toBe("critical");
    expect(r.title).toBe(
      "🔴 Anomaly scan failing (prod): Prometheus at http://prom:9090 did not answer within 10 s",
    );
    expect(r.text).toContain("The last successful scan was at 07:58");
    expect(await gauge(store, "cloudops_anomaly_scan_failing")).toBe(1);
  });

  it("says anomaly results are unavailable when Redis cannot be read", async () => {
    const dead = new Redis("redis://127.0.0.1:1", {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const store = new AnomalyStore(dead, `${prefix}:dead`);
    const r = await ask(engineOn(hourOld.url, store), "any anomalies?");
    expect(r.tone).toBe("error");
    expect(r.title).toMatch(/^🔴 Anomaly results unavailable: cannot read them from Redis/);
    dead.disconnect();
  });
});
