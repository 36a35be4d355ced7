/**
 * A fleet of hosts with every series the 18 anomaly features read, for backfilling a real Prometheus:
 * daily seasonality and seeded noise, and optionally a CPU user + iowait burst (with blocked
 * processes and load) on one host over the last minutes. Deterministic for a given seed and end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { NODE_CPU_MODES, NODE_DISK_DEVICES, NODE_NET_DEVICES } from "./exporter-shape.js";
import { type Labels, OpenMetricsWriter, writeByDay } from "./openmetrics-writer.js";

export interface FleetOptions {
  hosts: number;
  /** Last sample time, seconds. */
  end: number;
  days: number;
  stepSeconds: number;
  seed?: number;
  /** Host index with the burst, and how long before `end` it starts. */
  burst?: { host: number; secondsBeforeEnd: number /** Default: until `end`. */; seconds?: number };
  /**
   * Label sets as a real node_exporter emits them (default): two CPUs with eight modes, every network
   * device with its own counters, several mounts and disks. Off, one series per family (the scale
   * benchmark's fleet, kept as measured).
   */
  realistic?: boolean;
}

export const fleetHost = (i: number) => `node-${String(i + 1).padStart(4, "0")}`;

/** Deterministic noise in [−0.5, 0.5) from integers (fixtures, benches and fakes share it). */
export function noise(a: number, b: number, c: number, seed = 0): number {
  let h =
    Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^
    Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^
    Math.imul(c, 0x27d4eb2f) ^
    seed;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296 - 0.5;
}

