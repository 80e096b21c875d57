// `sae-workbench ensemble`: trains an ensemble of SAEs — naive bagging, boosting, or the expanded-SAE
// baseline (Gadgil, Lin, Lee; seed-papers.md §2) — on the WGSL engine or the CPU reference, evaluates it
// for every J' = 1..J on held-out data (src/core/ensemble/ensemble.ts), with --repeats R ≥ 2 adds stability and
// PW-MCC across R independent ensembles, optionally writes every member as a SAELens folder, and reports
// JSON. Node only.
//
//   bagging:  members seeds seed..seed+J−1, one shared batch order (seed); GPU: one trainer, J members.
//   boosting: stage j (0-based) seed seed+j, trains on the residual of the frozen stages 0..j−1.
//   expanded: one SAE with J·latents latents (TopK/BatchTopK: k·J active), metrics only for J.
//   repeat r: every seed above offset by 1000·r (batch order included), so the R ensembles are independent.

import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedConfig, TrainConfig } from '../core/sae/config.ts';
import { DEFAULT_CONFIG, MAX_ENSEMBLE_MEMBERS, resolveConfig } from '../core/sae/config.ts';
import { boostingResidual } from '../core/ensemble/boosting.ts';
import type { EnsembleMethodName, EnsembleMetrics, Stability } from '../core/ensemble/ensemble.ts';
import { ENSEMBLE_METHOD_NAMES } from '../core/ensemble/ensemble.ts';
import { combinationOf, concatenatedView, metricsPerJ, sharedFractionCurve, stability } from '../core/ensemble/ensemble.ts';
import { InputError } from '../core/errors.ts';
import type { EnsembleManifest } from '../core/formats/ensembleFile.ts';
import { ENSEMBLE_MANIFEST, checkEnsembleMembers, manifestOf, parseEnsembleManifest, readEnsembleZip } from '../core/formats/ensembleFile.ts';
import { evaluateSae, exportForm } from '../core/sae/evaluate.ts';
import { pairwiseMcc } from '../core/sae/recovery.ts';
import { CFG_FILE, WEIGHTS_FILE, toSaeLens } from '../core/formats/saelens.ts';
import type { StepStats } from '../core/sae/train.ts';
import type { Dataset, Sae } from '../core/sae/types.ts';
import type { BackendInfo } from '../engine/api.ts';
import { provenanceOf } from '../engine/exports.ts';
import type { EnsemblePlan } from '../engine/training/ensemblePlan.ts';
import { checkPlan, planEnsemble } from '../engine/training/ensemblePlan.ts';
import type { TrainerFactory } from '../engine/training/factory.ts';
import type { FlagSpec, Flags } from './args.ts';
import { num, oneOf, str } from './args.ts';
import { loadData } from './data.ts';
import { downstreamOf } from '../engine/ensemble/ensembleRun.ts';
import { perRowFields, splitTrainEval } from '../core/data/preprocess.ts';
import { readSaeFolder, writeSaeFolder } from './folder.ts';
import { TRAIN_FLAGS, backendFlag, backendJson, configFromFlags, refuseUnexportable, withPreset } from './train.ts';
import { PAM_PRESETS } from '../core/sae/pamPresets.ts';
import { openTraining, trainPlan } from './engine.ts';

/** The methods a CLI run trains ('single' is `sae-workbench train`). */
export const ENSEMBLE_METHODS = ENSEMBLE_METHOD_NAMES.filter((m): m is Exclude<EnsembleMethodName, 'single'> => m !== 'single');
export type EnsembleCliMethod = (typeof ENSEMBLE_METHODS)[number];

/** Most repeats accepted (members: the engine's MAX_ENSEMBLE_MEMBERS, as in the app). */
const MAX_REPEATS = 32;
/** Cosine thresholds τ of the shared-fraction curve (the share of repeat 0's features repeat 1 has at cos ≥ τ). */
const SHARED_THRESHOLDS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];

const SHARED = [
  'data', 'tensor', 'shape', 'eval-data', 'eval-tensor', 'eval-shape', 'arch', 'trainer', 'latents', 'k', 'l1', 'steps', 'batch', 'lr', 'seed', 'backend',
  'pam-order', 'prox-enc', 'prox-dec', 'ridge', 'updates-per-batch', 'pam-solve', 'solve-fraction', 'preset',
] as const;

