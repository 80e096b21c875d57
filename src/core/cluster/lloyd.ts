// One step of the exact alternation for the cluster families (seed-papers §3.4): assign every row to the piece
// with the smallest residual, then refit each piece on its rows (the mean; and for rank r > 0 the top-r local
// principal directions). For rank 0 this IS Lloyd's k-means step; for rank r it is the k-flats step. Both
// conditional steps are optimal, so the objective (model.ts: SSE) never increases. Imports only src/core.
//
// Empty clusters (deterministic, and never raising the objective): after the assignment, each empty cluster,
// in index order, takes the row with the largest residual (lowest row index on ties) that no earlier empty
// cluster took, provided that residual is > 0; its mean becomes that row (residual 0) and its basis is kept.
// A cluster that stays empty keeps its mean and basis. Moving a row to a piece through it lowers its error,
// and the refit that follows lowers the rest, so the step stays monotone.

import type { ClusterModel } from './model.ts';
import { assign } from './model.ts';
import { localPca } from './pca.ts';

export interface StepReport {
  /** SSE of the model before the step (its own assignment): model.ts objective. */
  objectiveBefore: number;
  /** SSE of this step's partition under the refitted pieces (≤ objectiveBefore; ≥ the next step's objectiveBefore). */
  sse: number;
  /** Rows per cluster after reseeding. [clusters] */
  counts: Int32Array;
  /** Clusters that were empty and took a row. */
  reseeded: number[];
  /** Clusters left empty (no row with a positive residual to give them). */
  empty: number[];
  /** The step's partition (after reseeding): [rows]. */
  cluster: Int32Array;
}

/** Rows grouped by cluster: start offsets [clusters + 1] into order [rows] (row indices ascending within a cluster). */
export function groupRows(cluster: Int32Array, clusters: number): { start: Int32Array; order: Int32Array } {
  const start = new Int32Array(clusters + 1);
  for (const j of cluster) start[j + 1]++;
  for (let j = 0; j < clusters; j++) start[j + 1] += start[j];
  const fill = start.slice(0, clusters);
  const order = new Int32Array(cluster.length);
  for (let t = 0; t < cluster.length; t++) order[fill[cluster[t]]++] = t;
  return { start, order };
}

/** Reseeds empty clusters as the header says, mutating cluster/residual (and m.means of the reseeded clusters). */
export function reseedEmpty(m: ClusterModel, x: Float32Array, cluster: Int32Array, residual: Float64Array): { reseeded: number[]; empty: number[] } {
  const counts = new Int32Array(m.clusters);
  for (const j of cluster) counts[j]++;
  const reseeded: number[] = [];
  const empty: number[] = [];
  const taken = new Uint8Array(cluster.length);
  for (let j = 0; j < m.clusters; j++) {
    if (counts[j] > 0) continue;
    let best = -1;
    for (let t = 0; t < cluster.length; t++) if (!taken[t] && residual[t] > 0 && (best < 0 || residual[t] > residual[best])) best = t;
    if (best < 0) {
      empty.push(j);
      continue;
    }
    taken[best] = 1;
    counts[cluster[best]]--;
    counts[j] = 1;
    cluster[best] = j;
    residual[best] = 0;
    m.means.set(x.subarray(best * m.dIn, (best + 1) * m.dIn), j * m.dIn);
    reseeded.push(j);
  }
  return { reseeded, empty };
}

/** Refits every non-empty piece on its rows (mean, and local PCA warm started from its basis). Returns the SSE of the partition under the new pieces. */
export function refit(m: ClusterModel, x: Float32Array, cluster: Int32Array): number {
  const { dIn, clusters, rank } = m;
  const { start, order } = groupRows(cluster, clusters);
  for (let j = 0; j < clusters; j++) {
    const idx = order.subarray(start[j], start[j + 1]);
    if (idx.length === 0) continue;
    const prev = rank > 0 ? m.bases.slice(j * rank * dIn, (j + 1) * rank * dIn) : null;
    const { mean, basis } = localPca(x, dIn, idx, rank, prev);
    m.means.set(mean, j * dIn);
    if (rank > 0) m.bases.set(basis, j * rank * dIn);
  }
  // SSE of this partition under the refitted pieces (each row to its step's cluster, not re-assigned).
  let sse = 0;
  const diff = new Float64Array(dIn);
  for (let t = 0; t < cluster.length; t++) {
    const j = cluster[t];
    let r = 0;
    for (let d = 0; d < dIn; d++) {
      diff[d] = x[t * dIn + d] - m.means[j * dIn + d];
      r += diff[d] * diff[d];
    }
    for (let l = 0; l < rank; l++) {
      let c = 0;
      for (let d = 0; d < dIn; d++) c += m.bases[(j * rank + l) * dIn + d] * diff[d];
      r -= c * c;
    }
    sse += Math.max(0, r);
  }
  return sse;
}

/** One alternation step on all rows of x [rows, dIn], in place on m. Lloyd's step when m.rank is 0. */
export function alternationStep(m: ClusterModel, x: Float32Array, rows: number): StepReport {
  const { cluster, residual } = assign(m, x, rows);
  const objectiveBefore = residual.reduce((s, r) => s + r, 0);
  const { reseeded, empty } = reseedEmpty(m, x, cluster, residual);
  const sse = refit(m, x, cluster);
  const counts = new Int32Array(m.clusters);
  for (const j of cluster) counts[j]++;
  return { objectiveBefore, sse, counts, reseeded, empty, cluster };
}
