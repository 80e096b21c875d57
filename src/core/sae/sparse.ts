// The sparse twins of the TopK step's decoder and backward pass: the specification of shaders/decode.wgsl,
// decodeBackward.wgsl, latentIndex.wgsl, weightGrad.wgsl and bDecGrad.wgsl, on the GPU's buffer layouts
// (member axis, [batch, M, k] slots). Plain loops, f64 accumulation, one f32 rounding per output.
// Imports only src/core. Composed, they give the TopK gradients of loss.ts:lossAndGrads (test/core/sparse.test.ts).
//
// Legend: M members, N = M·dSae global latents (m = j·dSae + i), slot (b, j, s) at (b·M + j)·k + s.
//   x     [batch, dIn]      idx, val [batch, M, k] (idx within the member; EMPTY_SLOT and val 0 = no latent)
//   wDec, wEnc [N, dIn]     bDec [M, dIn]      xHat, e [M, batch, dIn]      sqErr [M, batch]

import { topkRow } from './sae.ts';

/** idx of an empty slot (AuxK with fewer dead latents than kAux); its val is 0. */
export const EMPTY_SLOT = 0xffffffff;

/** Sizes shared by every sparse kernel. k = slots per (row, member): k for the main term, kAux for AuxK. */
export interface SparseSizes {
  batch: number;
  /** Ensemble members. */
  M: number;
  dIn: number;
  dSae: number;
  k: number;
}

/**
 * Per (row, member): the top-`k` latents of z (value desc, ties → lower index; topkRow), val = ReLU(z).
 * `allowed` [N] (AuxK: dead latents) masks candidates; slots past the candidates are EMPTY_SLOT / 0.
 * z: [batch, N] → idx, val: [batch, M, k].
 */
export function topkSlots(z: Float32Array, s: SparseSizes, allowed?: Uint8Array): { idx: Uint32Array; val: Float32Array } {
  const { batch, M, dSae, k } = s;
  const N = M * dSae;
  const idx = new Uint32Array(batch * M * k).fill(EMPTY_SLOT);
  const val = new Float32Array(batch * M * k);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < M; j++) {
      const mask = allowed?.subarray(j * dSae, (j + 1) * dSae);
      topkRow(z, b * N + j * dSae, dSae, k, mask).forEach((i, r) => {
        idx[(b * M + j) * k + r] = i;
        val[(b * M + j) * k + r] = Math.max(0, z[b * N + j * dSae + i]);
      });
    }
  }
  return { idx, val };
}

export interface DecodeOptions {
  /** Add bDec (main term); AuxK decodes without it. */
  withBias: boolean;
  /** Elements between members' targets: 0 for the shared x [batch, dIn]; batch·dIn for a [M, batch, dIn] target. */
  targetMemberStride: number;
  /** e = xHat − targetScale·target: 1 for the main term (target x), −1 for AuxK (target e_main = x̂ − x). */
  targetScale: number;
}

/**
 * Twin of shaders/decode.wgsl:
 *   xHat[j, b, :] = (withBias ? bDec[j, :] : 0) + Σ_s val[b, j, s]·wDec[j·dSae + idx[b, j, s], :]
 *   e[j, b, :]    = xHat[j, b, :] − targetScale·target[j·targetMemberStride + b·dIn + :]   (from the f32 xHat)
 *   sqErr[j, b]   = Σ_d e[j, b, d]²                                                          (from the f32 e)
 * Empty slots (idx ≥ dSae, e.g. EMPTY_SLOT) add nothing.
 */
