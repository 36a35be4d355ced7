import { describe, expect, it } from "vitest";
import { symmetricEigen } from "../../src/anomaly/linear-algebra.js";
import { PcaDetector, type PcaDetectorJson } from "../../src/anomaly/pca-detector.js";
import { seededRandom } from "../../src/anomaly/random.js";

function gaussian(seed: number): () => number {
  const r = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** n rows of d features that all follow one latent value, each with a little independent noise. */
function correlatedCloud(n: number, d: number, seed: number, noise = 0.05): number[][] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => {
    const t = g();
    return Array.from({ length: d }, () => t + noise * g());
  });
}

describe("symmetricEigen", () => {
  it("decomposes a hand-checked 3×3 matrix", () => {
    // [[2,-1,0],[-1,2,-1],[0,-1,2]]: eigenvalues 2+√2, 2, 2−√2 with eigenvectors
    // (1,−√2,1)/2, (1,0,−1)/√2, (1,√2,1)/2 (worked by hand from det(A − λI) = (2−λ)((2−λ)² − 2)).
    const a = [2, -1, 0, -1, 2, -1, 0, -1, 2];
    const { values, vectors } = symmetricEigen(a, 3);
    const s2 = Math.SQRT2;
    const expected = [
      { value: 2 + s2, vector: [0.5, -s2 / 2, 0.5] },
      { value: 2, vector: [1 / s2, 0, -1 / s2] },
      { value: 2 - s2, vector: [0.5, s2 / 2, 0.5] },
    ];
    expected.forEach(({ value, vector }, k) => {
      expect(values[k]).toBeCloseTo(value, 12);
      const got = [0, 1, 2].map((i) => vectors[i * 3 + k] as number);
      // Eigenvectors are defined up to sign.
      const sign = Math.sign(got.reduce((s, x, i) => s + x * (vector[i] as number), 0));
      got.forEach((x, i) => {
        expect(sign * x).toBeCloseTo(vector[i] as number, 12);
      });
    });
  });

  it("gives orthonormal vectors with A·v = λ·v on a random symmetric matrix", () => {
    const d = 12;
    const g = gaussian(7);
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = i; j < d; j++) {
        const x = g();
        a[i * d + j] = x;
        a[j * d + i] = x;
      }
    const { values, vectors } = symmetricEigen(a, d);
    for (let k = 1; k < d; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1] as number);
    for (let p = 0; p < d; p++) {
      for (let q = 0; q < d; q++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += (vectors[i * d + p] as number) * (vectors[i * d + q] as number);
        expect(dot).toBeCloseTo(p === q ? 1 : 0, 10);
      }
      for (let i = 0; i < d; i++) {
        let av = 0;
        for (let j = 0; j < d; j++) av += (a[i * d + j] as number) * (vectors[j * d + p] as number);
        expect(av).toBeCloseTo((values[p] as number) * (vectors[i * d + p] as number), 10);
      }
    }
  });

  it("rejects a non-symmetric or mis-sized matrix with a clear error", () => {
    expect(() => symmetricEigen([1, 2, 3, 4], 2)).toThrow(/not symmetric/);
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow(/expected 4 entries/);
    expect(() => symmetricEigen([1, Number.NaN, Number.NaN, 1], 2)).toThrow(/non-finite/);
  });
});

