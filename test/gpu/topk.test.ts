// shaders/topk.wgsl (per-row TopK and the AuxK dead-mask variant; both entry points, radix and serial) against
// its twin src/core/sae/sae.ts:topkRow,
// and shaders/batchTopkThreshold.wgsl against batchTopkCodes: edge sizes, ties, ±0, all-negative rows,
// masks with too few or no candidates, grids folded past 65,535 workgroups. Imports src/core, src/gpu and
// the test helpers; Node + Dawn (SwiftShader) only.
//
// Tolerance: exact (atol 0, rtol 0) for idx and val everywhere: selection compares order-preserving integer
// keys, and val is the selected f32 copied back through the inverse key transform and ReLU (max(v, 0) is
// exact), so no arithmetic rounding is involved. (−0 read back as +0 compares equal.)

import { describe, expect, it } from 'vitest';
import { batchTopkCodes, topkRow } from '../../src/core/sae/sae.ts';
import { createRng } from '../../src/core/math/random.ts';
import {
  batchTopkMinKeptIndex,
  batchTopkRowsPerWg,
  batchTopkScratchSizes,
  chooseTopk,
  compileBatchTopk,
  compileTopk,
  prepareBatchTopk,
  prepareTopk,
  TOPK_NONE,
  TOPK_SERIAL_KMAX,
  type BatchTopkKernels,
  type TopkKernel,
  type TopkSizes,
} from '../../src/gpu/kernels/topk.ts';
import { expectClose } from '../helpers/close.ts';
import { readF32, uploadF32, useGpu, withErrorScope } from '../helpers/gpu.ts';

const gpu = useGpu();
const EXACT = { atol: 0, rtol: 0 };

function uploadU32(device: GPUDevice, data: Uint32Array, label: string): GPUBuffer {
  return uploadF32(device, new Float32Array(data.buffer, data.byteOffset, data.length), label); // a byte copy
}

async function readU32(device: GPUDevice, buffer: GPUBuffer, length: number): Promise<Uint32Array> {
  const f = await readF32(device, buffer, length);
  return new Uint32Array(f.buffer, f.byteOffset, length);
}

/** Runs topk.wgsl. z: [batch, M·dSae]; dead: [M·dSae] (masked kernel) → idx, val: [batch, M, k]. */
async function topkGpu(kernel: TopkKernel, z: Float32Array, s: TopkSizes, dead: Uint32Array | null = null): Promise<{ idx: Uint32Array; val: Float32Array }> {
  const { device } = gpu();
  return withErrorScope(device, async () => {
    const out = s.batch * s.M * s.k;
    const zBuf = uploadF32(device, z, 'topk:z');
    const deadBuf = dead ? uploadU32(device, dead, 'topk:dead') : null;
    const idxBuf = uploadU32(device, new Uint32Array(out).fill(0xdeadbeef), 'topk:idx');
    const valBuf = uploadF32(device, new Float32Array(out).fill(Number.NaN), 'topk:val');
    const topk = prepareTopk(device, kernel, { z: zBuf, dead: deadBuf, idx: idxBuf, val: valBuf }, s);
    const encoder = device.createCommandEncoder({ label: 'topk' });
    const pass = encoder.beginComputePass();
    topk.record(pass);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const idx = await readU32(device, idxBuf, out);
    const val = await readF32(device, valBuf, out);
    topk.destroy();
    for (const b of [zBuf, deadBuf, idxBuf, valBuf]) b?.destroy();
    return { idx, val };
  }, `topk ${JSON.stringify(s)}`);
}

/** The twin: topkRow per (row, member), padded with NONE / 0 past the candidates. */
function topkCpu(z: Float32Array, s: TopkSizes, dead: Uint32Array | null = null, rows?: number[]): { idx: Uint32Array; val: Float32Array } {
  const { batch, dSae, M, k } = s;
  const idx = new Uint32Array(batch * M * k).fill(TOPK_NONE);
  const val = new Float32Array(batch * M * k);
  for (const t of rows ?? Array.from({ length: batch }, (_, i) => i)) {
    for (let j = 0; j < M; j++) {
      const off = t * M * dSae + j * dSae;
      const allowed = dead ? Uint8Array.from(dead.subarray(j * dSae, (j + 1) * dSae), (d) => (d ? 1 : 0)) : undefined;
      topkRow(z, off, dSae, k, allowed).forEach((i, r) => {
        idx[(t * M + j) * k + r] = i;
        val[(t * M + j) * k + r] = Math.max(0, z[off + i]);
      });
    }
  }
  return { idx, val };
}

