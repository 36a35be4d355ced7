/**
 * Capacity forecasts: when each real file system, and each host's memory, will be full. The used
 * bytes of every series are fetched for the whole fleet with one range query per kind (and one for
 * the sizes), each series is forecast by the model its own backtest picks, and the time the forecast
 * reaches the capacity is read with its interval.
 *
 * Capacity is what the kernel reports as the size (`node_filesystem_size_bytes`, `MemTotal`), never
 * the highest value ever used: a forecaster that took the peak as the limit called a 61%-full disk
 * "effectively full". A resized volume's capacity is its current size; its used bytes run on
 * through the resize and need no correction.
 *
 * Data only: no text, no Reply. The answers and the predictive alerts present it.
 */
import { FS_TYPE_EXCLUDE } from "../metrics/node-exporter.js";
import type { PrometheusClient, RangeSeries } from "../metrics/prometheus-client.js";
import { hostOfInstance, type LabelMatcher, renderMatchers } from "../metrics/promql.js";
import {
  type ForecastPoint,
  forecast,
  MAX_HORIZON_STEPS,
  type ModelName,
  timeToThreshold,
} from "./forecast/index.js";

/** What fills: a file system, or a host's memory. */
export type CapacityKind = "disk" | "memory";

export const CAPACITY_KINDS: readonly CapacityKind[] = ["disk", "memory"];

/** History read by default: two weeks shows weekly cycles twice and a trend without stale regimes. */
export const DEFAULT_LOOKBACK_SECONDS = 14 * 86_400;

/** Most evaluations per series a fetch asks for; the step is the smallest round one within it. */
export const MAX_CAPACITY_POINTS = 2000;

/** Least history a forecast is made from (and at least {@link MIN_HISTORY_POINTS} values). */
export const MIN_HISTORY_SECONDS = 6 * 3600;
export const MIN_HISTORY_POINTS = 24;

/**
 * How far ahead a series is forecast at most, in multiples of its history: six hours of data say
 * nothing about next month. A shorter reach is reported in `horizonSeconds`.
 */
export const HISTORY_REACH = 4;

/**
 * Share of the capacity at which a kind counts as full. A file system is full when nothing is
 * available; memory is exhausted before MemAvailable reaches zero (the kernel reclaims and kills
 * first), so 95% of MemTotal is the line.
 */
export const FULL_AT: Record<CapacityKind, number> = { disk: 1, memory: 0.95 };

/** Round steps, seconds: every one divides a day, so the forecaster sees the daily cycle. */
const STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

/** The step for a lookback: the smallest round one giving at most `maxPoints` evaluations. */
export function capacityStep(lookbackSeconds: number, maxPoints = MAX_CAPACITY_POINTS): number {
  for (const s of STEPS) if (lookbackSeconds / s <= maxPoints) return s;
  return STEPS[STEPS.length - 1] as number;
}

/** The two range queries of a kind, for the whole fleet (or the hosts `matchers` select). */
export interface CapacityQueries {
  /** Used bytes per series. */
  used: string;
  /** Capacity (size) per series. */
  size: string;
  /** Labels identifying a series. */
  by: readonly string[];
  /** Where the numbers come from, for the answer's context line. */
  source: string;
}

/** The PromQL of a kind, `matchers` applied to every selector. */
export function capacityQueries(kind: CapacityKind, matchers: readonly LabelMatcher[] = []): CapacityQueries {
  const extra = matchers.length > 0 ? renderMatchers(matchers) : "";
  if (kind === "disk") {
    const sel = [FS_TYPE_EXCLUDE, extra].filter(Boolean).join(",");
    const by = ["instance", "device", "mountpoint", "fstype"] as const;
    const group = `max by (${by.join(", ")})`;
    return {
      // Used as the space no longer available to users (size − avail): a disk is full for
      // applications when avail is zero, even with root's reserved blocks still free.
      used: `${group} (node_filesystem_size_bytes{${sel}} - node_filesystem_avail_bytes{${sel}})`,
      size: `${group} (node_filesystem_size_bytes{${sel}})`,
      by,
      source: "node_filesystem_size_bytes − node_filesystem_avail_bytes, against node_filesystem_size_bytes",
    };
  }
  const sel = extra;
  return {
    used: `max by (instance) (node_memory_MemTotal_bytes{${sel}} - node_memory_MemAvailable_bytes{${sel}})`,
    size: `max by (instance) (node_memory_MemTotal_bytes{${sel}})`,
    by: ["instance"],
    source: "node_memory_MemTotal_bytes − node_memory_MemAvailable_bytes, against node_memory_MemTotal_bytes",
  };
}

