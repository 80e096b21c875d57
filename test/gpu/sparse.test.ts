// The sparse decode and backward kernels (decode, decodeBackward, latentIndex, weightGrad, bDecGrad) against
// their twins in src/core/sae/sparse.ts, run as the step runs them: main term (overwrite), then AuxK (accumulate),
// then the decoder-bias gradient. Edge sizes, empty slots, latents selected by no row or by every row, a small
// tiling that makes every loop take several chunks, grids past 65,535 workgroups, and bitwise determinism.
// Imports src/core, src/gpu and the test helpers; Node + Dawn (SwiftShader) only.
//
// Tolerances: each kernel is compared with its twin on the GPU's own inputs (the upstream outputs read back),
// so errors do not compound. The twin sums in f64 and rounds once; the GPU sums K terms in f32, so
// |gpu − twin| ≤ γ·Σ|terms| with γ = (K + 4)·2⁻²⁴ (K roundings of the running sum, the +4 covering the
// few roundings inside each term: the coefficient product, x − bDec, the scale factor). Σ|terms| is the twin
// itself run on absolute values. K: decode k + 1 (bias); decodeBackward dIn; weightGrad the segment length
// (≤ batch); bDecGrad batch + dSae. e = xHat − targetScale·target is one rounding of the GPU's own xHat
// (1 ulp). latentIndex is integer: exact.

import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../src/core/math/random.ts';
import {
  bDecGradSparse,
  decodeBackwardSparse,
  decodeSparse,
  EMPTY_SLOT,
  latentSegments,
  segmentGrad,
  type SparseSizes,
} from '../../src/core/sae/sparse.ts';
import type { Recorder } from '../../src/gpu/kernel.ts';
import { compileSparseKernels, prepareBDecGrad, prepareDecode, prepareTermBackward, type SparseKernels, type SparseTuning } from '../../src/gpu/kernels/sparse.ts';
import { readF32, uploadF32, useGpu, withErrorScope } from '../helpers/gpu.ts';
import { abs, expectBitwise, expectWithin } from '../helpers/close.ts';

const gpu = useGpu();
const ALPHA = 0.5;

function uploadU32(device: GPUDevice, data: Uint32Array, label: string): GPUBuffer {
  return uploadF32(device, new Float32Array(data.buffer, data.byteOffset, data.length), label); // a byte copy
}

async function readU32(device: GPUDevice, buffer: GPUBuffer, length: number): Promise<Uint32Array> {
  const f = await readF32(device, buffer, length);
  return new Uint32Array(f.buffer, f.byteOffset, length);
}


interface Case {
  name: string;
  s: SparseSizes;
  /** AuxK slots per (row, member); 0 = no AuxK term. */
  kAux: number;
  /** Force this latent into one slot of every (row, member). */
  hot?: number;
  tuning?: Partial<SparseTuning>;
  /** Skip the second run (determinism) where SwiftShader would take too long. */
  once?: boolean;
}

/**
 * Slots [batch, M, k]: distinct latents per (row, member) at random positions, some empty (EMPTY_SLOT, 0),
 * some selected with val 0 (ReLU'd away), the rest positive.
 */
function randomSlots(rng: Rng, s: SparseSizes, k: number, pEmpty: number, hot?: number): { idx: Uint32Array; val: Float32Array } {
  const { batch, M, dSae } = s;
  const idx = new Uint32Array(batch * M * k).fill(EMPTY_SLOT);
  const val = new Float32Array(batch * M * k);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < M; j++) {
      const used = new Set<number>(); // latents other than `hot` taken in this (row, member)
      const others = hot === undefined ? dSae : dSae - 1;
      const hotSlot = hot === undefined ? -1 : (b + j) % k;
      for (let t = 0; t < k; t++) {
        const q = (b * M + j) * k + t;
        let i: number;
        if (t === hotSlot) i = hot as number;
        else {
          if (used.size >= others || rng.uniform() < pEmpty) continue;
          do i = rng.int(dSae);
          while (used.has(i) || i === hot);
          used.add(i);
        }
        idx[q] = i;
        val[q] = rng.uniform() < 0.15 ? 0 : 0.1 + 2 * rng.uniform();
      }
    }
  }
  return { idx, val };
}

