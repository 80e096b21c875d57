// The optimiser tail and firing statistics on WebGPU (shaders/projectGrad, gradNorm, adam, normalizeRows,
// firing via src/gpu/kernels/optim.ts) against their CPU twins (src/core/sae/optim.ts, src/core/sae/firing.ts),
// per ensemble member, on edge sizes, a grid past 65,535 workgroups, 5 consecutive steps, and reruns.
// Node only (Dawn on SwiftShader): imports src/core, src/gpu, test helpers and vitest.

import { describe, expect, it } from 'vitest';
import type { AdamHyper, AdamState } from '../../src/core/sae/optim.ts';
import { adamStep, clipGradNorm, createAdam, gradNorm, normalizeRows, paramList, projectDecoderGrad } from '../../src/core/sae/optim.ts';
import { deadMask, updateFiring } from '../../src/core/sae/firing.ts';
import type { SaeGrads } from '../../src/core/sae/loss.ts';
import { createRng } from '../../src/core/math/random.ts';
import type { Sae } from '../../src/core/sae/types.ts';
import { cloneSae, zeroSae } from '../../src/core/sae/types.ts';
import type { PreparedDispatch } from '../../src/gpu/kernel.ts';
import type { AdamTensor, OptimKernels, OptimSizes } from '../../src/gpu/kernels/optim.ts';
import {
  compileOptimKernels,
  firingCountsFromWords,
  prepareFiring,
  prepareAdam,
  prepareGradNorm,
  prepareNormalizeRows,
  prepareOptimTail,
  prepareProjectGrad,
  vec4Bytes,
} from '../../src/gpu/kernels/optim.ts';
import { expectClose } from '../helpers/close.ts';
import { readF32, useGpu, withErrorScope } from '../helpers/gpu.ts';

const gpu = useGpu();
const U = 2 ** -24; // f32 unit roundoff

const compiled = new Map<string, Promise<OptimKernels>>();
function kernels(sizes: Partial<OptimSizes> = {}): Promise<OptimKernels> {
  const key = JSON.stringify(sizes);
  if (!compiled.has(key)) compiled.set(key, compileOptimKernels(gpu().device, sizes));
  return compiled.get(key)!;
}

/** A storage buffer of `data` (f32 or u32 words), padded with zeros to vec4Bytes(length). */
function upload(device: GPUDevice, data: Float32Array | Uint32Array, label: string): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: vec4Bytes(data.length),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  new (data instanceof Float32Array ? Float32Array : Uint32Array)(buffer.getMappedRange()).set(data);
  buffer.unmap();
  return buffer;
}

async function readU32(device: GPUDevice, buffer: GPUBuffer, length: number): Promise<Uint32Array> {
  return new Uint32Array((await readF32(device, buffer, length)).buffer, 0, length);
}

function submit(device: GPUDevice, dispatches: readonly PreparedDispatch[], before?: (enc: GPUCommandEncoder) => void): void {
  const encoder = device.createCommandEncoder({ label: 'optim test' });
  before?.(encoder);
  const pass = encoder.beginComputePass();
  for (const d of dispatches) d.record(pass);
  pass.end();
  device.queue.submit([encoder.finish()]);
}

