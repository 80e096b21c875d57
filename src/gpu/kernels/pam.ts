// Kernel declarations for PAM-SGD's decoder block (SplInterp §3.6): the statistics G = Σ z zᵀ, H = Σ z xᵀ, Σz, Σx
// streamed from sparse TopK codes chunk by chunk (pamGram.wgsl, with latentIndex.wgsl and weightGrad.wgsl from the
// sparse step), the system A, B = Cᵀ (pamSystem.wgsl), the blocked Cholesky solve in place (pamCholesky.wgsl) and
// the closed-form decoder bias. Prepared once as Recorders; no readback (the solve's status is read when the caller
// chooses). The encoder-side terms of the trainer (pamEncoder.wgsl: the stay-close gradient, the bias fold) are
// declared here too. Imports WGSL (?raw), src/gpu and src/core only: no engine, UI or Node code.
//
// Scaling. The kernels take §3.6's coefficients as the paper writes them, for a data term summed over rows
// (A = (α+μ)I + G − Nγz̄z̄ᵀ). The trainer's settings (config.ts pamRidge, pamProxDec; core/sae/pam.ts) are per
// row mean, A/N: pamSumCoefficients converts (each coefficient × N), which gives the same solution W and b.
//
// One member (M = 1), m = dSae latents. Buffers, f32 unless marked:
//   per chunk:   x [rows, dIn]   idx [rows, k] u32 (≥ dSae = empty)   val [rows, k]   scratch counts, offsets [dSae + 1] u32, entries [rows·k] u32
//   statistics:  G [dSae, dSae]   H [dSae, dIn] (latent-major)   sz [dSae]   sx [dIn]
//   solve:       A [dSae, dSae] scratch (L after)   wDec [dSae, dIn] (Dᵗ in, D^{t+1} out)   bDec [dIn] (in and out)   status [1] u32

import pamGramWgsl from '../../../shaders/pamGram.wgsl?raw';
import pamSystemWgsl from '../../../shaders/pamSystem.wgsl?raw';
import pamCholeskyWgsl from '../../../shaders/pamCholesky.wgsl?raw';
import pamEncoderWgsl from '../../../shaders/pamEncoder.wgsl?raw';
import type { DecoderCoefficients, DecoderSolveMode } from '../../core/sae/pam.ts';
import { pamSystemScalars, type PamDecoderOptions } from '../../core/sae/pamStats.ts';
import type { Kernel, KernelDecl, ParamField, Recorder } from '../kernel.ts';
import { bindBuffers, compileKernel, dispatch, foldGrid, paramsBuffer, prepareDispatch, sequence } from '../kernel.ts';
import { prepareLatentIndex, prepareWeightGrad, type SparseKernels } from './sparse.ts';

export type { PamDecoderOptions } from '../../core/sae/pamStats.ts';

/** status[0] after a solve whose every pivot was > 0; otherwise the first failing column. */
export const PAM_SOLVE_OK = 0xffffffff;

const decl = (name: string, code: string, entryPoint: string, bindings: KernelDecl['bindings']): KernelDecl => ({ name, code, entryPoint, bindings });
const GRAM_BINDINGS = ['read', 'read', 'read', 'read', 'read', 'read_write', 'read_write', 'uniform'] as const;
const SYSTEM_BINDINGS = ['read', 'read', 'read', 'read', 'read_write', 'read_write', 'read_write', 'uniform'] as const;
const CHOLESKY_BINDINGS = ['read_write', 'read_write', 'read_write', 'uniform'] as const;

/** offsets, entries, idx, val, x → G, sx; params (gram writes G, sumX writes sx). */
export const PAM_GRAM = {
  gram: decl('pamGram', pamGramWgsl, 'gram', GRAM_BINDINGS),
  sumX: decl('pamGram', pamGramWgsl, 'sumX', GRAM_BINDINGS),
} as const satisfies Record<string, KernelDecl>;

