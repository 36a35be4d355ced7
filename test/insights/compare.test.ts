import { describe, expect, it } from "vitest";
import { ar1 } from "../../bench/compare/compare-bench.js";
import {
  blockBias,
  blockLengthFor,
  compareSeries,
  describeComparison,
  mannWhitney,
  memoryLag,
  normalQuantile,
  tQuantile,
} from "../../src/insights/compare.js";

/** Seeded standard normal draws, so every run reads the same series. */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u1 = (s + 1) / 2 ** 32;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u2 = (s + 1) / 2 ** 32;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
}

describe("quantiles", () => {
  it("normal and t quantiles match tables", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644854, 5);
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.706, 2);
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.303, 2);
    expect(tQuantile(0.975, 5)).toBeCloseTo(2.571, 1);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228, 2);
    expect(tQuantile(0.975, 30)).toBeCloseTo(2.042, 3);
    // Fractional degrees of freedom round down: never narrower than the table.
    expect(tQuantile(0.975, 10.9)).toBeCloseTo(2.228, 2);
  });
});

describe("memory and blocks", () => {
  it("finds no memory in noise and a long one in a slow series", () => {
    const z = normals(3);
    const noise = Array.from({ length: 500 }, () => z());
    expect(memoryLag([noise])).toBe(1);
    const slow = ar1(2000, 0.95, 0, 1, normals(4));
    // The e-folding lag of ρ = 0.95 is about 19.5; a sample of 2000 reads it loosely.
    const lag = memoryLag([slow]);
    expect(lag).toBeGreaterThan(12);
    expect(lag).toBeLessThan(45);
    expect(blockLengthFor([2000, 2000], lag)).toBe(5 * lag);
    // Short stretches cap the block at half their length (two blocks a side).
    expect(blockLengthFor([40, 100], lag)).toBe(20);
    // Noise still gets n^(1/3).
    expect(blockLengthFor([1000, 1000], 1)).toBe(10);
  });

  it("corrects blocks for the correlations they cut off: more for short blocks, none without memory", () => {
    expect(blockBias(13, 1)).toBe(1);
    const short = blockBias(20, 10);
    const long = blockBias(50, 10);
    expect(short).toBeLessThan(long);
    expect(long).toBeLessThan(1);
    expect(long).toBeGreaterThan(0.7);
  });

  it("a constant series has no memory to measure", () => {
    expect(memoryLag([[5, 5, 5, 5, 5, 5, 5]])).toBe(1);
  });
});

