/** Robust statistics over arrays with gaps (NaN): medians and spreads that one spike cannot move. */

/** The finite values of `xs`, sorted ascending. */
export function sortedFinite(xs: ArrayLike<number>): Float64Array {
  return finite(xs).sort();
}

/** Quantile of sorted values with linear interpolation; NaN for none. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

export interface RobustBaseline {
  median: number;
  /** Robust standard deviation: max of IQR/1.349 and 1.4826·MAD, floored so flat series stay sane. */
  scale: number;
  /** Share of points present (finite). */
  coverage: number;
}

/** Median and robust spread of `xs`, with `floor` as the smallest spread that counts as a change. */
export function robustBaseline(xs: ArrayLike<number>, floor: number): RobustBaseline {
  const a = finite(xs);
  const coverage = xs.length === 0 ? 0 : a.length / xs.length;
  if (a.length === 0) return { median: Number.NaN, scale: floor, coverage: 0 };
  // Selection instead of sorting: training computes this for 18 features of every host.
  const median = quantileSelect(a, 0.5);
  const iqr = quantileSelect(a, 0.75) - quantileSelect(a, 0.25);
  for (let i = 0; i < a.length; i++) a[i] = Math.abs((a[i] as number) - median);
  const mad = quantileSelect(a, 0.5);
  return { median, scale: Math.max(iqr / 1.349, 1.4826 * mad, floor), coverage };
}

/** The finite values of `xs`, in their order. */
function finite(xs: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i])) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i] as number;
    if (Number.isFinite(v)) out[k++] = v;
  }
  return out;
}

/**
 * The quantile of `a` with linear interpolation, as quantileSorted gives on the sorted values, by
 * selection in O(n). Reorders `a`.
 */
export function quantileSelect(a: Float64Array, q: number): number {
  const n = a.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const low = select(a, lo);
  if (pos === lo) return low;
  // After selection everything right of `lo` is ≥ a[lo]: the next order statistic is their minimum.
  let next = Number.POSITIVE_INFINITY;
  for (let i = lo + 1; i < n; i++) if ((a[i] as number) < next) next = a[i] as number;
  return low + (next - low) * (pos - lo);
}

/** Moves the k-th smallest value to a[k], smaller ones before it and larger ones after (Hoare). */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const mid = (left + right) >> 1;
    // Median of three as the pivot keeps sorted and constant inputs linear.
    const x = a[left] as number;
    const y = a[mid] as number;
    const z = a[right] as number;
    const pivot = x < y ? (y < z ? y : Math.max(x, z)) : x < z ? x : Math.max(y, z);
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k] as number;
}
