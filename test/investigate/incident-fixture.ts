/**
 * A small fleet (web-1 … web-6) with node_exporter's series over 5 days ending at `end`: daily
 * seasonality and seeded noise, and three incidents at known times, each read at its own "now":
 * - at `end`: a CPU hog on web-3 (user CPU +60 points, load up) over the last 40 minutes;
 * - web-4 rebooted 3 hours before `end` (boot time changes, two minutes without samples);
 * - web-2's app process (job "app") restarted 4 times in the last hour before `end`.
 * Twelve hours before `end` the fleet is quiet: no move, no change within the 6 hours before.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { NODE_CPU_MODES } from "../support/exporter-shape.js";
import { noise } from "../support/fleet-fixture.js";
import { type Labels, OpenMetricsWriter, writeByDay } from "../support/openmetrics-writer.js";

export const HOSTS = ["web-1", "web-2", "web-3", "web-4", "web-5", "web-6"];
export const INCIDENT = {
  hog: { host: "web-3", secondsBeforeEnd: 40 * 60 },
  reboot: { host: "web-4", secondsBeforeEnd: 3 * 3600 },
  restarts: { host: "web-2", job: "app", count: 4 },
  quietSecondsBeforeEnd: 12 * 3600,
};

export async function writeIncidentFleet(end: number): Promise<string[]> {
  const times: number[] = [];
  const fine = end - 14 * 3600;
  for (let t = end - 5 * 86400; t < fine; t += 300) times.push(t);
  for (let t = fine; t <= end; t += 60) times.push(t);
  const w = new OpenMetricsWriter();
  const day = (t: number) => Math.sin((2 * Math.PI * (t % 86400)) / 86400);
  const rebootAt = end - INCIDENT.reboot.secondsBeforeEnd;
  HOSTS.forEach((name, h) => {
    const node: Labels = { instance: `${name}:9100`, job: "node" };
    const hog = (t: number) => name === INCIDENT.hog.host && t > end - INCIDENT.hog.secondsBeforeEnd;
    // web-4 sends nothing for two minutes while it reboots.
    const alive = (t: number) => !(name === INCIDENT.reboot.host && t > rebootAt - 120 && t < rebootAt);
    const gauge = (metric: string, labels: Labels, f: (t: number) => number) =>
      w.add(metric, labels, (t) => (alive(t) ? f(t) : undefined));
    const counter = (metric: string, labels: Labels, rate: (t: number) => number) => {
      w.addCounter(metric, labels, times, rate, 1000);
    };
    const k = (t: number) => Math.round(t / 60);
    const cpu = (t: number): Record<string, number> => {
      const user = 0.15 + 0.03 * h + 0.05 * day(t) + 0.02 * noise(h, 1, k(t)) + (hog(t) ? 0.6 : 0);
      const system = 0.05 + 0.01 * noise(h, 2, k(t));
      const iowait = 0.01 + 0.004 * noise(h, 3, k(t));
      return { user, system, iowait, steal: 0.002, idle: Math.max(0, 1 - user - system - iowait - 0.002) };
    };
    for (const core of ["0", "1"])
      for (const mode of NODE_CPU_MODES)
        counter("node_cpu_seconds_total", { ...node, cpu: core, mode }, (t) => cpu(t)[mode] ?? 0);
    const load = (t: number) => 0.6 + 0.2 * day(t) + 0.1 * noise(h, 4, k(t)) + (hog(t) ? 2.5 : 0);
    gauge("node_load1", node, load);
    gauge("node_load5", node, (t) => load(t) * 0.9);
    gauge("node_memory_MemTotal_bytes", node, () => 16 * 2 ** 30);
    gauge("node_memory_MemAvailable_bytes", node, (t) => 16 * 2 ** 30 * (0.55 + 0.02 * noise(h, 5, k(t))));
    gauge("node_memory_SwapTotal_bytes", node, () => 2 * 2 ** 30);
    gauge("node_memory_SwapFree_bytes", node, () => 1.9 * 2 ** 30);
    const fs = { ...node, device: "/dev/sda1", mountpoint: "/", fstype: "ext4" };
    gauge("node_filesystem_size_bytes", fs, () => 100 * 2 ** 30);
    gauge("node_filesystem_avail_bytes", fs, () => 60 * 2 ** 30);
    const disk = { ...node, device: "sda" };
    counter("node_disk_read_bytes_total", disk, (t) => 2e6 * (1 + 0.3 * noise(h, 6, k(t))));
    counter("node_disk_written_bytes_total", disk, (t) => 4e6 * (1 + 0.3 * noise(h, 7, k(t))));
    counter("node_disk_io_time_seconds_total", disk, (t) => 0.05 + 0.02 * noise(h, 8, k(t)));
    for (const device of ["eth0", "lo"]) {
      const nic = { ...node, device };
      const scale = device === "lo" ? 5 : 1;
      counter(
        "node_network_receive_bytes_total",
        nic,
        (t) => scale * 1e6 * (1.2 + 0.4 * day(t) + 0.2 * noise(h, 9, k(t))),
      );
      counter(
        "node_network_transmit_bytes_total",
        nic,
        (t) => scale * 8e5 * (1.2 + 0.4 * day(t) + 0.2 * noise(h, 10, k(t))),
      );
      for (const c of ["receive_errs", "transmit_errs", "receive_drop", "transmit_drop"])
        counter(`node_network_${c}_total`, nic, () => 0);
    }
    gauge("node_netstat_Tcp_CurrEstab", node, (t) => Math.round(120 + 30 * day(t) + 10 * noise(h, 11, k(t))));
    counter("node_context_switches_total", node, (t) => 3000 * (1 + 0.1 * noise(h, 12, k(t))));
    gauge("node_procs_blocked", node, () => 0);
    const booted = end - 30 * 86400 - h * 3600;
    gauge("node_boot_time_seconds", node, (t) =>
      name === INCIDENT.reboot.host && t >= rebootAt ? rebootAt : booted,
    );
    gauge("node_exporter_build_info", { ...node, version: "1.5.0", goversion: "go1.19" }, () => 1);
    w.add("up", node, () => 1);
    if (name === INCIDENT.restarts.host) {
      const app = { instance: `${name}:8080`, job: INCIDENT.restarts.job };
      const starts = Array.from({ length: INCIDENT.restarts.count }, (_, i) => end - 3000 + i * 600);
      w.add(
        "process_start_time_seconds",
        app,
        (t) => starts.filter((s) => s <= t).at(-1) ?? end - 20 * 86400,
      );
      w.add("up", app, () => 1);
    }
  });
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-incident-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return writeByDay(w, dir, times);
}
