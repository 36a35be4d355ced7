/**
 * Charts for a one-shot answer, drawn only if the final reply carries one. The renderer (echarts and
 * resvg) is the heaviest module the CLI can load; an answer may build a chart it then drops, and
 * most questions have none. `render` records the chart's spec behind a placeholder; `draw` turns
 * the placeholder the reply kept into a PNG, loading the renderer then.
 */
import type { LineChartSpec } from "../charts/line-chart.js";
import type { ReplyChart } from "../reply/reply.js";

export class DeferredCharts {
  private readonly specs = new WeakMap<ReplyChart, LineChartSpec>();

  /** Same signature as renderLineChart; the result is a placeholder until drawn. */
  readonly render = (spec: LineChartSpec): ReplyChart => {
    const placeholder: ReplyChart = {
      title: spec.title,
      alt: spec.title,
      png: Buffer.alloc(0),
      width: 0,
      height: 0,
    };
    this.specs.set(placeholder, spec);
    return placeholder;
  };

  /** The drawn chart for a placeholder from `render`; any other chart is returned as it is. */
  async draw(chart: ReplyChart): Promise<ReplyChart> {
    const spec = this.specs.get(chart);
    if (!spec) return chart;
    const { renderLineChart } = await import("../charts/line-chart.js");
    return renderLineChart(spec);
  }
}
