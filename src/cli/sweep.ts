// `sae-workbench sweep`: the SGD vs PAM-SGD A/B (issue #11; seed-papers §3.6–3.10) as a training-fraction
// or an updates-per-batch sweep, computed by core (src/core/sae/abTest.ts) on a held-out split; writes
// one JSON (stdout and --json) and an SVG (--svg: final test MSE per setting and trainer, log x for
// fractions; % non-zero codes for ReLU; the test-MSE curves of the largest setting). Progress on stderr.
// Node only; imports core and cli, not the engine's trainers.
//
// Backend: every run trains on core's CPU reference trainers. An A/B must train all its trainers on one
// backend (equal-time compares measured seconds), and tied SGD exists only there; --backend cpu|auto
// are accepted (auto = the reference, said in the JSON), webgpu is refused.

import { writeFileSync } from 'node:fs';
import type { AbOptions, AbRun, AbSweep, AbTrainer, Alignment, EpochRule } from '../core/sae/abTest.ts';
import { AB_ALIGNMENTS, AB_TRAINERS, checkSweepValues, DEFAULT_AB_OPTIONS, EPOCH_RULES, fractionSweep, runsOf, splitRows, SWEEP_FRACTIONS_PERCENT, SWEEP_UPDATES_PER_BATCH, updatesSweep } from '../core/sae/abTest.ts';
import type { TrainConfig } from '../core/sae/config.ts';
import { DEFAULT_CONFIG } from '../core/sae/config.ts';
import { InputError } from '../core/errors.ts';
import type { Dataset } from '../core/sae/types.ts';
import type { FlagSpec, Flags } from './args.ts';
import { num, oneOf, str } from './args.ts';
import { loadData } from './data.ts';
import type { LineSeries } from './svgPlot.ts';
import { chartGrid, lineChart } from './svgPlot.ts';
import { configFromFlags, TRAIN_FLAGS } from './train.ts';

/** Train flags that make no sense in a sweep: the step count comes from the alignment, nothing is exported. */
const NOT_IN_SWEEP = new Set(['steps', 'export', 'force', 'trainer', 'backend']);

export const SWEEP_FLAGS: Record<string, FlagSpec> = {
  data: TRAIN_FLAGS.data,
  trainer: { kind: 'value', help: `comma list of ${AB_TRAINERS.join(', ')} (default sgd,pam-sgd); sgd-tied = the SplInterp scripts' tied-weights baseline (decoder = encoderᵀ)` },
  fractions: { kind: 'value', help: `training-fraction sweep: comma list of percents (default ${SWEEP_FRACTIONS_PERCENT.join(',')} when --updates is absent)` },
  updates: { kind: 'value', help: `updates-per-batch sweep of PAM-SGD on all training rows: comma list, e.g. ${SWEEP_UPDATES_PER_BATCH.join(',')}` },
  align: { kind: 'value', help: `${AB_ALIGNMENTS.join('|')} (default equal-epochs, the paper's): equal passes over each run's rows; equal Adam updates (E·⌈N/batch⌉·s, N = all training rows, at every fraction); equal measured training seconds` },
  epochs: { kind: 'value', help: `epochs of the equal-epochs plan (default ${DEFAULT_AB_OPTIONS.epochs})` },
  'epochs-rule': { kind: 'value', help: `${EPOCH_RULES.join('|')}: --epochs at every fraction, or the MNIST script's min(20, max(10, ⌊20·fraction⌋)) (default fixed)` },
  time: { kind: 'value', help: 'equal-time: training seconds per run (default: what the first --trainer takes for its equal-epochs plan)' },
  'curve-points': { kind: 'value', help: `most held-out evaluations along a run besides the final one (default ${DEFAULT_AB_OPTIONS.maxCurvePoints})` },
  'eval-fraction': { kind: 'value', help: 'hold out this fraction of --data rows (seeded by --seed) as the test set (default 0.1; not with --eval-data)' },
  ...Object.fromEntries(Object.entries(TRAIN_FLAGS).filter(([k]) => k !== 'data' && !NOT_IN_SWEEP.has(k))),
  backend: { kind: 'value', help: 'cpu|auto (default auto = cpu): every run trains on the CPU reference, so equal-time compares like with like' },
  svg: { kind: 'value', help: 'write the plot (test MSE vs setting per trainer; % non-zero codes for relu; test MSE vs epoch) to this SVG file' },
};

const list = (f: Flags, name: string): string[] | undefined => str(f, name)?.split(',').map((s) => s.trim()).filter((s) => s !== '');

