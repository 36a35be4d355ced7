/**
 * Line charts for replies: ECharts lays the chart out as SVG server-side (no DOM, no canvas) and
 * resvg rasterises it to PNG. Everything is synchronous, so a chart costs one call and no I/O
 * beyond the font files resvg reads.
 *
 * Charts are drawn for a phone: Slack shows the preview about 360 px wide, so an 800 px chart is
 * shrunk by more than half. Fonts, line widths and tick counts are sized for that, not for a desktop.
 */
import { readFileSync } from "node:fs";
import { Resvg, type ResvgRenderOptions } from "@resvg/resvg-js";
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
import { type ComposeOption, init, setPlatformAPI, use } from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import type { Unit } from "../metrics/catalogue.js";
import { formatValue } from "../metrics/units.js";
import type { ReplyChart } from "../reply/reply.js";

/**
 * The value formatter charts and answers share (87.26 percent → "87.3%", 1536 bytes → "1.5 KiB",
 * 2,500,000 bytes/s → "2.4 MiB/s"). Byte units are binary (KiB = 1024 B) everywhere, so a chart's
 * axis and the answer text next to it never disagree. Re-exported from the metrics layer so there is
 * exactly one implementation.
 */
export { formatValue };

use([
  LineChart,
  GridComponent,
  TitleComponent,
  LegendComponent,
  MarkLineComponent,
  MarkAreaComponent,
  GraphicComponent,
  SVGRenderer,
]);

type ChartOption = ComposeOption<
  | LineSeriesOption
  | GridComponentOption
  | TitleComponentOption
  | LegendComponentOption
  | GraphicComponentOption
>;

/** One line on the chart, usually one host. */
export interface ChartSeries {
  name: string;
  /** `[epoch ms, value]`; a null value is a gap (no sample), not a zero. */
  points: Array<[timestampMs: number, value: number | null]>;
}

/** What to draw. Values are in `unit`'s base unit: percent 0–100, bytes, seconds, ratio 0–1. */
export interface LineChartSpec {
  /** e.g. "CPU busy % — last 6h"; the part before " — " names the metric in the alt text. */
  title: string;
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
}

/** Most lines drawn on one chart; more are unreadable at phone size. The rest are named "+N more". */
export const MAX_SERIES = 10;

/**
 * Most points drawn per series; longer series are reduced with {@link downsampleMinMax}. Charts
 * narrower than 1,667 px draw at most 3 points per pixel column, which looks the same and renders
 * faster.
 */
export const MAX_POINTS_PER_SERIES = 5000;

const DEFAULT_WIDTH = 800;
const DEFAULT_HEIGHT = 400;
const FONT_FAMILY = "DejaVu Sans";
const FONT_DIR = "/usr/share/fonts/truetype/dejavu";
const FONT_REGULAR = `${FONT_DIR}/DejaVuSans.ttf`;
const FONT_BOLD = `${FONT_DIR}/DejaVuSans-Bold.ttf`;

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
const TEXT_COLOUR = "#222222";
const AXIS_TEXT_COLOUR = "#444444";
const MUTED_COLOUR = "#777777";

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Fonts

/** Advance widths of one font face, read from its TrueType tables. */
interface FontMetrics {
  unitsPerEm: number;
  glyphOf: (codePoint: number) => number;
  advanceOf: (glyph: number) => number;
  /** Width in em of each character measured so far. */
  cache: Map<number, number>;
}

interface LoadedFonts {
  /** Font options for every resvg render. */
  resvg: NonNullable<ResvgRenderOptions["font"]>;
  /** False when DejaVu Sans was missing and resvg falls back to whatever the system has. */
  embedded: boolean;
  metrics?: { regular: FontMetrics; bold: FontMetrics };
}

let loadedFonts: LoadedFonts | undefined;

