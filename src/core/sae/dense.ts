// The dense-code twins of the ReLU, JumpReLU and BatchTopK steps: the specification of shaders/activation.wgsl,
// decodeDense.wgsl, gemmTN.wgsl and of the decoder-gradient GEMM (encode.wgsl reused on e and wDec), on the GPU's
// buffer layouts (member axis). Plain loops, f64 accumulation, one f32 rounding per stored output. Imports only
// src/core. Composed, they give the gradients of loss.ts:lossAndGrads (test/core/dense.test.ts).
//
// Legend: M members, N = M·dSae global latents (m = j·dSae + i).
//   x [batch, dIn]   z, f, gz [batch, N]   wEnc, wDec [N, dIn]   bDec [M, dIn]   xHat, e [M, batch, dIn]
//   sqErr [M, batch]   gF [M, batch, dSae] (raw dot products e·wDecᵀ, member-major)   θ, decNorm, dLogThreshold [N]

import { bDecGradSparse } from './sparse.ts';

/** Sizes shared by every dense kernel. */
export interface DenseSizes {
  batch: number;
  /** Ensemble members. */
  M: number;
  dIn: number;
  dSae: number;
}

/** Dense activations with their own forward kernel; BatchTopK's codes come from batchTopkThreshold.wgsl. */
export type DenseActivation = 'relu' | 'jumprelu';
/** Architectures whose backward runs on dense codes. */
export type DenseArch = 'relu' | 'jumprelu' | 'batchtopk';

/** Twin of activation.wgsl:prepNorm. wDec [N, dIn] → decNorm [N] = ‖wDec[m]‖ (f64 sum, one rounding). */
export function latentNorms(wDec: Float32Array, N: number, dIn: number): Float32Array {
  const out = new Float32Array(N);
  for (let m = 0; m < N; m++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += wDec[m * dIn + d] ** 2;
    out[m] = Math.sqrt(s);
  }
  return out;
}

/** Twin of activation.wgsl:prepTheta. logThreshold [N] → θ [N] = exp(logThreshold) rounded to f32. */
export function thresholds(logThreshold: Float32Array): Float32Array {
  return Float32Array.from(logThreshold, (v) => Math.exp(v));
}

/**
 * Twin of activation.wgsl:forwardRelu / forwardJumprelu. z [batch, N] → f [batch, N]:
 *   relu:     f = z > 0 ? z : 0
 *   jumprelu: f = z > θ[m] ? z : 0      (θ [N]: from `thresholds`, or f64 exp values)
 */
export function activationForward(kind: DenseActivation, z: Float32Array, N: number, theta?: ArrayLike<number>): Float32Array {
  const f = new Float32Array(z.length);
  for (let q = 0; q < z.length; q++) {
    const limit = kind === 'relu' ? 0 : (theta as ArrayLike<number>)[q % N];
    if (z[q] > limit) f[q] = z[q];
  }
  return f;
}

export interface DenseDecodeOptions {
  /** Add bDec (main term). */
  withBias: boolean;
  /** Elements between members' targets: 0 for the shared x [batch, dIn]; batch·dIn for [M, batch, dIn]. */
  targetMemberStride: number;
  /** e = xHat − targetScale·target. */
  targetScale: number;
}

/**
 * Twin of decodeDense.wgsl (main, then rowSqErr):
 *   xHat[j, b, :] = (withBias ? bDec[j, :] : 0) + Σ_i f[b, j·dSae + i]·wDec[j·dSae + i, :]
 *   e[j, b, :]    = xHat[j, b, :] − targetScale·target[j·targetMemberStride + b·dIn + :]   (from the f32 xHat)
 *   sqErr[j, b]   = Σ_d e[j, b, d]²                                                          (from the f32 e)
 */