/** G, H, sz, sx → A, wDec, bDec; params. */
export const PAM_SYSTEM = {
  formA: decl('pamSystem', pamSystemWgsl, 'formA', SYSTEM_BINDINGS),
  formB: decl('pamSystem', pamSystemWgsl, 'formB', SYSTEM_BINDINGS),
  bDecSolve: decl('pamSystem', pamSystemWgsl, 'bDecSolve', SYSTEM_BINDINGS),
} as const satisfies Record<string, KernelDecl>;

/** A, X, status; params (one per panel). The factor's three passes, then the two solves' two each. */
export const PAM_CHOLESKY = {
  potrf: decl('pamCholesky', pamCholeskyWgsl, 'potrf', CHOLESKY_BINDINGS),
  trsm: decl('pamCholesky', pamCholeskyWgsl, 'trsm', CHOLESKY_BINDINGS),
  syrk: decl('pamCholesky', pamCholeskyWgsl, 'syrk', CHOLESKY_BINDINGS),
  fwdDiag: decl('pamCholesky', pamCholeskyWgsl, 'fwdDiag', CHOLESKY_BINDINGS),
  fwdUpdate: decl('pamCholesky', pamCholeskyWgsl, 'fwdUpdate', CHOLESKY_BINDINGS),
  bwdDiag: decl('pamCholesky', pamCholeskyWgsl, 'bwdDiag', CHOLESKY_BINDINGS),
  bwdUpdate: decl('pamCholesky', pamCholeskyWgsl, 'bwdUpdate', CHOLESKY_BINDINGS),
} as const satisfies Record<string, KernelDecl>;

const ENCODER_BINDINGS = ['read', 'read', 'read', 'read', 'read', 'read', 'read_write', 'read_write', 'uniform'] as const;
/** wEnc, anchorW, bEff, anchorB, bDec, bDecNew → dWEnc, bias; params. */
export const PAM_ENCODER = {
  proxGrad: decl('pamEncoder', pamEncoderWgsl, 'proxGrad', ENCODER_BINDINGS),
  foldBias: decl('pamEncoder', pamEncoderWgsl, 'foldBias', ENCODER_BINDINGS),
} as const satisfies Record<string, KernelDecl>;

/**
 * The kernels' (paper's, summed-over-rows) coefficients for the trainer's per-row-mean ones over N rows: α, β, μ, ν
 * each × N (core/sae/pam.ts file comment). A and B come out N times the row-mean system; W and b are the same.
 */
export function pamSumCoefficients(c: DecoderCoefficients, rows: number): PamDecoderOptions {
  return { alpha: c.alpha * rows, beta: c.beta * rows, mu: c.mu * rows, nu: c.nu * rows };
}

/** The `override` constants of the three files and the grid fold width. */
export interface PamTuning {
  gramWg: number; // pamGram.wgsl WG
  systemWg: number; // pamSystem.wgsl WG
  nb: number; // pamCholesky.wgsl NB: panel width
  tile: number; // pamCholesky.wgsl T: syrk output tile (T·T invocations)
  solveWg: number; // pamCholesky.wgsl WG
  /** Grids wider than this fold into 2-D (0 = the device's maxComputeWorkgroupsPerDimension; tests use small values). */
  foldAt: number;
}

export const DEFAULT_PAM_TUNING: PamTuning = { gramWg: 64, systemWg: 256, nb: 32, tile: 16, solveWg: 256, foldAt: 0 };

type Entry<T> = { [K in keyof T]: Kernel };
export interface PamKernels {
  tuning: PamTuning;
  gram: Entry<typeof PAM_GRAM>;
  system: Entry<typeof PAM_SYSTEM>;
  cholesky: Entry<typeof PAM_CHOLESKY>;
  encoder: Entry<typeof PAM_ENCODER>;
}