/**
 * Reads DejaVu Sans once per process. resvg draws no text at all without fonts, so the files are
 * handed to it explicitly (the native binding takes paths, not buffers, and re-reads them on each
 * render: about 6 ms). The buffers are parsed here for their advance widths, which replace ECharts' built-in
 * Arial-like estimate: DejaVu is about 12% wider, and with the estimate legend entries and labels
 * are laid out too tight and overlap.
 *
 * If the files are missing (fonts-dejavu-core not installed) charts still render with whatever
 * system fonts resvg finds, with approximate text layout, and no text if there are none.
 */
function fonts(): LoadedFonts {
  if (loadedFonts) return loadedFonts;
  try {
    const regular = parseFontMetrics(readFileSync(FONT_REGULAR));
    const bold = parseFontMetrics(readFileSync(FONT_BOLD));
    // Process-wide, but only this module draws ECharts on the server and every chart uses DejaVu.
    setPlatformAPI({ measureText: (text, font) => ({ width: measureText(text, font, regular, bold) }) });
    loadedFonts = {
      embedded: true,
      metrics: { regular, bold },
      resvg: {
        fontFiles: [FONT_REGULAR, FONT_BOLD],
        loadSystemFonts: false,
        defaultFontFamily: FONT_FAMILY,
        sansSerifFamily: FONT_FAMILY,
      },
    };
  } catch {
    loadedFonts = { embedded: false, resvg: { loadSystemFonts: true } };
  }
  return loadedFonts;
}

/**
 * Whether charts are drawn with DejaVu Sans from fonts-dejavu-core (true) or fell back to system fonts.
 * For health checks and tests: without DejaVu, text may be missing from charts.
 */
export function chartFontsEmbedded(): boolean {
  return fonts().embedded;
}

/** The font options passed to resvg, for tests and diagnostics. */
export function chartFontOptions(): Readonly<NonNullable<ResvgRenderOptions["font"]>> {
  return fonts().resvg;
}

/** Reads `head`, `hhea`, `hmtx` and the Unicode `cmap` subtable (format 4 or 12) of a TrueType font. */
function parseFontMetrics(buf: Buffer): FontMetrics {
  const tables = new Map<string, number>();
  const numTables = buf.readUInt16BE(4);
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    tables.set(buf.toString("latin1", rec, rec + 4), buf.readUInt32BE(rec + 8));
  }
  const head = tables.get("head");
  const hhea = tables.get("hhea");
  const hmtx = tables.get("hmtx");
  const cmap = tables.get("cmap");
  if (head === undefined || hhea === undefined || hmtx === undefined || cmap === undefined) {
    throw new Error("not a TrueType font with horizontal metrics");
  }
  const unitsPerEm = buf.readUInt16BE(head + 18);
  const numberOfHMetrics = buf.readUInt16BE(hhea + 34);
  const advanceOf = (glyph: number) => buf.readUInt16BE(hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1));

  let format4: number | undefined;
  let format12: number | undefined;
  const numSubtables = buf.readUInt16BE(cmap + 2);
  for (let i = 0; i < numSubtables; i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = buf.readUInt16BE(rec);
    const encoding = buf.readUInt16BE(rec + 2);
    const sub = cmap + buf.readUInt32BE(rec + 4);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode) continue;
    const format = buf.readUInt16BE(sub);
    if (format === 12) format12 ??= sub;
    if (format === 4) format4 ??= sub;
  }

  const glyphOf = (cp: number): number => {
    if (format12 !== undefined) {
      const groups = buf.readUInt32BE(format12 + 12);
      for (let g = 0; g < groups; g++) {
        const at = format12 + 16 + 12 * g;
        const start = buf.readUInt32BE(at);
        if (cp < start) return 0;
        if (cp <= buf.readUInt32BE(at + 4)) return buf.readUInt32BE(at + 8) + (cp - start);
      }
      return 0;
    }
    if (format4 === undefined || cp > 0xffff) return 0;
    const segX2 = buf.readUInt16BE(format4 + 6);
    const ends = format4 + 14;
    const starts = ends + segX2 + 2;
    const deltas = starts + segX2;
    const rangeOffsets = deltas + segX2;
    for (let i = 0; i < segX2; i += 2) {
      if (buf.readUInt16BE(ends + i) < cp) continue;
      const start = buf.readUInt16BE(starts + i);
      if (cp < start) return 0;
      const delta = buf.readUInt16BE(deltas + i);
      const ro = buf.readUInt16BE(rangeOffsets + i);
      if (ro === 0) return (cp + delta) & 0xffff;
      const glyph = buf.readUInt16BE(rangeOffsets + i + ro + 2 * (cp - start));
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
    }
    return 0;
  };
  return { unitsPerEm, glyphOf, advanceOf, cache: new Map() };
}

