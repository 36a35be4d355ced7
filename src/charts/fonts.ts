/**
 * DejaVu Sans for charts: found on disk, handed to resvg, and measured so ECharts lays text out
 * with the widths resvg will draw.
 */
import { readFileSync } from "node:fs";
import type { ResvgRenderOptions } from "@resvg/resvg-js";
import { setPlatformAPI } from "echarts/core";

/** The one font family every chart text uses. */
export const FONT_FAMILY = "DejaVu Sans";
const FONT_DIR = "/usr/share/fonts/truetype/dejavu";
const FONT_REGULAR = `${FONT_DIR}/DejaVuSans.ttf`;
const FONT_BOLD = `${FONT_DIR}/DejaVuSans-Bold.ttf`;

/** Advance widths of one font face, read from its TrueType tables. */
interface FontMetrics {
  unitsPerEm: number;
  glyphOf: (codePoint: number) => number;
  advanceOf: (glyph: number) => number;
  /** Width in em of each character measured so far. */
  cache: Map<number, number>;
}

export interface LoadedFonts {
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
export function chartFonts(): LoadedFonts {
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
  return chartFonts().embedded;
}

/** The font options passed to resvg, for tests and diagnostics. */
export function chartFontOptions(): Readonly<NonNullable<ResvgRenderOptions["font"]>> {
  return chartFonts().resvg;
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
export function textWidth(text: string, fontSize: number): number {
  const { metrics } = chartFonts();
  // Without DejaVu the system font is unknown: a typical sans-serif average advance.
  if (!metrics) return text.length * fontSize * 0.62;
  return measureText(text, `${fontSize}px ${FONT_FAMILY}`, metrics.regular, metrics.bold);
}