async function check(kernel: TopkKernel, z: Float32Array, s: TopkSizes, dead: Uint32Array | null = null, label = ''): Promise<{ idx: Uint32Array; val: Float32Array }> {
  const got = await topkGpu(kernel, z, s, dead);
  const want = topkCpu(z, s, dead);
  const tag = `${label} batch ${s.batch} M ${s.M} dSae ${s.dSae} k ${s.k}${dead ? ' masked' : ''}`;
  expectClose(got.idx, want.idx, EXACT, `${tag}: idx`);
  expectClose(got.val, want.val, EXACT, `${tag}: val`);
  return got;
}

/** Normals, or normals rounded to quarters (many ties) when `coarse`. */
function randomZ(n: number, seed: number, coarse: boolean): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (coarse ? Math.round(rng.normal() * 4) / 4 : rng.normal()));
}

// Both entry points run every per-row case: 'radix' (one workgroup per row; WG 256 default, WG 4 small) and
// 'serial' (one invocation per row; WG 8 default, WG 3 small: a partial last workgroup).
describe.each([
  ['radix', 256, 4],
  ['serial', 8, 3],
] as const)('topk.wgsl (%s) vs topkRow', (variant, wgDefault, wgSmall) => {
  let kernel: TopkKernel | null = null;
  const k32 = async (): Promise<TopkKernel> => (kernel ??= await compileTopk(gpu().device, { kMax: 32, masked: false, variant }));

  it(`compiles with workgroup ${wgDefault} by default`, async () => {
    expect((await k32()).wg).toBe(wgDefault);
  });

  const cases = [1, 7, 255, 256, 257, 1000].flatMap((dSae) => [1, 4, 32].filter((k) => k <= dSae).map((k) => [dSae, k] as const));
  it.each(cases)('edge sizes: dSae %i, k %i, batch ∈ {1, 3, 5}, M ∈ {1, 3}, plain and tied values', async (dSae, k) => {
    for (const batch of [1, 3, 5]) {
      for (const M of [1, 3]) {
        const s = { batch, dSae, M, k };
        await check(await k32(), randomZ(batch * M * dSae, dSae * 100 + k * 10 + batch + M, (batch + M) % 2 === 0), s);
      }
    }
  });

  it('ties: an all-equal row gives indices 0..k−1', async () => {
    const s = { batch: 2, dSae: 257, M: 3, k: 32 };
    const z = new Float32Array(s.batch * s.M * s.dSae).fill(0.5);
    const got = await check(await k32(), z, s);
    expect(Array.from(got.idx.subarray(0, 32))).toEqual(Array.from({ length: 32 }, (_, i) => i));
  });

  it('ties: many equal values at the k-th position, equal positive and negative values, ±0', async () => {
    const s = { batch: 3, dSae: 300, M: 2, k: 32 };
    const rng = createRng(7);
    const z = new Float32Array(s.batch * s.M * s.dSae);
    for (let r = 0; r < s.batch * s.M; r++) {
      const row = z.subarray(r * s.dSae, (r + 1) * s.dSae);
      if (r % 3 === 0) {
        // 10 distinct large values, 100 copies of 1.0 straddling the k-th place, the rest below
        row.set(Float32Array.from({ length: s.dSae }, () => rng.uniform() - 2));
        for (let c = 0; c < 100; c++) row[(c * 37 + r) % s.dSae] = 1;
        for (let c = 0; c < 10; c++) row[(c * 53 + 5) % s.dSae] = 2 + c;
      } else if (r % 3 === 1) {
        row.set(Float32Array.from({ length: s.dSae }, (_, i) => (i % 2 ? 1 : -1) * (1 + (i % 5)))); // ±1..±5
      } else {
        row.set(Float32Array.from({ length: s.dSae }, (_, i) => [-0, 0, -1e-30, 1e-30][i % 4] * (i < 150 ? 1 : -1))); // ±0 and tiny ±
      }
    }
    await check(await k32(), z, s, null, 'ties');
  });

  it('all-negative rows: the k largest z, val 0', async () => {
    const s = { batch: 3, dSae: 257, M: 3, k: 32 };
    const z = randomZ(s.batch * s.M * s.dSae, 11, false).map((v) => -Math.abs(v) - 1e-3);
    const got = await check(await k32(), z, s, null, 'negative');
    expect(got.val.every((v) => v === 0)).toBe(true);
  });

  it('dead mask (AuxK): more, fewer and no candidates than kAux; empty slots are 0xFFFFFFFF / 0', async () => {
    const { device } = gpu();
    const masked = await compileTopk(device, { kMax: 32, masked: true, variant });
    const s = { batch: 5, dSae: 257, M: 3, k: 32 };
    const z = randomZ(s.batch * s.M * s.dSae, 12, true);
    // member 0: every third latent dead (86 ≥ kAux); member 1: 5 dead (< kAux); member 2: none
    const dead = Uint32Array.from({ length: s.M * s.dSae }, (_, m) => {
      const [j, i] = [Math.floor(m / s.dSae), m % s.dSae];
      return j === 0 ? Number(i % 3 === 0) * 7 : j === 1 ? Number([0, 9, 100, 255, 256].includes(i)) : 0;
    });
    const got = await check(masked, z, s, dead, 'masked');
    expect(got.idx[(0 * s.M + 1) * s.k + 5]).toBe(TOPK_NONE);
    expect(Array.from(got.idx.subarray(2 * s.k, 3 * s.k))).toEqual(new Array(s.k).fill(TOPK_NONE));
    // kAux above dSae is fine when masked
    await check(masked, randomZ(3 * 7, 13, false), { batch: 3, dSae: 7, M: 1, k: 9 }, Uint32Array.of(1, 0, 1, 1, 0, 0, 1), 'masked small');
  });

  // Radix WG 4: 512 histogram bins and up to 250 latents per invocation. Serial WG 3: rows·M not a multiple
  // of the workgroup (a partial last workgroup). Small workgroups also keep the folded grid cheap: on
  // SwiftShader a workgroup costs in proportion to its invocation count, not to this tiny work.
  let small: TopkKernel | null = null;
  const smallWg = async (): Promise<TopkKernel> => (small ??= await compileTopk(gpu().device, { kMax: 32, masked: false, variant, wg: wgSmall }));

  it(`a small workgroup (WG ${wgSmall}) agrees too`, async () => {
    for (const [dSae, k] of [[1, 1], [5, 4], [33, 32], [1000, 32]] as const) {
      await check(await smallWg(), randomZ(3 * 2 * dSae, dSae, true), { batch: 3, dSae, M: 2, k }, null, `wg${wgSmall}`);
    }
  });

  it('more than 65,535 workgroups (grid folded into 2-D), dSae 2, k 1, every row checked', async () => {
    // radix: one workgroup per row, batch·M = 66,000; serial at WG 1: one workgroup per invocation.
    const kernel1 = variant === 'radix' ? await smallWg() : await compileTopk(gpu().device, { kMax: 1, masked: false, variant, wg: 1 });
    const s = { batch: 22_000, dSae: 2, M: 3, k: 1 };
    await check(kernel1, randomZ(s.batch * s.M * s.dSae, 14, true), s, null, 'folded');
  });

  it('rejects k above kMax and k above dSae with the numbers', async () => {
    const { device } = gpu();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const b = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    const bufs = { z: b, dead: null, idx: b, val: b };
    const k32Kernel = await k32();
    expect(() => prepareTopk(device, k32Kernel, bufs, { batch: 1, dSae: 100, M: 1, k: 33 })).toThrow('k = 33 must be in 1..kMax = 32');
    expect(() => prepareTopk(device, k32Kernel, bufs, { batch: 1, dSae: 3, M: 1, k: 4 })).toThrow('k = 4 > dSae = 3');
    pass.end();
    b.destroy();
  });
});

