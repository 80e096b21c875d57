// `sae-workbench train`: trains one SAE through the engine's training layer (cli/engine.ts: the app's
// backend policy, trainer factory and run loop), evaluates it as exported, optionally writes a SAELens
// folder, and reports JSON. Node only.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Checkpoint } from '../core/sae/checkpoint.ts';
import { readCheckpoint, resumeConfig, writeCheckpoint } from '../core/sae/checkpoint.ts';
import type { BDecInit, InputScaling, TrainConfig } from '../core/sae/config.ts';
import { CONFIG_CHOICES, MAX_PAM_UPDATES_PER_BATCH, PAM_ORDERS, PAM_SOLVES, TRAINERS, defaultTrainerOf, familyOfArch, resolveConfig } from '../core/sae/config.ts';
import { InputError } from '../core/errors.ts';
import { evaluateSae } from '../core/sae/evaluate.ts';
import { toModelFolder } from '../core/formats/modelFolder.ts';
import { ARCHS } from '../core/sae/types.ts';
import type { BackendInfo, BackendRequest } from '../engine/api.ts';
import { provenanceOf } from '../engine/exports.ts';
import { BACKEND_REQUESTS } from '../engine/training/backend.ts';
import { checkPlan, planEnsemble } from '../engine/training/ensemblePlan.ts';
import type { FlagSpec, Flags } from './args.ts';
import { num, oneOf, str } from './args.ts';
import { loadData } from './data.ts';
import { writeSaeFolder } from './folder.ts';
import { openTraining, trainPlan } from './engine.ts';
import type { PamPreset } from '../core/sae/pamPresets.ts';
import { PAM_PRESETS, PAM_PRESET_GAPS, PAM_PRESET_HELP, pamPreset } from '../core/sae/pamPresets.ts';
import { evalReportJson } from './report.ts';