/** One file system or one host's memory over the lookback, on a regular grid. */
export interface CapacitySeries {
  kind: CapacityKind;
  instance: string;
  /** The instance without its port ("db-1" for "db-1:9100"). */
  host: string;
  mountpoint?: string;
  device?: string;
  fstype?: string;
  /** Other mount points of the same device on the same host (bind mounts), if any. */
  alsoMountedAt?: string[];
  /** Evaluation times, epoch seconds, `step` apart, oldest first. */
  times: Float64Array;
  /** Used bytes at each time; NaN where Prometheus had no value. */
  used: Float64Array;
  /** Capacity (size) in bytes at each time; NaN where Prometheus had no value. */
  size: Float64Array;
  step: number;
}

export interface FetchCapacityOptions {
  kind: CapacityKind;
  /** Restrict to some hosts (e.g. {@link hostMatcher}); the whole fleet when empty. */
  matchers?: readonly LabelMatcher[];
  /** History to read; {@link DEFAULT_LOOKBACK_SECONDS} by default. */
  lookbackSeconds?: number;
  /** Evaluation time, epoch seconds. */
  now: number;
  signal?: AbortSignal;
  /** Per-attempt Prometheus timeout (background jobs reading long ranges); the client's by default. */
  timeoutMs?: number;
  /** Most evaluations per series, {@link MAX_CAPACITY_POINTS} by default. */
  maxPoints?: number;
}

export interface FetchedCapacity {
  kind: CapacityKind;
  series: CapacitySeries[];
  queries: CapacityQueries;
  start: number;
  end: number;
  step: number;
  /** Series that stopped reporting before the end of the window (unmounted, host gone) or have no size now. */
  stale: number;
}

function seriesKey(labels: Record<string, string>, by: readonly string[]): string {
  return by.map((l) => labels[l] ?? "").join("\u0000");
}

/** Values of a range series on the grid `start + i·step`, NaN where it has none. */
function onGrid(points: Array<[number, number]>, start: number, step: number, n: number): Float64Array {
  const out = new Float64Array(n).fill(Number.NaN);
  for (const [t, v] of points) {
    const i = Math.round((t - start) / step);
    if (i >= 0 && i < n && Number.isFinite(v)) out[i] = v;
  }
  return out;
}

/**
 * The used and size series of a kind for the whole fleet (or the hosts `matchers` pick): two range
 * queries, never one per host. Series that stopped reporting more than three steps before the end
 * are left out (counted in `stale`); a device mounted at several points is kept once, at its
 * shortest mount point.
 */
export async function fetchCapacitySeries(
  client: PrometheusClient,
  opts: FetchCapacityOptions,
): Promise<FetchedCapacity> {
  const lookback = Math.max(3600, Math.round(opts.lookbackSeconds ?? DEFAULT_LOOKBACK_SECONDS));
  const step = capacityStep(lookback, opts.maxPoints);
  // The grid ends at `now` itself, not at a round step: a step of 15 minutes would hide the newest
  // quarter hour, all a young Prometheus has.
  const end = Math.floor(opts.now);
  const start = end - Math.floor(lookback / step) * step;
  const n = Math.round((end - start) / step) + 1;
  const queries = capacityQueries(opts.kind, opts.matchers);
  const call = {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  };
  const [used, size] = await Promise.all([
    client.range(queries.used, { start, end, step }, call),
    client.range(queries.size, { start, end, step }, call),
  ]);
  const sizes = new Map<string, RangeSeries>(size.map((s) => [seriesKey(s.labels, queries.by), s]));
  const times = Float64Array.from({ length: n }, (_, i) => start + i * step);
  let stale = 0;
  const out: CapacitySeries[] = [];
  for (const s of used) {
    const instance = s.labels.instance;
    if (instance === undefined) continue;
    const usedGrid = onGrid(s.points, start, step, n);
    let last = -1;
    for (let i = n - 1; i >= 0; i--)
      if (Number.isFinite(usedGrid[i] as number)) {
        last = i;
        break;
      }
    if (last < 0) continue;
    if (last < n - 1 - 3) {
      stale++;
      continue;
    }
    const sizeSeries = sizes.get(seriesKey(s.labels, queries.by));
    const sizeGrid = sizeSeries ? onGrid(sizeSeries.points, start, step, n) : undefined;
    // A file system without a size now (a stale network mount reports 0) has no capacity to fill.
    if (!sizeGrid || !((sizeGrid[last] as number) > 0)) {
      stale++;
      continue;
    }
    out.push({
      kind: opts.kind,
      instance,
      host: hostOfInstance(instance),
      ...(opts.kind === "disk"
        ? {
            mountpoint: s.labels.mountpoint ?? "",
            device: s.labels.device ?? "",
            fstype: s.labels.fstype ?? "",
          }
        : {}),
      times,
      used: usedGrid,
      size: sizeGrid,
      step,
    });
  }
  return { kind: opts.kind, series: dedupeBindMounts(out), queries, start, end, step, stale };
}