describe("PcaDetector", () => {
  it("scores a point off a correlated 2-D cloud far above points on it", () => {
    const model = PcaDetector.fit(correlatedCloud(2000, 2, 1));
    expect(model.components).toBe(1);
    const [onA, onB, onC, off] = model.score([
      [0, 0],
      [2, 2],
      [-1.5, -1.5],
      [1.5, -1.5],
    ]) as [number, number, number, number];
    const onMax = Math.max(onA, onB, onC);
    expect(onMax).toBeLessThan(0.1);
    expect(off).toBeGreaterThan(50 * onMax);
    expect(off).toBeGreaterThan(1);
  });

  it("explains a row by the feature that broke the correlation", () => {
    const model = PcaDetector.fit(correlatedCloud(2000, 5, 2));
    for (const broken of [0, 2, 4]) {
      const row = [1, 1, 1, 1, 1];
      row[broken] = -2;
      const ranked = model.explain(row);
      expect(ranked[0]?.feature).toBe(broken);
      expect(ranked.map((c) => c.feature).sort()).toEqual([0, 1, 2, 3, 4]);
      // The contributions are the row's score split over its features.
      const total = ranked.reduce((s, c) => s + c.contribution, 0);
      expect(total).toBeCloseTo(model.score([row])[0] as number, 10);
      for (let k = 1; k < ranked.length; k++) {
        expect(ranked[k]?.contribution).toBeLessThanOrEqual(ranked[k - 1]?.contribution as number);
      }
    }
  });

  it("gives identical scores after a round trip through JSON", () => {
    // Skewed features, so the scaled mean (stored apart from the median) is not 0 and must survive.
    const train = correlatedCloud(500, 6, 3, 0.3).map((row) => row.map(Math.exp));
    const model = PcaDetector.fit(train, { varianceShare: 0.95 });
    expect(Math.min(...model.toJSON().mean.map(Math.abs))).toBeGreaterThan(0.05);
    const test = correlatedCloud(200, 6, 4, 0.5);
    const restored = PcaDetector.fromJSON(JSON.parse(JSON.stringify(model)));
    expect(restored.score(test)).toEqual(model.score(test));
    expect(restored.explain(test[0] as number[])).toEqual(model.explain(test[0] as number[]));
    expect(restored.toJSON()).toEqual(model.toJSON());
  });

  it("rejects corrupted stored models with a clear error", () => {
    const json = PcaDetector.fit(correlatedCloud(100, 3, 5)).toJSON();
    const corrupt = (patch: Partial<Record<keyof PcaDetectorJson, unknown>>) => ({ ...json, ...patch });
    expect(() => PcaDetector.fromJSON(null)).toThrow(/not a PCA detector model/);
    expect(() => PcaDetector.fromJSON(corrupt({ version: 2 }))).toThrow(/version/);
    expect(() => PcaDetector.fromJSON(corrupt({ centre: [1, 2] }))).toThrow(/centre/);
    expect(() => PcaDetector.fromJSON(corrupt({ scale: [1, 0, 1] }))).toThrow(/scale/);
    expect(() => PcaDetector.fromJSON(corrupt({ mean: [1, "x", 2] }))).toThrow(/mean/);
    expect(() => PcaDetector.fromJSON(corrupt({ axes: [[1, 1, 1]], variances: [1] }))).toThrow(/unit vector/);
    expect(() => PcaDetector.fromJSON(corrupt({ variances: [] }))).toThrow(/variances/);
  });

  it("stays finite with constant features, all-constant input and missing values", () => {
    const g = gaussian(6);
    const train = Array.from({ length: 300 }, () => {
      const t = g();
      return [t, 5, t + 0.1 * g(), 0];
    });
    const model = PcaDetector.fit(train);
    const scores = model.score([
      [0, 5, 0, 0],
      [0, 5.001, 0, 0],
      [0, 7, 0, 0],
      [Number.NaN, 5, 0, Number.POSITIVE_INFINITY],
      [1e6, -1e6, 3, 2],
    ]);
    for (const s of scores) {
      expect(Number.isFinite(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
    }
    // A rounding change of a constant feature stays small; a real step of it stands out.
    expect(scores[1]).toBeLessThan(0.1);
    expect(scores[2]).toBeGreaterThan(100);
    expect(model.explain([0, 7, 0, 0])[0]?.feature).toBe(1);

    const flat = PcaDetector.fit([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(flat.components).toBe(0);
    for (const s of flat.score([
      [1, 2, 3],
      [4, 2, 3],
    ]))
      expect(Number.isFinite(s)).toBe(true);
    expect(flat.score([[1, 2, 3]])).toEqual([0]);
    for (const c of flat.explain([1, 2, 9])) expect(Number.isFinite(c.contribution)).toBe(true);

    const gappy = PcaDetector.fit([
      [1, Number.NaN],
      [2, Number.NaN],
      [3, Number.NaN],
    ]);
    for (const s of gappy.score([
      [2, 5],
      [Number.NaN, Number.NaN],
    ]))
      expect(Number.isFinite(s)).toBe(true);
    const json = JSON.stringify(gappy);
    expect(json).not.toContain("null");
  });

  it("answers tiny or malformed input with a clear error", () => {
    expect(() => PcaDetector.fit([[1, 2, 3]])).toThrow(/at least 2 rows, got 1/);
    expect(() => PcaDetector.fit([])).toThrow(/at least 2 rows, got 0/);
    expect(() =>
      PcaDetector.fit([
        [1, 2],
        [1, 2, 3],
      ]),
    ).toThrow(/row 1 has 3 values, row 0 has 2/);
    expect(() => PcaDetector.fit([[], []])).toThrow(/columns/);
    expect(() => PcaDetector.fit(correlatedCloud(10, 2, 8), { varianceShare: 0 })).toThrow(/varianceShare/);
    expect(() => PcaDetector.fit(correlatedCloud(10, 2, 8), { minScale: -1 })).toThrow(/minScale/);
    const model = PcaDetector.fit(correlatedCloud(10, 2, 8));
    expect(() => model.score([[1, 2, 3]])).toThrow(/row 0 must have 2 values, got 3/);
    expect(() => model.explain([1])).toThrow(/must have 2 values/);
  });

  it("keeps more axes for a larger variance share", () => {
    const g = gaussian(9);
    // Four independent features: each axis carries about a quarter of the variance.
    const train = Array.from({ length: 1000 }, () => [g(), g(), g(), g()]);
    expect(PcaDetector.fit(train, { varianceShare: 0.2 }).components).toBe(1);
    expect(PcaDetector.fit(train, { varianceShare: 0.6 }).components).toBe(3);
    // Never all of them: some residual space is always left to score in.
    expect(PcaDetector.fit(train, { varianceShare: 1 }).components).toBe(3);
  });
});
