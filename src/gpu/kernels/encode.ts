// Kernel declarations for the encoder GEMM (shaders/encode.wgsl) and its member-folded bias
// (shaders/encodeBias.wgsl): tile variants, dispatches prepared once (Recorders) and the per-adapter
// variant choice by timing. Imports WGSL (?raw) and src/gpu/kernel.ts only: no engine, UI or Node code; no readbacks
// inside the recorders.

import encodeWgsl from '../../../shaders/encode.wgsl?raw';
import encodeBiasWgsl from '../../../shaders/encodeBias.wgsl?raw';
import type { Kernel, KernelDecl, PreparedDispatch } from '../kernel.ts';
import { compileKernel, foldGrid, paramsBuffer, prepareDispatch } from '../kernel.ts';

/** z = x·wEncᵀ + bEff with vec4 loads along dIn; needs dIn % 4 == 0. Bindings: x, wEnc, bEff, z, params. */
export const ENCODE: KernelDecl = {
  name: 'encode',
  code: encodeWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read_write', 'uniform'],
};

/** The same GEMM with scalar loads: any dIn. */
export const ENCODE_SCALAR: KernelDecl = { ...ENCODE, entryPoint: 'mainScalar' };

/** bEff = bEnc − rowwise(wEnc·bDec[member]). Bindings: wEnc, bEnc, bDec, bEff, params. */
export const ENCODE_BIAS: KernelDecl = {
  name: 'encodeBias',
  code: encodeBiasWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read_write', 'uniform'],
};
export const ENCODE_BIAS_WG = 64;

/** Tile variants of encode.wgsl (its `override` constants). Output tile = (wgB·rb) rows × (wgN·4) latents. */
export type EncodeVariant = 'T64' | 'T32' | 'T128';
export interface EncodeTiling {
  wgN: number; // invocations along latents (WG_N)
  wgB: number; // invocations along batch rows (WG_B)
  rb: number; // rows per invocation (RB: 4 or 8)
  kt: number; // dIn step through workgroup memory (KT)
}
export const ENCODE_VARIANTS: Record<EncodeVariant, EncodeTiling> = {
  T64: { wgN: 16, wgB: 16, rb: 4, kt: 16 }, // 64×64 tile, 256 invocations, 4×4 outputs each, 8 KiB
  T32: { wgN: 8, wgB: 8, rb: 4, kt: 16 }, // 32×32 tile, 64 invocations, 4×4 outputs each, 4 KiB
  T128: { wgN: 16, wgB: 16, rb: 8, kt: 16 }, // 128 rows × 64 latents, 256 invocations, 8×4 each, 12 KiB
};

/** Output tile of a variant: tileB batch rows × tileN latents per workgroup. */
export function encodeTile(variant: EncodeVariant): { tileB: number; tileN: number } {
  const t = ENCODE_VARIANTS[variant];
  return { tileB: t.wgB * t.rb, tileN: t.wgN * 4 };
}

/** Both entry points of one tiling, compiled. */
export interface EncodeGemm {
  /** The variant's name (ENCODE_VARIANTS), or the label given to compileEncodeTiling. */
  variant: string;
  tileB: number;
  tileN: number;
  vec4: Kernel;
  scalar: Kernel;
}

export function compileEncode(device: GPUDevice, variant: EncodeVariant): Promise<EncodeGemm> {
  return compileEncodeTiling(device, ENCODE_VARIANTS[variant], variant);
}

/** Any tiling encode.wgsl accepts (rb 4 or 8, kt a multiple of 4, wgN·wgB ≤ 256); tests use tiny ones. */
export async function compileEncodeTiling(device: GPUDevice, t: EncodeTiling, label: string): Promise<EncodeGemm> {
  if ((t.rb !== 4 && t.rb !== 8) || t.kt % 4 !== 0 || t.kt < 4) throw new Error(`encode tiling ${label}: rb ${t.rb} must be 4 or 8 and kt ${t.kt} a positive multiple of 4`);
  const constants = { WG_N: t.wgN, WG_B: t.wgB, RB: t.rb, KT: t.kt };
  const [vec4, scalar] = await Promise.all([compileKernel(device, ENCODE, constants), compileKernel(device, ENCODE_SCALAR, constants)]);
  return { variant: label, tileB: t.wgB * t.rb, tileN: t.wgN * 4, vec4, scalar };
}

