/**
 * Rightsizing and cost: how much of each host and container is used over the last two weeks, what
 * size would fit, what that saves (or costs) a month, and which hosts sit idle.
 *
 * Modelled on Robusta KRR's simple strategy: CPU from the 95th percentile of usage, memory from the
 * peak, each with a margin on top. Capacity is what the machine has — cores (node_exporter's idle
 * counters per CPU) and MemTotal — and a container's is its cgroup limit from cAdvisor
 * (`container_spec_cpu_quota / container_spec_cpu_period`, `container_spec_memory_limit_bytes`;
 * 0 or absent means no limit). The whole fleet is read with a dozen queries grouped `by (instance)`
 * or `by (instance, name)`, each a subquery over the lookback whose step bounds its cost — never one
 * query per host.
 *
 * Data only: no text, no Reply. The answers present it.
 */
import { NET_DEVICE_EXCLUDE } from "../metrics/node-exporter.js";
import type { InstantSample, PrometheusClient } from "../metrics/prometheus-client.js";
import { hostOfInstance, type LabelMatcher, promDuration, renderMatchers } from "../metrics/promql.js";
import type { Prices } from "./prices.js";

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

/**
 * The rules recommendations follow. Defaults are KRR's (p95 CPU, peak memory, 15% on top) plus the
 * thresholds below which a change is not worth a ticket: a host must give back a whole core or
 * 2 GiB, a container a quarter core or 256 MiB, and in both cases at least a quarter of what it has.
 */
export interface RightsizingRules {
  /** History read (default 14 days: two weekly cycles). */
  lookbackSeconds: number;
  /** Quantile of CPU usage sized for (0.95). */
  cpuQuantile: number;
  /** Margin on top of the CPU quantile (0.15 = 15%). */
  cpuHeadroom: number;
  /** Margin on top of the memory peak (0.15). */
  memoryHeadroom: number;
  /** Least share of the current size a shrink must give back (0.25). */
  minSavingShare: number;
  /** Least cores a host shrink gives back (1). */
  hostMinCpuSavingCores: number;
  /** Least memory a host shrink gives back (2 GiB). */
  hostMinMemorySavingBytes: number;
  /** Least cores a container limit shrink gives back (0.25). */
  containerMinCpuSavingCores: number;
  /** Least memory a container limit shrink gives back (256 MiB). */
  containerMinMemorySavingBytes: number;
  /** Usage above this share of the capacity or limit asks to grow (0.9). */
  growAbove: number;
  /** A host is idle when its p95 CPU is under this many cores (0.05, 5% of one core)… */
  idleCpuCores: number;
  /**
   * …and its p95 network traffic (in + out, real NICs) under this many bytes/s (64 KiB/s: being
   * scraped by Prometheus alone costs a few KiB/s). A host without network series is judged on CPU.
   */
  idleNetworkBytesPerSecond: number;
  /** Least history a recommendation is made from (1 day); younger series say how much they have. */
  minHistorySeconds: number;
}

export const DEFAULT_RULES: RightsizingRules = {
  lookbackSeconds: 14 * 86_400,
  cpuQuantile: 0.95,
  cpuHeadroom: 0.15,
  memoryHeadroom: 0.15,
  minSavingShare: 0.25,
  hostMinCpuSavingCores: 1,
  hostMinMemorySavingBytes: 2 * GiB,
  containerMinCpuSavingCores: 0.25,
  containerMinMemorySavingBytes: 256 * MiB,
  growAbove: 0.9,
  idleCpuCores: 0.05,
  idleNetworkBytesPerSecond: 64 * 1024,
  minHistorySeconds: 86_400,
};

/** Evaluations per series a subquery may take; the step is the smallest round one within it. */
export const MAX_SUBQUERY_POINTS = 4100;
const STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

/** The subquery step for a lookback: 14 days → 5 minutes (4032 points per series). */
export function rightsizingStep(lookbackSeconds: number, maxPoints = MAX_SUBQUERY_POINTS): number {
  for (const s of STEPS) if (lookbackSeconds / s <= maxPoints) return s;
  return STEPS[STEPS.length - 1] as number;
}

