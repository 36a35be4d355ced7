/**
 * The SMD scoring rules (bench/smd/scoring.ts): hand-computed small cases for every metric, the
 * sweeps against a naive threshold-by-threshold count, and average precision against scikit-learn
 * itself (Debian python3-sklearn through /usr/bin/python3; its absence fails the test).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  averagePrecision,
  bestCompositeF1,
  bestPointAdjustedF1,
  compositeF1At,
  globalCompositeF1,
  hitRate,
  parseInterpretation,
  type Scored,
  segments,
} from "../../bench/smd/scoring.js";
import { seededRandom } from "../../src/anomaly/random.js";

// Segments: rows 1..2 and row 5; 3 positives.
const SMALL: Scored = {
  scores: [0.1, 0.9, 0.2, 0.8, 0.3, 0.4, 0.05, 0.7],
  labels: [0, 1, 1, 0, 0, 1, 0, 0],
};

/** Scores with ties (two decimals) and labels in runs, as SMD's are. */
function randomCase(seed: number, n: number): Scored {
  const r = seededRandom(seed);
  const labels: number[] = [];
  while (labels.length < n) {
    const on = r() < 0.3;
    const run = 1 + Math.floor(r() * (on ? 12 : 40));
    for (let i = 0; i < run && labels.length < n; i++) labels.push(on ? 1 : 0);
  }
  if (!labels.includes(1)) labels[0] = 1;
  const scores = labels.map((l) => Math.round((r() + 0.4 * l * r()) * (seed % 2 ? 100 : 1e6)) / 100);
  return { scores, labels };
}

function naiveAt(d: Scored, t: number): { composite: number; adjusted: number } {
  const labels = Array.from(d.labels);
  const flagged = Array.from(d.scores, (s) => s >= t);
  const segs = segments(labels);
  const found = segs.filter((s) => flagged.slice(s.start, s.end).some(Boolean));
  const nFlagged = flagged.filter(Boolean).length;
  const tp = flagged.filter((f, i) => f && labels[i] === 1).length;
  const p = nFlagged ? tp / nFlagged : 0;
  const re = found.length / segs.length;
  const composite = p + re ? (2 * p * re) / (p + re) : 0;
  const adjTp = found.reduce((n, s) => n + s.end - s.start, 0);
  const fp = nFlagged - tp;
  const ap = adjTp + fp ? adjTp / (adjTp + fp) : 0;
  const ar = adjTp / labels.filter((l) => l === 1).length;
  return { composite, adjusted: ap + ar ? (2 * ap * ar) / (ap + ar) : 0 };
}

