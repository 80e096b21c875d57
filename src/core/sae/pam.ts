// PAM-SGD's decoder block (SplInterp; seed-papers §3.6): with the encoder fixed, the decoder and its bias
// minimise a ridge/proximal least-squares objective in closed form. Streamed sufficient statistics over
// the training rows, one m×m SPD (Cholesky) solve with dIn right-hand sides, the closed-form b_dec, the
// objective from the statistics, and the bias fold that keeps the codes fixed. f64 throughout; weights
// come back as Float32Array like every parameter. Imports only src/core.
//
// Notation (§3.6) and our layout. Rows r = 1..N, codes z_r = f(x_r) [m], inputs x_r [dIn] in the SAE's
// scaled space (x' = inputScale·x). The paper's D is [dIn, m] with x ≈ D·z + b_dec; ours is wDec = Dᵀ,
// [m, dIn] latent-major, so the paper's "A·Dᵀ = Cᵀ" is our A·wDec = R with R = Cᵀ [m, dIn].
//
// Scaling (see TrainConfig): the objective is written as a mean over rows,
//   F(W, b) = (1/N)·Σ_r ‖x_r − Wᵀz_r − b‖² + α‖W‖² + β‖b‖² + μ‖W − W_t‖² + ν‖b − b_t‖²,
// i.e. the paper's F/N with its α, β, μ, ν = ours·N. Dividing §3.6's A, C and b_dec by N:
//   γ = 1/(1 + β + ν)                       (the paper's N/(N + β + ν))
//   A = (α + μ)·I + G/N − γ·z̄z̄ᵀ             G = Σ z zᵀ,  z̄ = Σz/N
//   R = μ·W_t + H/N − γ·z̄·(x̄ + ν·b_t)ᵀ      H = Σ z xᵀ [m, dIn],  x̄ = Σx/N
//   W = A⁻¹·R,   b = (ν·b_t + x̄ − Wᵀz̄)/(1 + β + ν)
// A is positive definite when α + μ > 0 (γ ≤ 1 makes G/N − γz̄z̄ᵀ ⪰ the code covariance ⪰ 0); with
// α = μ = 0 a latent that never fires (a zero row and column of G) makes it singular.
//
// bDec inside the encoder. Our encoder is z = act(wEnc·(x − bDec) + bEnc) (SAELens apply_b_dec_to_input),
// the paper's is z = ρ(E·x + b_enc) with no b_dec inside. They are the same model with
// E = wEnc and b_enc = bEnc − wEnc·bDec. The decoder block holds the paper's (E, b_enc) fixed, so when
// the solve moves bDec by Δ we move bEnc by wEnc·Δ (applyDecoderSolve): the codes of every row are then
// exactly (up to f32 rounding of bEnc) those the statistics were built from, the solved (W, b) is the
// exact block minimiser for the model as it now stands, and F cannot increase across the solve. The
// alternative (leave bEnc, let the codes shift with bDec) would make the solve an approximation whose
// descent property no longer holds; folding costs one [m, dIn]·[dIn] product per solve.

import { InputError } from '../errors.ts';
import { cholesky, choleskySolve } from '../math/cholesky.ts';
import type { Sae } from './types.ts';

/** Σ over the streamed rows of what the decoder solve needs; add() rows in chunks, in any chunking. */
export interface DecoderStats {
  readonly m: number;
  readonly dIn: number;
  /** N: rows added so far. */
  readonly rows: number;
  readonly g: Float64Array; // [m, m] f64 row-major, Σ z zᵀ (both triangles)
  readonly h: Float64Array; // [m, dIn] f64 latent-major, Σ z xᵀ (row i = Σ_r z_ri·x_r, like wDec)
  readonly sumZ: Float64Array; // [m] Σ z
  readonly sumX: Float64Array; // [dIn] Σ x
  /** Σ ‖x‖², for the objective. */
  readonly sumXX: number;
  /** Adds `rows` rows: codes f [rows, m] (zero = inactive) and inputs x [rows, dIn], both in scaled space. */
  add(f: Float32Array, x: Float32Array, rows: number): void;
}

