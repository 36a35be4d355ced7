/**
 * Issue 14's further score parts and their ensembles, for the bench only (not the production detector
 * yet). Every part fits on a machine's train rows and gives, for train and test rows alike, a score
 * and per-metric contributions (its explanation). Parts:
 * - hour-of-day robust z: each metric against its train median and MAD in the same hour of the day
 *   (SMD has no timestamps: minute of day = row index mod 1440, test rows continue train's clock);
 * - multi-scale temporal: each metric's difference to its trailing median over 5, 15 and 60 rows,
 *   robustly scaled by that difference's train median and MAD (a change over the last minutes);
 * - PCA reconstruction (bench/smd/pca-part.ts), wrapped to the same shape.
 * A row's part score is the mean of its K largest per-metric |z| (one metric may carry an anomaly,
 * but the mean of a few is less noisy than the single max).
 *
 * Ensembles put the parts on one scale against each part's own TRAIN scores, then take the mean or
 * the max. Two scales: the rank (trainRank: the share of train rows scoring lower; above train's
 * maximum, 1 + the excess in units of train's median-to-maximum range) and the tail surprise
 * (trainSurprise: −log10 of the train exceedance, with an exponential tail). Against train, not
 * test, because a streaming host model can only do that; it does not make one threshold hold when
 * a part's scale drifts between train and test (PCA on machine-3-4, see BENCHMARKS.md). An ensemble
 * explains a row from the parts that flagged it (rank ≥ 0.99, or surprise ≥ 2), each part's
 * contributions as shares of its total, summed.
 */

import { fitPca, residuals } from "./pca-part.js";
import type { SmdDetector } from "./run.js";
import { SMD_COLUMNS, type SmdMachine } from "./smd-data.js";

const MINUTES_PER_DAY = 1440;
const HOURS = 24;
/** Scale floor in the data's units (SMD values lie in [0, 1]); as pca-part's. */
const MIN_SCALE = 0.01;
/** MAD → standard deviation under normality. */
const MAD_TO_SD = 1.4826;
/** Metrics averaged into a row's part score (the K largest |z|). */
export const TOP_K = 3;
export const TEMPORAL_WINDOWS = [5, 15, 60] as const;
/** A part flagged a row (for the ensemble's explanation) when its train rank is at least this. */
const FLAG_RANK = 0.99;
/** The same flag on the surprise scale: −log10(1 − 0.99). */
const FLAG_SURPRISE = 2;
/** Where the surprise normalisation's exponential tail starts (train quantile). */
const TAIL_QUANTILE = 0.99;

/** One part fitted on one machine: scores and contributions for its train and test rows. */
export interface FittedPart {
  trainScores: Float64Array;
  testScores: Float64Array;
  /** Per-metric contributions of test row `row` (higher = more to blame). */
  contributions(row: number): Float64Array;
}

export interface Part {
  name: string;
  fit(m: SmdMachine): FittedPart;
}

