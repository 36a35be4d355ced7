/**
 * The multi-scale temporal part of the host ensemble: how far each feature moved over the last
 * minutes, not only where it stands. For each window W (5, 15 and 60 minutes by default) a value's
 * change is its difference to the median of the feature's values in the W seconds before it; the
 * change is scaled robustly by the median and spread of the same change over the training rows.
 * A feature's temporal |z| is its largest over the windows. A sudden step that stays within the
 * feature's usual range (a service restarting, a queue filling) shows here before anywhere else.
 *
 * Input is the baseline-scaled matrix (robust z per feature, NaN where missing), so the windows
 * compare like with like across an hour boundary and one floor fits every feature.
 */
import { quantileSelect } from "./robust-stats.js";

/** Default windows, seconds. */
export const TEMPORAL_WINDOWS_SECONDS = [300, 900, 3600] as const;
/**
 * The smallest spread of a change, in baseline z units: a feature that never moved in training
 * reads a change of one baseline spread as 4, not as thousands.
 */
const CHANGE_SCALE_FLOOR = 0.25;

/** Centre and spread of each (window, feature) change over the training rows. */
export interface TemporalScales {
  windows: number[];
  /**
   * Seconds between the training rows. Rows scored on a finer grid (a scan reads one a minute, a
   * host trains at five) are compared only with the earlier rows on the training grid, so a window
   * holds as many points as in training and its median is as smooth.
   */
  step?: number;
  /** `centre[w * columns + f]`. */
  centre: number[];
  scale: number[];
}

/** Rows as one flat row-major matrix (NaN = missing) with their times in epoch seconds. */
export interface TimedMatrix {
  data: Float64Array;
  columns: number;
  times: ArrayLike<number>;
}

/**
 * Each value's change to the median of its feature's values in the `window` seconds before it, for
 * rows `from` … n−1 (earlier rows serve as history only). Returns (n − from) × columns, NaN where the
 * value is missing or no earlier value lies in the window.
 */
export function trailingChange(m: TimedMatrix, window: number, from = 0): Float64Array {
  return changesAt(m, allRows(m, from), [window])[0] as Float64Array;
}

/**
 * The trailing changes of the given rows only, for several windows: per window, rows.length ×
 * columns, NaN where the value is missing or no earlier value lies in the window. Each row's earlier
 * values are walked back once, newest first, into a small sorted set, and each window's median is
 * read off as the walk passes its start (windows are nested). Training reads the calibration rows
 * only and a scan one row, so the cost is rows × features × values per window, not the history's.
 */
export function changesAt(
  m: TimedMatrix,
  rows: Int32Array,
  windows: readonly number[],
  /** Only earlier rows a whole number of steps before the row count (see TemporalScales.step). */
  step?: number,
): Float64Array[] {
  const { data, columns: d } = m;
  // One array type at this hot loop's reads (a plain array from a scan, a typed one in training).
  const times = m.times instanceof Float64Array ? m.times : Float64Array.from(m.times);
  const outs = windows.map(() => new Float64Array(rows.length * d).fill(Number.NaN));
  // Windows shortest first, with their outputs in the same order.
  const order = windows.map((_, k) => k).sort((a, b) => (windows[a] as number) - (windows[b] as number));
  const spans = Float64Array.from(order, (k) => windows[k] as number);
  const sortedOuts = order.map((k) => outs[k] as Float64Array);
  const nw = spans.length;
  const longest = nw > 0 ? (spans[nw - 1] as number) : 0;
  let sorted = new Float64Array(64);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r] as number;
    const t = times[i] as number;
    // The earliest row any window reaches, found once for all features.
    let first = i;
    while (first > 0 && (times[first - 1] as number) >= t - longest) first--;
    if (i - first > sorted.length) sorted = new Float64Array(2 * (i - first));
    for (let f = 0; f < d; f++) {
      const at = r * d + f;
      const v = data[i * d + f] as number;
      // A missing value (the scaled matrix holds no infinities: NaN is the only gap).
      if (Number.isNaN(v)) continue;
      let size = 0;
      let w = 0;
      for (let j = i - 1; j >= first; j--) {
        // Row j is older than the start of the windows still open: their medians are complete.
        const tj = times[j] as number;
        while (w < nw && tj < t - (spans[w] as number)) {
          if (size > 0) (sortedOuts[w] as Float64Array)[at] = v - median(sorted, size);
          w++;
        }
        const x = data[j * d + f] as number;
        if (Number.isNaN(x)) continue;
        if (step !== undefined) {
          const k = (t - tj) / step;
          if (Math.abs(k - Math.round(k)) > GRID_TOLERANCE) continue;
        }
        let p = size;
        while (p > 0 && (sorted[p - 1] as number) > x) {
          sorted[p] = sorted[p - 1] as number;
          p--;
        }
        sorted[p] = x;
        size++;
      }
      for (; w < nw; w++) if (size > 0) (sortedOuts[w] as Float64Array)[at] = v - median(sorted, size);
    }
  }
  return outs;
}