export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  data: { kind: 'value', help: 'training data: FILE.npy | .safetensors | .f32 | .csv | IDX | builtin:NAME | synthetic:PRESET[:SEED] (see sae-workbench --help)' },
  tensor: { kind: 'value', help: 'tensor name in a .safetensors --data' },
  shape: { kind: 'value', help: 'ROWS,DIN of a raw f32 --data' },
  'eval-data': { kind: 'value', help: 'held-out data for the eval metrics (default: the training data)' },
  'eval-tensor': { kind: 'value', help: 'tensor name in a .safetensors --eval-data (default: --tensor)' },
  'eval-shape': { kind: 'value', help: 'ROWS,DIN of a raw f32 --eval-data' },
  arch: { kind: 'value', help: `architecture: ${ARCHS.join('|')} (default topk)` },
  trainer: {
    kind: 'value',
    help: `how the model is fitted: ${TRAINERS.join('|')} (default sgd; kmeans and kflats: lloyd). pam-sgd (SplInterp): Adam on the encoder with a stay-close term, the decoder solved in closed form once per epoch (topk, relu, jumprelu). lloyd: the exact alternation of kmeans / kflats (one step = one pass over all rows); sgd on kmeans: Adam on its Top-1-SAE form; kmeans-then-pca: kflats as the SplInterp toy (k-means, then PCA per cluster)`,
  },
  'pam-order': { kind: 'value', help: `pam-sgd: ${PAM_ORDERS.join('|')}: the decoder solve after each epoch's encoder pass (MNIST script) or before it (LLM script) (default encoder-first)` },
  'prox-enc': { kind: 'value', help: 'pam-sgd: encoder stay-close coefficient μ_enc = ν_enc, per row-mean loss (default 1e-3)' },
  'prox-dec': { kind: 'value', help: 'pam-sgd: decoder stay-close coefficient μ_dec = ν_dec (default 1e-3)' },
  ridge: { kind: 'value', help: 'pam-sgd: decoder ridge α = β (default 1e-6; > 0 keeps the solve definite with dead latents)' },
  'updates-per-batch': { kind: 'value', help: `pam-sgd: Adam updates of the encoder per batch, 1..${MAX_PAM_UPDATES_PER_BATCH} (default 1)` },
  preset: { kind: 'value', help: `pam-sgd settings of: ${PAM_PRESETS.map((p) => `${p} (${PAM_PRESET_HELP[p]})`).join('; ')}. Explicit flags win. ${PAM_PRESET_GAPS}` },
  'solve-fraction': { kind: 'value', help: 'pam-sgd: share of the training rows the decoder solve streams, in (0, 1] (a seeded subset; default 1 = every row)' },
  'pam-solve': { kind: 'value', help: `pam-sgd: ${PAM_SOLVES.join('|')}: the joint closed form of the paper, or the MNIST script's uncentred least squares (default exact)` },
  latents: { kind: 'value', help: 'number of latents dSae (default 64); for kmeans and kflats the number of clusters' },
  rank: { kind: 'value', help: 'kflats: the rank r of each cluster\'s affine piece, 0..dIn (0 = k-means; default 1)' },
  k: { kind: 'value', help: 'active latents per token, topk/batchtopk (default 4)' },
  l1: { kind: 'value', help: 'sparsity coefficient: L1 for relu, L0 for jumprelu (default 1e-3)' },
  steps: { kind: 'value', help: 'training steps (default 1000)' },
  batch: { kind: 'value', help: 'tokens per step (default 256)' },
  lr: { kind: 'value', help: 'peak learning rate (default 2e-4·√(16384/latents), at most 3e-3)' },
  seed: { kind: 'value', help: 'seed of init and batch order (default 0)' },
  'input-scaling': { kind: 'value', help: 'none|expected-norm: scale inputs so E‖x‖ = √dIn, folded at export (default none)' },
  'bdec-init': { kind: 'value', help: 'geometric-median|mean|zeros (default geometric-median)' },
  init: {
    kind: 'value',
    help: `${CONFIG_CHOICES.init.join('|')}: weight init: ours (unit-norm decoder rows, wEnc = wDec), or the SplInterp scripts' (seed-papers §3.7: MNIST E ~ N(0, 0.1²), D ~ N(0, 0.01²); LLM E ~ N(0, 1/dIn), D ~ N(0, 1/latents); biases 0) (default sae)`,
  },
  'topk-select': {
    kind: 'value',
    help: `${CONFIG_CHOICES.topkSelect.join('|')}: topk keeps the k largest z then ReLU, or the SplInterp scripts' k largest |z| with signs kept (CPU reference only; no SAELens export) (default relu)`,
  },
  'dead-window': { kind: 'value', help: 'tokens without firing before a latent counts as dead (default min(10M, 20% of tokens))' },
  'auxk-coefficient': { kind: 'value', help: 'AuxK coefficient α, 0 = off (default 1/32)' },
  'kaux': { kind: 'value', help: 'dead latents used by AuxK (default dIn/2)' },
  'lr-warmup': { kind: 'value', help: 'linear lr warm-up steps (default min(1000, 5% of steps))' },
  'lr-decay': { kind: 'value', help: 'linear lr decay to 0 over the last N steps (default 20% of steps)' },
  'l1-warmup': { kind: 'value', help: 'steps over which the sparsity coefficient ramps up (default 5% of steps)' },
  'adam-beta1': { kind: 'value', help: 'Adam β1 (default 0.9)' },
  'adam-beta2': { kind: 'value', help: 'Adam β2 (default 0.999)' },
  'adam-eps': { kind: 'value', help: 'Adam ε (default 1e-8)' },
  'grad-clip': { kind: 'value', help: 'global gradient-norm clip, 0 = off (default 1)' },
  backend: {
    kind: 'value',
    help: "auto|webgpu|wasm|cpu (default auto, as in the app: the WGSL engine on a hardware GPU; without one, or when the only adapter is a software one such as SwiftShader, the wasm engine (WebAssembly SIMD: topk with sgd) where it covers the config, else the CPU reference; webgpu forces WGSL, wasm the wasm engine, cpu the reference)",
  },
  export: { kind: 'value', help: 'write the trained SAE as a SAELens folder here' },
  force: { kind: 'switch', help: 'overwrite an SAE already in --export DIR' },
  json: { kind: 'value', help: 'also write the JSON results to this file' },
  quiet: { kind: 'switch', help: 'no progress on stderr' },
  checkpoint: {
    kind: 'value',
    help: 'write the training state (weights, Adam, firing statistics, batch order, step) to FILE at the end and every --checkpoint-every steps; {step} in FILE keeps one file per step, else FILE holds the latest (sgd only)',
  },
  'checkpoint-every': { kind: 'value', help: 'with --checkpoint: also save every N steps (default: only at the end)' },
  resume: {
    kind: 'value',
    help: 'continue a --checkpoint FILE to --steps (default: its planned steps) on the same --data: bit-identical to the uninterrupted run on the CPU reference, within parity tolerances on webgpu; the config is the checkpoint\'s (flags that differ are refused)',
  },
};