/** Width in px of `text` in a CSS font shorthand such as "bold 20px DejaVu Sans". */
function measureText(
  text: string,
  font: string | undefined,
  regular: FontMetrics,
  bold: FontMetrics,
): number {
  const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? "")?.[1] ?? 12);
  const face = /\bbold(er)?\b|\b[6-9]00\b/.test(font ?? "") ? bold : regular;
  let em = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    let w = face.cache.get(cp);
    if (w === undefined) {
      const glyph = face.glyphOf(cp);
      // ECharts takes the line height from the width of "国"; DejaVu has no CJK, and a full em
      // (ECharts' own assumption for unknown characters) keeps text boxes the right height.
      w = glyph === 0 ? 1 : face.advanceOf(glyph) / face.unitsPerEm;
      face.cache.set(cp, w);
    }
    em += w;
  }
  return em * size;
}

/** Text width for layout decisions made here (legend rows), with or without DejaVu metrics. */
function textWidth(text: string, fontSize: number): number {
  const { metrics } = fonts();
  // Without DejaVu the system font is unknown: a typical sans-serif average advance.
  if (!metrics) return text.length * fontSize * 0.62;
  return measureText(text, `${fontSize}px ${FONT_FAMILY}`, metrics.regular, metrics.bold);
}

// ---------------------------------------------------------------------------------------------
// Data preparation

interface PreparedSeries {
  name: string;
  points: Array<[number, number | null]>;
  /** Highest value and when, over the raw (not downsampled) points. */
  peak?: { value: number; at: number };
}

interface Prepared {
  /** Series drawn, in the caller's order. */
  shown: PreparedSeries[];
  /** Series left out because of {@link MAX_SERIES}, lowest peaks. */
  hidden: PreparedSeries[];
  /** First and last timestamp over all series (including gap points); undefined without points. */
  timeRange?: [number, number];
  hasData: boolean;
}

