/**
 * Loads the SMD dev machines (../shared/data/smd, see its README): train and test matrices as text
 * (what `cloudops detect` reads) and as numbers, the test labels and the interpretation labels.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { type Interpretation, parseInterpretation } from "./scoring.js";

export const SMD_DIR = process.env.SMD_DIR ?? path.resolve(import.meta.dirname, "../../../shared/data/smd");
export const SMD_MACHINES = ["machine-1-6", "machine-2-3", "machine-3-4"] as const;
export const SMD_COLUMNS = 38;

export interface SmdMachine {
  name: string;
  trainFile: string;
  testFile: string;
  trainText: string;
  testText: string;
  /** Row-major, SMD_COLUMNS values per row. */
  train: Float64Array;
  test: Float64Array;
  trainRows: number;
  testRows: number;
  labels: Uint8Array;
  interpretation: Interpretation[];
}

function gunzipText(file: string): string {
  return gunzipSync(readFileSync(file)).toString("utf8");
}

function matrix(text: string, file: string): Float64Array {
  const rows = text.trimEnd().split("\n");
  const out = new Float64Array(rows.length * SMD_COLUMNS);
  rows.forEach((row, i) => {
    const fields = row.split(",");
    if (fields.length !== SMD_COLUMNS)
      throw new Error(`${file} line ${i + 1}: ${fields.length} values, expected ${SMD_COLUMNS}`);
    fields.forEach((f, j) => {
      out[i * SMD_COLUMNS + j] = Number(f);
    });
  });
  return out;
}

export function loadSmdMachine(name: string, dir = SMD_DIR): SmdMachine {
  const trainFile = path.join(dir, "train", `${name}.txt.gz`);
  const testFile = path.join(dir, "test", `${name}.txt.gz`);
  const trainText = gunzipText(trainFile);
  const testText = gunzipText(testFile);
  const train = matrix(trainText, trainFile);
  const test = matrix(testText, testFile);
  const labelFile = path.join(dir, "test_label", `${name}.txt.gz`);
  const labels = Uint8Array.from(gunzipText(labelFile).trimEnd().split("\n"), Number);
  const testRows = test.length / SMD_COLUMNS;
  if (labels.length !== testRows)
    throw new Error(`${labelFile}: ${labels.length} labels for ${testRows} test rows`);
  const interpretation = parseInterpretation(
    readFileSync(path.join(dir, "interpretation_label", `${name}.txt`), "utf8"),
    SMD_COLUMNS,
  );
  return {
    name,
    trainFile,
    testFile,
    trainText,
    testText,
    train,
    test,
    trainRows: train.length / SMD_COLUMNS,
    testRows,
    labels,
    interpretation,
  };
}

export function loadSmd(dir = SMD_DIR): SmdMachine[] {
  if (!existsSync(dir))
    throw new Error(
      `SMD data not found at ${dir}: set SMD_DIR to the folder holding train/, test/, test_label/`,
    );
  return SMD_MACHINES.map((m) => loadSmdMachine(m, dir));
}