export function createDecoderStats(m: number, dIn: number): DecoderStats {
  const g = new Float64Array(m * m);
  const h = new Float64Array(m * dIn);
  const sumZ = new Float64Array(m);
  const sumX = new Float64Array(dIn);
  let n = 0;
  let sumXX = 0;
  const active: number[] = [];
  const add = (f: Float32Array, x: Float32Array, rows: number): void => {
    if (f.length < rows * m || x.length < rows * dIn)
      throw new Error(`DecoderStats.add: f has ${f.length} values (needs rows·m = ${rows * m}), x has ${x.length} (needs rows·dIn = ${rows * dIn})`);
    for (let t = 0; t < rows; t++) {
      const fo = t * m;
      const xo = t * dIn;
      // Only the active latents of the row contribute: k² of the m² entries of G for TopK.
      active.length = 0;
      for (let i = 0; i < m; i++) if (f[fo + i] !== 0) active.push(i);
      for (const i of active) {
        const zi = f[fo + i];
        sumZ[i] += zi;
        const gi = i * m;
        for (const j of active) g[gi + j] += zi * f[fo + j];
        const hi = i * dIn;
        for (let d = 0; d < dIn; d++) h[hi + d] += zi * x[xo + d];
      }
      for (let d = 0; d < dIn; d++) {
        const v = x[xo + d];
        sumX[d] += v;
        sumXX += v * v;
      }
    }
    n += rows;
  };
  return {
    m,
    dIn,
    get rows() {
      return n;
    },
    g,
    h,
    sumZ,
    sumX,
    get sumXX() {
      return sumXX;
    },
    add,
  };
}

/** A decoder: wDec [m, dIn] latent-major, bDec [dIn]. */
export interface DecoderParams {
  wDec: ArrayLike<number>;
  bDec: ArrayLike<number>;
}

/** The decoder block's coefficients, per-row-mean convention (TrainConfig pamRidge = α = β, pamProxDec = μ = ν). */
export interface DecoderCoefficients {
  alpha: number;
  beta: number;
  mu: number;
  nu: number;
}

/**
 * 'exact': §3.6's joint minimiser of F over (W, b).
 * 'uncentred': the MNIST script (§3.6 "What the official code actually does"): W = (G/N + (α+μ)I)⁻¹(H/N + μW_t),
 * then b = x̄ − Wᵀz̄ (the mean residual); β and ν are not used. Not the joint optimum unless z̄ = 0.
 */
export type DecoderSolveMode = 'exact' | 'uncentred';

/** Throws an InputError naming the first non-finite statistic (the encoder diverged). */
function assertStatsFinite(s: DecoderStats): void {
  const check = (a: ArrayLike<number>, name: string): void => {
    for (let i = 0; i < a.length; i++)
      if (!Number.isFinite(a[i]))
        throw new InputError(`PAM-SGD decoder solve: the statistic ${name}[${i}] is ${a[i]} (the codes or inputs hold NaN or ∞; the encoder diverged): lower lr, keep gradClipNorm > 0, or raise pamProxEnc`);
  };
  check(s.sumZ, 'Σz');
  check(s.sumX, 'Σx');
  check([s.sumXX], 'Σ‖x‖²');
  check(s.g, 'Σzzᵀ');
  check(s.h, 'Σzxᵀ');
}

