/**
 * The fixture every integration test asks about: node_exporter and cAdvisor series for a small fleet,
 * with known constant levels, a known CPU spike, a week-over-week change and container restarts, over
 * 15 days ending at `end`. FIXTURE states the exact values a correct answer must contain.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Labels, OpenMetricsWriter, writeByDay } from "./openmetrics-writer.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "./prometheus-process.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** CPU seconds per second per core, by mode; busy % = 100 × (1 − idle). */
interface CpuModes {
  idle: number;
  user: number;
  system: number;
  iowait: number;
  steal: number;
}

export const FIXTURE = {
  hosts: {
    "web-1": {
      cpuBusy: 25,
      cpu: { idle: 0.75, user: 0.15, system: 0.07, iowait: 0.03, steal: 0 },
      memTotal: 8 * GiB,
      memUsed: 50,
      root: { size: 100 * GiB, used: 30 },
      load: [0.8, 0.7, 0.6],
      loadPerCore: 0.4,
      rx: 1 * MiB,
      tx: 0.5 * MiB,
    },
    "web-2": {
      cpuBusy: 60,
      cpu: { idle: 0.4, user: 0.45, system: 0.1, iowait: 0.05, steal: 0 },
      memTotal: 16 * GiB,
      memUsed: 75,
      root: { size: 100 * GiB, used: 40 },
      load: [3.2, 3.0, 2.8],
      loadPerCore: 1.6,
      rx: 2 * MiB,
      tx: 1 * MiB,
    },
    "db-1": {
      cpuBusy: 10,
      cpu: { idle: 0.9, user: 0.06, system: 0.03, iowait: 0.01, steal: 0 },
      memTotal: 32 * GiB,
      memUsed: 40,
      root: { size: 100 * GiB, used: 20 },
      load: [0.5, 0.5, 0.5],
      loadPerCore: 0.25,
      rx: 4 * MiB,
      tx: 3 * MiB,
    },
  },
  /** db-1's /data mount: the fullest real file system of the fleet. */
  dbData: { size: 1000 * GiB, used: 85 },
  /** web-2 at 95% busy from 3 h to 2 h 30 min before the end. */
  spike: {
    host: "web-2",
    busy: 95,
    fromSecondsBeforeEnd: 3 * 3600,
    toSecondsBeforeEnd: 2.5 * 3600,
    cpu: { idle: 0.05, user: 0.8, system: 0.1, iowait: 0.05, steal: 0 },
  },
  /** db-1 ran at 20% busy in the week before the last 7 days. */
  previousWeek: {
    host: "db-1",
    busy: 20,
    cpu: { idle: 0.8, user: 0.14, system: 0.05, iowait: 0.01, steal: 0 },
  },
  cores: 2,
  downTarget: { instance: "db-2:9100", job: "node" },
  containers: {
    instance: "web-1:8080",
    list: {
      api: { cpuCores: 0.5, memory: 512 * MiB, restartsLastHour: 0 },
      worker: { cpuCores: 0.25, memory: 256 * MiB, restartsLastHour: 3 },
      redis: { cpuCores: 0.1, memory: 128 * MiB, restartsLastHour: 0 },
    },
  },
  days: 15,
} as const;

export type HostName = keyof typeof FIXTURE.hosts;

/** Sample times: 5-minute resolution for the old data, 1-minute for the last 26 hours. */
export function fixtureTimes(end: number): number[] {
  const times: number[] = [];
  const start = end - FIXTURE.days * 86400;
  const fine = end - 26 * 3600;
  for (let t = start; t < fine; t += 300) times.push(t);
  for (let t = fine; t <= end; t += 60) times.push(t);
  return times;
}

function cpuAt(host: HostName, t: number, end: number): CpuModes {
  const s = FIXTURE.spike;
  if (host === s.host && t >= end - s.fromSecondsBeforeEnd && t < end - s.toSecondsBeforeEnd) return s.cpu;
  const w = FIXTURE.previousWeek;
  if (host === w.host && t >= end - 14 * 86400 && t < end - 7 * 86400) return w.cpu;
  return FIXTURE.hosts[host].cpu;
}