function normals(n: number, rng: ReturnType<typeof createRng>, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

const DIN = [1, 3, 4, 5, 64, 65];
const ROWS = [1, 7, 256, 257];

describe('projectGrad.wgsl vs projectDecoderGrad', () => {
  it.each(DIN)('dIn %i, rows 1, 7, 256, 257 (one zero row where rows ≥ 7)', async (dIn) => {
    const { device } = gpu();
    const k = await kernels();
    await withErrorScope(device, async () => {
      for (const rows of ROWS) {
        const rng = createRng(rows * 131 + dIn);
        const wDec = normals(rows * dIn, rng);
        if (rows >= 7) wDec.fill(0, 3 * dIn, 4 * dIn);
        const g = normals(rows * dIn, rng);
        const wBuf = upload(device, wDec, 'wDec');
        const gBuf = upload(device, g, 'dWDec');
        const d = prepareProjectGrad(device, k, { rows, dIn }, { wDec: wBuf, dWDec: gBuf });
        submit(device, [d]);
        const got = await readF32(device, gBuf, rows * dIn);
        const want = g.slice();
        projectDecoderGrad(wDec, want, rows, dIn);
        // Tolerance per element: the GPU's dot and ‖w‖² (length dIn, f32) are off by ≲ (dIn+2)·u·Σ|terms|,
        // so c = dot/‖w‖² by ≲ (dIn+2)·u·(Σ|g·w|/‖w‖² + |c|) + 4u·|c| (division ≤ 2.5 ulp), which moves
        // g_d by that times |w_d|; the subtraction and product add ≲ 8u·(|g_d| + |c·w_d|).
        const tol = new Float64Array(rows * dIn);
        for (let r = 0; r < rows; r++) {
          let dot = 0;
          let abs = 0;
          let nn = 0;
          for (let i = r * dIn; i < (r + 1) * dIn; i++) {
            dot += g[i] * wDec[i];
            abs += Math.abs(g[i] * wDec[i]);
            nn += wDec[i] * wDec[i];
          }
          const c = nn > 0 ? dot / nn : 0;
          const tolC = nn > 0 ? (dIn + 2) * U * (abs / nn + Math.abs(c)) + 4 * U * Math.abs(c) : 0;
          for (let i = r * dIn; i < (r + 1) * dIn; i++) tol[i] = tolC * Math.abs(wDec[i]) + 8 * U * (Math.abs(g[i]) + Math.abs(c * wDec[i]));
        }
        const bad = Array.from(got).flatMap((v, i) => (Math.abs(v - want[i]) <= tol[i] ? [] : [`[${i}] gpu ${v} cpu ${want[i]} tol ${tol[i]}`]));
        expect(bad.slice(0, 5), `rows ${rows}, dIn ${dIn}: ${bad.length} mismatches`).toEqual([]);
        if (rows >= 7) expect(Array.from(got.subarray(3 * dIn, 4 * dIn)), 'zero row of wDec: gradient untouched').toEqual(Array.from(g.subarray(3 * dIn, 4 * dIn)));
        for (const b of [wBuf, gBuf, d.params]) b.destroy();
      }
    });
  });
});

describe('normalizeRows.wgsl vs normalizeRows', () => {
  it.each(DIN)('dIn %i, rows 1, 7, 256, 257 (one zero row where rows ≥ 7)', async (dIn) => {
    const { device } = gpu();
    const k = await kernels();
    await withErrorScope(device, async () => {
      for (const rows of ROWS) {
        const rng = createRng(rows * 17 + dIn);
        const w = normals(rows * dIn, rng, 3);
        if (rows >= 7) w.fill(0, 3 * dIn, 4 * dIn);
        const wBuf = upload(device, w, 'wDec');
        const d = prepareNormalizeRows(device, k, { rows, dIn }, { wDec: wBuf });
        submit(device, [d]);
        const got = await readF32(device, wBuf, rows * dIn);
        const want = w.slice();
        normalizeRows(want, rows, dIn);
        // Tolerance: Σw² of dIn positive terms is off by ≲ (dIn+1)·u relative, 1/√ halves that and adds
        // ≲ 7 ulp (WGSL: sqrt inherits inverseSqrt's 2 ulp, division 2.5 ulp), the product 1 ulp.
        expectClose(got, want, { atol: 0, rtol: ((dIn + 1) / 2 + 10) * U }, `rows ${rows}, dIn ${dIn}`);
        wBuf.destroy();
        d.params.destroy();
      }
    });
  });

  it('70,000 rows (a grid folded past 65,535 workgroups), dIn 1: projectGrad and normalizeRows', async () => {
    const { device } = gpu();
    // 4 threads per row: SwiftShader pays per invocation (64 per row take ~25 s here, 4 take ~1 s); the
    // fold (row = wid.x + wid.y·nwg.x, return past rows) does not depend on the workgroup size.
    const k = await kernels({ rowWg: 4 });
    const rows = 70_000;
    const dIn = 1;
    await withErrorScope(device, async () => {
      const rng = createRng(7);
      const w = normals(rows, rng);
      w[rows - 1] = 0; // the last row (in the partial last line of the fold) is a zero row
      const g = normals(rows, rng);
      const wBuf = upload(device, w, 'wDec');
      const gBuf = upload(device, g, 'dWDec');
      const project = prepareProjectGrad(device, k, { rows, dIn }, { wDec: wBuf, dWDec: gBuf });
      const normalize = prepareNormalizeRows(device, k, { rows, dIn }, { wDec: wBuf });
      expect(project.grid[1], 'the grid is folded into 2-D').toBeGreaterThan(1);
      submit(device, [project, normalize]);
      const [gotG, gotW] = [await readF32(device, gBuf, rows), await readF32(device, wBuf, rows)];
      const wantG = g.slice();
      projectDecoderGrad(w, wantG, rows, dIn);
      const wantW = w.slice();
      normalizeRows(wantW, rows, dIn);
      // dIn 1: g − (g·w/w²)·w is 0 up to a few ulp of |g|; w/|w| is ±1 up to ~10 ulp (see above).
      const tolG = 4 * U * Math.max(...Array.from(g, Math.abs));
      expectClose(gotG, wantG, { atol: tolG, rtol: 0 }, 'dWDec (rows 70,000)');
      expectClose(gotW, wantW, { atol: 0, rtol: 11 * U }, 'wDec (rows 70,000)');
      expect(gotG[rows - 1], 'zero row: gradient untouched').toBe(g[rows - 1]);
      for (const b of [wBuf, gBuf, project.params, normalize.params]) b.destroy();
    });
  });
});

/** An ensemble's parameters / gradients as per-member core objects and as [M, segLen] concatenations. */
interface Ensemble {
  members: number;
  dSae: number;
  dIn: number;
  saes: Sae[];
}

function randomEnsemble(members: number, dSae: number, dIn: number, jumprelu: boolean, seed: number): Ensemble {
  const rng = createRng(seed);
  const saes = Array.from({ length: members }, () => {
    const sae = zeroSae(jumprelu ? 'jumprelu' : 'topk', dIn, dSae, 1);
    for (const a of paramList(sae)) a.set(normals(a.length, rng, 0.5));
    normalizeRows(sae.wDec, dSae, dIn);
    return sae;
  });
  return { members, dSae, dIn, saes };
}

function randomGrads(e: Ensemble, rng: ReturnType<typeof createRng>, scale: number): SaeGrads[] {
  return e.saes.map((s) => ({
    wEnc: normals(s.wEnc.length, rng, scale),
    bEnc: normals(s.bEnc.length, rng, scale),
    wDec: normals(s.wDec.length, rng, scale),
    bDec: normals(s.bDec.length, rng, scale),
    logThreshold: normals(s.logThreshold.length, rng, scale),
  }));
}

/** Tensor t (gradList order) of every member, concatenated: [M, segLen]. */
function concat(perMember: Float32Array[][], t: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(perMember.reduce((a, m) => a + m[t].length, 0));
  let o = 0;
  for (const m of perMember) {
    out.set(m[t], o);
    o += m[t].length;
  }
  return out;
}

const gradArrays = (g: SaeGrads): Float32Array[] => [g.wEnc, g.bEnc, g.wDec, g.bDec, g.logThreshold];

describe('gradNorm.wgsl vs gradNorm / clipGradNorm, per member', () => {
  const cases: [number, number, number, boolean][] = [
    [1, 1, 1, false],
    [3, 7, 5, true],
    [1, 256, 64, true],
    [3, 257, 65, false], // 16,705 values per member in dWEnc: 9 chunks of 2,048
  ];
  it.each(cases)('M %i, dSae %i, dIn %i, logThreshold %s; clipping engaged for some members and not others', async (members, dSae, dIn, jumprelu) => {
    const { device } = gpu();
    const k = await kernels();
    await withErrorScope(device, async () => {
      const e = randomEnsemble(members, dSae, dIn, jumprelu, members * 1000 + dSae);
      const rng = createRng(dIn);
      const grads = randomGrads(e, rng, 1);
      grads.forEach((g, j) => gradArrays(g).forEach((a) => a.forEach((_, i) => (a[i] *= j + 1)))); // member j's norm ∝ j+1
      const norms = grads.map(gradNorm);
      const maxNorm = members === 1 ? norms[0] * 0.5 : norms[1]; // M = 3: member 0 below, 1 at (not clipped), 2 above
      const bufs = [0, 1, 2, 3, 4].map((t) => upload(device, concat(grads.map(gradArrays), t), `g${t}`));
      const gradClip = upload(device, new Float32Array(2 * members).fill(Number.NaN), 'gradClip');
      const segLens = [dSae * dIn, dSae, dSae * dIn, dIn, jumprelu ? dSae : 0];
      const norm = prepareGradNorm(device, k, members, bufs.map((buffer, t) => ({ buffer, segLen: segLens[t] })), gradClip, maxNorm);
      submit(device, norm.dispatches);
      const got = await readF32(device, gradClip, 2 * members);
      const wantNorm = Float32Array.from(grads, (g) => clipGradNorm(g, maxNorm));
      const wantScale = Float32Array.from(norms, (n) => (n > maxNorm ? maxNorm / n : 1));
      const gotScale = got.filter((_, i) => i % 2 === 0);
      const gotNorm = got.filter((_, i) => i % 2 === 1);
      // Tolerance: every sum is over positive terms with a fixed depth ≤ ITEMS (8) sequential + log2 WG (8)
      // tree + ⌈stride/WG⌉ sequential + 8 tree ≲ 30 additions, so Σg² is off by ≲ 30·u relative; √ and
      // maxNorm/‖g‖ add ≲ 8 ulp.
      const rtol = (30 / 2 + 8) * U;
      expectClose(gotNorm, wantNorm, { atol: 0, rtol }, 'gradNorm per member');
      expectClose(gotScale, wantScale, { atol: 0, rtol: rtol + 3 * U }, 'clip scale per member');
      if (members === 3) expect(Array.from(gotScale.subarray(0, 2)), 'members 0 and 1 are not clipped').toEqual([1, 1]);
      expect(gotScale[members - 1], 'the largest member is clipped').toBeLessThan(1);
      for (const b of [...bufs, gradClip, norm.partials, ...norm.dispatches.map((d) => d.params)]) b.destroy();
    });
  });
});

interface TailRun {
  /** Per step: every tensor's p, m, v and gradClip, read back. */
  steps: { p: Float32Array[]; m: Float32Array[]; v: Float32Array[]; gradClip: Float32Array }[];
}

const HYPER: AdamHyper = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** Runs the GPU tail (project → clip → Adam → normalise) for `grads.length` steps from ensemble e. */
async function runTailGpu(device: GPUDevice, k: OptimKernels, e: Ensemble, grads: SaeGrads[][], maxNorm: number): Promise<TailRun> {
  const { members, dSae, dIn } = e;
  const params = e.saes.map(paramList);
  const segLens = params[0].map((a) => a.length);
  const tensors: AdamTensor[] = segLens.map((segLen, t) => {
    const n = members * segLen;
    return {
      p: upload(device, concat(params, t), `p${t}`),
      m: upload(device, new Float32Array(n), `m${t}`),
      v: upload(device, new Float32Array(n), `v${t}`),
      g: upload(device, new Float32Array(n), `g${t}`),
      segLen,
    };
  });
  const tail = prepareOptimTail(device, k, { members, dSae, dIn, maxNorm }, tensors, HYPER);
  const out: TailRun = { steps: [] };
  for (let s = 0; s < grads.length; s++) {
    tensors.forEach((t, i) => device.queue.writeBuffer(t.g, 0, concat(grads[s].map(gradArrays), i)));
    tail.setStep(HYPER, s + 1);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    tail.record(pass);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const read = (which: 'p' | 'm' | 'v') => Promise.all(tensors.map((t) => readF32(device, t[which], members * t.segLen)));
    out.steps.push({ p: await read('p'), m: await read('m'), v: await read('v'), gradClip: await readF32(device, tail.gradClip, 2 * members) });
  }
  tail.destroy();
  for (const t of tensors) for (const b of [t.p, t.m, t.v, t.g]) b.destroy();
  return out;
}

describe('the optimiser tail (projectGrad → gradNorm → adam → normalizeRows) vs the twins, t = 1..5', () => {
  const cases: [string, number, number, number, boolean, 'off' | 'engaged' | 'idle'][] = [
    ['M 1, dSae 7, dIn 5, clipping off', 1, 7, 5, false, 'off'],
    ['M 3, dSae 7, dIn 5, JumpReLU, clipping engaged', 3, 7, 5, true, 'engaged'],
    ['M 3, dSae 4, dIn 3, clipping not engaged', 3, 4, 3, false, 'idle'],
    ['M 3, dSae 9, dIn 64, JumpReLU, clipping engaged', 3, 9, 64, true, 'engaged'],
  ];
  it.each(cases)('%s', async (_name, members, dSae, dIn, jumprelu, clip) => {
    const { device } = gpu();
    const k = await kernels();
    await withErrorScope(device, async () => {
      const e = randomEnsemble(members, dSae, dIn, jumprelu, 99 + dIn);
      const rng = createRng(5 + members);
      const grads = Array.from({ length: 5 }, () => randomGrads(e, rng, 0.1));
      const typical = gradNorm(grads[0][0]);
      const maxNorm = clip === 'off' ? 0 : clip === 'engaged' ? 0.3 * typical : 100 * typical;
      const gpuRun = await runTailGpu(device, k, e, grads, maxNorm); // reads grads only; the twins then modify them

      // The twins, member by member, in train.ts order.
      const saes = e.saes.map(cloneSae);
      const states: AdamState[] = saes.map(createAdam);
      for (let s = 0; s < 5; s++) {
        const norms = saes.map((sae, j) => {
          const g = grads[s][j];
          projectDecoderGrad(sae.wDec, g.wDec, dSae, dIn);
          const n = clipGradNorm(g, maxNorm);
          adamStep(sae, g, states[j], HYPER);
          normalizeRows(sae.wDec, dSae, dIn);
          return n;
        });
        const got = gpuRun.steps[s];
        const at = `step ${s + 1}`;
        if (clip === 'engaged') expect(Math.max(...got.gradClip.filter((_, i) => i % 2 === 0)), `${at}: clipping engaged`).toBeLessThan(1);
        else expect(Array.from(got.gradClip.filter((_, i) => i % 2 === 0)), `${at}: clipping not engaged`).toEqual(new Array(members).fill(1));
        // ‖g‖ (after projection, before clipping): sums of ≲ 30 positive terms deep plus the projection's
        // own error of ≲ (dIn+10)·u relative per row; see the gradNorm test.
        expectClose(got.gradClip.filter((_, i) => i % 2 === 1), norms, { atol: 0, rtol: (dIn + 40) * U }, `${at}: ‖g‖`);
        // Moments: m is a running average of g, and each g is off by ≲ (dIn+10)·u·max|g| (projection: a
        // dot of length dIn and a division; clip scale: a few ulp), so m by ≲ 4·(dIn+10)·u·max|m| with
        // Adam's own f32 roundings; v = running average of g², twice that relative to max v.
        // (Observed: ≤ 5u·max|m|, ≤ 4u·max v.) Parameters: each step rounds p (≤ 2u·max|p| against the
        // twin's f64-then-round) and adds the update lr·m̂/(√v̂+ε), |m̂/√v̂| ≲ 3, whose relative error is
        // that of m̂ and v̂ (≲ 20 ulp where m̂ is not ≈ 0, and where it is the update is ≈ 0):
        // ≲ 60u·lr ≈ 4·10⁻⁶·lr. Per step, summed over the steps. (Observed after 5 steps: ≤ 2 ulp of max|p|.)
        for (let t = 0; t < 5; t++) {
          const name = ['wEnc', 'bEnc', 'wDec', 'bDec', 'logThreshold'][t];
          const wantM = concat(states.map((st) => st.m), t);
          const wantV = concat(states.map((st) => st.v), t);
          const wantP = concat(saes.map(paramList), t);
          const max = (a: Float32Array) => a.reduce((x, y) => Math.max(x, Math.abs(y)), 0);
          expectClose(got.m[t], wantM, { atol: 4 * (dIn + 10) * U * max(wantM), rtol: 0 }, `${at}: m of ${name}`);
          expectClose(got.v[t], wantV, { atol: 8 * (dIn + 10) * U * max(wantV), rtol: 0 }, `${at}: v of ${name}`);
          expectClose(got.p[t], wantP, { atol: (s + 1) * (2 * U * max(wantP) + 4e-6 * HYPER.lr), rtol: 0 }, `${at}: ${name}`);
        }
      }
    });
  });

  it('is deterministic: two runs from the same state are bitwise equal (M 3, dSae 257, dIn 65: several chunks per member)', async () => {
    const { device } = gpu();
    const k = await kernels();
    await withErrorScope(device, async () => {
      const e = randomEnsemble(3, 257, 65, true, 3);
      const grads = Array.from({ length: 2 }, () => randomGrads(e, createRng(11), 0.1));
      const runs = [await runTailGpu(device, k, e, grads, 1), await runTailGpu(device, k, e, grads, 1)];
      const bits = (r: TailRun) => r.steps.flatMap((s) => [...s.p, ...s.m, ...s.v, s.gradClip].map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length))));
      expect(bits(runs[1])).toEqual(bits(runs[0]));
    });
  });
});