/** How far off the training grid (in steps) an earlier row may be and still count as on it. */
const GRID_TOLERANCE = 0.05;

/** The typical spacing of rows: the median of the positive gaps between consecutive times. */
export function typicalStep(times: ArrayLike<number>): number | undefined {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const g = (times[i] as number) - (times[i - 1] as number);
    if (g > 0) gaps.push(g);
  }
  if (gaps.length === 0) return undefined;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)];
}

function median(sorted: Float64Array, size: number): number {
  const half = size >> 1;
  return size & 1 ? (sorted[half] as number) : ((sorted[half - 1] as number) + (sorted[half] as number)) / 2;
}

/** Rows a change's centre and spread are estimated from, evenly spaced over the training rows. */
const SCALE_ROWS = 512;

/**
 * Median and spread (1.4826 · MAD, floored) of the finite values of column `f` of a row-major
 * matrix, from at most SCALE_ROWS evenly spaced rows, in a scratch buffer: training computes this for
 * every window and feature of every host, and a week's 2,016 rows were a sixth of a host's training
 * for no better an estimate of two robust statistics.
 */
function columnScale(
  data: Float64Array,
  d: number,
  f: number,
  floor: number,
  scratch: Float64Array,
): { centre: number; scale: number } {
  const n = data.length / d;
  const step = Math.max(1, n / SCALE_ROWS);
  let k = 0;
  for (let r = 0; r < n; r += step) {
    const v = data[Math.floor(r) * d + f] as number;
    if (!Number.isNaN(v)) scratch[k++] = v;
  }
  if (k === 0) return { centre: 0, scale: floor };
  const a = scratch.subarray(0, k);
  const centre = quantileSelect(a, 0.5);
  for (let i = 0; i < k; i++) a[i] = Math.abs((a[i] as number) - centre);
  return { centre, scale: Math.max(1.4826 * quantileSelect(a, 0.5), floor) };
}

/**
 * Fits the change scales on training rows — all of them, or the given ones (training reads its
 * calibration rows) — and returns them with those rows' |z|.
 */
export function fitTemporal(
  train: TimedMatrix,
  windows: readonly number[] = TEMPORAL_WINDOWS_SECONDS,
  rows: Int32Array = allRows(train),
): { scales: TemporalScales; z: Float64Array } {
  const d = train.columns;
  const centre: number[] = [];
  const scale: number[] = [];
  const changes = changesAt(train, rows, windows);
  const scratch = new Float64Array(Math.min(rows.length, SCALE_ROWS + 1));
  for (const c of changes) {
    for (let f = 0; f < d; f++) {
      const b = columnScale(c, d, f, CHANGE_SCALE_FLOOR, scratch);
      centre.push(b.centre);
      scale.push(b.scale);
    }
  }
  const step = typicalStep(train.times);
  const scales: TemporalScales = { windows: [...windows], centre, scale, ...(step ? { step } : {}) };
  return { scales, z: largestZ(changes, scales, d) };
}

function allRows(m: TimedMatrix, from = 0): Int32Array {
  const n = m.data.length / m.columns;
  return Int32Array.from({ length: Math.max(0, n - from) }, (_, k) => from + k);
}

/** |z| of rows `from` … n−1 of `m` (the rows before serve as history), the largest over windows. */
export function temporalZ(scales: TemporalScales, m: TimedMatrix, from = 0): Float64Array {
  return largestZ(changesAt(m, allRows(m, from), scales.windows, scales.step), scales, m.columns);
}

function largestZ(changes: Float64Array[], s: TemporalScales, d: number): Float64Array {
  const out = new Float64Array(changes[0]?.length ?? 0);
  const n = out.length / d;
  changes.forEach((c, w) => {
    for (let f = 0; f < d; f++) {
      const centre = s.centre[w * d + f] as number;
      const scale = s.scale[w * d + f] as number;
      for (let i = f, r = 0; r < n; r++, i += d) {
        const v = c[i] as number;
        if (Number.isNaN(v)) continue;
        const z = Math.abs((v - centre) / scale);
        if (z > (out[i] as number)) out[i] = z;
      }
    }
  });
  return out;
}
