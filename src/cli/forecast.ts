/** `cloudops forecast`: forecasts a `timestamp,value` CSV file (see `cloudops forecast --help`). */
import { writeFileSync } from "node:fs";
import { CsvInputError, readSeriesRows } from "../anomaly/detect-csv.js";
import { forecast, MAX_HORIZON_STEPS, type ModelName } from "../insights/forecast/index.js";
import { parseVerbArgs, usageError } from "./args.js";
import { readCsv } from "./detect.js";

/** How timestamps are written back: as the input wrote them. */
type TimeStyle = "seconds" | "milliseconds" | "iso-space" | "iso";

const ISO_SPACE = /^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d(\.\d+)?)?$/;

/** A timestamp field in epoch seconds: epoch seconds or milliseconds, or an ISO 8601 date (UTC unless zoned). */
function parseTime(field: string, file: string, line: number): { seconds: number; style: TimeStyle } {
  if (/^-?\d+(\.\d+)?$/.test(field)) {
    const n = Number(field);
    // 1e11 s is the year 5138; anything larger is milliseconds.
    return Math.abs(n) >= 1e11
      ? { seconds: n / 1000, style: "milliseconds" }
      : { seconds: n, style: "seconds" };
  }
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(field);
  const iso = ISO_SPACE.test(field) ? `${field.replace(" ", "T")}Z` : zoned ? field : `${field}Z`;
  const ms = /^\d{4}-\d\d-\d\d/.test(field) ? Date.parse(iso) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new CsvInputError(
      `${file} line ${line}: "${field.slice(0, 40)}" is not a time (epoch seconds, milliseconds or ISO 8601)`,
    );
  return { seconds: ms / 1000, style: ISO_SPACE.test(field) ? "iso-space" : "iso" };
}

function formatTime(seconds: number, style: TimeStyle): string {
  switch (style) {
    case "seconds":
      return Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(3);
    case "milliseconds":
      return String(Math.round(seconds * 1000));
    case "iso-space":
      return new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
    case "iso":
      return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
  }
}

/** Ten significant digits without trailing zeros: readable, and exact enough for any metric. */
function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return "NaN";
  return Number(v.toPrecision(10)).toString();
}

export interface ForecastCsvResult {
  csv: string;
  model: ModelName;
  backtestMae: number;
  /** The series' step (median spacing), seconds. */
  stepSeconds: number;
  rows: number;
}

/**
 * The next `horizon` steps of a `timestamp,value` CSV as `timestamp,forecast,lower,upper` rows,
 * with the model its backtest chose. Bad input is a CsvInputError naming the file and line.
 */
/** Fewest rows a file may have: as many as the bot's answers want before they forecast. */
const MIN_ROWS = 24;

export function forecastSeriesCsv(
  text: string,
  file: string,
  opts: { horizon: number; level: number },
): ForecastCsvResult {
  const series = readSeriesRows(text, file);
  const parsed = series.timestamps.map((t, i) => parseTime(t, file, series.lineNumbers[i] as number));
  const style = parsed[0]?.style ?? "seconds";
  for (let i = 1; i < parsed.length; i++)
    if ((parsed[i] as { seconds: number }).seconds <= (parsed[i - 1] as { seconds: number }).seconds)
      throw new CsvInputError(
        `${file} line ${series.lineNumbers[i]}: time ${series.timestamps[i]} is not after the row before (rows must be in time order, one per time)`,
      );
  // A forecast is only as good as its backtest: fewer rows leave nothing to test the models on (the
  // bot's answers likewise want 24 values), and a horizon past four times the history is a guess.
  if (parsed.length < MIN_ROWS)
    throw new CsvInputError(
      `${file} has ${parsed.length} rows; at least ${MIN_ROWS} are needed to backtest a forecast`,
    );
  if (opts.horizon > 4 * parsed.length)
    throw new CsvInputError(
      `${file} has ${parsed.length} rows: --horizon ${opts.horizon} is more than four times that history (at most ${4 * parsed.length})`,
    );
  const times = Float64Array.from(parsed, (p) => p.seconds);
  const values = Float64Array.from(series.values);
  let result: ReturnType<typeof forecast>;
  try {
    result = forecast(values, times, opts.horizon, { level: opts.level });
  } catch (e) {
    // The forecaster's own input checks, phrased for the file.
    throw new CsvInputError(
      `${file}: ${e instanceof Error ? e.message.replace(/^forecast: /, "") : String(e)}`,
    );
  }
  const out = ["timestamp,forecast,lower,upper"];
  for (const p of result.points)
    out.push(
      `${formatTime(p.t, style)},${formatNumber(p.forecast)},${formatNumber(p.lower)},${formatNumber(p.upper)}`,
    );
  const stepSeconds = times.length > 1 ? (result.points[0]?.t ?? 0) - (times[times.length - 1] as number) : 0;
  return {
    csv: `${out.join("\n")}\n`,
    model: result.model,
    backtestMae: result.backtestMae,
    stepSeconds,
    rows: parsed.length,
  };
}

function parseHorizon(text: string | undefined): number {
  if (text === undefined) throw usageError("forecast", "--horizon N is required (steps ahead)");
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 1 || n > MAX_HORIZON_STEPS)
    throw usageError(
      "forecast",
      `--horizon must be a whole number from 1 to ${MAX_HORIZON_STEPS} (got "${text}")`,
    );
  return n;
}

function parseLevel(text: string | undefined): number {
  if (text === undefined) return 0.9;
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v <= 0 || v >= 1)
    throw usageError("forecast", `--level must be a number between 0 and 1, e.g. 0.9 (got "${text}")`);
  return v;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseVerbArgs("forecast", args, {
    horizon: { type: "string" },
    out: { type: "string" },
    level: { type: "string" },
  });
  const [file, ...extra] = positionals;
  if (!file) throw usageError("forecast", "name the CSV file to forecast");
  if (extra.length > 0) throw usageError("forecast", `unexpected argument "${extra[0]}"`);
  const horizon = parseHorizon(values.horizon);
  const level = parseLevel(values.level);
  try {
    const r = forecastSeriesCsv(readCsv(file), file, { horizon, level });
    if (values.out) writeFileSync(values.out, r.csv);
    else process.stdout.write(r.csv);
    process.stderr.write(
      `model: ${r.model}; backtest mean absolute error ${formatNumber(r.backtestMae)} (in the file's units); ${r.rows} rows every ${formatNumber(r.stepSeconds)} s; ${horizon} steps ahead, ${Math.round(level * 1000) / 10}% interval\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof CsvInputError) {
      process.stderr.write(`cloudops forecast: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
