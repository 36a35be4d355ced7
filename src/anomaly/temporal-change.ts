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
import { robustBaseline } from "./robust-stats.js";

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
  const { data, columns: d, times } = m;
  const n = data.length / d;
  const out = new Float64Array((n - from) * d).fill(Number.NaN);
  // A sorted copy of the window's finite values, grown and shrunk as the window slides: O(n · w).
  const win = new Float64Array(n);
  for (let f = 0; f < d; f++) {
    let size = 0;
    let oldest = 0;
    for (let i = 0; i < n; i++) {
      const t = times[i] as number;
      // Rows leaving the window: older than t − window.
      while (oldest < i && (times[oldest] as number) < t - window) {
        const v = data[oldest * d + f] as number;
        if (Number.isFinite(v)) {
          const p = lowerBound(win, size, v);
          win.copyWithin(p, p + 1, size);
          size--;
        }
        oldest++;
      }
      const v = data[i * d + f] as number;
      if (i >= from && size > 0 && Number.isFinite(v)) {
        const med =
          size % 2 === 1
            ? (win[(size - 1) / 2] as number)
            : ((win[size / 2 - 1] as number) + (win[size / 2] as number)) / 2;
        out[(i - from) * d + f] = v - med;
      }
      if (Number.isFinite(v)) {
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

/** Fits the change scales on training rows and returns them with the training rows' |z|. */
export function fitTemporal(
  train: TimedMatrix,
  windows: readonly number[] = TEMPORAL_WINDOWS_SECONDS,
): { scales: TemporalScales; z: Float64Array } {
  const d = train.columns;
  const n = train.data.length / d;
  const centre: number[] = [];
  const scale: number[] = [];
  const changes = windows.map((w) => trailingChange(train, w));
  const col = new Float64Array(n);
  changes.forEach((c) => {
    for (let f = 0; f < d; f++) {
      for (let i = 0; i < n; i++) col[i] = c[i * d + f] as number;
      const b = robustBaseline(col, CHANGE_SCALE_FLOOR);
      centre.push(Number.isFinite(b.median) ? b.median : 0);
      scale.push(b.scale);
    }
  });
  const scales = { windows: [...windows], centre, scale };
  return { scales, z: largestZ(changes, scales, d) };
}

/** |z| of rows `from` … n−1 of `m` (the rows before serve as history), the largest over windows. */
export function temporalZ(scales: TemporalScales, m: TimedMatrix, from = 0): Float64Array {
  const changes = scales.windows.map((w) => trailingChange(m, w, from));
  return largestZ(changes, scales, m.columns);
}

function largestZ(changes: Float64Array[], s: TemporalScales, d: number): Float64Array {
  const out = new Float64Array(changes[0]?.length ?? 0);
  changes.forEach((c, w) => {
    for (let i = 0; i < c.length; i++) {
      const v = c[i] as number;
      if (!Number.isFinite(v)) continue;
      const f = i % d;
      const z = Math.abs((v - (s.centre[w * d + f] as number)) / (s.scale[w * d + f] as number));
      if (z > (out[i] as number)) out[i] = z;
    }
  });
  return out;
}
