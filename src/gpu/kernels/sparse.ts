// Kernel declarations for the sparse half of the TopK step — decode (shaders/decode.wgsl), ∂L/∂z at the
// selected slots (decodeBackward.wgsl), per-latent segments (latentIndex.wgsl, seven entry points), per-latent
// weight gradients (weightGrad.wgsl) and the decoder-bias gradient (bDecGrad.wgsl) — prepared once as Recorders
// (src/gpu/kernel.ts) that record their dispatches into a compute pass, step after step. No readbacks here.
// Imports WGSL (?raw), src/gpu/kernel.ts and types from src/core only: no engine, UI or Node code.

import decodeWgsl from '../../../shaders/decode.wgsl?raw';
import decodeBackwardWgsl from '../../../shaders/decodeBackward.wgsl?raw';
import latentIndexWgsl from '../../../shaders/latentIndex.wgsl?raw';
import weightGradWgsl from '../../../shaders/weightGrad.wgsl?raw';
import bDecGradWgsl from '../../../shaders/bDecGrad.wgsl?raw';
import type { DecodeOptions, SparseSizes } from '../../core/sae/sparse.ts';
import type { Kernel, KernelDecl, ParamField, Recorder } from '../kernel.ts';
import { bindBuffers, compileKernel, dispatch, foldGrid, paramsBuffer, prepareDispatch, sequence } from '../kernel.ts';

export type { DecodeOptions, SparseSizes } from '../../core/sae/sparse.ts';

/** tgt, wDec, bDec, idx, val → xHat, e, sqErr; params. */
export const DECODE: KernelDecl = {
  name: 'decode',
  code: decodeWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read_write', 'read_write', 'read_write', 'uniform'],
};

/** e, wDec, idx, val, memberScale → gVal; params. */
export const DECODE_BACKWARD: KernelDecl = {
  name: 'decodeBackward',
  code: decodeBackwardWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read_write', 'uniform'],
};

const latentIndexDecl = (entryPoint: string, longArgs = false): KernelDecl => ({
  name: 'latentIndex',
  code: latentIndexWgsl,
  entryPoint,
  // idx, counts, offsets, entries, params (+ longArgs for prepareLong only: sortLong reads it as INDIRECT)
  bindings: ['read', 'read_write', 'read_write', 'read_write', 'uniform', ...(longArgs ? (['read_write'] as const) : [])],
});
/** The seven passes of latentIndex.wgsl, in the order they run. */
export const LATENT_INDEX = {
  clear: latentIndexDecl('clear'),
  count: latentIndexDecl('count'),
  scan: latentIndexDecl('scan'),
  scatter: latentIndexDecl('scatter'),
  sortShort: latentIndexDecl('sortShort'),
  prepareLong: latentIndexDecl('prepareLong', true),
  sortLong: latentIndexDecl('sortLong'),
} as const satisfies Record<string, KernelDecl>;

/** offsets, entries, coef, src, bDec, memberScale → out, outSum; params. */
export const WEIGHT_GRAD: KernelDecl = {
  name: 'weightGrad',
  code: weightGradWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read_write', 'read_write', 'uniform'],
};

/** e, dBEnc, wEnc → dBDec; params. */
export const BDEC_GRAD: KernelDecl = {
  name: 'bDecGrad',
  code: bDecGradWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read_write', 'uniform'],
};

/** The `override` constants of the five files and the grid fold width (defaults in DEFAULT_SPARSE_TUNING). */
export interface SparseTuning {
  decodeWg: number; // decode.wgsl WG (power of two)
  backwardWg: number; // decodeBackward.wgsl WG (power of two)
  backwardSplit: number; // decodeBackward.wgsl SPLIT: lanes per slot (power of two ≤ backwardWg)
  indexWg: number; // latentIndex.wgsl WG (power of two)
  sortShort: number; // latentIndex.wgsl SORT_SHORT: longest segment insertion-sorted by one invocation
  sortCap: number; // latentIndex.wgsl SORT_CAP: longest segment sorted in workgroup memory (longer: in place)
  weightGradWg: number; // weightGrad.wgsl WG
  bDecTd: number; // bDecGrad.wgsl TD: dims per workgroup
  bDecRy: number; // bDecGrad.wgsl RY: partial sums per dim
  /** Grids wider than this fold into 2-D (0 = the device's maxComputeWorkgroupsPerDimension; tests use small values). */
  foldAt: number;
}

