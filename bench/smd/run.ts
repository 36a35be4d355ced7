/**
 * `npm run bench -- smd`: detectors on the SMD dev machines (../shared/data/smd), scored by the
 * README's rules (bench/smd/scoring.ts) in one run: our matrix detector exactly as
 * `cloudops detect TEST --train TRAIN` scores it, and scikit-learn's IsolationForest(random_state=0)
 * on the same files, then the bench prototypes of issue 14's score parts and their ensembles
 * (pca-part.ts, parts.ts). Each machine is its own problem: fit on its train half, score its test half.
 * `npx tsx bench/smd/run.ts` runs it alone.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { detectMatrixCsv } from "../../src/anomaly/detect-csv.js";
import { partDetectors } from "./parts.js";
import { pcaReconstruction } from "./pca-part.js";
import {
  averagePrecision,
  bestCompositeF1,
  bestPointAdjustedF1,
  type Explained,
  globalCompositeF1,
  hitRate,
  segments,
  sweep,
} from "./scoring.js";
import { loadSmd, SMD_DIR, type SmdMachine } from "./smd-data.js";

/** One machine's test scores from a detector and the seconds its fit + score took. */
export interface MachineScores {
  scores: Float64Array;
  seconds: number;
}

/**
 * A detector, or one score part of the host ensemble, measured alone. Issue 14's further parts plug
 * in here as entries of DETECTORS, each alone and then combined (e.g. rank-normalised mean or max):
 * - PCA / robust-PCA reconstruction error on robustly scaled features;
 * - per-feature robust z against the hour-of-day baseline (SMD has no timestamps: minute of day is
 *   the row index mod 1440, test rows continue train's clock at trainRows);
 * - a multi-scale temporal score (the change over the last minutes, not only the current row).
 * A part that can say which metrics moved gives `explain`, and the run reports its HitRate@P%.
 */
export interface SmdDetector {
  name: string;
  /** Fits on each machine's train rows and scores its test rows (higher = more anomalous). */
  score(machines: readonly SmdMachine[]): Promise<MachineScores[]>;
  /** The metrics (0-based columns) ranked by their part in test row `row`'s score, most first. */
  explain?(machine: SmdMachine, row: number): number[];
}

