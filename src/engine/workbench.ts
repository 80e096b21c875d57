// createWorkbench(gpu?): the Workbench (src/engine/api.ts), implemented once for the worker, the CLI and
// the tests. A run's members train on the GPU trainer (WebGPU) or the CPU reference (trainers.ts),
// in chunks of steps with a yield between them so pause/resume/stop get through; snapshots go out on one
// throttled push channel (≤ ~15 Hz, never awaited). On the GPU the weights are read back at snapshot
// time (at most once a second, and at pause/stop/done), so a lost device leaves them exportable.
// Datasets (datasets.ts) load into a small registry by id; their progress rides on the same channel
// (Snapshot.loading). inspectRun/latentDetail (inspectRun.ts) read the current run's weights over its
// dataset. Imports src/core and src/gpu only: no DOM, React, Comlink, Node or WGSL.

import { DEFAULT_CONFIG, resolveConfig, validateConfig } from '../core/sae/config.ts';
import { manifestOf, readEnsembleZip, writeEnsembleZip } from '../core/formats/ensembleFile.ts';
import type { TrainConfig } from '../core/sae/config.ts';
import { boostingResidual } from '../core/ensemble/boosting.ts';
import { InputError } from '../core/errors.ts';
import { toSaeLens } from '../core/formats/saelens.ts';
import { writeZip } from '../core/formats/zip.ts';
import type { StepStats } from '../core/sae/train.ts';
import type { Arch, Sae } from '../core/sae/types.ts';
import { GPU_ARCHS } from './training/gpuTrainer.ts';
import { describeAdapter, isSoftwareAdapter } from '../gpu/device.ts';
import type {
  BackendInfo,
  BackendRequest,
  DatasetInfo,
  InspectScope,
  InspectingWorkbench,
  LatentDetail,
  LatentDetailRequest,
  InspectRunRequest,
  RunInspection,
  DatasetProgress,
  DatasetRequest,
  EnsembleEvaluation,
  EnsembleZip,
  LoadEnsembleRequest,
  MemberSnapshot,
  RunExport,
  RunInfo,
  RunZip,
  RunStatus,
  Snapshot,
  SnapshotListener,
  StartRunRequest,
} from './api.ts';
import type { DataReader, LoadedDataset } from './datasets.ts';
import type { RunWeights } from './ensembleRun.ts';
import { downstreamOf, ensembleRows, evaluateRunEnsemble, planEnsemble, runEnsembleViews } from './ensembleRun.ts';
import type { CodesCache } from './inspectRun.ts';
import { DEFAULT_TOP_N, inspectMember, latentDetailOf } from './inspectRun.ts';
import { BUILTINS, createUploadStreams, describeRows, fetchReader, loadDatasetFrom, uploadedBytes } from './datasets.ts';
import type { LostInfo, MemberTrainer, Weights } from './training/trainers.ts';
import { createCpuTrainer, createDeviceHolder, createWebGpuTrainer } from './training/trainers.ts';

/** Work per chunk before yielding: long enough to amortise setTimeout's ~4 ms clamp, short enough for pause. */
const CHUNK_MS = 25;
/** At most ~15 snapshots per second; status changes are always sent at once. */
const SNAPSHOT_INTERVAL_MS = 1000 / 15;
/** GPU weights are read back with a snapshot at most this often (a readback of every member's parameters). */
const KEEP_WEIGHTS_MS = 1000;
/** After a failed GPU call, how long to wait for device.lost before calling it an ordinary error. */
const LOST_GRACE_MS = 500;
/** Members of one run; each costs a full SAE of memory and work per step. */
const MAX_MEMBERS = 16;
/** Datasets kept loaded at once; the least recently used one not being trained on goes first. */
const MAX_LOADED = 6;

