// Each kernel of src/cpu/saeStep.c against its twin in src/core, on edge sizes (1, odd, the GEMM's tiles of
// 4 rows × 8 latents ± 1, dIn around the 4-wide SIMD), on ties and on k = dSae. Tolerances: the kernels sum
// in f32 (SIMD lanes, then across them) where the twins accumulate in f64 and round once, so a sum of n
// terms may differ by ~n·2⁻²⁴ times the sum of the terms' magnitudes; elementwise kernels by a few ulps.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/math/random.ts';
import { encodePre, topkRow } from '../../src/core/sae/sae.ts';
import { decodeSparse, EMPTY_SLOT } from '../../src/core/sae/sparse.ts';
import { lossAndGrads } from '../../src/core/sae/loss.ts';
import type { SaeGrads } from '../../src/core/sae/loss.ts';
import { adamStep, clipGradNorm, normalizeRows, projectDecoderGrad } from '../../src/core/sae/optim.ts';
import { deadMask, updateFiring } from '../../src/core/sae/firing.ts';
import type { Sae } from '../../src/core/sae/types.ts';
import { zeroSae } from '../../src/core/sae/types.ts';
import type { SaeStepExports, WasmHeap } from '../../src/cpu/saeStep.ts';
import { heapOf, instantiate, loadSaeStepModule } from '../../src/cpu/saeStep.ts';
import { expectClose } from '../helpers/close.ts';

let w: SaeStepExports;
let heap: WasmHeap;
beforeAll(async () => {
  w = instantiate(await loadSaeStepModule());
  heap = heapOf(w);
});

const randn = (n: number, seed: number, scale = 1): Float32Array => {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
};
/** Values on a coarse grid: many exact ties. */
const tied = (n: number, seed: number): Float32Array => {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () => r.int(5) - 2);
};
const f32Tol = (n: number) => ({ atol: 1e-6 * Math.max(1, n), rtol: 1e-5 });

/** A random SAE (unit decoder rows) of the given shape. */
function randomSae(dIn: number, dSae: number, k: number, seed: number): Sae {
  const sae = zeroSae('topk', dIn, dSae, k);
  sae.wEnc.set(randn(dSae * dIn, seed, 0.5));
  sae.bEnc.set(randn(dSae, seed + 1, 0.1));
  sae.wDec.set(randn(dSae * dIn, seed + 2));
  normalizeRows(sae.wDec, dSae, dIn);
  sae.bDec.set(randn(dIn, seed + 3, 0.2));
  return sae;
}

const SHAPES = [
  // [batch, dIn, dSae]: 1s, odd, around MR = 4 rows and NR = 8 latents and the 4-wide SIMD on dIn
  [1, 1, 1],
  [3, 5, 7],
  [4, 4, 8],
  [5, 9, 9],
  [3, 3, 15],
  [8, 17, 16],
  [9, 31, 17],
];

describe('wb_encode: z = (x − bDec)·wEncᵀ + bEnc (twin: sae.ts encodePre)', () => {
  it.each(SHAPES)('batch %i, dIn %i, dSae %i', (batch, dIn, dSae) => {
    w.wb_reset();
    const sae = randomSae(dIn, dSae, 1, batch * 100 + dIn);
    const x = randn(batch * dIn, 7 + dSae);
    const px = heap.put(x), pb = heap.put(sae.bDec), pw = heap.put(sae.wEnc), pe = heap.put(sae.bEnc);
    const packed = heap.alloc(w.wb_packed_len(dSae, dIn) * 4);
    const xc = heap.alloc(batch * dIn * 4), z = heap.alloc(batch * dSae * 4);
    w.wb_pack_enc(pw, dSae, dIn, packed);
    w.wb_encode(px, pb, packed, pe, batch, dIn, dSae, xc, z);
    expectClose(heap.f32(z, batch * dSae), encodePre(sae, x, batch), f32Tol(dIn), 'z');
    expectClose(heap.f32(xc, batch * dIn), x.map((v, j) => v - sae.bDec[j % dIn]), { atol: 0, rtol: 0 }, 'xc');
  });
});

