// PAM-SGD's decoder-block kernels (pamGram, pamSystem, pamCholesky; src/gpu/kernels/pam.ts) against their twins
// (src/core/sae/pamStats.ts in f64, src/core/math/gpuSolveTwin.ts in f32) and a plain f64 Cholesky written here.
// Edge sizes (m = 1, odd, panel ± 1; dIn 1 and odd; rows 1), ties, empty slots, dead latents, chunks = one pass,
// a singular G made definite by the ridge, a matrix that is not positive definite. Node + Dawn (SwiftShader).
//
// Tolerances (u = 2⁻²⁴, γ_n = n·u/(1 − n·u)):
//   statistics: every term is rounded once into an f32 running sum over ≤ rows + chunks additions, so
//     |gpu − f64| ≤ (K + 4)·u·Σ|terms| with K = rows + chunks (Σ|terms| = the twin on |val|, |x|);
//   A, B: four roundings of the GPU's own statistics: (4 + 4)·u·(|G| + |gn·sz_i·sz_j| + ridge), likewise for B;
//   solve (Higham Thm 10.4; the blocked order sums the same terms): backward, componentwise
//     |B − A X̂| ≤ γ_{3m+1}·|L̂||L̂ᵀ||X̂|;  forward against the f64 solve of the same f32 A,
//     |X̂ − X| ≤ ‖A⁻¹‖∞·γ_{3m+1}·‖|L̂||L̂ᵀ||X̂|‖∞ per column (κ enters through ‖A⁻¹‖∞);
//   bDec: (m + 4)·u·Σ|terms| on the GPU's own solution.

import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../src/core/math/random.ts';
import { choleskyBlocked, PIVOT_OK, solveBlocked } from '../../src/core/math/gpuSolveTwin.ts';
import { accumulatePamStats, createPamStats, formPamSystem, pamBDec, pamSystemScalars, type PamDecoderOptions, type PamStats } from '../../src/core/sae/pamStats.ts';
import { EMPTY_SLOT } from '../../src/core/sae/sparse.ts';
import type { Recorder } from '../../src/gpu/kernel.ts';
import { compilePamKernels, PAM_SOLVE_OK, preparePamDecoder, preparePamSolve, preparePamStats, type PamKernels, type PamTuning } from '../../src/gpu/kernels/pam.ts';
import { compileSparseKernels, type SparseKernels } from '../../src/gpu/kernels/sparse.ts';
import { abs, expectBitwise, expectWithin, U } from '../helpers/close.ts';
import { readF32, uploadF32, useGpu, withErrorScope } from '../helpers/gpu.ts';

const gpu = useGpu();

const uploadU32 = (device: GPUDevice, data: Uint32Array, label: string): GPUBuffer => uploadF32(device, new Float32Array(data.buffer, data.byteOffset, data.length), label);
async function readU32(device: GPUDevice, buffer: GPUBuffer, length: number): Promise<Uint32Array> {
  const f = await readF32(device, buffer, length);
  return new Uint32Array(f.buffer, f.byteOffset, length);
}
const nan = (n: number): Float32Array => new Float32Array(n).fill(NaN);
const gamma = (n: number): number => (n * U) / (1 - n * U);

const cache = new Map<string, Promise<{ pam: PamKernels; sparse: SparseKernels }>>();
function kernelsFor(device: GPUDevice, tuning: Partial<PamTuning> = {}): Promise<{ pam: PamKernels; sparse: SparseKernels }> {
  const key = JSON.stringify(tuning);
  if (!cache.has(key)) cache.set(key, (async () => ({ pam: await compilePamKernels(device, tuning), sparse: await compileSparseKernels(device, { foldAt: tuning.foldAt ?? 0 }) }))());
  return cache.get(key) as Promise<{ pam: PamKernels; sparse: SparseKernels }>;
}

function submit(device: GPUDevice, parts: readonly Recorder[]): void {
  const encoder = device.createCommandEncoder({ label: 'pam test' });
  const pass = encoder.beginComputePass();
  for (const p of parts) p.record(pass);
  pass.end();
  device.queue.submit([encoder.finish()]);
}

/**
 * Codes [rows, k] as topk writes them: distinct latents per row drawn from the live ones (latents ≥ live are dead),
 * some slots empty (EMPTY_SLOT, 0), some val 0, and ties (several slots of a row with the same value).
 */
