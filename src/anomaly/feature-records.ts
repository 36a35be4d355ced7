/**
 * Recording rules for the 18 host features (prometheus/rules/cloudops-features.yml, generated from
 * FEATURES by scripts/feature-rules.ts). With them, Prometheus computes each feature once a minute
 * as it ingests, and a week of a fleet is a plain read instead of 774 rate() evaluations.
 *
 * Names follow Prometheus's `level:metric:operations` convention: the level is `instance` (every
 * feature is aggregated `by (instance)`), the metric is `cloudops_<feature>` (prefixed so it never
 * collides with other rules), and the operation is `rate5m` for features computed from counters with
 * the 5-minute rate window, else `percent`, `ratio` or `sum` after what the expression yields.
 */
import { FEATURES, type FeatureSpec, featureQuery } from "./features.js";

/** The rule group's name, in every rule file and PrometheusRule it is deployed with. */
export const FEATURE_RULE_GROUP = "cloudops-features";
/** How often the group is evaluated; finer fetch steps read raw queries. */
export const FEATURE_RULE_INTERVAL_SECONDS = 60;
/** The rate window the rules use: the anomaly engine's, in training and scans alike. */
export const RECORDED_RATE_WINDOW_SECONDS = 300;

function operation(spec: FeatureSpec): string {
  if (spec.expr.includes("$W")) return `rate${RECORDED_RATE_WINDOW_SECONDS / 60}m`;
  if (spec.unit === "percent") return "percent";
  if (spec.unit === "ratio") return "ratio";
  return "sum";
}

/** The recorded series' name for a feature, e.g. `instance:cloudops_cpu_user:rate5m`. */
export function recordName(spec: FeatureSpec): string {
  return `instance:cloudops_${spec.name}:${operation(spec)}`;
}

export interface RecordingRule {
  record: string;
  expr: string;
}

/** One recording rule per feature: exactly the PromQL of FEATURES with the 5-minute rate window. */
export function featureRecordingRules(): RecordingRule[] {
  return FEATURES.map((spec) => ({
    record: recordName(spec),
    expr: featureQuery(spec, RECORDED_RATE_WINDOW_SECONDS),
  }));
}
