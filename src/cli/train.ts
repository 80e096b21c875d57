// `sae-workbench train`: trains one SAE on the WGSL engine (WebGPU: Dawn in Node) or the CPU reference,
// evaluates it as exported, optionally writes a SAELens folder, and reports JSON. Node only.

import { writeFileSync } from 'node:fs';
import type { BDecInit, InputScaling, ResolvedConfig, TrainConfig } from '../core/sae/config.ts';
import { InputError } from '../core/errors.ts';
import { evaluateSae } from '../core/sae/evaluate.ts';
import { TRAINER, toSaeLens } from '../core/formats/saelens.ts';
import type { StepStats } from '../core/sae/train.ts';
import { createTrainer } from '../core/sae/train.ts';
import type { Dataset, Sae } from '../core/sae/types.ts';
import { ARCHS } from '../core/sae/types.ts';
import { HISTORY_CAPACITY, createGpuTrainer, gpuTrainerLimits } from '../engine/training/gpuTrainer.ts';
import { acquireDevice } from '../gpu/device.ts';
import { createNodeGpu } from '../gpu/node.ts';
import type { FlagSpec, Flags } from './args.ts';
import { num, oneOf, str } from './args.ts';
import { loadData } from './data.ts';
import { writeSaeFolder } from './folder.ts';
import { createProgress } from './progress.ts';
import { evalReportJson } from './report.ts';

export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  data: { kind: 'value', help: 'training data: FILE.npy | .safetensors | .f32 | .csv | IDX | builtin:NAME | synthetic:PRESET[:SEED] (see sae-workbench --help)' },
  tensor: { kind: 'value', help: 'tensor name in a .safetensors --data' },
  shape: { kind: 'value', help: 'ROWS,DIN of a raw f32 --data' },
  'eval-data': { kind: 'value', help: 'held-out data for the eval metrics (default: the training data)' },
  'eval-tensor': { kind: 'value', help: 'tensor name in a .safetensors --eval-data (default: --tensor)' },
  'eval-shape': { kind: 'value', help: 'ROWS,DIN of a raw f32 --eval-data' },
  arch: { kind: 'value', help: `architecture: ${ARCHS.join('|')} (default topk)` },
  latents: { kind: 'value', help: 'number of latents dSae (default 64)' },
  k: { kind: 'value', help: 'active latents per token, topk/batchtopk (default 4)' },
  l1: { kind: 'value', help: 'sparsity coefficient: L1 for relu, L0 for jumprelu (default 1e-3)' },
  steps: { kind: 'value', help: 'training steps (default 1000)' },
  batch: { kind: 'value', help: 'tokens per step (default 256)' },
  lr: { kind: 'value', help: 'peak learning rate (default 2e-4·√(16384/latents), at most 3e-3)' },
  seed: { kind: 'value', help: 'seed of init and batch order (default 0)' },
  'input-scaling': { kind: 'value', help: 'none|expected-norm: scale inputs so E‖x‖ = √dIn, folded at export (default none)' },
  'bdec-init': { kind: 'value', help: 'geometric-median|mean|zeros (default geometric-median)' },
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
  backend: { kind: 'value', help: 'cpu|webgpu (default: webgpu when an adapter exists, SwiftShader included; else cpu)' },
  export: { kind: 'value', help: 'write the trained SAE as a SAELens folder here' },
  force: { kind: 'switch', help: 'overwrite an SAE already in --export DIR' },
  json: { kind: 'value', help: 'also write the JSON results to this file' },
  quiet: { kind: 'switch', help: 'no progress on stderr' },
};

/** The TrainConfig fields set by flags (the rest come from DEFAULT_CONFIG); flags absent from a command's table stay unset. */
export function configFromFlags(f: Flags): Partial<TrainConfig> {
  const c: Partial<TrainConfig> = {};
  const set = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K] | undefined): void => {
    if (v !== undefined) c[k] = v;
  };
  set('arch', oneOf(f, 'arch', ARCHS));
  set('dSae', num(f, 'latents', true));
  set('k', num(f, 'k', true));
  set('l1Coefficient', num(f, 'l1'));
  set('steps', num(f, 'steps', true));
  set('batch', num(f, 'batch', true));
  set('lr', num(f, 'lr'));
  set('seed', num(f, 'seed', true));
  set('inputScaling', oneOf<InputScaling>(f, 'input-scaling', ['none', 'expected-norm']));
  set('bDecInit', oneOf<BDecInit>(f, 'bdec-init', ['geometric-median', 'mean', 'zeros']));
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
  return c;
}

