// The cluster model families (issue #12, seed-papers §3.3–3.4): the k-means autoencoder and k-means + local
// PCA (k-flats of rank r). One model type covers both: k-means is k-flats of rank 0 (each piece a point). This
// file holds the model, its forward pass (assignment, codes, reconstruction, objective) and its SAE-layout
// view. Fits: kmeans.ts, kflats.ts, top1.ts. Imports only src/core (types of sae/).
//
//   means: [clusters, dIn]          μ_j (the centroids for k-means)
//   bases: [clusters, rank, dIn]    U_j, rank orthonormal rows per cluster (length 0 when rank = 0)
//   residual_j(x) = ‖x − μ_j‖² − Σ_l (u_jl·(x − μ_j))² = ‖(I − U_jᵀU_j)(x − μ_j)‖²
//   cluster(x)    = argmin_j residual_j(x), ties to the LOWER index (strict <, the project's TopK tie rule)
//   x̂            = μ_j + U_jᵀU_j(x − μ_j) for j = cluster(x)
//   objective     = SSE = Σ_rows residual_{cluster(x)}(x) (summed over rows and dims); MSE = SSE / rows,
//                   the project's mse convention (mean over rows of ‖x − x̂‖² summed over dims).
//
// The SAE layout (why: every metric, the inspector, snapshots and the runs table read an Sae; seed-papers §3.3
// shows a k-means AE IS a Top-1 SAE with fixed value 1): arch 'kmeans' has dSae = clusters latents, latent j
// fires with value 1 on cluster j, wDec row j = μ_j, wEnc row j = μ_j, bEnc_j = −‖μ_j‖²/2 (so z_j = μ_j·x −
// ‖μ_j‖²/2, whose argmax is the nearest centroid), bDec = 0, k = 1. Arch 'kflats' has dSae = clusters·(2·rank+1)
// latents, in blocks of 2·rank+1 per cluster: the block's first latent is the cluster indicator (value 1, wDec =
// μ_j), then for each direction l a pair: +u_jl and −u_jl (wEnc = wDec = ±u_jl, bEnc = ∓u_jl·μ_j, so z is ±the
// coordinate c = u_jl·(x − μ_j) exactly, and f = ReLU(z): the positive part on the + latent, the negative part on
// the − one). Why the pair: "fires" means f > 0 everywhere in the project (metrics, firing counts, the inspector),
// and a coordinate has a sign. k = rank + 1 latents are active per row (L0 = rank + 1: the indicator and one of
// each pair, less any coordinate that is exactly 0). Only the SELECTION (which block) is not an SAE's: it is the
// residual argmin above, which encode() in sae.ts asks of this module.

import type { ClusterArch, Sae } from '../sae/types.ts';
import { isClusterArch } from '../sae/types.ts';

export interface ClusterModel {
  dIn: number;
  clusters: number;
  /** 0 for k-means. */
  rank: number;
  means: Float32Array; // [clusters, dIn]
  bases: Float32Array; // [clusters, rank, dIn]
}

/** Latents per cluster in the SAE layout: the indicator and a (+u, −u) pair per direction. */
export const blockOf = (rank: number): number => 2 * rank + 1;

export function zeroClusterModel(dIn: number, clusters: number, rank: number): ClusterModel {
  return { dIn, clusters, rank, means: new Float32Array(clusters * dIn), bases: new Float32Array(clusters * rank * dIn) };
}

export const cloneClusterModel = (m: ClusterModel): ClusterModel => ({ ...m, means: m.means.slice(), bases: m.bases.slice() });

/**
 * Each row's cluster and residual. x: [rows, dIn] → cluster: [rows], residual: [rows] (f64). Computed as
 * ‖x‖² − 2x·μ_j + ‖μ_j‖² − Σ_l (u_jl·x − u_jl·μ_j)² (the encoder-GEMM form: one dot product per mean and per
 * basis row, half the work of forming x − μ_j per cluster), accumulated in f64 and clamped at 0.
 */
