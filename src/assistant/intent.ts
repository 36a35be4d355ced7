/**
 * What a question asks for, as the built-in engine understands it. Produced by the parser in
 * `parse-question.ts`; consumed by the answerers in `engine.ts`.
 */

import type { Resource } from "./resources.js";

/** Host signals the engine answers about (cpu, iowait, swap, uptime, …): defined in resources.ts. */
export type { Resource };

/** A time range relative to "now", in seconds. */
export interface TimeRange {
  /** Range start as seconds before now (e.g. 3600 for "last hour"). */
  fromSecondsAgo: number;
  /** Range end as seconds before now (0 = now). */
  toSecondsAgo: number;
  /** How the user said it, normalised for display: "last 6h", "since yesterday", "this week". */
  label: string;
}

export type Intent =
  | { kind: "health" }
  | { kind: "metric_now"; resource: Resource }
  | { kind: "metric_trend"; resource: Resource; range: TimeRange }
  /** "this week vs last week": the same resource over `range` and over `range` shifted back by `offsetSeconds`. */
  | { kind: "metric_compare"; resource: Resource; range: TimeRange; offsetSeconds: number }
  /** "web-1 vs web-2 cpu": two or more named hosts over the same range. */
  | { kind: "compare_hosts"; resource: Resource; hosts: string[]; range: TimeRange }
  /** "is web-2 slower than the others?": the question's host against the rest of its environment. */
  | { kind: "compare_fleet"; resource: Resource; range: TimeRange }
  /** "cpu since the deploy at 14:00", "memory before and after 14:00": before vs after a moment. */
  | { kind: "compare_change"; resource: Resource; atSecondsAgo: number; label: string }
  /** "when will disk be full on db-1?", "memory forecast": a resource's forecast on one host or all. */
  | { kind: "forecast"; resource: Resource; horizonSeconds?: number }
  /** "capacity report", "what fills up within 30 days": every mount/host at risk within the window. */
  | { kind: "capacity"; withinSeconds: number }
  /** "why is web-2 slow?", "investigate db-1", "root cause on web-1": a first look at one host. */
  | { kind: "investigate" }
  /** "where can we save?", "rightsizing for prod", "idle hosts". */
  | { kind: "rightsizing"; view: "savings" | "rightsizing" | "idle" }
  | { kind: "top_hosts"; resource: Resource; n: number; range?: TimeRange }
  | { kind: "targets_down" }
  | { kind: "targets" }
  | { kind: "containers"; view: "running" | "restarting" | "top_cpu" | "top_memory"; n: number }
  | { kind: "anomalies" }
  | { kind: "help" }
  /** "action": a request to do something (restart, deploy…), which the engine never does. */
  | { kind: "unknown"; reason: "empty" | "not_understood" | "too_long" | "action" };

/** A parsed question: its intent plus the host and environment it names, if any. */
export interface ParsedQuestion {
  intent: Intent;
  /** Host name as the user wrote it (resolved later against the label values Prometheus returns). */
  host?: string;
  /** Environment name found in the text (matched against configured environments). */
  environment?: string;
}

/** What the parser may match names against; both come from configuration and Prometheus. */
export interface ParseContext {
  environments: readonly string[];
  hosts: readonly string[];
}
