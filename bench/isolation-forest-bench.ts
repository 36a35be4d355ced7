/**
 * Isolation forest speed: ours against scikit-learn 1.2 (Debian python3-sklearn, run with
 * /usr/bin/python3) and ml-isolation-forest, on the same data in the same run: fit and score at
 * 10k×18 and 100k×18 rows, 100 trees, ψ = 256.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { IsolationForest } from "../src/anomaly/isolation-forest.js";
import { seededRandom } from "../src/anomaly/random.js";

interface Timing {
  fit: number;
  score: number;
}

function data(n: number, d: number): Float64Array {
  const r = seededRandom(42);
  const out = new Float64Array(n * d);
  for (let i = 0; i < out.length; i++)
    out[i] = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}

function best(runs: number, f: () => Timing): Timing {
  let fit = Number.POSITIVE_INFINITY;
  let score = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = f();
    fit = Math.min(fit, t.fit);
    score = Math.min(score, t.score);
  }
  return { fit, score };
}

function ours(x: Float64Array, d: number): Timing {
  const t0 = performance.now();
  const forest = new IsolationForest({ trees: 100, sampleSize: 256, seed: 1 }).fit({ data: x, columns: d });
  const t1 = performance.now();
  forest.score({ data: x, columns: d });
  return { fit: (t1 - t0) / 1000, score: (performance.now() - t1) / 1000 };
}

async function mlIsolationForest(x: Float64Array, d: number): Promise<Timing> {
  const mod = await import("ml-isolation-forest");
  const Ctor = mod.IsolationForest ?? mod.default;
  const rows: number[][] = [];
  for (let i = 0; i < x.length / d; i++) rows.push(Array.from(x.subarray(i * d, (i + 1) * d)));
  const t0 = performance.now();
  const forest = new Ctor({ nEstimators: 100 });
  forest.train(rows);
  const t1 = performance.now();
  forest.predict(rows);
  return { fit: (t1 - t0) / 1000, score: (performance.now() - t1) / 1000 };
}

function sklearn(x: Float64Array, d: number): Timing | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), "if-bench-"));
  const file = path.join(dir, "x.f64");
  writeFileSync(file, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  const script = `
import sys, time, json, numpy as np
from sklearn.ensemble import IsolationForest
X = np.fromfile(sys.argv[1], dtype=np.float64).reshape(-1, int(sys.argv[2]))
best = [1e9, 1e9]
for _ in range(3):
    t0 = time.perf_counter(); m = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(X)
    t1 = time.perf_counter(); m.score_samples(X); t2 = time.perf_counter()
    best = [min(best[0], t1 - t0), min(best[1], t2 - t1)]
print(json.dumps(best))`;
  try {
    const [fit, score] = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", script, file, String(d)]).toString(),
    ) as [number, number];
    return { fit, score };
  } catch {
    return undefined;
  }
}

export async function isolationForestBench(): Promise<string> {
  const d = 18;
  const lines = [
    "Best of 3 runs, seconds; ratio = scikit-learn (fit + score) ÷ ours (fit + score).",
    "",
    "| rows | ours fit | ours score | scikit-learn fit | scikit-learn score | ml-isolation-forest fit | ml-isolation-forest score | vs scikit-learn |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const n of [10_000, 100_000]) {
    const x = data(n, d);
    const o = best(3, () => ours(x, d));
    const s = sklearn(x, d);
    // One run only: the reference takes tens of seconds at 100k rows.
    const m = await mlIsolationForest(x, d);
    const f = (v: number | undefined) => (v === undefined ? "n/a" : v.toFixed(3));
    const ratio = s
      ? `${((s.fit + s.score) / (o.fit + o.score)).toFixed(1)}× faster`
      : "scikit-learn missing";
    lines.push(
      `| ${n.toLocaleString("en")} × ${d} | ${f(o.fit)} | ${f(o.score)} | ${f(s?.fit)} | ${f(s?.score)} | ${f(m.fit)} | ${f(m.score)} | ${ratio} |`,
    );
  }
  return lines.join("\n");
}
