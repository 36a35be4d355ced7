/**
 * "why is web-2 slow?" asks for a first look at a host: the engine hands the resolved host to the
 * investigator it was given, and without one answers the host's health and says the first look is
 * not available. Against the fixture Prometheus.
 */
import { beforeAll, describe, expect, inject, it } from "vitest";
import { BuiltinEngine, type BuiltinEngineOptions } from "../../src/assistant/engine.js";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { createQuestionFlow } from "../../src/flows/question-flow.js";
import { Environments } from "../../src/metrics/environments.js";
import { makeReply } from "../../src/reply/reply.js";

let base: BuiltinEngineOptions;

beforeAll(() => {
  const end = Date.parse(inject("fixtureEnd"));
  const config = loadConfig({ PROMETHEUS_URL: inject("prometheusUrl") });
  base = {
    environments: new Environments(prometheusSettings(config)),
    renderChart: renderLineChart,
    deadlineMs: 10_000,
    now: () => end,
  };
});

const ask = (engine: BuiltinEngine, text: string) =>
  engine.answer({ platform: "api", user: "t", channel: "t", text });

describe("why questions about a host", () => {
  it("go to the investigator with the host resolved against Prometheus", async () => {
    const asked: string[] = [];
    const engine = new BuiltinEngine({
      ...base,
      investigate: async ({ environment, host }) => {
        asked.push(`${environment}/${host.name}`);
        return makeReply({ title: `🔎 First look: ${host.name}`, text: "from the investigator" });
      },
    });
    const a = await ask(engine, "why is web2 so slow?");
    expect(a.intent).toBe("investigate");
    expect(a.reply.title).toBe("🔎 First look: web-2");
    expect(asked).toEqual(["default/web-2"]);
  });

  it("without an investigator answer the host's health and say the first look is missing", async () => {
    const a = await ask(new BuiltinEngine(base), "investigate db-1");
    expect(a.intent).toBe("investigate");
    expect(a.reply.title).toContain("db-1");
    expect(a.reply.context.join("\n")).toMatch(/first look .* is not available here/i);
  });

  it("are answered by the bot's own first look, from the data", async () => {
    const end = Date.parse(inject("fixtureEnd"));
    const config = loadConfig({ PROMETHEUS_URL: inject("prometheusUrl") });
    const flow = createQuestionFlow({
      config,
      environments: new Environments(prometheusSettings(config)),
      logger: async () => {
        throw new Error("no logger needed");
      },
      renderChart: renderLineChart,
      now: () => end,
    });
    try {
      const a = await flow.engine.answer({
        platform: "api",
        user: "t",
        channel: "t",
        text: "why is web-2 slow?",
      });
      expect(a.intent).toBe("investigate");
      expect(a.reply.title).toMatch(/^🔎 First look/);
      expect(a.reply.title).toContain("web-2");
    } finally {
      await flow.close();
    }
  });
});
