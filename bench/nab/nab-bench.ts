/**
 * NAB quality: every shipped series scored by the streaming detector (one configuration for all
 * files), then the NAB scoring rules with the threshold swept per profile.
 * `npx tsx bench/nab/nab-bench.ts --files` also prints the per-file standard score at its threshold.
 */
import { performance } from "node:perf_hooks";
import { scoreSeries } from "../../src/anomaly/streaming-detector.js";
import { loadNab } from "./nab-data.js";
import { fileScore, PROFILES, type ScoredFile, sweep } from "./nab-scoring.js";

export async function nabBench(perFile = false): Promise<string> {
  const series = loadNab();
  const t0 = performance.now();
  const files: ScoredFile[] = series.map((s) => ({
    name: s.name,
    scores: scoreSeries(s.values),
    windows: s.windows,
  }));
  const seconds = (performance.now() - t0) / 1000;
  const rows = series.reduce((n, s) => n + s.values.length, 0);
  const windows = files.reduce((n, f) => n + f.windows.length, 0);
  const lines = [
    `${files.length} files, ${rows} rows, ${windows} windows; detector ${seconds.toFixed(1)} s (${Math.round(rows / seconds)} rows/s).`,
    "",
    "| profile | score | threshold |",
    "|---|---:|---:|",
  ];
  const results = PROFILES.map((p) => sweep(files, p));
  for (const r of results) lines.push(`| ${r.profile} | ${r.normalised.toFixed(1)} | ${r.threshold} |`);
  if (perFile) {
    const std = results[0];
    const p = PROFILES[0];
    if (std && p) {
      lines.push("", "| file | windows | standard raw |", "|---|---:|---:|");
      for (const f of files)
        lines.push(`| ${f.name} | ${f.windows.length} | ${fileScore(f, std.threshold, p).toFixed(2)} |`);
    }
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  nabBench(process.argv.includes("--files")).then((s) => process.stdout.write(`${s}\n`));
}
