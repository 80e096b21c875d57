// Kernel declarations for TopK selection: per-row TopK and its AuxK (dead-mask) variant, by radix select or
// by one invocation per row (shaders/topk.wgsl, entry points main and serial; chooseTopk picks one), and
// BatchTopK's batch-wide threshold and mask (shaders/batchTopkThreshold.wgsl).
// Helpers compile them and bind dispatches once (prepareTopk, prepareBatchTopk: Recorders); no readbacks here.
// Imports WGSL (?raw) and src/gpu/kernel.ts only: no engine, UI or Node code.

import topkWgsl from '../../../shaders/topk.wgsl?raw';
import batchTopkWgsl from '../../../shaders/batchTopkThreshold.wgsl?raw';
import type { Kernel, KernelDecl, ParamField, PreparedDispatch, Recorder } from '../kernel.ts';
import { bindBuffers, compileKernel, dispatch, foldGrid, paramsBuffer, prepareDispatch } from '../kernel.ts';

// ---------------------------------------------------------------------------------------------------
// Per-row TopK (and AuxK)

/** z [batch, N] read, dead [N] read (MASKED only), idx [batch, M, k] u32, val [batch, M, k] f32, params. */
export const TOPK: KernelDecl = {
  name: 'topk',
  code: topkWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read_write', 'read_write', 'uniform'],
};

/** The same file's `serial` entry point (one invocation per row and member); same bindings as TOPK. */
export const TOPK_SERIAL: KernelDecl = { ...TOPK, entryPoint: 'serial' };

/**
 * 'radix': one workgroup per (row, member), radix select over a 2048-bin workgroup histogram (large rows,
 * real GPUs). 'serial': one invocation per (row, member) keeping a private sorted top-k, no barriers
 * (software adapters, where it is far cheaper; k ≤ TOPK_SERIAL_KMAX).
 */
export type TopkVariant = 'radix' | 'serial';

/** Largest k of the serial variant (the const size of its private arrays in topk.wgsl). */
export const TOPK_SERIAL_KMAX = 64;

/** Sizes of one TopK dispatch; N = M·dSae. `k` is kAux for the masked (AuxK) variant. */
export interface TopkSizes {
  batch: number;
  dSae: number;
  /** Ensemble members. */
  M: number;
  k: number;
}

export interface TopkOptions {
  /** Largest k this pipeline will be asked for (the capacity of its workgroup result arrays). */
  kMax: number;
  /** AuxK: only latents with dead[m] ≠ 0 are candidates; unused slots get idx 0xFFFFFFFF, val 0. */
  masked: boolean;
  /** Default 'radix'; see chooseTopk. */
  variant?: TopkVariant;
  /** Invocations per workgroup (default 256 for radix, 8 for serial). */
  wg?: number;
}

export interface TopkKernel extends Kernel {
  kMax: number;
  masked: boolean;
  variant: TopkVariant;
  wg: number;
}

/** idx value of an empty slot (masked variant with fewer candidates than k). */
export const TOPK_NONE = 0xffffffff;

/**
 * The variant and workgroup size for k ≤ kMax on an adapter. Measured on SwiftShader 5.0.0 (2 busy cores;
 * median ms, serial WG 8 / radix WG 256 / radix WG 64 / tf.topk 4.22 on the same device):
 *   128×512 k16 6.3 / 475 / 96 / 105;  64×512 k32 7.2 / 131 / 31 / 41;  64×2048 k32 6.2 / 166 / 92 / 213;
 *   64×4096 k64 29 / 260 / 140 / 700;  8×16384 k32 10 / 41 / 20 / 298;  1024×256 k16 27 / 1845 / 378 / 229.
 * So a software adapter takes 'serial' whenever k fits (kMax ≤ TOPK_SERIAL_KMAX), else radix at WG 64 (a
 * SwiftShader workgroup costs in proportion to its invocations). Real GPUs keep radix at WG 256, the
 * design of webgpu-ml.md §2.4 (serial has not been timed on one: one invocation walking a whole row is
 * latency-bound there).
 */
export function chooseTopk(isSoftware: boolean, kMax: number): { variant: TopkVariant; wg: number } {
  if (isSoftware) return kMax <= TOPK_SERIAL_KMAX ? { variant: 'serial', wg: 8 } : { variant: 'radix', wg: 64 };
  return { variant: 'radix', wg: 256 };
}

/** Workgroup memory of topk.wgsl: 2048-bin histogram, scan (vec2<u32> per invocation, per run of 16), results, state. */
export function topkWorkgroupBytes(wg: number, kMax: number): number {
  return 2048 * 4 + wg * 8 + Math.ceil(wg / 16) * 8 + kMax * 8 + 16;
}

