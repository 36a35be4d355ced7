/**
 * Recorded series for a Prometheus that holds only raw data: promtool evaluates recording rules over
 * a past span against that Prometheus (range queries at the rules' interval) and writes the results
 * as TSDB blocks; a Prometheus started on the raw blocks plus these reads both.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A TSDB block's folder name (a ULID). */
const BLOCK = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Evaluates the recording rules of `ruleFiles` from `start` to `end` (seconds) against the Prometheus
 * at `url` and writes the blocks into `outputDir`.
 */
export async function backfillRules(
  url: string,
  ruleFiles: string[],
  range: { start: number; end: number },
  outputDir: string,
): Promise<void> {
  try {
    await run(
      "promtool",
      [
        "tsdb",
        "create-blocks-from",
        "rules",
        `--url=${url}`,
        `--start=${range.start}`,
        `--end=${range.end}`,
        `--output-dir=${outputDir}`,
        "--quiet",
        ...ruleFiles,
      ],
      { maxBuffer: 64 * 1024 * 1024, timeout: 1_800_000 },
    );
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`promtool rules backfill failed: ${(err.stderr ?? err.message).slice(-2000)}`);
  }
}

/** Copies the blocks (not the WAL or lock) of `from` into a new folder, or into `into`. */
export function copyBlocks(from: string, into = mkdtempSync(path.join(tmpdir(), "cloudops-prom-"))): string {
  for (const name of readdirSync(from)) {
    if (BLOCK.test(name)) cpSync(path.join(from, name), path.join(into, name), { recursive: true });
  }
  return into;
}

/** Moves the blocks of `from` into `into` and removes `from`. */
export function moveBlocks(from: string, into: string): void {
  copyBlocks(from, into);
  rmSync(from, { recursive: true, force: true });
}