/** Compiles the PAM kernels; throws naming the override or limit when a tuning cannot work. */
export async function compilePamKernels(device: GPUDevice, tuning: Partial<PamTuning> = {}): Promise<PamKernels> {
  const t: PamTuning = { ...DEFAULT_PAM_TUNING, ...tuning };
  for (const key of ['gramWg', 'systemWg', 'nb', 'tile', 'solveWg'] as const) {
    if (!Number.isInteger(t[key]) || t[key] < 1) throw new Error(`pam kernels: ${key} = ${t[key]} must be a positive integer`);
  }
  const invocations = device.limits.maxComputeInvocationsPerWorkgroup;
  for (const [what, n] of [['gramWg', t.gramWg], ['systemWg', t.systemWg], ['solveWg', t.solveWg], ['tile²', t.tile * t.tile]] as const) {
    if (n > invocations) throw new Error(`pam kernels: ${what} = ${n} > maxComputeInvocationsPerWorkgroup ${invocations}`);
  }
  const bytes = 4 * Math.max(t.nb * t.nb, 2 * t.tile * t.nb);
  const have = device.limits.maxComputeWorkgroupStorageSize;
  if (bytes > have) throw new Error(`pamCholesky: NB ${t.nb} with T ${t.tile} needs ${bytes} bytes of workgroup memory (maxComputeWorkgroupStorageSize ${have}); lower nb`);
  // One at a time: compileKernel's error scopes are a stack.
  const compileAll = async <T extends Record<string, KernelDecl>>(decls: T, constants: Record<string, number>): Promise<Entry<T>> => {
    const out = {} as Entry<T>;
    for (const key of Object.keys(decls) as (keyof T)[]) out[key] = await compileKernel(device, decls[key], constants);
    return out;
  };
  return {
    tuning: t,
    gram: await compileAll(PAM_GRAM, { WG: t.gramWg }),
    system: await compileAll(PAM_SYSTEM, { WG: t.systemWg }),
    cholesky: await compileAll(PAM_CHOLESKY, { NB: t.nb, T: t.tile, WG: t.solveWg }),
    encoder: await compileAll(PAM_ENCODER, { WG: 64 }),
  };
}

