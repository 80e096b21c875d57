// Binary L2-regularised logistic regression with scikit-learn's objective — the probe of SAEBench's
// sparse probing and spurious-correlation removal (seed-papers.md §2.7: `LogisticRegression(penalty='l2',
// C=1)`, intercept not penalised):
//
//   minimise  f(w, b) = ½‖w‖² + C·Σ_t ℓ(y_t, w·x_t + b),   ℓ(1, z) = log(1 + e^−z),  ℓ(0, z) = log(1 + e^z)
//
// fitted by damped Newton (IRLS) with a Cholesky solve, f64 throughout. The Newton system is solved in
// the cheaper of two spaces: "primal" ((dims+1)² Hessian; few dims, e.g. the k_p latents of sparse
// probing) or "dual" (rows² system through the Woodbury identity; dims > rows, e.g. a probe on 784 raw
// pixels of a few hundred images). Both solve the same system exactly, so they reach the same optimum.
// Imports only src/core: no DOM, WebGPU or Node.
//
// Legend: rows = examples, dims = features; x: [rows, dims] row-major; y: [rows] 0|1.

import { InputError, assertFinite } from '../errors.ts';

export interface LogisticOptions {
  /** Inverse regularisation strength (sklearn's C); default 1. */
  C?: number;
  /** Newton iterations at most; default 100. */
  maxIter?: number;
  /** Stop when max_j |∂f/∂θ_j| ≤ gradTol; default 1e-8·max(1, rows) (f sums over rows, so its gradient scales with them). */
  gradTol?: number;
  /** Which Newton system to factor; default 'auto' = 'dual' when dims > rows, else 'primal'. */
  solver?: 'auto' | 'primal' | 'dual';
  /** X·Xᵀ from gramMatrix(x, rows, dims), for the dual solver: pass it to fit several targets on the same x. */
  gram?: Float64Array;
}

/** A fitted probe: predict 1 where w·x + b > 0 (sklearn's rule), or `constant` everywhere when set. */
export interface LogisticFit {
  dims: number;
  w: Float64Array; // [dims]
  b: number;
  C: number;
  /** Newton steps taken. */
  iterations: number;
  /** True when max |gradient| ≤ gradTol at the returned (w, b). */
  converged: boolean;
  /** max_j |∂f/∂θ_j| at the returned (w, b) (0 for a constant fit). */
  gradMax: number;
  /**
   * Set when y holds one class only: f then has no minimiser (b → ±∞), so the fit is the constant
   * predictor of that class (w = 0, b = 0, converged = false). null for an ordinary fit.
   */
  constant: 0 | 1 | null;
  solver: 'primal' | 'dual' | 'none';
}

type Matrix = Float32Array | Float64Array;

function checkShape(what: string, x: Matrix, rows: number, dims: number): void {
  if (!Number.isInteger(rows) || rows < 1) throw new InputError(`${what}: rows: expected an integer ≥ 1, got ${rows}`);
  if (!Number.isInteger(dims) || dims < 0) throw new InputError(`${what}: dims: expected an integer ≥ 0, got ${dims}`);
  if (x.length !== rows * dims) {
    throw new InputError(`${what}: x: expected length rows·dims = ${rows}·${dims} = ${rows * dims}, got ${x.length}; pass x as [rows, dims] row-major`);
  }
}

function checkY(what: string, y: Uint8Array, rows: number): number {
  if (y.length !== rows) throw new InputError(`${what}: y: expected ${rows} labels (one per row), got ${y.length}`);
  let n1 = 0;
  for (let t = 0; t < rows; t++) {
    if (y[t] > 1) throw new InputError(`${what}: y[${t}]: expected 0 or 1, got ${y[t]}; binary targets only (one-vs-rest for more classes)`);
    n1 += y[t];
  }
  return n1;
}

/** log(1 + e^u) without overflow. */
function softplus(u: number): number {
  return u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u));
}

/** 1 / (1 + e^−z) without overflow. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** f(w, b) from the margins z = Xw + b. */
function objective(w: Float64Array, z: Float64Array, y: Uint8Array, C: number): number {
  let reg = 0;
  for (let j = 0; j < w.length; j++) reg += w[j] * w[j];
  let loss = 0;
  for (let t = 0; t < z.length; t++) loss += softplus(y[t] ? -z[t] : z[t]);
  return 0.5 * reg + C * loss;
}

