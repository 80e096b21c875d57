// Kernel declarations for the optimiser and bookkeeping tail of the training step, in the order of
// src/core/sae/train.ts: decoder-parallel gradient removal (projectGrad) → per-member gradient-norm clip
// (gradNorm) → Adam (adam) → decoder row renormalisation (normalizeRows) → firing statistics (firing).
// Imports WGSL (?raw) and src/gpu/kernel.ts only: no engine, UI or Node code; no readbacks in here.

import adamWgsl from '../../../shaders/adam.wgsl?raw';
import firingWgsl from '../../../shaders/firing.wgsl?raw';
import gradNormWgsl from '../../../shaders/gradNorm.wgsl?raw';
import normalizeRowsWgsl from '../../../shaders/normalizeRows.wgsl?raw';
import projectGradWgsl from '../../../shaders/projectGrad.wgsl?raw';
import type { Kernel, KernelDecl, ParamField, PreparedDispatch, Recorder } from '../kernel.ts';
import { compileKernel, foldGrid, packParams, paramsBuffer, prepareDispatch } from '../kernel.ts';

/** dWDec[m] −= (dWDec[m]·wDec[m]/‖wDec[m]‖²)·wDec[m]. Bindings: wDec, dWDec, params. */
export const PROJECT_GRAD: KernelDecl = { name: 'projectGrad', code: projectGradWgsl, entryPoint: 'main', bindings: ['read', 'read_write', 'uniform'] };
/** Stage A (FINAL=false): per-member chunk sums of g²; stage B (FINAL=true): (scale, ‖g‖) per member. Bindings: src, dst, params. */
export const GRAD_NORM: KernelDecl = { name: 'gradNorm', code: gradNormWgsl, entryPoint: 'main', bindings: ['read', 'read_write', 'uniform'] };
/** Adam on one tensor with the member's clip scale. Bindings: g, gradClip, p, m, v, params. */
export const ADAM: KernelDecl = {
  name: 'adam',
  code: adamWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read_write', 'read_write', 'read_write', 'uniform'],
};
/** Each row of wDec to unit norm. Bindings: wDec, params. */
export const NORMALIZE_ROWS: KernelDecl = { name: 'normalizeRows', code: normalizeRowsWgsl, entryPoint: 'main', bindings: ['read_write', 'uniform'] };
/** Fire counts, tokens since fired, dead mask, per-member stats. Bindings: val, idx, firingCount, tokensSinceFired, dead, stats, params. */
export const FIRING: KernelDecl = {
  name: 'firing',
  code: firingWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read_write', 'read_write', 'read_write', 'read_write', 'uniform'],
};

/** The `override` constants the kernels are compiled with (grids are computed from them). */
export interface OptimSizes {
  /** projectGrad / normalizeRows: threads per row (power of two). */
  rowWg: number;
  /** gradNorm: threads per workgroup (power of two) and elements per thread; a chunk is normWg·normItems. */
  normWg: number;
  normItems: number;
  /** adam: threads per workgroup (each owns one vec4). */
  adamWg: number;
  /** firing: threads per workgroup and latents per thread; a tile is firingWg·firingPerThread latents. */
  firingWg: number;
  firingPerThread: number;
}

export const DEFAULT_OPTIM_SIZES: OptimSizes = { rowWg: 64, normWg: 256, normItems: 8, adamWg: 256, firingWg: 256, firingPerThread: 4 };

export interface OptimKernels {
  sizes: OptimSizes;
  projectGrad: Kernel;
  gradNormPartial: Kernel;
  gradNormFinal: Kernel;
  adam: Kernel;
  normalizeRows: Kernel;
  firing: Kernel;
}

