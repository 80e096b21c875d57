// The A/B of SGD against PAM-SGD (SplInterp; seed-papers §3.6–3.10) and its two sweeps, as pure
// computation: train each trainer on the same rows from the same seed under one alignment, evaluate on
// held-out rows at regular points, and report final test MSE (and % non-zero codes, for ReLU) per setting.
// Imports only src/core (the CPU reference trainers: createTrainer, createPamTrainer, createTiedTrainer).
//
// Trainers: 'sgd' (untied, our recipe: train.ts), 'pam-sgd' (pamTrain.ts), 'sgd-tied' (the scripts'
// baseline, decoder = encoderᵀ: tiedTrain.ts). All three start from initSae with the run's seed, so they
// start from the same weights and see the same batch order.
//
// Alignments (§3.10: the paper's sample-efficiency claim is an equal-epoch comparison, and at a small
// fraction SGD gets a handful of Adam steps while PAM gets as many exact solves):
// - 'equal-epochs': every run makes `epochs` passes over ITS rows (an epoch = ⌈rows/batch⌉ batches, the
//   PAM trainer's stepsPerEpoch). PAM at updatesPerBatch s makes s Adam updates per batch.
// - 'equal-steps': every run makes the same number U of Adam updates, U = E₁₀₀ · ⌈N/batch⌉ · s (what PAM
//   does in E₁₀₀ epochs of the WHOLE training split, N rows, at s updates per batch; E₁₀₀ = the epochs at
//   100%). SGD and tied SGD take U steps, PAM U/s batches. The budget does not shrink with the fraction,
//   so a 1% subset is not also a 1% compute budget: that separates "less data" from "less training".
// - 'equal-time': every run trains for the same measured wall-clock T (evaluation excluded; checked after
//   each batch, so a run overshoots by < one batch, or one batch and a decoder solve). T = timeSeconds, or
//   the time the first listed trainer takes for its equal-epochs budget in the same setting. The end of a
//   wall-clock budget is not known in advance, so these runs use a constant lr after warm-up (no decay),
//   with warm-up and dead window taken from the equal-epochs plan.
// A PAM run ends with the decoder solved for its final encoder, as the engine's MemberTrainer.finish()
// does (an extra solve only when the last batch did not end with one, e.g. decoder-first).
//
// Sweeps: training fraction {1, 5, 10, 25, 50, 100}% (nested seeded subsets of the training rows: the
// first ⌈p·N⌉ of one permutation, so a larger fraction adds rows; the test rows never change), and PAM's
// updates per batch {1, 3, 5, 10}. Epochs per fraction: fixed, or the MNIST script's rule
// min(20, max(10, ⌊20·fraction⌋)) (§3.10). Runs whose plan is identical (e.g. SGD at every s under equal
// epochs) are trained once and shared: the reference trainers are deterministic.

import type { TrainConfig } from './config.ts';
import { DEFAULT_CONFIG, MAX_PAM_UPDATES_PER_BATCH, resolveConfig } from './config.ts';
import { InputError } from '../errors.ts';
import { evaluateSae } from './evaluate.ts';
import { createRng, permutation } from '../math/random.ts';
import type { PamTrainer } from './pamTrain.ts';
import { createPamTrainer } from './pamTrain.ts';
import { createTiedTrainer } from './tiedTrain.ts';
import type { Trainer } from './train.ts';
import { createTrainer, gatherRows } from './train.ts';
import type { Dataset } from './types.ts';

export const AB_TRAINERS = ['sgd', 'pam-sgd', 'sgd-tied'] as const;
export type AbTrainer = (typeof AB_TRAINERS)[number];
export const AB_ALIGNMENTS = ['equal-epochs', 'equal-steps', 'equal-time'] as const;
export type Alignment = (typeof AB_ALIGNMENTS)[number];
/** 'fixed': `epochs` at every fraction; 'official': the MNIST script's min(20, max(10, ⌊20·fraction⌋)). */
export const EPOCH_RULES = ['fixed', 'official'] as const;
export type EpochRule = (typeof EPOCH_RULES)[number];

/** The scripts' sweeps (§3.7). */
export const SWEEP_FRACTIONS_PERCENT: readonly number[] = [1, 5, 10, 25, 50, 100];
export const SWEEP_UPDATES_PER_BATCH: readonly number[] = [1, 3, 5, 10];