/** Sizes must be positive integers, and the largest buffer (`elements`) indexable by u32. */
function positive(what: string, sizes: Record<string, number>, elements: number): void {
  for (const [name, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${what}: ${name} = ${v} must be a positive integer`);
  }
  if (elements >= 2 ** 32) throw new Error(`${what}: ${elements} elements in one buffer (${JSON.stringify(sizes)}) overflow u32 indexing; use smaller chunks or fewer latents`);
}

function need(what: string, name: string, buffer: GPUBuffer, elements: number, shape: string): void {
  if (buffer.size < elements * 4) throw new Error(`${what}: ${name} has ${buffer.size} bytes, needs ${elements * 4} (${shape} of 4-byte elements)`);
}

const foldWidth = (device: GPUDevice, k: PamKernels): number => k.tuning.foldAt || device.limits.maxComputeWorkgroupsPerDimension;

/** Sizes of one chunk of codes (one member). */
export interface PamStatsSizes {
  rows: number;
  k: number;
  dIn: number;
  dSae: number;
}

export interface PamStatsBuffers {
  x: GPUBuffer; // [rows, dIn]
  idx: GPUBuffer; // [rows, k] u32, as topk.wgsl writes it (≥ dSae = empty)
  val: GPUBuffer; // [rows, k]
  counts: GPUBuffer; // [dSae + 1] u32 scratch
  offsets: GPUBuffer; // [dSae + 1] u32 scratch
  entries: GPUBuffer; // [rows·k] u32 scratch
  G: GPUBuffer; // [dSae, dSae]
  H: GPUBuffer; // [dSae, dIn]
  sz: GPUBuffer; // [dSae]
  sx: GPUBuffer; // [dIn]
}

/**
 * One chunk's statistics: latentIndex (per-latent segments of the chunk) → weightGrad (H (+)= Σ val·x per latent,
 * sz (+)= Σ val) → pamGram.gram (G (+)= Σ z zᵀ) → pamGram.sumX (sx (+)= Σ x). accumulate false overwrites (the
 * first chunk of an epoch), true adds (the rest): prepare both once and record the one that applies. Pad a short
 * last chunk with empty slots (0xFFFFFFFF) and zero x rows, and count only its real rows in N.
 */
export function preparePamStats(device: GPUDevice, pam: PamKernels, sparse: SparseKernels, s: PamStatsSizes, b: PamStatsBuffers, opts: { accumulate: boolean }): Recorder {
  positive('pamStats', { rows: s.rows, k: s.k, dIn: s.dIn, dSae: s.dSae }, Math.max(s.rows * s.dIn, s.rows * s.k, s.dSae * s.dSae, s.dSae * s.dIn));
  const { rows, k, dIn, dSae } = s;
  need('pamStats', 'x', b.x, rows * dIn, '[rows, dIn]');
  need('pamStats', 'G', b.G, dSae * dSae, '[dSae, dSae]');
  need('pamStats', 'H', b.H, dSae * dIn, '[dSae, dIn]');
  need('pamStats', 'sz', b.sz, dSae, '[dSae]');
  need('pamStats', 'sx', b.sx, dIn, '[dIn]');
  need('pamStats', 'idx', b.idx, rows * k, '[rows, k]');
  need('pamStats', 'val', b.val, rows * k, '[rows, k]');
  const sizes = { batch: rows, M: 1, dIn, dSae, k };
  const index = prepareLatentIndex(device, sparse, sizes, { idx: b.idx, counts: b.counts, offsets: b.offsets, entries: b.entries });
  const h = prepareWeightGrad(
    device,
    sparse,
    sizes,
    { offsets: b.offsets, entries: b.entries, coef: b.val, src: b.x, bDec: null, memberScale: null, out: b.H, outSum: b.sz },
    { srcMemberStride: 0, factor: 1, accumulate: opts.accumulate },
  );
  const fields: ParamField[] = [['u32', rows], ['u32', k], ['u32', dIn], ['u32', dSae], ['u32', opts.accumulate ? 1 : 0], ['u32', 0], ['u32', 0], ['u32', 0]];
  const params = paramsBuffer(device, 'pamGram:params', fields);
  const buffers = [b.offsets, b.entries, b.idx, b.val, b.x, b.G, b.sx];
  const gram = prepareDispatch(device, pam.gram.gram, buffers, params, foldGrid(dSae, foldWidth(device, pam)));
  const sumX = bindBuffers(device, pam.gram.sumX, [...buffers, params]);
  const sumXGrid: [number, number, number] = [Math.ceil(dIn / pam.tuning.gramWg), 1, 1];
  return sequence([index, h, gram, { record: (pass) => dispatch(pass, pam.gram.sumX, sumX, sumXGrid), destroy: () => {} }]);
}

/** Sizes of the decoder system: m = dSae unknown rows, dIn right-hand sides. */
export interface PamSolveSizes {
  dSae: number;
  dIn: number;
}

export interface PamSystemBuffers {
  G: GPUBuffer; // [dSae, dSae]
  H: GPUBuffer; // [dSae, dIn]
  sz: GPUBuffer; // [dSae]
  sx: GPUBuffer; // [dIn]
  A: GPUBuffer; // [dSae, dSae] out (scratch for the solve)
  wDec: GPUBuffer; // [dSae, dIn] in Dᵗ, out B = Cᵀ (then the solve's X)
  bDec: GPUBuffer; // [dIn] in bᵗ, out b^{t+1} (bDec recorder, after the solve)
}

/**
 * pamSystem.wgsl for `rows` = N accumulated rows: `form` writes A and overwrites wDec with B = Cᵀ; `bDec`, recorded
 * after the solve has put D^{t+1} in wDec, overwrites bDec with the closed-form bias. The scalars are computed in
 * f64 (pamStats.ts:pamSystemScalars) and rounded once into the uniform; prepare again when N changes.
 * mode 'uncentred' (the MNIST script, core/sae/pam.ts DecoderSolveMode): no centring term (gn = 0), β and ν unused,
 * b = (Σx − Wᵀ·Σz)/N, the mean residual; A = G + (α+μ)I, B = μ·Dᵗ + H.
 */
export function preparePamSystem(
  device: GPUDevice,
  pam: PamKernels,
  s: PamSolveSizes,
  b: PamSystemBuffers,
  rows: number,
  o: PamDecoderOptions,
  mode: DecoderSolveMode = 'exact',
): { form: Recorder; bDec: Recorder } {
  positive('pamSystem', { dSae: s.dSae, dIn: s.dIn }, Math.max(s.dSae * s.dSae, s.dSae * s.dIn));
  const { dSae, dIn } = s;
  need('pamSystem', 'G', b.G, dSae * dSae, '[dSae, dSae]');
  need('pamSystem', 'A', b.A, dSae * dSae, '[dSae, dSae]');
  need('pamSystem', 'H', b.H, dSae * dIn, '[dSae, dIn]');
  need('pamSystem', 'wDec', b.wDec, dSae * dIn, '[dSae, dIn]');
  need('pamSystem', 'sz', b.sz, dSae, '[dSae]');
  need('pamSystem', 'sx', b.sx, dIn, '[dIn]');
  need('pamSystem', 'bDec', b.bDec, dIn, '[dIn]');
  const exact = pamSystemScalars(rows, o);
  const { ridge, gn, invDen } = mode === 'exact' ? exact : { ridge: exact.ridge, gn: 0, invDen: 1 / rows };
  const nu = mode === 'exact' ? o.nu : 0;
  const fields: ParamField[] = [['u32', dSae], ['u32', dIn], ['f32', ridge], ['f32', gn], ['f32', o.mu], ['f32', nu], ['f32', invDen], ['u32', 0]];
  const params = paramsBuffer(device, 'pamSystem:params', fields);
  const buffers = [b.G, b.H, b.sz, b.sx, b.A, b.wDec, b.bDec, params];
  const wg = pam.tuning.systemWg;
  const width = foldWidth(device, pam);
  const grids: [Kernel, [number, number, number]][] = [
    [pam.system.formA, foldGrid(Math.ceil((dSae * dSae) / wg), width)],
    [pam.system.formB, foldGrid(Math.ceil((dSae * dIn) / wg), width)],
  ];
  const groups = grids.map(([kernel]) => bindBuffers(device, kernel, buffers));
  const bDecGroup = bindBuffers(device, pam.system.bDecSolve, buffers);
  return {
    form: {
      record: (pass) => grids.forEach(([kernel, grid], i) => dispatch(pass, kernel, groups[i], grid)),
      destroy: () => params.destroy(),
    },
    bDec: { record: (pass) => dispatch(pass, pam.system.bDecSolve, bDecGroup, [Math.ceil(dIn / wg), 1, 1]), destroy: () => {} },
  };
}

export interface PamSolveBuffers {
  A: GPUBuffer; // [dSae, dSae] in A (lower triangle), out L
  X: GPUBuffer; // [dSae, dIn] in B, out X = A⁻¹B
  status: GPUBuffer; // [1] u32 out: PAM_SOLVE_OK or the first column whose pivot was not > 0
}

/** A chunked solve: record `steps` one per submit to keep each submit short, or `record` them all at once. */
export interface PamSolve extends Recorder {
  /** 3 dispatches (one panel of the factor) or 2 (one panel of a triangular solve) each, in order. */
  readonly steps: readonly Recorder[];
}

/** pamCholesky.wgsl: A = L Lᵀ in place, then X ← A⁻¹ X in place; ceil(dSae/NB) panels, 3 + 2 + 2 dispatches each. */
export function preparePamSolve(device: GPUDevice, pam: PamKernels, s: PamSolveSizes, b: PamSolveBuffers): PamSolve {
  positive('pamSolve', { dSae: s.dSae, dIn: s.dIn }, Math.max(s.dSae * s.dSae, s.dSae * s.dIn));
  const { dSae: m, dIn } = s;
  need('pamSolve', 'A', b.A, m * m, '[dSae, dSae]');
  need('pamSolve', 'X', b.X, m * dIn, '[dSae, dIn]');
  need('pamSolve', 'status', b.status, 1, '[1] u32');
  const { nb: NB, tile: T, solveWg: WG } = pam.tuning;
  const width = foldWidth(device, pam);
  const c = pam.cholesky;
  const params: GPUBuffer[] = [];
  const factor: Recorder[] = [];
  const forward: Recorder[] = [];
  const backward: Recorder[] = [];
  for (let p0 = 0; p0 < m; p0 += NB) {
    const nb = Math.min(NB, m - p0);
    const below = m - p0 - nb;
    const u = paramsBuffer(device, `pamCholesky:params@${p0}`, [['u32', m], ['u32', dIn], ['u32', p0], ['u32', nb]]);
    params.push(u);
    const step = (parts: [Kernel, [number, number, number]][]): Recorder => {
      const live = parts.filter(([, g]) => g[0] * g[1] * g[2] > 0).map(([kernel, g]) => [kernel, bindBuffers(device, kernel, [b.A, b.X, b.status, u]), g] as const);
      return { record: (pass) => live.forEach(([kernel, group, g]) => dispatch(pass, kernel, group, g)), destroy: () => {} };
    };
    const tiles = Math.ceil(below / T);
    factor.push(step([
      [c.potrf, [1, 1, 1]],
      [c.trsm, [Math.ceil(below / WG), 1, 1]],
      [c.syrk, tiles > 0 ? foldGrid(tiles * tiles, width) : [0, 1, 1]],
    ]));
    forward.push(step([
      [c.fwdDiag, [Math.ceil(dIn / WG), 1, 1]],
      [c.fwdUpdate, below > 0 ? foldGrid(Math.ceil((below * dIn) / WG), width) : [0, 1, 1]],
    ]));
    backward.push(step([
      [c.bwdDiag, [Math.ceil(dIn / WG), 1, 1]],
      [c.bwdUpdate, p0 > 0 ? foldGrid(Math.ceil((p0 * dIn) / WG), width) : [0, 1, 1]],
    ]));
  }
  const steps = [...factor, ...forward, ...backward.reverse()];
  return {
    steps,
    record: (pass) => steps.forEach((r) => r.record(pass)),
    destroy: () => params.forEach((u) => u.destroy()),
  };
}

/**
 * The whole decoder block after the statistics: form A and B (over wDec) → solve in place (wDec ← D^{t+1}) →
 * bDec ← b^{t+1}. `steps` as in PamSolve (the first forms the system, the last solves the bias). Check `status`
 * (PAM_SOLVE_OK) before trusting wDec and bDec; copy them first if a failed solve must leave the old ones.
 */
export function preparePamDecoder(
  device: GPUDevice,
  pam: PamKernels,
  s: PamSolveSizes,
  b: PamSystemBuffers & { status: GPUBuffer },
  rows: number,
  o: PamDecoderOptions,
  mode: DecoderSolveMode = 'exact',
): PamSolve {
  const system = preparePamSystem(device, pam, s, b, rows, o, mode);
  const solve = preparePamSolve(device, pam, s, { A: b.A, X: b.wDec, status: b.status });
  const steps = [system.form, ...solve.steps, system.bDec];
  return {
    steps,
    record: (pass) => steps.forEach((r) => r.record(pass)),
    destroy: () => {
      system.form.destroy();
      solve.destroy();
    },
  };
}

/** Sizes of the encoder-side terms: N = M·dSae latents. */
export interface PamEncoderSizes {
  members: number;
  dSae: number;
  dIn: number;
}

function encoderSizes(what: string, s: PamEncoderSizes): number {
  positive(what, { members: s.members, dSae: s.dSae, dIn: s.dIn }, s.members * s.dSae * s.dIn);
  return s.members * s.dSae;
}

/**
 * pamEncoder.wgsl:proxGrad — dWEnc, dBEnc += the stay-close gradient of μ(‖wEnc − anchorW‖² + ‖bEff − anchorB‖²)
 * (twin core/sae/pamTrain.ts:addEncoderProx). Record after the step's gradients are written and before the clip.
 * wEnc, anchorW, dWEnc [N, dIn]; bEff, anchorB, dBEnc [N]; bDec [M, dIn].
 */
export function preparePamProx(
  device: GPUDevice,
  pam: PamKernels,
  s: PamEncoderSizes,
  b: { wEnc: GPUBuffer; anchorW: GPUBuffer; bEff: GPUBuffer; anchorB: GPUBuffer; bDec: GPUBuffer; dWEnc: GPUBuffer; dBEnc: GPUBuffer },
  mu: number,
): Recorder {
  const N = encoderSizes('pamProx', s);
  if (!(mu >= 0 && Number.isFinite(mu))) throw new Error(`pamProx: μ = ${mu} must be a finite number ≥ 0`);
  for (const [name, buf, n, shape] of [['wEnc', b.wEnc, N * s.dIn, '[N, dIn]'], ['anchorW', b.anchorW, N * s.dIn, '[N, dIn]'], ['dWEnc', b.dWEnc, N * s.dIn, '[N, dIn]'], ['bEff', b.bEff, N, '[N]'], ['anchorB', b.anchorB, N, '[N]'], ['dBEnc', b.dBEnc, N, '[N]'], ['bDec', b.bDec, s.members * s.dIn, '[M, dIn]']] as const) {
    need('pamProx', name, buf, n, shape);
  }
  const params = paramsBuffer(device, 'pamEncoder:prox:params', [['u32', N], ['u32', s.dSae], ['u32', s.dIn], ['f32', 2 * mu]]);
  const grid = foldGrid(Math.ceil((N * s.dIn) / 64), foldWidth(device, pam));
  return prepareDispatch(device, pam.encoder.proxGrad, [b.wEnc, b.anchorW, b.bEff, b.anchorB, b.bDec, b.bDec, b.dWEnc, b.dBEnc], params, grid);
}

/**
 * pamEncoder.wgsl:foldBias — bEnc += wEnc·(bDecNew − bDec) per member (twin core/sae/pam.ts:applyDecoderSolve), so a
 * solved decoder bias leaves every code unchanged. Record before copying bDecNew over bDec.
 * wEnc [N, dIn]; bDec, bDecNew [M, dIn]; bEnc [N].
 */
export function preparePamFold(device: GPUDevice, pam: PamKernels, s: PamEncoderSizes, b: { wEnc: GPUBuffer; bDec: GPUBuffer; bDecNew: GPUBuffer; bEnc: GPUBuffer }): Recorder {
  const N = encoderSizes('pamFold', s);
  need('pamFold', 'wEnc', b.wEnc, N * s.dIn, '[N, dIn]');
  need('pamFold', 'bDec', b.bDec, s.members * s.dIn, '[M, dIn]');
  need('pamFold', 'bDecNew', b.bDecNew, s.members * s.dIn, '[M, dIn]');
  need('pamFold', 'bEnc', b.bEnc, N, '[N]');
  const params = paramsBuffer(device, 'pamEncoder:fold:params', [['u32', N], ['u32', s.dSae], ['u32', s.dIn], ['f32', 0]]);
  // The bindings the fold does not use (anchorW, bEff, anchorB; dWEnc) get placeholders of their own: a buffer bound
  // read-only and writable in one dispatch is a validation error.
  const usage = GPUBufferUsage.STORAGE;
  const unusedRead = device.createBuffer({ label: 'pamEncoder:fold:unusedRead', size: 16, usage });
  const unusedWrite = device.createBuffer({ label: 'pamEncoder:fold:unusedWrite', size: 16, usage });
  const buffers = [b.wEnc, unusedRead, unusedRead, unusedRead, b.bDec, b.bDecNew, unusedWrite, b.bEnc];
  return prepareDispatch(device, pam.encoder.foldBias, buffers, params, foldGrid(Math.ceil(N / 64), foldWidth(device, pam)), [unusedRead, unusedWrite]);
}
