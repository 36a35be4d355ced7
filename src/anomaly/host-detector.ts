/**
 * Per-host anomaly detection over the 18 features: robust scaling against the host's own history
 * (its usual level at each hour of the day when it has one), the host ensemble fitted on it
 * (host-ensemble.ts), and an explanation ranking the features by their part in the finding.
 * `cloudops detect TEST --train TRAIN` runs the same detector on a CSV matrix (detect-csv.ts).
 */
import type { Unit } from "../metrics/catalogue.js";
import { type AlarmBudget, DEFAULT_ALARM_BUDGET, thresholdForRate } from "./alarm-budget.js";
import { FEATURES } from "./features.js";
import {
  ENSEMBLE_DEFAULTS,
  type EnsembleJson,
  type EnsembleOptions,
  HostEnsemble,
  type PartName,
} from "./host-ensemble.js";
import { type ForestHeader, IsolationForest } from "./isolation-forest.js";
import { quantileSelect, type RobustBaseline, robustBaseline } from "./robust-stats.js";

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
  /** The ensemble's parts, references and calibration. */
  ensemble: EnsembleJson;
  /** Present when the ensemble has an isolation part. */
  forest?: StoredForest;
  /** Scores at or above this are findings: set from the false-alarm budget. */
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
  /** How rare the point is for this host, in decades of probability (4 = one in 10,000 scans). */
  score: number;
  threshold: number;
  anomalous: boolean;
  /** All present features, ranked by their part in the score (the flagging parts' contributions). */
  deviations: FeatureDeviation[];
  /** The ensemble's parts that flagged the point, most flagging first (when anomalous). */
  flaggedBy?: PartName[];
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

/**
 * The rows of the series as robust z against each feature's usual level (at that hour when the
 * baseline has a daily profile), row-major. Missing features and gaps are `missing`: NaN keeps them
 * apart for the ensemble; 0 (the baseline) for a model that needs every value.
 */