/** The TrainConfig fields set by flags (the rest come from DEFAULT_CONFIG); flags absent from a command's table stay unset. */
export function configFromFlags(f: Flags): Partial<TrainConfig> {
  const c: Partial<TrainConfig> = {};
  const set = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K] | undefined): void => {
    if (v !== undefined) c[k] = v;
  };
  set('arch', oneOf(f, 'arch', ARCHS));
  set('trainer', oneOf(f, 'trainer', CONFIG_CHOICES.trainer));
  set('pamOrder', oneOf(f, 'pam-order', CONFIG_CHOICES.pamOrder));
  set('pamProxEnc', num(f, 'prox-enc'));
  set('pamProxDec', num(f, 'prox-dec'));
  set('pamRidge', num(f, 'ridge'));
  set('pamUpdatesPerBatch', num(f, 'updates-per-batch', true));
  set('pamSolve', oneOf(f, 'pam-solve', CONFIG_CHOICES.pamSolve));
  set('pamSolveFraction', num(f, 'solve-fraction'));
  set('dSae', num(f, 'latents', true));
  set('k', num(f, 'k', true));
  set('rank', num(f, 'rank', true));
  set('l1Coefficient', num(f, 'l1'));
  set('steps', num(f, 'steps', true));
  set('batch', num(f, 'batch', true));
  set('lr', num(f, 'lr'));
  set('seed', num(f, 'seed', true));
  set('inputScaling', oneOf<InputScaling>(f, 'input-scaling', CONFIG_CHOICES.inputScaling));
  set('bDecInit', oneOf<BDecInit>(f, 'bdec-init', CONFIG_CHOICES.bDecInit));
  set('init', oneOf(f, 'init', CONFIG_CHOICES.init));
  set('topkSelect', oneOf(f, 'topk-select', CONFIG_CHOICES.topkSelect));
  set('deadWindowTokens', num(f, 'dead-window'));
  set('auxkCoefficient', num(f, 'auxk-coefficient'));
  set('kAux', num(f, 'kaux', true));
  set('lrWarmupSteps', num(f, 'lr-warmup', true));
  set('lrDecaySteps', num(f, 'lr-decay', true));
  set('l1WarmupSteps', num(f, 'l1-warmup', true));
  set('adamBeta1', num(f, 'adam-beta1'));
  set('adamBeta2', num(f, 'adam-beta2'));
  set('adamEps', num(f, 'adam-eps'));
  set('gradClipNorm', num(f, 'grad-clip'));
  // kmeans / kflats without --trainer: their family's first trainer (lloyd), not the SAEs' sgd.
  if (c.arch !== undefined && c.trainer === undefined && familyOfArch(c.arch) !== 'sae') c.trainer = defaultTrainerOf(c.arch);
  return c;
}

