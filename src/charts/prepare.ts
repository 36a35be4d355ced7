/** The series as drawn: cleaned, capped at {@link MAX_SERIES} and downsampled. */
import { type ChartSeries, MAX_POINTS_PER_SERIES, MAX_SERIES } from "./chart-spec.js";

export interface PreparedSeries {
  name: string;
  points: Array<[number, number | null]>;
  /** Highest value and when, over the raw (not downsampled) points. */
  peak?: { value: number; at: number };
}

export interface Prepared {
  /** Series drawn, in the caller's order. */
  shown: PreparedSeries[];
  /** Series left out because of {@link MAX_SERIES}, lowest peaks. */
  hidden: PreparedSeries[];
  /** First and last timestamp over all series (including gap points); undefined without points. */
  timeRange?: [number, number];
  hasData: boolean;
}

export function prepare(series: ChartSeries[], width: number): Prepared {
  let tMin = Number.POSITIVE_INFINITY;
  let tMax = Number.NEGATIVE_INFINITY;
  const all = series.map((s, index) => {
    const points: Array<[number, number | null]> = [];
    let peak: PreparedSeries["peak"];
    for (const [t, v] of s.points) {
      if (!Number.isFinite(t)) continue;
      const value = v !== null && Number.isFinite(v) ? v : null;
      points.push([t, value]);
      if (t < tMin) tMin = t;
      if (t > tMax) tMax = t;
      if (value !== null && (peak === undefined || value > peak.value)) peak = { value, at: t };
    }
    if (points.some((p, i) => i > 0 && p[0] < (points[i - 1] as [number, number | null])[0])) {
      points.sort((a, b) => a[0] - b[0]);
    }
    return { index, prepared: { name: s.name.trim() || "(unnamed)", points, peak } };
  });
  // On-call cares about the hottest hosts, so the cap keeps the highest peaks.
  const ranked = [...all].sort(
    (a, b) =>
      (b.prepared.peak?.value ?? Number.NEGATIVE_INFINITY) -
      (a.prepared.peak?.value ?? Number.NEGATIVE_INFINITY),
  );
  const keep = new Set(ranked.slice(0, MAX_SERIES).map((s) => s.index));
  const shown = all.filter((s) => keep.has(s.index)).map((s) => s.prepared);
  const hidden = ranked.slice(MAX_SERIES).map((s) => s.prepared);
  // Beyond a min and max per pixel column more points change nothing visible, only render time
  // (10 series × 5,000 points take ~350 ms, ~180 ms at this limit).
  const limit = Math.min(MAX_POINTS_PER_SERIES, 3 * width);
  for (const s of shown) s.points = downsampleMinMax(s.points, limit);
  return {
    shown,
    hidden,
    timeRange: tMin <= tMax ? [tMin, tMax] : undefined,
    hasData: all.some((s) => s.prepared.peak !== undefined),
  };
}

/**
 * Reduces a series to at most `maxPoints` points without losing its shape: the points are split
 * into equal buckets and each bucket keeps its lowest and highest value (in time order), so spikes
 * and dips survive, plus one null if the bucket had a gap, so gaps stay visible. Series already
 * short enough are returned unchanged.
 */
export function downsampleMinMax(
  points: Array<[number, number | null]>,
  maxPoints: number = MAX_POINTS_PER_SERIES,
): Array<[number, number | null]> {
  if (points.length <= maxPoints) return points;
  // Up to three points per bucket (min, max, gap) keeps the result within maxPoints.
  const buckets = Math.max(1, Math.floor(maxPoints / 3));
  const size = points.length / buckets;
  const out: Array<[number, number | null]> = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.min(points.length, Math.floor((b + 1) * size));
    let minAt = -1;
    let maxAt = -1;
    let gapAt = -1;
    for (let i = from; i < to; i++) {
      const v = (points[i] as [number, number | null])[1];
      if (v === null) {
        if (gapAt < 0) gapAt = i;
        continue;
      }
      if (minAt < 0 || v < ((points[minAt] as [number, number])[1] as number)) minAt = i;
      if (maxAt < 0 || v > ((points[maxAt] as [number, number])[1] as number)) maxAt = i;
    }
    const picks = [...new Set([minAt, maxAt, gapAt].filter((i) => i >= 0))].sort((x, y) => x - y);
    for (const i of picks) out.push(points[i] as [number, number | null]);
  }
  return out;
}
