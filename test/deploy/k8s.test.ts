/**
 * The Kubernetes manifests (manifests/k8s): each kustomization is rendered by `kubectl kustomize`
 * and every object is validated against the Kubernetes API schemas (kubernetes-models, and
 * @kubernetes-models/prometheus-operator for ServiceMonitor and PrometheusRule); then the properties
 * a deployment relies on are asserted one by one, and the settings are loaded by the bot's own
 * configuration code. KUBECTL names another kubectl binary.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type IPrometheusRule,
  type IServiceMonitor,
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { type INetworkPolicy, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { type IPodDisruptionBudget, PodDisruptionBudget } from "kubernetes-models/policy/v1";
import {
  ConfigMap,
  type IConfigMap,
  type IContainer,
  type ISecret,
  type IService,
  type IServiceAccount,
  Namespace,
  Secret,
  Service,
  ServiceAccount,
} from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import {
  PROMETHEUSRULE_FILE,
  RULES_DIR,
  renderPrometheusRule,
  ruleFiles,
} from "../../scripts/k8s-prometheusrule.js";
import { loadConfig } from "../../src/config/config.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const K8S = path.join(ROOT, "manifests/k8s");
const KUBECTL = process.env.KUBECTL ?? "kubectl";
const SECRET_NAME = "cloudops-secrets";
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string })
  .version;
const IMAGE = `ghcr.io/smart-cloudops-ai/cloudops:${VERSION}`;
/** Variable names that hold secrets: never in a ConfigMap or a literal env value. */
const SECRET_NAME_PATTERN = /TOKEN|SECRET|PASSWORD|KEY/;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

// The schemas the rendered objects are checked against, by apiVersion and kind.
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
};