export const ENSEMBLE_FLAGS: Record<string, FlagSpec> = {
  ...Object.fromEntries(SHARED.map((k) => [k, TRAIN_FLAGS[k]])),
  latents: { kind: 'value', help: 'latents per member dSae (default 64; expanded: one SAE of members·latents)' },
  k: { kind: 'value', help: 'active latents per token per member, topk/batchtopk (default 4; expanded: members·k)' },
  seed: { kind: 'value', help: 'first seed: member j gets seed+j, repeat r adds 1000·r (default 0)' },
  method: { kind: 'value', help: `ensemble method: ${ENSEMBLE_METHODS.join('|')}` },
  members: { kind: 'value', help: `members J (1..${MAX_ENSEMBLE_MEMBERS}); metrics are reported for every J' = 1..J (expanded: J only)` },
  repeats: { kind: 'value', help: `independent ensembles R (1..${MAX_REPEATS}, default 1); R ≥ 2 adds stability and PW-MCC per J'` },
  export: { kind: 'value', help: 'write every member as a SAELens folder: DIR/member-<j>/ (repeat r > 0: DIR/repeat-<r>/member-<j>/)' },
  'eval-fraction': { kind: 'value', help: 'hold out this share of --data rows (seeded split, 0 < F < 1) for every metric; instead of --eval-data' },
  downstream: { kind: 'switch', help: 'also run concept detection (labelled data) and spurious-correlation removal (builtin:*-marked) on the full ensemble of repeat 0' },
  from: { kind: 'value', help: 'evaluate a saved ensemble instead of training: a folder with ensemble.json (from --export) or the app\'s ensemble zip; --method/--members come from it' },
  force: TRAIN_FLAGS.force,
  json: TRAIN_FLAGS.json,
  quiet: TRAIN_FLAGS.quiet,
};

function intInRange(f: Flags, name: string, lo: number, hi: number, fallback?: number): number {
  const v = num(f, name, true) ?? fallback;
  if (v === undefined) throw new InputError(`ensemble: --${name} is required (an integer in ${lo}..${hi})`);
  if (v < lo || v > hi) throw new InputError(`--${name}: expected an integer in ${lo}..${hi}, got ${v}`);
  return v;
}

interface Member {
  sae: Sae;
  seed: number;
  config: ResolvedConfig;
  final: StepStats;
  trainSeconds: number;
}

type Scalars = EnsembleMetrics;

export async function runEnsemble(f: Flags): Promise<Record<string, unknown>> {
  const from = str(f, 'from');
  if (from !== undefined) return evaluateSaved(f, from);
  const t0 = performance.now();
  // Everything checkable without data first, so bad input fails fast.
  const method = oneOf(f, 'method', ENSEMBLE_METHODS);
  if (!method) throw new InputError(`ensemble: --method is required: one of ${ENSEMBLE_METHODS.join(', ')}`);
  const J = intInRange(f, 'members', 1, MAX_ENSEMBLE_MEMBERS);
  const R = intInRange(f, 'repeats', 1, MAX_REPEATS, 1);
  const dataSpec = str(f, 'data');
  if (!dataSpec) throw new InputError('ensemble: --data SPEC is required (a .npy/.safetensors/raw f32 file, builtin:NAME or synthetic:PRESET[:SEED])');
  const flagged = configFromFlags(f);
  const preset = oneOf(f, 'preset', PAM_PRESETS);
  let base: Partial<TrainConfig> = preset ? { trainer: 'pam-sgd', ...flagged } : flagged;
  const seed0 = base.seed ?? DEFAULT_CONFIG.seed;
  const arch = base.arch ?? DEFAULT_CONFIG.arch;
  const usesK = arch === 'topk' || arch === 'batchtopk';
  // Repeat r's plan, exactly as the app's startRun makes it: seeds seed0 + 1000·r + j (expanded: J· latents and J·k).
  const planOf = (r: number): EnsemblePlan => planEnsemble({ dataset: dataSpec, config: { ...base, seed: seed0 + 1000 * r }, ensemble: { method, members: J } });
  const memberConfig: Partial<TrainConfig> = planOf(0).config;

  const evalSpec = str(f, 'eval-data');
  const evalFraction = num(f, 'eval-fraction');
  if (evalFraction !== undefined && evalSpec) throw new InputError('--eval-fraction and --eval-data both say where the held-out rows are: give one');
  if (evalFraction !== undefined && !(evalFraction > 0 && evalFraction < 1)) throw new InputError(`--eval-fraction: expected a number strictly between 0 and 1 (0.2 holds out 20% of rows), got ${evalFraction}`);
  const { factory, backend } = await openTraining(backendFlag(f), memberConfig, method === 'bagging' ? J : 1);
  try {
    const lmDevice = (): Promise<GPUDevice | null> => factory.hardwareDevice();
    const loaded = await loadData(dataSpec, { tensor: str(f, 'tensor'), shape: str(f, 'shape') }, lmDevice);
    // A seeded split keeps labels and the spurious marker's flags with their rows (split seed 0, as the app's default).
    const split = evalFraction !== undefined ? splitTrainEval(loaded, evalFraction, 0, perRowFields(loaded)) : null;
    const data = split ? split.train : loaded;
    const evalData = evalSpec ? await loadData(evalSpec, { tensor: str(f, 'eval-tensor') ?? str(f, 'tensor'), shape: str(f, 'eval-shape') }, lmDevice) : split ? split.eval : data;
    if (evalData.dIn !== data.dIn) {
      throw new InputError(`--eval-data ${evalSpec}: dIn: expected ${data.dIn} (the training data's width), got ${evalData.dIn}`);
    }
    if (data.truth && evalSpec && !evalData.truth) evalData.truth = data.truth;
    if (preset) base = withPreset(preset, flagged, data); // planOf reads it from here on
    // Every problem with the member config before any training, as the app's startRun checks it.
    const resolved = resolveConfig(checkPlan(planOf(0), data.dIn, data.rows), data.dIn);
    return await trainAndReport({ f, t0, method, J, R, dataSpec, evalSpec, evalFraction, split: split !== null, data, evalData, resolved, usesK, planOf, factory, backend });
  } finally {
    factory.dispose();
  }
}

