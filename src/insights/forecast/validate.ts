/** Input checks for the forecaster: a caller's mistake becomes one clear error, not a silent NaN. */

export const MAX_HORIZON_STEPS = 10_000;

export function validateForecastInput(values: Float64Array, times: Float64Array, horizonSteps: number): void {
  if (values.length !== times.length)
    throw new Error(`forecast: ${values.length} values but ${times.length} times (they must be equal)`);
  if (values.length < 3) throw new Error(`forecast: at least 3 points are needed, got ${values.length}`);
  if (!Number.isInteger(horizonSteps) || horizonSteps < 1 || horizonSteps > MAX_HORIZON_STEPS)
    throw new Error(
      `forecast: horizonSteps must be an integer from 1 to ${MAX_HORIZON_STEPS}, got ${horizonSteps}`,
    );
  for (let i = 0; i < times.length; i++) {
    const t = times[i] as number;
    if (!Number.isFinite(t)) throw new Error(`forecast: time ${i} is not finite (${t})`);
    if (i > 0 && t <= (times[i - 1] as number))
      throw new Error(`forecast: times must increase strictly (time ${i} is not after time ${i - 1})`);
  }
  let finite = 0;
  for (const v of values) if (Number.isFinite(v)) finite++;
  if (finite < 3) throw new Error(`forecast: at least 3 finite values are needed, got ${finite}`);
}