describe('wb_topk: per-row top-k, ties to the lower index (twin: sae.ts topkRow)', () => {
  const cases = [
    // [batch, n, k, data]
    [1, 1, 1, 'random'],
    [3, 9, 3, 'random'],
    [2, 7, 7, 'random'], // k = dSae
    [4, 33, 5, 'tied'],
    [5, 16, 16, 'tied'], // k = dSae with ties: the whole row, ordered
    [3, 13, 4, 'tied'],
    [2, 6, 2, 'zeros'], // all equal: the lowest indices win
  ] as const;
  it.each(cases)('batch %i, n %i, k %i, %s', (batch, n, k, kind) => {
    w.wb_reset();
    const z = kind === 'random' ? randn(batch * n, n * 31 + k) : kind === 'tied' ? tied(batch * n, n * 7 + k) : new Float32Array(batch * n);
    const pz = heap.put(z), idx = heap.alloc(batch * k * 4), val = heap.alloc(batch * k * 4);
    w.wb_topk(pz, batch, n, k, 0, idx, val);
    for (let t = 0; t < batch; t++) {
      const want = topkRow(z, t * n, n, k);
      expect(Array.from(heap.u32(idx + t * k * 4, k))).toEqual(want);
      expect(Array.from(heap.f32(val + t * k * 4, k))).toEqual(want.map((i) => Math.max(0, z[t * n + i])));
    }
  });

  it('masked (AuxK: dead latents only), fewer candidates than k → EMPTY_SLOT / 0', () => {
    w.wb_reset();
    const batch = 3, n = 11, k = 5;
    const z = tied(batch * n, 99);
    const allowed = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)); // 4 candidates
    const pz = heap.put(z), pa = heap.put(allowed), idx = heap.alloc(batch * k * 4), val = heap.alloc(batch * k * 4);
    w.wb_topk(pz, batch, n, k, pa, idx, val);
    for (let t = 0; t < batch; t++) {
      const want = topkRow(z, t * n, n, k, allowed);
      expect(want.length).toBe(4);
      expect(Array.from(heap.u32(idx + t * k * 4, k))).toEqual([...want, EMPTY_SLOT]);
      expect(heap.f32(val + t * k * 4, k)[4]).toBe(0);
    }
  });
});

describe('wb_decode: bias + Σ val·wDec[idx] (twin: sparse.ts decodeSparse)', () => {
  it.each([
    [1, 1, 1, 1],
    [3, 5, 7, 2],
    [4, 9, 8, 8],
    [5, 17, 6, 3],
  ])('batch %i, dIn %i, dSae %i, k %i (with and without bias, empty slots)', (batch, dIn, dSae, k) => {
    w.wb_reset();
    const sae = randomSae(dIn, dSae, k, dIn + dSae);
    const r = createRng(k);
    const idx = Uint32Array.from({ length: batch * k }, (_, q) => (q % 5 === 4 ? EMPTY_SLOT : r.int(dSae)));
    const val = randn(batch * k, 3).map(Math.abs);
    const pi = heap.put(idx), pv = heap.put(val), pw = heap.put(sae.wDec), pb = heap.put(sae.bDec), out = heap.alloc(batch * dIn * 4);
    const s = { batch, M: 1, dIn, dSae, k };
    for (const withBias of [true, false]) {
      w.wb_decode(pi, pv, pw, withBias ? pb : 0, batch, dIn, dSae, k, out);
      const want = decodeSparse(s, sae.wDec, sae.bDec, idx, val, new Float32Array(batch * dIn), { withBias, targetMemberStride: 0, targetScale: 1 }).xHat;
      expectClose(heap.f32(out, batch * dIn), want, f32Tol(k), `xHat (bias ${withBias})`);
    }
  });
});

