/**
 * The ECharts option for a chart: layout sized for a phone-width preview, colours, axes, legend,
 * threshold line and band. Pure data; drawing it is render.ts's job.
 */
import { LineChart, type LineSeriesOption } from "echarts/charts";
import {
  GraphicComponent,
  type GraphicComponentOption,
  GridComponent,
  type GridComponentOption,
  LegendComponent,
  type LegendComponentOption,
  MarkAreaComponent,
  MarkLineComponent,
  TitleComponent,
  type TitleComponentOption,
} from "echarts/components";
import { type ComposeOption, use } from "echarts/core";
import { timeLabel, valueAxis } from "./axis.js";
import { DEFAULT_HEIGHT, DEFAULT_WIDTH, type LineChartSpec } from "./chart-spec.js";
import { FONT_FAMILY } from "./fonts.js";
import {
  LEGEND_ICON_HEIGHT,
  LEGEND_ICON_WIDTH,
  LEGEND_ITEM_GAP,
  legendHeight,
  legendLabels,
} from "./legend.js";
import type { Prepared } from "./prepare.js";

// The chart type and components these options use; ECharts ignores options of unregistered ones.
use([
  LineChart,
  GridComponent,
  TitleComponent,
  LegendComponent,
  MarkLineComponent,
  MarkAreaComponent,
  GraphicComponent,
]);

export type ChartOption = ComposeOption<
  | LineSeriesOption
  | GridComponentOption
  | TitleComponentOption
  | LegendComponentOption
  | GraphicComponentOption
>;

/**
 * Ten colours that stay apart on white and for the common colour-vision deficiencies; red is left
 * out because it means "threshold" on these charts.
 */
const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#7f7f7f",
  "#bcbd22",
  "#393b79",
];
const THRESHOLD_COLOUR = "#d62728";
const BAND_FILL = "rgba(44, 160, 44, 0.13)";
const BAND_TEXT = "#2b6e2b";
/** The forecast continues the history's blue when one line is drawn; a neutral grey beside several. */
const FORECAST_COLOUR = { single: "#1f77b4", several: "#555555" };
const CONE_FILL = { single: "rgba(31, 119, 180, 0.2)", several: "rgba(85, 85, 85, 0.16)" };
const TEXT_COLOUR = "#222222";
const AXIS_TEXT_COLOUR = "#444444";
const MUTED_COLOUR = "#777777";

/** Sizes scaled from the 800×400 design, with floors so small charts stay legible. */
interface Sizes {
  title: number;
  axis: number;
  legend: number;
  line: number;
  pad: number;
}

function sizes(width: number, height: number): Sizes {
  const s = Math.min(width / DEFAULT_WIDTH, height / DEFAULT_HEIGHT);
  return {
    title: Math.max(14, Math.round(22 * s)),
    axis: Math.max(11, Math.round(15 * s)),
    legend: Math.max(11, Math.round(15 * s)),
    line: Math.max(1.5, Math.round(2.5 * s * 2) / 2),
    pad: Math.max(8, Math.round(16 * s)),
  };
}

function titleOption(spec: LineChartSpec, width: number, sz: Sizes): TitleComponentOption {
  return {
    text: spec.title,
    left: sz.pad,
    top: Math.round(sz.pad * 0.75),
    padding: 0,
    textStyle: {
      fontFamily: FONT_FAMILY,
      fontSize: sz.title,
      fontWeight: "bold",
      color: TEXT_COLOUR,
      width: width - 2 * sz.pad,
      overflow: "truncate",
    },
  };
}

/**
 * The forecast's points as drawn: finite, in time order, lower ≤ median ≤ upper, thinned to about
 * three per pixel column (every k-th point and the last; a forecast is smooth, min/max buckets would
 * break the cone's alignment of lower and upper).
 */
export function forecastPoints(spec: LineChartSpec, width: number): Array<[number, number, number, number]> {
  const raw = (spec.forecast?.points ?? [])
    .filter((p) => p.every((v) => Number.isFinite(v)))
    .map(([t, m, a, b]) => [t, m, Math.min(a, b, m), Math.max(a, b, m)] as [number, number, number, number])
    .sort((a, b) => a[0] - b[0]);
  const limit = Math.max(2, 3 * width);
  if (raw.length <= limit) return raw;
  const stride = Math.ceil(raw.length / limit);
  const out = raw.filter((_, i) => i % stride === 0);
  if (out[out.length - 1] !== raw[raw.length - 1])
    out.push(raw[raw.length - 1] as [number, number, number, number]);
  return out;
}

