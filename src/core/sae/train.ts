// The reference training loop: seeded batch order, one step = forward → loss → exact gradients →
// decoder-parallel removal → clip → Adam → decoder renormalisation → firing statistics
// (sae-libraries §3.4). The GPU trainer must match this step for step. Imports only src/core.

import type { ResolvedConfig, TrainConfig } from './config.ts';
import { DEFAULT_CONFIG, l1At, lrAt, resolveConfig, validateConfig } from './config.ts';
import type { Dataset, Sae } from './types.ts';
import { InputError } from '../errors.ts';
import { createRng, permutation } from '../math/random.ts';
import { deadMask, updateFiring } from './firing.ts';
import { initSae } from './init.ts';
import type { LossContext } from './loss.ts';
import { lossAndGrads, zeroGrads } from './loss.ts';
import type { AdamState } from './optim.ts';
import { adamStep, clipGradNorm, createAdam, normalizeRows, projectDecoderGrad } from './optim.ts';

/** Metrics of one step, measured on its batch before the update, in the SAE's scaled space. */
export interface StepStats {
  /** Steps done, 1-based. */
  step: number;
  /** Training tokens seen so far. */
  tokens: number;
  loss: number;
  /** Σ_d (x − x̂)², mean over the batch. */
  mse: number;
  /** AuxK term before α. */
  auxLoss: number;
  /** λ-weighted sparsity term (relu, jumprelu). */
  sparsityLoss: number;
  /** Mean active latents per token. */
  l0: number;
  /** Fraction of latents not fired for deadWindowTokens (after this step). */
  deadFraction: number;
  /** 1 − Σ‖x−x̂‖²/Σ‖x−μ_batch‖² on this batch. */
  explainedVariance: number;
  /** Learning rate used by this step. */
  lr: number;
  /** Gradient norm before clipping. */
  gradNorm: number;
}

/** Seeded order of batches: an epoch is a permutation of the rows; batches run across epoch ends. */
export interface BatchOrder {
  next(): Uint32Array; // [batch] row indices
}

export function createBatchOrder(rows: number, batch: number, seed: number): BatchOrder {
  const rng = createRng(seed ^ 0x5bd1e995);
  let perm = permutation(rows, rng);
  let pos = 0;
  return {
    next() {
      const out = new Uint32Array(batch);
      for (let b = 0; b < batch; b++) {
        if (pos === rows) {
          perm = permutation(rows, rng);
          pos = 0;
        }
        out[b] = perm[pos++];
      }
      return out;
    },
  };
}

/** Copies rows `idx` of x ([rows, dIn]) into a new [idx.length, dIn] array, times `scale`. */
export function gatherRows(x: Float32Array, dIn: number, idx: Uint32Array, scale = 1): Float32Array {
  const out = new Float32Array(idx.length * dIn);
  for (let b = 0; b < idx.length; b++) {
    const o = idx[b] * dIn;
    for (let d = 0; d < dIn; d++) out[b * dIn + d] = x[o + d] * scale;
  }
  return out;
}

/**
 * Σ_t ‖x_t − μ‖² over a batch x: [rows, dIn] (μ its mean, f64): the denominator of a step's explained
 * variance, 1 − Σ‖x − x̂‖² / this. Shared by every core trainer so their StepStats mean the same.
 */
export function batchVariance(x: Float32Array, rows: number, dIn: number): number {
  const mu = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) mu[d] += x[t * dIn + d] / rows;
  let tv = 0;
  for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) tv += (x[t * dIn + d] - mu[d]) ** 2;
  return tv;
}

export interface Trainer {
  readonly config: ResolvedConfig;
  /** The live parameters (mutated by each step). */
  readonly sae: Sae;
  /** Steps done. */
  readonly step: number;
  /** [dSae] tokens since each latent last fired (f > 0). */
  readonly tokensSinceFired: Float64Array;
  /** [dSae] tokens on which each latent fired. */
  readonly firingCounts: Float64Array;
  readonly adam: AdamState;
  trainStep(): StepStats;
}

/** Rows used to set the input scale and bDec. */
export const INIT_SAMPLE_ROWS = 4096;