/** Smallest container sizes recommended (KRR's floors are 10m CPU and 100Mi; ours are coarser). */
const CONTAINER_MIN_CPU = 0.1;
const CONTAINER_CPU_STEP = 0.1;
const CONTAINER_MIN_MEMORY = 128 * MiB;
const CONTAINER_MEMORY_STEP = 64 * MiB;

export type SizeAction =
  /** Smaller fits, and the saving passes the thresholds. */
  | "shrink"
  /** Usage is above `growAbove` of the size. */
  | "grow"
  /** The size fits, or the saving is too small to act on. */
  | "keep"
  /** A container without a memory limit: one is recommended (an unbounded container can starve its host). */
  | "set_limit"
  /** A container without a CPU limit: none is recommended (a CPU limit throttles); the need is shown. */
  | "unbounded";

/** One resource of a host or container: what it uses, what it has, what it should have. */
export interface SizeFinding {
  /** Cores at the CPU quantile, or peak bytes. */
  used: number;
  /** Cores or bytes the host has, or the container's limit; undefined = no limit. */
  capacity?: number;
  /** Recommended size (equals `capacity` when keeping). */
  target: number;
  action: SizeAction;
}

export type HistoryStatus = "ok" | "insufficient_history";

export interface HostRightsizing {
  instance: string;
  /** Display name ("web-1" for "web-1:9100"). */
  host: string;
  cores: number;
  /** MemTotal. */
  memoryBytes?: number;
  cpuUsedCores?: number;
  memoryPeakBytes?: number;
  /** p95 of received + transmitted bytes/s on real NICs; undefined without network series. */
  networkBytesPerSecond?: number;
  /** Seconds of data in the lookback. */
  historySeconds: number;
  status: HistoryStatus;
  cpu?: SizeFinding;
  memory?: SizeFinding;
  idle: boolean;
  /** What the host costs a month at the prices given. */
  monthlyCost: number;
  /** "file": COST_PRICE_FILE has this host; "units": cores × core price + GiB × GiB price. */
  priceFrom: "file" | "units";
  /** Monthly saving of the recommended size (negative: what growing costs). 0 when keeping. */
  resizeMonthly: number;
}

export interface ContainerRightsizing {
  instance: string;
  host: string;
  name: string;
  cpuUsedCores?: number;
  memoryPeakBytes?: number;
  cpuLimitCores?: number;
  memoryLimitBytes?: number;
  historySeconds: number;
  status: HistoryStatus;
  cpu?: SizeFinding;
  memory?: SizeFinding;
}

export interface RightsizingQuery {
  name: string;
  promql: string;
}

export interface RightsizingReport {
  /** Evaluation time, epoch seconds. */
  at: number;
  rules: RightsizingRules;
  stepSeconds: number;
  /** Rate window of the CPU and network subqueries. */
  rateWindowSeconds: number;
  prices: Prices;
  hosts: HostRightsizing[];
  containers: ContainerRightsizing[];
  /** Every query asked, for the answer's "how" lines. */
  queries: RightsizingQuery[];
  /** Queries Prometheus did not answer; the rest of the report stands without them. */
  failures: Array<{ query: string; error: string }>;
  totals: {
    /** Saving of every host shrink (idle hosts excluded), a month. */
    resizeMonthly: number;
    /** What retiring the idle hosts saves a month. */
    idleMonthly: number;
    /** Extra cost of growing the hosts that need it, a month (positive). */
    growMonthly: number;
  };
}

/** `x` rounded up to a multiple of `step` (float-safe). */
function ceilTo(x: number, step: number): number {
  return Math.ceil(x / step - 1e-9) * step;
}

/** A machine's memory as sold: MemTotal leaves out what the kernel reserved, so round up to GiB. */
export function nominalMemoryGiB(memTotalBytes: number): number {
  return Math.max(1, Math.ceil(memTotalBytes / GiB - 0.001));
}