/** One series per (host, device, fstype): bind mounts of one file system fill together. */
function dedupeBindMounts(series: CapacitySeries[]): CapacitySeries[] {
  const keep = new Map<string, CapacitySeries>();
  const out: CapacitySeries[] = [];
  for (const s of series) {
    if (s.kind !== "disk" || !s.device || s.device === "none") {
      out.push(s);
      continue;
    }
    const key = `${s.instance}\u0000${s.device}\u0000${s.fstype}`;
    const seen = keep.get(key);
    if (!seen) {
      keep.set(key, s);
      out.push(s);
      continue;
    }
    const [first, other] =
      (s.mountpoint ?? "").length < (seen.mountpoint ?? "").length ? [s, seen] : [seen, s];
    first.alsoMountedAt = [
      ...(other.alsoMountedAt ?? []),
      other.mountpoint ?? "",
      ...(first.alsoMountedAt ?? []),
    ];
    if (first !== seen) {
      keep.set(key, first);
      out[out.indexOf(seen)] = first;
    }
  }
  return out;
}

/** Why a series has the forecast it has. */
export type CapacityStatus = "fills" | "no_risk" | "insufficient_history" | "already_full";

/** When the forecast reaches the full line, epoch seconds; null when not within the horizon. */
export interface FillTime {
  /** The central forecast reaches it. */
  expected: number | null;
  /** The upper bound of the interval reaches it (the soonest it plausibly fills). */
  earliest: number | null;
  /** The lower bound reaches it (the latest it plausibly fills). */
  latest: number | null;
}

/** The forecast of one series, with everything an answer, a chart or an alert needs. */
export interface CapacityForecast {
  kind: CapacityKind;
  instance: string;
  host: string;
  mountpoint?: string;
  device?: string;
  fstype?: string;
  alsoMountedAt?: string[];
  status: CapacityStatus;
  /** Current size in bytes (a resized volume's new size). */
  capacityBytes: number;
  /** Used bytes at which the series counts as full: `capacityBytes × FULL_AT[kind]`. */
  fullAtBytes: number;
  /** Latest used bytes, and when. */
  usedBytes: number;
  usedAt: number;
  /** Time from the first to the last value of the history, seconds. */
  historySeconds: number;
  /** How far the forecast reaches, seconds after the last value (0 when none was made). */
  horizonSeconds: number;
  /** Central coverage of the interval (0.9 by default). */
  level: number;
  model: ModelName | null;
  /** The chosen model's backtest mean absolute error, in bytes and in % of the capacity. */
  backtestMaeBytes: number | null;
  backtestMaePercent: number | null;
  fill: FillTime;
  /** Slope of the central forecast over the horizon, bytes per day (negative when shrinking). */
  growthBytesPerDay: number | null;
  /**
   * Clean-ups seen in the history (one-step drops far larger than the usual change): how many, the
   * last, and for two or more the usual interval and when the next would come at that pace.
   */
  cleanups?: { count: number; lastAt: number; everySeconds?: number; nextExpectedAt?: number };
  /**
   * The forecast fills only after the next clean-up is due at the pace of the earlier ones: full at
   * the current rate, but not if clean-ups go on as before.
   */
  reliesOnCleanup: boolean;
  /** The size changed within the history (a volume resized): from what, to what, when. */
  resized?: { fromBytes: number; toBytes: number; at: number };
  /** The history as drawn: [epoch seconds, used bytes or null for a gap]. */
  history: Array<[number, number | null]>;
  /** The forecast, one point per step, clamped at zero. */
  points: ForecastPoint[];
}