interface TrainAndReport {
  f: Flags;
  t0: number;
  method: EnsembleCliMethod;
  J: number;
  R: number;
  dataSpec: string;
  evalSpec: string | undefined;
  evalFraction: number | undefined;
  split: boolean;
  data: Dataset;
  evalData: Dataset;
  resolved: ResolvedConfig;
  usesK: boolean;
  planOf: (r: number) => EnsemblePlan;
  factory: TrainerFactory;
  backend: BackendInfo;
}

/** Trains the R ensembles through the engine's training layer, then evaluates, exports and reports them. */
async function trainAndReport(a: TrainAndReport): Promise<Record<string, unknown>> {
  const { f, t0, method, J, R, dataSpec, evalSpec, evalFraction, split, data, evalData, resolved, usesK, planOf, factory, backend } = a;
  // Refuse to overwrite before any training, not after (writeSaeFolder checks again when writing).
  const exportDir = str(f, 'export');
  if (exportDir) refuseUnexportable(resolved);
  const force = f.get('force') === true;
  const memberDir = (r: number, j: number): string => (r === 0 ? join(exportDir ?? '', `member-${j + 1}`) : join(exportDir ?? '', `repeat-${r}`, `member-${j + 1}`));
  if (exportDir && !force) {
    for (let r = 0; r < R; r++) {
      for (let j = 0; j < (method === 'expanded' ? 1 : J); j++) {
        const dir = memberDir(r, j);
        if (existsSync(join(dir, CFG_FILE)) || existsSync(join(dir, WEIGHTS_FILE))) {
          throw new InputError(`${dir}: already holds an SAE (${CFG_FILE} or ${WEIGHTS_FILE}): choose another --export DIR or add --force to overwrite`);
        }
      }
    }
  }

  const quiet = f.get('quiet') === true;
  const say = (line: string): void => {
    if (!quiet) process.stderr.write(`sae-workbench ensemble: ${line}\n`);
  };
  say(
    `${method}, J=${J}${R > 1 ? `, R=${R} repeats` : ''}: ${resolved.arch} dSae=${resolved.dSae}${usesK ? ` k=${resolved.k}` : ''} on ${data.name} [${data.rows}, ${data.dIn}], ` +
      `${resolved.steps} steps × ${resolved.batch} tokens; ${backend.why}`,
  );

  // ---- training: runs[r] = the members of repeat r, in order ----
  const runs: Member[][] = [];
  for (let r = 0; r < R; r++) {
    const plan = planOf(r);
    const rep = R > 1 ? `repeat ${r}: ` : '';
    const seeds = plan.seeds;
    if (method !== 'boosting') say(`${rep}${method === 'bagging' ? `${J} members (seeds ${seeds[0]}..${seeds[seeds.length - 1]}) on one batch order` : `one SAE of ${resolved.dSae} latents (seed ${seeds[0]})`}`);
    const out = await trainPlan(factory, backend.kind, plan, data, quiet, (line) => say(`${rep}${line}`));
    runs.push(out.saes.map((sae, j) => ({ sae, seed: seeds[j], config: out.config, final: out.finals[j], trainSeconds: out.trainSeconds[j] })));
  }

  // ---- metrics per J', on the members as exported (input scale folded) ----
  say('evaluating');
  const exported = runs.map((members) => members.map((m) => exportForm(m.sae)));
  const named = method === 'bagging' && J === 1 ? 'single' : method;
  // The metric-vs-J curve of every repeat (core's, as the app's Ensemble panel draws it), point by point.
  const curves = exported.map((members) => metricsPerJ(named, J, members, evalData));
  const perJ = curves[0].map((point, i) => {
    const n = method === 'expanded' ? 1 : i + 1;
    const metrics = curves.map((c) => c[i].metrics);
    const dictionaries = exported.map((members) => concatenatedView(combinationOf(method), members.slice(0, n)).dictionary);
    const latents = point.latents;
    let stab: Stability | null = null;
    let pwMcc: { mean: number; pairs: number[] } | null = null;
    let sharedFraction: { thresholds: number[]; repeat0VsRepeat1: number[] } | null = null;
    if (R >= 2) {
      stab = stability(dictionaries, data.dIn);
      sharedFraction = { thresholds: SHARED_THRESHOLDS, repeat0VsRepeat1: sharedFractionCurve(dictionaries[0], dictionaries[1], data.dIn, SHARED_THRESHOLDS) };
      const pairs: number[] = [];
      for (let a = 0; a < R; a++) for (let b = a + 1; b < R; b++) pairs.push(pairwiseMcc(dictionaries[a], latents, dictionaries[b], latents, data.dIn));
      pwMcc = { mean: pairs.reduce((x, y) => x + y, 0) / pairs.length, pairs };
    }
    return {
      members: point.members,
      latents,
      metrics,
      mean: R > 1 ? meanMetrics(metrics) : metrics[0],
      stability: stab,
      pwMcc,
      sharedFraction,
    };
  });

  // ---- downstream tasks on the full ensemble of repeat 0 (expanded: its one SAE) ----
  let downstream: ReturnType<typeof downstreamOf> | null = null;
  if (f.get('downstream') === true) {
    say('downstream tasks: concept detection and spurious-correlation removal');
    downstream = downstreamOf(method === 'bagging' && J === 1 ? 'single' : method, exported[0], evalData);
  }

  // ---- export: every member as a SAELens folder ----
  const folders: string[] = [];
  if (exportDir) {
    runs.forEach((members, r) => {
      // Each member's density is measured on its own input: the eval data, or for boosting stage j the
      // residual the frozen stages before it leave of the eval data.
      let input = evalData;
      members.forEach((m, j) => {
        if (method === 'boosting' && j > 0) input = boostingResidual([members[j - 1].sae], input);
        const report = evaluateSae(m.sae, input);
        const dir = memberDir(r, j);
        const provenance = provenanceOf({
          dataset: dataSpec,
          trainer: m.config.trainer,
          seed: m.seed,
          steps: m.config.steps,
          batch: m.config.batch,
          backend: backend.kind,
          ensemble: { method: method === 'bagging' && J === 1 ? 'single' : method, members: J, member: j + 1, repeat: r },
          sparsitySource: `eval rows of ${evalSpec ?? dataSpec}${j > 0 && method === 'boosting' ? ` (the residual of stages 1..${j})` : ''} (${report.tokens} tokens)`,
        });
        writeSaeFolder(dir, toSaeLens(m.sae, { provenance, logDensity: report.logDensity }), force);
        folders.push(dir);
      });
      // ensemble.json beside the member folders: how they combine, for `--from` and the app's loadEnsemble.
      const manifest = manifestOf({
        method: method === 'bagging' && J === 1 ? 'single' : method,
        members: J,
        seeds: members.map((m) => m.seed),
        dataset: dataSpec,
        step: members.reduce((a, m) => a + m.config.steps, 0) / (method === 'boosting' ? 1 : members.length),
        config: { ...members[0].config },
      });
      const root = r === 0 ? exportDir : join(exportDir, `repeat-${r}`);
      writeFileSync(join(root, ENSEMBLE_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    });
  }

  return {
    command: 'ensemble',
    method,
    members: J,
    repeats: R,
    config: resolved,
    ...(method === 'expanded'
      ? {
          expanded: {
            latents: resolved.dSae,
            k: usesK ? resolved.k : null,
            note: `one SAE with members·latents = ${J}·${resolved.dSae / J} latents${usesK ? ` and k scaled by J: ${J}·${resolved.k / J} = ${resolved.k}` : ''}; metrics for J = ${J} only (an SAE per J' would be trained separately)`,
          },
        }
      : {}),
    seeds: runs.map((members) => members.map((m) => m.seed)),
    backend: backendJson(backend),
    data: { spec: dataSpec, rows: data.rows, dIn: data.dIn },
    evalData: evalSpec
      ? { spec: evalSpec, rows: evalData.rows, dIn: evalData.dIn }
      : split
        ? { spec: dataSpec, evalFraction, rows: evalData.rows, dIn: evalData.dIn, trainRows: data.rows }
        : { spec: dataSpec, note: 'no --eval-data or --eval-fraction: evaluated on the training data' },
    ...(downstream ? { downstream } : {}),
    perJ,
    training: runs.map((members, r) => ({
      repeat: r,
      members: members.map((m, j) => ({ member: j + 1, seed: m.seed, final: m.final, trainSeconds: m.trainSeconds })),
    })),
    export: exportDir ? { dir: exportDir, folders } : null,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/** Mean over repeats of every scalar metric (diversity: count and fraction). */
function meanMetrics(ms: Scalars[]): Scalars {
  const avg = (g: (m: Scalars) => number): number => ms.reduce((a, m) => a + g(m), 0) / ms.length;
  const out: Scalars = {
    msePerToken: avg((m) => m.msePerToken),
    explainedVariance: avg((m) => m.explainedVariance),
    explainedVariancePerDim: avg((m) => m.explainedVariancePerDim),
    l0: avg((m) => m.l0),
    diversity: { count: avg((m) => m.diversity.count), fraction: avg((m) => m.diversity.fraction) },
    connectivity: avg((m) => m.connectivity),
  };
  if (ms.every((m) => m.mcc !== undefined)) out.mcc = avg((m) => m.mcc ?? 0);
  return out;
}

/** A saved ensemble: DIR/ensemble.json + DIR/<folder>/ SAELens folders, or the app's zip of the same. */
export async function readSavedEnsemble(path: string): Promise<{ manifest: EnsembleManifest; saes: Sae[] }> {
  if (!existsSync(path)) throw new InputError(`--from ${path}: no such file or folder: give the --export DIR of an ensemble run, or an ensemble zip saved by the app`);
  if (statSync(path).isDirectory()) {
    const manifestPath = join(path, ENSEMBLE_MANIFEST);
    if (!existsSync(manifestPath)) throw new InputError(`--from ${path}: no ${ENSEMBLE_MANIFEST} in it: give the folder \`sae-workbench ensemble --export\` wrote (or its repeat-<r>/)`);
    const manifest = parseEnsembleManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
    const saes = manifest.folders.map((dir) => readSaeFolder(join(path, dir)));
    checkEnsembleMembers(saes, path);
    return { manifest, saes };
  }
  return readEnsembleZip(new Uint8Array(readFileSync(path)), path);
}

/** `ensemble --from`: the metrics of a saved ensemble for every J' (as a trained run reports them), on --eval-data or --data. */
async function evaluateSaved(f: Flags, from: string): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  for (const flag of ['method', 'members', 'repeats', 'export', 'steps', 'latents', 'k', 'arch']) {
    if (f.has(flag)) throw new InputError(`--${flag} cannot be combined with --from: a saved ensemble brings its own method, members and weights (drop --${flag})`);
  }
  const { manifest, saes } = await readSavedEnsemble(from);
  const dataSpec = str(f, 'eval-data') ?? str(f, 'data');
  if (!dataSpec) throw new InputError(`ensemble --from: --data SPEC (or --eval-data) is required: the rows to evaluate it on (it was trained on ${manifest.dataset || 'unknown data'})`);
  const evalData = str(f, 'eval-data')
    ? await loadData(dataSpec, { tensor: str(f, 'eval-tensor') ?? str(f, 'tensor'), shape: str(f, 'eval-shape') })
    : await loadData(dataSpec, { tensor: str(f, 'tensor'), shape: str(f, 'shape') });
  if (evalData.dIn !== saes[0].dIn) throw new InputError(`${dataSpec}: dIn: expected ${saes[0].dIn} (the ensemble's d_in), got ${evalData.dIn}`);
  const perJ = metricsPerJ(manifest.method, manifest.members, saes, evalData).map((p) => ({ ...p, metrics: [p.metrics], mean: p.metrics, stability: null, pwMcc: null }));
  return {
    command: 'ensemble',
    from,
    method: manifest.method,
    members: manifest.members,
    repeats: 1,
    seeds: [manifest.seeds],
    trainedOn: manifest.dataset,
    evalData: { spec: dataSpec, rows: evalData.rows, dIn: evalData.dIn },
    perJ,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
