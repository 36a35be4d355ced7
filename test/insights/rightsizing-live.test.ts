/**
 * The live tier for rightsizing: every query on this machine's real node_exporter through the
 * stack's Prometheus. The stack is minutes old, so the host is found with its real cores and memory
 * but is too young to size, and says how much history it has.
 */
import { cpus, totalmem } from "node:os";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { DEFAULT_PRICES } from "../../src/insights/prices.js";
import { rightsizing } from "../../src/insights/rightsizing.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { until } from "../support/until.js";

const live = inject("liveStack");
let client: PrometheusClient;

beforeAll(async () => {
  client = new PrometheusClient({
    environment: "live",
    baseUrl: live.prometheusUrl,
    timeoutMs: 20_000,
    retries: 0,
    cacheTtlMs: 0,
  });
  // A rate needs two scrapes of the CPU counters.
  await until(
    "node_exporter's CPU rates available",
    async () =>
      (await client.instant(`rate(node_cpu_seconds_total{instance="${live.nodeInstance}",mode="idle"}[5m])`))
        .length > 0,
    120_000,
  );
});

describe("live: rightsizing on this machine's real exporter", () => {
  it("runs every query; finds the real cores and MemTotal; too young to size, with its history said", async () => {
    const r = await rightsizing(client, { now: Math.floor(Date.now() / 1000), prices: DEFAULT_PRICES });
    expect(r.failures).toEqual([]);
    const me = r.hosts.find((h) => h.instance === live.nodeInstance);
    expect(me).toBeDefined();
    if (!me) return;
    expect(me.cores).toBe(cpus().length);
    expect(me.memoryBytes).toBeLessThanOrEqual(totalmem() * 1.001);
    expect(me.memoryBytes).toBeGreaterThan(totalmem() * 0.9);
    // The subqueries evaluate at 5-minute marks: a stack younger than its first mark with two scrapes
    // before it has no CPU rate yet, and is listed all the same (too young).
    if (me.cpuUsedCores !== undefined) {
      expect(me.cpuUsedCores).toBeGreaterThanOrEqual(0);
      expect(me.cpuUsedCores).toBeLessThanOrEqual(me.cores);
    }
    if (me.memoryPeakBytes !== undefined) expect(me.memoryPeakBytes).toBeGreaterThan(0);
    expect(me.status).toBe("insufficient_history");
    expect(me.historySeconds).toBeLessThan(Date.now() / 1000 - live.startedAt / 1000 + 600);
    expect(me.cpu).toBeUndefined();
    expect(me.idle).toBe(false);
    expect(me.monthlyCost).toBeGreaterThan(0);
  });
});
