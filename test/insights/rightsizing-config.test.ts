/**
 * Rightsizing's settings from the environment: unit prices (default or the operator's), currency,
 * lookback, and COST_PRICE_FILE — read at start-up, and a bad one stops the start with one line
 * naming the variable.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { createQuestionFlow } from "../../src/flows/question-flow.js";
import { DEFAULT_CPU_CORE_MONTH, DEFAULT_GB_MONTH } from "../../src/insights/prices.js";
import { Environments } from "../../src/metrics/environments.js";

const dir = mkdtempSync(path.join(tmpdir(), "cloudops-prices-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

function flow(env: Record<string, string>) {
  const config = loadConfig(env);
  return createQuestionFlow({
    config,
    environments: new Environments({
      environments: [{ name: "default", url: "http://127.0.0.1:9" }],
      timeoutMs: 100,
      retries: 0,
      cacheTtlMs: 0,
    }),
    logger: async () => {
      throw new Error("no logger needed");
    },
    renderChart: () => {
      throw new Error("no charts");
    },
  });
}

describe("cost settings", () => {
  it("defaults: the estimate's prices (the same numbers as prices.ts), $ and 14 days", () => {
    const c = loadConfig({}).costs;
    expect(c).toEqual({
      cpuCoreMonth: DEFAULT_CPU_CORE_MONTH,
      gbMonth: DEFAULT_GB_MONTH,
      currency: "$",
      origin: "default",
      lookbackSeconds: 14 * 86_400,
    });
  });

  it("the operator's prices, currency and lookback", () => {
    const c = loadConfig({
      COST_CPU_CORE_MONTH: "30.5",
      COST_CURRENCY: "EUR",
      RIGHTSIZING_LOOKBACK: "30d",
    }).costs;
    expect(c).toMatchObject({
      cpuCoreMonth: 30.5,
      gbMonth: DEFAULT_GB_MONTH,
      currency: "EUR",
      origin: "configured",
    });
    expect(c.lookbackSeconds).toBe(30 * 86_400);
  });

  it.each([
    [{ COST_CPU_CORE_MONTH: "-1" }, /COST_CPU_CORE_MONTH must be a number above 0/],
    [{ COST_GB_MONTH: "abc" }, /COST_GB_MONTH must be a number/],
    [{ COST_CURRENCY: "dollars" }, /COST_CURRENCY must be 1-4 characters/],
    [{ RIGHTSIZING_LOOKBACK: "1h" }, /RIGHTSIZING_LOOKBACK must be a duration/],
    [{ COST_PRICE_FILE: "/nonexistent/prices.csv" }, /COST_PRICE_FILE cannot read \/nonexistent\/prices.csv/],
  ])("refuses %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("a good price file prices the hosts it lists", () => {
    const f = file("prices.csv", "host,monthly\nweb-1,120\n");
    const c = loadConfig({ COST_PRICE_FILE: f }).costs;
    expect(c.file).toBe("prices.csv");
    expect(() => flow({ COST_PRICE_FILE: f })).not.toThrow();
  });

  it("a bad price file stops the start with one line naming COST_PRICE_FILE and the line at fault", () => {
    const f = file("bad.csv", "host,monthly\nweb-1,120\nweb-2,lots\n");
    expect(() => flow({ COST_PRICE_FILE: f })).toThrow(
      /^Invalid configuration: COST_PRICE_FILE is not usable: bad\.csv, line 3: price "lots" is not a number/,
    );
    const j = file("bad.json", '{"web-1": -5}');
    expect(() => flow({ COST_PRICE_FILE: j })).toThrow(
      /COST_PRICE_FILE is not usable: bad\.json: must be 0 or more/,
    );
  });
});
