// TopK cells = order-k power-diagram cells (seed-papers §3.5) at every grid point: on random SAEs (2-D and a
// plane through three points of a 6-D space, input scaling on), on a TopK SAE trained by the core trainer, and
// the Top-1 SAE of k-means centroids = the Voronoi diagram of the centroids. Also the drawing quantities.
import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../../src/core/math/random.ts';
import { createTrainer } from '../../../src/core/sae/train.ts';
import { identityPlane, planeThrough } from '../../../src/core/geometry/plane.ts';
import { boundaryMask, gridPoint, regionLabel, type Grid } from '../../../src/core/geometry/regions.ts';
import { planeScoresOfKMeans, planeScoresOfSae, scoreAt } from '../../../src/core/geometry/scores.ts';
import { checkPowerCells, decoderArrows, powerCell, powerDiagramOfSae, powerDistance, thresholdLines, top1SaeOfCentroids } from '../../../src/core/geometry/power.ts';
import { randomSae } from '../../helpers/saes.ts';

const randomVec = (n: number, rng: Rng): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
const GRID: Grid = { width: 48, height: 40, u0: -3, u1: 3, v0: -2.5, v1: 2.5 };

describe('power diagram of a TopK SAE', () => {
  it('pow_i(u, v) = ‖(u, v)‖² − λ·z_i for λ = 1 and 2; radii² = α − min α', () => {
    const rng = createRng(1);
    const sae = randomSae('topk', 2, 10, 3, 1.3, rng);
    const scores = planeScoresOfSae(sae, identityPlane(), 'power');
    for (const lambda of [1, 2]) {
      const pd = powerDiagramOfSae(sae, identityPlane(), lambda);
      for (let t = 0; t < 50; t++) {
        const [u, v] = [rng.normal(), rng.normal()];
        for (let i = 0; i < 10; i++) expect(powerDistance(pd, i, u, v)).toBeCloseTo(u * u + v * v - lambda * scoreAt(scores.coef, i, u, v), 9);
      }
      const minW = Math.min(...pd.weights);
      pd.radii.forEach((r, i) => expect(r * r).toBeCloseTo(pd.weights[i] - minW, 9));
      expect(Math.min(...pd.radii)).toBe(0);
    }
  });

  for (const [name, dIn, seed] of [['2-D model', 2, 7], ['plane through three points of 6-D', 6, 8]] as const) {
    for (const k of [1, 3, 5]) {
      it(`${name}, k = ${k}: TopK set of the forward pass = k nearest sites in power distance at all ${GRID.width * GRID.height} grid points`, () => {
        const rng = createRng(seed * 10 + k);
        const sae = randomSae('topk', dIn, 14, k, 1.5, rng);
        const plane = dIn === 2 ? identityPlane() : planeThrough(randomVec(dIn, rng), randomVec(dIn, rng), randomVec(dIn, rng));
        const check = checkPowerCells(sae, plane, GRID);
        expect(check.points).toBe(GRID.width * GRID.height);
        expect(check.mismatchesForward, JSON.stringify(check.firstMismatch)).toBe(0);
        expect(check.mismatchesScores).toBe(0);
        expect(check.cells).toBeGreaterThan(4);
      });
    }
  }

  it('on a TopK SAE trained by the core trainer (2-D three-cluster data, 12 latents, k = 2, 300 steps)', () => {
    const rng = createRng(21);
    const rows = 600;
    const x = new Float32Array(rows * 2);
    const centres = [[-1.5, 0], [1, 1], [0.5, -1.5]];
    for (let r = 0; r < rows; r++) {
      const c = centres[r % 3];
      x[2 * r] = c[0] + 0.3 * rng.normal();
      x[2 * r + 1] = c[1] + 0.3 * rng.normal();
    }
    const trainer = createTrainer({ name: 'toy', rows, dIn: 2, x }, { arch: 'topk', dSae: 12, k: 2, steps: 300, batch: 32, lr: 3e-3, seed: 3 });
    const before = trainer.sae.wEnc.slice();
    let mse = Infinity;
    for (let s = 0; s < 300; s++) mse = trainer.trainStep().mse;
    expect(trainer.sae.wEnc).not.toEqual(before); // it trained
    expect(Number.isFinite(mse)).toBe(true);
    const check = checkPowerCells(trainer.sae, identityPlane(), GRID);
    expect(check.mismatchesForward, JSON.stringify(check.firstMismatch)).toBe(0);
    expect(check.mismatchesScores).toBe(0);
    expect(check.cells).toBeGreaterThan(3);
  });

  it('the Top-1 SAE of k-means centroids: sites = centroids and equal weights at λ = 2, cells = Voronoi = argmin of the k-means scores', () => {
    const rng = createRng(5);
    const k = 6;
    const mu = Float32Array.from({ length: k * 2 }, () => 1.5 * rng.normal());
    const sae = top1SaeOfCentroids(mu, k, 2);
    const pd = powerDiagramOfSae(sae, identityPlane(), 2);
    pd.sites.forEach((c, j) => expect(c).toBeCloseTo(mu[j], 6));
    pd.weights.forEach((w) => expect(w).toBeCloseTo(0, 5));
    const kmeans = planeScoresOfKMeans(mu, k, identityPlane());
    const seen = new Set<number>();
    for (let row = 0; row < GRID.height; row++) {
      for (let col = 0; col < GRID.width; col++) {
        const [u, v] = gridPoint(GRID, col, row);
        const dist = Array.from({ length: k }, (_, j) => (u - mu[2 * j]) ** 2 + (v - mu[2 * j + 1]) ** 2);
        const nearest = dist.indexOf(Math.min(...dist));
        seen.add(nearest);
        expect(powerCell(pd, u, v)).toEqual([nearest]);
        expect(regionLabel(kmeans, u, v)).toEqual([nearest]);
      }
    }
    expect(seen.size).toBeGreaterThan(2);
    expect(checkPowerCells(sae, identityPlane(), GRID).mismatchesForward).toBe(0);
  });

  it('decoder arrows are wDec_i / inputScale projected onto the plane', () => {
    const sae = randomSae('topk', 2, 3, 1, 2, createRng(2));
    const arrows = decoderArrows(sae, identityPlane());
    arrows.forEach((a, j) => expect(a).toBeCloseTo(sae.wDec[j] / 2, 6));
  });

  it('refuses ReLU and signed TopK SAEs with the reason', () => {
    expect(() => powerDiagramOfSae(randomSae('relu', 2, 3, 0, 1, createRng(1)), identityPlane())).toThrow(/TopK.*relu/);
    const signed = { ...randomSae('topk', 2, 3, 1, 1, createRng(1)), topkSigned: true };
    expect(() => powerDiagramOfSae(signed, identityPlane())).toThrow(/signed/);
    expect(() => powerDiagramOfSae(randomSae('topk', 2, 3, 1, 1, createRng(1)), identityPlane(), 0)).toThrow(/λ must be > 0, got 0/);
  });
});

