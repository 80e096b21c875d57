// The CPU reference as a member trainer: one src/core trainer per seed, stepped in turn, sharing the batch
// order of seeds[0] (naive bagging: members differ only in init). Which core trainer (SGD's createTrainer,
// PAM-SGD's createPamTrainer) is the factory's choice. Imports src/core only.
//
// Divergence (issue #13): a chunk stops at the first step whose loss or gradient norm is not finite, and the
// trainer trains no further. The live weights are NaN by then, so the members' parameters before each step
// are copied aside (O(parameters) per step against the step's O(batch·parameters): well under 1%), and
// readWeights returns them: the last finite weights, exactly, for the run to export.

import { boostingResidual } from '../../core/ensemble/boosting.ts';
import { finiteStep } from '../../core/sae/divergence.ts';
import type { TrainConfig } from '../../core/sae/config.ts';
import type { Checkpoint } from '../../core/sae/checkpoint.ts';
import { checkpointOf, restoreTrainers, resumeConfig } from '../../core/sae/checkpoint.ts';
import type { ResumableTrainer, StepStats, Trainer } from '../../core/sae/train.ts';
import type { TrainerOptions } from '../../core/sae/train.ts';
import { createTrainer } from '../../core/sae/train.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import { cloneSae } from '../../core/sae/types.ts';
import { PAM_SOLVE_CHUNK_ROWS } from '../../core/sae/pamTrain.ts';
import { InputError } from '../../core/errors.ts';
import type { MemberTrainer } from './memberTrainer.ts';
import type { BackendKind } from '../api.ts';

/** A core trainer's constructor (createTrainer's signature). */
export type CoreTrainerMaker = (data: Dataset, config: Partial<TrainConfig>, opts: TrainerOptions) => Trainer;

/** A core trainer maker whose trainers can be saved and resumed (createTrainer, the wasm engine's). */
type ResumableMaker = (data: Dataset, config: Partial<TrainConfig>, opts: TrainerOptions) => ResumableTrainer;

/** A core trainer that can bring its model up to date after its last step (PAM-SGD: pamTrain.ts). */
interface Finishing {
  /** Every decoder solve so far, in order (pamTrain.ts DecoderSolveRecord). */
  solves: readonly { step: number }[];
  solveDecoderNow(): unknown;
  /** pamTrain.ts PamTrainer: the epoch-boundary solve left due by trainStep, advanced here in pieces. */
  deferSolves: boolean;
  readonly solveDue: boolean;
  solveWork(budgetRows: number): boolean;
}
const finishing = (t: Trainer): t is Trainer & Finishing => 'solveDecoderNow' in t;
/** SGD's trainer can save its state (checkpoint.ts); PAM-SGD's cannot yet. */
const resumable = (t: Trainer): t is ResumableTrainer => 'state' in t && t.config.trainer === 'sgd';

/** Rows of a PAM-SGD solve's statistics per piece between steps: one PAM_SOLVE_CHUNK_ROWS chunk (~10 ms at m = 1024, dIn = 512). */
const SOLVE_PIECE_ROWS = PAM_SOLVE_CHUNK_ROWS;

/** Copies src's parameters into dst (same shape): the kept copy is refreshed in place, never reallocated. */
function copyInto(dst: Sae, src: Sae): void {
  dst.wEnc.set(src.wEnc);
  dst.bEnc.set(src.bEnc);
  dst.wDec.set(src.wDec);
  dst.bDec.set(src.bDec);
  dst.logThreshold.set(src.logThreshold);
  dst.batchThreshold = src.batchThreshold;
  dst.inputScale = src.inputScale;
}

/**
 * residualOf: frozen boosting stages; the members then train on the residual they leave of `data`
 * (core/ensemble/boosting.ts). make: the core trainer (default SGD's createTrainer). resumeFrom: continue
 * this checkpoint (SGD only; checkpoint.ts checked it against `data` and the config) instead of starting at step 0.
 * kind: what the trainer reports ('wasm' when `make` is the wasm engine's core-shaped trainer); resumableMake: `make`
 * as a maker of resumable trainers (createTrainer's by default; absent for PAM-SGD: its runs cannot resume yet).
 */