function randomCodes(rng: Rng, rows: number, k: number, live: number): { idx: Uint32Array; val: Float32Array } {
  const idx = new Uint32Array(rows * k).fill(EMPTY_SLOT);
  const val = new Float32Array(rows * k);
  for (let b = 0; b < rows; b++) {
    const used = new Set<number>();
    for (let s = 0; s < k; s++) {
      if (used.size >= live || (s > 0 && rng.uniform() < 0.2)) continue; // empty slot (slot 0 always filled)
      let i: number;
      do i = rng.int(live);
      while (used.has(i));
      used.add(i);
      idx[b * k + s] = i;
      const u = rng.uniform();
      val[b * k + s] = u < 0.1 ? 0 : u < 0.3 ? 1.25 : 0.1 + 2 * rng.uniform(); // 1.25: ties
    }
  }
  return { idx, val };
}

const normals = (rng: Rng, n: number, sd = 1): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * sd);

interface StatsCase {
  name: string;
  rows: number; // per chunk
  chunks: number;
  k: number;
  dIn: number;
  dSae: number;
  live: number; // latents ≥ live are never selected (dead)
  tuning?: Partial<PamTuning>;
}

interface GpuStats {
  G: Float32Array;
  H: Float32Array;
  sz: Float32Array;
  sx: Float32Array;
}

/** Streams `chunks` chunks of codes through preparePamStats (the first overwrites NaN-filled statistics) and reads them back. */
async function gpuStats(c: StatsCase, codes: { idx: Uint32Array; val: Float32Array }, x: Float32Array, chunkRows: number): Promise<GpuStats> {
  const { device } = gpu();
  const { pam, sparse } = await kernelsFor(device, c.tuning);
  const { k, dIn, dSae } = c;
  const total = c.rows * c.chunks;
  return withErrorScope(device, async () => {
    const made: GPUBuffer[] = [];
    const f32 = (d: Float32Array, label: string): GPUBuffer => (made.push(uploadF32(device, d, label)), made[made.length - 1]);
    const u32 = (d: Uint32Array, label: string): GPUBuffer => (made.push(uploadU32(device, d, label)), made[made.length - 1]);
    const stats = { G: f32(nan(dSae * dSae), 'G'), H: f32(nan(dSae * dIn), 'H'), sz: f32(nan(dSae), 'sz'), sx: f32(nan(dIn), 'sx') };
    const chunk = {
      x: f32(nan(chunkRows * dIn), 'x'),
      idx: u32(new Uint32Array(chunkRows * k), 'idx'),
      val: f32(nan(chunkRows * k), 'val'),
      counts: u32(new Uint32Array(dSae + 1), 'counts'),
      offsets: u32(new Uint32Array(dSae + 1), 'offsets'),
      entries: u32(new Uint32Array(chunkRows * k), 'entries'),
    };
    const s = { rows: chunkRows, k, dIn, dSae };
    const first = preparePamStats(device, pam, sparse, s, { ...chunk, ...stats }, { accumulate: false });
    const rest = preparePamStats(device, pam, sparse, s, { ...chunk, ...stats }, { accumulate: true });
    for (let r0 = 0, n = 0; r0 < total; r0 += chunkRows, n++) {
      device.queue.writeBuffer(chunk.x, 0, x.slice(r0 * dIn, (r0 + chunkRows) * dIn));
      device.queue.writeBuffer(chunk.idx, 0, codes.idx.slice(r0 * k, (r0 + chunkRows) * k));
      device.queue.writeBuffer(chunk.val, 0, codes.val.slice(r0 * k, (r0 + chunkRows) * k));
      submit(device, [n === 0 ? first : rest]);
    }
    const out = { G: await readF32(device, stats.G, dSae * dSae), H: await readF32(device, stats.H, dSae * dIn), sz: await readF32(device, stats.sz, dSae), sx: await readF32(device, stats.sx, dIn) };
    first.destroy();
    rest.destroy();
    made.forEach((b) => b.destroy());
    return out;
  });
}

const f32of = (a: Float64Array): Float32Array => Float32Array.from(a);

