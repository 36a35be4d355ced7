/**
 * Peaks and dips that a range query's steps would miss. A range query evaluates an expression once
 * per step, so a spike between two steps (one 15 s scrape inside a 10 min step) never shows in its
 * points. Here the same expression is evaluated at a fine resolution inside each step with a
 * subquery, and only each step's max and min come back: one extra query, every sample seen.
 *
 * Pure PromQL building and result folding; the answers run the queries.
 */
import type { RangeSeries } from "./prometheus-client.js";
import { promDuration } from "./promql.js";

/**
 * Resolution for expressions without a range selector (gauges and ratios of gauges): the scrape
 * interval the shipped prometheus.yml uses, so each evaluation sees the next scraped sample.
 */
export const GAUGE_RESOLUTION_S = 15;
/** Window of rate() and its kin for "now" and for peaks: the 5-minute average answers speak of. */
export const RATE_WINDOW_S = 300;
/**
 * Resolution for windowed expressions: five evaluations per 5-minute window, so the busiest window
 * is found to within a minute. Finer would cost more and find the same peak.
 */
const WINDOWED_RESOLUTION_S = 60;
/**
 * Most evaluations of the inner expression per series in one query. Prometheus refuses range
 * queries above 11,000 points per series; a subquery has no such guard, so we keep to the same
 * bound ourselves (a 31-day range at 15 s would be 178,560 evaluations).
 */
export const MAX_EVALUATIONS = 11_000;
/**
 * What an answer can afford within its deadline (2.8 s by default), per half (max, min) of an
 * extremes query. Measured on 10 realistic hosts on a busy 2-core machine: 10,080 one-minute
 * evaluations of the CPU expression took 4.9 s, 1,440 took 0.5 s; gauges cost a quarter of that.
 * So a day of rates at one minute, a day of gauges at one scrape; longer ranges coarser.
 */
const EVALUATION_BUDGET = { windowed: 1440, gauge: 5760 };
/** Label that tells the max and min halves of an extremes answer apart. */
export const EXTREME_LABEL = "cloudops_extreme";

const NICE_RESOLUTIONS = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** The smallest of our usual resolutions at least `seconds` long. */
export function niceResolution(seconds: number): number {
  return NICE_RESOLUTIONS.find((s) => s >= seconds) ?? 86400;
}

/** The finest resolution worth using for an expression: the scrape interval, or a fifth of a window. */
export function finestResolution(windowed: boolean): number {
  return windowed ? WINDOWED_RESOLUTION_S : GAUGE_RESOLUTION_S;
}

/** The expression as a function of its rate()/changes() window in seconds (ignored by gauges). */
export type ExprBuilder = (windowSeconds: number) => string;