describe('the sparse backward (wb_decode_backward + wb_encode_backward) vs loss.ts lossAndGrads', () => {
  it.each([
    [1, 1, 1, 1],
    [3, 5, 7, 2],
    [4, 8, 8, 8], // k = dSae: every latent active
    [9, 13, 17, 3],
  ])('batch %i, dIn %i, dSae %i, k %i: the TopK gradients (AuxK off) of every parameter', (batch, dIn, dSae, k) => {
    w.wb_reset();
    const sae = randomSae(dIn, dSae, k, 5 * dSae + k);
    const x = randn(batch * dIn, 17 + k);
    const grads: SaeGrads = { wEnc: new Float32Array(dSae * dIn), bEnc: new Float32Array(dSae), wDec: new Float32Array(dSae * dIn), bDec: new Float32Array(dIn), logThreshold: new Float32Array(0) };
    const ref = lossAndGrads(sae, x, batch, { l1Coefficient: 0, bandwidth: 0, auxkCoefficient: 0, kAux: 1, dead: new Uint8Array(dSae) }, grads);
    // forward with the kernels, then the backward
    const px = heap.put(x), pbd = heap.put(sae.bDec), pwe = heap.put(sae.wEnc), pbe = heap.put(sae.bEnc), pwd = heap.put(sae.wDec);
    const packed = heap.alloc(w.wb_packed_len(dSae, dIn) * 4), xc = heap.alloc(batch * dIn * 4), z = heap.alloc(batch * dSae * 4);
    const idx = heap.alloc(batch * k * 4), val = heap.alloc(batch * k * 4), gVal = heap.alloc(batch * k * 4), xHat = heap.alloc(batch * dIn * 4);
    const gWEnc = heap.alloc(dSae * dIn * 4), gBEnc = heap.alloc(dSae * 4), gWDec = heap.alloc(dSae * dIn * 4), gBDec = heap.alloc(dIn * 4), touched = heap.alloc(dSae);
    w.wb_pack_enc(pwe, dSae, dIn, packed);
    w.wb_encode(px, pbd, packed, pbe, batch, dIn, dSae, xc, z);
    w.wb_topk(z, batch, dSae, k, 0, idx, val);
    w.wb_decode(idx, val, pwd, pbd, batch, dIn, dSae, k, xHat);
    expectClose(heap.f32(xHat, batch * dIn), ref.xHat, f32Tol(dIn), 'xHat');
    const gOut = heap.f32(xHat, batch * dIn);
    const gB = heap.f32(gBDec, dIn);
    for (let j = 0; j < gOut.length; j++) {
      gOut[j] = (2 / batch) * (gOut[j] - x[j]);
      gB[j % dIn] += gOut[j];
    }
    w.wb_decode_backward(idx, val, pwd, xHat, batch, dIn, dSae, k, gVal, gWDec, touched);
    w.wb_encode_backward(idx, gVal, xc, pwe, batch, dIn, dSae, k, gWEnc, gBEnc, gBDec, touched);
    const tol = { atol: 2e-6 * dIn, rtol: 1e-4 };
    expectClose(heap.f32(gWEnc, dSae * dIn), grads.wEnc, tol, 'gWEnc');
    expectClose(heap.f32(gBEnc, dSae), grads.bEnc, tol, 'gBEnc');
    expectClose(heap.f32(gWDec, dSae * dIn), grads.wDec, tol, 'gWDec');
    expectClose(heap.f32(gBDec, dIn), grads.bDec, tol, 'gBDec');
    // touched = the latents with a nonzero gradient row (the optimiser skips the rest)
    const t = heap.u8(touched, dSae);
    for (let i = 0; i < dSae; i++) if (grads.wDec.subarray(i * dIn, (i + 1) * dIn).some((g) => g !== 0)) expect(t[i], `touched[${i}]`).toBe(1);
  });
});