export const DEFAULT_SPARSE_TUNING: SparseTuning = {
  decodeWg: 64,
  backwardWg: 64,
  backwardSplit: 16,
  indexWg: 256,
  sortShort: 32,
  sortCap: 1024,
  weightGradWg: 64,
  bDecTd: 32,
  bDecRy: 8,
  foldAt: 0,
};

export interface SparseKernels {
  tuning: SparseTuning;
  decode: Kernel;
  decodeBackward: Kernel;
  latentClear: Kernel;
  latentCount: Kernel;
  latentScan: Kernel;
  latentScatter: Kernel;
  latentSortShort: Kernel;
  latentPrepareLong: Kernel;
  latentSortLong: Kernel;
  weightGrad: Kernel;
  bDecGrad: Kernel;
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

/** Compiles the sparse kernels; throws naming the override or limit when a tuning cannot work. */
export async function compileSparseKernels(device: GPUDevice, tuning: Partial<SparseTuning> = {}): Promise<SparseKernels> {
  const t: SparseTuning = { ...DEFAULT_SPARSE_TUNING, ...tuning };
  for (const key of ['decodeWg', 'backwardWg', 'backwardSplit', 'indexWg', 'bDecRy'] as const) {
    if (!isPow2(t[key])) throw new Error(`sparse kernels: ${key} = ${t[key]} must be a power of two`);
  }
  if (t.backwardSplit > t.backwardWg) throw new Error(`sparse kernels: backwardSplit ${t.backwardSplit} > backwardWg ${t.backwardWg}`);
  const invocations = device.limits.maxComputeInvocationsPerWorkgroup;
  if (t.bDecTd * t.bDecRy > invocations) throw new Error(`bDecGrad: TD·RY = ${t.bDecTd * t.bDecRy} > maxComputeInvocationsPerWorkgroup ${invocations}`);
  const sortBytes = 4 * (t.sortCap + t.indexWg + 1);
  const have = device.limits.maxComputeWorkgroupStorageSize;
  if (sortBytes > have) throw new Error(`latentIndex: SORT_CAP ${t.sortCap} with WG ${t.indexWg} needs ${sortBytes} bytes of workgroup memory (maxComputeWorkgroupStorageSize ${have}); lower sortCap`);
  if (!Number.isInteger(t.sortShort) || t.sortShort < 1) throw new Error(`latentIndex: sortShort = ${t.sortShort} must be ≥ 1`);
  const index = { WG: t.indexWg, SORT_CAP: t.sortCap, SORT_SHORT: t.sortShort };
  // One at a time: compileKernel's error scopes are a stack, so concurrent compiles could swap their messages.
  const compile = (decl: KernelDecl, constants: Record<string, number>): Promise<Kernel> => compileKernel(device, decl, constants);
  const decode = await compile(DECODE, { WG: t.decodeWg });
  const decodeBackward = await compile(DECODE_BACKWARD, { WG: t.backwardWg, SPLIT: t.backwardSplit });
  const latentClear = await compile(LATENT_INDEX.clear, index);
  const latentCount = await compile(LATENT_INDEX.count, index);
  const latentScan = await compile(LATENT_INDEX.scan, index);
  const latentScatter = await compile(LATENT_INDEX.scatter, index);
  const latentSortShort = await compile(LATENT_INDEX.sortShort, index);
  const latentPrepareLong = await compile(LATENT_INDEX.prepareLong, index);
  const latentSortLong = await compile(LATENT_INDEX.sortLong, index);
  const weightGrad = await compile(WEIGHT_GRAD, { WG: t.weightGradWg });
  const bDecGrad = await compile(BDEC_GRAD, { TD: t.bDecTd, RY: t.bDecRy });
  return {
    tuning: t,
    decode,
    decodeBackward,
    latentClear,
    latentCount,
    latentScan,
    latentScatter,
    latentSortShort,
    latentPrepareLong,
    latentSortLong,
    weightGrad,
    bDecGrad,
  };
}

function checkSizes(what: string, s: SparseSizes): void {
  const { batch, M, dIn, dSae, k } = s;
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${what}: ${name} = ${v} must be a positive integer`);
  }
  const biggest = Math.max(M * dSae * dIn, M * batch * dIn, batch * M * k, M * dSae + 1);
  if (biggest >= 2 ** 32) throw new Error(`${what}: ${biggest} elements in one buffer (batch ${batch}, M ${M}, dIn ${dIn}, dSae ${dSae}, k ${k}) overflow u32 indexing; chunk the batch`);
}

function need(what: string, name: string, buffer: GPUBuffer, elements: number, shape: string): void {
  if (buffer.size < elements * 4) throw new Error(`${what}: ${name} has ${buffer.size} bytes, needs ${elements * 4} (${shape} of 4-byte elements)`);
}

function foldWidth(device: GPUDevice, kernels: SparseKernels): number {
  return kernels.tuning.foldAt || device.limits.maxComputeWorkgroupsPerDimension;
}

/** One dispatch, bound once, owning its uniform (and `owned` placeholders). */
function single(device: GPUDevice, kernels: SparseKernels, kernel: Kernel, buffers: GPUBuffer[], fields: ParamField[], workgroups: number, owned: GPUBuffer[] = []): Recorder {
  const params = paramsBuffer(device, `${kernel.decl.name}:params`, fields);
  return prepareDispatch(device, kernel, buffers, params, foldGrid(workgroups, foldWidth(device, kernels)), owned);
}

export interface DecodeBuffers {
  /** x [batch, dIn] (main term) or e_main [M, batch, dIn] (AuxK). */
  target: GPUBuffer;
  wDec: GPUBuffer; // [N, dIn]
  bDec: GPUBuffer; // [M, dIn]
  idx: GPUBuffer; // [batch, M, k] u32
  val: GPUBuffer; // [batch, M, k]
  xHat: GPUBuffer; // [M, batch, dIn] out
  e: GPUBuffer; // [M, batch, dIn] out
  sqErr: GPUBuffer; // [M, batch] out
}

/** decode.wgsl: xHat, e = xHat − targetScale·target, sqErr (see its header). */
export function prepareDecode(device: GPUDevice, kernels: SparseKernels, s: SparseSizes, b: DecodeBuffers, opts: DecodeOptions): Recorder {
  checkSizes('decode', s);
  const { batch, M, dIn, dSae, k } = s;
  const N = M * dSae;
  if (opts.targetMemberStride !== 0 && opts.targetMemberStride < batch * dIn) throw new Error(`decode: targetMemberStride ${opts.targetMemberStride} must be 0 or ≥ batch·dIn = ${batch * dIn}`);
  need('decode', 'target', b.target, (M - 1) * opts.targetMemberStride + batch * dIn, opts.targetMemberStride ? '[M, batch, dIn]' : '[batch, dIn]');
  need('decode', 'wDec', b.wDec, N * dIn, '[N, dIn]');
  need('decode', 'bDec', b.bDec, M * dIn, '[M, dIn]');
  need('decode', 'idx', b.idx, batch * M * k, '[batch, M, k]');
  need('decode', 'val', b.val, batch * M * k, '[batch, M, k]');
  for (const name of ['xHat', 'e'] as const) need('decode', name, b[name], M * batch * dIn, '[M, batch, dIn]');
  need('decode', 'sqErr', b.sqErr, M * batch, '[M, batch]');
  const fields: ParamField[] = [
    ['u32', batch],
    ['u32', M],
    ['u32', dIn],
    ['u32', dSae],
    ['u32', k],
    ['u32', opts.withBias ? 1 : 0],
    ['u32', opts.targetMemberStride],
    ['f32', opts.targetScale],
  ];
  return single(device, kernels, kernels.decode, [b.target, b.wDec, b.bDec, b.idx, b.val, b.xHat, b.e, b.sqErr], fields, batch * M);
}

export interface DecodeBackwardBuffers {
  e: GPUBuffer; // [M, batch, dIn]
  wDec: GPUBuffer; // [N, dIn]
  idx: GPUBuffer; // [batch, M, k] u32
  val: GPUBuffer; // [batch, M, k]
  /** [M] per-member multiplier (AuxK's min(nDead_j/kAux, 1)); null = 1. */
  memberScale: GPUBuffer | null;
  gVal: GPUBuffer; // [batch, M, k] out
}

/** decodeBackward.wgsl: gVal = (2/batch)·coeff·scale_j·dot(e, wDec[idx]) where val > 0, else 0. */
export function prepareDecodeBackward(device: GPUDevice, kernels: SparseKernels, s: SparseSizes, b: DecodeBackwardBuffers, coeff: number): Recorder {
  checkSizes('decodeBackward', s);
  const { batch, M, dIn, dSae, k } = s;
  need('decodeBackward', 'e', b.e, M * batch * dIn, '[M, batch, dIn]');
  need('decodeBackward', 'wDec', b.wDec, M * dSae * dIn, '[N, dIn]');
  for (const name of ['idx', 'val', 'gVal'] as const) need('decodeBackward', name, b[name], batch * M * k, '[batch, M, k]');
  if (b.memberScale) need('decodeBackward', 'memberScale', b.memberScale, M, '[M]');
  const fields: ParamField[] = [
    ['u32', batch],
    ['u32', M],
    ['u32', dIn],
    ['u32', dSae],
    ['u32', k],
    ['u32', b.memberScale ? 1 : 0],
    ['f32', coeff],
    ['u32', 0],
  ];
  return single(device, kernels, kernels.decodeBackward, [b.e, b.wDec, b.idx, b.val, b.memberScale ?? b.val, b.gVal], fields, batch * M);
}

export interface LatentIndexBuffers {
  idx: GPUBuffer; // [batch, M, k] u32
  counts: GPUBuffer; // [N + 1] u32 scratch
  offsets: GPUBuffer; // [N + 1] u32 out
  entries: GPUBuffer; // [batch·M·k] u32 out (codes b·k + s, sorted per latent)
}

/**
 * latentIndex.wgsl: clear, count, scan, scatter, sortShort, prepareLong, sortLong (indirect) → offsets, entries
 * (see src/core/sae/sparse.ts:latentSegments). The recorder owns the 12-byte indirect-argument buffer of sortLong.
 */
export function prepareLatentIndex(device: GPUDevice, kernels: SparseKernels, s: SparseSizes, b: LatentIndexBuffers): Recorder {
  checkSizes('latentIndex', s);
  const { batch, M, dSae, k } = s;
  const N = M * dSae;
  const nSlots = batch * M * k;
  need('latentIndex', 'idx', b.idx, nSlots, '[batch, M, k]');
  need('latentIndex', 'counts', b.counts, N + 1, '[N + 1]');
  need('latentIndex', 'offsets', b.offsets, N + 1, '[N + 1]');
  need('latentIndex', 'entries', b.entries, nSlots, '[batch·M·k]');
  const width = foldWidth(device, kernels);
  const fields: ParamField[] = [
    ['u32', batch],
    ['u32', M],
    ['u32', dSae],
    ['u32', k],
    ['u32', N],
    ['u32', nSlots],
    ['u32', width],
    ['u32', 0],
  ];
  const params = paramsBuffer(device, 'latentIndex:params', fields);
  const longArgs = device.createBuffer({ label: 'latentIndex:longArgs', size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT });
  const wg = kernels.tuning.indexWg;
  const common = [b.idx, b.counts, b.offsets, b.entries, params];
  const bind = (kernel: Kernel, extra: GPUBuffer[] = []): GPUBindGroup => bindBuffers(device, kernel, [...common, ...extra]);
  const direct: [Kernel, GPUBindGroup, [number, number, number]][] = [
    [kernels.latentClear, bind(kernels.latentClear), foldGrid(Math.ceil((N + 1) / wg), width)],
    [kernels.latentCount, bind(kernels.latentCount), foldGrid(Math.ceil(nSlots / wg), width)],
    [kernels.latentScan, bind(kernels.latentScan), [1, 1, 1]],
    [kernels.latentScatter, bind(kernels.latentScatter), foldGrid(Math.ceil(nSlots / wg), width)],
    [kernels.latentSortShort, bind(kernels.latentSortShort), foldGrid(Math.ceil(N / wg), width)],
    [kernels.latentPrepareLong, bind(kernels.latentPrepareLong, [longArgs]), [1, 1, 1]],
  ];
  const sortLong = bind(kernels.latentSortLong);
  return {
    record: (pass) => {
      for (const [kernel, group, g] of direct) dispatch(pass, kernel, group, g);
      pass.setPipeline(kernels.latentSortLong.pipeline);
      pass.setBindGroup(0, sortLong);
      pass.dispatchWorkgroupsIndirect(longArgs, 0);
    },
    destroy: () => {
      params.destroy();
      longArgs.destroy();
    },
  };
}

export interface WeightGradBuffers {
  offsets: GPUBuffer; // [N + 1] u32
  entries: GPUBuffer; // [batch·M·k] u32
  coef: GPUBuffer; // [batch, M, k]: val (decoder pass) or gVal (encoder pass)
  src: GPUBuffer; // e [M, batch, dIn] (decoder pass) or x [batch, dIn] (encoder pass)
  /** [M, dIn], subtracted from src rows (encoder pass); null = none. */
  bDec: GPUBuffer | null;
  /** [M]; null = 1. */
  memberScale: GPUBuffer | null;
  out: GPUBuffer; // [N, dIn]
  /** [N] segment sums of the coefficients (dBEnc); null = not written. */
  outSum: GPUBuffer | null;
}

export interface WeightGradOptions {
  /** 0 for a shared [batch, dIn] src, batch·dIn for [M, batch, dIn]. */
  srcMemberStride: number;
  /** Multiplies every coefficient. */
  factor: number;
  /** Add into out / outSum (the AuxK term after the main one) instead of overwriting them. */
  accumulate: boolean;
}

/** weightGrad.wgsl: out[m] (+)= Σ_segment factor·scale_j·coef·(src − bDec), outSum[m] (+)= Σ factor·scale_j·coef. */
export function prepareWeightGrad(device: GPUDevice, kernels: SparseKernels, s: SparseSizes, b: WeightGradBuffers, opts: WeightGradOptions): Recorder {
  checkSizes('weightGrad', s);
  const { batch, M, dIn, dSae, k } = s;
  const N = M * dSae;
  if (opts.srcMemberStride !== 0 && opts.srcMemberStride < batch * dIn) throw new Error(`weightGrad: srcMemberStride ${opts.srcMemberStride} must be 0 or ≥ batch·dIn = ${batch * dIn}`);
  need('weightGrad', 'offsets', b.offsets, N + 1, '[N + 1]');
  need('weightGrad', 'entries', b.entries, batch * M * k, '[batch·M·k]');
  need('weightGrad', 'coef', b.coef, batch * M * k, '[batch, M, k]');
  need('weightGrad', 'src', b.src, (M - 1) * opts.srcMemberStride + batch * dIn, opts.srcMemberStride ? '[M, batch, dIn]' : '[batch, dIn]');
  if (b.bDec) need('weightGrad', 'bDec', b.bDec, M * dIn, '[M, dIn]');
  if (b.memberScale) need('weightGrad', 'memberScale', b.memberScale, M, '[M]');
  need('weightGrad', 'out', b.out, N * dIn, '[N, dIn]');
  if (b.outSum) need('weightGrad', 'outSum', b.outSum, N, '[N]');
  const owned: GPUBuffer[] = [];
  let outSum = b.outSum;
  if (!outSum) {
    outSum = device.createBuffer({ label: 'weightGrad:noSum', size: 16, usage: GPUBufferUsage.STORAGE });
    owned.push(outSum);
  }
  const fields: ParamField[] = [
    ['u32', batch],
    ['u32', M],
    ['u32', dIn],
    ['u32', dSae],
    ['u32', k],
    ['u32', opts.srcMemberStride],
    ['u32', b.bDec ? 1 : 0],
    ['u32', b.memberScale ? 1 : 0],
    ['u32', b.outSum ? 1 : 0],
    ['u32', opts.accumulate ? 1 : 0],
    ['f32', opts.factor],
    ['u32', 0],
  ];
  const buffers = [b.offsets, b.entries, b.coef, b.src, b.bDec ?? b.src, b.memberScale ?? b.coef, b.out, outSum];
  return single(device, kernels, kernels.weightGrad, buffers, fields, N, owned);
}

export interface BDecGradBuffers {
  e: GPUBuffer; // [M, batch, dIn] the main term's residual
  dBEnc: GPUBuffer; // [N] main + AuxK
  wEnc: GPUBuffer; // [N, dIn]
  dBDec: GPUBuffer; // [M, dIn] out
}

/** bDecGrad.wgsl: dBDec[j] = (2/batch)·Σ_b e[j, b] − Σ_i dBEnc[j·dSae + i]·wEnc[j·dSae + i]. */
export function prepareBDecGrad(device: GPUDevice, kernels: SparseKernels, s: SparseSizes, b: BDecGradBuffers): Recorder {
  checkSizes('bDecGrad', s);
  const { batch, M, dIn, dSae } = s;
  need('bDecGrad', 'e', b.e, M * batch * dIn, '[M, batch, dIn]');
  need('bDecGrad', 'dBEnc', b.dBEnc, M * dSae, '[N]');
  need('bDecGrad', 'wEnc', b.wEnc, M * dSae * dIn, '[N, dIn]');
  need('bDecGrad', 'dBDec', b.dBDec, M * dIn, '[M, dIn]');
  const fields: ParamField[] = [
    ['u32', batch],
    ['u32', M],
    ['u32', dIn],
    ['u32', dSae],
  ];
  const tiles = Math.ceil(dIn / kernels.tuning.bDecTd);
  return single(device, kernels, kernels.bDecGrad, [b.e, b.dBEnc, b.wEnc, b.dBDec], fields, M * tiles);
}

/** Everything one loss term's sparse backward reads and writes. */
export interface TermBackwardBuffers {
  x: GPUBuffer; // [batch, dIn] the encoder's input (before − bDec)
  wDec: GPUBuffer; // [N, dIn]
  bDec: GPUBuffer; // [M, dIn]
  idx: GPUBuffer; // [batch, M, k] u32 (k = kAux for AuxK)
  val: GPUBuffer; // [batch, M, k]
  e: GPUBuffer; // [M, batch, dIn] this term's residual (decode.wgsl)
  memberScale: GPUBuffer | null; // [M] AuxK scale, null = 1
  gVal: GPUBuffer; // [batch, M, k] scratch out
  counts: GPUBuffer; // [N + 1] u32 scratch
  offsets: GPUBuffer; // [N + 1] u32 scratch out
  entries: GPUBuffer; // [batch·M·k] u32 scratch out
  dWDec: GPUBuffer; // [N, dIn]
  dWEnc: GPUBuffer; // [N, dIn]
  dBEnc: GPUBuffer; // [N]
}

/**
 * One loss term's sparse backward: decodeBackward → latentIndex → weightGrad (decoder: coef val, src e,
 * factor (2/batch)·coeff·scale_j → dWDec) → weightGrad (encoder: coef gVal, src x − bDec → dWEnc, dBEnc).
 * The step records the main term (coeff 1, accumulate false: every gradient row overwritten), then AuxK
 * (coeff α, memberScale, accumulate true: its segment sums added), then prepareBDecGrad.
 */
export function prepareTermBackward(
  device: GPUDevice,
  kernels: SparseKernels,
  s: SparseSizes,
  b: TermBackwardBuffers,
  opts: { coeff: number; accumulate: boolean },
): Recorder {
  const { batch, dIn } = s;
  return sequence([
    prepareDecodeBackward(device, kernels, s, { e: b.e, wDec: b.wDec, idx: b.idx, val: b.val, memberScale: b.memberScale, gVal: b.gVal }, opts.coeff),
    prepareLatentIndex(device, kernels, s, { idx: b.idx, counts: b.counts, offsets: b.offsets, entries: b.entries }),
    prepareWeightGrad(
      device,
      kernels,
      s,
      { offsets: b.offsets, entries: b.entries, coef: b.val, src: b.e, bDec: null, memberScale: b.memberScale, out: b.dWDec, outSum: null },
      { srcMemberStride: batch * dIn, factor: (2 / batch) * opts.coeff, accumulate: opts.accumulate },
    ),
    prepareWeightGrad(
      device,
      kernels,
      s,
      { offsets: b.offsets, entries: b.entries, coef: b.gVal, src: b.x, bDec: b.bDec, memberScale: null, out: b.dWEnc, outSum: b.dBEnc },
      { srcMemberStride: 0, factor: 1, accumulate: opts.accumulate },
    ),
  ]);
}