describe('topk.wgsl serial entry point at its capacity, and the variant choice', () => {
  it(`k = TOPK_SERIAL_KMAX = ${TOPK_SERIAL_KMAX}: plain, tied and masked rows (dSae 63, 64, 65, 700)`, async () => {
    const { device } = gpu();
    const plain = await compileTopk(device, { kMax: TOPK_SERIAL_KMAX, masked: false, variant: 'serial' });
    const masked = await compileTopk(device, { kMax: TOPK_SERIAL_KMAX, masked: true, variant: 'serial' });
    const k = TOPK_SERIAL_KMAX;
    for (const dSae of [64, 65, 700]) {
      await check(plain, randomZ(5 * 2 * dSae, dSae + 1, dSae !== 700), { batch: 5, dSae, M: 2, k }, null, 'kmax');
    }
    for (const dSae of [63, 64, 65, 700]) {
      const dead = Uint32Array.from({ length: 2 * dSae }, (_, m) => Number(m % 5 !== 2));
      await check(masked, randomZ(3 * 2 * dSae, dSae + 2, true), { batch: 3, dSae, M: 2, k }, dead, 'kmax masked');
    }
  });

  it('batch·M at the workgroup edges (WG − 1, WG, WG + 1 rows) of the default serial workgroup', async () => {
    const serial = await compileTopk(gpu().device, { kMax: 16, masked: false, variant: 'serial' });
    for (const batch of [serial.wg - 1, serial.wg, serial.wg + 1]) {
      await check(serial, randomZ(batch * 40, batch, true), { batch, dSae: 40, M: 1, k: 16 }, null, 'wg edge');
    }
  });

  it('rejects kMax above TOPK_SERIAL_KMAX; chooseTopk takes serial on software adapters when k fits', async () => {
    await expect(compileTopk(gpu().device, { kMax: TOPK_SERIAL_KMAX + 1, masked: false, variant: 'serial' })).rejects.toThrow(`k ≤ ${TOPK_SERIAL_KMAX}, asked for kMax ${TOPK_SERIAL_KMAX + 1}`);
    expect(chooseTopk(true, 32)).toEqual({ variant: 'serial', wg: 8 });
    expect(chooseTopk(true, TOPK_SERIAL_KMAX + 1)).toEqual({ variant: 'radix', wg: 64 });
    expect(chooseTopk(false, 32)).toEqual({ variant: 'radix', wg: 256 });
  });
});