describe('the optimiser kernels (twins: optim.ts)', () => {
  it.each([[1, 1], [3, 5], [7, 9], [4, 16]])('wb_project, wb_clip, wb_adam, wb_normalize on dSae %i × dIn %i', (dSae, dIn) => {
    w.wb_reset();
    const sae = randomSae(dIn, dSae, 1, dSae * 13 + dIn);
    const g: SaeGrads = { wEnc: randn(dSae * dIn, 1), bEnc: randn(dSae, 2), wDec: randn(dSae * dIn, 3), bDec: randn(dIn, 4), logThreshold: new Float32Array(0) };
    if (dSae > 1) g.wDec.fill(0, 0, dIn); // an untouched row
    const touched = Uint8Array.from({ length: dSae }, (_, i) => (dSae > 1 && i === 0 ? 0 : 1));
    if (dSae > 1) g.wEnc.fill(0, 0, dIn);
    const pw = heap.put(sae.wDec), pg = heap.put(g.wDec), pt = heap.put(touched);
    const pge = heap.put(g.wEnc), pgb = heap.put(g.bEnc), pgd = heap.put(g.bDec);
    w.wb_project(pw, pg, pt, dSae, dIn);
    projectDecoderGrad(sae.wDec, g.wDec, dSae, dIn);
    expectClose(heap.f32(pg, dSae * dIn), g.wDec, f32Tol(dIn), 'projected gDec');
    g.wDec.set(heap.f32(pg, dSae * dIn));
    const norm = w.wb_clip(pge, pgb, pg, pgd, pt, dSae, dIn, 0.5);
    const refNorm = clipGradNorm(g, 0.5);
    expect(norm).toBeCloseTo(refNorm, 5);
    expectClose(heap.f32(pge, dSae * dIn), g.wEnc, f32Tol(1), 'clipped gWEnc');
    expectClose(heap.f32(pg, dSae * dIn), g.wDec, f32Tol(1), 'clipped gWDec');
    expectClose(heap.f32(pgb, dSae), g.bEnc, f32Tol(1), 'clipped gBEnc');
    expectClose(heap.f32(pgd, dIn), g.bDec, f32Tol(1), 'clipped gBDec');
    // Adam, three steps on wEnc from the same gradients
    const m = heap.alloc(dSae * dIn * 4), v = heap.alloc(dSae * dIn * 4), p = heap.put(sae.wEnc);
    const state = { m: [new Float32Array(dSae * dIn), new Float32Array(dSae), new Float32Array(dSae * dIn), new Float32Array(dIn), new Float32Array(0)], v: [new Float32Array(dSae * dIn), new Float32Array(dSae), new Float32Array(dSae * dIn), new Float32Array(dIn), new Float32Array(0)], t: 0 };
    const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    for (let t = 1; t <= 3; t++) {
      w.wb_adam(p, pge, m, v, dSae * dIn, h.lr, h.beta1, h.beta2, h.eps, 1 - h.beta1 ** t, 1 - h.beta2 ** t);
      adamStep(sae, g, state, h);
    }
    expectClose(heap.f32(p, dSae * dIn), sae.wEnc, { atol: 1e-7, rtol: 1e-6 }, 'wEnc after Adam');
    expectClose(heap.f32(m, dSae * dIn), state.m[0], { atol: 1e-9, rtol: 1e-6 }, 'm');
    expectClose(heap.f32(v, dSae * dIn), state.v[0], { atol: 1e-12, rtol: 1e-6 }, 'v');
    const rows = randn(dSae * dIn, 5);
    if (dSae > 1) rows.fill(0, dIn, 2 * dIn); // a zero row stays zero
    const pr = heap.put(rows);
    w.wb_normalize(pr, dSae, dIn);
    normalizeRows(rows, dSae, dIn);
    expectClose(heap.f32(pr, dSae * dIn), rows, { atol: 0, rtol: 3e-7 }, 'normalised rows');
  });
});

describe('the firing statistics (twins: firing.ts updateFiring, deadMask)', () => {
  it('counts fires per latent from the slots, resets or advances tokens since fired, marks the dead', () => {
    w.wb_reset();
    const batch = 5, dSae = 9, k = 2;
    const z = tied(batch * dSae, 4);
    const f = new Float32Array(batch * dSae);
    const idx = new Uint32Array(batch * k), val = new Float32Array(batch * k);
    for (let t = 0; t < batch; t++) {
      topkRow(z, t * dSae, dSae, k).forEach((i, s) => {
        idx[t * k + s] = i;
        val[t * k + s] = Math.max(0, z[t * dSae + i]);
        f[t * dSae + i] = val[t * k + s];
      });
    }
    const fc = Float64Array.from({ length: dSae }, (_, i) => i);
    const since = Float64Array.from({ length: dSae }, (_, i) => 10 * i);
    const pi = heap.put(idx), pv = heap.put(val), counts = heap.alloc(dSae * 4), pfc = heap.put(fc), ps = heap.put(since), dead = heap.alloc(dSae);
    const active = w.wb_firing(pi, pv, batch, dSae, k, counts, pfc, ps);
    expect(active).toBe(updateFiring(f, batch, dSae, fc, since));
    expect(Array.from(heap.f64(pfc, dSae))).toEqual(Array.from(fc));
    expect(Array.from(heap.f64(ps, dSae))).toEqual(Array.from(since));
    const refDead = new Uint8Array(dSae);
    expect(w.wb_dead(ps, dSae, 40, dead)).toBe(deadMask(since, 40, refDead));
    expect(Array.from(heap.u8(dead, dSae))).toEqual(Array.from(refDead));
  });
});
