/**
 * A small noisy fleet for comparison answers: five hosts scraped every minute for two days, CPU and
 * memory wandering around known levels (AR(1) noise with memory, seeded), one host clearly busier
 * than the rest, two hosts at nearly the same level, and one host whose CPU steps up at a known
 * minute three hours before the end (a "deploy"). COMPARE_FIXTURE states the levels.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Labels, OpenMetricsWriter, writeByWindow } from "../support/openmetrics-writer.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";

const SCRAPE_S = 60;
const GiB = 1024 ** 3;

export interface CompareFixture {
  /** Last sample, a whole minute. */
  now: number;
  /** The minute web-1's CPU steps from `cpu` to `cpuAfter`. */
  changeAt: number;
  hosts: Record<string, { cpu: number; cpuAfter?: number; memory: number }>;
  /** Noise: standard deviation (points) and lag-one correlation of each minute's value. */
  noise: { sd: number; rho: number };
}

export function compareFixture(now: number): CompareFixture {
  return {
    now,
    changeAt: now - 3 * 3600,
    hosts: {
      "web-1": { cpu: 30, cpuAfter: 45, memory: 40 },
      "web-2": { cpu: 30, memory: 40 },
      "web-3": { cpu: 31, memory: 40.5 },
      "web-4": { cpu: 29, memory: 39 },
      "slow-1": { cpu: 75, memory: 70 },
    },
    noise: { sd: 2, rho: 0.8 },
  };
}

/** Seeded AR(1) noise with standard deviation `sd`, one value per index. */
function ar1Noise(n: number, rho: number, sd: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const normal = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u1 = (s + 1) / 2 ** 32;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u2 = (s + 1) / 2 ** 32;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  const out = new Float64Array(n);
  let x = sd * normal();
  const innovation = sd * Math.sqrt(1 - rho * rho);
  for (let i = 0; i < n; i++) {
    if (i > 0) x = rho * x + innovation * normal();
    out[i] = x;
  }
  return out;
}

function write(f: CompareFixture): { writer: OpenMetricsWriter; times: number[] } {
  const times: number[] = [];
  for (let t = f.now - 2 * 86400; t <= f.now; t += SCRAPE_S) times.push(t);
  const start = times[0] as number;
  const idx = (t: number) => Math.min(times.length - 1, Math.max(0, Math.round((t - start) / SCRAPE_S)));
  const w = new OpenMetricsWriter();
  Object.entries(f.hosts).forEach(([host, level], h) => {
    const node: Labels = { instance: `${host}:9100`, job: "node" };
    const cpuNoise = ar1Noise(times.length, f.noise.rho, f.noise.sd, 101 + h);
    const memNoise = ar1Noise(times.length, f.noise.rho, f.noise.sd, 202 + h);
    const busy = (t: number) => {
      const base = level.cpuAfter !== undefined && t > f.changeAt ? level.cpuAfter : level.cpu;
      return Math.min(99, Math.max(1, base + (cpuNoise[idx(t)] as number))) / 100;
    };
    for (const cpu of ["0", "1"]) {
      w.addCounter("node_cpu_seconds_total", { ...node, cpu, mode: "idle" }, times, (t) => 1 - busy(t), 1000);
      w.addCounter(
        "node_cpu_seconds_total",
        { ...node, cpu, mode: "user" },
        times,
        (t) => busy(t) * 0.8,
        500,
      );
      w.addCounter(
        "node_cpu_seconds_total",
        { ...node, cpu, mode: "system" },
        times,
        (t) => busy(t) * 0.2,
        100,
      );
    }
    const total = 16 * GiB;
    w.add("node_memory_MemTotal_bytes", node, () => total);
    w.add(
      "node_memory_MemAvailable_bytes",
      node,
      (_t, i) => total * (1 - (level.memory + (memNoise[i] as number)) / 100),
    );
    w.add("up", node, () => 1);
  });
  return { writer: w, times };
}

export interface ComparePrometheus extends PrometheusProcess {
  fixture: CompareFixture;
}

export async function startCompareFixturePrometheus(): Promise<ComparePrometheus> {
  // A whole minute, two minutes in the past: samples are never in the future.
  const now = Math.floor(Date.now() / 60_000) * 60 - 120;
  const fixture = compareFixture(now);
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-compare-"));
  try {
    const { writer, times } = write(fixture);
    const files = await writeByWindow(writer, dir, times, 7200);
    return { ...(await startBackfilledPrometheus(files)), fixture };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
