/**
 * Per-host anomaly detection over the 18 features: robust scaling against the host's own history,
 * an isolation forest fitted on it, and an explanation naming the features that moved most.
 */
import type { Unit } from "../metrics/catalogue.js";
import { FEATURES } from "./features.js";
import { type ForestHeader, IsolationForest } from "./isolation-forest.js";
import {
  quantileSelect,
  quantileSorted,
  type RobustBaseline,
  robustBaseline,
  sortedFinite,
} from "./robust-stats.js";

/** The smallest spread that counts as a change, per unit: flat series must not turn noise into alarms. */
const SCALE_FLOOR: Record<Unit, number> = {
  percent: 1,
  ratio: 0.05,
  bytes: 1024 * 1024,
  bytes_per_second: 10 * 1024,
  count: 1,
  seconds: 1,
};

/** Below this share of points present, a feature is treated as missing for the host. */
const MIN_COVERAGE = 0.5;
/** Fewer training rows than this: the host is scored by the fleet's pooled model. */
export const MIN_HOST_ROWS = 96;
/** A finding needs a feature at least this many robust deviations from its baseline. */
const MIN_EXPLAINED_Z = 4;
/**
 * Far outside the host's envelope: anomalous whatever the forest says. Axis-parallel splits cannot
 * separate a point beyond the training range from the most extreme training points, so a burst on 3
 * of 18 features scores only ~0.5; these deviations catch it.
 */
const EXTREME_Z = 8;
const STRONG_Z = 5;
/** Scores never count as anomalous below this, however quiet the host's training data was. */
const MIN_SCORE = 0.6;

export interface FeatureBaseline extends RobustBaseline {
  name: string;
  present: boolean;
  /**
   * The usual level at each UTC hour, when the feature follows a daily pattern; `median` and `scale`
   * then describe the departures from it.
   */
  hourly?: number[];
}

/** Days of history needed before a daily pattern is looked for. */
const SEASONAL_MIN_DAYS = 2;
/** A daily pattern counts when removing it leaves at most this share of the spread. */
const SEASONAL_MAX_RESIDUAL = 0.7;

const hourOf = (epochSeconds: number) => Math.floor((epochSeconds % 86400) / 3600);

/** The level a feature is expected at, at time `t` (epoch seconds). */
export function usualAt(b: FeatureBaseline, t: number): number {
  return (b.hourly ? (b.hourly[hourOf(t)] ?? 0) : 0) + b.median;
}

/** A forest as stored: its header, and its nodes as raw bytes (kept apart from the JSON in Redis). */
export interface StoredForest {
  header: ForestHeader;
  bytes: Uint8Array;
}

export interface HostModel {
  instance: string;
  /** "host" when trained on this host's history, "pooled" when on the fleet's. */
  kind: "host" | "pooled";
  baselines: FeatureBaseline[];
  forest: StoredForest;
  /** Scores above this are unusual for this host (from its training scores). */
  threshold: number;
  trainedAt: number;
  rows: number;
}

export interface FeatureDeviation {
  feature: string;
  label: string;
  unit: Unit;
  value: number;
  baseline: number;
  /** Signed robust z: (value − baseline) / scale. */
  z: number;
  direction: "up" | "down";
  /** |z| squashed to [0, 1): 3σ → 0.5. */
  score: number;
}

export interface HostScore {
  instance: string;
  /** Time of the scored point, epoch seconds. */
  at: number;
  score: number;
  threshold: number;
  anomalous: boolean;
  /** All present features, most deviant first. */
  deviations: FeatureDeviation[];
  /** Why it counts as anomalous: the forest's score, or features far outside their envelope. */
  reason?: "isolation" | "deviation";
}

/** One feature of one host over time. Fetched windows hold float32: half the memory, ample precision. */
export type FeatureColumn = Float32Array | Float64Array;

/** Feature values of one host: `values[f][t]`, NaN where missing. */
export type HostSeries = FeatureColumn[];

/**
 * The rows at which the host reported anything. A training window reaching back before a host
 * existed (or across a long outage) would otherwise dilute every feature's coverage and fill the
 * forest with empty rows.
 */
export function liveRows(
  series: HostSeries,
  times?: ArrayLike<number>,
): { series: HostSeries; times?: Float64Array } {
  const n = series[0]?.length ?? 0;
  const live = rowsWithData(series, n);
  const keep: number[] = [];
  for (let t = 0; t < n; t++) if (live[t]) keep.push(t);
  const kept = times ? Float64Array.from(keep, (t) => times[t] as number) : undefined;
  if (keep.length === n) return { series, ...(kept ? { times: kept } : {}) };
  return {
    series: series.map((f) => Float64Array.from(keep, (t) => f[t] ?? Number.NaN)),
    ...(kept ? { times: kept } : {}),
  };
}

/** 1 for each row where any of the given features (all, by default) has a value. */
function rowsWithData(series: HostSeries, n: number, use?: (f: number) => boolean): Uint8Array {
  const live = new Uint8Array(n);
  series.forEach((xs, f) => {
    if (use && !use(f)) return;
    for (let t = 0; t < n; t++) if (Number.isFinite(xs[t] as number)) live[t] = 1;
  });
  return live;
}

