// compareTrainers: the SGD vs PAM-SGD A/B (issue #11; seed-papers §3.6–3.10) on a loaded dataset, for the
// app. The computation is core's (src/core/sae/abTest.ts: alignments, sweeps, held-out curves, PAM's
// solves); this file picks the rows (the eval split, else a seeded held-out 20%), caps the sizes so a
// sweep stays interactive on the CPU reference, reports progress on the snapshot channel, numbers the
// runs for the runs table, and refuses what cannot run now. Imports src/core and engine types only.
//
// One setting at a time: core's sweep is synchronous, so each setting is its own core call with a
// macrotask between them; in the worker that lets a second compareTrainers (refused), a pause or a
// dataset listing through while a sweep runs. Results are core's exactly: a fraction sweep's settings
// never share a run, and core's reference trainers are deterministic, so an updates sweep's SGD runs
// (trained once per setting here, once in all by core) are the same numbers.

import type { AbOptions, AbProgress, AbRun, AbSetting, AbSplit, AbSweep } from '../core/sae/abTest.ts';
import { AB_ALIGNMENTS, AB_TRAINERS, checkSweepValues, DEFAULT_AB_OPTIONS, fractionSweep, splitRows, SWEEP_FRACTIONS_PERCENT, SWEEP_UPDATES_PER_BATCH, trainSubset, updatesSweep } from '../core/sae/abTest.ts';
import type { TrainConfig } from '../core/sae/config.ts';
import { DEFAULT_CONFIG, validateConfig } from '../core/sae/config.ts';
import { InputError } from '../core/errors.ts';
import type { Dataset } from '../core/sae/types.ts';
import type { CompareKind, CompareProgress, CompareRequest, TrainerComparison } from './api.ts';
import type { LoadedDataset } from './data/datasets.ts';

/** Sizes that keep a six-setting sweep of two trainers within about a minute on the CPU reference (dIn 64, dSae 256: ~15 s). */
export const COMPARE_MAX_TRAIN_ROWS = 4096;
export const COMPARE_MAX_TEST_ROWS = 1024;
export const COMPARE_MAX_LATENTS = 1024;
export const COMPARE_MAX_EPOCHS = 20;
/** Held out of the train rows when the dataset has no eval split (the CLI's default is 0.1; a small dataset's test set needs more). */
export const COMPARE_TEST_FRACTION = 0.2;

const LIMITS =
  `at most ${COMPARE_MAX_TRAIN_ROWS} training rows and ${COMPARE_MAX_TEST_ROWS} test rows (seeded subsets), ` +
  `dSae ≤ ${COMPARE_MAX_LATENTS}, epochs ≤ ${COMPARE_MAX_EPOCHS}: every run trains on the CPU reference in this tab`;

const KINDS: readonly CompareKind[] = ['compare', 'fraction', 'updates'];

export interface ComparerDeps {
  /** The Workbench's control queue: the comparison runs in turn with startRun, pause, … */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  datasetFor(id: string): Promise<LoadedDataset>;
  /** The current run's id and status (a training run refuses the comparison). */
  current(): { id: number; status: string } | null;
  reserveRunIds(n: number): number[];
  /** Sends a snapshot (force: now; else when the channel's throttle allows). */
  emit(force: boolean): void;
}

export interface Comparer {
  /** The comparison in flight, for Snapshot.comparing. */
  progress(): CompareProgress | null;
  compareTrainers(req: CompareRequest): Promise<TrainerComparison>;
}

/** The first `max` rows of a seeded permutation of `d` (core's nested subsets), or `d` itself when it fits. */
function capRows(d: Dataset, max: number, seed: number): Dataset {
  return d.rows <= max ? d : trainSubset(d, (100 * max) / d.rows, seed);
}

/** The A/B's rows: the eval split as the test rows, else a seeded COMPARE_TEST_FRACTION of train; both capped. */
export function comparisonSplit(d: LoadedDataset, seed: number): { split: AbSplit; source: 'eval' | 'held-out'; how: string; capped: string[] } {
  const source = d.eval ? 'eval' : 'held-out';
  const raw = d.eval ? { train: d.train, test: d.eval } : splitRows(d.train, COMPARE_TEST_FRACTION, seed);
  const split = { train: capRows(raw.train, COMPARE_MAX_TRAIN_ROWS, seed), test: capRows(raw.test, COMPARE_MAX_TEST_ROWS, seed + 1) };
  const capped: string[] = [];
  if (split.train.rows < raw.train.rows) capped.push(`training rows: ${split.train.rows} of ${raw.train.rows} (a seeded subset)`);
  if (split.test.rows < raw.test.rows) capped.push(`test rows: ${split.test.rows} of ${raw.test.rows} (a seeded subset)`);
  const how = d.eval
    ? `test rows: ${d.info.id}'s eval split (rows no run trains on); training rows: its train split`
    : `${d.info.id} has no eval split: a seeded ${COMPARE_TEST_FRACTION * 100}% of its train rows (seed ${seed}) is held out as the test rows`;
  return { split, source, how, capped };
}

