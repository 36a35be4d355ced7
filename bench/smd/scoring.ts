/**
 * The SMD scoring rules (../shared/data/smd/README.md): composite-F1 with the threshold chosen per
 * machine and with one global threshold, average precision exactly as scikit-learn's
 * `average_precision_score`, point-adjusted F1 (a reference only: it inflates every detector), and
 * HitRate@P% of explanations against the interpretation labels.
 *
 * A row is flagged when its score is ≥ t. Every sweep sorts the scores once and walks the distinct
 * scores from the highest down, so one machine (23k rows) costs one sort.
 */

/** A labelled segment: test rows start..end-1 (a maximal run of 1s in the labels). */
export interface Segment {
  start: number;
  end: number;
}

/** The best value of a sweep and the threshold that reaches it (the highest such threshold). */
export interface Best {
  value: number;
  threshold: number;
}

/** One machine's scores (higher = more anomalous) and 0/1 labels, one per test row. */
export interface Scored {
  scores: ArrayLike<number>;
  labels: ArrayLike<number>;
}

function check({ scores, labels }: Scored): void {
  if (scores.length !== labels.length)
    throw new Error(`${scores.length} scores but ${labels.length} labels: one score per labelled row`);
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i] as number)) throw new Error(`score ${i} is not a finite number`);
    const l = labels[i];
    if (l !== 0 && l !== 1) throw new Error(`label ${i} is ${String(l)}, not 0 or 1`);
  }
}

/** The maximal runs of 1s in the labels. */
export function segments(labels: ArrayLike<number>): Segment[] {
  const out: Segment[] = [];
  let start = -1;
  for (let i = 0; i <= labels.length; i++) {
    const on = i < labels.length && labels[i] === 1;
    if (on && start < 0) start = i;
    else if (!on && start >= 0) {
      out.push({ start, end: i });
      start = -1;
    }
  }
  return out;
}

/**
 * The counts at every distinct threshold, highest first: entry k is for t = thresholds[k], i.e. the
 * rows with score ≥ thresholds[k] flagged.
 */
export interface Sweep {
  thresholds: Float64Array;
  /** Flagged rows. */
  flagged: Float64Array;
  /** Flagged rows labelled 1. */
  truePositives: Float64Array;
  /** Segments with at least one flagged row. */
  detectedSegments: Float64Array;
  /** Rows of the detected segments (point adjustment counts them all as found). */
  adjustedPositives: Float64Array;
  positives: number;
  segments: number;
}

/** Sorts once and counts, for every distinct score taken as the threshold, what it flags. */
export function sweep(data: Scored): Sweep {
  check(data);
  const { scores, labels } = data;
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number));
  // A segment is detected once t falls to its highest score: its rows are flagged from then on.
  const segs = segments(labels);
  const segMax = segs
    .map((s) => {
      let m = Number.NEGATIVE_INFINITY;
      for (let i = s.start; i < s.end; i++) m = Math.max(m, scores[i] as number);
      return { max: m, rows: s.end - s.start };
    })
    .sort((a, b) => b.max - a.max);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] as number;

  const thresholds: number[] = [];
  const flagged: number[] = [];
  const truePositives: number[] = [];
  const detectedSegments: number[] = [];
  const adjustedPositives: number[] = [];
  let tp = 0;
  let seg = 0;
  let adjusted = 0;
  let k = 0;
  while (k < n) {
    const t = scores[order[k] as number] as number;
    // Every row tied at t is flagged together.
    while (k < n && (scores[order[k] as number] as number) === t) {
      tp += labels[order[k] as number] as number;
      k++;
    }
    while (seg < segMax.length && (segMax[seg] as { max: number }).max >= t) {
      adjusted += (segMax[seg] as { rows: number }).rows;
      seg++;
    }
    thresholds.push(t);
    flagged.push(k);
    truePositives.push(tp);
    detectedSegments.push(seg);
    adjustedPositives.push(adjusted);
  }
  return {
    thresholds: Float64Array.from(thresholds),
    flagged: Float64Array.from(flagged),
    truePositives: Float64Array.from(truePositives),
    detectedSegments: Float64Array.from(detectedSegments),
    adjustedPositives: Float64Array.from(adjustedPositives),
    positives,
    segments: segs.length,
  };
}

