// The k-means autoencoder as a Top-1 SAE with fixed value 1, trained by gradient (seed-papers §3.3): its
// argmax is the nearest centroid, and Adam on the MSE reaches Lloyd's fixed point from the same start.
// Also the local-PCA routes (scatter matrix vs subspace iteration) agree.
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/math/random.ts';
import { assign, cloneClusterModel, objective } from '../../../src/core/cluster/model.ts';
import { initKMeans, runAlternation } from '../../../src/core/cluster/kmeans.ts';
import { createTop1Trainer, top1Scores } from '../../../src/core/cluster/top1.ts';
import { COVARIANCE_MAX_DIN, captured, localPca } from '../../../src/core/cluster/pca.ts';
import { symmetricEigen } from '../../../src/core/math/eigen.ts';

function blobs(rows: number, dIn: number, centres: number, seed: number, spread: number): Float32Array {
  const rng = createRng(seed);
  const c = Float64Array.from({ length: centres * dIn }, () => 3 * rng.normal());
  const x = new Float32Array(rows * dIn);
  for (let t = 0; t < rows; t++) {
    const j = t % centres;
    for (let d = 0; d < dIn; d++) x[t * dIn + d] = c[j * dIn + d] + spread * rng.normal();
  }
  return x;
}

describe('the Top-1 SAE form of k-means', () => {
  it('argmax of c·x − ‖c‖²/2 is the nearest centroid', () => {
    const x = blobs(200, 6, 5, 3, 2);
    const m = initKMeans(x, 200, 6, 7, 1);
    const s = top1Scores(m.means, 7, x, 200, 6);
    const { cluster } = assign(m, x, 200);
    for (let t = 0; t < 200; t++) {
      const row = Array.from(s.subarray(t * 7, t * 7 + 7));
      expect(row.indexOf(Math.max(...row))).toBe(cluster[t]);
    }
  });

  it('Adam on the MSE (full batch, lr decaying to 0) reaches Lloyd\'s fixed point: centroids within 1e-3, objective within 1e-5 relative', () => {
    const rows = 150;
    const x = blobs(rows, 2, 3, 11, 0.6);
    const start = initKMeans(x, rows, 2, 3, 4);
    const lloyd = runAlternation(cloneClusterModel(start), x, rows).model;
    const g = cloneClusterModel(start);
    const steps = 3000;
    const t = createTop1Trainer(g, x, rows, { lr: 0.05, batch: rows, seed: 0 });
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) losses.push(t.trainStep(0.05 * (1 - s / steps)).mse);
    for (let i = 0; i < g.means.length; i++) expect(Math.abs(g.means[i] - lloyd.means[i])).toBeLessThan(1e-3);
    const a = objective(g, x, rows);
    const b = objective(lloyd, x, rows);
    expect(Math.abs(a - b)).toBeLessThan(1e-5 * b);
    expect(Array.from(assign(g, x, rows).cluster)).toEqual(Array.from(assign(lloyd, x, rows).cluster));
    expect(losses.at(-1)).toBeLessThan(losses[0]);
  });

  it('mini-batches are seeded: the same seed gives the same centroids', () => {
    const x = blobs(64, 3, 4, 5, 1);
    const run = (seed: number): number[] => {
      const m = initKMeans(x, 64, 3, 4, 0);
      const t = createTop1Trainer(m, x, 64, { lr: 0.01, batch: 16, seed });
      for (let s = 0; s < 20; s++) t.trainStep();
      return Array.from(m.means);
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });
});

describe('local PCA routes', () => {
  it(`the subspace-iteration route (dIn > ${COVARIANCE_MAX_DIN}) captures the scatter the exact eigenvectors do`, () => {
    const dIn = COVARIANCE_MAX_DIN + 7;
    const rows = 90;
    const rng = createRng(2);
    // Anisotropic data: a few strong directions.
    const x = new Float32Array(rows * dIn);
    for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) x[t * dIn + d] = rng.normal() * (d < 3 ? 5 - d : 0.3);
    const idx = Int32Array.from({ length: rows }, (_, i) => i);
    const r = 3;
    const { mean, basis } = localPca(x, dIn, idx, r);
    const s = new Float64Array(dIn * dIn);
    for (let t = 0; t < rows; t++)
      for (let a = 0; a < dIn; a++) for (let b = 0; b < dIn; b++) s[a * dIn + b] += (x[t * dIn + a] - mean[a]) * (x[t * dIn + b] - mean[b]);
    const exact = symmetricEigen(s, dIn);
    const want = exact.values[0] + exact.values[1] + exact.values[2];
    expect(Math.abs(captured(x, dIn, idx, mean, basis, r) - want)).toBeLessThan(1e-6 * want);
  });
});