const normals = (rng: Rng, n: number, sd = 1): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * sd);

const kernelCache = new Map<string, Promise<SparseKernels>>();
function kernelsFor(device: GPUDevice, tuning: Partial<SparseTuning> = {}): Promise<SparseKernels> {
  const key = JSON.stringify(tuning);
  if (!kernelCache.has(key)) kernelCache.set(key, compileSparseKernels(device, tuning));
  return kernelCache.get(key) as Promise<SparseKernels>;
}

async function runCase(c: Case): Promise<void> {
  const { device } = gpu();
  const kernels = await kernelsFor(device, c.tuning);
  const { s, kAux } = c;
  const { batch, M, dIn, dSae, k } = s;
  const N = M * dSae;
  const rng = createRng(batch * 7919 + M * 104729 + dIn * 31 + dSae * 3 + k);
  const x = normals(rng, batch * dIn);
  const wDec = normals(rng, N * dIn, 0.5);
  const wEnc = normals(rng, N * dIn, 0.5);
  const bDec = normals(rng, M * dIn, 0.3);
  const main = randomSlots(rng, s, k, 0.1, c.hot);
  const aux: SparseSizes = { ...s, k: Math.max(kAux, 1) };
  const auxSlots = randomSlots(rng, aux, aux.k, 0.4, c.hot === undefined ? undefined : (c.hot + 1) % dSae);
  const memberScale = Float32Array.from({ length: M }, (_, j) => (j === 1 ? 0 : 0.25 + 0.75 * rng.uniform()));

  await withErrorScope(device, async () => {
    const made: GPUBuffer[] = [];
    const f32 = (data: Float32Array | number, label: string): GPUBuffer => {
      const b = uploadF32(device, typeof data === 'number' ? new Float32Array(data).fill(NaN) : data, label);
      made.push(b);
      return b;
    };
    const u32 = (data: Uint32Array | number, label: string): GPUBuffer => {
      const b = uploadU32(device, typeof data === 'number' ? new Uint32Array(data).fill(0xdeadbeef) : data, label);
      made.push(b);
      return b;
    };
    const buf = {
      x: f32(x, 'x'),
      wDec: f32(wDec, 'wDec'),
      wEnc: f32(wEnc, 'wEnc'),
      bDec: f32(bDec, 'bDec'),
      idx: u32(main.idx, 'idx'),
      val: f32(main.val, 'val'),
      auxIdx: u32(auxSlots.idx, 'auxIdx'),
      auxVal: f32(auxSlots.val, 'auxVal'),
      memberScale: f32(memberScale, 'memberScale'),
      xHat: f32(M * batch * dIn, 'xHat'),
      e: f32(M * batch * dIn, 'e'),
      sqErr: f32(M * batch, 'sqErr'),
      auxXHat: f32(M * batch * dIn, 'auxXHat'),
      auxE: f32(M * batch * dIn, 'auxE'),
      auxSqErr: f32(M * batch, 'auxSqErr'),
      gVal: f32(batch * M * k, 'gVal'),
      auxGVal: f32(batch * M * aux.k, 'auxGVal'),
      counts: u32(N + 1, 'counts'),
      offsets: u32(N + 1, 'offsets'),
      entries: u32(batch * M * k, 'entries'),
      auxOffsets: u32(N + 1, 'auxOffsets'),
      auxEntries: u32(batch * M * aux.k, 'auxEntries'),
      dWDec: f32(N * dIn, 'dWDec'),
      dWEnc: f32(N * dIn, 'dWEnc'),
      dBEnc: f32(N, 'dBEnc'),
      dBDec: f32(M * dIn, 'dBDec'),
    };
    const grads = { dWDec: buf.dWDec, dWEnc: buf.dWEnc, dBEnc: buf.dBEnc };
    const mainPart: Recorder[] = [
      prepareDecode(device, kernels, s, { target: buf.x, wDec: buf.wDec, bDec: buf.bDec, idx: buf.idx, val: buf.val, xHat: buf.xHat, e: buf.e, sqErr: buf.sqErr }, { withBias: true, targetMemberStride: 0, targetScale: 1 }),
      prepareTermBackward(device, kernels, s, { ...grads, x: buf.x, wDec: buf.wDec, bDec: buf.bDec, idx: buf.idx, val: buf.val, e: buf.e, memberScale: null, gVal: buf.gVal, counts: buf.counts, offsets: buf.offsets, entries: buf.entries }, { coeff: 1, accumulate: false }),
    ];
    const auxPart: Recorder[] = [];
    if (kAux > 0) {
      auxPart.push(
        prepareDecode(device, kernels, aux, { target: buf.e, wDec: buf.wDec, bDec: buf.bDec, idx: buf.auxIdx, val: buf.auxVal, xHat: buf.auxXHat, e: buf.auxE, sqErr: buf.auxSqErr }, { withBias: false, targetMemberStride: batch * dIn, targetScale: -1 }),
        prepareTermBackward(device, kernels, aux, { ...grads, x: buf.x, wDec: buf.wDec, bDec: buf.bDec, idx: buf.auxIdx, val: buf.auxVal, e: buf.auxE, memberScale: buf.memberScale, gVal: buf.auxGVal, counts: buf.counts, offsets: buf.auxOffsets, entries: buf.auxEntries }, { coeff: ALPHA, accumulate: true }),
      );
    }
    auxPart.push(prepareBDecGrad(device, kernels, s, { e: buf.e, dBEnc: buf.dBEnc, wEnc: buf.wEnc, dBDec: buf.dBDec }));
    const submit = (parts: Recorder[]): void => {
      const encoder = device.createCommandEncoder({ label: 'sparse test' });
      const pass = encoder.beginComputePass();
      for (const p of parts) p.record(pass);
      pass.end();
      device.queue.submit([encoder.finish()]);
    };
    const readGrads = async (): Promise<Float32Array[]> => [await readF32(device, buf.dWDec, N * dIn), await readF32(device, buf.dWEnc, N * dIn), await readF32(device, buf.dBEnc, N)];

    // ---- main term ----
    submit(mainPart);
    const xHat = await readF32(device, buf.xHat, M * batch * dIn);
    const e = await readF32(device, buf.e, M * batch * dIn);
    const sqErr = await readF32(device, buf.sqErr, M * batch);
    const gVal = await readF32(device, buf.gVal, batch * M * k);
    const offsets = await readU32(device, buf.offsets, N + 1);
    const entries = await readU32(device, buf.entries, batch * M * k);
    const [dWDecMain, dWEncMain, dBEncMain] = await readGrads();

    const decOpts = { withBias: true, targetMemberStride: 0, targetScale: 1 };
    const dec = decodeSparse(s, wDec, bDec, main.idx, main.val, x, decOpts);
    const decAbs = decodeSparse(s, abs(wDec), abs(bDec), main.idx, main.val, x, decOpts);
    expectWithin(xHat, dec.xHat, decAbs.xHat, k + 1, 'decode xHat');
    checkResidual(s, xHat, e, sqErr, x, 0, 1, 'decode');

    const gValWant = decodeBackwardSparse(s, e, wDec, main.idx, main.val, 1);
    expectWithin(gVal, gValWant, decodeBackwardSparse(s, abs(e), abs(wDec), main.idx, main.val, 1), dIn, 'decodeBackward gVal');

    const seg = latentSegments(s, main.idx);
    expectBitwise(offsets, seg.offsets, 'latentIndex offsets');
    expectBitwise(entries.subarray(0, seg.offsets[N]), seg.entries.subarray(0, seg.offsets[N]), 'latentIndex entries');
    if (c.hot !== undefined) expect(seg.offsets[c.hot + 1] - seg.offsets[c.hot]).toBe(batch);
    if (dSae > batch * k) expect(seg.offsets.some((o, m) => m < N && seg.offsets[m + 1] === o), 'some latent is selected by no row').toBe(true);

    const K = batch + 1;
    const want = segmentGrads(s, seg, main.val, gVal, e, x, bDec, 1, null, null);
    const bound = segmentGrads(s, seg, abs(main.val), abs(gVal), abs(e), abs(x), bDec.map((v) => -Math.abs(v)), 1, null, null);
    expectWithin(dWDecMain, want.dWDec, bound.dWDec, K, 'weightGrad dWDec (main)');
    expectWithin(dWEncMain, want.dWEnc, bound.dWEnc, K, 'weightGrad dWEnc (main)');
    expectWithin(dBEncMain, want.dBEnc, bound.dBEnc, K, 'weightGrad dBEnc (main)');

    // ---- AuxK term (accumulated) and the decoder-bias gradient ----
    submit(auxPart);
    let dBEncFinal = dBEncMain;
    const final = await readGrads();
    if (kAux > 0) {
      const auxXHat = await readF32(device, buf.auxXHat, M * batch * dIn);
      const auxE = await readF32(device, buf.auxE, M * batch * dIn);
      const auxSqErr = await readF32(device, buf.auxSqErr, M * batch);
      const auxGVal = await readF32(device, buf.auxGVal, batch * M * aux.k);
      const auxOffsets = await readU32(device, buf.auxOffsets, N + 1);
      const auxEntries = await readU32(device, buf.auxEntries, batch * M * aux.k);

      const auxOpts = { withBias: false, targetMemberStride: batch * dIn, targetScale: -1 };
      const auxDec = decodeSparse(aux, wDec, bDec, auxSlots.idx, auxSlots.val, e, auxOpts);
      const auxDecAbs = decodeSparse(aux, abs(wDec), abs(bDec), auxSlots.idx, auxSlots.val, e, auxOpts);
      expectWithin(auxXHat, auxDec.xHat, auxDecAbs.xHat, aux.k + 1, 'decode ê (AuxK, no bDec)');
      checkResidual(aux, auxXHat, auxE, auxSqErr, e, batch * dIn, -1, 'decode (AuxK)');

      const g = decodeBackwardSparse(aux, auxE, wDec, auxSlots.idx, auxSlots.val, ALPHA, memberScale);
      expectWithin(auxGVal, g, decodeBackwardSparse(aux, abs(auxE), abs(wDec), auxSlots.idx, auxSlots.val, ALPHA, memberScale), dIn, 'decodeBackward gVal (AuxK)');

      const auxSeg = latentSegments(aux, auxSlots.idx);
      expectBitwise(auxOffsets, auxSeg.offsets, 'latentIndex offsets (AuxK)');
      expectBitwise(auxEntries.subarray(0, auxSeg.offsets[N]), auxSeg.entries.subarray(0, auxSeg.offsets[N]), 'latentIndex entries (AuxK)');

      // accumulate = 1: final = (the GPU's main gradient) + (the AuxK segment sum).
      const w = segmentGrads(aux, auxSeg, auxSlots.val, auxGVal, auxE, x, bDec, ALPHA, memberScale, [dWDecMain, dWEncMain, dBEncMain]);
      const wb = segmentGrads(aux, auxSeg, abs(auxSlots.val), abs(auxGVal), abs(auxE), abs(x), bDec.map((v) => -Math.abs(v)), ALPHA, memberScale, null);
      const withMain = (bound: Float32Array, mainPart: Float32Array): Float32Array => bound.map((v, i) => v + Math.abs(mainPart[i]));
      expectWithin(final[0], w.dWDec, withMain(wb.dWDec, dWDecMain), K, 'weightGrad dWDec (main + AuxK)');
      expectWithin(final[1], w.dWEnc, withMain(wb.dWEnc, dWEncMain), K, 'weightGrad dWEnc (main + AuxK)');
      expectWithin(final[2], w.dBEnc, withMain(wb.dBEnc, dBEncMain), K, 'weightGrad dBEnc (main + AuxK)');
      dBEncFinal = final[2];
    } else {
      for (const [i, name] of ['dWDec', 'dWEnc', 'dBEnc'].entries()) expectBitwise(final[i], [dWDecMain, dWEncMain, dBEncMain][i], `${name} untouched by bDecGrad`);
    }
    const dBDec = await readF32(device, buf.dBDec, M * dIn);
    expectWithin(dBDec, bDecGradSparse(s, e, dBEncFinal, wEnc), bDecGradSparse(s, abs(e), dBEncFinal.map((v) => -Math.abs(v)), abs(wEnc)), batch + dSae, 'bDecGrad dBDec');

    // ---- determinism: the whole step again gives the same bits (gradients are overwritten, not accumulated across steps) ----
    if (!c.once) {
      submit([...mainPart, ...auxPart]);
      const again = await readGrads();
      for (const [i, name] of ['dWDec', 'dWEnc', 'dBEnc'].entries()) expectBitwise(again[i], final[i], `${name}: run 2 vs run 1`);
      expectBitwise(await readF32(device, buf.dBDec, M * dIn), dBDec, 'dBDec: run 2 vs run 1');
      expectBitwise(await readU32(device, buf.entries, batch * M * k), entries, 'entries: run 2 vs run 1');
    }

    for (const p of [...mainPart, ...auxPart]) p.destroy();
    for (const b of made) b.destroy();
  }, c.name);
}

