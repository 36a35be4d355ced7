/**
 * Level-only models: the last value (persistence), and simple exponential smoothing whose smoothing
 * constant is chosen per series by its one-step-ahead error in sample. Both forecast a flat line: on
 * series that wander without a daily shape they beat anything that extrapolates a slope.
 */
import type { ForecastModel } from "./model.js";
import { lastFiniteIndex } from "./stats.js";

export const lastValue: ForecastModel = (history, _calendar, horizon) => {
  const last = lastFiniteIndex(history);
  return new Float64Array(horizon).fill(last >= 0 ? (history[last] as number) : Number.NaN);
};

/** Candidate smoothing constants: from a long memory (0.05) to nearly the last value (0.7). */
const ALPHAS = [0.05, 0.1, 0.2, 0.4, 0.7] as const;
/** Rows the level is fitted over: a week of 5-minute rows; older history is another regime. */
const FIT_ROWS = 2016;

export const exponentialSmoothing: ForecastModel = (history, _calendar, horizon) => {
  const start = Math.max(0, history.length - FIT_ROWS);
  let bestLevel = Number.NaN;
  let bestError = Number.POSITIVE_INFINITY;
  for (const alpha of ALPHAS) {
    let level = Number.NaN;
    let error = 0;
    for (let i = start; i < history.length; i++) {
      const v = history[i] as number;
      if (!Number.isFinite(v)) continue;
      if (Number.isNaN(level)) {
        level = v;
        continue;
      }
      error += (v - level) ** 2;
      level += alpha * (v - level);
    }
    if (error < bestError) {
      bestError = error;
      bestLevel = level;
    }
  }
  return new Float64Array(horizon).fill(bestLevel);
};
