/**
 * Writes prometheus/rules/cloudops-features.yml: the recording rules of the 18 anomaly features,
 * generated from FEATURES (`npm run prometheus:feature-rules`). test/anomaly/feature-rules.test.ts
 * fails when the committed file differs from what this renders, so the rules and the code that reads
 * them cannot drift. After regenerating, run `npm run k8s:prometheusrule` too.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import {
  FEATURE_RULE_GROUP,
  FEATURE_RULE_INTERVAL_SECONDS,
  featureRecordingRules,
} from "../src/anomaly/feature-records.js";

export const FEATURE_RULES_FILE = path.resolve(
  import.meta.dirname,
  "../prometheus/rules/cloudops-features.yml",
);

const HEADER = `# Generated from FEATURES (src/anomaly/features.ts) by scripts/feature-rules.ts
# (npm run prometheus:feature-rules): edit those, not this file.
#
# The 18 host features the anomaly engine learns from, recorded once a minute per instance so that
# training and scans read stored series instead of evaluating rate() over a week of raw counters.
# The bot finds them by name (a feature without recorded series is read with its raw query, and so
# are the hours before the rules began) and says which it uses in one log line per environment:
# "features: recording rules" or "features: raw queries (recording rules not found)".
#
# Names follow the level:metric:operations convention: level "instance" (each feature is aggregated
# by instance), metric "cloudops_<feature>", operation "rate5m" for features computed from counters
# with a 5-minute rate window, else "percent", "ratio" or "sum" after what the expression yields.
# Expressions are exactly the bot's own, with the 5-minute window it uses in training and scans.
`;

/** The rule file's text. */
export function renderFeatureRules(): string {
  const doc = {
    groups: [
      {
        name: FEATURE_RULE_GROUP,
        interval: `${FEATURE_RULE_INTERVAL_SECONDS / 60}m`,
        rules: featureRecordingRules(),
      },
    ],
  };
  return HEADER + stringify(doc, { lineWidth: 0 });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(FEATURE_RULES_FILE, renderFeatureRules());
  process.stdout.write(`prometheus/rules/cloudops-features.yml: ${featureRecordingRules().length} rules\n`);
}