function timed(f: () => Float64Array): MachineScores {
  const t0 = performance.now();
  const scores = f();
  return { scores, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Our matrix mode through the very function `cloudops detect TEST --train TRAIN` calls, on the same
 * text; the score is read back from its `anomaly_score` column (6 decimals, as the command writes
 * it). The time includes parsing the CSV text and writing the scored rows, as the command does.
 */
export const cloudopsDetect: SmdDetector = {
  name: "cloudops detect --train (isolation forest)",
  async score(machines) {
    return machines.map((m) =>
      timed(() => {
        const csv = detectMatrixCsv(m.testText, m.testFile, m.trainText, m.trainFile);
        const rows = csv.trimEnd().split("\n").slice(1); // the header the command writes
        if (rows.length !== m.testRows)
          throw new Error(`${m.name}: ${rows.length} scored rows for ${m.testRows}`);
        return Float64Array.from(rows, (r) => {
          const fields = r.split(",");
          return Number(fields[fields.length - 2]);
        });
      }),
    );
  },
};

const SKLEARN_SCRIPT = `
import sys, json, time, numpy as np
from sklearn.ensemble import IsolationForest
out_dir, data_dir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
seconds = []
for name in names:
    X = np.loadtxt(f"{data_dir}/train/{name}.txt.gz", delimiter=",")
    T = np.loadtxt(f"{data_dir}/test/{name}.txt.gz", delimiter=",")
    t0 = time.perf_counter()
    m = IsolationForest(random_state=0).fit(X)
    s = -m.score_samples(T)
    seconds.append(time.perf_counter() - t0)
    s.astype("<f8").tofile(f"{out_dir}/{name}.f64")
print(json.dumps(seconds))
`;

/**
 * scikit-learn 1.2's IsolationForest(random_state=0), other parameters default, on the same gzipped
 * files (Debian python3-sklearn, /usr/bin/python3), scored with -score_samples. Its time is fit +
 * score only (loading excluded).
 */
export function sklearnIsolationForest(dataDir: string): SmdDetector {
  return {
    name: "scikit-learn IsolationForest(random_state=0)",
    async score(machines) {
      const out = mkdtempSync(path.join(tmpdir(), "smd-sklearn-"));
      try {
        let seconds: number[];
        try {
          seconds = JSON.parse(
            execFileSync(
              "/usr/bin/python3",
              ["-c", SKLEARN_SCRIPT, out, dataDir, ...machines.map((m) => m.name)],
              { stdio: ["ignore", "pipe", "pipe"] },
            ).toString(),
          ) as number[];
        } catch (e) {
          throw new Error(
            `scikit-learn run failed (needs /usr/bin/python3 with python3-sklearn): ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        return machines.map((m, i) => {
          const buf = readFileSync(path.join(out, `${m.name}.f64`));
          const scores = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8).slice();
          if (scores.length !== m.testRows)
            throw new Error(`${m.name}: scikit-learn gave ${scores.length} scores`);
          return { scores, seconds: seconds[i] ?? Number.NaN };
        });
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  };
}

/** Every figure of one detector on one machine. */
export interface MachineResult {
  machine: string;
  composite: number;
  threshold: number;
  compositeGlobal: number;
  ap: number;
  paF1: number;
  hit100: number;
  hit150: number;
  seconds: number;
}

/**
 * The explanations of one machine's flagged labelled segments: a segment is flagged when one of its
 * rows reaches t; it is explained at its highest-scoring row. Interpretation labels are matched to
 * label segments by their first row (machine-2-3's 7910-8010 labels the segment 7910-8000).
 */
function explained(d: SmdDetector, m: SmdMachine, scores: Float64Array, t: number): Explained[] {
  const explain = d.explain;
  if (!explain) return [];
  const byStart = new Map(segments(m.labels).map((s) => [s.start, s]));
  const out: Explained[] = [];
  for (const label of m.interpretation) {
    const seg = byStart.get(label.start);
    if (!seg)
      throw new Error(`${m.name}: interpretation ${label.start}-${label.end} starts no labelled segment`);
    let top = seg.start;
    for (let i = seg.start; i < seg.end; i++) if ((scores[i] as number) > (scores[top] as number)) top = i;
    if ((scores[top] as number) >= t) out.push({ truth: label.dims, ranking: explain.call(d, m, top) });
  }
  return out;
}

export async function evaluate(d: SmdDetector, machines: readonly SmdMachine[]): Promise<MachineResult[]> {
  const scored = await d.score(machines);
  const sweeps = scored.map((s, i) =>
    sweep({ scores: s.scores, labels: (machines[i] as SmdMachine).labels }),
  );
  const global = globalCompositeF1(sweeps);
  return machines.map((m, i) => {
    const s = sweeps[i] as ReturnType<typeof sweep>;
    const { scores, seconds } = scored[i] as MachineScores;
    const best = bestCompositeF1(s);
    const ex = explained(d, m, scores, best.threshold);
    return {
      machine: m.name,
      composite: best.value,
      threshold: best.threshold,
      compositeGlobal: global.perMachine[i] as number,
      ap: averagePrecision(s),
      paF1: bestPointAdjustedF1(s).value,
      hit100: hitRate(ex, 100),
      hit150: hitRate(ex, 150),
      seconds,
    };
  });
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function fmt(x: number): string {
  return Number.isNaN(x) ? "—" : x.toFixed(3);
}

export async function smdBench(): Promise<string> {
  const t0 = performance.now();
  const machines = loadSmd();
  const detectors: SmdDetector[] = [
    cloudopsDetect,
    sklearnIsolationForest(SMD_DIR),
    pcaReconstruction(),
    ...partDetectors(),
  ];
  const lines = [
    `${machines.length} machines (${machines.map((m) => `${m.name}: ${m.trainRows} train / ${m.testRows} test rows`).join("; ")}), 38 metrics.`,
    "",
    "| detector | machine | composite-F1 (own t) | composite-F1 (global t) | AP | PA-F1 (ref. only) | HitRate@100% | HitRate@150% | fit + score s |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const d of detectors) {
    const results = await evaluate(d, machines);
    for (const r of results)
      lines.push(
        `| ${d.name} | ${r.machine} | ${fmt(r.composite)} | ${fmt(r.compositeGlobal)} | ${fmt(r.ap)} | ${fmt(r.paF1)} | ${fmt(r.hit100)} | ${fmt(r.hit150)} | ${r.seconds.toFixed(2)} |`,
      );
    const col = (k: keyof Omit<MachineResult, "machine">) => results.map((r) => r[k]);
    lines.push(
      `| ${d.name} | **mean** | **${fmt(mean(col("composite")))}** | **${fmt(mean(col("compositeGlobal")))}** | **${fmt(mean(col("ap")))}** | ${fmt(mean(col("paF1")))} | ${fmt(mean(col("hit100")))} | ${fmt(mean(col("hit150")))} | ${col(
        "seconds",
      )
        .reduce((a, b) => a + b, 0)
        .toFixed(2)} |`,
    );
  }
  lines.push(
    "",
    "PA-F1 is printed for comparison with papers only: point adjustment inflates every detector (uniform random scores reach 0.90–0.97 here).",
    `Run time ${((performance.now() - t0) / 1000).toFixed(1)} s (loading, every detector, scoring).`,
  );
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  smdBench().then((s) => process.stdout.write(`${s}\n`));
}
