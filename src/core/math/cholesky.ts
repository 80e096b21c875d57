// Dense Cholesky factorisation A = L·Lᵀ of a symmetric positive definite matrix and the solve
// L·Lᵀ·X = B for many right-hand sides at once, f64 throughout. Used by PAM-SGD's decoder block
// (seed-papers §3.6: one m×m SPD solve with dIn right-hand sides). Unlike the floored variant inside
// logistic.ts (which keeps a Newton direction usable), this one refuses a matrix that is not
// numerically positive definite and says where: the caller turns that into an actionable message.
// Imports nothing.
//
// Layout: a: [n, n] f64 row-major (lower triangle read, overwritten by L; upper triangle untouched);
//         b: [n, nrhs] f64 row-major, column j = right-hand side j (overwritten by the solution).

/** Relative pivot tolerance in units of n·ε·max diag(A): the backward-error bound of Cholesky. */
const EPS = 2.220446049250313e-16;

/**
 * In-place Cholesky of the lower triangle of a ([n, n] row-major). Returns −1 on success, or the
 * index j of the first pivot that is not positive (≤ n·ε·max_i A_ii, or not finite): A is then not
 * numerically positive definite and `a` is left partly overwritten.
 * Cost n³/3 multiply-adds.
 */
export function cholesky(a: Float64Array, n: number): number {
  if (a.length < n * n) throw new Error(`cholesky: a has ${a.length} values, needs n² = ${n * n}`);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(a[i * n + i]);
    if (v > maxDiag && v < Infinity) maxDiag = v; // a NaN or ∞ is refused at its own pivot, below
  }
  const tol = n * EPS * maxDiag;
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= a[rj + k] * a[rj + k];
    if (!(s > tol) || !Number.isFinite(s)) return j;
    const ljj = Math.sqrt(s);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let v = a[ri + j];
      for (let k = 0; k < j; k++) v -= a[ri + k] * a[rj + k];
      a[ri + j] = v / ljj;
    }
  }
  return -1;
}

/**
 * Solves L·Lᵀ·X = B in place (X overwrites b), L from cholesky(). b: [n, nrhs] row-major; the
 * substitutions run over whole rows of b, so the nrhs columns share each pass over L.
 * Cost n²·nrhs multiply-adds.
 */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, nrhs = 1): void {
  if (b.length < n * nrhs) throw new Error(`choleskySolve: b has ${b.length} values, needs n·nrhs = ${n}·${nrhs}`);
  // Forward: L·Y = B, row i of Y = (B_i − Σ_{k<i} L_ik·Y_k) / L_ii.
  for (let i = 0; i < n; i++) {
    const ri = i * nrhs;
    for (let k = 0; k < i; k++) {
      const lik = l[i * n + k];
      if (lik === 0) continue;
      const rk = k * nrhs;
      for (let c = 0; c < nrhs; c++) b[ri + c] -= lik * b[rk + c];
    }
    const inv = 1 / l[i * n + i];
    for (let c = 0; c < nrhs; c++) b[ri + c] *= inv;
  }
  // Backward: Lᵀ·X = Y, row i of X = (Y_i − Σ_{k>i} L_ki·X_k) / L_ii.
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * nrhs;
    for (let k = i + 1; k < n; k++) {
      const lki = l[k * n + i];
      if (lki === 0) continue;
      const rk = k * nrhs;
      for (let c = 0; c < nrhs; c++) b[ri + c] -= lki * b[rk + c];
    }
    const inv = 1 / l[i * n + i];
    for (let c = 0; c < nrhs; c++) b[ri + c] *= inv;
  }
}
