// The encoder GEMM on the GPU (shaders/encode.wgsl, shaders/encodeBias.wgsl) against its CPU twins
// (src/core/sae/gemm.ts; encodePre in src/core/sae/sae.ts for one member): every tile variant, both entry
// points (vec4 loads for dIn % 4 == 0, scalar otherwise), edge shapes around the tiles, 1 and 3
// members, grids folded past 65,535 workgroups, and the variant choice by timing.

import { describe, expect, it } from 'vitest';
import { effectiveBias, encodePreMembers, matmulNT } from '../../src/core/sae/gemm.ts';
import { createRng } from '../../src/core/math/random.ts';
import { encodePre } from '../../src/core/sae/sae.ts';
import { zeroSae } from '../../src/core/sae/types.ts';
import type { Kernel } from '../../src/gpu/kernel.ts';
import {
  chooseEncodeVariant,
  compileEncode,
  compileEncodeBias,
  compileEncodeTiling,
  ENCODE_VARIANTS,
  encodeTile,
  type EncodeGemm,
  type EncodeVariant,
  prepareEncode,
  prepareEncodeBias,
} from '../../src/gpu/kernels/encode.ts';
import { readF32, uploadF32, useGpu, withErrorScope } from '../helpers/gpu.ts';

const gpu = useGpu();
const U = 2 ** -24; // unit roundoff of f32

/**
 * Tolerance. The GPU sums in f32 (one fma per d, in d order; encodeBias: lane partials then a tree),
 * the twin sums exactly (f64 products of f32 values are exact, the f64 sum adds ≲ dIn·2⁻⁵³) and rounds
 * once. The standard bound for an f32 sum of n terms is γ_n·Σ|terms| with γ_n ≈ n·2⁻²⁴:
 *   bEff:  n = dIn + 1 terms (bEnc and the dIn products w·bDec)   → |err| ≤ (dIn + 1)·u·B,  B = |bEnc| + Σ_d |w·bDec|
 *   z:     n = dIn + 1 terms (the dIn products x·w, then + bEff)   → |err| ≤ (dIn + 1)·u·(Σ_d |x·w| + |bEff|) + err(bEff)
 * against the spec (x − bDec)·wᵀ + bEnc; |bEff| ≤ B, and the twin's own rounding adds u·|z| ≤ u·S. So
 * per element we allow (dIn + 3)·u·S with S = Σ_d |x·w| + 2·B: the worst case of the bound, no fudge
 * factor. Random signs make the typical error ~√dIn·u·S; a wrong index or a missing term is O(|z|) off.
 */
function zBound(x: Float32Array, wEnc: Float32Array, bEnc: Float32Array, bDec: Float32Array, batch: number, dSae: number, dIn: number): Float64Array {
  const N = bEnc.length;
  const out = new Float64Array(batch * N);
  for (let m = 0; m < N; m++) {
    const j = Math.floor(m / dSae);
    let B = Math.abs(bEnc[m]);
    for (let d = 0; d < dIn; d++) B += Math.abs(wEnc[m * dIn + d] * bDec[j * dIn + d]);
    for (let b = 0; b < batch; b++) {
      let S = 2 * B;
      for (let d = 0; d < dIn; d++) S += Math.abs(x[b * dIn + d] * wEnc[m * dIn + d]);
      out[b * N + m] = (dIn + 3) * U * S + 1e-30;
    }
  }
  return out;
}

/** |actual − expected| ≤ bound elementwise; reports the count, the worst excess and the first five. */
function expectWithin(actual: Float32Array, expected: Float32Array, bound: Float64Array, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= bound[i])) {
      count++;
      if (bad.length < 5) bad.push(`[${i}] expected ${expected[i]} got ${actual[i]} (bound ${bound[i].toExponential(2)})`);
    }
  }
  if (count > 0) throw new Error(`${label}: ${count}/${expected.length} out of bounds: ${bad.join('; ')}`);
}

