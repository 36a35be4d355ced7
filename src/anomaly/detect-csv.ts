/**
 * `cloudops detect`: anomaly scores for CSV files. One series (`timestamp,value`) is scored causally
 * by the streaming detector; a numeric matrix is scored by an isolation forest fitted on a training
 * matrix. Any malformed input is a CsvInputError naming the file and line.
 */
import { IsolationForest } from "./isolation-forest.js";
import { StreamingDetector } from "./streaming-detector.js";

export class CsvInputError extends Error {}

/** Files larger than this are refused rather than read into memory. */
export const MAX_CSV_BYTES = 512 * 2 ** 20;

function lines(text: string, file: string): string[] {
  const out = text.split(/\r?\n/);
  while (out.length > 0 && (out[out.length - 1] as string).trim() === "") out.pop();
  if (out.length === 0) throw new CsvInputError(`${file} is empty`);
  return out;
}

function parseNumber(field: string, file: string, line: number): number {
  const s = field.trim();
  const v = s === "" ? Number.NaN : Number(s);
  if (!Number.isFinite(v)) {
    throw new CsvInputError(`${file} line ${line}: "${s.slice(0, 40)}" is not a number`);
  }
  return v;
}

/** Scores a `timestamp,value` CSV; returns `timestamp,value,anomaly_score` with inputs unchanged. */
export function detectSeriesCsv(text: string, file: string): string {
  const rows = lines(text, file);
  const first = (rows[0] as string).split(",");
  const hasHeader = first.length === 2 && !Number.isFinite(Number((first[1] as string).trim() || "x"));
  const start = hasHeader ? 1 : 0;
  if (rows.length <= start) throw new CsvInputError(`${file} has a header and no rows`);
  const det = new StreamingDetector();
  const out: string[] = ["timestamp,value,anomaly_score"];
  for (let i = start; i < rows.length; i++) {
    const fields = (rows[i] as string).split(",");
    if (fields.length !== 2) {
      throw new CsvInputError(
        `${file} line ${i + 1}: expected 2 fields (timestamp,value), found ${fields.length}`,
      );
    }
    const value = parseNumber(fields[1] as string, file, i + 1);
    out.push(`${fields[0]},${fields[1]},${det.update(value).toFixed(6)}`);
  }
  return `${out.join("\n")}\n`;
}

function parseMatrix(text: string, file: string): number[][] {
  const rows = lines(text, file);
  let columns = -1;
  return rows.map((row, i) => {
    const fields = row.split(",");
    if (columns < 0) columns = fields.length;
    if (fields.length !== columns) {
      throw new CsvInputError(
        `${file} line ${i + 1}: expected ${columns} fields like line 1, found ${fields.length}`,
      );
    }
    return fields.map((f) => parseNumber(f, file, i + 1));
  });
}

/** Fits an isolation forest on TRAIN and scores every TEST row; returns `anomaly_score` lines. */
export function detectMatrixCsv(
  testText: string,
  testFile: string,
  trainText: string,
  trainFile: string,
): string {
  const train = parseMatrix(trainText, trainFile);
  const test = parseMatrix(testText, testFile);
  const trainColumns = (train[0] as number[]).length;
  const testColumns = (test[0] as number[]).length;
  if (trainColumns !== testColumns) {
    throw new CsvInputError(`${testFile} has ${testColumns} columns but ${trainFile} has ${trainColumns}`);
  }
  const forest = new IsolationForest({ trees: 200, sampleSize: 256, seed: 42 }).fit(train);
  const scores = forest.score(test);
  const out = ["anomaly_score"];
  for (const s of scores) out.push(s.toFixed(6));
  return `${out.join("\n")}\n`;
}