/** Training rows and held-out rows of one dataset (same dIn). */
export interface AbSplit {
  train: Dataset;
  test: Dataset;
}

export interface AbOptions {
  trainers: readonly AbTrainer[];
  align: Alignment;
  /** Epochs ('fixed' rule; the equal-steps budget and equal-time reference use the epochs at 100%). */
  epochs: number;
  epochRule: EpochRule;
  /** equal-time: training seconds per run; null → the first trainer's equal-epochs time, per setting. */
  timeSeconds: number | null;
  /** Most evaluations on the test rows along a run (at epoch ends), besides the final one. */
  maxCurvePoints: number;
  /** Seed of the permutation the training fractions are prefixes of. */
  subsetSeed: number;
  onProgress?: (p: AbProgress) => void;
  /** Clock in milliseconds (default performance.now); tests inject one. */
  now?: () => number;
}

export const DEFAULT_AB_OPTIONS: AbOptions = {
  trainers: ['sgd', 'pam-sgd'],
  align: 'equal-epochs',
  epochs: 10,
  epochRule: 'fixed',
  timeSeconds: null,
  maxCurvePoints: 20,
  subsetSeed: 0,
};

export interface AbProgress {
  /** Runs finished before this one, and in all. */
  run: number;
  runs: number;
  trainer: AbTrainer;
  setting: AbSetting;
  /** Epochs done (fractional) and test MSE at this point. */
  epoch: number;
  testMse: number;
}

/** One point of a sweep: a training fraction and PAM's updates per batch. */
export interface AbSetting {
  fractionPercent: number;
  /** Training rows used: max(1, round(fraction·N)). */
  rows: number;
  updatesPerBatch: number;
  /** Epochs of the equal-epochs plan at this fraction. */
  epochs: number;
}

/** The model evaluated on every test row (evaluateSae, input units). */
export interface AbPoint {
  /** Epochs done (batches / ⌈rows/batch⌉), batches, Adam updates, training seconds. */
  epoch: number;
  steps: number;
  updates: number;
  seconds: number;
  /** (1/T)·Σ_t ‖x_t − x̂_t‖² over the test rows (summed over dims). */
  testMse: number;
  /** testMse / dIn (the scripts' MSELoss convention). */
  testMsePerElement: number;
  explainedVariance: number;
  /** Mean active latents per test row, and as a % of dSae: the "% non-zero codes" of §3.9 on the whole test set. */
  l0: number;
  nonZeroPercent: number;
  deadFraction: number;
}

/** A decoder solve of a PAM run (pamTrain.ts DecoderSolveRecord, in the SAE's scaled space). */
export interface AbSolve {
  step: number;
  mseBefore: number;
  mseAfter: number;
}

export interface AbRun {
  trainer: AbTrainer;
  setting: AbSetting;
  align: Alignment;
  /** Batch size used (the base batch, lowered to the row count of a small fraction). */
  batch: number;
  steps: number;
  updates: number;
  epochs: number;
  seconds: number;
  final: AbPoint;
  curve: AbPoint[];
  /** PAM-SGD's decoder solves (empty for the SGD trainers): the markers on the loss curve. */
  solves: AbSolve[];
}

export interface AbSweep {
  kind: 'fraction' | 'updates';
  align: Alignment;
  trainers: AbTrainer[];
  trainRows: number;
  testRows: number;
  settings: AbSetting[];
  /** One run per (setting, trainer), settings outer, in the order of `trainers`. */
  runs: AbRun[];
}

/** Epochs at training fraction `fraction` ∈ (0, 1]. */
export function epochsAt(fraction: number, epochs: number, rule: EpochRule): number {
  return rule === 'official' ? Math.min(20, Math.max(10, Math.floor(20 * fraction + 1e-9))) : epochs;
}

/** Training rows a fraction (percent) of `n` rows keeps: max(1, round(p·n/100)). */
export const fractionRows = (n: number, percent: number): number => Math.max(1, Math.min(n, Math.round((percent * n) / 100)));

/** The first fractionRows(n, percent) rows of a seeded permutation of `train`'s rows (nested across fractions). */
export function trainSubset(train: Dataset, percent: number, seed: number): Dataset {
  const n = fractionRows(train.rows, percent);
  const idx = permutation(train.rows, createRng(seed ^ 0x6a09e667)).subarray(0, n);
  return { name: `${train.name}[${percent}%]`, rows: n, dIn: train.dIn, x: gatherRows(train.x, train.dIn, idx), truth: train.truth };
}