/** Runs batchTopkThreshold.wgsl. z: [batch, M·dSae] → f: [batch, M·dSae], minKept: [M]. */
async function batchTopkGpu(kernels: BatchTopkKernels, z: Float32Array, s: TopkSizes, rowsPerWg = batchTopkRowsPerWg(s.dSae)): Promise<{ f: Float32Array; minKept: Float32Array }> {
  const { device } = gpu();
  return withErrorScope(device, async () => {
    const n = s.batch * s.M * s.dSae;
    const sizes = batchTopkScratchSizes(s);
    const zBuf = uploadF32(device, z, 'batchTopk:z');
    const hist = uploadU32(device, new Uint32Array(sizes.hist).fill(12345), 'batchTopk:hist'); // garbage: initState zeroes it
    const state = uploadU32(device, new Uint32Array(sizes.state).fill(0xdeadbeef), 'batchTopk:state');
    const eqRow = uploadU32(device, new Uint32Array(sizes.eqRow).fill(0xdeadbeef), 'batchTopk:eqRow');
    const fBuf = uploadF32(device, new Float32Array(n).fill(Number.NaN), 'batchTopk:f');
    const batchTopk = prepareBatchTopk(device, kernels, { z: zBuf, hist, state, eqRow, f: fBuf }, s, rowsPerWg);
    const encoder = device.createCommandEncoder({ label: 'batchTopk' });
    const pass = encoder.beginComputePass();
    batchTopk.record(pass);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const f = await readF32(device, fBuf, n);
    const st = await readF32(device, state, sizes.state); // f32 view of the u32 state: minKept is f32 bits
    const minKept = Float32Array.from({ length: s.M }, (_, j) => st[batchTopkMinKeptIndex(j)]);
    batchTopk.destroy();
    for (const b of [zBuf, hist, state, eqRow, fBuf]) b.destroy();
    return { f, minKept };
  }, `batchTopk ${JSON.stringify(s)}`);
}

