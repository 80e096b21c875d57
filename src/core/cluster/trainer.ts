// The cluster families as a step-wise core Trainer (train.ts's shape), so the engine's CPU member trainer
// (src/engine/training/cpuTrainer.ts) runs them like any SAE trainer: chunks of steps, weights read back as an
// Sae in the cluster layout (model.ts), firing counts, divergence checks. Imports only src/core.
//
// What one step is, per (arch, trainer) — config.dSae is the number of clusters, config.rank k-flats' r:
//   kmeans  lloyd            one Lloyd step over ALL rows (batch = rows: a step is an epoch)
//   kmeans  sgd              one Adam step of the Top-1-SAE form (top1.ts) on config.batch seeded rows, lr
//                            schedule as the SAE's (config.ts lrAt)
//   kflats  lloyd            one k-flats alternation step over all rows (lloyd.ts)
//   kflats  kmeans-then-pca  one Lloyd step of the underlying k-means, then the local PCA of each k-means cell
//                            (the paper's toy, kflats.ts pcaPerCluster): its loss is the toy's number (k-means
//                            assignment), while the model, like any k-flats model, encodes by residual
// Every trainer starts from k-means++ (config.seed). Step stats: loss = mse (mean over rows of ‖x − x̂‖²);
// l0 = latents active per row (1 for k-means; rank + 1 for k-flats: the cluster indicator and one latent of each
// direction's (+u, −u) pair, model.ts);
// dead = latents that did not fire in the step's pass over all rows (exact steps: an empty cluster's whole block,
// or a ±u side no row took) or within deadWindowTokens (sgd), as a fraction of latents; gradNorm is the Top-1 gradient's norm (0 for the exact steps).

import type { TrainConfig } from '../sae/config.ts';
import { DEFAULT_CONFIG, lrAt, resolveConfig, validateConfig } from '../sae/config.ts';
import { InputError } from '../errors.ts';
import type { Dataset, Sae } from '../sae/types.ts';
import type { StepStats, Trainer, TrainerOptions } from '../sae/train.ts';
import { batchVariance, stepStatsOf } from '../sae/train.ts';
import type { ClusterModel } from './model.ts';
import { assign, blockCodes, clusterToSae, saeToCluster } from './model.ts';
import { deadMask, updateFiring } from '../sae/firing.ts';
import { alternationStep } from './lloyd.ts';
import { initKMeans } from './kmeans.ts';
import { initKFlats, pcaPerCluster } from './kflats.ts';
import { createTop1Trainer } from './top1.ts';

/** Copies model m into the cluster-layout Sae `sae` of the same shape, in place (trainers keep one Sae object). */
export function writeClusterSae(m: ClusterModel, sae: Sae): void {
  const fresh = clusterToSae(m, sae.arch === 'kflats' ? 'kflats' : 'kmeans');
  sae.wEnc.set(fresh.wEnc);
  sae.bEnc.set(fresh.bEnc);
  sae.wDec.set(fresh.wDec);
  sae.bDec.set(fresh.bDec);
}

