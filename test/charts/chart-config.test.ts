/** CHART_WORKERS and CHART_QUEUE: defaults, and one clear line naming the variable when wrong. */
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";

describe("chart settings", () => {
  it("default to one worker per core but one (at least one) and 100 waiting charts", () => {
    expect(loadConfig({}).charts).toEqual({
      workers: Math.max(1, availableParallelism() - 1),
      queue: 100,
    });
    expect(loadConfig({ CHART_WORKERS: "", CHART_QUEUE: "" }).charts.queue).toBe(100);
  });

  it("take 0 workers (draw on the main thread) and a queue of 0 (refuse whenever all are busy)", () => {
    expect(loadConfig({ CHART_WORKERS: "0", CHART_QUEUE: "0" }).charts).toEqual({ workers: 0, queue: 0 });
  });

  it.each([
    [
      "CHART_WORKERS",
      "-1",
      'Invalid configuration: CHART_WORKERS must be a whole number between 0 and 64 (got "-1")',
    ],
    ["CHART_WORKERS", "65", 'Invalid configuration: CHART_WORKERS must be at most 64 (got "65")'],
    [
      "CHART_QUEUE",
      "lots",
      'Invalid configuration: CHART_QUEUE must be a whole number between 0 and 10000 (got "lots")',
    ],
  ])("refuse %s=%s naming the variable", (variable, value, message) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(message);
  });
});
