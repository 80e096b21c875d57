// When training has gone wrong, said once for the app and the CLI (issue #13): a step whose loss or
// gradient norm is not finite is a divergence (the run stops there, with this cause); an SAE that ends with
// every latent dead or nearly (an absurd ReLU L1) is refused too, not reported as done. Pure functions over
// step stats and SAEs; imports only src/core.

import { InputError } from '../errors.ts';
import type { StepStats } from './train.ts';
import type { Arch, Sae } from './types.ts';

/**
 * Training that went wrong (a divergence, a collapsed SAE): an InputError, so the CLI exits 2 with its one
 * line; the engine's run ends 'error' with it at once, the last finite weights kept.
 */
export class TrainingError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}

/**
 * A step is finite when its loss and its gradient norm are. Given finite weights before the step, a finite
 * gradient keeps them finite (clip, Adam and renormalisation of finite numbers), so the weights before the
 * first non-finite step are the last finite ones.
 */
export const finiteStep = (s: StepStats): boolean => Number.isFinite(s.loss) && Number.isFinite(s.gradNorm);

/** The first non-finite step of a chunk ([SAE][step], steps in the same order for every SAE): its index, SAE and stats. */
export function firstDivergence(stats: readonly (readonly StepStats[])[]): { index: number; sae: number; stats: StepStats } | null {
  const n = stats.length > 0 ? stats[0].length : 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < stats.length; j++) if (!finiteStep(stats[j][i])) return { index: i, sae: j, stats: stats[j][i] };
  }
  return null;
}

/** The fix every divergence message ends with (the same words in the app and the CLI). */
export const DIVERGENCE_FIX = 'lower the learning rate, scale inputs (input scaling expected-norm) or check the data for huge values';

/**
 * The one-line cause: "diverged at step N: loss NaN (gradient norm Infinity, lr 0.5) — fix". step: the
 * run's global step; sae: which SAE of an ensemble (null for one SAE).
 */
export function divergenceMessage(step: number, s: StepStats, sae: number | null = null): string {
  const which = sae === null ? '' : ` (SAE ${sae})`;
  const num = (v: number): string => (Number.isFinite(v) ? v.toPrecision(3) : String(v));
  return `diverged at step ${step}${which}: loss ${num(s.loss)} (gradient norm ${num(s.gradNorm)}, lr ${num(s.lr)}) — ${DIVERGENCE_FIX}`;
}

/** The first tensor of `sae` holding a non-finite value, or null when every weight is finite. */
export function nonFiniteTensor(sae: Sae): string | null {
  const tensors = { wEnc: sae.wEnc, bEnc: sae.bEnc, wDec: sae.wDec, bDec: sae.bDec, logThreshold: sae.logThreshold };
  for (const [name, a] of Object.entries(tensors)) for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return name;
  if (!Number.isFinite(sae.batchThreshold)) return 'batchThreshold';
  return null;
}

/** The step fields the last tenth's means keep (the CLI's lastTenthMean). */
export const TAIL_FIELDS = ['loss', 'mse', 'explainedVariance', 'l0', 'deadFraction'] as const;
export type TailMean = Record<(typeof TAIL_FIELDS)[number], number>;

export interface TailMeans {
  /** Adds a chunk's stats [SAE][step]; only steps in the last tenth count. */
  add(stats: readonly (readonly StepStats[])[]): void;
  /** Each SAE's means over its steps in the last tenth so far; null for an SAE with none yet. */
  means(): (TailMean | null)[];
}

/**
 * Running means of each SAE's last tenth of `steps` (the steps numbered above steps − max(1, ⌊steps/10⌋)),
 * in O(1) memory whatever the run's length: what a finished run is judged by.
 */
export function createTailMeans(steps: number): TailMeans {
  const from = steps - Math.max(1, Math.floor(steps / 10));
  const sums: TailMean[] = [];
  const counts: number[] = [];
  return {
    add(stats) {
      stats.forEach((member, j) => {
        sums[j] ??= { loss: 0, mse: 0, explainedVariance: 0, l0: 0, deadFraction: 0 };
        counts[j] ??= 0;
        for (const s of member) {
          if (s.step <= from) continue;
          for (const k of TAIL_FIELDS) sums[j][k] += s[k];
          counts[j]++;
        }
      });
    },
    means: () => sums.map((sum, j) => (counts[j] > 0 ? (Object.fromEntries(TAIL_FIELDS.map((k) => [k, sum[k] / counts[j]])) as TailMean) : null)),
  };
}

/**
 * Below this mean L0 over the last tenth an SAE has collapsed: latents fire on fewer than 1 token in 10, so
 * it reconstructs nearly every input as bDec (an absurd ReLU L1 ends here, at explained variance ≤ 0).
 */
export const COLLAPSED_L0 = 0.1;

/**
 * A refusal when some SAE has collapsed (every latent dead or nearly: mean L0 < COLLAPSED_L0 over its last
 * tenth of steps), else null. name(j): how to call SAE j ("the SAE", "SAE 2"). l1: the coefficient used.
 */
export function collapseMessage(means: readonly (TailMean | null)[], arch: Arch, l1: number, name: (j: number) => string): string | null {
  const j = means.findIndex((m) => m !== null && m.l0 < COLLAPSED_L0);
  if (j < 0) return null;
  const m = means[j] as TailMean;
  const fix =
    arch === 'relu' || arch === 'jumprelu'
      ? `the sparsity penalty outweighs reconstruction: lower the l1 coefficient (now ${l1}) by 10× or more`
      : 'lower the learning rate or check the data';
  return (
    `every latent of ${name(j)} is dead or nearly at the end (mean L0 ${m.l0.toPrecision(2)} over the last tenth of steps, below ${COLLAPSED_L0}; ` +
    `explained variance ${m.explainedVariance.toFixed(3)}): it reconstructs nearly every input as bDec — ${fix}`
  );
}