describe('adam.wgsl and gradNorm.wgsl on grids folded past 65,535 workgroups', () => {
  it('one tensor of 262,147 values (M 1): 65,537 Adam workgroups of 1 thread, 65,537 norm chunks of 4', async () => {
    const { device } = gpu();
    // Tiny workgroups keep the work small on SwiftShader while the grids still fold.
    const k = await kernels({ adamWg: 1, normWg: 1, normItems: 4 });
    const n = 262_147; // ⌈n/4⌉ = 65,537 vec4s, the last one with 3 tail lanes
    await withErrorScope(device, async () => {
      const rng = createRng(2);
      const p0 = normals(n, rng);
      // g = ±2⁻¹⁰ or ±2⁻⁹: every partial sum of g² is a multiple of 2⁻²⁰ below 2⁴, exact in f32, so a chunk
      // lost or counted twice by the fold would show far above rounding.
      const g = Float32Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1) * 2 ** (rng.uniform() < 0.5 ? -10 : -9));
      const bufs = { p: upload(device, p0, 'p'), m: upload(device, new Float32Array(n), 'm'), v: upload(device, new Float32Array(n), 'v'), g: upload(device, g, 'g') };
      const gradClip = upload(device, new Float32Array(2), 'gradClip');
      const want = { ...zeroSae('topk', 0, 0, 0), wEnc: p0.slice() }; // the twin's Sae: only wEnc is non-empty
      const grads: SaeGrads = { wEnc: g.slice(), bEnc: new Float32Array(0), wDec: new Float32Array(0), bDec: new Float32Array(0), logThreshold: new Float32Array(0) };
      const maxNorm = 0.5 * gradNorm(grads);
      const norm = prepareGradNorm(device, k, 1, [{ buffer: bufs.g, segLen: n }], gradClip, maxNorm);
      const adam = prepareAdam(device, k, 1, { ...bufs, segLen: n }, gradClip, HYPER)!;
      expect(norm.dispatches[0].grid[1], 'norm grid folded').toBeGreaterThan(1);
      expect(adam.grid[1], 'Adam grid folded').toBeGreaterThan(1);
      submit(device, [...norm.dispatches, adam]);
      const wantNorm = clipGradNorm(grads, maxNorm);
      const state = createAdam(want);
      adamStep(want, grads, state, HYPER);
      const got = await readF32(device, gradClip, 2);
      // ‖g‖² is exact (above), so ‖g‖ is off only by sqrt's few ulp, the scale by a division's more.
      expectClose([got[1]], [wantNorm], { atol: 0, rtol: 4 * U }, '‖g‖');
      expectClose([got[0]], [maxNorm / wantNorm], { atol: 0, rtol: 8 * U }, 'clip scale');
      // Step 1: m = (1−β1)·scale·g, a few ulp; p moves by lr·sign(g) up to ε, rounding and the scale's error.
      const gotP = await readF32(device, bufs.p, n);
      const gotM = await readF32(device, bufs.m, n);
      const mMax = state.m[0].reduce((a, b) => Math.max(a, Math.abs(b)), 0);
      expectClose(gotM, state.m[0], { atol: 12 * U * mMax, rtol: 0 }, 'm');
      expectClose(gotP, want.wEnc, { atol: 4 * U * 5 + 4e-6 * HYPER.lr, rtol: 0 }, 'p');
      for (const b of [bufs.p, bufs.m, bufs.v, bufs.g, gradClip, norm.partials, adam.params, ...norm.dispatches.map((d) => d.params)]) b.destroy();
    });
  });
});

