/**
 * The ten incidents of the scenario bench: each on its own host (the deploy on every host) and its own
 * two-hour slot of the fleet's last day, with the alert it would raise and what a correct first look
 * names first. The fleet (fleet.ts) draws every series from these definitions.
 */

export const HOSTS = 100;
/** The fleet's last sample, epoch seconds: a fixed time, so every run draws the same data. */
export const END = Math.floor(Date.UTC(2026, 0, 15, 12, 0, 0) / 1000);
export const DAYS = 3;
export const MIN = 60;
export const HOUR = 3600;

export const host = (i: number) => `node-${String(i + 1).padStart(4, "0")}`;
export const nodeInstance = (i: number) => `${host(i)}:9100`;
export const appInstance = (i: number) => `${host(i)}:8080`;

/**
 * What a first look can name as the resource, at the grain an on-call engineer acts on (CPU steal and
 * user time are both "cpu"; iowait is "disk": the disks are what is slow). A named resource (a
 * feature name, a change kind or a word) is mapped to one of these by `resourceClass`.
 */
export type ResourceClass =
  | "cpu"
  | "memory"
  | "filesystem"
  | "disk"
  | "network"
  | "availability"
  | "restart"
  | "deploy";

export type ScenarioKind =
  | "cpu_hog"
  | "memory_leak"
  | "disk_filling"
  | "noisy_neighbour"
  | "network_errors"
  | "dead_exporter"
  | "restart_loop"
  | "iowait_storm"
  | "false_alarm"
  | "deploy_regression";

export interface Scenario {
  kind: ScenarioKind;
  title: string;
  /** Host index of the incident, the host a correct first look names (the deploy is on every host). */
  host: number;
  alertName: string;
  /** Set when the alert names a job and no host (its `instance` is then left out). */
  job?: string;
  /**
   * PromQL that holds for the incident's host at `startsAt` (the alert's rule, or for a service alert
   * the host-level cause): the bench checks it against the backfilled data before investigating.
   */
  rule: string;
  /** When the alert fired, epoch seconds. */
  startsAt: number;
  /** When the incident's data starts to differ from the usual, epoch seconds. */
  onset: number;
  /** When the data is back to the usual (Infinity: it stays so to the end). */
  over: number;
  /** What the first look should name first; empty for the false alarm ("nothing unusual found"). */
  expected: ResourceClass[];
  /** How the expectation is shown in the table. */
  expectedLabel: string;
}

/** The alert of slot k fires at END − 22 h + 2 h·k: k = 0 … 9, the deploy last (it stays). */
const slot = (k: number) => END - 22 * HOUR + 2 * HOUR * k;

function scenario(
  k: number,
  s: Omit<Scenario, "startsAt" | "onset" | "over"> & { leadSeconds: number; lastsAfterSeconds?: number },
): Scenario {
  const startsAt = slot(k);
  const { leadSeconds, lastsAfterSeconds, ...rest } = s;
  return {
    ...rest,
    startsAt,
    onset: startsAt - leadSeconds,
    over: lastsAfterSeconds === undefined ? Number.POSITIVE_INFINITY : startsAt + lastsAfterSeconds,
  };
}