export interface ForecastCapacityOptions {
  /** How far ahead to look, seconds; shortened to {@link HISTORY_REACH} × the history. */
  horizonSeconds: number;
  /** Central coverage of the interval, 0.9 by default. */
  level?: number;
}

const NO_FILL: FillTime = { expected: null, earliest: null, latest: null };

/**
 * Forecasts one series to the horizon and reads when it reaches its full line. Statuses: already
 * full (used at 99.9% of the line or more), too little history ({@link MIN_HISTORY_SECONDS} and
 * {@link MIN_HISTORY_POINTS} values are needed; the history it has is reported), fills (the central
 * forecast reaches the line within the horizon) or no risk (it does not; `fill.earliest` may still
 * be set when the interval's upper bound does).
 */
export function forecastCapacity(series: CapacitySeries, opts: ForecastCapacityOptions): CapacityForecast {
  const level = opts.level ?? 0.9;
  const { times, used, size, step } = series;
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 0; i < used.length; i++) {
    if (!Number.isFinite(used[i] as number)) continue;
    if (first < 0) first = i;
    last = i;
    count++;
  }
  let lastSize = -1;
  for (let i = size.length - 1; i >= 0; i--)
    if (Number.isFinite(size[i] as number) && (size[i] as number) > 0) {
      lastSize = i;
      break;
    }
  const capacity = lastSize >= 0 ? (size[lastSize] as number) : Number.NaN;
  const usedNow = last >= 0 ? (used[last] as number) : Number.NaN;
  const historySeconds = first >= 0 ? (times[last] as number) - (times[first] as number) : 0;
  const history: Array<[number, number | null]> = [];
  if (first >= 0)
    for (let i = first; i <= last; i++) {
      const v = used[i] as number;
      history.push([times[i] as number, Number.isFinite(v) ? v : null]);
    }
  const base: CapacityForecast = {
    kind: series.kind,
    instance: series.instance,
    host: series.host,
    ...(series.mountpoint !== undefined ? { mountpoint: series.mountpoint } : {}),
    ...(series.device !== undefined ? { device: series.device } : {}),
    ...(series.fstype !== undefined ? { fstype: series.fstype } : {}),
    ...(series.alsoMountedAt ? { alsoMountedAt: series.alsoMountedAt } : {}),
    status: "insufficient_history",
    capacityBytes: capacity,
    fullAtBytes: capacity * FULL_AT[series.kind],
    usedBytes: usedNow,
    usedAt: last >= 0 ? (times[last] as number) : Number.NaN,
    historySeconds,
    horizonSeconds: 0,
    level,
    model: null,
    backtestMaeBytes: null,
    backtestMaePercent: null,
    fill: NO_FILL,
    growthBytesPerDay: null,
    reliesOnCleanup: false,
    history,
    points: [],
  };
  const resized = findResize(times, size);
  if (resized) base.resized = resized;
  const cleanups = findCleanups(times, used);
  if (cleanups) base.cleanups = cleanups;
  if (!Number.isFinite(capacity) || !Number.isFinite(usedNow)) return base;
  if (usedNow >= 0.999 * base.fullAtBytes) {
    const at = times[last] as number;
    return { ...base, status: "already_full", fill: { expected: at, earliest: at, latest: at } };
  }
  if (count < MIN_HISTORY_POINTS || historySeconds < MIN_HISTORY_SECONDS) return base;

  const horizonSeconds = Math.min(opts.horizonSeconds, HISTORY_REACH * historySeconds);
  const steps = Math.max(1, Math.min(MAX_HORIZON_STEPS, Math.ceil(horizonSeconds / step)));
  // The forecaster reads the history up to the last value; the grid's trailing gaps are not history.
  const result = forecast(used.subarray(first, last + 1), times.subarray(first, last + 1), steps, { level });
  const points = result.points.map((p) => ({
    t: p.t,
    forecast: Math.max(0, p.forecast),
    lower: Math.max(0, p.lower),
    upper: Math.max(0, p.upper),
  }));
  const fill = timeToThreshold({ ...result, points }, base.fullAtBytes);
  const lastPoint = points[points.length - 1] as ForecastPoint;
  const span = lastPoint.t - (times[last] as number);
  return {
    ...base,
    status: fill.expected !== null ? "fills" : "no_risk",
    reliesOnCleanup:
      fill.expected !== null &&
      cleanups?.nextExpectedAt !== undefined &&
      cleanups.nextExpectedAt < fill.expected,
    horizonSeconds: steps * step,
    model: result.model,
    backtestMaeBytes: result.backtestMae,
    backtestMaePercent: (100 * result.backtestMae) / capacity,
    fill,
    // From the unclamped forecast: a shrinking disk's line reaching zero would flatten the rate.
    growthBytesPerDay:
      span > 0
        ? (((result.points[result.points.length - 1]?.forecast ?? usedNow) - usedNow) / span) * 86_400
        : 0,
    points,
  };
}

