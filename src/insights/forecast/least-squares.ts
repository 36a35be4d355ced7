/**
 * Least squares by the normal equations and a Cholesky factorisation, with a tiny ridge so a
 * column that never moves (a flat series, a harmonic longer than the window) cannot make it singular.
 */
export function leastSquares(
  design: Float64Array,
  rows: number,
  cols: number,
  y: Float64Array,
): Float64Array {
  const a = new Float64Array(cols * cols);
  const b = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const yr = y[r] as number;
    const off = r * cols;
    for (let i = 0; i < cols; i++) {
      const xi = design[off + i] as number;
      b[i] = (b[i] as number) + xi * yr;
      for (let j = 0; j <= i; j++)
        a[i * cols + j] = (a[i * cols + j] as number) + xi * (design[off + j] as number);
    }
  }
  let trace = 0;
  for (let i = 0; i < cols; i++) trace += a[i * cols + i] as number;
  const ridge = 1e-9 * (trace / cols || 1);
  for (let i = 0; i < cols; i++) a[i * cols + i] = (a[i * cols + i] as number) + ridge;
  // Cholesky in place in the lower triangle.
  for (let j = 0; j < cols; j++) {
    let d = a[j * cols + j] as number;
    for (let k = 0; k < j; k++) d -= (a[j * cols + k] as number) ** 2;
    const l = Math.sqrt(Math.max(d, ridge));
    a[j * cols + j] = l;
    for (let i = j + 1; i < cols; i++) {
      let s = a[i * cols + j] as number;
      for (let k = 0; k < j; k++) s -= (a[i * cols + k] as number) * (a[j * cols + k] as number);
      a[i * cols + j] = s / l;
    }
  }
  const z = new Float64Array(cols);
  for (let i = 0; i < cols; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (a[i * cols + k] as number) * (z[k] as number);
    z[i] = s / (a[i * cols + i] as number);
  }
  const x = new Float64Array(cols);
  for (let i = cols - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < cols; k++) s -= (a[k * cols + i] as number) * (x[k] as number);
    x[i] = s / (a[i * cols + i] as number);
  }
  return x;
}
