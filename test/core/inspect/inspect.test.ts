// The inspector's two passes worked by hand on 3-latent SAEs over a handful of rows: inspectAll's latent
// table and top rows (ties, a latent that never fires, TopK, inputScale) and latentDetail's top rows,
// histogram, interval samples, decoder row and nearest latents; chunking never changes a result, kept
// codes give the same detail as encoding again, and the batched top-n equals the per-latent one and a sort.
import { describe, expect, it } from 'vitest';
import { createTopActivationsAccumulator } from '../../../src/core/inspect/accumulators.ts';
import { latentColumn, latentValuesAt } from '../../../src/core/inspect/codes.ts';
import { inspectAll, latentDetail } from '../../../src/core/inspect/inspect.ts';
import { InputError } from '../../../src/core/errors.ts';
import { createRng } from '../../../src/core/math/random.ts';
import type { Dataset, Sae } from '../../../src/core/sae/types.ts';
import { zeroSae } from '../../../src/core/sae/types.ts';
import { f32, tinyData, tinySae } from './fixtures.ts';

/** latentDetail's top rows alone (topN = n). */
const topOf = (sae: Sae, data: Dataset, latent: number, n: number, chunkRows?: number) => latentDetail(sae, data, latent, { topN: n, chunkRows }).top;

describe('inspectAll: the latent table', () => {
  it('hand-worked 3-latent relu SAE, with ground truth', () => {
    const truth = { nFeatures: 2, features: f32([1, 0, 0, 1]) }; // g0 = (1,0), g1 = (0,1)
    const t = inspectAll(tinySae(), tinyData, 0, { truth }).table;
    expect(t.map((r) => r.latent)).toEqual([0, 1, 2]);
    // latent 0: fires on rows 0,1,3 (2,1,3): n = 3, p = 3/5, mean (2+1+3)/3 = 2, max 3
    expect(t[0].fireCount).toBe(3);
    expect(t[0].density).toBeCloseTo(0.6, 6);
    expect(t[0].logDensity).toBeCloseTo(Math.log10(0.6 + 1e-10), 6);
    expect(t[0].meanActivation).toBeCloseTo(2, 6);
    expect(t[0].maxActivation).toBe(3);
    // latent 1: fires on rows 1,2,3 (3,1,3): mean 7/3, max 3
    expect(t[1].fireCount).toBe(3);
    expect(t[1].meanActivation).toBeCloseTo(7 / 3, 6);
    expect(t[1].maxActivation).toBe(3);
    // latent 2 never fires: density 0, log10(1e-10) = −10, mean 0, max 0
    expect(t[2]).toMatchObject({ fireCount: 0, density: 0, meanActivation: 0, maxActivation: 0 });
    expect(t[2].logDensity).toBeCloseTo(-10, 6);
    // encoder–decoder cosine: cos(e0,d0) = 1; cos((0,1),(0.6,0.8)) = 0.8; cos((−1,−1),(0,1)) = −1/√2
    expect(t[0].encoderDecoderCosine).toBeCloseTo(1, 6);
    expect(t[1].encoderDecoderCosine).toBeCloseTo(0.8, 6);
    expect(t[2].encoderDecoderCosine).toBeCloseTo(-Math.SQRT1_2, 6);
    // decoder cosines: c01 = 0.6, c02 = 0, c12 = 0.8 → nearest 0→1 (0.6), 1→2 (0.8), 2→1 (0.8)
    expect(t.map((r) => r.nearest)).toEqual([1, 2, 1]);
    expect(t[0].maxCos).toBeCloseTo(0.6, 6);
    expect(t[1].maxCos).toBeCloseTo(0.8, 6);
    expect(t[2].maxCos).toBeCloseTo(0.8, 6);
    // truth: |cos(d_i, g_j)|: d0 → (1, 0) → g0 1; d1 → (0.6, 0.8) → g1 0.8; d2 → (0, 1) → g1 1
    expect(t.map((r) => r.trueFeature)).toEqual([0, 1, 1]);
    expect(t[0].trueCos).toBeCloseTo(1, 6);
    expect(t[1].trueCos).toBeCloseTo(0.8, 6);
    expect(t[2].trueCos).toBeCloseTo(1, 6);
  });

  it('without ground truth the truth fields are absent; data.truth is used when present', () => {
    const t = inspectAll(tinySae(), tinyData, 0).table;
    expect(t[0].trueFeature).toBeUndefined();
    expect(t[0].trueCos).toBeUndefined();
    const withTruth = { ...tinyData, truth: { nFeatures: 1, features: f32([0, 1]) } };
    // one true feature g0 = (0,1): |cos| = 0, 0.8, 1 → latent 0 has no match (−1, 0)
    const u = inspectAll(tinySae(), withTruth, 0).table;
    expect(u.map((r) => r.trueFeature)).toEqual([-1, 0, 0]);
    expect(u[0].trueCos).toBe(0);
  });

  it('TopK (k = 1, tie between latents → lower latent) and inputScale', () => {
    // k = 1: row (3,3) has z0 = z1 = 3 → latent 0 kept, latent 1 dropped; row (1,3) keeps latent 1.
    // f0 = 2,0,0,3,0 (row 1: z1 = 3 > z0 = 1) ; f1 = 0,3,1,0,0; row 4 (0,0): z = 0,0,0 → ReLU 0
    const t = inspectAll(tinySae('topk', 1), tinyData, 0).table;
    expect(t.map((r) => r.fireCount)).toEqual([2, 2, 0]);
    expect(t[0].meanActivation).toBeCloseTo(2.5, 6);
    expect(t[1].meanActivation).toBeCloseTo(2, 6);
    // inputScale s = 2: the SAE sees 2x → every activation doubles, densities unchanged
    const s = { ...tinySae('topk', 1), inputScale: 2 };
    const u = inspectAll(s, tinyData, 5);
    expect(u.table.map((r) => r.fireCount)).toEqual([2, 2, 0]);
    expect(u.table[0].maxActivation).toBe(6);
    const top1 = [
      { row: 1, value: 6 },
      { row: 2, value: 2 },
    ];
    expect(u.top[1]).toEqual(top1);
    expect(topOf(s, tinyData, 1, 5)).toEqual(top1);
  });

  it('rejects mismatched shapes and bad options with a precise message', () => {
    expect(() => inspectAll(tinySae(), { ...tinyData, dIn: 3, x: new Float32Array(15) }, 1)).toThrow(/dIn: the SAE takes 2 inputs per row/);
    expect(() => inspectAll(tinySae(), tinyData, 1, { chunkRows: 0 })).toThrow(InputError);
    expect(() => inspectAll(tinySae(), tinyData, 1, { codes: new Float32Array(14) })).toThrow(/codes length: expected rows·dSae = 5·3 = 15, got 14/);
    expect(() => topOf(tinySae(), tinyData, 3, 2)).toThrow(/latent: expected an integer in \[0, 2\], got 3/);
    expect(() => latentDetail(tinySae(), tinyData, 0, { topN: 1, codes: new Float32Array(3) })).toThrow(/codes length/);
  });
});