function twinStats(c: StatsCase, codes: { idx: Uint32Array; val: Float32Array }, x: Float32Array): PamStats {
  const st = createPamStats(c.dSae, c.dIn);
  for (let n = 0; n < c.chunks; n++) {
    const r0 = n * c.rows;
    accumulatePamStats(st, { rows: c.rows, k: c.k, idx: codes.idx.subarray(r0 * c.k), val: codes.val.subarray(r0 * c.k), x: x.subarray(r0 * c.dIn) });
  }
  return st;
}

const STATS_CASES: StatsCase[] = [
  { name: 'm = 1, k = 1, dIn = 1, rows = 1', rows: 1, chunks: 1, k: 1, dIn: 1, dSae: 1, live: 1 },
  { name: 'odd sizes, 3 chunks, dead latents, empty slots, ties', rows: 7, chunks: 3, k: 3, dIn: 5, dSae: 11, live: 8 },
  { name: 'dSae = WG − 1, WG + 1 rows of G, k > WG', rows: 5, chunks: 2, k: 9, dIn: 3, dSae: 9, live: 9, tuning: { gramWg: 4, foldAt: 4 } },
  { name: 'dSae = 65 (gram WG 64 ± 1), rows 1 per chunk, folded grid', rows: 1, chunks: 4, k: 4, dIn: 2, dSae: 65, live: 60, tuning: { foldAt: 7 } },
];

describe('pamGram + weightGrad: G, H, Σz, Σx streamed over chunks', () => {
  for (const c of STATS_CASES) {
    it(c.name, async () => {
      const rng = createRng(c.rows * 31 + c.chunks * 7 + c.dSae);
      const total = c.rows * c.chunks;
      const codes = randomCodes(rng, total, c.k, c.live);
      const x = normals(rng, total * c.dIn);
      const got = await gpuStats(c, codes, x, c.rows);
      const want = twinStats(c, codes, x);
      const bound = twinStats(c, { idx: codes.idx, val: abs(codes.val) }, abs(x));
      const K = total + c.chunks;
      expectWithin(got.G, f32of(want.G), f32of(bound.G), K, 'G');
      expectWithin(got.H, f32of(want.H), f32of(bound.H), K, 'H');
      expectWithin(got.sz, f32of(want.sz), f32of(bound.sz), K, 'sz');
      expectWithin(got.sx, f32of(want.sx), f32of(bound.sx), K, 'sx');
      // G is bitwise symmetric (the same products in the same row order), dead latents have zero rows and columns.
      const m = c.dSae;
      const Gt = got.G.map((_, e) => got.G[(e % m) * m + Math.floor(e / m)]);
      expectBitwise(got.G, Gt, 'G vs Gᵀ');
      for (let i = c.live; i < m; i++) {
        expect(got.sz[i], `sz of dead latent ${i}`).toBe(0);
        for (let j = 0; j < m; j++) expect(got.G[i * m + j], `G[${i}, ${j}] of dead latent ${i}`).toBe(0);
        for (let d = 0; d < c.dIn; d++) expect(got.H[i * c.dIn + d], `H[${i}, ${d}] of dead latent ${i}`).toBe(0);
      }
      // Several chunks = one pass: G adds term by term in row order whatever the chunking (bitwise); H, Σz, Σx
      // form each chunk's sum first, so they agree within the bound only.
      if (c.chunks > 1) {
        const one = await gpuStats(c, codes, x, total);
        expectBitwise(one.G, got.G, 'G: one pass vs chunks');
        expectWithin(one.H, f32of(want.H), f32of(bound.H), K, 'H (one pass)');
        expectWithin(one.sx, f32of(want.sx), f32of(bound.sx), K, 'sx (one pass)');
      }
    });
  }
});

// ---- the solve ----

/** f64 Cholesky of the lower triangle of A [m, m] (throws when not positive definite): the reference. */
function cholesky64(A: ArrayLike<number>, m: number): Float64Array {
  const L = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    let d = A[j * m + j];
    for (let q = 0; q < j; q++) d -= L[j * m + q] ** 2;
    if (!(d > 0)) throw new Error(`cholesky64: pivot ${d} at column ${j}`);
    L[j * m + j] = Math.sqrt(d);
    for (let i = j + 1; i < m; i++) {
      let s = A[i * m + j];
      for (let q = 0; q < j; q++) s -= L[i * m + q] * L[j * m + q];
      L[i * m + j] = s / L[j * m + j];
    }
  }
  return L;
}