/** encodeBias.wgsl with WG invocations per latent (a power of two ≤ 256; default ENCODE_BIAS_WG). */
export function compileEncodeBias(device: GPUDevice, wg = ENCODE_BIAS_WG): Promise<Kernel> {
  if (!(wg >= 1 && wg <= 256 && (wg & (wg - 1)) === 0)) throw new Error(`encodeBias: WG ${wg} must be a power of two in [1, 256]`);
  return compileKernel(device, ENCODE_BIAS, { WG: wg });
}

/** Nothing to compute (an empty dimension): the prepared dispatch records nothing. */
const EMPTY_GRID: [number, number, number] = [0, 1, 1];

function checkSize(what: string, buffer: GPUBuffer, floats: number, shape: string): void {
  if (buffer.size < floats * 4) throw new Error(`${what}: buffer ${buffer.label || '(unlabelled)'} has ${buffer.size} bytes, ${shape} needs ${floats * 4}`);
}

/**
 * Binds z = x·wEncᵀ + bEff. x: [batch, dIn], wEnc: [N, dIn], bEff: [N] → z: [batch, N] (all f32).
 * Picks the vec4 entry point when dIn % 4 == 0, else the scalar one. Grid: ⌈batch/tileB⌉·⌈N/tileN⌉
 * workgroups, folded past 65,535.
 */
export function prepareEncode(
  device: GPUDevice,
  gemm: EncodeGemm,
  shape: { batch: number; N: number; dIn: number },
  buffers: { x: GPUBuffer; wEnc: GPUBuffer; bEff: GPUBuffer; z: GPUBuffer },
): PreparedDispatch {
  const { batch, N, dIn } = shape;
  checkSize('encode x', buffers.x, batch * dIn, `[batch ${batch}, dIn ${dIn}]`);
  checkSize('encode wEnc', buffers.wEnc, N * dIn, `[N ${N}, dIn ${dIn}]`);
  checkSize('encode bEff', buffers.bEff, N, `[N ${N}]`);
  checkSize('encode z', buffers.z, batch * N, `[batch ${batch}, N ${N}]`);
  const kernel = dIn > 0 && dIn % 4 === 0 ? gemm.vec4 : gemm.scalar;
  const params = paramsBuffer(device, `encode:${gemm.variant}:params`, [
    ['u32', batch],
    ['u32', N],
    ['u32', dIn],
    ['u32', 0],
  ]);
  const tiles = Math.ceil(batch / gemm.tileB) * Math.ceil(N / gemm.tileN);
  return prepareDispatch(device, kernel, [buffers.x, buffers.wEnc, buffers.bEff, buffers.z], params, tiles > 0 ? foldGrid(tiles) : EMPTY_GRID);
}

/**
 * Binds bEff[m] = bEnc[m] − wEnc[m]·bDec[⌊m/dSae⌋]. wEnc: [N, dIn], bEnc: [N], bDec: [M, dIn] → bEff: [N],
 * N = M·dSae. Grid: N workgroups of ENCODE_BIAS_WG, folded past 65,535.
 */
export function prepareEncodeBias(
  device: GPUDevice,
  kernel: Kernel,
  shape: { members: number; dSae: number; dIn: number },
  buffers: { wEnc: GPUBuffer; bEnc: GPUBuffer; bDec: GPUBuffer; bEff: GPUBuffer },
): PreparedDispatch {
  const { members, dSae, dIn } = shape;
  const N = members * dSae;
  checkSize('encodeBias wEnc', buffers.wEnc, N * dIn, `[N ${N}, dIn ${dIn}]`);
  checkSize('encodeBias bEnc', buffers.bEnc, N, `[N ${N}]`);
  checkSize('encodeBias bDec', buffers.bDec, members * dIn, `[M ${members}, dIn ${dIn}]`);
  checkSize('encodeBias bEff', buffers.bEff, N, `[N ${N}]`);
  const params = paramsBuffer(device, 'encodeBias:params', [
    ['u32', N],
    ['u32', Math.max(dSae, 1)],
    ['u32', dIn],
    ['u32', 0],
  ]);
  return prepareDispatch(device, kernel, [buffers.wEnc, buffers.bEnc, buffers.bDec, buffers.bEff], params, N > 0 ? foldGrid(N) : EMPTY_GRID);
}