function prepare(series: ChartSeries[], width: number): Prepared {
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

// ---------------------------------------------------------------------------------------------
// Axis scales and labels

interface DisplayUnit {
  divisor: number;
  suffix: string;
}

const BYTE_SUFFIXES = [" B", " KiB", " MiB", " GiB", " TiB", " PiB"];

/** The unit axis labels are written in, chosen from the largest magnitude on the axis. */
function displayUnit(unit: Unit, magnitude: number): DisplayUnit {
  switch (unit) {
    case "percent":
      return { divisor: 1, suffix: "%" };
    case "ratio":
      return { divisor: 1, suffix: "" };
    case "count":
      if (magnitude >= 1e10) return { divisor: 1e9, suffix: "G" };
      if (magnitude >= 1e7) return { divisor: 1e6, suffix: "M" };
      if (magnitude >= 1e4) return { divisor: 1e3, suffix: "k" };
      return { divisor: 1, suffix: "" };
    case "bytes":
    case "bytes_per_second": {
      let i = 0;
      while (i < BYTE_SUFFIXES.length - 1 && magnitude >= 1024 ** (i + 1)) i++;
      return { divisor: 1024 ** i, suffix: `${BYTE_SUFFIXES[i]}${unit === "bytes_per_second" ? "/s" : ""}` };
    }
    case "seconds":
      if (magnitude >= 2 * 86_400) return { divisor: 86_400, suffix: " d" };
      if (magnitude >= 2 * 3600) return { divisor: 3600, suffix: " h" };
      if (magnitude >= 120) return { divisor: 60, suffix: " min" };
      if (magnitude >= 1 || magnitude === 0) return { divisor: 1, suffix: " s" };
      if (magnitude >= 1e-3) return { divisor: 1e-3, suffix: " ms" };
      return { divisor: 1e-6, suffix: " µs" };
  }
}

interface ValueAxis {
  min: number;
  max: number;
  interval: number;
  format: (value: number) => string;
}

/**
 * A y axis with round ticks in the display unit (0, 200, 400 MiB rather than ECharts' decimal
 * 0, 190.7, 381.5 MiB for binary units), starting at zero for non-negative data so a flat line at
 * 80% does not look like a cliff.
 */
function valueAxis(lo: number, hi: number, unit: Unit, targetTicks: number): ValueAxis {
  let low = Math.min(lo, 0);
  let high = Math.max(hi, 0);
  if (high === low) high = low + (unit === "percent" ? 100 : unit === "ratio" ? 1 : 1);
  const du = displayUnit(unit, Math.max(Math.abs(low), Math.abs(high)));
  low /= du.divisor;
  high /= du.divisor;
  const raw = (high - low) / targetTicks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  let nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
  let step = nice * pow;
  if (du.suffix.startsWith(" B") && step < 1) {
    // There are no fractions of a byte.
    nice = 1;
    step = 1;
  }
  const min = Math.floor(low / step + 1e-9) * step;
  const max = Math.ceil(high / step - 1e-9) * step;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (nice === 2.5 ? 1 : 0));
  return {
    min: min * du.divisor,
    max: max * du.divisor,
    interval: step * du.divisor,
    format: (value) => {
      const v = value / du.divisor;
      // Zero is just "0" for counts ("0k" reads oddly), and never "-0" from floating-point noise.
      if (Math.abs(v) < step / 1e6) return unit === "count" ? "0" : `0${du.suffix}`;
      return `${v.toFixed(decimals)}${du.suffix}`;
    },
  };
}

/**
 * A reading for the alt text: {@link formatValue}, except that sub-minute durations keep their
 * precision ("250 ms", "12.5 s"); the shared formatter rounds durations to whole seconds.
 */
function formatReading(value: number, unit: Unit): string {
  if (unit !== "seconds" || value === 0 || Math.abs(value) >= 60) return formatValue(value, unit);
  const du = displayUnit("seconds", Math.abs(value));
  return `${Number((value / du.divisor).toPrecision(3))}${du.suffix}`;
}

function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Time axis labels in UTC: "HH:mm" up to two days (the date instead at midnight), "MM-dd HH:mm"
 * beyond, and "HH:mm:ss" for windows under ten minutes, where minutes alone would repeat.
 */
function timeLabel(spanMs: number): (value: number) => string {
  return (value) => {
    const iso = isoUtc(value);
    if (spanMs < 10 * 60_000) return iso.slice(11, 19);
    const hm = iso.slice(11, 16);
    const md = iso.slice(5, 10);
    if (hm === "00:00") return md;
    return spanMs <= 2 * DAY_MS ? hm : `${md} ${hm}`;
  };
}

// ---------------------------------------------------------------------------------------------
// Layout

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

const LEGEND_ICON_WIDTH = 18;
const LEGEND_ICON_HEIGHT = 10;
const LEGEND_ICON_GAP = 5;
/** ECharts uses the same gap between legend rows as between items. */
const LEGEND_ITEM_GAP = 12;
const LEGEND_MAX_NAME = 24;