interface SizeInput {
  used: number;
  capacity: number | undefined;
  target: number;
  minSaving: number;
  rules: RightsizingRules;
  /** What a missing capacity means. */
  unbounded: "set_limit" | "unbounded";
}

function decide({ used, capacity, target, minSaving, rules, unbounded }: SizeInput): SizeFinding {
  if (capacity === undefined || capacity <= 0) return { used, target, action: unbounded };
  if (used > rules.growAbove * capacity)
    return {
      used,
      capacity,
      target: Math.max(target, capacity),
      action: target > capacity ? "grow" : "keep",
    };
  const saved = capacity - target;
  if (saved >= minSaving - 1e-9 && saved >= rules.minSavingShare * capacity - 1e-9)
    return { used, capacity, target, action: "shrink" };
  return { used, capacity, target: capacity, action: "keep" };
}

/** A host's CPU: whole cores, at least one. */
export function hostCpuFinding(p95Cores: number, cores: number, rules = DEFAULT_RULES): SizeFinding {
  const target = Math.max(1, Math.ceil(p95Cores * (1 + rules.cpuHeadroom) - 1e-9));
  return decide({
    used: p95Cores,
    capacity: cores,
    target,
    minSaving: rules.hostMinCpuSavingCores,
    rules,
    unbounded: "unbounded",
  });
}

/** A host's memory: whole GiB, at least one; capacity is MemTotal rounded up to whole GiB. */
export function hostMemoryFinding(
  peakBytes: number,
  memTotalBytes: number,
  rules = DEFAULT_RULES,
): SizeFinding {
  const target = Math.max(1, Math.ceil((peakBytes * (1 + rules.memoryHeadroom)) / GiB - 1e-9)) * GiB;
  return decide({
    used: peakBytes,
    capacity: nominalMemoryGiB(memTotalBytes) * GiB,
    target,
    minSaving: rules.hostMinMemorySavingBytes,
    rules,
    unbounded: "unbounded",
  });
}

/** A container's CPU limit: tenths of a core, at least 0.1; without a limit, none is recommended. */
export function containerCpuFinding(
  p95Cores: number,
  limitCores: number | undefined,
  rules = DEFAULT_RULES,
): SizeFinding {
  const target = Math.max(CONTAINER_MIN_CPU, ceilTo(p95Cores * (1 + rules.cpuHeadroom), CONTAINER_CPU_STEP));
  return decide({
    used: p95Cores,
    capacity: limitCores,
    target: Math.round(target * 10) / 10,
    minSaving: rules.containerMinCpuSavingCores,
    rules,
    unbounded: "unbounded",
  });
}

/** A container's memory limit: multiples of 64 MiB, at least 128 MiB; without a limit, set one. */
export function containerMemoryFinding(
  peakBytes: number,
  limitBytes: number | undefined,
  rules = DEFAULT_RULES,
): SizeFinding {
  const target = Math.max(
    CONTAINER_MIN_MEMORY,
    ceilTo(peakBytes * (1 + rules.memoryHeadroom), CONTAINER_MEMORY_STEP),
  );
  return decide({
    used: peakBytes,
    capacity: limitBytes,
    target,
    minSaving: rules.containerMinMemorySavingBytes,
    rules,
    unbounded: "set_limit",
  });
}

/** Idle: CPU under `idleCpuCores` at p95, and network quiet too (or not measured). */
export function isIdle(
  p95Cores: number,
  networkBytesPerSecond: number | undefined,
  rules = DEFAULT_RULES,
): boolean {
  return (
    p95Cores < rules.idleCpuCores &&
    (networkBytesPerSecond === undefined || networkBytesPerSecond < rules.idleNetworkBytesPerSecond)
  );
}