describe("compareSeries", () => {
  it("calls two stretches of the same AR(1) process no real change", () => {
    const z = normals(11);
    const a = ar1(336, 0.5, 100, 10, z);
    const b = ar1(336, 0.5, 100, 10, z);
    const c = compareSeries(a, b);
    expect(c.verdict).toBe("none");
    expect(c.interval[0]).toBeLessThan(c.difference);
    expect(c.interval[1]).toBeGreaterThan(c.difference);
    expect(describeComparison(c)).toMatch(/^no (real|clear) change/);
  });

  it("calls a 20% shift of a slow series clear, in the right direction, with words", () => {
    const z = normals(12);
    const before = ar1(336, 0.9, 100, 10, z);
    const after = ar1(336, 0.9, 120, 10, z);
    const c = compareSeries(after, before);
    expect(c.verdict).toBe("clear");
    expect(c.direction).toBe("higher");
    expect(c.interval[0]).toBeGreaterThan(0);
    expect(c.relative).toBeCloseTo(c.difference / c.reference.mean, 10);
    expect(describeComparison(c)).toMatch(/^higher by \d+% \(clear\)$/);
    const down = compareSeries(before, after);
    expect(describeComparison(down)).toMatch(/^lower by \d+% \(clear\)$/);
  });

  it("allows for memory: the same shift on a slow series gets a wider interval than on noise", () => {
    const z = normals(13);
    const fast = compareSeries(ar1(336, 0, 105, 10, z), ar1(336, 0, 100, 10, z), { minRelative: 0 });
    const slow = compareSeries(ar1(336, 0.9, 105, 10, z), ar1(336, 0.9, 100, 10, z), { minRelative: 0 });
    const width = (c: typeof fast) => c.interval[1] - c.interval[0];
    expect(width(slow)).toBeGreaterThan(2.5 * width(fast));
    expect(slow.blockLength).toBeGreaterThan(fast.blockLength);
  });

  it("says no real change for a tiny difference a long series is sure of (the practical floor)", () => {
    const z = normals(14);
    const before = ar1(20_000, 0, 40, 1, z);
    const after = before.map((v) => v + 0.3);
    const sure = compareSeries(after, before, { minRelative: 0 });
    expect(sure.verdict).toBe("clear");
    const c = compareSeries(after, before, { minAbsolute: 0.5 });
    expect(c.verdict).toBe("none");
    expect(c.direction).toBe("same");
    expect(describeComparison(c)).toMatch(/^no real change: within ±\d/);
  });

  it("is reproducible: the same input and seed give the same interval, another seed a close one", () => {
    const z = normals(15);
    const a = ar1(200, 0.7, 50, 5, z);
    const b = ar1(200, 0.7, 52, 5, z);
    expect(compareSeries(a, b)).toEqual(compareSeries(a, b));
    const other = compareSeries(a, b, { seed: 99 });
    expect(other.interval).not.toEqual(compareSeries(a, b).interval);
    expect(other.standardError).toBeCloseTo(compareSeries(a, b).standardError, 0);
  });

  it("judges constant series: equal is no change, different is a clear change", () => {
    const same = compareSeries(Array(50).fill(7), Array(50).fill(7));
    expect(same.verdict).toBe("none");
    expect(same.interval).toEqual([0, 0]);
    expect(describeComparison(same)).toBe("no real change: within ±0%");
    const moved = compareSeries(Array(50).fill(10), Array(50).fill(20));
    expect(moved.verdict).toBe("clear");
    expect(moved.difference).toBe(-10);
    expect(describeComparison(moved)).toBe("lower by 50% (clear)");
  });

  it("leaves NaN gaps out and judges what remains", () => {
    const z = normals(16);
    const a = ar1(300, 0.3, 100, 5, z);
    const b = ar1(300, 0.3, 130, 5, z);
    for (let i = 0; i < 300; i += 3) {
      a[i] = Number.NaN;
      b[i + 1] = Number.POSITIVE_INFINITY;
    }
    const c = compareSeries(b, a);
    expect(c.subject.n).toBe(200);
    expect(c.reference.n).toBe(200);
    expect(Number.isFinite(c.subject.mean)).toBe(true);
    expect(c.verdict).toBe("clear");
  });

  it("refuses to judge tiny samples, and says why", () => {
    const c = compareSeries([1, 2, 3], [4, 5, 6, 7, 8, 9, 10]);
    expect(c.verdict).toBe("insufficient");
    expect(c.interval.every(Number.isNaN)).toBe(true);
    expect(describeComparison(c)).toBe(
      "too little data to judge: too few points (3 and 7; needs 6 on each side)",
    );
    const empty = compareSeries([], [Number.NaN, Number.NaN]);
    expect(empty.verdict).toBe("insufficient");
  });

  it("gives a wide interval, not a verdict, on a handful of points", () => {
    const c = compareSeries([10, 12, 9, 11, 10, 13], [11, 9, 12, 10, 12, 11]);
    expect(c.verdict).not.toBe("clear");
    expect(describeComparison(c)).toMatch(/^no (clear|real) change/);
  });

  it("uses the unit when the reference is zero", () => {
    const c = compareSeries(Array(30).fill(2), Array(30).fill(0), { minAbsolute: 0.5 });
    expect(c.relative).toBeUndefined();
    expect(c.verdict).toBe("clear");
    expect(describeComparison(c, (d) => `${d > 0 ? "+" : "−"}${Math.abs(d).toFixed(1)} pts`)).toBe(
      "higher by 2.0 pts (clear)",
    );
  });

  it("keeps false 'clear' near the nominal 5% on no-change AR(1) pairs at ρ = 0.9", () => {
    const z = normals(17);
    let clear = 0;
    const trials = 120;
    for (let t = 0; t < trials; t++) {
      const c = compareSeries(ar1(336, 0.9, 100, 10, z), ar1(336, 0.9, 100, 10, z), {
        minRelative: 0,
        resamples: 400,
        seed: t + 1,
      });
      if (c.verdict === "clear") clear++;
    }
    // 400 pairs in the bench give 5.5%; a plain bootstrap of points gives over 50% here.
    expect(clear / trials).toBeLessThan(0.16);
  });
});

describe("Mann-Whitney U", () => {
  it("separates shifted samples and not identical ones", () => {
    const far = mannWhitney([1, 2, 3, 4, 5, 6], [11, 12, 13, 14, 15, 16]);
    expect(far.u).toBe(0);
    expect(far.p).toBeLessThan(0.01);
    const same = mannWhitney([1, 2, 3, 4], [1, 2, 3, 4]);
    expect(same.p).toBeGreaterThan(0.9);
    // All ties: no spread to rank.
    expect(mannWhitney([5, 5, 5], [5, 5, 5]).p).toBe(1);
  });

  it("is reported on block means when each side has three blocks", () => {
    const z = normals(18);
    const c = compareSeries(ar1(300, 0, 110, 5, z), ar1(300, 0, 100, 5, z));
    expect(c.mannWhitney?.blocks[0]).toBeGreaterThanOrEqual(3);
    expect(c.mannWhitney?.p).toBeLessThan(0.05);
  });
});