export async function compileOptimKernels(device: GPUDevice, sizes: Partial<OptimSizes> = {}): Promise<OptimKernels> {
  const s = { ...DEFAULT_OPTIM_SIZES, ...sizes };
  for (const key of ['rowWg', 'normWg'] as const) {
    if (!(s[key] >= 1 && (s[key] & (s[key] - 1)) === 0)) throw new Error(`compileOptimKernels: ${key} must be a power of two (tree reduction), got ${s[key]}`);
  }
  const [projectGrad, gradNormPartial, gradNormFinal, adam, normalizeRows, firing] = await Promise.all([
    compileKernel(device, PROJECT_GRAD, { WG: s.rowWg }),
    compileKernel(device, GRAD_NORM, { WG: s.normWg, ITEMS: s.normItems, FINAL: 0 }),
    compileKernel(device, GRAD_NORM, { WG: s.normWg, ITEMS: s.normItems, FINAL: 1 }),
    compileKernel(device, ADAM, { WG: s.adamWg }),
    compileKernel(device, NORMALIZE_ROWS, { WG: s.rowWg }),
    compileKernel(device, FIRING, { WG: s.firingWg, PER_THREAD: s.firingPerThread }),
  ]);
  return { sizes: s, projectGrad, gradNormPartial, gradNormFinal, adam, normalizeRows, firing };
}

/** Bytes of an f32 tensor of n values as adam.wgsl binds it (vec4s): ⌈n/4⌉·16, at least 16. */
export function vec4Bytes(n: number): number {
  return Math.max(16, Math.ceil(n / 4) * 16);
}

function checkBytes(what: string, buffer: GPUBuffer, bytes: number, shape: string): void {
  if (buffer.size < bytes) throw new Error(`${what}: buffer ${buffer.label || '(unlabelled)'} has ${buffer.size} bytes, ${shape} needs ${bytes}`);
}

/** Row kernels (projectGrad, normalizeRows): Params {rows, dIn}. */
function rowParams(rows: number, dIn: number): ParamField[] {
  return [
    ['u32', rows],
    ['u32', dIn],
  ];
}

/**
 * dWDec −= parallel component, per row. wDec, dWDec: [rows, dIn] (rows = N = M·dSae). Grid: one
 * workgroup per row, folded past 65,535.
 */
export function prepareProjectGrad(device: GPUDevice, k: OptimKernels, shape: { rows: number; dIn: number }, buffers: { wDec: GPUBuffer; dWDec: GPUBuffer }): PreparedDispatch {
  const { rows, dIn } = shape;
  checkBytes('projectGrad wDec', buffers.wDec, rows * dIn * 4, `[rows ${rows}, dIn ${dIn}]`);
  checkBytes('projectGrad dWDec', buffers.dWDec, rows * dIn * 4, `[rows ${rows}, dIn ${dIn}]`);
  const params = paramsBuffer(device, 'projectGrad:params', rowParams(rows, dIn));
  return prepareDispatch(device, k.projectGrad, [buffers.wDec, buffers.dWDec], params, foldGrid(rows));
}

/** wDec rows to unit norm. wDec: [rows, dIn]. Grid: one workgroup per row, folded past 65,535. */
export function prepareNormalizeRows(device: GPUDevice, k: OptimKernels, shape: { rows: number; dIn: number }, buffers: { wDec: GPUBuffer }): PreparedDispatch {
  const { rows, dIn } = shape;
  checkBytes('normalizeRows wDec', buffers.wDec, rows * dIn * 4, `[rows ${rows}, dIn ${dIn}]`);
  const params = paramsBuffer(device, 'normalizeRows:params', rowParams(rows, dIn));
  return prepareDispatch(device, k.normalizeRows, [buffers.wDec], params, foldGrid(rows));
}

/** One gradient tensor of all members: [members, segLen] f32, member j owning [j·segLen, (j+1)·segLen). */
export interface MemberTensor {
  buffer: GPUBuffer;
  /** Elements per member (rowsPerMember·rowLength); 0 = absent (e.g. dLogThreshold of a TopK SAE). */
  segLen: number;
}

/** The per-member norm reduction over several gradient tensors, and the gradClip buffer it fills. */
export interface PreparedGradNorm {
  /** Stage A per non-empty tensor, then stage B. */
  dispatches: PreparedDispatch[];
  /** [M, stride] f32 partial sums (owned; destroy when done). */
  partials: GPUBuffer;
  /** Partials per member: Σ over tensors of ⌈segLen/chunk⌉. */
  stride: number;
}