interface FiringCase {
  members: number;
  dSae: number;
  batch: number;
  k: number;
  dense: boolean;
}

/** Runs `steps` firing updates on the GPU and the twin side by side and compares every counter exactly. */
async function checkFiring(device: GPUDevice, kern: OptimKernels, c: FiringCase, steps: number, seed: number): Promise<Uint32Array[]> {
  const { members, dSae, batch, k, dense } = c;
  const N = members * dSae;
  const deadWindowTokens = batch + 1; // dead after two steps without a fire
  const rng = createRng(seed);
  // Start state: latent 0's count one below the 32-bit wrap (the carry into the high word), random ages.
  const counts = Float64Array.from({ length: N }, (_, m) => (m === 0 ? 2 ** 32 - 2 : Math.floor(rng.uniform() * 50)));
  const since = Float64Array.from({ length: N }, () => Math.floor(rng.uniform() * 3 * batch));
  const words = new Uint32Array(2 * N);
  counts.forEach((v, m) => {
    words[2 * m] = v % 2 ** 32;
    words[2 * m + 1] = Math.floor(v / 2 ** 32);
  });
  const countBuf = upload(device, words, 'firingCount');
  const sinceBuf = upload(device, Uint32Array.from(since), 'tokensSinceFired');
  const deadBuf = upload(device, new Uint32Array(N), 'dead');
  const statsBuf = upload(device, new Uint32Array(2 * members), 'stats');
  const valLen = dense ? batch * N : batch * members * k;
  const valBuf = upload(device, new Float32Array(valLen), 'val');
  const idxBuf = upload(device, new Uint32Array(Math.max(1, valLen)), 'idx');
  const d = prepareFiring(device, kern, { members, dSae, batch, k, dense, deadWindowTokens }, { val: valBuf, idx: idxBuf, firingCount: countBuf, tokensSinceFired: sinceBuf, dead: deadBuf, stats: statsBuf });
  const outputs: Uint32Array[] = [];
  for (let s = 0; s < steps; s++) {
    // This step's codes, per member as the twin sees them: f_j [batch, dSae].
    const f = Array.from({ length: members }, () => new Float32Array(batch * dSae));
    const val = new Float32Array(valLen);
    const idx = new Uint32Array(Math.max(1, valLen));
    const quiet = Math.floor(dSae / 2); // latents ≥ quiet fire rarely, so some die
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < members; j++) {
        if (dense) {
          for (let i = 0; i < dSae; i++) {
            const r = rng.uniform();
            const v = i >= quiet && r < 0.9 ? 0 : r < 0.3 ? -r : r < 0.5 ? 0 : r; // negatives and zeros do not fire
            val[b * N + j * dSae + i] = v;
            f[j][b * dSae + i] = v;
          }
        } else {
          // k distinct latents per (row, member), as TopK gives; some values 0 (ReLU after TopK).
          const pool = Array.from({ length: dSae }, (_, i) => i).filter((i) => i < quiet || rng.uniform() < 0.2);
          const chosen: number[] = [];
          for (let sIdx = 0; sIdx < k; sIdx++) {
            const from = pool.length > 0 ? pool : Array.from({ length: dSae }, (_, i) => i).filter((i) => !chosen.includes(i));
            const pick = from.splice(Math.floor(rng.uniform() * from.length), 1)[0];
            chosen.push(pick);
            const v = rng.uniform() < 0.25 ? 0 : rng.uniform() + 0.01;
            const o = (b * members + j) * k + sIdx;
            idx[o] = pick;
            val[o] = v;
            f[j][b * dSae + pick] = v;
          }
        }
      }
    }
    device.queue.writeBuffer(valBuf, 0, val);
    device.queue.writeBuffer(idxBuf, 0, idx);
    submit(device, [d], (enc) => enc.clearBuffer(statsBuf));
    const active = f.map((fj, j) => updateFiring(fj, batch, dSae, counts.subarray(j * dSae, (j + 1) * dSae), since.subarray(j * dSae, (j + 1) * dSae)));
    const dead = new Uint8Array(N);
    const nDead = Array.from({ length: members }, (_, j) => deadMask(since.subarray(j * dSae, (j + 1) * dSae), deadWindowTokens, dead.subarray(j * dSae, (j + 1) * dSae)));
    const gotWords = await readU32(device, countBuf, 2 * N);
    const gotSince = await readU32(device, sinceBuf, N);
    const gotDead = await readU32(device, deadBuf, N);
    const gotStats = await readU32(device, statsBuf, 2 * members);
    const at = `step ${s + 1}`;
    // Integers: exact.
    expect(Array.from(firingCountsFromWords(gotWords)), `${at}: firingCount`).toEqual(Array.from(counts));
    expect(Array.from(gotSince), `${at}: tokensSinceFired`).toEqual(Array.from(since));
    expect(Array.from(gotDead), `${at}: dead`).toEqual(Array.from(dead));
    expect(Array.from(gotStats), `${at}: stats (fires, dead) per member`).toEqual(active.flatMap((a, j) => [a, nDead[j]]));
    outputs.push(gotWords, gotSince, gotDead, gotStats);
  }
  if (dSae >= 7) expect(Math.max(...Array.from(since)), 'some latent went dead').toBeGreaterThanOrEqual(deadWindowTokens);
  for (const b of [countBuf, sinceBuf, deadBuf, statsBuf, valBuf, idxBuf, d.params]) b.destroy();
  return outputs;
}

