// The lab's k-means and local-PCA panels on core's cluster families: each lab step is one Lloyd / k-flats step
// (the MSE never rises), k-means on three far-apart pairs finds them exactly, rank-1 flats reconstruct points on
// their lines exactly, the toy variant's drawn cells are the local PCA of its k-means cells, dragging a mean moves
// it (and the toy's centroid underneath), the hover readout is the model's own assignment, and k above the points
// is refused with a message.
import { describe, expect, it } from 'vitest';
import { createKFlatsModel, createKMeansModel } from '../../../src/core/lab/clusterModel.ts';
import { presetPoints, type LabPoints } from '../../../src/core/lab/datasets.ts';
import { DEFAULT_LAB_STATE, type LabState } from '../../../src/core/lab/state.ts';
import { regionLabel } from '../../../src/core/geometry/regions.ts';

const toy = presetPoints({ preset: 'toy', points: 100, seed: 0, features: 5 });
const state = (patch: Partial<LabState> = {}): LabState => ({ ...DEFAULT_LAB_STATE, ...patch });

describe('lab cluster panels', () => {
  it('k-means: the MSE never rises step by step; three tight pairs are found exactly', () => {
    const m = createKMeansModel(toy, state({ clusters: 3 }));
    let last = m.mse();
    for (let i = 0; i < 15; i++) {
      m.step();
      expect(m.mse()).toBeLessThanOrEqual(last + 1e-6);
      last = m.mse();
    }
    expect(m.steps).toBe(15);
    const pairs: LabPoints = { n: 6, xy: Float32Array.of(0, 0, 0, 0.2, 5, 5, 5, 5.2, -5, 5, -5, 5.2) };
    const k = createKMeansModel(pairs, state({ clusters: 3 }));
    for (let i = 0; i < 5; i++) k.step();
    expect(k.mse()).toBeCloseTo(0.01, 6); // each point 0.1 from its pair's mean: 0.01
  });

  it('k-flats (rank 1): points on three lines are reconstructed exactly; it beats k-means on the toy', () => {
    const lines: LabPoints = { n: 9, xy: Float32Array.of(0, 0, 1, 0, 2, 0, 10, 10, 10, 11, 10, 12, -10, 0, -11, 1, -12, 2) };
    const f = createKFlatsModel(lines, state({ clusters: 3, rank: 1 }));
    for (let i = 0; i < 10; i++) f.step();
    expect(f.mse()).toBeLessThan(1e-9);
    const km = createKMeansModel(toy, state({ clusters: 3 }));
    const kf = createKFlatsModel(toy, state({ clusters: 3, rank: 1 }));
    for (let i = 0; i < 20; i++) {
      km.step();
      kf.step();
    }
    expect(kf.mse()).toBeLessThan(km.mse());
    const o = kf.overlay();
    expect([o.units, o.sites.length, o.arrows.length, o.radii.length]).toEqual([3, 6, 12, 0]);
  });

  it('the toy variant (k-means then PCA per cluster) steps its k-means; a dragged mean moves it', () => {
    const t = createKFlatsModel(toy, state({ clusters: 3, rank: 1, flats: 'kmeans-pca' }));
    for (let i = 0; i < 10; i++) t.step();
    const before = t.mse();
    t.drag('site', 1, 1.9, -1.9);
    const o = t.overlay();
    expect([o.sites[2], o.sites[3]]).toEqual([expect.closeTo(1.9, 5), expect.closeTo(-1.9, 5)]);
    expect(t.mse()).not.toBe(before);
  });

  it('hover is the panel’s own cell (the geometry label) with x̂ and the error; k above the points is refused', () => {
    const m = createKMeansModel(toy, state({ clusters: 4 }));
    for (let i = 0; i < 5; i++) m.step();
    const h = m.hover(0.3, -0.7);
    expect([h.active[0].unit]).toEqual(regionLabel(m.scores(), 0.3, -0.7));
    const c = m.overlay().sites;
    const j = h.active[0].unit;
    expect(h.xHat).toEqual([c[2 * j], c[2 * j + 1]]);
    expect(h.error).toBeCloseTo((0.3 - c[2 * j]) ** 2 + (-0.7 - c[2 * j + 1]) ** 2, 5);
    expect(() => createKMeansModel({ n: 3, xy: new Float32Array(6) }, state({ clusters: 5 }))).toThrow(/k = 5 regions but only 3 points: lower k or add points/);
  });
});
