/**
 * The forecast cone: a dashed median line after the history and a shaded interval between the lower
 * and upper bounds, inside the x and y ranges, described in the alt text, drawn the same every time.
 */
import { Resvg } from "@resvg/resvg-js";
import { describe, expect, it } from "vitest";
import { chartFontOptions, type LineChartSpec, renderLineChart } from "../../src/charts/line-chart.js";
import { chartOption, forecastPoints } from "../../src/charts/options.js";
import { prepare } from "../../src/charts/prepare.js";
import { renderSvg } from "../../src/charts/render.js";

const GiB = 1024 ** 3;
const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 16, 0, 0);

/** 14 days of a filling disk, hourly, then 10 days of forecast with a widening cone; size 1000 GiB. */
function diskSpec(extra: Partial<LineChartSpec> = {}): LineChartSpec {
  const history = Array.from(
    { length: 14 * 24 },
    (_, i) => [START + i * HOUR, (500 + (i / 24) * 20) * GiB] as [number, number],
  );
  const last = history[history.length - 1] as [number, number];
  const points = Array.from({ length: 10 * 24 }, (_, k) => {
    const t = last[0] + (k + 1) * HOUR;
    const m = last[1] + ((k + 1) / 24) * 20 * GiB;
    const w = Math.sqrt(k + 1) * 4 * GiB;
    return [t, m, m - w, m + w] as [number, number, number, number];
  });
  return {
    title: "Disk /data on db-1 — forecast",
    subject: "Disk used on db-1 /data",
    unit: "bytes",
    series: [{ name: "db-1 /data", points: history }],
    threshold: { value: 1000 * GiB, label: "size 1000 GiB" },
    forecast: { points, label: "forecast", intervalLabel: "90% interval" },
    ...extra,
  };
}

/** RGBA pixels of the chart as the PNG is drawn. */
function pixels(spec: LineChartSpec): { rgba: Buffer; width: number; height: number } {
  const option = chartOption(spec, prepare(spec.series, 800), 800, 400);
  const img = new Resvg(renderSvg(option, 800, 400), {
    background: "#ffffff",
    fitTo: { mode: "original" },
    font: chartFontOptions(),
    logLevel: "error",
  }).render();
  return { rgba: img.pixels, width: img.width, height: img.height };
}

/** The cone's fill, rgba(31, 119, 180, 0.2) over white ≈ (210, 228, 240). */
const isCone = (r: number, g: number, b: number) =>
  Math.abs(r - 210) <= 6 && Math.abs(g - 228) <= 6 && Math.abs(b - 240) <= 6;

function countIn(
  img: { rgba: Buffer; width: number; height: number },
  x0: number,
  x1: number,
  match: (r: number, g: number, b: number) => boolean,
): number {
  let n = 0;
  for (let y = 0; y < img.height; y++)
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 4;
      if (match(img.rgba[i] as number, img.rgba[i + 1] as number, img.rgba[i + 2] as number)) n++;
    }
  return n;
}

describe("forecast cone", () => {
  it("extends the time axis to the forecast's end and the value axis to its upper bound", () => {
    const spec = diskSpec();
    const option = chartOption(spec, prepare(spec.series, 800), 800, 400) as {
      xAxis: { min: number; max: number };
      yAxis: { max: number };
      series: { name: string; stack?: string; areaStyle?: unknown; lineStyle?: { type?: string } }[];
    };
    const cone = spec.forecast?.points ?? [];
    expect(option.xAxis.min).toBe(START);
    expect(option.xAxis.max).toBe(cone[cone.length - 1]?.[0]);
    expect(option.yAxis.max).toBeGreaterThanOrEqual(Math.max(...cone.map((p) => p[3])));
    const names = option.series.map((s) => s.name);
    expect(names).toContain("forecast");
    expect(names).toContain("90% interval");
    expect(option.series.find((s) => s.name === "forecast")?.lineStyle?.type).toBe("dashed");
    expect(option.series.filter((s) => s.stack === "forecast-cone")).toHaveLength(2);
    expect(option.series.find((s) => s.name === "90% interval")?.areaStyle).toBeDefined();
  });

  it("shades the interval after the history and nowhere before it", () => {
    const withCone = pixels(diskSpec());
    const without = pixels(diskSpec({ forecast: undefined }));
    // The history line's anti-aliased edges have a few pixels of the cone's colour.
    const edges = countIn(without, 0, 800, isCone);
    expect(edges).toBeLessThan(400);
    // 14 days of history then 10 of forecast: the last third of the plot is the forecast.
    expect(countIn(withCone, 620, 780, isCone)).toBeGreaterThan(1000 + edges);
    expect(countIn(withCone, 60, 400, isCone)).toBeLessThan(400);
  });

  it("the cone lies between the bounds: a narrow interval shades far less than a wide one", () => {
    const narrow = diskSpec();
    const f = narrow.forecast as NonNullable<LineChartSpec["forecast"]>;
    narrow.forecast = { ...f, points: f.points.map(([t, m]) => [t, m, m - 0.5 * GiB, m + 0.5 * GiB]) };
    const wide = countIn(pixels(diskSpec()), 560, 790, isCone);
    const thin = countIn(pixels(narrow), 560, 790, isCone);
    expect(thin).toBeLessThan(wide / 4);
  });

  it("leaves out points that are not finite and orders the bounds", () => {
    const spec = diskSpec({
      forecast: {
        label: "forecast",
        intervalLabel: "90% interval",
        points: [
          [START + 2 * HOUR, 5, 7, 3],
          [START + HOUR, 4, 3, Number.NaN],
          [START, 3, 2, 4],
        ],
      },
    });
    expect(forecastPoints(spec, 800)).toEqual([
      [START, 3, 2, 4],
      [START + 2 * HOUR, 5, 3, 7],
    ]);
  });

  it("says what the forecast shows in the alt text, and draws the same PNG every time", () => {
    const a = renderLineChart(diskSpec());
    const b = renderLineChart(diskSpec());
    expect(a.png.equals(b.png)).toBe(true);
    expect(a.alt).toContain("dashed forecast to 2026-12-09 23:00 UTC ending at 979 GiB");
    expect(a.alt).toMatch(/shaded 90% interval 917 GiB to 1.0 TiB/);
  });
});
