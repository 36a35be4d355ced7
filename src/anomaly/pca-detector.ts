/**
 * PCA reconstruction error on robustly scaled features: one score part of the host ensemble
 * (TSB-AD finds it ahead of isolation forest on multivariate server data), available to the host
 * ensemble (host-ensemble.ts) though not among its default parts (see ENSEMBLE_DEFAULTS).
 *
 * Fit: each feature is centred on its train median and divided by its robust spread (MAD/IQR, floored,
 * because server metrics are often constant over a whole train window); the principal axes that carry
 * a share of the scaled train variance (default 90%) are kept. A row's score is its squared distance
 * from that subspace: large when the features break the correlations seen in training. Its explanation
 * ranks the features by their squared residual, which sum to the score.
 */

import { symmetricEigen } from "./linear-algebra.js";
import { robustBaseline } from "./robust-stats.js";

export interface PcaDetectorOptions {
  /** Share of the scaled train variance the kept axes carry, in (0, 1]. Default 0.9. */
  varianceShare?: number;
  /**
   * Smallest spread a feature is scaled by, in the data's units (default 0.01: the host features and
   * SMD's metrics are fractions or small rates). Keeps a feature that was constant in training from
   * turning a rounding change into an enormous score.
   */
  minScale?: number;
}

export interface PcaContribution {
  /** Column index of the feature. */
  feature: number;
  /** Its squared residual; the contributions of a row sum to its score. */
  contribution: number;
}

/** Serialised model: plain numbers, so it can be stored as JSON (e.g. beside the forest in the anomaly store). */
export interface PcaDetectorJson {
  version: 1;
  columns: number;
  varianceShare: number;
  minScale: number;
  /** Train median of each feature (raw units). */
  centre: number[];
  /** Robust spread each feature is divided by (raw units, > 0). */
  scale: number[];
  /** Mean of the scaled train rows: the point the kept subspace passes through. */
  mean: number[];
  /** Kept principal axes, largest variance first, each of `columns` entries. */
  axes: number[][];
  /** Variance (scaled units) along each kept axis. */
  variances: number[];
}

/** Rows as arrays of numbers, all of the same width. */
export type PcaRows = ReadonlyArray<ArrayLike<number>>;

/** Wider inputs are not host metrics; the bound keeps the d² covariance and d³ decomposition small. */
const MAX_COLUMNS = 1024;
const DEFAULT_VARIANCE_SHARE = 0.9;
const DEFAULT_MIN_SCALE = 0.01;

export class PcaDetector {
  readonly columns: number;
  readonly varianceShare: number;
  readonly minScale: number;
  private readonly centre: Float64Array;
  private readonly scale: Float64Array;
  private readonly mean: Float64Array;
  /** Kept axes, row-major k×columns. */
  private readonly axes: Float64Array;
  private readonly variances: Float64Array;

  private constructor(json: PcaDetectorJson) {
    this.columns = json.columns;
    this.varianceShare = json.varianceShare;
    this.minScale = json.minScale;
    this.centre = Float64Array.from(json.centre);
    this.scale = Float64Array.from(json.scale);
    this.mean = Float64Array.from(json.mean);
    this.axes = new Float64Array(json.axes.length * json.columns);
    json.axes.forEach((axis, k) => {
      this.axes.set(axis, k * json.columns);
    });
    this.variances = Float64Array.from(json.variances);
  }

  /** Number of principal axes kept. */
  get components(): number {
    return this.variances.length;
  }

