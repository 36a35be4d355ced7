/**
 * Leave-one-category-out cross-validation of the streaming detector's configuration on NAB
 * (`npm run bench -- nab-cv`). A category is the folder a file sits in (artificialNoAnomaly,
 * realAWSCloudwatch, …). For each category held out, the configuration and the threshold are chosen
 * by the NAB standard score over the other categories' files alone, and the held-out files are scored
 * with that choice. The held-out raw scores of all folds are summed and normalised once, between the
 * null and the perfect detector over every file, as the in-sample score is. The same is done with the
 * configuration fixed to the shipped default (only its threshold tuned per fold), and for each
 * configuration of the grid on its own.
 *
 * The costly part of the detector, the per-scale evidence, does not depend on how the scales are
 * combined or damped, nor on which other scales are computed with it; it is computed once per history
 * for the longest scale set and replayed for every other configuration, giving the numbers
 * scoreSeries would give. Each configuration's raw score per file and threshold is then computed once
 * and every fold only adds up rows of that table.
 */
import { performance } from "node:perf_hooks";
import {
  combineEvidence,
  QuietDamper,
  SCALE_COMBINATIONS,
  type ScaleCombination,
  ScaleEvidence,
  STREAMING_DEFAULTS,
  type StreamingOptions,
} from "../../src/anomaly/streaming-detector.js";
import { loadNab } from "./nab-data.js";
import {
  defaultThresholds,
  fileScore,
  NEVER_THRESHOLD,
  normalise,
  PROFILES,
  type Profile,
  type ScoredFile,
} from "./nab-scoring.js";

/** The grid's axes: shingle lengths 1, 2, 4, … up to one of these, two histories, three dampings. */
const LONGEST_SCALES = [8, 16, 32, 64];
const HISTORIES = [2016, 4032];
const QUIET_PERIODS: ReadonlyArray<Pick<StreamingOptions, "quietRows" | "damping">> = [
  { quietRows: 288, damping: 0.8 },
  { quietRows: 144, damping: 0.8 },
  // No damping: the quiet period then has no effect.
  { quietRows: 288, damping: 1 },
];

export function powersOfTwoUpTo(longest: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= longest; d *= 2) out.push(d);
  return out;
}

/** Every configuration tried, the shipped default first so that a tie keeps it. */
export function configGrid(): StreamingOptions[] {
  const grid: StreamingOptions[] = [STREAMING_DEFAULTS];
  for (const history of HISTORIES)
    for (const longest of LONGEST_SCALES)
      for (const combine of SCALE_COMBINATIONS)
        for (const quiet of QUIET_PERIODS) {
          const o: StreamingOptions = { scales: powersOfTwoUpTo(longest), history, combine, ...quiet };
          if (configLabel(o) !== configLabel(STREAMING_DEFAULTS)) grid.push(o);
        }
  return grid;
}

/** The grid's axes, each as the value a configuration takes on it. */
const AXES: ReadonlyArray<[string, (o: StreamingOptions) => string]> = [
  ["longest scale", (o) => String(Math.max(...o.scales))],
  ["combination", (o) => COMBINE_LABELS[o.combine]],
  ["history", (o) => String(o.history)],
  ["quiet period × damping", (o) => (o.damping === 1 ? "none" : `${o.quietRows} × ${o.damping}`)],
];

const COMBINE_LABELS: Record<ScaleCombination, string> = {
  "mean-of-average-and-max": "avg+max",
  average: "average",
  max: "max",
};

export function configLabel(o: StreamingOptions): string {
  const quiet = o.damping === 1 ? "no damping" : `quiet ${o.quietRows} × ${o.damping}`;
  return `1–${Math.max(...o.scales)}, ${COMBINE_LABELS[o.combine]}, history ${o.history}, ${quiet}`;
}

/** A file's category: the first segment of its name (`realKnownCause/nyc_taxi.csv`). */
export function categoryOf(name: string): string {
  const slash = name.indexOf("/");
  return slash < 0 ? name : name.slice(0, slash);
}

/**
 * Per-scale evidence of a whole series: row i's evidence for scale s at [i × scales.length + s],
 * NaN where the scale is not ranked yet and on non-finite rows (which the detector skips).
 */