/** The twin per member: batchTopkCodes on the member's [batch, dSae] columns, scattered back to [batch, N]. */
function batchTopkCpu(z: Float32Array, s: TopkSizes): { f: Float32Array; minKept: Float32Array } {
  const { batch, dSae, M, k } = s;
  const f = new Float32Array(batch * M * dSae);
  const minKept = new Float32Array(M);
  for (let j = 0; j < M; j++) {
    const zj = new Float32Array(batch * dSae);
    for (let t = 0; t < batch; t++) zj.set(z.subarray(t * M * dSae + j * dSae, t * M * dSae + (j + 1) * dSae), t * dSae);
    const r = batchTopkCodes(zj, batch, dSae, k);
    for (let t = 0; t < batch; t++) f.set(r.f.subarray(t * dSae, (t + 1) * dSae), t * M * dSae + j * dSae);
    minKept[j] = r.minKept;
  }
  return { f, minKept };
}

async function checkBatch(kernels: BatchTopkKernels, z: Float32Array, s: TopkSizes, rowsPerWg?: number, label = ''): Promise<{ f: Float32Array; minKept: Float32Array }> {
  const got = await batchTopkGpu(kernels, z, s, rowsPerWg);
  const want = batchTopkCpu(z, s);
  const tag = `${label} batch ${s.batch} M ${s.M} dSae ${s.dSae} k ${s.k} rowsPerWg ${rowsPerWg ?? 'default'}`;
  expectClose(got.f, want.f, EXACT, `${tag}: f`);
  expectClose(got.minKept, want.minKept, EXACT, `${tag}: minKept`);
  return got;
}

describe('batchTopkThreshold.wgsl (batch-wide radix select) vs batchTopkCodes', () => {
  let kernels: BatchTopkKernels | null = null;
  const wg64 = async (): Promise<BatchTopkKernels> => (kernels ??= await compileBatchTopk(gpu().device, 64));

  const cases = [1, 7, 64, 65, 257].flatMap((dSae) => [1, 4, 32].map((k) => [dSae, k] as const));
  it.each(cases)('edge sizes: dSae %i, k %i (k ≥ dSae keeps all), batch ∈ {1, 5}, M ∈ {1, 3}, tied values, 1 and 2 rows per histogram workgroup', async (dSae, k) => {
    for (const [batch, M, rowsPerWg] of [[1, 1, undefined], [5, 3, undefined], [5, 3, 2]] as const) {
      const s = { batch, dSae, M, k };
      await checkBatch(await wg64(), randomZ(batch * M * dSae, dSae * 100 + k + batch, true), s, rowsPerWg);
    }
  });

  it('ties: all-equal entries keep the first batch·k in flat order; many equal values at the threshold across rows', async () => {
    const s = { batch: 5, dSae: 100, M: 2, k: 8 };
    const eq = await checkBatch(await wg64(), new Float32Array(s.batch * s.M * s.dSae).fill(0.25), s, 1, 'all equal');
    expect(eq.minKept[0]).toBe(0.25);
    const z = randomZ(s.batch * s.M * s.dSae, 21, false).map((v, i) => (i % 7 === 0 ? 1.5 : i % 3 === 0 ? 1 : v - 2));
    await checkBatch(await wg64(), z, s, 2, 'threshold ties');
    const signed = Float32Array.from({ length: s.batch * s.M * s.dSae }, (_, i) => [-0, 0, -1, 1][i % 4]);
    await checkBatch(await wg64(), signed, s, 3, '±0 ±1');
  });

  it('all-negative batches: f = 0 and minKept = 0', async () => {
    const s = { batch: 3, dSae: 65, M: 3, k: 4 };
    const got = await checkBatch(await wg64(), randomZ(s.batch * s.M * s.dSae, 22, false).map((v) => -Math.abs(v) - 1e-3), s, undefined, 'negative');
    expect(got.f.every((v) => v === 0) && got.minKept.every((v) => v === 0)).toBe(true);
  });

  it('batch·M = 66,000 row workgroups (grid folded into 2-D), dSae 2, k 1, every entry checked', async () => {
    const small = await compileBatchTopk(gpu().device, 4);
    const s = { batch: 22_000, dSae: 2, M: 3, k: 1 };
    await checkBatch(small, randomZ(s.batch * s.M * s.dSae, 23, true), s, undefined, 'folded');
  });
});
