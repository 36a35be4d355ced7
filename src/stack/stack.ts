/**
 * `cloudops stack up|down|status`: Redis, Prometheus, node_exporter and Alertmanager on 127.0.0.1,
 * data and logs under one folder. A service already answering on its port is reused, never started
 * twice; only processes the stack started are stopped.
 */

import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SERVICES, type ServiceName, type ServiceSpec } from "./services.js";

export interface StackOptions {
  /** Folder for data, logs, pid files and generated configs. */
  home: string;
  log: (line: string) => void;
  ports?: Partial<Record<ServiceName, number>>;
  /** Port of the bot, scraped by Prometheus. */
  botPort?: number;
  /** Prometheus scrape and rule evaluation interval (default that of prometheus/prometheus.yml, 15s). */
  scrapeInterval?: string;
  /** Alertmanager's group_wait and group_interval (default those of prometheus/alertmanager.yml). */
  alertTiming?: { groupWait: string; groupInterval: string };
}

export type ServiceState = "started" | "reused" | "running" | "running-external" | "stopped";

export interface ServiceStatus {
  name: ServiceName;
  port: number;
  state: ServiceState;
  pid?: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository's prometheus/ folder (src/stack → ../../prometheus, also from dist/stack). */
const PROMETHEUS_DIR = path.resolve(here, "../../prometheus");

function ports(opts: StackOptions): Record<ServiceName, number> {
  const out = {} as Record<ServiceName, number>;
  for (const s of SERVICES) out[s.name] = opts.ports?.[s.name] ?? s.defaultPort;
  return out;
}

async function answers(spec: ServiceSpec, port: number): Promise<boolean> {
  if (spec.ready === "redis") {
    return new Promise((resolve) => {
      const sock = connect({ host: "127.0.0.1", port });
      const done = (ok: boolean) => {
        sock.destroy();
        resolve(ok);
      };
      sock.setTimeout(1000, () => done(false));
      sock.on("error", () => done(false));
      sock.on("connect", () => sock.write("PING\r\n"));
      sock.on("data", (d) => done(d.toString().startsWith("+PONG")));
    });
  }
  try {
    const res = await fetch(`http://127.0.0.1:${port}${spec.ready}`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

function findBinary(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/usr/sbin"])) {
    const p = path.join(dir, binary);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function ensureBinary(spec: ServiceSpec, log: (l: string) => void): string {
  const found = findBinary(spec.binary);
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${spec.binary} is not installed: run "sudo apt-get install -y ${spec.pkg}" and try again`,
    );
  }
  log(`installing ${spec.pkg} with apt-get`);
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", spec.pkg], {
    stdio: "ignore",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  const installed = findBinary(spec.binary);
  if (!installed) throw new Error(`apt-get installed ${spec.pkg} but ${spec.binary} is still missing`);
  return installed;
}

function pidFile(home: string, name: ServiceName): string {
  return path.join(home, "pids", `${name}.pid`);
}

function readPid(home: string, name: ServiceName): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(home, name), "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Writes the configs the services read, with this stack's ports. */
function writeConfigs(
  home: string,
  p: Record<ServiceName, number>,
  botPort: number,
  scrapeInterval: string | undefined,
  alertTiming: StackOptions["alertTiming"],
): string {
  const dir = path.join(home, "config");
  mkdirSync(path.join(dir, "rules"), { recursive: true });
  const template = readFileSync(path.join(PROMETHEUS_DIR, "prometheus.yml"), "utf8");
  writeFileSync(
    path.join(dir, "prometheus.yml"),
    template
      .replaceAll("localhost:9090", `127.0.0.1:${p.prometheus}`)
      .replaceAll("prometheus:9090", `127.0.0.1:${p.prometheus}`)
      .replaceAll("node-exporter:9100", `127.0.0.1:${p.nodeExporter}`)
      .replaceAll("alertmanager:9093", `127.0.0.1:${p.alertmanager}`)
      .replaceAll("cloudops:3000", `127.0.0.1:${botPort}`)
      .replace(/scrape_interval: \S+/, (m) => (scrapeInterval ? `scrape_interval: ${scrapeInterval}` : m))
      .replace(/evaluation_interval: \S+/, (m) =>
        scrapeInterval ? `evaluation_interval: ${scrapeInterval}` : m,
      ),
  );
  const rulesDir = path.join(PROMETHEUS_DIR, "rules");
  for (const f of existsSync(rulesDir) ? readdirSync(rulesDir) : []) {
    writeFileSync(path.join(dir, "rules", f), readFileSync(path.join(rulesDir, f)));
  }
  // The webhook's shared secret: Alertmanager reads it beside its config (credentials_file), the bot
  // from ALERTMANAGER_WEBHOOK_TOKEN_FILE. Made once, kept across restarts, readable by this user only.
  const tokenFile = path.join(dir, WEBHOOK_TOKEN_FILE);
  if (!existsSync(tokenFile))
    writeFileSync(tokenFile, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  writeFileSync(
    path.join(dir, "alertmanager.yml"),
    readFileSync(path.join(PROMETHEUS_DIR, "alertmanager.yml"), "utf8")
      .replaceAll("cloudops:3000", `127.0.0.1:${botPort}`)
      .replace(/group_wait: \S+/, (m) => (alertTiming ? `group_wait: ${alertTiming.groupWait}` : m))
      .replace(/group_interval: \S+/, (m) =>
        alertTiming ? `group_interval: ${alertTiming.groupInterval}` : m,
      ),
  );
  return dir;
}

/** The file, in the stack's config folder, that holds the Alertmanager webhook token. */
export const WEBHOOK_TOKEN_FILE = "webhook-token";

export async function stackUp(opts: StackOptions): Promise<ServiceStatus[]> {
  const p = ports(opts);
  mkdirSync(path.join(opts.home, "pids"), { recursive: true });
  mkdirSync(path.join(opts.home, "logs"), { recursive: true });
  const configDir = writeConfigs(opts.home, p, opts.botPort ?? 3000, opts.scrapeInterval, opts.alertTiming);
  const out: ServiceStatus[] = [];
  for (const spec of SERVICES) {
    const port = p[spec.name];
    if (await answers(spec, port)) {
      const pid = readPid(opts.home, spec.name);
      out.push({ name: spec.name, port, state: "reused", pid });
      opts.log(
        `${spec.name.padEnd(13)} reused on 127.0.0.1:${port}${pid ? ` (pid ${pid})` : " (already running)"}`,
      );
      continue;
    }
    const binary = ensureBinary(spec, opts.log);
    const dataDir = path.join(opts.home, "data", spec.name);
    mkdirSync(dataDir, { recursive: true });
    const logFile = path.join(opts.home, "logs", `${spec.name}.log`);
    const fd = openSync(logFile, "a");
    const child = spawn(binary, spec.args({ port, dataDir, configDir, ports: p }), {
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    closeSync(fd);
    child.unref();
    if (!child.pid) throw new Error(`${spec.name} did not start; see ${logFile}`);
    writeFileSync(pidFile(opts.home, spec.name), String(child.pid));
    const deadline = Date.now() + 20_000;
    while (!(await answers(spec, port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        const tail = readFileSync(logFile, "utf8").split("\n").slice(-5).join("\n");
        throw new Error(`${spec.name} did not become ready on port ${port}; last log lines:\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    out.push({ name: spec.name, port, state: "started", pid: child.pid });
    opts.log(`${spec.name.padEnd(13)} started on 127.0.0.1:${port} (pid ${child.pid}, log ${logFile})`);
  }
  return out;
}

export async function stackStatus(opts: StackOptions): Promise<ServiceStatus[]> {
  const p = ports(opts);
  const out: ServiceStatus[] = [];
  for (const spec of SERVICES) {
    const port = p[spec.name];
    const pid = readPid(opts.home, spec.name);
    const up = await answers(spec, port);
    const state: ServiceState = up ? (pid ? "running" : "running-external") : "stopped";
    out.push({ name: spec.name, port, state, ...(pid ? { pid } : {}) });
    opts.log(`${spec.name.padEnd(13)} ${state.padEnd(16)} 127.0.0.1:${port}${pid ? ` pid ${pid}` : ""}`);
  }
  return out;
}

export async function stackDown(opts: StackOptions): Promise<ServiceStatus[]> {
  const p = ports(opts);
  const out: ServiceStatus[] = [];
  for (const spec of [...SERVICES].reverse()) {
    const pid = readPid(opts.home, spec.name);
    if (!pid) {
      out.push({ name: spec.name, port: p[spec.name], state: "stopped" });
      continue;
    }
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        break;
      }
    }
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
    rmSync(pidFile(opts.home, spec.name), { force: true });
    out.push({ name: spec.name, port: p[spec.name], state: "stopped", pid });
    opts.log(`${spec.name.padEnd(13)} stopped (pid ${pid})`);
  }
  return out;
}