export function fleetWriter(o: FleetOptions): { writer: OpenMetricsWriter; times: number[] } {
  const seed = o.seed ?? 7;
  const times: number[] = [];
  for (let t = o.end - o.days * 86400; t <= o.end; t += o.stepSeconds) times.push(t);
  const w = new OpenMetricsWriter();
  const inBurst = (h: number, t: number) =>
    o.burst !== undefined &&
    o.burst.host === h &&
    t > o.end - o.burst.secondsBeforeEnd &&
    t <= o.end - o.burst.secondsBeforeEnd + (o.burst.seconds ?? o.burst.secondsBeforeEnd);
  const day = (t: number) => Math.sin((2 * Math.PI * (t % 86400)) / 86400);
  const idx = (t: number) => Math.round((t - (times[0] as number)) / o.stepSeconds);
  const realistic = o.realistic ?? true;
  const cpus = realistic ? ["0", "1"] : ["0"];
  const cpuModes = realistic ? NODE_CPU_MODES : ["idle", "user", "system", "iowait", "steal"];
  for (let h = 0; h < o.hosts; h++) {
    const node: Labels = { instance: `${fleetHost(h)}:9100`, job: "node" };
    const base = 0.15 + 0.1 * ((h % 5) / 5);
    const cpu = (t: number) => {
      const i = idx(t);
      const user =
        Math.max(0.01, base + 0.05 * day(t) + 0.02 * noise(h, 1, i, seed)) + (inBurst(h, t) ? 0.35 : 0);
      const system = 0.05 + 0.01 * noise(h, 2, i, seed);
      const iowait = 0.01 + 0.004 * noise(h, 3, i, seed) + (inBurst(h, t) ? 0.3 : 0);
      const steal = 0.002;
      return { user, system, iowait, steal, idle: Math.max(0, 1 - user - system - iowait - steal) };
    };
    // A real exporter's label sets: every CPU with all eight modes (nice, irq, softirq at zero here).
    for (const core of cpus) {
      for (const mode of cpuModes) {
        w.addCounter(
          "node_cpu_seconds_total",
          { ...node, cpu: core, mode },
          times,
          (t) => (cpu(t) as Record<string, number>)[mode] ?? 0,
          1000,
        );
      }
    }
    const gauge = (name: string, labels: Labels, f: (t: number, i: number) => number) =>
      w.add(name, labels, f);
    const load = (t: number, i: number) =>
      0.6 + 0.2 * day(t) + 0.1 * noise(h, 4, i, seed) + (inBurst(h, t) ? 3 : 0);
    gauge("node_load1", node, load);
    gauge("node_load5", node, (t, i) => load(t, i) * 0.9);
    const memTotal = 16 * 2 ** 30;
    gauge("node_memory_MemTotal_bytes", node, () => memTotal);
    gauge("node_memory_MemAvailable_bytes", node, (_t, i) => memTotal * (0.55 + 0.02 * noise(h, 5, i, seed)));
    gauge("node_memory_SwapTotal_bytes", node, () => 2 * 2 ** 30);
    gauge("node_memory_SwapFree_bytes", node, () => 1.9 * 2 ** 30);
    const fs = { ...node, device: "/dev/sda1", mountpoint: "/", fstype: "ext4" };
    gauge("node_filesystem_size_bytes", fs, () => 100 * 2 ** 30);
    gauge("node_filesystem_avail_bytes", fs, (_t, i) => (60 - i * 1e-4) * 2 ** 30);
    if (realistic) {
      // More mounts and file-system types: a boot partition, tmpfs and a container overlay.
      for (const [device, fstype, mountpoint, used] of [
        ["/dev/sda15", "vfat", "/boot/efi", 0.06],
        ["tmpfs", "tmpfs", "/run", 0.99],
        ["overlay", "overlay", "/var/lib/docker/overlay2/3f1c/merged", 0.9],
      ] as const) {
        const labels = { ...node, device, fstype, mountpoint };
        gauge("node_filesystem_size_bytes", labels, () => 2 ** 30);
        gauge("node_filesystem_avail_bytes", labels, () => (1 - used) * 2 ** 30);
      }
      // Idle disks and the device-mapper volume over sda, which would count its I/O twice.
      for (const device of ["dm-0", ...NODE_DISK_DEVICES]) {
        for (const family of ["read_bytes", "written_bytes", "io_time_seconds"]) {
          w.addCounter(`node_disk_${family}_total`, { ...node, device }, times, () => 0);
        }
      }
    }
    const disk = { ...node, device: "sda" };
    w.addCounter(
      "node_disk_read_bytes_total",
      disk,
      times,
      (t) => 2e6 * (1 + 0.3 * noise(h, 6, idx(t), seed)),
    );
    w.addCounter(
      "node_disk_written_bytes_total",
      disk,
      times,
      (t) => 4e6 * (1 + 0.3 * noise(h, 7, idx(t), seed)),
    );
    w.addCounter(
      "node_disk_io_time_seconds_total",
      disk,
      times,
      (t) => 0.05 + 0.02 * noise(h, 8, idx(t), seed),
    );
    const nic = { ...node, device: "eth0" };
    w.addCounter(
      "node_network_receive_bytes_total",
      nic,
      times,
      (t) => 1e6 * (1.2 + 0.4 * day(t) + 0.2 * noise(h, 9, idx(t), seed)),
    );
    w.addCounter(
      "node_network_transmit_bytes_total",
      nic,
      times,
      (t) => 8e5 * (1.2 + 0.4 * day(t) + 0.2 * noise(h, 10, idx(t), seed)),
    );
    // Every device has its own errs and drop counters, as on a real host; loopback and bridges also
    // carry traffic that real-NIC totals must leave out.
    for (const device of realistic ? ["lo", ...NODE_NET_DEVICES] : ["eth0"]) {
      const labels = { ...node, device };
      if (device !== "eth0") {
        w.addCounter("node_network_receive_bytes_total", labels, times, () => (device === "lo" ? 5e6 : 0));
        w.addCounter("node_network_transmit_bytes_total", labels, times, () => (device === "lo" ? 5e6 : 0));
      }
      for (const counter of ["receive_errs", "transmit_errs", "receive_drop", "transmit_drop"]) {
        if (!realistic && counter !== "receive_errs") continue;
        w.addCounter(`node_network_${counter}_total`, labels, times, () => 0);
      }
    }
    gauge("node_netstat_Tcp_CurrEstab", node, (t, i) =>
      Math.round(120 + 30 * day(t) + 10 * noise(h, 11, i, seed)),
    );
    w.addCounter(
      "node_context_switches_total",
      node,
      times,
      (t) => 3000 * (1 + 0.1 * noise(h, 12, idx(t), seed)),
    );
    gauge("node_procs_blocked", node, (t) => (inBurst(h, t) ? 6 : 0));
    gauge("up", node, () => 1);
  }
  return { writer: w, times };
}

/** Writes the fleet as per-day OpenMetrics files in a new temp folder; returns the files. */
export async function writeFleet(o: FleetOptions): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-fleet-"));
  // The backfill deletes the files it read; the empty folder goes when the process ends.
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const { writer, times } = fleetWriter(o);
  return writeByDay(writer, dir, times);
}