function truncateName(name: string): string {
  return name.length > LEGEND_MAX_NAME ? `${name.slice(0, LEGEND_MAX_NAME - 1)}…` : name;
}

/**
 * Legend labels: a domain every host shares (".eu-west-1.compute.internal") is dropped so the part
 * that tells hosts apart fits, then long names are cut. Names stay unique or are left alone.
 */
function legendLabels(names: string[]): Map<string, string> {
  let suffix = "";
  if (names.length > 1 && names.every((n) => n.includes("."))) {
    const first = names[0] as string;
    for (let i = first.indexOf("."); i >= 0; i = first.indexOf(".", i + 1)) {
      const candidate = first.slice(i);
      // A letter right after the dot: a domain, not the last octets of IP addresses.
      if (
        /^\.[a-z]/i.test(candidate) &&
        names.every((n) => n.endsWith(candidate) && n.length > candidate.length)
      ) {
        suffix = candidate;
        break;
      }
    }
  }
  const labels = names.map((n) => truncateName(suffix ? n.slice(0, -suffix.length) : n));
  const unique = new Set(labels).size === new Set(names).size;
  return new Map(names.map((n, i) => [n, unique ? (labels[i] as string) : truncateName(n)]));
}

/** Height of the plain (wrapping) legend, replaying ECharts' row layout with real text widths. */
function legendHeight(labels: string[], available: number, fontSize: number): number {
  let rows = 1;
  let x = 0;
  for (const label of labels) {
    const w = LEGEND_ICON_WIDTH + LEGEND_ICON_GAP + textWidth(label, fontSize);
    if (x > 0 && x + w > available) {
      rows++;
      x = 0;
    }
    x += w + LEGEND_ITEM_GAP;
  }
  const rowHeight = Math.max(LEGEND_ICON_HEIGHT, fontSize);
  return rows * rowHeight + (rows - 1) * LEGEND_ITEM_GAP;
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

function chartOption(spec: LineChartSpec, data: Prepared, width: number, height: number): ChartOption {
  const sz = sizes(width, height);
  const [t0, t1] = data.timeRange ?? [0, 1];
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
  const legendNames = [...data.shown.map((s) => s.name), ...(moreName ? [moreName] : [])];
  const showLegend = legendNames.length > 1;
  const labels = legendLabels(data.shown.map((s) => s.name));
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

function noDataOption(spec: LineChartSpec, width: number, height: number): ChartOption {
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

// ---------------------------------------------------------------------------------------------
// Alt text

function utcClock(ms: number): string {
  return isoUtc(ms).slice(11, 16);
}

function utcDateClock(ms: number): string {
  return isoUtc(ms).slice(0, 16).replace("T", " ");
}

function listNames(names: string[], max = 5): string {
  if (names.length <= max) {
    return names.length <= 2 ? names.join(" and ") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  }
  return `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}

function altText(spec: LineChartSpec, data: Prepared): string {
  const subject = spec.title.split(/\s+[—–]\s+/)[0]?.trim() || "metric";
  const [t0, t1] = data.timeRange ?? [Number.NaN, Number.NaN];
  const oneDay = data.timeRange !== undefined && isoUtc(t0).slice(0, 10) === isoUtc(t1).slice(0, 10);
  const when = oneDay ? utcClock : utcDateClock;
  const range = !data.timeRange
    ? ""
    : t0 === t1
      ? `at ${when(t0)} UTC`
      : `from ${when(t0)} to ${when(t1)} UTC`;
  if (!data.hasData) return `Line chart of ${subject}: no data${range ? ` ${range}` : ""}.`;

  const names = data.shown.map((s) => s.name);
  const forWhom =
    names.length === 1 && ` ${subject} `.includes(` ${names[0]} `) ? "" : ` for ${listNames(names)}`;
  const parts = [`Line chart of ${subject}${forWhom} ${range}`.trimEnd()];
  const top = data.shown.reduce<PreparedSeries | undefined>(
    (best, s) => (s.peak && (!best?.peak || s.peak.value > best.peak.value) ? s : best),
    undefined,
  );
  if (top?.peak)
    parts.push(`${top.name} peaks at ${formatReading(top.peak.value, spec.unit)} at ${when(top.peak.at)}`);
  if (spec.threshold && Number.isFinite(spec.threshold.value)) {
    const t = spec.threshold.value;
    const value = formatReading(t, spec.unit);
    // Callers often put the value in the label already ("warning 80.0%").
    const label = spec.threshold.label.includes(value)
      ? spec.threshold.label
      : `${spec.threshold.label} (${value})`;
    const over = [...data.shown, ...data.hidden].filter((s) => s.peak && s.peak.value > t).map((s) => s.name);
    parts.push(`threshold ${label} ${over.length > 0 ? `exceeded by ${listNames(over)}` : "not exceeded"}`);
  }
  if (spec.band && Number.isFinite(spec.band.low) && Number.isFinite(spec.band.high)) {
    const low = formatReading(Math.min(spec.band.low, spec.band.high), spec.unit);
    const high = formatReading(Math.max(spec.band.low, spec.band.high), spec.unit);
    parts.push(`shaded band ${spec.band.label} from ${low} to ${high}`);
  }
  if (data.hidden.length > 0) {
    parts.push(
      `${data.hidden.length} more series with lower peaks not drawn (${listNames(data.hidden.map((s) => s.name))})`,
    );
  }
  return `${parts.join("; ")}.`;
}

// ---------------------------------------------------------------------------------------------
// Rendering

/**
 * Rewrites `style="font: bold 14px DejaVu Sans"` into longhand properties. ECharts writes the
 * shorthand for rich text (the time axis labels) and resvg ignores it, drawing those labels at its
 * 12px default and never bold.
 */
export function expandFontShorthand(svg: string): string {
  return svg.replace(/style="font: ([^"]*)"/g, (whole, font: string) => {
    const m = /^(.*?)(\d+(?:\.\d+)?px)(?:\/\S+)?\s+(.+)$/.exec(font.trim());
    if (!m) return whole;
    const words = (m[1] ?? "").trim().split(/\s+/);
    const style = words.find((w) => w === "italic" || w === "oblique");
    const weight = words.find((w) => /^(bold|bolder|lighter|[1-9]00)$/.test(w));
    return `style="font-size:${m[2]};font-family:${m[3]};${style ? `font-style:${style};` : ""}${weight ? `font-weight:${weight};` : ""}"`;
  });
}

function clampSize(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.round(Math.min(max, Math.max(min, value)));
}

/**
 * Renders a line chart to PNG, synchronously (ECharts SSR and resvg's `render()` are both
 * blocking; about 30–60 ms for a few hosts over a few hundred points).
 *
 * Times are shown in UTC. The y axis starts at zero for non-negative data and always includes the
 * threshold and band. More than {@link MAX_SERIES} series: the highest peaks are drawn and the legend
 * ends with "+N more" (named in `alt`). No points, or only gaps: a chart saying "No data".
 */
export function renderLineChart(spec: LineChartSpec): ReplyChart {
  const width = clampSize(spec.width, DEFAULT_WIDTH, 200, 4000);
  const height = clampSize(spec.height, DEFAULT_HEIGHT, 150, 4000);
  const font = fonts();
  const data = prepare(spec.series, width);
  const option = data.hasData ? chartOption(spec, data, width, height) : noDataOption(spec, width, height);

  const chart = init(null, null, { renderer: "svg", ssr: true, width, height });
  let svg: string;
  try {
    chart.setOption(option);
    svg = expandFontShorthand(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
  const png = new Resvg(svg, {
    background: "#ffffff",
    fitTo: { mode: "original" },
    font: font.resvg,
    logLevel: "error",
  })
    .render()
    .asPng();
  return { title: spec.title, alt: altText(spec, data), png, width, height };
}
