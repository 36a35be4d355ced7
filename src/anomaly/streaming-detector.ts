/**
 * A causal anomaly detector for one series: each row's score uses only that row and the rows before it.
 * Experimental v1.
 */

export interface StreamingOptions {
  shingle: number;
  history: number;
}

const DEFAULTS: StreamingOptions = { shingle: 8, history: 4032 };

export function scoreSeries(
  values: Float64Array | number[],
  opts: Partial<StreamingOptions> = {},
): Float64Array {
  const o = { ...DEFAULTS, ...opts };
  const n = values.length;
  const x = Float64Array.from(values);
  const d = o.shingle;
  const raw = new Float64Array(n);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    if (t < 2 * d) {
      out[t] = 0;
      continue;
    }
    // Nearest past shingle (non-overlapping with the current one), early-abandoning.
    let best = Number.POSITIVE_INFINITY;
    const lo = Math.max(d - 1, t - o.history);
    for (let j = t - d; j >= lo; j--) {
      let s = 0;
      for (let k = 0; k < d && s < best; k++) {
        const diff = (x[t - k] as number) - (x[j - k] as number);
        s += diff * diff;
      }
      if (s < best) best = s;
      if (best === 0) break;
    }
    raw[t] = Math.sqrt(best);
    // Rank of this distance among past distances.
    let below = 0;
    let count = 0;
    const from = Math.max(2 * d, t - o.history);
    for (let j = from; j < t; j++) {
      count++;
      if ((raw[j] as number) < (raw[t] as number)) below++;
    }
    out[t] = count === 0 ? 0 : below / count;
  }
  return out;
}
