/** Baselines and the scale for MASE, written out here so the bench compares like with like. */

import type { SeriesCalendar } from "../../src/insights/forecast/model.js";
import { seasonalNaive } from "../../src/insights/forecast/seasonal-naive.js";

export { seasonalNaive };

/** Prometheus `predict_linear`: ordinary least squares over the last `windowRows`, extended. */
export function predictLinear(history: Float64Array, windowRows: number, horizon: number): Float64Array {
  const n = history.length;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let count = 0;
  for (let i = Math.max(0, n - windowRows); i < n; i++) {
    const y = history[i] as number;
    if (!Number.isFinite(y)) continue;
    sx += i;
    sy += y;
    sxx += i * i;
    sxy += i * y;
    count++;
  }
  const denominator = count * sxx - sx * sx;
  const slope = count > 1 && denominator !== 0 ? (count * sxy - sx * sy) / denominator : 0;
  const intercept = count > 0 ? (sy - slope * sx) / count : Number.NaN;
  return Float64Array.from({ length: horizon }, (_, k) => intercept + slope * (n + k));
}

/** Mean absolute one-period-back error over the history (period a day in rows, else one row). */
export function seasonalNaiveScale(history: Float64Array, calendar: SeriesCalendar): number {
  const p = calendar.dayRows > 0 && history.length > 2 * calendar.dayRows ? calendar.dayRows : 1;
  let sum = 0;
  let count = 0;
  for (let i = p; i < history.length; i++) {
    const d = (history[i] as number) - (history[i - p] as number);
    if (Number.isFinite(d)) {
      sum += Math.abs(d);
      count++;
    }
  }
  return count > 0 ? sum / count : Number.NaN;
}

export function meanAbsoluteError(actual: Float64Array, predicted: Float64Array): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = (actual[i] as number) - (predicted[i] as number);
    if (Number.isFinite(e)) {
      sum += Math.abs(e);
      count++;
    }
  }
  return count > 0 ? sum / count : Number.NaN;
}