/** A core Trainer for a kmeans / kflats config (TrainerOptions.batchOrderSeed seeds the sgd trainer's batches). */
export function createClusterTrainer(data: Dataset, config: Partial<TrainConfig>, opts: TrainerOptions = {}): Trainer {
  const full: TrainConfig = { ...DEFAULT_CONFIG, ...config };
  const problems = validateConfig(full, data.dIn, data.rows);
  if (problems.length > 0) throw new InputError(`invalid training config: ${problems.join('; ')}`);
  const arch = full.arch;
  if (arch !== 'kmeans' && arch !== 'kflats') throw new Error(`createClusterTrainer: arch ${arch} is an SAE (createTrainer trains it)`);
  const fullBatch = full.trainer !== 'sgd';
  // Exact steps see every row: the resolved batch says so (tokens = steps · rows).
  const c = resolveConfig(fullBatch ? { ...full, batch: data.rows } : full, data.dIn);
  const { x, rows, dIn } = data;
  const rank = arch === 'kflats' ? c.rank : 0;
  // The model trained: k-means (Lloyd, sgd, and the toy's underlying k-means) or the k-flats pieces.
  const model: ClusterModel = arch === 'kflats' && c.trainer === 'lloyd' ? initKFlats(x, rows, dIn, c.dSae, rank, c.seed) : initKMeans(x, rows, dIn, c.dSae, c.seed);
  const shown = (): ClusterModel => (c.trainer === 'kmeans-then-pca' ? pcaPerCluster(model, x, rows, rank).model : model);
  const sae = clusterToSae(shown(), arch);
  const dSae = sae.dSae;
  const firingCounts = new Float64Array(dSae);
  const tokensSinceFired = new Float64Array(dSae);
  const totalVariance = batchVariance(x, rows, dIn);
  const top1 = c.trainer === 'sgd' ? createTop1Trainer(model, x, rows, { lr: c.lr, batch: c.batch, seed: opts.batchOrderSeed ?? c.seed, beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEps }) : null;
  let step = 0;

  /**
   * Firing statistics of the rows seen this step (xs: [B, dIn]) under the model now. k-means: from the step's
   * rows per cluster (the one-hot codes, no second assignment); k-flats: from the codes of each row's cluster in
   * the step's partition (firing.ts's f > 0, so each ±u pair counts the side that fired). Returns the active
   * latents and the dead ones after it.
   */
  const fire = (counts: Int32Array, xs: Float32Array, B: number, cluster: Int32Array | null): { active: number; nDead: number } => {
    let active: number;
    if (rank === 0) {
      active = B;
      for (let j = 0; j < dSae; j++) {
        firingCounts[j] += counts[j];
        tokensSinceFired[j] = counts[j] > 0 ? 0 : tokensSinceFired[j] + B;
      }
    } else active = updateFiring(blockCodes(saeToCluster(sae), xs, B, cluster ?? assign(saeToCluster(sae), xs, B).cluster), B, dSae, firingCounts, tokensSinceFired);
    // Exact steps see every row: a latent is dead when it did not fire in this pass; sgd uses the SAE's window.
    return { active, nDead: deadMask(tokensSinceFired, fullBatch ? 1 : c.deadWindowTokens, new Uint8Array(dSae)) };
  };

  const trainStep = (): StepStats => {
    let mse: number;
    let counts: Int32Array;
    let cluster: Int32Array | null = null;
    let B = rows;
    let xs = x;
    let tv = totalVariance;
    let lr = 0;
    let gradNorm = 0;
    if (top1) {
      lr = lrAt(c, step);
      const r = top1.trainStep(lr);
      ({ mse, counts, gradNorm } = r);
      B = c.batch;
      xs = new Float32Array(B * dIn);
      r.batch.forEach((t, i) => xs.set(x.subarray(t * dIn, (t + 1) * dIn), i * dIn));
      tv = batchVariance(xs, B, dIn);
    } else if (c.trainer === 'kmeans-then-pca') {
      const r = alternationStep(model, x, rows);
      ({ counts, cluster } = r);
      const toy = pcaPerCluster(model, x, rows, rank);
      mse = toy.toyObjective / rows;
      writeClusterSae(toy.model, sae);
    } else {
      const r = alternationStep(model, x, rows);
      ({ counts, cluster } = r);
      mse = r.sse / rows;
    }
    if (c.trainer !== 'kmeans-then-pca') writeClusterSae(model, sae);
    const { active, nDead } = fire(counts, xs, B, cluster);
    step += 1;
    return stepStatsOf({ step, batch: B, loss: mse, mse, auxLoss: 0, sparsityLoss: 0, active, nDead, dSae, totalVariance: tv, lr, gradNorm });
  };

  return {
    config: c,
    sae,
    get step() {
      return step;
    },
    tokensSinceFired,
    firingCounts,
    // No Adam over the Sae's tensors (the sgd form keeps its own moments on the centroids: top1.ts).
    adam: { m: [], v: [], t: 0 },
    trainStep,
  };
}
