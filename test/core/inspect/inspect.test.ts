// Feature inspection worked by hand on 3-latent SAEs over a handful of rows: the latent table, top
// activations (ties, a latent that never fires), histogram, quantile samples, token windows, input views;
// chunking never changes a result and the batched top-n equals the per-latent one.
import { describe, expect, it } from 'vitest';
import {
  activationHistogram,
  createTopActivationsAccumulator,
  firingHistogram,
  inputKind,
  inputRef,
  inspectAll,
  latentColumn,
  latentTable,
  latentValuesAt,
  quantileSamples,
  quantileSamplesOf,
  tokenContext,
  topActivations,
  topActivationsAll,
  topInputs,
} from '../../../src/core/inspect/inspect.ts';
import type { TextDataset } from '../../../src/core/inspect/inspect.ts';
import type { LabelledDataset } from '../../../src/core/data/card.ts';
import { InputError } from '../../../src/core/errors.ts';
import { createRng } from '../../../src/core/math/random.ts';
import type { Arch, Dataset, Sae } from '../../../src/core/sae/types.ts';
import { zeroSae } from '../../../src/core/sae/types.ts';

const f32 = (a: number[]): Float32Array => Float32Array.from(a);

/**
 * dIn = 2, dSae = 3, bEnc = bDec = 0:
 *   wEnc: e0 = (1,0), e1 = (0,1), e2 = (−1,−1)   → for x ≥ 0: f0 = x0, f1 = x1, f2 = 0 (never fires)
 *   wDec: d0 = (1,0), d1 = (0.6,0.8), d2 = (0,1)
 */
function tinySae(arch: Arch = 'relu', k = 0): Sae {
  const s = zeroSae(arch, 2, 3, k);
  s.wEnc.set([1, 0, 0, 1, -1, -1]);
  s.wDec.set([1, 0, 0.6, 0.8, 0, 1]);
  return s;
}

/** Rows (x0, x1): f0 = 2,1,0,3,0 and f1 = 0,3,1,3,0 under the relu tinySae. */
const tinyData: Dataset = { name: 'tiny', rows: 5, dIn: 2, x: f32([2, 0, 1, 3, 0, 1, 3, 3, 0, 0]) };

describe('latentTable', () => {
  it('hand-worked 3-latent relu SAE, with ground truth', () => {
    const truth = { nFeatures: 2, features: f32([1, 0, 0, 1]) }; // g0 = (1,0), g1 = (0,1)
    const t = latentTable(tinySae(), tinyData, { truth });
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
    const t = latentTable(tinySae(), tinyData);
    expect(t[0].trueFeature).toBeUndefined();
    expect(t[0].trueCos).toBeUndefined();
    const withTruth = { ...tinyData, truth: { nFeatures: 1, features: f32([0, 1]) } };
    // one true feature g0 = (0,1): |cos| = 0, 0.8, 1 → latent 0 has no match (−1, 0)
    const u = latentTable(tinySae(), withTruth);
    expect(u.map((r) => r.trueFeature)).toEqual([-1, 0, 0]);
    expect(u[0].trueCos).toBe(0);
  });

  it('TopK (k = 1, tie between latents → lower latent) and inputScale', () => {
    // k = 1: row (3,3) has z0 = z1 = 3 → latent 0 kept, latent 1 dropped; row (1,3) keeps latent 1.
    // f0 = 2,0,0,3,0 (row 1: z1 = 3 > z0 = 1) ; f1 = 0,3,1,0,0; row 4 (0,0): z = 0,0,0 → ReLU 0
    const t = latentTable(tinySae('topk', 1), tinyData);
    expect(t.map((r) => r.fireCount)).toEqual([2, 2, 0]);
    expect(t[0].meanActivation).toBeCloseTo(2.5, 6);
    expect(t[1].meanActivation).toBeCloseTo(2, 6);
    // inputScale s = 2: the SAE sees 2x → every activation doubles, densities unchanged
    const s = { ...tinySae('topk', 1), inputScale: 2 };
    const u = latentTable(s, tinyData);
    expect(u.map((r) => r.fireCount)).toEqual([2, 2, 0]);
    expect(u[0].maxActivation).toBe(6);
    expect(topActivations(s, tinyData, 1, 5)).toEqual([
      { row: 1, value: 6 },
      { row: 2, value: 2 },
    ]);
  });

  it('rejects mismatched shapes and bad options with a precise message', () => {
    expect(() => latentTable(tinySae(), { ...tinyData, dIn: 3, x: new Float32Array(15) })).toThrow(/dIn: the SAE takes 2 inputs per row/);
    expect(() => latentTable(tinySae(), tinyData, { chunkRows: 0 })).toThrow(InputError);
    expect(() => topActivations(tinySae(), tinyData, 3, 2)).toThrow(/latent: expected an integer in \[0, 2\], got 3/);
  });
});

