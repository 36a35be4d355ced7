/**
 * Anomaly scores as Prometheus gauges on the bot's /metrics, read from Redis at scrape time: workers
 * may run in other processes, and Grafana and alert rules see the same numbers the bot reports.
 */
import { Gauge, type Registry } from "prom-client";
import type { AnomalyStore } from "./anomaly-store.js";

export function registerAnomalyGauges(
  registry: Registry,
  store: AnomalyStore,
  environments: () => string[],
): void {
  const featureScore = new Gauge({
    name: "cloudops_anomaly_feature_score",
    help: "How far each feature is from the host's own baseline (0–1; 0.5 = 3 robust standard deviations).",
    labelNames: ["instance", "environment", "feature"],
    registers: [],
    collect: () => refresh(),
  });
  const threshold = new Gauge({
    name: "cloudops_anomaly_threshold",
    help: "Score above which the host's newest point counts as anomalous (from its training data).",
    labelNames: ["instance", "environment"],
    registers: [],
    collect: () => refresh(),
  });
  const lastScan = new Gauge({
    name: "cloudops_anomaly_last_scan_timestamp_seconds",
    help: "When the last anomaly scan of the environment completed.",
    labelNames: ["environment"],
    registers: [],
    collect: () => refresh(),
  });
  const scanError = new Gauge({
    name: "cloudops_anomaly_scan_failing",
    help: "1 when the environment's last anomaly job failed (reason in /api/v1/anomalies), else 0.",
    labelNames: ["environment"],
    registers: [],
    collect: () => refresh(),
  });
  const learning = new Gauge({
    name: "cloudops_anomaly_learning",
    help: "1 while the environment has too little history for a first model (see ANOMALY_MIN_HISTORY), else 0.",
    labelNames: ["environment"],
    registers: [],
    collect: () => refresh(),
  });
  // A scrape collects all metrics at once; the gauges share one read of Redis per scrape, and
  // each waits for it before its values are read.
  const score: Gauge<"instance" | "environment"> = new Gauge({
    name: "cloudops_anomaly_score",
    help: "Host detector score of each host's newest point: its rarity for the host in decades (4 is about one scan in 10,000); at or above the host's threshold is a finding.",
    labelNames: ["instance", "environment"],
    registers: [],
    collect: () => refresh(),
  });
  let pending: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    pending ??= fill().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const fill = async () => {
    for (const g of [score, featureScore, threshold, lastScan, scanError, learning]) g.reset();
    for (const environment of environments()) {
      const [latest, status] = await Promise.all([store.latest(environment), store.status(environment)]);
      for (const s of latest) {
        score.set({ instance: s.instance, environment }, s.score);
        threshold.set({ instance: s.instance, environment }, s.threshold);
        for (const d of s.deviations)
          featureScore.set({ instance: s.instance, environment, feature: d.feature }, d.score);
      }
      if (status.lastScanAt) lastScan.set({ environment }, status.lastScanAt / 1000);
      learning.set({ environment }, status.learning ? 1 : 0);
      scanError.set(
        { environment },
        status.lastError && (status.lastErrorAt ?? 0) > (status.lastScanAt ?? 0) ? 1 : 0,
      );
    }
  };
  for (const g of [score, featureScore, threshold, lastScan, scanError, learning]) registry.registerMetric(g);
}