export function decodeSparse(
  s: SparseSizes,
  wDec: Float32Array,
  bDec: Float32Array,
  idx: Uint32Array,
  val: Float32Array,
  target: Float32Array,
  opts: DecodeOptions,
): { xHat: Float32Array; e: Float32Array; sqErr: Float32Array } {
  const { batch, M, dIn, dSae, k } = s;
  const xHat = new Float32Array(M * batch * dIn);
  const e = new Float32Array(M * batch * dIn);
  const sqErr = new Float32Array(M * batch);
  const acc = new Float64Array(dIn);
  for (let j = 0; j < M; j++) {
    for (let b = 0; b < batch; b++) {
      for (let d = 0; d < dIn; d++) acc[d] = opts.withBias ? bDec[j * dIn + d] : 0;
      for (let t = 0; t < k; t++) {
        const q = (b * M + j) * k + t;
        const i = idx[q];
        if (i >= dSae) continue;
        const w = (j * dSae + i) * dIn;
        for (let d = 0; d < dIn; d++) acc[d] += val[q] * wDec[w + d];
      }
      const o = (j * batch + b) * dIn;
      const tg = j * opts.targetMemberStride + b * dIn;
      let sq = 0;
      for (let d = 0; d < dIn; d++) {
        xHat[o + d] = acc[d];
        e[o + d] = xHat[o + d] - opts.targetScale * target[tg + d];
        sq += e[o + d] * e[o + d];
      }
      sqErr[j * batch + b] = sq;
    }
  }
  return { xHat, e, sqErr };
}

/**
 * Twin of shaders/decodeBackward.wgsl: ∂L/∂z at the selected entries,
 *   gVal[b, j, s] = (2/batch)·coeff·memberScale[j]·dot(e[j, b, :], wDec[j·dSae + idx[b, j, s], :]),
 * 0 where the slot is empty or val ≤ 0 (ReLU'd away). coeff: 1 for the main term, α for AuxK;
 * memberScale [M]: AuxK's min(nDead_j/kAux, 1) per member (omitted = 1).
 */
export function decodeBackwardSparse(
  s: SparseSizes,
  e: Float32Array,
  wDec: Float32Array,
  idx: Uint32Array,
  val: Float32Array,
  coeff: number,
  memberScale?: Float32Array,
): Float32Array {
  const { batch, M, dIn, dSae, k } = s;
  const gVal = new Float32Array(batch * M * k);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < M; j++) {
      const factor = (2 / batch) * coeff * (memberScale ? memberScale[j] : 1);
      for (let t = 0; t < k; t++) {
        const q = (b * M + j) * k + t;
        const i = idx[q];
        if (i >= dSae || !(val[q] > 0)) continue;
        const w = (j * dSae + i) * dIn;
        const o = (j * batch + b) * dIn;
        let dot = 0;
        for (let d = 0; d < dIn; d++) dot += e[o + d] * wDec[w + d];
        gVal[q] = factor * dot;
      }
    }
  }
  return gVal;
}

/** Per-latent segments of the slots: CSR over the N global latents. */
export interface LatentSegments {
  /** [N + 1] u32: latent m's entries are entries[offsets[m] .. offsets[m+1]). */
  offsets: Uint32Array;
  /** [batch·M·k] u32, the first offsets[N] used: b·k + s, ascending within each segment (row, then slot). */
  entries: Uint32Array;
}

/** Twin of shaders/latentIndex.wgsl (clear, count, scan, scatter, sortSegments): a stable counting sort by latent. */
export function latentSegments(s: SparseSizes, idx: Uint32Array): LatentSegments {
  const { batch, M, dSae, k } = s;
  const N = M * dSae;
  const offsets = new Uint32Array(N + 1);
  const entries = new Uint32Array(batch * M * k);
  for (let q = 0; q < batch * M * k; q++) {
    const i = idx[q];
    if (i < dSae) offsets[Math.floor(q / k) % M * dSae + i + 1]++;
  }
  for (let m = 0; m < N; m++) offsets[m + 1] += offsets[m];
  const cursor = offsets.slice(0, N);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < M; j++) {
      for (let t = 0; t < k; t++) {
        const i = idx[(b * M + j) * k + t];
        if (i < dSae) entries[cursor[j * dSae + i]++] = b * k + t;
      }
    }
  }
  return { offsets, entries };
}