function scaledRows(
  series: HostSeries,
  baselines: FeatureBaseline[],
  from = 0,
  to = series[0]?.length ?? 0,
  times?: ArrayLike<number>,
) {
  const d = baselines.length;
  const n = Math.max(0, to - from);
  const data = new Float64Array(n * d);
  const hours = new Uint8Array(n);
  if (times) for (let t = 0; t < n; t++) hours[t] = hourOf(times[from + t] as number);
  for (let f = 0; f < d; f++) {
    const b = baselines[f] as FeatureBaseline;
    const xs = series[f];
    // Missing features and gaps sit at the baseline (0): absence of data is not an anomaly.
    if (!b.present || !xs) continue;
    const { median, scale, hourly } = b;
    for (let t = 0; t < n; t++) {
      const v = xs[from + t] as number;
      if (!Number.isFinite(v)) continue;
      const usual = hourly && times ? (hourly[hours[t] as number] as number) + median : median;
      data[t * d + f] = (v - usual) / scale;
    }
  }
  return { data, columns: d };
}

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function baselinesOf(series: HostSeries, times?: ArrayLike<number>): FeatureBaseline[] {
  return FEATURES.map((f, i) => {
    const xs = series[i] ?? new Float64Array(0);
    const floor = SCALE_FLOOR[f.unit];
    const b = robustBaseline(xs, floor);
    const base: FeatureBaseline = { ...b, name: f.name, present: b.coverage >= MIN_COVERAGE };
    if (!base.present || !times) return base;
    return withDailyPattern(base, xs, times, floor) ?? base;
  });
}

/**
 * The baseline as departures from a daily profile, when the history spans enough days, every hour
 * is seen, and the profile explains a good part of the spread; otherwise undefined.
 */
function withDailyPattern(
  base: FeatureBaseline,
  xs: FeatureColumn,
  times: ArrayLike<number>,
  floor: number,
): FeatureBaseline | undefined {
  const n = xs.length;
  if (n < 2 || (times[n - 1] as number) - (times[0] as number) < SEASONAL_MIN_DAYS * 86400) return undefined;
  // The values grouped by hour in one array (a counting sort): training does this for every feature
  // of every host, and per-hour lists of boxed numbers cost more than the rest of the baseline.
  const hours = new Uint8Array(n);
  const start = new Int32Array(25);
  for (let t = 0; t < n; t++) {
    const h = Number.isFinite(xs[t] as number) ? hourOf(times[t] as number) : 24;
    hours[t] = h;
    start[h + 1] = (start[h + 1] as number) + 1;
  }
  for (let h = 0; h < 24; h++) {
    if ((start[h + 1] as number) < 3) return undefined;
    start[h + 1] = (start[h + 1] as number) + (start[h] as number);
  }
  const grouped = new Float64Array(start[24] as number);
  const fill = start.slice(0, 24);
  for (let t = 0; t < n; t++) {
    const h = hours[t] as number;
    if (h === 24) continue;
    const at = fill[h] as number;
    grouped[at] = xs[t] as number;
    fill[h] = at + 1;
  }
  const hourly = Array.from({ length: 24 }, (_, h) =>
    quantileSelect(grouped.subarray(start[h] as number, start[h + 1] as number), 0.5),
  );
  if (Math.max(...hourly) - Math.min(...hourly) < 2 * floor) return undefined;
  const residuals = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const h = hours[t] as number;
    residuals[t] = h < 24 ? (xs[t] as number) - (hourly[h] as number) : Number.NaN;
  }
  const r = robustBaseline(residuals, floor);
  if (r.scale > SEASONAL_MAX_RESIDUAL * base.scale) return undefined;
  return { ...base, median: r.median, scale: r.scale, hourly };
}

function usableRows(series: HostSeries, baselines: FeatureBaseline[]): number {
  const live = rowsWithData(series, series[0]?.length ?? 0, (f) => baselines[f]?.present === true);
  return live.reduce((a, b) => a + b, 0);
}

/** Trains a host's model from its feature history. */
export function trainHostModel(
  instance: string,
  history: HostSeries,
  now = Date.now(),
  historyTimes?: ArrayLike<number>,
): HostModel {
  const { series, times } = liveRows(history, historyTimes);
  const baselines = baselinesOf(series, times);
  const rows = scaledRows(series, baselines, 0, series[0]?.length ?? 0, times);
  const forest = new IsolationForest({ trees: 100, sampleSize: 256, seed: hashSeed(instance) }).fit(
    rows.data.length >= 2 * rows.columns
      ? rows
      : { data: new Float64Array(2 * rows.columns), columns: rows.columns },
  );
  return {
    instance,
    kind: "host",
    baselines,
    forest: forest.toBinary(),
    threshold: calibrate(forest, rows),
    trainedAt: now,
    rows: usableRows(series, baselines),
  };
}

/**
 * One model for hosts with short history: each host's rows scaled by the fleet's baseline, pooled.
 * Returned models share the forest but carry each host's instance.
 */
