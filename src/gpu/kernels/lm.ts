// Kernel declarations for the stories260K forward pass on WebGPU (shaders/lm*.wgsl): RMSNorm, the q/k/v
// projections with RoPE, causal grouped-query attention, and the output / SwiGLU projections; the RoPE
// table; thin recorders of one dispatch each (no readbacks). Imports WGSL (?raw), src/gpu/kernel.ts and
// src/core/lm only: no engine, UI or Node code.

import lmAttentionWgsl from '../../../shaders/lmAttention.wgsl?raw';
import lmLinearWgsl from '../../../shaders/lmLinear.wgsl?raw';
import lmQkvRopeWgsl from '../../../shaders/lmQkvRope.wgsl?raw';
import lmRmsNormWgsl from '../../../shaders/lmRmsNorm.wgsl?raw';
import { ROPE_THETA } from '../../core/lm/forward.ts';
import type { Kernel, KernelDecl } from '../kernel.ts';
import { bindBuffers, compileKernel, dispatch, foldGrid, packParams } from '../kernel.ts';

/** x [.., rows, dim], w (all weights), h [rows, dim] → h = rmsNorm(x)·weight; params. */
export const LM_RMS_NORM: KernelDecl = { name: 'lmRmsNorm', code: lmRmsNormWgsl, entryPoint: 'main', bindings: ['read', 'read', 'read_write', 'uniform'] };

/** h [rows, dim], w ([wq; wk; wv]ᵀ), rope [seqLen, headSize/2, 2], rowPos [rows] u32 → qkv [rows, dim + 2·kvDim]; params. */
export const LM_QKV_ROPE: KernelDecl = {
  name: 'lmQkvRope',
  code: lmQkvRopeWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read', 'read_write', 'uniform'],
};

/** qkv [rows, dim + 2·kvDim], rowPos [rows] u32 → att [rows, dim]; params. */
export const LM_ATTENTION: KernelDecl = { name: 'lmAttention', code: lmAttentionWgsl, entryPoint: 'main', bindings: ['read', 'read', 'read_write', 'uniform'] };

/** inp [rows, nIn], w (Wᵀ [nIn, nOut]), res [rows, nOut] → out = res + inp·Wᵀ [rows, nOut]; params. */
export const LM_RESIDUAL: KernelDecl = { name: 'lmLinear', code: lmLinearWgsl, entryPoint: 'residual', bindings: ['read', 'read', 'read', 'read_write', 'uniform'] };

/** inp [rows, dim], w (W1ᵀ, W3ᵀ [dim, hiddenDim]), (res unused) → out = silu(inp·W1ᵀ)·(inp·W3ᵀ) [rows, hiddenDim]; params. */
export const LM_SWIGLU: KernelDecl = { ...LM_RESIDUAL, entryPoint: 'swiglu' };

/** Invocations per workgroup of every lm kernel (their `WG` override). */
export const LM_WG = 64;
/** Largest head size lmAttention.wgsl holds in registers (its HEAD_MAX). */
export const LM_HEAD_MAX = 32;

export interface LmKernels {
  rmsNorm: Kernel;
  qkvRope: Kernel;
  attention: Kernel;
  residual: Kernel;
  swiglu: Kernel;
}

export async function compileLmKernels(device: GPUDevice): Promise<LmKernels> {
  const c = { WG: LM_WG };
  const [rmsNorm, qkvRope, attention, residual, swiglu] = await Promise.all(
    [LM_RMS_NORM, LM_QKV_ROPE, LM_ATTENTION, LM_RESIDUAL, LM_SWIGLU].map((d) => compileKernel(device, d, c)),
  );
  return { rmsNorm, qkvRope, attention, residual, swiglu };
}

/**
 * RoPE's cos and sin for every position and pair, computed in f64 as src/core/lm/forward.ts:applyRope
 * does (angle = pos · theta^(−2i / headSize)) and rounded once to f32: no f32 trigonometry of large
 * angles on the GPU. returns: [seqLen, headSize/2, 2] (cos, sin)
 */
export function ropeTable(seqLen: number, headSize: number, theta = ROPE_THETA): Float32Array {
  const half = headSize / 2;
  const out = new Float32Array(seqLen * half * 2);
  for (let pos = 0; pos < seqLen; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * Math.pow(theta, -(2 * i) / headSize);
      out[2 * (pos * half + i)] = Math.cos(angle);
      out[2 * (pos * half + i) + 1] = Math.sin(angle);
    }
  }
  return out;
}

/** Workgroups for `invocations` invocations of LM_WG, folded past maxPerDim (tests lower it to reach the fold). */
function grid(invocations: number, maxPerDim: number): [number, number, number] {
  return foldGrid(Math.ceil(invocations / LM_WG), maxPerDim);
}