/** X = (L Lᵀ)⁻¹ B in f64, B [m, n]. */
function solve64(L: Float64Array, B: ArrayLike<number>, m: number, n: number): Float64Array {
  const X = Float64Array.from(B as ArrayLike<number>);
  for (let d = 0; d < n; d++) {
    for (let i = 0; i < m; i++) {
      let s = X[i * n + d];
      for (let q = 0; q < i; q++) s -= L[i * m + q] * X[q * n + d];
      X[i * n + d] = s / L[i * m + i];
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = X[i * n + d];
      for (let q = i + 1; q < m; q++) s -= L[q * m + i] * X[q * n + d];
      X[i * n + d] = s / L[i * m + i];
    }
  }
  return X;
}

const lower = (L: ArrayLike<number>, m: number, i: number, j: number): number => (j <= i ? L[i * m + j] : 0);

/**
 * Checks X̂ (from the factor L̂, both f32) against A [m, m] and B [m, n] with the Higham bounds above; returns the
 * worst forward error relative to its tolerance (≤ 1 passes) for the report.
 */
function checkSolve(A: Float32Array, B: Float32Array, Lhat: Float32Array, Xhat: Float32Array, m: number, n: number, label: string): number {
  const g = gamma(3 * m + 1);
  // |L̂||L̂ᵀ||X̂| (f64)
  const LtX = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let d = 0; d < n; d++) {
    let s = 0;
    for (let q = i; q < m; q++) s += Math.abs(lower(Lhat, m, q, i)) * Math.abs(Xhat[q * n + d]);
    LtX[i * n + d] = s;
  }
  const LLX = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let d = 0; d < n; d++) {
    let s = 0;
    for (let q = 0; q <= i; q++) s += Math.abs(lower(Lhat, m, i, q)) * LtX[q * n + d];
    LLX[i * n + d] = s;
  }
  const bad: string[] = [];
  for (let i = 0; i < m; i++) for (let d = 0; d < n; d++) {
    let r = B[i * n + d];
    for (let q = 0; q < m; q++) r -= (q <= i ? A[i * m + q] : A[q * m + i]) * Xhat[q * n + d]; // lower triangle of A
    if (!(Math.abs(r) <= g * LLX[i * n + d] + 1e-30) && bad.length < 5) bad.push(`[${i}, ${d}] residual ${r} > ${g * LLX[i * n + d]}`);
  }
  expect(bad, `${label}: backward error |B − A X̂| ≤ γ_{3m+1}|L̂||L̂ᵀ||X̂|`).toEqual([]);
  const Asym = Float64Array.from({ length: m * m }, (_, e) => {
    const i = Math.floor(e / m);
    const j = e % m;
    return j <= i ? A[i * m + j] : A[j * m + i];
  });
  const L64 = cholesky64(Asym, m);
  const X = solve64(L64, B, m, n);
  const inv = solve64(L64, Float64Array.from({ length: m * m }, (_, e) => (Math.floor(e / m) === e % m ? 1 : 0)), m, m);
  let invNorm = 0;
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += Math.abs(inv[i * m + j]);
    invNorm = Math.max(invNorm, s);
  }
  let worst = 0;
  for (let d = 0; d < n; d++) {
    let llx = 0;
    for (let i = 0; i < m; i++) llx = Math.max(llx, LLX[i * n + d]);
    const tol = invNorm * g * llx + 1e-30;
    for (let i = 0; i < m; i++) {
      const err = Math.abs(Xhat[i * n + d] - X[i * n + d]);
      worst = Math.max(worst, err / tol);
      if (!(err <= tol) && bad.length < 5) bad.push(`X[${i}, ${d}] = ${Xhat[i * n + d]}, f64 ${X[i * n + d]}, tol ${tol.toExponential(2)}`);
    }
  }
  expect(bad, `${label}: forward error vs the f64 solve ≤ ‖A⁻¹‖∞·γ_{3m+1}·‖|L̂||L̂ᵀ||X̂|‖∞`).toEqual([]);
  return worst;
}

