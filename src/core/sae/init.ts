// SAE initialisation and input scaling (sae-libraries §3.4): decoder rows Gaussian then unit norm,
// wEnc = wDec, bEnc = 0, bDec = geometric median (Weiszfeld) or mean of a sample; input scale
// s = √dIn / E‖x‖. Or the SplInterp scripts' initialisations (config `init`, seed-papers §3.7). Imports
// only src/core.
//
// The scripts' inits and our decoder-row normalisation: SGD (train.ts) renormalises every decoder row to
// unit norm after each Adam step, so under SGD a scripts' init sets the decoder's directions and the
// encoder's scale, and its decoder scale (0.01, 1/√m) is gone after the first step. PAM-SGD (pamTrain.ts)
// never renormalises (rows stay as solved), so its decoder keeps the init's scale until the first solve
// replaces it (before the first step when decoder-first). The tied baseline (tiedTrain.ts) uses D = Eᵀ,
// i.e. wDec = wEnc, whatever the init drew for wDec (the MNIST script's tied SGD has no separate D).

import type { BDecInit, ResolvedConfig } from './config.ts';
import type { Sae } from './types.ts';
import { zeroSae } from './types.ts';
import { createRng } from '../math/random.ts';
import { normalizeRows } from './optim.ts';

/** Mean of the rows of x: [rows, dIn] → [dIn]. */
export function rowMean(x: Float32Array, rows: number, dIn: number): Float64Array {
  const mu = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) mu[d] += x[t * dIn + d];
  for (let d = 0; d < dIn; d++) mu[d] /= Math.max(rows, 1);
  return mu;
}

/**
 * Geometric median of the rows of x (the point minimising Σ_t ‖x_t − m‖) by Weiszfeld's iteration,
 * started at the mean; stops after maxIter or when the step is below tol·(1 + ‖m‖). A row that
 * coincides with the iterate gets weight 1/1e-12 instead of 1/0.
 */
export function geometricMedian(x: Float32Array, rows: number, dIn: number, maxIter = 100, tol = 1e-5): Float64Array {
  let m = rowMean(x, rows, dIn);
  for (let it = 0; it < maxIter; it++) {
    const next = new Float64Array(dIn);
    let wSum = 0;
    for (let t = 0; t < rows; t++) {
      let dist = 0;
      for (let d = 0; d < dIn; d++) dist += (x[t * dIn + d] - m[d]) ** 2;
      const w = 1 / Math.max(Math.sqrt(dist), 1e-12);
      wSum += w;
      for (let d = 0; d < dIn; d++) next[d] += w * x[t * dIn + d];
    }
    let step = 0;
    let norm = 0;
    for (let d = 0; d < dIn; d++) {
      next[d] /= wSum;
      step += (next[d] - m[d]) ** 2;
      norm += next[d] ** 2;
    }
    m = next;
    if (Math.sqrt(step) <= tol * (1 + Math.sqrt(norm))) break;
  }
  return m;
}

/** s = √dIn / mean_t ‖x_t‖ (SAELens expected_average_only_in), so the scaled data has E‖s·x‖ = √dIn. */
export function expectedNormScale(x: Float32Array, rows: number, dIn: number): number {
  let s = 0;
  for (let t = 0; t < rows; t++) {
    let n = 0;
    for (let d = 0; d < dIn; d++) n += x[t * dIn + d] ** 2;
    s += Math.sqrt(n);
  }
  const mean = s / Math.max(rows, 1);
  return mean > 0 ? Math.sqrt(dIn) / mean : 1;
}

/** bDec from a sample in the SAE's scaled space. */
export function initBDec(method: BDecInit, sample: Float32Array, rows: number, dIn: number): Float64Array {
  switch (method) {
    case 'geometric-median':
      return geometricMedian(sample, rows, dIn);
    case 'mean':
      return rowMean(sample, rows, dIn);
    case 'zeros':
      return new Float64Array(dIn);
    default:
      return method satisfies never;
  }
}

/** The scripts' standard deviations (§3.7) of wEnc and wDec for `init` at this shape. */
export function splinterpInitStd(init: 'splinterp-mnist' | 'splinterp-llm', dIn: number, dSae: number): { enc: number; dec: number } {
  return init === 'splinterp-mnist' ? { enc: 0.1, dec: 0.01 } : { enc: 1 / Math.sqrt(dIn), dec: 1 / Math.sqrt(dSae) };
}

/**
 * A freshly initialised SAE. `sample` ([rows, dIn], raw units) sets the input scale (and bDec, init 'sae').
 * Randomness from createRng(seed). init 'sae': wDec ~ N(0, 1) entries, then rows normalised, wEnc = wDec,
 * bDec from bDecInit. init 'splinterp-*' (§3.7): wEnc entries then wDec entries drawn with the scripts'
 * standard deviations (splinterpInitStd), bEnc = bDec = 0 (bDecInit is not used: the scripts' biases are 0).
 * topkSelect 'abs-signed' (arch topk) marks the SAE sae.topkSigned.
 */
export function initSae(c: ResolvedConfig, dIn: number, sample: Float32Array, sampleRows: number): Sae {
  const sae = zeroSae(c.arch, dIn, c.dSae, c.k);
  const rng = createRng(c.seed);
  const { init } = c;
  if (init === 'sae') {
    for (let i = 0; i < sae.wDec.length; i++) sae.wDec[i] = rng.normal();
    normalizeRows(sae.wDec, c.dSae, dIn);
    sae.wEnc.set(sae.wDec);
  } else {
    const std = splinterpInitStd(init, dIn, c.dSae);
    for (let i = 0; i < sae.wEnc.length; i++) sae.wEnc[i] = std.enc * rng.normal();
    for (let i = 0; i < sae.wDec.length; i++) sae.wDec[i] = std.dec * rng.normal();
  }
  if (c.arch === 'topk' && c.topkSelect === 'abs-signed') sae.topkSigned = true;
  sae.inputScale = c.inputScaling === 'expected-norm' ? expectedNormScale(sample, sampleRows, dIn) : 1;
  if (init === 'sae') {
    const scaled = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) scaled[i] = sample[i] * sae.inputScale;
    sae.bDec.set(initBDec(c.bDecInit, scaled, sampleRows, dIn));
  }
  if (c.arch === 'jumprelu') sae.logThreshold.fill(Math.log(c.jumpreluInitThreshold));
  return sae;
}