/** Where the shipped data (public/data/) comes from. */
export interface WorkbenchOptions {
  /** A base URL the files are fetched from, e.g. new URL('/data/', self.location.href).href in the worker. */
  dataBase?: string;
  /** Or a reader of those files by name (Node tests: fs.readFile of public/data/). Wins over dataBase. */
  readData?: DataReader;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const yieldToEventLoop = (): Promise<void> => sleep(0);
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

interface Run {
  id: number;
  /** The id the run was started with (export provenance). */
  dataset: string;
  /** The loaded dataset's id (kept loaded while this run is current). */
  datasetId: string;
  info: RunInfo;
  /** null once freed (a GPU run after done, error or loss): exports then come from `good`. */
  trainer: MemberTrainer | null;
  steps: number;
  /** Steps done and measured (kept here because the trainer may be freed). */
  step: number;
  status: RunStatus;
  error?: string;
  /** The latest step's stats per member. */
  last: StepStats[] | null;
  /** Active (unpaused) training time and the tokens trained in it, for tokensPerSecond. */
  activeMs: number;
  tokens: number;
  /** Steps since the last snapshot: steps[i] ↔ loss[member][i]. */
  recent: { steps: number[]; loss: number[][] };
  /** The last weights read back (GPU), exported after a loss; null on the CPU (read live). */
  good: Weights | null;
  goodAtMs: number;
  /** The training loop in flight (resolved when none). */
  loop: Promise<void>;
  /** step(n): the loop pauses at this step (null: train to the end). */
  until: number | null;
  /** Member 0's log10 density (Snapshot.density) and when it was computed. */
  density: Snapshot['density'];
  densityAtMs: number;
  /**
   * Boosting (seed-papers.md §2.4): the stage the trainer trains (0-based), and the stages before it, frozen,
   * with their final stats and weights. Global step = stage·stageSteps + the trainer's step. null otherwise.
   */
  boost: { stage: number; frozen: Weights[]; frozenLast: StepStats[] } | null;
  /** What the next stage's trainer is made with (boosting). */
  makeTrainer: ((residualOf: Sae[], seed: number) => Promise<MemberTrainer>) | null;
}

/** SAEs the trainer holds now: boosting trains one stage at a time. */
const trainerSaes = (r: Run): number => (r.boost ? 1 : r.info.seeds.length);
/** The global step the current trainer's step 0 is (boosting: the stages before it). */
const stepOffset = (r: Run): number => (r.boost ? r.boost.stage * r.info.ensemble.stageSteps : 0);

function checkSeeds(seeds: number[]): void {
  if (!Array.isArray(seeds) || seeds.length < 1 || seeds.length > MAX_MEMBERS)
    throw new InputError(`seeds: expected 1 to ${MAX_MEMBERS} seeds (one per ensemble member), got ${Array.isArray(seeds) ? seeds.length : String(seeds)}`);
  const bad = seeds.findIndex((s) => !Number.isSafeInteger(s) || s < 0);
  if (bad >= 0) throw new InputError(`seeds[${bad}]: expected an integer ≥ 0, got ${seeds[bad]}`);
}

/** What the adapter probe found (once per workbench). */
interface Probe {
  adapter: GPUAdapter | null;
  name: string | null;
  isSoftware: boolean | null;
  /** Why there is no adapter (empty when there is one). */
  why: string;
}

async function probeGpu(gpu: GPU | undefined): Promise<Probe> {
  const none = (why: string): Probe => ({ adapter: null, name: null, isSoftware: null, why });
  if (!gpu) return none('WebGPU is not available here (navigator.gpu is undefined)');
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return none('WebGPU found no adapter');
    return { adapter, name: describeAdapter(adapter.info), isSoftware: isSoftwareAdapter(adapter.info), why: '' };
  } catch (e) {
    return none(`requesting a WebGPU adapter failed: ${messageOf(e)}`);
  }
}

/**
 * The engine for a run, as the CLI's chooseBackend decides: 'cpu' and 'webgpu' are obeyed (webgpu
 * throws when it cannot be had); 'auto' takes WebGPU on a hardware adapter for GPU_ARCHS, else the CPU
 * reference, which beats a software adapter (SwiftShader, ~0.2 GFLOP/s).
 */
function chooseBackend(requested: BackendRequest, arch: Arch, p: Probe): BackendInfo {
  const at = { adapter: p.name, isSoftware: p.isSoftware };
  if (requested === 'cpu') return { kind: 'cpu', ...at, why: 'the CPU reference (src/core), as requested' };
  if (requested === 'webgpu') {
    if (!p.adapter) throw new InputError(`backend 'webgpu' was requested but ${p.why}: use backend 'cpu' or 'auto'`);
    if (!GPU_ARCHS.includes(arch)) throw new InputError(`backend 'webgpu' trains ${GPU_ARCHS.join(', ')} SAEs so far; ${arch} runs on backend 'cpu' or 'auto'`);
    return { kind: 'webgpu', ...at, why: `the WGSL engine on ${p.name}, as requested` };
  }
  if (requested !== 'auto') throw new InputError(`backend: expected 'auto', 'cpu' or 'webgpu', got ${JSON.stringify(requested)}`);
  if (!p.adapter) return { kind: 'cpu', ...at, why: `the CPU reference: ${p.why}` };
  if (!GPU_ARCHS.includes(arch)) return { kind: 'cpu', ...at, why: `the CPU reference: the WGSL engine trains ${GPU_ARCHS.join(', ')} so far (${arch} runs on the CPU)` };
  if (p.isSoftware) return { kind: 'cpu', ...at, why: `the CPU reference: the only adapter is a software one (${p.name}), slower than the reference; backend 'webgpu' forces it` };
  return { kind: 'webgpu', ...at, why: `the WGSL engine on ${p.name}` };
}

/** log10 firing density per latent over the tokens seen, as sparsity.safetensors stores it. */
function logDensity(counts: Float64Array, tokens: number): Float32Array {
  return Float32Array.from(counts, (c) => Math.log10((tokens > 0 ? c / tokens : 0) + 1e-10));
}

const noData: DataReader = (file) =>
  Promise.reject(new InputError(`${file}: this workbench has no data folder: create it with createWorkbench(gpu, { dataBase }) or { readData }`));

