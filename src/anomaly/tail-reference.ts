/**
 * Puts a score on the scale of its own training distribution: its *rarity*, in decades of
 * probability (−log10 of the share of training scores at or above it). Every part of the host
 * ensemble has its own units (a forest's path score, a squared PCA residual, robust z); on this scale
 * they mean the same thing for every part and every host, so they can be averaged, and a threshold
 * set from a false-alarm rate ("one in 10⁴ scans") means the same on every host.
 *
 * Beyond the training distribution's 99th percentile u the tail is modelled as exponential (peaks
 * over threshold): rarity = 2 + (s − u) / (β · ln 10). β is read from the 90th to 99th percentile
 * (an exponential tail drops one decade over β · ln 10), not from the scores above u: a week of a
 * host's history holds its incidents too, and the top 1% would make every later incident look
 * ordinary. Unlike a rank, the rarity keeps ordering scores beyond the largest training score. The reference keeps 100 percentiles and
 * the tail's two numbers, so a stored model carries ~100 numbers per part, not its training scores.
 */

/** Percentile levels kept: 0, 1, … 99 %. The tail above the 99th is exponential. */
const LEVELS = 100;
/** −log10 of the exceedance at the tail's start (the 99th percentile). */
export const TAIL_START_RARITY = 2;

export interface TailReference {
  /** Training scores at the 0th … 99th percentiles, ascending. */
  percentiles: number[];
  /** Scale of the exponential tail above the 99th percentile (> 0). */
  beta: number;
}

/**
 * The reference of a sample of training scores. `minBeta` is the smallest tail scale, in the
 * score's units: a part that scored every training row the same (a flat host) would otherwise
 * call any tiny rise infinitely rare.
 */
export function tailReference(scores: ArrayLike<number>, minBeta: number): TailReference {
  const sorted = Float64Array.from(scores).filter(Number.isFinite).sort();
  const n = sorted.length;
  if (n === 0) return { percentiles: new Array<number>(LEVELS).fill(0), beta: minBeta };
  const at = (q: number) => {
    const pos = (n - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
  };
  const percentiles = Array.from({ length: LEVELS }, (_, k) => at(k / LEVELS));
  const decade = (percentiles[LEVELS - 1] as number) - (percentiles[LEVELS - 10] as number);
  return { percentiles, beta: Math.max(decade / Math.LN10, minBeta) };
}

/**
 * The reference under which a score that is already a rarity reads as itself (its percentiles are
 * the rarities of 0 … 99%, its tail one decade per decade).
 */
export function identityReference(): TailReference {
  return {
    percentiles: Array.from({ length: LEVELS }, (_, k) => -Math.log10(1 - k / LEVELS)),
    beta: 1 / Math.LN10,
  };
}

/** The rarity of `score` against the reference, ≥ 0 (0 = at or below the training minimum). */
export function rarity(ref: TailReference, score: number): number {
  const p = ref.percentiles;
  const u = p[LEVELS - 1] as number;
  if (!Number.isFinite(score)) return 0;
  if (score > u) return TAIL_START_RARITY + (score - u) / (ref.beta * Math.LN10);
  // Share of the reference below the score, read off the percentiles with linear interpolation;
  // ties (a run of equal percentiles) count half, so a constant part scores a middling rarity.
  // Binary searches: calibration reads every training row of every part of every host.
  let below = 0;
  let hi = LEVELS;
  while (below < hi) {
    const mid = (below + hi) >>> 1;
    if ((p[mid] as number) < score) below = mid + 1;
    else hi = mid;
  }
  let upTo = below;
  hi = LEVELS;
  while (upTo < hi) {
    const mid = (upTo + hi) >>> 1;
    if ((p[mid] as number) <= score) upTo = mid + 1;
    else hi = mid;
  }
  let level: number;
  if (upTo > below) level = (below + upTo - 1) / 2 / LEVELS;
  else if (below === 0) level = 0;
  else {
    const lo = p[below - 1] as number;
    const hi = below < LEVELS ? (p[below] as number) : u;
    level = (below - 1 + (hi > lo ? (score - lo) / (hi - lo) : 0)) / LEVELS;
  }
  return -Math.log10(1 - Math.min(level, 0.99));
}

/** The score whose rarity is `level` (the inverse of `rarity`, for thresholds). */
export function scoreAtRarity(ref: TailReference, level: number): number {
  const p = ref.percentiles;
  const u = p[LEVELS - 1] as number;
  if (level >= TAIL_START_RARITY) return u + (level - TAIL_START_RARITY) * ref.beta * Math.LN10;
  const q = (1 - 10 ** -Math.max(0, level)) * LEVELS;
  const lo = Math.floor(q);
  const a = p[lo] as number;
  const b = (p[lo + 1] ?? u) as number;
  return a + (b - a) * (q - lo);
}

/** Checks a stored reference; undefined when malformed. */
export function parseTailReference(value: unknown): TailReference | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as { percentiles?: unknown; beta?: unknown };
  if (!Array.isArray(v.percentiles) || v.percentiles.length !== LEVELS) return undefined;
  let prev = Number.NEGATIVE_INFINITY;
  for (const x of v.percentiles) {
    if (typeof x !== "number" || !Number.isFinite(x) || x < prev) return undefined;
    prev = x;
  }
  if (typeof v.beta !== "number" || !(v.beta > 0) || !Number.isFinite(v.beta)) return undefined;
  return { percentiles: v.percentiles as number[], beta: v.beta };
}