describe('topActivations', () => {
  it('largest first, ties to the lower row, never-firing latent gives an empty list', () => {
    const sae = tinySae();
    // latent 1 values 0,3,1,3,0: rows 1 and 3 tie at 3 → row 1 first
    expect(topActivations(sae, tinyData, 1, 10)).toEqual([
      { row: 1, value: 3 },
      { row: 3, value: 3 },
      { row: 2, value: 1 },
    ]);
    // n = 1 keeps the lower row of the tie, also when rows come one chunk at a time
    expect(topActivations(sae, tinyData, 1, 1)).toEqual([{ row: 1, value: 3 }]);
    expect(topActivations(sae, tinyData, 1, 1, { chunkRows: 1 })).toEqual([{ row: 1, value: 3 }]);
    expect(topActivations(sae, tinyData, 0, 2)).toEqual([
      { row: 3, value: 3 },
      { row: 0, value: 2 },
    ]);
    expect(topActivations(sae, tinyData, 2, 5)).toEqual([]);
    expect(topActivations(sae, tinyData, 0, 0)).toEqual([]);
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
    expect(topActivations(sae, data, 0, 4, { chunkRows: 4 }).map((e) => e.row)).toEqual([0, 1, 2, 3]);
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

describe('chunking and batching', () => {
  it('every chunk size gives the one-shot table and top lists exactly', () => {
    const { sae, data } = randomCase(7, 53, 4, 9);
    const oneShot = inspectAll(sae, data, 6, { chunkRows: 1000 });
    for (const chunkRows of [1, 3, 7, 52, 53]) {
      expect(latentTable(sae, data, { chunkRows })).toEqual(oneShot.table);
      expect(topActivationsAll(sae, data, 6, { chunkRows })).toEqual(oneShot.top);
      expect(inspectAll(sae, data, 6, { chunkRows })).toEqual(oneShot);
    }
  });

  it('the batched top-n equals the per-latent top-n and a brute-force sort', () => {
    const { sae, data } = randomCase(11, 71, 3, 8);
    for (const n of [1, 5, 80]) {
      const all = topActivationsAll(sae, data, n, { chunkRows: 16 });
      expect(all).toHaveLength(8);
      for (let i = 0; i < 8; i++) {
        expect(topActivations(sae, data, i, n, { chunkRows: 5 })).toEqual(all[i]);
        const col = latentColumn(sae, data, i);
        const brute = Array.from(col, (value, row) => ({ row, value }))
          .filter((e) => e.value > 0)
          .sort((a, b) => b.value - a.value || a.row - b.row)
          .slice(0, n);
        expect(all[i]).toEqual(brute);
      }
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

describe('activationHistogram', () => {
  it('bins the firing values only, over [min, max]; the max falls in the last bin', () => {
    // latent 1 firing values 3, 1, 3 → [1, 3], 2 bins of width 1: edges 1,2,3; 1 → bin 0, 3,3 → bin 1
    expect(activationHistogram(tinySae(), tinyData, 1, 2)).toEqual({ edges: [1, 2, 3], counts: [1, 2], firing: 3 });
    // 4 bins of width 0.5 over [1, 3]: 1 → bin 0, 3 → bin 3
    expect(activationHistogram(tinySae(), tinyData, 1, 4)).toEqual({ edges: [1, 1.5, 2, 2.5, 3], counts: [1, 0, 0, 2], firing: 3 });
  });

  it('a latent that never fires has an empty histogram; one value fills the first bin', () => {
    expect(activationHistogram(tinySae(), tinyData, 2, 5)).toEqual({ edges: [], counts: [], firing: 0 });
    expect(firingHistogram([0, 2, 0], 3)).toEqual({ edges: [2, 2, 2, 2], counts: [1, 0, 0], firing: 1 });
    expect(() => firingHistogram([1], 0)).toThrow(InputError);
  });
});

describe('quantileSamples', () => {
  // values by row: row r has value r + 1 for r = 0..9 except row 4 (0, not firing); 9 firing rows.
  const values = [1, 2, 3, 4, 0, 6, 7, 8, 9, 10];

  it("'quantile': equal-count groups by rank, samples spread over the group", () => {
    // sorted firing (value,row): (1,0)(2,1)(3,2)(4,3)(6,5)(7,6)(8,7)(9,8)(10,9); m = 9, K = 3 → ranks [0,3) [3,6) [6,9)
    // each group of 3, perInterval 2 → picks ranks ⌊0.5·3/2⌋ = 0 and ⌊1.5·3/2⌋ = 2 of the group
    const q = quantileSamplesOf(values, { intervals: 3, perInterval: 2 });
    expect(q).toHaveLength(3);
    expect(q[0]).toEqual({ lo: 1, hi: 3, contains: 3 / 9, samples: [{ row: 2, value: 3 }, { row: 0, value: 1 }] });
    expect(q[1]).toEqual({ lo: 4, hi: 7, contains: 3 / 9, samples: [{ row: 6, value: 7 }, { row: 3, value: 4 }] });
    expect(q[2]).toEqual({ lo: 8, hi: 10, contains: 3 / 9, samples: [{ row: 9, value: 10 }, { row: 7, value: 8 }] });
  });

  it("'linear': equal-width intervals over (0, max], some may be empty", () => {
    // max 10, K = 4 → (0,2.5] (2.5,5] (5,7.5] (7.5,10]: {1,2} {3,4} {6,7} {8,9,10}
    const q = quantileSamplesOf(values, { intervals: 4, perInterval: 1, spacing: 'linear' });
    expect(q.map((g) => [g.lo, g.hi])).toEqual([[0, 2.5], [2.5, 5], [5, 7.5], [7.5, 10]]);
    expect(q.map((g) => g.contains)).toEqual([2 / 9, 2 / 9, 2 / 9, 3 / 9]);
    // one sample: rank ⌊0.5·m⌋ → 2 of {1,2}, 4 of {3,4}, 7 of {6,7}, 9 of {8,9,10}
    expect(q.map((g) => g.samples)).toEqual([[{ row: 1, value: 2 }], [{ row: 3, value: 4 }], [{ row: 6, value: 7 }], [{ row: 8, value: 9 }]]);
    // a value on an interior edge belongs to the lower interval: 5 of (0,10] with K = 2 → (0,5]
    const e = quantileSamplesOf([5, 10], { intervals: 2, spacing: 'linear' });
    expect(e.map((g) => g.samples.map((s) => s.row))).toEqual([[0], [1]]);
    expect(quantileSamplesOf([0, 0, 10], { intervals: 3, spacing: 'linear' }).map((g) => g.contains)).toEqual([0, 0, 1]);
  });

  it('fewer firing rows than intervals, a never-firing latent, and the SAE wrapper', () => {
    // m = 2, K = 3: ranks [0,0) [0,1) [1,2) → the first group is empty (lo, hi NaN)
    const q = quantileSamplesOf([0, 5, 3], { intervals: 3 });
    expect(q.map((g) => g.samples.map((s) => s.row))).toEqual([[], [2], [1]]);
    expect(Number.isNaN(q[0].lo)).toBe(true);
    expect(quantileSamples(tinySae(), tinyData, 2)).toEqual([]);
    // latent 1 (0,3,1,3,0), K = 2: ranks [0,1) = (1,row 2), [1,3) = (3,row 1),(3,row 3)
    const s = quantileSamples(tinySae(), tinyData, 1, { intervals: 2, perInterval: 5 });
    expect(s.map((g) => g.samples)).toEqual([[{ row: 2, value: 1 }], [{ row: 1, value: 3 }, { row: 3, value: 3 }]]);
  });
});

describe('tokenContext', () => {
  // Two contexts: context 0 = positions 0..3, context 1 = positions 0..2 (rows 4..6).
  const tokens = Int32Array.from([1, 10, 11, 12, 1, 20, 21]);
  const where = { context: Int32Array.from([0, 0, 0, 0, 1, 1, 1]), position: Int32Array.from([0, 1, 2, 3, 0, 1, 2]) };

  it('the rows within ±window positions in the same context, the row marked', () => {
    const c = tokenContext(tokens, where, 2, 1);
    expect(c.context).toBe(0);
    expect(c.focus).toBe(1);
    expect(c.tokens).toEqual([
      { row: 1, position: 1, token: 10, focus: false },
      { row: 2, position: 2, token: 11, focus: true },
      { row: 3, position: 3, token: 12, focus: false },
    ]);
    // never crosses into another context
    expect(tokenContext(tokens, where, 4, 5).tokens.map((t) => t.row)).toEqual([4, 5, 6]);
    expect(tokenContext(tokens, where, 3, 5).tokens.map((t) => t.row)).toEqual([0, 1, 2, 3]);
    expect(tokenContext(tokens, where, 0, 0).tokens.map((t) => t.row)).toEqual([0]);
  });

  it('rows dropped or split off leave gaps; the window is in positions, not rows', () => {
    // BOS dropped and position 2 of context 0 split off: rows (c,p) = (0,1)(0,3)(0,4)(1,1)
    const w = { context: Int32Array.from([0, 0, 0, 1]), position: Int32Array.from([1, 3, 4, 1]) };
    const c = tokenContext(['a', 'c', 'd', 'x'], w, 1, 1);
    expect(c.tokens.map((t) => [t.position, t.token])).toEqual([[3, 'c'], [4, 'd']]);
    expect(tokenContext(['a', 'c', 'd', 'x'], w, 1, 2).tokens.map((t) => t.position)).toEqual([1, 3, 4]);
  });

  it('with a probe each token carries the latent activation (highlighted context)', () => {
    // 7 rows, x = (row, 0): latent 0 of tinySae has f0 = row → values 1, 2, 3 on rows 1..3
    const data: Dataset = { name: 'seq', rows: 7, dIn: 2, x: f32([0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0]) };
    const c = tokenContext(tokens, where, 2, 1, { sae: tinySae(), data, latent: 0 });
    expect(c.tokens.map((t) => t.value)).toEqual([1, 2, 3]);
  });

  it('rejects mismatched bookkeeping', () => {
    expect(() => tokenContext(tokens, { context: new Int32Array(3), position: new Int32Array(7) }, 0, 1)).toThrow(/one length/);
    expect(() => tokenContext(tokens, where, 7, 1)).toThrow(/row/);
  });
});

describe('inputRef and topInputs', () => {
  it('images: class-labelled data with a square dIn, pixels and class name', () => {
    const d: LabelledDataset = { name: 'img', rows: 2, dIn: 4, x: f32([0, 0.5, 1, 0, 1, 1, 0, 0]), labels: Int32Array.from([1, 0]), labelNames: ['shoe', 'bag'] };
    expect(inputKind(d)).toBe('image');
    expect(inputRef(d, 0)).toEqual({ kind: 'image', row: 0, width: 2, height: 2, pixels: f32([0, 0.5, 1, 0]), label: 'bag' });
    // an explicit shape wins; a wrong one is rejected
    expect(inputRef(d, 1, { image: { width: 4, height: 1 } })).toMatchObject({ width: 4, height: 1, label: 'shoe' });
    expect(() => inputRef(d, 1, { image: { width: 3, height: 1 } })).toThrow(/width·height = dIn = 4/);
  });

  it('words, plain rows and class-labelled rows that are not square', () => {
    const words: LabelledDataset = { name: 'glove', rows: 2, dIn: 3, x: new Float32Array(6), labels: ['the', 'cat'], labelNames: [] };
    expect(inputKind(words)).toBe('word');
    expect(inputRef(words, 1)).toEqual({ kind: 'word', row: 1, word: 'cat' });
    expect(inputKind(tinyData)).toBe('row');
    expect(inputRef(tinyData, 3)).toEqual({ kind: 'row', row: 3, label: null });
    const classes: LabelledDataset = { name: 'csv', rows: 1, dIn: 3, x: new Float32Array(3), labels: Int32Array.from([2]), labelNames: [] };
    expect(inputRef(classes, 0)).toEqual({ kind: 'row', row: 0, label: '2' });
  });

  it('text activations: token refs and highlighted windows of the top rows', () => {
    // rows = 2 contexts of 3 positions; x = (v, 0) so latent 0 of tinySae has f0 = v
    const text: TextDataset = {
      name: 'text',
      rows: 6,
      dIn: 2,
      x: f32([0, 0, 4, 0, 1, 0, 0, 0, 2, 0, 4, 0]),
      tokens: Int32Array.from([1, 7, 8, 1, 9, 7]),
      context: Int32Array.from([0, 0, 0, 1, 1, 1]),
      position: Int32Array.from([0, 1, 2, 0, 1, 2]),
    };
    expect(inputKind(text)).toBe('token');
    expect(inputRef(text, 4)).toEqual({ kind: 'token', row: 4, token: 9, context: 1, position: 1 });
    // latent 0 values 0,4,1,0,2,4 → top 2: rows 1 (4) and 5 (4), the tie to the lower row
    const top = topInputs(tinySae(), text, 0, 2, { window: 1 });
    expect(top.map((t) => [t.row, t.value])).toEqual([[1, 4], [5, 4]]);
    expect(top[0].context?.tokens.map((t) => [t.token, t.value, t.focus])).toEqual([[1, 0, false], [7, 4, true], [8, 1, false]]);
    expect(top[1].context?.tokens.map((t) => [t.token, t.value, t.focus])).toEqual([[9, 2, false], [7, 4, true]]);
    // non-text data has no context window
    expect(topInputs(tinySae(), tinyData, 0, 1)[0]).toEqual({ row: 3, value: 3, input: { kind: 'row', row: 3, label: null }, context: null });
    expect(topInputs(tinySae(), tinyData, 2, 3)).toEqual([]);
  });
});
