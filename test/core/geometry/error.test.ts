// Per-pixel reconstruction error on a plane (src/core/geometry/error.ts) against the model's own forward pass:
// ‖x − decode(encode(s·x))/s‖² at every pixel of a grid, for every SAE architecture (input scaling on, a plane
// through three points of 6-D), and the residual of the winning cell for k-means / k-flats. Tolerance: rtol 1e-4
// + atol 1e-5 (the forward pass rounds z and x̂ to f32; the plane formula sums in f64).
import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../../src/core/math/random.ts';
import { decode, encode, scaleInput } from '../../../src/core/sae/sae.ts';
import type { Arch } from '../../../src/core/sae/types.ts';
import { planePoint, planeThrough } from '../../../src/core/geometry/plane.ts';
import { gridPoint, type Grid } from '../../../src/core/geometry/regions.ts';
import { planeScoresOfKFlats, planeScoresOfKMeans, planeScoresOfSae } from '../../../src/core/geometry/scores.ts';
import { errorGrid, planeErrorOfSae } from '../../../src/core/geometry/error.ts';
import { randomSae } from '../../helpers/saes.ts';
import { expectClose } from '../../helpers/close.ts';

const vec = (n: number, rng: Rng): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
const grid: Grid = { width: 13, height: 11, u0: -2.5, u1: 2.5, v0: -2, v1: 2 };
const TOL = { atol: 1e-5, rtol: 1e-4 };

describe('errorGrid = ‖x − x̂‖² of the forward pass at every pixel', () => {
  const cases: [string, Arch, boolean][] = [['topk', 'topk', false], ['topk signed', 'topk', true], ['batchtopk', 'batchtopk', false], ['relu', 'relu', false], ['jumprelu', 'jumprelu', false]];
  for (const [name, arch, signed] of cases) {
    it(`${name} (dIn 6, dSae 15, k 4, inputScale 1.7)`, () => {
      const rng = createRng(name.length * 31);
      const sae = { ...randomSae(arch, 6, 15, 4, 1.7, rng), ...(signed ? { topkSigned: true } : {}) };
      const plane = planeThrough(vec(6, rng), vec(6, rng), vec(6, rng));
      const got = errorGrid(planeScoresOfSae(sae, plane), planeErrorOfSae(sae, plane), grid);
      const want: number[] = [];
      for (let r = 0; r < grid.height; r++) {
        for (let c = 0; c < grid.width; c++) {
          const x = planePoint(plane, ...gridPoint(grid, c, r));
          const { f } = encode(sae, scaleInput(x, sae.inputScale), 1);
          const xHat = decode(sae, f, 1);
          want.push(x.reduce((a, xd, d) => a + (xd - xHat[d] / sae.inputScale) ** 2, 0));
        }
      }
      expectClose(got, want, TOL, `${name} error`);
      expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.1); // the error varies: not a constant
    });
  }

  it('k-means and k-flats: the winning cell\'s residual', () => {
    const rng = createRng(2);
    const [dIn, k] = [4, 5];
    const mu = vec(k * dIn, rng);
    const plane = planeThrough(vec(dIn, rng), vec(dIn, rng), vec(dIn, rng));
    const km = errorGrid(planeScoresOfKMeans(mu, k, plane), null, grid);
    const basis = new Float32Array(k * dIn);
    for (let j = 0; j < k; j++) basis[j * dIn + (j % dIn)] = 1; // rank 1: axis j mod dIn
    const kf = errorGrid(planeScoresOfKFlats(mu, basis, k, 1, plane), null, grid);
    const wantKm: number[] = [];
    const wantKf: number[] = [];
    for (let r = 0; r < grid.height; r++) {
      for (let c = 0; c < grid.width; c++) {
        const x = planePoint(plane, ...gridPoint(grid, c, r));
        const d2 = (j: number, skip: number): number => x.reduce((a, xd, d) => a + (d === skip ? 0 : (xd - mu[j * dIn + d]) ** 2), 0);
        wantKm.push(Math.min(...Array.from({ length: k }, (_, j) => d2(j, -1))));
        wantKf.push(Math.min(...Array.from({ length: k }, (_, j) => d2(j, j % dIn))));
      }
    }
    expectClose(km, wantKm, TOL, 'k-means error');
    expectClose(kf, wantKf, TOL, 'k-flats error');
  });

  it('refuses SAE scores without their error terms', () => {
    const sae = randomSae('relu', 2, 3, 0, 1, createRng(1));
    const plane = planeThrough([0, 0], [1, 0], [0, 1]);
    expect(() => errorGrid(planeScoresOfSae(sae, plane), null, grid)).toThrow(/threshold scores need the model's error terms for 3 units/);
  });
});