/** The decoder-block minimiser in f64 (see the file comment for A, R and b). prev: W_t, b_t. */
export function solveDecoder64(
  stats: DecoderStats,
  prev: DecoderParams,
  coef: DecoderCoefficients,
  mode: DecoderSolveMode = 'exact',
): { wDec: Float64Array; bDec: Float64Array } {
  const { m, dIn, rows: n } = stats;
  if (n === 0) throw new InputError('PAM-SGD decoder solve: no rows were streamed: the training set is empty');
  assertStatsFinite(stats);
  const { alpha, beta, mu, nu } = coef;
  const zBar = Float64Array.from(stats.sumZ, (v) => v / n); // [m]
  const xBar = Float64Array.from(stats.sumX, (v) => v / n); // [dIn]
  const exact = mode === 'exact';
  const gamma = exact ? 1 / (1 + beta + nu) : 0; // uncentred: no centring term

  // A: [m, m] f64, (α+μ)I + G/N − γ z̄z̄ᵀ.
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) a[i * m + j] = stats.g[i * m + j] / n - gamma * zBar[i] * zBar[j];
    a[i * m + i] += alpha + mu;
  }
  // R: [m, dIn] f64 latent-major, μW_t + H/N − γ z̄(x̄ + νb_t)ᵀ.
  const w = new Float64Array(m * dIn);
  const shift = Float64Array.from(xBar, (v, d) => v + nu * prev.bDec[d]); // [dIn]
  for (let i = 0; i < m; i++) {
    const o = i * dIn;
    for (let d = 0; d < dIn; d++) w[o + d] = mu * prev.wDec[o + d] + stats.h[o + d] / n - gamma * zBar[i] * shift[d];
  }

  const bad = cholesky(a, m);
  if (bad >= 0) throw singularError(stats, coef, bad);
  choleskySolve(a, m, w, dIn); // w ← A⁻¹R

  // b: [dIn], from the solved W: (νb_t + x̄ − Wᵀz̄)/(1+β+ν) (exact) or x̄ − Wᵀz̄ (uncentred).
  const b = Float64Array.from(xBar, (v, d) => v + (exact ? nu * prev.bDec[d] : 0));
  for (let i = 0; i < m; i++) {
    if (zBar[i] === 0) continue;
    const o = i * dIn;
    for (let d = 0; d < dIn; d++) b[d] -= w[o + d] * zBar[i];
  }
  if (exact) for (let d = 0; d < dIn; d++) b[d] /= 1 + beta + nu;
  return { wDec: w, bDec: b };
}

/** solveDecoder64 rounded to the model's f32: wDec [m, dIn] latent-major, bDec [dIn]. */
export function solveDecoder(
  stats: DecoderStats,
  prev: DecoderParams,
  coef: DecoderCoefficients,
  mode: DecoderSolveMode = 'exact',
): { wDec: Float32Array; bDec: Float32Array } {
  const r = solveDecoder64(stats, prev, coef, mode);
  return { wDec: Float32Array.from(r.wDec), bDec: Float32Array.from(r.bDec) };
}

function singularError(s: DecoderStats, c: DecoderCoefficients, pivot: number): InputError {
  let dead = 0;
  for (let i = 0; i < s.m; i++) if (s.g[i * s.m + i] === 0) dead++;
  const where = `the system matrix A = (α+μ)I + Σzzᵀ/N − γz̄z̄ᵀ is not positive definite at latent ${pivot} (pamRidge α = ${c.alpha}, pamProxDec μ = ${c.mu}, N = ${s.rows} rows, ${dead} of ${s.m} latents never fired)`;
  let fix: string;
  if (c.alpha + c.mu > 0) fix = 'the ridge is too small for the scale of the codes: raise pamRidge (e.g. to 1e-4) or pamProxDec';
  else if (dead > 0) fix = 'ridge 0 with dead latents: set ridge > 0 (pamRidge, e.g. 1e-6)';
  else if (s.rows < s.m) fix = `fewer rows (${s.rows}) than latents (${s.m}): set ridge > 0 (pamRidge, e.g. 1e-6) or use more rows`;
  else fix = 'the codes are linearly dependent: set ridge > 0 (pamRidge, e.g. 1e-6)';
  return new InputError(`PAM-SGD decoder solve: ${where}: ${fix}`);
}

