/**
 * The feature fetch against real Prometheus processes: one holding a fleet's raw series only, one
 * holding the same blocks plus the recorded series of prometheus/rules/cloudops-features.yml for the
 * last 12 hours (evaluated by promtool against the first). A window read through the recorded series
 * equals the raw-query window; the part before the recorded series begin is read raw, and so are
 * features without recorded series (a third Prometheus records only 16); the mode is found with and
 * without the rules, logged once per environment, and checked again after an hour.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type FeatureWindow, fetchFeatures } from "../../src/anomaly/feature-fetch.js";
import { recordName } from "../../src/anomaly/feature-records.js";
import { FeatureSources, RAW_MODE_MESSAGE, RECORDED_MODE_MESSAGE } from "../../src/anomaly/feature-source.js";
import { FEATURES, featureQuery } from "../../src/anomaly/features.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { fleetHost, writeFleet } from "../support/fleet-fixture.js";
import { backfill, type PrometheusProcess, startPrometheus } from "../support/prometheus-process.js";
import { backfillRules, copyBlocks, moveBlocks } from "../support/rules-backfill.js";

const RULES = path.resolve(import.meta.dirname, "../../prometheus/rules/cloudops-features.yml");
const END = Math.floor(Date.UTC(2026, 0, 15) / 1000);
/** The recorded series begin 12 hours before the end of the fixture's day. */
const RECORDED_FROM = END - 12 * 3600;
const HOSTS = 3;

interface Logged {
  fields: Record<string, unknown>;
  message: string;
}

/** The client, with every range query it sends kept (as `[query, start, end]`). */
function spied(client: PrometheusClient): { client: PrometheusClient; ranges: [string, number, number][] } {
  const ranges: [string, number, number][] = [];
  const spy = Object.create(client) as PrometheusClient;
  spy.range = (query, range, options) => {
    ranges.push([query, range.start, range.end]);
    return client.range(query, range, options);
  };
  return { client: spy, ranges };
}

const isRecorded = (query: string) => FEATURES.some((f) => query === recordName(f));

/**
 * The client reading every range `lag` seconds earlier, its points labelled `lag` later: the values
 * a recorded series holds at each grid point, which are those of the rules' last evaluation before it.
 */
function lagged(client: PrometheusClient, lag: number): PrometheusClient {
  const spy = Object.create(client) as PrometheusClient;
  spy.range = async (query, range, options) =>
    (await client.range(query, { ...range, start: range.start - lag, end: range.end - lag }, options)).map(
      (s) => ({ ...s, points: s.points.map(([t, v]) => [t + lag, v] as [number, number]) }),
    );
  return spy;
}

/** `actual` equals, point by point, `expected` (or, at point i, `expectedAt(i)`). */
function expectSameWindow(
  actual: FeatureWindow,
  expected: FeatureWindow,
  expectedAt: (i: number) => FeatureWindow = () => expected,
) {
  expect([...actual.times]).toEqual([...expected.times]);
  expect([...actual.hosts.keys()].sort()).toEqual([...expected.hosts.keys()].sort());
  let compared = 0;
  for (const instance of expected.hosts.keys()) {
    const got = actual.hosts.get(instance);
    FEATURES.forEach((f, j) => {
      const have = got?.[j] as ArrayLike<number>;
      for (let i = 0; i < expected.times.length; i++) {
        const w = expectedAt(i).hosts.get(instance)?.[j]?.[i] as number;
        const h = have[i] as number;
        if (Number.isNaN(w)) expect(h, `${instance} ${f.name} @${i}`).toBeNaN();
        else {
          expect(Math.abs(h - w), `${instance} ${f.name} @${i}: ${h} vs ${w}`).toBeLessThanOrEqual(
            1e-6 * Math.max(1, Math.abs(w)),
          );
          compared++;
        }
      }
    });
  }
  // The fixture's hosts have every feature at every point: nothing was compared against a gap.
  expect(compared).toBe(HOSTS * FEATURES.length * expected.times.length);
}

/** Seconds from the newest recorded sample to END: the rule group's evaluation offset (under a minute). */
async function evaluationLag(client: PrometheusClient): Promise<number> {
  const name = recordName(FEATURES[0] as (typeof FEATURES)[number]);
  const [sample] = await client.instant(`timestamp(${name})`, { time: END });
  const lag = END - (sample?.value ?? Number.NaN);
  expect(lag).toBeGreaterThanOrEqual(0);
  expect(lag).toBeLessThan(60);
  return lag;
}

