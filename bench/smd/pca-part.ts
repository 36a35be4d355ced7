/**
 * A first cut of one issue-14 score part, for the bench only (not the production detector yet): PCA
 * reconstruction error on robustly scaled features. Each metric is centred on its train median and
 * divided by its train IQR/1.349 (floored, because SMD has near-constant metrics whose IQR is 0);
 * the principal axes that carry 90% of train's variance are kept; a row's score is its squared
 * distance from that subspace, and its explanation ranks the metrics by their squared residual.
 */

import { symmetricEigen } from "../../src/anomaly/linear-algebra.js";
import type { SmdDetector } from "./run.js";
import { SMD_COLUMNS, type SmdMachine } from "./smd-data.js";

const KEPT_VARIANCE = 0.9;
/** Scale floor in the data's units (SMD values lie in [0, 1]). */
const MIN_SCALE = 0.01;

function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

interface PcaModel {
  centre: Float64Array;
  scale: Float64Array;
  /** Kept axes, each of length d. */
  axes: Float64Array[];
}

export function fitPca(x: Float64Array, d: number): PcaModel {
  const n = x.length / d;
  const centre = new Float64Array(d);
  const scale = new Float64Array(d);
  const col = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) col[i] = x[i * d + j] as number;
    col.sort();
    centre[j] = quantile(col, 0.5);
    scale[j] = Math.max(MIN_SCALE, (quantile(col, 0.75) - quantile(col, 0.25)) / 1.349);
  }
  const z = scaled(x, d, centre, scale);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (z[i * d + j] as number) / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = (z[i * d + j] as number) - (mean[j] as number);
    for (let a = 0; a < d; a++) {
      const ra = row[a] as number;
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] = (cov[a * d + b] as number) + ra * (row[b] as number);
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      const c = (cov[a * d + b] as number) / Math.max(1, n - 1);
      cov[a * d + b] = c;
      cov[b * d + a] = c;
    }
  // Largest eigenvalue first.
  const { values, vectors } = symmetricEigen(cov, d);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const axes: Float64Array[] = [];
  let kept = 0;
  for (let k = 0; k < d; k++) {
    if (total > 0 && kept / total >= KEPT_VARIANCE) break;
    kept += Math.max(0, values[k] as number);
    axes.push(Float64Array.from({ length: d }, (_, i) => vectors[i * d + k] as number));
  }
  // Residuals are measured from the scaled train median (centre 0 after scaling): the data's centre.
  return { centre, scale, axes };
}

function scaled(x: Float64Array, d: number, centre: Float64Array, scale: Float64Array): Float64Array {
  const z = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i % d;
    z[i] = ((x[i] as number) - (centre[j] as number)) / (scale[j] as number);
  }
  return z;
}

/** Squared residual of each metric of one row after projecting it on the kept axes. */
export function residuals(model: PcaModel, x: Float64Array, d: number, row: number): Float64Array {
  const z = new Float64Array(d);
  for (let j = 0; j < d; j++)
    z[j] = ((x[row * d + j] as number) - (model.centre[j] as number)) / (model.scale[j] as number);
  const r = Float64Array.from(z);
  for (const axis of model.axes) {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += (z[j] as number) * (axis[j] as number);
    for (let j = 0; j < d; j++) r[j] = (r[j] as number) - dot * (axis[j] as number);
  }
  for (let j = 0; j < d; j++) r[j] = (r[j] as number) ** 2;
  return r;
}

/** The PCA reconstruction part as a bench detector, with its explanation. */
export function pcaReconstruction(): SmdDetector {
  const models = new Map<string, PcaModel>();
  return {
    name: "PCA reconstruction (bench prototype)",
    async score(machines: readonly SmdMachine[]) {
      return machines.map((m) => {
        const t0 = performance.now();
        const model = fitPca(m.train, SMD_COLUMNS);
        models.set(m.name, model);
        const scores = new Float64Array(m.testRows);
        for (let i = 0; i < m.testRows; i++)
          scores[i] = residuals(model, m.test, SMD_COLUMNS, i).reduce((a, b) => a + b, 0);
        return { scores, seconds: (performance.now() - t0) / 1000 };
      });
    },
    explain(m: SmdMachine, row: number) {
      const model = models.get(m.name);
      if (!model) throw new Error(`${m.name}: explain before score`);
      const r = residuals(model, m.test, SMD_COLUMNS, row);
      return Array.from({ length: SMD_COLUMNS }, (_, j) => j).sort(
        (a, b) => (r[b] as number) - (r[a] as number),
      );
    },
  };
}
