/**
 * The anomaly engine end to end: a real Prometheus backfilled with a fleet whose every anomaly
 * feature is present, one host with a CPU user + iowait burst in its last minutes. Training and a
 * scan run through the real Prometheus and Redis.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AnomalyService } from "../../src/anomaly/anomaly-service.js";
import { AnomalyStore } from "../../src/anomaly/anomaly-store.js";
import { FEATURES } from "../../src/anomaly/features.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { fleetHost, writeFleet } from "../support/fleet-fixture.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";
import { dropKeysAndDisconnect, testPrefix } from "../support/redis.js";

const END = Math.floor(Date.UTC(2026, 0, 15, 12, 0, 0) / 1000);
const HOSTS = 5;
const BURST_HOST = 2;
let prom: PrometheusProcess;
let redis: Redis;
const prefix = testPrefix("anomaly-scan");

beforeAll(async () => {
  const files = await writeFleet({
    hosts: HOSTS,
    end: END,
    days: 2,
    stepSeconds: 60,
    burst: { host: BURST_HOST, secondsBeforeEnd: 600 },
  });
  prom = await startBackfilledPrometheus(files);
  redis = new Redis(inject("redisUrl"));
}, 120_000);

afterAll(async () => {
  await prom?.stop();
  await dropKeysAndDisconnect(redis, prefix);
});

describe("anomaly scan on a backfilled fleet", () => {
  it("names the burst host and its CPU user and iowait features, and nothing on the quiet hosts", async () => {
    const client = new PrometheusClient({
      environment: "prod",
      baseUrl: prom.url,
      timeoutMs: 10_000,
      retries: 1,
      cacheTtlMs: 0,
    });
    const store = new AnomalyStore(redis, prefix);
    // The default 7-day training window reaches back before the fleet's 2 days of history.
    const service = new AnomalyService(store, { now: () => END * 1000 });
    const trained = await service.train("prod", client);
    expect(trained.hosts).toBe(HOSTS);
    expect(trained.pooled).toBe(0);
    // Queries over all hosts, whatever the fleet's size: one instant query finds no recording rules
    // (feature-source.ts), two small queries date the first sample, then a small fleet's history is
    // one answer per feature, after the first feature's newest 4 hours (which size the rest).
    expect(trained.queries).toBe(FEATURES.length + 4);

    const scan = await service.scan("prod", client);
    // The scan reads the last 65 minutes at one minute (the temporal part's hour of history): the
    // first feature's newest 48 steps size the reads, then one answer per feature.
    expect(scan.queries).toBe(FEATURES.length + 1);
    expect(scan.scores).toHaveLength(HOSTS);
    const burst = `${fleetHost(BURST_HOST)}:9100`;
    expect(scan.findings.map((f) => f.instance)).toEqual([burst]);
    const finding = scan.findings[0];
    const top = finding?.deviations.slice(0, 2).map((d) => d.feature) ?? [];
    expect(top).toContain("cpu_iowait");
    expect(top).toContain("cpu_user");
    const iowait = finding?.deviations.find((d) => d.feature === "cpu_iowait");
    expect(iowait?.direction).toBe("up");
    expect(iowait?.value).toBeGreaterThan(20);
    expect(iowait?.baseline).toBeLessThan(3);
    for (const s of scan.scores.filter((x) => x.instance !== burst)) expect(s.anomalous).toBe(false);

    // The same scan recorded again raises no second finding.
    const again = await service.scan("prod", client);
    expect(again.findings).toHaveLength(0);
    expect(await store.findings(50, "prod")).toHaveLength(1);
  });
});
