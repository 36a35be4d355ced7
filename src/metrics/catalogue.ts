/**
 * The catalogue of named queries: every PromQL the bot runs for a question comes from here, built
 * from a template and escaped label matchers. Names are stable: tools, tests and links refer to them.
 */
import {
  DISK_DEVICE_EXCLUDE,
  FS_TYPE_EXCLUDE,
  NET_DEVICE_EXCLUDE,
  NET_ERROR_COUNTERS,
} from "./node-exporter.js";
import { type LabelMatcher, promDuration, renderMatchers } from "./promql.js";

export type Unit = "percent" | "bytes" | "bytes_per_second" | "ratio" | "count" | "seconds";

export interface QueryParams {
  /** Extra matchers, e.g. the host filter. Applied to every selector of the query. */
  matchers?: readonly LabelMatcher[];
  /** Window of rate()/changes() etc., in seconds; default 5 minutes. */
  windowSeconds?: number;
  /** For "top" style queries. */
  limit?: number;
}

export interface NamedQuery {
  name: string;
  description: string;
  unit: Unit;
  /** Labels identifying one result series, e.g. ["instance"] or ["instance", "mountpoint"]. */
  by: readonly string[];
  /** What to say about where the number comes from ("from node_cpu_seconds_total, 5 min rate"). */
  source: (windowSeconds: number) => string;
  build: (p: QueryParams) => string;
}

function sel(base: string, p: QueryParams): string {
  const extra = p.matchers && p.matchers.length > 0 ? renderMatchers(p.matchers) : "";
  return [base, extra].filter(Boolean).join(",");
}

function win(p: QueryParams): string {
  return promDuration(Math.max(60, p.windowSeconds ?? 300));
}

function windowText(seconds: number): string {
  const s = Math.max(60, seconds);
  return s % 3600 === 0 ? `${s / 3600} h` : `${Math.round(s / 60)} min`;
}

/** Share of all CPU time spent in one mode, per host: right on any number of CPUs. */
function cpuModeQuery(mode: string, label: string): NamedQuery {
  return {
    name: `cpu_${mode}_percent`,
    description: `CPU ${label} % per host, share of all CPU time over all cores`,
    unit: "percent",
    by: ["instance"],
    source: (w) => `node_cpu_seconds_total{mode="${mode}"}, ${windowText(w)} rate`,
    build: (p) =>
      `100 * sum by (instance) (rate(node_cpu_seconds_total{${sel(`mode="${mode}"`, p)}}[${win(p)}])) / sum by (instance) (rate(node_cpu_seconds_total{${sel("", p)}}[${win(p)}]))`,
  };
}

