// The CPU reference as a member trainer: one src/core trainer per seed, stepped in turn, sharing the batch
// order of seeds[0] (naive bagging: members differ only in init). Which core trainer (SGD's createTrainer,
// PAM-SGD's createPamTrainer) is the factory's choice. Imports src/core only.

import { boostingResidual } from '../../core/ensemble/boosting.ts';
import type { TrainConfig } from '../../core/sae/config.ts';
import type { StepStats, Trainer } from '../../core/sae/train.ts';
import type { TrainerOptions } from '../../core/sae/train.ts';
import { createTrainer } from '../../core/sae/train.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import { cloneSae } from '../../core/sae/types.ts';
import type { MemberTrainer } from './memberTrainer.ts';

/** A core trainer's constructor (createTrainer's signature). */
export type CoreTrainerMaker = (data: Dataset, config: Partial<TrainConfig>, opts: TrainerOptions) => Trainer;

/** A core trainer that can bring its model up to date after its last step (PAM-SGD: pamTrain.ts). */
interface Finishing {
  /** Every decoder solve so far, in order (pamTrain.ts DecoderSolveRecord). */
  solves: readonly { step: number }[];
  solveDecoderNow(): unknown;
}
const finishing = (t: Trainer): t is Trainer & Finishing => 'solveDecoderNow' in t;

/**
 * residualOf: frozen boosting stages; the members then train on the residual they leave of `data`
 * (core/ensemble/boosting.ts). make: the core trainer (default SGD's createTrainer).
 */
export function createCpuTrainer(
  data: Dataset,
  config: Partial<TrainConfig>,
  seeds: readonly number[],
  residualOf: readonly Sae[] = [],
  make: CoreTrainerMaker = createTrainer,
): MemberTrainer {
  const input = residualOf.length > 0 ? boostingResidual(residualOf, data) : data;
  const trainers: Trainer[] = seeds.map((seed) => make(input, { ...config, seed }, { batchOrderSeed: seeds[0] }));
  const first = trainers[0];
  /** Member 0's solves already reported by drainSolves. */
  let reported = 0;
  return {
    kind: 'cpu',
    config: first.config,
    seeds,
    get step() {
      return first.step;
    },
    trainChunk(maxSteps, budgetMs) {
      const out: StepStats[][] = trainers.map(() => []);
      const t0 = performance.now();
      let n = 0;
      do {
        trainers.forEach((t, j) => out[j].push(t.trainStep()));
        n++;
      } while (n < maxSteps && performance.now() - t0 < budgetMs);
      return Promise.resolve(out);
    },
    readWeights() {
      return Promise.resolve({
        step: first.step,
        tokens: first.step * first.config.batch,
        saes: trainers.map((t) => cloneSae(t.sae)),
        firingCounts: trainers.map((t) => t.firingCounts.slice()),
      });
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