/** Compiles topk.wgsl for results of at most `kMax` per row; throws naming the limit when it cannot fit. */
export async function compileTopk(device: GPUDevice, opts: TopkOptions): Promise<TopkKernel> {
  const variant = opts.variant ?? 'radix';
  const kMax = Math.max(1, Math.ceil(opts.kMax));
  if (variant === 'serial') {
    const wg = opts.wg ?? 8;
    if (kMax > TOPK_SERIAL_KMAX) throw new Error(`topk: the serial variant holds k ≤ ${TOPK_SERIAL_KMAX}, asked for kMax ${kMax}; use the radix variant`);
    const kernel = await compileKernel(device, TOPK_SERIAL, { WG: wg, MASKED: opts.masked ? 1 : 0 });
    return { ...kernel, kMax, masked: opts.masked, variant, wg };
  }
  const wg = opts.wg ?? 256;
  const bytes = topkWorkgroupBytes(wg, kMax);
  const have = device.limits.maxComputeWorkgroupStorageSize;
  if (bytes > have) {
    throw new Error(`topk: kMax ${kMax} with workgroup ${wg} needs ${bytes} bytes of workgroup memory (maxComputeWorkgroupStorageSize ${have}); lower k (or kAux)`);
  }
  const kernel = await compileKernel(device, TOPK, { WG: wg, KMAX: kMax, MASKED: opts.masked ? 1 : 0 });
  return { ...kernel, kMax, masked: opts.masked, variant, wg };
}

/** Params {batch, dSae, M, k} of topk.wgsl, for paramsBuffer / packParams. */
export function topkParams(s: TopkSizes): ParamField[] {
  return [
    ['u32', s.batch],
    ['u32', s.dSae],
    ['u32', s.M],
    ['u32', s.k],
  ];
}

function checkTopkSizes(kernel: TopkKernel, s: TopkSizes): void {
  const { batch, dSae, M, k } = s;
  if (k < 1 || k > kernel.kMax) throw new Error(`topk: k = ${k} must be in 1..kMax = ${kernel.kMax} (recompile with a larger kMax)`);
  if (!kernel.masked && k > dSae) throw new Error(`topk: k = ${k} > dSae = ${dSae}`);
  if (batch * M * dSae >= 2 ** 32 || batch * M * k >= 2 ** 32) {
    throw new Error(`topk: batch·M·dSae = ${batch * M * dSae} or batch·M·k = ${batch * M * k} overflows u32 indexing; chunk the batch`);
  }
}

/**
 * Binds one TopK dispatch once: per (row, member), idx/val [batch, M, k] ← the k largest of z [batch, M·dSae]
 * (value desc, index asc; val = ReLU). `dead` [M·dSae] u32 is read only by a masked kernel; pass null
 * otherwise (z is bound in its place). Owns its uniform (topkParams(sizes)). Grid: batch·M workgroups
 * (radix) or ceil(batch·M / wg) (serial), folded past 65,535.
 */
export function prepareTopk(
  device: GPUDevice,
  kernel: TopkKernel,
  buffers: { z: GPUBuffer; dead: GPUBuffer | null; idx: GPUBuffer; val: GPUBuffer },
  sizes: TopkSizes,
): PreparedDispatch {
  checkTopkSizes(kernel, sizes);
  if (kernel.masked && !buffers.dead) throw new Error('topk: the masked (AuxK) kernel needs a dead buffer [M·dSae] u32');
  const { z, dead, idx, val } = buffers;
  const rows = sizes.batch * sizes.M;
  const grid = foldGrid(kernel.variant === 'serial' ? Math.ceil(rows / kernel.wg) : rows);
  const params = paramsBuffer(device, `topk${kernel.masked ? ':masked' : ''}:params`, topkParams(sizes));
  return prepareDispatch(device, kernel, [z, dead ?? z, idx, val], params, grid);
}

// ---------------------------------------------------------------------------------------------------
// BatchTopK (training): per member, the batch·k largest z over the whole batch, ReLU after

/** The stages of batchTopkThreshold.wgsl, in recording order; one entry point each, one shared layout. */
export const BATCH_TOPK_STAGES = ['initState', 'histogram', 'selectBucket', 'countTies', 'scanTies', 'applyMask'] as const;
export type BatchTopkStage = (typeof BATCH_TOPK_STAGES)[number];

/** z [batch, N] read, hist [M, 2048], state [M, 8], eqRow [M, batch] u32 scratch, f [batch, N] f32, params. */
const batchTopkDecl = (entryPoint: BatchTopkStage): KernelDecl => ({
  name: 'batchTopkThreshold',
  code: batchTopkWgsl,
  entryPoint,
  bindings: ['read', 'read_write', 'read_write', 'read_write', 'read_write', 'uniform'],
});

