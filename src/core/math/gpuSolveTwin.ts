// The f32 twin of shaders/pamCholesky.wgsl: blocked right-looking Cholesky (panel width nb) and the two blocked
// triangular solves with many right-hand sides, every operation rounded to f32 (Math.fround) in the kernel's order,
// so the GPU can be checked against it operation for operation (it differs only where the GPU contracts a·b − c
// into one fused rounding). Not the CPU solver: src/core/math/cholesky.ts is the f64 one. Imports nothing.
//
// Shapes: A [m, m] row-major (lower triangle read; L written there), B / X [m, dIn] (row i = latent i, like wDec).

const f = Math.fround;

/** choleskyBlocked's result when every pivot was > 0 (the kernel's status then holds 0xFFFFFFFF). */
export const PIVOT_OK = -1;

/**
 * Twin of pamCholesky.wgsl potrf / trsm / syrk over every panel: factors `A` in place (L in the lower triangle,
 * the upper triangle untouched). Returns the first column whose pivot was not > 0 (PIVOT_OK when A was
 * numerically positive definite); L is then unspecified from that column on.
 */
export function choleskyBlocked(A: Float32Array, m: number, nb: number): number {
  if (A.length < m * m) throw new Error(`choleskyBlocked: A holds ${A.length} values, needs m² = ${m * m}`);
  if (!Number.isInteger(nb) || nb < 1) throw new Error(`choleskyBlocked: panel width ${nb} must be a positive integer`);
  let failed = PIVOT_OK;
  for (let p0 = 0; p0 < m; p0 += nb) {
    const w = Math.min(nb, m - p0);
    // potrf: unblocked right-looking on the diagonal block
    for (let c = 0; c < w; c++) {
      const cc = (p0 + c) * m + p0 + c;
      const pivot = A[cc];
      if (!(pivot > 0) && failed === PIVOT_OK) failed = p0 + c;
      const l = f(Math.sqrt(pivot));
      A[cc] = l;
      for (let r = c + 1; r < w; r++) A[(p0 + r) * m + p0 + c] = f(A[(p0 + r) * m + p0 + c] / l);
      for (let r = c + 1; r < w; r++) {
        for (let q = c + 1; q <= r; q++) {
          const e = (p0 + r) * m + p0 + q;
          A[e] = f(A[e] - f(A[(p0 + r) * m + p0 + c] * A[(p0 + q) * m + p0 + c]));
        }
      }
    }
    // trsm: rows below the block, left-looking per row
    for (let r = p0 + w; r < m; r++) {
      const row = r * m + p0;
      for (let c = 0; c < w; c++) {
        let acc = A[row + c];
        for (let q = 0; q < c; q++) acc = f(acc - f(A[row + q] * A[(p0 + c) * m + p0 + q]));
        A[row + c] = f(acc / A[(p0 + c) * m + p0 + c]);
      }
    }
    // syrk: the trailing lower triangle, one sum per entry then one subtraction
    for (let i = p0 + w; i < m; i++) {
      for (let j = p0 + w; j <= i; j++) {
        let acc = 0;
        for (let q = 0; q < w; q++) acc = f(acc + f(A[i * m + p0 + q] * A[j * m + p0 + q]));
        A[i * m + j] = f(A[i * m + j] - acc);
      }
    }
  }
  return failed;
}

/** Twin of pamCholesky.wgsl fwdDiag / fwdUpdate then bwdDiag / bwdUpdate: X [m, dIn] ← (L Lᵀ)⁻¹ X in place. */
export function solveBlocked(L: Float32Array, X: Float32Array, m: number, dIn: number, nb: number): void {
  if (X.length < m * dIn) throw new Error(`solveBlocked: X holds ${X.length} values, needs m·dIn = ${m * dIn}`);
  const panels: number[] = [];
  for (let p0 = 0; p0 < m; p0 += nb) panels.push(p0);
  for (const p0 of panels) {
    const w = Math.min(nb, m - p0);
    for (let d = 0; d < dIn; d++) {
      for (let c = 0; c < w; c++) {
        let acc = X[(p0 + c) * dIn + d];
        for (let q = 0; q < c; q++) acc = f(acc - f(L[(p0 + c) * m + p0 + q] * X[(p0 + q) * dIn + d]));
        X[(p0 + c) * dIn + d] = f(acc / L[(p0 + c) * m + p0 + c]);
      }
    }
    for (let i = p0 + w; i < m; i++) {
      for (let d = 0; d < dIn; d++) {
        let acc = 0;
        for (let q = 0; q < w; q++) acc = f(acc + f(L[i * m + p0 + q] * X[(p0 + q) * dIn + d]));
        X[i * dIn + d] = f(X[i * dIn + d] - acc);
      }
    }
  }
  for (const p0 of panels.reverse()) {
    const w = Math.min(nb, m - p0);
    for (let d = 0; d < dIn; d++) {
      for (let c = w - 1; c >= 0; c--) {
        let acc = X[(p0 + c) * dIn + d];
        for (let q = c + 1; q < w; q++) acc = f(acc - f(L[(p0 + q) * m + p0 + c] * X[(p0 + q) * dIn + d]));
        X[(p0 + c) * dIn + d] = f(acc / L[(p0 + c) * m + p0 + c]);
      }
    }
    for (let i = 0; i < p0; i++) {
      for (let d = 0; d < dIn; d++) {
        let acc = 0;
        for (let q = 0; q < w; q++) acc = f(acc + f(L[(p0 + q) * m + i] * X[(p0 + q) * dIn + d]));
        X[i * dIn + d] = f(X[i * dIn + d] - acc);
      }
    }
  }
}
