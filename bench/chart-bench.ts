/** Chart rendering time: 3 hosts × 360 points with a threshold, the typical trend answer. */
import { renderLineChart } from "../src/charts/line-chart.js";
import { percentile } from "./load.js";

export async function chartBench(): Promise<string> {
  const wave = (name: string, base: number, amp: number) => ({
    name,
    points: Array.from(
      { length: 360 },
      (_, i) => [1_700_000_000_000 + i * 60_000, base + amp * Math.sin(i / 20)] as [number, number],
    ),
  });
  const spec = {
    title: "CPU busy % — last 6h",
    unit: "percent" as const,
    series: [wave("web-1", 40, 10), wave("web-2", 60, 15), wave("web-3", 20, 5)],
    threshold: { value: 80, label: "warning 80.0%" },
  };
  renderLineChart(spec);
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    renderLineChart(spec);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return `800×400 PNG, 3 series × 360 points, 50 renders after warm-up: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms.`;
}
