// A k-means / k-flats model in the SAE layout (src/core/cluster/model.ts) drawn on a plane: its region at a
// point is the cluster assign() gives the point (the residual argmin), with the model's inputScale applied,
// and power-diagram cells are refused for it.
import { describe, expect, it } from 'vitest';
import { assign, clusterToSae, zeroClusterModel } from '../../../src/core/cluster/model.ts';
import { planeThrough } from '../../../src/core/geometry/plane.ts';
import { regionLabel } from '../../../src/core/geometry/regions.ts';
import { planeScoresOfSae } from '../../../src/core/geometry/scores.ts';
import { createRng } from '../../../src/core/math/random.ts';

describe('cluster models on a plane', () => {
  for (const rank of [0, 1]) {
    it(`rank ${rank}: the region of a point is its cluster (inputScale 0.5)`, () => {
      const rng = createRng(7 + rank);
      const dIn = 5, clusters = 4;
      const m = zeroClusterModel(dIn, clusters, rank);
      for (let i = 0; i < m.means.length; i++) m.means[i] = rng.normal() * 2;
      for (let j = 0; j < clusters * rank; j++) {
        const u = Array.from({ length: dIn }, () => rng.normal());
        const n = Math.hypot(...u);
        m.bases.set(u.map((v) => v / n), j * dIn);
      }
      const sae = { ...clusterToSae(m), inputScale: 0.5 };
      const pts = Array.from({ length: 3 }, () => Float32Array.from({ length: dIn }, () => rng.normal() * 4));
      const plane = planeThrough(pts[0], pts[1], pts[2]);
      const scores = planeScoresOfSae(sae, plane);
      let checked = 0;
      for (let t = 0; t < 200; t++) {
        const u = rng.normal() * 2, v = rng.normal() * 2;
        const x = new Float32Array(dIn);
        for (let d = 0; d < dIn; d++) x[d] = 0.5 * (plane.origin[d] + u * plane.e1[d] + v * plane.e2[d]);
        const { cluster, residual } = assign(m, x, 1);
        // skip near-ties, where f32 scores and f64 residuals may order two clusters differently
        const second = Math.min(...Array.from({ length: clusters }, (_, j) => j).filter((j) => j !== cluster[0]).map((j) => assign({ ...m, clusters: 1, means: m.means.subarray(j * dIn, (j + 1) * dIn), bases: m.bases.subarray(j * rank * dIn, (j + 1) * rank * dIn) }, x, 1).residual[0]));
        if (second - residual[0] < 1e-3) continue;
        expect(regionLabel(scores, u, v)).toEqual([cluster[0]]);
        checked++;
      }
      expect(checked).toBeGreaterThan(150);
      expect(() => planeScoresOfSae(sae, plane, 'power')).toThrow(/power-diagram cells are defined for TopK SAEs, this model is k(means|flats)/);
    });
  }
});