/** The decoder block's value at (W, b), from the statistics alone: see DecoderObjective. */
export interface DecoderObjective {
  /** (1/N)·Σ_r ‖x_r − Wᵀz_r − b‖²: the data term, our mse over all streamed rows. */
  mse: number;
  /** mse + α‖W‖² + β‖b‖² + μ‖W − W_t‖² + ν‖b − b_t‖²: the F the solve minimises. */
  objective: number;
}

/**
 * F(W, b) of the file comment from the statistics: Σ‖x − Wᵀz − b‖² expands to
 * Σ‖x‖² − 2Σ_i W_i·H_i − 2b·Σx + Σ_ij G_ij W_i·W_j + 2b·(WᵀΣz) + N‖b‖². Cost m²·dIn (less for sparse G).
 */
export function decoderObjective(stats: DecoderStats, dec: DecoderParams, coef: DecoderCoefficients, prev: DecoderParams): DecoderObjective {
  const { m, dIn, rows: n } = stats;
  const w = dec.wDec;
  const b = dec.bDec;
  let sse = stats.sumXX;
  const gw = new Float64Array(dIn); // row i of G·W
  const wz = new Float64Array(dIn); // Wᵀ·Σz
  for (let i = 0; i < m; i++) {
    const o = i * dIn;
    gw.fill(0);
    for (let j = 0; j < m; j++) {
      const gij = stats.g[i * m + j];
      if (gij === 0) continue;
      const oj = j * dIn;
      for (let d = 0; d < dIn; d++) gw[d] += gij * w[oj + d];
    }
    let quad = 0;
    let lin = 0;
    for (let d = 0; d < dIn; d++) {
      quad += w[o + d] * gw[d];
      lin += w[o + d] * stats.h[o + d];
      wz[d] += w[o + d] * stats.sumZ[i];
    }
    sse += quad - 2 * lin;
  }
  for (let d = 0; d < dIn; d++) sse += -2 * b[d] * stats.sumX[d] + 2 * b[d] * wz[d] + n * b[d] * b[d];
  const mse = sse / n;
  let ww = 0;
  let dw = 0;
  for (let i = 0; i < m * dIn; i++) {
    ww += w[i] * w[i];
    dw += (w[i] - prev.wDec[i]) ** 2;
  }
  let bb = 0;
  let db = 0;
  for (let d = 0; d < dIn; d++) {
    bb += b[d] * b[d];
    db += (b[d] - prev.bDec[d]) ** 2;
  }
  return { mse, objective: mse + coef.alpha * ww + coef.beta * bb + coef.mu * dw + coef.nu * db };
}

/**
 * Installs a solved decoder in `sae` and folds the bias change into the encoder (file comment):
 * bEnc += wEnc·(bDec_new − bDec_old), so z = wEnc·(x − bDec) + bEnc is unchanged for every x.
 * dec: wDec [m, dIn], bDec [dIn].
 */
export function applyDecoderSolve(sae: Sae, dec: { wDec: Float32Array; bDec: Float32Array }): void {
  const { dIn, dSae, wEnc, bEnc } = sae;
  const delta = Float64Array.from(dec.bDec, (v, d) => v - sae.bDec[d]); // [dIn]
  for (let i = 0; i < dSae; i++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += wEnc[i * dIn + d] * delta[d];
    bEnc[i] += s;
  }
  sae.wDec.set(dec.wDec);
  sae.bDec.set(dec.bDec);
}

/**
 * The floating-point operations of one decoder block over `rows` rows (§3.6): the statistics (Σzzᵀ over
 * the k active latents of each row, Σzxᵀ, the encoder pass that makes the codes: rows·m·dIn), forming A
 * and C (m² + m·dIn), the Cholesky factorisation (m³/3) and the dIn right-hand sides (2·m²·dIn).
 * k: active latents per row (TopK's k; for dense codes use m). For the app's "what sizes are sensible".
 */
export function decoderSolveFlops(m: number, dIn: number, rows: number, k: number): number {
  const stats = rows * (2 * m * dIn + k * k + 2 * k * dIn);
  return stats + m * m + m * dIn + m ** 3 / 3 + 2 * m * m * dIn;
}
