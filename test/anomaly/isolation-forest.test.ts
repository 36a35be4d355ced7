import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  averagePathLength,
  harmonic,
  IsolationForest,
  type IsolationForestJson,
} from "../../src/anomaly/isolation-forest.js";
import { seededRandom } from "../../src/anomaly/random.js";

function gaussianRows(n: number, d: number, seed: number): number[][] {
  const r = seededRandom(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return Array.from({ length: n }, () => Array.from({ length: d }, g));
}

function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (xs: ArrayLike<number>) => {
    const idx = Array.from(xs, (v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Float64Array(xs.length);
    idx.forEach(([, i], k) => {
      r[i] = k;
    });
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = ra.length;
  const mean = (n - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = (ra[i] as number) - mean;
    const y = (rb[i] as number) - mean;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return num / Math.sqrt(da * db);
}

function sklearnAvailable(): boolean {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import sklearn"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Scores by the plain walk over the stored layout (`toBinary`): one row and one tree at a time,
 * until a leaf (feature −1), adding the leaf's depth + c(size); what the scoring loop must match.
 */
function referenceScores(forest: IsolationForest, rows: ArrayLike<number>[]): number[] {
  const { header, bytes } = forest.toBinary();
  const total = header.nodes.reduce((a, b) => a + b, 0);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const value = new Float32Array(buf, 0, total);
  const child = new Uint16Array(buf, total * 4, total);
  const feature = new Int16Array(buf, total * 6, total);
  const scale = -1 / (header.trees * averagePathLength(header.sampleSize));
  return rows.map((row) => {
    let sum = 0;
    let root = 0;
    for (const size of header.nodes) {
      let node = root;
      while ((feature[node] as number) >= 0) {
        const x = row[feature[node] as number] as number;
        node = root + (child[node] as number) + (x >= (value[node] as number) ? 1 : 0);
      }
      sum += value[node] as number;
      root += size;
    }
    return 2 ** (sum * scale);
  });
}

/** A model saved by the layout before scoring moved to packed nodes, and its scores then. */
const EARLIER_MODEL = {
  version: 3,
  trees: 4,
  sampleSize: 16,
  seed: 3,
  columns: 3,
  nodes: [17, 17, 19, 21],
  blob: "GizRQGURrD9b7B4/9dJVQAAAAEDjJj48AABAQM2c1kD1oqZAgGeFPybBkz8AAEBAAABAQP+onb0AAEBAAACAQAAAgEBArcY/XyMqPwAAgD8t3rA/ziirPxyMaL8D1EdAxEC7QAAAoEAAAKBAAACAQGk+cb4sZ0k+9aKmQAAAgEAAAIBAAACAQNRenj7L1bNAjT2WP1wIj0BRYAtBevF5QAAAQEDEQLtAAACAQAAAQEAAAEBASFgqwAAAAEDhBpI/UB5bvwAAgEAAAIBA9aKmQAAAoEDrUqE/q1wwP5knRcDmSf4/oGJdPwAAQEBlUNA/9aKmQAAAgEAx7+i/LEKcPwAAgEAAAKBAAACAQPWipkB9T+JAe+VHvwAAQEAAAEBAAABAQAAAQEABAAMACQAFAAAABwAAAAAAAAALAA0AAAAAAA8AAAAAAAAAAQADAAAABQALAAcACQAAAAAAAAAAAA0ADwAAAAAAAAAAAAEAAwALAAUACQAHAAAAAAAAAAAAAAANAAAADwARAAAAAAAAAAAAAQADAA8ABQAJAAAABwAAAAAACwANAAAAAAAAAAAAEQATAAAAAAAAAAAAAAACAAIAAQD//wIA////////AQACAP////8BAP///////wIAAgD//wEAAQABAAEA//////////8BAAAA//////////8CAAAAAQAAAAAAAAD/////////////AQD//wIAAQD//////////wIAAgABAAAAAQD//wEA/////wEAAQD//////////wAAAQD//////////w==",
};
const EARLIER_PROBE = [
  [0, 0, 0],
  [5, 0, 1],
  [9.5, -4.5, 2],
  [20, 20, 5],
  [-3, 1, 1],
];
const EARLIER_SCORES = [
  0.4682766416376184, 0.49221413045536605, 0.6663429672230701, 0.7173857744908058, 0.5107184512017692,
];

describe("IsolationForest", () => {
  it("computes c(n) as in Liu et al. 2008", () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(harmonic(255)).toBeCloseTo(Math.log(255) + 0.5772156649, 12);
    // c(256) = 2H(255) − 2·255/256
    expect(averagePathLength(256)).toBeCloseTo(2 * (Math.log(255) + 0.5772156649) - (2 * 255) / 256, 12);
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 3);
    expect(averagePathLength(3)).toBeCloseTo(2 * (Math.log(2) + 0.5772156649) - 4 / 3, 12);
  });

  it("gives identical scores for the same seed, different ones for another", () => {
    const rows = gaussianRows(1000, 6, 1);
    const a = new IsolationForest({ seed: 5 }).fit(rows).score(rows);
    const b = new IsolationForest({ seed: 5 }).fit(rows).score(rows);
    const c = new IsolationForest({ seed: 6 }).fit(rows).score(rows);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it("scores +8σ outliers above 0.6 and inliers near 0.4–0.5", () => {
    const rows = gaussianRows(3000, 18, 2);
    const forest = new IsolationForest({ seed: 1 }).fit(rows);
    const inliers = forest.score(gaussianRows(500, 18, 3));
    const mean = inliers.reduce((s, v) => s + v, 0) / inliers.length;
    expect(mean).toBeGreaterThan(0.38);
    expect(mean).toBeLessThan(0.5);
    // Points 8σ away on every feature (scikit-learn scores these 0.72–0.74 on the same data).
    const outliers = forest.score([
      Array.from({ length: 18 }, () => 8),
      Array.from({ length: 18 }, () => -8),
      Array.from({ length: 18 }, (_, j) => (j % 2 === 0 ? 8 : -8)),
    ]);
    for (const s of outliers) expect(s).toBeGreaterThan(0.6);
    // A point off on a third of the features is still more anomalous than the typical inlier.
    const partial = forest.score([Array.from({ length: 18 }, (_, j) => (j % 3 === 0 ? 8 : 0))]);
    expect(partial[0]).toBeGreaterThan(mean);
  });

  it("uses ψ = min(sampleSize, rows) and a height limit of ceil(log2 ψ)", () => {
    const rows = gaussianRows(100, 3, 4);
    const forest = new IsolationForest({ sampleSize: 256 }).fit(rows);
    expect(forest.sampleSize).toBe(100);
    const json = forest.toJSON();
    // A tree of height ≤ 7 has at most 2^8 − 1 nodes.
    expect(json.nodes).toHaveLength(100);
    for (const n of json.nodes) expect(n).toBeLessThanOrEqual(255);
  });

  it("keeps no training rows and round-trips through JSON with identical scores", () => {
    const rows = gaussianRows(5000, 18, 5);
    const forest = new IsolationForest({ seed: 9 }).fit(rows);
    const json = JSON.stringify(forest.toJSON());
    // 100 trees of ≤ 511 nodes of 8 bytes (base64): far smaller than the 5000 × 18 rows it was trained on.
    expect(json.length).toBeLessThan((100 * 511 * 8 * 4) / 3 + 1000);
    const restored = IsolationForest.fromJSON(JSON.parse(json));
    const probe = gaussianRows(200, 18, 6);
    expect(Array.from(restored.score(probe))).toEqual(Array.from(forest.score(probe)));
  });

  it("scores exactly as a plain walk of every tree, for any row count and odd data", () => {
    const r = seededRandom(21);
    const cases = [
      { n: 1003, d: 18, sampleSize: 256, trees: 100 },
      { n: 300, d: 5, sampleSize: 16, trees: 37 },
      { n: 7, d: 3, sampleSize: 4, trees: 10 },
    ];
    for (const c of cases) {
      // Integer-valued and constant columns beside Gaussian ones: ties at splits and unsplittable nodes.
      const rows = gaussianRows(c.n, c.d, c.n).map((row) =>
        row.map((v, j) => (j % 3 === 1 ? Math.round(v * 2) : j % 3 === 2 && j > 2 ? 1 : v)),
      );
      const forest = new IsolationForest({ trees: c.trees, sampleSize: c.sampleSize, seed: c.d }).fit(rows);
      for (const count of [0, 1, 2, 3, 4, 5, 9, c.n]) {
        // Every fifth row moved off the training rows, so walks end in all kinds of leaves.
        const probe = Array.from({ length: count }, (_, i) => {
          const row = rows[i % c.n] as number[];
          return i % 5 === 4 ? row.map((v) => v + (r() - 0.5) * 6) : row;
        });
        expect(Array.from(forest.score(probe))).toEqual(referenceScores(forest, probe));
      }
      // Non-finite values (a matrix is not checked): NaN goes left at every split, as `<` in training.
      const odd = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 1e300];
      const matrix = Float64Array.from({ length: 10 * c.d }, (_, k) => odd[k % odd.length] as number);
      const oddRows = Array.from({ length: 10 }, (_, i) =>
        Array.from(matrix.subarray(i * c.d, (i + 1) * c.d)),
      );
      expect(Array.from(forest.score({ data: matrix, columns: c.d }))).toEqual(
        referenceScores(forest, oddRows),
      );
    }
  });

  it("loads a model saved by the earlier node layout: same scores, same bytes when saved again", () => {
    const forest = IsolationForest.fromJSON(EARLIER_MODEL as IsolationForestJson);
    expect(Array.from(forest.score(EARLIER_PROBE))).toEqual(EARLIER_SCORES);
    expect(forest.toJSON()).toEqual(EARLIER_MODEL);
    const { header, bytes } = forest.toBinary();
    const restored = IsolationForest.fromBinary(header, bytes);
    expect(Array.from(restored.score(EARLIER_PROBE))).toEqual(EARLIER_SCORES);
    expect(Buffer.from(restored.toBinary().bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it("walks far enough in a stored tree whose nodes share a child (valid indices, never built so)", () => {
    // One tree: 0 → 1|2, 1 → 3|4, 3 → 4|5, 4 → 6|7; leaves 2, 5, 6, 7. Node 4 is reached at depth 2
    // (from 1) and at depth 3 (from 3): the walk must take 4 steps, not 3.
    const nodes = 8;
    const buf = new ArrayBuffer(nodes * 8);
    new Float32Array(buf, 0, nodes).set([0.5, 0.5, 1.25, 0.5, 0.5, 3.5, 4.25, 4.75]);
    new Uint16Array(buf, nodes * 4, nodes).set([1, 3, 0, 4, 6, 0, 0, 0]);
    new Int16Array(buf, nodes * 6, nodes).set([0, 1, -1, 0, 1, -1, -1, -1]);
    const forest = IsolationForest.fromBinary(
      { version: 3, trees: 1, sampleSize: 8, seed: 1, columns: 2, nodes: [nodes] },
      new Uint8Array(buf),
    );
    const probe = [
      [0.2, 0.2],
      [0.2, 0.7],
      [0.7, 0],
      [0.4, 0.9],
    ];
    const scores = forest.score(probe);
    expect(Array.from(scores)).toEqual(referenceScores(forest, probe));
    expect(scores[0]).toBe(2 ** (-4.25 / averagePathLength(8)));
  });

  it("rejects corrupted models and bad input clearly", () => {
    const forest = new IsolationForest({ seed: 1 }).fit(gaussianRows(50, 2, 7));
    const json = forest.toJSON();
    // Every child index zeroed: a walk would loop back to the root.
    const bytes = Buffer.from(json.blob, "base64");
    const total = json.nodes.reduce((a, b) => a + b, 0);
    bytes.fill(0, total * 4, total * 6);
    expect(() => IsolationForest.fromJSON({ ...json, blob: bytes.toString("base64") })).toThrow(/corrupted/);
    expect(() => IsolationForest.fromJSON({ ...json, blob: json.blob.slice(0, 40) })).toThrow(/corrupted/);
    expect(() => IsolationForest.fromJSON({ ...json, nodes: [...json.nodes, 3] })).toThrow(/corrupted/);
    expect(() => IsolationForest.fromJSON({} as never)).toThrow(/not an isolation forest/);
    expect(() => forest.score([[1, 2, 3]])).toThrow(/3 columns/);
    expect(() => new IsolationForest().fit([[1, Number.NaN]])).toThrow(/not a finite number/);
    expect(() => new IsolationForest().fit([[1, 2]])).toThrow(/at least 2 rows/);
    expect(() => new IsolationForest().score([[1]])).toThrow(/fit the forest/);
    expect(() => new IsolationForest({ sampleSize: 65536 })).toThrow(/sampleSize must be an integer from 2/);
  });

  it("handles constant data without splitting forever", () => {
    const rows = Array.from({ length: 300 }, () => [1, 1, 1]);
    const scores = new IsolationForest({ seed: 2 }).fit(rows).score([
      [1, 1, 1],
      [5, 5, 5],
    ]);
    expect(scores[0]).toBeCloseTo(scores[1] as number, 12);
  });

  it.runIf(sklearnAvailable())("agrees in rank with scikit-learn on shared data (Spearman ≥ 0.9)", () => {
    const rows = gaussianRows(2000, 8, 11);
    for (let i = 0; i < 40; i++)
      rows.push(Array.from({ length: 8 }, (_, j) => (j % 3 === 0 ? 6 : 0) + i * 0.01));
    const ours = new IsolationForest({ seed: 3 }).fit(rows).score(rows);
    const script = `
import sys, json
from sklearn.ensemble import IsolationForest
X = json.load(sys.stdin)
m = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(X)
print(json.dumps((-m.score_samples(X)).tolist()))
`;
    const theirs = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", script], {
        input: JSON.stringify(rows),
        maxBuffer: 64 * 1024 * 1024,
      }).toString(),
    ) as number[];
    expect(spearman(ours, theirs)).toBeGreaterThanOrEqual(0.9);
  });
});
