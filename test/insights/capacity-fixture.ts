/**
 * Disks and memory that do what real ones do, backfilled into a real Prometheus: a steady fill, a
 * sawtooth of clean-ups, a volume resized, a flat disk, a full one, a shrinking one, a young one, a
 * filling tmpfs (never a disk), a bind mount, and a host whose memory leaks. CAPACITY_FIXTURE states
 * what a correct forecast must find. 14 days at 5 minutes, ending at `end`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Labels, OpenMetricsWriter, writeByDay } from "../support/openmetrics-writer.js";
import { type PrometheusProcess, startBackfilledPrometheus } from "../support/prometheus-process.js";

const GiB = 1024 ** 3;
const DAY = 86_400;

/** Used bytes at `age` seconds before the end (the function of each disk). */
type UsedAt = (age: number) => number;

interface DiskSpec {
  host: string;
  mountpoint: string;
  device: string;
  fstype: string;
  /** Size at `age` seconds before the end. */
  size: (age: number) => number;
  used: UsedAt;
  /** Seconds of history before the end (default all 14 days). */
  since?: number;
}

const steadyFill = { size: 1000 * GiB, startUsed: 500 * GiB, perDay: 20 * GiB };

export const CAPACITY_FIXTURE = {
  days: 14,
  step: 300,
  /** 1000 GiB, 20 GiB more a day, 780 GiB at the end: full 11 days after the end. */
  steadyFill: {
    host: "cap-1",
    mountpoint: "/data",
    device: "/dev/sdb1",
    ...steadyFill,
    endUsed: steadyFill.startUsed + 14 * steadyFill.perDay,
    fillsInSeconds:
      ((steadyFill.size - (steadyFill.startUsed + 14 * steadyFill.perDay)) / steadyFill.perDay) * DAY,
    /** The same device, bind-mounted again under a longer path: one file system, one forecast. */
    bindMount: "/var/lib/docker/volumes/data",
  },
  /** 100 GiB logs, +15 GiB a day from 20 GiB, cleaned back every 3 days: never fills. */
  sawtooth: { host: "cap-1", mountpoint: "/var/log", device: "/dev/sdc1", size: 100 * GiB },
  /** 100 GiB resized to 200 GiB four days before the end; +3 GiB a day from 60 GiB: 102 GiB now. */
  resized: {
    host: "cap-2",
    mountpoint: "/srv",
    device: "/dev/sdd1",
    from: 100 * GiB,
    to: 200 * GiB,
    resizedSecondsBeforeEnd: 4 * DAY,
    endUsed: 102 * GiB,
    /** (200 − 102) / 3 days after the end. */
    fillsInSeconds: (98 / 3) * DAY,
  },
  /** Root at 30% of 100 GiB, not moving. */
  flat: { host: "cap-2", mountpoint: "/", device: "/dev/sda1", size: 100 * GiB, used: 30 * GiB },
  /** 50 GiB with nothing available. */
  full: { host: "cap-3", mountpoint: "/full", device: "/dev/sde1", size: 50 * GiB },
  /** 500 GiB, from 400 GiB down 10 GiB a day. */
  shrinking: { host: "cap-3", mountpoint: "/archive", device: "/dev/sdf1", size: 500 * GiB },
  /** Mounted 3 hours before the end, filling fast: too little history to forecast. */
  young: { host: "cap-3", mountpoint: "/new", device: "/dev/sdg1", size: 10 * GiB, historySeconds: 3 * 3600 },
  /** A network mount gone stale: it reports size 0 and avail 0 now; no capacity, never reported. */
  staleNfs: { host: "cap-2", mountpoint: "/mnt/share", device: "nas:/share" },
  /** A tmpfs at 99% and rising: not a disk, never reported. */
  tmpfs: { host: "cap-1", mountpoint: "/run", device: "tmpfs" },
  /** 16 GiB, used 8 GiB two weeks ago, +0.4 GiB a day with a daily swing: 13.6 GiB now, 95% in ~4 d. */
  memoryLeak: {
    host: "cap-1",
    total: 16 * GiB,
    startUsed: 8 * GiB,
    perDay: 0.4 * GiB,
    fillsInSeconds: ((0.95 * 16 - (8 + 14 * 0.4)) / 0.4) * DAY,
  },
  /** TCP connections established: a daily cycle of ±25% around 200 (cap-1) and 600 (cap-2). */
  tcp: { "cap-1": 200, "cap-2": 600 },
  /** Memory steady at a quarter of 64 GiB. */
  memoryFlat: { host: "cap-2", total: 64 * GiB, used: 16 * GiB },
} as const;

