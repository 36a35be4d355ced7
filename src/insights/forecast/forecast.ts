/** The forecaster: picks a model per series by its own backtest and adds empirical intervals. */
import { type BacktestOutcome, backtest, intervalOffsets } from "./backtest.js";
import { harmonicRegression } from "./harmonic.js";
import { calendarForStep, type ForecastModel } from "./model.js";
import { lastBigDrop, robustTrend } from "./robust-trend.js";
import { seasonalNaive } from "./seasonal-naive.js";
import { exponentialSmoothing, lastValue } from "./smoothing.js";
import { median } from "./stats.js";
import { validateForecastInput } from "./validate.js";

export type ModelName =
  | "seasonal-naive"
  | "robust-trend"
  | "harmonic"
  | "last-value"
  | "exponential-smoothing"
  | "combination";

/**
 * The equal-weight mean of seasonal naive, the harmonic regression and exponential smoothing: a
 * combination of unlike forecasts is often better than the best of them picked by a short backtest
 * (the M-competitions' lesson), and never far from it.
 */
const combination: ForecastModel = (history, calendar, horizon) => {
  const parts = [seasonalNaive, harmonicRegression, exponentialSmoothing].map((m) =>
    m(history, calendar, horizon),
  );
  const out = new Float64Array(horizon);
  for (let k = 0; k < horizon; k++) {
    let sum = 0;
    let count = 0;
    for (const p of parts) {
      const v = p[k] as number;
      if (Number.isFinite(v)) {
        sum += v;
        count++;
      }
    }
    out[k] = count > 0 ? sum / count : Number.NaN;
  }
  return out;
};

export const MODELS: Record<ModelName, ForecastModel> = {
  "seasonal-naive": seasonalNaive,
  "robust-trend": robustTrend,
  harmonic: harmonicRegression,
  "last-value": lastValue,
  "exponential-smoothing": exponentialSmoothing,
  combination,
};

/** How each model is named to a reader, in answers and alerts. */
export const MODEL_DESCRIPTIONS: Record<ModelName, string> = {
  "seasonal-naive": "seasonal naive (same time yesterday)",
  "robust-trend": "robust linear trend (Theil–Sen since the last clean-up)",
  harmonic: "trend + daily/weekly seasonality (harmonic regression)",
  "last-value": "last value",
  "exponential-smoothing": "exponential smoothing (level)",
  combination: "combination of seasonal naive, seasonal regression and smoothing",
};

export interface ForecastOptions {
  /** Central coverage of the interval, 0.9 by default. */
  level?: number;
  /** Past origins in the backtest, 6 by default. */
  backtestOrigins?: number;
  /** Candidate models, all by default. */
  models?: ModelName[];
}

export interface ForecastPoint {
  t: number;
  forecast: number;
  lower: number;
  upper: number;
}

export interface ForecastResult {
  model: ModelName;
  backtestMae: number;
  points: ForecastPoint[];
}

export function forecast(
  values: Float64Array,
  times: Float64Array,
  horizonSteps: number,
  opts: ForecastOptions = {},
): ForecastResult {
  validateForecastInput(values, times, horizonSteps);
  const level = opts.level ?? 0.9;
  if (!(level > 0 && level < 1)) throw new Error(`forecast: level must be between 0 and 1, got ${level}`);
  const diffs = new Float64Array(times.length - 1);
  for (let i = 1; i < times.length; i++) diffs[i - 1] = (times[i] as number) - (times[i - 1] as number);
  const step = median(diffs);
  const calendar = calendarForStep(step);
  const names = opts.models ?? (Object.keys(MODELS) as ModelName[]);
  if (names.length === 0) throw new Error("forecast: at least one model is needed");
  const origins = opts.backtestOrigins ?? 6;
  // An origin before a clean-up or a resize measures the models on a regime that has ended (every
  // model misses the drop, and the flat ones then look as good as the trend): when two days follow
  // the last big drop, only they are backtested.
  const regime = lastBigDrop(values, 0);
  const tested =
    regime > 0 && values.length - regime >= Math.max(2 * calendar.dayRows, 48)
      ? values.subarray(regime)
      : values;
  let best: { name: ModelName; outcome: BacktestOutcome } | undefined;
  for (const name of names) {
    const outcome = backtest(MODELS[name], tested, calendar, horizonSteps, origins);
    // Ties go to the earlier (simpler) model.
    if (!best || outcome.mae < best.outcome.mae) best = { name, outcome };
  }
  if (!best) throw new Error("forecast: no model could be backtested");
  const central = MODELS[best.name](values, calendar, horizonSteps);
  const { lower, upper } = intervalOffsets(best.outcome, horizonSteps, level);
  const lastTime = times[times.length - 1] as number;
  const points: ForecastPoint[] = [];
  for (let k = 1; k <= horizonSteps; k++) {
    const f = central[k - 1] as number;
    points.push({
      t: lastTime + k * step,
      forecast: f,
      lower: f + (lower[k - 1] as number),
      upper: f + (upper[k - 1] as number),
    });
  }
  return { model: best.name, backtestMae: best.outcome.mae, points };
}