/**
 * Clean-ups: one-step drops of the used bytes larger than ten usual steps and 5% of the range (the
 * forecaster's rule for where a trend restarts); drops on consecutive steps are one clean-up.
 */
function findCleanups(times: Float64Array, used: Float64Array): CapacityForecast["cleanups"] | undefined {
  const diffs: number[] = [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let prev = Number.NaN;
  for (const v of used) {
    if (!Number.isFinite(v)) continue;
    if (Number.isFinite(prev)) diffs.push(Math.abs(v - prev));
    prev = v;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi > lo) || diffs.length === 0) return undefined;
  diffs.sort((a, b) => a - b);
  const typical = diffs[Math.floor(diffs.length / 2)] as number;
  const big = Math.max(10 * typical, 0.05 * (hi - lo));
  const at: number[] = [];
  prev = Number.NaN;
  let prevIndex = -10;
  for (let i = 0; i < used.length; i++) {
    const v = used[i] as number;
    if (!Number.isFinite(v)) continue;
    if (Number.isFinite(prev) && prev - v > big) {
      if (i - prevIndex > 2) at.push(times[i] as number);
      prevIndex = i;
    }
    prev = v;
  }
  const lastAt = at[at.length - 1];
  if (lastAt === undefined) return undefined;
  if (at.length < 2) return { count: 1, lastAt };
  const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
  gaps.sort((a, b) => a - b);
  const everySeconds = gaps[Math.floor(gaps.length / 2)] as number;
  return { count: at.length, lastAt, everySeconds, nextExpectedAt: lastAt + everySeconds };
}

/** The last change of the size by more than 1% within the history, if any. */
function findResize(
  times: Float64Array,
  size: Float64Array,
): { fromBytes: number; toBytes: number; at: number } | undefined {
  let prev = Number.NaN;
  let found: { fromBytes: number; toBytes: number; at: number } | undefined;
  for (let i = 0; i < size.length; i++) {
    const v = size[i] as number;
    if (!Number.isFinite(v) || v <= 0) continue;
    if (Number.isFinite(prev) && Math.abs(v - prev) > 0.01 * prev)
      found = { fromBytes: prev, toBytes: v, at: times[i] as number };
    prev = v;
  }
  return found;
}

/** Soonest first: already full, then by expected fill time, then by earliest, then the rest. */
export function byFillTime(a: CapacityForecast, b: CapacityForecast): number {
  const rank = (f: CapacityForecast): [number, number] => {
    if (f.status === "already_full") return [0, f.usedAt];
    if (f.fill.expected !== null) return [1, f.fill.expected];
    if (f.fill.earliest !== null) return [2, f.fill.earliest];
    if (f.status === "no_risk") return [3, -(f.usedBytes / f.fullAtBytes)];
    return [4, 0];
  };
  const [ra, ta] = rank(a);
  const [rb, tb] = rank(b);
  return ra !== rb ? ra - rb : ta - tb;
}

/**
 * Whether a forecast says full within `seconds` of `now`: already full, or the expected time (or,
 * with `bound: "earliest"`, the interval's soonest time) falls within.
 */
