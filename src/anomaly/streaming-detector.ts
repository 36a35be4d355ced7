/**
 * A causal anomaly detector for one series: a row's score uses only that row and the rows before it.
 *
 * For each shingle length d (1, 2, 4, … 32 rows) the newest shingle's distance to its nearest
 * earlier shingle is a discord measure: a value or a shape the series has not shown before is far
 * from everything in its history. Each distance is ranked against that scale's own past distances,
 * so the score needs no units or scale and one threshold serves every series. The scales' evidence
 * (−log of each tail probability) is combined as the mean of two views: the average over scales (a
 * change every scale sees) and the strongest single scale (a spike only the shortest shingle sees, a
 * missing daily rise only the longest does), so neither dilutes the other. Last, a score that does not
 * exceed the highest score of the previous `quietRows` rows is damped: an incident is reported when
 * it starts, not on every row while it lasts.
 */

export interface StreamingOptions {
  /** Shingle lengths, in rows. */
  scales: readonly number[];
  /** Rows of history searched and ranked against. */
  history: number;
  /** Rows after a peak during which lower scores are damped. */
  quietRows: number;
  /** Factor applied to damped scores. */
  damping: number;
}

export const STREAMING_DEFAULTS: StreamingOptions = {
  scales: [1, 2, 4, 8, 16, 32],
  history: 4032,
  quietRows: 288,
  damping: 0.8,
};

/** A scale needs this many ranked distances before its rank means anything. */
const MIN_RANKED = 10;

export class StreamingDetector {
  private readonly o: StreamingOptions;
  private readonly maxScale: number;
  private readonly values: Float64Array;
  /** Per scale, a ring of past nearest-neighbour distances. */
  private readonly distances: Float64Array[];
  private readonly distanceCounts: number[];
  private readonly recentScores: Float64Array;
  private t = 0;

  constructor(options: Partial<StreamingOptions> = {}) {
    this.o = { ...STREAMING_DEFAULTS, ...options };
    if (this.o.scales.length === 0 || this.o.scales.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new RangeError("scales must be positive whole numbers");
    }
    if (!Number.isInteger(this.o.history) || this.o.history < 16)
      throw new RangeError("history must be ≥ 16 rows");
    this.maxScale = Math.max(...this.o.scales);
    this.values = new Float64Array(this.o.history + 2 * this.maxScale);
    this.distances = this.o.scales.map(() => new Float64Array(this.o.history));
    this.distanceCounts = this.o.scales.map(() => 0);
    this.recentScores = new Float64Array(Math.max(1, this.o.quietRows));
  }

  /** Adds the next value and returns its score in [0, 1]. Non-finite values score 0 and are skipped. */
  update(value: number): number {
    if (!Number.isFinite(value)) return 0;
    const cap = this.values.length;
    this.values[this.t % cap] = value;
    const t = this.t++;
    let tailSum = 0;
    let tailMax = 0;
    let ranked = 0;
    this.o.scales.forEach((d, s) => {
      if (t < 2 * d) return;
      const dist = this.nearestDistance(t, d);
      const ring = this.distances[s] as Float64Array;
      const count = this.distanceCounts[s] as number;
      const n = Math.min(count, ring.length);
      if (n >= MIN_RANKED) {
        let below = 0;
        for (let j = 0; j < n; j++) if ((ring[j] as number) < dist) below++;
        const rank = below / n;
        const evidence = -Math.log(Math.min(1, 1 - rank + 1 / this.o.history));
        tailSum += evidence;
        tailMax = Math.max(tailMax, evidence);
        ranked++;
      }
      ring[count % ring.length] = dist;
      this.distanceCounts[s] = count + 1;
    });
    const raw = ranked === 0 ? 0 : 1 - Math.exp(-(tailSum / ranked + tailMax) / 2);
    let recentMax = 0;
    const q = this.recentScores;
    const seen = Math.min(t, q.length);
    for (let j = 0; j < seen; j++) if ((q[j] as number) > recentMax) recentMax = q[j] as number;
    q[t % q.length] = raw;
    return raw > recentMax ? raw : raw * this.o.damping;
  }

  /** Euclidean distance from the shingle ending at t to the nearest non-overlapping earlier one. */
  private nearestDistance(t: number, d: number): number {
    const v = this.values;
    const cap = v.length;
    const lo = Math.max(d - 1, t - this.o.history);
    let best = Number.POSITIVE_INFINITY;
    for (let j = t - d; j >= lo && best > 0; j--) {
      let sum = 0;
      for (let k = 0; k < d && sum < best; k++) {
        const diff = (v[(t - k) % cap] as number) - (v[(j - k) % cap] as number);
        sum += diff * diff;
      }
      if (sum < best) best = sum;
    }
    return Math.sqrt(best);
  }
}

/** Scores a whole series, row by row, causally. */
export function scoreSeries(
  values: ArrayLike<number>,
  options: Partial<StreamingOptions> = {},
): Float64Array {
  const det = new StreamingDetector(options);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = det.update(values[i] as number);
  return out;
}
