/**
 * `npm run bench`: runs the benchmarks and prints Markdown tables for BENCHMARKS.md, headed by the
 * machine and date. `npm run bench -- ask nab` runs some. The scale bench writes ~4 GB of temporary
 * files and takes several minutes.
 */
import os from "node:os";
import { alertsBench } from "./alerts-bench.js";
import { askBench } from "./ask-bench.js";
import { chaosBench } from "./chaos/chaos-bench.js";
import { chartBench } from "./chart-bench.js";
import { chartsBench } from "./charts-bench.js";
import { cliBench } from "./cli-bench.js";
import { compareBench } from "./compare/compare-bench.js";
import { fleetFalseAlarmsBench } from "./fleet-false-alarms.js";
import { forecastBench } from "./forecast/forecast-bench.js";
import { incidentsBench } from "./incidents/incidents-bench.js";
import { isolationForestBench } from "./isolation-forest-bench.js";
import { llmBench } from "./llm-bench.js";
import { nabBench } from "./nab/nab-bench.js";
import { nabCvBench } from "./nab/nab-cv.js";
import { scaleBench } from "./scale/scale-bench.js";
import { shardsBench } from "./shards/shards-bench.js";
import { slackBench } from "./slack-bench.js";
import { smdBench } from "./smd/run.js";
import { teamsBench } from "./teams-bench.js";

const BENCHES: Record<string, () => Promise<string>> = {
  ask: askBench,
  slack: slackBench,
  "isolation-forest": isolationForestBench,
  nab: () => nabBench(),
  "nab-cv": nabCvBench,
  smd: smdBench,
  "false-alarms": fleetFalseAlarmsBench,
  forecast: forecastBench,
  compare: () => compareBench(),
  scale: scaleBench,
  shards: shardsBench,
  chart: chartBench,
  charts: chartsBench,
  alerts: alertsBench,
  teams: teamsBench,
  llm: llmBench,
  cli: cliBench,
  incidents: incidentsBench,
  chaos: chaosBench,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  process.stdout.write(
    `Machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}\nDate: ${new Date().toISOString()}\n\n`,
  );
  for (const name of names) {
    const bench = BENCHES[name];
    if (!bench) throw new Error(`unknown benchmark "${name}" (known: ${Object.keys(BENCHES).join(", ")})`);
    process.stdout.write(`## ${name}\n\n${await bench()}\n\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