interface Problem {
  batch: number;
  members: number;
  dSae: number;
  dIn: number;
  x: Float32Array; // [batch, dIn]
  wEnc: Float32Array; // [N, dIn]
  bEnc: Float32Array; // [N]
  bDec: Float32Array; // [M, dIn]
}

function problem(seed: number, batch: number, members: number, dSae: number, dIn: number): Problem {
  const rng = createRng(seed);
  const N = members * dSae;
  const normals = (n: number, s: number) => Float32Array.from({ length: n }, () => s * rng.normal());
  return {
    batch,
    members,
    dSae,
    dIn,
    x: normals(batch * dIn, 1),
    wEnc: normals(N * dIn, 1 / Math.sqrt(dIn)),
    bEnc: normals(N, 0.1),
    bDec: normals(members * dIn, 1), // as large as x: the bEff fold cancels for real
  };
}

const kernels = new Map<string, Promise<EncodeGemm | Kernel>>();
function gemmOf(device: GPUDevice, v: EncodeVariant): Promise<EncodeGemm> {
  if (!kernels.has(v)) kernels.set(v, compileEncode(device, v));
  return kernels.get(v) as Promise<EncodeGemm>;
}
function biasKernel(device: GPUDevice): Promise<Kernel> {
  if (!kernels.has('bias')) kernels.set('bias', compileEncodeBias(device));
  return kernels.get('bias') as Promise<Kernel>;
}

/** bEff by encodeBias.wgsl, then z by encode.wgsl, in one pass; returns both read back. */
async function runGpu(device: GPUDevice, v: EncodeVariant, p: Problem): Promise<{ bEff: Float32Array; z: Float32Array }> {
  return runWith(device, await gemmOf(device, v), await biasKernel(device), p);
}

async function runWith(device: GPUDevice, gemm: EncodeGemm, bias: Kernel, p: Problem): Promise<{ bEff: Float32Array; z: Float32Array }> {
  const { batch, members, dSae, dIn } = p;
  const N = members * dSae;
  const v = gemm.variant;
  return withErrorScope(device, async () => {
    const x = uploadF32(device, p.x, 'x');
    const wEnc = uploadF32(device, p.wEnc, 'wEnc');
    const bEnc = uploadF32(device, p.bEnc, 'bEnc');
    const bDec = uploadF32(device, p.bDec, 'bDec');
    const bEff = uploadF32(device, new Float32Array(N).fill(Number.NaN), 'bEff');
    const z = uploadF32(device, new Float32Array(batch * N).fill(Number.NaN), 'z');
    const pb = prepareEncodeBias(device, bias, { members, dSae, dIn }, { wEnc, bEnc, bDec, bEff });
    const pe = prepareEncode(device, gemm, { batch, N, dIn }, { x, wEnc, bEff, z });
    const encoder = device.createCommandEncoder({ label: 'encode test' });
    const pass = encoder.beginComputePass();
    pb.record(pass);
    pe.record(pass);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const out = { bEff: await readF32(device, bEff, N), z: await readF32(device, z, batch * N) };
    for (const b of [x, wEnc, bEnc, bDec, bEff, z, pb.params, pe.params]) b.destroy();
    return out;
  }, `encode ${v} batch ${batch} M ${members} dSae ${dSae} dIn ${dIn}`);
}

/** The grid prepareEncode picks for batch 1 (the fold is visible as a y dimension > 1). */
function prepareEncodeGrid(device: GPUDevice, gemm: EncodeGemm, N: number, dIn: number): [number, number, number] {
  const buf = (n: number) => device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE });
  const bufs = { x: buf(Math.max(4, dIn)), wEnc: buf(N * dIn), bEff: buf(N), z: buf(N) };
  const pe = prepareEncode(device, gemm, { batch: 1, N, dIn }, bufs);
  for (const b of [...Object.values(bufs), pe.params]) b.destroy();
  return pe.grid;
}

/**
 * Checks bEff against effectiveBias, the GEMM alone against matmulNT with the GPU's own bEff (bound
 * (dIn + 2)·u·(Σ|x·w| + |bEff|): the f32 sum of dIn + 1 terms and the twin's rounding), and z against
 * the spec encodePreMembers (zBound).
 */
