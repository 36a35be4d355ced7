/**
 * The false-alarm budget: how many findings a healthy host may cost a day
 * (`ANOMALY_FALSE_ALARMS_PER_DAY`), and the detector threshold it sets. The host detector's score is
 * a rarity in decades (host-ensemble.ts), so a budget of N findings a day at S scores a day is the
 * rarity log10(S / N), plus the margin measured below. No imports: help text reads these.
 */

/** Default budget: findings expected per healthy host per day. */
export const DEFAULT_FALSE_ALARMS_PER_DAY = 0.2;
/** Scans a day at the default cadence (one a minute). */
export const DEFAULT_SCORES_PER_DAY = 1440;

/** How often a host is scored and how many false findings a day it may cost. */
export interface AlarmBudget {
  falseAlarmsPerDay: number;
  scoresPerDay: number;
}

export const DEFAULT_ALARM_BUDGET: AlarmBudget = {
  falseAlarmsPerDay: DEFAULT_FALSE_ALARMS_PER_DAY,
  scoresPerDay: DEFAULT_SCORES_PER_DAY,
};

/**
 * How much rarer than its calibration a healthy host's scores turn out in the days after training,
 * in decades: the training rows' scores are in-sample, later rows drift. Measured on the SMD dev
 * machines' anomaly-free stretches (`npm run bench -- smd`): per machine, the mean over budgets from
 * 0.05 to 1 a day of log10(findings per day ÷ budget) without it — 0.83, 0.35 and 0.89 — and their
 * median, rounded. Each machine's estimate from the other two (0.62, 0.86, 0.59) brackets it.
 */
export const CALIBRATION_MARGIN = 0.8;

/**
 * The score at which a healthy host is expected to be flagged `perDay` times a day when scored
 * `scoresPerDay` times a day.
 */
export function thresholdForRate(perDay: number, scoresPerDay: number): number {
  return Math.log10(Math.max(1, scoresPerDay / perDay)) + CALIBRATION_MARGIN;
}
