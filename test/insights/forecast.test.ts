import { describe, expect, it } from "vitest";
import { harmonicRegression } from "../../src/insights/forecast/harmonic.js";
import { forecast, timeToThreshold } from "../../src/insights/forecast/index.js";
import { calendarForStep } from "../../src/insights/forecast/model.js";
import { robustTrend } from "../../src/insights/forecast/robust-trend.js";
import { seasonalNaive } from "../../src/insights/forecast/seasonal-naive.js";

const STEP = 300;
const DAY = 288;
const calendar = calendarForStep(STEP);

/** Deterministic noise so a test reads the same every run. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u1 = (s + 1) / 2 ** 32;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u2 = (s + 1) / 2 ** 32;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
}

function series(n: number, f: (i: number) => number): { values: Float64Array; times: Float64Array } {
  return {
    values: Float64Array.from({ length: n }, (_, i) => f(i)),
    times: Float64Array.from({ length: n }, (_, i) => 1_700_000_000 + i * STEP),
  };
}

describe("forecast models", () => {
  it("robust trend extends a line, ignoring outliers and NaN gaps", () => {
    const { values } = series(500, (i) => 10 + 0.5 * i);
    values[100] = 1e6;
    values[200] = Number.NaN;
    const f = robustTrend(values, calendar, 10);
    expect(f[9]).toBeCloseTo(10 + 0.5 * 509, 6);
  });

  it("seasonal naive repeats yesterday; with no daily period the last value", () => {
    const { values } = series(3 * DAY, (i) => Math.sin((2 * Math.PI * i) / DAY));
    const f = seasonalNaive(values, calendar, DAY);
    expect(f[5]).toBeCloseTo(Math.sin((2 * Math.PI * (3 * DAY + 5)) / DAY), 9);
    const hourly = seasonalNaive(Float64Array.from([1, 2, 3]), calendarForStep(7 * 3600 + 1), 4);
    expect([...hourly]).toEqual([3, 3, 3, 3]);
  });

  it("harmonic regression recovers a daily sine on a trend", () => {
    const truth = (i: number): number => 50 + 0.01 * i + 5 * Math.sin((2 * Math.PI * i) / DAY);
    const { values } = series(5 * DAY, truth);
    const f = harmonicRegression(values, calendar, DAY);
    for (let k = 1; k <= DAY; k += 37) expect(f[k - 1]).toBeCloseTo(truth(5 * DAY - 1 + k), 4);
  });

  it("robust trend fits the growth since the last clean-up of a sawtooth", () => {
    // Grows 0.1 a row, dropped back to 10 every 400 rows; the last drop is at row 1200.
    const { values } = series(1500, (i) => 10 + 0.1 * (i % 400));
    const f = robustTrend(values, calendar, 12);
    expect(f[11]).toBeCloseTo(10 + 0.1 * (1500 - 1200 - 1 + 12), 6);
  });

  it("a step change: the recent window follows the new level", () => {
    const { values, times } = series(4 * DAY, (i) => (i < 3 * DAY ? 100 : 300));
    const r = forecast(values, times, 12);
    for (const p of r.points) expect(p.forecast).toBeCloseTo(300, 6);
  });

  it("a flat series forecasts itself with zero-width intervals and no NaN", () => {
    const { values, times } = series(3 * DAY, () => 42);
    const r = forecast(values, times, 24);
    for (const p of r.points) {
      expect(p.forecast).toBe(42);
      expect(p.lower).toBe(42);
      expect(p.upper).toBe(42);
    }
    expect(r.backtestMae).toBe(0);
  });
});

describe("model choice", () => {
  it("picks a trend on a line, the harmonic model on a daily cycle with trend, seasonal naive on a repeated irregular day", () => {
    const line = series(4 * DAY, (i) => 3 + 0.2 * i);
    expect(forecast(line.values, line.times, 24).model).toBe("robust-trend");
    const rand = noise(1);
    const cycle = series(10 * DAY, (i) => 0.02 * i + 10 * Math.sin((2 * Math.PI * i) / DAY) + 0.3 * rand());
    expect(forecast(cycle.values, cycle.times, DAY).model).toBe("harmonic");
    const irregular = noise(2);
    const pattern = Float64Array.from({ length: DAY }, () => 20 * irregular());
    const repeated = series(6 * DAY, (i) => pattern[i % DAY] as number);
    expect(forecast(repeated.values, repeated.times, 36).model).toBe("seasonal-naive");
  });
});

describe("prediction intervals", () => {
  it("a 90% interval covers about 90% of new noise, widening is never negative", () => {
    let covered = 0;
    let total = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rand = noise(seed);
      const all = series(3 * DAY + 24, () => 5 + rand());
      const n = 3 * DAY;
      const r = forecast(all.values.subarray(0, n), all.times.subarray(0, n), 24);
      r.points.forEach((p, k) => {
        const actual = all.values[n + k] as number;
        total++;
        if (actual >= p.lower && actual <= p.upper) covered++;
        if (k > 0)
          expect(p.upper - p.lower).toBeGreaterThanOrEqual(
            (r.points[k - 1] as typeof p).upper - (r.points[k - 1] as typeof p).lower - 1e-12,
          );
      });
    }
    const share = covered / total;
    expect(share).toBeGreaterThan(0.8);
    expect(share).toBeLessThan(0.98);
  });
});

describe("timeToThreshold", () => {
  it("a steady fill reaches its size when the line says, within an hour", () => {
    const rand = noise(7);
    // 1 GB a day on a 100 GB disk at 60 GB: full in 40 days from the start, 30 after 10 days.
    const perRow = 1 / DAY;
    const hist = series(10 * DAY, (i) => 60 + perRow * i + 0.01 * rand());
    // 30 days is 8640 rows, within the 10,000 bound.
    const r = forecast(hist.values, hist.times, 31 * DAY);
    const crossing = timeToThreshold(r, 100);
    const last = hist.times[hist.times.length - 1] as number;
    const truth = last + ((100 - 60 - perRow * (10 * DAY - 1)) / perRow) * STEP;
    expect(crossing.expected).not.toBeNull();
    expect(Math.abs((crossing.expected as number) - truth)).toBeLessThan(3600 * 12);
    expect(crossing.earliest as number).toBeLessThanOrEqual(crossing.expected as number);
    expect((crossing.latest ?? Number.POSITIVE_INFINITY) >= (crossing.expected as number)).toBe(true);
  });

  it("a falling level and one never reached", () => {
    const { values, times } = series(2 * DAY, (i) => 100 - 0.1 * i);
    const r = forecast(values, times, 100);
    expect(timeToThreshold(r, 40, "falling").expected).not.toBeNull();
    expect(timeToThreshold(r, 1000).expected).toBeNull();
  });
});

describe("input validation", () => {
  const ok = series(50, (i) => i);
  it.each([
    ["unequal lengths", () => forecast(ok.values, ok.times.subarray(1), 5), /49 times/],
    [
      "times not increasing",
      () => forecast(Float64Array.of(1, 2, 3), Float64Array.of(0, 2, 1), 5),
      /increase/,
    ],
    [
      "a time not finite",
      () => forecast(Float64Array.of(1, 2, 3), Float64Array.of(0, Number.NaN, 2), 5),
      /not finite/,
    ],
    ["a horizon too long", () => forecast(ok.values, ok.times, 10_001), /1 to 10000/],
    ["a horizon not an integer", () => forecast(ok.values, ok.times, 1.5), /horizonSteps/],
    [
      "all values missing",
      () => forecast(Float64Array.of(Number.NaN, Number.NaN, 1), Float64Array.of(0, 1, 2), 5),
      /3 finite/,
    ],
    ["a level out of range", () => forecast(ok.values, ok.times, 5, { level: 1.2 }), /level/],
  ])("refuses %s", (_, call, message) => {
    expect(call).toThrow(message);
  });
});
