/**
 * Line charts for replies: ECharts lays the chart out as SVG server-side (no DOM, no canvas) and
 * resvg rasterises it to PNG. Everything is synchronous, so a chart costs one call and no I/O
 * beyond the font files resvg reads.
 *
 * Charts are drawn for a phone: Slack shows the preview about 360 px wide, so an 800 px chart is
 * shrunk by more than half. Fonts, line widths and tick counts are sized for that, not for a desktop.
 */
import { formatValue } from "../metrics/units.js";
import type { ReplyChart } from "../reply/reply.js";
import { altText } from "./alt-text.js";
import { DEFAULT_HEIGHT, DEFAULT_WIDTH, type LineChartSpec } from "./chart-spec.js";
import { chartFonts } from "./fonts.js";
import { chartOption, noDataOption } from "./options.js";
import { prepare } from "./prepare.js";
import { renderSvg, svgToPng } from "./render.js";

export {
  type ChartForecast,
  type ChartSeries,
  type LineChartSpec,
  MAX_POINTS_PER_SERIES,
  MAX_SERIES,
} from "./chart-spec.js";
export { chartFontOptions, chartFontsEmbedded } from "./fonts.js";
export { downsampleMinMax } from "./prepare.js";
export { expandFontShorthand } from "./render.js";

/**
 * The value formatter charts and answers share (87.26 percent → "87.3%", 1536 bytes → "1.5 KiB",
 * 2,500,000 bytes/s → "2.4 MiB/s"). Byte units are binary (KiB = 1024 B) everywhere, so a chart's
 * axis and the answer text next to it never disagree. Re-exported from the metrics layer so there is
 * exactly one implementation.
 */
export { formatValue };

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
  // First: loading the fonts installs their text measurement, which the layout below relies on.
  const font = chartFonts();
  const data = prepare(spec.series, width);
  const option = data.hasData ? chartOption(spec, data, width, height) : noDataOption(spec, width, height);
  const png = svgToPng(renderSvg(option, width, height), font.resvg);
  return { title: spec.title, alt: altText(spec, data), png, width, height };
}