/** out = X·q (+ c): [rows]. */
function matVec(x: Matrix, rows: number, dims: number, q: Float64Array, c: number, out: Float64Array): void {
  for (let t = 0; t < rows; t++) {
    let s = c;
    const o = t * dims;
    for (let j = 0; j < dims; j++) s += x[o + j] * q[j];
    out[t] = s;
  }
}

/** out = Xᵀ·u: [dims]. */
function matTVec(x: Matrix, rows: number, dims: number, u: Float64Array, out: Float64Array): void {
  out.fill(0);
  for (let t = 0; t < rows; t++) {
    const a = u[t];
    if (a === 0) continue;
    const o = t * dims;
    for (let j = 0; j < dims; j++) out[j] += a * x[o + j];
  }
}

/**
 * In-place Cholesky A = L·Lᵀ of a symmetric positive semi-definite [n, n] matrix (lower triangle read
 * and overwritten by L). Pivots below 1e-13·max diag are floored there: the Newton direction stays a
 * descent direction when the Hessian is nearly singular (e.g. the intercept when every p ≈ 0 or 1), and
 * the line search does the rest.
 */
export function cholesky(a: Float64Array, n: number): void {
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, a[i * n + i]);
  const floor = 1e-13 * (maxDiag > 0 ? maxDiag : 1);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= a[rj + k] * a[rj + k];
    const ljj = Math.sqrt(s > floor ? s : floor);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let v = a[ri + j];
      for (let k = 0; k < j; k++) v -= a[ri + k] * a[rj + k];
      a[ri + j] = v / ljj;
    }
  }
}

/** Solves L·Lᵀ·u = r in place (u overwrites r), L from cholesky(). */
export function choleskySolve(l: Float64Array, n: number, r: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = r[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * r[k];
    r[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = r[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * r[k];
    r[i] = s / l[i * n + i];
  }
}

/**
 * Primal Newton direction: solve H·[dw; db] = −[gw; gb] with the (dims+1)² Hessian
 *   H = diag(1,…,1, 0) + Σ_t v_t·x̃_t x̃_tᵀ,   x̃_t = [x_t; 1],  v_t = C·p_t(1 − p_t).
 * Cost rows·(dims+1)²/2 + (dims+1)³/6.
 */
function primalDirection(x: Matrix, rows: number, dims: number, v: Float64Array, g: Float64Array, dir: Float64Array): void {
  const n = dims + 1;
  const h = new Float64Array(n * n); // [n, n] lower triangle
  for (let t = 0; t < rows; t++) {
    const vt = v[t];
    if (vt === 0) continue;
    const o = t * dims;
    for (let i = 0; i < dims; i++) {
      const a = vt * x[o + i];
      const ri = i * n;
      for (let j = 0; j <= i; j++) h[ri + j] += a * x[o + j];
    }
    const rb = dims * n;
    for (let j = 0; j < dims; j++) h[rb + j] += vt * x[o + j];
    h[rb + dims] += vt;
  }
  for (let i = 0; i < dims; i++) h[i * n + i] += 1;
  cholesky(h, n);
  for (let i = 0; i < n; i++) dir[i] = -g[i];
  choleskySolve(h, n, dir);
}

/**
 * Dual Newton direction, the same system solved through the rows² space. With A = I + XᵀVX (the w
 * block), u = Xᵀv and h = Σ v_t, block elimination gives
 *   db = (−gb + uᵀA⁻¹gw) / (h − uᵀA⁻¹u),   dw = −A⁻¹gw − A⁻¹u·db,
 * and Woodbury with S = diag(√v): A⁻¹q = q − XᵀS (I + S·XXᵀ·S)⁻¹ S·X·q, where I + SKS ⪰ I is well
 * conditioned. K = XXᵀ is computed once per fit. Cost rows³/6 + a few rows·dims per Newton step.
 */
function dualDirection(x: Matrix, rows: number, dims: number, k: Float64Array, v: Float64Array, g: Float64Array, dir: Float64Array): void {
  const s = new Float64Array(rows);
  for (let t = 0; t < rows; t++) s[t] = Math.sqrt(v[t]);
  const bMat = new Float64Array(rows * rows); // [rows, rows] I + S K S, lower triangle
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j <= i; j++) bMat[i * rows + j] = s[i] * k[i * rows + j] * s[j];
    bMat[i * rows + i] += 1;
  }
  cholesky(bMat, rows);
  const tmpR = new Float64Array(rows);
  const tmpD = new Float64Array(dims);
  const applyAinv = (q: Float64Array): Float64Array => {
    matVec(x, rows, dims, q, 0, tmpR);
    for (let t = 0; t < rows; t++) tmpR[t] *= s[t];
    choleskySolve(bMat, rows, tmpR);
    for (let t = 0; t < rows; t++) tmpR[t] *= s[t];
    matTVec(x, rows, dims, tmpR, tmpD);
    const out = new Float64Array(dims);
    for (let j = 0; j < dims; j++) out[j] = q[j] - tmpD[j];
    return out;
  };
  const gw = g.subarray(0, dims);
  const gb = g[dims];
  const u = new Float64Array(dims);
  matTVec(x, rows, dims, v, u);
  let h = 0;
  for (let t = 0; t < rows; t++) h += v[t];
  const a1 = applyAinv(Float64Array.from(gw));
  const a2 = applyAinv(u);
  let ua1 = 0;
  let ua2 = 0;
  for (let j = 0; j < dims; j++) {
    ua1 += u[j] * a1[j];
    ua2 += u[j] * a2[j];
  }
  const schur = Math.max(h - ua2, 1e-13 * (h > 0 ? h : 1)); // ≥ 0 in exact arithmetic (H ⪰ 0); floored like cholesky's pivots
  const db = (-gb + ua1) / schur;
  for (let j = 0; j < dims; j++) dir[j] = -a1[j] - a2[j] * db;
  dir[dims] = db;
}

