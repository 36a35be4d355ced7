/** Small dense linear algebra for the detectors: matrices of a few dozen columns, row-major Float64Arrays. */

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Eigenvectors as the columns of a row-major d×d matrix, in the order of `values` (unit length). */
  vectors: Float64Array;
}

/** Sweeps after which a matrix that has not converged is returned as it stands (never reached at d ≤ 100). */
const MAX_SWEEPS = 100;

/**
 * Eigen-decomposition of a symmetric d×d matrix (row-major) by cyclic Jacobi rotations. Jacobi is
 * chosen over QR for its simplicity and its accuracy on small covariance matrices (d ≈ 18–38, where a
 * sweep costs ~d³ and converges in under ten): eigenvectors come out orthonormal to rounding, and tiny
 * eigenvalues keep their relative accuracy. Only the upper triangle is read for the symmetry check.
 */
export function symmetricEigen(matrix: ArrayLike<number>, d: number): SymmetricEigen {
  if (!Number.isInteger(d) || d < 1)
    throw new Error(`symmetricEigen: size must be a positive integer, got ${d}`);
  if (matrix.length !== d * d) {
    throw new Error(`symmetricEigen: expected ${d * d} entries for ${d}×${d}, got ${matrix.length}`);
  }
  const m = Float64Array.from(matrix);
  let norm = 0;
  for (let i = 0; i < d * d; i++) {
    const x = m[i] as number;
    if (!Number.isFinite(x)) throw new Error("symmetricEigen: matrix has a non-finite entry");
    norm += x * x;
  }
  for (let p = 0; p < d; p++) {
    for (let q = p + 1; q < d; q++) {
      const a = m[p * d + q] as number;
      const b = m[q * d + p] as number;
      if (Math.abs(a - b) > 1e-9 * Math.sqrt(norm))
        throw new Error("symmetricEigen: matrix is not symmetric");
      // Symmetrise exactly so rotations stay consistent on both triangles.
      m[q * d + p] = a;
    }
  }
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  // Converged when the off-diagonal mass is rounding noise relative to the whole matrix.
  const tolerance = 1e-26 * Math.max(norm, Number.MIN_VALUE);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += (m[p * d + q] as number) ** 2;
    if (off <= tolerance) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = m[p * d + q] as number;
        if (apq === 0) continue;
        const theta = ((m[q * d + q] as number) - (m[p * d + p] as number)) / (2 * apq);
        // The smaller rotation angle (|t| ≤ 1) keeps the iteration stable.
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        rotate(m, d, p, q, c, s);
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p] as number;
          const vkq = v[k * d + q] as number;
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort(
    (a, b) => (m[b * d + b] as number) - (m[a * d + a] as number) || a - b,
  );
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  order.forEach((k, col) => {
    values[col] = m[k * d + k] as number;
    for (let i = 0; i < d; i++) vectors[i * d + col] = v[i * d + k] as number;
  });
  return { values, vectors };
}

/** m ← Jᵀ m J for the Jacobi rotation J in the (p, q) plane. */
function rotate(m: Float64Array, d: number, p: number, q: number, c: number, s: number): void {
  for (let k = 0; k < d; k++) {
    const mkp = m[k * d + p] as number;
    const mkq = m[k * d + q] as number;
    m[k * d + p] = c * mkp - s * mkq;
    m[k * d + q] = s * mkp + c * mkq;
  }
  for (let k = 0; k < d; k++) {
    const mpk = m[p * d + k] as number;
    const mqk = m[q * d + k] as number;
    m[p * d + k] = c * mpk - s * mqk;
    m[q * d + k] = s * mpk + c * mqk;
  }
}
