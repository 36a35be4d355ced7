/** `cloudops forecast` as a user runs it (the built dist/cli.js): the rows it writes, the model it names, bad input. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forecastSeriesCsv } from "../../src/cli/forecast.js";
import { builtCli, cloudops } from "./built-cli.js";

beforeAll(async () => {
  await builtCli();
}, 300_000);

const dir = mkdtempSync(path.join(tmpdir(), "cloudops-forecast-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

const T0 = Date.UTC(2024, 0, 1) / 1000;
/** A disk filling 0.5 a row, 5 minutes apart, 600 rows, in NAB's "YYYY-MM-DD HH:MM:SS" style. */
const lineRows = Array.from({ length: 600 }, (_, i) => {
  const t = new Date((T0 + i * 300) * 1000).toISOString().slice(0, 19).replace("T", " ");
  return `${t},${(100 + 0.5 * i).toFixed(1)}`;
});

function parseRows(text: string) {
  const [header, ...rows] = text.trim().split("\n");
  return {
    header,
    rows: rows.map((l) => {
      const [t, f, lo, hi] = l.split(",");
      return { t: t as string, forecast: Number(f), lower: Number(lo), upper: Number(hi) };
    }),
  };
}

/** `n` rows a minute apart with a gentle rise. */
function rows(n: number): string {
  return Array.from({ length: n }, (_, i) => `${1_700_000_000 + 60 * i},${10 + i * 0.1}`).join("\n");
}

describe("cloudops forecast FILE.csv", () => {
  it("writes the next N steps with their interval in the input's time style, and names the model on stderr", async () => {
    const input = file("disk.csv", `timestamp,value\r\n${lineRows.join("\r\n")}\r\n`);
    const out = path.join(dir, "forecast.csv");
    const r = await cloudops(["forecast", input, "--horizon", "12", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^model: robust-trend; backtest mean absolute error 0 \(in the file's units\); 600 rows every 300 s; 12 steps ahead, 90% interval\n$/,
    );
    const { header, rows } = parseRows(readFileSync(out, "utf8"));
    expect(header).toBe("timestamp,forecast,lower,upper");
    expect(rows).toHaveLength(12);
    expect(rows[0]?.t).toBe("2024-01-03 02:00:00");
    expect(rows[11]?.t).toBe("2024-01-03 02:55:00");
    rows.forEach((x, k) => {
      expect(x.forecast).toBeCloseTo(100 + 0.5 * (600 + k), 6);
      expect(x.lower).toBeLessThanOrEqual(x.forecast);
      expect(x.upper).toBeGreaterThanOrEqual(x.forecast);
    });
  });

  it("reads epoch seconds without a header, writes to stdout, and a wider level gives a wider interval", async () => {
    // A daily cycle with noise, hourly for three weeks.
    let s = 7;
    const noise = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32 - 0.5;
    };
    const rows = Array.from(
      { length: 21 * 24 },
      (_, i) => `${T0 + i * 3600},${(50 + 10 * Math.sin((2 * Math.PI * i) / 24) + 2 * noise()).toFixed(3)}`,
    );
    const input = file("cycle.csv", `${rows.join("\n")}\n`);
    const r90 = await cloudops(["forecast", input, "--horizon", "24"]);
    const r99 = await cloudops(["forecast", input, "--horizon", "24", "--level", "0.99"]);
    expect(r90.code).toBe(0);
    const a = parseRows(r90.stdout).rows;
    const b = parseRows(r99.stdout).rows;
    expect(a[0]?.t).toBe(String(T0 + 21 * 24 * 3600));
    expect(r90.stderr).toMatch(
      /^model: (seasonal-naive|harmonic|[a-z-]+); .* 504 rows every 3600 s; 24 steps ahead, 90% interval/,
    );
    expect(r99.stderr).toContain("99% interval");
    const width = (rows: typeof a) => rows.reduce((w, x) => w + (x.upper - x.lower), 0);
    expect(width(b)).toBeGreaterThan(width(a));
    // The cycle continues: the forecast 6 hours after midnight is near its peak, 18 hours after near its trough.
    expect(a[5]?.forecast).toBeGreaterThan(56);
    expect(a[17]?.forecast).toBeLessThan(44);
  });

  it("bad input gets one line and exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [["forecast", path.join(dir, "missing.csv"), "--horizon", "3"], /missing\.csv: no such file/],
      [["forecast", file("ragged.csv", "1,2\n3,4,5\n"), "--horizon", "3"], /line 2: expected 2 fields/],
      [["forecast", file("word.csv", "1,2\n2,x\n3,4\n"), "--horizon", "3"], /line 2: "x" is not a number/],
      [
        ["forecast", file("order.csv", "1,2\n3,4\n2,5\n"), "--horizon", "3"],
        /line 3: time 2 is not after the row before/,
      ],
      [
        ["forecast", file("time.csv", "yesterday,2\n"), "--horizon", "3"],
        /line 1: "yesterday" is not a time/,
      ],
      [["forecast", file("short.csv", "1,2\n2,3\n"), "--horizon", "3"], /has 2 rows; at least 24 are needed/],
      [
        ["forecast", file("few.csv", rows(30)), "--horizon", "121"],
        /--horizon 121 is more than four times that history \(at most 120\)/,
      ],
      [["forecast", file("ok.csv", "1,2\n2,3\n3,4\n")], /--horizon N is required/],
      [
        ["forecast", file("ok2.csv", "1,2\n2,3\n3,4\n"), "--horizon", "2.5"],
        /--horizon must be a whole number/,
      ],
      [
        ["forecast", file("ok3.csv", "1,2\n2,3\n3,4\n"), "--horizon", "3", "--level", "1"],
        /--level must be a number between 0 and 1/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cloudops(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe("forecastSeriesCsv", () => {
  it("keeps ISO 8601 with a zone and milliseconds styles", () => {
    const minutes = Array.from({ length: 24 }, (_, i) => i);
    const iso = minutes.map(
      (i) => `${new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString().replace(".000", "")},${i}`,
    );
    expect(forecastSeriesCsv(iso.join("\n"), "f", { horizon: 1, level: 0.9 }).csv.split("\n")[1]).toMatch(
      /^2024-01-01T00:24:00Z,\d/,
    );
    const ms = minutes.map((i) => `${1704067200000 + 60_000 * i},${i}`);
    expect(forecastSeriesCsv(ms.join("\n"), "f", { horizon: 1, level: 0.9 }).csv.split("\n")[1]).toMatch(
      /^1704068640000,\d/,
    );
  });
});