/** The monthly price of a host: from the price file when it lists the host, else from unit prices. */
export function hostMonthly(
  h: { host: string; instance: string; cores: number; memoryGiB: number },
  prices: Prices,
): { monthly: number; from: "file" | "units" } {
  const listed = prices.perHost?.get(h.host) ?? prices.perHost?.get(h.instance);
  if (listed !== undefined) return { monthly: listed, from: "file" };
  return { monthly: h.cores * prices.cpuCoreMonth + h.memoryGiB * prices.gbMonth, from: "units" };
}

/**
 * What going from (cores, GiB) to (targetCores, targetGiB) saves a month (negative: costs). At unit
 * prices, the difference in cores and GiB times their prices; with a listed host price, the same
 * shares of that price (a host listed at twice its unit value saves twice as much per core).
 */
export function resizeMonthly(
  from: { cores: number; memoryGiB: number },
  to: { cores: number; memoryGiB: number },
  monthly: number,
  prices: Prices,
): number {
  const unitValue = from.cores * prices.cpuCoreMonth + from.memoryGiB * prices.gbMonth;
  if (unitValue <= 0) return 0;
  const scale = monthly / unitValue;
  return (
    scale * ((from.cores - to.cores) * prices.cpuCoreMonth + (from.memoryGiB - to.memoryGiB) * prices.gbMonth)
  );
}

/** The PromQL of a report, every selector restricted by `matchers`. */
export function rightsizingQueries(
  rules: RightsizingRules,
  matchers: readonly LabelMatcher[] = [],
): {
  stepSeconds: number;
  rateWindowSeconds: number;
  host: Record<HostQuery, string>;
  container: Record<ContainerQuery, string>;
} {
  const stepSeconds = rightsizingStep(rules.lookbackSeconds);
  const rateWindowSeconds = Math.max(stepSeconds, 300);
  const extra = matchers.length > 0 ? renderMatchers(matchers) : "";
  const sel = (...parts: string[]) => `{${[...parts, extra].filter(Boolean).join(",")}}`;
  const L = promDuration(rules.lookbackSeconds);
  const S = promDuration(stepSeconds);
  const W = promDuration(rateWindowSeconds);
  const sub = `[${L}:${S}]`;
  const q = rules.cpuQuantile;
  const cores = `count by (instance) (node_cpu_seconds_total${sel('mode="idle"')})`;
  const busy = `sum by (instance) (rate(node_cpu_seconds_total${sel('mode!~"idle|iowait|steal"')}[${W}]))`;
  const net = (dir: string) =>
    `sum by (instance) (rate(node_network_${dir}_bytes_total${sel(NET_DEVICE_EXCLUDE)}[${W}]))`;
  const named = sel('name!=""');
  return {
    stepSeconds,
    rateWindowSeconds,
    host: {
      cores,
      memory_total: `max by (instance) (node_memory_MemTotal_bytes${sel()})`,
      cpu_used: `quantile_over_time(${q}, (${busy})${sub})`,
      // The lowest MemAvailable within each step, so a peak between two evaluations is not missed.
      memory_peak: `max_over_time((max by (instance) (node_memory_MemTotal_bytes${sel()}) - min by (instance) (min_over_time(node_memory_MemAvailable_bytes${sel()}[${S}])))${sub})`,
      network: `quantile_over_time(${q}, (${net("receive")} + ${net("transmit")})${sub})`,
      history: `count_over_time((${cores})${sub})`,
    },
    container: {
      running: `max by (instance, name) (container_memory_working_set_bytes${named})`,
      cpu_used: `quantile_over_time(${q}, (sum by (instance, name) (rate(container_cpu_usage_seconds_total${named}[${W}])))${sub})`,
      memory_peak: `max_over_time((max by (instance, name) (max_over_time(container_memory_working_set_bytes${named}[${S}])))${sub})`,
      // cAdvisor writes no quota for a container without a CPU limit, and 0 for "no memory limit".
      cpu_limit: `max by (instance, name) (container_spec_cpu_quota${named} > 0) / max by (instance, name) (container_spec_cpu_period${named} > 0)`,
      memory_limit: `max by (instance, name) (container_spec_memory_limit_bytes${named} > 0)`,
      history: `count_over_time((max by (instance, name) (container_memory_working_set_bytes${named}))${sub})`,
    },
  };
}

