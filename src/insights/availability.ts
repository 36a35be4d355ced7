/**
 * Availability of scrape targets and jobs over a period, from Prometheus's `up`, against an SLO.
 *
 * How it is counted (the report says the same):
 * - Hour by hour, per target (`job`, `instance`): the samples in the hour (`count_over_time`) and the
 *   share of them that were up (`sum_over_time` / `count_over_time`), each over the hour less 1 ms.
 * - An hour with no sample is not observed: the target did not exist yet or any more, or Prometheus
 *   did not scrape it. It counts neither as up nor as down; the report says how much was observed.
 *   A partly observed hour (a target added at 14:20) counts by its samples: the hour's samples over
 *   the target's usual samples per hour (its median), at most a whole hour.
 * - Downtime = the down share of each observed hour × the observed minutes of that hour, summed.
 *   Availability = 1 − downtime / observed time. A failed scrape is down; a missing one is not.
 * - Outages = stretches of `up` at 0, from `changes(up[period])` and the last value
 *   (`last_over_time(up[period])`): a stretch already down when the period starts counts as one.
 * - Error budget = (1 − SLO) of the observed time; used = downtime / budget.
 * - A job's numbers add its targets' observed and down minutes (target-minutes).
 *
 * Data only: every number comes with the names of the queries behind it, and each query's PromQL.
 */
import type { PrometheusClient, RangeSeries } from "../metrics/prometheus-client.js";
import { escapeLabelValue } from "../metrics/promql.js";
import type { ReportPeriod } from "./report-period.js";

/** Targets a report lists (the largest fleets are cut, and the report says so). */
export const MAX_REPORT_TARGETS = 500;

export interface ReportQuery {
  promql: string;
  /** "range": evaluated hourly over the period; "instant": once, at the period's end. */
  kind: "range" | "instant";
  /** ISO times: the range's first and last evaluation, or the instant. */
  start?: string;
  end?: string;
  time?: string;
  step?: string;
}

export type QueryName = "samplesPerHour" | "upSharePerHour" | "changes" | "lastValue";

export interface TargetAvailability {
  job: string;
  instance: string;
  /** Percent of the observed time the target was up; null when never observed. */
  availabilityPct: number | null;
  downtimeMinutes: number;
  observedMinutes: number;
  /** Share of the period observed, percent. */
  coveragePct: number;
  /** Null when Prometheus would not count them (see the report's problems). */
  outages: number | null;
  /** First and last observed hour (ISO, the hour's end). */
  firstSeen: string | null;
  lastSeen: string | null;
  /** First seen after the period's first hour: added during the period. */
  appeared: boolean;
  /** Last seen before the period's last hour: removed (or no longer scraped) during the period. */
  disappeared: boolean;
  sloMet: boolean | null;
  /** Downtime the SLO allows over the observed time, minutes. */
  allowedDowntimeMinutes: number;
  /** Percent of the error budget used (over 100: the SLO is missed). */
  errorBudgetUsedPct: number | null;
}

export interface JobAvailability
  extends Omit<
    TargetAvailability,
    "instance" | "firstSeen" | "lastSeen" | "appeared" | "disappeared" | "coveragePct"
  > {
  targets: number;
  /** Targets that missed the SLO. */
  targetsMissingSlo: number;
}

export interface AvailabilityReport {
  environment: string;
  period: { label: string; from: string; to: string; complete: boolean; param: string };
  slo: { targetPct: number };
  method: string[];
  queries: Record<QueryName, ReportQuery>;
  /** Which queries each number comes from. */
  numbers: Record<string, QueryName[]>;
  jobs: JobAvailability[];
  targets: TargetAvailability[];
  /** Targets found, and whether the list was cut at {@link MAX_REPORT_TARGETS}. */
  targetCount: number;
  truncated: boolean;
  /** What could not be counted, said in words. */
  problems: string[];
}

export const AVAILABILITY_METHOD = [
  "Availability = time up ÷ time observed, per target (job, instance), counted hour by hour from up.",
  "A failed scrape (up = 0) is down. An hour without samples is not observed: neither up nor down (a target added or removed during the period is counted over the time it existed; the coverage column says how much).",
  "A partly observed hour counts by its samples against the target's usual samples per hour.",
  "Outages are stretches of up = 0, from changes(up) and the last value; one already down at the start counts.",
  "Each range ends 1 ms short (59m59s999ms), so a sample on the hour is counted once, in the hour it ends.",
  "Error budget = (100% − SLO) of the observed time; used = downtime ÷ budget. A job adds its targets' minutes.",
];