describe('top rows', () => {
  it('largest first, ties to the lower row, never-firing latent gives an empty list', () => {
    const sae = tinySae();
    // latent 1 values 0,3,1,3,0: rows 1 and 3 tie at 3 → row 1 first
    const latent1 = [
      { row: 1, value: 3 },
      { row: 3, value: 3 },
      { row: 2, value: 1 },
    ];
    expect(topOf(sae, tinyData, 1, 10)).toEqual(latent1);
    expect(inspectAll(sae, tinyData, 10).top[1]).toEqual(latent1);
    // n = 1 keeps the lower row of the tie, also when rows come one chunk at a time
    expect(topOf(sae, tinyData, 1, 1)).toEqual([{ row: 1, value: 3 }]);
    expect(topOf(sae, tinyData, 1, 1, 1)).toEqual([{ row: 1, value: 3 }]);
    expect(inspectAll(sae, tinyData, 1, { chunkRows: 1 }).top[1]).toEqual([{ row: 1, value: 3 }]);
    expect(topOf(sae, tinyData, 0, 2)).toEqual([
      { row: 3, value: 3 },
      { row: 0, value: 2 },
    ]);
    expect(topOf(sae, tinyData, 2, 5)).toEqual([]);
    expect(inspectAll(sae, tinyData, 5).top[2]).toEqual([]);
    expect(topOf(sae, tinyData, 0, 0)).toEqual([]);
    expect(inspectAll(sae, tinyData, 0).top).toEqual([[], [], []]);
  });

  it('the accumulator keeps the lower row when chunks arrive out of order', () => {
    const acc = createTopActivationsAccumulator(1, 1);
    acc.add(f32([5]), 1, 7);
    acc.add(f32([5]), 1, 2); // same value, lower row → replaces
    acc.add(f32([5]), 1, 4);
    expect(acc.finish()).toEqual([[{ row: 2, value: 5 }]]);
  });

  it('many ties: all equal values come back in row order', () => {
    const sae = tinySae();
    const data: Dataset = { name: 'flat', rows: 6, dIn: 2, x: f32(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 1 : 0))) };
    expect(topOf(sae, data, 0, 4, 4).map((e) => e.row)).toEqual([0, 1, 2, 3]);
    expect(inspectAll(sae, data, 4, { chunkRows: 4 }).top[0].map((e) => e.row)).toEqual([0, 1, 2, 3]);
  });
});

