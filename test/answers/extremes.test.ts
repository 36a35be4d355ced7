/** The PromQL for extremes and coverage: resolutions, bounds and folding, without a Prometheus. */
import { describe, expect, it } from "vitest";
import { namedQuery } from "../../src/metrics/catalogue.js";
import { coverageOfCount, historyText, windowQueries } from "../../src/metrics/coverage.js";
import {
  EXTREME_LABEL,
  extremesBySeries,
  extremesQuery,
  fineResolution,
  isWindowed,
  MAX_EVALUATIONS,
  peakSearchRange,
} from "../../src/metrics/extremes.js";

const DAY = 86400;
const cpu = (w: number) => namedQuery("cpu_busy_percent").build({ windowSeconds: w });
const memory = (w: number) => namedQuery("memory_used_percent").build({ windowSeconds: w });

describe("fine resolution", () => {
  it("tells rates from gauges by their range selectors", () => {
    expect(isWindowed(cpu(300))).toBe(true);
    expect(isWindowed(memory(300))).toBe(false);
  });

  it("reads every 15 s scrape of a gauge over a day, and every minute of 5-minute rates", () => {
    expect(fineResolution(false, DAY)).toEqual({ resolution: 15, windowSeconds: 300 });
    expect(fineResolution(true, DAY)).toEqual({ resolution: 60, windowSeconds: 300 });
  });

  it("stays within an answer's budget however long the range, with windows that leave no gap", () => {
    for (const days of [1, 7, 14, 31, 90, 400]) {
      for (const windowed of [false, true]) {
        const f = fineResolution(windowed, days * DAY);
        expect((days * DAY) / f.resolution).toBeLessThanOrEqual(windowed ? 1440 : 5760);
        expect((days * DAY) / f.resolution).toBeLessThanOrEqual(MAX_EVALUATIONS);
        if (windowed) expect(f.windowSeconds).toBeGreaterThanOrEqual(f.resolution);
      }
    }
    // A week of rates: the busiest 10-minute average, found to within 10 minutes.
    expect(fineResolution(true, 7 * DAY)).toEqual({ resolution: 600, windowSeconds: 600 });
    expect(fineResolution(false, 7 * DAY)).toEqual({ resolution: 120, windowSeconds: 300 });
  });
});

describe("extremes query", () => {
  const range = { start: 1_000_200, end: 1_000_200 + DAY, step: 600 };

  it("is not needed when the steps are already as fine", () => {
    expect(extremesQuery(memory, { start: 0, end: 3600, step: 15 })).toBeUndefined();
    expect(extremesQuery(cpu, { start: 0, end: 3600, step: 60 })).toBeUndefined();
  });

  it("takes each step's max and min of the expression at the fine resolution", () => {
    const q = extremesQuery(memory, range);
    expect(q?.expr).toBe(
      `label_replace(max_over_time((${memory(300)})[10m:15s]), "${EXTREME_LABEL}", "max", "", "") or label_replace(min_over_time((${memory(300)})[10m:15s]), "${EXTREME_LABEL}", "min", "", "")`,
    );
  });

  it("covers the whole span up to 'now', including the part after the last aligned step", () => {
    const until = range.end + 420;
    const q = extremesQuery(cpu, range, until);
    expect(q?.end).toBe(until);
    expect((q?.start ?? 0) - 600).toBeLessThanOrEqual(range.start);
    expect(((q?.end ?? 0) - (q?.start ?? 0)) % 600).toBe(0);
  });

  it("locates a peak inside its step at the instants the subquery used", () => {
    const q = extremesQuery(cpu, range, range.end + 420);
    if (!q) throw new Error("expected an extremes query");
    const r = peakSearchRange(q, range.end + 420 - 3 * 600);
    expect(r.step).toBe(60);
    expect(r.start % 60).toBe(0);
    expect(r.end % 60).toBe(0);
    expect(r.end - r.start).toBeLessThanOrEqual(600);
  });

  it("folds the max and min halves per series, whatever the label order", () => {
    const e = extremesBySeries([
      {
        labels: { instance: "a", [EXTREME_LABEL]: "max" },
        points: [
          [10, 5],
          [20, 9],
          [30, 7],
        ],
      },
      {
        labels: { [EXTREME_LABEL]: "min", instance: "a" },
        points: [
          [10, 2],
          [20, 3],
          [30, 1],
        ],
      },
      { labels: { instance: "b", [EXTREME_LABEL]: "max" }, points: [[10, Number.NaN]] },
    ]);
    expect([...e.keys()]).toHaveLength(1);
    expect([...e.values()][0]).toEqual({ max: 9, maxAt: 20, min: 1, minAt: 30 });
  });
});

describe("coverage", () => {
  it("counts evaluations with a value against the window", () => {
    const q = windowQueries(cpu, DAY);
    expect(q.resolution).toBe(300);
    expect(q.count).toBe(`count_over_time((${cpu(300)})[1d:5m])`);
    const young = coverageOfCount(4, q);
    expect(young.enough).toBe(false);
    expect(historyText(young)).toBe("20 min of history, needs 24 h");
    // Fewer minutes than one evaluation step: some history, too little to count.
    expect(historyText(coverageOfCount(undefined, q))).toBe("less than 5 min of history, needs 24 h");
    expect(coverageOfCount(0.85 * 288, q).enough).toBe(true);
    expect(coverageOfCount(289, q).fraction).toBe(1);
    expect(historyText(coverageOfCount(318, windowQueries(cpu, 7 * DAY, 336)))).toBe(
      "6 d 15 h of history, needs 7 d",
    );
    expect(historyText(coverageOfCount(53, windowQueries(cpu, 7 * DAY, 336)))).toBe(
      "26 h 30 min of history, needs 7 d",
    );
  });
});