const queries: NamedQuery[] = [
  {
    name: "cpu_busy_percent",
    description: "CPU busy % per host (100 − idle), averaged over all cores",
    unit: "percent",
    by: ["instance"],
    source: (w) => `node_cpu_seconds_total, ${windowText(w)} rate`,
    // A share of all CPU time rather than idle seconds per wall second: rate() divides by the whole
    // window, so on a Prometheus younger than the window the latter reads near 100% busy.
    build: (p) =>
      `100 * (1 - sum by (instance) (rate(node_cpu_seconds_total{${sel('mode="idle"', p)}}[${win(p)}])) / sum by (instance) (rate(node_cpu_seconds_total{${sel("", p)}}[${win(p)}])))`,
  },
  {
    name: "cpu_mode_percent",
    description: "CPU % per host by mode (user, system, iowait, steal)",
    unit: "percent",
    by: ["instance", "mode"],
    source: (w) => `node_cpu_seconds_total by mode, ${windowText(w)} rate`,
    build: (p) =>
      `100 * sum by (instance, mode) (rate(node_cpu_seconds_total{${sel('mode=~"user|system|iowait|steal"', p)}}[${win(p)}])) / on (instance) group_left sum by (instance) (rate(node_cpu_seconds_total{${sel("", p)}}[${win(p)}]))`,
  },
  {
    name: "cpu_cores",
    description: "Number of CPU cores per host",
    unit: "count",
    by: ["instance"],
    source: () => "node_cpu_seconds_total",
    build: (p) => `count by (instance) (node_cpu_seconds_total{${sel('mode="idle"', p)}})`,
  },
  {
    name: "memory_used_percent",
    description: "Memory used % per host (1 − MemAvailable / MemTotal)",
    unit: "percent",
    by: ["instance"],
    source: () => "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
    build: (p) =>
      `100 * (1 - node_memory_MemAvailable_bytes{${sel("", p)}} / node_memory_MemTotal_bytes{${sel("", p)}})`,
  },
  {
    name: "memory_total_bytes",
    description: "Memory size per host",
    unit: "bytes",
    by: ["instance"],
    source: () => "node_memory_MemTotal_bytes",
    build: (p) => `node_memory_MemTotal_bytes{${sel("", p)}}`,
  },
  {
    name: "disk_used_percent",
    description: "Fullest real file system per host, used %",
    unit: "percent",
    by: ["instance"],
    source: () => "node_filesystem_avail_bytes / node_filesystem_size_bytes, fullest mount",
    build: (p) =>
      `100 * max by (instance) (1 - node_filesystem_avail_bytes{${sel(FS_TYPE_EXCLUDE, p)}} / node_filesystem_size_bytes{${sel(FS_TYPE_EXCLUDE, p)}})`,
  },
  {
    name: "disk_used_percent_by_mount",
    description: "Used % of each real file system",
    unit: "percent",
    by: ["instance", "mountpoint"],
    source: () => "node_filesystem_avail_bytes / node_filesystem_size_bytes",
    build: (p) =>
      `100 * max by (instance, mountpoint) (1 - node_filesystem_avail_bytes{${sel(FS_TYPE_EXCLUDE, p)}} / node_filesystem_size_bytes{${sel(FS_TYPE_EXCLUDE, p)}})`,
  },
  {
    name: "load1",
    description: "1-minute load average per host",
    unit: "count",
    by: ["instance"],
    source: () => "node_load1",
    build: (p) => `node_load1{${sel("", p)}}`,
  },
  {
    name: "load1_per_core",
    description: "1-minute load average divided by the number of cores",
    unit: "ratio",
    by: ["instance"],
    source: () => "node_load1 / cores",
    build: (p) =>
      `node_load1{${sel("", p)}} / on (instance) count by (instance) (node_cpu_seconds_total{${sel('mode="idle"', p)}})`,
  },
  {
    name: "network_receive_bytes",
    description: "Bytes received per second per host, all real interfaces",
    unit: "bytes_per_second",
    by: ["instance"],
    source: (w) => `node_network_receive_bytes_total, ${windowText(w)} rate`,
    build: (p) =>
      `sum by (instance) (rate(node_network_receive_bytes_total{${sel(NET_DEVICE_EXCLUDE, p)}}[${win(p)}]))`,
  },
  {
    name: "network_transmit_bytes",
    description: "Bytes sent per second per host, all real interfaces",
    unit: "bytes_per_second",
    by: ["instance"],
    source: (w) => `node_network_transmit_bytes_total, ${windowText(w)} rate`,
    build: (p) =>
      `sum by (instance) (rate(node_network_transmit_bytes_total{${sel(NET_DEVICE_EXCLUDE, p)}}[${win(p)}]))`,
  },
  cpuModeQuery("user", "user"),
  cpuModeQuery("system", "system"),
  cpuModeQuery("iowait", "iowait"),
  cpuModeQuery("steal", "steal"),
  {
    name: "load5_per_core",
    description: "5-minute load average divided by the number of cores",
    unit: "ratio",
    by: ["instance"],
    source: () => "node_load5 / cores",
    build: (p) =>
      `node_load5{${sel("", p)}} / on (instance) count by (instance) (node_cpu_seconds_total{${sel('mode="idle"', p)}})`,
  },
  {
    name: "swap_used_percent",
    description: "Swap used % per host (0 on hosts without swap)",
    unit: "percent",
    by: ["instance"],
    source: () => "node_memory_SwapFree_bytes / node_memory_SwapTotal_bytes",
    // A host without swap (SwapTotal 0) uses none: it reads 0% rather than vanishing from the answer.
    build: (p) =>
      `100 * (1 - node_memory_SwapFree_bytes{${sel("", p)}} / (node_memory_SwapTotal_bytes{${sel("", p)}} > 0)) or 0 * node_memory_SwapTotal_bytes{${sel("", p)}}`,
  },
  {
    name: "disk_read_bytes",
    description: "Bytes read per second per host, all disks",
    unit: "bytes_per_second",
    by: ["instance"],
    source: (w) => `node_disk_read_bytes_total, ${windowText(w)} rate`,
    build: (p) =>
      `sum by (instance) (rate(node_disk_read_bytes_total{${sel(DISK_DEVICE_EXCLUDE, p)}}[${win(p)}]))`,
  },
  {
    name: "disk_write_bytes",
    description: "Bytes written per second per host, all disks",
    unit: "bytes_per_second",
    by: ["instance"],
    source: (w) => `node_disk_written_bytes_total, ${windowText(w)} rate`,
    build: (p) =>
      `sum by (instance) (rate(node_disk_written_bytes_total{${sel(DISK_DEVICE_EXCLUDE, p)}}[${win(p)}]))`,
  },
  {
    name: "disk_busy_percent",
    description: "Busiest disk per host: % of time it had I/O in flight",
    unit: "percent",
    by: ["instance"],
    source: (w) => `node_disk_io_time_seconds_total, busiest disk, ${windowText(w)} rate`,
    build: (p) =>
      `100 * max by (instance) (rate(node_disk_io_time_seconds_total{${sel(DISK_DEVICE_EXCLUDE, p)}}[${win(p)}]))`,
  },
  {
    name: "network_errors_per_second",
    description: "Network errors and drops per second per host, received and sent, all real interfaces",
    unit: "count",
    by: ["instance"],
    source: (w) => `node_network_{receive,transmit}_{errs,drop}_total, ${windowText(w)} rate`,
    // rate() drops the metric name, so the four counters of one device would collide in one vector.
    // Each keeps its name in a `counter` label; `or` then unions them, and a host that lacks one of
    // the counters still gets the sum of the others (where `+` would give nothing).
    build: (p) =>
      `sum by (instance) (${NET_ERROR_COUNTERS.map(
        (m) =>
          `label_replace(rate(${m}{${sel(NET_DEVICE_EXCLUDE, p)}}[${win(p)}]), "counter", "${m}", "", "")`,
      ).join(" or ")})`,
  },
  {
    name: "tcp_established",
    description: "TCP connections in state ESTABLISHED per host",
    unit: "count",
    by: ["instance"],
    source: () => "node_netstat_Tcp_CurrEstab",
    build: (p) => `sum by (instance) (node_netstat_Tcp_CurrEstab{${sel("", p)}})`,
  },
  {
    name: "context_switches_per_second",
    description: "Context switches per second per host",
    unit: "count",
    by: ["instance"],
    source: (w) => `node_context_switches_total, ${windowText(w)} rate`,
    build: (p) => `sum by (instance) (rate(node_context_switches_total{${sel("", p)}}[${win(p)}]))`,
  },
  {
    name: "procs_blocked",
    description: "Processes blocked waiting for I/O (state D) per host",
    unit: "count",
    by: ["instance"],
    source: () => "node_procs_blocked",
    build: (p) => `sum by (instance) (node_procs_blocked{${sel("", p)}})`,
  },
  {
    name: "uptime_seconds",
    description: "Time since each host booted",
    unit: "seconds",
    by: ["instance"],
    source: () => "time() − node_boot_time_seconds",
    build: (p) => `time() - max by (instance) (node_boot_time_seconds{${sel("", p)}})`,
  },
  {
    name: "targets_up",
    description: "Scrape targets and whether the last scrape worked (1 up, 0 down)",
    unit: "count",
    by: ["job", "instance"],
    source: () => "up",
    build: (p) => `up{${sel("", p)}}`,
  },
  {
    name: "targets_down",
    description: "Scrape targets whose last scrape failed",
    unit: "count",
    by: ["job", "instance"],
    source: () => "up == 0",
    build: (p) => `up{${sel("", p)}} == 0`,
  },
  {
    name: "containers_last_seen_age",
    description: "Seconds since cAdvisor last saw each container",
    unit: "seconds",
    by: ["instance", "name"],
    source: () => "container_last_seen (cAdvisor)",
    build: (p) => `time() - max by (instance, name) (container_last_seen{${sel('name!=""', p)}})`,
  },
  {
    name: "containers_restarts",
    description: "Container (re)starts within the window",
    unit: "count",
    by: ["instance", "name"],
    source: (w) => `changes(container_start_time_seconds[${windowText(w)}]) (cAdvisor)`,
    build: (p) =>
      `max by (instance, name) (changes(container_start_time_seconds{${sel('name!=""', p)}}[${promDuration(Math.max(60, p.windowSeconds ?? 3600))}])) > 0`,
  },
  {
    name: "containers_cpu_percent",
    description: "Container CPU use, % of one core",
    unit: "percent",
    by: ["instance", "name"],
    source: (w) => `container_cpu_usage_seconds_total, ${windowText(w)} rate (cAdvisor)`,
    build: (p) =>
      `100 * sum by (instance, name) (rate(container_cpu_usage_seconds_total{${sel('name!=""', p)}}[${win(p)}]))`,
  },
  {
    name: "containers_memory_bytes",
    description: "Container working-set memory",
    unit: "bytes",
    by: ["instance", "name"],
    source: () => "container_memory_working_set_bytes (cAdvisor)",
    build: (p) => `sum by (instance, name) (container_memory_working_set_bytes{${sel('name!=""', p)}})`,
  },
];

