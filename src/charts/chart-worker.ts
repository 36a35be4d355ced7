/**
 * The worker-thread entry of the chart pool (src/charts/chart-pool.ts): draws one chart per task, so
 * ECharts layout and resvg rasterising (tens to hundreds of ms each) never run on the thread that
 * answers HTTP, Slack and Teams. Each worker loads the fonts and ECharts once and keeps them.
 */
import { setPriority } from "node:os";
import type { ReplyChart } from "../reply/reply.js";
import type { LineChartSpec } from "./chart-spec.js";
import { renderLineChart } from "./line-chart.js";

/**
 * Charts yield the CPU to the event loop. On Linux a nice value belongs to a thread, so this lowers
 * only this worker's priority: when every core is busy, health checks and Slack acks run first and
 * charts wait. Elsewhere (macOS) it would lower the whole process, so it is left alone there.
 */
const CHART_NICE = 10;
if (process.platform === "linux") {
  try {
    setPriority(CHART_NICE);
  } catch {
    // Not allowed in this container: charts then share the CPU evenly, which still works.
  }
}

/** Tinypool calls the default export with the task; the PNG arrives on the main thread as a Uint8Array. */
export default function drawChart(spec: LineChartSpec): ReplyChart {
  return renderLineChart(spec);
}