export type HostQuery = "cores" | "memory_total" | "cpu_used" | "memory_peak" | "network" | "history";
export type ContainerQuery =
  | "running"
  | "cpu_used"
  | "memory_peak"
  | "cpu_limit"
  | "memory_limit"
  | "history";

export interface RightsizingOptions {
  /** Evaluation time, epoch seconds. */
  now: number;
  rules?: Partial<RightsizingRules>;
  prices: Prices;
  /** Restricts every query (one host's instance matcher); none = the whole environment. */
  matchers?: readonly LabelMatcher[];
  signal?: AbortSignal;
  /** Per query; the signal still bounds the whole. */
  timeoutMs?: number;
  /** Leave out the containers (their queries are not run). */
  hostsOnly?: boolean;
}

/** Finite values only; anything else from Prometheus is dropped. */
function byKey(samples: InstantSample[], key: (l: Record<string, string>) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) if (Number.isFinite(s.value)) out.set(key(s.labels), s.value);
  return out;
}

const instanceKey = (l: Record<string, string>) => l.instance ?? "";
const containerKey = (l: Record<string, string>) => `${l.instance ?? ""}\u0000${l.name ?? ""}`;

/**
 * Reads the fleet (or the hosts `matchers` select) and sizes every host and running container.
 * Never throws for a query Prometheus refuses: it lands in `failures` and what depends on it is left
 * out (no hosts without their cores; no sizes or idle verdict without CPU).
 */