/** A random relu SAE and data with plenty of ties (values on a coarse grid). */
function randomCase(seed: number, rows: number, dIn: number, dSae: number): { sae: Sae; data: Dataset } {
  const rng = createRng(seed);
  const sae = zeroSae('relu', dIn, dSae, 0);
  for (let i = 0; i < sae.wEnc.length; i++) sae.wEnc[i] = rng.int(5) - 2;
  for (let i = 0; i < sae.wDec.length; i++) sae.wDec[i] = rng.normal();
  for (let i = 0; i < dSae; i++) sae.bEnc[i] = rng.int(3) - 1;
  const x = new Float32Array(rows * dIn);
  for (let i = 0; i < x.length; i++) x[i] = rng.int(4);
  return { sae, data: { name: `random-${seed}`, rows, dIn, x } };
}

describe('chunking, batching and kept codes', () => {
  it('every chunk size gives the one-shot table and top lists exactly, and the same codes', () => {
    const { sae, data } = randomCase(7, 53, 4, 9);
    const oneCodes = new Float32Array(53 * 9);
    const oneShot = inspectAll(sae, data, 6, { chunkRows: 1000, codes: oneCodes });
    for (const chunkRows of [1, 3, 7, 52, 53]) {
      const codes = new Float32Array(53 * 9);
      expect(inspectAll(sae, data, 6, { chunkRows, codes })).toEqual(oneShot);
      expect(codes).toEqual(oneCodes);
    }
    // the kept codes are the latent columns, row-major
    for (let i = 0; i < 9; i++) expect(Array.from(latentColumn(sae, data, i))).toEqual(Array.from({ length: 53 }, (_, t) => oneCodes[t * 9 + i]));
  });

  it('the batched top-n equals the per-latent top-n and a brute-force sort', () => {
    const { sae, data } = randomCase(11, 71, 3, 8);
    for (const n of [1, 5, 80]) {
      const all = inspectAll(sae, data, n, { chunkRows: 16 }).top;
      expect(all).toHaveLength(8);
      for (let i = 0; i < 8; i++) {
        expect(topOf(sae, data, i, n, 5)).toEqual(all[i]);
        const col = latentColumn(sae, data, i);
        const brute = Array.from(col, (value, row) => ({ row, value }))
          .filter((e) => e.value > 0)
          .sort((a, b) => b.value - a.value || a.row - b.row)
          .slice(0, n);
        expect(all[i]).toEqual(brute);
      }
    }
  });

  it('latentDetail from kept codes equals latentDetail encoding the rows again', () => {
    const { sae, data } = randomCase(5, 40, 3, 6);
    const codes = new Float32Array(40 * 6);
    inspectAll(sae, data, 1, { codes });
    for (let i = 0; i < 6; i++) {
      const opts = { topN: 7, bins: 9, intervals: 4, perInterval: 2 };
      expect(latentDetail(sae, data, i, { ...opts, codes })).toEqual(latentDetail(sae, data, i, { ...opts, chunkRows: 3 }));
    }
  });
});

