// The dense-code kernels (activation, decodeDense, the decoder-gradient GEMM on encode.wgsl, gemmTN, bDecGrad reused)
// against their twins in src/core/sae/dense.ts, run as a ReLU / JumpReLU / BatchTopK step runs them (prepareDenseTerm, then bDecGrad).
// Edge sizes (dIn 1, 7, 64, 65; dSae 1, 33, 257; batch 1, 3, 65; M 1, 3), both gF layouts, tiny tilings that make
// every loop take several chunks, grids past 65,535 workgroups, JumpReLU near its threshold (ties at θ, the STE
// window's open edges), and bitwise determinism. Imports src/core, src/gpu and the test helpers; Node + Dawn only.
//
// Tolerances: each kernel is compared with its twin on the GPU's own inputs (upstream outputs read back), so
// errors do not compound. The twin sums in f64 and rounds once; the GPU sums K terms in f32, so
// |gpu − twin| ≤ (K + 4)·2⁻²⁴·Σ|terms| (K roundings of the running sum; +4 for the few inside each term: the
// 2/batch and λ factors, x − bDec, the L1 term, the bias added after the sum). Σ|terms| is the twin run on
// absolute values. K: decodeDense dSae + 1; rowSqErr and gF dIn; prepNorm dIn; gemmTN, thresholdGrad batch;
// bDecGrad batch + dSae; elementwise backward 1; thresholdGrad batch + 4 (its terms carry ~8 roundings). Forward codes are selections of z: bitwise. θ = exp(logθ) is
// the GPU's (WGSL allows 3 + 2|x| ulp), so the twins take the GPU's θ; the check on θ itself allows 8 ulp.

import { describe, expect, it } from 'vitest';
import {
  activationBackward,
  activationForward,
  bDecGradDense,
  decodeDense,
  decoderGradDense,
  gemmTN,
  latentNorms,
  thresholdGrad,
  thresholds,
  type DenseArch,
  type DenseSizes,
} from '../../src/core/sae/dense.ts';
import { createRng, type Rng } from '../../src/core/math/random.ts';
import { compileEncodeTiling, type EncodeGemm, type EncodeTiling } from '../../src/gpu/kernels/encode.ts';
import { sequence } from '../../src/gpu/kernel.ts';
import { compileDenseKernels, decoderGradLayout, prepareDenseTerm, type DenseKernels, type DenseTuning, type GfLayout } from '../../src/gpu/kernels/dense.ts';
import { compileSparseKernels, prepareBDecGrad, type SparseKernels } from '../../src/gpu/kernels/sparse.ts';
import { readF32, uploadF32, useGpu, withErrorScope } from '../helpers/gpu.ts';
import { abs, expectBitwise, expectWithin } from '../helpers/close.ts';

const gpu = useGpu();
const L1 = 0.3;


interface Case {
  name: string;
  arch: DenseArch;
  s: DenseSizes;
  tuning?: Partial<DenseTuning>;
  encode?: EncodeTiling;
  gfMode?: 'auto' | GfLayout['mode'];
  /** jumprelu: put z near θ (ties, window edges). */
  nearThreshold?: boolean;
  /** Skip the second run and the expensive bound checks where SwiftShader would take too long. */
  once?: boolean;
  /** Check that some grid really exceeds 65,535 workgroups along x (documentation of the case). */
  bigGrid?: string;
}

const TINY: Partial<DenseTuning> = { activationWg: 4, decodeWgD: 2, decodeWgB: 2, decodeKt: 4, gemmWgM: 2, gemmWgD: 2, gemmKt: 4 };
const ONE: Partial<DenseTuning> = { activationWg: 1, decodeWgD: 1, decodeWgB: 1, decodeKt: 4, gemmWgM: 1, gemmWgD: 1, gemmKt: 4 };
const TINY_ENCODE: EncodeTiling = { wgN: 2, wgB: 2, rb: 4, kt: 4 };
const T32: EncodeTiling = { wgN: 8, wgB: 8, rb: 4, kt: 16 };