function check(p: Problem, got: { bEff: Float32Array; z: Float32Array }, label: string): void {
  const { batch, members, dSae, dIn } = p;
  const N = members * dSae;
  const bEffBound = new Float64Array(N);
  for (let m = 0; m < N; m++) {
    let B = Math.abs(p.bEnc[m]);
    for (let d = 0; d < dIn; d++) B += Math.abs(p.wEnc[m * dIn + d] * p.bDec[Math.floor(m / dSae) * dIn + d]);
    bEffBound[m] = (dIn + 2) * U * B + 1e-30; // (dIn + 1)·u·B for the f32 sum, u·B for the twin's rounding
  }
  expectWithin(got.bEff, effectiveBias(p.wEnc, p.bEnc, p.bDec, members, dSae, dIn), bEffBound, `${label} bEff`);
  const gemmBound = new Float64Array(batch * N);
  for (let b = 0; b < batch; b++) {
    for (let m = 0; m < N; m++) {
      let S = Math.abs(got.bEff[m]);
      for (let d = 0; d < dIn; d++) S += Math.abs(p.x[b * dIn + d] * p.wEnc[m * dIn + d]);
      gemmBound[b * N + m] = (dIn + 2) * U * S + 1e-30;
    }
  }
  expectWithin(got.z, matmulNT(p.x, p.wEnc, got.bEff, batch, N, dIn), gemmBound, `${label} z vs matmulNT`);
  expectWithin(got.z, encodePreMembers(p.x, p.wEnc, p.bEnc, p.bDec, batch, members, dSae, dIn), zBound(p.x, p.wEnc, p.bEnc, p.bDec, batch, dSae, dIn), `${label} z`);
}

/** Targeted edge shapes around a variant's tile (tileB rows × tileN latents); not the full product. */
function edgeCases(v: EncodeVariant): [batch: number, members: number, dSae: number, dIn: number][] {
  const { tileB, tileN } = encodeTile(v);
  return [
    [1, 1, 1, 1], // everything 1: one workgroup, one live invocation
    [3, 3, 11, 7], // odd, N = 33, scalar loads, dIn < KT
    [tileB - 1, 1, tileN + 1, 16], // vec4 loads, dIn = KT exactly
    [tileB, 1, tileN - 1, 17], // one full batch tile, scalar loads, dIn = KT + 1 (second K step of one)
    [tileB + 1, 3, 11, 20], // a 1-row batch tile, vec4 loads with a partial K tile (20 = KT + 4)
    [tileB + 1, 1, tileN + 1, 7], // partial tiles on both axes
    [tileB, 2, tileN / 2, 32], // exact fit on every axis, two K steps
  ];
}

