/**
 * The first look at an alert (issue 16): what moved on the alerting host, where else, what changed,
 * what happened the last time, what to check. Platform-neutral: never imports chat/.
 */

export interface InvestigationRequest {
  environment: string;
  /** The alerting host's instance label (host:port or name), when the alert names one. */
  instance?: string;
  job?: string;
  alertName: string;
  /** When the group's first alert started, epoch ms. */
  startsAt: number;
  /** The alert group id (8 hex), when it comes from an alert. */
  groupId?: string;
  /** Other open alert groups (name, instance, startsAt) — the caller reads them from the alert store. */
  openAlerts?: Array<{ id: string; name: string; instance?: string; startsAt: number }>;
  /** Earlier groups of the same alert on the same host or job, newest first (caller reads the store/audit). */
  history?: Array<{
    id: string;
    startsAt: number;
    endsAt?: number;
    ackBy?: string;
    /** The incident ended, but when is not on record (a group that fired again since). */
    endUnknown?: boolean;
    silenced?: boolean;
    notes?: string[];
  }>;
}

export interface MovedFeature {
  /** Feature name (src/anomaly/features.ts FEATURES). */
  feature: string;
  /** Human label ("iowait", "CPU busy"). */
  label: string;
  /** Value now (mean of the last 15 minutes), in `unit`. */
  value: number;
  /** Usual level at this hour, in `unit`. */
  usual: number;
  unit: string;
  /** Robust z-score (signed: positive = above usual). */
  score: number;
  /** When it started to move, epoch ms, when known. */
  since?: number;
}

export type ChangeKind =
  | "reboot"
  | "process_restart"
  | "container_restart"
  | "version"
  | "target_down"
  | "config_reload";

export interface InvestigationChange {
  kind: ChangeKind;
  instance: string;
  at?: number;
  detail: string;
  /** Restarts counted in the window (process and container restarts). */
  count?: number;
  /** Still the case at the end of the window (a target still down). */
  ongoing?: boolean;
}

export interface Investigation {
  request: InvestigationRequest;
  /** Epoch ms the investigation ran. */
  at: number;
  durationMs: number;
  /** The host and resource named first: what the bench scores. */
  suspect?: { instance: string; resource: string };
  /** Ranked, strongest first (≤ 5). */
  moved: MovedFeature[];
  elsewhere: Array<{ instance: string; feature: string; correlation: number }>;
  /** Hosts that moved with the suspect, when more than `elsewhere` lists. */
  elsewhereTotal?: number;
  relatedAlerts: Array<{ id: string; name: string; instance?: string; startsAt: number }>;
  changes: InvestigationChange[];
  history: InvestigationRequest["history"];
  checks: Array<{ label: string; url?: string; query?: string }>;
  /** True when nothing stood out: the first look says "nothing unusual found". */
  nothingUnusual: boolean;
  /** Parts that failed (Prometheus down, no baseline…), said in the headline. */
  failures: string[];
  /** Which parts the failures left out: what the reply must not call quiet. */
  failedParts?: Array<"moved" | "usual" | "changes">;
  /** The anomaly engine's latest scan of the host (when it scored it in the last 15 minutes). */
  anomaly?: {
    /** Epoch ms of the scored point. */
    at: number;
    score: number;
    threshold: number;
    anomalous: boolean;
    /** The ensemble's parts that flagged it, in words. */
    flaggedBy?: string;
    /** Its explanation: the features that weighed most, value against usual (≤ 3). */
    leading: Array<{ label: string; unit: string; value: number; usual: number }>;
  };
  /** The last hour of the 2–3 strongest moved features on the suspect host, for a small chart. */
  series?: Array<{
    feature: string;
    label: string;
    unit: string;
    usual: number;
    points: Array<[number, number | null]>;
  }>;
}

export interface Investigator {
  investigate(req: InvestigationRequest, signal?: AbortSignal): Promise<Investigation>;
}

/**
 * The resource a feature speaks of: what `suspect.resource` names when the feature moved most.
 * iowait, disk throughput and blocked processes are the disk's; load and context switches the CPU's.
 */
export const FEATURE_RESOURCE: Readonly<Record<string, string>> = {
  cpu_user: "cpu",
  cpu_system: "cpu",
  cpu_iowait: "disk",
  cpu_steal: "cpu",
  load1_per_core: "cpu",
  load5_per_core: "cpu",
  memory_used: "memory",
  swap_used: "memory",
  filesystem_used_max: "filesystem",
  disk_read: "disk",
  disk_write: "disk",
  disk_io_time: "disk",
  net_rx: "network",
  net_tx: "network",
  net_errors: "network",
  tcp_established: "network",
  context_switches: "cpu",
  procs_blocked: "disk",
};

/** The resource `suspect.resource` names when a change on the host comes first. */
export const CHANGE_RESOURCE: Readonly<Record<ChangeKind, string>> = {
  reboot: "restart",
  process_restart: "restart",
  container_restart: "restart",
  version: "deploy",
  target_down: "availability",
  config_reload: "config",
};