function disks(): DiskSpec[] {
  const f = CAPACITY_FIXTURE;
  const s = f.steadyFill;
  const steady: UsedAt = (age) => s.endUsed - (age / DAY) * s.perDay;
  return [
    {
      host: s.host,
      mountpoint: s.mountpoint,
      device: s.device,
      fstype: "ext4",
      size: () => s.size,
      used: steady,
    },
    {
      host: s.host,
      mountpoint: s.bindMount,
      device: s.device,
      fstype: "ext4",
      size: () => s.size,
      used: steady,
    },
    {
      host: f.sawtooth.host,
      mountpoint: f.sawtooth.mountpoint,
      device: f.sawtooth.device,
      fstype: "xfs",
      size: () => f.sawtooth.size,
      // Cycle of 3 days; ages are counted back from the end, so the cycle phase runs forwards in time.
      used: (age) => {
        const t = 14 * DAY - age;
        return 20 * GiB + ((t % (3 * DAY)) / DAY) * 15 * GiB;
      },
    },
    {
      host: f.resized.host,
      mountpoint: f.resized.mountpoint,
      device: f.resized.device,
      fstype: "ext4",
      size: (age) => (age > f.resized.resizedSecondsBeforeEnd ? f.resized.from : f.resized.to),
      used: (age) => f.resized.endUsed - (age / DAY) * 3 * GiB,
    },
    {
      host: f.flat.host,
      mountpoint: f.flat.mountpoint,
      device: f.flat.device,
      fstype: "ext4",
      size: () => f.flat.size,
      used: () => f.flat.used,
    },
    {
      host: f.full.host,
      mountpoint: f.full.mountpoint,
      device: f.full.device,
      fstype: "ext4",
      size: () => f.full.size,
      used: (age) => Math.min(f.full.size, f.full.size - (age / DAY) * GiB),
    },
    {
      host: f.shrinking.host,
      mountpoint: f.shrinking.mountpoint,
      device: f.shrinking.device,
      fstype: "ext4",
      size: () => f.shrinking.size,
      used: (age) => 260 * GiB + (age / DAY) * 10 * GiB,
    },
    {
      host: f.young.host,
      mountpoint: f.young.mountpoint,
      device: f.young.device,
      fstype: "ext4",
      size: () => f.young.size,
      used: (age) => 9 * GiB - (age / 3600) * 0.5 * GiB,
      since: f.young.historySeconds,
    },
    {
      host: f.staleNfs.host,
      mountpoint: f.staleNfs.mountpoint,
      device: f.staleNfs.device,
      fstype: "nfs4",
      size: (age) => (age < DAY ? 0 : 500 * GiB),
      used: (age) => (age < DAY ? 0 : 100 * GiB),
    },
    {
      host: f.tmpfs.host,
      mountpoint: f.tmpfs.mountpoint,
      device: f.tmpfs.device,
      fstype: "tmpfs",
      size: () => GiB,
      used: (age) => 0.99 * GiB - (age / DAY) * 0.01 * GiB,
    },
  ];
}

/** Writes the fixture as one OpenMetrics file per day into `dir`. */
export async function writeCapacityFixture(dir: string, end: number): Promise<string[]> {
  const f = CAPACITY_FIXTURE;
  const times: number[] = [];
  for (let t = end - f.days * DAY; t <= end; t += f.step) times.push(t);
  const w = new OpenMetricsWriter();
  const node = (host: string): Labels => ({ instance: `${host}:9100`, job: "node" });
  for (const d of disks()) {
    const labels = { ...node(d.host), device: d.device, fstype: d.fstype, mountpoint: d.mountpoint };
    const live = (t: number) => d.since === undefined || end - t <= d.since;
    w.add("node_filesystem_size_bytes", labels, (t) => (live(t) ? d.size(end - t) : undefined));
    w.add("node_filesystem_avail_bytes", labels, (t) =>
      live(t) ? Math.max(0, d.size(end - t) - d.used(end - t)) : undefined,
    );
  }
  const leak = f.memoryLeak;
  w.add("node_memory_MemTotal_bytes", node(leak.host), () => leak.total);
  w.add("node_memory_MemAvailable_bytes", node(leak.host), (t) => {
    const age = end - t;
    const swing = 0.3 * GiB * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
    return leak.total - (leak.startUsed + ((f.days * DAY - age) / DAY) * leak.perDay + swing);
  });
  w.add("node_memory_MemTotal_bytes", node(f.memoryFlat.host), () => f.memoryFlat.total);
  w.add(
    "node_memory_MemAvailable_bytes",
    node(f.memoryFlat.host),
    () => f.memoryFlat.total - f.memoryFlat.used,
  );
  // cap-3 has memory too, as every host does, steady at half.
  w.add("node_memory_MemTotal_bytes", node("cap-3"), () => 8 * GiB);
  w.add("node_memory_MemAvailable_bytes", node("cap-3"), () => 4 * GiB);
  // TCP connections with a daily cycle (a level to forecast, not a capacity): cap-2 busier.
  for (const [host, base] of [
    ["cap-1", 200],
    ["cap-2", 600],
  ] as const)
    w.add("node_netstat_Tcp_CurrEstab", node(host), (t) =>
      Math.round(base + 0.25 * base * Math.sin((2 * Math.PI * (t % DAY)) / DAY)),
    );
  for (const host of ["cap-1", "cap-2", "cap-3"]) w.add("up", node(host), () => 1);
  return writeByDay(w, dir, times);
}

export interface CapacityPrometheus extends PrometheusProcess {
  end: number;
}

/** The fixture ending at `end` (default: the current 5 minutes), served by a real Prometheus. */
export async function startCapacityPrometheus(
  end = Math.floor(Date.now() / 300_000) * 300,
): Promise<CapacityPrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-capacity-"));
  try {
    const files = await writeCapacityFixture(dir, end);
    return { ...(await startBackfilledPrometheus(files)), end };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
