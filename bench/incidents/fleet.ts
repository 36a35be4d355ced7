/**
 * The scenario bench's fleet: 100 hosts of node_exporter series (a real exporter's label sets: two
 * CPUs with eight modes, eth0 and loopback each with their own counters, a root and a boot file system,
 * sda and the device-mapper volume over it) plus each host's application (`api_build_info`,
 * `process_start_time_seconds`, `up`), over three days with daily waves and seeded noise, and the ten
 * incidents of scenarios.ts drawn in. Five-minute samples, one-minute over the last 26 hours (where
 * the incidents are). Deterministic.
 */
import { NODE_CPU_MODES } from "../../test/support/exporter-shape.js";
import { noise as seededNoise } from "../../test/support/fleet-fixture.js";
import { type Labels, OpenMetricsWriter, writeByWindow } from "../../test/support/openmetrics-writer.js";
import {
  appInstance,
  DAYS,
  DEPLOY,
  END,
  HOSTS,
  HOUR,
  MIN,
  nodeInstance,
  restartLoopBoots,
  SCENARIOS,
  type Scenario,
  type ScenarioKind,
} from "./scenarios.js";

const GiB = 2 ** 30;
const CORES = 2;
const SEED = 16;

/** Deterministic noise in [−0.5, 0.5) from integers, this fleet's seed. */
const noise = (a: number, b: number, c: number) => seededNoise(a, b, c, SEED);

/** Daily wave in [−1, 1], highest at 14:00 UTC. */
const day = (t: number) => Math.cos((2 * Math.PI * (t - 14 * HOUR)) / 86400);
/** Minute number: the noise index, the same at either resolution. */
const minute = (t: number) => Math.floor(t / 60);
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
/** 0 before `a`, 1 after `b`, linear between. */
const ramp = (t: number, a: number, b: number) => (b <= a ? (t >= a ? 1 : 0) : clamp01((t - a) / (b - a)));

export function sampleTimes(): number[] {
  const times: number[] = [];
  const fine = END - 26 * HOUR;
  for (let t = END - DAYS * 86400; t < fine; t += 5 * MIN) times.push(t);
  for (let t = fine; t <= END; t += MIN) times.push(t);
  return times;
}

const byKind = (kind: ScenarioKind) => SCENARIOS.find((s) => s.kind === kind) as Scenario;

/** The incident of `kind` is on host `h` and under way at `t`. */
function during(kind: ScenarioKind, h: number, t: number): boolean {
  const s = byKind(kind);
  return s.host === h && t >= s.onset && t < s.over;
}

interface CpuShares {
  user: number;
  system: number;
  iowait: number;
  steal: number;
  nice: number;
  irq: number;
  softirq: number;
  idle: number;
}