const NUMBERS: Record<string, QueryName[]> = {
  availabilityPct: ["samplesPerHour", "upSharePerHour"],
  downtimeMinutes: ["samplesPerHour", "upSharePerHour"],
  observedMinutes: ["samplesPerHour"],
  coveragePct: ["samplesPerHour"],
  outages: ["changes", "lastValue"],
  firstSeen: ["samplesPerHour"],
  lastSeen: ["samplesPerHour"],
  errorBudgetUsedPct: ["samplesPerHour", "upSharePerHour"],
  allowedDowntimeMinutes: ["samplesPerHour"],
};

const HOUR_S = 3600;

/** The `up` selector, optionally for one job (escaped: the job comes from a caller). */
export function upSelector(job?: string): string {
  return job ? `up{job="${escapeLabelValue(job)}"}` : "up";
}

/**
 * A range selector's duration 1 ms short of `seconds`. Prometheus 2 includes both ends of a range
 * (`[1h]` at 01:00 holds the samples at 00:00 and at 01:00), so back-to-back hourly ranges would count
 * a sample on the hour twice; 59m59s999ms holds each sample once (timestamps are whole ms).
 */
export function openRange(seconds: number): string {
  let ms = Math.max(1, Math.round(seconds * 1000) - 1);
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    const n = Math.floor(ms / size);
    if (n > 0) parts.push(`${n}${unit}`);
    ms -= n * size;
  }
  if (ms > 0) parts.push(`${ms}ms`);
  return parts.join("");
}

const key = (l: Record<string, string>) => `${l.job ?? ""}\u0000${l.instance ?? ""}`;
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Budget numbers for observed and down minutes against an SLO in percent. */
function sloNumbers(observed: number, down: number, sloPct: number) {
  const availability = observed > 0 ? 100 * (1 - down / observed) : null;
  const allowed = ((100 - sloPct) / 100) * observed;
  return {
    availabilityPct: availability === null ? null : round(availability, 4),
    sloMet: availability === null ? null : availability >= sloPct - 1e-9,
    allowedDowntimeMinutes: round(allowed, 1),
    errorBudgetUsedPct: observed > 0 && allowed > 0 ? round((100 * down) / allowed, 1) : null,
  };
}

/**
 * Runs the report's four queries on one environment's Prometheus. Throws the client's
 * PrometheusError when Prometheus does not answer: the caller says so.
 */
export async function availabilityReport(
  client: PrometheusClient,
  period: ReportPeriod,
  opts: { sloPct: number; job?: string; signal?: AbortSignal },
): Promise<AvailabilityReport> {
  const startS = Math.floor(period.start / 1000);
  const endS = Math.floor(period.end / 1000);
  const seconds = endS - startS;
  const up = upSelector(opts.job);
  const firstHour = startS + HOUR_S;
  const rangeOf = { start: firstHour, end: endS, step: HOUR_S };
  const byTarget = "sum by (job, instance)";
  const hour = openRange(HOUR_S);
  const whole = openRange(seconds);
  const queries: Record<QueryName, ReportQuery> = {
    samplesPerHour: range(`${byTarget} (count_over_time(${up}[${hour}]))`),
    upSharePerHour: range(
      `${byTarget} (sum_over_time(${up}[${hour}])) / ${byTarget} (count_over_time(${up}[${hour}]))`,
    ),
    changes: instant(`${byTarget} (changes(${up}[${whole}]))`),
    lastValue: instant(`min by (job, instance) (last_over_time(${up}[${whole}]))`),
  };
  function range(promql: string): ReportQuery {
    return {
      promql,
      kind: "range",
      start: new Date(firstHour * 1000).toISOString(),
      end: new Date(endS * 1000).toISOString(),
      step: "1h",
    };
  }
  function instant(promql: string): ReportQuery {
    return { promql, kind: "instant", time: new Date(endS * 1000).toISOString() };
  }
  const call = { ...(opts.signal ? { signal: opts.signal } : {}), noCache: true, timeoutMs: 30_000 };
  const problems: string[] = [];
  // Outages read every raw sample of the period at once: on a very large fleet Prometheus may refuse
  // (query.max-samples). The rest of the report stands without them, and says so.
  const outageQuery = (q: QueryName) =>
    client.instant(queries[q].promql, { ...call, time: endS }).catch((e: unknown) => {
      if (!problems.length)
        problems.push(`Outages are not counted: ${e instanceof Error ? e.message : String(e)}`.slice(0, 400));
      return undefined;
    });
  const [samples, shares, changes, last] = await Promise.all([
    client.range(queries.samplesPerHour.promql, rangeOf, call),
    client.range(queries.upSharePerHour.promql, rangeOf, call),
    outageQuery("changes"),
    outageQuery("lastValue"),
  ]);

  const shareOf = new Map<string, Map<number, number>>();
  for (const s of shares) shareOf.set(key(s.labels), new Map(s.points));
  const changesOf = changes && last ? new Map(changes.map((s) => [key(s.labels), s.value])) : undefined;
  const lastOf = new Map((last ?? []).map((s) => [key(s.labels), s.value]));

  const all = [...samples].sort(
    (a, b) =>
      (a.labels.job ?? "").localeCompare(b.labels.job ?? "") ||
      (a.labels.instance ?? "").localeCompare(b.labels.instance ?? "", "en", { numeric: true }),
  );
  const kept = all.slice(0, MAX_REPORT_TARGETS);
  const hours = Math.round(seconds / HOUR_S);
  const targets = kept.map((s) =>
    targetRow(s, shareOf.get(key(s.labels)), changesOf?.get(key(s.labels)), lastOf.get(key(s.labels)), {
      firstHour,
      lastHour: endS,
      hours,
      sloPct: opts.sloPct,
      countOutages: changesOf !== undefined,
    }),
  );
  return {
    environment: client.environment,
    period: {
      label: period.label,
      from: new Date(period.start).toISOString(),
      to: new Date(period.end).toISOString(),
      complete: period.complete,
      param: period.param,
    },
    slo: { targetPct: opts.sloPct },
    method: AVAILABILITY_METHOD,
    queries,
    numbers: NUMBERS,
    jobs: jobRows(targets, opts.sloPct),
    targets,
    targetCount: all.length,
    truncated: all.length > kept.length,
    problems,
  };
}