export function seriesEvidence(
  values: ArrayLike<number>,
  scales: readonly number[],
  history: number,
): Float64Array {
  const evidence = new ScaleEvidence(scales, history);
  const out = new Float64Array(values.length * scales.length).fill(Number.NaN);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) out.set(evidence.update(v), i * scales.length);
  }
  return out;
}

/**
 * The detector's scores for configuration `o` from evidence computed for `evidenceScales`, of which
 * o.scales must be the first ones: the same numbers as scoreSeries(values, o).
 */
export function replayScores(
  values: ArrayLike<number>,
  evidence: Float64Array,
  evidenceScales: readonly number[],
  o: StreamingOptions,
): Float64Array {
  if (o.scales.some((d, s) => evidenceScales[s] !== d)) {
    throw new RangeError(`scales ${o.scales.join(",")} are not a prefix of ${evidenceScales.join(",")}`);
  }
  const stride = evidenceScales.length;
  const damper = new QuietDamper(o.quietRows, o.damping);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i] as number)) continue;
    const row = evidence.subarray(i * stride, i * stride + o.scales.length);
    out[i] = damper.apply(combineEvidence(row, o.combine));
  }
  return out;
}

/** The thresholds tried: never alarming first (as sweep starts from it), then sweep's own. */
export function cvThresholds(): number[] {
  return [NEVER_THRESHOLD, ...defaultThresholds()];
}

/** One configuration's raw score for each file (outer) at each threshold (inner). */
export function thresholdTable(files: ScoredFile[], thresholds: number[], p: Profile): Float64Array[] {
  return files.map((f) => Float64Array.from(thresholds, (t) => fileScore(f, t, p)));
}

export interface Choice {
  /** Index into the configurations. */
  config: number;
  /** Index into the thresholds. */
  threshold: number;
  raw: number;
}

/**
 * The configuration and threshold with the best raw total over `fileIndexes` (the best normalised
 * score too, as the windows are the same for all). Ties keep the earlier configuration, then the
 * earlier threshold.
 */
export function bestChoice(tables: Float64Array[][], fileIndexes: number[]): Choice {
  let best: Choice = { config: -1, threshold: -1, raw: Number.NEGATIVE_INFINITY };
  tables.forEach((table, c) => {
    const thresholdCount = (table[0] as Float64Array).length;
    for (let k = 0; k < thresholdCount; k++) {
      let raw = 0;
      for (const f of fileIndexes) raw += (table[f] as Float64Array)[k] as number;
      if (raw > best.raw) best = { config: c, threshold: k, raw };
    }
  });
  return best;
}

export interface Fold {
  heldOut: string;
  files: number;
  windows: number;
  /** Chosen on the other categories' files. */
  choice: Choice;
  trainWindows: number;
  heldOutRaw: number;
}

export interface CrossValidation {
  folds: Fold[];
  /** Held-out raw scores summed over the folds. */
  raw: number;
  /** That sum normalised over all the files' windows. */
  normalised: number;
}

type LabelledFiles = ReadonlyArray<Pick<ScoredFile, "name" | "windows">>;

/** Chooses a configuration and a threshold from the training files (their indexes) alone. */
export type Chooser = (train: number[]) => Choice;

/** Chooses by the best raw total over the training files, among all the tables' configurations. */
export function chooseInSample(tables: Float64Array[][]): Chooser {
  return (train) => bestChoice(tables, train);
}

/**
 * Chooses the configuration whose own leave-one-category-out score within the training files is
 * best (its threshold tuned in each inner fold), then its threshold over all the training files. So
 * the choice of a configuration by its cross-validated score can itself be cross-validated.
 */
export function chooseByCrossValidation(files: LabelledFiles, tables: Float64Array[][]): Chooser {
  return (train) => {
    let bestConfig = 0;
    let bestRaw = Number.NEGATIVE_INFINITY;
    tables.forEach((table, c) => {
      const own = [table];
      const raw = foldsWithin(files, train, own, chooseInSample(own)).reduce(
        (sum, f) => sum + f.heldOutRaw,
        0,
      );
      if (raw > bestRaw) {
        bestConfig = c;
        bestRaw = raw;
      }
    });
    return { ...bestChoice([tables[bestConfig] as Float64Array[]], train), config: bestConfig };
  };
}

