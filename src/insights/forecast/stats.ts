/** Small order statistics shared by the forecasting models; every one skips NaN. */

export function finiteValues(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** Quantile by linear interpolation between order statistics; NaN when there is nothing to read. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = finiteValues(values).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = Math.min(Math.max(q, 0), 1) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + (pos - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/** Index of the last finite value before `end`, or -1. */
export function lastFiniteIndex(values: ArrayLike<number>, end = values.length): number {
  for (let i = end - 1; i >= 0; i--) if (Number.isFinite(values[i] as number)) return i;
  return -1;
}
