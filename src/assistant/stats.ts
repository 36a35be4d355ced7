/** Summaries of series: what a trend answer says in numbers. */

export interface SeriesStats {
  min: number;
  avg: number;
  max: number;
  last: number;
  /** Time (seconds) of the maximum. */
  maxAt: number;
  count: number;
}

export type Direction = "rising" | "falling" | "steady";

/** min/avg/max/last over the finite points; undefined when there is none. */
export function summarise(points: ReadonlyArray<readonly [number, number]>): SeriesStats | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let count = 0;
  let last = Number.NaN;
  let maxAt = 0;
  for (const [t, v] of points) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) {
      max = v;
      maxAt = t;
    }
    sum += v;
    count++;
    last = v;
  }
  if (count === 0) return undefined;
  return { min, avg: sum / count, max, last, maxAt, count };
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
