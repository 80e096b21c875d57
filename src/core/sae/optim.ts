// The reference optimiser pieces, in the order the step applies them (sae-libraries §3.4):
// remove the decoder-parallel gradient → clip the global norm → Adam → renormalise decoder rows.
// Elementwise loops; imports only src/core.

import type { Sae } from './types.ts';
import type { SaeGrads } from './loss.ts';

/** For each latent i: gDec_i ← gDec_i − (gDec_i·w_i / ‖w_i‖²)·w_i, so the step keeps ‖wDec_i‖ to first order. */
export function projectDecoderGrad(wDec: Float32Array, gDec: Float32Array, dSae: number, dIn: number): void {
  for (let i = 0; i < dSae; i++) {
    const o = i * dIn;
    let dot = 0;
    let nn = 0;
    for (let d = 0; d < dIn; d++) {
      dot += gDec[o + d] * wDec[o + d];
      nn += wDec[o + d] * wDec[o + d];
    }
    if (nn === 0) continue;
    const c = dot / nn;
    for (let d = 0; d < dIn; d++) gDec[o + d] -= c * wDec[o + d];
  }
}

/** The trainable tensors of `g`, in a fixed order (the GPU engine uses the same order). */
export function gradList(g: SaeGrads): Float32Array[] {
  return [g.wEnc, g.bEnc, g.wDec, g.bDec, g.logThreshold];
}

/** Global L2 norm of all gradients. */
export function gradNorm(g: SaeGrads): number {
  let s = 0;
  for (const a of gradList(g)) for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Scales all gradients by maxNorm/‖g‖ when ‖g‖ > maxNorm (maxNorm 0 = off). Returns the norm before clipping. */
export function clipGradNorm(g: SaeGrads, maxNorm: number): number {
  const n = gradNorm(g);
  if (maxNorm > 0 && n > maxNorm) {
    const c = maxNorm / n;
    for (const a of gradList(g)) for (let i = 0; i < a.length; i++) a[i] *= c;
  }
  return n;
}

/** Adam moments, one pair per parameter tensor (same order as gradList). */
export interface AdamState {
  m: Float32Array[];
  v: Float32Array[];
  /** Steps taken (t in the bias correction). */
  t: number;
}

export function createAdam(sae: Sae): AdamState {
  const sizes = [sae.wEnc.length, sae.bEnc.length, sae.wDec.length, sae.bDec.length, sae.logThreshold.length];
  return { m: sizes.map((n) => new Float32Array(n)), v: sizes.map((n) => new Float32Array(n)), t: 0 };
}

/** The parameter tensors of `sae`, in gradList order. */
export function paramList(sae: Sae): Float32Array[] {
  return [sae.wEnc, sae.bEnc, sae.wDec, sae.bDec, sae.logThreshold];
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * Bias-corrected Adam (Kingma & Ba): m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − lr·m̂/(√v̂ + ε) with m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ).
 */
export function adamStep(sae: Sae, g: SaeGrads, s: AdamState, h: AdamHyper): void {
  s.t += 1;
  const c1 = 1 - h.beta1 ** s.t;
  const c2 = 1 - h.beta2 ** s.t;
  const ps = paramList(sae);
  const gs = gradList(g);
  for (let j = 0; j < ps.length; j++) {
    const p = ps[j];
    const gj = gs[j];
    const m = s.m[j];
    const v = s.v[j];
    for (let i = 0; i < p.length; i++) {
      const gi = gj[i];
      m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
      v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
      const mHat = m[i] / c1;
      const vHat = v[i] / c2;
      p[i] -= (h.lr * mHat) / (Math.sqrt(vHat) + h.eps);
    }
  }
}

/** Rescales each row of w ([rows, cols]) to unit L2 norm; zero rows stay zero. */
export function normalizeRows(w: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let d = 0; d < cols; d++) s += w[i * cols + d] ** 2;
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < cols; d++) w[i * cols + d] *= inv;
  }
}
