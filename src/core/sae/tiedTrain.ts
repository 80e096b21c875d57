// The tied-weights SGD baseline of the SplInterp scripts (seed-papers §3.6 "SGD baseline", §3.10): one
// weight matrix W serves as the encoder and, transposed, as the decoder. In our latent-major layout the
// decoder's row i is the encoder's row i, so "decoder = encoderᵀ" means wDec = wEnc element for element.
// Same Trainer shape, init, batch order and firing statistics as train.ts's createTrainer, so an A/B
// from one seed starts all trainers from the same weights (initSae sets wEnc = wDec). Imports only src/core.
//
// What differs from our untied recipe, and why (it is the scripts' baseline, not ours):
// - The gradient of the shared W is ∂L/∂wEnc + ∂L/∂wDec (chain rule through both uses); it is applied to
//   wEnc and wDec is copied from wEnc after every update, so the two never drift apart.
// - No decoder-parallel projection and no row renormalisation: renormalising a tied row would rescale the
//   encoder too, and the scripts do neither.
// - No AuxK (the scripts have none) and, for ReLU, the plain L1 λ·(1/B)·Σ|z| of the scripts and of
//   PAM-SGD (pamTrain.ts addPlainL1), so an A/B at equal λ penalises the same thing in every trainer (the
//   untied recipe's decoder-norm-weighted L1 equals it while its rows have unit norm).

import type { TrainConfig } from './config.ts';
import { DEFAULT_CONFIG, l1At, lrAt, resolveConfig, validateConfig } from './config.ts';
import type { Dataset, Sae } from './types.ts';
import { InputError } from '../errors.ts';
import { deadMask, updateFiring } from './firing.ts';
import { initSae } from './init.ts';
import type { LossContext, LossResult, SaeGrads } from './loss.ts';
import { lossAndGrads, zeroGrads } from './loss.ts';
import { adamStep, clipGradNorm, createAdam } from './optim.ts';
import { addPlainL1 } from './pamTrain.ts';
import type { StepStats, Trainer, TrainerOptions } from './train.ts';
import { batchVariance, stepStatsOf, createBatchOrder, gatherRows, initSampleRows, INIT_SAMPLE_ROWS } from './train.ts';

/**
 * The loss of `sae` with tied weights (wDec must equal wEnc) on x ([rows, dIn], scaled space) and the
 * gradient of the shared W written into grads.wEnc (grads.wDec zeroed). Returns the loss result with the
 * plain L1 (relu) included in sparsityLoss.
 */
export function tiedLossAndGrads(sae: Sae, x: Float32Array, rows: number, ctx: LossContext, lambda: number, grads: SaeGrads): LossResult {
  const r = lossAndGrads(sae, x, rows, { ...ctx, l1Coefficient: sae.arch === 'relu' ? 0 : ctx.l1Coefficient, auxkCoefficient: 0 }, grads);
  const l1 = sae.arch === 'relu' ? addPlainL1(sae, x, r.f, rows, lambda, grads) : 0;
  const { wEnc, wDec } = grads;
  for (let j = 0; j < wEnc.length; j++) wEnc[j] += wDec[j];
  wDec.fill(0);
  return { ...r, loss: r.loss + l1, sparsityLoss: r.sparsityLoss + l1 };
}

/** A tied-weights SGD trainer on `data` with `config` over DEFAULT_CONFIG (config.trainer is ignored: this is SGD). */
export function createTiedTrainer(data: Dataset, config: Partial<TrainConfig>, opts: TrainerOptions = {}): Trainer {
  const full: TrainConfig = { ...DEFAULT_CONFIG, ...config, trainer: 'sgd', auxkCoefficient: 0 };
  const problems = validateConfig(full, data.dIn, data.rows);
  if (problems.length > 0) throw new InputError(`invalid training config: ${problems.join('; ')}`);
  const c = resolveConfig(full, data.dIn);
  const { dIn } = data;
  const dSae = c.dSae;

  const dataSeed = opts.batchOrderSeed ?? c.seed;
  const sampleIdx = initSampleRows(data.rows, dataSeed);
  const sae = initSae(c, dIn, gatherRows(data.x, dIn, sampleIdx), Math.min(data.rows, INIT_SAMPLE_ROWS));
  sae.wDec.set(sae.wEnc); // already equal after initSae; stated so the invariant holds from step 0
  const order = createBatchOrder(data.rows, c.batch, dataSeed);
  const adam = createAdam(sae);
  const grads = zeroGrads(sae);
  const tokensSinceFired = new Float64Array(dSae);
  const firingCounts = new Float64Array(dSae);
  const dead = new Uint8Array(dSae);
  let step = 0;

  const trainStep = (): StepStats => {
    const B = c.batch;
    const x = gatherRows(data.x, dIn, order.next(), sae.inputScale);
    deadMask(tokensSinceFired, c.deadWindowTokens, dead);
    const lambda = l1At(c, step);
    const ctx: LossContext = { l1Coefficient: lambda, bandwidth: c.jumpreluBandwidth, auxkCoefficient: 0, kAux: c.kAux, dead };
    const r = tiedLossAndGrads(sae, x, B, ctx, lambda, grads);
    const gNorm = clipGradNorm(grads, c.gradClipNorm);
    const lr = lrAt(c, step);
    adamStep(sae, grads, adam, { lr, beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEps });
    sae.wDec.set(sae.wEnc); // Adam left wDec unchanged (zero gradient, zero moments); mirror the shared W

    const active = updateFiring(r.f, B, dSae, firingCounts, tokensSinceFired);
    const nDead = deadMask(tokensSinceFired, c.deadWindowTokens, dead);
    const tv = batchVariance(x, B, dIn);
    step += 1;
    return stepStatsOf({ step, batch: B, loss: r.loss, mse: r.mse, auxLoss: 0, sparsityLoss: r.sparsityLoss, active, nDead, dSae, totalVariance: tv, lr, gradNorm: gNorm });
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
