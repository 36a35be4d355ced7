/**
 * When a forecast reaches a level (a file system's size, say). A rising crossing is read by default:
 * the upper bound reaches it first (earliest), the lower bound last (latest).
 */
import type { ForecastPoint, ForecastResult } from "./forecast.js";

export interface ThresholdCrossing {
  /** First time the central forecast reaches the level, or null within the horizon. */
  expected: number | null;
  earliest: number | null;
  latest: number | null;
}

export function timeToThreshold(
  result: ForecastResult,
  threshold: number,
  direction: "rising" | "falling" = "rising",
): ThresholdCrossing {
  if (!Number.isFinite(threshold))
    throw new Error(`timeToThreshold: threshold must be finite, got ${threshold}`);
  const reaches = (v: number): boolean => (direction === "rising" ? v >= threshold : v <= threshold);
  const first = (read: (p: ForecastPoint) => number): number | null =>
    result.points.find((p) => reaches(read(p)))?.t ?? null;
  return {
    expected: first((p) => p.forecast),
    earliest: first((p) => (direction === "rising" ? p.upper : p.lower)),
    latest: first((p) => (direction === "rising" ? p.lower : p.upper)),
  };
}
