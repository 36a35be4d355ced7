/**
 * What the engine knows about each host resource: which catalogue queries measure it, how to name it,
 * and the levels at which it becomes worth a look (warning) or a page (critical).
 */
import type { QueryName, Unit } from "../metrics/catalogue.js";
import type { Resource } from "./intent.js";

export interface ResourceSpec {
  resource: Resource;
  /** Display name, capitalised: "CPU", "Memory". */
  label: string;
  /** The queries measuring it; the first is the headline number. */
  queries: { name: QueryName; label: string }[];
  unit: Unit;
  /** Headline levels; undefined where no level means trouble (network throughput). */
  warning?: number;
  critical?: number;
  /** Grafana panel of the system-overview dashboard showing it. */
  grafanaPanel: number;
}

export const RESOURCES: Record<Resource, ResourceSpec> = {
  cpu: {
    resource: "cpu",
    label: "CPU",
    queries: [{ name: "cpu_busy_percent", label: "CPU busy" }],
    unit: "percent",
    warning: 80,
    critical: 95,
    grafanaPanel: 2,
  },
  memory: {
    resource: "memory",
    label: "Memory",
    queries: [{ name: "memory_used_percent", label: "Memory used" }],
    unit: "percent",
    warning: 85,
    critical: 95,
    grafanaPanel: 3,
  },
  disk: {
    resource: "disk",
    label: "Disk",
    queries: [{ name: "disk_used_percent", label: "Disk used (fullest mount)" }],
    unit: "percent",
    warning: 85,
    critical: 95,
    grafanaPanel: 4,
  },
  load: {
    resource: "load",
    label: "Load",
    queries: [{ name: "load1_per_core", label: "Load per core (1m)" }],
    unit: "ratio",
    warning: 1.5,
    critical: 3,
    grafanaPanel: 6,
  },
  network: {
    resource: "network",
    label: "Network",
    queries: [
      { name: "network_receive_bytes", label: "Received" },
      { name: "network_transmit_bytes", label: "Sent" },
    ],
    unit: "bytes_per_second",
    grafanaPanel: 5,
  },
};

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