/** A = ridge·I + Σ z zᵀ − (γ/N)·sz szᵀ from random codes with dead latents (singular without the ridge when rows < m). */
function pamLikeA(rng: Rng, m: number, rows: number, ridge: number): Float32Array {
  const k = Math.min(4, m);
  const st = createPamStats(m, 1);
  const live = Math.max(1, m - Math.ceil(m / 5));
  const codes = randomCodes(rng, rows, k, live);
  accumulatePamStats(st, { rows, k, idx: codes.idx, val: codes.val, x: new Float32Array(rows) });
  return Float32Array.from(formPamSystem(st, new Float64Array(m), new Float64Array(1), { alpha: ridge, beta: 0, mu: 0, nu: 0 }).A);
}

interface SolveCase {
  name: string;
  m: number;
  dIn: number;
  rows: number;
  ridge: number;
  tuning?: Partial<PamTuning>;
}

const SOLVE_CASES: SolveCase[] = [
  { name: 'm = 1, dIn = 1', m: 1, dIn: 1, rows: 3, ridge: 0.5 },
  { name: 'm = 5, dIn = 3 (one partial panel)', m: 5, dIn: 3, rows: 9, ridge: 0.1 },
  { name: 'm = NB − 1 = 31, dIn = 16', m: 31, dIn: 16, rows: 60, ridge: 0.05 },
  { name: 'm = NB = 32, dIn = 1', m: 32, dIn: 1, rows: 60, ridge: 0.05 },
  { name: 'm = NB + 1 = 33, dIn = 5 (a last panel of 1)', m: 33, dIn: 5, rows: 70, ridge: 0.05 },
  { name: 'm = 37, NB = 8, T = 4, folded grids: 5 panels', m: 37, dIn: 7, rows: 80, ridge: 0.02, tuning: { nb: 8, tile: 4, solveWg: 16, foldAt: 3 } },
  { name: 'singular G (rows < m, dead latents) made definite by a 1e-3 ridge', m: 41, dIn: 9, rows: 6, ridge: 1e-3, tuning: { nb: 16 } },
];

describe('pamCholesky: blocked Cholesky and the two triangular solves', () => {
  for (const c of SOLVE_CASES) {
    it(c.name, async () => {
      const { device } = gpu();
      const { pam } = await kernelsFor(device, c.tuning);
      const { m, dIn } = c;
      const rng = createRng(m * 1009 + dIn);
      const A = pamLikeA(rng, m, c.rows, c.ridge);
      const B = normals(rng, m * dIn);
      const { L, X, status } = await withErrorScope(device, async () => {
        const bA = uploadF32(device, A, 'A');
        const bX = uploadF32(device, B, 'X');
        const bStatus = uploadU32(device, new Uint32Array([7]), 'status');
        const solve = preparePamSolve(device, pam, { dSae: m, dIn }, { A: bA, X: bX, status: bStatus });
        // one step per submit, as a page that must stay live would run it
        for (const step of solve.steps) submit(device, [step]);
        const out = { L: await readF32(device, bA, m * m), X: await readF32(device, bX, m * dIn), status: (await readU32(device, bStatus, 1))[0] };
        solve.destroy();
        [bA, bX, bStatus].forEach((b) => b.destroy());
        return out;
      });
      expect(status, 'status').toBe(PAM_SOLVE_OK);
      for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) expect(L[i * m + j], `upper triangle [${i}, ${j}] untouched`).toBe(A[i * m + j]);
      const worstGpu = checkSolve(A, B, L, X, m, dIn, 'GPU');

      const nb = c.tuning?.nb ?? 32;
      const Lt = A.slice();
      expect(choleskyBlocked(Lt, m, nb)).toBe(PIVOT_OK);
      const Xt = B.slice();
      solveBlocked(Lt, Xt, m, dIn, nb);
      const worstTwin = checkSolve(A, B, Lt, Xt, m, dIn, 'twin');
      // GPU vs its f32 twin: the same operations in the same order; they differ only by fused multiply-adds.
      let diff = 0;
      for (let e = 0; e < m * dIn; e++) diff = Math.max(diff, Math.abs(X[e] - Xt[e]) / (Math.abs(Xt[e]) + 1e-30));
      console.log(`${c.name}: forward error / tolerance GPU ${worstGpu.toFixed(4)}, twin ${worstTwin.toFixed(4)}; max rel |GPU − twin| ${diff.toExponential(2)}`);
    });
  }

  it('a matrix that is not positive definite: status names the first bad column (ridge 0 with a dead latent)', async () => {
    const { device } = gpu();
    const { pam } = await kernelsFor(device, { nb: 8, tile: 4 });
    const m = 20;
    const rng = createRng(5);
    const A = pamLikeA(rng, m, 40, 0.5);
    for (let j = 0; j < m; j++) A[13 * m + j] = A[j * m + 13] = 0; // latent 13 dead, no ridge: a zero pivot
    const status = await withErrorScope(device, async () => {
      const bA = uploadF32(device, A, 'A');
      const bX = uploadF32(device, normals(rng, m * 2), 'X');
      const bStatus = uploadU32(device, new Uint32Array([0]), 'status');
      const solve = preparePamSolve(device, pam, { dSae: m, dIn: 2 }, { A: bA, X: bX, status: bStatus });
      submit(device, [solve]);
      const s = (await readU32(device, bStatus, 1))[0];
      solve.destroy();
      [bA, bX, bStatus].forEach((b) => b.destroy());
      return s;
    });
    expect(status).toBe(13);
    expect(choleskyBlocked(A.slice(), m, 8)).toBe(13);
  });
});

