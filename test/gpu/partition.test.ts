// shaders/partition.wgsl (through its engine wrapper src/engine/geometry/partitionGpu.ts) against its twin
// src/core/geometry/regions.ts:regionIds: every rule (topk by value, by |s|, with ReLU; threshold; argmin), one
// and two id words, grids of 1×1, odd sides and the 8-pixel tile ± 1, 1 unit, units at the 64-unit coefficient
// tile ± 1, k = 1 and k = units, k = KMAX = 32; ties; the refusal past KMAX and the CPU fallback.
// Imports src/core, src/gpu, src/engine and the test helpers; Node + Dawn (SwiftShader) only.
//
// Tolerance: exact ids. The exactness cases use dyadic data: coefficients are multiples of 1/4 in [−4, 4] and
// the grid's pixel centres multiples of 1/4 (range = side/2), so every score is exact in f32 (< 2^24 units of
// 1/64) and the f32 kernel and the f64 twin see the same numbers — including the many exact ties such coarse
// values make. Generic floats (a random SAE) may differ only at pixels within f32 rounding of a boundary;
// that case counts them and bounds them by the f32 margin.

import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../src/core/math/random.ts';
import { identityPlane } from '../../src/core/geometry/plane.ts';
import { gridPoint, regionIds, type Grid } from '../../src/core/geometry/regions.ts';
import { planeScoresOfSae, scoreAt, type PlaneScores, type RegionRule } from '../../src/core/geometry/scores.ts';
import { createPartitionGpu, partitionError, partitionIds, type PartitionGpu } from '../../src/engine/geometry/partitionGpu.ts';
import { errorGrid, planeErrorOfSae } from '../../src/core/geometry/error.ts';
import { planeThrough } from '../../src/core/geometry/plane.ts';
import { planeScoresOfKFlats, planeScoresOfKMeans } from '../../src/core/geometry/scores.ts';
import type { Arch } from '../../src/core/sae/types.ts';
import { PARTITION_KMAX } from '../../src/gpu/kernels/partition.ts';
import { randomSae } from '../helpers/saes.ts';
import { useGpu, withErrorScope } from '../helpers/gpu.ts';

const gpu = useGpu();
let partition: PartitionGpu | null = null;
async function kernel(): Promise<PartitionGpu> {
  partition ??= await createPartitionGpu(gpu().device);
  return partition;
}

const quarter = (rng: Rng): number => (rng.int(33) - 16) / 4; // multiples of 1/4 in [−4, 4]

function dyadicScores(units: number, rule: RegionRule, rng: Rng): PlaneScores {
  return { units, coef: Float32Array.from({ length: units * 6 }, () => quarter(rng)), rule };
}

/** Pixel centres at multiples of 1/4: u = −W/4 + (col + ½)/2. */
const dyadicGrid = (width: number, height: number): Grid => ({ width, height, u0: -width / 4, u1: width / 4, v0: -height / 4, v1: height / 4 });

async function expectSameIds(scores: PlaneScores, grid: Grid, words: 1 | 2, what: string): Promise<void> {
  const p = await kernel();
  const got = await withErrorScope(gpu().device, () => p.regionIds(scores, grid, words), what);
  const want = regionIds(scores, grid, words);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i] && bad.length < 3) bad.push(`[${i}] kernel ${got[i]} twin ${want[i]}`);
  expect(bad, `${what}: ${bad.length ? 'mismatch' : ''}`).toEqual([]);
}

const SIZES: [number, number][] = [[1, 1], [7, 5], [8, 8], [9, 7], [15, 17], [33, 3]];