/** The variant chosen for an adapter, the timings that chose it and the shape they were taken on. */
export interface EncodeChoice {
  variant: EncodeVariant;
  gemm: EncodeGemm;
  /** Median wall time of one dispatch per variant, ms (includes per-submit overhead). */
  msPerDispatch: Partial<Record<EncodeVariant, number>>;
  timed: { batch: number; N: number; dIn: number };
}

export interface ChooseOptions {
  variants?: readonly EncodeVariant[];
  /** Cap on batch·N·dIn for the timed shape (halving batch or N, the larger first, down to 128 / 64). */
  maxMacs?: number;
  /** Timed rounds per variant (interleaved A B A B); the median counts. */
  rounds?: number;
  /** Dispatches per submit in each round. */
  dispatchesPerRound?: number;
}

/**
 * Times the variants of encode.wgsl on the real shape (scaled down to `maxMacs`, default 2³⁰, about
 * 1 ms on a mid-range GPU; pass ~1e5 on a software adapter) and returns the fastest, compiled.
 * Wall time over queue.onSubmittedWorkDone, so it needs no timestamp-query feature. Zero inputs.
 */
export async function chooseEncodeVariant(device: GPUDevice, batch: number, N: number, dIn: number, options: ChooseOptions = {}): Promise<EncodeChoice> {
  const variants = options.variants ?? (Object.keys(ENCODE_VARIANTS) as EncodeVariant[]);
  const maxMacs = options.maxMacs ?? 2 ** 30;
  const rounds = Math.max(1, options.rounds ?? 3);
  const perRound = options.dispatchesPerRound ?? 1;
  if (variants.length === 0) throw new Error('chooseEncodeVariant: no variants to time');
  let [b, n] = [Math.max(1, batch), Math.max(1, N)];
  const d = Math.max(1, dIn);
  while (b * n * d > maxMacs && (b > 128 || n > 64)) {
    if ((b >= n && b > 128) || n <= 64) b = Math.max(128, Math.ceil(b / 2));
    else n = Math.max(64, Math.ceil(n / 2));
  }
  const usage = GPUBufferUsage.STORAGE;
  const make = (label: string, floats: number) => device.createBuffer({ label: `encode:choose:${label}`, size: Math.max(16, Math.ceil(floats / 4) * 16), usage });
  const bufs = { x: make('x', b * d), wEnc: make('wEnc', n * d), bEff: make('bEff', n), z: make('z', b * n) };
  const gemms = await Promise.all(variants.map((v) => compileEncode(device, v)));
  const prepared = gemms.map((g) => prepareEncode(device, g, { batch: b, N: n, dIn: d }, bufs));
  const run = async (p: PreparedDispatch, times: number): Promise<number> => {
    const encoder = device.createCommandEncoder({ label: 'encode:choose' });
    const pass = encoder.beginComputePass();
    for (let i = 0; i < times; i++) p.record(pass);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  const samples = prepared.map(() => [] as number[]);
  try {
    for (const p of prepared) await run(p, 1); // warm-up: first use compiles / faults in memory
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < prepared.length; i++) samples[i].push((await run(prepared[i], perRound)) / perRound);
    }
  } finally {
    for (const p of prepared) p.destroy();
    for (const buf of Object.values(bufs)) buf.destroy();
  }
  const median = (xs: number[]) => [...xs].sort((u, v) => u - v)[Math.floor(xs.length / 2)];
  const msPerDispatch: Partial<Record<EncodeVariant, number>> = {};
  let best = 0;
  variants.forEach((v, i) => {
    msPerDispatch[v] = median(samples[i]);
    if (median(samples[i]) < median(samples[best])) best = i;
  });
  return { variant: variants[best], gemm: gemms[best], msPerDispatch, timed: { batch: b, N: n, dIn: d } };
}
