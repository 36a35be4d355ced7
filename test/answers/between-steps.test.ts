/**
 * Numbers that do not depend on where the steps fall, and baselines only with history behind them:
 * the built-in engine against its own Prometheus holding step-fixture.ts's dataset.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuiltinEngine } from "../../src/assistant/engine.js";
import { runTool } from "../../src/assistant/llm/tools.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { namedQuery } from "../../src/metrics/catalogue.js";
import { Environments } from "../../src/metrics/environments.js";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { hostMatcher } from "../../src/metrics/promql.js";
import { formatClock } from "../../src/metrics/units.js";
import { plainText, type Reply, type ReplyChart } from "../../src/reply/reply.js";
import {
  STEP_S,
  type StepFixture,
  type StepFixturePrometheus,
  startStepFixturePrometheus,
} from "./step-fixture.js";

const WEB_1 = hostMatcher("web-1");
let prom: StepFixturePrometheus;
let f: StepFixture;
let engine: BuiltinEngine;
let engineEnvironments: Environments;

beforeAll(async () => {
  prom = await startStepFixturePrometheus();
  f = prom.fixture;
  engineEnvironments = new Environments(prometheusSettings(loadConfig({ PROMETHEUS_URL: prom.url })));
  engine = new BuiltinEngine({
    environments: engineEnvironments,
    renderChart: renderLineChart,
    deadlineMs: 20_000,
    now: () => f.now * 1000,
  });
}, 120_000);

afterAll(async () => {
  await prom?.stop();
});

/** The engine's answer, its text as plain characters (these answers carry no mentions or links). */
async function ask(text: string): Promise<Reply & { text: string }> {
  const a = await engine.answer({ platform: "api", user: "t", channel: "t", text });
  const reply = { ...a.reply, text: plainText(a.reply.text) };
  expect(reply.tone, `${reply.title}\n${reply.text}`).not.toBe("error");
  return reply;
}

/** The values a plain range query at the answer's step sees: what the answer must not rely on. */
async function stepPoints(expr: string): Promise<number[]> {
  const client = new PrometheusClient({
    environment: "t",
    baseUrl: prom.url,
    timeoutMs: 10_000,
    retries: 0,
    cacheTtlMs: 0,
  });
  const end = f.lastStep;
  const series = await client.range(expr, { start: end - 86400, end, step: STEP_S });
  return series.flatMap((s) => s.points.map(([, v]) => v));
}

describe("a spike between two steps", () => {
  it("is the peak of a memory trend, at its own time, and 'now' is the instant value", async () => {
    // The dataset is what it claims: the 10-minute steps never land on the spike.
    const plain = await stepPoints(namedQuery("memory_used_percent").build({ matchers: [WEB_1] }));
    expect(Math.max(...plain.filter((v) => Number.isFinite(v)))).toBeCloseTo(f.memory.usual, 5);

    const r = await ask("memory trend last 24h on web-1");
    expect(r.text).toContain(
      `Memory last 24h: peak ${f.memory.spike.toFixed(1)}% on web-1 at ${formatClock(f.memory.spikeAt)}`,
    );
    // "now" is the value at the asked time (changed after the last step), not the last step point.
    expect(r.text).toMatch(
      new RegExp(
        `web-1: now ${f.memory.now.toFixed(1)}% · avg \\d\\d\\.\\d% · min ${f.memory.now.toFixed(1)}% · max ${f.memory.spike.toFixed(1)}%`,
      ),
    );
  });

  it("is the peak of a CPU trend as the busiest 5-minute average, and 'now' is the 5-minute average now", async () => {
    const plain = await stepPoints(
      namedQuery("cpu_busy_percent").build({ matchers: [WEB_1], windowSeconds: 2 * STEP_S }),
    );
    // Averaged over 20-minute windows at 10-minute steps the burst reads as ~28%, far below its peak.
    expect(Math.max(...plain.filter((v) => Number.isFinite(v)))).toBeLessThan(f.cpu.peak - 15);

    const r = await ask("cpu trend last 24h on web-1");
    const peak = /CPU last 24h: peak ([\d.]+)% on web-1 at (\d\d:\d\d UTC)/.exec(r.text);
    expect(peak, r.text).not.toBeNull();
    expect(Number(peak?.[1])).toBeCloseTo(f.cpu.peak, 0);
    // The first 5-minute window holding the whole burst ends between its end and 3 minutes later.
    const clocks = [0, 60, 120, 180].map((d) => formatClock(f.cpu.burstTo + d));
    expect(clocks).toContain(peak?.[2]);
    expect(r.text).toMatch(
      new RegExp(`web-1: now ${f.cpu.now.toFixed(1)}% · avg 2\\d\\.\\d% · min ${f.cpu.usual.toFixed(1)}%`),
    );
    expect(r.context.join("\n")).toContain("Now: 5 min average at");
  });
});