describe('partition.wgsl = regionIds, exact (dyadic scores)', () => {
  const rules = (units: number, rng: Rng): [string, RegionRule][] => [
    ['topk k=1', { kind: 'topk', k: 1 }],
    ['topk k=3 relu', { kind: 'topk', k: Math.min(3, units), relu: true }],
    ['topk k=units (≤ 32)', { kind: 'topk', k: Math.min(units, PARTITION_KMAX) }],
    ['topk |s| k=2', { kind: 'topk', k: Math.min(2, units), abs: true }],
    ['threshold', { kind: 'threshold', theta: Float32Array.from({ length: units }, () => quarter(rng)) }],
    ['argmin', { kind: 'argmin' }],
  ];
  for (const units of [1, 5, 63, 64, 65]) {
    it(`${units} unit${units === 1 ? '' : 's'}: every rule, grids ${SIZES.map(([w, h]) => `${w}×${h}`).join(', ')}, 1 and 2 words`, async () => {
      const rng = createRng(units);
      for (const [name, rule] of rules(units, rng)) {
        for (const [w, h] of SIZES) {
          const scores = dyadicScores(units, rule, rng);
          await expectSameIds(scores, dyadicGrid(w, h), (w + h) % 2 === 0 ? 2 : 1, `${name} ${w}×${h}`);
        }
      }
    });
  }

  it('k = KMAX = 32 of 130 units (three coefficient tiles), and the quadratic k-flats-like scores of argmin', async () => {
    const rng = createRng(32);
    await expectSameIds(dyadicScores(130, { kind: 'topk', k: PARTITION_KMAX }, rng), dyadicGrid(17, 9), 2, 'k=32');
    await expectSameIds(dyadicScores(130, { kind: 'topk', k: 31, relu: true }, rng), dyadicGrid(9, 9), 1, 'k=31 relu');
    await expectSameIds(dyadicScores(130, { kind: 'argmin' }, rng), dyadicGrid(16, 16), 2, 'argmin 130');
  });

  it('ties: constant equal scores keep the lower indices (topk), the first minimum (argmin), and θ is strict', async () => {
    const constant = (fs: number[], rule: RegionRule): PlaneScores => ({ units: fs.length, coef: Float32Array.from(fs.flatMap((f) => [0, 0, 0, 0, 0, f])), rule });
    const g = dyadicGrid(3, 2);
    await expectSameIds(constant([1, 2, 2, 2, 0], { kind: 'topk', k: 2 }), g, 2, 'topk ties');
    await expectSameIds(constant([7, 7, 7, 7], { kind: 'topk', k: 3 }), g, 2, 'all equal');
    await expectSameIds(constant([-2, 2, 1, -2], { kind: 'topk', k: 2, abs: true }), g, 2, '|s| ties');
    await expectSameIds(constant([3, 1, 1, 2], { kind: 'argmin' }), g, 2, 'argmin ties');
    await expectSameIds(constant([0.5, 0.25], { kind: 'threshold', theta: new Float32Array([0.5, 0]) }), g, 2, 'θ strict');
    // and the twin's ids are those of the expected labels (so equal ids above are the right ones)
    const p = await kernel();
    const ids = await p.regionIds(constant([1, 2, 2, 2, 0], { kind: 'topk', k: 2 }), g);
    const expected = regionIds(constant([0, 1, 1, 0, 0], { kind: 'threshold', theta: new Float32Array(5).fill(0.5) }), g);
    expect(Array.from(ids)).toEqual(Array.from(expected)); // label [1, 2] either way
  });
});

describe('partition.wgsl on generic floats, limits and fallback', () => {
  it('a random TopK SAE (16 latents, k 4) on a 37×29 grid: ids differ from the twin only within f32 rounding of a boundary', async () => {
    const rng = createRng(7);
    const sae = randomSae('topk', 2, 16, 4, 1.3, rng);
    const scores = planeScoresOfSae(sae, identityPlane());
    const grid: Grid = { width: 37, height: 29, u0: -2.3, u1: 2.1, v0: -1.7, v1: 1.9 };
    const got = await (await kernel()).regionIds(scores, grid);
    const want = regionIds(scores, grid);
    let differ = 0;
    for (let row = 0; row < grid.height; row++) {
      for (let col = 0; col < grid.width; col++) {
        const p = row * grid.width + col;
        if (got[p] === want[p]) continue;
        differ++;
        const [u, v] = gridPoint(grid, col, row);
        const s = Array.from({ length: 16 }, (_, i) => scoreAt(scores.coef, i, u, v));
        const sorted = [...s].sort((a, b) => b - a);
        const margin = Math.min(sorted[3] - sorted[4], ...s.map(Math.abs));
        expect(margin, `pixel (${col}, ${row})`).toBeLessThan(1e-5);
      }
    }
    expect(differ).toBeLessThanOrEqual(2);
    expect(new Set(want).size).toBeGreaterThan(5);
  });

  it('refuses k > 32 naming the limit; partitionIds then draws with the CPU twin and says so (also with no device or a software one)', async () => {
    const p = await kernel();
    const rng = createRng(3);
    const scores = dyadicScores(40, { kind: 'topk', k: 33 }, rng);
    const grid = dyadicGrid(4, 4);
    expect(p.refusal(scores, grid)).toMatch(/at most k = 32.*k = 33.*CPU twin/);
    await expect(p.regionIds(scores, grid)).rejects.toThrow(/k = 33/);
    const fell = await partitionIds(p, scores, grid);
    expect(fell.backend).toBe('cpu');
    expect(fell.note).toMatch(/k = 33/);
    expect(Array.from(fell.ids)).toEqual(Array.from(regionIds(scores, grid)));
    const ok = await partitionIds(p, dyadicScores(40, { kind: 'topk', k: 3 }, rng), grid);
    expect(ok.backend).toBe('webgpu');
    const soft = await createPartitionGpu(gpu().device, { software: true });
    const viaTwin = await partitionIds(soft, dyadicScores(40, { kind: 'topk', k: 3 }, rng), grid);
    expect([viaTwin.backend, viaTwin.note]).toEqual(['cpu', expect.stringMatching(/software adapter/)]);
    expect((await partitionIds(null, scores, grid)).note).toMatch(/no WebGPU device/);
    soft.destroy();
  });
});