const cases: Case[] = [
  { name: 'relu, all ones', arch: 'relu', s: { batch: 1, M: 1, dIn: 1, dSae: 1 } },
  { name: 'relu, M 3, odd sizes, tiny tiles (block-diagonal gF)', arch: 'relu', s: { batch: 3, M: 3, dIn: 7, dSae: 33 }, tuning: TINY, encode: TINY_ENCODE },
  { name: 'relu, dIn 65 (tile + 1), dSae 257, batch 65', arch: 'relu', s: { batch: 65, M: 1, dIn: 65, dSae: 257 }, encode: T32 },
  { name: 'jumprelu, near threshold, M 3, dIn 64', arch: 'jumprelu', s: { batch: 65, M: 3, dIn: 64, dSae: 33 }, nearThreshold: true, encode: T32 },
  { name: 'jumprelu, near threshold, tiny tiles, dIn 65', arch: 'jumprelu', s: { batch: 3, M: 1, dIn: 65, dSae: 257 }, tuning: TINY, encode: TINY_ENCODE, nearThreshold: true },
  { name: 'batchtopk, M 3, dSae 257, dIn 1', arch: 'batchtopk', s: { batch: 3, M: 3, dIn: 1, dSae: 257 }, encode: TINY_ENCODE },
  { name: 'batchtopk, dIn 7, batch 65, tiny tiles', arch: 'batchtopk', s: { batch: 65, M: 1, dIn: 7, dSae: 33 }, tuning: TINY, encode: TINY_ENCODE },
  // Member offsets aligned to 256 bytes: gF by M dispatches at buffer offsets.
  { name: 'relu, M 3 aligned (gF at member offsets)', arch: 'relu', s: { batch: 64, M: 3, dIn: 64, dSae: 64 }, gfMode: 'offsets', encode: T32 },
  { name: 'jumprelu, M 3 aligned, block-diagonal gF forced', arch: 'jumprelu', s: { batch: 64, M: 3, dIn: 64, dSae: 64 }, gfMode: 'blockDiagonal', encode: T32, nearThreshold: true },
  // Past 65,535 workgroups: activation (WG 1: batch·N), prepNorm / thresholdGrad (N), gemmTN (4×4 tiles: N/4·⌈dIn/4⌉).
  { name: 'jumprelu, N = 70,000 latents, one row (grids > 65,535)', arch: 'jumprelu', s: { batch: 1, M: 1, dIn: 13, dSae: 70000 }, tuning: ONE, once: true, bigGrid: 'activation, thresholdGrad, gemmTN' },
  // decodeDense: ⌈batch/4⌉·⌈dIn/4⌉ = 275·250 = 68,750 tiles with 1×1 invocations; dSae 1 keeps the work tiny.
  { name: 'relu, batch 1100 × dIn 1000, dSae 1 (decodeDense grid > 65,535)', arch: 'relu', s: { batch: 1100, M: 1, dIn: 1000, dSae: 1 }, tuning: ONE, once: true, bigGrid: 'decodeDense' },
];

const normals = (rng: Rng, n: number, sd = 1): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * sd);

const cache = new Map<string, Promise<unknown>>();
function cached<T>(key: string, make: () => Promise<T>): Promise<T> {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as Promise<T>;
}

/** Member-major [M, batch, dSae] from the GPU's gF layout. */
function gfMemberMajor(s: DenseSizes, layout: GfLayout, raw: Float32Array): Float32Array {
  const { batch, M, dSae } = s;
  const out = new Float32Array(M * batch * dSae);
  for (let j = 0; j < M; j++) {
    for (let b = 0; b < batch; b++) {
      const src = (j * batch + b) * layout.rowStride + j * layout.memberCol;
      out.set(raw.subarray(src, src + dSae), (j * batch + b) * dSae);
    }
  }
  return out;
}

