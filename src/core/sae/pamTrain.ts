// The PAM-SGD reference trainer (SplInterp; seed-papers §3.6): the encoder by Adam with a stay-close
// term, the decoder by the exact closed-form solve of pam.ts once per epoch. Same Trainer shape as
// train.ts's createTrainer (a drop-in for the engine's trainer factory); same init, batch order, firing
// statistics and StepStats. Imports only src/core.
//
// One trainStep() = one encoder batch: pamUpdatesPerBatch Adam updates on the same batch (the scripts'
// sgd_updates_per_batch), each minimising
//   (1/B)·Σ_batch ‖x − x̂‖² (+ sparsity) + μ_enc·‖E − E_t‖² + ν_enc·‖b_enc − b_enc,t‖²     (μ_enc = ν_enc = pamProxEnc)
// with (E_t, b_enc,t) the encoder at the start of the epoch, the gradient clipped to gradClipNorm. An
// epoch is ceil(rows / batch) steps of the usual batch order. At each epoch boundary the decoder is
// solved over all training rows, streamed in PAM_SOLVE_CHUNK_ROWS chunks: after the epoch's steps
// ('encoder-first': the paper's iteration, the MNIST script) or before them, the first epoch included
// ('decoder-first': the LLM script).
//
// What differs from the SGD step, and why:
// - The decoder (wDec, bDec) gets zero gradients: Adam's moments stay exactly 0 and the update is exactly
//   0, so only the solve moves it. No decoder-parallel projection and no row renormalisation: the solve
//   is the exact minimiser and rescaling a row would undo it. Decoder rows therefore leave unit norm.
//   TopK's ranking reads only the encoder, so the forward pass is unaffected; the decoder-norm-weighted
//   L1 of the SGD recipe would be, so ReLU uses the paper's plain λ·Σ|z| (addPlainL1) and F stays a
//   quadratic in the decoder. The SAELens export (formats/saelens.ts toSaeLens) folds the row norms into
//   the encoder for relu/jumprelu and, for TopK, only when they all agree; otherwise it writes W_dec as is
//   with rescale_acts_by_decoder_norm false. Either way the exported SAE computes the same function.
// - No AuxK: F has no auxiliary term (§3.6), and its gradient would flow into the decoder, which the
//   encoder block must not move. auxkCoefficient is ignored; StepStats.auxLoss is 0.
// - The stay-close term on b_enc is in the paper's coordinates. Our encoder is wEnc·(x − bDec) + bEnc,
//   the paper's E·x + b_enc, so b_enc = bEnc − wEnc·bDec (pam.ts, file comment); the anchor is kept in
//   those coordinates, and the solve's bias fold keeps b_enc unchanged, so a solve never pulls the encoder.

import type { TrainConfig } from './config.ts';
import { DEFAULT_CONFIG, l1At, lrAt, pamSolveRows, resolveConfig, validateConfig } from './config.ts';
import { createRng, permutation } from '../math/random.ts';
import type { Dataset, Sae } from './types.ts';
import { InputError } from '../errors.ts';
import { deadMask, updateFiring } from './firing.ts';
import { initSae } from './init.ts';
import type { LossContext, SaeGrads } from './loss.ts';
import { lossAndGrads, zeroGrads } from './loss.ts';
import { adamStep, clipGradNorm, createAdam } from './optim.ts';
import type { DecoderCoefficients } from './pam.ts';
import type { DecoderStats } from './pam.ts';
import { applyDecoderSolve, createDecoderStats, decoderObjective, solveDecoder } from './pam.ts';
import { decode, encode } from './sae.ts';
import type { StepStats, Trainer, TrainerOptions } from './train.ts';
import { batchVariance, stepStatsOf, createBatchOrder, gatherRows, initSampleRows, INIT_SAMPLE_ROWS } from './train.ts';

/** Rows per chunk of the decoder solve's pass over the training set (the MNIST script's 1024). */
export const PAM_SOLVE_CHUNK_ROWS = 1024;

/** One decoder solve, for the loss curve's markers and the descent check. Values in the SAE's scaled space. */
export interface DecoderSolveRecord {
  /** Steps done when the solve ran (0: before the first step, decoder-first). */
  step: number;
  /** Training rows streamed (N). */
  rows: number;
  /** The data term (1/N)·Σ‖x − x̂‖² over all rows, before and after. */
  mseBefore: number;
  mseAfter: number;
  /** The decoder block's F (config.ts TrainConfig, pam.ts) before (at D_t, where the stay-close terms are 0) and after. */
  objectiveBefore: number;
  objectiveAfter: number;
}

