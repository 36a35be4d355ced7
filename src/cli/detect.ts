/** `cloudops detect`: scores a CSV file (see `cloudops detect --help`). */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { CsvInputError, detectMatrixCsv, detectSeriesCsv, MAX_CSV_BYTES } from "../anomaly/detect-csv.js";
import { parseVerbArgs, usageError } from "./args.js";

/** A CSV file's text, refused when missing or larger than the CSV limit. `forecast` reads alike. */
export function readCsv(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new CsvInputError(`${file}: no such file`);
  }
  if (size > MAX_CSV_BYTES) throw new CsvInputError(`${file} is larger than ${MAX_CSV_BYTES / 2 ** 20} MiB`);
  return readFileSync(file, "utf8");
}

/** A series score is 0..1; a matrix score is a rarity in decades (0 and up). */
function parseThreshold(text: string | undefined, matrix: boolean): number | undefined {
  if (text === undefined) return undefined;
  const t = Number(text);
  const max = matrix ? 100 : 1;
  if (text.trim() === "" || !Number.isFinite(t) || t < 0 || t > max)
    throw usageError("detect", `--threshold must be a number from 0 to ${max} (got "${text}")`);
  return t;
}

function parsePositive(name: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v <= 0 || v > max)
    throw usageError("detect", `--${name} must be a number above 0, at most ${max} (got "${text}")`);
  return v;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseVerbArgs("detect", args, {
    out: { type: "string" },
    train: { type: "string" },
    threshold: { type: "string" },
    interval: { type: "string" },
    "false-alarms-per-day": { type: "string" },
  });
  const [file, ...extra] = positionals;
  if (!file) throw usageError("detect", "name the CSV file to score");
  if (extra.length > 0) throw usageError("detect", `unexpected argument "${extra[0]}"`);
  const train = values.train;
  const threshold = parseThreshold(values.threshold, train !== undefined);
  const intervalSeconds = parsePositive("interval", values.interval, 7 * 86400);
  const falseAlarmsPerDay = parsePositive("false-alarms-per-day", values["false-alarms-per-day"], 10_000);
  if (!train && (intervalSeconds !== undefined || falseAlarmsPerDay !== undefined))
    throw usageError("detect", "--interval and --false-alarms-per-day apply with --train only");
  const options = {
    ...(threshold === undefined ? {} : { threshold }),
    ...(intervalSeconds === undefined ? {} : { intervalSeconds }),
    ...(falseAlarmsPerDay === undefined ? {} : { falseAlarmsPerDay }),
  };
  const out = values.out;
  try {
    const csv = train
      ? detectMatrixCsv(readCsv(file), file, readCsv(train), train, options)
      : detectSeriesCsv(readCsv(file), file, options);
    if (out) writeFileSync(out, csv);
    else process.stdout.write(csv);
    return 0;
  } catch (e) {
    if (e instanceof CsvInputError) {
      process.stderr.write(`cloudops detect: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