/** Whether an expression reads a range (rate, increase, *_over_time…): its value is a window's. */
export function isWindowed(expr: string): boolean {
  return /\[\s*\d+(ms|[smhdwy])/.test(expr);
}

export interface FineResolution {
  /** Seconds between evaluations of the inner expression. */
  resolution: number;
  /** rate() window to build the inner expression with: never shorter than the resolution, so
   * consecutive windows leave no sample unread. */
  windowSeconds: number;
}

/** The finest resolution affordable for an expression over `rangeSeconds`. */
export function fineResolution(windowed: boolean, rangeSeconds: number): FineResolution {
  const budget = Math.min(MAX_EVALUATIONS, windowed ? EVALUATION_BUDGET.windowed : EVALUATION_BUDGET.gauge);
  const resolution = niceResolution(Math.max(finestResolution(windowed), rangeSeconds / budget));
  return {
    resolution,
    windowSeconds: windowed ? Math.max(RATE_WINDOW_S, resolution) : RATE_WINDOW_S,
  };
}

export interface StepRange {
  start: number;
  end: number;
  step: number;
}

/** A range query whose points are each step's max and min (told apart by {@link EXTREME_LABEL}). */
export interface ExtremesQuery extends StepRange, FineResolution {
  expr: string;
  /** The inner expression, for locating a peak inside its step ({@link peakSearchRange}). */
  inner: string;
}

/**
 * The query for the extremes of `build`'s expression from `range.start` to `until` (default
 * `range.end`), or undefined when the range's own points are already at the fine resolution (short
 * ranges): then its points are the extremes, provided the range was built with a window of
 * {@link RATE_WINDOW_S}.
 *
 * Its points are `until`, `until − step`, …: the point at `t` holds the extremes of `[t − step, t]`,
 * so together they cover the whole span, including the part after the range's last (step-aligned)
 * point that a step-aligned grid would leave out.
 */
export function extremesQuery(
  build: ExprBuilder,
  range: StepRange,
  until = range.end,
): ExtremesQuery | undefined {
  const span = until - range.start;
  // Resolution by the range's own length: the part after its last step adds at most one step.
  const fine = fineResolution(isWindowed(build(RATE_WINDOW_S)), range.end - range.start);
  if (range.step <= fine.resolution || span < range.step) return undefined;
  const inner = build(fine.windowSeconds);
  const sub = `(${inner})[${promDuration(range.step)}:${promDuration(fine.resolution)}]`;
  const tag = (fn: string, name: string) =>
    `label_replace(${fn}(${sub}), "${EXTREME_LABEL}", "${name}", "", "")`;
  const steps = Math.ceil(span / range.step);
  return {
    ...fine,
    expr: `${tag("max_over_time", "max")} or ${tag("min_over_time", "min")}`,
    inner,
    start: until - (steps - 1) * range.step,
    end: until,
    step: range.step,
  };
}

/** Highest and lowest value of one series over a range, and when (epoch seconds). */
export interface Extremes {
  max: number;
  /** For an extremes query, the end of the step holding the max; see {@link peakSearchRange}. */
  maxAt: number;
  min: number;
  minAt: number;
}

/** A key identifying a series by its labels, whatever their order; ignores the extremes tag. */
export function seriesKey(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== EXTREME_LABEL && k !== "__name__")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** Folds points into extremes; undefined when no point is finite. */
export function extremesOfPoints(points: ReadonlyArray<readonly [number, number]>): Extremes | undefined {
  let out: Extremes | undefined;
  for (const [t, v] of points) {
    if (!Number.isFinite(v)) continue;
    if (!out) out = { max: v, maxAt: t, min: v, minAt: t };
    else {
      if (v > out.max) {
        out.max = v;
        out.maxAt = t;
      }
      if (v < out.min) {
        out.min = v;
        out.minAt = t;
      }
    }
  }
  return out;
}

/** The answer of an {@link ExtremesQuery} as extremes per series key. */
export function extremesBySeries(result: readonly RangeSeries[]): Map<string, Extremes> {
  const out = new Map<string, Extremes>();
  for (const s of result) {
    const kind = s.labels[EXTREME_LABEL];
    const e = extremesOfPoints(s.points);
    if (!e || (kind !== "max" && kind !== "min")) continue;
    const key = seriesKey(s.labels);
    const cur = out.get(key) ?? {
      max: Number.NEGATIVE_INFINITY,
      maxAt: 0,
      min: Number.POSITIVE_INFINITY,
      minAt: 0,
    };
    if (kind === "max" && e.max > cur.max) {
      cur.max = e.max;
      cur.maxAt = e.maxAt;
    }
    if (kind === "min" && e.min < cur.min) {
      cur.min = e.min;
      cur.minAt = e.minAt;
    }
    out.set(key, cur);
  }
  // A series whose min half had no finite point (or max half) is no use.
  for (const [k, e] of out) if (!Number.isFinite(e.max) || !Number.isFinite(e.min)) out.delete(k);
  return out;
}

/**
 * Where to look for the exact moment of a peak the extremes query placed in the step ending at
 * `stepEnd`: the inner expression at the fine resolution over that one step.
 */
export function peakSearchRange(q: ExtremesQuery, stepEnd: number): StepRange {
  // The subquery evaluated at multiples of its resolution; the same instants give the same values.
  const start = Math.ceil((stepEnd - q.step) / q.resolution) * q.resolution;
  const end = Math.floor(stepEnd / q.resolution) * q.resolution;
  return { start, end: Math.max(start, end), step: q.resolution };
}

/** The first time a series reaches `peak` (within rounding), or undefined. */
export function firstTimeAt(
  points: ReadonlyArray<readonly [number, number]>,
  peak: number,
): number | undefined {
  const tolerance = Math.abs(peak) * 1e-9;
  return points.find(([, v]) => Number.isFinite(v) && v >= peak - tolerance)?.[0];
}