/** A Trainer whose decoder is solved in closed form at epoch boundaries. */
export interface PamTrainer extends Trainer {
  /** Steps per epoch: ceil(rows / batch). */
  readonly stepsPerEpoch: number;
  /** Every decoder solve so far, in order. */
  readonly solves: readonly DecoderSolveRecord[];
  /** Solves the decoder now, e.g. after a last partial epoch so the decoder is exact for the final encoder (a pending solve is completed). */
  solveDecoderNow(): DecoderSolveRecord;
  /**
   * false (default): each epoch-boundary solve runs inside trainStep, in one piece. true: trainStep leaves the
   * boundary solve due (solveDue) for the caller to advance with solveWork between steps (the engine's
   * cpuTrainer.ts, within its time budget); a due solve the caller did not finish runs in full at the next
   * trainStep, so the steps and the solves are the same either way, bit for bit.
   */
  deferSolves: boolean;
  /** Whether a boundary solve is due or under way: the next trainStep runs it first (deferSolves only). */
  readonly solveDue: boolean;
  /**
   * Advances the due solve by one piece: the statistics over at least one and about `budgetRows` more rows
   * (whole PAM_SOLVE_CHUNK_ROWS chunks), or, once every row is in, the Cholesky, the objective and the install
   * (one piece: ~m³/3 + 2m²·dIn flops, ≈ 1.1e9 at m = 1024, dIn = 512). Returns whether a solve is still due.
   */
  solveWork(budgetRows: number): boolean;
}

/** The encoder at the start of an epoch, in the paper's coordinates: E_t = wEnc, b_enc,t = bEnc − wEnc·bDec. */
export interface EncoderAnchor {
  wEnc: Float32Array; // [dSae, dIn]
  bEnc: Float64Array; // [dSae] paper's b_enc
}

/** b_enc = bEnc − wEnc·bDec ([dSae] f64): the encoder bias of the paper's model z = ρ(E·x + b_enc). */
export function paperEncoderBias(sae: Sae): Float64Array {
  const { dIn, dSae, wEnc, bEnc, bDec } = sae;
  const b = new Float64Array(dSae);
  for (let i = 0; i < dSae; i++) {
    let s = bEnc[i];
    for (let d = 0; d < dIn; d++) s -= wEnc[i * dIn + d] * bDec[d];
    b[i] = s;
  }
  return b;
}

export function encoderAnchor(sae: Sae): EncoderAnchor {
  return { wEnc: sae.wEnc.slice(), bEnc: paperEncoderBias(sae) };
}

/**
 * Adds the gradient of P = μ‖wEnc − E_t‖² + μ‖b_enc − b_enc,t‖² (b_enc = bEnc − wEnc·bDec) to `grads`
 * and returns P. With r = b_enc − b_enc,t: ∂P/∂bEnc = 2μr, ∂P/∂wEnc_i = 2μ(wEnc_i − E_t,i) − 2μ·r_i·bDec.
 */
export function addEncoderProx(sae: Sae, anchor: EncoderAnchor, mu: number, grads: SaeGrads): number {
  if (mu === 0) return 0;
  const { dIn, dSae, wEnc, bDec } = sae;
  const r = paperEncoderBias(sae);
  let p = 0;
  for (let i = 0; i < dSae; i++) {
    r[i] -= anchor.bEnc[i];
    p += r[i] * r[i];
    grads.bEnc[i] += 2 * mu * r[i];
    const o = i * dIn;
    for (let d = 0; d < dIn; d++) {
      const dw = wEnc[o + d] - anchor.wEnc[o + d];
      p += dw * dw;
      grads.wEnc[o + d] += 2 * mu * (dw - r[i] * bDec[d]);
    }
  }
  return mu * p;
}

/**
 * relu: the paper's plain L1, λ·(1/B)·Σ_t Σ_i f_ti, added to `grads` (f = ReLU(z), ∂f/∂z = 1 where
 * f > 0; z = wEnc·(x − bDec) + bEnc). Returns the term. x: [rows, dIn], f: [rows, dSae].
 */
export function addPlainL1(sae: Sae, x: Float32Array, f: Float32Array, rows: number, lambda: number, grads: SaeGrads): number {
  if (lambda === 0) return 0;
  const { dIn, dSae, bDec } = sae;
  const c = lambda / rows;
  let s = 0;
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < dSae; i++) {
      const v = f[t * dSae + i];
      if (!(v > 0)) continue;
      s += v;
      grads.bEnc[i] += c;
      const o = i * dIn;
      for (let d = 0; d < dIn; d++) grads.wEnc[o + d] += c * (x[t * dIn + d] - bDec[d]);
    }
  }
  return c * s;
}