export function decodeDense(
  s: DenseSizes,
  f: Float32Array,
  wDec: Float32Array,
  bDec: Float32Array,
  target: Float32Array,
  opts: DenseDecodeOptions,
): { xHat: Float32Array; e: Float32Array; sqErr: Float32Array } {
  const { batch, M, dIn, dSae } = s;
  const N = M * dSae;
  const xHat = new Float32Array(M * batch * dIn);
  const e = new Float32Array(M * batch * dIn);
  const sqErr = new Float32Array(M * batch);
  const acc = new Float64Array(dIn);
  for (let j = 0; j < M; j++) {
    for (let b = 0; b < batch; b++) {
      for (let d = 0; d < dIn; d++) acc[d] = opts.withBias ? bDec[j * dIn + d] : 0;
      for (let i = 0; i < dSae; i++) {
        const c = f[b * N + j * dSae + i];
        if (c === 0) continue;
        const w = (j * dSae + i) * dIn;
        for (let d = 0; d < dIn; d++) acc[d] += c * wDec[w + d];
      }
      const o = (j * batch + b) * dIn;
      const t = j * opts.targetMemberStride + b * dIn;
      let sq = 0;
      for (let d = 0; d < dIn; d++) {
        xHat[o + d] = acc[d];
        e[o + d] = xHat[o + d] - opts.targetScale * target[t + d];
        sq += e[o + d] * e[o + d];
      }
      sqErr[j * batch + b] = sq;
    }
  }
  return { xHat, e, sqErr };
}

/**
 * Twin of the decoder-gradient GEMM (encode.wgsl run on e and wDec with bEff = 0, member by member):
 *   gF[j, b, i] = Σ_d e[j, b, d]·wDec[j·dSae + i, d]     → [M, batch, dSae], no 2/batch factor (activation
 * backward applies it). On the GPU the block sits in a layout chosen by src/gpu/kernels/dense.ts.
 */
export function decoderGradDense(s: DenseSizes, e: Float32Array, wDec: Float32Array): Float32Array {
  const { batch, M, dIn, dSae } = s;
  const gF = new Float32Array(M * batch * dSae);
  for (let j = 0; j < M; j++) {
    for (let b = 0; b < batch; b++) {
      const o = (j * batch + b) * dIn;
      for (let i = 0; i < dSae; i++) {
        const w = (j * dSae + i) * dIn;
        let acc = 0;
        for (let d = 0; d < dIn; d++) acc += e[o + d] * wDec[w + d];
        gF[(j * batch + b) * dSae + i] = acc;
      }
    }
  }
  return gF;
}

/** What the elementwise backward needs besides z, f and gF. */
export interface ActivationBackwardOptions {
  /** Multiplies the raw gF: 2/batch. */
  gScale: number;
  /** relu: λ/batch (the L1 term's ∂/∂f = (λ/batch)·‖wDec[m]‖); else unused. */
  l1c: number;
  /** relu: ‖wDec[m]‖ [N] (latentNorms). */
  decNorm?: Float32Array;
  /** jumprelu: θ [N] (thresholds). */
  theta?: ArrayLike<number>;
}

/**
 * Twin of activation.wgsl:backwardRelu / backwardJumprelu / backwardMasked. z, f [batch, N], gF [M, batch, dSae]
 * (raw) → gz [batch, N], with g = gScale·gF[j, b, i]:
 *   relu:      gz = z > 0 ? g + l1c·decNorm[m] : 0
 *   jumprelu:  gz = z > θ[m] ? g : 0
 *   batchtopk: gz = f > 0 ? g : 0
 */
export function activationBackward(kind: DenseArch, s: DenseSizes, z: Float32Array, f: Float32Array, gF: Float32Array, opts: ActivationBackwardOptions): Float32Array {
  const { batch, M, dSae } = s;
  const N = M * dSae;
  const gz = new Float32Array(batch * N);
  for (let b = 0; b < batch; b++) {
    for (let m = 0; m < N; m++) {
      const q = b * N + m;
      const j = Math.floor(m / dSae);
      const g = opts.gScale * gF[(j * batch + b) * dSae + (m % dSae)];
      if (kind === 'relu') {
        if (z[q] > 0) gz[q] = g + opts.l1c * (opts.decNorm as Float32Array)[m];
      } else if (kind === 'jumprelu') {
        if (z[q] > (opts.theta as ArrayLike<number>)[m]) gz[q] = g;
      } else if (f[q] > 0) gz[q] = g;
    }
  }
  return gz;
}