/** Records h[t] = rmsNorm(x[xOff + t·dim ..])·w[wOff ..] for t < rows.  h: [rows, dim] at hOff */
export function recordRmsNorm(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  kernel: Kernel,
  buffers: { x: GPUBuffer; w: GPUBuffer; h: GPUBuffer; params: GPUBuffer },
  s: { rows: number; dim: number; xOff: number; wOff: number; hOff: number; eps: number; maxPerDim?: number },
): void {
  const p: ['u32' | 'f32', number][] = [['u32', s.rows], ['u32', s.dim], ['u32', s.xOff], ['u32', s.wOff], ['u32', s.hOff], ['f32', s.eps]];
  device.queue.writeBuffer(buffers.params, 0, packParams(p));
  dispatch(pass, kernel, bindBuffers(device, kernel, [buffers.x, buffers.w, buffers.h, buffers.params]), grid(s.rows, s.maxPerDim ?? 65535));
}

/**
 * Records qkv [rows, dim + 2·kvDim] = [wq·h | wk·h | wv·h] with RoPE on q and k at rowPos [rows];
 * the weights [wq; wk; wv]ᵀ: [dim, dim + 2·kvDim] at wOff.
 */
export function recordQkvRope(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  kernel: Kernel,
  buffers: { h: GPUBuffer; w: GPUBuffer; rope: GPUBuffer; rowPos: GPUBuffer; qkv: GPUBuffer; params: GPUBuffer },
  s: { rows: number; dim: number; kvDim: number; headSize: number; wOff: number; maxPerDim?: number },
): void {
  const fields = [s.rows, s.dim, s.kvDim, s.headSize, s.wOff].map((v): ['u32', number] => ['u32', v]);
  device.queue.writeBuffer(buffers.params, 0, packParams(fields));
  const group = bindBuffers(device, kernel, [buffers.h, buffers.w, buffers.rope, buffers.rowPos, buffers.qkv, buffers.params]);
  dispatch(pass, kernel, group, grid((s.rows * (s.dim + 2 * s.kvDim)) / 2, s.maxPerDim ?? 65535));
}

/** Records att [rows, nHeads·headSize] = causal grouped-query attention of qkv within each row's context. */
export function recordAttention(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  kernel: Kernel,
  buffers: { qkv: GPUBuffer; rowPos: GPUBuffer; att: GPUBuffer; params: GPUBuffer },
  s: { rows: number; nHeads: number; nKvHeads: number; headSize: number; maxPerDim?: number },
): void {
  if (s.headSize > LM_HEAD_MAX) throw new Error(`lmAttention: headSize ${s.headSize} exceeds the kernel's HEAD_MAX ${LM_HEAD_MAX}`);
  const p: ['u32' | 'f32', number][] = [['u32', s.rows], ['u32', s.nHeads], ['u32', s.nKvHeads], ['u32', s.headSize], ['f32', 1 / Math.sqrt(s.headSize)]];
  device.queue.writeBuffer(buffers.params, 0, packParams(p));
  dispatch(pass, kernel, bindBuffers(device, kernel, [buffers.qkv, buffers.rowPos, buffers.att, buffers.params]), grid(s.rows * s.nHeads, s.maxPerDim ?? 65535));
}

/**
 * Records one lmLinear dispatch: `residual` (out = res + inp·Wᵀ) or `swiglu` (out = silu(inp·W1ᵀ)·(inp·W3ᵀ),
 * W1ᵀ at wOff, W3ᵀ at w3Off; res is not read: pass inp). Weights transposed: Wᵀ [nIn, nOut] at wOff.
 * inp: [rows, nIn] at inOff; out: [rows, nOut] at outOff.
 */
export function recordLinear(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  kernel: Kernel,
  buffers: { inp: GPUBuffer; w: GPUBuffer; res: GPUBuffer; out: GPUBuffer; params: GPUBuffer },
  s: { rows: number; nOut: number; nIn: number; inOff: number; wOff: number; w3Off?: number; resOff?: number; outOff: number; maxPerDim?: number },
): void {
  const fields = [s.rows, s.nOut, s.nIn, s.inOff, s.wOff, s.w3Off ?? 0, s.resOff ?? 0, s.outOff].map((v): ['u32', number] => ['u32', v]);
  device.queue.writeBuffer(buffers.params, 0, packParams(fields));
  const group = bindBuffers(device, kernel, [buffers.inp, buffers.w, buffers.res, buffers.out, buffers.params]);
  dispatch(pass, kernel, group, grid(s.rows * s.nOut, s.maxPerDim ?? 65535));
}