const byName = new Map(queries.map((q) => [q.name, q]));

export type QueryName =
  | "cpu_busy_percent"
  | "cpu_mode_percent"
  | "cpu_cores"
  | "memory_used_percent"
  | "memory_total_bytes"
  | "disk_used_percent"
  | "disk_used_percent_by_mount"
  | "load1"
  | "load1_per_core"
  | "network_receive_bytes"
  | "network_transmit_bytes"
  | "cpu_user_percent"
  | "cpu_system_percent"
  | "cpu_iowait_percent"
  | "cpu_steal_percent"
  | "load5_per_core"
  | "swap_used_percent"
  | "disk_read_bytes"
  | "disk_write_bytes"
  | "disk_busy_percent"
  | "network_errors_per_second"
  | "tcp_established"
  | "context_switches_per_second"
  | "procs_blocked"
  | "uptime_seconds"
  | "targets_up"
  | "targets_down"
  | "containers_last_seen_age"
  | "containers_restarts"
  | "containers_cpu_percent"
  | "containers_memory_bytes";

/** Looks up a named query. */
export function namedQuery(name: QueryName): NamedQuery {
  const q = byName.get(name);
  if (!q) throw new Error(`unknown query ${name}`);
  return q;
}

/** Every query in the catalogue (for tests, tools and docs). */
export function allQueries(): readonly NamedQuery[] {
  return queries;
}
