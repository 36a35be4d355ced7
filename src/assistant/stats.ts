/** Summaries of series: what a trend answer says in numbers. */
import type { Extremes } from "../metrics/extremes.js";

export interface SeriesStats {
  min: number;
  avg: number;
  max: number;
  /** The latest value: the instant value at the range's end when known, else the last point. */
  last: number;
  /** Time (seconds) of the maximum. */
  maxAt: number;
  /** Time (seconds) of the minimum. */
  minAt: number;
  /** Finite points the average is over. */
  count: number;
}

export type Direction = "rising" | "falling" | "steady";

/** What is known better than a range's step points can tell. */
export interface ExactValues {
  /** Max and min from every evaluation between the steps (see metrics/extremes). */
  extremes?: Extremes;
  /** The instant value at the range's end. NaN when the series has no value there any more. */
  latest?: number;
  /** When `latest` was taken (epoch seconds). */
  latestAt?: number;
}

/**
 * min/avg/max/last over the finite points; undefined when there is none. The average is always the
 * points'; the extremes and the latest value come from `exact` when given, because step points miss
 * what happens between steps and the last point can be a whole step old.
 */
export function summarise(
  points: ReadonlyArray<readonly [number, number]>,
  exact: ExactValues = {},
): SeriesStats | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let count = 0;
  let last = Number.NaN;
  let maxAt = 0;
  let minAt = 0;
  for (const [t, v] of points) {
    if (!Number.isFinite(v)) continue;
    if (v < min) {
      min = v;
      minAt = t;
    }
    if (v > max) {
      max = v;
      maxAt = t;
    }
    sum += v;
    count++;
    last = v;
  }
  if (count === 0) return undefined;
  const e = exact.extremes;
  if (e) ({ min, minAt, max, maxAt } = e);
  if (exact.latest !== undefined) last = exact.latest;
  // The latest value is a value of the range too, and may be newer than any step point.
  if (exact.latestAt !== undefined && Number.isFinite(last)) {
    if (last > max) [max, maxAt] = [last, exact.latestAt];
    if (last < min) [min, minAt] = [last, exact.latestAt];
  }
  return { min, avg: sum / count, max, last, maxAt, minAt, count };
}

/**
 * Direction of a series: the mean of its last quarter against its first quarter. A change counts
 * when it is larger than `absoluteTolerance` and than 10% of the first quarter's level, so noise
 * around a flat line reads as steady.
 */
export function direction(
  points: ReadonlyArray<readonly [number, number]>,
  absoluteTolerance: number,
): Direction {
  const finite = points.filter(([, v]) => Number.isFinite(v));
  if (finite.length < 4) return "steady";
  const q = Math.max(1, Math.floor(finite.length / 4));
  const mean = (xs: ReadonlyArray<readonly [number, number]>) =>
    xs.reduce((s, [, v]) => s + v, 0) / xs.length;
  const first = mean(finite.slice(0, q));
  const last = mean(finite.slice(-q));
  const delta = last - first;
  if (Math.abs(delta) <= absoluteTolerance || Math.abs(delta) <= Math.abs(first) * 0.1) return "steady";
  return delta > 0 ? "rising" : "falling";
}

export const DIRECTION_WORD: Record<Direction, string> = {
  rising: "↗ rising",
  falling: "↘ falling",
  steady: "→ steady",
};
