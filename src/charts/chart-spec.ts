/** What a line chart is asked to draw, and the limits every part of the chart module applies. */
import type { Unit } from "../metrics/catalogue.js";

/** One line on the chart, usually one host. */
export interface ChartSeries {
  name: string;
  /** `[epoch ms, value]`; a null value is a gap (no sample), not a zero. */
  points: Array<[timestampMs: number, value: number | null]>;
}

/** What to draw. Values are in `unit`'s base unit: percent 0–100, bytes, seconds, ratio 0–1. */
export interface LineChartSpec {
  /** e.g. "CPU busy % on web-1 — last 6h". */
  title: string;
  /** What the chart is of, for the alt text ("CPU busy % on web-1"); the title when not given. */
  subject?: string;
  unit: Unit;
  /** One line per host. At most {@link MAX_SERIES} are drawn: those with the highest peaks. */
  series: ChartSeries[];
  /** Pixels; default 800. */
  width?: number;
  /** Pixels; default 400, readable at Slack's preview size (≈ 360 px wide). */
  height?: number;
  /** A horizontal threshold line (dashed red), always kept within the y range. */
  threshold?: { value: number; label: string };
  /** A horizontal band (e.g. the usual range), always kept within the y range. */
  band?: { low: number; high: number; label: string };
  /**
   * A forecast drawn after the history: its median as a dashed line and its interval as a shaded
   * cone, both kept within the x and y ranges. Points whose values are not all finite are left out.
   */
  forecast?: ChartForecast;
}

/** A forecast on a chart: one point per step ahead. */
export interface ChartForecast {
  /** `[epoch ms, median, lower, upper]`, in time order. */
  points: Array<[timestampMs: number, median: number, lower: number, upper: number]>;
  /** Legend name of the median line, e.g. "forecast". */
  label: string;
  /** Legend name of the cone, e.g. "90% interval". */
  intervalLabel: string;
}

/** Most lines drawn on one chart; more are unreadable at phone size. The rest are named "+N more". */
export const MAX_SERIES = 10;

/**
 * Most points drawn per series; longer series are reduced with {@link downsampleMinMax}. Charts
 * narrower than 1,667 px draw at most 3 points per pixel column, which looks the same and renders
 * faster.
 */
export const MAX_POINTS_PER_SERIES = 5000;

/** Size of a chart when the spec gives none; the layout is designed at this size and scaled. */
export const DEFAULT_WIDTH = 800;
export const DEFAULT_HEIGHT = 400;