/**
 * Twin of activation.wgsl:thresholdGrad — the JumpReLU straight-through estimator (loss.ts), per latent m:
 *   dLogThreshold[m] = θ·Σ_b [|z − θ| < ε/2]·(−(θ/ε)·gScale·gF[j, b, i] − λ/(batch·ε))
 * with z − θ rounded to f32 and ε/2 = fround(ε)/2 (the GPU's window test); the sum over b in f64.
 */
export function thresholdGrad(
  s: DenseSizes,
  z: Float32Array,
  gF: Float32Array,
  theta: ArrayLike<number>,
  opts: { gScale: number; bandwidth: number; l0Coefficient: number },
): Float32Array {
  const { batch, M, dSae } = s;
  const N = M * dSae;
  const half = Math.fround(opts.bandwidth) / 2;
  const out = new Float32Array(N);
  for (let m = 0; m < N; m++) {
    const j = Math.floor(m / dSae);
    const th = theta[m];
    let sum = 0;
    for (let b = 0; b < batch; b++) {
      const d = Math.fround(z[b * N + m] - th);
      if (!(d > -half && d < half)) continue;
      const g = opts.gScale * gF[(j * batch + b) * dSae + (m % dSae)];
      sum += -(th / opts.bandwidth) * g - opts.l0Coefficient / (batch * opts.bandwidth);
    }
    out[m] = th * sum;
  }
  return out;
}

export interface GemmTNOptions {
  /** Elements between members' src rows: 0 for the shared x [batch, dIn], batch·dIn for e [M, batch, dIn]. */
  srcMemberStride: number;
  /** [M, dIn] subtracted from src rows (the encoder input x − bDec); omitted = none. */
  bias?: Float32Array;
  /** Multiplies the GEMM and the column sums: 2/batch for dWDec, 1 for dWEnc / dBEnc. */
  factor: number;
  /** relu's decoder L1 term: out[m] += scale·(Σ_b coef[b, m])·wDec[m]/decNorm[m] (skipped where decNorm = 0). */
  l1?: { scale: number; wDec: Float32Array; decNorm: Float32Array };
  /** Add into out / outSum instead of overwriting. */
  accumulate: boolean;
}

/**
 * Twin of gemmTN.wgsl. For each global latent m (member j = ⌊m/dSae⌋):
 *   out[m, :] (+)= factor·Σ_b coef[b, m]·(src[j·srcMemberStride + b·dIn + :] − bias[j, :])
 *                  + l1.scale·(Σ_b coef[b, m])/decNorm[m]·wDec[m, :]
 *   outSum[m] (+)= factor·Σ_b coef[b, m]
 * The new value is rounded to f32 once, then (accumulate) added to the f32 value already there.
 * Decoder: coef = f, src = e, factor 2/batch (+ relu's l1) → dWDec.  Encoder: coef = gz, src = x, bias = bDec → dWEnc, dBEnc.
 */
