// The CLI as a client of the engine's training layer (src/engine/training/): the same backend policy,
// trainer factory, ensemble trainer and run loop the app's Workbench uses, with Dawn (npm `webgpu`) as
// the GPU and progress lines on stderr instead of snapshots. Node only.
//
// What the CLI keeps while training is bounded (issue #13): the last tenth's means are running sums, not a
// list of steps. Training that goes wrong is a one-line refusal (exit 2), never a NaN trained on to the end:
// a divergence at its first non-finite step, an SAE whose every latent is dead at the end (core/sae/divergence.ts,
// the app's words).

import type { TrainConfig, ResolvedConfig } from '../core/sae/config.ts';
import type { TailMean } from '../core/sae/divergence.ts';
import { TrainingError, collapseMessage, createTailMeans, divergenceMessage, firstDivergence } from '../core/sae/divergence.ts';
import type { StepStats } from '../core/sae/train.ts';
import type { Dataset, Sae } from '../core/sae/types.ts';
import type { BackendInfo, BackendKind, BackendRequest } from '../engine/api.ts';
import type { EnsemblePlan } from '../engine/training/ensemblePlan.ts';
import { createEnsembleTrainer } from '../engine/training/ensembleTrainer.ts';
import type { TrainerFactory } from '../engine/training/factory.ts';
import { createTrainerFactory } from '../engine/training/factory.ts';
import type { LoopHooks } from '../engine/training/runLoop.ts';
import { trainUntil } from '../engine/training/runLoop.ts';
import type { Checkpoint } from '../core/sae/checkpoint.ts';
import { createNodeGpu } from '../gpu/node.ts';
import { createProgress } from './progress.ts';

/**
 * The trainer factory of this process: Dawn's GPU unless --backend cpu or wasm (then WebGPU is not even loaded),
 * and the backend a run of `config` gets — by the one policy of src/engine/training/backend.ts.
 */
export async function openTraining(requested: BackendRequest, config: Partial<TrainConfig>, saes = 1): Promise<{ factory: TrainerFactory; backend: BackendInfo }> {
  let gpu: GPU | null = null;
  let why = `WebGPU was not loaded (--backend ${requested})`;
  if (requested !== 'cpu' && requested !== 'wasm') {
    try {
      gpu = (await createNodeGpu()).gpu;
    } catch (e) {
      why = `no WebGPU adapter (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  const factory = createTrainerFactory(gpu, why);
  return { factory, backend: await factory.backend(requested, config, saes) };
}

/** Work per chunk of the CLI's run loop. */
const CLI_CHUNK_MS = 250;

/** Checkpoints while training (--checkpoint, --resume): the state to start from, and when and where to save. */
export interface TrainCheckpoints {
  /** Continue this checkpoint (its plan: the caller builds it from the checkpoint) instead of starting at step 0. */
  resumeFrom?: Checkpoint;
  /** Save every this many global steps (0 or absent: only at the end, when `save` is given). */
  every?: number;
  /** Called with the state at each multiple of `every` and at the end. */
  save?(c: Checkpoint): void;
}

export interface TrainedRun {
  /** Every SAE of the plan in order (boosting: stage by stage), as trained (input scale not folded). */
  saes: Sae[];
  config: ResolvedConfig;
  /** Each SAE's last step. */
  finals: StepStats[];
  /** Means of SAE 0's last ⌊steps/10⌋ steps (at least 1; boosting: the last stage's): the JSON's lastTenthMean. */
  tailMean: TailMean;
  /** Seconds each SAE trained (bagging members share theirs). */
  trainSeconds: number[];
  /** The global step training started from (a resumed run: the checkpoint's; else 0). */
  startStep: number;
}

/**
 * Trains a plan to its end on `backend` with the engine's ensemble trainer and run loop. say: a log line
 * (stderr); quiet: no progress lines. Throws TrainingError at the first non-finite step, and when an SAE
 * (a boosting stage) ends collapsed, every latent dead or nearly — the app's verdicts, in its words.
 */
export async function trainPlan(
  factory: TrainerFactory,
  backend: BackendKind,
  plan: EnsemblePlan,
  data: Dataset,
  quiet: boolean,
  say: (line: string) => void,
  ckpt: TrainCheckpoints = {},
): Promise<TrainedRun> {
  const t = await createEnsembleTrainer(plan, data, factory, backend, ckpt.resumeFrom);
  const startStep = t.step;
  try {
    const stageSteps = t.stageSteps;
    const finals: StepStats[] = [];
    const trainSeconds: number[] = [];
    let tail = createTailMeans(stageSteps);
    const collapsed = (): void => {
      const name = (j: number): string => (t.boosting ? `boosting stage ${stageIndex()}` : plan.seeds.length > 1 ? `SAE ${j}` : 'the SAE');
      const dead = collapseMessage(tail.means(), t.config.arch, t.config.l1Coefficient, name);
      if (dead) throw new TrainingError(`${dead} (no weights written)`);
    };
    let progress = createProgress(stageSteps, quiet);
    let stageStart = performance.now();
    const stageIndex = (): number => t.boosting?.stage ?? 0;
    const endStage = (): void => {
      const s = (performance.now() - stageStart) / 1000;
      if (t.boosting) trainSeconds[stageIndex()] = s;
      else for (let j = 0; j < t.liveSaes; j++) trainSeconds[j] = s;
    };
    const sayStage = (): void => {
      const j = stageIndex();
      if (t.boosting) say(`stage ${j + 1}/${plan.seeds.length} (seed ${plan.seeds[j]}) on the residual of ${j} frozen stage${j === 1 ? '' : 's'}`);
    };
    sayStage();
    // Longer chunks than the app's (nothing to keep responsive but Ctrl-C and stderr): the yield between
    // chunks then costs well under 1% of the time. With --checkpoint-every the loop stops at each multiple
    // (trainUntil never overshoots its target), so every checkpoint is of exactly that step.
    const every = ckpt.save && ckpt.every ? ckpt.every : 0;
    const hooks: LoopHooks = {
      running: () => true,
      onChunk(stats) {
        const bad = firstDivergence(stats);
        if (bad) {
          const step = (t.boosting ? t.stepOffset : 0) + bad.stats.step;
          const sae = t.boosting ? stageIndex() : stats.length > 1 ? bad.sae : null;
          throw new TrainingError(`${divergenceMessage(step, bad.stats, sae)} (no weights written)`);
        }
        stats.forEach((perSae, j) => {
          if (perSae.length > 0) finals[t.boosting ? stageIndex() : j] = perSae[perSae.length - 1];
        });
        for (const s of stats[0]) progress(s);
        tail.add(stats);
      },
      beforeStage() {
        endStage();
        collapsed();
      },
      afterStage() {
        progress = createProgress(stageSteps, quiet);
        tail = createTailMeans(stageSteps);
        stageStart = performance.now();
        sayStage();
      },
    };
    for (let target = every > 0 ? (Math.floor(t.step / every) + 1) * every : t.steps; t.step < t.steps; target += every) {
      await trainUntil(t, Math.min(target, t.steps), hooks, CLI_CHUNK_MS);
      if (every > 0 && t.step < t.steps) ckpt.save?.(await t.checkpoint());
    }
    endStage();
    collapsed();
    if (ckpt.save) ckpt.save(await t.checkpoint());
    const w = t.runWeights(await t.readLive());
    return { saes: w.saes, config: t.config, finals, tailMean: tail.means()[0] as TailMean, trainSeconds, startStep };
  } finally {
    t.free();
  }
}
