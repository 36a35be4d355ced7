/**
 * Rolling-origin backtest on a series' own recent history: each model forecasts from several past
 * origins and is compared with what followed. The lowest mean absolute error picks the model; the
 * chosen model's signed errors at each lead give the prediction intervals.
 */
import type { ForecastModel, SeriesCalendar } from "./model.js";
import { quantile } from "./stats.js";

export interface BacktestOutcome {
  mae: number;
  /** errors[o][k]: actual − forecast at origin o and lead k + 1 (NaN where the actual is missing). */
  errors: Float64Array[];
  /** Leads the backtest could check (at most the horizon; fewer on a short history). */
  leads: number;
}

/** Past origins are spaced by the backtest horizon, the newest ending at the last row. */
export function backtest(
  model: ForecastModel,
  history: Float64Array,
  calendar: SeriesCalendar,
  horizon: number,
  origins: number,
): BacktestOutcome {
  const n = history.length;
  // A quarter of the history at most is held out, so every origin still has most of it to fit on.
  const leads = Math.max(1, Math.min(horizon, Math.floor(n / (2 * origins)), Math.floor(n / 4)));
  const errors: Float64Array[] = [];
  let sum = 0;
  let count = 0;
  for (let o = 1; o <= origins; o++) {
    const origin = n - o * leads;
    if (origin < Math.max(10, Math.floor(n / 2))) break;
    const predicted = model(history.subarray(0, origin), calendar, leads);
    const e = new Float64Array(leads);
    for (let k = 0; k < leads; k++) {
      e[k] = (history[origin + k] as number) - (predicted[k] as number);
      if (Number.isFinite(e[k] as number)) {
        sum += Math.abs(e[k] as number);
        count++;
      }
    }
    errors.push(e);
  }
  return { mae: count > 0 ? sum / count : Number.POSITIVE_INFINITY, errors, leads };
}

/**
 * Lower and upper offsets for each lead 1..horizon at the given coverage. A lead pools the errors
 * of neighbouring leads (half to one and a half times it) so a few origins still give a quantile;
 * widths never shrink with lead, and beyond the leads the backtest saw they grow with the square
 * root of the lead (a random walk's spread; in proportion would call noise on a flat disk a fill).
 */
export function intervalOffsets(
  outcome: BacktestOutcome,
  horizon: number,
  level: number,
): { lower: Float64Array; upper: Float64Array } {
  const lower = new Float64Array(horizon);
  const upper = new Float64Array(horizon);
  const tail = (1 - level) / 2;
  let lo = 0;
  let hi = 0;
  let nextRead = 1;
  for (let k = 1; k <= horizon; k++) {
    if (k <= outcome.leads) {
      // Quantiles are read at leads about 10% apart (sorting a pool at every lead of a day of
      // minutes is quadratic); between them a lead keeps the width read last.
      if (k < nextRead) {
        lower[k - 1] = lo;
        upper[k - 1] = hi;
        continue;
      }
      nextRead = Math.max(k + 1, Math.ceil(k * 1.1));
      const from = Math.max(1, Math.floor(k / 2));
      const to = Math.min(outcome.leads, Math.ceil(k * 1.5));
      const pooled: number[] = [];
      for (const e of outcome.errors) for (let j = from; j <= to; j++) pooled.push(e[j - 1] as number);
      const qLo = quantile(pooled, tail);
      const qHi = quantile(pooled, 1 - tail);
      if (Number.isFinite(qLo)) lo = Math.min(lo, qLo);
      if (Number.isFinite(qHi)) hi = Math.max(hi, qHi);
      lower[k - 1] = lo;
      upper[k - 1] = hi;
    } else {
      const grow = Math.sqrt(k / outcome.leads);
      lower[k - 1] = (lower[outcome.leads - 1] as number) * grow;
      upper[k - 1] = (upper[outcome.leads - 1] as number) * grow;
    }
  }
  return { lower, upper };
}
