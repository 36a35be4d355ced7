/**
 * The 18 host features the detector learns from. Each is one PromQL expression over all hosts
 * (`by (instance)`), so a scan costs 18 range queries whatever the fleet size.
 */
import type { Unit } from "../metrics/catalogue.js";
import {
  DISK_DEVICE_EXCLUDE,
  FS_TYPE_EXCLUDE,
  NET_DEVICE_EXCLUDE,
  NET_ERROR_COUNTERS,
} from "../metrics/node-exporter.js";
import { promDuration } from "../metrics/promql.js";

export interface FeatureSpec {
  name: string;
  label: string;
  unit: Unit;
  /** PromQL with `$W` where the rate window goes. */
  expr: string;
}

// Share of all CPU time, which stays right when the window reaches back before the first sample.
const cpuMode = (mode: string) =>
  `100 * sum by (instance) (rate(node_cpu_seconds_total{mode="${mode}"}[$W])) / sum by (instance) (rate(node_cpu_seconds_total[$W]))`;
const cores = 'count by (instance) (node_cpu_seconds_total{mode="idle"})';

export const FEATURES: readonly FeatureSpec[] = [
  { name: "cpu_user", label: "CPU user", unit: "percent", expr: cpuMode("user") },
  { name: "cpu_system", label: "CPU system", unit: "percent", expr: cpuMode("system") },
  { name: "cpu_iowait", label: "iowait", unit: "percent", expr: cpuMode("iowait") },
  { name: "cpu_steal", label: "CPU steal", unit: "percent", expr: cpuMode("steal") },
  {
    name: "load1_per_core",
    label: "load1 per core",
    unit: "ratio",
    expr: `node_load1 / on (instance) ${cores}`,
  },
  {
    name: "load5_per_core",
    label: "load5 per core",
    unit: "ratio",
    expr: `node_load5 / on (instance) ${cores}`,
  },
  {
    name: "memory_used",
    label: "memory used",
    unit: "percent",
    expr: "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)",
  },
  {
    name: "swap_used",
    label: "swap used",
    unit: "percent",
    // Hosts without swap have SwapTotal 0: the division gives NaN, which the detector treats as missing.
    expr: "100 * (1 - node_memory_SwapFree_bytes / (node_memory_SwapTotal_bytes > 0))",
  },
  {
    name: "filesystem_used_max",
    label: "fullest filesystem",
    unit: "percent",
    expr: `100 * max by (instance) (1 - node_filesystem_avail_bytes{${FS_TYPE_EXCLUDE}} / node_filesystem_size_bytes{${FS_TYPE_EXCLUDE}})`,
  },
  {
    name: "disk_read",
    label: "disk reads",
    unit: "bytes_per_second",
    expr: `sum by (instance) (rate(node_disk_read_bytes_total{${DISK_DEVICE_EXCLUDE}}[$W]))`,
  },
  {
    name: "disk_write",
    label: "disk writes",
    unit: "bytes_per_second",
    expr: `sum by (instance) (rate(node_disk_written_bytes_total{${DISK_DEVICE_EXCLUDE}}[$W]))`,
  },
  {
    name: "disk_io_time",
    label: "disk busy time",
    unit: "percent",
    expr: `100 * max by (instance) (rate(node_disk_io_time_seconds_total{${DISK_DEVICE_EXCLUDE}}[$W]))`,
  },
  {
    name: "net_rx",
    label: "network in",
    unit: "bytes_per_second",
    expr: `sum by (instance) (rate(node_network_receive_bytes_total{${NET_DEVICE_EXCLUDE}}[$W]))`,
  },
  {
    name: "net_tx",
    label: "network out",
    unit: "bytes_per_second",
    expr: `sum by (instance) (rate(node_network_transmit_bytes_total{${NET_DEVICE_EXCLUDE}}[$W]))`,
  },
  {
    name: "net_errors",
    label: "network errors+drops",
    unit: "count",
    // rate() drops the metric name, so the four counters of one device would collide inside one sum:
    // each counter is summed by instance first, then the four sums are added.
    expr: NET_ERROR_COUNTERS.map((c) => `sum by (instance) (rate(${c}{${NET_DEVICE_EXCLUDE}}[$W]))`).join(
      " + ",
    ),
  },
  {
    name: "tcp_established",
    label: "TCP established",
    unit: "count",
    expr: "sum by (instance) (node_netstat_Tcp_CurrEstab)",
  },
  {
    name: "context_switches",
    label: "context switches/s",
    unit: "count",
    expr: "sum by (instance) (rate(node_context_switches_total[$W]))",
  },
  {
    name: "procs_blocked",
    label: "blocked processes",
    unit: "count",
    expr: "sum by (instance) (node_procs_blocked)",
  },
];

/** The feature's PromQL with its rate window. */
export function featureQuery(f: FeatureSpec, windowSeconds: number): string {
  return f.expr.replaceAll("$W", promDuration(Math.max(60, windowSeconds)));
}
