/** Turning a requested time range into Prometheus range-query parameters. */
import type { TimeRange } from "../intent.js";

const NICE_STEPS = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** Aim for about this many points per series: smooth at Slack's preview size, cheap to fetch. */
const TARGET_POINTS = 240;

export interface QueryWindow {
  start: number;
  end: number;
  step: number;
  /** rate()/changes() window for this step: wide enough to always hold two samples. */
  rateWindow: number;
}

/** Range parameters for `range` ending relative to `now` (epoch seconds); the last step is its end. */
export function queryWindow(range: TimeRange, now: number): QueryWindow {
  const length = Math.max(60, range.fromSecondsAgo - range.toSecondsAgo);
  const raw = length / TARGET_POINTS;
  const step = NICE_STEPS.find((s) => s >= raw) ?? 86400;
  // The grid ends at the range's end, to the second: a grid aligned to the step (kinder to the query
  // cache) ended up to a step before "now", and a Prometheus younger than one step had no point at all.
  const end = Math.floor(now - range.toSecondsAgo);
  const start = end - Math.ceil(length / step) * step;
  return { start, end, step, rateWindow: Math.max(300, 2 * step) };
}