/** Which engine trains, and why (a line for the JSON and the log). */
export interface BackendChoice {
  kind: 'cpu' | 'webgpu';
  adapter: string | null;
  isSoftware: boolean | null;
  note: string;
}

/**
 * --backend webgpu: the WGSL engine (an error when no adapter is found). --backend cpu: the reference.
 * No flag: the WGSL engine whenever an adapter exists — on a machine without a GPU that is SwiftShader,
 * found by src/gpu/node.ts and named in the log and the JSON — else the CPU reference.
 */
export async function chooseBackend(requested: 'cpu' | 'webgpu' | undefined): Promise<BackendChoice & { gpu: GPU | null }> {
  if (requested === 'cpu') return { kind: 'cpu', adapter: null, isSoftware: null, note: 'CPU reference (src/core), as requested', gpu: null };
  let node: Awaited<ReturnType<typeof createNodeGpu>> | null = null;
  let why = '';
  try {
    node = await createNodeGpu();
  } catch (e) {
    why = (e as Error).message;
  }
  if (!node) {
    if (requested === 'webgpu') throw new InputError(`--backend webgpu: no WebGPU adapter: ${why}`);
    return { kind: 'cpu', adapter: null, isSoftware: null, note: `CPU reference: no WebGPU adapter (${why})`, gpu: null };
  }
  const soft = node.isSoftware ? ' (a software adapter: correct but slow; --backend cpu may be faster)' : '';
  return { kind: 'webgpu', adapter: node.adapterName, isSoftware: node.isSoftware, note: `WGSL engine on ${node.adapterName}${soft}`, gpu: node.gpu };
}

interface Trained {
  sae: Sae;
  config: ResolvedConfig;
  history: StepStats[];
  trainSeconds: number;
}

async function trainOnCpu(data: Dataset, config: Partial<TrainConfig>, quiet: boolean, log: (c: ResolvedConfig) => void): Promise<Trained> {
  const trainer = createTrainer(data, config);
  log(trainer.config);
  const progress = createProgress(trainer.config.steps, quiet);
  const history: StepStats[] = [];
  const t0 = performance.now();
  for (let i = 0; i < trainer.config.steps; i++) {
    const s = trainer.trainStep();
    history.push(s);
    progress(s);
    // Yield now and then so Ctrl-C and stderr flushes are handled promptly.
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  return { sae: trainer.sae, config: trainer.config, history, trainSeconds: (performance.now() - t0) / 1000 };
}

async function trainOnGpu(gpu: GPU, isSoftware: boolean, data: Dataset, config: Partial<TrainConfig>, quiet: boolean, log: (c: ResolvedConfig) => void): Promise<Trained> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new InputError('--backend webgpu: the adapter went away; rerun, or use --backend cpu');
  const needed = gpuTrainerLimits(config, data.dIn, data.rows, 1, adapter.limits);
  const { device } = await acquireDevice(gpu, needed, (info) => process.stderr.write(`sae-workbench: WebGPU device lost (${info.reason}): ${info.message}\n`));
  try {
    const trainer = await createGpuTrainer(device, data, config, { isSoftware });
    log(trainer.config);
    const steps = trainer.config.steps;
    const progress = createProgress(steps, quiet);
    const history: StepStats[] = [];
    // Submit in chunks and read the metric history between them: the GPU never waits on the CPU
    // inside a chunk, and progress still shows.
    const chunk = Math.max(1, Math.min(HISTORY_CAPACITY, Math.ceil(steps / 20)));
    const t0 = performance.now();
    while (trainer.step < steps) {
      trainer.trainSteps(Math.min(chunk, steps - trainer.step));
      const [stats] = await trainer.readStats();
      for (const s of stats) {
        history.push(s);
        progress(s);
      }
    }
    const [sae] = await trainer.readSaes();
    const trainSeconds = (performance.now() - t0) / 1000;
    trainer.destroy();
    return { sae, config: trainer.config, history, trainSeconds };
  } finally {
    device.destroy();
  }
}

