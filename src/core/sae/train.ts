// The reference training loop: seeded batch order, one step = forward → loss → exact gradients →
// decoder-parallel removal → clip → Adam → decoder renormalisation → firing statistics
// (sae-libraries §3.4). The GPU trainer must match this step for step. Imports only src/core.

import type { ResolvedConfig, TrainConfig } from './config.ts';
import { DEFAULT_CONFIG, l1At, lrAt, resolveConfig, validateConfig } from './config.ts';
import type { Dataset, Sae } from './types.ts';
import { cloneSae } from './types.ts';
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
  /** Where the order is (checkpoint.ts): enough to rebuild it exactly with createBatchOrder(…, state). */
  state(): BatchOrderState;
}

/**
 * A batch order's position: its seed, how many epoch permutations it has drawn, and the next row's index in
 * the current one. The RNG is not saved: the permutations are redrawn from the seed on restore, which costs
 * O(rows·epochs) — less than the training already done over those epochs — and needs nothing from the RNG.
 */
export interface BatchOrderState {
  rows: number;
  batch: number;
  seed: number;
  /** Permutations drawn so far (≥ 1: the first is drawn at creation). */
  epochs: number;
  /** Index in the current permutation of the next row (0..rows). */
  pos: number;
}

/** resume: a state from state() of an order with the same rows, batch and seed (the caller checks; see checkpoint.ts). */
export function createBatchOrder(rows: number, batch: number, seed: number, resume?: BatchOrderState): BatchOrder {
  const rng = createRng(seed ^ 0x5bd1e995);
  let perm = permutation(rows, rng);
  let epochs = 1;
  let pos = 0;
  if (resume) {
    for (; epochs < resume.epochs; epochs++) perm = permutation(rows, rng);
    pos = resume.pos;
  }
  return {
    next() {
      const out = new Uint32Array(batch);
      for (let b = 0; b < batch; b++) {
        if (pos === rows) {
          perm = permutation(rows, rng);
          epochs++;
          pos = 0;
        }
        out[b] = perm[pos++];
      }
      return out;
    },
    state: () => ({ rows, batch, seed, epochs, pos }),
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

/** A step's StepStats from what the step measured (every core trainer reports the same fields the same way). */
export function stepStatsOf(m: {
  step: number;
  batch: number;
  loss: number;
  mse: number;
  auxLoss: number;
  sparsityLoss: number;
  /** Fires in the batch and dead latents after the step. */
  active: number;
  nDead: number;
  dSae: number;
  /** batchVariance of the batch. */
  totalVariance: number;
  lr: number;
  gradNorm: number;
}): StepStats {
  const B = m.batch;
  return {
    step: m.step,
    tokens: m.step * B,
    loss: m.loss,
    mse: m.mse,
    auxLoss: m.auxLoss,
    sparsityLoss: m.sparsityLoss,
    l0: m.active / B,
    deadFraction: m.nDead / m.dSae,
    explainedVariance: m.totalVariance > 0 ? 1 - (m.mse * B) / m.totalVariance : 0,
    lr: m.lr,
    gradNorm: m.gradNorm,
  };
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

/**
 * Everything an SGD trainer needs to continue bit-identically (checkpoint.ts writes it to a file): the
 * parameters, Adam, the firing statistics, BatchTopK's threshold state and the batch order's position.
 */
export interface TrainerState {
  step: number;
  sae: Sae;
  adam: AdamState;
  firingCounts: Float64Array;
  tokensSinceFired: Float64Array;
  /** batchtopk: the threshold EMA has its first value (before it, the next batch sets it outright). */
  thresholdStarted: boolean;
  order: BatchOrderState;
}

/** A copy of a trainer's live state (its arrays cloned): what state() returns, for this trainer and the wasm engine's. */
export function trainerStateOf(live: TrainerState): TrainerState {
  const { adam } = live;
  return {
    ...live,
    sae: cloneSae(live.sae),
    adam: { m: adam.m.map((a) => a.slice()), v: adam.v.map((a) => a.slice()), t: adam.t },
    firingCounts: live.firingCounts.slice(),
    tokensSinceFired: live.tokensSinceFired.slice(),
  };
}

/** The SGD trainer (createTrainer): a Trainer whose state can be saved. PAM-SGD's is not one (yet). */
export interface ResumableTrainer extends Trainer {
  /** A copy of the state now: later steps do not change it. */
  state(): TrainerState;
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
  /**
   * Continue from this state (checkpoint.ts) instead of step 0: same data and config as the run that saved
   * it (the checkpoint reader checks both and names what differs). SGD only: PAM-SGD ignores it.
   */
  resumeFrom?: TrainerState;
}

/** A trainer on `data` with `config` over DEFAULT_CONFIG. Throws InputError listing every config problem. */
export function createTrainer(data: Dataset, config: Partial<TrainConfig>, opts: TrainerOptions = {}): ResumableTrainer {
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

  const r0 = opts.resumeFrom;
  if (r0) checkResumable(r0, c, data, dataSeed);
  const order = createBatchOrder(data.rows, c.batch, dataSeed, r0?.order);
  const adam = createAdam(sae);
  const grads = zeroGrads(sae);
  const tokensSinceFired = new Float64Array(dSae);
  const firingCounts = new Float64Array(dSae);
  const dead = new Uint8Array(dSae);
  let step = 0;
  let thresholdStarted = false;
  if (r0) {
    // The init above ran as for a fresh run (cheap, and keeps one code path); the saved state replaces it.
    setParams(sae, r0.sae);
    r0.adam.m.forEach((m, j) => adam.m[j].set(m));
    r0.adam.v.forEach((v, j) => adam.v[j].set(v));
    adam.t = r0.adam.t;
    tokensSinceFired.set(r0.tokensSinceFired);
    firingCounts.set(r0.firingCounts);
    step = r0.step;
    thresholdStarted = r0.thresholdStarted;
  }

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
    return stepStatsOf({ step, batch: B, loss: r.loss, mse: r.mse, auxLoss: r.auxLoss, sparsityLoss: r.sparsityLoss, active, nDead, dSae, totalVariance: tv, lr, gradNorm: gNorm });
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
    state: () => trainerStateOf({ step, sae, adam, firingCounts, tokensSinceFired, thresholdStarted, order: order.state() }),
  };
}

/** Copies src's parameters into dst (same shape). */
function setParams(dst: Sae, src: Sae): void {
  dst.wEnc.set(src.wEnc);
  dst.bEnc.set(src.bEnc);
  dst.wDec.set(src.wDec);
  dst.bDec.set(src.bDec);
  dst.logThreshold.set(src.logThreshold);
  dst.batchThreshold = src.batchThreshold;
  dst.inputScale = src.inputScale;
}

/** Throws an InputError naming the first way `s` cannot continue a trainer of config `c` on `data` (the file reader checks first; this guards direct callers). */
function checkResumable(s: TrainerState, c: ResolvedConfig, data: Dataset, seed: number): void {
  const bad = (field: string, want: string | number, got: string | number): InputError =>
    new InputError(`resumeFrom: ${field}: expected ${want}, got ${got}: resume with the data and config the state was saved from`);
  const e = s.sae;
  if (e.arch !== c.arch) throw bad('sae.arch', c.arch, e.arch);
  if (e.dIn !== data.dIn) throw bad('sae.dIn', data.dIn, e.dIn);
  if (e.dSae !== c.dSae) throw bad('sae.dSae', c.dSae, e.dSae);
  if (s.order.rows !== data.rows) throw bad('order.rows', data.rows, s.order.rows);
  if (s.order.batch !== c.batch) throw bad('order.batch', c.batch, s.order.batch);
  if (s.order.seed !== seed) throw bad('order.seed', seed, s.order.seed);
  if (!(s.order.epochs >= 1 && s.order.pos >= 0 && s.order.pos <= data.rows)) throw bad('order', `epochs ≥ 1, pos in [0, ${data.rows}]`, `epochs ${s.order.epochs}, pos ${s.order.pos}`);
  if (s.step > c.steps) throw bad('step', `at most steps = ${c.steps}`, s.step);
}
