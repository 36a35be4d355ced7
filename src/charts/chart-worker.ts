/**
 * The worker-thread entry of the chart pool (src/charts/chart-pool.ts): draws one chart per task, so
 * ECharts layout and resvg rasterising (tens to hundreds of ms each) never run on the thread that
 * answers HTTP, Slack and Teams. Each worker loads the fonts and ECharts once and keeps them.
 */
import type { ReplyChart } from "../reply/reply.js";
import type { LineChartSpec } from "./chart-spec.js";
import { renderLineChart } from "./line-chart.js";

/** Tinypool calls the default export with the task; the PNG arrives on the main thread as a Uint8Array. */
export default function drawChart(spec: LineChartSpec): ReplyChart {
  return renderLineChart(spec);
}
