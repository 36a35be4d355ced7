/**
 * `npm run bench -- cli`: the built `cloudops` command's start-up, wall time per run as a user sees
 * it (process start to exit), and the choice of `cloudops detect`'s default threshold: precision and
 * recall of the anomaly column on the NAB files shipped in data/nab, threshold by threshold.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { DEFAULT_SERIES_THRESHOLD } from "../src/anomaly/detect-csv.js";
import { scoreSeries } from "../src/anomaly/streaming-detector.js";
import { startFixturePrometheus } from "../test/support/node-fixture.js";
import { loadNab } from "./nab/nab-data.js";
import { fileScore, PROFILES, probationRows, type ScoredFile } from "./nab/nab-scoring.js";

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, "../dist/cli.js");
const RUNS = 10;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function timeRuns(args: string[], env: Record<string, string>): Promise<number[]> {
  await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }); // warm the file cache
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

async function startupTable(): Promise<string> {
  const prom = await startFixturePrometheus();
  try {
    const at = new Date(prom.end * 1000).toISOString();
    const env = { PROMETHEUS_URL: prom.url, LOG_LEVEL: "silent" };
    const cases: [string, string[]][] = [
      ["--version", ["--version"]],
      ["--help", ["--help"]],
      ["ask --help", ["ask", "--help"]],
      ['ask "cpu usage"', ["ask", "cpu usage", "--at", at]],
      ['ask "cpu trend last 1h" (with chart)', ["ask", "cpu trend last 1h", "--at", at]],
    ];
    const lines = [
      `Built \`dist/cli.js\`, ${RUNS} runs each after one warm-up, wall time from spawn to exit; \`ask\` against the fixture Prometheus (3 hosts), no LLM provider.`,
      "",
      "| command | median ms | p90 ms | min ms |",
      "|---|---:|---:|---:|",
    ];
    for (const [name, args] of cases) {
      const t = await timeRuns(args, env);
      lines.push(
        `| \`cloudops ${name}\` | ${quantile(t, 0.5).toFixed(0)} | ${quantile(t, 0.9).toFixed(0)} | ${(t[0] ?? 0).toFixed(0)} |`,
      );
    }
    return lines.join("\n");
  } finally {
    await prom.stop();
  }
}

interface ThresholdRow {
  threshold: number;
  flagged: number;
  precision: number;
  recall: number;
  falsePerThousand: number;
  nab: number;
}

/**
 * Per threshold, after each file's probation rows: precision = flagged rows inside a labelled
 * window / flagged rows; recall = windows with at least one flagged row / windows; false flags per
 * 1,000 rows; and the NAB standard score.
 */
function thresholdRows(files: ScoredFile[], thresholds: number[]): ThresholdRow[] {
  const windows = files.reduce((n, f) => n + f.windows.length, 0);
  const standard = PROFILES[0];
  if (!standard) throw new Error("no NAB profile");
  return thresholds.map((threshold) => {
    let flagged = 0;
    let inside = 0;
    let detected = 0;
    let rows = 0;
    let raw = 0;
    for (const f of files) {
      const hit = new Set<number>();
      for (let i = probationRows(f.scores.length); i < f.scores.length; i++) {
        rows++;
        if ((f.scores[i] as number) < threshold) continue;
        flagged++;
        const w = f.windows.findIndex(([l, r]) => l <= i && i <= r);
        if (w >= 0) {
          inside++;
          hit.add(w);
        }
      }
      detected += hit.size;
      raw += fileScore(f, threshold, standard);
    }
    return {
      threshold,
      flagged,
      precision: flagged === 0 ? 0 : inside / flagged,
      recall: detected / windows,
      falsePerThousand: (1000 * (flagged - inside)) / rows,
      nab: (100 * (raw + standard.fn * windows)) / (standard.tp * windows + standard.fn * windows),
    };
  });
}

export function detectThresholdTable(): string {
  const files: ScoredFile[] = loadNab().map((s) => ({
    name: s.name,
    scores: scoreSeries(s.values),
    windows: s.windows,
  }));
  const thresholds = [
    0.8,
    0.9,
    0.95,
    0.98,
    0.99,
    0.9925,
    DEFAULT_SERIES_THRESHOLD,
    0.994,
    0.995,
    0.9965,
    0.998,
    0.999,
  ];
  const rows = thresholdRows(
    files,
    [...new Set(thresholds)].sort((a, b) => a - b),
  );
  const lines = [
    `\`cloudops detect FILE.csv\`'s anomaly column on the ${files.length} NAB files (${files.reduce((n, f) => n + f.windows.length, 0)} labelled windows), probation rows excluded. Default threshold ${DEFAULT_SERIES_THRESHOLD}.`,
    "",
    "| threshold | flagged rows | precision | window recall | F1 | false flags / 1,000 rows | NAB standard |",
    "|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const f1 = r.precision + r.recall === 0 ? 0 : (2 * r.precision * r.recall) / (r.precision + r.recall);
    const mark = r.threshold === DEFAULT_SERIES_THRESHOLD ? "**" : "";
    lines.push(
      `| ${mark}${r.threshold}${mark} | ${r.flagged} | ${r.precision.toFixed(2)} | ${r.recall.toFixed(2)} | ${f1.toFixed(2)} | ${r.falsePerThousand.toFixed(2)} | ${r.nab.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

export async function cliBench(): Promise<string> {
  return `${await startupTable()}\n\n${detectThresholdTable()}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  cliBench().then((s) => process.stdout.write(`${s}\n`));
}