describe("feature sources against real Prometheus", () => {
  let raw: PrometheusProcess;
  let recorded: PrometheusProcess;
  /** Every feature recorded but these two. */
  let partial: PrometheusProcess;
  const UNRECORDED = ["swap_used", "net_errors"];
  const dirs: string[] = [];
  const client = (url: string, environment = "test") =>
    new PrometheusClient({ environment, baseUrl: url, timeoutMs: 30_000, retries: 0, cacheTtlMs: 0 });

  beforeAll(async () => {
    const rawDir = mkdtempSync(path.join(tmpdir(), "cloudops-prom-"));
    dirs.push(rawDir);
    for (const f of await writeFleet({ hosts: HOSTS, end: END, days: 1, stepSeconds: 60 })) {
      await backfill(f, rawDir);
      rmSync(f, { force: true });
    }
    raw = await startPrometheus({ dataDir: rawDir });
    const ruleBlocks = mkdtempSync(path.join(tmpdir(), "cloudops-rules-"));
    await backfillRules(raw.url, [RULES], { start: RECORDED_FROM, end: END }, ruleBlocks);
    const recordedDir = copyBlocks(rawDir);
    dirs.push(recordedDir);
    moveBlocks(ruleBlocks, recordedDir);
    recorded = await startPrometheus({ dataDir: recordedDir });

    const partialBlocks = mkdtempSync(path.join(tmpdir(), "cloudops-rules-"));
    const doc = parse(readFileSync(RULES, "utf8")) as { groups: { rules: { record: string }[] }[] };
    for (const g of doc.groups)
      g.rules = g.rules.filter((r) => !UNRECORDED.some((n) => r.record.includes(`_${n}:`)));
    expect(doc.groups[0]?.rules).toHaveLength(FEATURES.length - UNRECORDED.length);
    const partialRules = path.join(partialBlocks, "partial.yml");
    writeFileSync(partialRules, stringify(doc));
    await backfillRules(raw.url, [partialRules], { start: RECORDED_FROM, end: END }, partialBlocks);
    const partialDir = copyBlocks(rawDir);
    dirs.push(partialDir);
    moveBlocks(partialBlocks, partialDir);
    partial = await startPrometheus({ dataDir: partialDir });
  });

  afterAll(async () => {
    await Promise.all([raw?.stop(), recorded?.stop(), partial?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("reads the recorded series from where they begin, raw queries before, with the raw window's values", async () => {
    const logged: Logged[] = [];
    const sources = new FeatureSources({
      logger: { info: (fields, message) => logged.push({ fields, message }) },
    });
    const range = { start: END - 20 * 3600, end: END, step: 300 };
    const spy = spied(client(recorded.url));
    const window = await sources.fetch(spy.client, range, { rateWindowSeconds: 300 });

    // One line for the environment, dating the recorded series to within the coarse look's step.
    expect(logged.map((l) => l.message)).toEqual([RECORDED_MODE_MESSAGE]);
    const since = Date.parse(String(logged[0]?.fields.recordedSince)) / 1000;
    expect(logged[0]?.fields.environment).toBe("test");
    expect(logged[0]?.fields.recorded).toBe(FEATURES.length);
    expect(logged[0]?.fields.rawQueries).toBeUndefined();
    expect(since).toBeGreaterThanOrEqual(RECORDED_FROM);
    expect(since).toBeLessThanOrEqual(RECORDED_FROM + 900);

    // Before `since`, the raw queries' values at the grid points; from it, the rules' evaluations,
    // made once a minute at the group's offset: the values of the raw queries `lag` seconds earlier.
    const expected = await fetchFeatures(client(raw.url), range, { rateWindowSeconds: 300 });
    expect(expected.hosts.size).toBe(HOSTS);
    expect(expected.hosts.has(`${fleetHost(0)}:9100`)).toBe(true);
    const lag = await evaluationLag(client(recorded.url));
    const atEvaluations = await fetchFeatures(lagged(client(raw.url), lag), range, {
      rateWindowSeconds: 300,
    });
    expectSameWindow(window, expected, (i) =>
      (expected.times[i] as number) < since ? expected : atEvaluations,
    );
    // The two differ (the fixture's noise moves every minute): the comparison tells them apart.
    expect(window.hosts.get(`${fleetHost(0)}:9100`)?.[0]?.at(-1)).not.toBe(
      expected.hosts.get(`${fleetHost(0)}:9100`)?.[0]?.at(-1),
    );

    // Both kinds were read, each feature both ways, and each on its own side of the start.
    const fetches = spy.ranges.filter(([q]) => !q.startsWith("count("));
    const recordedReads = fetches.filter(([q]) => isRecorded(q));
    const rawReads = fetches.filter(([q]) => !isRecorded(q));
    expect(new Set(recordedReads.map(([q]) => q)).size).toBe(FEATURES.length);
    expect(rawReads.length).toBeGreaterThanOrEqual(FEATURES.length);
    for (const [, start] of recordedReads) expect(start).toBeGreaterThanOrEqual(since);
    for (const [, , end] of rawReads) expect(end).toBeLessThan(since);
    // The raw part covers the grid up to the recorded part, with no point read twice or left out.
    const covered = fetches.reduce((n, [, s, e]) => n + Math.round((e - s) / range.step) + 1, 0);
    expect(covered).toBe(FEATURES.length * expected.times.length);
    // The fetch, plus the look for the 18 names and the one dating them.
    expect(window.queries).toBe(fetches.length + 2);

    // A window inside the recorded span reads recorded series only; the check is not made again.
    const recent = spied(client(recorded.url));
    const scan = await sources.fetch(recent.client, { start: END - 3900, end: END, step: 60 });
    // 66 points: the first feature's newest 48 size the fleet, then its 18 older ones, then the others.
    expect([...new Set(recent.ranges.map(([q]) => q))].sort()).toEqual(FEATURES.map(recordName).sort());
    expect(scan.queries).toBe(FEATURES.length + 1);
    expect(recent.ranges).toHaveLength(scan.queries);
    expectSameWindow(
      scan,
      await fetchFeatures(
        lagged(client(raw.url), lag),
        { start: END - 3900, end: END, step: 60 },
        { rateWindowSeconds: 300 },
      ),
    );
    expect(logged).toHaveLength(1);
  });

  it("reads raw queries for the features the rules do not record", async () => {
    const logged: Logged[] = [];
    const sources = new FeatureSources({
      logger: { info: (fields, message) => logged.push({ fields, message }) },
    });
    const range = { start: END - 6 * 3600, end: END, step: 300 };
    const spy = spied(client(partial.url));
    const window = await sources.fetch(spy.client, range, { rateWindowSeconds: 300 });
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toBe(RECORDED_MODE_MESSAGE);
    expect(logged[0]?.fields).toMatchObject({
      recorded: FEATURES.length - UNRECORDED.length,
      rawQueries: UNRECORDED,
    });

    const reads = spy.ranges.filter(([q]) => !q.startsWith("count("));
    for (const f of FEATURES) {
      const own = reads.filter(([q]) => q === recordName(f) || q === featureQuery(f, 300));
      expect(own.length, f.name).toBeGreaterThan(0);
      expect(
        own.every(([q]) => isRecorded(q)),
        f.name,
      ).toBe(!UNRECORDED.includes(f.name));
    }
    const expected = await fetchFeatures(client(raw.url), range, { rateWindowSeconds: 300 });
    const atEvaluations = await fetchFeatures(
      lagged(client(raw.url), await evaluationLag(client(partial.url))),
      range,
      {
        rateWindowSeconds: 300,
      },
    );
    // Per feature: the unrecorded ones as the raw queries give them at the grid points.
    const merged: FeatureWindow = { ...expected, hosts: new Map() };
    for (const [instance, series] of expected.hosts) {
      merged.hosts.set(
        instance,
        FEATURES.map((f, j) =>
          UNRECORDED.includes(f.name)
            ? (series[j] as Float32Array)
            : (atEvaluations.hosts.get(instance)?.[j] as Float32Array),
        ),
      );
    }
    expectSameWindow(window, merged);
  });

  it("reads raw queries where the rules are missing, and says so once per environment", async () => {
    const logged: Logged[] = [];
    const sources = new FeatureSources({
      logger: { info: (fields, message) => logged.push({ fields, message }) },
    });
    const range = { start: END - 6 * 3600, end: END, step: 300 };
    for (const environment of ["prod", "prod", "staging"]) {
      const spy = spied(client(raw.url, environment));
      const window = await sources.fetch(spy.client, range, { rateWindowSeconds: 300 });
      expect(window.hosts.size).toBe(HOSTS);
      expect(spy.ranges.some(([q]) => isRecorded(q))).toBe(false);
      expect(spy.ranges.some(([q]) => q.includes("rate(node_cpu_seconds_total"))).toBe(true);
    }
    expect(logged).toEqual([
      { fields: { environment: "prod" }, message: RAW_MODE_MESSAGE },
      { fields: { environment: "staging" }, message: RAW_MODE_MESSAGE },
    ]);
  });

  it("checks again after an hour, and reads raw queries for another rate window or a finer step", async () => {
    let now = Date.UTC(2026, 0, 15);
    const sources = new FeatureSources({ now: () => now });
    const c = client(recorded.url);
    const since = async () => (await sources.recordedSince(c, { start: END - 3600, end: END })).queries;
    expect(await since()).toBe(2);
    now += 30 * 60_000;
    expect(await since()).toBe(0);
    now += 31 * 60_000;
    // Still there: only the look for the names, the start found before holds.
    expect(await since()).toBe(1);

    for (const [step, rateWindowSeconds] of [
      [15, 300],
      [300, 600],
    ] as const) {
      const spy = spied(c);
      await sources.fetch(spy.client, { start: END - 3600, end: END, step }, { rateWindowSeconds });
      expect(spy.ranges.some(([q]) => isRecorded(q))).toBe(false);
    }
  });
});