/** A seeded random split: round(fraction·rows) test rows (at least 1), the rest for training. */
export function splitRows(data: Dataset, testFraction: number, seed: number): AbSplit {
  if (!(testFraction > 0 && testFraction < 1)) throw new InputError(`test fraction must be in (0, 1), got ${testFraction}`);
  const nTest = Math.max(1, Math.round(testFraction * data.rows));
  if (data.rows - nTest < 1) throw new InputError(`${data.name}: ${data.rows} rows leave no training rows after holding out ${nTest}: lower the test fraction`);
  const perm = permutation(data.rows, createRng(seed ^ 0x3c6ef372));
  const pick = (idx: Uint32Array, part: string): Dataset => ({ name: `${data.name}:${part}`, rows: idx.length, dIn: data.dIn, x: gatherRows(data.x, data.dIn, idx), truth: data.truth });
  return { test: pick(perm.subarray(0, nTest), 'test'), train: pick(perm.subarray(nTest), 'train') };
}

function checkOptions(split: AbSplit, o: AbOptions): void {
  const e: string[] = [];
  if (o.trainers.length === 0) e.push('trainers: expected at least one');
  for (const t of o.trainers) if (!(AB_TRAINERS as readonly string[]).includes(t)) e.push(`trainer "${t}" is unknown: use ${AB_TRAINERS.join(', ')}`);
  if (new Set(o.trainers).size !== o.trainers.length) e.push(`trainers: each at most once, got ${o.trainers.join(',')}`);
  if (!(AB_ALIGNMENTS as readonly string[]).includes(o.align)) e.push(`alignment "${o.align}" is unknown: use ${AB_ALIGNMENTS.join(', ')}`);
  if (!Number.isInteger(o.epochs) || o.epochs < 1) e.push(`epochs must be an integer ≥ 1, got ${o.epochs}`);
  if (!(EPOCH_RULES as readonly string[]).includes(o.epochRule)) e.push(`epoch rule "${o.epochRule}" is unknown: use ${EPOCH_RULES.join(', ')}`);
  if (o.timeSeconds !== null && !(o.timeSeconds > 0 && Number.isFinite(o.timeSeconds))) e.push(`time budget must be > 0 seconds, got ${o.timeSeconds}`);
  if (!Number.isInteger(o.maxCurvePoints) || o.maxCurvePoints < 1) e.push(`maxCurvePoints must be an integer ≥ 1, got ${o.maxCurvePoints}`);
  if (split.train.dIn !== split.test.dIn) e.push(`test rows: dIn: expected ${split.train.dIn} (the training rows' width), got ${split.test.dIn}`);
  if (split.train.rows < 1 || split.test.rows < 1) e.push(`split: expected ≥ 1 training and ≥ 1 test row, got ${split.train.rows} and ${split.test.rows}`);
  if (e.length > 0) throw new InputError(`A/B: ${e.join('; ')}`);
}

/** How long a run trains: a number of batches, or a wall-clock budget (then `steps` is a cap). */
interface Budget {
  steps: number;
  seconds: number | null;
}

/** The batches a trainer gets in `setting` under `align` (equal-time: the equal-epochs plan, the reference's). */
export function plannedSteps(trainer: AbTrainer, align: Alignment, setting: AbSetting, fullRows: number, fullEpochs: number, baseBatch: number): number {
  const batch = Math.min(baseBatch, setting.rows);
  const s = setting.updatesPerBatch;
  if (align === 'equal-steps') {
    const updates = fullEpochs * Math.ceil(fullRows / baseBatch) * s;
    return trainer === 'pam-sgd' ? Math.max(1, Math.round(updates / s)) : updates;
  }
  return setting.epochs * Math.ceil(setting.rows / batch);
}

function makeTrainer(trainer: AbTrainer, data: Dataset, config: Partial<TrainConfig>): Trainer {
  switch (trainer) {
    case 'sgd':
      return createTrainer(data, { ...config, trainer: 'sgd' });
    case 'pam-sgd':
      return createPamTrainer(data, { ...config, trainer: 'pam-sgd' });
    case 'sgd-tied':
      return createTiedTrainer(data, { ...config, trainer: 'sgd' });
    default:
      return trainer satisfies never;
  }
}

const isPam = (t: Trainer): t is PamTrainer => 'solveDecoderNow' in t;

