// The CPU reference as a member trainer: one src/core trainer per seed, stepped in turn, sharing the batch
// order of seeds[0] (naive bagging: members differ only in init). Imports src/core only.

import { boostingResidual } from '../../core/ensemble/boosting.ts';
import type { TrainConfig } from '../../core/sae/config.ts';
import type { StepStats, Trainer } from '../../core/sae/train.ts';
import { createTrainer } from '../../core/sae/train.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import { cloneSae } from '../../core/sae/types.ts';
import type { MemberTrainer } from './memberTrainer.ts';

/** residualOf: frozen boosting stages; the members then train on the residual they leave of `data` (core/ensemble/boosting.ts). */
export function createCpuTrainer(data: Dataset, config: Partial<TrainConfig>, seeds: readonly number[], residualOf: readonly Sae[] = []): MemberTrainer {
  const input = residualOf.length > 0 ? boostingResidual(residualOf, data) : data;
  const trainers: Trainer[] = seeds.map((seed) => createTrainer(input, { ...config, seed }, { batchOrderSeed: seeds[0] }));
  const first = trainers[0];
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
    onLost: () => () => undefined,
    destroy() {},
  };
}