describe('latentColumn and latentValuesAt', () => {
  it('the column of a latent and its values at chosen rows', () => {
    expect(Array.from(latentColumn(tinySae(), tinyData, 1, { chunkRows: 2 }))).toEqual([0, 3, 1, 3, 0]);
    expect(Array.from(latentValuesAt(tinySae(), tinyData, 0, [3, 0, 4]))).toEqual([3, 2, 0]);
    expect(() => latentValuesAt(tinySae(), tinyData, 0, [5])).toThrow(/rows\[0\]/);
  });
});

describe('latentDetail', () => {
  it('histogram of the firing values only, over [min, max]; the max falls in the last bin', () => {
    // latent 1 firing values 3, 1, 3 → [1, 3], 2 bins of width 1: edges 1,2,3; 1 → bin 0, 3,3 → bin 1
    expect(latentDetail(tinySae(), tinyData, 1, { topN: 0, bins: 2 }).histogram).toEqual({ edges: [1, 2, 3], counts: [1, 2], firing: 3 });
    // 4 bins of width 0.5 over [1, 3]: 1 → bin 0, 3 → bin 3
    expect(latentDetail(tinySae(), tinyData, 1, { topN: 0, bins: 4 }).histogram).toEqual({ edges: [1, 1.5, 2, 2.5, 3], counts: [1, 0, 0, 2], firing: 3 });
    // a latent that never fires has an empty histogram and no intervals
    const never = latentDetail(tinySae(), tinyData, 2, { topN: 3, bins: 5 });
    expect(never.histogram).toEqual({ edges: [], counts: [], firing: 0 });
    expect(never.quantiles).toEqual([]);
    expect(never.top).toEqual([]);
    expect(() => latentDetail(tinySae(), tinyData, 1, { topN: 1, bins: 0 })).toThrow(InputError);
  });

  it('interval samples of the latent column', () => {
    // latent 1 (0,3,1,3,0), K = 2: ranks [0,1) = (1,row 2), [1,3) = (3,row 1),(3,row 3)
    const s = latentDetail(tinySae(), tinyData, 1, { topN: 1, intervals: 2, perInterval: 5 }).quantiles;
    expect(s.map((g) => g.samples)).toEqual([[{ row: 2, value: 1 }], [{ row: 1, value: 3 }, { row: 3, value: 3 }]]);
    // the defaults are the inspector's: 10 intervals, 3 samples each, 40 histogram bins, 5 nearest latents
    const { sae, data } = randomCase(3, 200, 3, 8);
    const { table } = inspectAll(sae, data, 0);
    const L = table.reduce((best, r) => (r.fireCount > table[best].fireCount ? r.latent : best), 0);
    expect(table[L].fireCount).toBeGreaterThanOrEqual(30);
    const d = latentDetail(sae, data, L, { topN: 1 });
    expect(d.quantiles).toHaveLength(10);
    expect(Math.max(...d.quantiles.map((q) => q.samples.length))).toBe(3);
    expect(d.histogram.counts).toHaveLength(40);
    expect(d.nearest).toHaveLength(5);
  });

  it('decoder row and nearest latents by signed decoder cosine, ties to the lower latent', () => {
    // c01 = 0.6, c02 = 0, c12 = 0.8
    const d = latentDetail(tinySae(), tinyData, 1, { topN: 1 });
    expect(Array.from(d.decoder)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(d.nearest.map((e) => e.latent)).toEqual([2, 0]);
    expect(d.nearest[0].cos).toBeCloseTo(0.8, 6);
    expect(d.nearest[1].cos).toBeCloseTo(0.6, 6);
    // latent 0: 1 (0.6) before 2 (0); with a zero decoder row its cosine is 0 and ties go to the lower latent
    const z = tinySae();
    z.wDec.set([0, 0], 4);
    expect(latentDetail(z, tinyData, 0, { topN: 1, nearest: 1 }).nearest).toEqual([{ latent: 1, cos: expect.closeTo(0.6, 6) as number }]);
    expect(latentDetail(z, tinyData, 2, { topN: 1 }).nearest).toEqual([
      { latent: 0, cos: 0 },
      { latent: 1, cos: 0 },
    ]);
  });
});