export function fillsWithin(
  f: CapacityForecast,
  now: number,
  seconds: number,
  bound: "expected" | "earliest" = "expected",
): boolean {
  if (f.status === "already_full") return true;
  const t = f.fill[bound];
  return t !== null && t <= now + seconds;
}

export interface CapacityRiskOptions {
  /** The window at risk, seconds (7 or 30 days, say). */
  withinSeconds: number;
  /** How far to forecast; `withinSeconds` by default (longer lets one fetch serve 7 and 30 days). */
  horizonSeconds?: number;
  kinds?: readonly CapacityKind[];
  matchers?: readonly LabelMatcher[];
  lookbackSeconds?: number;
  now: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  level?: number;
}

export interface CapacityRisks {
  now: number;
  withinSeconds: number;
  /** Every forecast, soonest to fill first. */
  forecasts: CapacityForecast[];
  /** Those full, or expected full, within `withinSeconds`. */
  atRisk: CapacityForecast[];
  /** Series checked per kind (after stale ones and bind mounts were left out). */
  checked: Record<CapacityKind, number>;
  /** Series that stopped reporting, per kind. */
  stale: Record<CapacityKind, number>;
  /**
   * Series fetched but not forecast because `signal` aborted first (an answer's deadline on a large
   * fleet): the forecasts are then partial, and an answer must say so.
   */
  unfinished: number;
  /** Kinds whose queries failed: what was asked and why. The others are still reported. */
  failures: { kind: CapacityKind; error: unknown }[];
  /** The queries each kind ran. */
  queries: Partial<Record<CapacityKind, CapacityQueries>>;
  step: Partial<Record<CapacityKind, number>>;
}

/**
 * Every series of the given kinds forecast, and those at risk within the window. One kind's failed
 * query is reported in `failures` and the others still answer; when every kind fails the first
 * error is thrown (Prometheus is down: the caller says so). The forecasts run one series at a time,
 * yielding between them; when `signal` aborts during them, what was forecast is returned and the
 * rest counted in `unfinished`.
 */
export async function capacityRisks(
  client: PrometheusClient,
  opts: CapacityRiskOptions,
): Promise<CapacityRisks> {
  const kinds = opts.kinds ?? CAPACITY_KINDS;
  const settled = await Promise.allSettled(
    kinds.map((kind) =>
      fetchCapacitySeries(client, {
        kind,
        now: opts.now,
        ...(opts.matchers ? { matchers: opts.matchers } : {}),
        ...(opts.lookbackSeconds ? { lookbackSeconds: opts.lookbackSeconds } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      }),
    ),
  );
  const failures: CapacityRisks["failures"] = [];
  const fetched: FetchedCapacity[] = [];
  settled.forEach((r, i) => {
    if (r.status === "fulfilled") fetched.push(r.value);
    else failures.push({ kind: kinds[i] as CapacityKind, error: r.reason });
  });
  if (fetched.length === 0 && failures.length > 0) throw failures[0]?.error;
  const horizonSeconds = Math.max(opts.withinSeconds, opts.horizonSeconds ?? 0);
  const forecasts: CapacityForecast[] = [];
  const checked: Record<CapacityKind, number> = { disk: 0, memory: 0 };
  const stale: Record<CapacityKind, number> = { disk: 0, memory: 0 };
  const queries: CapacityRisks["queries"] = {};
  const step: CapacityRisks["step"] = {};
  let unfinished = 0;
  for (const f of fetched) {
    checked[f.kind] = f.series.length;
    stale[f.kind] = f.stale;
    queries[f.kind] = f.queries;
    step[f.kind] = f.step;
    for (const s of f.series) {
      if (opts.signal?.aborted) {
        unfinished++;
        continue;
      }
      forecasts.push(forecastCapacity(s, { horizonSeconds, ...(opts.level ? { level: opts.level } : {}) }));
      // A fleet's forecasts take a while: let other work (and the abort) in between series.
      await new Promise((r) => setImmediate(r));
    }
  }
  forecasts.sort(byFillTime);
  return {
    now: opts.now,
    withinSeconds: opts.withinSeconds,
    forecasts,
    atRisk: forecasts.filter((f) => fillsWithin(f, opts.now, opts.withinSeconds)),
    checked,
    stale,
    unfinished,
    failures,
    queries,
    step,
  };
}