function median(values: Float64Array): number {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  if (n === 0) return 0;
  return n % 2 === 1 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

/** Median and floored MAD-based scale of a sample. */
export function robustCentreScale(values: Float64Array): { centre: number; scale: number } {
  const centre = median(values);
  const dev = Float64Array.from(values, (v) => Math.abs(v - centre));
  return { centre, scale: Math.max(MIN_SCALE, MAD_TO_SD * median(dev)) };
}

/** The mean of the k largest values of one row's |z| (k capped at the row's length). */
export function topKMean(z: Float64Array, k: number): number {
  const kk = Math.min(k, z.length);
  if (kk === 0) return 0;
  const top = new Float64Array(kk).fill(Number.NEGATIVE_INFINITY);
  for (let j = 0; j < z.length; j++) {
    const v = z[j] as number;
    if (v <= (top[kk - 1] as number)) continue;
    let p = kk - 1;
    while (p > 0 && (top[p - 1] as number) < v) {
      top[p] = top[p - 1] as number;
      p--;
    }
    top[p] = v;
  }
  let s = 0;
  for (let i = 0; i < kk; i++) s += top[i] as number;
  return s / kk;
}

function rowScores(contrib: Float64Array, d: number, k: number): Float64Array {
  const n = contrib.length / d;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = topKMean(contrib.subarray(i * d, (i + 1) * d), k);
  return out;
}

/**
 * Hour-of-day robust z. `rowOffset` is the clock of the first train row (0 for SMD); test row i is
 * at trainRows + i. Returns |z| per row and metric for train and test, row-major.
 */
export function hourOfDayZ(
  train: Float64Array,
  test: Float64Array,
  d: number,
  rowOffset = 0,
): { train: Float64Array; test: Float64Array } {
  const nTrain = train.length / d;
  const hour = (row: number) => Math.floor(((row + rowOffset) % MINUTES_PER_DAY) / 60);
  const centre = new Float64Array(HOURS * d);
  const scale = new Float64Array(HOURS * d);
  const byHour: number[][] = Array.from({ length: HOURS }, () => []);
  for (let i = 0; i < nTrain; i++) (byHour[hour(i)] as number[]).push(i);
  for (let h = 0; h < HOURS; h++) {
    const rows = byHour[h] as number[];
    for (let j = 0; j < d; j++) {
      // An hour train never saw (train shorter than a day) falls back to every train row.
      const src = rows.length > 0 ? rows : Array.from({ length: nTrain }, (_, i) => i);
      const { centre: c, scale: s } = robustCentreScale(
        Float64Array.from(src, (i) => train[i * d + j] as number),
      );
      centre[h * d + j] = c;
      scale[h * d + j] = s;
    }
  }
  const z = (x: Float64Array, firstRow: number) => {
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length / d; i++) {
      const h = hour(firstRow + i);
      for (let j = 0; j < d; j++)
        out[i * d + j] = Math.abs(
          ((x[i * d + j] as number) - (centre[h * d + j] as number)) / (scale[h * d + j] as number),
        );
    }
    return out;
  };
  return { train: z(train, 0), test: z(test, nTrain) };
}

/**
 * Each value's difference to the median of the `w` rows before it, per metric, over train then test
 * as one series (test continues train). The first row has no past: its difference is 0; rows with
 * fewer than w past rows use what they have. A sorted sliding window keeps it O(n·w).
 */
export function trailingMedianDiff(series: Float64Array, d: number, w: number): Float64Array {
  const n = series.length / d;
  const out = new Float64Array(series.length);
  const win = new Float64Array(w);
  for (let j = 0; j < d; j++) {
    let size = 0;
    for (let i = 0; i < n; i++) {
      const v = series[i * d + j] as number;
      if (size > 0) {
        const med =
          size % 2 === 1
            ? (win[(size - 1) / 2] as number)
            : ((win[size / 2 - 1] as number) + (win[size / 2] as number)) / 2;
        out[i * d + j] = v - med;
      }
      if (size === w) {
        // Drop the value leaving the window (row i − w).
        const old = series[(i - w) * d + j] as number;
        let p = lowerBound(win, size, old);
        win.copyWithin(p, p + 1, size);
        size--;
        p = lowerBound(win, size, v);
        win.copyWithin(p + 1, p, size);
        win[p] = v;
        size++;
      } else {
        const p = lowerBound(win, size, v);
        win.copyWithin(p + 1, p, size);
        win[p] = v;
        size++;
      }
    }
  }
  return out;
}

function lowerBound(a: Float64Array, size: number, v: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Multi-scale temporal |z|: per metric and window, the trailing-median difference robustly scaled by
 * its train median and MAD; a metric's value is its largest |z| over the windows.
 */
export function temporalZ(
  train: Float64Array,
  test: Float64Array,
  d: number,
  windows: readonly number[] = TEMPORAL_WINDOWS,
): { train: Float64Array; test: Float64Array } {
  const series = new Float64Array(train.length + test.length);
  series.set(train, 0);
  series.set(test, train.length);
  const nTrain = train.length / d;
  const best = new Float64Array(series.length);
  const col = new Float64Array(nTrain);
  for (const w of windows) {
    const diff = trailingMedianDiff(series, d, w);
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < nTrain; i++) col[i] = diff[i * d + j] as number;
      const { centre, scale } = robustCentreScale(col);
      for (let i = j; i < series.length; i += d) {
        const z = Math.abs(((diff[i] as number) - centre) / scale);
        if (z > (best[i] as number)) best[i] = z;
      }
    }
  }
  return { train: best.subarray(0, train.length), test: best.subarray(train.length) };
}

