/**
 * The built `cloudops` command (dist/cli.js) for tests: they run what users run, and a built file
 * starts in a fraction of the time a TypeScript loader takes per case. `npm test` builds first;
 * run alone, a test builds when dist/cli.js is missing or older than a source file, one test file
 * at a time.
 */
import { execFile } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { until } from "../support/until.js";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
export const CLI = path.join(ROOT, "dist/cli.js");
const LOCK = path.join(ROOT, "dist/.cli-test-build.lock");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function fresh(): boolean {
  try {
    return statSync(CLI).mtimeMs >= newestSource(path.join(ROOT, "src"));
  } catch {
    return false;
  }
}

/** A lock older than this was left by a test run that was killed mid-build. */
const STALE_LOCK_MS = 180_000;

function tryLock(): boolean {
  try {
    if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { force: true });
  } catch {
    // no lock
  }
  try {
    closeSync(openSync(LOCK, "wx"));
    return true;
  } catch {
    return false;
  }
}

/** Builds dist/ unless it is current; returns the path of dist/cli.js. */
export async function builtCli(): Promise<string> {
  if (fresh()) return CLI;
  mkdirSync(path.dirname(LOCK), { recursive: true });
  // Another test file may be building: wait for its lock, then look again.
  await until("the other build of dist/ to finish", tryLock, 300_000, 200);
  try {
    if (!fresh()) {
      await run(
        process.execPath,
        [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
        {
          cwd: ROOT,
        },
      );
      await run(process.execPath, ["scripts/copy-assets.mjs"], { cwd: ROOT });
    }
  } finally {
    rmSync(LOCK, { force: true });
  }
  return CLI;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node [nodeArgs] dist/cli.js args` with LOG_LEVEL=silent plus `env`. */
export async function cloudops(
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<CliResult> {
  const started = performance.now();
  try {
    const r = await run(process.execPath, [...nodeArgs, CLI, ...args], {
      env: { ...process.env, LOG_LEVEL: "silent", ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - started };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === "number" ? err.code : -1,
      stdout: err.stdout ?? "",
      stderr: err.stderr ?? "",
      ms: performance.now() - started,
    };
  }
}
