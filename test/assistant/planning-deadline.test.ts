/**
 * Planning answers (forecasts, capacity, rightsizing, comparisons) read weeks of history: they get
 * PLANNING_DEADLINE_MS, while a "now" question keeps ANSWER_DEADLINE_MS. Against a real fixture
 * Prometheus behind a proxy that holds every query a while longer than the short deadline.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BuiltinEngine } from "../../src/assistant/engine.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { Environments } from "../../src/metrics/environments.js";
import { plainText } from "../../src/reply/reply.js";
import { type SlowProxy, startSlowProxy } from "../fakes/slow-proxy.js";

let proxy: SlowProxy;
let engine: BuiltinEngine;

beforeAll(async () => {
  // Every API call is held 1.5 s: past the 1 s answer deadline, well within the 15 s planning one.
  proxy = await startSlowProxy(inject("prometheusUrl"), "/api/v1/", 1500);
  const end = Date.parse(inject("fixtureEnd"));
  const config = loadConfig({
    PROMETHEUS_URL: proxy.url,
    PROMETHEUS_TIMEOUT_MS: "10000",
    PROMETHEUS_RETRIES: "0",
  });
  engine = new BuiltinEngine({
    environments: new Environments(prometheusSettings(config)),
    renderChart: renderLineChart,
    deadlineMs: 1000,
    planningDeadlineMs: 15_000,
    now: () => end,
  });
});

afterAll(async () => {
  await proxy?.close();
});

const ask = (text: string) => engine.answer({ platform: "api", user: "t", channel: "t", text });

describe("deadlines of planning answers", () => {
  it("answers a capacity report past the short deadline, from the data", async () => {
    const a = await ask("capacity report");
    expect(a.intent).toBe("capacity");
    expect(a.reply.tone).not.toBe("error");
    expect(`${a.reply.title}\n${plainText(a.reply.text)}`).not.toMatch(/did not answer|too slow|in time/i);
  });

  it("keeps the short deadline for a question about now", async () => {
    const a = await ask("cpu usage");
    expect(a.intent).toBe("metric_now");
    expect(a.reply.tone).toBe("error");
  });
});