export async function rightsizing(
  client: PrometheusClient,
  opts: RightsizingOptions,
): Promise<RightsizingReport> {
  const rules: RightsizingRules = { ...DEFAULT_RULES, ...opts.rules };
  const built = rightsizingQueries(rules, opts.matchers);
  const failures: RightsizingReport["failures"] = [];
  const queries: RightsizingQuery[] = [];
  const ask = async (name: string, promql: string): Promise<InstantSample[] | undefined> => {
    queries.push({ name, promql });
    try {
      return await client.instant(promql, {
        time: opts.now,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      });
    } catch (e) {
      failures.push({ query: name, error: e instanceof Error ? e.message : String(e) });
      return undefined;
    }
  };
  const hostNames = Object.keys(built.host) as HostQuery[];
  const containerNames = opts.hostsOnly ? [] : (Object.keys(built.container) as ContainerQuery[]);
  const [hostResults, containerResults] = await Promise.all([
    Promise.all(hostNames.map((n) => ask(`host ${n}`, built.host[n]))),
    Promise.all(containerNames.map((n) => ask(`container ${n}`, built.container[n]))),
  ]);
  const h = Object.fromEntries(
    hostNames.map((n, i) => [n, byKey(hostResults[i] ?? [], instanceKey)]),
  ) as Record<HostQuery, Map<string, number>>;
  const step = built.stepSeconds;
  const hosts: HostRightsizing[] = [];
  for (const [instance, cores] of h.cores) {
    // A host with no CPU rate yet (minutes old) is still listed, as too young to size.
    const cpuUsed = h.cpu_used.get(instance);
    if (cores <= 0) continue;
    const memTotal = h.memory_total.get(instance);
    const memPeak = h.memory_peak.get(instance);
    const network = h.network.get(instance);
    const historySeconds = Math.min(rules.lookbackSeconds, (h.history.get(instance) ?? 0) * step);
    const status: HistoryStatus =
      historySeconds >= rules.minHistorySeconds && cpuUsed !== undefined ? "ok" : "insufficient_history";
    const host = hostOfInstance(instance);
    const memoryGiB = memTotal !== undefined ? nominalMemoryGiB(memTotal) : 0;
    const price = hostMonthly({ host, instance, cores, memoryGiB }, opts.prices);
    const cpu = status === "ok" && cpuUsed !== undefined ? hostCpuFinding(cpuUsed, cores, rules) : undefined;
    const memory =
      status === "ok" && memTotal !== undefined && memPeak !== undefined
        ? hostMemoryFinding(Math.max(0, memPeak), memTotal, rules)
        : undefined;
    const idle = cpu !== undefined && cpuUsed !== undefined && isIdle(cpuUsed, network, rules);
    const resize =
      cpu || memory
        ? resizeMonthly(
            { cores, memoryGiB },
            { cores: cpu?.target ?? cores, memoryGiB: memory ? memory.target / GiB : memoryGiB },
            price.monthly,
            opts.prices,
          )
        : 0;
    hosts.push({
      instance,
      host,
      cores,
      ...(memTotal !== undefined ? { memoryBytes: memTotal } : {}),
      ...(cpuUsed !== undefined ? { cpuUsedCores: cpuUsed } : {}),
      ...(memPeak !== undefined ? { memoryPeakBytes: Math.max(0, memPeak) } : {}),
      ...(network !== undefined ? { networkBytesPerSecond: network } : {}),
      historySeconds,
      status,
      ...(cpu ? { cpu } : {}),
      ...(memory ? { memory } : {}),
      idle,
      monthlyCost: price.monthly,
      priceFrom: price.from,
      resizeMonthly: resize,
    });
  }
  hosts.sort((a, b) => b.resizeMonthly - a.resizeMonthly || a.host.localeCompare(b.host));

  const containers: ContainerRightsizing[] = [];
  if (!opts.hostsOnly) {
    const c = Object.fromEntries(
      containerNames.map((n, i) => [n, byKey(containerResults[i] ?? [], containerKey)]),
    ) as Record<ContainerQuery, Map<string, number>>;
    for (const key of c.running.keys()) {
      const [instance = "", name = ""] = key.split("\u0000");
      const cpuUsed = c.cpu_used.get(key);
      const memPeak = c.memory_peak.get(key);
      const cpuLimit = c.cpu_limit.get(key);
      const memLimit = c.memory_limit.get(key);
      const historySeconds = Math.min(rules.lookbackSeconds, (c.history.get(key) ?? 0) * step);
      const status: HistoryStatus = historySeconds >= rules.minHistorySeconds ? "ok" : "insufficient_history";
      const cpu =
        status === "ok" && cpuUsed !== undefined ? containerCpuFinding(cpuUsed, cpuLimit, rules) : undefined;
      const memory =
        status === "ok" && memPeak !== undefined
          ? containerMemoryFinding(memPeak, memLimit, rules)
          : undefined;
      containers.push({
        instance,
        host: hostOfInstance(instance),
        name,
        ...(cpuUsed !== undefined ? { cpuUsedCores: cpuUsed } : {}),
        ...(memPeak !== undefined ? { memoryPeakBytes: memPeak } : {}),
        ...(cpuLimit !== undefined ? { cpuLimitCores: cpuLimit } : {}),
        ...(memLimit !== undefined ? { memoryLimitBytes: memLimit } : {}),
        historySeconds,
        status,
        ...(cpu ? { cpu } : {}),
        ...(memory ? { memory } : {}),
      });
    }
    containers.sort((a, b) => a.host.localeCompare(b.host) || a.name.localeCompare(b.name));
  }

  const totals = { resizeMonthly: 0, idleMonthly: 0, growMonthly: 0 };
  for (const x of hosts) {
    if (x.idle) totals.idleMonthly += x.monthlyCost;
    else if (x.resizeMonthly > 0) totals.resizeMonthly += x.resizeMonthly;
    else if (x.resizeMonthly < 0) totals.growMonthly -= x.resizeMonthly;
  }
  return {
    at: opts.now,
    rules,
    stepSeconds: step,
    rateWindowSeconds: built.rateWindowSeconds,
    prices: opts.prices,
    hosts,
    containers,
    queries,
    failures,
    totals,
  };
}