/** Leave-one-category-out over the files `within`: each category in turn is held out of `choose`. */
function foldsWithin(
  files: LabelledFiles,
  within: number[],
  tables: Float64Array[][],
  choose: Chooser,
): Fold[] {
  const categoryAt = (i: number) => categoryOf((files[i] as ScoredFile).name);
  const windowsOf = (is: number[]) => is.reduce((n, i) => n + (files[i] as ScoredFile).windows.length, 0);
  const categories = [...new Set(within.map(categoryAt))].sort();
  return categories.map((heldOut): Fold => {
    const test = within.filter((i) => categoryAt(i) === heldOut);
    const train = within.filter((i) => categoryAt(i) !== heldOut);
    const choice = choose(train);
    const table = tables[choice.config] as Float64Array[];
    const heldOutRaw = test.reduce(
      (sum, i) => sum + ((table[i] as Float64Array)[choice.threshold] as number),
      0,
    );
    return {
      heldOut,
      files: test.length,
      windows: windowsOf(test),
      choice,
      trainWindows: windowsOf(train),
      heldOutRaw,
    };
  });
}

/**
 * Leave-one-category-out: tables[c][f][k] is configuration c's raw score on file f at threshold k.
 * A fold's choice reads only the rows of its training files (by default the best configuration and
 * threshold over them); the held-out raw scores are summed and normalised over all files' windows.
 */
export function crossValidate(
  files: LabelledFiles,
  tables: Float64Array[][],
  p: Profile,
  choose: Chooser = chooseInSample(tables),
): CrossValidation {
  const all = files.map((_, i) => i);
  const folds = foldsWithin(files, all, tables, choose);
  const raw = folds.reduce((sum, f) => sum + f.heldOutRaw, 0);
  const windows = files.reduce((n, f) => n + f.windows.length, 0);
  return { folds, raw, normalised: normalise(raw, windows, p) };
}

