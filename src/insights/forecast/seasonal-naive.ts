/** Seasonal naive: the value one day earlier (the last value when the step gives no daily period). */
import type { ForecastModel } from "./model.js";
import { lastFiniteIndex } from "./stats.js";

export const seasonalNaive: ForecastModel = (history, calendar, horizon) => {
  const n = history.length;
  const last = lastFiniteIndex(history);
  const lastValue = last >= 0 ? (history[last] as number) : Number.NaN;
  const out = new Float64Array(horizon).fill(lastValue);
  const p = calendar.dayRows;
  if (p === 0 || n < p) return out;
  for (let k = 1; k <= horizon; k++) {
    // Lead k reads the same time of day in the last full day of history.
    const i = n - p + ((k - 1) % p);
    const v = history[i] as number;
    if (Number.isFinite(v)) out[k - 1] = v;
  }
  return out;
};