export interface SegmentGradOptions {
  /** Elements between members' src rows: batch·dIn for e [M, batch, dIn], 0 for the shared x [batch, dIn]. */
  srcMemberStride: number;
  /** Subtract bDec[j, :] from each src row (the encoder input x − bDec). */
  bias?: Float32Array;
  /** Multiplies every coef: (2/batch)·coeff for the decoder gradient, 1 for the encoder's. */
  factor: number;
  /** [M] per-member multiplier (AuxK scale), omitted = 1. */
  memberScale?: Float32Array;
  /** Add to out / outSum instead of overwriting them (the AuxK term after the main one). */
  accumulate: boolean;
}

/**
 * Twin of shaders/weightGrad.wgsl. For each global latent m (member j = ⌊m/dSae⌋), over its segment in order:
 *   out[m, :]  (+)= Σ_{(b,s)} c·(src[j·srcMemberStride + b·dIn + :] − bias[j, :]),  c = factor·memberScale[j]·coef[b, j, s]
 *   outSum[m]  (+)= Σ_{(b,s)} c
 * The sum is rounded to f32 once, then (accumulate) added to the f32 value already there. Latents with an
 * empty segment get 0 (or keep their value when accumulating).
 * Decoder: coef = val, src = e → dWDec.  Encoder: coef = gVal, src = x, bias = bDec → dWEnc, dBEnc.
 */
export function segmentGrad(
  s: SparseSizes,
  seg: LatentSegments,
  coef: Float32Array,
  src: Float32Array,
  opts: SegmentGradOptions,
  out: Float32Array,
  outSum?: Float32Array,
): void {
  const { M, dIn, dSae, k } = s;
  const N = M * dSae;
  const acc = new Float64Array(dIn);
  for (let m = 0; m < N; m++) {
    const j = Math.floor(m / dSae);
    const f = opts.factor * (opts.memberScale ? opts.memberScale[j] : 1);
    acc.fill(0);
    let sum = 0;
    for (let p = seg.offsets[m]; p < seg.offsets[m + 1]; p++) {
      const b = Math.floor(seg.entries[p] / k);
      const t = seg.entries[p] % k;
      const c = f * coef[(b * M + j) * k + t];
      sum += c;
      const r = j * opts.srcMemberStride + b * dIn;
      for (let d = 0; d < dIn; d++) acc[d] += c * (src[r + d] - (opts.bias ? opts.bias[j * dIn + d] : 0));
    }
    for (let d = 0; d < dIn; d++) out[m * dIn + d] = opts.accumulate ? out[m * dIn + d] + Math.fround(acc[d]) : acc[d];
    if (outSum) outSum[m] = opts.accumulate ? outSum[m] + Math.fround(sum) : sum;
  }
}

/**
 * Twin of shaders/bDecGrad.wgsl: dBDec[j, d] = (2/batch)·Σ_b e[j, b, d] − Σ_{i<dSae} dBEnc[j·dSae + i]·wEnc[j·dSae + i, d].
 * The first part is the decoder bias of the main term (AuxK decodes without bDec); the second is bDec's
 * path through the encoder input x − bDec, for the main and AuxK terms at once (dBEnc holds both).
 */
export function bDecGradSparse(s: SparseSizes, e: Float32Array, dBEnc: Float32Array, wEnc: Float32Array): Float32Array {
  const { batch, M, dIn, dSae } = s;
  const dBDec = new Float32Array(M * dIn);
  for (let j = 0; j < M; j++) {
    for (let d = 0; d < dIn; d++) {
      let se = 0;
      for (let b = 0; b < batch; b++) se += e[(j * batch + b) * dIn + d];
      let sw = 0;
      for (let i = 0; i < dSae; i++) sw += dBEnc[j * dSae + i] * wEnc[(j * dSae + i) * dIn + d];
      dBDec[j * dIn + d] = (2 / batch) * se - sw;
    }
  }
  return dBDec;
}