/** The rows (a seeded sample of at most INIT_SAMPLE_ROWS) that set the input scale and bDec. */
export function initSampleRows(rows: number, dataSeed: number): Uint32Array {
  return permutation(rows, createRng(dataSeed ^ 0x27d4eb2f)).subarray(0, Math.min(rows, INIT_SAMPLE_ROWS));
}

export interface TrainerOptions {
  /** Seed of the batch order; defaults to config.seed. Ensemble members share one order. */
  batchOrderSeed?: number;
}

/** A trainer on `data` with `config` over DEFAULT_CONFIG. Throws InputError listing every config problem. */
export function createTrainer(data: Dataset, config: Partial<TrainConfig>, opts: TrainerOptions = {}): Trainer {
  const full: TrainConfig = { ...DEFAULT_CONFIG, ...config };
  const problems = validateConfig(full, data.dIn, data.rows);
  if (problems.length > 0) throw new InputError(`invalid training config: ${problems.join('; ')}`);
  const c = resolveConfig(full, data.dIn);
  const { dIn } = data;
  const dSae = c.dSae;

  // The data-side choices (init sample → input scale and bDec; batch order) follow the batch-order
  // seed, so ensemble members that share a batch order also share s and bDec and differ only in their
  // random weights — naive bagging (seed-papers §1 "Data order").
  const dataSeed = opts.batchOrderSeed ?? c.seed;
  const sampleRows = Math.min(data.rows, INIT_SAMPLE_ROWS);
  const sampleIdx = initSampleRows(data.rows, dataSeed);
  const sae = initSae(c, dIn, gatherRows(data.x, dIn, sampleIdx), sampleRows);

  const order = createBatchOrder(data.rows, c.batch, dataSeed);
  const adam = createAdam(sae);
  const grads = zeroGrads(sae);
  const tokensSinceFired = new Float64Array(dSae);
  const firingCounts = new Float64Array(dSae);
  const dead = new Uint8Array(dSae);
  let step = 0;
  let thresholdStarted = false;

  const trainStep = (): StepStats => {
    const B = c.batch;
    const x = gatherRows(data.x, dIn, order.next(), sae.inputScale);
    deadMask(tokensSinceFired, c.deadWindowTokens, dead);
    const ctx: LossContext = {
      l1Coefficient: l1At(c, step),
      bandwidth: c.jumpreluBandwidth,
      auxkCoefficient: c.auxkCoefficient,
      kAux: c.kAux,
      dead,
    };
    const r = lossAndGrads(sae, x, B, ctx, grads);
    projectDecoderGrad(sae.wDec, grads.wDec, dSae, dIn);
    const gNorm = clipGradNorm(grads, c.gradClipNorm);
    const lr = lrAt(c, step);
    adamStep(sae, grads, adam, { lr, beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEps });
    normalizeRows(sae.wDec, dSae, dIn);

    // Firing statistics from this step's codes (twin of shaders/firing.wgsl).
    const active = updateFiring(r.f, B, dSae, firingCounts, tokensSinceFired);
    const nDead = deadMask(tokensSinceFired, c.deadWindowTokens, dead);

    // BatchTopK inference threshold: EMA of the batch's smallest kept activation, started at the first value.
    if (sae.arch === 'batchtopk' && r.minKept > 0) {
      sae.batchThreshold = thresholdStarted ? sae.batchThreshold + c.batchTopkThresholdRate * (r.minKept - sae.batchThreshold) : r.minKept;
      thresholdStarted = true;
    }

    // Batch explained variance around the batch mean.
    const tv = batchVariance(x, B, dIn);
    step += 1;
    return {
      step,
      tokens: step * B,
      loss: r.loss,
      mse: r.mse,
      auxLoss: r.auxLoss,
      sparsityLoss: r.sparsityLoss,
      l0: active / B,
      deadFraction: nDead / dSae,
      explainedVariance: tv > 0 ? 1 - (r.mse * B) / tv : 0,
      lr,
      gradNorm: gNorm,
    };
  };

  return {
    config: c,
    sae,
    get step() {
      return step;
    },
    tokensSinceFired,
    firingCounts,
    adam,
    trainStep,
  };
}