describe('firing.wgsl vs updateFiring / deadMask (counters exact)', () => {
  const SMALL_TILE = { firingWg: 4, firingPerThread: 2 }; // tile 8 latents: dSae 7, 8, 9 are tile − 1, tile, tile + 1
  const sparse: [number, number][] = [
    [1, 1],
    [3, 7],
    [1, 8],
    [3, 9],
    [3, 17],
  ];
  it.each(sparse)('sparse val/idx, tile 8: M %i, dSae %i, batch 5, 3 steps', async (members, dSae) => {
    const { device } = gpu();
    const kern = await kernels(SMALL_TILE);
    await withErrorScope(device, () => checkFiring(device, kern, { members, dSae, batch: 5, k: Math.min(3, dSae), dense: false }, 3, members * 100 + dSae));
  });

  it('sparse, default tile 1,024: M 3, dSae 1,025 (tile + 1), batch 4, k 8', async () => {
    const { device } = gpu();
    const kern = await kernels();
    expect(kern.sizes.firingWg * kern.sizes.firingPerThread).toBe(1024);
    await withErrorScope(device, () => checkFiring(device, kern, { members: 3, dSae: 1025, batch: 4, k: 8, dense: false }, 2, 5));
  });

  it.each([
    [1, 7],
    [3, 9],
  ])('dense codes [batch, N], tile 8: M %i, dSae %i, batch 5, 3 steps', async (members, dSae) => {
    const { device } = gpu();
    const kern = await kernels(SMALL_TILE);
    await withErrorScope(device, () => checkFiring(device, kern, { members, dSae, batch: 5, k: 0, dense: true }, 3, 7 * members + dSae));
  });

  it('is deterministic: two runs give the same words', async () => {
    const { device } = gpu();
    const kern = await kernels();
    const c = { members: 3, dSae: 300, batch: 16, k: 12, dense: false };
    const runs = await withErrorScope(device, async () => [await checkFiring(device, kern, c, 2, 1), await checkFiring(device, kern, c, 2, 1)]);
    expect(runs[1].map((a) => Array.from(a))).toEqual(runs[0].map((a) => Array.from(a)));
  });

  it('tokensSinceFired saturates at 2³²−1 (the documented limit) and the latent stays dead', async () => {
    const { device } = gpu();
    const kern = await kernels();
    await withErrorScope(device, async () => {
      const batch = 5;
      const sinceBuf = upload(device, Uint32Array.from([0xffffffff - 3, 0xffffffff, 7]), 'tokensSinceFired');
      const countBuf = upload(device, new Uint32Array(6), 'firingCount');
      const deadBuf = upload(device, new Uint32Array(3), 'dead');
      const statsBuf = upload(device, new Uint32Array(2), 'stats');
      const valBuf = upload(device, new Float32Array(batch), 'val'); // k = 1, nothing fires (all 0)
      const idxBuf = upload(device, new Uint32Array(batch), 'idx');
      const d = prepareFiring(device, kern, { members: 1, dSae: 3, batch, k: 1, dense: false, deadWindowTokens: 0xffffffff }, { val: valBuf, idx: idxBuf, firingCount: countBuf, tokensSinceFired: sinceBuf, dead: deadBuf, stats: statsBuf });
      submit(device, [d]);
      expect(Array.from(await readU32(device, sinceBuf, 3))).toEqual([0xffffffff, 0xffffffff, 12]);
      expect(Array.from(await readU32(device, deadBuf, 3))).toEqual([1, 1, 0]);
      expect(Array.from(await readU32(device, statsBuf, 2))).toEqual([0, 2]);
      for (const b of [sinceBuf, countBuf, deadBuf, statsBuf, valBuf, idxBuf, d.params]) b.destroy();
    });
  });
});