/**
 * ‖g‖_j over all of member j's gradients (the `grads` tensors, in gradList order: dWEnc, dBEnc, dWDec,
 * dBDec, dLogThreshold), then gradClip[j] = (scale, ‖g‖_j) with scale = min(1, maxNorm/‖g‖_j) (1 when
 * maxNorm = 0). gradClip: [M, 2] f32, 8·M bytes, written (read by adam.wgsl; ‖g‖ for snapshots).
 */
export function prepareGradNorm(
  device: GPUDevice,
  k: OptimKernels,
  members: number,
  grads: readonly MemberTensor[],
  gradClip: GPUBuffer,
  maxNorm: number,
): PreparedGradNorm {
  if (!(members >= 1)) throw new Error(`gradNorm: members must be ≥ 1, got ${members}`);
  if (!(maxNorm >= 0)) throw new Error(`gradNorm: maxNorm must be ≥ 0 (0 = off), got ${maxNorm}`);
  checkBytes('gradNorm gradClip', gradClip, members * 8, `[M ${members}, 2]`);
  const chunk = k.sizes.normWg * k.sizes.normItems;
  const chunks = grads.map((t) => Math.ceil(t.segLen / chunk));
  const stride = chunks.reduce((a, b) => a + b, 0);
  const partials = device.createBuffer({ label: 'gradNorm:partials', size: Math.max(16, members * stride * 4), usage: GPUBufferUsage.STORAGE });
  const dispatches: PreparedDispatch[] = [];
  let offset = 0;
  grads.forEach((t, i) => {
    checkBytes(`gradNorm tensor ${i}`, t.buffer, members * t.segLen * 4, `[M ${members}, segLen ${t.segLen}]`);
    if (chunks[i] === 0) return;
    const params = paramsBuffer(device, `gradNorm:params:${i}`, [
      ['u32', t.segLen],
      ['u32', chunks[i]],
      ['u32', members],
      ['u32', stride],
      ['u32', offset],
      ['f32', maxNorm],
    ]);
    dispatches.push(prepareDispatch(device, k.gradNormPartial, [t.buffer, partials], params, foldGrid(members * chunks[i])));
    offset += chunks[i];
  });
  const params = paramsBuffer(device, 'gradNorm:params:final', [
    ['u32', 0],
    ['u32', 0],
    ['u32', members],
    ['u32', stride],
    ['u32', 0],
    ['f32', maxNorm],
  ]);
  dispatches.push(prepareDispatch(device, k.gradNormFinal, [partials, gradClip], params, [members, 1, 1]));
  return { dispatches, partials, stride };
}

/** Adam hyperparameters of one step (the lr of the schedule at this step). */
export interface AdamStepHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * adam.wgsl's Params for a tensor of n values, segLen per member, at step t ≥ 1 (1-based, as
 * AdamState.t after its increment): c1 = 1−β1ᵗ, c2 = 1−β2ᵗ, 1−β1 and 1−β2 are computed in f64 and
 * rounded to f32 once, the closest f32 to the twin's f64 values (48 bytes).
 */
export function adamParams(n: number, segLen: number, h: AdamStepHyper, t: number): ArrayBuffer {
  if (!(t >= 1)) throw new Error(`adam: step t must be ≥ 1 (1-based), got ${t}`);
  return packParams([
    ['u32', n],
    ['u32', segLen],
    ['f32', h.lr],
    ['f32', h.beta1],
    ['f32', h.beta2],
    ['f32', h.eps],
    ['f32', 1 - h.beta1 ** t],
    ['f32', 1 - h.beta2 ** t],
    ['f32', 1 - h.beta1],
    ['f32', 1 - h.beta2],
  ]);
}