  /**
   * Fits on train rows (at least two, all of one width). Missing values (NaN, ±Infinity) are ignored
   * by the robust scaling and stand at the feature's median in the covariance.
   */
  static fit(rows: PcaRows, opts: PcaDetectorOptions = {}): PcaDetector {
    const varianceShare = opts.varianceShare ?? DEFAULT_VARIANCE_SHARE;
    const minScale = opts.minScale ?? DEFAULT_MIN_SCALE;
    if (!(varianceShare > 0 && varianceShare <= 1)) {
      throw new Error(`PCA: varianceShare must be in (0, 1], got ${varianceShare}`);
    }
    if (!(minScale > 0 && Number.isFinite(minScale))) {
      throw new Error(`PCA: minScale must be a positive finite number, got ${minScale}`);
    }
    if (!Array.isArray(rows) || rows.length < 2) {
      throw new Error(
        `PCA: fitting needs at least 2 rows, got ${Array.isArray(rows) ? rows.length : "none"}`,
      );
    }
    const d = widthOf(rows);
    const n = rows.length;

    const centre = new Float64Array(d);
    const scale = new Float64Array(d);
    const col = new Float64Array(n);
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < n; i++) col[i] = (rows[i] as ArrayLike<number>)[j] as number;
      const b = robustBaseline(col, minScale);
      // A feature never present in training stands at 0 with the floor as its spread.
      centre[j] = Number.isFinite(b.median) ? b.median : 0;
      scale[j] = b.scale;
    }

    // Scaled rows, flat; missing values at the median (0 after scaling).
    const z = new Float64Array(n * d);
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const row = rows[i] as ArrayLike<number>;
      for (let j = 0; j < d; j++) {
        const x = row[j] as number;
        const v = Number.isFinite(x) ? (x - (centre[j] as number)) / (scale[j] as number) : 0;
        z[i * d + j] = v;
        mean[j] = (mean[j] as number) + v;
      }
    }
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / n;

    // Upper triangle of the covariance, then mirrored: ~n·d²/2 multiply-adds (16M at 23k × 38).
    const cov = new Float64Array(d * d);
    const centred = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) centred[j] = (z[i * d + j] as number) - (mean[j] as number);
      for (let a = 0; a < d; a++) {
        const ra = centred[a] as number;
        if (ra === 0) continue;
        const base = a * d;
        for (let b = a; b < d; b++) cov[base + b] = (cov[base + b] as number) + ra * (centred[b] as number);
      }
    }
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        const c = (cov[a * d + b] as number) / (n - 1);
        cov[a * d + b] = c;
        cov[b * d + a] = c;
      }
    }

    const { values, vectors } = symmetricEigen(cov, d);
    let total = 0;
    for (let k = 0; k < d; k++) total += Math.max(0, values[k] as number);
    // At most d−1 axes, so some residual space is always left to score in; none when nothing varies.
    const axes: number[][] = [];
    const variances: number[] = [];
    let kept = 0;
    for (let k = 0; k < d - 1 && total > 0 && kept < varianceShare * total; k++) {
      const value = Math.max(0, values[k] as number);
      kept += value;
      variances.push(value);
      axes.push(Array.from({ length: d }, (_, i) => vectors[i * d + k] as number));
    }
    return new PcaDetector({
      version: 1,
      columns: d,
      varianceShare,
      minScale,
      centre: Array.from(centre),
      scale: Array.from(scale),
      mean: Array.from(mean),
      axes,
      variances,
    });
  }

  /** Reconstruction error of each row (≥ 0, finite); missing values stand at the train median. */
  score(rows: PcaRows): number[] {
    if (!Array.isArray(rows)) throw new Error("PCA: score expects an array of rows");
    const out = new Array<number>(rows.length);
    const r = new Float64Array(this.columns);
    for (let i = 0; i < rows.length; i++) {
      this.residual(rows[i], i, r);
      let s = 0;
      for (let j = 0; j < this.columns; j++) s += (r[j] as number) ** 2;
      out[i] = s;
    }
    return out;
  }

  /** The features of one row ranked by their squared residual, largest first (ties by column). */
  explain(row: ArrayLike<number>): PcaContribution[] {
    const r = new Float64Array(this.columns);
    this.residual(row, 0, r);
    return Array.from(r, (v, feature) => ({ feature, contribution: v * v })).sort(
      (a, b) => b.contribution - a.contribution || a.feature - b.feature,
    );
  }

  toJSON(): PcaDetectorJson {
    const d = this.columns;
    return {
      version: 1,
      columns: d,
      varianceShare: this.varianceShare,
      minScale: this.minScale,
      centre: Array.from(this.centre),
      scale: Array.from(this.scale),
      mean: Array.from(this.mean),
      axes: Array.from({ length: this.components }, (_, k) =>
        Array.from(this.axes.subarray(k * d, (k + 1) * d)),
      ),
      variances: Array.from(this.variances),
    };
  }

  /** Restores a model; validates every field so a corrupted stored model fails here, not while scoring. */
  static fromJSON(json: unknown): PcaDetector {
    const bad = (what: string): never => {
      throw new Error(`not a PCA detector model: ${what}`);
    };
    if (typeof json !== "object" || json === null) return bad("not an object");
    const m = json as Partial<Record<keyof PcaDetectorJson, unknown>>;
    if (m.version !== 1) bad(`version ${String(m.version)}`);
    const d = m.columns;
    if (typeof d !== "number" || !Number.isInteger(d) || d < 1 || d > MAX_COLUMNS) return bad("columns");
    const share = m.varianceShare;
    if (typeof share !== "number" || !(share > 0 && share <= 1)) bad("varianceShare");
    const minScale = m.minScale;
    if (typeof minScale !== "number" || !(minScale > 0 && Number.isFinite(minScale))) bad("minScale");
    const centre = finiteArray(m.centre, d) ?? bad("centre");
    const scale = finiteArray(m.scale, d) ?? bad("scale");
    if (scale.some((s) => !(s > 0))) bad("scale must be positive");
    const mean = finiteArray(m.mean, d) ?? bad("mean");
    // Fitting keeps at most d−1 axes, each of unit length.
    if (!Array.isArray(m.axes) || m.axes.length > d - 1) bad("axes");
    const axesIn = m.axes as unknown[];
    const axes = axesIn.map((a, k) => finiteArray(a, d) ?? bad(`axis ${k}`));
    for (const [k, a] of axes.entries()) {
      if (Math.abs(a.reduce((s, x) => s + x * x, 0) - 1) > 1e-6) bad(`axis ${k} is not a unit vector`);
    }
    const variances = finiteArray(m.variances, axes.length) ?? bad("variances");
    if (variances.some((v) => v < 0)) bad("variances must be non-negative");
    return new PcaDetector({
      version: 1,
      columns: d,
      varianceShare: share as number,
      minScale: minScale as number,
      centre,
      scale,
      mean,
      axes,
      variances,
    });
  }

  /** Writes the residual of `row` (scaled units) after projecting it on the kept subspace into `r`. */
  private residual(row: ArrayLike<number> | undefined, index: number, r: Float64Array): void {
    const d = this.columns;
    if (row === null || typeof row !== "object" || row.length !== d) {
      throw new Error(`PCA: row ${index} must have ${d} values, got ${row?.length ?? "none"}`);
    }
    for (let j = 0; j < d; j++) {
      const x = row[j] as number;
      // Missing values stand at the median; the row is then judged on the features it has.
      const zj = Number.isFinite(x) ? (x - (this.centre[j] as number)) / (this.scale[j] as number) : 0;
      r[j] = zj - (this.mean[j] as number);
    }
    const k = this.components;
    for (let a = 0; a < k; a++) {
      const base = a * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += (r[j] as number) * (this.axes[base + j] as number);
      for (let j = 0; j < d; j++) r[j] = (r[j] as number) - dot * (this.axes[base + j] as number);
    }
  }
}

/** Column count of rows that must all share it; a clear error otherwise. */
function widthOf(rows: PcaRows): number {
  const first = rows[0];
  const d = typeof first === "object" && first !== null ? first.length : undefined;
  if (typeof d !== "number" || d < 1 || d > MAX_COLUMNS) {
    throw new Error(`PCA: rows need 1 to ${MAX_COLUMNS} columns, row 0 has ${d ?? "none"}`);
  }
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i];
    const len = typeof row === "object" && row !== null ? row.length : undefined;
    if (len !== d) throw new Error(`PCA: row ${i} has ${len ?? "no"} values, row 0 has ${d}`);
  }
  return d;
}

/** `value` as an array of `length` finite numbers, or undefined. */
function finiteArray(value: unknown, length: number): number[] | undefined {
  if (!Array.isArray(value) || value.length !== length) return undefined;
  for (const v of value) if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
  return value as number[];
}