export function chartOption(spec: LineChartSpec, data: Prepared, width: number, height: number): ChartOption {
  const sz = sizes(width, height);
  const cone = forecastPoints(spec, width);
  let [t0, t1] = data.timeRange ?? [0, 1];
  if (cone.length > 0) {
    const first = (cone[0] as [number, number, number, number])[0];
    const last = (cone[cone.length - 1] as [number, number, number, number])[0];
    [t0, t1] = data.timeRange ? [Math.min(t0, first), Math.max(t1, last)] : [first, last];
  }
  // A single timestamp still needs some width to draw on.
  const [tMin, tMax] = t0 === t1 ? [t0 - 60_000, t1 + 60_000] : [t0, t1];

  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of data.shown) {
    for (const [, v] of s.points) {
      if (v === null) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  for (const [, m, a, b] of cone) {
    lo = Math.min(lo, m, a, b);
    hi = Math.max(hi, m, a, b);
  }
  // Reference lines are always on the chart: how far the data is from them is the point.
  for (const v of [spec.threshold?.value, spec.band?.low, spec.band?.high]) {
    if (v === undefined || !Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }

  const titleBottom = Math.round(sz.pad * 0.75) + Math.ceil(sz.title * 1.2);
  const plotHeightGuess = height - titleBottom - 60;
  const y = valueAxis(lo, hi, spec.unit, Math.min(6, Math.max(2, Math.round(plotHeightGuess / 70))));

  const moreName = data.hidden.length > 0 ? `+${data.hidden.length} more` : undefined;
  const forecastNames =
    cone.length > 0 && spec.forecast ? [spec.forecast.label, spec.forecast.intervalLabel] : [];
  const legendNames = [...data.shown.map((s) => s.name), ...forecastNames, ...(moreName ? [moreName] : [])];
  const showLegend = legendNames.length > 1;
  const labels = legendLabels(data.shown.map((s) => s.name));
  for (const n of forecastNames) labels.set(n, n);
  if (moreName) labels.set(moreName, moreName);
  const legendH = showLegend ? legendHeight([...labels.values()], width - 2 * sz.pad, sz.legend) : 0;
  const legendBottom = Math.round(sz.pad * 0.6);

  const series: LineSeriesOption[] = data.shown.map((s, i) => ({
    type: "line",
    name: s.name,
    data: s.points,
    color: PALETTE[i % PALETTE.length],
    showSymbol: hasIsolatedPoint(s.points),
    symbol: "circle",
    symbolSize: sz.line * 2.5,
    connectNulls: false,
    lineStyle: { width: sz.line },
    silent: true,
    z: 3,
  }));
  const first = series[0];
  const { threshold, band } = spec;
  if (first && threshold && Number.isFinite(threshold.value)) {
    first.markLine = {
      silent: true,
      symbol: "none",
      animation: false,
      lineStyle: { color: THRESHOLD_COLOUR, type: "dashed", width: Math.max(1.5, sz.line * 0.8) },
      label: {
        // A function, so braces in the label are not read as ECharts template variables.
        formatter: () => threshold.label,
        position: "insideEndTop",
        color: THRESHOLD_COLOUR,
        fontFamily: FONT_FAMILY,
        fontSize: sz.axis,
        fontWeight: "bold",
        backgroundColor: "rgba(255, 255, 255, 0.85)",
        padding: [1, 4],
      },
      data: [{ yAxis: threshold.value }],
    };
  }
  if (first && band && Number.isFinite(band.low) && Number.isFinite(band.high)) {
    first.markArea = {
      silent: true,
      animation: false,
      itemStyle: { color: BAND_FILL },
      label: {
        formatter: () => band.label,
        position: "insideTopLeft",
        color: BAND_TEXT,
        fontFamily: FONT_FAMILY,
        fontSize: sz.axis,
        backgroundColor: "rgba(255, 255, 255, 0.7)",
        padding: [1, 4],
      },
      data: [[{ yAxis: Math.min(band.low, band.high) }, { yAxis: Math.max(band.low, band.high) }]],
    };
  }
  if (cone.length > 0 && spec.forecast) {
    const which = data.shown.length <= 1 ? "single" : "several";
    // The cone is two stacked areas: an invisible one up to the lower bound, then the interval's
    // width on top of it, filled. Stacking on a time axis goes by index, and both share the times.
    const quiet = { showSymbol: false, silent: true, connectNulls: false, z: 1 } as const;
    series.push(
      {
        type: "line",
        name: "\u0000cone-base",
        data: cone.map(([t, , a]) => [t, a]),
        stack: "forecast-cone",
        stackStrategy: "all",
        lineStyle: { opacity: 0 },
        color: CONE_FILL[which],
        ...quiet,
      },
      {
        type: "line",
        name: spec.forecast.intervalLabel,
        data: cone.map(([t, , a, b]) => [t, b - a]),
        stack: "forecast-cone",
        stackStrategy: "all",
        lineStyle: { opacity: 0 },
        areaStyle: { color: CONE_FILL[which], opacity: 1 },
        color: CONE_FILL[which],
        ...quiet,
      },
      {
        type: "line",
        name: spec.forecast.label,
        data: cone.map(([t, m]) => [t, m]),
        color: FORECAST_COLOUR[which],
        lineStyle: { width: sz.line, type: "dashed" },
        ...quiet,
        z: 4,
      },
    );
  }
  if (moreName) {
    // Legend entries come from series; an empty one carries the "+N more" note.
    series.push({ type: "line", name: moreName, data: [], silent: true, color: MUTED_COLOUR });
  }

  return {
    animation: false,
    useUTC: true,
    backgroundColor: "#ffffff",
    textStyle: { fontFamily: FONT_FAMILY },
    title: titleOption(spec, width, sz),
    legend: {
      show: showLegend,
      type: "plain",
      bottom: legendBottom,
      left: sz.pad,
      right: sz.pad,
      padding: 0,
      itemWidth: LEGEND_ICON_WIDTH,
      itemHeight: LEGEND_ICON_HEIGHT,
      itemGap: LEGEND_ITEM_GAP,
      icon: "roundRect",
      selectedMode: false,
      formatter: (name: string) => labels.get(name) ?? name,
      textStyle: { fontFamily: FONT_FAMILY, fontSize: sz.legend, color: TEXT_COLOUR, padding: [0, 0, 0, 0] },
      data: legendNames.map((name) =>
        name === moreName
          ? { name, icon: "none", textStyle: { color: MUTED_COLOUR, fontStyle: "italic" } }
          : { name },
      ),
    },
    grid: {
      left: sz.pad,
      right: sz.pad + Math.round(sz.axis * 0.5),
      top: titleBottom + Math.round(sz.axis * 1.2),
      bottom: legendBottom + legendH + (showLegend ? Math.round(sz.pad * 0.75) : 0),
      outerBoundsMode: "same",
      outerBoundsContain: "all",
    },
    xAxis: {
      type: "time",
      min: tMin,
      max: tMax,
      splitNumber: Math.max(2, Math.round(width / 160)),
      // The one place the chart says which time zone it is in; labels alone would be ambiguous.
      name: "UTC",
      nameLocation: "end",
      nameGap: Math.round(sz.axis * 0.6),
      nameTextStyle: { fontFamily: FONT_FAMILY, fontSize: Math.max(11, sz.axis - 2), color: MUTED_COLOUR },
      // At the bottom even when values go negative, where the time labels are.
      axisLine: { onZero: false, lineStyle: { color: "#999999" } },
      axisTick: { lineStyle: { color: "#999999" } },
      splitLine: { show: false },
      axisLabel: {
        formatter: timeLabel(tMax - tMin),
        fontFamily: FONT_FAMILY,
        fontSize: sz.axis,
        color: AXIS_TEXT_COLOUR,
        hideOverlap: true,
      },
    },
    yAxis: {
      type: "value",
      min: y.min,
      max: y.max,
      interval: y.interval,
      axisLabel: { formatter: y.format, fontFamily: FONT_FAMILY, fontSize: sz.axis, color: AXIS_TEXT_COLOUR },
      splitLine: { lineStyle: { color: "#e6e6e6" } },
    },
    series,
  };
}

/** A point with no neighbour to draw a segment to would be invisible without a symbol. */
function hasIsolatedPoint(points: Array<[number, number | null]>): boolean {
  for (let i = 0; i < points.length; i++) {
    if ((points[i] as [number, number | null])[1] === null) continue;
    const before = i > 0 ? (points[i - 1] as [number, number | null])[1] : null;
    const after = i < points.length - 1 ? (points[i + 1] as [number, number | null])[1] : null;
    if (before === null && after === null) return true;
  }
  return false;
}

export function noDataOption(spec: LineChartSpec, width: number, height: number): ChartOption {
  const sz = sizes(width, height);
  return {
    animation: false,
    useUTC: true,
    backgroundColor: "#ffffff",
    textStyle: { fontFamily: FONT_FAMILY },
    title: titleOption(spec, width, sz),
    graphic: {
      type: "text",
      left: "center",
      top: "middle",
      silent: true,
      style: {
        text: "No data",
        fill: MUTED_COLOUR,
        fontFamily: FONT_FAMILY,
        fontSize: Math.round(sz.title * 1.4),
        fontWeight: "bold",
      },
    },
  };
}
