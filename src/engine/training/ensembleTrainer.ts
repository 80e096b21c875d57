// One trainer for a whole run, whatever its ensemble method (seed-papers.md §2): single, bagging (J members
// in one member trainer, one batch order), expanded (one SAE of J·dSae latents) and boosting (J stages in
// turn, stage j on the residual of the frozen stages 0..j−1). The run loop (runLoop.ts) drives it for the
// Workbench and the CLI alike. Imports src/core and engine types only.

import type { ResolvedConfig } from '../../core/sae/config.ts';
import type { StepStats } from '../../core/sae/train.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import type { Checkpoint } from '../../core/sae/checkpoint.ts';
import { InputError } from '../../core/errors.ts';
import type { BackendKind } from '../api.ts';
import type { EnsemblePlan, RunWeights } from './ensemblePlan.ts';
import type { TrainerFactory } from './factory.ts';
import type { LostInfo, MemberTrainer, Weights } from './memberTrainer.ts';

/** Boosting's frozen stages: their weights (read back when each stage ended) and final step stats. */
export interface FrozenStages {
  /** The stage training now (0-based). */
  stage: number;
  frozen: Weights[];
  frozenLast: StepStats[];
}

export interface EnsembleTrainer {
  readonly plan: EnsemblePlan;
  readonly kind: BackendKind;
  /** The config of each SAE (one boosting stage: its steps). */
  readonly config: ResolvedConfig;
  /** Steps of one stage (boosting) or of the run. */
  readonly stageSteps: number;
  /** Steps planned for the run (boosting: stages × stageSteps). */
  readonly steps: number;
  /** Global steps done (boosting: over all stages). */
  readonly step: number;
  /** The global step the live trainer's step 0 is (boosting: the stages before it; else 0). */
  readonly stepOffset: number;
  /** SAEs the live trainer holds (boosting: 1; else every SAE of the run). */
  readonly liveSaes: number;
  /** Boosting's stages, null otherwise. */
  readonly boosting: FrozenStages | null;
  /** The live member trainer; null once freed (done, error, lost). */
  readonly live: MemberTrainer | null;
  /** Boosting: the live stage has trained its steps and a later stage remains (call nextStage). */
  readonly stageComplete: boolean;
  /** Trains at most `maxSteps` steps of the live stage, for about `budgetMs`: [SAE of the live trainer][step] (the trainer's own step numbers). */
  trainChunk(maxSteps: number, budgetMs: number): Promise<StepStats[][]>;
  /** Global steps of the decoder solves (PAM-SGD) since the last call; [] for trainers without them. */
  drainSolves(): number[];
  /** Boosting: freezes the live stage (weights read back) and starts the next on the residual of all frozen ones. */
  nextStage(): Promise<void>;
  /** The live trainer's weights now (a readback on WebGPU); throws once freed. */
  readLive(): Promise<Weights>;
  /** Every SAE of the run given the live trainer's weights `w`: boosting's frozen stages first; global step. */
  runWeights(w: Weights): RunWeights;
  /** Calls `listener` if the live trainer's device is lost (across stages); returns the unsubscribe. */
  onLost(listener: (info: LostInfo) => void): () => void;
  /** Frees the live trainer (GPU buffers); nothing more can be trained. Idempotent. */
  free(): void;
  /** The run's state now, to continue it later exactly (core/sae/checkpoint.ts). Throws for boosting and PAM-SGD (not yet). */
  checkpoint(): Promise<Checkpoint>;
}

/**
 * Makes the run's trainer from its plan: the first (or only) member trainer is created now, on `backend`.
 * resumeFrom: continue this checkpoint (of a run with the same plan; boosting is refused, not yet).
 */
