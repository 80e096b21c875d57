// A run as the Workbench holds it (one current run at a time): its trainer, status, latest stats, the
// weights last read back, and what its snapshot is made of (snapshotOf). Imports src/core and engine only.

import type { TailMeans } from '../../core/sae/divergence.ts';
import type { StepStats } from '../../core/sae/train.ts';
import type { MemberSnapshot, RunInfo, RunStatus, Snapshot } from '../api.ts';
import type { RunWeights } from '../training/ensemblePlan.ts';
import type { EnsembleTrainer } from '../training/ensembleTrainer.ts';
import type { Weights } from '../training/memberTrainer.ts';

export interface Run {
  id: number;
  /** The id the run was started with (export provenance). */
  dataset: string;
  /** The loaded dataset's id (kept loaded while this run is current). */
  datasetId: string;
  info: RunInfo;
  /** null for a loaded ensemble (nothing to train). Its live member trainer is freed at done, error or loss. */
  trainer: EnsembleTrainer | null;
  /** Steps planned. */
  steps: number;
  /** Global steps done and measured (kept here because the live trainer may be freed). */
  step: number;
  status: RunStatus;
  error?: string;
  /** The latest step's stats per SAE of the live trainer. */
  last: StepStats[] | null;
  /** Active (unpaused) training time and the tokens trained in it, for tokensPerSecond. */
  activeMs: number;
  tokens: number;
  /** Steps since the last snapshot: steps[i] ↔ loss[sae][i]; and the global steps of decoder solves (PAM-SGD). */
  recent: { steps: number[]; loss: number[][]; solves: number[] };
  /** The live trainer's weights last read back (GPU; exported after a loss), or a loaded ensemble's; null on the CPU (read live). */
  good: Weights | null;
  goodAtMs: number;
  /** The training loop in flight (resolved when none). */
  loop: Promise<void>;
  /** step(n): the loop pauses at this global step (null: train to the end). */
  until: number | null;
  /** The live SAEs' last tenth of steps (the stage's, boosting): a run that ends collapsed is an error. Absent for a loaded ensemble. */
  tail?: TailMeans;
  /** SAE 0's log10 density (Snapshot.density) and when it was computed. */
  density: Snapshot['density'];
  densityAtMs: number;
}

/** SAEs the live trainer holds: boosting trains one stage at a time. */
export const liveSaes = (r: Run): number => r.trainer?.liveSaes ?? r.info.seeds.length;
/** The global step the live trainer's step 0 is (boosting: the stages before it). */
export const stepOffset = (r: Run): number => r.trainer?.stepOffset ?? 0;

/** Every SAE of the run given live weights `w` (boosting: frozen stages first; a loaded ensemble: `w` itself). */
export function runWeightsOf(r: Run, w: Weights): RunWeights {
  if (r.trainer) return r.trainer.runWeights(w);
  return { step: w.step, saes: w.saes, firingCounts: w.firingCounts, tokens: w.saes.map(() => w.tokens) };
}

/** An empty `recent` for the live trainer's SAEs. */
export const noRecent = (r: Run): Run['recent'] => ({ steps: [], loss: Array.from({ length: liveSaes(r) }, () => []), solves: [] });

/** The run's snapshot: means over the live SAEs, each member's metrics, and the loading and comparison progress riding along. */
export function snapshotOf(r: Run, loading: Snapshot['loading'], comparing: Snapshot['comparing'] = null): Snapshot {
  const M = liveSaes(r);
  const mean = (key: keyof StepStats): number => (r.last ? r.last.reduce((a, s) => a + s[key], 0) / M : NaN);
  const b = r.trainer?.boosting ?? null;
  const members: MemberSnapshot[] = r.info.seeds.map((seed, j) => {
    // boosting: frozen stages keep their final stats; the stage training now is live; later ones are NaN.
    const live = b ? j === b.stage : true;
    const s = b ? (j < b.stage ? b.frozenLast[j] : live ? r.last?.[0] : undefined) : r.last?.[j];
    return {
      seed,
      loss: s?.loss ?? NaN,
      mse: s?.mse ?? NaN,
      l0: s?.l0 ?? NaN,
      deadFraction: s?.deadFraction ?? NaN,
      explainedVariance: s?.explainedVariance ?? NaN,
      recentLoss: live ? r.recent.loss[b ? 0 : j] : [],
    };
  });
  const recentMean = r.recent.steps.map((_, i) => r.recent.loss.reduce((a, l) => a + l[i], 0) / M);
  const snap: Snapshot = {
    run: r.id,
    status: r.status,
    backend: r.info.backend.kind,
    step: r.step,
    steps: r.steps,
    weightsStep: r.good ? stepOffset(r) + r.good.step : r.step,
    loss: mean('loss'),
    mse: mean('mse'),
    l0: mean('l0'),
    deadFraction: mean('deadFraction'),
    explainedVariance: mean('explainedVariance'),
    auxLoss: mean('auxLoss'),
    sparsityLoss: mean('sparsityLoss'),
    lr: r.last?.[0].lr ?? NaN,
    tokensPerSecond: r.activeMs > 0 ? (r.tokens / r.activeMs) * 1000 : 0,
    recentLoss: { steps: r.recent.steps, loss: recentMean },
    recentSolves: r.recent.solves,
    members,
    density: r.density,
    loading,
    stage: b ? { index: r.status === 'done' ? r.info.seeds.length : b.stage, count: r.info.seeds.length } : null,
    comparing,
  };
  if (r.error !== undefined) snap.error = r.error;
  return snap;
}

/** Before any run: a snapshot of no run (run 0, status idle), carrying only the loading and comparison progress. */
export function idleSnapshot(loading: Snapshot['loading'], comparing: Snapshot['comparing'] = null): Snapshot {
  return {
    run: 0,
    status: 'idle',
    backend: 'cpu',
    step: 0,
    steps: 0,
    weightsStep: 0,
    loss: NaN,
    mse: NaN,
    l0: NaN,
    deadFraction: NaN,
    explainedVariance: NaN,
    auxLoss: NaN,
    sparsityLoss: NaN,
    lr: NaN,
    tokensPerSecond: 0,
    recentLoss: { steps: [], loss: [] },
    recentSolves: [],
    members: [],
    density: null,
    loading,
    stage: null,
    comparing,
  };
}