/** K = X·Xᵀ [rows, rows], lower triangle filled, f64 (rows²·dims/2 multiply-adds). */
export function gramMatrix(x: Matrix, rows: number, dims: number): Float64Array {
  const k = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    const oi = i * dims;
    for (let j = 0; j <= i; j++) {
      const oj = j * dims;
      let s = 0;
      for (let d = 0; d < dims; d++) s += x[oi + d] * x[oj + d];
      k[i * rows + j] = s;
    }
  }
  return k;
}

/**
 * Fits the L2 logistic regression above. x: [rows, dims] (f32 or f64), y: [rows] 0|1. Starts at w = 0,
 * b = logit(mean y) (the exact optimum when dims = 0), then damped Newton: full step unless the Armijo
 * test fails, then halve. Perfectly separable data has a finite optimum because of the ½‖w‖² term (and b
 * is finite whenever both classes are present). One class only: the constant predictor (see LogisticFit).
 */
export function fitLogistic(x: Matrix, rows: number, dims: number, y: Uint8Array, opts: LogisticOptions = {}): LogisticFit {
  const what = 'logistic regression';
  checkShape(what, x, rows, dims);
  const n1 = checkY(what, y, rows);
  assertFinite(x, what, 'x', dims > 0 ? dims : undefined);
  const C = opts.C ?? 1;
  if (!(Number.isFinite(C) && C > 0)) throw new InputError(`${what}: C: expected a finite number > 0, got ${C}`);
  const maxIter = opts.maxIter ?? 100;
  if (!(Number.isInteger(maxIter) && maxIter >= 0)) throw new InputError(`${what}: maxIter: expected an integer ≥ 0, got ${maxIter}`);
  const gradTol = opts.gradTol ?? 1e-8 * Math.max(1, rows);
  if (!(gradTol > 0)) throw new InputError(`${what}: gradTol: expected a number > 0, got ${gradTol}`);
  const w = new Float64Array(dims);
  if (n1 === 0 || n1 === rows) {
    return { dims, w, b: 0, C, iterations: 0, converged: false, gradMax: 0, constant: n1 === 0 ? 0 : 1, solver: 'none' };
  }
  const requested = opts.solver ?? 'auto';
  const solver: 'primal' | 'dual' = requested === 'auto' ? (dims > rows ? 'dual' : 'primal') : requested;
  if (opts.gram && opts.gram.length !== rows * rows) throw new InputError(`${what}: gram: expected rows² = ${rows * rows} values (gramMatrix of this x), got ${opts.gram.length}`);
  const k = solver === 'dual' ? (opts.gram ?? gramMatrix(x, rows, dims)) : null;

  let b = Math.log(n1 / (rows - n1));
  const z = new Float64Array(rows).fill(b); // [rows] margins w·x_t + b
  const r = new Float64Array(rows); // [rows] C·(p − y)
  const v = new Float64Array(rows); // [rows] C·p(1 − p)
  const g = new Float64Array(dims + 1); // [dims + 1] gradient (w, b)
  const dir = new Float64Array(dims + 1); // [dims + 1] Newton step
  const dw = new Float64Array(dims);
  const zd = new Float64Array(rows); // [rows] X·dw + db
  const zNew = new Float64Array(rows);
  const wNew = new Float64Array(dims);
  let f = objective(w, z, y, C);
  let iterations = 0;
  let gradMax = Infinity;
  for (;;) {
    let gb = 0;
    for (let t = 0; t < rows; t++) {
      const p = sigmoid(z[t]);
      r[t] = C * (p - y[t]);
      v[t] = C * p * (1 - p);
      gb += r[t];
    }
    matTVec(x, rows, dims, r, g); // g[0..dims) = Xᵀr (g[dims] is set below)
    for (let j = 0; j < dims; j++) g[j] += w[j];
    g[dims] = gb;
    gradMax = 0;
    for (let j = 0; j <= dims; j++) gradMax = Math.max(gradMax, Math.abs(g[j]));
    if (gradMax <= gradTol || iterations >= maxIter) break;

    if (solver === 'dual' && k) dualDirection(x, rows, dims, k, v, g, dir);
    else primalDirection(x, rows, dims, v, g, dir);
    let slope = 0;
    for (let j = 0; j <= dims; j++) slope += g[j] * dir[j];
    if (!(slope < 0)) break; // no descent direction left: rounding has won
    for (let j = 0; j < dims; j++) dw[j] = dir[j];
    matVec(x, rows, dims, dw, dir[dims], zd);
    // Armijo backtracking; the slack of a few ulps of f lets Newton's last, tiny steps through.
    let step = 1;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      for (let j = 0; j < dims; j++) wNew[j] = w[j] + step * dw[j];
      for (let t = 0; t < rows; t++) zNew[t] = z[t] + step * zd[t];
      const fNew = objective(wNew, zNew, y, C);
      if (fNew <= f + 1e-4 * step * slope + 1e-12 * (1 + Math.abs(f))) {
        w.set(wNew);
        z.set(zNew);
        b += step * dir[dims];
        f = fNew;
        accepted = true;
        break;
      }
      step /= 2;
    }
    iterations++;
    if (!accepted) break;
  }
  return { dims, w, b, C, iterations, converged: gradMax <= gradTol, gradMax, constant: null, solver };
}

