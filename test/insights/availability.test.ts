/**
 * Availability from `up` on a real Prometheus 2.42 over a promtool-backfilled October (one sample a
 * minute): a target down 30 minutes, one added mid-month, one removed mid-month after two outages,
 * one already down when the month starts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  availabilityReport,
  openRange,
  outages,
  type TargetAvailability,
} from "../../src/insights/availability.js";
import { parsePeriod, type ReportPeriod } from "../../src/insights/report-period.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { OpenMetricsWriter, writeByDay } from "../support/openmetrics-writer.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";

const T = (iso: string) => Date.parse(iso) / 1000;
const OCT = T("2026-10-01T00:00:00Z");
const NOV = T("2026-11-01T00:00:00Z");
const MONTH_MINUTES = 31 * 1440;

let prom: PrometheusProcess;
let client: PrometheusClient;
let october: ReportPeriod;

beforeAll(async () => {
  const times: number[] = [];
  for (let t = OCT - 2 * 3600; t <= NOV + 2 * 3600; t += 60) times.push(t);
  const w = new OpenMetricsWriter();
  const between = (t: number, a: string, b: string) => t >= T(a) && t < T(b);
  w.add("up", { job: "node", instance: "web-1:9100" }, () => 1);
  // 30 samples at 0: 12:00 … 12:29.
  w.add("up", { job: "node", instance: "web-2:9100" }, (t) =>
    between(t, "2026-10-10T12:00:00Z", "2026-10-10T12:30:00Z") ? 0 : 1,
  );
  w.add("up", { job: "node", instance: "new-1:9100" }, (t) =>
    t >= T("2026-10-16T00:00:00Z") ? 1 : undefined,
  );
  w.add("up", { job: "node", instance: "old-1:9100" }, (t) => {
    if (t >= T("2026-10-20T00:00:00Z")) return undefined;
    if (between(t, "2026-10-05T10:00:00Z", "2026-10-05T10:05:00Z")) return 0;
    if (between(t, "2026-10-06T10:00:00Z", "2026-10-06T10:10:00Z")) return 0;
    return 1;
  });
  // Down from before the month until 01:00 on the 1st (the 01:00 sample is the last at 0).
  w.add("up", { job: "blackbox", instance: "https://shop.example" }, (t) => (t <= OCT + 3600 ? 0 : 1));
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-availability-"));
  try {
    prom = await startBackfilledPrometheus(await writeByDay(w, dir, times));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  client = new PrometheusClient({
    environment: "prod",
    baseUrl: prom.url,
    timeoutMs: 30_000,
    retries: 1,
    cacheTtlMs: 0,
  });
  const p = parsePeriod("2026-10", Date.parse("2026-11-30T12:00:00Z"));
  if (typeof p === "string") throw new Error(p);
  october = p;
}, 300_000);

afterAll(async () => {
  await prom?.stop();
});

function target(rows: TargetAvailability[], instance: string): TargetAvailability {
  const row = rows.find((r) => r.instance === instance);
  if (!row) throw new Error(`no row for ${instance}: ${rows.map((r) => r.instance).join(", ")}`);
  return row;
}

describe("availability over a backfilled month", () => {
  it("counts a 30-minute outage as 30 minutes, one outage, against the SLO", async () => {
    const report = await availabilityReport(client, october, { sloPct: 99.9 });
    expect(report.period).toMatchObject({
      from: "2026-10-01T00:00:00.000Z",
      to: "2026-11-01T00:00:00.000Z",
      complete: true,
    });
    const web2 = target(report.targets, "web-2:9100");
    expect(web2.downtimeMinutes).toBe(30);
    expect(web2.observedMinutes).toBe(MONTH_MINUTES);
    expect(web2.outages).toBe(1);
    expect(web2.availabilityPct).toBeCloseTo(100 * (1 - 30 / MONTH_MINUTES), 4);
    expect(web2.sloMet).toBe(true);
    // 99.9% of 44,640 minutes allows 44.64; 30 of them were used.
    expect(web2.allowedDowntimeMinutes).toBe(44.6);
    expect(web2.errorBudgetUsedPct).toBe(67.2);
    const web1 = target(report.targets, "web-1:9100");
    expect(web1).toMatchObject({ availabilityPct: 100, downtimeMinutes: 0, outages: 0, coveragePct: 100 });
    expect(web1.appeared || web1.disappeared).toBe(false);
  });

  it("counts a target added mid-month over the time it existed, and says when it appeared", async () => {
    const report = await availabilityReport(client, october, { sloPct: 99.9 });
    const added = target(report.targets, "new-1:9100");
    expect(added.availabilityPct).toBe(100);
    expect(added.appeared).toBe(true);
    expect(added.disappeared).toBe(false);
    expect(added.firstSeen).toBe("2026-10-16T00:00:00.000Z");
    // 16 days from the 16th, plus the single sample at midnight counted as one minute.
    expect(added.observedMinutes).toBeCloseTo(16 * 1440 + 1, 0);
    expect(added.coveragePct).toBeCloseTo((100 * (16 * 1440 + 1)) / MONTH_MINUTES, 1);
    expect(added.errorBudgetUsedPct).toBe(0);
  });

  it("counts a removed target's outages and downtime up to its last sample", async () => {
    const report = await availabilityReport(client, october, { sloPct: 99.9 });
    const removed = target(report.targets, "old-1:9100");
    expect(removed).toMatchObject({ downtimeMinutes: 15, outages: 2, disappeared: true, appeared: false });
    expect(removed.lastSeen).toBe("2026-10-20T00:00:00.000Z");
    expect(removed.observedMinutes).toBeCloseTo(19 * 1440 - 1, 0);
  });

  it("counts a stretch already down when the period starts as an outage, and misses the SLO", async () => {
    const report = await availabilityReport(client, october, { sloPct: 99.9 });
    const shop = target(report.targets, "https://shop.example");
    expect(shop).toMatchObject({ downtimeMinutes: 60, outages: 1, sloMet: false });
    expect(shop.errorBudgetUsedPct).toBeCloseTo((100 * 60) / (0.001 * MONTH_MINUTES), 0);
    const blackbox = report.jobs.find((j) => j.job === "blackbox");
    expect(blackbox).toMatchObject({ targets: 1, targetsMissingSlo: 1, downtimeMinutes: 60, sloMet: false });
    const node = report.jobs.find((j) => j.job === "node");
    expect(node).toMatchObject({ targets: 4, targetsMissingSlo: 0, downtimeMinutes: 45, outages: 3 });
  });

  it("names the PromQL behind every number, and one job's report holds only its targets", async () => {
    const report = await availabilityReport(client, october, { sloPct: 99.5, job: "blackbox" });
    expect(report.targets.map((t) => t.instance)).toEqual(["https://shop.example"]);
    expect(report.queries.samplesPerHour.promql).toBe(
      'sum by (job, instance) (count_over_time(up{job="blackbox"}[59m59s999ms]))',
    );
    expect(report.queries.changes.promql).toContain('changes(up{job="blackbox"}[30d23h59m59s999ms])');
    for (const names of Object.values(report.numbers))
      for (const n of names) expect(Object.keys(report.queries)).toContain(n);
    expect(report.numbers.availabilityPct).toEqual(["samplesPerHour", "upSharePerHour"]);
    // At 99.5% the hour of downtime fits the budget (223.2 minutes).
    expect(report.targets[0]?.sloMet).toBe(true);
  });

  it("a week with no samples of a job is an empty report, not an error", async () => {
    const p = parsePeriod("2026-01-01..2026-01-07", Date.parse("2026-11-30T12:00:00Z"));
    if (typeof p === "string") throw new Error(p);
    const report = await availabilityReport(client, p, { sloPct: 99.9 });
    expect(report.targets).toEqual([]);
    expect(report.jobs).toEqual([]);
  });
});

describe("ranges that hold each sample once", () => {
  it("ends every range 1 ms short", () => {
    expect(openRange(3600)).toBe("59m59s999ms");
    expect(openRange(7 * 86400)).toBe("6d23h59m59s999ms");
    expect(openRange(1)).toBe("999ms");
  });
});

describe("outages from changes and the last value", () => {
  it.each([
    [0, 1, 0],
    [0, 0, 1],
    [2, 1, 1],
    [1, 0, 1],
    [1, 1, 1],
    [2, 0, 2],
    [3, 0, 2],
  ])("%i changes ending at %i: %i outages", (c, last, expected) => {
    expect(outages(c, last)).toBe(expected);
  });
});