function zPart(name: string, zOf: (m: SmdMachine) => { train: Float64Array; test: Float64Array }): Part {
  return {
    name,
    fit(m) {
      const z = zOf(m);
      return {
        trainScores: rowScores(z.train, SMD_COLUMNS, TOP_K),
        testScores: rowScores(z.test, SMD_COLUMNS, TOP_K),
        contributions: (row) => z.test.slice(row * SMD_COLUMNS, (row + 1) * SMD_COLUMNS),
      };
    },
  };
}

export const hourOfDayPart: Part = zPart("hour-of-day robust z", (m) =>
  hourOfDayZ(m.train, m.test, SMD_COLUMNS),
);

export const temporalPart: Part = zPart("multi-scale temporal (5/15/60)", (m) =>
  temporalZ(m.train, m.test, SMD_COLUMNS),
);

export const pcaPart: Part = {
  name: "PCA reconstruction",
  fit(m) {
    const model = fitPca(m.train, SMD_COLUMNS);
    const sum = (x: Float64Array, n: number) =>
      Float64Array.from({ length: n }, (_, i) =>
        residuals(model, x, SMD_COLUMNS, i).reduce((a, b) => a + b, 0),
      );
    return {
      trainScores: sum(m.train, m.trainRows),
      testScores: sum(m.test, m.testRows),
      contributions: (row) => residuals(model, m.test, SMD_COLUMNS, row),
    };
  },
};

/**
 * A score's rank against a reference sample (the part's train scores): the share of reference scores
 * strictly below it, ties counting half; above the reference maximum, 1 + the excess over the maximum
 * in units of the reference's median-to-maximum range (floored), so the tail keeps its order.
 */
export function trainRank(reference: Float64Array, scores: Float64Array): Float64Array {
  const ref = Float64Array.from(reference).sort();
  const n = ref.length;
  if (n === 0) throw new Error("rank normalisation needs reference scores");
  const max = ref[n - 1] as number;
  const med = ref[Math.floor((n - 1) / 2)] as number;
  const range = Math.max(max - med, 1e-12);
  return Float64Array.from(scores, (s) => {
    if (s > max) return 1 + (s - max) / range;
    const below = lowerBound(ref, n, s);
    let upTo = below;
    while (upTo < n && ref[upTo] === s) upTo++;
    return (below + (upTo - below) / 2) / n;
  });
}

/**
 * A score's surprise against a reference sample, in decades of probability: −log10 of the share of
 * reference scores at or above it; above the reference's 99th percentile u, the tail is modelled as
 * exponential (peaks over threshold): −log10(0.01) + (s − u) / (β·ln 10), β = the mean excess over
 * u. Unlike the rank it keeps separating scores beyond the reference's maximum on a scale that
 * means the same for every part and machine.
 */
export function trainSurprise(reference: Float64Array, scores: Float64Array): Float64Array {
  const ref = Float64Array.from(reference).sort();
  const n = ref.length;
  if (n === 0) throw new Error("surprise normalisation needs reference scores");
  const uIdx = Math.floor(TAIL_QUANTILE * (n - 1));
  const u = ref[uIdx] as number;
  let excess = 0;
  for (let i = uIdx + 1; i < n; i++) excess += (ref[i] as number) - u;
  const beta = Math.max(n - 1 > uIdx ? excess / (n - 1 - uIdx) : 0, 1e-12);
  const atU = -Math.log10((n - uIdx) / n);
  return Float64Array.from(scores, (s) => {
    if (s > u) return atU + (s - u) / (beta * Math.LN10);
    const atOrAbove = n - lowerBound(ref, n, s);
    return -Math.log10(Math.max(atOrAbove, 1) / n);
  });
}

function ranking(contrib: Float64Array): number[] {
  return Array.from({ length: contrib.length }, (_, j) => j).sort(
    (a, b) => (contrib[b] as number) - (contrib[a] as number),
  );
}

interface CachedPart {
  part: FittedPart;
  seconds: number;
  /** Test scores normalised against the part's train scores, both ways. */
  rank: Float64Array;
  surprise: Float64Array;
}

/** Fits each part once per machine and shares it between the part's row and the ensembles. */
export class PartCache {
  private readonly fitted = new Map<string, CachedPart>();