export async function nabCvBench(): Promise<string> {
  const p = PROFILES[0] as Profile; // standard
  const series = loadNab();
  const thresholds = cvThresholds();
  const grid = configGrid();
  const longestScales = powersOfTwoUpTo(Math.max(...LONGEST_SCALES));
  const tables: Float64Array[][] = new Array(grid.length);
  const t0 = performance.now();
  let evidenceSeconds = 0;
  for (const history of HISTORIES) {
    const t1 = performance.now();
    const evidence = series.map((s) => seriesEvidence(s.values, longestScales, history));
    evidenceSeconds += (performance.now() - t1) / 1000;
    grid.forEach((o, c) => {
      if (o.history !== history) return;
      const files = series.map((s, i) => ({
        name: s.name,
        windows: s.windows,
        scores: replayScores(s.values, evidence[i] as Float64Array, longestScales, o),
      }));
      tables[c] = thresholdTable(files, thresholds, p);
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  const files = series.map((s) => ({ name: s.name, windows: s.windows }));
  const all = files.map((_, i) => i);
  const windowCount = files.reduce((n, f) => n + f.windows.length, 0);
  const categoryCount = new Set(files.map((f) => categoryOf(f.name))).size;

  const thr = (k: number) => String(thresholds[k]);
  const norm = (raw: number, windows: number) => (windows > 0 ? normalise(raw, windows, p).toFixed(1) : "—");
  const cvGrid = crossValidate(files, tables, p);
  const cvDefault = crossValidate(files, [tables[0] as Float64Array[]], p);
  const cvByCv = crossValidate(files, tables, p, chooseByCrossValidation(files, tables));
  const inGrid = bestChoice(tables, all);
  const inDefault = bestChoice([tables[0] as Float64Array[]], all);
  const perConfig = grid.map((o, c) => {
    const own = [tables[c] as Float64Array[]];
    return { o, c, cv: crossValidate(files, own, p), inSample: bestChoice(own, all) };
  });
  const bestCv = perConfig.reduce((a, b) => (b.cv.raw > a.cv.raw ? b : a));

  const procedures: Array<[string, CrossValidation]> = [
    ["grid, best in-sample", cvGrid],
    ["grid, best cross-validated", cvByCv],
    ["shipped default, threshold", cvDefault],
  ];
  const lines = [
    `${files.length} files in ${categoryCount} categories, ${windowCount} windows; standard profile; ${grid.length} configurations × ${thresholds.length} thresholds (never alarming, then sweep's).`,
    `Per-scale evidence (scales 1–${Math.max(...longestScales)}, ${HISTORIES.length} histories) ${evidenceSeconds.toFixed(0)} s; with every configuration's scores and table ${seconds.toFixed(0)} s.`,
    "",
    "| what each fold chooses on the other categories | cross-validated | in-sample | choice on all files |",
    "|---|---:|---:|---|",
    `| configuration and threshold with the best score there | ${cvGrid.normalised.toFixed(1)} | ${normalise(inGrid.raw, windowCount, p).toFixed(1)} | ${configLabel(grid[inGrid.config] as StreamingOptions)} at ${thr(inGrid.threshold)} |`,
    `| configuration with the best cross-validated score there (inner folds), then its threshold | ${cvByCv.normalised.toFixed(1)} | ${normalise(bestCv.inSample.raw, windowCount, p).toFixed(1)} | ${configLabel(bestCv.o)} at ${thr(bestCv.inSample.threshold)} (cross-validated ${bestCv.cv.normalised.toFixed(1)}) |`,
    `| threshold only, shipped default | ${cvDefault.normalised.toFixed(1)} | ${normalise(inDefault.raw, windowCount, p).toFixed(1)} | ${configLabel(STREAMING_DEFAULTS)} at ${thr(inDefault.threshold)} |`,
    "",
    "Folds (training: normalised over the other categories' windows; held-out: raw, and normalised over its own windows where it has any):",
    "",
    "| held out | files | windows | choice by | configuration | threshold | training | held-out raw | held-out |",
    "|---|---:|---:|---|---|---:|---:|---:|---:|",
  ];
  cvGrid.folds.forEach((g, i) => {
    for (const [name, cv] of procedures) {
      const f = cv.folds[i] as Fold;
      lines.push(
        `| ${g.heldOut} | ${g.files} | ${g.windows} | ${name} | ${configLabel(grid[f.choice.config] as StreamingOptions)} | ${thr(f.choice.threshold)} | ${norm(f.choice.raw, f.trainWindows)} | ${f.heldOutRaw.toFixed(2)} | ${norm(f.heldOutRaw, f.windows)} |`,
      );
    }
  });
  lines.push(
    "",
    "One axis at a time (the others at the shipped default): the value chosen by its cross-validated score on the other categories, cross-validated itself:",
    "",
    "| axis | values | cross-validated | chosen per fold (threshold) | chosen on all files: cross-validated, in-sample |",
    "|---|---|---:|---|---|",
  );
  for (const [axis, axisValue] of AXES) {
    const subset = grid
      .map((_, c) => c)
      .filter((c) =>
        AXES.every(([a, v]) => a === axis || v(grid[c] as StreamingOptions) === v(STREAMING_DEFAULTS)),
      );
    const subTables = subset.map((c) => tables[c] as Float64Array[]);
    const nested = crossValidate(files, subTables, p, chooseByCrossValidation(files, subTables));
    const valueAt = (k: number) => axisValue(grid[subset[k] as number] as StreamingOptions);
    const onAll = subset
      .map((c) => perConfig[c] as (typeof perConfig)[number])
      .reduce((a, b) => (b.cv.raw > a.cv.raw ? b : a));
    lines.push(
      `| ${axis} | ${subset.map((_, k) => valueAt(k)).join(", ")} | ${nested.normalised.toFixed(1)} | ${nested.folds.map((f) => `${valueAt(f.choice.config)} (${thr(f.choice.threshold)})`).join(", ")} | ${axisValue(onAll.o)}: ${onAll.cv.normalised.toFixed(1)}, ${normalise(onAll.inSample.raw, windowCount, p).toFixed(1)} |`,
    );
  }
  lines.push(
    "",
    "Every configuration, threshold only tuned per fold (sorted by the cross-validated score; ◀ the shipped default):",
    "",
    "| configuration | cross-validated | fold thresholds | in-sample | threshold |",
    "|---|---:|---|---:|---:|",
  );
  for (const r of [...perConfig].sort((a, b) => b.cv.raw - a.cv.raw || a.c - b.c)) {
    lines.push(
      `| ${configLabel(r.o)}${r.c === 0 ? " ◀" : ""} | ${r.cv.normalised.toFixed(1)} | ${r.cv.folds.map((f) => thr(f.choice.threshold)).join(", ")} | ${normalise(r.inSample.raw, windowCount, p).toFixed(1)} | ${thr(r.inSample.threshold)} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  nabCvBench().then((s) => process.stdout.write(`${s}\n`));
}
