/**
 * A fleet to rightsize, backfilled into a real Prometheus: hosts with different core counts and
 * loads (oversized, overloaded, idle, quiet CPU but busy network, well sized, too young), and cAdvisor
 * containers with and without limits, as the real exporters write them (every CPU with its eight
 * modes, every NIC with its own counters, cAdvisor's spec gauges, cgroups that are not containers).
 * RIGHTSIZING_FIXTURE states what a correct report must find. 3 days at two minutes, ending at `end`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CADVISOR,
  cadvisorContainerLabels,
  NODE_CPU_MODES,
  NODE_NET_DEVICES,
} from "../support/exporter-shape.js";
import { type Labels, OpenMetricsWriter, writeByDay } from "../support/openmetrics-writer.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const DAY = 86_400;

interface HostSpec {
  cores: number;
  memTotal: number;
  /** Busy cores (user + system) most of the time. */
  busy: number;
  /** Busy cores during a 40-minute burst each day (under 5% of the time: p95 ignores it). */
  burst?: number;
  /** Used memory, and a 20-minute peak once on the second day. */
  memUsed: number;
  memPeak?: number;
  /** Bytes/s in and out on eth0 (real traffic) and on docker0/veth (counted twice, left out). */
  eth0: number;
  virtual?: number;
  /** Seconds of history before the end (default all). */
  since?: number;
}

export const RIGHTSIZING_FIXTURE = {
  days: 3,
  step: 120,
  hosts: {
    /** 8 cores, 3.2 busy (6 in the daily burst): 4 cores. 32 GiB, 5 GiB used, peak 6 GiB: 7 GiB. */
    "rs-big": {
      cores: 8,
      memTotal: 32 * GiB,
      busy: 3.2,
      burst: 6,
      memUsed: 5 * GiB,
      memPeak: 6 * GiB,
      eth0: 2 * MiB,
    },
    /** 4 cores with 3.8 busy: grow to 5. 8 GiB with 7.5 GiB used: grow to 9 GiB. */
    "rs-hot": { cores: 4, memTotal: 8 * GiB, busy: 3.8, memUsed: 7.5 * GiB, eth0: 5 * MiB },
    /** 2 cores doing nothing; heavy traffic only on docker0 and a veth (left out): idle. */
    "rs-idle": { cores: 2, memTotal: 4 * GiB, busy: 0.01, memUsed: 0.5 * GiB, eth0: 2048, virtual: 10 * MiB },
    /** Quiet CPU but 1 MiB/s through eth0 (a proxy): not idle. */
    "rs-proxy": { cores: 2, memTotal: 4 * GiB, busy: 0.02, memUsed: 0.6 * GiB, eth0: 1 * MiB },
    /** 4 cores, 2.8 busy (3.22 → 4) and 16 GiB, 12 GiB used (13.8 → 14 GiB, 2 GiB is 12.5%): keep both. */
    "rs-fit": { cores: 4, memTotal: 16 * GiB, busy: 2.8, memUsed: 12 * GiB, eth0: 500 * 1024 },
    /** 4 cores idle, but only 6 hours old: too little history to size. */
    "rs-young": {
      cores: 4,
      memTotal: 16 * GiB,
      busy: 0.01,
      memUsed: 1 * GiB,
      eth0: 1024,
      since: 6 * 3600,
    },
  } satisfies Record<string, HostSpec>,
  /** cAdvisor on rs-big. */
  cadvisor: "rs-big:8080",
  containers: {
    /** Limits 2 cores and 2 GiB; uses 0.3 core and 300 MiB: 0.4 core and 384 MiB. */
    api: { cpu: 0.3, memory: 300 * MiB, cpuLimit: 2, memoryLimit: 2 * GiB },
    /** No limits; 0.5 core and 700 MiB: CPU left unbounded, a memory limit of 832 MiB recommended. */
    worker: { cpu: 0.5, memory: 700 * MiB },
    /** Limits 1 core and 512 MiB, pressed against both: grow to 1.1 cores and 576 MiB. */
    cache: { cpu: 0.95, memory: 500 * MiB, cpuLimit: 1, memoryLimit: 512 * MiB },
    /** Stopped two days before the end: not running, not sized. */
    "old-job": { cpu: 1, memory: GiB, cpuLimit: 4, memoryLimit: 8 * GiB, stoppedSecondsBeforeEnd: 2 * DAY },
  } as Record<
    string,
    { cpu: number; memory: number; cpuLimit?: number; memoryLimit?: number; stoppedSecondsBeforeEnd?: number }
  >,
} as const;