export function createCpuTrainer(
  data: Dataset,
  config: Partial<TrainConfig>,
  seeds: readonly number[],
  residualOf: readonly Sae[] = [],
  make: CoreTrainerMaker = createTrainer,
  resumeFrom?: Checkpoint,
  { kind = 'cpu', resumableMake = make === createTrainer ? createTrainer : undefined }: { kind?: BackendKind; resumableMake?: ResumableMaker } = {},
): MemberTrainer {
  const input = residualOf.length > 0 ? boostingResidual(residualOf, data) : data;
  if (resumeFrom && !resumableMake) throw new InputError(`resume: trainer ${String(config.trainer)}: resume is SGD-only so far: start a fresh run`);
  const trainers: Trainer[] = resumeFrom
    ? restoreTrainers(input, resumeFrom, resumeConfig(resumeFrom, input, config, 'resume'), resumableMake)
    : seeds.map((seed) => make(input, { ...config, seed }, { batchOrderSeed: seeds[0] }));
  const first = trainers[0];
  // PAM-SGD: the decoder solve (all training rows, then an m×m Cholesky) is advanced between steps in pieces of
  // SOLVE_PIECE_ROWS rows, so a chunk stays near its time budget (the Cholesky is the one indivisible piece).
  const solvers = trainers.filter(finishing);
  for (const t of solvers) t.deferSolves = true;
  /** Member 0's solves already reported by drainSolves. */
  let reported = 0;
  /** Every member's parameters and firing counts before the step in flight (the last finite ones once diverged). */
  const kept = trainers.map((t) => ({ sae: cloneSae(t.sae), firingCounts: t.firingCounts.slice() }));
  /** The first non-finite step, or null. */
  let diverged: number | null = null;
  const weightsOf = (step: number, saes: Sae[], firingCounts: Float64Array[]) => ({ step, tokens: step * first.config.batch, saes, firingCounts });
  return {
    kind,
    config: first.config,
    seeds,
    get step() {
      return first.step;
    },
    trainChunk(maxSteps, budgetMs) {
      if (diverged !== null) return Promise.reject(new Error(`trainChunk: training diverged at step ${diverged}; the weights of step ${diverged - 1} are kept (readWeights)`));
      const out: StepStats[][] = trainers.map(() => []);
      const t0 = performance.now();
      let n = 0;
      const due = (): Finishing[] => solvers.filter((t) => t.solveDue);
      do {
        const solving = due();
        if (solving.length > 0) {
          // A piece of each member's due solve; the steps wait until the solves are done (same order as inline).
          for (const t of solving) t.solveWork(SOLVE_PIECE_ROWS);
          continue;
        }
        if (n >= maxSteps) break;
        trainers.forEach((t, j) => {
          copyInto(kept[j].sae, t.sae);
          kept[j].firingCounts.set(t.firingCounts);
          out[j].push(t.trainStep());
        });
        n++;
        // The chunk ends at the first bad step (it is returned, so the caller can name it).
        if (!out.every((m) => finiteStep(m[n - 1]))) diverged = first.step;
      } while (diverged === null && performance.now() - t0 < budgetMs);
      return Promise.resolve(out);
    },
    readWeights() {
      // Once diverged, the live weights are not finite: the copy from before the bad step is what there is to keep.
      if (diverged !== null) return Promise.resolve(weightsOf(diverged - 1, kept.map((k) => cloneSae(k.sae)), kept.map((k) => k.firingCounts.slice())));
      return Promise.resolve(weightsOf(first.step, trainers.map((t) => cloneSae(t.sae)), trainers.map((t) => t.firingCounts.slice())));
    },
    checkpoint() {
      if (diverged !== null) return Promise.reject(new InputError(`checkpoint: training diverged at step ${diverged}: there is no finite state to continue from (export the kept weights instead)`));
      if (!trainers.every(resumable)) return Promise.reject(new InputError(`checkpoint: trainer ${first.config.trainer}: resume is SGD-only so far: train with trainer 'sgd' to checkpoint`));
      return Promise.resolve(checkpointOf(trainers, seeds, input, seeds.length > 1 ? 'bagging' : 'single'));
    },
    finish() {
      // PAM-SGD: the decoder exact for the final encoder, unless the last step's solve already made it so.
      for (const t of trainers) if (finishing(t) && t.solves.at(-1)?.step !== t.step) t.solveDecoderNow();
      return Promise.resolve();
    },
    drainSolves() {
      if (!finishing(first)) return [];
      const fresh = first.solves.slice(reported).map((s) => s.step);
      reported = first.solves.length;
      return fresh;
    },
    onLost: () => () => undefined,
    destroy() {},
  };
}
