/**
 * Anomaly findings as alerts: an episode the detector opens fires an alert that says what moved
 * ("iowait 38% vs usual 2%"), and the episode's end resolves it.
 */
import { createHash } from "node:crypto";
import type { Finding, ScanChanges } from "../anomaly/anomaly-store.js";
import { describeDeviation, describeFlaggedBy, describeRarity } from "../assistant/answers/anomalies.js";
import type { Alert } from "./alert.js";

/** One fingerprint per host and environment: every episode of a host is the same alert firing again. */
export function anomalyFingerprint(environment: string, instance: string): string {
  return createHash("sha256")
    .update(`anomaly\u0000${environment}\u0000${instance}`)
    .digest("hex")
    .slice(0, 16);
}

function findingAlert(f: Finding, status: Alert["status"], now: number): Alert {
  const moved = f.deviations.slice(0, 3).map(describeDeviation);
  return {
    fingerprint: anomalyFingerprint(f.environment, f.instance),
    status,
    labels: {
      alertname: "HostAnomaly",
      instance: f.instance,
      environment: f.environment,
      severity: "warning",
    },
    annotations: {
      summary: moved.length ? `Unusual: ${moved.join(", ")}` : `Unusual behaviour on ${f.instance}`,
    },
    startsAt: f.at * 1000,
    ...(status === "resolved" ? { endsAt: now } : {}),
    source: "anomaly",
    value: `anomaly score ${f.score.toFixed(2)} (${describeRarity(f.score)}) vs threshold ${f.threshold.toFixed(2)}${f.flaggedBy?.length ? `; flagged for ${describeFlaggedBy(f)}` : ""}`,
  };
}

export function anomalyAlerts(changes: ScanChanges, now = Date.now()): Alert[] {
  return [
    ...changes.opened.map((f) => findingAlert(f, "firing", now)),
    ...changes.ended.map((f) => findingAlert(f, "resolved", now)),
  ];
}
