// Symmetric eigen-decomposition (cyclic Jacobi) and the top-r eigenvectors of a PSD operator by subspace
// iteration with a Rayleigh–Ritz step: what local PCA (src/core/cluster/kflats.ts, seed-papers §3.4) needs.
// Plain loops over Float64Array; imports nothing.
//
// Why two routes: forming a d×d covariance per cluster costs n_j·d² (10k×784: ~3·10⁹ multiply-adds over all
// clusters, seconds in JS); subspace iteration applies XᵀX·V as Xᵀ(X·V) at 2·n_j·d·r per iteration and, warm
// started from the previous basis, converges in a few iterations. kflats.ts picks by the cost of each.
//
// Layout: a matrix [n, n] is row-major; a set of r vectors of length d is [r, d], one vector per row.

/** Eigenvalues (descending; equal values keep index order) and unit eigenvectors as rows [n, n] of symmetric `a` [n, n]. */
export function symmetricEigen(a: Float64Array, n: number, maxSweeps = 60): { values: Float64Array; vectors: Float64Array } {
  if (a.length !== n * n) throw new Error(`symmetricEigen: a has ${a.length} entries, expected n² = ${n * n}`);
  const m = a.slice();
  const v = new Float64Array(n * n); // columns are eigenvectors while rotating
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += m[p * n + p] ** 2;
      for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    }
    // Converged when the off-diagonal mass is below (1e-12)² of the diagonal's: f64 round-off (a tighter test can spin at the noise floor).
    if (off <= 1e-24 * Math.max(diag, 1e-300) || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        // Rotation zeroing m[p][q] (Golub & Van Loan §8.5.2, the stable tangent).
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i] || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = m[src * n + src];
    for (let k = 0; k < n; k++) vectors[dst * n + k] = v[k * n + src];
  });
  return { values, vectors };
}

/**
 * Orthonormalises the r rows of `v` [r, d] in place (modified Gram–Schmidt, twice for stability). A row that is
 * (numerically) in the span of the earlier ones is replaced by the first standard basis vector e_m outside
 * that span, so the result always has r orthonormal rows (needs r ≤ d) and is deterministic.
 */
export function orthonormalizeRows(v: Float64Array, r: number, d: number): void {
  if (r > d) throw new Error(`orthonormalizeRows: ${r} rows cannot be orthonormal in ${d} dimensions`);
  const project = (i: number): number => {
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += v[i * d + k] * v[j * d + k];
        for (let k = 0; k < d; k++) v[i * d + k] -= dot * v[j * d + k];
      }
    }
    let nn = 0;
    for (let k = 0; k < d; k++) nn += v[i * d + k] ** 2;
    return Math.sqrt(nn);
  };
  for (let i = 0; i < r; i++) {
    let before = 0;
    for (let k = 0; k < d; k++) before += v[i * d + k] ** 2;
    let norm = project(i);
    if (!(norm > 1e-9 * Math.sqrt(before)) || norm === 0) {
      for (let m = 0; ; m++) {
        if (m >= d) throw new Error('orthonormalizeRows: no basis vector left (r > d)');
        v.fill(0, i * d, (i + 1) * d);
        v[i * d + m] = 1;
        norm = project(i);
        if (norm > 1e-6) break;
      }
    }
    for (let k = 0; k < d; k++) v[i * d + k] /= norm;
  }
}

/**
 * The top-r eigenvectors (rows of the result, [r, d], eigenvalue descending) of a PSD operator given as
 * `apply(V)` = A·V for r vectors V [r, d] → [r, d], by subspace iteration from `init` [r, d] (orthonormalised
 * first) with a Rayleigh–Ritz rotation each iteration. Stops when the Ritz values' sum changes by less than
 * `tol` relatively, or after maxIters. Also returns the Ritz values (≈ the top-r eigenvalues).
 */
export function topEigenvectors(
  apply: (v: Float64Array) => Float64Array,
  d: number,
  r: number,
  init: Float64Array,
  maxIters = 50,
  tol = 1e-10,
): { vectors: Float64Array; values: Float64Array } {
  const q = init.slice(0, r * d);
  orthonormalizeRows(q, r, d);
  let values: Float64Array = new Float64Array(r);
  let last = -Infinity;
  for (let it = 0; it < maxIters; it++) {
    const aq = apply(q); // [r, d]
    // Rayleigh–Ritz on span(q): B = Q·A·Qᵀ (r×r), rotate Q and A·Q by B's eigenvectors.
    const b = new Float64Array(r * r);
    for (let i = 0; i < r; i++)
      for (let j = i; j < r; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += q[i * d + k] * aq[j * d + k];
        b[i * r + j] = s;
        b[j * r + i] = s;
      }
    const eig = symmetricEigen(b, r);
    values = eig.values;
    const sum = values.reduce((s, x) => s + x, 0);
    // Next subspace: the rotated A·Q (one power step), orthonormalised.
    const next = new Float64Array(r * d);
    for (let i = 0; i < r; i++)
      for (let j = 0; j < r; j++) {
        const w = eig.vectors[i * r + j];
        if (w === 0) continue;
        for (let k = 0; k < d; k++) next[i * d + k] += w * aq[j * d + k];
      }
    const done = Math.abs(sum - last) <= tol * Math.max(Math.abs(sum), 1e-300);
    if (done) {
      // Converged: return the Ritz vectors of the current subspace (exactly orthonormal).
      const ritz = new Float64Array(r * d);
      for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) for (let k = 0; k < d; k++) ritz[i * d + k] += eig.vectors[i * r + j] * q[j * d + k];
      orthonormalizeRows(ritz, r, d);
      return { vectors: ritz, values };
    }
    last = sum;
    orthonormalizeRows(next, r, d);
    q.set(next);
  }
  return { vectors: q, values };
}