/** Writes the fixture as one OpenMetrics file per day into `dir`. */
export async function writeRightsizingFixture(dir: string, end: number): Promise<string[]> {
  const f = RIGHTSIZING_FIXTURE;
  const times: number[] = [];
  for (let t = end - f.days * DAY; t <= end; t += f.step) times.push(t);
  const w = new OpenMetricsWriter();
  const inBurst = (t: number) => t % DAY >= 10 * 3600 && t % DAY < 10 * 3600 + 40 * 60;
  const peakAt = end - 2 * DAY - 3 * 3600;
  for (const [host, spec] of Object.entries(f.hosts) as [string, HostSpec][]) {
    const node: Labels = { instance: `${host}:9100`, job: "node" };
    const since = spec.since === undefined ? Number.NEGATIVE_INFINITY : end - spec.since;
    const live = (t: number) => t >= since;
    const busy = (t: number) => (spec.burst !== undefined && inBurst(t) ? spec.burst : spec.busy);
    // Every CPU with all eight modes; the busy cores split evenly, 80% user and 20% system, and a
    // little iowait and steal that are not work.
    for (let cpu = 0; cpu < spec.cores; cpu++) {
      const share = (t: number) => busy(t) / spec.cores;
      const rate: Record<string, (t: number) => number> = {
        user: (t) => 0.8 * share(t),
        system: (t) => 0.2 * share(t),
        iowait: () => 0.01,
        steal: () => 0.005,
        idle: (t) => Math.max(0, 1 - share(t) - 0.015),
      };
      for (const mode of NODE_CPU_MODES) {
        w.addCounter(
          "node_cpu_seconds_total",
          { ...node, cpu: String(cpu), mode },
          times,
          rate[mode] ?? (() => 0),
          1000,
          since,
        );
      }
    }
    w.add("node_memory_MemTotal_bytes", node, (t) => (live(t) ? spec.memTotal : undefined));
    w.add("node_memory_MemAvailable_bytes", node, (t) => {
      if (!live(t)) return undefined;
      const peak = spec.memPeak !== undefined && t >= peakAt && t < peakAt + 20 * 60;
      return spec.memTotal - (peak ? (spec.memPeak as number) : spec.memUsed);
    });
    for (const device of NODE_NET_DEVICES) {
      const bytes = device === "eth0" ? spec.eth0 : /^(docker|veth)/.test(device) ? (spec.virtual ?? 0) : 0;
      for (const dir of ["receive", "transmit"]) {
        w.addCounter(
          `node_network_${dir}_bytes_total`,
          { ...node, device },
          times,
          () => bytes / 2,
          0,
          since,
        );
      }
    }
    w.add("up", node, (t) => (live(t) ? 1 : undefined));
  }
  const instance = f.cadvisor;
  for (const [name, c] of Object.entries(f.containers)) {
    const labels = cadvisorContainerLabels(instance, name, `${name}:1.0`);
    const stop =
      c.stoppedSecondsBeforeEnd === undefined ? Number.POSITIVE_INFINITY : end - c.stoppedSecondsBeforeEnd;
    const on = (t: number) => t <= stop;
    // A steady rate, so the counter in closed form; a stopped container's series end with it.
    const start = times[0] as number;
    w.add(CADVISOR.cpu, { ...labels, cpu: "total" }, (t) => (on(t) ? 1000 + c.cpu * (t - start) : undefined));
    w.add(CADVISOR.memoryWorkingSet, labels, (t) => (on(t) ? c.memory : undefined));
    w.add(CADVISOR.memoryUsage, labels, (t) => (on(t) ? c.memory * 1.3 : undefined));
    w.add(CADVISOR.lastSeen, labels, (t) => (on(t) ? t : undefined));
    w.add("container_spec_cpu_period", labels, (t) => (on(t) ? 100_000 : undefined));
    // cAdvisor writes a quota only for a container with a CPU limit, and 0 for no memory limit.
    if (c.cpuLimit !== undefined)
      w.add("container_spec_cpu_quota", labels, (t) =>
        on(t) ? (c.cpuLimit as number) * 100_000 : undefined,
      );
    w.add("container_spec_memory_limit_bytes", labels, (t) => (on(t) ? (c.memoryLimit ?? 0) : undefined));
  }
  // cgroups that are not containers: empty name and image, busy, no limits.
  for (const id of CADVISOR.systemCgroups) {
    const labels = { instance, job: "cadvisor", id, image: "", name: "" };
    w.addCounter(CADVISOR.cpu, { ...labels, cpu: "total" }, times, () => 3);
    w.add(CADVISOR.memoryWorkingSet, labels, () => 10 * GiB);
    w.add("container_spec_cpu_period", labels, () => 100_000);
    w.add("container_spec_memory_limit_bytes", labels, () => 0);
  }
  w.add("up", { instance, job: "cadvisor" }, () => 1);
  return writeByDay(w, dir, times);
}

export interface RightsizingPrometheus extends PrometheusProcess {
  end: number;
}

/** The fixture ending at `end` (default: the current minute), served by a real Prometheus. */
export async function startRightsizingPrometheus(
  end = Math.floor(Date.now() / 60_000) * 60,
): Promise<RightsizingPrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-rightsizing-"));
  try {
    const files = await writeRightsizingFixture(dir, end);
    return { ...(await startBackfilledPrometheus(files)), end };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