export function gemmTN(s: DenseSizes, coef: Float32Array, src: Float32Array, opts: GemmTNOptions, out: Float32Array, outSum?: Float32Array): void {
  const { batch, M, dIn, dSae } = s;
  const N = M * dSae;
  const acc = new Float64Array(dIn);
  for (let m = 0; m < N; m++) {
    const j = Math.floor(m / dSae);
    acc.fill(0);
    let sum = 0;
    for (let b = 0; b < batch; b++) {
      const c = coef[b * N + m];
      sum += c;
      if (c === 0) continue;
      const r = j * opts.srcMemberStride + b * dIn;
      for (let d = 0; d < dIn; d++) acc[d] += c * (src[r + d] - (opts.bias ? opts.bias[j * dIn + d] : 0));
    }
    const l1 = opts.l1 && opts.l1.decNorm[m] > 0 ? (opts.l1.scale * sum) / opts.l1.decNorm[m] : 0;
    for (let d = 0; d < dIn; d++) {
      const v = Math.fround(opts.factor * acc[d] + (l1 !== 0 ? l1 * (opts.l1 as { wDec: Float32Array }).wDec[m * dIn + d] : 0));
      out[m * dIn + d] = opts.accumulate ? out[m * dIn + d] + v : v;
    }
    if (outSum) outSum[m] = opts.accumulate ? outSum[m] + Math.fround(opts.factor * sum) : opts.factor * sum;
  }
}

/** bDecGrad.wgsl's twin on dense sizes: dBDec[j] = (2/batch)·Σ_b e[j, b] − Σ_i dBEnc[j·dSae + i]·wEnc[j·dSae + i]. */
export function bDecGradDense(s: DenseSizes, e: Float32Array, dBEnc: Float32Array, wEnc: Float32Array): Float32Array {
  return bDecGradSparse({ ...s, k: 1 }, e, dBEnc, wEnc);
}

/** The parameters of M members, concatenated on the member axis. */
export interface DenseParams {
  wEnc: Float32Array; // [N, dIn]
  bEnc: Float32Array; // [N]
  wDec: Float32Array; // [N, dIn]
  bDec: Float32Array; // [M, dIn]
  logThreshold: Float32Array; // [N] jumprelu, else [0]
}

export interface DenseGrads extends DenseParams {
  sqErr: Float32Array; // [M, batch]
}

/**
 * The dense step's backward on the twins, in the GPU's dispatch order, from z [batch, N] and the codes
 * f [batch, N] (relu / jumprelu: activationForward; batchtopk: batchTopkCodes per member) to every gradient.
 * λ = l1Coefficient (relu L1, jumprelu L0); ε = bandwidth. No AuxK.
 */
export function denseBackward(
  arch: DenseArch,
  s: DenseSizes,
  p: DenseParams,
  x: Float32Array,
  z: Float32Array,
  f: Float32Array,
  ctx: { l1Coefficient: number; bandwidth: number },
): DenseGrads {
  const { batch, M, dIn, dSae } = s;
  const N = M * dSae;
  const decNorm = latentNorms(p.wDec, N, dIn);
  const theta = arch === 'jumprelu' ? thresholds(p.logThreshold) : undefined;
  const { e, sqErr } = decodeDense(s, f, p.wDec, p.bDec, x, { withBias: true, targetMemberStride: 0, targetScale: 1 });
  const gF = decoderGradDense(s, e, p.wDec);
  const gScale = 2 / batch;
  const gz = activationBackward(arch, s, z, f, gF, { gScale, l1c: ctx.l1Coefficient / batch, decNorm, theta });
  const logThreshold = arch === 'jumprelu' ? thresholdGrad(s, z, gF, theta as Float32Array, { gScale, bandwidth: ctx.bandwidth, l0Coefficient: ctx.l1Coefficient }) : new Float32Array(0);
  const wDec = new Float32Array(N * dIn);
  const l1 = arch === 'relu' && ctx.l1Coefficient > 0 ? { scale: ctx.l1Coefficient / batch, wDec: p.wDec, decNorm } : undefined;
  gemmTN(s, f, e, { srcMemberStride: batch * dIn, factor: gScale, l1, accumulate: false }, wDec);
  const wEnc = new Float32Array(N * dIn);
  const bEnc = new Float32Array(N);
  gemmTN(s, gz, x, { srcMemberStride: 0, bias: p.bDec, factor: 1, accumulate: false }, wEnc, bEnc);
  const bDec = bDecGradDense(s, e, bEnc, p.wEnc);
  return { wEnc, bEnc, wDec, bDec, logThreshold, sqErr };
}
