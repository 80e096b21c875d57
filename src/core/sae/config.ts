// Training configuration: defaults, resolution of the "auto" values, and validation with actionable
// messages. Imports only src/core. Defaults follow shared/reference/sae-libraries.md §3.4.

import type { Arch } from './types.ts';
import { ARCHS } from './types.ts';

/** How bDec is initialised (sae-libraries §3.4): Weiszfeld geometric median of a sample, its mean, or zeros. */
export type BDecInit = 'geometric-median' | 'mean' | 'zeros';
/** Input scaling: none, or SAELens `expected_average_only_in`: x' = s·x with s = √dIn / E‖x‖. */
export type InputScaling = 'none' | 'expected-norm';

/**
 * How the parameters are fitted. 'sgd': Adam on the whole loss (sae-libraries §3.4). The engine's trainer
 * factory (src/engine/training/factory.ts) has one entry per trainer; PAM-SGD (SplInterp §3.6, issue #11)
 * is the next value.
 */
export const TRAINERS = ['sgd'] as const;
export type TrainerName = (typeof TRAINERS)[number];

/** Most SAEs one run holds (bagging members, boosting stages) and the largest expanded multiplier J. */
export const MAX_ENSEMBLE_MEMBERS = 16;

/** Everything a training run needs. `null` means "derive it" (see resolveConfig). */
export interface TrainConfig {
  arch: Arch;
  /** The optimiser that fits the parameters (TRAINERS). */
  trainer: TrainerName;
  /** Number of latents. */
  dSae: number;
  /** topk: latents per token; batchtopk: mean latents per token. */
  k: number;
  /** relu: L1 coefficient λ (decoder-norm weighted); jumprelu: L0 coefficient λ. Ignored by topk/batchtopk. */
  l1Coefficient: number;
  /** Steps over which the sparsity coefficient ramps linearly from 0 to l1Coefficient (relu, jumprelu). null → 5% of steps. */
  l1WarmupSteps: number | null;
  steps: number;
  /** Tokens per step. */
  batch: number;
  /** Peak learning rate. null → 2e-4·√(16384/dSae), clamped to ≤ 3e-3 (lr ∝ 1/√width, Gao et al.). */
  lr: number | null;
  /** Linear warm-up steps. null → min(1000, 5% of steps). */
  lrWarmupSteps: number | null;
  /** Linear decay to 0 over the last lrDecaySteps steps. null → 20% of steps. */
  lrDecaySteps: number | null;
  adamBeta1: number;
  adamBeta2: number;
  adamEps: number;
  /** Global gradient-norm clip (0 = off). */
  gradClipNorm: number;
  /** AuxK coefficient α (topk, batchtopk); 0 turns AuxK off. */
  auxkCoefficient: number;
  /** kAux: dead latents used by AuxK. null → dIn/2. */
  kAux: number | null;
  /** A latent is dead after this many tokens without firing. null → min(10M, 20% of training tokens). */
  deadWindowTokens: number | null;
  /** jumprelu: initial threshold θ and the straight-through rectangle bandwidth ε. */
  jumpreluInitThreshold: number;
  jumpreluBandwidth: number;
  /** batchtopk: EMA rate of the inference threshold. */
  batchTopkThresholdRate: number;
  bDecInit: BDecInit;
  inputScaling: InputScaling;
  /** Seeds init and batch order. */
  seed: number;
}

export const DEFAULT_CONFIG: TrainConfig = {
  arch: 'topk',
  trainer: 'sgd',
  dSae: 64,
  k: 4,
  l1Coefficient: 1e-3,
  l1WarmupSteps: null,
  steps: 1000,
  batch: 256,
  lr: null,
  lrWarmupSteps: null,
  lrDecaySteps: null,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEps: 1e-8,
  gradClipNorm: 1,
  auxkCoefficient: 1 / 32,
  kAux: null,
  deadWindowTokens: null,
  jumpreluInitThreshold: 1e-3,
  jumpreluBandwidth: 1e-3,
  batchTopkThresholdRate: 0.01,
  bDecInit: 'geometric-median',
  inputScaling: 'none',
  seed: 0,
};

/** A config with every `null` replaced by its derived value for this dataset width. */
export type ResolvedConfig = {
  [K in keyof TrainConfig]: Exclude<TrainConfig[K], null>;
};

/** Peak learning rate auto-scaled by width: 2e-4·√(16384/dSae), at most 3e-3 (sae-libraries §3.4). */
export function autoLr(dSae: number): number {
  return Math.min(3e-3, 2e-4 * Math.sqrt(16384 / dSae));
}

/** Fills in the derived values. Call validateConfig first. */
export function resolveConfig(c: TrainConfig, dIn: number): ResolvedConfig {
  const totalTokens = c.steps * c.batch;
  return {
    ...c,
    lr: c.lr ?? autoLr(c.dSae),
    lrWarmupSteps: c.lrWarmupSteps ?? Math.min(1000, Math.floor(0.05 * c.steps)),
    lrDecaySteps: c.lrDecaySteps ?? Math.floor(0.2 * c.steps),
    l1WarmupSteps: c.l1WarmupSteps ?? Math.floor(0.05 * c.steps),
    kAux: c.kAux ?? Math.max(1, Math.floor(dIn / 2)),
    deadWindowTokens: c.deadWindowTokens ?? Math.max(c.batch, Math.min(10_000_000, Math.floor(0.2 * totalTokens))),
  };
}

