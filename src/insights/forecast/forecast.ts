/** The forecaster: picks a model per series by its own backtest and adds empirical intervals. */
import { type BacktestOutcome, backtest, intervalOffsets } from "./backtest.js";
import { harmonicRegression } from "./harmonic.js";
import { calendarForStep, type ForecastModel } from "./model.js";
import { robustTrend } from "./robust-trend.js";
import { seasonalNaive } from "./seasonal-naive.js";
import { median } from "./stats.js";
import { validateForecastInput } from "./validate.js";

export type ModelName = "seasonal-naive" | "robust-trend" | "harmonic";

export const MODELS: Record<ModelName, ForecastModel> = {
  "seasonal-naive": seasonalNaive,
  "robust-trend": robustTrend,
  harmonic: harmonicRegression,
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
  let best: { name: ModelName; outcome: BacktestOutcome } | undefined;
  for (const name of names) {
    const outcome = backtest(MODELS[name], values, calendar, horizonSteps, origins);
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