/** e must be one rounding of the GPU's own xHat − targetScale·target; sqErr the sum of its squares (K = dIn). */
function checkResidual(s: SparseSizes, xHat: Float32Array, e: Float32Array, sqErr: Float32Array, target: Float32Array, stride: number, scale: number, label: string): void {
  const { batch, M, dIn } = s;
  const eWant = new Float32Array(e.length);
  const sqWant = new Float32Array(M * batch);
  for (let j = 0; j < M; j++) {
    for (let b = 0; b < batch; b++) {
      let sq = 0;
      for (let d = 0; d < dIn; d++) {
        const o = (j * batch + b) * dIn + d;
        eWant[o] = xHat[o] - scale * target[j * stride + b * dIn + d];
        sq += e[o] * e[o];
      }
      sqWant[j * batch + b] = sq;
    }
  }
  expectWithin(e, eWant, abs(eWant), -2, `${label} e`); // ≤ 2·2⁻²⁴·|e|: the same single rounding
  expectWithin(sqErr, sqWant, sqWant, dIn, `${label} sqErr`);
}

/** The two weightGrad passes of one term, on the twins; `onto` = [dWDec, dWEnc, dBEnc] to accumulate into. */
function segmentGrads(
  s: SparseSizes,
  seg: ReturnType<typeof latentSegments>,
  val: Float32Array,
  gVal: Float32Array,
  e: Float32Array,
  x: Float32Array,
  bDec: Float32Array,
  coeff: number,
  memberScale: Float32Array | null,
  onto: Float32Array[] | null,
): { dWDec: Float32Array; dWEnc: Float32Array; dBEnc: Float32Array } {
  const N = s.M * s.dSae;
  const dWDec = onto ? onto[0].slice() : new Float32Array(N * s.dIn);
  const dWEnc = onto ? onto[1].slice() : new Float32Array(N * s.dIn);
  const dBEnc = onto ? onto[2].slice() : new Float32Array(N);
  const accumulate = onto !== null;
  segmentGrad(s, seg, val, e, { srcMemberStride: s.batch * s.dIn, factor: (2 / s.batch) * coeff, memberScale: memberScale ?? undefined, accumulate }, dWDec);
  segmentGrad(s, seg, gVal, x, { srcMemberStride: 0, bias: bDec, factor: 1, accumulate }, dWEnc, dBEnc);
  return { dWDec, dWEnc, dBEnc };
}

