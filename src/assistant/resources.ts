/**
 * The signals the engine answers about — every host feature the anomaly detector measures, plus
 * uptime: which catalogue queries measure each, the words that name it, how to show it, and the
 * levels at which it becomes worth a look (warning) or a page (critical). The answerers are generic
 * over {@link ResourceSpec}; adding a signal here makes it answerable now, over time, ranked and compared.
 */
import { DASHBOARDS } from "../grafana/links.js";
import type { QueryName, Unit } from "../metrics/catalogue.js";

export interface ResourceSpec {
  resource: Resource;
  /** Display name, capitalised: "CPU", "Memory". */
  label: string;
  /**
   * Single words (lowercase) that name this signal on their own, typos included. Words that only
   * name it together with others ("disk" + "reads", "user" + "cpu") are the parser's rules.
   */
  words: readonly string[];
  /** The queries measuring it; the first is the headline number. */
  queries: { name: QueryName; label: string }[];
  unit: Unit;
  /** Headline levels; undefined where no level means trouble (network throughput). */
  warning?: number;
  critical?: number;
  /** Grafana panel of the system-overview dashboard showing it (or the nearest one). */
  grafanaPanel: number;
}

const PANEL = DASHBOARDS.systemOverview.panels;

/**
 * Every signal, in the order help and tools list them. The key is the signal's id: stable, used in
 * tool arguments and in the follow-up questions answers offer ("iowait trend last 1h").
 */