export async function runTrain(f: Flags): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const dataSpec = str(f, 'data');
  if (!dataSpec) throw new InputError('train: --data SPEC is required (a .npy/.safetensors/raw f32 file or synthetic:PRESET[:SEED])');
  const flagged = configFromFlags(f);
  const preset = oneOf(f, 'preset', PAM_PRESETS);
  // A preset sets the trainer now (the backend depends on it) and its data-dependent values once the data is loaded.
  let config: Partial<TrainConfig> = preset ? { trainer: 'pam-sgd', ...flagged } : flagged;
  const ck = checkpointFlags(f);
  if (ck.resumeFrom && preset) throw new InputError(`train: --preset with --resume: the checkpoint's config is the run's: drop --preset`);
  // A resumed run trains the checkpoint's config, on the backend the one policy picks for it (exact on the CPU
  // reference; within the parity tolerances on the WGSL engine).
  const { factory, backend } = await openTraining(backendFlag(f), ck.resumeFrom ? ck.resumeFrom.config : config);
  try {
    const lmDevice = (): Promise<GPUDevice | null> => factory.hardwareDevice();
    const data = await loadData(dataSpec, { tensor: str(f, 'tensor'), shape: str(f, 'shape') }, lmDevice);
    const evalSpec = str(f, 'eval-data');
    const evalData = evalSpec ? await loadData(evalSpec, { tensor: str(f, 'eval-tensor') ?? str(f, 'tensor'), shape: str(f, 'eval-shape') }, lmDevice) : data;
    if (evalData.dIn !== data.dIn) {
      throw new InputError(`--eval-data ${evalSpec}: dIn: expected ${data.dIn} (the training data's width), got ${evalData.dIn}`);
    }
    if (data.truth && evalSpec && !evalData.truth) evalData.truth = data.truth;
    if (preset) config = withPreset(preset, flagged, data);

    const quiet = f.get('quiet') === true;
    // One SAE is the plan of a 'single' run, exactly as the app's startRun makes it; a resumed one is the checkpoint's.
    const plan = ck.resumeFrom
      ? { method: 'single' as const, members: 1, config: resumeConfig(ck.resumeFrom, data, flagged, ck.resumeFile!), seeds: [ck.resumeFrom.members[0].seed] }
      : planEnsemble({ dataset: dataSpec, config, ensemble: { method: 'single', members: 1 } });
    const resolved = resolveConfig(checkPlan(plan, data.dIn, data.rows), data.dIn);
    if (str(f, 'export')) refuseUnexportable(resolved);
    if (!quiet) {
      process.stderr.write(
        `sae-workbench train: ${resolved.arch} dSae=${resolved.dSae} on ${data.name} [${data.rows}, ${data.dIn}], ${resolved.steps} steps × ${resolved.batch} tokens; ${backend.why}\n`,
      );
    }
    if (ck.resumeFrom && !quiet) process.stderr.write(`sae-workbench train: resuming ${ck.resumeFile} at step ${ck.resumeFrom.step}\n`);
    const saved: { file: string; step: number }[] = [];
    const save = ck.file ? (cp: Checkpoint): void => void saved.push({ file: writeCheckpointFile(ck.file!, cp), step: cp.step }) : undefined;
    const trained = await trainPlan(factory, backend.kind, plan, data, quiet, () => undefined, { resumeFrom: ck.resumeFrom, every: ck.every, ...(save ? { save } : {}) });
    const sae = trained.saes[0];
    const trainSeconds = trained.trainSeconds[0];
    const c = trained.config;

    const report = evaluateSae(sae, evalData);
    const exportDir = str(f, 'export');
    let exported: string[] | null = null;
    if (exportDir) {
      const provenance = provenanceOf({
        dataset: dataSpec,
        trainer: c.trainer,
        seed: c.seed,
        steps: c.steps,
        batch: c.batch,
        backend: backend.kind,
        ensemble: { method: 'single', members: 1, member: 1 },
        sparsitySource: `eval rows of ${evalSpec ?? dataSpec} (${report.tokens} tokens)`,
      });
      exported = writeSaeFolder(exportDir, toModelFolder(sae, { provenance, logDensity: report.logDensity }), f.get('force') === true);
    }

    return {
      command: 'train',
      ...(preset ? { preset } : {}),
      config: c,
      backend: backendJson(backend),
      data: { spec: dataSpec, rows: data.rows, dIn: data.dIn },
      evalData: evalSpec ? { spec: evalSpec, rows: evalData.rows, dIn: evalData.dIn } : { spec: dataSpec, note: 'no --eval-data: evaluated on the training data' },
      inputScale: sae.inputScale,
      training: {
        final: trained.finals[0],
        lastTenthMean: trained.tailMean,
        stepsPerSecond: (c.steps - trained.startStep) / trainSeconds,
        tokensPerSecond: ((c.steps - trained.startStep) * c.batch) / trainSeconds,
      },
      ...(ck.resumeFrom ? { resumedFrom: { file: ck.resumeFile, step: ck.resumeFrom.step } } : {}),
      ...(ck.file ? { checkpoints: saved } : {}),
      eval: evalReportJson(report),
      export: exported ? { dir: exportDir, files: exported } : null,
      wallSeconds: (performance.now() - t0) / 1000,
    };
  } finally {
    factory.dispose();
  }
}