// Every loop takes several chunks, segments longer than 2 take the long sort (longer than 4: in global memory),
// and every grid wider than 5 workgroups folds into 2-D.
const SMALL_TILES: Partial<SparseTuning> = { decodeWg: 4, backwardWg: 8, backwardSplit: 2, indexWg: 4, sortShort: 2, sortCap: 4, weightGradWg: 4, bDecTd: 4, bDecRy: 2, foldAt: 5 };
// One invocation per workgroup: grids past 65,535 cost SwiftShader little (its barriers are per invocation).
const TINY_WG: Partial<SparseTuning> = { decodeWg: 1, backwardWg: 1, backwardSplit: 1, indexWg: 1, weightGradWg: 1, bDecTd: 1, bDecRy: 1 };

const CASES: Case[] = [
  { name: 'all ones', s: { batch: 1, M: 1, dIn: 1, dSae: 1, k: 1 }, kAux: 1 },
  { name: '3 members, odd sizes', s: { batch: 3, M: 3, dIn: 7, dSae: 33, k: 4 }, kAux: 4 },
  { name: 'dIn = tile (64), batch 65, dSae 257', s: { batch: 65, M: 1, dIn: 64, dSae: 257, k: 4 }, kAux: 4 },
  { name: 'dIn = tile + 1 (65), 3 members, a latent selected by every row', s: { batch: 65, M: 3, dIn: 65, dSae: 33, k: 1 }, kAux: 4, hot: 5 },
  { name: 'k > dSae (empty main slots), no AuxK', s: { batch: 3, M: 1, dIn: 65, dSae: 1, k: 4 }, kAux: 0 },
  { name: 'dIn = tile − 1, one row, 3 members', s: { batch: 1, M: 3, dIn: 63, dSae: 257, k: 1 }, kAux: 1 },
  { name: 'dIn 1, 3 members, hot latent 0', s: { batch: 65, M: 3, dIn: 1, dSae: 257, k: 4 }, kAux: 4, hot: 0 },
  { name: 'k = 65 > the decode tile', s: { batch: 3, M: 3, dIn: 7, dSae: 257, k: 65 }, kAux: 1 },
  { name: 'small tiles (chunked loops, long-segment sorts, folded grids)', s: { batch: 65, M: 3, dIn: 7, dSae: 33, k: 4 }, kAux: 4, hot: 32, tuning: SMALL_TILES },
  { name: 'small tiles, long segments without a hot latent', s: { batch: 65, M: 1, dIn: 3, dSae: 5, k: 4 }, kAux: 2, tuning: SMALL_TILES },
  { name: 'small tiles, dSae 1', s: { batch: 3, M: 1, dIn: 5, dSae: 1, k: 4 }, kAux: 0, tuning: SMALL_TILES },
];