export function scaledRows(
  series: HostSeries,
  baselines: FeatureBaseline[],
  from = 0,
  to = series[0]?.length ?? 0,
  times?: ArrayLike<number>,
  missing = Number.NaN,
): { data: Float64Array; columns: number } {
  const d = baselines.length;
  const n = Math.max(0, to - from);
  const data = new Float64Array(n * d).fill(missing);
  const hours = new Uint8Array(n);
  if (times) for (let t = 0; t < n; t++) hours[t] = hourOf(times[from + t] as number);
  for (let f = 0; f < d; f++) {
    const b = baselines[f] as FeatureBaseline;
    const xs = series[f];
    // Absence of data is not an anomaly: a missing feature never scores.
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

/** A column's name and the smallest spread that counts as a change in it. */
export interface ColumnSpec {
  name: string;
  floor: number;
}

const FEATURE_COLUMNS: ColumnSpec[] = FEATURES.map((f) => ({ name: f.name, floor: SCALE_FLOOR[f.unit] }));

/** Baselines of the 18 host features. */
export function baselinesOf(series: HostSeries, times?: ArrayLike<number>): FeatureBaseline[] {
  return baselinesFor(series, FEATURE_COLUMNS, times);
}

/** Baselines of any columns: median and robust spread, and a daily profile where one holds. */
export function baselinesFor(
  series: HostSeries,
  columns: readonly ColumnSpec[],
  times?: ArrayLike<number>,
): FeatureBaseline[] {
  return columns.map((c, i) => {
    const xs = series[i] ?? new Float64Array(0);
    const b = robustBaseline(xs, c.floor);
    const base: FeatureBaseline = { ...b, name: c.name, present: b.coverage >= MIN_COVERAGE };
    if (!base.present || !times) return base;
    return withDailyPattern(base, xs, times, c.floor) ?? base;
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

/** A detector fitted on baseline-scaled rows: the ensemble, and its forest when it has one. */
export interface FittedDetector {
  ensemble: HostEnsemble;
  forest?: IsolationForest;
}

/**
 * Fits the ensemble on already scaled rows (NaN where missing). The one fitting path of the host
 * models and of `cloudops detect --train`.
 */
export function fitDetector(
  rows: { data: Float64Array; columns: number },
  times: ArrayLike<number> | undefined,
  seed: number,
  options: Partial<EnsembleOptions> = {},
): FittedDetector {
  const parts = options.parts ?? ENSEMBLE_DEFAULTS.parts;
  const d = rows.columns;
  let forest: IsolationForest | undefined;
  if (parts.includes("isolation")) {
    const zero = Float64Array.from(rows.data, (v) => (Number.isFinite(v) ? v : 0));
    forest = new IsolationForest({ trees: 100, sampleSize: 256, seed }).fit(
      zero.length >= 2 * d ? { data: zero, columns: d } : { data: new Float64Array(2 * d), columns: d },
    );
  }
  const ensemble = HostEnsemble.fit(
    { data: rows.data, columns: d, ...(times ? { times } : {}) },
    forest,
    options,
  );
  return { ensemble, ...(forest ? { forest } : {}) };
}

function modelOf(
  instance: string,
  kind: HostModel["kind"],
  baselines: FeatureBaseline[],
  fitted: FittedDetector,
  budget: AlarmBudget,
  now: number,
  rows: number,
): HostModel {
  return {
    instance,
    kind,
    baselines,
    ensemble: fitted.ensemble.json,
    ...(fitted.forest ? { forest: fitted.forest.toBinary() } : {}),
    threshold: thresholdForRate(budget.falseAlarmsPerDay, budget.scoresPerDay),
    trainedAt: now,
    rows,
  };
}

/** Trains a host's model from its feature history. */
export function trainHostModel(
  instance: string,
  history: HostSeries,
  now = Date.now(),
  historyTimes?: ArrayLike<number>,
  budget: AlarmBudget = DEFAULT_ALARM_BUDGET,
  ensemble: Partial<EnsembleOptions> = {},
): HostModel {
  const { series, times } = liveRows(history, historyTimes);
  const baselines = baselinesOf(series, times);
  const rows = scaledRows(series, baselines, 0, series[0]?.length ?? 0, times);
  const fitted = fitDetector(rows, times, hashSeed(instance), ensemble);
  return modelOf(instance, "host", baselines, fitted, budget, now, usableRows(series, baselines));
}

/**
 * One model for hosts with short history: each host's rows scaled by the fleet's baseline, pooled.
 * Returned models share the ensemble but carry each host's instance. The pooled rows have no common
 * clock, so the temporal part is left out.
 */
export function trainPooledModels(
  hosts: Map<string, HostSeries>,
  now = Date.now(),
  budget: AlarmBudget = DEFAULT_ALARM_BUDGET,
): HostModel[] {
  const instances = [...hosts.keys()];
  if (instances.length === 0) return [];
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
  const fitted = fitDetector(scaledRows(joined, baselines), undefined, 7);
  return instances.map((instance, i) =>
    modelOf(instance, "pooled", baselines, fitted, budget, now, usableRows(live[i] ?? [], baselines)),
  );
}

/**
 * A model ready to score: its ensemble (and forest) decoded, without the stored bytes (a second copy
 * of the same nodes), which is what a long-lived cache of models should hold.
 */
export type ScoringModel = Omit<HostModel, "forest"> & { detector: HostEnsemble };

export function toScoringModel(model: HostModel): ScoringModel {
  const { forest, ...rest } = model;
  const decoded = forest ? IsolationForest.fromBinary(forest.header, forest.bytes) : undefined;
  return { ...rest, detector: HostEnsemble.fromJSON(model.ensemble, decoded, model.baselines.length) };
}

const detectorCache = new WeakMap<HostModel, HostEnsemble>();

function detectorOf(model: HostModel | ScoringModel): HostEnsemble {
  if ("detector" in model) return model.detector;
  let e = detectorCache.get(model);
  if (!e) {
    e = toScoringModel(model).detector;
    detectorCache.set(model, e);
  }
  return e;
}

/** The longest window the temporal part looks back over, seconds (history a scan must fetch). */
export function lookbackSeconds(model: HostModel | ScoringModel): number {
  let longest = 0;
  for (const w of model.ensemble.temporal?.windows ?? []) longest = Math.max(longest, w);
  return longest;
}

/**
 * Scores the newest point of `series` (the last index with data) against the model. `times` are the
 * epoch seconds of the series' points; the points before it within the temporal windows are its
 * recent history.
 */
export function scoreLatest(
  model: HostModel | ScoringModel,
  series: HostSeries,
  times: ArrayLike<number>,
  /**
   * A newest point older than this (seconds before the window's end) is not scored: a host that
   * stopped reporting is not judged again and again on its last point.
   */
  maxAgeSeconds = Number.POSITIVE_INFINITY,
): HostScore | undefined {
  const n = times.length;
  let t = n - 1;
  while (
    t >= 0 &&
    !model.baselines.some((b, f) => b.present && Number.isFinite(series[f]?.[t] ?? Number.NaN))
  )
    t--;
  if (t < 0) return undefined;
  const at = times[t] as number;
  if ((times[n - 1] as number) - at > maxAgeSeconds) return undefined;
  let from = t;
  const since = at - lookbackSeconds(model);
  while (from > 0 && (times[from - 1] as number) >= since) from--;
  const rows = scaledRows(series, model.baselines, from, t + 1, times);
  const scored = detectorOf(model).score(
    { ...rows, times: Array.from({ length: t + 1 - from }, (_, i) => times[from + i] as number) },
    t - from,
  );
  const score = scored.score[0] as number;
  const contributions = scored.contributions(0);
  const deviations: (FeatureDeviation & { weight: number })[] = [];
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
      weight: contributions[f] as number,
    });
  });
  // The flagging parts' ranking first; features they did not weigh, by how far they moved.
  deviations.sort((a, b) => b.weight - a.weight || Math.abs(b.z) - Math.abs(a.z));
  const anomalous = score >= model.threshold;
  return {
    instance: model.instance,
    at,
    score,
    threshold: model.threshold,
    anomalous,
    deviations: deviations.map(({ weight: _, ...d }) => d),
    ...(anomalous ? { flaggedBy: scored.flaggedBy(0) } : {}),
  };
}