export const SCENARIOS: readonly Scenario[] = [
  scenario(0, {
    kind: "cpu_hog",
    title: "CPU hog",
    host: 11,
    alertName: "HostHighCpuLoad",
    rule: `100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))) > 80`,
    leadSeconds: 15 * MIN,
    lastsAfterSeconds: HOUR,
    expected: ["cpu"],
    expectedLabel: "CPU",
  }),
  scenario(1, {
    kind: "memory_leak",
    title: "memory leak",
    host: 22,
    alertName: "HostOutOfMemory",
    rule: "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) > 90",
    // Memory used climbs for six hours before the alert.
    leadSeconds: 6 * HOUR,
    lastsAfterSeconds: HOUR,
    expected: ["memory"],
    expectedLabel: "memory",
  }),
  scenario(2, {
    kind: "disk_filling",
    title: "disk filling",
    host: 33,
    alertName: "HostOutOfDiskSpace",
    rule: `100 * (1 - node_filesystem_avail_bytes{fstype!~"tmpfs|vfat"} / node_filesystem_size_bytes{fstype!~"tmpfs|vfat"}) > 90`,
    leadSeconds: 3 * HOUR,
    lastsAfterSeconds: HOUR,
    expected: ["filesystem"],
    expectedLabel: "disk space (/)",
  }),
  scenario(3, {
    kind: "noisy_neighbour",
    title: "noisy neighbour (1 of 100)",
    host: 44,
    // The service's latency alert names no host: the first look has to find the one of 100.
    alertName: "ApiLatencyHigh",
    job: "api",
    // What the latency comes from (the alert itself is on the service's requests).
    rule: `100 * avg by (instance) (rate(node_cpu_seconds_total{mode="steal"}[5m])) > 10`,
    leadSeconds: 20 * MIN,
    lastsAfterSeconds: HOUR,
    expected: ["cpu"],
    expectedLabel: "CPU (steal)",
  }),
  scenario(4, {
    kind: "network_errors",
    title: "network errors",
    host: 55,
    alertName: "HostNetworkReceiveErrors",
    rule: `sum by (instance) (rate(node_network_receive_errs_total[2m])) > 1`,
    leadSeconds: 15 * MIN,
    lastsAfterSeconds: HOUR,
    expected: ["network"],
    expectedLabel: "network errors",
  }),
  scenario(5, {
    kind: "dead_exporter",
    title: "dead exporter",
    host: 66,
    alertName: "TargetDown",
    rule: `up{job="node"} == 0`,
    // up = 0 and no more series from here to the end.
    leadSeconds: 5 * MIN,
    expected: ["availability"],
    expectedLabel: "target down",
  }),
  scenario(6, {
    kind: "restart_loop",
    title: "restart loop",
    host: 77,
    alertName: "HostRebooted",
    rule: "changes(node_boot_time_seconds[1h]) >= 3",
    // A reboot every 10 minutes from 43 minutes before the alert to an hour after: the alert fires on
    // the boot time read once the host answers again, 3 minutes after the last reboot.
    leadSeconds: 43 * MIN,
    lastsAfterSeconds: HOUR,
    expected: ["restart"],
    expectedLabel: "reboots",
  }),
  scenario(7, {
    kind: "iowait_storm",
    title: "iowait storm",
    host: 88,
    alertName: "HostCpuHighIowait",
    rule: `100 * avg by (instance) (rate(node_cpu_seconds_total{mode="iowait"}[5m])) > 10`,
    leadSeconds: 15 * MIN,
    lastsAfterSeconds: HOUR,
    expected: ["disk"],
    expectedLabel: "disk (iowait)",
  }),
  scenario(8, {
    kind: "false_alarm",
    title: "false alarm",
    host: 90,
    // A rule whose threshold sits under this host's usual level: it fires on an ordinary morning.
    alertName: "HostCpuBusy",
    rule: `100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))) > 25`,
    leadSeconds: 0,
    lastsAfterSeconds: 0,
    expected: [],
    expectedLabel: "nothing unusual",
  }),
  scenario(9, {
    kind: "deploy_regression",
    title: "fleet-wide deploy regression",
    host: 6,
    // Fires on the hosts that cross 45% busy once the new version runs; node-0007 is one of them.
    alertName: "HostCpuBusyHigh",
    rule: `100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))) > 45`,
    // The rollout reaches every host over 10 minutes, 20 minutes before the alert; it stays.
    leadSeconds: 20 * MIN,
    expected: ["deploy", "cpu"],
    expectedLabel: "deploy / CPU",
  }),
];

/** The deploy's rollout: host i gets the new version at `deployAt(i)`. */
export const DEPLOY = {
  from: "2.14.0",
  to: "2.15.0",
  at: (i: number) => (SCENARIOS[9] as Scenario).onset + Math.floor((i * 600) / HOSTS),
};

/** Reboots of the restart loop: every 10 minutes over the incident. */
export function restartLoopBoots(): number[] {
  const s = SCENARIOS[6] as Scenario;
  const boots: number[] = [];
  for (let t = s.onset; t < s.over; t += 10 * MIN) boots.push(t);
  return boots;
}

/**
 * Maps a named resource (a feature name such as "cpu_iowait", a change kind such as "reboot", or a
 * word such as "memory") to its class. Unknown words give undefined, which matches no expectation.
 */
export function resourceClass(resource: string): ResourceClass | undefined {
  const r = resource.toLowerCase();
  if (/iowait|procs_blocked|blocked/.test(r)) return "disk";
  if (/version|deploy|build/.test(r)) return "deploy";
  if (/reboot|restart|boot|uptime/.test(r)) return "restart";
  if (/target_down|target down|availability|\bup\b|down|exporter|scrape|absent|no data|missing/.test(r))
    return "availability";
  if (/filesystem|file system|disk space|disk_space|fullest|inode/.test(r)) return "filesystem";
  if (/disk|io_time|i\/o/.test(r)) return "disk";
  if (/net|tcp|packet|drop|errs|error/.test(r)) return "network";
  if (/mem|swap|oom/.test(r)) return "memory";
  if (/cpu|load|context|steal/.test(r)) return "cpu";
  return undefined;
}
