// Kernel declarations for TopK selection: per-row TopK and its AuxK (dead-mask) variant by radix select
// (shaders/topk.wgsl), and BatchTopK's batch-wide threshold and mask (shaders/batchTopkThreshold.wgsl).
// Thin helpers compile them and record dispatches given buffers and sizes; no readbacks here.
// Imports WGSL (?raw) and src/gpu/kernel.ts only: no engine, UI or Node code.

import topkWgsl from '../../../shaders/topk.wgsl?raw';
import batchTopkWgsl from '../../../shaders/batchTopkThreshold.wgsl?raw';
import type { Kernel, KernelDecl, ParamField } from '../kernel.ts';
import { bindBuffers, compileKernel, dispatch, foldGrid } from '../kernel.ts';

// ---------------------------------------------------------------------------------------------------
// Per-row TopK (and AuxK)

/** z [batch, N] read, dead [N] read (MASKED only), idx [batch, M, k] u32, val [batch, M, k] f32, params. */
export const TOPK: KernelDecl = {
  name: 'topk',
  code: topkWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read_write', 'read_write', 'uniform'],
};

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
  /** Invocations per workgroup (default 256). */
  wg?: number;
}

export interface TopkKernel extends Kernel {
  kMax: number;
  masked: boolean;
}

/** idx value of an empty slot (masked variant with fewer candidates than k). */
export const TOPK_NONE = 0xffffffff;

/** Workgroup memory of topk.wgsl: 2048-bin histogram, scan (vec2<u32> per invocation, per run of 16), results, state. */
export function topkWorkgroupBytes(wg: number, kMax: number): number {
  return 2048 * 4 + wg * 8 + Math.ceil(wg / 16) * 8 + kMax * 8 + 16;
}

/** Compiles topk.wgsl for results of at most `kMax` per row; throws naming the limit when it cannot fit. */
export async function compileTopk(device: GPUDevice, opts: TopkOptions): Promise<TopkKernel> {
  const wg = opts.wg ?? 256;
  const kMax = Math.max(1, Math.ceil(opts.kMax));
  const bytes = topkWorkgroupBytes(wg, kMax);
  const have = device.limits.maxComputeWorkgroupStorageSize;
  if (bytes > have) {
    throw new Error(`topk: kMax ${kMax} with workgroup ${wg} needs ${bytes} bytes of workgroup memory (maxComputeWorkgroupStorageSize ${have}); lower k (or kAux)`);
  }
  const kernel = await compileKernel(device, TOPK, { WG: wg, KMAX: kMax, MASKED: opts.masked ? 1 : 0 });
  return { ...kernel, kMax, masked: opts.masked };
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
 * Records one TopK dispatch: per (row, member), idx/val [batch, M, k] ← the k largest of z [batch, M·dSae]
 * (value desc, index asc; val = ReLU). `dead` [M·dSae] u32 is read only by a masked kernel; pass null
 * otherwise (z is bound in its place). `params` holds topkParams(sizes).
 */
export function recordTopk(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  kernel: TopkKernel,
  buffers: { z: GPUBuffer; dead: GPUBuffer | null; idx: GPUBuffer; val: GPUBuffer; params: GPUBuffer },
  sizes: TopkSizes,
): void {
  checkTopkSizes(kernel, sizes);
  if (kernel.masked && !buffers.dead) throw new Error('topk: the masked (AuxK) kernel needs a dead buffer [M·dSae] u32');
  const { z, dead, idx, val, params } = buffers;
  const group = bindBuffers(device, kernel, [z, dead ?? z, idx, val, params]);
  dispatch(pass, kernel, group, foldGrid(sizes.batch * sizes.M));
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
 * Records BatchTopK (10 dispatches): f [batch, M·dSae] ← per member, z where among the batch·k largest of
 * the member's [batch, dSae] (ties to the lower flat index) and > 0, else 0; state[j·8 + 5] ← minKept
 * bits. hist, state, eqRow: scratch of batchTopkScratchSizes (hist needs no zeroing). `params` holds
 * batchTopkParams(sizes, rowsPerWg) with the same rowsPerWg.
 */
export function recordBatchTopk(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  kernels: BatchTopkKernels,
  buffers: { z: GPUBuffer; hist: GPUBuffer; state: GPUBuffer; eqRow: GPUBuffer; f: GPUBuffer; params: GPUBuffer },
  sizes: TopkSizes,
  rowsPerWg = batchTopkRowsPerWg(sizes.dSae),
): void {
  const { batch, dSae, M, k } = sizes;
  if (k < 1) throw new Error(`batchTopk: k = ${k} must be ≥ 1`);
  if (batch * M * dSae >= 2 ** 32) throw new Error(`batchTopk: batch·M·dSae = ${batch * M * dSae} overflows u32 indexing; chunk the batch`);
  const { z, hist, state, eqRow, f, params } = buffers;
  const group = bindBuffers(device, kernels.initState, [z, hist, state, eqRow, f, params]); // one layout for all stages
  const members = foldGrid(M);
  const rows = foldGrid(batch * M);
  dispatch(pass, kernels.initState, group, members);
  for (let p = 0; p < 3; p++) {
    dispatch(pass, kernels.histogram, group, foldGrid(M * Math.ceil(batch / rowsPerWg)));
    dispatch(pass, kernels.selectBucket, group, members);
  }
  dispatch(pass, kernels.countTies, group, rows);
  dispatch(pass, kernels.scanTies, group, members);
  dispatch(pass, kernels.applyMask, group, rows);
}