export async function createEnsembleTrainer(plan: EnsemblePlan, data: Dataset, factory: TrainerFactory, backend: BackendKind, resumeFrom?: Checkpoint): Promise<EnsembleTrainer> {
  const isBoosting = plan.method === 'boosting';
  if (resumeFrom) checkResumePlan(plan, resumeFrom);
  const make = (residualOf: Sae[], seeds: number[], from?: Checkpoint): Promise<MemberTrainer> =>
    factory.memberTrainer(backend, { data, config: plan.config, seeds, residualOf, ...(from ? { resumeFrom: from } : {}) });
  let live: MemberTrainer | null = await make([], isBoosting ? [plan.seeds[0]] : plan.seeds, resumeFrom);
  const config = live.config;
  const stageSteps = config.steps;
  const boosting: FrozenStages | null = isBoosting ? { stage: 0, frozen: [], frozenLast: [] } : null;
  /** The live stage's last stats of its SAE 0 (boosting: what a frozen stage reports). */
  let lastOfStage: StepStats | null = null;
  /** The live trainer's finish() has run (it trained all its steps). */
  let finished = false;
  const listeners = new Set<(info: LostInfo) => void>();
  let offLive = live.onLost((info) => listeners.forEach((l) => l(info)));
  const offset = (): number => (boosting ? boosting.stage * stageSteps : 0);

  return {
    plan,
    kind: backend,
    config,
    stageSteps,
    steps: isBoosting ? stageSteps * plan.seeds.length : stageSteps,
    get step() {
      return offset() + (live?.step ?? 0);
    },
    get stepOffset() {
      return offset();
    },
    liveSaes: isBoosting ? 1 : plan.seeds.length,
    boosting,
    get live() {
      return live;
    },
    get stageComplete() {
      return boosting !== null && live !== null && live.step >= stageSteps && boosting.stage + 1 < plan.seeds.length;
    },
    async trainChunk(maxSteps, budgetMs) {
      if (!live) throw new Error('trainChunk: the run has been freed');
      const stats = await live.trainChunk(Math.min(maxSteps, stageSteps - live.step), budgetMs);
      const first = stats[0];
      if (first.length > 0) lastOfStage = first[first.length - 1];
      if (live.step >= stageSteps && !finished) {
        finished = true;
        await live.finish?.();
      }
      return stats;
    },
    drainSolves() {
      const off = offset();
      return live?.drainSolves?.().map((s) => off + s) ?? [];
    },
    async nextStage() {
      if (!boosting || !live || !lastOfStage) throw new Error('nextStage: not a boosting run with a trained stage');
      const w = await live.readWeights();
      boosting.frozen.push(w);
      boosting.frozenLast.push(lastOfStage);
      offLive();
      live.destroy();
      live = null;
      lastOfStage = null;
      boosting.stage++;
      const next = await make(
        boosting.frozen.map((f) => f.saes[0]),
        [plan.seeds[boosting.stage]],
      );
      live = next;
      finished = false;
      offLive = next.onLost((info) => listeners.forEach((l) => l(info)));
    },
    readLive() {
      if (!live) return Promise.reject(new Error('readLive: the run has been freed'));
      return live.readWeights();
    },
    runWeights(w) {
      if (!boosting) return { step: w.step, saes: w.saes, firingCounts: w.firingCounts, tokens: w.saes.map(() => w.tokens) };
      const f = boosting.frozen;
      return {
        step: offset() + w.step,
        saes: [...f.map((x) => x.saes[0]), ...w.saes],
        firingCounts: [...f.map((x) => x.firingCounts[0]), ...w.firingCounts],
        tokens: [...f.map((x) => x.tokens), ...w.saes.map(() => w.tokens)],
      };
    },
    onLost(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async checkpoint() {
      if (boosting) throw new InputError('checkpoint: boosting runs are not checkpointed yet (the frozen stages would have to travel too): checkpoint a single, bagging or expanded run');
      if (!live) throw new InputError('checkpoint: the run has been freed (done, stopped, error or lost): checkpoint a run while it trains or is paused');
      if (!live.checkpoint) throw new InputError(`checkpoint: trainer ${config.trainer}: resume is SGD-only so far: train with trainer 'sgd' to checkpoint`);
      const c = await live.checkpoint();
      return { ...c, ensemble: { method: plan.method, members: plan.members } };
    },
    free() {
      if (!live) return;
      offLive();
      live.destroy();
      live = null;
      listeners.clear();
    },
  };
}

/** Refuses a checkpoint that is not of this plan (method, members, seeds), naming what differs. */
function checkResumePlan(plan: EnsemblePlan, c: Checkpoint): void {
  if (plan.method === 'boosting') throw new InputError('resume: boosting runs are not checkpointed yet: resume a single, bagging or expanded run');
  const seeds = c.members.map((m) => m.seed);
  if (c.ensemble.method !== plan.method || seeds.length !== plan.seeds.length || seeds.some((s, j) => s !== plan.seeds[j])) {
    throw new InputError(
      `resume: the checkpoint is of a ${c.ensemble.method} run with seeds [${seeds.join(', ')}], the request a ${plan.method} run with seeds [${plan.seeds.join(', ')}]: resume with the checkpoint's ensemble and seeds`,
    );
  }
}