export function trainPooledModels(hosts: Map<string, HostSeries>, now = Date.now()): HostModel[] {
  const instances = [...hosts.keys()];
  if (instances.length === 0) return [];
  const d = FEATURES.length;
  const live = instances.map((i) => liveRows(hosts.get(i) ?? []).series);
  const joined: HostSeries = FEATURES.map((_, f) => {
    const parts = live.map((series) => series[f] ?? new Float64Array(0));
    const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
    let k = 0;
    for (const p of parts) {
      out.set(p, k);
      k += p.length;
    }
    return out;
  });
  const baselines = baselinesOf(joined);
  const rows = scaledRows(joined, baselines);
  const forest = new IsolationForest({ trees: 100, sampleSize: 256, seed: 7 }).fit(
    rows.data.length >= 2 * d ? rows : { data: new Float64Array(2 * d), columns: d },
  );
  const stored = forest.toBinary();
  const threshold = calibrate(forest, rows);
  return instances.map((instance, i) => ({
    instance,
    kind: "pooled",
    baselines,
    forest: stored,
    threshold,
    trainedAt: now,
    rows: usableRows(live[i] ?? [], baselines),
  }));
}

/**
 * Rows scored to place the threshold (the 99.5th percentile of training scores plus a margin, never
 * below MIN_SCORE), evenly spaced over the history. Scoring every training row was the largest cost
 * of training a fleet; 256 rows (every 8th of a week at 5 min) place the threshold well enough when
 * it is floored at MIN_SCORE, lifted by a margin, and backed by the deviation rules.
 */
const CALIBRATION_ROWS = 256;

function calibrate(forest: IsolationForest, rows: { data: Float64Array; columns: number }): number {
  if (rows.data.length === 0) return MIN_SCORE;
  const n = rows.data.length / rows.columns;
  let sample = rows;
  if (n > CALIBRATION_ROWS) {
    const data = new Float64Array(CALIBRATION_ROWS * rows.columns);
    for (let k = 0; k < CALIBRATION_ROWS; k++) {
      const r = Math.floor((k * n) / CALIBRATION_ROWS);
      data.set(rows.data.subarray(r * rows.columns, (r + 1) * rows.columns), k * rows.columns);
    }
    sample = { data, columns: rows.columns };
  }
  const p = quantileSorted(sortedFinite(forest.score(sample)), 0.995);
  return Math.max(MIN_SCORE, (Number.isFinite(p) ? p : 0) + 0.02);
}

/**
 * A model ready to score: its forest decoded, without the stored bytes (a second copy of the same
 * nodes), which is what a long-lived cache of models should hold.
 */
export type ScoringModel = Omit<HostModel, "forest"> & { forest: IsolationForest };

export function toScoringModel(model: HostModel): ScoringModel {
  return { ...model, forest: forestOf(model) };
}

const forestCache = new WeakMap<StoredForest, IsolationForest>();

function forestOf(model: HostModel): IsolationForest {
  let f = forestCache.get(model.forest);
  if (!f) {
    f = IsolationForest.fromBinary(model.forest.header, model.forest.bytes);
    forestCache.set(model.forest, f);
  }
  return f;
}

/**
 * Scores the newest point of `series` (the last index with data) against the model. `times` are the
 * epoch seconds of the series' points.
 */
export function scoreLatest(
  model: HostModel | ScoringModel,
  series: HostSeries,
  times: ArrayLike<number>,
): HostScore | undefined {
  const n = times.length;
  let t = n - 1;
  while (
    t >= 0 &&
    !model.baselines.some((b, f) => b.present && Number.isFinite(series[f]?.[t] ?? Number.NaN))
  )
    t--;
  if (t < 0) return undefined;
  const row = scaledRows(series, model.baselines, t, t + 1, times);
  const at = times[t] as number;
  const forest = model.forest instanceof IsolationForest ? model.forest : forestOf(model as HostModel);
  const score = forest.score(row)[0] as number;
  const deviations: FeatureDeviation[] = [];
  model.baselines.forEach((b, f) => {
    const v = series[f]?.[t] ?? Number.NaN;
    if (!b.present || !Number.isFinite(v)) return;
    const usual = usualAt(b, at);
    const z = (v - usual) / b.scale;
    const spec = FEATURES[f];
    if (!spec) return;
    deviations.push({
      feature: spec.name,
      label: spec.label,
      unit: spec.unit,
      value: v,
      baseline: usual,
      z,
      direction: z >= 0 ? "up" : "down",
      score: Math.abs(z) / (Math.abs(z) + 3),
    });
  });
  deviations.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
  const z0 = Math.abs(deviations[0]?.z ?? 0);
  const z1 = Math.abs(deviations[1]?.z ?? 0);
  const isolated = score >= model.threshold && z0 >= MIN_EXPLAINED_Z;
  const deviating = z0 >= EXTREME_Z || (z0 >= STRONG_Z && z1 >= STRONG_Z);
  const anomalous = isolated || deviating;
  return {
    instance: model.instance,
    at,
    score,
    threshold: model.threshold,
    anomalous,
    deviations,
    ...(anomalous ? { reason: isolated ? ("isolation" as const) : ("deviation" as const) } : {}),
  };
}