describe('encode.wgsl + encodeBias.wgsl match the CPU twin', () => {
  for (const v of Object.keys(ENCODE_VARIANTS) as EncodeVariant[]) {
    it.each(edgeCases(v))(`${v}: batch %i, M %i × dSae %i, dIn %i`, async (batch, members, dSae, dIn) => {
      const p = problem(batch * 1009 + members * 101 + dSae * 13 + dIn, batch, members, dSae, dIn);
      check(p, await runGpu(gpu().device, v, p), `${v} ${batch}×${members}·${dSae}×${dIn}`);
    });
  }

  it('the twins agree: matmulNT with effectiveBias = encodePreMembers; one member = encodePre (sae.ts)', () => {
    const p = problem(7, 5, 3, 9, 13);
    const N = p.members * p.dSae;
    const viaBias = matmulNT(p.x, p.wEnc, effectiveBias(p.wEnc, p.bEnc, p.bDec, p.members, p.dSae, p.dIn), p.batch, N, p.dIn);
    const spec = encodePreMembers(p.x, p.wEnc, p.bEnc, p.bDec, p.batch, p.members, p.dSae, p.dIn);
    // both twins round once from (nearly) exact values; bEff itself is rounded to f32 first: (dIn + 3)·u·S
    expectWithin(viaBias, spec, zBound(p.x, p.wEnc, p.bEnc, p.bDec, p.batch, p.dSae, p.dIn), 'matmulNT vs encodePreMembers');
    for (let j = 0; j < p.members; j++) {
      const sae = zeroSae('topk', p.dIn, p.dSae, 1);
      sae.wEnc.set(p.wEnc.subarray(j * p.dSae * p.dIn, (j + 1) * p.dSae * p.dIn));
      sae.bEnc.set(p.bEnc.subarray(j * p.dSae, (j + 1) * p.dSae));
      sae.bDec.set(p.bDec.subarray(j * p.dIn, (j + 1) * p.dIn));
      const one = encodePre(sae, p.x, p.batch);
      for (let b = 0; b < p.batch; b++) {
        expect(Array.from(spec.subarray(b * N + j * p.dSae, b * N + (j + 1) * p.dSae)), `member ${j} row ${b}`).toEqual(Array.from(one.subarray(b * p.dSae, (b + 1) * p.dSae)));
      }
    }
  });

  // Grids past 65,535 workgroups. The fold (tileOf in encode.wgsl, the first line of encodeBias.wgsl) is
  // the same code for every override value, and SwiftShader's cost grows faster than the invocations
  // per workgroup (idle machine: a 64-invocation encode workgroup ~0.3 ms, a 256-invocation one ~6 ms,
  // a 64-lane encodeBias workgroup ~0.17 ms: 65,536 of them take 10 s to 7 min). So these tests compile
  // the smallest settings of the same files — one invocation per workgroup (encode 4×4 tile, KT 4;
  // encodeBias WG 1) — with dIn tiny; the production settings run the same fold code on the cases above.
  const TINY = { wgN: 1, wgB: 1, rb: 4, kt: 4 };
  it('encode folds its grid past 65,535 workgroups (1×1 invocations, 4×4 tile, batch 1, N = 4·65,535 + 1)', async () => {
    // ⌈1/4⌉·⌈N/4⌉ = 65,536 tiles: one more than a 1-D grid holds; both entry points (dIn 1 and 4).
    const device = gpu().device;
    const N = 4 * 65535 + 1;
    const [gemm, bias] = await Promise.all([compileEncodeTiling(device, TINY, 'tiny'), compileEncodeBias(device, 1)]);
    for (const dIn of [1, 4]) {
      const p = problem(dIn, 1, 1, N, dIn);
      const got = await runWith(device, gemm, bias, p);
      expect(prepareEncodeGrid(device, gemm, N, dIn)[1]).toBeGreaterThan(1);
      check(p, got, `fold dIn ${dIn}`);
    }
  });

  it('encodeBias folds its grid past 65,535 workgroups (N = 65,537 latents; M = 1 and M = 3)', async () => {
    const device = gpu().device;
    const [gemm, bias] = await Promise.all([compileEncodeTiling(device, TINY, 'tiny'), compileEncodeBias(device, 1)]);
    for (const [members, dSae] of [[1, 65537], [3, 21846]]) {
      const p = problem(members, 1, members, dSae, 3);
      check(p, await runWith(device, gemm, bias, p), `bias fold M ${members}`);
    }
  });

  it('chooseEncodeVariant times every variant on a small copy of the shape and returns the fastest', async () => {
    const device = gpu().device;
    const choice = await withErrorScope(device, () => chooseEncodeVariant(device, 4096, 16384, 64, { maxMacs: 1 << 20, rounds: 1 }), 'chooseEncodeVariant');
    expect(choice.timed).toEqual({ batch: 128, N: 128, dIn: 64 }); // scaled down to the 128 / 64 floors
    const times = Object.values(choice.msPerDispatch);
    expect(times).toHaveLength(Object.keys(ENCODE_VARIANTS).length);
    expect(choice.msPerDispatch[choice.variant]).toBe(Math.min(...times));
    expect(choice.gemm.variant).toBe(choice.variant);
    console.log(`encode variants (ms per dispatch at ${JSON.stringify(choice.timed)}): ${JSON.stringify(choice.msPerDispatch)} → ${choice.variant}`);
  });
});