/** Trains one run and evaluates it on `test` along the way. */
function trainRun(trainer: AbTrainer, data: Dataset, test: Dataset, config: Partial<TrainConfig>, budget: Budget, evalEveryEpochs: number, now: () => number, onPoint: (p: AbPoint) => void): { curve: AbPoint[]; solves: AbSolve[]; steps: number; seconds: number; batch: number } {
  const t = makeTrainer(trainer, data, config);
  const batch = t.config.batch;
  const stepsPerEpoch = Math.ceil(data.rows / batch);
  const s = trainer === 'pam-sgd' ? t.config.pamUpdatesPerBatch : 1;
  const curve: AbPoint[] = [];
  let ms = 0;
  const point = (): AbPoint => {
    const r = evaluateSae(t.sae, test);
    const p: AbPoint = {
      epoch: t.step / stepsPerEpoch,
      steps: t.step,
      updates: t.step * s,
      seconds: ms / 1000,
      testMse: r.metrics.msePerToken,
      testMsePerElement: r.metrics.msePerElement,
      explainedVariance: r.metrics.explainedVariance,
      l0: r.metrics.l0,
      nonZeroPercent: (100 * r.metrics.l0) / t.sae.dSae,
      deadFraction: r.metrics.deadFraction,
    };
    onPoint(p);
    return p;
  };
  const done = (): boolean => t.step >= budget.steps || (budget.seconds !== null && ms >= budget.seconds * 1000);
  while (!done()) {
    const a = now();
    t.trainStep();
    ms += now() - a;
    const epochEnd = t.step % stepsPerEpoch === 0;
    if (epochEnd && (t.step / stepsPerEpoch) % evalEveryEpochs === 0 && !done()) curve.push(point());
  }
  if (isPam(t) && t.solves.at(-1)?.step !== t.step) {
    const a = now();
    t.solveDecoderNow();
    ms += now() - a;
  }
  curve.push(point());
  const solves = isPam(t) ? t.solves.map((r) => ({ step: r.step, mseBefore: r.mseBefore, mseAfter: r.mseAfter })) : [];
  return { curve, solves, steps: t.step, seconds: ms / 1000, batch };
}

interface Planned {
  trainer: AbTrainer;
  setting: AbSetting;
}

/**
 * Runs every (setting, trainer) of a sweep. base: the shared TrainConfig (trainer, steps and batch are set
 * per run: batch ≤ the setting's rows; pamUpdatesPerBatch = the setting's).
 */