export function createWorkbench(gpu?: GPU, options: WorkbenchOptions = {}): InspectingWorkbench {
  const readData = options.readData ?? (options.dataBase ? fetchReader(options.dataBase) : noData);
  let listener: SnapshotListener | null = null;
  let run: Run | null = null;
  let runCount = 0;
  /** Playground's timerIndex: a training loop runs only while the generation it captured is current. */
  let generation = 0;
  let lastEmitMs = -Infinity;
  /** Loaded datasets by id, least recently used first. */
  const datasets = new Map<string, LoadedDataset>();
  /** The load in flight (startRun waits for it), and its latest progress. */
  let loadingNow: Promise<unknown> = Promise.resolve();
  let loading: DatasetProgress | null = null;
  let probe: Promise<Probe> | null = null;
  const probed = (): Promise<Probe> => (probe ??= probeGpu(gpu));
  const devices = gpu ? createDeviceHolder(gpu) : null;
  // The LM behind text datasets runs on WebGPU only on a hardware adapter (on a software one the CPU
  // reference is faster).
  const lmDevice = async (): Promise<GPUDevice | null> => {
    const p = await probed();
    return devices && p.adapter && p.isSoftware === false ? (await devices.get({})).device : null;
  };
  /** Control calls run one at a time, in order (a pause waits for the loop; a new run for the old one's end). */
  let control: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = control.then(fn, fn);
    control = next.catch(() => undefined);
    return next;
  };

  const snapshotOf = (r: Run): Snapshot => {
    const M = trainerSaes(r);
    const mean = (key: keyof StepStats): number => (r.last ? r.last.reduce((a, s) => a + s[key], 0) / M : NaN);
    const b = r.boost;
    const members: MemberSnapshot[] = r.info.seeds.map((seed, j) => {
      // boosting: frozen stages keep their final stats; the stage training now is live; later ones are NaN.
      const live = b ? j === b.stage : true;
      const s = b ? (j < b.stage ? b.frozenLast[j] : live ? r.last?.[0] : undefined) : r.last?.[j];
      return {
        seed,
        loss: s?.loss ?? NaN,
        mse: s?.mse ?? NaN,
        l0: s?.l0 ?? NaN,
        deadFraction: s?.deadFraction ?? NaN,
        explainedVariance: s?.explainedVariance ?? NaN,
        recentLoss: live ? r.recent.loss[b ? 0 : j] : [],
      };
    });
    const recentMean = r.recent.steps.map((_, i) => r.recent.loss.reduce((a, l) => a + l[i], 0) / M);
    const snap: Snapshot = {
      run: r.id,
      status: r.status,
      backend: r.info.backend.kind,
      step: r.step,
      steps: r.steps,
      weightsStep: r.good ? stepOffset(r) + r.good.step : r.step,
      loss: mean('loss'),
      mse: mean('mse'),
      l0: mean('l0'),
      deadFraction: mean('deadFraction'),
      explainedVariance: mean('explainedVariance'),
      auxLoss: mean('auxLoss'),
      sparsityLoss: mean('sparsityLoss'),
      lr: r.last?.[0].lr ?? NaN,
      tokensPerSecond: r.activeMs > 0 ? (r.tokens / r.activeMs) * 1000 : 0,
      recentLoss: { steps: r.recent.steps, loss: recentMean },
      members,
      density: r.density,
      loading,
      stage: b ? { index: r.status === 'done' ? r.info.seeds.length : b.stage, count: r.info.seeds.length } : null,
    };
    if (r.error !== undefined) snap.error = r.error;
    return snap;
  };

  /** Before any run: a snapshot of no run (run 0, status idle), carrying only the loading progress. */
  const idleSnapshot = (): Snapshot => ({
    run: 0,
    status: 'idle',
    backend: 'cpu',
    step: 0,
    steps: 0,
    weightsStep: 0,
    loss: NaN,
    mse: NaN,
    l0: NaN,
    deadFraction: NaN,
    explainedVariance: NaN,
    auxLoss: NaN,
    sparsityLoss: NaN,
    lr: NaN,
    tokensPerSecond: 0,
    recentLoss: { steps: [], loss: [] },
    members: [],
    density: null,
    loading,
    stage: null,
  });

  const send = (snap: Snapshot): void => {
    const l = listener;
    if (!l) return;
    lastEmitMs = performance.now();
    try {
      // Through Comlink the listener returns a promise; a closed page must not break training.
      void Promise.resolve(l(snap) as unknown).catch(() => undefined);
    } catch {
      // An in-thread listener that throws is the caller's bug; training goes on.
    }
  };

  /** Sends a snapshot of the current run now (force) or when the throttle allows; never waits on the listener. */
  const emit = (r: Run, force: boolean): void => {
    if (r !== run) return; // a replaced run: its loop may still be winding down
    if (!force && performance.now() - lastEmitMs < SNAPSHOT_INTERVAL_MS) return;
    if (listener) send(snapshotOf(r));
    r.recent = { steps: [], loss: Array.from({ length: trainerSaes(r) }, () => []) };
  };

  /** Loading progress: on the current run's snapshot, or on an idle one before any run. */
  const setLoading = (p: DatasetProgress | null, force: boolean): void => {
    loading = p;
    if (run) emit(run, force);
    else if (force || performance.now() - lastEmitMs >= SNAPSHOT_INTERVAL_MS) send(idleSnapshot());
  };
  /** Chunked uploads in flight (src/client.ts streams large files; progress as "receiving NAME"). */
  const uploads = createUploadStreams((p) => setLoading(p, p.done === 0 || p.done === p.total));

  const remember = (d: LoadedDataset): void => {
    datasets.delete(d.info.id);
    datasets.set(d.info.id, d);
    for (const id of datasets.keys()) {
      if (datasets.size <= MAX_LOADED) break;
      if (id !== run?.datasetId && id !== d.info.id) datasets.delete(id);
    }
  };

  /** Loads one dataset; a failure leaves every loaded dataset as it was. quiet: no progress snapshots (a fast load). */
  const load = (req: DatasetRequest, quiet = false): Promise<LoadedDataset> => {
    const next = loadingNow.then(async () => {
      try {
        const d = await loadDatasetFrom(req, readData, (p) => quiet || setLoading(p, p.done === 0), { lmDevice, uploads });
        remember(d);
        return d;
      } finally {
        if (!quiet) setLoading(null, true);
      }
    });
    loadingNow = next.catch(() => undefined);
    return next;
  };

  /** The dataset a run names: loaded already, or a catalog id loaded now with default preprocessing. */
  const datasetFor = async (id: string): Promise<LoadedDataset> => {
    await loadingNow;
    const have = datasets.get(id);
    if (have) {
      remember(have);
      return have;
    }
    // A synthetic preset takes milliseconds: no progress snapshots (before a first run they would be idle ones).
    if (typeof id === 'string' && (id.startsWith('synthetic:') || id.startsWith('builtin:'))) return load({ source: 'builtin', id }, id.startsWith('synthetic:'));
    const loaded = [...datasets.keys()];
    throw new InputError(
      `dataset "${id}" is not loaded: load it first (loadDataset), pick a loaded one${loaded.length ? ` (${loaded.join(', ')})` : ''}, or use synthetic:small or a built-in (builtin:stories-resid-3, builtin:fashion-mnist, ...)`,
    );
  };

  /** Member 0's density from `w` (GPU: the readback just made), or read live on the CPU; at most ~1 Hz unless forced. */
  const refreshDensity = async (r: Run, force: boolean, w?: Weights | null): Promise<void> => {
    if (!force && performance.now() - r.densityAtMs < KEEP_WEIGHTS_MS) return;
    let weights = w ?? null;
    if (!weights && r.trainer?.kind === 'cpu') weights = await r.trainer.readWeights();
    if (!weights && !r.trainer) weights = r.good;
    if (!weights || (r.density && r.density.step === weights.step && !force)) return;
    r.density = { step: stepOffset(r) + weights.step, log10: logDensity(weights.firingCounts[0], weights.tokens) };
    r.densityAtMs = performance.now();
  };

  const setStatus = (r: Run, status: RunStatus, error?: string): void => {
    r.status = status;
    if (error !== undefined) r.error = error;
    emit(r, true);
  };

  const record = (r: Run, stats: StepStats[][]): void => {
    const n = stats[0].length;
    const offset = stepOffset(r);
    for (let i = 0; i < n; i++) {
      r.recent.steps.push(offset + stats[0][i].step);
      stats.forEach((member, j) => r.recent.loss[j].push(member[i].loss));
    }
    if (n > 0) {
      r.last = stats.map((member) => member[n - 1]);
      r.step = offset + stats[0][n - 1].step;
      r.tokens += n * r.info.config.batch;
    }
  };

  /** GPU: reads every member's weights back, so they outlive the device. CPU: nothing (read live). */
  const keepWeights = async (r: Run): Promise<void> => {
    if (!r.trainer || r.trainer.kind !== 'webgpu') return;
    r.good = await r.trainer.readWeights();
    r.goodAtMs = performance.now();
    await refreshDensity(r, true, r.good);
  };

  const free = (r: Run): void => {
    if (r.trainer?.kind === 'webgpu') {
      r.trainer.destroy();
      r.trainer = null;
    }
  };

  const markLost = (r: Run, info: LostInfo): void => {
    if (r.status === 'lost' || r.status === 'error' || r.status === 'done') return;
    if (r === run) generation++; // the loop stops at its next check
    const kept = r.good ? `the last good weights (step ${r.good.step}) can still be exported` : 'no weights were read back before the loss';
    setStatus(
      r,
      'lost',
      `the WebGPU device was lost at step ${r.step} (${info.reason || 'unknown'}: ${info.message || 'no message'}); ${kept}. ` +
        `A new run asks for a new device; if that fails, reload the page (a lost software-Vulkan device cannot come back in-process) or train with backend 'cpu'.`,
    );
    free(r);
  };

  /** A failed chunk or readback: a device loss if device.lost follows within LOST_GRACE_MS, else an error. */
  const failed = async (r: Run, e: unknown): Promise<void> => {
    if (r.status === 'lost') return;
    const lost = r.trainer ? await Promise.race([r.trainer.lost, sleep(LOST_GRACE_MS).then(() => null)]) : null;
    if (lost) return markLost(r, lost);
    if (r.status === 'error' || r.status === 'done') return;
    if (r === run) generation++;
    setStatus(r, 'error', `training failed at step ${r.step}: ${messageOf(e)}`);
    free(r);
  };

  /** Runs fn; on a throw routes it to failed() and returns false. */
  const guarded = async (r: Run, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (e) {
      await failed(r, e);
      return false;
    }
  };

  /** Final weights, GPU freed, status 'done' (or whatever a failure made it). */
  const finish = async (r: Run): Promise<void> => {
    if (await guarded(r, async () => (await keepWeights(r), await refreshDensity(r, true)))) {
      free(r);
      setStatus(r, 'done');
    }
  };

  /**
   * Boosting: freezes the stage just trained (its weights read back) and starts the next one on the residual
   * the frozen stages leave of the train split (src/core/ensemble/boosting.ts; on the GPU computed there, residual.ts).
   */
  const nextStage = async (r: Run): Promise<void> => {
    const b = r.boost;
    const t = r.trainer;
    if (!b || !t || !r.makeTrainer || !r.last) throw new Error('nextStage: not a boosting run with a trained stage');
    const w = await t.readWeights();
    emit(r, true); // the stage's last steps go out before its history is dropped
    b.frozen.push(w);
    b.frozenLast.push(r.last[0]);
    free(r);
    r.trainer = null;
    b.stage++;
    r.last = null;
    r.good = null;
    r.goodAtMs = -Infinity;
    r.recent = { steps: [], loss: [[]] };
    const next = await r.makeTrainer(
      b.frozen.map((f) => f.saes[0]),
      r.info.seeds[b.stage],
    );
    r.trainer = next;
    void next.lost.then((lostInfo) => markLost(r, lostInfo));
    await keepWeights(r);
    await refreshDensity(r, true);
    emit(r, true);
  };

  const loop = async (r: Run, gen: number): Promise<void> => {
    if (!r.trainer) return;
    const ok = await guarded(r, async () => {
      while (gen === generation && r.step < (r.until ?? r.steps)) {
        const stageEnd = r.boost ? stepOffset(r) + r.info.ensemble.stageSteps : r.steps;
        if (r.boost && r.step >= stageEnd) {
          await nextStage(r);
          continue;
        }
        const t = r.trainer;
        if (!t) return;
        const t0 = performance.now();
        const stats = await t.trainChunk(Math.min(r.until ?? r.steps, stageEnd) - r.step, CHUNK_MS);
        r.activeMs += performance.now() - t0;
        record(r, stats);
        if (gen !== generation) break; // paused, stopped or replaced: that caller emits
        if (performance.now() - lastEmitMs >= SNAPSHOT_INTERVAL_MS) {
          if (performance.now() - r.goodAtMs >= KEEP_WEIGHTS_MS) await keepWeights(r);
          await refreshDensity(r, false);
        }
        emit(r, false);
        await yieldToEventLoop();
      }
    });
    if (!ok || gen !== generation || r.status !== 'training') return;
    if (r.step >= r.steps) return finish(r);
    // step(n) reached its target: pause here.
    r.until = null;
    if (await guarded(r, async () => (await keepWeights(r), await refreshDensity(r, true)))) setStatus(r, 'paused');
  };

  const start = (r: Run, until: number | null = null): void => {
    r.until = until;
    const gen = ++generation;
    r.status = 'training';
    emit(r, true);
    r.loop = loop(r, gen);
  };

  /** Stops r's loop (its in-flight chunk completes first). */
  const halt = async (r: Run): Promise<void> => {
    generation++;
    await r.loop;
  };

  const createRun = async (req: StartRunRequest): Promise<RunInfo> => {
    // Everything that can be checked without a device is checked before the current run is touched.
    const loaded = await datasetFor(req.dataset);
    const data = loaded.train;
    const plan = planEnsemble(req);
    const config = plan.config;
    const full: TrainConfig = { ...DEFAULT_CONFIG, ...config };
    const problems = validateConfig(full, data.dIn, data.rows);
    if (problems.length > 0) throw new InputError(`invalid training config${plan.method === 'expanded' ? ` (expanded: ${plan.members}× latents)` : ''}: ${problems.join('; ')}`);
    const seeds = plan.seeds;
    checkSeeds(seeds);
    const p = await probed();
    const backend = chooseBackend(req.backend ?? 'auto', full.arch, p);

    const old = run;
    if (old && (old.status === 'training' || old.status === 'paused')) {
      await halt(old);
      if (old.status === 'training' || old.status === 'paused') await finish(old);
    }
    if (old) free(old);

    const boosting = plan.method === 'boosting';
    const makeTrainer = (residualOf: Sae[], trainerSeeds: number[]): Promise<MemberTrainer> =>
      backend.kind === 'webgpu' && devices && p.adapter
        ? createWebGpuTrainer(data, config, trainerSeeds, { devices, adapterLimits: p.adapter.limits, isSoftware: p.isSoftware === true }, residualOf)
        : Promise.resolve(createCpuTrainer(data, config, trainerSeeds, residualOf));
    const trainer = await makeTrainer([], boosting ? [seeds[0]] : seeds);
    const stageSteps = trainer.config.steps;
    const info: RunInfo = {
      run: ++runCount,
      backend,
      seeds,
      config: trainer.config,
      ensemble: { method: plan.method, members: plan.members, saes: seeds.length, latentsPerSae: trainer.config.dSae, stageSteps },
      dataset: req.dataset,
      origin: 'trained',
    };
    const r: Run = {
      id: info.run,
      dataset: req.dataset,
      datasetId: loaded.info.id,
      info,
      trainer,
      steps: boosting ? stageSteps * seeds.length : stageSteps,
      step: 0,
      status: 'idle',
      last: null,
      activeMs: 0,
      tokens: 0,
      recent: { steps: [], loss: (boosting ? [0] : seeds).map(() => []) },
      good: null,
      goodAtMs: -Infinity,
      loop: Promise.resolve(),
      until: null,
      density: null,
      densityAtMs: -Infinity,
      boost: boosting ? { stage: 0, frozen: [], frozenLast: [] } : null,
      makeTrainer: boosting ? (residualOf, seed) => makeTrainer(residualOf, [seed]) : null,
    };
    run = r;
    void trainer.lost.then((lostInfo) => {
      markLost(r, lostInfo);
    });
    // step-0 weights: exportable even if lost at once
    if (await guarded(r, async () => (await keepWeights(r), await refreshDensity(r, true)))) {
      if (req.paused) setStatus(r, 'paused');
      else start(r);
    }
    return info;
  };

  /**
   * Every SAE of the run with the trainer's weights `w` (boosting: the frozen stages first, then the stage
   * training now; later stages are not there yet). Steps are global (boosting: over all stages).
   */
  const runWeights = (r: Run, w: Weights): RunWeights => {
    if (!r.boost) return { step: w.step, saes: w.saes, firingCounts: w.firingCounts, tokens: w.saes.map(() => w.tokens) };
    const f = r.boost.frozen;
    return {
      step: stepOffset(r) + w.step,
      saes: [...f.map((x) => x.saes[0]), ...w.saes],
      firingCounts: [...f.map((x) => x.firingCounts[0]), ...w.firingCounts],
      tokens: [...f.map((x) => x.tokens), ...w.saes.map(() => w.tokens)],
    };
  };

  /** The run's weights now: read live (CPU, or GPU while it holds a trainer) or the last good ones. */
  const currentWeights = async (r: Run, what: string): Promise<{ w: RunWeights; source: 'live' | 'last-good' }> => {
    let w: Weights | null = null;
    let source: 'live' | 'last-good' = 'live';
    if (r.trainer && (r.status === 'training' || r.status === 'paused' || r.status === 'done' || r.status === 'idle')) {
      try {
        w = await r.trainer.readWeights();
        if (r.trainer?.kind === 'webgpu') {
          r.good = w;
          r.goodAtMs = performance.now();
        }
      } catch {
        w = null; // freed or lost meanwhile: fall back to the last good weights below
      }
    }
    if (!w) {
      w = r.good;
      source = 'last-good';
    }
    if (!w) throw new InputError(`${what}: run ${r.id} has no weights yet (status ${r.status}: ${r.error ?? 'none were read back'})`);
    return { w: runWeights(r, w), source: r.info.origin === 'loaded' ? 'live' : source };
  };

  const exportOf = async (member: number): Promise<RunExport> => {
    const r = run;
    if (!r) throw new InputError('exportRun: there is no run yet: start one with startRun');
    const M = r.info.seeds.length;
    if (!Number.isSafeInteger(member) || member < 0 || member >= M)
      throw new InputError(`exportRun: member must be an integer in [0, ${M - 1}] (the run has ${M} member${M === 1 ? '' : 's'}), got ${member}`);
    const { w, source } = await currentWeights(r, 'exportRun');
    if (member >= w.saes.length) throw new InputError(`exportRun: boosting stage ${member} of run ${r.id} is not trained yet (stages 0..${w.saes.length - 1} are): wait for it, or export an earlier stage`);
    const c = r.info.config;
    const folder = toSaeLens(w.saes[member], {
      provenance: {
        dataset_path: r.dataset,
        seed: r.info.seeds[member],
        steps: w.step,
        batch: c.batch,
        backend: r.info.backend.kind,
        ensemble_method: r.info.ensemble.method,
        ensemble_members: r.info.ensemble.members,
        ensemble_member: member + 1,
        sparsity_source: `training firing counts over ${w.tokens[member]} tokens`,
      },
      logDensity: logDensity(w.firingCounts[member], w.tokens[member]),
    });
    if (!folder.sparsity) throw new Error('toSaeLens wrote no sparsity.safetensors although logDensity was given');
    const sparsity = folder.sparsity;
    return { run: r.id, member, seed: r.info.seeds[member], step: w.step, weightsSource: source, cfgJson: folder.cfgJson, weights: folder.weights, sparsity };
  };

  /** exportOf's folder zipped: `<folder>/cfg.json`, `<folder>/sae_weights.safetensors`, `<folder>/sparsity.safetensors`. */
  const zipOf = async (member: number): Promise<RunZip> => {
    const e = await exportOf(member);
    const r = run;
    const c = r?.info.config;
    const name = [r?.dataset ?? 'data', c?.arch, c ? `${c.dSae}` : '', `seed${e.seed}`, `step${e.step}`].filter(Boolean).join('-');
    const folder = `sae-${name}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-+/g, '-');
    const enc = new TextEncoder();
    const bytes = writeZip([
      { name: `${folder}/cfg.json`, data: enc.encode(e.cfgJson) },
      { name: `${folder}/sae_weights.safetensors`, data: e.weights },
      { name: `${folder}/sparsity.safetensors`, data: e.sparsity },
    ]);
    return { run: e.run, member, seed: e.seed, step: e.step, weightsSource: e.weightsSource, folder, fileName: `${folder}.zip`, bytes };
  };

  /** The codes of the last inspectRun, reused by latentDetail on the same weights. */
  let codesCache: CodesCache | null = null;

  /** Boosting stages' inputs for the inspector: the residual the frozen stages leave of the scanned split. */
  let residualCache: { key: string; d: LoadedDataset } | null = null;

  /**
   * The SAE an inspection reads (live on the CPU, the last readback on the GPU), its dataset and scope. A
   * boosting stage j > 0 reads the residual r⁽ʲ⁾ of the split (its input in the ensemble, §2.4); `all` stays the
   * dataset's own rows, so top inputs are still shown as the images / tokens / words they are.
   */
  const inspected = async (what: string, member: number) => {
    const r = run;
    if (!r) throw new InputError(`${what}: there is no run yet: start one with startRun, then inspect it`);
    const M = r.info.seeds.length;
    if (!Number.isSafeInteger(member) || member < 0 || member >= M)
      throw new InputError(`${what}: member must be an integer in [0, ${M - 1}] (the run has ${M} member${M === 1 ? '' : 's'}), got ${member}`);
    const live = r.trainer?.kind === 'cpu';
    const tw = live && r.trainer ? await r.trainer.readWeights() : r.good;
    if (!tw) throw new InputError(`${what}: run ${r.id} has no weights read back yet (status ${r.status}): wait for the first snapshot, or pause the run`);
    const w = runWeights(r, tw);
    if (member >= w.saes.length) throw new InputError(`${what}: boosting stage ${member} of run ${r.id} is not trained yet (stages 0..${w.saes.length - 1} are)`);
    let d = datasets.get(r.datasetId);
    if (!d) throw new InputError(`${what}: the run's dataset "${r.datasetId}" is no longer loaded: load it again (loadDataset) or start a new run`);
    const key = `${r.id}/${member}/${w.step}/${d.info.id}/${d.all.rows}`;
    if (r.info.ensemble.method === 'boosting' && member > 0) {
      if (residualCache?.key !== key) {
        const frozen = w.saes.slice(0, member);
        const base = d;
        // Only the split the inspector scans (inspectRun.ts scannedRows: eval, else train) is coded.
        residualCache = { key, d: base.eval ? { ...base, eval: boostingResidual(frozen, base.eval) } : { ...base, train: boostingResidual(frozen, base.train) } };
      }
      d = residualCache.d;
    }
    const scope: Omit<InspectScope, 'split' | 'rowsScanned' | 'splitRows' | 'capped' | 'maxRows'> = {
      run: r.id,
      member,
      step: w.step,
      weightsSource: live || r.info.origin === 'loaded' ? 'live' : 'read-back',
      dataset: d.info.id,
    };
    return { sae: w.saes[member], d, scope, key };
  };

  /** The current run, its weights now (every SAE trained so far) and its loaded dataset, for the ensemble answers. */
  const ensembleInputs = async (what: string) => {
    const r = run;
    if (!r) throw new InputError(`${what}: there is no run yet: train an ensemble (startRun with ensemble) or load one (loadEnsemble)`);
    const { w } = await currentWeights(r, what);
    const d = datasets.get(r.datasetId);
    if (!d) throw new InputError(`${what}: the run's dataset "${r.datasetId}" is no longer loaded: load it again (loadDataset) or start a new run`);
    return { r, w, d };
  };

  const evaluateOf = async (): Promise<EnsembleEvaluation> => {
    const { r, w, d } = await ensembleInputs('evaluateEnsemble');
    return evaluateRunEnsemble(r.info, w, d);
  };

  /** Every SAE of the run as SAELens folders plus ensemble.json, zipped (src/core/formats/ensembleFile.ts). */
  const ensembleZipOf = async (): Promise<EnsembleZip> => {
    const { r, w } = await ensembleInputs('exportEnsemble');
    const c = r.info.config;
    const folders = w.saes.map((sae, j) =>
      toSaeLens(sae, {
        provenance: {
          dataset_path: r.dataset,
          seed: r.info.seeds[j],
          steps: w.step,
          batch: c.batch,
          backend: r.info.backend.kind,
          ensemble_method: r.info.ensemble.method,
          ensemble_members: r.info.ensemble.members,
          ensemble_member: j + 1,
          sparsity_source: `training firing counts over ${w.tokens[j]} tokens`,
        },
        logDensity: logDensity(w.firingCounts[j], w.tokens[j]),
      }),
    );
    const manifest = manifestOf({
      method: r.info.ensemble.method,
      members: r.info.ensemble.members,
      seeds: r.info.seeds.slice(0, w.saes.length),
      dataset: r.dataset,
      step: w.step,
      config: { ...c },
    });
    const name = `ensemble-${r.info.ensemble.method}-J${r.info.ensemble.members}-${r.dataset}-${c.arch}-${r.info.ensemble.latentsPerSae}-step${w.step}`
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/-+/g, '-');
    return { run: r.id, method: r.info.ensemble.method, members: r.info.ensemble.members, step: w.step, fileName: `${name}.zip`, bytes: writeEnsembleZip(manifest, folders) };
  };

  /** A saved ensemble becomes the current run, status 'done', on a loaded dataset of its dIn. Nothing loaded is lost on a bad file. */
  const loadEnsembleOf = async (req: LoadEnsembleRequest): Promise<RunInfo> => {
    if (typeof req !== 'object' || req === null) throw new InputError(`loadEnsemble: expected { file, dataset }, got ${String(req)}`);
    const loaded = await datasetFor(req.dataset);
    const file = await uploadedBytes(req.file, { uploads }, () => undefined);
    const { manifest, saes } = await readEnsembleZip(file.bytes, file.name);
    if (saes[0].dIn !== loaded.info.dIn)
      throw new InputError(`${file.name}: d_in: the ensemble takes ${saes[0].dIn} inputs per row but ${loaded.info.id} has ${loaded.info.dIn}: pick the dataset it was trained on (${manifest.dataset || 'see its ensemble.json'})`);
    const old = run;
    if (old && (old.status === 'training' || old.status === 'paused')) {
      await halt(old);
      if (old.status === 'training' || old.status === 'paused') await finish(old);
    }
    if (old) free(old);
    const first = saes[0];
    const config = resolveConfig({ ...DEFAULT_CONFIG, arch: first.arch, dSae: first.dSae, k: first.k > 0 ? first.k : DEFAULT_CONFIG.k, seed: manifest.seeds[0] }, first.dIn);
    const stageSteps = typeof manifest.config.steps === 'number' ? manifest.config.steps : 0;
    const info: RunInfo = {
      run: ++runCount,
      backend: { kind: 'cpu', adapter: null, isSoftware: null, why: `loaded from ${file.name}: nothing to train` },
      seeds: manifest.seeds,
      config,
      ensemble: { method: manifest.method, members: manifest.members, saes: saes.length, latentsPerSae: first.dSae, stageSteps },
      dataset: loaded.info.id,
      origin: 'loaded',
    };
    const tokens = 0;
    const r: Run = {
      id: info.run,
      dataset: loaded.info.id,
      datasetId: loaded.info.id,
      info,
      trainer: null,
      steps: manifest.step,
      step: manifest.step,
      status: 'done',
      last: null,
      activeMs: 0,
      tokens,
      recent: { steps: [], loss: saes.map(() => []) },
      good: { step: manifest.step, tokens, saes, firingCounts: saes.map((s) => new Float64Array(s.dSae)) },
      goodAtMs: performance.now(),
      loop: Promise.resolve(),
      until: null,
      density: null,
      densityAtMs: -Infinity,
      boost: null,
      makeTrainer: null,
    };
    run = r;
    emit(r, true);
    return info;
  };

  const inspectOf = async (req: InspectRunRequest = {}): Promise<RunInspection> => {
    const { sae, d, scope, key } = await inspected('inspectRun', req.member ?? 0);
    const { result, codes } = inspectMember(sae, d, scope, req.topN ?? DEFAULT_TOP_N);
    codesCache = codes ? { key, f: codes } : null;
    return result;
  };

  const detailOf = async (req: LatentDetailRequest): Promise<LatentDetail> => {
    if (typeof req !== 'object' || req === null) throw new InputError(`latentDetail: expected { latent, member?, topN? }, got ${String(req)}`);
    const { sae, d, scope, key } = await inspected('latentDetail', req.member ?? 0);
    const codes = codesCache?.key === key ? codesCache.f : null;
    return latentDetailOf(sae, d, scope, req.latent, req.topN ?? DEFAULT_TOP_N, codes);
  };

  return {
    async backend(): Promise<BackendInfo> {
      return chooseBackend('auto', 'topk', await probed());
    },

    startRun: (req) => serial(() => createRun(req)),

    pause: () =>
      serial(async () => {
        const r = run;
        if (r?.status !== 'training') return;
        await halt(r);
        if (r.status === 'training' && (await guarded(r, () => keepWeights(r)))) setStatus(r, 'paused');
      }),

    resume: () =>
      serial(() => {
        if (run?.status === 'paused') start(run);
        return Promise.resolve();
      }),

    stop: () =>
      serial(async () => {
        const r = run;
        if (!r || (r.status !== 'training' && r.status !== 'paused')) return;
        await halt(r);
        if (r.status === 'training' || r.status === 'paused') await finish(r);
      }),

    step: (n = 1) =>
      serial(async () => {
        if (!Number.isSafeInteger(n) || n < 1) throw new InputError(`step: n must be an integer ≥ 1, got ${n}`);
        const r = run;
        if (!r) throw new InputError('step: there is no run yet: start one with startRun (paused: true to start it paused)');
        if (r.status === 'training') {
          await halt(r);
          if (r.status !== 'training' || !(await guarded(r, () => keepWeights(r)))) return;
          r.status = 'paused';
        }
        if (r.status !== 'paused') return;
        start(r, Math.min(r.steps, r.step + n));
        await r.loop;
      }),

    exportRun: (member = 0) => serial(() => exportOf(member)),
    exportZip: (member = 0) => serial(() => zipOf(member)),
    beginUpload: (start) => Promise.resolve().then(() => uploads.begin(start)),
    uploadChunk: (handle, chunk) =>
      Promise.resolve()
        .then(() => uploads.push(handle, chunk))
        .catch((e: unknown) => {
          setLoading(null, true);
          throw e;
        }),

    catalog: () => Promise.resolve(BUILTINS.map((b) => ({ ...b, shape: [...b.shape] }))),

    loadDataset: async (req: DatasetRequest): Promise<DatasetInfo> => (await load(req)).info,

    listDatasets: () => Promise.resolve([...datasets.values()].map((d) => d.info)),

    datasetRows(id: string, rows: number[]) {
      const d = datasets.get(id);
      if (!d) return Promise.reject(new InputError(`datasetRows: dataset "${id}" is not loaded (loaded: ${[...datasets.keys()].join(', ') || 'none'})`));
      try {
        return Promise.resolve(describeRows(d, rows));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    },

    inspectRun: (req) => inspectOf(req),
    evaluateEnsemble: () => serial(evaluateOf),
    ensembleViews: (req) =>
      serial(async () => {
        const { r, w } = await ensembleInputs('ensembleViews');
        return runEnsembleViews(r.info, w, req);
      }),
    downstream: (req) =>
      serial(async () => {
        const { r, w, d } = await ensembleInputs('downstream');
        const { data } = ensembleRows(d);
        return { run: r.id, members: r.info.ensemble.members, dataset: d.info.id, ...downstreamOf(r.info.ensemble.method, w.saes, data, req) };
      }),
    exportEnsemble: () => serial(ensembleZipOf),
    loadEnsemble: (req) => serial(() => loadEnsembleOf(req)),

    latentDetail: (req) => detailOf(req),

    onSnapshot(next: SnapshotListener | null): Promise<void> {
      listener = next;
      if (next && run) emit(run, true);
      return Promise.resolve();
    },
  };
}
