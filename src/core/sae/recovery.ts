// Ground-truth feature recovery (MCC, uniqueness) and cross-seed dictionary agreement (PW-MCC):
// one-to-one Hungarian matching on |cos| between decoder rows and true features (sae-libraries §4).
// Imports only from src/core (no DOM, WebGPU, Node).

import { InputError } from '../errors.ts';
import { maxWeightMatching } from '../math/hungarian.ts';
import type { GroundTruth } from './types.ts';

export interface FeatureRecovery {
  /** Hungarian one-to-one matching on |cos(wDec_i, g_j)|: (1/min(dSae, nTrue)) Σ_matched |cos|. */
  mcc: number;
  /** #{latents i : best(i) = argmax_j |cos(wDec_i, g_j)| exists and no other latent has the same best(i)} / dSae. A latent whose max |cos| is 0 (e.g. a zero decoder row) has no best match and is not unique. */
  uniqueness: number;
  /** |cos| of each true feature with its matched latent, 0 if unmatched. */
  matchedCos: Float32Array; // [nTrue]
  /** Latent matched to each true feature, −1 if unmatched (when dSae < nTrue). */
  match: Int32Array; // [nTrue]
}

export interface DictionaryMatch {
  /** (1/min(nA, nB)) Σ_matched |cos(a_i, b_match(i))|. */
  mcc: number;
  /** Row of B matched to each row of A, −1 if unmatched. */
  match: Int32Array; // [nA]
  /** |cos| of each row of A with its match, 0 if unmatched. */
  matchedCos: Float32Array; // [nA]
}

/**
 * |cos(a_i, b_j)|, zero-norm rows count as 0. a: [nA, dIn], b: [nB, dIn] row-major → [nA, nB] row-major.
 */
export function absCosineMatrix(a: Float32Array, nA: number, b: Float32Array, nB: number, dIn: number): Float64Array {
  if (a.length !== nA * dIn) throw new InputError(`cosine matrix: a: expected length ${nA}·${dIn} = ${nA * dIn}, got ${a.length}`);
  if (b.length !== nB * dIn) throw new InputError(`cosine matrix: b: expected length ${nB}·${dIn} = ${nB * dIn}, got ${b.length}`);
  const normA = new Float64Array(nA);
  const normB = new Float64Array(nB);
  for (let i = 0; i < nA; i++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += a[i * dIn + d] * a[i * dIn + d];
    normA[i] = Math.sqrt(s);
  }
  for (let j = 0; j < nB; j++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += b[j * dIn + d] * b[j * dIn + d];
    normB[j] = Math.sqrt(s);
  }
  const out = new Float64Array(nA * nB); // [nA, nB]
  for (let i = 0; i < nA; i++) {
    if (normA[i] === 0) continue;
    for (let j = 0; j < nB; j++) {
      if (normB[j] === 0) continue;
      let dot = 0;
      for (let d = 0; d < dIn; d++) dot += a[i * dIn + d] * b[j * dIn + d];
      out[i * nB + j] = Math.min(1, Math.abs(dot) / (normA[i] * normB[j]));
    }
  }
  return out;
}

/** Hungarian one-to-one matching of the rows of A to the rows of B maximising Σ |cos|. a: [nA, dIn], b: [nB, dIn]. */
export function matchDictionaries(a: Float32Array, nA: number, b: Float32Array, nB: number, dIn: number): DictionaryMatch {
  if (!Number.isInteger(nA) || nA < 1 || !Number.isInteger(nB) || nB < 1 || !Number.isInteger(dIn) || dIn < 1) {
    throw new InputError(`dictionary matching: shape: expected integers nA, nB, dIn ≥ 1, got ${nA}, ${nB}, ${dIn}`);
  }
  const sim = absCosineMatrix(a, nA, b, nB, dIn); // [nA, nB]
  const match = maxWeightMatching(sim, nA, nB); // [nA]
  const matchedCos = new Float32Array(nA); // [nA]
  let total = 0;
  for (let i = 0; i < nA; i++) {
    if (match[i] < 0) continue;
    const c = sim[i * nB + match[i]];
    matchedCos[i] = c;
    total += c;
  }
  return { mcc: total / Math.min(nA, nB), match, matchedCos };
}

/**
 * MCC and uniqueness of an SAE against the true features of a synthetic dataset.
 * wDec: [dSae, dIn]; truth.features: [nTrue, dIn] unit rows.
 */
export function featureRecovery(wDec: Float32Array, dSae: number, truth: GroundTruth, dIn: number): FeatureRecovery {
  const nTrue = truth.nFeatures;
  // Match true features (rows) to latents (columns) so `match` is indexed by true feature.
  const m = matchDictionaries(truth.features, nTrue, wDec, dSae, dIn);
  return { mcc: m.mcc, uniqueness: uniqueness(wDec, dSae, truth.features, nTrue, dIn), matchedCos: m.matchedCos, match: m.match };
}

/** See FeatureRecovery.uniqueness. wDec: [dSae, dIn], features: [nTrue, dIn]. */
function uniqueness(wDec: Float32Array, dSae: number, features: Float32Array, nTrue: number, dIn: number): number {
  const sim = absCosineMatrix(wDec, dSae, features, nTrue, dIn); // [dSae, nTrue]
  const best = new Int32Array(dSae).fill(-1); // [dSae] argmax_j |cos|, ties to the lower j; −1 if all 0
  const claims = new Int32Array(nTrue); // [nTrue] number of latents whose best match is j
  for (let i = 0; i < dSae; i++) {
    let bv = 0;
    for (let j = 0; j < nTrue; j++) {
      if (sim[i * nTrue + j] > bv) {
        bv = sim[i * nTrue + j];
        best[i] = j;
      }
    }
    if (best[i] >= 0) claims[best[i]]++;
  }
  let unique = 0;
  for (let i = 0; i < dSae; i++) if (best[i] >= 0 && claims[best[i]] === 1) unique++;
  return unique / dSae;
}

/** PW-MCC (Song et al. 2025): Hungarian matching on |cos(wDecA_i, wDecB_j)|, mean matched |cos| over min(dSaeA, dSaeB) pairs. wDecA: [dSaeA, dIn], wDecB: [dSaeB, dIn]. */
export function pairwiseMcc(wDecA: Float32Array, dSaeA: number, wDecB: Float32Array, dSaeB: number, dIn: number): number {
  return matchDictionaries(wDecA, dSaeA, wDecB, dSaeB, dIn).mcc;
}