async function runCase(c: Case): Promise<void> {
  const { device } = gpu();
  const { arch, s } = c;
  const { batch, M, dIn, dSae } = s;
  const N = M * dSae;
  const dense = await cached(`dense:${JSON.stringify(c.tuning ?? {})}`, () => compileDenseKernels(device, c.tuning));
  const gemm = await cached(`encode:${JSON.stringify(c.encode ?? TINY_ENCODE)}`, () => compileEncodeTiling(device, c.encode ?? TINY_ENCODE, 'test'));
  const sparse = await cached('sparse', () => compileSparseKernels(device));
  const kernels = { dense: dense as DenseKernels, gemm: gemm as EncodeGemm, sparse: sparse as SparseKernels };
  const bandwidth = 0.25;

  const rng = createRng(batch * 7919 + M * 104729 + dIn * 31 + dSae * 3 + c.name.length);
  const x = normals(rng, batch * dIn);
  const wEnc = normals(rng, N * dIn, 0.5);
  const wDec = normals(rng, N * dIn, 0.5);
  if (N > 2 && arch === 'relu') wDec.fill(0, dIn, 2 * dIn); // a zero decoder row: the L1 term skips it
  const bDec = normals(rng, M * dIn, 0.3);
  // θ in (0.1, 0.9); every 5th latent θ = exp(0) = 1 exactly, so z = 1 is a tie (not kept) and z = 1 ± ε/2 window edges.
  const logThreshold = arch === 'jumprelu' ? Float32Array.from({ length: N }, (_, m) => (m % 5 === 0 ? 0 : Math.log(0.1 + 0.8 * rng.uniform()))) : new Float32Array(0);
  const z = normals(rng, batch * N, 0.8);
  if (c.nearThreshold) {
    for (let q = 0; q < z.length; q++) {
      const m = q % N;
      const theta = Math.exp(logThreshold[m]);
      const r = rng.uniform();
      if (m % 5 === 0) z[q] = [1, 1 + bandwidth / 2, 1 - bandwidth / 2, 1 + bandwidth / 4, 0.9][q % 5]; // ties and both window edges
      else if (r < 0.6) z[q] = theta + (rng.uniform() - 0.5) * bandwidth * 1.02; // inside the window, a few just outside
    }
  }
  // batchtopk: codes as batchTopkThreshold leaves them — z where kept (z > 0), 0 elsewhere, some kept entries exactly 0.
  const fIn = arch === 'batchtopk' ? z.map((v) => (v > 0 && rng.uniform() < 0.4 ? v : 0)) : new Float32Array(batch * N).fill(NaN);

  await withErrorScope(device, async () => {
    const made: GPUBuffer[] = [];
    const f32 = (data: Float32Array | number, label: string): GPUBuffer => {
      const b = uploadF32(device, typeof data === 'number' ? new Float32Array(data).fill(NaN) : data, label);
      made.push(b);
      return b;
    };
    const layout = decoderGradLayout(device, s, c.gfMode ?? 'auto');
    const buf = {
      x: f32(x, 'x'),
      z: f32(z, 'z'),
      f: f32(fIn, 'f'),
      wEnc: f32(wEnc, 'wEnc'),
      wDec: f32(wDec, 'wDec'),
      bDec: f32(bDec, 'bDec'),
      logThreshold: arch === 'jumprelu' ? f32(logThreshold, 'logThreshold') : null,
      xHat: f32(M * batch * dIn, 'xHat'),
      e: f32(M * batch * dIn, 'e'),
      sqErr: f32(M * batch, 'sqErr'),
      gF: f32(layout.elements, 'gF'),
      gz: f32(batch * N, 'gz'),
      latent: arch === 'batchtopk' ? null : f32(N, 'latent'),
      dWEnc: f32(N * dIn, 'dWEnc'),
      dBEnc: f32(N, 'dBEnc'),
      dWDec: f32(N * dIn, 'dWDec'),
      dBDec: f32(M * dIn, 'dBDec'),
      dLogThreshold: arch === 'jumprelu' ? f32(N, 'dLogThreshold') : null,
    };
    const term = prepareDenseTerm(device, kernels, s, arch, buf, { l1Coefficient: 0.5 * L1, bandwidth }, c.gfMode ?? 'auto');
    const bDecGrad = prepareBDecGrad(device, kernels.sparse, { ...s, k: 1 }, { e: buf.e, dBEnc: buf.dBEnc, wEnc: buf.wEnc, dBDec: buf.dBDec });
    const step = sequence([term.forward, term.backward, bDecGrad]); // the order of the trainer's dense plans
    term.setL1Coefficient(L1); // the trainer's warm-up path: λ rewritten between steps
    const submit = (): void => {
      const encoder = device.createCommandEncoder({ label: 'dense test' });
      const pass = encoder.beginComputePass();
      step.record(pass);
      pass.end();
      device.queue.submit([encoder.finish()]);
    };
    const names = ['f', 'xHat', 'e', 'sqErr', 'gF', 'gz', 'dWEnc', 'dBEnc', 'dWDec', 'dBDec', 'latent', 'dLogThreshold'] as const;
    const sizes: Record<(typeof names)[number], number> = { f: batch * N, xHat: M * batch * dIn, e: M * batch * dIn, sqErr: M * batch, gF: layout.elements, gz: batch * N, dWEnc: N * dIn, dBEnc: N, dWDec: N * dIn, dBDec: M * dIn, latent: N, dLogThreshold: N };
    const readAll = async (): Promise<Record<string, Float32Array>> => {
      const out: Record<string, Float32Array> = {};
      for (const n of names) {
        const b = buf[n];
        if (b) out[n] = await readF32(device, b, sizes[n]);
      }
      return out;
    };
    submit();
    const got = await readAll();

    // ---- activation prep and forward ----
    let theta: Float32Array | undefined;
    let decNorm: Float32Array | undefined;
    if (arch === 'jumprelu') {
      theta = got.latent;
      expectWithin(theta, thresholds(logThreshold), thresholds(logThreshold), 4, 'prepTheta θ'); // (4 + 4)·2⁻²⁴: 8 ulp
      expect(Array.from(theta.filter((_, m) => m % 5 === 0)).every((v) => v === 1), 'θ = exp(0) = 1 exactly').toBe(true);
    }
    if (arch === 'relu') {
      decNorm = got.latent;
      expectWithin(decNorm, latentNorms(wDec, N, dIn), latentNorms(wDec, N, dIn), dIn, 'prepNorm ‖wDec‖');
    }
    const f = arch === 'batchtopk' ? fIn : activationForward(arch, z, N, theta);
    expectBitwise(got.f, f, `forward ${arch} codes`);
    if (c.nearThreshold) {
      const ties = z.filter((v, q) => (q % N) % 5 === 0 && v === 1).length;
      expect(ties, 'some z equal θ').toBeGreaterThan(0);
      for (let q = 0; q < z.length; q++) if ((q % N) % 5 === 0 && z[q] === 1) expect(got.f[q], 'a tie at θ is not kept').toBe(0);
    }

    // ---- decodeDense ----
    const dOpts = { withBias: true, targetMemberStride: 0, targetScale: 1 };
    const dec = decodeDense(s, got.f, wDec, bDec, x, dOpts);
    const decAbs = decodeDense(s, abs(got.f), abs(wDec), abs(bDec), x.map(() => 0), dOpts);
    expectWithin(got.xHat, dec.xHat, decAbs.xHat, dSae + 1, 'decodeDense xHat');
    const eWant = new Float32Array(M * batch * dIn);
    for (let j = 0; j < M; j++) for (let q = 0; q < batch * dIn; q++) eWant[j * batch * dIn + q] = got.xHat[j * batch * dIn + q] - x[q];
    expectBitwise(got.e, eWant, 'decodeDense e = one rounding of xHat − x');
    const sqWant = new Float32Array(M * batch);
    for (let r = 0; r < M * batch; r++) {
      let acc = 0;
      for (let d = 0; d < dIn; d++) acc += got.e[r * dIn + d] ** 2;
      sqWant[r] = acc;
    }
    expectWithin(got.sqErr, sqWant, sqWant, dIn, 'rowSqErr (on the GPU e)');

    // ---- decoder gradient (encode.wgsl), activation backward, threshold gradient ----
    const gFgot = gfMemberMajor(s, layout, got.gF);
    expectWithin(gFgot, decoderGradDense(s, got.e, wDec), decoderGradDense(s, abs(got.e), abs(wDec)), dIn, `gF (${layout.mode})`);
    const bOpts = { gScale: 2 / batch, l1c: L1 / batch, decNorm, theta };
    const gzWant = activationBackward(arch, s, z, got.f, gFgot, bOpts);
    const gzBound = activationBackward(arch, s, z, got.f, abs(gFgot), bOpts).map(Math.abs);
    expectWithin(got.gz, gzWant, gzBound, 1, `backward ${arch} gz`);
    if (arch === 'jumprelu') {
      const tOpts = { gScale: 2 / batch, bandwidth, l0Coefficient: L1 };
      const want = thresholdGrad(s, z, gFgot, theta as Float32Array, tOpts);
      const bound = thresholdGrad(s, z, abs(gFgot), theta as Float32Array, tOpts).map(Math.abs); // all terms negative: Σ|terms|
      // K = batch + 4: each term −θ·(1/ε)·(2/batch)·gF − λ/(batch·ε) and the final θ·Σ carry ~8 roundings, not 4.
      expectWithin(got.dLogThreshold, want, bound, batch + 4, 'thresholdGrad dLogThreshold');
      if (c.nearThreshold) expect(want.filter((v) => v !== 0).length, 'latents with rows in the STE window').toBeGreaterThan(0);
    }

    // ---- gemmTN (decoder, encoder) and bDecGrad ----
    const dWDec = new Float32Array(N * dIn);
    const dWDecBound = new Float32Array(N * dIn);
    const l1 = arch === 'relu' ? { scale: L1 / batch, wDec, decNorm: decNorm as Float32Array } : undefined;
    const l1Abs = arch === 'relu' ? { scale: L1 / batch, wDec: abs(wDec), decNorm: decNorm as Float32Array } : undefined;
    gemmTN(s, got.f, got.e, { srcMemberStride: batch * dIn, factor: 2 / batch, l1, accumulate: false }, dWDec);
    gemmTN(s, abs(got.f), abs(got.e), { srcMemberStride: batch * dIn, factor: 2 / batch, l1: l1Abs, accumulate: false }, dWDecBound);
    expectWithin(got.dWDec, dWDec, dWDecBound, batch, 'gemmTN dWDec');
    if (arch === 'relu' && N > 2) expect(got.dWDec.subarray(dIn, 2 * dIn).every(Number.isFinite), 'zero decoder row: L1 term skipped (no 0/0)').toBe(true);
    const dWEnc = new Float32Array(N * dIn);
    const dBEnc = new Float32Array(N);
    const dWEncBound = new Float32Array(N * dIn);
    const dBEncBound = new Float32Array(N);
    gemmTN(s, got.gz, x, { srcMemberStride: 0, bias: bDec, factor: 1, accumulate: false }, dWEnc, dBEnc);
    gemmTN(s, abs(got.gz), abs(x), { srcMemberStride: 0, bias: bDec.map((v) => -Math.abs(v)), factor: 1, accumulate: false }, dWEncBound, dBEncBound);
    expectWithin(got.dWEnc, dWEnc, dWEncBound, batch, 'gemmTN dWEnc');
    expectWithin(got.dBEnc, dBEnc, dBEncBound, batch, 'gemmTN dBEnc');
    expectWithin(got.dBDec, bDecGradDense(s, got.e, got.dBEnc, wEnc), bDecGradDense(s, abs(got.e), got.dBEnc.map((v) => -Math.abs(v)), abs(wEnc)), batch + dSae, 'bDecGrad dBDec');

    // ---- determinism: the whole step again gives the same bits (everything is overwritten) ----
    if (!c.once) {
      submit();
      const again = await readAll();
      for (const n of Object.keys(got)) expectBitwise(again[n], got[n], `${n}: run 2 vs run 1`);
    }
    term.destroy();
    bDecGrad.destroy();
    for (const b of made) b.destroy();
  }, c.name);
}

describe('dense kernels match their twins (src/core/sae/dense.ts)', () => {
  it.each(cases)('$name', async (c) => {
    if (c.bigGrid) {
      const { device } = gpu();
      expect(device.limits.maxComputeWorkgroupsPerDimension, 'the fold is exercised only past this width').toBeLessThan(70000);
    }
    await runCase(c);
  }, 120_000);

  it('decoderGradLayout: offsets when aligned or M = 1, the block diagonal otherwise, and a clear error when forced', () => {
    const { device } = gpu();
    expect(decoderGradLayout(device, { batch: 3, M: 1, dIn: 7, dSae: 5 }).mode).toBe('offsets');
    expect(decoderGradLayout(device, { batch: 64, M: 3, dIn: 64, dSae: 64 }).mode).toBe('offsets');
    const bd = decoderGradLayout(device, { batch: 3, M: 3, dIn: 7, dSae: 5 });
    expect(bd).toEqual({ mode: 'blockDiagonal', rowStride: 15, memberCol: 5, elements: 3 * 3 * 15 });
    expect(() => decoderGradLayout(device, { batch: 3, M: 3, dIn: 7, dSae: 5 }, 'offsets')).toThrow(/multiples of minStorageBufferOffsetAlignment/);
  });
});