describe('overlay helpers', () => {
  it('thresholdLines: the active side is where nu·u + nv·v + c > 0, and the line passes through s_i = θ_i', () => {
    const rng = createRng(11);
    const sae = randomSae('jumprelu', 2, 6, 0, 1.2, rng);
    const scores = planeScoresOfSae(sae, identityPlane());
    const lines = thresholdLines(scores);
    for (let t = 0; t < 100; t++) {
      const [u, v] = [2 * rng.normal(), 2 * rng.normal()];
      const label = regionLabel(scores, u, v);
      for (let i = 0; i < 6; i++) expect(lines[3 * i] * u + lines[3 * i + 1] * v + lines[3 * i + 2] > 0).toBe(label.includes(i));
      expect(Math.hypot(lines[0], lines[1])).toBeCloseTo(1, 9);
    }
    expect(() => thresholdLines(planeScoresOfSae(randomSae('topk', 2, 3, 1, 1, rng), identityPlane()))).toThrow(/got rule topk/);
  });
  it('boundaryMask marks pixels whose right or lower neighbour is in another cell', () => {
    const ids = Uint32Array.from([1, 1, 2, 1, 1, 2, 3, 3, 3]);
    expect(Array.from(boundaryMask(ids, 3, 3))).toEqual([0, 1, 0, 1, 1, 1, 0, 0, 0]);
    expect(() => boundaryMask(ids, 2, 2)).toThrow(/= 4 values.*got 9/);
  });
});