export function fleetWriter(): { writer: OpenMetricsWriter; times: number[] } {
  const times = sampleTimes();
  const w = new OpenMetricsWriter();
  const boots = restartLoopBoots();
  const dead = byKind("dead_exporter");
  const restart = byKind("restart_loop");
  const leak = byKind("memory_leak");
  const filling = byKind("disk_filling");

  for (let h = 0; h < HOSTS; h++) {
    const node: Labels = { instance: nodeInstance(h), job: "node" };
    const baseBoot = END - (12 + (h % 30)) * 86400 - h * 37;
    const isRestart = h === restart.host;
    /** The exporter answered the scrape at `t`: not after it died, not during a reboot. */
    const alive = (t: number) => {
      if (h === dead.host && t >= dead.onset) return false;
      return !(isRestart && boots.some((b) => t >= b && t < b + 2 * MIN));
    };
    const lastBoot = (t: number) => (isRestart ? (boots.filter((b) => b <= t).at(-1) ?? baseBoot) : baseBoot);
    const deployed = (t: number) => t >= DEPLOY.at(h);

    const userBase = 0.12 + (0.15 * (h % 7)) / 7;
    const cpu = (t: number, core: number): CpuShares => {
      const m = minute(t);
      const user =
        Math.max(0.01, userBase + 0.06 * day(t) + 0.03 * noise(h, 1 + core, m)) +
        (during("cpu_hog", h, t)
          ? 0.6 * ramp(t, byKind("cpu_hog").onset, byKind("cpu_hog").onset + 3 * MIN)
          : 0) +
        (deployed(t) ? 0.18 : 0);
      const system =
        0.04 + 0.01 * noise(h, 3 + core, m) + (during("cpu_hog", h, t) ? 0.05 : 0) + (deployed(t) ? 0.02 : 0);
      const iowait =
        Math.max(0, 0.008 + 0.006 * noise(h, 5 + core, m)) + (during("iowait_storm", h, t) ? 0.35 : 0);
      const steal =
        Math.max(0, 0.003 + 0.002 * noise(h, 7 + core, m)) + (during("noisy_neighbour", h, t) ? 0.25 : 0);
      const softirq = 0.004 + 0.001 * noise(h, 9 + core, m);
      const irq = 0.001;
      const nice = 0;
      const idle = Math.max(0, 1 - user - system - iowait - steal - softirq - irq - nice);
      return { user, system, iowait, steal, nice, irq, softirq, idle };
    };

    /**
     * A counter from a rate: summed at each sample, reset by a reboot, absent when not scraped. The
     * per-series values are computed once (the writer reads them by index).
     */
    const counter = (name: string, labels: Labels, rate: (t: number) => number, start = 0) => {
      const values = new Float64Array(times.length);
      let v = start;
      let boot = lastBoot(times[0] as number);
      for (let i = 0; i < times.length; i++) {
        const t = times[i] as number;
        const b = lastBoot(t);
        if (b !== boot) {
          // Counters start again from zero at boot.
          v = rate(t) * (t - b);
          boot = b;
        } else if (i > 0) {
          const a = times[i - 1] as number;
          v += rate((a + t) / 2) * (t - a);
        }
        values[i] = v;
      }
      w.add(name, labels, (t, i) => (alive(t) ? values[i] : undefined));
    };
    const gauge = (name: string, labels: Labels, f: (t: number) => number) =>
      w.add(name, labels, (t) => (alive(t) ? f(t) : undefined));

    for (let core = 0; core < CORES; core++) {
      for (const mode of NODE_CPU_MODES) {
        counter(
          "node_cpu_seconds_total",
          { ...node, cpu: String(core), mode },
          (t) => (cpu(t, core) as unknown as Record<string, number>)[mode] ?? 0,
          // Seconds since boot, roughly.
          mode === "idle" ? 5e5 : 1e4,
        );
      }
    }

    const busy = (t: number) => {
      const c = cpu(t, 0);
      return c.user + c.system + c.iowait;
    };
    const blocked = (t: number) =>
      during("iowait_storm", h, t)
        ? 6 + Math.round(4 * (noise(h, 11, minute(t)) + 0.5))
        : noise(h, 11, minute(t)) > 0.4
          ? 1
          : 0;
    const load = (t: number) =>
      Math.max(
        0,
        CORES * busy(t) * 1.1 +
          0.15 * noise(h, 12, minute(t)) +
          blocked(t) +
          (during("cpu_hog", h, t) ? 2 : 0) +
          (during("noisy_neighbour", h, t) ? 1.5 : 0),
      );
    gauge("node_load1", node, load);
    gauge("node_load5", node, (t) => 0.9 * load(t - 2 * MIN) + 0.1 * load(t));
    gauge("node_load15", node, (t) => 0.8 * load(t - 5 * MIN) + 0.2 * load(t));

    const memTotal = ([8, 16, 32][h % 3] as number) * GiB;
    const memUsedBase = 0.38 + (0.2 * (h % 5)) / 5;
    const memUsed = (t: number) => {
      const m = minute(t);
      let used = memUsedBase + 0.03 * day(t) + 0.01 * noise(h, 13, m);
      if (during("memory_leak", h, t))
        used +=
          (0.94 - memUsedBase) * ramp(t, leak.onset, leak.startsAt) +
          0.02 * ramp(t, leak.startsAt, leak.over);
      // After each reboot of the loop, memory starts low and fills back over ten minutes.
      if (isRestart && boots.length > 0 && t >= (boots[0] as number) && t < restart.over)
        used -= 0.2 * (1 - ramp(t, lastBoot(t), lastBoot(t) + 10 * MIN));
      return Math.min(0.99, used);
    };
    const swapTotal = 2 * GiB;
    const swapUsed = (t: number) =>
      0.03 + (during("memory_leak", h, t) ? 0.45 * ramp(t, leak.startsAt - HOUR, leak.over) : 0);
    gauge("node_memory_MemTotal_bytes", node, () => memTotal);
    gauge("node_memory_MemAvailable_bytes", node, (t) => Math.round(memTotal * (1 - memUsed(t))));
    gauge("node_memory_MemFree_bytes", node, (t) => Math.round(memTotal * (1 - memUsed(t)) * 0.35));
    gauge("node_memory_SwapTotal_bytes", node, () => swapTotal);
    gauge("node_memory_SwapFree_bytes", node, (t) => Math.round(swapTotal * (1 - swapUsed(t))));

    const rootSize = (h % 4 === 0 ? 200 : 100) * GiB;
    const rootUsedBase = 0.3 + (0.25 * (h % 6)) / 6;
    const rootUsed = (t: number) => {
      let used = rootUsedBase + (0.004 * (t - (END - DAYS * 86400))) / (DAYS * 86400);
      if (during("disk_filling", h, t))
        used +=
          (0.91 - rootUsedBase) * ramp(t, filling.onset, filling.startsAt) +
          0.03 * ramp(t, filling.startsAt, filling.over);
      return used;
    };
    /** Bytes per second the filling writes. */
    const fillRate = (t: number) =>
      during("disk_filling", h, t)
        ? t < filling.startsAt
          ? ((0.91 - rootUsedBase) * rootSize) / (filling.startsAt - filling.onset)
          : (0.03 * rootSize) / (filling.over - filling.startsAt)
        : 0;
    const root = { ...node, device: "/dev/mapper/vg0-root", fstype: "ext4", mountpoint: "/" };
    gauge("node_filesystem_size_bytes", root, () => rootSize);
    gauge("node_filesystem_avail_bytes", root, (t) => Math.round(rootSize * (1 - rootUsed(t))));
    const efi = { ...node, device: "/dev/sda1", fstype: "vfat", mountpoint: "/boot/efi" };
    gauge("node_filesystem_size_bytes", efi, () => 0.5 * GiB);
    gauge("node_filesystem_avail_bytes", efi, () => 0.47 * GiB);
    const run = { ...node, device: "tmpfs", fstype: "tmpfs", mountpoint: "/run" };
    gauge("node_filesystem_size_bytes", run, () => 0.8 * GiB);
    gauge("node_filesystem_avail_bytes", run, () => 0.79 * GiB);

    const read = (t: number) =>
      1.5e6 * (1 + 0.3 * day(t) + 0.3 * noise(h, 14, minute(t))) * (during("iowait_storm", h, t) ? 6 : 1);
    const written = (t: number) => 3e6 * (1 + 0.3 * day(t) + 0.3 * noise(h, 15, minute(t))) + fillRate(t);
    const ioTime = (t: number) =>
      during("iowait_storm", h, t) ? 0.97 : 0.04 + 0.02 * day(t) + 0.015 * noise(h, 16, minute(t));
    // sda and the device-mapper volume over it, which counts the same I/O again.
    for (const device of ["sda", "dm-0"]) {
      const disk = { ...node, device };
      counter("node_disk_read_bytes_total", disk, read, 1e11);
      counter("node_disk_written_bytes_total", disk, written, 3e11);
      counter("node_disk_io_time_seconds_total", disk, ioTime, 5e4);
    }

    const eth0 = { ...node, device: "eth0" };
    const rx = (t: number) => 1.2e6 * (1 + 0.35 * day(t) + 0.15 * noise(h, 17, minute(t)));
    const tx = (t: number) => 0.8e6 * (1 + 0.35 * day(t) + 0.15 * noise(h, 18, minute(t)));
    const netErr = (t: number) => (during("network_errors", h, t) ? 40 + 10 * noise(h, 19, minute(t)) : 0);
    const netDrop = (t: number) =>
      during("network_errors", h, t)
        ? 80 + 20 * noise(h, 20, minute(t))
        : noise(h, 21, minute(t)) > 0.45
          ? 0.02
          : 0;
    counter("node_network_receive_bytes_total", eth0, rx, 1e12);
    counter("node_network_transmit_bytes_total", eth0, tx, 8e11);
    counter("node_network_receive_errs_total", eth0, netErr);
    counter("node_network_transmit_errs_total", eth0, () => 0);
    counter("node_network_receive_drop_total", eth0, netDrop, 120);
    counter("node_network_transmit_drop_total", eth0, () => 0);
    const lo = { ...node, device: "lo" };
    counter("node_network_receive_bytes_total", lo, () => 3e5, 1e10);
    counter("node_network_transmit_bytes_total", lo, () => 3e5, 1e10);
    for (const c of ["receive_errs", "transmit_errs", "receive_drop", "transmit_drop"])
      counter(`node_network_${c}_total`, lo, () => 0);

    gauge("node_netstat_Tcp_CurrEstab", node, (t) =>
      Math.round(150 + 40 * day(t) + 10 * noise(h, 22, minute(t)) + (deployed(t) ? 5 : 0)),
    );
    counter(
      "node_context_switches_total",
      node,
      (t) =>
        2500 *
        (1 + 0.1 * noise(h, 23, minute(t))) *
        (during("cpu_hog", h, t) ? 1.4 : 1) *
        (deployed(t) ? 1.15 : 1),
      1e9,
    );
    gauge("node_procs_blocked", node, blocked);
    gauge("node_procs_running", node, (t) =>
      Math.max(1, Math.round(1 + 2 * busy(t) + (during("cpu_hog", h, t) ? 2 : 0) + noise(h, 24, minute(t)))),
    );
    gauge("node_boot_time_seconds", node, lastBoot);
    gauge(
      "node_exporter_build_info",
      {
        ...node,
        branch: "HEAD",
        goarch: "amd64",
        goos: "linux",
        goversion: "go1.22.5",
        revision: "2c8e7c5",
        tags: "unknown",
        version: "1.8.2",
      },
      () => 1,
    );
    // Prometheus writes `up` whether the scrape answered or not.
    w.add("up", node, (t) => (alive(t) ? 1 : 0));

    // The host's application: its version labels change at the deploy, and the process restarts.
    const app: Labels = { instance: appInstance(h), job: "api" };
    const appStart = END - (5 + (h % 3)) * 86400;
    w.add(
      "api_build_info",
      { ...app, goversion: "go1.22.5", revision: "8f3a1c2", version: DEPLOY.from },
      (t) => (deployed(t) ? undefined : 1),
    );
    w.add(
      "api_build_info",
      { ...app, goversion: "go1.22.5", revision: "b41d9e7", version: DEPLOY.to },
      (t) => (deployed(t) ? 1 : undefined),
    );
    w.add("process_start_time_seconds", app, (t) => (deployed(t) ? DEPLOY.at(h) : appStart));
    w.add("up", app, () => 1);
  }
  return { writer: w, times };
}

/** Writes the fleet as two-hour OpenMetrics files into `dir`; returns the files and the sample count. */
export async function writeIncidentFleet(dir: string): Promise<string[]> {
  const { writer, times } = fleetWriter();
  return writeByWindow(writer, dir, times, 2 * HOUR);
}