/** Throws unless `obj` is a known kind that satisfies its API schema. */
function validate(obj: K8sObject): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name})`);
  new Model(obj as never).validate();
  if (typeof obj.metadata?.name !== "string" || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(obj.metadata.name))
    throw new Error(`${obj.kind} has no valid metadata.name`);
}

/** The objects `kubectl kustomize dir` renders. */
function render(dir: string, kubectl = KUBECTL): K8sObject[] {
  let out: string;
  try {
    out = execFileSync(kubectl, ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new Error(
        `kubectl is not installed ("${kubectl}" not found): install Debian's kubernetes-client (scripts/test.sh does) or set KUBECTL`,
      );
    throw new Error(
      `${kubectl} kustomize ${path.relative(ROOT, dir)} failed: ${(e as { stderr?: string }).stderr ?? e}`,
    );
  }
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const only = <T>(objects: K8sObject[], kind: string, name?: string): T => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ""}, found ${found.length}`);
  return found[0] as T;
};
const all = <T>(objects: K8sObject[], kind: string): T[] => objects.filter((o) => o.kind === kind) as T[];

/** Whether a selector's labels are all among `labels`. */
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const podLabels = (d: IDeployment) => d.spec?.template.metadata?.labels;
const containersOf = (d: IDeployment): IContainer[] => d.spec?.template.spec?.containers ?? [];
const deploymentRunning = (objects: K8sObject[], verb: string): IDeployment => {
  const found = all<IDeployment>(objects, "Deployment").filter((d) =>
    containersOf(d).some((c) => c.args?.join(" ") === `node dist/cli.js ${verb}`),
  );
  if (found.length !== 1) throw new Error(`expected one Deployment running "${verb}", found ${found.length}`);
  return found[0] as IDeployment;
};

/** Variable names .env.example documents: every setting the bot reads. */
const KNOWN_VARIABLES = new Set(
  [...readFileSync(path.join(ROOT, ".env.example"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map(
    (m) => m[1],
  ),
);

const secretTemplate = parse(readFileSync(path.join(K8S, "base/secret.example.yaml"), "utf8")) as K8sObject &
  ISecret;

const TARGETS = {
  base: { dir: "base", namespace: undefined, environments: undefined },
  single: { dir: "overlays/single", namespace: "cloudops", environments: ["default"] },
  "prod-staging": { dir: "overlays/prod-staging", namespace: "cloudops", environments: ["prod", "staging"] },
} as const;

const rendered = new Map<string, K8sObject[]>();
beforeAll(() => {
  for (const [name, t] of Object.entries(TARGETS)) rendered.set(name, render(path.join(K8S, t.dir)));
  rendered.set("monitoring", render(path.join(K8S, "monitoring")));
});
const objectsOf = (name: string): K8sObject[] => {
  const objects = rendered.get(name);
  if (!objects) throw new Error(`${name} was not rendered`);
  return objects;
};

describe("the validator", () => {
  const deployment = (): K8sObject =>
    structuredClone(deploymentRunning(objectsOf("base"), "start")) as unknown as K8sObject;

  it("accepts the rendered bot Deployment as it is", () => {
    expect(() => validate(deployment())).not.toThrow();
  });

  it("refuses objects that break the schemas", () => {
    const wrongType = deployment() as K8sObject & IDeployment;
    (wrongType.spec as unknown as Record<string, unknown>).replicas = "two";
    expect(() => validate(wrongType)).toThrow(/replicas must be integer/);

    const noSelector = deployment() as K8sObject & IDeployment;
    delete (noSelector.spec as unknown as Record<string, unknown>).selector;
    expect(() => validate(noSelector)).toThrow(/selector/);

    const portName = deployment() as K8sObject & IDeployment;
    const c = portName.spec?.template.spec?.containers[0] as unknown as { ports: Record<string, unknown>[] };
    (c.ports[0] as Record<string, unknown>).containerPort = "http";
    expect(() => validate(portName)).toThrow(/containerPort must be integer/);

    const monitor = structuredClone(only<K8sObject>(objectsOf("monitoring"), "ServiceMonitor"));
    (
      (monitor.spec as { endpoints: Record<string, unknown>[] }).endpoints[0] as Record<string, unknown>
    ).port = 3000;
    expect(() => validate(monitor)).toThrow(/port must be string/);

    const hpa = structuredClone(only<K8sObject>(objectsOf("base"), "HorizontalPodAutoscaler"));
    (hpa.spec as Record<string, unknown>).maxReplicas = "ten";
    expect(() => validate(hpa)).toThrow(/maxReplicas/);

    expect(() => validate({ apiVersion: "apps/v1", kind: "Deploymnet", metadata: { name: "x" } })).toThrow(
      /no schema/,
    );
  });

  it("says kubectl is missing when it is", () => {
    expect(() => render(path.join(K8S, "base"), "kubectl-not-installed-here")).toThrow(
      /kubectl is not installed.*kubernetes-client/,
    );
  });
});

describe.each(Object.entries(TARGETS))("kustomization %s", (name, target) => {
  const objects = () => objectsOf(name);

  it("renders objects that all satisfy the Kubernetes API schemas", () => {
    const kinds = objects()
      .map((o) => o.kind)
      .sort();
    expect(kinds).toEqual([
      "ConfigMap",
      "Deployment",
      "Deployment",
      "HorizontalPodAutoscaler",
      "NetworkPolicy",
      "NetworkPolicy",
      "PodDisruptionBudget",
      "PodDisruptionBudget",
      "Service",
      "ServiceAccount",
    ]);
    for (const o of objects()) expect(() => validate(o), `${o.kind} ${o.metadata.name}`).not.toThrow();
  });

  it("puts every object in the overlay's namespace (none in the base)", () => {
    for (const o of objects())
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(target.namespace);
  });

  it("renders no Secret, and no secret value in a ConfigMap or an env literal", () => {
    expect(all(objects(), "Secret")).toEqual([]);
    const cm = only<IConfigMap>(objects(), "ConfigMap");
    for (const key of Object.keys(cm.data ?? {})) expect(key).not.toMatch(SECRET_NAME_PATTERN);
    for (const d of all<IDeployment>(objects(), "Deployment"))
      for (const c of containersOf(d))
        for (const e of c.env ?? [])
          expect(e.value === undefined || !SECRET_NAME_PATTERN.test(e.name)).toBe(true);
  });

  it("runs every container with limits, as the image's non-root user, read-only, without privileges", () => {
    const deployments = all<IDeployment>(objects(), "Deployment");
    expect(deployments).toHaveLength(2);
    for (const d of deployments) {
      const pod = d.spec?.template.spec;
      expect(pod?.securityContext?.runAsNonRoot).toBe(true);
      expect(pod?.securityContext?.runAsUser).toBe(1000);
      expect(pod?.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
      expect(pod?.automountServiceAccountToken).toBe(false);
      const sa = only<IServiceAccount>(objects(), "ServiceAccount", pod?.serviceAccountName);
      expect(sa.automountServiceAccountToken).toBe(false);
      for (const c of containersOf(d)) {
        const where = `${d.metadata?.name}/${c.name}`;
        expect(c.image, where).toBe(IMAGE);
        expect(c.resources?.limits?.cpu, where).toBeTruthy();
        expect(c.resources?.limits?.memory, where).toBeTruthy();
        expect(c.resources?.requests?.cpu, where).toBeTruthy();
        expect(c.resources?.requests?.memory, where).toBeTruthy();
        expect(c.securityContext?.runAsNonRoot, where).toBe(true);
        expect(c.securityContext?.allowPrivilegeEscalation, where).toBe(false);
        expect(c.securityContext?.readOnlyRootFilesystem, where).toBe(true);
        expect(c.securityContext?.capabilities?.drop, where).toEqual(["ALL"]);
        const tmp = c.volumeMounts?.find((m) => m.mountPath === "/tmp");
        expect(pod?.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, where).toBeDefined();
        // Both read the settings and the Secret the deployment is told to create.
        const cm = only<IConfigMap>(objects(), "ConfigMap");
        expect(c.envFrom?.map((f) => f.configMapRef?.name ?? f.secretRef?.name)).toEqual([
          cm.metadata?.name,
          SECRET_NAME,
        ]);
      }
    }
  });

  it("matches every selector to its pods' labels", () => {
    const deployments = all<IDeployment>(objects(), "Deployment");
    for (const d of deployments) expect(selects(d.spec?.selector.matchLabels, podLabels(d))).toBe(true);
    const [a, b] = deployments.map(podLabels);
    // The bot's selectors must not take the worker's pods, and the other way round.
    expect(selects(deployments[0]?.spec?.selector.matchLabels, b)).toBe(false);
    expect(selects(deployments[1]?.spec?.selector.matchLabels, a)).toBe(false);
  });

  it("serves the bot: two replicas rolled without downtime, spread, a PDB, probes on its HTTP port", () => {
    const bot = deploymentRunning(objects(), "start");
    expect(bot.spec?.replicas).toBe(2);
    expect(bot.spec?.strategy?.type).toBe("RollingUpdate");
    expect(bot.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    const pod = bot.spec?.template.spec;
    const spread = pod?.topologySpreadConstraints ?? [];
    expect(spread.length + (pod?.affinity?.podAntiAffinity ? 1 : 0)).toBeGreaterThan(0);
    for (const s of spread) expect(selects(s.labelSelector?.matchLabels, podLabels(bot))).toBe(true);

    const pdbs = all<IPodDisruptionBudget>(objects(), "PodDisruptionBudget").filter((p) =>
      selects(p.spec?.selector?.matchLabels, podLabels(bot)),
    );
    expect(pdbs).toHaveLength(1);
    expect(pdbs[0]?.spec?.minAvailable).toBe(1);

    const cm = only<IConfigMap>(objects(), "ConfigMap");
    const [c] = containersOf(bot);
    const http = c?.ports?.find((p) => p.name === "http");
    expect(http?.containerPort).toBe(Number(cm.data?.PORT));
    expect(c?.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "http" });
    expect(c?.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: "http" });
    expect(c?.env).toContainEqual({ name: "ANOMALY_ENABLED", value: "false" });

    // The Service reaches the bot's named container port, and only the bot's pods.
    const svc = only<IService>(objects(), "Service");
    expect(selects(svc.spec?.selector, podLabels(bot))).toBe(true);
    expect(selects(svc.spec?.selector, podLabels(deploymentRunning(objects(), "worker")))).toBe(false);
    expect(svc.spec?.ports).toHaveLength(1);
    expect(svc.spec?.ports?.[0]).toMatchObject({ name: "http", port: 80, targetPort: "http" });
  });

  it("scales the worker with an HPA on CPU and probes its health port", () => {
    const worker = deploymentRunning(objects(), "worker");
    const hpa = only<IHorizontalPodAutoscaler>(objects(), "HorizontalPodAutoscaler");
    expect(hpa.spec?.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: worker.metadata?.name,
    });
    expect(hpa.spec?.minReplicas).toBe(2);
    expect(hpa.spec?.maxReplicas).toBe(10);
    expect(hpa.spec?.metrics).toContainEqual(
      expect.objectContaining({
        type: "Resource",
        resource: expect.objectContaining({
          name: "cpu",
          target: expect.objectContaining({ type: "Utilization" }),
        }),
      }),
    );
    // The HPA owns the replica count: a replica count here would reset it at every apply.
    expect(worker.spec?.replicas).toBeUndefined();
    const [c] = containersOf(worker);
    const port = Number(c?.env?.find((e) => e.name === "WORKER_HEALTH_PORT")?.value);
    expect(c?.ports?.find((p) => p.name === "health")?.containerPort).toBe(port);
    expect(c?.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "health" });
    expect(c?.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: "health" });
  });

  it("lets in only the pods' own ports and out only DNS, Redis, Prometheus, Alertmanager and HTTPS", () => {
    const policies = all<INetworkPolicy>(objects(), "NetworkPolicy");
    for (const [verb, port] of [
      ["start", 3000],
      ["worker", 3001],
    ] as const) {
      const d = deploymentRunning(objects(), verb);
      const mine = policies.filter((p) => selects(p.spec?.podSelector?.matchLabels, podLabels(d)));
      expect(mine).toHaveLength(1);
      const p = mine[0]?.spec;
      expect(p?.policyTypes).toEqual(["Ingress", "Egress"]);
      expect(p?.ingress?.flatMap((r) => r.ports ?? []).map((x) => x.port)).toEqual([port]);
      expect(p?.ingress?.every((r) => r.ports?.length)).toBe(true);
      const out = p?.egress?.flatMap((r) => (r.ports ?? []).map((x) => `${x.protocol}/${x.port}`)) ?? [];
      expect(p?.egress?.every((r) => r.ports?.length)).toBe(true);
      for (const needed of ["UDP/53", "TCP/53", "TCP/6379", "TCP/9090", "TCP/443"])
        expect(out).toContain(needed);
      expect(
        out.filter((x) => !["UDP/53", "TCP/53", "TCP/6379", "TCP/9090", "TCP/9093", "TCP/443"].includes(x)),
      ).toEqual([]);
    }
  });

  it("holds settings the bot's configuration accepts", () => {
    const cm = only<IConfigMap>(objects(), "ConfigMap");
    for (const key of Object.keys(cm.data ?? {})) expect(KNOWN_VARIABLES.has(key), key).toBe(true);
    for (const verb of ["start", "worker"]) {
      const [c] = containersOf(deploymentRunning(objects(), verb));
      const env: Record<string, string> = { ...cm.data, API_TOKENS: `ci:${"a".repeat(32)}` };
      for (const e of c?.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
      const config = loadConfig(env);
      expect(config.host).toBe("0.0.0.0");
      if (target.environments) expect(config.environments.map((e) => e.name)).toEqual(target.environments);
    }
  });
});

describe("the Secret template", () => {
  it("is a valid Secret, holds no value, names only known settings and is not rendered by default", () => {
    expect(() => validate(secretTemplate)).not.toThrow();
    expect(secretTemplate.metadata.name).toBe(SECRET_NAME);
    const keys = Object.keys(secretTemplate.stringData ?? {});
    expect(keys).toEqual(
      expect.arrayContaining(["API_TOKENS", "METRICS_TOKEN", "ALERTMANAGER_WEBHOOK_TOKEN"]),
    );
    for (const key of keys) {
      expect(KNOWN_VARIABLES.has(key), key).toBe(true);
      expect(secretTemplate.stringData?.[key], key).toBe("");
    }
    expect(secretTemplate.data).toBeUndefined();
    const base = readFileSync(path.join(K8S, "base/kustomization.yaml"), "utf8");
    expect(base).not.toMatch(/^\s*-\s*secret\.example\.yaml/m);
    // Settings and secrets do not overlap: a key in both would be set by whichever comes last.
    const cm = only<IConfigMap>(objectsOf("base"), "ConfigMap");
    expect(keys.filter((k) => k in (cm.data ?? {}))).toEqual([]);
  });
});

describe("monitoring", () => {
  const objects = () => objectsOf("monitoring");

  it("renders a ServiceMonitor and a PrometheusRule that satisfy the operator's schemas", () => {
    expect(
      objects()
        .map((o) => o.kind)
        .sort(),
    ).toEqual(["PrometheusRule", "ServiceMonitor"]);
    for (const o of objects()) expect(() => validate(o), o.kind).not.toThrow();
  });

  it("scrapes the bot Service's http port with METRICS_TOKEN from the Secret", () => {
    const monitor = only<IServiceMonitor>(objects(), "ServiceMonitor");
    const svc = only<IService>(objectsOf("base"), "Service");
    expect(selects(monitor.spec.selector.matchLabels, svc.metadata?.labels)).toBe(true);
    const [endpoint] = monitor.spec.endpoints ?? [];
    expect(svc.spec?.ports?.map((p) => p.name)).toContain(endpoint?.port);
    expect(endpoint?.path).toBe("/metrics");
    expect(endpoint?.authorization).toEqual({
      type: "Bearer",
      credentials: { name: SECRET_NAME, key: "METRICS_TOKEN" },
    });
    expect(Object.keys(secretTemplate.stringData ?? {})).toContain("METRICS_TOKEN");
  });

  it("holds exactly the rules of prometheus/rules (the committed file is the generated one)", () => {
    const committed = readFileSync(PROMETHEUSRULE_FILE, "utf8");
    // On a difference: npm run k8s:prometheusrule, and commit the file.
    expect(committed).toBe(renderPrometheusRule());
    const rule = only<IPrometheusRule>(objects(), "PrometheusRule");
    const groups = ruleFiles().flatMap(
      (f) => (parse(readFileSync(path.join(RULES_DIR, f), "utf8")) as { groups: unknown[] }).groups,
    );
    expect(rule.spec.groups).toEqual(groups);
  });

  describe("the generator", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), "cloudops-rules-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("takes every rule file, in name order, and refuses a group name used twice", () => {
      writeFileSync(
        path.join(dir, "b.yml"),
        "groups:\n  - name: second\n    rules:\n      - alert: B\n        expr: up == 0\n",
      );
      writeFileSync(
        path.join(dir, "a.yaml"),
        "groups:\n  - name: first\n    rules:\n      - record: r:a\n        expr: sum(up)\n",
      );
      writeFileSync(path.join(dir, "notes.txt"), "not rules");
      const rule = parse(renderPrometheusRule(dir)) as IPrometheusRule;
      expect(rule.spec.groups?.map((g) => g.name)).toEqual(["first", "second"]);
      expect(() => validate(rule as unknown as K8sObject)).not.toThrow();
      writeFileSync(
        path.join(dir, "c.yml"),
        "groups:\n  - name: first\n    rules:\n      - alert: C\n        expr: up == 0\n",
      );
      expect(() => renderPrometheusRule(dir)).toThrow(/"first" is in both a\.yaml and c\.yml/);
    });
  });
});