export function assign(m: ClusterModel, x: Float32Array, rows: number): { cluster: Int32Array; residual: Float64Array } {
  const { dIn, clusters, rank, means, bases } = m;
  const cluster = new Int32Array(rows);
  const residual = new Float64Array(rows);
  const mm = new Float64Array(clusters); // ‖μ_j‖²
  const um = new Float64Array(clusters * rank); // u_jl·μ_j
  for (let j = 0; j < clusters; j++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += means[j * dIn + d] * means[j * dIn + d];
    mm[j] = s;
    for (let l = 0; l < rank; l++) {
      let c = 0;
      for (let d = 0; d < dIn; d++) c += bases[(j * rank + l) * dIn + d] * means[j * dIn + d];
      um[j * rank + l] = c;
    }
  }
  const xr = new Float64Array(dIn);
  const xm = new Float64Array(clusters); // x·μ_j
  const xu = new Float64Array(clusters * rank); // x·u_jl
  for (let t = 0; t < rows; t++) {
    let xx = 0;
    for (let d = 0; d < dIn; d++) {
      xr[d] = x[t * dIn + d];
      xx += xr[d] * xr[d];
    }
    dotRows(xr, means, clusters, dIn, xm);
    if (rank > 0) dotRows(xr, bases, clusters * rank, dIn, xu);
    let best = Infinity;
    let arg = 0;
    for (let j = 0; j < clusters; j++) {
      let r = xx - 2 * xm[j] + mm[j];
      for (let l = 0; l < rank; l++) {
        const c = xu[j * rank + l] - um[j * rank + l];
        r -= c * c;
      }
      if (r < 0) r = 0; // rounding when x lies on the piece
      if (r < best) {
        best = r;
        arg = j;
      }
    }
    cluster[t] = arg;
    residual[t] = best;
  }
  return { cluster, residual };
}

/**
 * out[i] = v·w[i] for the n rows of w [n, dIn] (f64 accumulation), four rows at a time so each v[d] is loaded
 * once per four products (~1.5× the plain loop in V8). Each out[i] is summed in d order, as the plain loop does.
 */
function dotRows(v: Float64Array, w: Float32Array, n: number, dIn: number, out: Float64Array): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const o0 = i * dIn;
    const o1 = o0 + dIn;
    const o2 = o1 + dIn;
    const o3 = o2 + dIn;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let d = 0; d < dIn; d++) {
      const vd = v[d];
      a0 += vd * w[o0 + d];
      a1 += vd * w[o1 + d];
      a2 += vd * w[o2 + d];
      a3 += vd * w[o3 + d];
    }
    out[i] = a0;
    out[i + 1] = a1;
    out[i + 2] = a2;
    out[i + 3] = a3;
  }
  for (; i < n; i++) {
    let a = 0;
    const o = i * dIn;
    for (let d = 0; d < dIn; d++) a += v[d] * w[o + d];
    out[i] = a;
  }
}

/** The objective: SSE = Σ_rows min_j residual_j(x) (f64). MSE is SSE / rows. */
export function objective(m: ClusterModel, x: Float32Array, rows: number): number {
  return assign(m, x, rows).residual.reduce((s, r) => s + r, 0);
}

/** x̂ = μ_j + U_jᵀU_j(x − μ_j) for each row's cluster j (assign's, unless given). x: [rows, dIn] → [rows, dIn]. */
export function reconstruct(m: ClusterModel, x: Float32Array, rows: number, cluster = assign(m, x, rows).cluster): Float32Array {
  const { dIn, rank, means, bases } = m;
  const out = new Float32Array(rows * dIn);
  const acc = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) {
    const j = cluster[t];
    for (let d = 0; d < dIn; d++) acc[d] = means[j * dIn + d];
    for (let l = 0; l < rank; l++) {
      const u = (j * rank + l) * dIn;
      let c = 0;
      for (let d = 0; d < dIn; d++) c += bases[u + d] * (x[t * dIn + d] - means[j * dIn + d]);
      for (let d = 0; d < dIn; d++) acc[d] += c * bases[u + d];
    }
    for (let d = 0; d < dIn; d++) out[t * dIn + d] = acc[d];
  }
  return out;
}