/** Writes the fixture as one OpenMetrics file per day into `dir`; returns the files. */
export async function writeNodeFixture(dir: string, end: number): Promise<string[]> {
  const times = fixtureTimes(end);
  const w = new OpenMetricsWriter();
  const node = (host: string): Labels => ({ instance: `${host}:9100`, job: "node" });
  for (const host of Object.keys(FIXTURE.hosts) as HostName[]) {
    const h = FIXTURE.hosts[host];
    for (let cpu = 0; cpu < FIXTURE.cores; cpu++) {
      for (const mode of ["idle", "user", "system", "iowait", "steal"] as const) {
        w.addCounter(
          "node_cpu_seconds_total",
          { ...node(host), cpu: String(cpu), mode },
          times,
          (t) => cpuAt(host, t, end)[mode],
          1000,
        );
      }
    }
    w.add("node_memory_MemTotal_bytes", node(host), () => h.memTotal);
    w.add("node_memory_MemAvailable_bytes", node(host), () => h.memTotal * (1 - h.memUsed / 100));
    w.add("node_memory_SwapTotal_bytes", node(host), () => (host === "db-1" ? 0 : 2 * GiB));
    w.add("node_memory_SwapFree_bytes", node(host), () => (host === "db-1" ? 0 : 2 * GiB));
    const root = { ...node(host), device: "/dev/sda1", fstype: "ext4", mountpoint: "/" };
    w.add("node_filesystem_size_bytes", root, () => h.root.size);
    w.add("node_filesystem_avail_bytes", root, () => h.root.size * (1 - h.root.used / 100));
    const run = { ...node(host), device: "tmpfs", fstype: "tmpfs", mountpoint: "/run" };
    w.add("node_filesystem_size_bytes", run, () => GiB);
    w.add("node_filesystem_avail_bytes", run, () => 0.01 * GiB);
    if (host === "db-1") {
      const data = { ...node(host), device: "/dev/sdb1", fstype: "ext4", mountpoint: "/data" };
      w.add("node_filesystem_size_bytes", data, () => FIXTURE.dbData.size);
      w.add("node_filesystem_avail_bytes", data, () => FIXTURE.dbData.size * (1 - FIXTURE.dbData.used / 100));
    }
    w.add("node_load1", node(host), () => h.load[0]);
    w.add("node_load5", node(host), () => h.load[1]);
    w.add("node_load15", node(host), () => h.load[2]);
    w.addCounter("node_network_receive_bytes_total", { ...node(host), device: "eth0" }, times, () => h.rx);
    w.addCounter("node_network_transmit_bytes_total", { ...node(host), device: "eth0" }, times, () => h.tx);
    w.addCounter("node_network_receive_bytes_total", { ...node(host), device: "lo" }, times, () => 10 * MiB);
    w.addCounter("node_network_transmit_bytes_total", { ...node(host), device: "lo" }, times, () => 10 * MiB);
    w.add("up", node(host), () => 1);
  }
  w.add("up", { instance: FIXTURE.downTarget.instance, job: FIXTURE.downTarget.job }, () => 0);
  const c = FIXTURE.containers;
  w.add("up", { instance: c.instance, job: "cadvisor" }, () => 1);
  for (const [name, spec] of Object.entries(c.list)) {
    const labels = {
      instance: c.instance,
      job: "cadvisor",
      name,
      id: `/docker/${name}`,
      image: `${name}:latest`,
    };
    w.addCounter("container_cpu_usage_seconds_total", labels, times, () => spec.cpuCores);
    w.add("container_memory_working_set_bytes", labels, () => spec.memory);
    w.add("container_last_seen", labels, (t) => t);
    const restarts = [50, 30, 10].slice(0, spec.restartsLastHour).map((m) => end - m * 60);
    w.add(
      "container_start_time_seconds",
      labels,
      (t) => restarts.filter((r) => r <= t).at(-1) ?? end - 10 * 86400,
    );
  }
  // cAdvisor's root cgroup has no name; queries must ignore it.
  const root = { instance: c.instance, job: "cadvisor", name: "", id: "/" };
  w.addCounter("container_cpu_usage_seconds_total", root, times, () => 1.5);
  w.add("container_memory_working_set_bytes", root, () => 4 * GiB);
  return writeByDay(w, dir, times);
}

export interface FixturePrometheus extends PrometheusProcess {
  /** The fixture's last sample time, epoch seconds: ask "now" questions at this time. */
  end: number;
}

/** Generates the fixture ending at `end` (default: the current minute) and serves it from Prometheus. */
export async function startFixturePrometheus(
  end = Math.floor(Date.now() / 60_000) * 60,
): Promise<FixturePrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-fixture-"));
  const files = await writeNodeFixture(dir, end);
  const prom = await startBackfilledPrometheus(files);
  rmSync(dir, { recursive: true, force: true });
  return { ...prom, end };
}
