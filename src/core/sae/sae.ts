// The reference SAE forward pass: encoder, the four activations, decoder. Plain loops over
// Float32Array with f64 accumulation; this file is the specification every WGSL kernel is tested
// against. Imports only src/core. Math: shared/reference/seed-papers.md §1, sae-libraries.md §3.1.
//
// Legend: rows = tokens in the batch, dIn = input width, dSae = latents.
//   x:    [rows, dIn]  inputs in the SAE's (scaled) space
//   z:    [rows, dSae] pre-activations  z = wEnc·(x − bDec) + bEnc
//   f:    [rows, dSae] codes (dense; zero where inactive)
//   xHat: [rows, dIn]  reconstruction   x̂ = f·wDec + bDec

import type { Sae } from './types.ts';
import { clusterCodes } from '../cluster/model.ts';

/** z = (x − bDec)·wEncᵀ + bEnc.  x: [rows, dIn] → z: [rows, dSae]. */
export function encodePre(sae: Sae, x: Float32Array, rows: number): Float32Array {
  const { dIn, dSae, wEnc, bEnc, bDec } = sae;
  const z = new Float32Array(rows * dSae);
  const xc = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) {
    for (let d = 0; d < dIn; d++) xc[d] = x[t * dIn + d] - bDec[d];
    for (let i = 0; i < dSae; i++) {
      let acc = bEnc[i];
      const w = i * dIn;
      for (let d = 0; d < dIn; d++) acc += wEnc[w + d] * xc[d];
      z[t * dSae + i] = acc;
    }
  }
  return z;
}

/**
 * Indices of the k largest entries of row[offset .. offset+n), largest first; ties go to the lower
 * index (shared/DESIGN.md). `allowed`, when given, masks candidates (AuxK: dead latents only); fewer
 * than k allowed candidates gives a shorter result.
 */
export function topkRow(row: Float32Array, offset: number, n: number, k: number, allowed?: Uint8Array): number[] {
  const top: number[] = []; // sorted: value desc, index asc
  for (let j = 0; j < n; j++) {
    if (allowed && !allowed[j]) continue;
    const v = row[offset + j];
    if (top.length === k && !(v > row[offset + top[k - 1]])) continue; // equal value, higher index: loses the tie
    let p = top.length === k ? k - 1 : top.length;
    if (top.length < k) top.push(j);
    // insertion: move past entries strictly smaller (an equal earlier entry keeps its place)
    while (p > 0 && row[offset + top[p - 1]] < v) {
      top[p] = top[p - 1];
      p--;
    }
    top[p] = j;
  }
  return top;
}

/** TopK codes: per row keep the k largest z (ties → lower index), then ReLU (sae-libraries §3.1). */
export function topkCodes(z: Float32Array, rows: number, dSae: number, k: number): Float32Array {
  const f = new Float32Array(rows * dSae);
  for (let t = 0; t < rows; t++) {
    for (const i of topkRow(z, t * dSae, dSae, k)) f[t * dSae + i] = Math.max(0, z[t * dSae + i]);
  }
  return f;
}

/**
 * Signed TopK codes (the SplInterp scripts' sparsifier, seed-papers §3.6 "Sparsifier"; Sae.topkSigned): per
 * row keep the k largest |z| (ties → lower index, as topkRow) with their signs, no ReLU.
 * z: [rows, dSae] → f: [rows, dSae].
 */
export function signedTopkCodes(z: Float32Array, rows: number, dSae: number, k: number): Float32Array {
  const f = new Float32Array(rows * dSae);
  const abs = new Float32Array(dSae);
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < dSae; i++) abs[i] = Math.abs(z[t * dSae + i]);
    for (const i of topkRow(abs, 0, dSae, k)) f[t * dSae + i] = z[t * dSae + i];
  }
  return f;
}

/** TopK codes as `sae` selects them: signedTopkCodes when sae.topkSigned, else topkCodes. */
export function topkCodesOf(sae: Sae, z: Float32Array, rows: number): Float32Array {
  return sae.topkSigned === true ? signedTopkCodes(z, rows, sae.dSae, sae.k) : topkCodes(z, rows, sae.dSae, sae.k);
}