function sklearnAveragePrecision(cases: Scored[]): number[] {
  const script = `
import sys, json
from sklearn.metrics import average_precision_score
cases = json.load(sys.stdin)
print(json.dumps([float(average_precision_score(c["labels"], c["scores"])) for c in cases]))`;
  let out: string;
  try {
    out = execFileSync("/usr/bin/python3", ["-c", script], {
      input: JSON.stringify(
        cases.map((c) => ({ labels: Array.from(c.labels), scores: Array.from(c.scores) })),
      ),
      maxBuffer: 16 * 2 ** 20,
      stdio: ["pipe", "pipe", "pipe"],
    }).toString();
  } catch (e) {
    throw new Error(
      `this test needs /usr/bin/python3 with scikit-learn (Debian package python3-sklearn): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return JSON.parse(out) as number[];
}

describe("SMD scoring", () => {
  it("finds the labelled segments as maximal runs of 1s", () => {
    expect(segments([1, 1, 0, 1, 0, 0, 1])).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 4 },
      { start: 6, end: 7 },
    ]);
    expect(segments([0, 0])).toEqual([]);
  });

  it("composite-F1: event-wise recall × point-wise precision, best over every distinct score", () => {
    // t = 0.9: one row flagged, labelled; one of two segments found → 2·1·½/(1+½) = ⅔.
    expect(compositeF1At(SMALL, 0.9)).toBeCloseTo(2 / 3, 12);
    // t = 0.7: rows 1, 3, 7 flagged, 1 labelled; ½ of segments → 2·⅓·½/(⅓+½) = 0.4.
    expect(compositeF1At(SMALL, 0.7)).toBeCloseTo(0.4, 12);
    // t = 0.75 flags what 0.8 flags (rows 1, 3): precision ½, recall ½.
    expect(compositeF1At(SMALL, 0.75)).toBeCloseTo(0.5, 12);
    // t = 0.3: 5 flagged, 2 labelled, both segments → 2·0.4·1/1.4.
    expect(compositeF1At(SMALL, 0.3)).toBeCloseTo(0.8 / 1.4, 12);
    // Above every score nothing is flagged.
    expect(compositeF1At(SMALL, 0.95)).toBe(0);
    // ⅔ is reached at 0.9, 0.4 and 0.2; the highest threshold is reported.
    const best = bestCompositeF1(SMALL);
    expect(best.value).toBeCloseTo(2 / 3, 12);
    expect(best.threshold).toBe(0.9);
  });

  it("flags tied rows together", () => {
    const tied: Scored = { scores: [0.5, 0.5, 0.5, 0.1], labels: [1, 0, 0, 0] };
    expect(bestCompositeF1(tied)).toEqual({ value: 0.5, threshold: 0.5 });
    expect(averagePrecision(tied)).toBeCloseTo(1 / 3, 12);
  });

  it("average precision: Σ (Rₖ − Rₖ₋₁)·Pₖ without interpolation", () => {
    // Recall steps at 0.9 (⅓, P 1), 0.4 (⅔, P ½), 0.2 (1, P ½): ⅓ + ⅙ + ⅙.
    expect(averagePrecision(SMALL)).toBeCloseTo(2 / 3, 12);
    expect(averagePrecision({ scores: [3, 2, 1], labels: [1, 1, 0] })).toBe(1);
    expect(averagePrecision({ scores: [1, 2, 3], labels: [1, 0, 0] })).toBeCloseTo(1 / 3, 12);
    expect(() => averagePrecision({ scores: [1, 2], labels: [0, 0] })).toThrow(/at least one row labelled 1/);
  });

  it("point-adjusted F1: one flagged row counts its whole segment", () => {
    // t = 0.9: segment 1..2 found (2 rows), no false alarm: P 1, R ⅔ → 0.8.
    expect(bestPointAdjustedF1(SMALL)).toEqual({ value: expect.closeTo(0.8, 12), threshold: 0.9 });
  });

  it("one global threshold maximises the mean over machines", () => {
    const a: Scored = { scores: [0.9, 0.1], labels: [1, 0] };
    const b: Scored = { scores: [0.5, 0.8], labels: [1, 0] };
    // t = 0.5: a flags row 0 only (F 1), b flags both (P ½, R 1 → ⅔).
    const g = globalCompositeF1([a, b]);
    expect(g.threshold).toBe(0.5);
    expect(g.mean).toBeCloseTo(5 / 6, 12);
    expect(g.perMachine[0]).toBeCloseTo(1, 12);
    expect(g.perMachine[1]).toBeCloseTo(2 / 3, 12);
  });

  it("sweeps agree with a naive count at every threshold on random cases", () => {
    const cases = [1, 2, 3, 4].map((seed) => randomCase(seed, 300 + seed * 50));
    for (const c of cases) {
      const thresholds = [...new Set(Array.from(c.scores))];
      let bestC = 0;
      let bestA = 0;
      for (const t of thresholds) {
        const naive = naiveAt(c, t);
        expect(compositeF1At(c, t)).toBeCloseTo(naive.composite, 12);
        bestC = Math.max(bestC, naive.composite);
        bestA = Math.max(bestA, naive.adjusted);
      }
      expect(bestCompositeF1(c).value).toBeCloseTo(bestC, 12);
      expect(bestPointAdjustedF1(c).value).toBeCloseTo(bestA, 12);
    }
    const all = [...new Set(cases.flatMap((c) => Array.from(c.scores)))];
    const bestMean = Math.max(
      ...all.map((t) => cases.reduce((s, c) => s + naiveAt(c, t).composite, 0) / cases.length),
    );
    expect(globalCompositeF1(cases).mean).toBeCloseTo(bestMean, 12);
  });

  it("average precision equals scikit-learn's average_precision_score", () => {
    const cases = [11, 12, 13, 14, 15, 16].map((seed) => randomCase(seed, 200 + seed * 90));
    const theirs = sklearnAveragePrecision([SMALL, ...cases]);
    expect(theirs).toHaveLength(cases.length + 1);
    [SMALL, ...cases].forEach((c, i) => {
      expect(averagePrecision(c)).toBeCloseTo(theirs[i] as number, 12);
    });
  });

  it("HitRate@P%: labelled metrics found in the top ⌊P% × |labelled|⌋ of the ranking", () => {
    const a = { truth: [0, 1, 2], ranking: [2, 5, 0, 7, 1] }; // top 3: {2,5,0}; top 4 adds 7
    const b = { truth: [3, 4], ranking: [1, 4, 3] }; // top 2: {1,4}; top 3 adds 3
    expect(hitRate([a], 100)).toBeCloseTo(2 / 3, 12);
    expect(hitRate([a], 150)).toBeCloseTo(2 / 3, 12);
    expect(hitRate([b], 100)).toBeCloseTo(1 / 2, 12);
    expect(hitRate([b], 150)).toBe(1);
    expect(hitRate([a, b], 100)).toBeCloseTo(7 / 12, 12);
    expect(hitRate([a, b], 150)).toBeCloseTo(5 / 6, 12);
    expect(hitRate([{ truth: [3], ranking: [4, 3] }], 150)).toBe(0); // ⌊1.5⌋ = 1
    expect(hitRate([], 100)).toBeNaN();
  });

  it("parses interpretation labels into 0-based metrics", () => {
    expect(parseInterpretation("246-252:1,2,38\n\n653-658:5\n")).toEqual([
      { start: 246, end: 252, dims: [0, 1, 37] },
      { start: 653, end: 658, dims: [4] },
    ]);
    expect(() => parseInterpretation("1-2:39")).toThrow(/outside 1..38/);
    expect(() => parseInterpretation("1-2")).toThrow(/not start-end/);
  });

  it("refuses scores and labels of different lengths", () => {
    expect(() => bestCompositeF1({ scores: [1, 2], labels: [1] })).toThrow(/one score per labelled row/);
  });
});
