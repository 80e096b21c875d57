// Kernel declarations for the dense-code half of the ReLU / JumpReLU / BatchTopK steps — activations and their
// backward (shaders/activation.wgsl, eight entry points), dense decode (decodeDense.wgsl, two), per-latent weight
// gradients (gemmTN.wgsl) — the decoder-gradient GEMM on encode.wgsl, prepared once as Recorders (src/gpu/kernel.ts),
// and one dense loss term composed of them (prepareDenseTerm). No readbacks here.
// Imports WGSL (?raw), src/gpu/kernel.ts, types of src/gpu/kernels/encode.ts and of src/core only.

import activationWgsl from '../../../shaders/activation.wgsl?raw';
import decodeDenseWgsl from '../../../shaders/decodeDense.wgsl?raw';
import gemmTNWgsl from '../../../shaders/gemmTN.wgsl?raw';
import type { DenseArch, DenseDecodeOptions, DenseSizes } from '../../core/sae/dense.ts';
import type { Kernel, KernelDecl, ParamField, Recorder } from '../kernel.ts';
import { NO_RECORDER, bindBuffers, compileKernel, dispatch, foldGrid, packParams, paramsBuffer } from '../kernel.ts';
import type { EncodeGemm } from './encode.ts';

export type { DenseArch, DenseDecodeOptions, DenseSizes } from '../../core/sae/dense.ts';

const activationDecl = (entryPoint: string): KernelDecl => ({
  name: 'activation',
  code: activationWgsl,
  entryPoint,
  // z, f, gF, wDec, logThreshold → out, latent, latentGrad; params
  bindings: ['read', 'read', 'read', 'read', 'read', 'read_write', 'read_write', 'read_write', 'uniform'],
});
/** The entry points of activation.wgsl (one layout). */
export const ACTIVATION = {
  prepNorm: activationDecl('prepNorm'),
  prepTheta: activationDecl('prepTheta'),
  forwardRelu: activationDecl('forwardRelu'),
  forwardJumprelu: activationDecl('forwardJumprelu'),
  backwardRelu: activationDecl('backwardRelu'),
  backwardJumprelu: activationDecl('backwardJumprelu'),
  backwardMasked: activationDecl('backwardMasked'),
  thresholdGrad: activationDecl('thresholdGrad'),
} as const satisfies Record<string, KernelDecl>;

const decodeDenseDecl = (entryPoint: string): KernelDecl => ({
  name: 'decodeDense',
  code: decodeDenseWgsl,
  entryPoint,
  // f, wDec, bDec, tgt → xHat, e, sqErr; params
  bindings: ['read', 'read', 'read', 'read', 'read_write', 'read_write', 'read_write', 'uniform'],
});
/** decodeDense.wgsl: the GEMM + residual (main), then the per-row squared error (rowSqErr). */
export const DECODE_DENSE = { main: decodeDenseDecl('main'), rowSqErr: decodeDenseDecl('rowSqErr') } as const satisfies Record<string, KernelDecl>;

/** coef, src, bDec, wDec, decNorm → out, outSum; params. */
export const GEMM_TN: KernelDecl = {
  name: 'gemmTN',
  code: gemmTNWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read_write', 'read_write', 'uniform'],
};

/** The `override` constants of the three files and the grid fold width. */
export interface DenseTuning {
  activationWg: number; // activation.wgsl WG (power of two)
  decodeWgD: number; // decodeDense.wgsl WG_D (WG_D·WG_B a power of two ≤ 256)
  decodeWgB: number; // decodeDense.wgsl WG_B
  decodeKt: number; // decodeDense.wgsl KT
  gemmWgM: number; // gemmTN.wgsl WG_M
  gemmWgD: number; // gemmTN.wgsl WG_D
  gemmKt: number; // gemmTN.wgsl KT
  /** Grids wider than this fold into 2-D (0 = the device's maxComputeWorkgroupsPerDimension; tests use small values). */
  foldAt: number;
}

