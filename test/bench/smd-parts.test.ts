/**
 * The SMD bench's further score parts (bench/smd/parts.ts) on small synthetic series: the sliding
 * trailing median against a naive one, the hour-of-day baseline judging a value by its hour, the
 * temporal part reacting to a step and settling, the rank normalisation against train, and the
 * ensemble's explanation coming from the parts that flagged the row.
 */
import { describe, expect, it } from "vitest";
import {
  ensembleDetector,
  hourOfDayZ,
  type Part,
  PartCache,
  temporalZ,
  topKMean,
  trailingMedianDiff,
  trainRank,
  trainSurprise,
} from "../../bench/smd/parts.js";
import { SMD_COLUMNS, type SmdMachine } from "../../bench/smd/smd-data.js";
import { seededRandom } from "../../src/anomaly/random.js";

function naiveMedian(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

describe("topKMean", () => {
  it("averages the k largest values", () => {
    expect(topKMean(Float64Array.from([1, 5, 2, 4, 3]), 3)).toBe(4);
    expect(topKMean(Float64Array.from([2, 7]), 3)).toBe(4.5);
  });
});

describe("trailingMedianDiff", () => {
  it("equals the value minus the median of the w rows before it, per metric", () => {
    const r = seededRandom(7);
    const d = 3;
    const n = 200;
    // Two decimals: ties in the window, as SMD's 6-decimal values have.
    const x = Float64Array.from({ length: n * d }, () => Math.round(r() * 100) / 100);
    for (const w of [1, 4, 5, 15]) {
      const got = trailingMedianDiff(x, d, w);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < d; j++) {
          const past: number[] = [];
          for (let k = Math.max(0, i - w); k < i; k++) past.push(x[k * d + j] as number);
          const want = past.length === 0 ? 0 : (x[i * d + j] as number) - naiveMedian(past);
          expect(got[i * d + j]).toBeCloseTo(want, 12);
        }
    }
  });
});

describe("hourOfDayZ", () => {
  it("judges a value against its own hour of the day, not the whole day", () => {
    const d = 1;
    const days = 3;
    const r = seededRandom(3);
    // High (0.8) in hour 3, low (0.2) otherwise, with a little noise.
    const at = (row: number) => (Math.floor((row % 1440) / 60) === 3 ? 0.8 : 0.2) + (r() - 0.5) * 0.02;
    const train = Float64Array.from({ length: days * 1440 }, (_, i) => at(i));
    // Test continues train's clock: row 0 of test is minute 0 of day 4.
    const test = Float64Array.from({ length: 1440 }, (_, i) => at(i));
    test[3 * 60 + 10] = 0.8; // usual at hour 3
    test[10 * 60] = 0.8; // the same value at hour 10 is not
    const z = hourOfDayZ(train, test, d);
    expect(z.test[3 * 60 + 10]).toBeLessThan(3);
    expect(z.test[10 * 60]).toBeGreaterThan(20);
  });
});

describe("temporalZ", () => {
  it("rises at a step and settles once the longest window has absorbed it", () => {
    const d = 1;
    const r = seededRandom(5);
    const train = Float64Array.from({ length: 2000 }, () => 0.5 + (r() - 0.5) * 0.02);
    const test = Float64Array.from({ length: 400 }, (_, i) => (i >= 100 ? 0.8 : 0.5) + (r() - 0.5) * 0.02);
    const z = temporalZ(train, test, d);
    expect(z.test[100]).toBeGreaterThan(20);
    expect(z.test[50]).toBeLessThan(5);
    // 60 rows after the step every trailing window holds the new level only.
    expect(z.test[200]).toBeLessThan(5);
  });
});

describe("trainRank", () => {
  it("is the share of train scores below (ties half), and beyond train's maximum keeps the order", () => {
    const train = Float64Array.from([1, 2, 2, 3, 5]);
    const got = trainRank(train, Float64Array.from([0, 2, 2.5, 5, 7, 9]));
    expect(Array.from(got.slice(0, 4))).toEqual([0, 0.4, 0.6, 0.9]);
    // Median 2, max 5: the range is 3, so 7 is 1 + 2/3 and 9 is 1 + 4/3.
    expect(got[4]).toBeCloseTo(1 + 2 / 3, 12);
    expect(got[5]).toBeCloseTo(1 + 4 / 3, 12);
  });
});

describe("trainSurprise", () => {
  it("is −log10 of the share at or above, with an exponential tail past train's 99th percentile", () => {
    const train = Float64Array.from({ length: 100 }, (_, i) => i);
    const got = trainSurprise(train, Float64Array.from([50, 98, 100, 102]));
    expect(got[0]).toBeCloseTo(-Math.log10(0.5), 12);
    // u = 98 (the 99th percentile), 2 train scores at or above it, mean excess β = 1.
    const atU = -Math.log10(0.02);
    expect(got[1]).toBeCloseTo(atU, 12);
    expect(got[2]).toBeCloseTo(atU + 2 / Math.LN10, 12);
    expect(got[3]).toBeCloseTo(atU + 4 / Math.LN10, 12);
  });
});

describe("ensembleDetector", () => {
  const rows = 100;
  const machine = {
    name: "synthetic",
    trainRows: rows,
    testRows: 2,
    train: new Float64Array(rows * SMD_COLUMNS),
    test: new Float64Array(2 * SMD_COLUMNS),
  } as unknown as SmdMachine; // the fake parts below read only names and row counts
  /** A part whose train scores are 0..99 and test scores given; it blames metric `blame` only. */
  const fake = (name: string, testScores: number[], blame: number): Part => ({
    name,
    fit: () => ({
      trainScores: Float64Array.from({ length: rows }, (_, i) => i),
      testScores: Float64Array.from(testScores),
      contributions: () => Float64Array.from({ length: SMD_COLUMNS }, (_, j) => (j === blame ? 1 : 0)),
    }),
  });
  const a = fake("a", [200, 10], 4);
  const b = fake("b", [50, 20], 9);

  it("combines the parts' train ranks by mean or max", async () => {
    const [mean] = await ensembleDetector([a, b], "mean", new PartCache()).score([machine]);
    const [max] = await ensembleDetector([a, b], "max", new PartCache()).score([machine]);
    // a: 200 is 1 + (200 − 99)/(99 − 49); b: 50 ranks 0.505. Row 1: 0.105 and 0.205.
    const a0 = 1 + 101 / 50;
    expect(mean?.scores[0]).toBeCloseTo((a0 + 0.505) / 2, 12);
    expect(max?.scores[0]).toBeCloseTo(a0, 12);
    expect(max?.scores[1]).toBeCloseTo(0.205, 12);
  });

  it("explains a row by the parts that flagged it, or by the highest-ranking one", async () => {
    const d = ensembleDetector([a, b], "mean", new PartCache());
    await d.score([machine]);
    // Row 0: only a passes the flag rank, so a's metric comes first and b's does not lead.
    expect(d.explain?.(machine, 0)[0]).toBe(4);
    // Row 1: neither flags; b ranks it higher and explains it.
    expect(d.explain?.(machine, 1)[0]).toBe(9);
  });
});