/** Every problem of a request that can be named before any data is touched. */
function requestProblems(req: CompareRequest): string[] {
  const e: string[] = [];
  if (typeof req !== 'object' || req === null) return [`expected { dataset, config, kind, align, trainers, epochs }, got ${String(req)}`];
  if (!KINDS.includes(req.kind)) e.push(`kind "${String(req.kind)}" is unknown: use ${KINDS.join(', ')}`);
  if (!(AB_ALIGNMENTS as readonly string[]).includes(req.align)) e.push(`align "${String(req.align)}" is unknown: use ${AB_ALIGNMENTS.join(', ')}`);
  if (!Array.isArray(req.trainers) || req.trainers.length === 0) e.push(`trainers: pick at least one of ${AB_TRAINERS.join(', ')}`);
  if (!Number.isInteger(req.epochs) || req.epochs < 1 || req.epochs > COMPARE_MAX_EPOCHS) e.push(`epochs must be an integer in [1, ${COMPARE_MAX_EPOCHS}] here (the CLI's sweep takes more), got ${req.epochs}`);
  const dSae = req.config?.dSae ?? DEFAULT_CONFIG.dSae;
  if (dSae > COMPARE_MAX_LATENTS) e.push(`dSae ${dSae} is over ${COMPARE_MAX_LATENTS}, the size a comparison on the CPU reference stays interactive at: lower dSae, or run \`sae-workbench sweep\``);
  return e;
}

export function createComparer(deps: ComparerDeps): Comparer {
  let progress: CompareProgress | null = null;
  let count = 0;

  const body = async (req: CompareRequest): Promise<TrainerComparison> => {
    const t0 = performance.now();
    const r = deps.current();
    if (r?.status === 'training') throw new InputError(`compareTrainers: run ${r.id} is training: pause or stop it first (an A/B shares this engine's time with it, and equal-time would measure both)`);
    const loaded = await deps.datasetFor(req.dataset);
    const base: Partial<TrainConfig> = { ...req.config };
    const seed = base.seed ?? DEFAULT_CONFIG.seed;
    const { split, source, how, capped } = comparisonSplit(loaded, seed);
    for (const trainer of new Set(req.trainers.map((t) => (t === 'pam-sgd' ? 'pam-sgd' : 'sgd')))) {
      const wrong = validateConfig({ ...DEFAULT_CONFIG, ...base, trainer, steps: 1, batch: Math.min(base.batch ?? DEFAULT_CONFIG.batch, split.train.rows) }, split.train.dIn, split.train.rows);
      if (wrong.length > 0) throw new InputError(`compareTrainers: ${trainer}: ${wrong.join('; ')}`);
    }
    const values = req.kind === 'compare' ? [100] : (req.values ?? (req.kind === 'fraction' ? SWEEP_FRACTIONS_PERCENT : SWEEP_UPDATES_PER_BATCH));
    checkSweepValues(req.kind === 'updates' ? 'updates' : 'fraction', values);

    const T = req.trainers.length;
    const total = values.length * T;
    const settings: AbSetting[] = [];
    const runs: AbRun[] = [];
    let sweep: AbSweep | null = null;
    progress = { done: 0, runs: total, phase: `${req.trainers.join(' vs ')} on ${split.train.rows} training rows: starting` };
    deps.emit(true);
    for (const [i, v] of values.entries()) {
      let last = -1;
      const onProgress = (p: AbProgress): void => {
        const s = p.setting;
        const where = req.kind === 'updates' ? `s = ${s.updatesPerBatch}` : `${s.fractionPercent}% (${s.rows} rows)`;
        progress = { done: i * T + p.run, runs: total, phase: `${p.trainer} at ${where}: epoch ${p.epoch.toFixed(1)} of ${s.epochs}, test MSE ${p.testMse.toPrecision(3)}` };
        deps.emit(p.run !== last);
        last = p.run;
      };
      const opts: AbOptions = { ...DEFAULT_AB_OPTIONS, trainers: req.trainers, align: req.align, epochs: req.epochs, subsetSeed: seed, onProgress };
      const one = req.kind === 'updates' ? updatesSweep(split, base, opts, [v]) : fractionSweep(split, base, opts, [v]);
      settings.push(...one.settings);
      runs.push(...one.runs);
      sweep = { ...one, settings, runs };
      progress = { done: (i + 1) * T, runs: total, phase: progress.phase };
      deps.emit(true);
      // A macrotask between settings: the worker answers other calls (a second comparison is refused at once).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (!sweep) throw new Error('unreachable: a sweep without settings');
    return {
      comparison: ++count,
      kind: req.kind,
      dataset: loaded.info.id,
      epochs: req.epochs,
      config: base,
      sweep: { ...sweep, kind: req.kind === 'updates' ? 'updates' : 'fraction' },
      runIds: deps.reserveRunIds(runs.length),
      split: { source, trainRows: split.train.rows, testRows: split.test.rows, how },
      limits: LIMITS,
      capped,
      backend: "core's CPU reference trainers, every trainer on the same one (equal-time compares measured seconds; tied SGD exists only there)",
      wallSeconds: (performance.now() - t0) / 1000,
    };
  };

  return {
    progress: () => progress,
    compareTrainers(req) {
      if (progress) return Promise.reject(new InputError(`compareTrainers: a comparison is running (${progress.done} of ${progress.runs} runs done): wait for it to finish`));
      const wrong = requestProblems(req);
      if (wrong.length > 0) return Promise.reject(new InputError(`compareTrainers: ${wrong.join('; ')}`));
      // Claimed before the queue, so a second call made meanwhile is refused rather than queued behind it.
      progress = { done: 0, runs: 0, phase: 'waiting for the engine' };
      return deps.serial(() => body(req)).finally(() => {
        progress = null;
        deps.emit(true);
      });
    },
  };
}
