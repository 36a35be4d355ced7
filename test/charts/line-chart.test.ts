import { existsSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  type ChartSeries,
  chartFontOptions,
  chartFontsEmbedded,
  downsampleMinMax,
  expandFontShorthand,
  formatValue,
  type LineChartSpec,
  MAX_POINTS_PER_SERIES,
  renderLineChart,
} from "../../src/charts/line-chart.js";

// ---------------------------------------------------------------------------------------------
// A minimal PNG reader: enough to check what resvg writes (8-bit RGB/RGBA, not interlaced), so the
// tests can look at pixels without an image library.

interface Png {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row-major. */
  rgba: Uint8Array;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function readIhdr(png: Buffer): { width: number; height: number; bitDepth: number; colorType: number } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  // The first chunk must be IHDR: length 13 at offset 8, type at 12, data at 16.
  expect(png.readUInt32BE(8)).toBe(13);
  expect(png.toString("latin1", 12, 16)).toBe("IHDR");
  return {
    width: png.readUInt32BE(16),
    height: png.readUInt32BE(20),
    bitDepth: png.readUInt8(24),
    colorType: png.readUInt8(25),
  };
}

function decodePng(png: Buffer): Png {
  const { width, height, bitDepth, colorType } = readIhdr(png);
  expect(bitDepth).toBe(8);
  expect(png.readUInt8(28)).toBe(0); // not interlaced
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  expect(channels).toBeGreaterThan(0);
  const idat: Buffer[] = [];
  let at = 8;
  let sawEnd = false;
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    if (type === "IDAT") idat.push(png.subarray(at + 8, at + 8 + len));
    if (type === "IEND") sawEnd = true;
    at += 12 + len;
  }
  expect(sawEnd).toBe(true);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  expect(raw.length).toBe(height * (stride + 1));
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x] as number;
      const a = x >= channels ? (pixels[y * stride + x - channels] as number) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] as number) : 0;
      const c = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] as number) : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (v + pred) & 0xff;
    }
  }
  if (channels === 4) return { width, height, rgba: pixels };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(pixels.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/** Pixels in a rectangle matching a predicate on [r, g, b, a]. */
function countPixels(
  img: Png,
  rect: { x: number; y: number; w: number; h: number },
  match: (r: number, g: number, b: number, a: number) => boolean,
): number {
  let n = 0;
  for (let y = rect.y; y < Math.min(img.height, rect.y + rect.h); y++) {
    for (let x = rect.x; x < Math.min(img.width, rect.x + rect.w); x++) {
      const i = (y * img.width + x) * 4;
      if (
        match(
          img.rgba[i] as number,
          img.rgba[i + 1] as number,
          img.rgba[i + 2] as number,
          img.rgba[i + 3] as number,
        )
      ) {
        n++;
      }
    }
  }
  return n;
}

const whole = (img: Png) => ({ x: 0, y: 0, w: img.width, h: img.height });
const isDark = (r: number, g: number, b: number) => r < 110 && g < 110 && b < 110;
const isThresholdRed = (r: number, g: number, b: number) => r > 180 && g < 90 && b < 90;
/** The band fill, rgba(44, 160, 44, 0.13) over white ≈ (228, 243, 228). */
const isBandGreen = (r: number, g: number, b: number) =>
  Math.abs(r - 228) <= 6 && Math.abs(g - 243) <= 6 && Math.abs(b - 228) <= 6 && Math.abs(r - b) <= 3;

// ---------------------------------------------------------------------------------------------
// Fixtures

const START = Date.UTC(2024, 4, 14, 8, 30);

function wave(name: string, base: number, amp: number, n = 360, stepMs = 20_000): ChartSeries {
  return {
    name,
    points: Array.from(
      { length: n },
      (_, i) => [START + i * stepMs, base + amp * Math.sin(i / 30)] as [number, number],
    ),
  };
}

function cpuSpec(extra: Partial<LineChartSpec> = {}): LineChartSpec {
  return {
    title: "CPU busy % — last 2h",
    subject: "CPU busy %",
    unit: "percent",
    series: [
      wave("web-1", 40, 10),
      { ...wave("web-2", 60, 15), points: withSpike(wave("web-2", 60, 15).points, 200, 95) },
    ],
    ...extra,
  };
}

function withSpike(
  points: Array<[number, number | null]>,
  at: number,
  value: number,
): Array<[number, number | null]> {
  return points.map((p, i) => (i === at ? [p[0], value] : p));
}

// ---------------------------------------------------------------------------------------------

describe("renderLineChart", () => {
  it("returns a PNG of the default size, 800×400", () => {
    const chart = renderLineChart(cpuSpec());
    const ihdr = readIhdr(chart.png);
    expect(ihdr).toMatchObject({ width: 800, height: 400 });
    expect(chart.width).toBe(800);
    expect(chart.height).toBe(400);
    expect(chart.title).toBe("CPU busy % — last 2h");
    decodePng(chart.png);
  });

  it("honours a requested size", () => {
    const chart = renderLineChart(cpuSpec({ width: 640, height: 320 }));
    expect(readIhdr(chart.png)).toMatchObject({ width: 640, height: 320 });
    expect([chart.width, chart.height]).toEqual([640, 320]);
  });

  it("has an opaque white background (Slack dark mode would show a transparent one as black)", () => {
    const img = decodePng(renderLineChart(cpuSpec()).png);
    for (const [x, y] of [
      [0, 0],
      [img.width - 1, 0],
      [0, img.height - 1],
      [img.width - 1, img.height - 1],
    ] as const) {
      const i = (y * img.width + x) * 4;
      expect([...img.rgba.subarray(i, i + 4)]).toEqual([255, 255, 255, 255]);
    }
  });

  it("is given DejaVu Sans and no system fonts", () => {
    // Where fonts-dejavu-core is installed (scripts/test.sh installs it) the embedded path is taken.
    expect(existsSync("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")).toBe(true);
    expect(chartFontsEmbedded()).toBe(true);
    const font = chartFontOptions();
    expect(font.loadSystemFonts).toBe(false);
    expect(font.defaultFontFamily).toBe("DejaVu Sans");
    expect(font.fontFiles?.length).toBe(2);
    for (const f of font.fontFiles ?? []) expect(existsSync(f)).toBe(true);
  });

  it("draws text: the title band is inked, and only when there is a title", () => {
    // resvg silently draws no text when it has no usable font; then both images would match.
    const titled = decodePng(renderLineChart(cpuSpec()).png);
    const untitled = decodePng(renderLineChart(cpuSpec({ title: "" })).png);
    const titleBand = { x: 0, y: 0, w: 500, h: 40 };
    expect(countPixels(titled, titleBand, isDark)).toBeGreaterThan(300);
    expect(countPixels(untitled, titleBand, isDark)).toBe(0);
    // The axis labels are text too: left of the plot and under it.
    expect(countPixels(titled, { x: 0, y: 60, w: 60, h: 300 }, isDark)).toBeGreaterThan(100);
    expect(countPixels(titled, { x: 80, y: 330, w: 700, h: 30 }, isDark)).toBeGreaterThan(100);
  });

  it("draws the threshold as a red dashed line and the band as a light area", () => {
    const plain = decodePng(renderLineChart(cpuSpec()).png);
    const marked = decodePng(
      renderLineChart(
        cpuSpec({
          threshold: { value: 80, label: "warning 80%" },
          band: { low: 30, high: 50, label: "usual" },
        }),
      ).png,
    );
    expect(countPixels(plain, whole(plain), isThresholdRed)).toBe(0);
    expect(countPixels(marked, whole(marked), isThresholdRed)).toBeGreaterThan(300);
    // A few anti-aliased edge pixels of the green series line can match the colour.
    expect(countPixels(plain, whole(plain), isBandGreen)).toBeLessThan(100);
    expect(countPixels(marked, whole(marked), isBandGreen)).toBeGreaterThan(10_000);
  });

  it("keeps a threshold far above the data on the chart", () => {
    const spec = cpuSpec({
      unit: "bytes",
      series: [wave("db-1", 2 * 2 ** 30, 2 ** 28)],
      threshold: { value: 30 * 2 ** 30, label: "disk full" },
    });
    const img = decodePng(renderLineChart(spec).png);
    expect(countPixels(img, whole(img), isThresholdRed)).toBeGreaterThan(300);
  });

  it("writes alt text naming the metric, hosts, UTC window, peak and threshold", () => {
    const chart = renderLineChart(cpuSpec({ threshold: { value: 90, label: "critical" } }));
    expect(chart.alt).toBe(
      "Line chart of CPU busy % for web-1 and web-2 from 08:30 to 10:29 UTC; web-2 peaks at 95.0% at 09:36; " +
        "threshold critical (90.0%) exceeded by web-2.",
    );
  });

  it("puts dates in the alt text when the window spans days", () => {
    const chart = renderLineChart({
      title: "Memory used — last 7d",
      subject: "Memory used",
      unit: "bytes",
      series: [wave("db-1", 4 * 2 ** 30, 2 ** 30, 7 * 24, 3_600_000)],
    });
    expect(chart.alt).toMatch(
      /^Line chart of Memory used for db-1 from 2024-05-14 08:30 to 2024-05-21 07:30 UTC; /,
    );
    expect(chart.alt).toMatch(/db-1 peaks at 5\.0 GiB at 2024-05-\d\d \d\d:\d\d\.$/);
  });

  it("says No data for no series, empty series and all-null series, still as a valid PNG", () => {
    const specs: LineChartSpec[] = [
      { title: "Disk used % — last 6h", subject: "Disk used %", unit: "percent", series: [] },
      {
        title: "Disk used % — last 6h",
        subject: "Disk used %",
        unit: "percent",
        series: [{ name: "web-1", points: [] }],
      },
      {
        title: "Disk used % — last 6h",
        subject: "Disk used %",
        unit: "percent",
        series: [
          {
            name: "web-1",
            points: [
              [START, null],
              [START + 60_000, null],
            ],
          },
        ],
        threshold: { value: 80, label: "warning" },
      },
    ];
    for (const spec of specs) {
      const chart = renderLineChart(spec);
      const img = decodePng(chart.png);
      expect([img.width, img.height]).toEqual([800, 400]);
      expect(chart.alt).toMatch(/^Line chart of Disk used %: no data/);
      // "No data" is written in the middle.
      expect(
        countPixels(img, { x: 250, y: 150, w: 300, h: 100 }, (r, g, b) => r < 160 && g < 160 && b < 160),
      ).toBeGreaterThan(200);
    }
  });

  it("draws at most 10 series, the highest peaks, and names the rest in the legend and alt", () => {
    const series = Array.from({ length: 13 }, (_, i) => wave(`web-${i + 1}`, 10 + i * 5, 3));
    const chart = renderLineChart({
      title: "CPU busy % — last 2h",
      subject: "CPU busy %",
      unit: "percent",
      series,
    });
    decodePng(chart.png);
    expect(chart.alt).toContain("for web-4, web-5, web-6, web-7, web-8 and 5 more");
    expect(chart.alt).toContain("3 more series with lower peaks not drawn (web-3, web-2 and web-1)");
    expect(chart.alt).toContain("web-13 peaks at");
  });

  it("renders series longer than the point cap and keeps their spike", () => {
    const n = 20_000;
    const points = Array.from({ length: n }, (_, i) => [START + i * 1000, 10] as [number, number | null]);
    points[12_345] = [START + 12_345 * 1000, 100];
    const chart = renderLineChart({
      title: "CPU busy % — last 6h",
      unit: "percent",
      series: [{ name: "web-1", points }],
    });
    expect(chart.alt).toContain("web-1 peaks at 100.0%");
    // The one-second spike is still drawn: the series' blue reaches the top of the plot.
    const img = decodePng(chart.png);
    const isSeriesBlue = (r: number, g: number, b: number) => r < 90 && g > 90 && g < 150 && b > 150;
    expect(countPixels(img, { x: 0, y: 55, w: img.width, h: 40 }, isSeriesBlue)).toBeGreaterThan(5);
    expect(countPixels(img, { x: 0, y: 300, w: img.width, h: 50 }, isSeriesBlue)).toBeGreaterThan(500);
  });
});

describe("downsampleMinMax", () => {
  const series = (n: number) =>
    Array.from({ length: n }, (_, i) => [i * 1000, Math.sin(i / 50)] as [number, number | null]);

  it("leaves short series alone", () => {
    const s = series(MAX_POINTS_PER_SERIES);
    expect(downsampleMinMax(s)).toBe(s);
  });

  it("caps long series and keeps the spike, the dip and time order", () => {
    const s = series(50_000);
    s[31_337] = [31_337_000, 42];
    s[7_777] = [7_777_000, -42];
    const out = downsampleMinMax(s);
    expect(out.length).toBeLessThanOrEqual(MAX_POINTS_PER_SERIES);
    expect(out.length).toBeGreaterThan(MAX_POINTS_PER_SERIES / 2);
    expect(out).toContainEqual([31_337_000, 42]);
    expect(out).toContainEqual([7_777_000, -42]);
    for (let i = 1; i < out.length; i++)
      expect((out[i] as [number, number])[0]).toBeGreaterThan((out[i - 1] as [number, number])[0]);
  });

  it("keeps gaps as gaps", () => {
    const s = series(20_000);
    for (let i = 10_000; i < 10_500; i++) s[i] = [i * 1000, null];
    const out = downsampleMinMax(s, 1000);
    expect(out.length).toBeLessThanOrEqual(1000);
    const nulls = out.filter((p) => p[1] === null);
    expect(nulls.length).toBeGreaterThan(0);
    for (const [t] of nulls) {
      expect(t).toBeGreaterThanOrEqual(10_000_000);
      expect(t).toBeLessThan(10_500_000);
    }
  });
});

describe("expandFontShorthand", () => {
  it("rewrites the CSS font shorthand resvg ignores into longhand properties", () => {
    expect(expandFontShorthand('<text style="font: normal normal 14px DejaVu Sans">05:00</text>')).toBe(
      '<text style="font-size:14px;font-family:DejaVu Sans;">05:00</text>',
    );
    expect(expandFontShorthand('<text style="font: italic normal bold 20px DejaVu Sans">x</text>')).toBe(
      '<text style="font-size:20px;font-family:DejaVu Sans;font-style:italic;font-weight:bold;">x</text>',
    );
    const longhand = '<text style="font-size:14px;font-family:DejaVu Sans;">0%</text>';
    expect(expandFontShorthand(longhand)).toBe(longhand);
  });
});

describe("formatValue", () => {
  it.each([
    [87.26, "percent", "87.3%"],
    [0, "percent", "0.0%"],
    [100, "percent", "100.0%"],
    [512, "bytes", "512 B"],
    [1536, "bytes", "1.5 KiB"],
    [5 * 2 ** 30, "bytes", "5.0 GiB"],
    [2_500_000, "bytes_per_second", "2.4 MiB/s"],
    [800, "bytes_per_second", "800 B/s"],
    [42, "count", "42"],
    [2.456, "count", "2.46"],
    [0.25, "ratio", "0.25"],
    [45, "seconds", "45 s"],
    [3900, "seconds", "1 h 5 min"],
  ] as const)("formatValue(%s, %s) → %s", (value, unit, expected) => {
    expect(formatValue(value, unit)).toBe(expected);
  });
});