  get(part: Part, m: SmdMachine): CachedPart {
    const key = `${part.name}\u0000${m.name}`;
    let hit = this.fitted.get(key);
    if (!hit) {
      const t0 = performance.now();
      const fitted = part.fit(m);
      const seconds = (performance.now() - t0) / 1000;
      hit = {
        part: fitted,
        seconds,
        rank: trainRank(fitted.trainScores, fitted.testScores),
        surprise: trainSurprise(fitted.trainScores, fitted.testScores),
      };
      this.fitted.set(key, hit);
    }
    return hit;
  }
}

/** One part alone as a bench detector, explained by its own contributions. */
export function partDetector(part: Part, cache: PartCache): SmdDetector {
  return {
    name: part.name,
    async score(machines) {
      return machines.map((m) => {
        const { part: f, seconds } = cache.get(part, m);
        return { scores: f.testScores, seconds };
      });
    },
    explain(m, row) {
      return ranking(cache.get(part, m).part.contributions(row));
    },
  };
}

export type Combine = "mean" | "max";
/** How parts are put on one scale: rank against train (trainRank) or tail surprise (trainSurprise). */
export type Normalise = "rank" | "surprise";

/** Normalised mean or max over parts; explained by the parts that flagged the row. */
export function ensembleDetector(
  parts: readonly Part[],
  combine: Combine,
  cache: PartCache,
  normalise: Normalise = "rank",
): SmdDetector {
  const norm = (f: CachedPart) => (normalise === "rank" ? f.rank : f.surprise);
  const flag = normalise === "rank" ? FLAG_RANK : FLAG_SURPRISE;
  const names = parts.map((p) => p.name.split(" ")[0]).join(" + ");
  return {
    name: `ensemble ${combine}(${names})${normalise === "surprise" ? ", tail surprise" : ""}`,
    async score(machines) {
      return machines.map((m) => {
        const fitted = parts.map((p) => cache.get(p, m));
        const t0 = performance.now();
        const scores = new Float64Array(m.testRows);
        for (let i = 0; i < m.testRows; i++) {
          let acc = combine === "max" ? Number.NEGATIVE_INFINITY : 0;
          for (const f of fitted) {
            const r = norm(f)[i] as number;
            acc = combine === "max" ? Math.max(acc, r) : acc + r / fitted.length;
          }
          scores[i] = acc;
        }
        const seconds = fitted.reduce((s, f) => s + f.seconds, 0) + (performance.now() - t0) / 1000;
        return { scores, seconds };
      });
    },
    explain(m, row) {
      const fitted = parts.map((p) => cache.get(p, m));
      let flagging = fitted.filter((f) => (norm(f)[row] as number) >= flag);
      if (flagging.length === 0) {
        // No part passed the flag rank: the one ranking the row highest explains it.
        const top = fitted.reduce((a, b) => ((norm(b)[row] as number) > (norm(a)[row] as number) ? b : a));
        flagging = [top];
      }
      const total = new Float64Array(SMD_COLUMNS);
      for (const f of flagging) {
        const c = f.part.contributions(row);
        const sum = c.reduce((a, b) => a + b, 0);
        if (sum > 0)
          for (let j = 0; j < SMD_COLUMNS; j++) total[j] = (total[j] as number) + (c[j] as number) / sum;
      }
      return ranking(total);
    },
  };
}

/** Every part alone, then the ensembles, sharing one cache. */
export function partDetectors(): SmdDetector[] {
  const cache = new PartCache();
  const all = [pcaPart, hourOfDayPart, temporalPart];
  const pcaHour = [pcaPart, hourOfDayPart];
  // Without PCA: the two parts whose scale held across machines (one global threshold).
  const hourTemporal = [hourOfDayPart, temporalPart];
  return [
    partDetector(hourOfDayPart, cache),
    partDetector(temporalPart, cache),
    ensembleDetector(all, "mean", cache),
    ensembleDetector(all, "max", cache),
    ensembleDetector(pcaHour, "mean", cache),
    ensembleDetector(pcaHour, "max", cache),
    ensembleDetector(hourTemporal, "mean", cache),
    ensembleDetector(hourTemporal, "max", cache),
    ensembleDetector(all, "mean", cache, "surprise"),
    ensembleDetector(pcaHour, "mean", cache, "surprise"),
    ensembleDetector(hourTemporal, "mean", cache, "surprise"),
  ];
}