function targetRow(
  samples: RangeSeries,
  shares: Map<number, number> | undefined,
  changes: number | undefined,
  last: number | undefined,
  p: { firstHour: number; lastHour: number; hours: number; sloPct: number; countOutages: boolean },
): TargetAvailability {
  const present = samples.points.filter(([, c]) => Number.isFinite(c) && c > 0);
  const usual = present.length > 0 ? median(present.map(([, c]) => c)) : 0;
  let observed = 0;
  let down = 0;
  for (const [t, c] of present) {
    const minutes = 60 * Math.min(1, c / usual);
    const share = shares?.get(t);
    observed += minutes;
    // An hour whose share is missing or not a number (it cannot be, with samples) counts as up:
    // downtime is only what `up` said.
    if (share !== undefined && Number.isFinite(share))
      down += (1 - Math.min(1, Math.max(0, share))) * minutes;
  }
  const firstT = present[0]?.[0];
  const lastT = present.at(-1)?.[0];
  return {
    job: samples.labels.job ?? "",
    instance: samples.labels.instance ?? "",
    downtimeMinutes: round(down, 1),
    observedMinutes: round(observed, 1),
    coveragePct: p.hours > 0 ? round((100 * observed) / (60 * p.hours), 2) : 0,
    outages: p.countOutages ? outages(changes, last) : null,
    firstSeen: firstT === undefined ? null : new Date(firstT * 1000).toISOString(),
    lastSeen: lastT === undefined ? null : new Date(lastT * 1000).toISOString(),
    appeared: firstT !== undefined && firstT > p.firstHour,
    disappeared: lastT !== undefined && lastT < p.lastHour,
    ...sloNumbers(observed, down, p.sloPct),
  };
}

/**
 * Stretches of 0 in a 0/1 series from its number of changes `c` and last value: with first value f,
 * stretches = (c + [f = 0] + [last = 0]) / 2, and f is fixed by the parity of c (f = last when c is even).
 */
export function outages(changes: number | undefined, last: number | undefined): number {
  if (changes === undefined || last === undefined || !Number.isFinite(changes)) return 0;
  const c = Math.max(0, Math.round(changes));
  const lastDown = last === 0 ? 1 : 0;
  const firstDown = c % 2 === 0 ? lastDown : 1 - lastDown;
  return (c + firstDown + lastDown) / 2;
}

function jobRows(targets: TargetAvailability[], sloPct: number): JobAvailability[] {
  const byJob = new Map<string, TargetAvailability[]>();
  for (const t of targets) byJob.set(t.job, [...(byJob.get(t.job) ?? []), t]);
  return [...byJob.entries()].map(([job, list]) => {
    const observed = list.reduce((s, t) => s + t.observedMinutes, 0);
    const down = list.reduce((s, t) => s + t.downtimeMinutes, 0);
    return {
      job,
      targets: list.length,
      targetsMissingSlo: list.filter((t) => t.sloMet === false).length,
      downtimeMinutes: round(down, 1),
      observedMinutes: round(observed, 1),
      outages: list.some((t) => t.outages === null) ? null : list.reduce((s, t) => s + (t.outages ?? 0), 0),
      ...sloNumbers(observed, down, sloPct),
    };
  });
}
