/**
 * `npm run bench -- false-alarms`: how often the host detector flags healthy hosts of the fixture
 * fleet (test/support/fleet-fixture.ts: node_exporter's real label sets, daily waves and noise, no
 * burst). A real Prometheus is backfilled with 8 days at one minute; the models train as the service
 * trains them on the 7 days before the last day, then the last day is scored minute by minute as the
 * scan scores it (each point with the 65 minutes before it). Findings = runs of flagged minutes.
 */
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { DEFAULT_FALSE_ALARMS_PER_DAY } from "../src/anomaly/alarm-budget.js";
import { AnomalyService } from "../src/anomaly/anomaly-service.js";
import { AnomalyStore } from "../src/anomaly/anomaly-store.js";
import { fetchFeatures } from "../src/anomaly/feature-fetch.js";
import { type HostSeries, scoreLatest, toScoringModel } from "../src/anomaly/host-detector.js";
import { PrometheusClient } from "../src/metrics/prometheus-client.js";
import { writeFleet } from "../test/support/fleet-fixture.js";
import { startBackfilledPrometheus } from "../test/support/prometheus-process.js";

const HOSTS = 10;
const END = Math.floor(Date.UTC(2026, 0, 15, 12, 0, 0) / 1000);
const DAY = 86400;
/** Minutes of history each scored point gets, as the scan's window. */
const SCAN_ROWS = 65;
/** Score offsets from the default threshold, in decades: what other budgets would have flagged. */
const SHIFTS = [-1, -0.5, 0, 0.5, 1];

export async function fleetFalseAlarmsBench(): Promise<string> {
  const t0 = performance.now();
  const files = await writeFleet({ hosts: HOSTS, end: END, days: 8, stepSeconds: 60 });
  const prom = await startBackfilledPrometheus(files);
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const prefix = `bench-false-alarms-${process.pid}`;
  const store = new AnomalyStore(redis, prefix);
  try {
    const client = new PrometheusClient({
      environment: "bench",
      baseUrl: prom.url,
      timeoutMs: 60_000,
      retries: 1,
      cacheTtlMs: 0,
    });
    const trainedAt = END - DAY;
    const service = new AnomalyService(store, { now: () => trainedAt * 1000 });
    const trained = await service.train("bench", client);
    const models = await store.loadModels("bench");
    const day = await fetchFeatures(
      client,
      { start: trainedAt - SCAN_ROWS * 60, end: END, step: 60 },
      { rateWindowSeconds: 300 },
    );
    const counts = SHIFTS.map(() => 0);
    const allScores: number[] = [];
    let threshold = Number.NaN;
    let scored = 0;
    let flaggedMinutes = 0;
    const perHost: string[] = [];
    for (const [instance, series] of day.hosts) {
      const stored = models.get(instance);
      if (!stored) throw new Error(`no model for ${instance}`);
      const model = toScoringModel(stored);
      const inRun = SHIFTS.map(() => false);
      let hostFindings = 0;
      for (let i = SCAN_ROWS; i < day.times.length; i++) {
        const from = i - SCAN_ROWS;
        const window: HostSeries = series.map((c) => c.subarray(from, i + 1));
        const s = scoreLatest(model, window, day.times.subarray(from, i + 1));
        if (!s) continue;
        scored++;
        allScores.push(s.score);
        threshold = s.threshold;
        if (s.anomalous) flaggedMinutes++;
        SHIFTS.forEach((shift, k) => {
          const flagged = s.score >= s.threshold + shift;
          if (flagged && !inRun[k]) {
            counts[k] = (counts[k] as number) + 1;
            if (shift === 0) hostFindings++;
          }
          inRun[k] = flagged;
        });
      }
      perHost.push(`${instance.split(":")[0]} ${hostFindings}`);
    }
    const hostDays = scored / 1440;
    allScores.sort((a, b) => a - b);
    const q = (p: number) =>
      (allScores[Math.min(allScores.length - 1, Math.floor(p * allScores.length))] ?? Number.NaN).toFixed(2);
    const lines = [
      `${HOSTS} healthy hosts, 8 days at one minute; trained on 7 days (${trained.hosts} models), the last day scored every minute (${scored} host-minutes, ${hostDays.toFixed(1)} host-days). Budget ${DEFAULT_FALSE_ALARMS_PER_DAY} findings per host per day.`,
      "",
      "| threshold | findings | per host per day |",
      "|---|---:|---:|",
      ...SHIFTS.map(
        (shift, k) =>
          `| default ${shift === 0 ? "" : shift > 0 ? `+ ${shift}` : `− ${-shift}`} | ${counts[k]} | ${((counts[k] as number) / hostDays).toFixed(2)} |`,
      ),
      "",
      `Flagged minutes at the default: ${flaggedMinutes} of ${scored}. Findings per host: ${perHost.join(", ")}.`,
      `Scores (rarity, decades): median ${q(0.5)}, 99th percentile ${q(0.99)}, 99.9th ${q(0.999)}, highest ${q(1)}; default threshold ${threshold.toFixed(2)} (expected share of scans at or above it on a calibrated healthy host: ${(10 ** -threshold).toExponential(1)}).`,
      `Run ${((performance.now() - t0) / 1000).toFixed(0)} s (fixture, backfill, training, scoring).`,
    ];
    return lines.join("\n");
  } finally {
    await store.clear("bench");
    redis.disconnect();
    await prom.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  fleetFalseAlarmsBench().then((s) => process.stdout.write(`${s}\n`));
}