/** The SAE layout of `m` (see the header): 'kmeans' when rank is 0 and arch is not forced to 'kflats'. */
export function clusterToSae(m: ClusterModel, arch: ClusterArch = m.rank === 0 ? 'kmeans' : 'kflats'): Sae {
  const { dIn, clusters, rank, means, bases } = m;
  if (arch === 'kmeans' && rank !== 0) throw new Error(`clusterToSae: a k-means model has rank 0, got rank ${rank}`);
  const block = blockOf(rank);
  const dSae = clusters * block;
  const wDec = new Float32Array(dSae * dIn);
  const bEnc = new Float32Array(dSae);
  for (let j = 0; j < clusters; j++) {
    const mu = means.subarray(j * dIn, (j + 1) * dIn);
    wDec.set(mu, j * block * dIn);
    bEnc[j * block] = -0.5 * mu.reduce((s, v) => s + v * v, 0);
    for (let l = 0; l < rank; l++) {
      const u = bases.subarray((j * rank + l) * dIn, (j * rank + l + 1) * dIn);
      const plus = j * block + 1 + 2 * l;
      wDec.set(u, plus * dIn);
      for (let d = 0; d < dIn; d++) wDec[(plus + 1) * dIn + d] = -u[d];
      let c = 0;
      for (let d = 0; d < dIn; d++) c += u[d] * mu[d];
      bEnc[plus] = -c;
      bEnc[plus + 1] = c;
    }
  }
  return { arch, dIn, dSae, k: rank + 1, wEnc: wDec.slice(), bEnc, wDec, bDec: new Float32Array(dIn), logThreshold: new Float32Array(0), batchThreshold: 0, inputScale: 1 };
}

/** The cluster model an SAE-layout 'kmeans' / 'kflats' Sae holds (its means and bases are wDec's rows). */
export function saeToCluster(sae: Sae): ClusterModel {
  if (!isClusterArch(sae.arch)) throw new Error(`saeToCluster: arch ${sae.arch} is an SAE, not a cluster model`);
  const rank = sae.k - 1;
  const block = blockOf(rank);
  if (!(rank >= 0) || sae.dSae % block !== 0 || (sae.arch === 'kmeans' && rank !== 0))
    throw new Error(`saeToCluster: ${sae.arch} with dSae ${sae.dSae} and k ${sae.k}: dSae must be clusters·(2k − 1) with k = rank + 1 (1 for kmeans)`);
  const { dIn } = sae;
  const clusters = sae.dSae / block;
  const m = zeroClusterModel(dIn, clusters, rank);
  for (let j = 0; j < clusters; j++) {
    m.means.set(sae.wDec.subarray(j * block * dIn, (j * block + 1) * dIn), j * dIn);
    for (let l = 0; l < rank; l++) m.bases.set(sae.wDec.subarray((j * block + 1 + 2 * l) * dIn, (j * block + 2 + 2 * l) * dIn), (j * rank + l) * dIn);
  }
  return m;
}

/**
 * The codes of a cluster-layout Sae (encode() in sae.ts asks this for 'kmeans' and 'kflats'): per row the block
 * of its cluster (the residual argmin; x in the model's own units, inputScale applied by the caller) holds 1 and
 * each coordinate's positive or negative part; everything else is 0. x: [rows, dIn] → f: [rows, dSae].
 */
export function clusterCodes(sae: Sae, x: Float32Array, rows: number): Float32Array {
  const m = saeToCluster(sae);
  return blockCodes(m, x, rows, assign(m, x, rows).cluster);
}

/** The SAE-layout codes of rows whose clusters are given (cluster: [rows]), for a model m. x: [rows, dIn] → f: [rows, clusters·(2·rank+1)]. */
export function blockCodes(m: ClusterModel, x: Float32Array, rows: number, cluster: Int32Array): Float32Array {
  const { dIn, rank } = m;
  const block = blockOf(rank);
  const dSae = m.clusters * block;
  const f = new Float32Array(rows * dSae);
  for (let t = 0; t < rows; t++) {
    const j = cluster[t];
    const o = t * dSae + j * block;
    f[o] = 1;
    for (let l = 0; l < rank; l++) {
      const u = (j * rank + l) * dIn;
      let c = 0;
      for (let d = 0; d < dIn; d++) c += m.bases[u + d] * (x[t * dIn + d] - m.means[j * dIn + d]);
      // The pair (+u, −u): the positive part on the first, the negative part on the second (ReLU of ±c).
      if (c > 0) f[o + 1 + 2 * l] = c;
      else if (c < 0) f[o + 2 + 2 * l] = -c;
    }
  }
  return f;
}