describe("the query_metric tool", () => {
  it("reports the spike between its steps as the range's max", async () => {
    const r = await runTool(
      "query_metric",
      { metric: "memory", host: "web-1", range: "24h" },
      { environments: engineEnvironments, now: () => f.now * 1000, signal: AbortSignal.timeout(20_000) },
    );
    expect(r.status).toBe("success");
    const data = r.data as { series: { max: number; min: number }[]; minMax: string };
    expect(data.series[0]?.max).toBe(f.memory.spike);
    expect(data.series[0]?.min).toBe(f.memory.now);
    expect(data.minMax).toBe("min and max over evaluations every 15 s");
  });
});

describe("the chart seam", () => {
  it("draws the trend answer's chart from data: the same title, lines and description", async () => {
    const answer = await ask("memory trend last 24h on web-1");
    const chart = await engine.chart({ topic: "memory", host: "web-1", rangeSeconds: 86_400 });
    expect(chart?.title).toBe("Memory on web-1 — last 24h");
    expect(chart?.title).toBe(answer.chart?.title);
    expect(chart?.alt).toBe(answer.chart?.alt);
    expect(chart?.png.subarray(1, 4).toString()).toBe("PNG");
  });

  it("is what render_chart attaches, asked by catalogue query, never by a question", async () => {
    const attached: ReplyChart[] = [];
    const ctx = {
      environments: engineEnvironments,
      now: () => f.now * 1000,
      signal: AbortSignal.timeout(20_000),
      charts: engine,
      attach: (c: ReplyChart) => void attached.push(c),
    };
    const r = await runTool("render_chart", { metric: "cpu", host: "web-1", range: "6h" }, ctx);
    expect(r).toEqual({
      status: "success",
      data: { attached: "CPU on web-1 — last 6h", shows: attached[0]?.alt },
    });
    expect(attached).toHaveLength(1);
    const unknown = await runTool("render_chart", { metric: "cpu", host: "nope-9", range: "6h" }, ctx);
    expect(unknown.status).toBe("error");
    expect(unknown.error).toContain('no host called "nope-9"');
  });
});

describe("usual level", () => {
  it("is withheld on 30 minutes of history, saying how much there is", async () => {
    const r = await ask("cpu now on fresh-1");
    expect(r.title).toBe(`🟢 CPU ${f.fresh.cpu.toFixed(1)}% on fresh-1`);
    expect(r.text).not.toMatch(/Usual level: \d/);
    const said = /Usual level: not known yet — (\d+) min of history, needs 24 h/.exec(r.text);
    expect(said, r.text).not.toBeNull();
    expect(Number(said?.[1])).toBeGreaterThanOrEqual(25);
    expect(Number(said?.[1])).toBeLessThanOrEqual(30);
  });

  it("is given with a day of history", async () => {
    const r = await ask("cpu now on web-1");
    expect(r.text).toMatch(/Usual level: 2\d\.\d% \(24 h average\)/);
  });

  it("is shown fleet-wide only for the hosts that have the history", async () => {
    const r = await ask("cpu usage");
    expect(r.fields.find((x) => x.label.endsWith("fresh-1"))?.value).toBe(`${f.fresh.cpu.toFixed(1)}%`);
    expect(r.fields.find((x) => x.label.endsWith("web-1"))?.value).toMatch(/\(usual 2\d\.\d%\)$/);
    expect(r.text).toContain("Usual level not known yet for 1 of 2 hosts (under 24 h of history): fresh-1");
  });

  it("is not invented for the week before: a comparison says there is nothing to compare with", async () => {
    const r = await ask("compare cpu week over week");
    expect(r.text).not.toMatch(/Biggest change/);
    expect(r.text).toMatch(/no data for the week before, so nothing to compare with/);
    expect(r.fields.find((x) => x.label === "web-1")?.value).toMatch(
      /^avg 2\d\.\d% \(over 26 h( 30 min)? of data\) · the week before: no data$/,
    );
    // Half an hour of history is told as such, not rounded up to the range's step.
    expect(r.fields.find((x) => x.label === "fresh-1")?.value).toMatch(
      /^avg 60\.0% \(over (20|30) min of data\) · the week before: no data$/,
    );
  });

  it("flags a host ranked by an average it has too little history for", async () => {
    const r = await ask("top 5 hosts by cpu last 24h");
    expect(r.text).toMatch(/^1\. fresh-1 60\.0% \(only \d+ min of data\)$/m);
    expect(r.text).toMatch(/^2\. web-1 2\d\.\d%$/m);
  });
});