function runSettings(kind: AbSweep['kind'], split: AbSplit, base: Partial<TrainConfig>, opts: AbOptions, settings: AbSetting[]): AbSweep {
  checkOptions(split, opts);
  const now = opts.now ?? (() => performance.now());
  const baseBatch = base.batch ?? DEFAULT_CONFIG.batch;
  const fullEpochs = epochsAt(1, opts.epochs, opts.epochRule);
  const plan: Planned[] = settings.flatMap((setting) => opts.trainers.map((trainer) => ({ trainer, setting })));
  const runs: AbRun[] = [];
  const shared = new Map<string, AbRun>();
  const subsets = new Map<number, Dataset>();
  let timeBudget: { setting: AbSetting; seconds: number } | null = null;

  for (const [i, { trainer, setting }] of plan.entries()) {
    const data = subsets.get(setting.fractionPercent) ?? trainSubset(split.train, setting.fractionPercent, opts.subsetSeed);
    subsets.set(setting.fractionPercent, data);
    const batch = Math.min(baseBatch, data.rows);
    const epochSteps = plannedSteps(trainer, 'equal-epochs', setting, split.train.rows, fullEpochs, baseBatch);
    let steps = plannedSteps(trainer, opts.align, setting, split.train.rows, fullEpochs, baseBatch);
    const config: Partial<TrainConfig> = { ...base, batch, steps, pamUpdatesPerBatch: setting.updatesPerBatch };
    let seconds: number | null = null;
    if (opts.align === 'equal-time') {
      // The equal-epochs plan's warm-up and dead window, a constant lr after warm-up, a step cap.
      const ref = resolveConfig({ ...DEFAULT_CONFIG, ...config, steps: epochSteps }, data.dIn);
      const isReference = opts.timeSeconds === null && i % opts.trainers.length === 0;
      seconds = isReference ? null : (opts.timeSeconds ?? (timeBudget?.setting === setting ? timeBudget.seconds : null));
      if (!isReference && seconds === null) throw new Error('unreachable: equal-time without a reference run');
      steps = isReference ? epochSteps : epochSteps * 1000;
      Object.assign(config, { steps, lrWarmupSteps: ref.lrWarmupSteps, l1WarmupSteps: ref.l1WarmupSteps, deadWindowTokens: ref.deadWindowTokens, lrDecaySteps: 0 });
    }
    const plannedEpochs = epochSteps / Math.ceil(data.rows / batch);
    const evalEvery = Math.max(1, Math.ceil((opts.align === 'equal-steps' ? steps / Math.ceil(data.rows / batch) : plannedEpochs) / opts.maxCurvePoints));
    const key = opts.align === 'equal-time' ? null : JSON.stringify([trainer, setting.fractionPercent, trainer === 'pam-sgd' ? setting.updatesPerBatch : 0, config.steps, config.batch]);
    const reuse = key === null ? undefined : shared.get(key);
    if (reuse) {
      runs.push({ ...reuse, setting });
      continue;
    }
    const r = trainRun(trainer, data, split.test, config, { steps, seconds }, evalEvery, now, (p) =>
      opts.onProgress?.({ run: i, runs: plan.length, trainer, setting, epoch: p.epoch, testMse: p.testMse }),
    );
    if (opts.align === 'equal-time' && seconds === null) timeBudget = { setting, seconds: r.seconds };
    const run: AbRun = {
      trainer,
      setting,
      align: opts.align,
      batch: r.batch,
      steps: r.steps,
      updates: r.steps * (trainer === 'pam-sgd' ? setting.updatesPerBatch : 1),
      epochs: r.steps / Math.ceil(data.rows / r.batch),
      seconds: r.seconds,
      final: r.curve[r.curve.length - 1],
      curve: r.curve,
      solves: r.solves,
    };
    if (key !== null) shared.set(key, run);
    runs.push(run);
  }
  return { kind, align: opts.align, trainers: [...opts.trainers], trainRows: split.train.rows, testRows: split.test.rows, settings, runs };
}

/** Throws an InputError naming the first bad value of a sweep (fractions: percents in (0, 100]; updates: integers in [1, MAX]). */
export function checkSweepValues(kind: AbSweep['kind'], values: readonly number[]): void {
  if (values.length === 0) throw new InputError(`${kind} sweep: expected at least one value`);
  for (const v of values) {
    if (kind === 'fraction' && !(v > 0 && v <= 100)) throw new InputError(`fraction sweep: each fraction must be a percent in (0, 100], got ${v}`);
    if (kind === 'updates' && (!Number.isInteger(v) || v < 1 || v > MAX_PAM_UPDATES_PER_BATCH)) throw new InputError(`updates sweep: each value must be an integer in [1, ${MAX_PAM_UPDATES_PER_BATCH}], got ${v}`);
  }
}

/** The training-fraction sweep at the base config's updates per batch. */
export function fractionSweep(split: AbSplit, base: Partial<TrainConfig>, opts: AbOptions, percents: readonly number[] = SWEEP_FRACTIONS_PERCENT): AbSweep {
  checkSweepValues('fraction', percents);
  const s = base.pamUpdatesPerBatch ?? DEFAULT_CONFIG.pamUpdatesPerBatch;
  const settings = percents.map((p) => ({ fractionPercent: p, rows: fractionRows(split.train.rows, p), updatesPerBatch: s, epochs: epochsAt(p / 100, opts.epochs, opts.epochRule) }));
  return runSettings('fraction', split, base, opts, settings);
}

/** The updates-per-batch sweep on all training rows (the SGD trainers ignore s except through the equal-steps budget). */
export function updatesSweep(split: AbSplit, base: Partial<TrainConfig>, opts: AbOptions, values: readonly number[] = SWEEP_UPDATES_PER_BATCH): AbSweep {
  checkSweepValues('updates', values);
  const settings = values.map((s) => ({ fractionPercent: 100, rows: split.train.rows, updatesPerBatch: s, epochs: epochsAt(1, opts.epochs, opts.epochRule) }));
  return runSettings('updates', split, base, opts, settings);
}

/** The final run of `trainer` at each setting of a sweep, in setting order. */
export const runsOf = (sweep: AbSweep, trainer: AbTrainer): AbRun[] => sweep.runs.filter((r) => r.trainer === trainer);
