/**
 * How much history stands behind a number over a window. A "24 h average" from a Prometheus that
 * started 20 minutes ago is a 20-minute average under a false name, so a baseline is only given when
 * its window is mostly covered, and otherwise the answer says how much history there is.
 */
import {
  type ExprBuilder,
  finestResolution,
  isWindowed,
  niceResolution,
  RATE_WINDOW_S,
  type StepRange,
} from "./extremes.js";
import { promDuration } from "./promql.js";
import { formatDuration } from "./units.js";

/** Share of a window that must hold data before an average over it is called a baseline. */
export const COVERAGE_NEEDED = 0.8;

/** Instant queries for the average of an expression over a window, and how much of it has data. */
export interface WindowQueries {
  /** `avg_over_time` of the expression over the window before the evaluation time. */
  avg: string;
  /** `count_over_time` of the same: evaluations that had a value. */
  count: string;
  /** Seconds between evaluations. */
  resolution: number;
  lengthSeconds: number;
}

/**
 * Average and coverage queries over the `lengthSeconds` before the evaluation time, sampling the
 * expression about `points` times. A windowed expression is built with a window as long as the
 * resolution, so the samples between evaluations all count.
 */
export function windowQueries(build: ExprBuilder, lengthSeconds: number, points = 288): WindowQueries {
  const windowed = isWindowed(build(RATE_WINDOW_S));
  const resolution = niceResolution(Math.max(finestResolution(windowed), lengthSeconds / points));
  const inner = build(windowed ? Math.max(RATE_WINDOW_S, resolution) : RATE_WINDOW_S);
  const sub = `(${inner})[${promDuration(lengthSeconds)}:${promDuration(resolution)}]`;
  return { avg: `avg_over_time(${sub})`, count: `count_over_time(${sub})`, resolution, lengthSeconds };
}

export interface Coverage {
  /** Seconds of the window with data. */
  seconds: number;
  lengthSeconds: number;
  /** 0…1 */
  fraction: number;
  /** Whether the window is covered enough to be believed ({@link COVERAGE_NEEDED}). */
  enough: boolean;
  /** Seconds between the evaluations it was measured from: history shorter than this reads as 0. */
  resolution?: number;
}

function coverage(seconds: number, lengthSeconds: number): Coverage {
  const s = Math.max(0, Math.min(lengthSeconds, seconds));
  const fraction = lengthSeconds > 0 ? s / lengthSeconds : 0;
  return { seconds: s, lengthSeconds, fraction, enough: fraction >= COVERAGE_NEEDED };
}

/** Coverage from the answer of a {@link WindowQueries.count} query (undefined: no evaluation had data). */
export function coverageOfCount(count: number | undefined, q: WindowQueries): Coverage {
  const n = count !== undefined && Number.isFinite(count) ? count : 0;
  return { ...coverage(n * q.resolution, q.lengthSeconds), resolution: q.resolution };
}

/** Coverage of a range query's answer: its finite points against the steps asked for. */
export function coverageOfPoints(
  points: ReadonlyArray<readonly [number, number]>,
  range: StepRange,
): Coverage {
  const finite = points.reduce((n, [, v]) => (Number.isFinite(v) ? n + 1 : n), 0);
  const steps = Math.floor((range.end - range.start) / range.step) + 1;
  const length = range.end - range.start;
  return coverage((finite / steps) * length, length);
}

/** "24 h", "26 h 30 min", "7 d", "20 min": a span as people say it (hours up to two days). */
export function spanText(seconds: number): string {
  if (seconds < 3600 || seconds > 2 * 86400) return formatDuration(seconds);
  const minutes = Math.round(seconds / 60);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${h} h${m ? ` ${m} min` : ""}`;
}

/** "20 min of history, needs 24 h" / "less than 5 min of history, needs 24 h" (needs most of the window). */
export function historyText(c: Coverage): string {
  // Measured in steps of `resolution`: a Prometheus a few minutes old has data all the same.
  const have =
    c.seconds < Math.max(60, c.resolution ?? 0)
      ? `less than ${spanText(Math.max(60, c.resolution ?? 60))} of history`
      : `${spanText(c.seconds)} of history`;
  return `${have}, needs ${spanText(c.lengthSeconds)}`;
}
