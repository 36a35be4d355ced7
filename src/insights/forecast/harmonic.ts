/**
 * Additive trend + daily (+ weekly with two weeks of history) seasonality as a harmonic regression:
 * least squares on a line and a few Fourier terms, over the last few weeks.
 */
import { leastSquares } from "./least-squares.js";
import type { ForecastModel } from "./model.js";
import { lastBigDrop } from "./robust-trend.js";

const DAILY_TERMS = 3;
const WEEKLY_TERMS = 2;
/** Older history mostly describes another regime; four weeks keeps weekly terms well determined. */
const FIT_WEEKS = 4;

export const harmonicRegression: ForecastModel = (history, calendar, horizon) => {
  const n = history.length;
  const day = calendar.dayRows;
  const week = calendar.weekRows;
  const useWeek = week > 0 && n >= 2 * week;
  const span = useWeek ? FIT_WEEKS * week : day > 0 ? 7 * day : n;
  const start = lastBigDrop(history, Math.max(0, n - span));
  const periods: Array<[number, number]> = [];
  if (day > 0 && n - start >= day) periods.push([day, DAILY_TERMS]);
  if (useWeek && n - start >= 2 * week) periods.push([week, WEEKLY_TERMS]);
  const cols = 2 + periods.reduce((s, [, terms]) => s + 2 * terms, 0);
  const row = (t: number, into: Float64Array, off: number): void => {
    into[off] = 1;
    // Time is centred and scaled so the trend column has the size of the others.
    into[off + 1] = (t - n) / Math.max(n - start, 1);
    let c = off + 2;
    for (const [p, terms] of periods)
      for (let k = 1; k <= terms; k++) {
        const angle = (2 * Math.PI * k * t) / p;
        into[c++] = Math.sin(angle);
        into[c++] = Math.cos(angle);
      }
  };
  const rows: number[] = [];
  for (let i = start; i < n; i++) if (Number.isFinite(history[i] as number)) rows.push(i);
  const design = new Float64Array(rows.length * cols);
  const y = new Float64Array(rows.length);
  rows.forEach((t, r) => {
    row(t, design, r * cols);
    y[r] = history[t] as number;
  });
  const beta = leastSquares(design, rows.length, cols, y);
  const out = new Float64Array(horizon);
  const x = new Float64Array(cols);
  for (let k = 1; k <= horizon; k++) {
    row(n - 1 + k, x, 0);
    let s = 0;
    for (let c = 0; c < cols; c++) s += (x[c] as number) * (beta[c] as number);
    out[k - 1] = s;
  }
  return out;
};
