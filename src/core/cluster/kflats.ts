// k-means + local PCA (seed-papers §3.4): k-flats of rank r, both ways the paper names. Imports only src/core.
//   - 'lloyd' (the exact alternation): k-means++ means, pieces refitted by local PCA on that Voronoi partition,
//     then alternationStep (assign each row to the flat with the smallest residual, refit mean and top-r
//     directions) until the objective stops falling. Monotone; r = 0 is k-means step for step.
//   - 'kmeans-then-pca' (the official toy, exp_e1_*): k-means to convergence, then the top-r principal
//     directions of each k-means cluster, no reassignment. Its `toyObjective` is the paper's number (SSE with
//     the k-means assignment); the model it returns, like every k-flats model, encodes by the residual
//     argmin (model.ts), whose SSE can only be lower.

import type { ClusterModel } from './model.ts';
import { assign, zeroClusterModel } from './model.ts';
import { refit } from './lloyd.ts';
import { initKMeans, runAlternation } from './kmeans.ts';

/** k-means++ means; each piece's basis: local PCA of its k-means++ Voronoi cell (rank r ≤ dIn). */
export function initKFlats(x: Float32Array, rows: number, dIn: number, clusters: number, rank: number, seed: number): ClusterModel {
  if (!(rank >= 0 && rank <= dIn)) throw new Error(`initKFlats: rank must be in [0, dIn=${dIn}], got ${rank}`);
  const km = initKMeans(x, rows, dIn, clusters, seed);
  const m = zeroClusterModel(dIn, clusters, rank);
  m.means.set(km.means);
  if (rank === 0) return m;
  // Deterministic starting bases (e_0..e_{r−1}) so the refit's warm start and keep-the-better guard are defined.
  for (let j = 0; j < clusters; j++) for (let l = 0; l < rank; l++) m.bases[(j * rank + l) * dIn + l] = 1;
  refit(m, x, assign(km, x, rows).cluster);
  return m;
}

/** The exact k-flats alternation from initKFlats. */
export function fitKFlats(x: Float32Array, rows: number, dIn: number, clusters: number, rank: number, seed: number, maxSteps = 100): { model: ClusterModel; objectives: number[] } {
  return runAlternation(initKFlats(x, rows, dIn, clusters, rank, seed), x, rows, maxSteps);
}

/** Local PCA of rank r on a fixed partition: the pieces of `km`'s clusters (no reassignment). Returns the model and the SSE with that partition. */
export function pcaPerCluster(km: ClusterModel, x: Float32Array, rows: number, rank: number): { model: ClusterModel; toyObjective: number } {
  const { dIn, clusters } = km;
  const m = zeroClusterModel(dIn, clusters, rank);
  m.means.set(km.means);
  for (let j = 0; j < clusters; j++) for (let l = 0; l < rank; l++) m.bases[(j * rank + l) * dIn + l] = 1;
  const toyObjective = refit(m, x, assign(km, x, rows).cluster);
  return { model: m, toyObjective };
}

/** The paper's toy: k-means (k-means++ and Lloyd to convergence), then PCA per cluster. */
export function fitToyKFlats(x: Float32Array, rows: number, dIn: number, clusters: number, rank: number, seed: number, maxSteps = 100): { model: ClusterModel; toyObjective: number; kmeansObjective: number } {
  const km = runAlternation(initKMeans(x, rows, dIn, clusters, seed), x, rows, maxSteps);
  const { model, toyObjective } = pcaPerCluster(km.model, x, rows, rank);
  return { model, toyObjective, kmeansObjective: assign(km.model, x, rows).residual.reduce((s, r) => s + r, 0) };
}

/** A rank-r model whose pieces are the local PCA of a given partition (cluster: [rows], values in [0, clusters)). */
export function modelOfPartition(x: Float32Array, dIn: number, cluster: Int32Array, clusters: number, rank: number): ClusterModel {
  const m = zeroClusterModel(dIn, clusters, rank);
  for (let j = 0; j < clusters; j++) for (let l = 0; l < rank; l++) m.bases[(j * rank + l) * dIn + l] = 1;
  refit(m, x, cluster);
  return m;
}