/**
 * BatchTopK training codes: keep the rows·k largest z over the whole batch (ties → lower flat
 * index), then ReLU. Returns the codes and the smallest positive kept value (0 if none), which feeds
 * the inference threshold's EMA.
 */
export function batchTopkCodes(z: Float32Array, rows: number, dSae: number, k: number): { f: Float32Array; minKept: number } {
  const n = rows * dSae;
  const keep = Math.min(n, rows * k);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => z[b] - z[a] || a - b);
  const f = new Float32Array(n);
  let minKept = Infinity;
  for (let r = 0; r < keep; r++) {
    const v = z[order[r]];
    if (v > 0) {
      f[order[r]] = v;
      if (v < minKept) minKept = v;
    }
  }
  return { f, minKept: minKept === Infinity ? 0 : minKept };
}

/** ReLU codes: f = max(z, 0). */
export function reluCodes(z: Float32Array): Float32Array {
  const f = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) f[i] = z[i] > 0 ? z[i] : 0;
  return f;
}

/** JumpReLU codes: f = z·[z > θ_i] with θ_i = exp(logThreshold_i) per latent (θ > 0, so this is also ≥ 0). */
export function jumpreluCodes(z: Float32Array, rows: number, dSae: number, logThreshold: Float32Array): Float32Array {
  const f = new Float32Array(rows * dSae);
  for (let i = 0; i < dSae; i++) {
    const theta = Math.exp(logThreshold[i]);
    for (let t = 0; t < rows; t++) {
      const v = z[t * dSae + i];
      if (v > theta) f[t * dSae + i] = v;
    }
  }
  return f;
}

/** Global-threshold codes (BatchTopK at inference, as SAELens loads it): f = z·[z > θ]. */
export function thresholdCodes(z: Float32Array, theta: number): Float32Array {
  const f = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) if (z[i] > theta) f[i] = z[i];
  return f;
}

/** Inference codes for any architecture (BatchTopK uses its learned threshold, not the batch). */
export function encode(sae: Sae, x: Float32Array, rows: number): { z: Float32Array; f: Float32Array } {
  const z = encodePre(sae, x, rows);
  switch (sae.arch) {
    case 'topk':
      return { z, f: topkCodesOf(sae, z, rows) };
    case 'batchtopk':
      return { z, f: thresholdCodes(z, sae.batchThreshold) };
    case 'relu':
      return { z, f: reluCodes(z) };
    case 'jumprelu':
      return { z, f: jumpreluCodes(z, rows, sae.dSae, sae.logThreshold) };
    case 'kmeans':
    case 'kflats':
      // The cluster families' selection is a residual argmin, not a function of z (src/core/cluster/model.ts).
      return { z, f: clusterCodes(sae, x, rows) };
    default:
      return sae.arch satisfies never;
  }
}

/**
 * x̂ = f·wDec (+ bDec when withBias). f: [rows, dSae] → xHat: [rows, dIn].
 * AuxK decodes without bDec (Gao et al. A.2; the double-bias bug was sparsify #132).
 */
export function decode(sae: Sae, f: Float32Array, rows: number, withBias = true): Float32Array {
  const { dIn, dSae, wDec, bDec } = sae;
  const xHat = new Float32Array(rows * dIn);
  const acc = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) {
    for (let d = 0; d < dIn; d++) acc[d] = withBias ? bDec[d] : 0;
    for (let i = 0; i < dSae; i++) {
      const c = f[t * dSae + i];
      if (c === 0) continue;
      const w = i * dIn;
      for (let d = 0; d < dIn; d++) acc[d] += c * wDec[w + d];
    }
    for (let d = 0; d < dIn; d++) xHat[t * dIn + d] = acc[d];
  }
  return xHat;
}

/** Multiplies x by s into a new array (the SAE's input scaling; s = 1 returns a copy). */
export function scaleInput(x: Float32Array, s: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * s;
  return out;
}