export const DEFAULT_DENSE_TUNING: DenseTuning = {
  activationWg: 64,
  decodeWgD: 16,
  decodeWgB: 16,
  decodeKt: 16,
  gemmWgM: 16,
  gemmWgD: 16,
  gemmKt: 16,
  foldAt: 0,
};

export interface DenseKernels {
  tuning: DenseTuning;
  activation: Record<keyof typeof ACTIVATION, Kernel>;
  decode: Kernel;
  rowSqErr: Kernel;
  gemmTN: Kernel;
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

/** Compiles the dense kernels; throws naming the override or limit when a tuning cannot work. */
export async function compileDenseKernels(device: GPUDevice, tuning: Partial<DenseTuning> = {}): Promise<DenseKernels> {
  const t: DenseTuning = { ...DEFAULT_DENSE_TUNING, ...tuning };
  const invocations = device.limits.maxComputeInvocationsPerWorkgroup;
  if (!isPow2(t.activationWg) || t.activationWg > invocations) throw new Error(`dense kernels: activationWg ${t.activationWg} must be a power of two ≤ ${invocations}`);
  if (!isPow2(t.decodeWgD * t.decodeWgB) || t.decodeWgD * t.decodeWgB > invocations) {
    throw new Error(`decodeDense: WG_D·WG_B = ${t.decodeWgD}·${t.decodeWgB} must be a power of two ≤ maxComputeInvocationsPerWorkgroup ${invocations}`);
  }
  if (t.gemmWgM * t.gemmWgD > invocations) throw new Error(`gemmTN: WG_M·WG_D = ${t.gemmWgM * t.gemmWgD} > maxComputeInvocationsPerWorkgroup ${invocations}`);
  const storage = device.limits.maxComputeWorkgroupStorageSize;
  const decodeBytes = 16 * t.decodeKt * (t.decodeWgB + t.decodeWgD) + 4 * t.decodeWgD * t.decodeWgB;
  const gemmBytes = 16 * t.gemmKt * (t.gemmWgM + t.gemmWgD);
  if (decodeBytes > storage) throw new Error(`decodeDense: ${decodeBytes} bytes of workgroup memory > maxComputeWorkgroupStorageSize ${storage}; lower decodeKt`);
  if (gemmBytes > storage) throw new Error(`gemmTN: ${gemmBytes} bytes of workgroup memory > maxComputeWorkgroupStorageSize ${storage}; lower gemmKt`);
  const act = { WG: t.activationWg };
  const dec = { WG_D: t.decodeWgD, WG_B: t.decodeWgB, KT: t.decodeKt };
  const names = Object.keys(ACTIVATION) as (keyof typeof ACTIVATION)[];
  const [actKernels, decode, rowSqErr, gemmTN] = await Promise.all([
    Promise.all(names.map((n) => compileKernel(device, ACTIVATION[n], act))),
    compileKernel(device, DECODE_DENSE.main, dec),
    compileKernel(device, DECODE_DENSE.rowSqErr, dec),
    compileKernel(device, GEMM_TN, { WG_M: t.gemmWgM, WG_D: t.gemmWgD, KT: t.gemmKt }),
  ]);
  const activation = Object.fromEntries(names.map((n, i) => [n, actKernels[i]])) as Record<keyof typeof ACTIVATION, Kernel>;
  return { tuning: t, activation, decode, rowSqErr, gemmTN };
}

function checkSizes(what: string, s: DenseSizes): void {
  const { batch, M, dIn, dSae } = s;
  for (const [name, v] of Object.entries({ batch, M, dIn, dSae })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${what}: ${name} = ${v} must be a positive integer`);
  }
  const biggest = Math.max(M * dSae * dIn, M * batch * dIn, batch * M * dSae);
  if (biggest >= 2 ** 32) throw new Error(`${what}: ${biggest} elements in one buffer (batch ${batch}, M ${M}, dIn ${dIn}, dSae ${dSae}) overflow u32 indexing; chunk the batch`);
}

function need(what: string, name: string, buffer: GPUBuffer, elements: number, shape: string): void {
  if (buffer.size < elements * 4) throw new Error(`${what}: ${name} has ${buffer.size} bytes, needs ${elements * 4} (${shape} of 4-byte elements)`);
}

const foldWidth = (device: GPUDevice, tuning: { foldAt: number }): number => tuning.foldAt || device.limits.maxComputeWorkgroupsPerDimension;

const scratch = (device: GPUDevice, label: string): GPUBuffer => device.createBuffer({ label, size: 16, usage: GPUBufferUsage.STORAGE });

// ---------------------------------------------------------------- activation.wgsl

/** Where the decoder-gradient GEMM left gF(j, b, i): gF[(j·batch + b)·rowStride + j·memberCol + i]. */
export interface GfLayout {
  /** 'offsets': M dispatches into [M, batch, dSae]; 'blockDiagonal': one dispatch into [M·batch, N], the diagonal blocks used. */
  mode: 'offsets' | 'blockDiagonal';
  rowStride: number;
  memberCol: number;
  /** f32 elements the gF buffer needs. */
  elements: number;
}

export interface ActivationBuffers {
  z: GPUBuffer; // [batch, N]
  /** [batch, N] codes: written by forward (relu, jumprelu); read by the backward (batchtopk: from batchTopkThreshold). */
  f: GPUBuffer;
  gF: GPUBuffer; // prepareDecoderGrad's output (GfLayout)
  wDec: GPUBuffer; // [N, dIn] (relu: ‖wDec‖)
  logThreshold: GPUBuffer | null; // [N] jumprelu
  gz: GPUBuffer; // [batch, N] out
  /** [N] scratch: ‖wDec[m]‖ (relu) or θ (jumprelu); null for batchtopk. */
  latent: GPUBuffer | null;
  dLogThreshold: GPUBuffer | null; // [N] jumprelu out
}

export interface ActivationCoefficients {
  /** λ: relu's L1 or jumprelu's L0 coefficient (after warm-up; setL1Coefficient changes it between steps). */
  l1Coefficient: number;
  /** jumprelu: STE bandwidth ε. */
  bandwidth: number;
}

export interface ActivationRecorders {
  /** relu: latent = ‖wDec‖ (prepNorm); jumprelu: latent = θ (prepTheta); batchtopk: nothing. Record before forward. */
  prep: Recorder;
  /** relu / jumprelu: f from z; batchtopk: nothing (its codes come from batchTopkThreshold.wgsl). */
  forward: Recorder;
  /** gz from gF (after prepareDecoderGrad); jumprelu also dLogThreshold (thresholdGrad). */
  backward: Recorder;
  /** Rewrites λ in the uniform (queue.writeBuffer: takes effect for the next submit). */
  setL1Coefficient(l1Coefficient: number): void;
  destroy(): void;
}

/** Binds activation.wgsl for one architecture (see ActivationRecorders). */
export function prepareActivation(
  device: GPUDevice,
  kernels: DenseKernels,
  s: DenseSizes,
  arch: DenseArch,
  b: ActivationBuffers,
  gf: GfLayout,
  coeffs: ActivationCoefficients,
): ActivationRecorders {
  checkSizes('activation', s);
  const { batch, M, dIn, dSae } = s;
  const N = M * dSae;
  for (const name of ['z', 'f', 'gz'] as const) need('activation', name, b[name], batch * N, '[batch, N]');
  need('activation', 'wDec', b.wDec, N * dIn, '[N, dIn]');
  need('activation', 'gF', b.gF, gf.elements, `gF (${gf.mode})`);
  if (arch !== 'batchtopk') {
    if (!b.latent) throw new Error(`activation ${arch}: needs a latent scratch buffer [N ${N}]`);
    need('activation', 'latent', b.latent, N, '[N]');
  }
  if (arch === 'jumprelu') {
    if (!b.logThreshold || !b.dLogThreshold) throw new Error(`activation jumprelu: needs logThreshold and dLogThreshold [N ${N}]`);
    need('activation', 'logThreshold', b.logThreshold, N, '[N]');
    need('activation', 'dLogThreshold', b.dLogThreshold, N, '[N]');
  }
  const fields = (l1: number): ParamField[] => [
    ['u32', batch],
    ['u32', M],
    ['u32', dSae],
    ['u32', dIn],
    ['u32', gf.rowStride],
    ['u32', gf.memberCol],
    ['f32', 2 / batch],
    ['f32', l1 / batch],
    ['f32', 1 / coeffs.bandwidth],
    ['f32', l1 / (batch * coeffs.bandwidth)],
    ['f32', coeffs.bandwidth / 2],
    ['u32', 0],
  ];
  const params = paramsBuffer(device, `activation:${arch}:params`, fields(coeffs.l1Coefficient));
  const owned = [params, scratch(device, 'activation:noOut'), scratch(device, 'activation:noLatent'), scratch(device, 'activation:noLatentGrad')];
  const [, noOut, noLatent, noGrad] = owned;
  const latent = b.latent ?? noLatent;
  const lt = b.logThreshold ?? b.z;
  const width = foldWidth(device, kernels.tuning);
  const wg = kernels.tuning.activationWg;
  const K = kernels.activation;
  const one = (kernel: Kernel, buffers: GPUBuffer[], workgroups: number): Recorder => {
    const group = bindBuffers(device, kernel, [...buffers, params]);
    const grid = foldGrid(workgroups, width);
    return { record: (pass) => dispatch(pass, kernel, group, grid), destroy: () => {} };
  };
  const elementwise = Math.ceil((batch * N) / wg);
  let prep = NO_RECORDER;
  let forward = NO_RECORDER;
  const backward: Recorder[] = [];
  const bwd = (kernel: Kernel): Recorder => one(kernel, [b.z, b.f, b.gF, b.wDec, lt, b.gz, latent, b.dLogThreshold ?? noGrad], elementwise);
  if (arch === 'relu') {
    prep = one(K.prepNorm, [b.z, b.z, b.z, b.wDec, lt, noOut, latent, noGrad], N);
    forward = one(K.forwardRelu, [b.z, b.z, b.z, b.wDec, lt, b.f, latent, noGrad], elementwise);
    backward.push(bwd(K.backwardRelu));
  } else if (arch === 'jumprelu') {
    prep = one(K.prepTheta, [b.z, b.z, b.z, b.wDec, lt, noOut, latent, noGrad], Math.ceil(N / wg));
    forward = one(K.forwardJumprelu, [b.z, b.z, b.z, b.wDec, lt, b.f, latent, noGrad], elementwise);
    backward.push(bwd(K.backwardJumprelu));
    backward.push(one(K.thresholdGrad, [b.z, b.f, b.gF, b.wDec, lt, b.gz, latent, b.dLogThreshold as GPUBuffer], N));
  } else {
    backward.push(bwd(K.backwardMasked));
  }
  return {
    prep,
    forward,
    backward: { record: (pass) => backward.forEach((r) => r.record(pass)), destroy: () => {} },
    setL1Coefficient: (l1) => device.queue.writeBuffer(params, 0, packParams(fields(l1))),
    destroy: () => owned.forEach((x) => x.destroy()),
  };
}

// ---------------------------------------------------------------- decodeDense.wgsl

export interface DecodeDenseBuffers {
  f: GPUBuffer; // [batch, N]
  wDec: GPUBuffer; // [N, dIn]
  bDec: GPUBuffer; // [M, dIn]
  /** x [batch, dIn] (stride 0) or [M, batch, dIn]. */
  target: GPUBuffer;
  xHat: GPUBuffer; // [M, batch, dIn] out
  e: GPUBuffer; // [M, batch, dIn] out
  sqErr: GPUBuffer; // [M, batch] out
}

/** decodeDense.wgsl main then rowSqErr: xHat, e = xHat − targetScale·target, sqErr (see its header). */
export function prepareDecodeDense(device: GPUDevice, kernels: DenseKernels, s: DenseSizes, b: DecodeDenseBuffers, opts: DenseDecodeOptions): Recorder {
  checkSizes('decodeDense', s);
  const { batch, M, dIn, dSae } = s;
  const N = M * dSae;
  if (opts.targetMemberStride !== 0 && opts.targetMemberStride < batch * dIn) throw new Error(`decodeDense: targetMemberStride ${opts.targetMemberStride} must be 0 or ≥ batch·dIn = ${batch * dIn}`);
  need('decodeDense', 'f', b.f, batch * N, '[batch, N]');
  need('decodeDense', 'wDec', b.wDec, N * dIn, '[N, dIn]');
  need('decodeDense', 'bDec', b.bDec, M * dIn, '[M, dIn]');
  need('decodeDense', 'target', b.target, (M - 1) * opts.targetMemberStride + batch * dIn, opts.targetMemberStride ? '[M, batch, dIn]' : '[batch, dIn]');
  for (const name of ['xHat', 'e'] as const) need('decodeDense', name, b[name], M * batch * dIn, '[M, batch, dIn]');
  need('decodeDense', 'sqErr', b.sqErr, M * batch, '[M, batch]');
  const t = kernels.tuning;
  const params = paramsBuffer(device, 'decodeDense:params', [
    ['u32', batch],
    ['u32', M],
    ['u32', dIn],
    ['u32', dSae],
    ['u32', opts.withBias ? 1 : 0],
    ['u32', opts.targetMemberStride],
    ['f32', opts.targetScale],
    ['u32', 0],
  ]);
  const buffers = [b.f, b.wDec, b.bDec, b.target, b.xHat, b.e, b.sqErr, params];
  const width = foldWidth(device, t);
  const tiles = M * Math.ceil(batch / (4 * t.decodeWgB)) * Math.ceil(dIn / (4 * t.decodeWgD));
  const main = { group: bindBuffers(device, kernels.decode, buffers), grid: foldGrid(tiles, width) };
  const rows = { group: bindBuffers(device, kernels.rowSqErr, buffers), grid: foldGrid(M * batch, width) };
  return {
    record: (pass) => {
      dispatch(pass, kernels.decode, main.group, main.grid);
      dispatch(pass, kernels.rowSqErr, rows.group, rows.grid);
    },
    destroy: () => params.destroy(),
  };
}

// ---------------------------------------------------------------- decoder gradient (encode.wgsl)

/**
 * Where gF goes for these sizes. 'offsets' (M dispatches of encode.wgsl, member j's e rows, wDec rows and gF
 * block bound at byte offsets; gF [M, batch, dSae]) needs every member offset to be a multiple of the device's
 * minStorageBufferOffsetAlignment; else 'blockDiagonal' (one dispatch of e as [M·batch, dIn] rows against all N
 * latents into [M·batch, N], M× the work, of which the diagonal blocks are used). M = 1: one plain dispatch.
 */
export function decoderGradLayout(device: GPUDevice, s: DenseSizes, mode: 'auto' | GfLayout['mode'] = 'auto'): GfLayout {
  const { batch, M, dIn, dSae } = s;
  const align = device.limits.minStorageBufferOffsetAlignment;
  const aligned = [batch * dIn, dSae * dIn, batch * dSae].every((n) => (n * 4) % align === 0);
  const chosen = mode === 'auto' ? (M === 1 || aligned ? 'offsets' : 'blockDiagonal') : mode;
  if (chosen === 'offsets') {
    if (M > 1 && !aligned) throw new Error(`decoderGrad offsets: member strides (batch·dIn ${batch * dIn}, dSae·dIn ${dSae * dIn}, batch·dSae ${batch * dSae} floats) must be multiples of minStorageBufferOffsetAlignment ${align} bytes`);
    return { mode: 'offsets', rowStride: dSae, memberCol: 0, elements: M * batch * dSae };
  }
  return { mode: 'blockDiagonal', rowStride: M * dSae, memberCol: dSae, elements: M * batch * M * dSae };
}

export interface DecoderGradBuffers {
  e: GPUBuffer; // [M, batch, dIn]
  wDec: GPUBuffer; // [N, dIn]
  gF: GPUBuffer; // GfLayout.elements out
}

/**
 * gF(j, b, i) = Σ_d e[j, b, d]·wDec[j·dSae + i, d] (raw: activation's backward applies 2/batch) on encode.wgsl with
 * bEff = 0 (a zero buffer the recorder owns). Layout: decoderGradLayout(device, s, mode), returned as `layout`.
 */
export function prepareDecoderGrad(
  device: GPUDevice,
  gemm: EncodeGemm,
  s: DenseSizes,
  b: DecoderGradBuffers,
  opts: { mode?: 'auto' | GfLayout['mode']; foldAt?: number } = {},
): Recorder & { layout: GfLayout } {
  checkSizes('decoderGrad', s);
  const { batch, M, dIn, dSae } = s;
  const N = M * dSae;
  const layout = decoderGradLayout(device, s, opts.mode);
  if (layout.elements >= 2 ** 32) throw new Error(`decoderGrad: gF needs ${layout.elements} elements (${layout.mode}, batch ${batch}, M ${M}, dSae ${dSae}), past u32 indexing; chunk the batch`);
  need('decoderGrad', 'e', b.e, M * batch * dIn, '[M, batch, dIn]');
  need('decoderGrad', 'wDec', b.wDec, N * dIn, '[N, dIn]');
  need('decoderGrad', 'gF', b.gF, layout.elements, layout.mode === 'offsets' ? '[M, batch, dSae]' : '[M·batch, N]');
  const kernel = dIn % 4 === 0 ? gemm.vec4 : gemm.scalar;
  const width = opts.foldAt || device.limits.maxComputeWorkgroupsPerDimension;
  const zeros = device.createBuffer({ label: 'decoderGrad:bEff0', size: Math.max(16, N * 4), usage: GPUBufferUsage.STORAGE }); // zero-initialised
  const owned: GPUBuffer[] = [zeros];
  const parts: { group: GPUBindGroup; grid: [number, number, number] }[] = [];
  const gemmShape = (rows: number, cols: number): { params: GPUBuffer; grid: [number, number, number] } => {
    const params = paramsBuffer(device, 'decoderGrad:params', [
      ['u32', rows],
      ['u32', cols],
      ['u32', dIn],
      ['u32', 0],
    ]);
    owned.push(params);
    return { params, grid: foldGrid(Math.ceil(rows / gemm.tileB) * Math.ceil(cols / gemm.tileN), width) };
  };
  if (layout.mode === 'offsets') {
    const { params, grid } = gemmShape(batch, dSae);
    for (let j = 0; j < M; j++) {
      const entry = (binding: number, buffer: GPUBuffer, offset: number, floats: number): GPUBindGroupEntry => ({ binding, resource: { buffer, offset: offset * 4, size: floats * 4 } });
      const group = device.createBindGroup({
        label: `decoderGrad[${j}]`,
        layout: kernel.layout,
        entries: [
          entry(0, b.e, j * batch * dIn, batch * dIn),
          entry(1, b.wDec, j * dSae * dIn, dSae * dIn),
          entry(2, zeros, 0, dSae),
          entry(3, b.gF, j * batch * dSae, batch * dSae),
          { binding: 4, resource: { buffer: params } },
        ],
      });
      parts.push({ group, grid });
    }
  } else {
    const { params, grid } = gemmShape(M * batch, N);
    parts.push({ group: bindBuffers(device, kernel, [b.e, b.wDec, zeros, b.gF, params]), grid });
  }
  return {
    layout,
    record: (pass) => parts.forEach((p) => dispatch(pass, kernel, p.group, p.grid)),
    destroy: () => owned.forEach((x) => x.destroy()),
  };
}

// ---------------------------------------------------------------- gemmTN.wgsl

export interface GemmTNBuffers {
  coef: GPUBuffer; // [batch, N]: f (decoder pass) or gz (encoder pass)
  src: GPUBuffer; // e [M, batch, dIn] (decoder pass) or x [batch, dIn] (encoder pass)
  /** [M, dIn] subtracted from src rows (encoder pass); null = none. */
  bDec: GPUBuffer | null;
  /** relu's decoder L1 term: wDec [N, dIn] and decNorm [N] (activation prep's latent); null = no L1 term. */
  l1: { wDec: GPUBuffer; decNorm: GPUBuffer } | null;
  out: GPUBuffer; // [N, dIn]
  /** [N] factor·Σ_b coef (dBEnc); null = not written. */
  outSum: GPUBuffer | null;
}

export interface GemmTNOptions {
  /** 0 for the shared x [batch, dIn], batch·dIn for e [M, batch, dIn]. */
  srcMemberStride: number;
  factor: number;
  /** λ/batch for relu's decoder L1 term (setL1Scale changes it between steps). */
  l1Scale: number;
  accumulate: boolean;
}

/** gemmTN.wgsl: out (+)= factor·coefᵀ·(src − bDec) (+ l1 term), outSum (+)= factor·Σ_b coef (see its header). */
export function prepareGemmTN(device: GPUDevice, kernels: DenseKernels, s: DenseSizes, b: GemmTNBuffers, opts: GemmTNOptions): Recorder & { setL1Scale(l1Scale: number): void } {
  checkSizes('gemmTN', s);
  const { batch, M, dIn, dSae } = s;
  const N = M * dSae;
  if (opts.srcMemberStride !== 0 && opts.srcMemberStride < batch * dIn) throw new Error(`gemmTN: srcMemberStride ${opts.srcMemberStride} must be 0 or ≥ batch·dIn = ${batch * dIn}`);
  need('gemmTN', 'coef', b.coef, batch * N, '[batch, N]');
  need('gemmTN', 'src', b.src, (M - 1) * opts.srcMemberStride + batch * dIn, opts.srcMemberStride ? '[M, batch, dIn]' : '[batch, dIn]');
  if (b.bDec) need('gemmTN', 'bDec', b.bDec, M * dIn, '[M, dIn]');
  if (b.l1) {
    need('gemmTN', 'wDec', b.l1.wDec, N * dIn, '[N, dIn]');
    need('gemmTN', 'decNorm', b.l1.decNorm, N, '[N]');
  }
  need('gemmTN', 'out', b.out, N * dIn, '[N, dIn]');
  if (b.outSum) need('gemmTN', 'outSum', b.outSum, N, '[N]');
  const fields = (l1Scale: number): ParamField[] => [
    ['u32', batch],
    ['u32', M],
    ['u32', dIn],
    ['u32', dSae],
    ['u32', opts.srcMemberStride],
    ['u32', b.bDec ? 1 : 0],
    ['u32', b.outSum ? 1 : 0],
    ['u32', opts.accumulate ? 1 : 0],
    ['u32', b.l1 ? 1 : 0],
    ['f32', opts.factor],
    ['f32', l1Scale],
    ['u32', 0],
  ];
  const params = paramsBuffer(device, 'gemmTN:params', fields(opts.l1Scale));
  const owned = [params];
  let outSum = b.outSum;
  if (!outSum) {
    outSum = scratch(device, 'gemmTN:noSum');
    owned.push(outSum);
  }
  const t = kernels.tuning;
  const group = bindBuffers(device, kernels.gemmTN, [b.coef, b.src, b.bDec ?? b.coef, b.l1?.wDec ?? b.coef, b.l1?.decNorm ?? b.coef, b.out, outSum, params]);
  const grid = foldGrid(M * Math.ceil(dSae / (4 * t.gemmWgM)) * Math.ceil(dIn / (4 * t.gemmWgD)), foldWidth(device, t));
  return {
    record: (pass) => dispatch(pass, kernels.gemmTN, group, grid),
    setL1Scale: (l1Scale) => device.queue.writeBuffer(params, 0, packParams(fields(l1Scale))),
    destroy: () => owned.forEach((x) => x.destroy()),
  };
}

// ---------------------------------------------------------------- one dense-code loss term, composed

export interface DenseTermBuffers {
  x: GPUBuffer; // [batch, dIn] the shared (scaled) batch
  z: GPUBuffer; // [batch, N] encode.wgsl's output
  /** [batch, N] codes: written here (relu, jumprelu) or by batchTopkThreshold.wgsl before this (batchtopk). */
  f: GPUBuffer;
  wDec: GPUBuffer; // [N, dIn]
  bDec: GPUBuffer; // [M, dIn]
  logThreshold: GPUBuffer | null; // [N] jumprelu
  xHat: GPUBuffer; // [M, batch, dIn] out
  e: GPUBuffer; // [M, batch, dIn] out
  sqErr: GPUBuffer; // [M, batch] out
  gF: GPUBuffer; // decoderGradLayout(device, s).elements scratch
  gz: GPUBuffer; // [batch, N] scratch
  latent: GPUBuffer | null; // [N] scratch (relu, jumprelu)
  dWEnc: GPUBuffer; // [N, dIn] out
  dBEnc: GPUBuffer; // [N] out
  dWDec: GPUBuffer; // [N, dIn] out
  dLogThreshold: GPUBuffer | null; // [N] jumprelu out
}

/**
 * The dense-code reconstruction term of a ReLU / JumpReLU / BatchTopK step, the dense twin of the sparse path's
 * prepareDecode + prepareTermBackward: `forward` = activation prep → activation forward → decodeDense (main,
 * rowSqErr); `backward` = decoder gradient gF (encode.wgsl) → activation backward (+ thresholdGrad) → gemmTN
 * decoder (dWDec) → gemmTN encoder (dWEnc, dBEnc). Every gradient is overwritten. The caller records bDecGrad
 * after it (and after any AuxK term that adds to dBEnc). Twin: src/core/sae/dense.ts:denseBackward.
 */
export interface DenseTerm {
  forward: Recorder;
  backward: Recorder;
  /** Rewrites λ (activation's L1/L0 term and relu's decoder L1 term) for the next submit. */
  setL1Coefficient(l1Coefficient: number): void;
  destroy(): void;
}

export function prepareDenseTerm(
  device: GPUDevice,
  kernels: { dense: DenseKernels; gemm: EncodeGemm },
  s: DenseSizes,
  arch: DenseArch,
  b: DenseTermBuffers,
  coeffs: ActivationCoefficients,
  gfMode: 'auto' | GfLayout['mode'] = 'auto',
): DenseTerm {
  const { batch, dIn } = s;
  const gF = prepareDecoderGrad(device, kernels.gemm, s, { e: b.e, wDec: b.wDec, gF: b.gF }, { mode: gfMode, foldAt: kernels.dense.tuning.foldAt });
  const act = prepareActivation(
    device,
    kernels.dense,
    s,
    arch,
    { z: b.z, f: b.f, gF: b.gF, wDec: b.wDec, logThreshold: b.logThreshold, gz: b.gz, latent: b.latent, dLogThreshold: b.dLogThreshold },
    gF.layout,
    coeffs,
  );
  const decode = prepareDecodeDense(device, kernels.dense, s, { f: b.f, wDec: b.wDec, bDec: b.bDec, target: b.x, xHat: b.xHat, e: b.e, sqErr: b.sqErr }, { withBias: true, targetMemberStride: 0, targetScale: 1 });
  const useL1 = arch === 'relu';
  const dec = prepareGemmTN(
    device,
    kernels.dense,
    s,
    { coef: b.f, src: b.e, bDec: null, l1: useL1 ? { wDec: b.wDec, decNorm: b.latent as GPUBuffer } : null, out: b.dWDec, outSum: null },
    { srcMemberStride: batch * dIn, factor: 2 / batch, l1Scale: useL1 ? coeffs.l1Coefficient / batch : 0, accumulate: false },
  );
  const enc = prepareGemmTN(device, kernels.dense, s, { coef: b.gz, src: b.x, bDec: b.bDec, l1: null, out: b.dWEnc, outSum: b.dBEnc }, { srcMemberStride: 0, factor: 1, l1Scale: 0, accumulate: false });
  const forward = [act.prep, act.forward, decode];
  const backward = [gF, act.backward, dec, enc];
  return {
    forward: { record: (pass) => forward.forEach((r) => r.record(pass)), destroy: () => {} },
    backward: { record: (pass) => backward.forEach((r) => r.record(pass)), destroy: () => {} },
    setL1Coefficient: (l1) => {
      act.setL1Coefficient(l1);
      if (useL1) dec.setL1Scale(l1 / batch);
    },
    destroy: () => [act, decode, gF, dec, enc].forEach((r) => r.destroy()),
  };
}