// ---- the whole decoder block: statistics → A, B → solve → bDec ----

describe('preparePamDecoder: the decoder block end to end against f64', () => {
  const cases: (StatsCase & { opts: PamDecoderOptions })[] = [
    { name: 'odd sizes, 3 chunks, dead latents, ridge-only definite (rows < m)', rows: 3, chunks: 3, k: 3, dIn: 5, dSae: 13, live: 10, opts: { alpha: 1e-3, beta: 0.2, mu: 0, nu: 0.5 } },
    { name: 'proximal μ, m = 33 over two panels, dIn = 1', rows: 20, chunks: 2, k: 4, dIn: 1, dSae: 33, live: 30, opts: { alpha: 1e-4, beta: 0, mu: 0.3, nu: 0 } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { device } = gpu();
      const { pam, sparse } = await kernelsFor(device, c.tuning);
      const { k, dIn, dSae: m } = c;
      const N = c.rows * c.chunks;
      const rng = createRng(N * 13 + m);
      const codes = randomCodes(rng, N, k, c.live);
      const x = normals(rng, N * dIn);
      const wDec0 = normals(rng, m * dIn, 0.3);
      const bDec0 = normals(rng, dIn, 0.2);
      const r = await withErrorScope(device, async () => {
        const made: GPUBuffer[] = [];
        const f32 = (d: Float32Array, label: string): GPUBuffer => (made.push(uploadF32(device, d, label)), made[made.length - 1]);
        const u32 = (d: Uint32Array, label: string): GPUBuffer => (made.push(uploadU32(device, d, label)), made[made.length - 1]);
        const b = {
          G: f32(nan(m * m), 'G'), H: f32(nan(m * dIn), 'H'), sz: f32(nan(m), 'sz'), sx: f32(nan(dIn), 'sx'),
          A: f32(nan(m * m), 'A'), wDec: f32(wDec0, 'wDec'), bDec: f32(bDec0, 'bDec'), status: u32(new Uint32Array(1), 'status'),
          x: f32(nan(c.rows * dIn), 'x'), idx: u32(new Uint32Array(c.rows * k), 'idx'), val: f32(nan(c.rows * k), 'val'),
          counts: u32(new Uint32Array(m + 1), 'counts'), offsets: u32(new Uint32Array(m + 1), 'offsets'), entries: u32(new Uint32Array(c.rows * k), 'entries'),
        };
        const s = { rows: c.rows, k, dIn, dSae: m };
        const first = preparePamStats(device, pam, sparse, s, b, { accumulate: false });
        const rest = preparePamStats(device, pam, sparse, s, b, { accumulate: true });
        for (let n = 0; n < c.chunks; n++) {
          const r0 = n * c.rows;
          device.queue.writeBuffer(b.x, 0, x.slice(r0 * dIn, (r0 + c.rows) * dIn));
          device.queue.writeBuffer(b.idx, 0, codes.idx.slice(r0 * k, (r0 + c.rows) * k));
          device.queue.writeBuffer(b.val, 0, codes.val.slice(r0 * k, (r0 + c.rows) * k));
          submit(device, [n === 0 ? first : rest]);
        }
        const decoder = preparePamDecoder(device, pam, { dSae: m, dIn }, b, N, c.opts);
        submit(device, [decoder.steps[0]]); // form A and B: read them before the solve overwrites them
        const stats = { G: await readF32(device, b.G, m * m), H: await readF32(device, b.H, m * dIn), sz: await readF32(device, b.sz, m), sx: await readF32(device, b.sx, dIn) };
        const A = await readF32(device, b.A, m * m);
        const B = await readF32(device, b.wDec, m * dIn);
        for (const step of decoder.steps.slice(1, -1)) submit(device, [step]);
        const L = await readF32(device, b.A, m * m);
        const X = await readF32(device, b.wDec, m * dIn);
        submit(device, [decoder.steps[decoder.steps.length - 1]]);
        const out = { stats, A, B, L, X, bDec: await readF32(device, b.bDec, dIn), status: (await readU32(device, b.status, 1))[0] };
        [first, rest, decoder].forEach((p) => p.destroy());
        made.forEach((buf) => buf.destroy());
        return out;
      });
      expect(r.status, 'status').toBe(PAM_SOLVE_OK);

      // 1. the statistics, against the f64 twin
      const want = twinStats(c, codes, x);
      const bound = twinStats(c, { idx: codes.idx, val: abs(codes.val) }, abs(x));
      expectWithin(r.stats.G, f32of(want.G), f32of(bound.G), N + c.chunks, 'G');
      expectWithin(r.stats.H, f32of(want.H), f32of(bound.H), N + c.chunks, 'H');

      // 2. A and B from the GPU's own statistics
      const own: PamStats = { dSae: m, dIn, rows: N, G: Float64Array.from(r.stats.G), H: Float64Array.from(r.stats.H), sz: Float64Array.from(r.stats.sz), sx: Float64Array.from(r.stats.sx) };
      const sys = formPamSystem(own, wDec0, bDec0, c.opts);
      const { gn, ridge } = pamSystemScalars(N, c.opts);
      const boundA = Float32Array.from({ length: m * m }, (_, e) => Math.abs(own.G[e]) + Math.abs(gn * own.sz[Math.floor(e / m)] * own.sz[e % m]) + ridge);
      expectWithin(r.A, f32of(sys.A), boundA, 4, 'A');
      const boundB = Float32Array.from({ length: m * dIn }, (_, e) => {
        const i = Math.floor(e / dIn);
        const d = e % dIn;
        return Math.abs(c.opts.mu * wDec0[e]) + Math.abs(own.H[e]) + Math.abs(gn * own.sz[i]) * (Math.abs(own.sx[d]) + Math.abs(c.opts.nu * bDec0[d]));
      });
      expectWithin(r.B, f32of(sys.B), boundB, 4, 'B');
      // dead latents: A's row is the ridge alone, B's row μ·Dᵗ
      for (let i = c.live; i < m; i++) for (let j = 0; j < m; j++) expect(r.A[i * m + j], `A[${i}, ${j}], latent ${i} dead`).toBe(i === j ? Math.fround(ridge) : 0);

      // 3. the solve, against the f64 solve of the GPU's A and B (Higham bounds), and dead rows = μ/(α+μ)·Dᵗ
      checkSolve(r.A, r.B, r.L, r.X, m, dIn, 'decoder solve');
      for (let i = c.live; i < m; i++) {
        for (let d = 0; d < dIn; d++) {
          const w = (c.opts.mu / (c.opts.alpha + c.opts.mu)) * wDec0[i * dIn + d];
          expect(Math.abs(r.X[i * dIn + d] - w), `dead latent ${i}: row = μ/(α+μ)·Dᵗ`).toBeLessThanOrEqual(8 * U * Math.abs(w) + 1e-30);
        }
      }

      // 4. bDec from the GPU's solution
      const bWant = pamBDec(own, r.X, bDec0, c.opts);
      const { invDen } = pamSystemScalars(N, c.opts);
      const bBound = Float32Array.from({ length: dIn }, (_, d) => {
        let s = c.opts.nu * Math.abs(bDec0[d]) + Math.abs(own.sx[d]);
        for (let i = 0; i < m; i++) s += Math.abs(r.X[i * dIn + d] * own.sz[i]);
        return s * invDen;
      });
      expectWithin(r.bDec, f32of(bWant), bBound, m + 4, 'bDec');
    });
  }
});
