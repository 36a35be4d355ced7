/**
 * prometheus/rules/cloudops-features.yml records exactly the features the anomaly engine computes:
 * the committed file is what scripts/feature-rules.ts renders from FEATURES, and each rule's
 * expression is the feature's own PromQL with the 5-minute rate window.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FEATURE_RULES_FILE, renderFeatureRules } from "../../scripts/feature-rules.js";
import { FEATURE_RULE_GROUP, recordName } from "../../src/anomaly/feature-records.js";
import { FEATURES, featureQuery } from "../../src/anomaly/features.js";

interface RuleFile {
  groups: { name: string; interval: string; rules: { record: string; expr: string }[] }[];
}

describe("the features' recording rules", () => {
  const committed = readFileSync(FEATURE_RULES_FILE, "utf8");

  it("are the file the generator renders from FEATURES", () => {
    // On a difference: npm run prometheus:feature-rules, then npm run k8s:prometheusrule, and commit both.
    expect(committed).toBe(renderFeatureRules());
  });

  it("record each feature's own PromQL with the 5-minute window, once a minute, under its own name", () => {
    const { groups } = parse(committed) as RuleFile;
    expect(groups.map((g) => [g.name, g.interval])).toEqual([[FEATURE_RULE_GROUP, "1m"]]);
    const rules = groups[0]?.rules ?? [];
    expect(rules.map((r) => r.expr)).toEqual(FEATURES.map((f) => featureQuery(f, 300)));
    expect(rules.map((r) => r.record)).toEqual(FEATURES.map(recordName));
    for (const r of rules) {
      expect(r.record).toMatch(/^instance:cloudops_[a-z0-9_]+:(rate5m|percent|ratio|sum)$/);
      // A plain rule expression: no window left to fill in.
      expect(r.expr).not.toContain("$W");
    }
    expect(new Set(rules.map((r) => r.record)).size).toBe(FEATURES.length);
    expect(recordName(FEATURES[0] as (typeof FEATURES)[number])).toBe("instance:cloudops_cpu_user:rate5m");
  });
});
