/**
 * Writes manifests/k8s/monitoring/prometheusrule.yaml: every group of every prometheus/rules/*.yml
 * (and *.yaml) as one PrometheusRule for the Prometheus Operator (`npm run k8s:prometheusrule`).
 * test/deploy/k8s.test.ts fails when the committed file differs from what this renders.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";

export const RULES_DIR = path.resolve(import.meta.dirname, "../prometheus/rules");
export const PROMETHEUSRULE_FILE = path.resolve(
  import.meta.dirname,
  "../manifests/k8s/monitoring/prometheusrule.yaml",
);

const HEADER = `# Generated from prometheus/rules/*.yml by scripts/k8s-prometheusrule.ts (npm run k8s:prometheusrule):
# edit those files, not this one. The Prometheus Operator loads it when its ruleSelector matches
# these labels (kube-prometheus-stack selects release: <its release name> by default: add that label).
`;

interface RuleGroup {
  name: string;
  rules: unknown[];
  [key: string]: unknown;
}

/** The rule files of `dir`, in name order (a new file is picked up without changing this script). */
export function ruleFiles(dir: string = RULES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

/** The PrometheusRule manifest (YAML text) holding every group of every rule file in `dir`. */
export function renderPrometheusRule(dir: string = RULES_DIR): string {
  const groups: RuleGroup[] = [];
  const seen = new Map<string, string>();
  for (const file of ruleFiles(dir)) {
    const doc = parse(readFileSync(path.join(dir, file), "utf8")) as { groups?: unknown } | null;
    if (!doc || !Array.isArray(doc.groups)) throw new Error(`prometheus/rules/${file}: no groups list`);
    for (const group of doc.groups as RuleGroup[]) {
      if (typeof group?.name !== "string" || !Array.isArray(group.rules))
        throw new Error(`prometheus/rules/${file}: every group needs a name and a rules list`);
      const other = seen.get(group.name);
      // Prometheus refuses two groups of one name in one rule file, which the PrometheusRule becomes.
      if (other) throw new Error(`rule group "${group.name}" is in both ${other} and ${file}`);
      seen.set(group.name, file);
      groups.push(group);
    }
  }
  const manifest = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: "cloudops-rules",
      labels: { "app.kubernetes.io/name": "cloudops", "app.kubernetes.io/component": "rules" },
    },
    spec: { groups },
  };
  return HEADER + stringify(manifest, { lineWidth: 0 });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = renderPrometheusRule();
  writeFileSync(PROMETHEUSRULE_FILE, text);
  process.stdout.write(
    `manifests/k8s/monitoring/prometheusrule.yaml: ${ruleFiles().length} rule files, ${
      (text.match(/^\s+- (alert|record):/gm) ?? []).length
    } rules\n`,
  );
}
