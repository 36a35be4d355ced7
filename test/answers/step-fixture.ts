/**
 * A small node_exporter dataset for questions whose answers must not depend on where the steps
 * fall: one host (web-1) scraped every 15 s for 26 hours with a one-scrape memory spike and a
 * two-minute CPU burst, both strictly between two 10-minute steps, and a change in the last minutes
 * after the last step; and one host (fresh-1) with only 30 minutes of history.
 * STEP_FIXTURE states the numbers a correct answer must contain.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Labels, OpenMetricsWriter, writeByWindow } from "../support/openmetrics-writer.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";

const GiB = 1024 ** 3;
const SCRAPE_S = 15;
/** The step a 24-hour question is answered at (see time-window.ts). */
export const STEP_S = 600;

/** CPU seconds per second per core, by mode: node_exporter's eight modes. */
type CpuModes = Record<"idle" | "user" | "system" | "iowait" | "nice" | "irq" | "softirq" | "steal", number>;

const cpuModes = (busy: number): CpuModes => ({
  idle: 1 - busy,
  user: busy * 0.7,
  system: busy * 0.2,
  iowait: busy * 0.05,
  nice: 0,
  irq: 0,
  softirq: busy * 0.05,
  steal: 0,
});

export interface StepFixture {
  /** "Now" for questions: 7 minutes after a step boundary, so the last step point is 7 minutes old. */
  now: number;
  /** The last step of a 24-hour range ending now. */
  lastStep: number;
  cores: number;
  memory: {
    usual: number;
    /** One scrape at `spike` (% used), at `spikeAt`, between two steps. */
    spike: number;
    spikeAt: number;
    /** % used from one minute after the last step until now. */
    now: number;
  };
  cpu: {
    usual: number;
    /** Busy % during [burstFrom, burstTo): two minutes, between two steps. */
    burst: number;
    burstFrom: number;
    burstTo: number;
    /** Busy % from one minute after the last step until now. */
    now: number;
    /** The highest 5-minute average: a window holding the whole burst. */
    peak: number;
  };
  fresh: { host: string; historySeconds: number; cpu: number };
}

/** The dataset's numbers for a given "now" (a multiple of 60 s, 7 minutes past a step). */
export function stepFixture(now: number): StepFixture {
  const lastStep = Math.floor(now / STEP_S) * STEP_S;
  const burstFrom = lastStep - 12 * STEP_S + 240;
  const cpu = { usual: 20, burst: 100, burstFrom, burstTo: burstFrom + 120, now: 35, peak: 0 };
  cpu.peak = (cpu.burst * 120 + cpu.usual * 180) / 300;
  return {
    now,
    lastStep,
    cores: 4,
    memory: { usual: 40, spike: 90, spikeAt: lastStep - 6 * STEP_S + 285, now: 20 },
    cpu,
    fresh: { host: "fresh-1", historySeconds: 1800, cpu: 60 },
  };
}

function write(f: StepFixture): { writer: OpenMetricsWriter; times: number[] } {
  const times: number[] = [];
  for (let t = f.now - 26 * 3600; t <= f.now; t += SCRAPE_S) times.push(t);
  const w = new OpenMetricsWriter();
  const node = (host: string): Labels => ({ instance: `${host}:9100`, job: "node" });
  const tail = f.lastStep + 60;

  // web-1: 26 hours at one scrape per 15 s.
  const busyAt = (t: number) =>
    t >= f.cpu.burstFrom && t < f.cpu.burstTo ? f.cpu.burst : t >= tail ? f.cpu.now : f.cpu.usual;
  for (let cpu = 0; cpu < f.cores; cpu++) {
    for (const mode of Object.keys(cpuModes(0)) as (keyof CpuModes)[]) {
      w.addCounter(
        "node_cpu_seconds_total",
        { ...node("web-1"), cpu: String(cpu), mode },
        times,
        (t) => cpuModes(busyAt(t) / 100)[mode],
        5000 + cpu,
      );
    }
  }
  const total = 16 * GiB;
  const usedAt = (t: number) =>
    t === f.memory.spikeAt ? f.memory.spike : t >= tail ? f.memory.now : f.memory.usual;
  w.add("node_memory_MemTotal_bytes", node("web-1"), () => total);
  w.add("node_memory_MemAvailable_bytes", node("web-1"), (t) => total * (1 - usedAt(t) / 100));
  w.add("node_memory_MemFree_bytes", node("web-1"), (t) => total * (0.9 - usedAt(t) / 100));
  w.add("node_memory_Cached_bytes", node("web-1"), () => 0.1 * total);
  w.add("up", node("web-1"), () => 1);

  // fresh-1: started `historySeconds` ago.
  const born = f.now - f.fresh.historySeconds;
  const alive = (t: number) => t >= born;
  for (let cpu = 0; cpu < f.cores; cpu++) {
    for (const mode of Object.keys(cpuModes(0)) as (keyof CpuModes)[]) {
      const rate = cpuModes(f.fresh.cpu / 100)[mode];
      w.add("node_cpu_seconds_total", { ...node(f.fresh.host), cpu: String(cpu), mode }, (t) =>
        alive(t) ? 100 + rate * (t - born) : undefined,
      );
    }
  }
  w.add("node_memory_MemTotal_bytes", node(f.fresh.host), (t) => (alive(t) ? 8 * GiB : undefined));
  w.add("node_memory_MemAvailable_bytes", node(f.fresh.host), (t) => (alive(t) ? 4 * GiB : undefined));
  w.add("up", node(f.fresh.host), (t) => (alive(t) ? 1 : undefined));
  return { writer: w, times };
}

export interface StepFixturePrometheus extends PrometheusProcess {
  fixture: StepFixture;
}

/** Backfills the dataset (in 2-hour files, promtool's block size) and serves it from a new Prometheus. */
export async function startStepFixturePrometheus(): Promise<StepFixturePrometheus> {
  // 7 minutes past a step, at least 3 minutes in the past: samples are never in the future.
  const now = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S - 180;
  const fixture = stepFixture(now);
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-steps-"));
  try {
    const { writer, times } = write(fixture);
    const files = await writeByWindow(writer, dir, times, 7200);
    return { ...(await startBackfilledPrometheus(files)), fixture };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