/** A PAM-SGD trainer on `data` with `config` over DEFAULT_CONFIG (trainer 'pam-sgd'). Throws InputError listing every config problem. */
export function createPamTrainer(data: Dataset, config: Partial<TrainConfig>, opts: TrainerOptions = {}): PamTrainer {
  if (config.trainer !== undefined && config.trainer !== 'pam-sgd') throw new Error(`createPamTrainer: config.trainer is "${config.trainer}", expected pam-sgd`);
  const full: TrainConfig = { ...DEFAULT_CONFIG, ...config, trainer: 'pam-sgd' };
  const problems = validateConfig(full, data.dIn, data.rows);
  if (problems.length > 0) throw new InputError(`invalid training config: ${problems.join('; ')}`);
  const c = resolveConfig(full, data.dIn);
  const { dIn, rows } = data;
  const dSae = c.dSae;

  // Init and batch order exactly as createTrainer (train.ts), so SGD and PAM-SGD from one seed start equal.
  const dataSeed = opts.batchOrderSeed ?? c.seed;
  const sampleIdx = initSampleRows(rows, dataSeed);
  const sae = initSae(c, dIn, gatherRows(data.x, dIn, sampleIdx), Math.min(rows, INIT_SAMPLE_ROWS));
  const order = createBatchOrder(rows, c.batch, dataSeed);
  const adam = createAdam(sae);
  const grads = zeroGrads(sae);
  const tokensSinceFired = new Float64Array(dSae);
  const firingCounts = new Float64Array(dSae);
  const dead = new Uint8Array(dSae);
  const stepsPerEpoch = Math.ceil(rows / c.batch);
  const coef: DecoderCoefficients = { alpha: c.pamRidge, beta: c.pamRidge, mu: c.pamProxDec, nu: c.pamProxDec };
  const solves: DecoderSolveRecord[] = [];
  let anchor = encoderAnchor(sae);
  let step = 0;
  let deferred = false;

  // The decoder solve in pieces (issue #11, item 3): a pending solve streams the statistics PAM_SOLVE_CHUNK_ROWS
  // rows per piece, then factors and installs in one last piece. The chunks are added in the same order and
  // sizes whoever drives them (solveWork or one solveDecoderNow), so the result is bit-identical.
  let pending: { stats: DecoderStats; sse: number; next: number } | null = null;
  // The rows the solve streams: every row in order (pamSolveFraction 1), or a seeded subset fixed for the run
  // (the first solveRows of a permutation), gathered chunk by chunk.
  const solveRows = pamSolveRows(rows, c.pamSolveFraction);
  const subset = solveRows < rows ? permutation(rows, createRng(dataSeed ^ 0x5eed50f7)).subarray(0, solveRows) : null;
  /** The step whose epoch-boundary solve is done (or begun): a boundary solves once. */
  let boundaryAt = -1;

  const statsChunk = (p: NonNullable<typeof pending>): void => {
    const t0 = p.next;
    const n = Math.min(PAM_SOLVE_CHUNK_ROWS, solveRows - t0);
    const x = subset ? gatherRows(data.x, dIn, subset.subarray(t0, t0 + n), sae.inputScale) : new Float32Array(n * dIn); // [n, dIn] scaled
    if (!subset) for (let j = 0; j < n * dIn; j++) x[j] = data.x[t0 * dIn + j] * sae.inputScale;
    const { f } = encode(sae, x, n);
    p.stats.add(f, x, n);
    const xHat = decode(sae, f, n);
    for (let j = 0; j < n * dIn; j++) p.sse += (x[j] - xHat[j]) ** 2;
    p.next = t0 + n;
  };

  /** The m×m Cholesky with dIn right-hand sides (m³/3 + 2m²·dIn flops: one piece), the objective, the install. */
  const finishSolve = (p: NonNullable<typeof pending>): DecoderSolveRecord => {
    pending = null;
    const { stats } = p;
    const prev = { wDec: sae.wDec.slice(), bDec: sae.bDec.slice() };
    let ww = 0;
    let bb = 0;
    for (const v of prev.wDec) ww += v * v;
    for (const v of prev.bDec) bb += v * v;
    const mseBefore = p.sse / solveRows;
    const dec = solveDecoder(stats, prev, coef, c.pamSolve); // throws before touching sae
    const after = decoderObjective(stats, dec, coef, prev);
    applyDecoderSolve(sae, dec);
    const rec: DecoderSolveRecord = {
      step,
      rows: solveRows,
      mseBefore,
      mseAfter: after.mse,
      objectiveBefore: mseBefore + coef.alpha * ww + coef.beta * bb,
      objectiveAfter: after.objective,
    };
    solves.push(rec);
    return rec;
  };

  const begin = (): NonNullable<typeof pending> => (pending ??= { stats: createDecoderStats(dSae, dIn), sse: 0, next: 0 });

  const solveWork = (budgetRows: number): boolean => {
    if (!pending) {
      if (!solveDue()) return false;
      boundaryAt = step;
    }
    const p = begin();
    if (p.next >= solveRows) {
      finishSolve(p);
      return false;
    }
    const stop = Math.min(solveRows, p.next + Math.max(1, budgetRows));
    while (p.next < stop) statsChunk(p);
    return true;
  };

  const solveDecoderNow = (): DecoderSolveRecord => {
    const p = begin();
    while (p.next < solveRows) statsChunk(p);
    return finishSolve(p);
  };

  /** Whether an epoch-boundary solve must run before the next step (see PamTrainer.solveDue). */
  const solveDue = (): boolean => {
    if (pending) return true;
    if (!deferred || step % stepsPerEpoch !== 0 || boundaryAt === step) return false;
    return c.pamOrder === 'decoder-first' || step > 0;
  };

  const trainStep = (): StepStats => {
    const B = c.batch;
    if (step % stepsPerEpoch === 0) {
      // A boundary solve not yet driven to its end by solveWork (deferred) runs here in full; else the inline one.
      if (solveDue()) solveDecoderNow();
      else if (c.pamOrder === 'decoder-first' && boundaryAt !== step) solveDecoderNow();
      boundaryAt = step;
      anchor = encoderAnchor(sae); // E_t, b_enc,t: the start of this epoch's encoder pass
    }
    const x = gatherRows(data.x, dIn, order.next(), sae.inputScale);
    deadMask(tokensSinceFired, c.deadWindowTokens, dead);
    const lambda = l1At(c, step);
    const ctx: LossContext = {
      l1Coefficient: sae.arch === 'relu' ? 0 : lambda, // relu: plain L1 below, not decoder-norm weighted
      bandwidth: c.jumpreluBandwidth,
      auxkCoefficient: 0,
      kAux: c.kAux,
      dead,
    };
    const lr = lrAt(c, step);
    let first: { r: ReturnType<typeof lossAndGrads>; sparsity: number; gNorm: number } | null = null;
    for (let u = 0; u < c.pamUpdatesPerBatch; u++) {
      const r = lossAndGrads(sae, x, B, ctx, grads);
      const l1 = sae.arch === 'relu' ? addPlainL1(sae, x, r.f, B, lambda, grads) : 0;
      grads.wDec.fill(0);
      grads.bDec.fill(0);
      addEncoderProx(sae, anchor, c.pamProxEnc, grads);
      const gNorm = clipGradNorm(grads, c.gradClipNorm);
      adamStep(sae, grads, adam, { lr, beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEps });
      first ??= { r, sparsity: r.sparsityLoss + l1, gNorm };
    }
    if (!first) throw new Error('unreachable: pamUpdatesPerBatch ≥ 1');
    const { r, sparsity, gNorm } = first;

    // Firing statistics from the batch's codes before its first update, once per batch (tokens count once).
    const active = updateFiring(r.f, B, dSae, firingCounts, tokensSinceFired);
    const nDead = deadMask(tokensSinceFired, c.deadWindowTokens, dead);

    const tv = batchVariance(x, B, dIn);
    step += 1;
    // encoder-first: the epoch's solve now (inline) or left due for solveWork / the next step / finish (deferred).
    if (c.pamOrder === 'encoder-first' && step % stepsPerEpoch === 0 && !deferred) {
      solveDecoderNow();
      boundaryAt = step;
    }
    return stepStatsOf({ step, batch: B, loss: r.mse + sparsity, mse: r.mse, auxLoss: 0, sparsityLoss: sparsity, active, nDead, dSae, totalVariance: tv, lr, gradNorm: gNorm });
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
    stepsPerEpoch,
    solves,
    solveDecoderNow,
    get deferSolves() {
      return deferred;
    },
    set deferSolves(v: boolean) {
      deferred = v;
    },
    get solveDue() {
      return solveDue();
    },
    solveWork,
  };
}
