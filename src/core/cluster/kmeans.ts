// The k-means autoencoder (seed-papers §3.3): k-means++ initialisation (Arthur & Vassilvitskii 2007, seeded
// by the project's RNG) and Lloyd's algorithm (lloyd.ts alternationStep with rank 0). Encoder: the nearest
// centroid (ties to the lower index); decoder: x̂ = that centroid. Objective: SSE (model.ts). Imports only src/core.

import type { Rng } from '../math/random.ts';
import { createRng } from '../math/random.ts';
import type { ClusterModel } from './model.ts';
import { zeroClusterModel } from './model.ts';
import type { StepReport } from './lloyd.ts';
import { alternationStep } from './lloyd.ts';

/**
 * k-means++: the first centroid is a uniform row, each next one a row drawn with probability ∝ D(x)², its
 * squared distance to the nearest centroid so far. When every row already coincides with a centroid (D² all 0:
 * fewer distinct rows than clusters) the next one is a uniform row. x: [rows, dIn] → centroids [clusters, dIn].
 */
export function kmeansPlusPlus(x: Float32Array, rows: number, dIn: number, clusters: number, rng: Rng): Float32Array {
  if (rows < 1) throw new Error('kmeansPlusPlus: no rows');
  const c = new Float32Array(clusters * dIn);
  const d2 = new Float64Array(rows).fill(Infinity);
  let pick = rng.int(rows);
  for (let j = 0; j < clusters; j++) {
    c.set(x.subarray(pick * dIn, (pick + 1) * dIn), j * dIn);
    let total = 0;
    for (let t = 0; t < rows; t++) {
      let s = 0;
      for (let d = 0; d < dIn; d++) {
        const v = x[t * dIn + d] - c[j * dIn + d];
        s += v * v;
      }
      if (s < d2[t]) d2[t] = s;
      total += d2[t];
    }
    if (j + 1 === clusters) break;
    if (!(total > 0)) {
      pick = rng.int(rows);
      continue;
    }
    let u = rng.uniform() * total;
    pick = rows - 1;
    for (let t = 0; t < rows; t++) {
      u -= d2[t];
      if (u < 0 && d2[t] > 0) {
        pick = t;
        break;
      }
    }
  }
  return c;
}

/** A k-means model (rank 0) initialised by k-means++ from `seed`. */
export function initKMeans(x: Float32Array, rows: number, dIn: number, clusters: number, seed: number): ClusterModel {
  const m = zeroClusterModel(dIn, clusters, 0);
  m.means.set(kmeansPlusPlus(x, rows, dIn, clusters, createRng(seed)));
  return m;
}

/** One Lloyd step (assign → recompute centroids → reseed empties), in place. */
export function lloydStep(m: ClusterModel, x: Float32Array, rows: number): StepReport {
  if (m.rank !== 0) throw new Error(`lloydStep: a k-means model has rank 0, got ${m.rank} (use alternationStep for k-flats)`);
  return alternationStep(m, x, rows);
}

/** Runs steps until the objective stops falling (relative change ≤ tol) or maxSteps: the final model and each step's objectiveBefore. */
export function runAlternation(m: ClusterModel, x: Float32Array, rows: number, maxSteps = 100, tol = 0): { model: ClusterModel; objectives: number[] } {
  const objectives: number[] = [];
  for (let s = 0; s < maxSteps; s++) {
    const r = alternationStep(m, x, rows);
    objectives.push(r.objectiveBefore);
    const prev = objectives.at(-2);
    if (prev !== undefined && prev - r.objectiveBefore <= tol * prev && r.reseeded.length === 0) break;
  }
  return { model: m, objectives };
}

/** k-means++ then Lloyd to convergence. */
export function fitKMeans(x: Float32Array, rows: number, dIn: number, clusters: number, seed: number, maxSteps = 100): { model: ClusterModel; objectives: number[] } {
  return runAlternation(initKMeans(x, rows, dIn, clusters, seed), x, rows, maxSteps);
}