/** One parameter tensor with its Adam moments and gradient, all [M, segLen] f32, each ≥ vec4Bytes(M·segLen). */
export interface AdamTensor {
  p: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  g: GPUBuffer;
  segLen: number;
}

/** Adam on one tensor; its params buffer holds step 1 until rewritten with writeAdamStep. Null when empty. */
export interface PreparedAdam extends PreparedDispatch {
  n: number;
  segLen: number;
}

/**
 * Adam on `t` (n = members·segLen values) with member j's gradient scaled by gradClip[2j]. Grid:
 * ⌈⌈n/4⌉/adamWg⌉ workgroups, folded past 65,535. Returns null for an empty tensor (nothing to record).
 */
export function prepareAdam(device: GPUDevice, k: OptimKernels, members: number, t: AdamTensor, gradClip: GPUBuffer, h: AdamStepHyper): PreparedAdam | null {
  const n = members * t.segLen;
  if (n === 0) return null;
  const bytes = vec4Bytes(n);
  for (const [what, b] of [['p', t.p], ['m', t.m], ['v', t.v], ['g', t.g]] as const) checkBytes(`adam ${what}`, b, bytes, `[M ${members}, segLen ${t.segLen}] padded to vec4s`);
  checkBytes('adam gradClip', gradClip, members * 8, `[M ${members}, 2]`);
  const params = device.createBuffer({ label: 'adam:params', size: 48, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(params, 0, adamParams(n, t.segLen, h, 1));
  const groups = Math.ceil(Math.ceil(n / 4) / k.sizes.adamWg);
  return { ...prepareDispatch(device, k.adam, [t.g, gradClip, t.p, t.m, t.v], params, foldGrid(groups)), n, segLen: t.segLen };
}

/** Rewrites an Adam dispatch's uniform for step t (1-based) and this step's lr: call once per step before submit. */
export function writeAdamStep(queue: GPUQueue, d: PreparedAdam, h: AdamStepHyper, t: number): void {
  queue.writeBuffer(d.params, 0, adamParams(d.n, d.segLen, h, t));
}

/** The firing kernel's inputs and state; N = members·dSae. */
export interface FiringBuffers {
  /** sparse: val [batch, M, k] f32; dense: codes [batch, N] f32. */
  val: GPUBuffer;
  /** sparse: idx [batch, M, k] u32 (latent within the member); dense: any buffer (unread). */
  idx: GPUBuffer;
  /** [N, 2] u32 (lo, hi) of a 64-bit count; read with firingCountsFromWords. */
  firingCount: GPUBuffer;
  /** [N] u32, saturating at 2³²−1. */
  tokensSinceFired: GPUBuffer;
  /** [N] u32 0/1, read by AuxK's selection on the next step. */
  dead: GPUBuffer;
  /** [M, 2] u32 (fires this step, dead latents), added to: clear it (encoder.clearBuffer) for per-step values. */
  stats: GPUBuffer;
}

export interface FiringShape {
  members: number;
  dSae: number;
  batch: number;
  /** Entries per row and member in val/idx (sparse); ignored when dense. */
  k: number;
  /** true: val is codes [batch, N] (ReLU / JumpReLU). */
  dense: boolean;
  /** A latent is dead once tokensSinceFired ≥ this (1 ≤ deadWindowTokens < 2³²). */
  deadWindowTokens: number;
}

/** Firing statistics of one step. Grid: M·⌈dSae/tile⌉ workgroups (tile = firingWg·firingPerThread), folded. */
export function prepareFiring(device: GPUDevice, k: OptimKernels, shape: FiringShape, buffers: FiringBuffers): PreparedDispatch {
  const { members, dSae, batch, dense, deadWindowTokens } = shape;
  const kk = dense ? 0 : shape.k;
  const N = members * dSae;
  if (!(deadWindowTokens >= 1 && deadWindowTokens <= 0xffffffff)) throw new Error(`firing: deadWindowTokens must be in [1, 2³²−1], got ${deadWindowTokens}`);
  if (dense) checkBytes('firing codes', buffers.val, batch * N * 4, `[batch ${batch}, N ${N}]`);
  else {
    checkBytes('firing val', buffers.val, batch * members * kk * 4, `[batch ${batch}, M ${members}, k ${kk}]`);
    checkBytes('firing idx', buffers.idx, batch * members * kk * 4, `[batch ${batch}, M ${members}, k ${kk}]`);
  }
  checkBytes('firing firingCount', buffers.firingCount, N * 8, `[N ${N}, 2]`);
  checkBytes('firing tokensSinceFired', buffers.tokensSinceFired, N * 4, `[N ${N}]`);
  checkBytes('firing dead', buffers.dead, N * 4, `[N ${N}]`);
  checkBytes('firing stats', buffers.stats, members * 8, `[M ${members}, 2]`);
  const params = paramsBuffer(device, 'firing:params', [
    ['u32', batch],
    ['u32', kk],
    ['u32', dSae],
    ['u32', members],
    ['u32', dense ? 1 : 0],
    ['u32', deadWindowTokens],
  ]);
  const b = buffers;
  const tile = k.sizes.firingWg * k.sizes.firingPerThread;
  return prepareDispatch(device, k.firing, [b.val, b.idx, b.firingCount, b.tokensSinceFired, b.dead, b.stats], params, foldGrid(members * Math.ceil(dSae / tile)));
}

/** firingCount words [N, 2] (lo, hi) as read back → counts [N], exact below 2⁵³. */
export function firingCountsFromWords(words: Uint32Array): Float64Array {
  const out = new Float64Array(words.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = words[2 * i] + words[2 * i + 1] * 2 ** 32;
  return out;
}

/**
 * The whole optimiser tail of one step for M members: projectGrad → gradNorm → Adam on each tensor →
 * normalizeRows. tensors are in gradList order (wEnc, bEnc, wDec, bDec, logThreshold; segLen 0 = absent),
 * tensors[2] being wDec. gradClip [M, 2] is owned (read it for ‖g‖ per member at snapshots).
 */
export interface OptimTail extends Recorder {
  gradClip: GPUBuffer;
  /** Rewrites the Adam uniforms for step t (1-based) and lr; call before each step's submit. */
  setStep(h: AdamStepHyper, t: number): void;
}

export function prepareOptimTail(
  device: GPUDevice,
  k: OptimKernels,
  shape: { members: number; dSae: number; dIn: number; maxNorm: number },
  tensors: readonly AdamTensor[],
  h: AdamStepHyper,
): OptimTail {
  const { members, dSae, dIn, maxNorm } = shape;
  if (tensors.length !== 5) throw new Error(`optim tail: expected 5 tensors (wEnc, bEnc, wDec, bDec, logThreshold), got ${tensors.length}`);
  const wDec = tensors[2];
  if (wDec.segLen !== dSae * dIn) throw new Error(`optim tail: tensors[2] must be wDec with segLen dSae·dIn = ${dSae * dIn}, got ${wDec.segLen}`);
  const gradClip = device.createBuffer({ label: 'gradClip', size: Math.max(16, members * 8), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const rows = members * dSae;
  const project = prepareProjectGrad(device, k, { rows, dIn }, { wDec: wDec.p, dWDec: wDec.g });
  const norm = prepareGradNorm(device, k, members, tensors.map((t) => ({ buffer: t.g, segLen: t.segLen })), gradClip, maxNorm);
  const adams = tensors.map((t) => prepareAdam(device, k, members, t, gradClip, h)).filter((d): d is PreparedAdam => d !== null);
  const normalize = prepareNormalizeRows(device, k, { rows, dIn }, { wDec: wDec.p });
  const all = [project, ...norm.dispatches, ...adams, normalize];
  return {
    gradClip,
    setStep(hyper, t) {
      for (const d of adams) writeAdamStep(device.queue, d, hyper, t);
    },
    record(pass) {
      for (const d of all) d.record(pass);
    },
    destroy() {
      for (const d of all) d.destroy();
      norm.partials.destroy();
      gradClip.destroy();
    },
  };
}
