/**
 * Anomaly engine at fleet scale: 1,000 hosts × 18 features × 2,016 points (7 days at 5 min) in a real
 * Prometheus backfilled with promtool, then fetch, train and score, measured in a child process.
 *
 * Then the recording rules: promtool evaluates the features' recording rules (benchRulesFile) over
 * the week against that Prometheus, which is restarted over the raw and recorded blocks and left to merge them;
 * the child then times the week's and the scan window's fetch with raw queries and with the recorded
 * series (the service's own path). None of the setup is timed. BENCH_SCALE_HOSTS sets the fleet size.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { FEATURE_RULE_GROUP, recordName } from "../../src/anomaly/feature-records.js";
import { FEATURES, featureQuery } from "../../src/anomaly/features.js";
import {
  backfill,
  type PrometheusProcess,
  startPrometheus,
  waitForCompaction,
} from "../../test/support/prometheus-process.js";
import { backfillRules, moveBlocks } from "../../test/support/rules-backfill.js";

const run = promisify(execFile);
const HOSTS = Number(process.env.BENCH_SCALE_HOSTS ?? 1000);

async function tsx(script: string, args: string[]): Promise<string> {
  const r = await run(process.execPath, ["--import", "tsx", script, ...args], { maxBuffer: 64 * 2 ** 20 });
  return r.stdout;
}

/**
 * The recording rules the bench backfills: the production names and group, each feature's PromQL with
 * a 10-minute rate window. The fixture is sampled every 5 minutes (as when the raw figures were
 * measured), so a 5-minute window evaluated off the sample grid (the group's evaluation offset) holds
 * one sample and rate() gives nothing; real targets are scraped every 15 to 60 s. The fetch reads the
 * same series and samples either way (one per host and feature a minute), which is what is timed;
 * that the values equal the raw queries' is tested in test/anomaly/feature-source.test.ts.
 */
function benchRulesFile(dir: string): string {
  const file = path.join(dir, "cloudops-features.yml");
  const rules = FEATURES.map((f) => ({ record: recordName(f), expr: featureQuery(f, 600) }));
  writeFileSync(file, stringify({ groups: [{ name: FEATURE_RULE_GROUP, interval: "1m", rules }] }));
  return file;
}

interface Stage {
  stage: string;
  seconds: number;
  peakRssMb: number;
  queries?: number;
}

interface FetchResult {
  stages: Stage[];
  counts: Record<string, { hosts: number; points: number }>;
  /** What the service logged (its mode line). */
  logged: string[];
  maxRssMb: number;
}

/** Backfills the OpenMetrics files into `dataDir` (two promtool runs at a time), deleting each. */
async function backfillAll(files: string[], dataDir: string): Promise<void> {
  const queue = [...files];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      await backfill(f, dataDir);
      rmSync(f, { force: true });
    }
  };
  await Promise.all([worker(), worker()]);
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
  const dataDir = mkdtempSync(path.join(tmpdir(), "cloudops-prom-"));
  try {
    let t0 = performance.now();
    const files = JSON.parse(
      await tsx("bench/scale/scale-fixture.ts", [dir, String(HOSTS), String(end)]),
    ) as string[];
    const writeSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await backfillAll(files, dataDir);
    let prom: PrometheusProcess = await startPrometheus({ dataDir });
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
      // The recorded features over the week (and an hour before it, so the window's first point has
      // one), evaluated by promtool against this Prometheus; then a restart over both sets of blocks.
      t0 = performance.now();
      const ruleBlocks = mkdtempSync(path.join(tmpdir(), "cloudops-rules-"));
      await backfillRules(
        prom.url,
        [benchRulesFile(ruleBlocks)],
        { start: end - 7 * 86400 - 3600, end },
        ruleBlocks,
      );
      const rulesSeconds = (performance.now() - t0) / 1000;
      await prom.stop();
      moveBlocks(ruleBlocks, dataDir);
      prom = await startPrometheus({ dataDir });
      const merged = await waitForCompaction(prom.url);
      const f = JSON.parse(
        await tsx("bench/scale/scale-run.ts", [
          prom.url,
          String(end),
          process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
          "fetch",
        ]),
      ) as FetchResult;
      lines.push(
        "",
        `Recording rules: recorded over the week by promtool in ${rulesSeconds.toFixed(0)} s, merged by Prometheus into ${merged.blocks} blocks in ${merged.seconds.toFixed(0)} s after a restart (not timed). The service logged: ${f.logged.map((l) => `"${l}"`).join(", ") || "nothing"}.`,
        "",
        "| fetch | seconds | peak RSS MB | Prometheus queries | hosts | points with a value |",
        "|---|---:|---:|---:|---:|---:|",
        ...f.stages.map(
          (s) =>
            `| ${s.stage.replace(/^fetch /, "")} | ${s.seconds.toFixed(2)} | ${s.peakRssMb.toFixed(0)} | ${s.queries ?? ""} | ${f.counts[s.stage]?.hosts ?? ""} | ${f.counts[s.stage]?.points ?? ""} |`,
        ),
      );
      return lines.join("\n");
    } finally {
      await prom.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  scaleBench().then((s) => process.stdout.write(`${s}\n`));
}