/** A PAM-SGD preset's values for this data, under the flags given explicitly (they win). */
export function withPreset(preset: PamPreset, flagged: Partial<TrainConfig>, data: { rows: number; dIn: number }): Partial<TrainConfig> {
  return { ...pamPreset(preset, data.rows, data.dIn), ...flagged };
}

/** --export of an SAE that SAELens cannot represent fails before training, not after (the same reason toSaeLens gives). */
export function refuseUnexportable(c: { arch: string; topkSelect?: string }): void {
  if (c.arch === 'topk' && c.topkSelect === 'abs-signed')
    throw new InputError("--export: topkSelect abs-signed (signed top-K by |z|, no ReLU) has no SAELens form (SAELens' TopK applies ReLU): drop --export to train and evaluate it here, or use --topk-select relu");
}

/** --backend as the engine's BackendRequest (default 'auto'). */
export const backendFlag = (f: Flags): BackendRequest => oneOf(f, 'backend', BACKEND_REQUESTS) ?? 'auto';

/** The backend block of the JSON: which engine trained, on which adapter, and why (the engine's words). */
export const backendJson = (b: BackendInfo): Record<string, unknown> => ({ kind: b.kind, adapter: b.adapter, isSoftware: b.isSoftware, note: b.why });

export function writeJson(f: Flags, result: Record<string, unknown>): string {
  const text = JSON.stringify(result, null, 2) + '\n';
  const file = str(f, 'json');
  if (file) writeFileSync(file, text);
  return text;
}

/** --checkpoint, --checkpoint-every and --resume, the resumed checkpoint read and checked (its own errors name the file). */
function checkpointFlags(f: Flags): { file?: string; every: number; resumeFrom?: Checkpoint; resumeFile?: string } {
  const file = str(f, 'checkpoint');
  const every = num(f, 'checkpoint-every', true);
  if (every !== undefined && !file) throw new InputError('train: --checkpoint-every N needs --checkpoint FILE (where to write them)');
  if (every !== undefined && every < 1) throw new InputError(`train: --checkpoint-every: expected an integer ≥ 1, got ${every}`);
  const resumeFile = str(f, 'resume');
  let resumeFrom: Checkpoint | undefined;
  if (resumeFile) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(resumeFile);
    } catch (e) {
      throw new InputError(`--resume ${resumeFile}: cannot read it (${(e as Error).message}): give the path of a --checkpoint file`);
    }
    resumeFrom = readCheckpoint(bytes, resumeFile);
    if (resumeFrom.ensemble.method !== 'single') throw new InputError(`--resume ${resumeFile}: a ${resumeFrom.ensemble.method} run's checkpoint: train resumes single SAEs (resume it in the app)`);
  }
  return { ...(file ? { file } : {}), every: every ?? 0, ...(resumeFrom ? { resumeFrom, resumeFile } : {}) };
}

/** Writes `c` to `pattern` ({step} → its step) through a temporary file, so a crash mid-write keeps the last good one. */
function writeCheckpointFile(pattern: string, c: Checkpoint): string {
  const file = pattern.replaceAll('{step}', String(c.step));
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, writeCheckpoint(c));
  renameSync(tmp, file);
  return file;
}