describe('sparse decode and backward kernels match their twins (src/core/sae/sparse.ts)', () => {
  it.each(CASES)('$name: batch $s.batch M $s.M dIn $s.dIn dSae $s.dSae k $s.k kAux $kAux', (c) => runCase(c));

  it('65,537 rows: decode and decodeBackward grids fold past 65,535; a 65,537-long segment sorts in global memory', () =>
    runCase({ name: 'big batch', s: { batch: 65537, M: 1, dIn: 1, dSae: 2, k: 1 }, kAux: 0, hot: 1, tuning: TINY_WG, once: true }));

  it('N = 65,538 latents: latentIndex and weightGrad grids fold past 65,535', () =>
    runCase({ name: 'big N', s: { batch: 3, M: 2, dIn: 1, dSae: 32769, k: 1 }, kAux: 1, tuning: TINY_WG, once: true }));

  it('recorders name the buffer, its size and the shape it needs', async () => {
    const { device } = gpu();
    const kernels = await kernelsFor(device);
    await withErrorScope(device, () => {
      const small = uploadF32(device, new Float32Array(4), 'small');
      const s: SparseSizes = { batch: 2, M: 1, dIn: 3, dSae: 5, k: 1 };
      const b = { target: small, wDec: small, bDec: small, idx: small, val: small, xHat: small, e: small, sqErr: small };
      expect(() => prepareDecode(device, kernels, s, b, { withBias: true, targetMemberStride: 0, targetScale: 1 })).toThrow(
        'decode: target has 16 bytes, needs 24 ([batch, dIn] of 4-byte elements)',
      );
      small.destroy();
    });
  });
});
