export {
  type ForecastOptions,
  type ForecastPoint,
  type ForecastResult,
  forecast,
  MODEL_DESCRIPTIONS,
  type ModelName,
} from "./forecast.js";
export { type ThresholdCrossing, timeToThreshold } from "./time-to-threshold.js";
export { MAX_HORIZON_STEPS } from "./validate.js";
