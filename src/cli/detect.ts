/** `cloudops detect`: scores a CSV file (see `cloudops detect --help`). */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { CsvInputError, detectMatrixCsv, detectSeriesCsv, MAX_CSV_BYTES } from "../anomaly/detect-csv.js";
import { parseVerbArgs, usageError } from "./args.js";

function readCsv(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new CsvInputError(`${file}: no such file`);
  }
  if (size > MAX_CSV_BYTES) throw new CsvInputError(`${file} is larger than ${MAX_CSV_BYTES / 2 ** 20} MiB`);
  return readFileSync(file, "utf8");
}

function parseThreshold(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = Number(text);
  if (text.trim() === "" || !Number.isFinite(t) || t < 0 || t > 1)
    throw usageError("detect", `--threshold must be a number from 0 to 1 (got "${text}")`);
  return t;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseVerbArgs("detect", args, {
    out: { type: "string" },
    train: { type: "string" },
    threshold: { type: "string" },
  });
  const [file, ...extra] = positionals;
  if (!file) throw usageError("detect", "name the CSV file to score");
  if (extra.length > 0) throw usageError("detect", `unexpected argument "${extra[0]}"`);
  const threshold = parseThreshold(values.threshold);
  const options = threshold === undefined ? {} : { threshold };
  const train = values.train;
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