const SIGNALS = {
  cpu: {
    label: "CPU",
    words: ["cpu", "cpus", "processor", "processors", "compute"],
    queries: [{ name: "cpu_busy_percent", label: "CPU busy" }],
    unit: "percent",
    warning: 80,
    critical: 95,
    grafanaPanel: PANEL.cpu,
  },
  cpu_user: {
    label: "CPU user",
    words: ["cpu_user", "userland", "userspace"],
    queries: [{ name: "cpu_user_percent", label: "CPU in user mode" }],
    unit: "percent",
    warning: 80,
    critical: 95,
    grafanaPanel: PANEL.cpu,
  },
  cpu_system: {
    label: "CPU system",
    words: ["cpu_system", "kernel"],
    queries: [{ name: "cpu_system_percent", label: "CPU in kernel mode" }],
    unit: "percent",
    // Kernel time above a third of all CPU time means syscalls, interrupts or page faults dominate.
    warning: 30,
    critical: 50,
    grafanaPanel: PANEL.cpu,
  },
  iowait: {
    label: "I/O wait",
    words: ["iowait", "iowaits", "wa"],
    queries: [{ name: "cpu_iowait_percent", label: "CPU idle waiting for I/O" }],
    unit: "percent",
    warning: 10,
    critical: 25,
    grafanaPanel: PANEL.cpu,
  },
  steal: {
    label: "CPU steal",
    words: ["steal", "stolen", "stealing", "steals"],
    queries: [{ name: "cpu_steal_percent", label: "CPU stolen by the hypervisor" }],
    unit: "percent",
    warning: 5,
    critical: 15,
    grafanaPanel: PANEL.cpu,
  },
  load: {
    label: "Load",
    words: ["load", "loadavg", "load1", "loaded", "overloaded"],
    queries: [{ name: "load1_per_core", label: "Load per core (1m)" }],
    unit: "ratio",
    warning: 1.5,
    critical: 3,
    grafanaPanel: PANEL.load,
  },
  load5: {
    label: "Load (5m)",
    words: ["load5"],
    queries: [{ name: "load5_per_core", label: "Load per core (5m)" }],
    unit: "ratio",
    warning: 1.5,
    critical: 3,
    grafanaPanel: PANEL.load,
  },
  memory: {
    label: "Memory",
    words: ["memory", "mem", "ram", "memroy", "memmory", "oom"],
    queries: [{ name: "memory_used_percent", label: "Memory used" }],
    unit: "percent",
    warning: 85,
    critical: 95,
    grafanaPanel: PANEL.memory,
  },
  swap: {
    label: "Swap",
    words: ["swap", "swapping", "swapped", "swp", "paging", "swapfile"],
    queries: [{ name: "swap_used_percent", label: "Swap used" }],
    unit: "percent",
    warning: 50,
    critical: 80,
    grafanaPanel: PANEL.memory,
  },
  disk: {
    label: "Disk",
    words: [
      "disk",
      "disks",
      "dsk",
      "storage",
      "filesystem",
      "filesystems",
      "fs",
      "space",
      "diskspace",
      "partition",
      "partitions",
      "volume",
      "volumes",
      "df",
      "mount",
      "mounts",
      "mountpoint",
    ],
    queries: [{ name: "disk_used_percent", label: "Disk used (fullest mount)" }],
    unit: "percent",
    warning: 85,
    critical: 95,
    grafanaPanel: PANEL.disk,
  },
  disk_read: {
    label: "Disk reads",
    words: ["disk_read"],
    queries: [{ name: "disk_read_bytes", label: "Read from disk" }],
    unit: "bytes_per_second",
    grafanaPanel: PANEL.disk,
  },
  disk_write: {
    label: "Disk writes",
    words: ["disk_write"],
    queries: [{ name: "disk_write_bytes", label: "Written to disk" }],
    unit: "bytes_per_second",
    grafanaPanel: PANEL.disk,
  },
  disk_io: {
    label: "Disk busy",
    words: ["disk_io", "iops"],
    queries: [{ name: "disk_busy_percent", label: "Busiest disk, time with I/O in flight" }],
    unit: "percent",
    warning: 80,
    critical: 95,
    grafanaPanel: PANEL.disk,
  },
  network: {
    label: "Network",
    words: [
      "network",
      "net",
      "bandwidth",
      "traffic",
      "throughput",
      "nic",
      "nics",
      "interface",
      "interfaces",
      "talkers",
      "netwrok",
    ],
    queries: [
      { name: "network_receive_bytes", label: "Received" },
      { name: "network_transmit_bytes", label: "Sent" },
    ],
    unit: "bytes_per_second",
    grafanaPanel: PANEL.network,
  },
  network_in: {
    label: "Network in",
    words: [
      "network_in",
      "inbound",
      "incoming",
      "ingress",
      "rx",
      "received",
      "receive",
      "receives",
      "receiving",
      "download",
      "downloads",
    ],
    queries: [{ name: "network_receive_bytes", label: "Received" }],
    unit: "bytes_per_second",
    grafanaPanel: PANEL.network,
  },
  network_out: {
    label: "Network out",
    words: [
      "network_out",
      "outbound",
      "outgoing",
      "egress",
      "tx",
      "sent",
      "send",
      "sends",
      "sending",
      "transmit",
      "transmitted",
      "upload",
      "uploads",
    ],
    queries: [{ name: "network_transmit_bytes", label: "Sent" }],
    unit: "bytes_per_second",
    grafanaPanel: PANEL.network,
  },
  network_errors: {
    label: "Network errors + drops/s",
    words: ["network_errors", "drops", "dropped", "packetloss"],
    queries: [{ name: "network_errors_per_second", label: "Errors + drops per second" }],
    unit: "count",
    // Any steady stream of errors or drops on a real interface is worth a look.
    warning: 1,
    critical: 10,
    grafanaPanel: PANEL.network,
  },
  tcp: {
    label: "TCP connections",
    words: ["tcp", "connections", "connection", "conns", "sockets", "established", "estab"],
    queries: [{ name: "tcp_established", label: "TCP connections established" }],
    unit: "count",
    grafanaPanel: PANEL.network,
  },
  context_switches: {
    label: "Context switches/s",
    words: ["context_switches", "context", "ctx", "csw", "cs"],
    queries: [{ name: "context_switches_per_second", label: "Context switches per second" }],
    unit: "count",
    grafanaPanel: PANEL.cpu,
  },
  blocked: {
    label: "Blocked processes",
    words: ["blocked", "dstate", "uninterruptible"],
    queries: [{ name: "procs_blocked", label: "Processes blocked on I/O (state D)" }],
    unit: "count",
    warning: 5,
    critical: 20,
    grafanaPanel: PANEL.load,
  },
  uptime: {
    label: "Uptime",
    words: ["uptime", "uptimes", "reboot", "reboots", "rebooted", "rebooting", "boot", "booted", "boottime"],
    queries: [{ name: "uptime_seconds", label: "Up for" }],
    unit: "seconds",
    grafanaPanel: PANEL.load,
  },
} as const satisfies Record<string, Omit<ResourceSpec, "resource">>;

/** Signals the engine answers about: the ids of {@link RESOURCES}. */
export type Resource = keyof typeof SIGNALS;

/** Every signal id, in display order. */
export const RESOURCE_IDS = Object.keys(SIGNALS) as Resource[];

export const RESOURCES: Record<Resource, ResourceSpec> = Object.fromEntries(
  RESOURCE_IDS.map((id) => [id, { resource: id, ...SIGNALS[id] } as ResourceSpec]),
) as Record<Resource, ResourceSpec>;

export type Level = "ok" | "warning" | "critical";

/** The level of a headline value for a resource. */
export function levelOf(spec: Pick<ResourceSpec, "warning" | "critical">, value: number): Level {
  if (spec.critical !== undefined && value >= spec.critical) return "critical";
  if (spec.warning !== undefined && value >= spec.warning) return "warning";
  return "ok";
}

/** Worst of several levels. */
export function worstLevel(levels: Iterable<Level>): Level {
  let worst: Level = "ok";
  for (const l of levels) {
    if (l === "critical") return "critical";
    if (l === "warning") worst = "warning";
  }
  return worst;
}

export const LEVEL_EMOJI: Record<Level, string> = { ok: "🟢", warning: "🟠", critical: "🔴" };
