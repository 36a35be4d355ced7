/**
 * Anomaly engine at fleet scale: 1,000 hosts × 18 features × 2,016 points (7 days at 5 min) in a real
 * Prometheus backfilled with promtool, then fetch, train and score, measured in a child process.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { startBackfilledPrometheus } from "../../test/support/prometheus-process.js";

const run = promisify(execFile);
const HOSTS = Number(process.env.BENCH_SCALE_HOSTS ?? 1000);

async function tsx(script: string, args: string[]): Promise<string> {
  const r = await run(process.execPath, ["--import", "tsx", script, ...args], { maxBuffer: 64 * 2 ** 20 });
  return r.stdout;
}

interface RunResult {
  hosts: number;
  scored: number;
  anomalous: string[];
  stages: { stage: string; seconds: number; peakRssMb: number; queries?: number }[];
  maxRssMb: number;
}

export async function scaleBench(): Promise<string> {
  const end = Math.floor(Date.UTC(2026, 0, 15) / 1000);
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-scale-"));
  try {
    let t0 = performance.now();
    const files = JSON.parse(
      await tsx("bench/scale/scale-fixture.ts", [dir, String(HOSTS), String(end)]),
    ) as string[];
    const writeSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const prom = await startBackfilledPrometheus(files);
    const backfillSeconds = (performance.now() - t0) / 1000;
    rmSync(dir, { recursive: true, force: true });
    try {
      const r = JSON.parse(
        await tsx("bench/scale/scale-run.ts", [
          prom.url,
          String(end),
          process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        ]),
      ) as RunResult;
      const lines = [
        `${r.hosts} hosts × 18 features × ${7 * 288 + 1} points; fixture written in ${writeSeconds.toFixed(0)} s and backfilled by promtool in ${backfillSeconds.toFixed(0)} s (not part of the scan).`,
        `Scored ${r.scored} hosts; flagged: ${r.anomalous.length === 0 ? "none" : r.anomalous.join(", ")} (the fixture's burst is on node-0001).`,
        "",
        "| stage | seconds | peak RSS MB | Prometheus queries |",
        "|---|---:|---:|---:|",
        ...r.stages.map(
          (s) => `| ${s.stage} | ${s.seconds.toFixed(2)} | ${s.peakRssMb.toFixed(0)} | ${s.queries ?? ""} |`,
        ),
        "",
        `Train + score: ${r.stages
          .filter((s) => s.stage.startsWith("train") || s.stage.endsWith("score"))
          .reduce((a, s) => a + s.seconds, 0)
          .toFixed(2)} s; process peak RSS ${r.maxRssMb.toFixed(0)} MB.`,
      ];
      return lines.join("\n");
    } finally {
      await prom.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  scaleBench().then((s) => process.stdout.write(`${s}\n`));
}
