// Local PCA of one cluster (seed-papers §3.4, Eckart–Young): the mean and the top-r principal directions of a
// set of rows, used by the k-flats refit (lloyd.ts). Imports only src/core.
//
// Two routes, chosen by width (measured in test/core/cluster/pca.test.ts's timing note and the README): for
// dIn ≤ COVARIANCE_MAX_DIN the d×d scatter matrix and a Jacobi eigen-decomposition (exact, n·d² + ~10·d³);
// above it subspace iteration on S·V = Xcᵀ(Xc·V) (2·n·d·r per iteration, never forming S), warm started from
// the cluster's previous basis so a Lloyd step needs few iterations. 10k × 784 with r = 8: forming every
// cluster's 784² scatter is ~3·10⁹ multiply-adds, a subspace iteration ~1.3·10⁸.
//
// Monotone by construction: when a previous basis is given, it is kept unless the new one captures at least as
// much scatter (so an inexact iteration can never raise the k-flats objective).

import { orthonormalizeRows, symmetricEigen, topEigenvectors } from '../math/eigen.ts';

/**
 * Most subspace iterations per refit: warm started from the previous basis, a Lloyd step continues where the
 * last one stopped, so the basis keeps converging over steps while one step stays bounded (10k × 784, 64
 * clusters, r = 8: ~0.13 GFLOP an iteration); the keep-the-better guard keeps the objective monotone meanwhile.
 */
export const SUBSPACE_ITERS = 8;
/** Widths up to this use the exact scatter-matrix route. */
export const COVARIANCE_MAX_DIN = 64;

/** The local PCA of the rows `idx` of x [rows, dIn]: mean [dIn] and basis [rank, dIn] (orthonormal rows, f64). */
export function localPca(
  x: Float32Array,
  dIn: number,
  idx: ArrayLike<number>,
  rank: number,
  prev: Float32Array | null = null,
): { mean: Float64Array; basis: Float64Array } {
  const n = idx.length;
  const mean = new Float64Array(dIn);
  for (let i = 0; i < n; i++) for (let d = 0; d < dIn; d++) mean[d] += x[idx[i] * dIn + d];
  if (n > 0) for (let d = 0; d < dIn; d++) mean[d] /= n;
  if (rank === 0) return { mean, basis: new Float64Array(0) };
  let basis: Float64Array;
  if (dIn <= COVARIANCE_MAX_DIN) {
    const s = new Float64Array(dIn * dIn);
    const xc = new Float64Array(dIn);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dIn; d++) xc[d] = x[idx[i] * dIn + d] - mean[d];
      for (let a = 0; a < dIn; a++) {
        const va = xc[a];
        if (va === 0) continue;
        for (let b = a; b < dIn; b++) s[a * dIn + b] += va * xc[b];
      }
    }
    for (let a = 0; a < dIn; a++) for (let b = 0; b < a; b++) s[a * dIn + b] = s[b * dIn + a];
    basis = symmetricEigen(s, dIn).vectors.slice(0, rank * dIn);
    orthonormalizeRows(basis, rank, dIn);
  } else {
    const init = new Float64Array(rank * dIn);
    if (prev) for (let i = 0; i < init.length; i++) init[i] = prev[i];
    else for (let l = 0; l < rank; l++) init[l * dIn + (l % dIn)] = 1;
    const apply = (v: Float64Array): Float64Array => scatterTimes(x, dIn, idx, mean, v, rank);
    basis = topEigenvectors(apply, dIn, rank, init, SUBSPACE_ITERS, 1e-7).vectors;
  }
  if (prev && captured(x, dIn, idx, mean, Float64Array.from(prev), rank) >= captured(x, dIn, idx, mean, basis, rank)) basis = Float64Array.from(prev);
  return { mean, basis };
}

/** S·V for the scatter S = Σ (x−μ)(x−μ)ᵀ over idx, without forming S. v: [r, dIn] → [r, dIn]. */
function scatterTimes(x: Float32Array, dIn: number, idx: ArrayLike<number>, mean: Float64Array, v: Float64Array, r: number): Float64Array {
  const out = new Float64Array(r * dIn);
  const xc = new Float64Array(dIn);
  const c = new Float64Array(r);
  for (let i = 0; i < idx.length; i++) {
    for (let d = 0; d < dIn; d++) xc[d] = x[idx[i] * dIn + d] - mean[d];
    for (let l = 0; l < r; l++) {
      let s = 0;
      for (let d = 0; d < dIn; d++) s += v[l * dIn + d] * xc[d];
      c[l] = s;
    }
    for (let l = 0; l < r; l++) {
      const cl = c[l];
      for (let d = 0; d < dIn; d++) out[l * dIn + d] += cl * xc[d];
    }
  }
  return out;
}

/** Σ_rows Σ_l (u_l·(x − μ))²: the scatter a basis keeps (the k-flats objective drops by exactly this). */
export function captured(x: Float32Array, dIn: number, idx: ArrayLike<number>, mean: Float64Array, basis: Float64Array, r: number): number {
  let total = 0;
  for (let i = 0; i < idx.length; i++) {
    const o = idx[i] * dIn;
    for (let l = 0; l < r; l++) {
      let s = 0;
      for (let d = 0; d < dIn; d++) s += basis[l * dIn + d] * (x[o + d] - mean[d]);
      total += s * s;
    }
  }
  return total;
}