describe('partitionError.wgsl = errorGrid (f32 vs f64: |Δ| ≤ 1e-3·(1 + max error); pixels whose label differs are counted)', () => {
  async function expectSameError(scores: PlaneScores, err: ReturnType<typeof planeErrorOfSae>, grid: Grid, what: string): Promise<void> {
    const p = await kernel();
    const got = await withErrorScope(gpu().device, () => p.errorGrid(scores, err, grid), what);
    const want = errorGrid(scores, err, grid);
    const idsGpu = await p.regionIds(scores, grid);
    const idsCpu = regionIds(scores, grid);
    const tol = 1e-3 * (1 + Math.max(...want));
    let labelDiffers = 0;
    for (let i = 0; i < want.length; i++) {
      if (idsGpu[i] !== idsCpu[i]) {
        labelDiffers++;
        continue;
      }
      if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`${what}: pixel ${i}: kernel ${got[i]}, twin ${want[i]} (tolerance ${tol})`);
    }
    expect(labelDiffers, `${what}: pixels at an f32 tie`).toBeLessThanOrEqual(1);
    expect(Math.max(...want) - Math.min(...want), `${what}: the error varies`).toBeGreaterThan(0.05);
  }
  const cases: [string, Arch, boolean][] = [['topk', 'topk', false], ['topk signed', 'topk', true], ['batchtopk', 'batchtopk', false], ['relu', 'relu', false], ['jumprelu', 'jumprelu', false]];
  for (const [name, arch, signed] of cases) {
    it(`${name}: 20 latents in 6-D on a plane, grids 1×1, 9×7 and 17×9`, async () => {
      const rng = createRng(name.length * 7);
      const sae = { ...randomSae(arch, 6, 20, 4, 1.5, rng), ...(signed ? { topkSigned: true } : {}) };
      const vec = (): Float32Array => Float32Array.from({ length: 6 }, () => rng.normal());
      const plane = planeThrough(vec(), vec(), vec());
      for (const [w, h] of [[1, 1], [9, 7], [17, 9]] as const) {
        const grid: Grid = { width: w, height: h, u0: -2.2, u1: 2.6, v0: -1.9, v1: 2.3 };
        if (w === 1) {
          const p = await kernel();
          const one = await p.errorGrid(planeScoresOfSae(sae, plane), planeErrorOfSae(sae, plane), grid);
          expect(one[0]).toBeCloseTo(errorGrid(planeScoresOfSae(sae, plane), planeErrorOfSae(sae, plane), grid)[0], 3);
          continue;
        }
        await expectSameError(planeScoresOfSae(sae, plane), planeErrorOfSae(sae, plane), grid, `${name} ${w}×${h}`);
      }
    });
  }
  it('k-means and k-flats: the winning residual; partitionError falls back to the twin without a device', async () => {
    const rng = createRng(4);
    const mu = Float32Array.from({ length: 20 }, () => rng.normal());
    const plane = planeThrough([0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0.5, 0]);
    const basis = new Float32Array(20);
    for (let j = 0; j < 5; j++) basis[j * 4 + (j % 4)] = 1;
    const grid: Grid = { width: 15, height: 13, u0: -2, u1: 2, v0: -2, v1: 2 };
    await expectSameError(planeScoresOfKMeans(mu, 5, plane), null, grid, 'kmeans');
    await expectSameError(planeScoresOfKFlats(mu, basis, 5, 1, plane), null, grid, 'kflats');
    const cpu = await partitionError(null, planeScoresOfKMeans(mu, 5, plane), null, grid);
    expect([cpu.backend, cpu.note]).toEqual(['cpu', expect.stringMatching(/no WebGPU device/)]);
    expect((await partitionError(await kernel(), planeScoresOfKMeans(mu, 5, plane), null, grid)).backend).toBe('webgpu');
  });
});
