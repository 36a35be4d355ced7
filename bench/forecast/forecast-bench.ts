/**
 * `npm run bench -- forecast`: the forecaster's rolling-origin accuracy on NAB and SMD against
 * seasonal naive and `predict_linear`, and time to full on generated disks.
 */
import { performance } from "node:perf_hooks";
import { accuracyTable, nabSeries, scoreSeries, smdSeries } from "./accuracy.js";
import { diskBench } from "./disks.js";

export async function forecastBench(): Promise<string> {
  const started = performance.now();
  const nab = nabSeries();
  const nabScores = nab.flatMap(scoreSeries);
  const nabSeconds = (performance.now() - started) / 1000;
  const smdStarted = performance.now();
  const smd = smdSeries();
  const smdScores = smd.flatMap(scoreSeries);
  const smdSeconds = (performance.now() - smdStarted) / 1000;
  const diskStarted = performance.now();
  const disks = diskBench();
  const diskSeconds = (performance.now() - diskStarted) / 1000;
  return [
    "MASE: mean absolute error over 4 origins spread over each series' second half, divided by the in-sample seasonal-naive (one day back) error; lower is better. \"Ours beats both\" counts series where our MASE is below both baselines'.",
    "",
    accuracyTable(`NAB, ${nab.length} series with 5-minute steps (${nabSeconds.toFixed(1)} s)`, nabScores),
    "",
    accuracyTable(
      `SMD, ${smd.length} columns (10 with the largest spread per machine, train + test, origins in the test half; ${smdSeconds.toFixed(1)} s)`,
      smdScores,
    ),
    "",
    `### Time to full on generated disks (14 days of 5-minute history, 7-day horizon, 90% intervals; ${diskSeconds.toFixed(1)} s)`,
    "",
    disks,
    "",
    `Run time: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  forecastBench().then((out) => process.stdout.write(`${out}\n`));
}
