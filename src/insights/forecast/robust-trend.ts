/**
 * Robust linear trend: Theil–Sen slope (median of pairwise slopes) and median intercept over a
 * recent window, started after the last big drop so a disk's clean-up (sawtooth) or a resize does
 * not bend the line fitted to the growth since.
 */
import type { ForecastModel, SeriesCalendar } from "./model.js";
import { median } from "./stats.js";

/** Pairwise slopes are quadratic in the points: the window is thinned to this many. */
const MAX_POINTS = 160;

export function trendWindowStart(history: Float64Array, calendar: SeriesCalendar, horizon: number): number {
  const n = history.length;
  const span = Math.max(3 * horizon, calendar.dayRows, 30);
  const start = Math.max(0, n - span);
  return Math.max(start, lastBigDrop(history, start));
}

/** Index just after the last one-step drop far larger than the usual step change, or `from`. */
export function lastBigDrop(history: Float64Array, from: number): number {
  const n = history.length;
  const diffs: number[] = [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let prev = Number.NaN;
  for (let i = from; i < n; i++) {
    const v = history[i] as number;
    if (!Number.isFinite(v)) continue;
    if (Number.isFinite(prev)) diffs.push(Math.abs(v - prev));
    prev = v;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const typical = median(diffs);
  if (!(hi > lo) || !Number.isFinite(typical)) return from;
  // The range is only a floor against noise-sized drops: a trend's own rise must not hide a clean-up.
  const bigDrop = Math.max(10 * typical, 0.05 * (hi - lo));
  // At least 10 points must remain after a drop for a slope to be read from them.
  prev = Number.NaN;
  let after = from;
  for (let i = from; i < n - 10; i++) {
    const v = history[i] as number;
    if (!Number.isFinite(v)) continue;
    if (Number.isFinite(prev) && prev - v > bigDrop) after = i;
    prev = v;
  }
  return after;
}

export function theilSen(history: Float64Array, start: number): { slope: number; intercept: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = start; i < history.length; i++) {
    const v = history[i] as number;
    if (Number.isFinite(v)) {
      xs.push(i);
      ys.push(v);
    }
  }
  const stride = Math.max(1, Math.ceil(xs.length / MAX_POINTS));
  const slopes: number[] = [];
  for (let a = 0; a < xs.length; a += stride)
    for (let b = a + stride; b < xs.length; b += stride)
      slopes.push(((ys[b] as number) - (ys[a] as number)) / ((xs[b] as number) - (xs[a] as number)));
  const slope = slopes.length > 0 ? median(slopes) : 0;
  const intercept = median(ys.map((y, i) => y - slope * (xs[i] as number)));
  return { slope, intercept };
}

export const robustTrend: ForecastModel = (history, calendar, horizon) => {
  const n = history.length;
  const { slope, intercept } = theilSen(history, trendWindowStart(history, calendar, horizon));
  const out = new Float64Array(horizon);
  for (let k = 1; k <= horizon; k++) out[k - 1] = intercept + slope * (n - 1 + k);
  return out;
};
