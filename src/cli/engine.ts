// The CLI as a client of the engine's training layer (src/engine/training/): the same backend policy,
// trainer factory, ensemble trainer and run loop the app's Workbench uses, with Dawn (npm `webgpu`) as
// the GPU and progress lines on stderr instead of snapshots. Node only.

import type { TrainConfig, ResolvedConfig } from '../core/sae/config.ts';
import type { StepStats } from '../core/sae/train.ts';
import type { Dataset, Sae } from '../core/sae/types.ts';
import type { BackendInfo, BackendKind, BackendRequest } from '../engine/api.ts';
import type { EnsemblePlan } from '../engine/training/ensemblePlan.ts';
import { createEnsembleTrainer } from '../engine/training/ensembleTrainer.ts';
import type { TrainerFactory } from '../engine/training/factory.ts';
import { createTrainerFactory } from '../engine/training/factory.ts';
import { trainUntil } from '../engine/training/runLoop.ts';
import { createNodeGpu } from '../gpu/node.ts';
import { createProgress } from './progress.ts';

/**
 * The trainer factory of this process: Dawn's GPU unless --backend cpu (then WebGPU is not even loaded),
 * and the backend a run of `config` gets — by the one policy of src/engine/training/backend.ts.
 */
export async function openTraining(requested: BackendRequest, config: Partial<TrainConfig>): Promise<{ factory: TrainerFactory; backend: BackendInfo }> {
  let gpu: GPU | null = null;
  let why = 'WebGPU was not loaded (--backend cpu)';
  if (requested !== 'cpu') {
    try {
      gpu = (await createNodeGpu()).gpu;
    } catch (e) {
      why = `no WebGPU adapter (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  const factory = createTrainerFactory(gpu, why);
  return { factory, backend: await factory.backend(requested, config) };
}

/** Work per chunk of the CLI's run loop. */
const CLI_CHUNK_MS = 250;

export interface TrainedRun {
  /** Every SAE of the plan in order (boosting: stage by stage), as trained (input scale not folded). */
  saes: Sae[];
  config: ResolvedConfig;
  /** Each SAE's last step. */
  finals: StepStats[];
  /** SAE 0's last ⌊steps/10⌋ steps (at least 1; boosting: the last stage's), for the JSON's lastTenthMean. */
  tail: StepStats[];
  /** Seconds each SAE trained (bagging members share theirs). */
  trainSeconds: number[];
}

/**
 * Trains a plan to its end on `backend` with the engine's ensemble trainer and run loop. say: a log line
 * (stderr); quiet: no progress lines.
 */
export async function trainPlan(factory: TrainerFactory, backend: BackendKind, plan: EnsemblePlan, data: Dataset, quiet: boolean, say: (line: string) => void): Promise<TrainedRun> {
  const t = await createEnsembleTrainer(plan, data, factory, backend);
  try {
    const stageSteps = t.stageSteps;
    const tailLength = Math.max(1, Math.floor(stageSteps / 10));
    const finals: StepStats[] = [];
    const trainSeconds: number[] = [];
    let tail: StepStats[] = [];
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
    // chunks then costs well under 1% of the time.
    await trainUntil(t, t.steps, {
      running: () => true,
      onChunk(stats) {
        stats.forEach((perSae, j) => {
          if (perSae.length > 0) finals[t.boosting ? stageIndex() : j] = perSae[perSae.length - 1];
        });
        for (const s of stats[0]) progress(s);
        tail = tail.concat(stats[0]).slice(-tailLength);
      },
      beforeStage: endStage,
      afterStage() {
        progress = createProgress(stageSteps, quiet);
        tail = [];
        stageStart = performance.now();
        sayStage();
      },
    }, CLI_CHUNK_MS);
    endStage();
    const w = t.runWeights(await t.readLive());
    return { saes: w.saes, config: t.config, finals, tail, trainSeconds };
  } finally {
    t.free();
  }
}