export const BATCH_TOPK: Record<BatchTopkStage, KernelDecl> = {
  initState: batchTopkDecl('initState'),
  histogram: batchTopkDecl('histogram'),
  selectBucket: batchTopkDecl('selectBucket'),
  countTies: batchTopkDecl('countTies'),
  scanTies: batchTopkDecl('scanTies'),
  applyMask: batchTopkDecl('applyMask'),
};

export type BatchTopkKernels = Record<BatchTopkStage, Kernel>;

/** Sizes of BatchTopK buffers, in u32/f32 elements; state[j·8 + 5] holds member j's minKept (f32 bits). */
export function batchTopkScratchSizes(s: TopkSizes): { hist: number; state: number; eqRow: number } {
  return { hist: s.M * 2048, state: s.M * 8, eqRow: s.M * s.batch };
}

/** Index of member j's minKept (f32 bits: the smallest kept z > 0, 0 if none) in the state buffer. */
export const batchTopkMinKeptIndex = (j: number): number => j * 8 + 5;

/** Compiles the six stages of batchTopkThreshold.wgsl (workgroup size `wg`, default 256). */
export async function compileBatchTopk(device: GPUDevice, wg = 256): Promise<BatchTopkKernels> {
  const kernels = await Promise.all(BATCH_TOPK_STAGES.map((stage) => compileKernel(device, BATCH_TOPK[stage], { WG: wg })));
  return Object.fromEntries(BATCH_TOPK_STAGES.map((stage, i) => [stage, kernels[i]])) as BatchTopkKernels;
}

/** Rows per histogram workgroup: about 16k elements each (at least one row). */
export function batchTopkRowsPerWg(dSae: number): number {
  return Math.max(1, Math.floor(16384 / Math.max(1, dSae)));
}

/** Params {batch, dSae, M, k, rowsPerWg, chunks, 0, 0} of batchTopkThreshold.wgsl. */
export function batchTopkParams(s: TopkSizes, rowsPerWg = batchTopkRowsPerWg(s.dSae)): ParamField[] {
  return [
    ['u32', s.batch],
    ['u32', s.dSae],
    ['u32', s.M],
    ['u32', s.k],
    ['u32', rowsPerWg],
    ['u32', Math.ceil(s.batch / rowsPerWg)],
    ['u32', 0],
    ['u32', 0],
  ];
}

/**
 * Binds BatchTopK once (10 dispatches): f [batch, M·dSae] ← per member, z where among the batch·k largest of
 * the member's [batch, dSae] (ties to the lower flat index) and > 0, else 0; state[j·8 + 5] ← minKept
 * bits. hist, state, eqRow: scratch of batchTopkScratchSizes (hist needs no zeroing). Owns its uniform
 * (batchTopkParams(sizes, rowsPerWg)).
 */
export function prepareBatchTopk(
  device: GPUDevice,
  kernels: BatchTopkKernels,
  buffers: { z: GPUBuffer; hist: GPUBuffer; state: GPUBuffer; eqRow: GPUBuffer; f: GPUBuffer },
  sizes: TopkSizes,
  rowsPerWg = batchTopkRowsPerWg(sizes.dSae),
): Recorder {
  const { batch, dSae, M, k } = sizes;
  if (k < 1) throw new Error(`batchTopk: k = ${k} must be ≥ 1`);
  if (batch * M * dSae >= 2 ** 32) throw new Error(`batchTopk: batch·M·dSae = ${batch * M * dSae} overflows u32 indexing; chunk the batch`);
  const { z, hist, state, eqRow, f } = buffers;
  const params = paramsBuffer(device, 'batchTopk:params', batchTopkParams(sizes, rowsPerWg));
  const group = bindBuffers(device, kernels.initState, [z, hist, state, eqRow, f, params]); // one layout for all stages
  const members = foldGrid(M);
  const rows = foldGrid(batch * M);
  const histogram = foldGrid(M * Math.ceil(batch / rowsPerWg));
  return {
    record: (pass) => {
      dispatch(pass, kernels.initState, group, members);
      for (let p = 0; p < 3; p++) {
        dispatch(pass, kernels.histogram, group, histogram);
        dispatch(pass, kernels.selectBucket, group, members);
      }
      dispatch(pass, kernels.countTies, group, rows);
      dispatch(pass, kernels.scanTies, group, members);
      dispatch(pass, kernels.applyMask, group, rows);
    },
    destroy: () => params.destroy(),
  };
}
