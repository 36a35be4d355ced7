/**
 * The fixture every integration test asks about: node_exporter and cAdvisor series for a small fleet,
 * with known constant levels, a known CPU spike, a week-over-week change and container restarts, over
 * 15 days ending at `end`. FIXTURE states the exact values a correct answer must contain.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CADVISOR,
  cadvisorContainerLabels,
  NODE_CPU_MODES,
  NODE_DISK_DEVICES,
  NODE_NET_DEVICES,
} from "./exporter-shape.js";
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
  /** The other families the 18 anomaly features and uptime read; per second where a rate. */
  extra: {
    "web-1": {
      swapTotal: 2 * GiB,
      swapUsed: 10,
      netErrors: { receiveErrs: 0, transmitErrs: 0, receiveDrop: 0.5, transmitDrop: 0 },
      disk: { read: 1 * MiB, write: 2 * MiB, busy: 0.1 },
      uptimeSeconds: 10 * 86400,
      tcpEstablished: 120,
      contextSwitches: 2000,
      procsBlocked: 0,
      procsRunning: 2,
    },
    "web-2": {
      swapTotal: 2 * GiB,
      swapUsed: 60,
      netErrors: { receiveErrs: 1, transmitErrs: 0.5, receiveDrop: 2, transmitDrop: 0.5 },
      disk: { read: 4 * MiB, write: 8 * MiB, busy: 0.3 },
      uptimeSeconds: 3 * 86400,
      tcpEstablished: 480,
      contextSwitches: 9000,
      procsBlocked: 2,
      procsRunning: 6,
    },
    "db-1": {
      // No swap: SwapTotal 0, as on many database hosts.
      swapTotal: 0,
      swapUsed: 0,
      netErrors: { receiveErrs: 0, transmitErrs: 0, receiveDrop: 0, transmitDrop: 0 },
      disk: { read: 20 * MiB, write: 10 * MiB, busy: 0.6 },
      uptimeSeconds: 40 * 86400,
      tcpEstablished: 60,
      contextSwitches: 1500,
      procsBlocked: 0,
      procsRunning: 1,
    },
  },
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
  // Series that carry nothing the answers count (idle modes and devices, loopback, bridges) exist
  // for the last 26 hours only: enough for every query to meet them, and a backfill a third the size.
  const recent = end - 26 * 3600;
  const lately = (v: number) => (t: number) => (t >= recent ? v : undefined);
  const w = new OpenMetricsWriter();
  const node = (host: string): Labels => ({ instance: `${host}:9100`, job: "node" });
  for (const host of Object.keys(FIXTURE.hosts) as HostName[]) {
    const h = FIXTURE.hosts[host];
    const x = FIXTURE.extra[host];
    // Every CPU has all eight modes of a real exporter; nice, irq and softirq stay at zero so the
    // fixture's busy and per-mode shares are exact.
    for (let cpu = 0; cpu < FIXTURE.cores; cpu++) {
      for (const mode of NODE_CPU_MODES) {
        w.addCounter(
          "node_cpu_seconds_total",
          { ...node(host), cpu: String(cpu), mode },
          times,
          (t) => (cpuAt(host, t, end) as unknown as Record<string, number>)[mode] ?? 0,
          1000,
          ["idle", "user", "system", "iowait", "steal"].includes(mode) ? Number.NEGATIVE_INFINITY : recent,
        );
      }
    }
    w.add("node_memory_MemTotal_bytes", node(host), () => h.memTotal);
    w.add("node_memory_MemAvailable_bytes", node(host), () => h.memTotal * (1 - h.memUsed / 100));
    w.add("node_memory_MemFree_bytes", node(host), lately(h.memTotal * (1 - h.memUsed / 100) * 0.4));
    w.add("node_memory_Buffers_bytes", node(host), lately(h.memTotal * 0.02));
    w.add("node_memory_Cached_bytes", node(host), lately(h.memTotal * (1 - h.memUsed / 100) * 0.5));
    w.add("node_memory_SwapTotal_bytes", node(host), () => x.swapTotal);
    w.add("node_memory_SwapFree_bytes", node(host), () => x.swapTotal * (1 - x.swapUsed / 100));
    const fs = (labels: Labels, size: number, usedPercent: number, since = Number.NEGATIVE_INFINITY) => {
      const at = (v: number) => (t: number) => (t >= since ? v : undefined);
      w.add("node_filesystem_size_bytes", labels, at(size));
      w.add("node_filesystem_avail_bytes", labels, at(size * (1 - usedPercent / 100)));
      // Root's reserved blocks: free is a little more than avail, as on ext4.
      w.add("node_filesystem_free_bytes", labels, lately(size * (1 - usedPercent / 100) + 0.05 * size));
    };
    fs({ ...node(host), device: "/dev/sda1", fstype: "ext4", mountpoint: "/" }, h.root.size, h.root.used);
    fs(
      { ...node(host), device: "/dev/sda15", fstype: "vfat", mountpoint: "/boot/efi" },
      0.1 * GiB,
      6,
      recent,
    );
    fs({ ...node(host), device: "tmpfs", fstype: "tmpfs", mountpoint: "/run" }, GiB, 99);
    fs({ ...node(host), device: "tmpfs", fstype: "tmpfs", mountpoint: "/dev/shm" }, 4 * GiB, 0, recent);
    if (host === "db-1")
      fs(
        { ...node(host), device: "/dev/sdb1", fstype: "ext4", mountpoint: "/data" },
        FIXTURE.dbData.size,
        FIXTURE.dbData.used,
      );
    w.add("node_load1", node(host), () => h.load[0]);
    w.add("node_load5", node(host), () => h.load[1]);
    w.add("node_load15", node(host), () => h.load[2]);
    // Every device of a real exporter, each with its own counters: only eth0 carries the host's
    // traffic; lo and the container bridge carry more, which real-NIC totals must leave out.
    for (const device of ["lo", ...NODE_NET_DEVICES]) {
      const labels = { ...node(host), device };
      const traffic = device === "eth0" ? 1 : 0;
      const internal = device === "lo" || device === "docker0" || device.startsWith("veth") ? 10 * MiB : 0;
      const since = device === "eth0" ? Number.NEGATIVE_INFINITY : recent;
      const counter = (name: string, rate: number) => w.addCounter(name, labels, times, () => rate, 0, since);
      counter("node_network_receive_bytes_total", traffic * h.rx + internal);
      counter("node_network_transmit_bytes_total", traffic * h.tx + internal);
      counter("node_network_receive_errs_total", traffic * x.netErrors.receiveErrs);
      counter("node_network_transmit_errs_total", traffic * x.netErrors.transmitErrs);
      counter("node_network_receive_drop_total", traffic * x.netErrors.receiveDrop);
      counter("node_network_transmit_drop_total", traffic * x.netErrors.transmitDrop);
    }
    // Real disks plus the device-mapper volume on top of sda, which would count its I/O twice.
    for (const device of ["sda", "dm-0", ...NODE_DISK_DEVICES]) {
      const labels = { ...node(host), device };
      const busy = device === "sda" || device === "dm-0" ? 1 : 0;
      const since = device === "sda" ? Number.NEGATIVE_INFINITY : recent;
      w.addCounter("node_disk_read_bytes_total", labels, times, () => busy * x.disk.read, 0, since);
      w.addCounter("node_disk_written_bytes_total", labels, times, () => busy * x.disk.write, 0, since);
      w.addCounter("node_disk_io_time_seconds_total", labels, times, () => busy * x.disk.busy, 0, since);
    }
    w.add("node_boot_time_seconds", node(host), () => end - x.uptimeSeconds);
    w.add("node_time_seconds", node(host), (t) => (t >= recent ? t : undefined));
    w.add("node_netstat_Tcp_CurrEstab", node(host), () => x.tcpEstablished);
    w.addCounter("node_context_switches_total", node(host), times, () => x.contextSwitches);
    w.add("node_procs_blocked", node(host), () => x.procsBlocked);
    w.add("node_procs_running", node(host), lately(x.procsRunning));
    w.add(
      "node_uname_info",
      { ...node(host), nodename: host, sysname: "Linux", machine: "x86_64", release: "6.1.0-27-amd64" },
      lately(1),
    );
    w.add("up", node(host), () => 1);
  }
  w.add("up", { instance: FIXTURE.downTarget.instance, job: FIXTURE.downTarget.job }, () => 0);
  const c = FIXTURE.containers;
  w.add("up", { instance: c.instance, job: "cadvisor" }, () => 1);
  for (const [name, spec] of Object.entries(c.list)) {
    const labels = cadvisorContainerLabels(c.instance, name, `${name}:latest`);
    w.addCounter(CADVISOR.cpu, labels, times, () => spec.cpuCores);
    w.add(CADVISOR.memoryWorkingSet, labels, () => spec.memory);
    w.add(CADVISOR.memoryUsage, labels, () => spec.memory * 1.2);
    w.add(CADVISOR.lastSeen, labels, (t) => t);
    const restarts = [50, 30, 10].slice(0, spec.restartsLastHour).map((m) => end - m * 60);
    w.add(CADVISOR.startTime, labels, (t) => restarts.filter((r) => r <= t).at(-1) ?? end - 10 * 86400);
    const nic = { ...labels, interface: "eth0" };
    w.addCounter(CADVISOR.networkReceive, nic, times, () => 100 * 1024);
    w.addCounter(CADVISOR.networkTransmit, nic, times, () => 50 * 1024);
  }
  // cgroups that are not containers (the root, system slices) have empty names: queries ignore them.
  for (const id of CADVISOR.systemCgroups) {
    const labels = { instance: c.instance, job: "cadvisor", id, image: "", name: "" };
    w.addCounter(CADVISOR.cpu, labels, times, () => 1.5);
    w.add(CADVISOR.memoryWorkingSet, labels, () => 4 * GiB);
    w.add(CADVISOR.lastSeen, labels, (t) => t);
  }
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
