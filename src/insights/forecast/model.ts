/** What every forecasting model shares: the series' calendar in rows and the signature of a fit. */

export interface SeriesCalendar {
  /** Rows in a day, or 0 when the step does not divide a day into at least 2 rows. */
  dayRows: number;
  /** Rows in a week, or 0 likewise. */
  weekRows: number;
}

/** Forecast for leads 1..horizon from a history that may hold NaN gaps. */
export type ForecastModel = (
  history: Float64Array,
  calendar: SeriesCalendar,
  horizon: number,
) => Float64Array;

export function calendarForStep(stepSeconds: number): SeriesCalendar {
  const rows = (seconds: number): number => {
    const r = Math.round(seconds / stepSeconds);
    // A period is usable only when the step divides it (near) evenly into at least 2 rows.
    return r >= 2 && Math.abs(r * stepSeconds - seconds) <= 0.01 * seconds ? r : 0;
  };
  return { dayRows: rows(86_400), weekRows: rows(7 * 86_400) };
}
