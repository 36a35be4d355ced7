/**
 * Rightsizing against a real Prometheus 2.42 holding a backfilled fleet (RIGHTSIZING_FIXTURE): every
 * query runs as written, and the report finds the oversized, overloaded, idle and young hosts, and the
 * containers' limits to shrink, set or grow.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prices } from "../../src/insights/prices.js";
import {
  GiB,
  type HostRightsizing,
  MiB,
  type RightsizingReport,
  rightsizing,
} from "../../src/insights/rightsizing.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { hostMatcher } from "../../src/metrics/promql.js";
import {
  RIGHTSIZING_FIXTURE,
  type RightsizingPrometheus,
  startRightsizingPrometheus,
} from "./rightsizing-fixture.js";

const prices: Prices = { cpuCoreMonth: 24, gbMonth: 3, origin: "configured" };
let prom: RightsizingPrometheus;
let client: PrometheusClient;
let report: RightsizingReport;

const host = (name: string): HostRightsizing => {
  const h = report.hosts.find((x) => x.host === name);
  if (!h) throw new Error(`${name} not in the report: ${report.hosts.map((x) => x.host).join(", ")}`);
  return h;
};

beforeAll(async () => {
  prom = await startRightsizingPrometheus();
  client = new PrometheusClient({
    environment: "test",
    baseUrl: prom.url,
    timeoutMs: 30_000,
    retries: 0,
    cacheTtlMs: 0,
  });
  report = await rightsizing(client, { now: prom.end, prices });
  // Writing and backfilling three days of a fleet takes a while on a loaded machine.
}, 600_000);

afterAll(async () => {
  await prom?.stop();
});

describe("rightsizing on a backfilled fleet", () => {
  it("every query is answered, one per signal for the whole fleet", () => {
    expect(report.failures).toEqual([]);
    expect(report.queries).toHaveLength(12);
    expect(report.stepSeconds).toBe(300);
    expect(report.hosts.map((h) => h.host).sort()).toEqual(Object.keys(RIGHTSIZING_FIXTURE.hosts).sort());
  });

  it("reads cores and MemTotal, and says how much history there is (3 of 14 days)", () => {
    for (const [name, spec] of Object.entries(RIGHTSIZING_FIXTURE.hosts)) {
      expect(host(name).cores).toBe(spec.cores);
      expect(host(name).memoryBytes).toBe(spec.memTotal);
    }
    expect(host("rs-big").historySeconds).toBeGreaterThan(2.9 * 86_400);
    expect(host("rs-big").historySeconds).toBeLessThanOrEqual(3 * 86_400 + 300);
    expect(host("rs-young").historySeconds).toBeLessThan(7 * 3600);
    expect(host("rs-young").status).toBe("insufficient_history");
    expect(host("rs-young").idle).toBe(false);
    expect(host("rs-young").cpu).toBeUndefined();
  });

  it("oversized: 8 → 4 cores (p95 3.2 busy, the daily burst ignored) and 32 → 7 GiB (the peak counted)", () => {
    const big = host("rs-big");
    expect(big.cpuUsedCores).toBeCloseTo(3.2, 2);
    expect(big.cpu).toMatchObject({ action: "shrink", capacity: 8, target: 4 });
    expect(big.memoryPeakBytes).toBeCloseTo(6 * GiB, -6);
    expect(big.memory).toMatchObject({ action: "shrink", capacity: 32 * GiB, target: 7 * GiB });
    expect(big.monthlyCost).toBe(8 * 24 + 32 * 3);
    expect(big.resizeMonthly).toBeCloseTo(4 * 24 + 25 * 3);
    expect(big.idle).toBe(false);
  });

  it("overloaded: grows CPU 4 → 5 cores and memory 8 → 9 GiB, at a cost", () => {
    const hot = host("rs-hot");
    expect(hot.cpu).toMatchObject({ action: "grow", target: 5 });
    expect(hot.memory).toMatchObject({ action: "grow", target: 9 * GiB });
    expect(hot.resizeMonthly).toBeCloseTo(-(24 + 3));
    expect(report.totals.growMonthly).toBeCloseTo(27);
  });

  it("idle: quiet CPU and real NICs (docker0/veth traffic left out); a quiet-CPU proxy is not idle", () => {
    expect(host("rs-idle").idle).toBe(true);
    expect(host("rs-idle").networkBytesPerSecond).toBeCloseTo(2048, -1);
    expect(host("rs-proxy").idle).toBe(false);
    expect(host("rs-proxy").networkBytesPerSecond).toBeCloseTo(1024 * 1024, -3);
    expect(report.hosts.filter((h) => h.idle).map((h) => h.host)).toEqual(["rs-idle"]);
    expect(report.totals.idleMonthly).toBeCloseTo(2 * 24 + 4 * 3);
  });

  it("well sized: kept (a 2 GiB saving that is only 12.5% is not worth it)", () => {
    expect(host("rs-fit").cpu).toMatchObject({ action: "keep", target: 4 });
    expect(host("rs-fit").memory).toMatchObject({ action: "keep", target: 16 * GiB });
    expect(host("rs-fit").resizeMonthly).toBe(0);
  });

  it("totals: the resize savings of the non-idle hosts", () => {
    expect(report.totals.resizeMonthly).toBeCloseTo(4 * 24 + 25 * 3 + (2 - 1) * 24 + (4 - 1) * 3);
  });

  it("containers: running ones only (no stopped job, no system cgroups), limits from cAdvisor", () => {
    expect(report.containers.map((c) => c.name)).toEqual(["api", "cache", "worker"]);
    const [api, cache, worker] = report.containers;
    expect(api).toMatchObject({ host: "rs-big", cpuLimitCores: 2, memoryLimitBytes: 2 * GiB });
    expect(api?.cpu).toMatchObject({ action: "shrink", target: 0.4 });
    expect(api?.memory).toMatchObject({ action: "shrink", target: 384 * MiB });
    expect(worker?.cpuLimitCores).toBeUndefined();
    expect(worker?.memoryLimitBytes).toBeUndefined();
    expect(worker?.cpu).toMatchObject({ action: "unbounded", target: 0.6 });
    expect(worker?.memory).toMatchObject({ action: "set_limit", target: 832 * MiB });
    expect(cache?.cpu).toMatchObject({ action: "grow", target: 1.1 });
    expect(cache?.memory).toMatchObject({ action: "grow", target: 576 * MiB });
  });

  it("a shorter lookback reads less history; one host's matcher reads only that host", async () => {
    const short = await rightsizing(client, {
      now: prom.end,
      prices,
      rules: { lookbackSeconds: 2 * 86_400 },
      matchers: [hostMatcher("rs-big")],
    });
    expect(short.failures).toEqual([]);
    expect(short.stepSeconds).toBe(60);
    expect(short.hosts.map((h) => h.host)).toEqual(["rs-big"]);
    expect(short.hosts[0]?.historySeconds).toBe(2 * 86_400);
    expect(short.hosts[0]?.cpu).toMatchObject({ action: "shrink", target: 4 });
    expect(short.containers.map((c) => c.name)).toEqual(["api", "cache", "worker"]);
  });

  it("per-host prices from a price file change the money, not the sizes", async () => {
    const filed = await rightsizing(client, {
      now: prom.end,
      prices: { ...prices, perHost: new Map([["rs-big", 2 * (8 * 24 + 32 * 3)]]) },
      hostsOnly: true,
    });
    const big = filed.hosts.find((h) => h.host === "rs-big");
    expect(big).toMatchObject({ priceFrom: "file", monthlyCost: 576 });
    expect(big?.resizeMonthly).toBeCloseTo(2 * (4 * 24 + 25 * 3));
    expect(filed.containers).toEqual([]);
    expect(filed.queries).toHaveLength(6);
  });

  it("a Prometheus that is down: every query in failures, no hosts, no throw", async () => {
    const down = new PrometheusClient({
      environment: "down",
      baseUrl: "http://127.0.0.1:9",
      timeoutMs: 2000,
      retries: 0,
      cacheTtlMs: 0,
    });
    const r = await rightsizing(down, { now: prom.end, prices });
    expect(r.hosts).toEqual([]);
    expect(r.failures).toHaveLength(12);
  });
});
