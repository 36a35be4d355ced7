/**
 * Drawing: an ECharts option to SVG (server-side, no DOM) and the SVG to PNG with resvg. Both are
 * synchronous.
 */
import { Resvg, type ResvgRenderOptions } from "@resvg/resvg-js";
import { type EChartsCoreOption, init, use } from "echarts/core";
import { SVGRenderer } from "echarts/renderers";

use([SVGRenderer]);

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

/** Lays `option` out as an SVG document of `width` × `height` px. */
export function renderSvg(option: EChartsCoreOption, width: number, height: number): string {
  const chart = init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption(option);
    return expandFontShorthand(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
}

/** Rasterises an SVG document on white at its own size, with the given fonts. */
export function svgToPng(svg: string, font: NonNullable<ResvgRenderOptions["font"]>): Buffer {
  return new Resvg(svg, {
    background: "#ffffff",
    fitTo: { mode: "original" },
    font,
    logLevel: "error",
  })
    .render()
    .asPng();
}
