/**
 * Charts in answers, against the fixture Prometheus: the bot's question flow draws them on worker
 * threads and stops them on close; a pool that is full answers without the chart and says why,
 * instead of waiting.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BuiltinEngine } from "../../src/assistant/engine.js";
import { type ChartDrawer, ChartPool } from "../../src/charts/chart-pool.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { createQuestionFlow } from "../../src/flows/question-flow.js";
import { Environments } from "../../src/metrics/environments.js";
import { silentLogger } from "../../src/observability/logger.js";
import { plainText } from "../../src/reply/reply.js";
import { until } from "../support/until.js";

let end: number;
let config: ReturnType<typeof loadConfig>;

beforeAll(() => {
  end = Date.parse(inject("fixtureEnd"));
  config = loadConfig({
    PROMETHEUS_URL: inject("prometheusUrl"),
    CHART_WORKERS: "1",
    // A loaded machine may be slow; no answer here is about the deadline.
    ANSWER_DEADLINE_MS: "30000",
    PROMETHEUS_TIMEOUT_MS: "20000",
  });
});

const question = (text: string) => ({ platform: "api" as const, user: "t", channel: "t", text });

describe("the bot's question flow", () => {
  it("draws an answer's chart on a worker thread, and draws none once closed", async () => {
    const flow = createQuestionFlow({
      config,
      environments: new Environments(prometheusSettings(config)),
      logger: silentLogger(),
      now: () => end,
    });
    try {
      const { reply } = await flow.engine.answer(question("cpu trend last 1h"));
      expect(reply.tone).not.toBe("error");
      expect(reply.chart?.png.subarray(1, 4).toString()).toBe("PNG");
      expect(reply.chart?.alt).toMatch(/^Line chart of CPU for db-1, web-1 and web-2/);
      // Charts asked for as data (alert messages, the LLM's render_chart) take the same pool.
      const chart = await flow.engine.chart({ topic: "memory", rangeSeconds: 3600, host: "web-1" });
      expect(chart?.png.subarray(1, 4).toString()).toBe("PNG");
    } finally {
      await flow.close();
    }
    const after = await flow.engine.answer(question("cpu trend last 2h"));
    expect(after.reply.chart).toBeUndefined();
    expect(after.reply.context).toContain(
      "Chart not drawn: charts are no longer drawn: the bot is shutting down",
    );
  });
});

describe("a full chart pool", () => {
  let engine: BuiltinEngine;
  let charts: ChartPool;
  let release: () => void = () => {};

  beforeAll(async () => {
    // One worker, no queue, and the worker kept busy until the tests end.
    let started = 0;
    const draw: ChartDrawer = (spec) => {
      started++;
      return new Promise((resolve) => {
        release = () => resolve({ title: spec.title, alt: "", png: Buffer.alloc(0), width: 0, height: 0 });
      });
    };
    charts = new ChartPool({ workers: 1, queue: 0, draw });
    void charts.render({ title: "keeps the worker busy", unit: "percent", series: [] });
    await until("the worker to be busy", () => started === 1, 60_000, 1);
    engine = new BuiltinEngine({
      environments: new Environments(prometheusSettings(config)),
      renderChart: charts.render,
      deadlineMs: 30_000,
      now: () => end,
    });
  });

  afterAll(async () => {
    release();
    await charts.close();
  });

  const BUSY = "Chart not drawn: charts are busy (1 being drawn, 0 waiting); ask again in a moment";

  it.each([
    ["a trend", "cpu trend last 1h", /CPU last 1h/],
    ["a comparison", "compare cpu week over week", /CPU: last 7d vs the week before/],
    ["uptime", "uptime trend last 24h", /reboot/],
  ])("answers %s at once, with its numbers and without the chart, saying why", async (_, text, title) => {
    const { reply } = await engine.answer(question(text));
    expect(reply.tone).not.toBe("error");
    expect(reply.title).toMatch(title);
    expect(reply.chart).toBeUndefined();
    expect(reply.context).toContain(BUSY);
    expect(plainText(reply.text).length).toBeGreaterThan(0);
  });

  it("refuses a chart asked for as data with the same reason", async () => {
    await expect(engine.chart({ topic: "cpu", rangeSeconds: 3600 })).rejects.toThrow(
      "charts are busy (1 being drawn, 0 waiting); ask again in a moment",
    );
    expect(charts.stats()).toMatchObject({ drawing: 1, waiting: 0, peakDrawing: 1 });
  });
});