function f1(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

/** Composite-F1 at entry k of a sweep: event-wise recall × point-wise precision (harmonic mean). */
function compositeAt(s: Sweep, k: number): number {
  const flagged = s.flagged[k] as number;
  const precision = flagged > 0 ? (s.truePositives[k] as number) / flagged : 0;
  const recall = s.segments > 0 ? (s.detectedSegments[k] as number) / s.segments : 0;
  return f1(precision, recall);
}

/** Point-adjusted F1 at entry k: a flagged row in a segment counts every row of it as found. */
function pointAdjustedAt(s: Sweep, k: number): number {
  const flagged = s.flagged[k] as number;
  const falsePositives = flagged - (s.truePositives[k] as number);
  const tp = s.adjustedPositives[k] as number;
  const precision = tp + falsePositives > 0 ? tp / (tp + falsePositives) : 0;
  const recall = s.positives > 0 ? tp / s.positives : 0;
  return f1(precision, recall);
}

function bestOf(s: Sweep, at: (s: Sweep, k: number) => number): Best {
  let best: Best = { value: 0, threshold: Number.POSITIVE_INFINITY };
  for (let k = 0; k < s.thresholds.length; k++) {
    const v = at(s, k);
    if (v > best.value) best = { value: v, threshold: s.thresholds[k] as number };
  }
  return best;
}

/** Composite-F1 at threshold t (rows with score ≥ t flagged). */
export function compositeF1At(data: Scored, t: number): number {
  return valueAt(sweep(data), t, compositeAt);
}

/** The best composite-F1 of one machine over every distinct score taken as the threshold. */
export function bestCompositeF1(data: Scored | Sweep): Best {
  return bestOf(asSweep(data), compositeAt);
}

/** The best point-adjusted F1 over every distinct threshold. A reference only: never judge by it. */
export function bestPointAdjustedF1(data: Scored | Sweep): Best {
  return bestOf(asSweep(data), pointAdjustedAt);
}

function asSweep(data: Scored | Sweep): Sweep {
  return "thresholds" in data ? data : sweep(data);
}

/** The sweep entry in force at threshold t: the lowest distinct score that is still ≥ t. */
function valueAt(s: Sweep, t: number, at: (s: Sweep, k: number) => number): number {
  // thresholds descend; find the last k with thresholds[k] ≥ t.
  let lo = 0;
  let hi = s.thresholds.length; // first index with thresholds[k] < t
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((s.thresholds[mid] as number) >= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : at(s, lo - 1);
}

/** One threshold for every machine, chosen to maximise the mean composite-F1 over machines. */
export interface GlobalBest {
  threshold: number;
  mean: number;
  /** Each machine's composite-F1 at that threshold, in the order given. */
  perMachine: number[];
}

/**
 * Sweeps every distinct score of every machine as the one shared threshold. Each machine's entry
 * pointer only moves forward as t falls, so the sweep is linear after the sorts.
 */
export function globalCompositeF1(machines: Array<Scored | Sweep>): GlobalBest {
  const sweeps = machines.map(asSweep);
  if (sweeps.length === 0) throw new Error("no machines to score");
  const all = new Float64Array(sweeps.reduce((n, s) => n + s.thresholds.length, 0));
  let o = 0;
  for (const s of sweeps) {
    all.set(s.thresholds, o);
    o += s.thresholds.length;
  }
  all.sort().reverse();
  // k[m] = number of machine m's distinct scores ≥ t; its entry in force is k[m] − 1.
  const k = sweeps.map(() => 0);
  let best: GlobalBest = {
    threshold: Number.POSITIVE_INFINITY,
    mean: 0,
    perMachine: sweeps.map(() => 0),
  };
  for (let i = 0; i < all.length; i++) {
    const t = all[i] as number;
    if (i > 0 && t === all[i - 1]) continue;
    let sum = 0;
    const per: number[] = [];
    sweeps.forEach((s, m) => {
      let km = k[m] as number;
      while (km < s.thresholds.length && (s.thresholds[km] as number) >= t) km++;
      k[m] = km;
      const v = km === 0 ? 0 : compositeAt(s, km - 1);
      per.push(v);
      sum += v;
    });
    const mean = sum / sweeps.length;
    if (mean > best.mean) best = { threshold: t, mean, perMachine: per };
  }
  return best;
}

/**
 * Average precision as `sklearn.metrics.average_precision_score(labels, scores)`: Σ (Rₖ − Rₖ₋₁)·Pₖ
 * over the distinct scores from the highest down (ties enter together), R₀ = 0. No interpolation.
 */
export function averagePrecision(data: Scored | Sweep): number {
  const s = asSweep(data);
  if (s.positives === 0) throw new Error("average precision needs at least one row labelled 1");
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < s.thresholds.length; k++) {
    const tp = s.truePositives[k] as number;
    const recall = tp / s.positives;
    ap += (recall - prevRecall) * (tp / (s.flagged[k] as number));
    prevRecall = recall;
  }
  return ap;
}

/** One line of an interpretation label: test rows start..end-1 and the metrics involved (0-based). */
export interface Interpretation {
  start: number;
  end: number;
  dims: number[];
}

/**
 * Parses `interpretation_label/<machine>.txt`: lines `start-end:d1,d2,...`, d 1-based column numbers;
 * returned with 0-based dims.
 */
export function parseInterpretation(text: string, columns = 38): Interpretation[] {
  const out: Interpretation[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const m = /^\s*(\d+)-(\d+):([\d,\s]+)$/.exec(line);
    if (!m)
      throw new Error(`interpretation line ${i + 1}: "${line.slice(0, 60)}" is not start-end:d1,d2,...`);
    const start = Number(m[1]);
    const end = Number(m[2]);
    const dims = (m[3] as string)
      .split(",")
      .filter((d) => d.trim() !== "")
      .map((d) => Number(d) - 1);
    if (end <= start || dims.some((d) => !Number.isInteger(d) || d < 0 || d >= columns))
      throw new Error(`interpretation line ${i + 1}: bad range or a column outside 1..${columns}`);
    out.push({ start, end, dims });
  });
  return out;
}

/** One flagged labelled segment: the labelled metrics and the explanation's ranking (0-based). */
export interface Explained {
  truth: readonly number[];
  ranking: readonly number[];
}

/**
 * HitRate@P% (Su et al. 2019, OmniAnomaly): for each flagged labelled segment, the share of its
 * labelled metrics found in the top ⌊P/100 × |labelled|⌋ of the ranking; the mean over segments.
 * NaN when no segment was flagged (nothing to explain).
 */
export function hitRate(explained: readonly Explained[], percent: number): number {
  if (explained.length === 0) return Number.NaN;
  let sum = 0;
  for (const { truth, ranking } of explained) {
    const labelled = new Set(truth);
    if (labelled.size === 0) throw new Error("an interpretation label names no metric");
    // The small epsilon keeps 1.5 × 2 = 3 from flooring to 2 through rounding.
    const top = new Set(ranking.slice(0, Math.floor((percent / 100) * labelled.size + 1e-9)));
    let hits = 0;
    for (const d of labelled) if (top.has(d)) hits++;
    sum += hits / labelled.size;
  }
  return sum / explained.length;
}
