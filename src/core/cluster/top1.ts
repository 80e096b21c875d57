// The k-means autoencoder as a Top-1 SAE with fixed value 1, trained by gradient (seed-papers §3.3):
//   score_i(x) = c_i·x − ‖c_i‖²/2        the SAE encoder z = (x − bDec)·wEncᵀ + bEnc with wEnc = C,
//                                        bEnc_i = −‖c_i‖²/2, bDec = 0 (model.ts clusterToSae)
//   j(x) = argmax_i score_i(x)           = the nearest centroid (‖x − c_i‖² = ‖x‖² − 2·score_i); TopK with k = 1
//   x̂ = c_{j(x)}                          decoder row j = c_j, the selected value replaced by the constant 1
//   loss = (1/B)·Σ_batch ‖x − x̂‖²         the project's MSE (summed over dims, mean over rows)
// The selection is piecewise constant, so the gradient reaches only the decoder: ∂loss/∂c_j = −(2/B)·Σ_{x→j}(x − c_j),
// and the encoder is tied to it (wEnc = C). Its stationary points are exactly Lloyd's fixed points (every
// centroid the mean of its cell), which test/core/cluster/top1.test.ts checks against lloyd.ts. Optimiser: Adam
// (bias-corrected, as optim.ts) on C, on seeded mini-batches (or the full data with batch = rows). Imports only src/core.

import type { ClusterModel } from './model.ts';
import { assign } from './model.ts';
import { createRng, permutation } from '../math/random.ts';

/** The Top-1 SAE's pre-activations. x: [rows, dIn], centroids: [clusters, dIn] → [rows, clusters] (f64). */
export function top1Scores(centroids: Float32Array, clusters: number, x: Float32Array, rows: number, dIn: number): Float64Array {
  const s = new Float64Array(rows * clusters);
  const half = new Float64Array(clusters);
  for (let i = 0; i < clusters; i++) for (let d = 0; d < dIn; d++) half[i] += 0.5 * centroids[i * dIn + d] ** 2;
  for (let t = 0; t < rows; t++)
    for (let i = 0; i < clusters; i++) {
      let acc = -half[i];
      for (let d = 0; d < dIn; d++) acc += centroids[i * dIn + d] * x[t * dIn + d];
      s[t * clusters + i] = acc;
    }
  return s;
}

export interface Top1Options {
  lr: number;
  /** Rows per step; rows = full-batch gradient descent. */
  batch: number;
  /** Seeds the batch order. */
  seed: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface Top1Trainer {
  /** The live k-means model (rank 0; its means are C). */
  readonly model: ClusterModel;
  readonly step: number;
  /** One Adam step on one batch; returns the batch's MSE (before the update), rows per cluster in it, the gradient's norm and the batch's row indices. */
  trainStep(lr?: number): { mse: number; counts: Int32Array; gradNorm: number; batch: Int32Array };
}

/** Trains `model` (rank 0, mutated in place) on x [rows, dIn]. */
export function createTop1Trainer(model: ClusterModel, x: Float32Array, rows: number, o: Top1Options): Top1Trainer {
  if (model.rank !== 0) throw new Error(`createTop1Trainer: the Top-1 SAE is the k-means model (rank 0), got rank ${model.rank}`);
  const { dIn, clusters } = model;
  const c = model.means;
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const m = new Float64Array(c.length);
  const v = new Float64Array(c.length);
  const rng = createRng(o.seed);
  let order = permutation(rows, rng);
  let pos = 0;
  let step = 0;
  const xb = new Float32Array(o.batch * dIn);
  const ids = new Int32Array(o.batch);
  return {
    model,
    get step() {
      return step;
    },
    trainStep(lr = o.lr) {
      for (let i = 0; i < o.batch; i++) {
        if (pos === rows) {
          order = permutation(rows, rng);
          pos = 0;
        }
        ids[i] = order[pos++];
        xb.set(x.subarray(ids[i] * dIn, (ids[i] + 1) * dIn), i * dIn);
      }
      const { cluster, residual } = assign(model, xb, o.batch);
      const g = new Float64Array(c.length);
      const counts = new Int32Array(clusters);
      for (let t = 0; t < o.batch; t++) {
        const j = cluster[t];
        counts[j]++;
        for (let d = 0; d < dIn; d++) g[j * dIn + d] -= (2 / o.batch) * (xb[t * dIn + d] - c[j * dIn + d]);
      }
      let gg = 0;
      for (const gi of g) gg += gi * gi;
      step += 1;
      const c1 = 1 - b1 ** step;
      const c2 = 1 - b2 ** step;
      for (let i = 0; i < c.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        c[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
      return { mse: residual.reduce((s, r) => s + r, 0) / o.batch, counts, gradNorm: Math.sqrt(gg), batch: ids.slice() };
    },
  };
}