/** Learning rate at 0-based `step`: linear warm-up, constant, then linear decay to 0 over the last lrDecaySteps. */
export function lrAt(c: ResolvedConfig, step: number): number {
  let f = 1;
  if (c.lrWarmupSteps > 0 && step < c.lrWarmupSteps) f = (step + 1) / c.lrWarmupSteps;
  const decayStart = c.steps - c.lrDecaySteps;
  if (c.lrDecaySteps > 0 && step >= decayStart) f = Math.min(f, (c.steps - step) / c.lrDecaySteps);
  return c.lr * f;
}

/** Sparsity coefficient at `step`: linear ramp from 0 over l1WarmupSteps (relu, jumprelu). */
export function l1At(c: ResolvedConfig, step: number): number {
  if (c.l1WarmupSteps <= 0 || step >= c.l1WarmupSteps) return c.l1Coefficient;
  return (c.l1Coefficient * (step + 1)) / c.l1WarmupSteps;
}

const isInt = (v: number): boolean => Number.isInteger(v);

/**
 * Every problem with `c` for data of width dIn with `rows` rows, as messages that name the field,
 * the value, the allowed range and the fix. Empty when the config is valid.
 */
export function validateConfig(c: TrainConfig, dIn: number, rows: number): string[] {
  const e: string[] = [];
  if (!ARCHS.includes(c.arch)) e.push(`arch "${String(c.arch)}" is unknown: use one of ${ARCHS.join(', ')}`);
  if (!(TRAINERS as readonly string[]).includes(c.trainer)) e.push(`trainer "${String(c.trainer)}" is unknown: use one of ${TRAINERS.join(', ')}`);
  if (!isInt(c.dSae) || c.dSae < 1) e.push(`latents (dSae) must be an integer ≥ 1, got ${c.dSae}`);
  if ((c.arch === 'topk' || c.arch === 'batchtopk') && (!isInt(c.k) || c.k < 1 || c.k > c.dSae))
    e.push(`k must be an integer in [1, dSae=${c.dSae}], got ${c.k}: lower k or raise --latents`);
  if (!isInt(c.steps) || c.steps < 1) e.push(`steps must be an integer ≥ 1, got ${c.steps}`);
  if (!isInt(c.batch) || c.batch < 1) e.push(`batch must be an integer ≥ 1, got ${c.batch}`);
  else if (c.batch > rows) e.push(`batch (${c.batch}) is larger than the dataset (${rows} rows): lower --batch`);
  if (c.lr !== null && !(c.lr > 0 && c.lr < 1)) e.push(`lr must be in (0, 1), got ${c.lr}`);
  if (!(c.l1Coefficient >= 0 && Number.isFinite(c.l1Coefficient))) e.push(`l1 coefficient must be ≥ 0, got ${c.l1Coefficient}`);
  if (!(c.adamBeta1 >= 0 && c.adamBeta1 < 1)) e.push(`adamBeta1 must be in [0, 1), got ${c.adamBeta1}`);
  if (!(c.adamBeta2 >= 0 && c.adamBeta2 < 1)) e.push(`adamBeta2 must be in [0, 1), got ${c.adamBeta2}`);
  if (!(c.adamEps > 0)) e.push(`adamEps must be > 0, got ${c.adamEps}`);
  if (!(c.gradClipNorm >= 0)) e.push(`gradClipNorm must be ≥ 0 (0 = off), got ${c.gradClipNorm}`);
  if (!(c.auxkCoefficient >= 0)) e.push(`auxkCoefficient must be ≥ 0 (0 = off), got ${c.auxkCoefficient}`);
  if (c.kAux !== null && (!isInt(c.kAux) || c.kAux < 1 || c.kAux > c.dSae)) e.push(`kAux must be an integer in [1, dSae=${c.dSae}], got ${c.kAux}`);
  for (const [name, v] of [['lrWarmupSteps', c.lrWarmupSteps], ['lrDecaySteps', c.lrDecaySteps], ['l1WarmupSteps', c.l1WarmupSteps]] as const)
    if (v !== null && (!isInt(v) || v < 0 || v > c.steps)) e.push(`${name} must be an integer in [0, steps=${c.steps}], got ${v}`);
  if (c.deadWindowTokens !== null && !(c.deadWindowTokens >= 1)) e.push(`deadWindowTokens must be ≥ 1, got ${c.deadWindowTokens}`);
  if (!(c.jumpreluInitThreshold > 0)) e.push(`jumpreluInitThreshold must be > 0, got ${c.jumpreluInitThreshold}`);
  if (!(c.jumpreluBandwidth > 0)) e.push(`jumpreluBandwidth must be > 0, got ${c.jumpreluBandwidth}`);
  if (!(c.batchTopkThresholdRate > 0 && c.batchTopkThresholdRate <= 1)) e.push(`batchTopkThresholdRate must be in (0, 1], got ${c.batchTopkThresholdRate}`);
  if (!['geometric-median', 'mean', 'zeros'].includes(c.bDecInit)) e.push(`bDecInit must be geometric-median, mean or zeros, got ${String(c.bDecInit)}`);
  if (!['none', 'expected-norm'].includes(c.inputScaling)) e.push(`inputScaling must be none or expected-norm, got ${String(c.inputScaling)}`);
  if (!isInt(c.seed) || c.seed < 0 || c.seed > 0xffffffff) e.push(`seed must be an integer in [0, 2^32), got ${c.seed}`);
  if (!isInt(dIn) || dIn < 1) e.push(`data width dIn must be ≥ 1, got ${dIn}`);
  return e;
}