export async function runTrain(f: Flags): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const dataSpec = str(f, 'data');
  if (!dataSpec) throw new InputError('train: --data SPEC is required (a .npy/.safetensors/raw f32 file or synthetic:PRESET[:SEED])');
  const config = configFromFlags(f);
  const data = loadData(dataSpec, { tensor: str(f, 'tensor'), shape: str(f, 'shape') });
  const evalSpec = str(f, 'eval-data');
  const evalData = evalSpec ? loadData(evalSpec, { tensor: str(f, 'eval-tensor') ?? str(f, 'tensor'), shape: str(f, 'eval-shape') }) : data;
  if (evalData.dIn !== data.dIn) {
    throw new InputError(`--eval-data ${evalSpec}: dIn: expected ${data.dIn} (the training data's width), got ${evalData.dIn}`);
  }
  if (data.truth && evalSpec && !evalData.truth) evalData.truth = data.truth;

  const quiet = f.get('quiet') === true;
  const backend = await chooseBackend(oneOf(f, 'backend', ['cpu', 'webgpu']));
  const log = (c: ResolvedConfig): void => {
    if (quiet) return;
    process.stderr.write(
      `sae-workbench train: ${c.arch} dSae=${c.dSae} on ${data.name} [${data.rows}, ${data.dIn}], ${c.steps} steps × ${c.batch} tokens; ${backend.note}\n`,
    );
  };
  const trained = backend.gpu ? await trainOnGpu(backend.gpu, backend.isSoftware === true, data, config, quiet, log) : await trainOnCpu(data, config, quiet, log);
  const { sae, history, trainSeconds } = trained;
  const trainer = { sae, config: trained.config };

  const report = evaluateSae(trainer.sae, evalData);
  const provenance = {
    trainer: TRAINER,
    training_architecture: trainer.config.arch,
    dataset_path: data.name,
    seed: trainer.config.seed,
    steps: trainer.config.steps,
    batch: trainer.config.batch,
  };
  const exportDir = str(f, 'export');
  let exported: string[] | null = null;
  if (exportDir) {
    exported = writeSaeFolder(exportDir, toSaeLens(trainer.sae, { provenance, logDensity: report.logDensity }), f.get('force') === true);
  }

  const last = history[history.length - 1];
  const tail = history.slice(-Math.max(1, Math.floor(history.length / 10)));
  const mean = (key: keyof StepStats): number => tail.reduce((a, s) => a + s[key], 0) / tail.length;
  return {
    command: 'train',
    config: trainer.config,
    backend: { kind: backend.kind, adapter: backend.adapter, isSoftware: backend.isSoftware, note: backend.note },
    data: { spec: dataSpec, rows: data.rows, dIn: data.dIn },
    evalData: evalSpec ? { spec: evalSpec, rows: evalData.rows, dIn: evalData.dIn } : { spec: dataSpec, note: 'no --eval-data: evaluated on the training data' },
    inputScale: trainer.sae.inputScale,
    training: {
      final: last,
      lastTenthMean: { loss: mean('loss'), mse: mean('mse'), explainedVariance: mean('explainedVariance'), l0: mean('l0'), deadFraction: mean('deadFraction') },
      stepsPerSecond: trainer.config.steps / trainSeconds,
      tokensPerSecond: (trainer.config.steps * trainer.config.batch) / trainSeconds,
    },
    eval: evalReportJson(report),
    export: exported ? { dir: exportDir, files: exported } : null,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

export function writeJson(f: Flags, result: Record<string, unknown>): string {
  const text = JSON.stringify(result, null, 2) + '\n';
  const file = str(f, 'json');
  if (file) writeFileSync(file, text);
  return text;
}