function numbers(f: Flags, name: string): number[] | undefined {
  const l = list(f, name);
  if (!l) return undefined;
  const out = l.map(Number);
  if (out.length === 0 || out.some((v) => !Number.isFinite(v))) throw new InputError(`--${name}: expected a comma list of numbers, got "${str(f, name)}"`);
  return out;
}

function trainersOf(f: Flags): AbTrainer[] {
  const l = list(f, 'trainer') ?? ['sgd', 'pam-sgd'];
  for (const t of l) if (!(AB_TRAINERS as readonly string[]).includes(t)) throw new InputError(`--trainer: expected a comma list of ${AB_TRAINERS.join(', ')}, got "${t}"`);
  return l as AbTrainer[];
}

export async function runSweep(f: Flags): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const dataSpec = str(f, 'data');
  if (!dataSpec) throw new InputError('sweep: --data SPEC is required (a file, builtin:NAME or synthetic:PRESET[:SEED])');
  const backend = str(f, 'backend') ?? 'auto';
  if (backend !== 'cpu' && backend !== 'auto') throw new InputError(`sweep: --backend ${backend}: the A/B trains every trainer on the CPU reference (equal-time needs one backend for all; tied SGD exists only there): use cpu or auto`);
  const fractions = numbers(f, 'fractions');
  const updates = numbers(f, 'updates');
  if (fractions && updates) throw new InputError('sweep: --fractions and --updates are two sweeps: give one of them');
  if (fractions) checkSweepValues('fraction', fractions);
  if (updates) checkSweepValues('updates', updates);
  const evalSpec = str(f, 'eval-data');
  const evalFraction = num(f, 'eval-fraction');
  if (evalSpec && evalFraction !== undefined) throw new InputError('sweep: --eval-data and --eval-fraction both name the test rows: give one of them');

  // --trainer here is a list (the A/B's trainers); the per-run trainer is set by core.
  const base: Partial<TrainConfig> = configFromFlags(new Map([...f].filter(([k]) => k !== 'trainer')));
  const seed = base.seed ?? DEFAULT_CONFIG.seed;
  const quiet = f.get('quiet') === true;
  const opts: AbOptions = {
    ...DEFAULT_AB_OPTIONS,
    trainers: trainersOf(f),
    align: oneOf<Alignment>(f, 'align', AB_ALIGNMENTS) ?? 'equal-epochs',
    epochs: num(f, 'epochs', true) ?? DEFAULT_AB_OPTIONS.epochs,
    epochRule: oneOf<EpochRule>(f, 'epochs-rule', EPOCH_RULES) ?? 'fixed',
    timeSeconds: num(f, 'time') ?? null,
    maxCurvePoints: num(f, 'curve-points', true) ?? DEFAULT_AB_OPTIONS.maxCurvePoints,
    subsetSeed: seed,
    onProgress: quiet
      ? undefined
      : (p) => process.stderr.write(`sweep [${p.run + 1}/${p.runs}] ${p.trainer} ${p.setting.fractionPercent}% (${p.setting.rows} rows) s=${p.setting.updatesPerBatch}: epoch ${p.epoch.toFixed(1)}, test MSE ${p.testMse.toPrecision(4)}\n`),
  };
  if (opts.align !== 'equal-time' && opts.timeSeconds !== null) throw new InputError(`sweep: --time is the equal-time budget: add --align equal-time or drop --time`);

  const data = await loadData(dataSpec, { tensor: str(f, 'tensor'), shape: str(f, 'shape') });
  let split: { train: Dataset; test: Dataset };
  let held: string;
  if (evalSpec) {
    const test = await loadData(evalSpec, { tensor: str(f, 'eval-tensor') ?? str(f, 'tensor'), shape: str(f, 'eval-shape') });
    if (test.dIn !== data.dIn) throw new InputError(`--eval-data ${evalSpec}: dIn: expected ${data.dIn} (the training data's width), got ${test.dIn}`);
    split = { train: data, test };
    held = `test: every row of ${evalSpec}; train: every row of ${dataSpec}`;
  } else {
    const fr = evalFraction ?? 0.1;
    split = splitRows(data, fr, seed);
    held = `a seeded random ${fr} of ${dataSpec}'s rows held out (seed ${seed})`;
  }
  if (!quiet) process.stderr.write(`sae-workbench sweep: ${opts.trainers.join(' vs ')}, ${opts.align}, on ${data.name}: ${split.train.rows} train rows, ${split.test.rows} test rows [dIn ${data.dIn}]; CPU reference\n`);

  const sweep = updates ? updatesSweep(split, base, opts, updates) : fractionSweep(split, base, opts, fractions ?? SWEEP_FRACTIONS_PERCENT);
  const arch = base.arch ?? DEFAULT_CONFIG.arch;
  const svgFile = str(f, 'svg');
  if (svgFile) writeFileSync(svgFile, sweepSvg(sweep, arch, `${dataSpec}: ${opts.trainers.join(' vs ')} (${opts.align})`));
  return {
    command: 'sweep',
    kind: sweep.kind,
    align: sweep.align,
    trainers: sweep.trainers,
    epochs: opts.epochs,
    epochsRule: opts.epochRule,
    timeSeconds: opts.timeSeconds,
    config: { ...DEFAULT_CONFIG, ...base, steps: null, note: 'steps and batch are set per run (batch ≤ the fraction\'s rows); trainer per run' },
    backend: { kind: 'cpu', note: `core's CPU reference trainers (--backend ${backend}): every trainer of the A/B on one backend` },
    data: { spec: dataSpec, rows: data.rows, dIn: data.dIn },
    split: { trainRows: sweep.trainRows, testRows: sweep.testRows, how: held },
    summary: summaryOf(sweep),
    settings: sweep.settings,
    runs: sweep.runs,
    svg: svgFile ?? null,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/** One row per (setting, trainer): the final held-out numbers. */
export function summaryOf(sweep: AbSweep): Record<string, unknown>[] {
  return sweep.runs.map((r) => ({
    fractionPercent: r.setting.fractionPercent,
    rows: r.setting.rows,
    updatesPerBatch: r.setting.updatesPerBatch,
    trainer: r.trainer,
    steps: r.steps,
    updates: r.updates,
    epochs: r.epochs,
    seconds: r.seconds,
    testMse: r.final.testMse,
    explainedVariance: r.final.explainedVariance,
    nonZeroPercent: r.final.nonZeroPercent,
    solves: r.solves.length,
  }));
}

export const TRAINER_COLORS: Record<AbTrainer, string> = { sgd: '#1f77b4', 'pam-sgd': '#d62728', 'sgd-tied': '#7f7f7f' };
const TRAINER_MARKERS = { sgd: 'circle', 'pam-sgd': 'square', 'sgd-tied': 'triangle' } as const;

/** The x of a setting: log10(percent) for a fraction sweep, s for an updates sweep. */
const xOf = (sweep: AbSweep, r: AbRun): number => (sweep.kind === 'fraction' ? Math.log10(r.setting.fractionPercent) : r.setting.updatesPerBatch);

/** The sweep's plot: final test MSE per setting (log x for fractions), % non-zero for relu, and test MSE vs epoch of the largest setting. */
export function sweepSvg(sweep: AbSweep, arch: string, title: string): string {
  const frac = sweep.kind === 'fraction';
  const xLabel = frac ? 'training fraction (%, log scale)' : 'PAM-SGD Adam updates per batch';
  const xTicks = sweep.settings.map((s) => (frac ? Math.log10(s.fractionPercent) : s.updatesPerBatch));
  const uniq = [...new Set(xTicks)].sort((a, b) => a - b);
  const xTickLabel = (x: number): string => (frac ? String(Number((10 ** x).toPrecision(3))) : String(x));
  const perTrainer = (y: (r: AbRun) => number): LineSeries[] =>
    sweep.trainers.map((t) => ({ name: t, color: TRAINER_COLORS[t], marker: TRAINER_MARKERS[t], points: runsOf(sweep, t).map((r) => ({ x: xOf(sweep, r), y: y(r) })) }));
  const charts = [lineChart({ title: `held-out MSE (${sweep.align})`, xLabel, yLabel: 'test MSE per token', series: perTrainer((r) => r.final.testMse), xTicks: uniq, xTickLabel })];
  if (arch === 'relu') charts.push(lineChart({ title: '% non-zero codes (whole test set)', xLabel, yLabel: '% of latents active', series: perTrainer((r) => r.final.nonZeroPercent), xTicks: uniq, xTickLabel }));
  const last = sweep.settings[sweep.settings.length - 1];
  const curves: LineSeries[] = sweep.trainers.map((t) => {
    const run = sweep.runs.find((r) => r.trainer === t && r.setting === last);
    return { name: t, color: TRAINER_COLORS[t], marker: TRAINER_MARKERS[t], points: (run?.curve ?? []).map((p) => ({ x: p.epoch, y: p.testMse })) };
  });
  const label = frac ? `${last.fractionPercent}% of the rows` : `s = ${last.updatesPerBatch}`;
  charts.push(lineChart({ title: `test MSE during training (${label})`, xLabel: 'epochs', yLabel: 'test MSE per token', series: curves }));
  return chartGrid(charts, charts.length, title);
}