/** Margins w·x_t + b: [rows] (±Infinity for a constant fit, by its class). x: [rows, dims]. */
export function decisionFunction(fit: LogisticFit, x: Matrix, rows: number, dims: number): Float64Array {
  checkShape('logistic decision function', x, rows, dims);
  if (dims !== fit.dims) throw new InputError(`logistic decision function: dims: the fit has ${fit.dims} features, x has ${dims}; pass the same columns the probe was fitted on`);
  const out = new Float64Array(rows);
  if (fit.constant !== null) return out.fill(fit.constant === 1 ? Infinity : -Infinity);
  matVec(x, rows, dims, fit.w, fit.b, out);
  return out;
}

/** Predicted class per row: 1 where w·x + b > 0 (sklearn), else 0; a constant fit predicts its class. */
export function predictLogistic(fit: LogisticFit, x: Matrix, rows: number, dims: number): Uint8Array {
  const z = decisionFunction(fit, x, rows, dims);
  const out = new Uint8Array(rows);
  for (let t = 0; t < rows; t++) out[t] = z[t] > 0 ? 1 : 0;
  return out;
}

/** Fraction of rows where predictLogistic equals y. x: [rows, dims], y: [rows] 0|1. */
export function accuracy(fit: LogisticFit, x: Matrix, rows: number, dims: number, y: Uint8Array): number {
  const pred = predictLogistic(fit, x, rows, dims);
  checkY('logistic accuracy', y, rows);
  let ok = 0;
  for (let t = 0; t < rows; t++) if (pred[t] === y[t]) ok++;
  return ok / rows;
}
