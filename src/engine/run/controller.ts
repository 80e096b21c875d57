// The Workbench's run lifecycle: start (from a plan, on the chosen backend), pause, resume, step(n), stop,
// done; device loss and failures; snapshots of the current run; GPU weights read back at snapshot time (at
// most once a second, and at pause/stop/done) so a lost device leaves them exportable. The chunk loop itself
// is training/runLoop.ts, the one the CLI runs too. Imports src/core and engine only.
//
// Training that goes wrong ends the run 'error' with its cause and the last finite weights kept for export
// (issue #13): a divergence at its first non-finite step (core/sae/divergence.ts; the CPU member trainer keeps
// the parameters from before that step, the GPU's last finite readback is r.good), and an SAE that finishes
// (or a boosting stage that ends) with every latent dead or nearly. Why 'error' and not 'done' + a warning:
// the app already shows an error's message with the run, the SAE reconstructs nothing worth exporting (its
// weights still are), and the CLI exits 2 with the same line.

import { InputError } from '../../core/errors.ts';
import { DIVERGENCE_FIX, TrainingError, collapseMessage, createTailMeans, divergenceMessage, firstDivergence, nonFiniteTensor } from '../../core/sae/divergence.ts';
import { logDensityOf } from '../../core/sae/metrics.ts';
import type { StepStats } from '../../core/sae/train.ts';
import type { CompareProgress, DatasetProgress, RunCheckpoint, RunInfo, RunStatus, StartRunRequest } from '../api.ts';
import type { Checkpoint } from '../../core/sae/checkpoint.ts';
import type { Dataset } from '../../core/sae/types.ts';
import { readCheckpoint, resumeConfig, writeCheckpoint } from '../../core/sae/checkpoint.ts';
import { ENSEMBLE_METHOD_NAMES } from '../../core/ensemble/ensemble.ts';
import type { EnsemblePlan } from '../training/ensemblePlan.ts';
import type { LoadedDataset } from '../data/datasets.ts';
import type { RunWeights } from '../training/ensemblePlan.ts';
import { checkPlan, planEnsemble } from '../training/ensemblePlan.ts';
import { createEnsembleTrainer } from '../training/ensembleTrainer.ts';
import type { TrainerFactory } from '../training/factory.ts';
import type { LostInfo, Weights } from '../training/memberTrainer.ts';
import { trainUntil } from '../training/runLoop.ts';
import type { SnapshotChannel } from './channel.ts';
import type { Run } from './run.ts';
import { idleSnapshot, noRecent, runWeightsOf, snapshotOf, stepOffset } from './run.ts';

/** GPU weights are read back with a snapshot at most this often (a readback of every member's parameters). */
const KEEP_WEIGHTS_MS = 1000;
/** After a failed GPU call, how long to wait for a device loss before calling it an ordinary error. */
const LOST_GRACE_MS = 500;
/** Device losses one run recovers from (a new device, its last checkpoint) before it stays 'lost': a GPU that keeps resetting is not worth chasing. */
const MAX_RECOVERIES = 3;

/** What a GPU run needs to continue on a new device: its plan and data, and the state kept with its last good weights. */
interface Recovery {
  plan: EnsemblePlan;
  data: Dataset;
  /** The last finite readback's full state (null: boosting or PAM-SGD, which are not checkpointed yet). */
  state: Checkpoint | null;
  recoveries: number;
  /** A recovery is under way: the same loss reported again (the trainer's listener and failed()'s wait both hear it) is ignored. */
  busy: boolean;
}

/** A checkpoint's weights in the shape the run keeps (r.good). */
const weightsOfCheckpoint = (c: Checkpoint): Weights => ({ step: c.step, tokens: c.step * c.config.batch, saes: c.members.map((m) => m.sae), firingCounts: c.members.map((m) => m.firingCounts) });

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** "SAE j wEnc" for the first non-finite tensor of `w`, or null when every weight is finite. */
function nonFiniteOf(w: Weights): string | null {
  for (let j = 0; j < w.saes.length; j++) {
    const bad = nonFiniteTensor(w.saes[j]);
    if (bad) return w.saes.length > 1 ? `SAE ${j} ${bad}` : bad;
  }
  return null;
}

export interface RunControllerDeps {
  channel: SnapshotChannel;
  factory: TrainerFactory;
  /** The dataset a run names (loaded, or a built-in loaded now). */
  datasetFor(id: string): Promise<LoadedDataset>;
  /** The dataset load in flight, for the snapshots it rides on. */
  loading(): DatasetProgress | null;
  /** The trainer comparison in flight (compare.ts), for the snapshots it rides on. */
  comparing(): CompareProgress | null;
}

export interface RunController {
  /** The current run, or null before the first. */
  current(): Run | null;
  /** Sends a snapshot of the current run now (force) or when the throttle allows; an idle one before any run. */
  emitCurrent(force: boolean): void;
  start(req: StartRunRequest): Promise<RunInfo>;
  /** Makes `r` (a loaded ensemble, status 'done') the current run, ending the one before. */
  adopt(r: Omit<Run, 'id'>): Promise<Run>;
  pause(): Promise<void>;
  resume(): void;
  stop(): Promise<void>;
  step(n: number): Promise<void>;
  /** The current run's checkpoint (between chunks: a CPU chunk is synchronous, so its state is one step's). */
  checkpoint(): Promise<RunCheckpoint>;
  /** n fresh run ids in this session's numbering, for runs trained outside the controller (the A/B's: compare.ts). */
  reserveRunIds(n: number): number[];
  /** Every SAE of `r` now: read live (CPU, or GPU while it trains) or the last good weights. */
  weightsOf(r: Run, what: string): Promise<{ w: RunWeights; source: 'live' | 'last-good' }>;
  /** The SAEs an inspection reads: live on the CPU, the last readback on the GPU. */
  inspectedWeights(r: Run, what: string): Promise<{ w: RunWeights; live: boolean }>;
}

export function createRunController(deps: RunControllerDeps): RunController {
  const { channel, factory } = deps;
  let run: Run | null = null;
  let runCount = 0;
  /** GPU runs' recovery state (kept beside the run record: a lost device is re-created from it). */
  const recovery = new WeakMap<Run, Recovery>();
  /** Playground's timerIndex: a training loop runs only while the generation it captured is current. */
  let generation = 0;

  const emit = (r: Run, force: boolean): void => {
    if (r !== run) return; // a replaced run: its loop may still be winding down
    if (!force && !channel.due()) return;
    if (channel.listening) channel.send(snapshotOf(r, deps.loading(), deps.comparing()));
    r.recent = noRecent(r);
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
    if (r.trainer) r.recent.solves.push(...r.trainer.drainSolves());
    if (n > 0) {
      r.last = stats.map((member) => member[n - 1]);
      r.step = offset + stats[0][n - 1].step;
      r.tokens += n * r.info.config.batch;
    }
  };

  /** SAE 0's density from `w` (GPU: the readback just made), or read live on the CPU; at most ~1 Hz unless forced. */
  const refreshDensity = async (r: Run, force: boolean, w?: Weights | null): Promise<void> => {
    if (!force && performance.now() - r.densityAtMs < KEEP_WEIGHTS_MS) return;
    const t = r.trainer;
    let weights = w ?? null;
    if (!weights && t && t.kind !== 'webgpu' && t.live) weights = await t.readLive();
    if (!weights && !t?.live) weights = r.good;
    if (!weights || (r.density && r.density.step === weights.step && !force)) return;
    r.density = { step: stepOffset(r) + weights.step, log10: logDensityOf(weights.firingCounts[0], weights.tokens) };
    r.densityAtMs = performance.now();
  };

  /** GPU: reads the live trainer's weights back, so they outlive the device (only finite ones: r.good stays the last finite). CPU: nothing (read live). */
  const keepWeights = async (r: Run): Promise<void> => {
    const t = r.trainer;
    if (!t?.live || t.kind !== 'webgpu') return;
    // A run that can be checkpointed reads its whole state (Adam's moments too: about 3× the parameters) so that
    // a lost device can be replaced and the run continued from here; the weights are part of it.
    const rec = recovery.get(r);
    const state = rec && !t.boosting && t.config.trainer === 'sgd' ? await t.checkpoint() : null;
    const w = state ? weightsOfCheckpoint(state) : await t.readLive();
    const bad = nonFiniteOf(w);
    if (bad) throw new TrainingError(`diverged by step ${stepOffset(r) + w.step}: non-finite weights (${bad}) — ${DIVERGENCE_FIX}`);
    if (rec && state) rec.state = state;
    r.good = w;
    r.goodAtMs = performance.now();
    await refreshDensity(r, true, r.good);
  };
  const keepAll = async (r: Run): Promise<void> => {
    await keepWeights(r);
    await refreshDensity(r, true);
  };

  /** GPU runs free their buffers when they end; CPU trainers stay (their weights are read live). */
  const free = (r: Run): void => {
    if (r.trainer?.kind === 'webgpu') r.trainer.free();
  };

  const markLost = (r: Run, info: LostInfo): void => {
    if (r.status === 'lost' || r.status === 'error' || r.status === 'done') return;
    if (r === run) generation++; // the loop stops at its next check
    // A loss the driver reports (a reset, the GPU removed, an out-of-memory kill) is recovered from on a new device.
    // A device someone destroy()ed on purpose ('destroyed', not by us) is not re-acquired behind their back.
    const rec = recovery.get(r);
    if (rec?.busy) return;
    if (rec?.state && info.reason !== 'destroyed' && rec.recoveries < MAX_RECOVERIES && r.trainer?.kind === 'webgpu') {
      void recover(r, info, rec, rec.state);
      return;
    }
    lostFor(r, info);
  };

  /** Status 'lost' with what is kept and what to do. tried: why a new device could not continue the run. */
  const lostFor = (r: Run, info: LostInfo, tried?: string): void => {
    const kept = r.good ? `the last good weights (step ${stepOffset(r) + r.good.step}) can still be exported` : 'no weights were read back before the loss';
    setStatus(
      r,
      'lost',
      `the WebGPU device was lost at step ${r.step} (${info.reason || 'unknown'}: ${info.message || 'no message'}); ${kept}. ` +
        (tried ? `Continuing on a new device failed (${tried}). ` : '') +
        `A new run asks for a new device; if that fails, reload the page (a lost software-Vulkan device cannot come back in-process) or train with backend 'cpu'.`,
    );
    free(r);
  };

  /**
   * Re-creates a lost GPU run's trainer on a new device from its last checkpoint (kept with r.good) and goes on as
   * it was (training or paused); the steps after that checkpoint are trained again (the same batches: the order is
   * in the checkpoint). The snapshot's error says so while the run goes on. No new device: 'lost' as before.
   */
  const recover = async (r: Run, info: LostInfo, rec: Recovery, state: Checkpoint): Promise<void> => {
    const wasTraining = r.status === 'training';
    const lostAt = r.step;
    const old = r.trainer;
    rec.recoveries++;
    rec.busy = true;
    // Errors of the old trainer's chunk in flight are ignored from here (guarded: r.trainer is no longer it).
    r.trainer = null;
    old?.free();
    try {
      const t = await createEnsembleTrainer(rec.plan, rec.data, factory, 'webgpu', state);
      if (r !== run || r.status === 'done' || r.status === 'error' || r.status === 'lost') {
        t.free();
        return;
      }
      r.trainer = t;
      r.step = t.step;
      r.good = weightsOfCheckpoint(state);
      r.error =
        `the WebGPU device was lost at step ${lostAt} (${info.reason || 'unknown'}: ${info.message || 'no message'}); ` +
        `training continues on a new device from step ${state.step}, its last checkpoint (recovery ${rec.recoveries} of at most ${MAX_RECOVERIES})`;
      t.onLost((i) => markLost(r, i));
      // Paused (or stepped) meanwhile: it stays paused.
      if (wasTraining && r.status === 'training') begin(r, r.until);
      else emit(r, true);
    } catch (e) {
      r.trainer = old;
      lostFor(r, info, messageOf(e));
    } finally {
      rec.busy = false;
    }
  };

  /** Resolves with the loss if the run's device is lost within `ms`, else null. */
  const lostWithin = (r: Run, ms: number): Promise<LostInfo | null> => {
    const t = r.trainer;
    if (!t?.live) return Promise.resolve(null);
    return new Promise((resolve) => {
      let off: () => void = () => undefined;
      const timer = setTimeout(() => {
        off();
        resolve(null);
      }, ms);
      off = t.onLost((info) => {
        clearTimeout(timer);
        off();
        resolve(info);
      });
    });
  };

  /**
   * Ends `r` with status 'error' and `cause`, keeping the last finite weights for export: on the CPU the
   * member trainer's readWeights gives them (the copy from before a divergence, or the live ones), on the
   * GPU they are the last finite readback already in r.good.
   */
  const ended = async (r: Run, cause: string): Promise<void> => {
    if (r.status === 'lost' || r.status === 'error' || r.status === 'done') return;
    if (r === run) generation++; // the loop stops at its next check
    const t = r.trainer;
    if (t && t.kind !== 'webgpu' && t.live) {
      const w = await t.readLive();
      if (!nonFiniteOf(w)) r.good = w;
    }
    const kept = r.good ? `the weights of step ${stepOffset(r) + r.good.step} are kept for export` : 'no finite weights were kept';
    setStatus(r, 'error', `${cause}; ${kept}`);
    free(r);
  };

  /** A failed chunk or readback: a divergence at once; a device loss if one follows within LOST_GRACE_MS; else an error. */
  const failed = async (r: Run, e: unknown): Promise<void> => {
    if (r.status === 'lost') return;
    if (e instanceof TrainingError) return ended(r, e.message);
    const lost = await lostWithin(r, LOST_GRACE_MS);
    if (lost) return markLost(r, lost);
    // A loss reported meanwhile (markLost ran) or an end reached by another path wins.
    if ((r.status as RunStatus) === 'lost' || r.status === 'error' || r.status === 'done') return;
    if (r === run) generation++;
    setStatus(r, 'error', `training failed at step ${r.step}: ${messageOf(e)}`);
    free(r);
  };

  /** Runs fn; on a throw routes it to failed() and returns false. */
  const guarded = async (r: Run, fn: () => Promise<void>): Promise<boolean> => {
    const trainer = r.trainer;
    try {
      await fn();
      return true;
    } catch (e) {
      // A trainer replaced meanwhile (a lost device recovered on a new one): its failure is not the run's.
      if (r.trainer === trainer) await failed(r, e);
      return false;
    }
  };

  /** Why the live SAEs have collapsed (core's verdict on their last tenth of steps), or null. */
  const collapsed = (r: Run): string | null => {
    const b = r.trainer?.boosting ?? null;
    const name = (j: number): string => (b ? `boosting stage ${b.stage}` : r.info.seeds.length > 1 ? `SAE ${j}` : 'the SAE');
    return r.tail ? collapseMessage(r.tail.means(), r.info.config.arch, r.info.config.l1Coefficient, name) : null;
  };

  /** Final weights, GPU freed, status 'done' (or whatever a failure made it; 'error' when an SAE collapsed). */
  const finish = async (r: Run): Promise<void> => {
    if (!(await guarded(r, () => keepAll(r)))) return;
    const dead = collapsed(r);
    if (dead) return ended(r, dead);
    free(r);
    setStatus(r, 'done');
  };

  const loop = async (r: Run, gen: number): Promise<void> => {
    const t = r.trainer;
    if (!t?.live) return;
    const running = (): boolean => gen === generation;
    const ok = await guarded(r, () =>
      trainUntil(t, r.until ?? r.steps, {
        running,
        async onChunk(stats, ms) {
          r.activeMs += ms;
          // The steps before the first non-finite one are recorded; the run ends at that one (failed → ended).
          const bad = firstDivergence(stats);
          const finite = bad ? stats.map((member) => member.slice(0, bad.index)) : stats;
          record(r, finite);
          r.tail?.add(finite);
          if (bad) throw new TrainingError(divergenceMessage(stepOffset(r) + bad.stats.step, bad.stats, stats.length > 1 ? bad.sae : null));
          if (!running()) return; // paused, stopped or replaced: that caller emits
          if (channel.due()) {
            if (performance.now() - r.goodAtMs >= KEEP_WEIGHTS_MS) await keepWeights(r);
            await refreshDensity(r, false);
          }
          emit(r, false);
        },
        // Boosting: the stage's last steps go out before its history is dropped; the next stage starts clean.
        // A collapsed stage ends the run (the later ones would fit the residual it failed to explain).
        beforeStage() {
          emit(r, true);
          const dead = collapsed(r);
          if (dead) throw new TrainingError(dead);
        },
        async afterStage() {
          r.tail = createTailMeans(t.stageSteps);
          r.last = null;
          r.good = null;
          r.goodAtMs = -Infinity;
          r.recent = noRecent(r);
          await keepAll(r);
          emit(r, true);
        },
      }),
    );
    if (!ok || !running() || r.status !== 'training') return;
    if (r.step >= r.steps) return finish(r);
    // step(n) reached its target: pause here.
    r.until = null;
    if (await guarded(r, () => keepAll(r))) setStatus(r, 'paused');
  };

  const begin = (r: Run, until: number | null = null): void => {
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

  /** Ends the current run (its final weights kept) before another replaces it. */
  const retire = async (): Promise<void> => {
    const old = run;
    if (old && (old.status === 'training' || old.status === 'paused')) {
      await halt(old);
      if (old.status === 'training' || old.status === 'paused') await finish(old);
    }
    if (old) free(old);
  };

  return {
    current: () => run,

    emitCurrent(force) {
      if (run) emit(run, force);
      else if (force || channel.due()) channel.send(idleSnapshot(deps.loading(), deps.comparing()));
    },

    reserveRunIds(n) {
      return Array.from({ length: n }, () => ++runCount);
    },

    async start(req) {
      // Everything that can be checked without a device is checked before the current run is touched.
      const loaded = await deps.datasetFor(req.dataset);
      const data = loaded.train;
      const resumed = req.resumeFrom ? await readResume(req.resumeFrom, data, req) : null;
      const plan = resumed ? resumed.plan : planEnsemble(req);
      const full = checkPlan(plan, data.dIn, data.rows);
      const backend = await factory.backend(req.backend ?? 'auto', full, plan.method === 'boosting' ? 1 : plan.seeds.length);
      await retire();
      const trainer = await createEnsembleTrainer(plan, data, factory, backend.kind, resumed?.checkpoint);
      const info: RunInfo = {
        run: ++runCount,
        backend,
        seeds: plan.seeds,
        config: trainer.config,
        ensemble: { method: plan.method, members: plan.members, saes: plan.seeds.length, latentsPerSae: trainer.config.dSae, stageSteps: trainer.stageSteps },
        dataset: req.dataset,
        origin: 'trained',
        ...(resumed ? { resumedFrom: { fileName: resumed.fileName, step: resumed.checkpoint.step } } : {}),
      };
      const r: Run = {
        id: info.run,
        dataset: req.dataset,
        datasetId: loaded.info.id,
        info,
        trainer,
        steps: trainer.steps,
        step: trainer.step,
        status: 'idle',
        last: null,
        activeMs: 0,
        tokens: 0,
        recent: { steps: [], loss: [], solves: [] },
        good: null,
        goodAtMs: -Infinity,
        loop: Promise.resolve(),
        until: null,
        density: null,
        densityAtMs: -Infinity,
      };
      r.recent = noRecent(r);
      r.tail = createTailMeans(trainer.stageSteps);
      run = r;
      if (trainer.kind === 'webgpu') recovery.set(r, { plan, data, state: resumed?.checkpoint ?? null, recoveries: 0, busy: false });
      trainer.onLost((lostInfo) => markLost(r, lostInfo));
      // step-0 weights: exportable even if lost at once
      if (await guarded(r, () => keepAll(r))) {
        if (req.paused) setStatus(r, 'paused');
        else begin(r);
      }
      return info;
    },

    async adopt(partial) {
      await retire();
      const r: Run = { ...partial, id: ++runCount };
      r.info = { ...r.info, run: r.id };
      run = r;
      emit(r, true);
      return r;
    },

    async pause() {
      const r = run;
      if (r?.status !== 'training') return;
      await halt(r);
      if (r.status === 'training' && (await guarded(r, () => keepWeights(r)))) setStatus(r, 'paused');
    },

    resume() {
      if (run?.status === 'paused') begin(run);
    },

    async stop() {
      const r = run;
      if (!r || (r.status !== 'training' && r.status !== 'paused')) return;
      await halt(r);
      if (r.status === 'training' || r.status === 'paused') await finish(r);
    },

    async step(n) {
      if (!Number.isSafeInteger(n) || n < 1) throw new InputError(`step: n must be an integer ≥ 1, got ${n}`);
      const r = run;
      if (!r) throw new InputError('step: there is no run yet: start one with startRun (paused: true to start it paused)');
      if (r.status === 'training') {
        await halt(r);
        if (r.status !== 'training' || !(await guarded(r, () => keepWeights(r)))) return;
        r.status = 'paused';
      }
      if (r.status !== 'paused') return;
      begin(r, Math.min(r.steps, r.step + n));
      await r.loop;
    },

    async checkpoint() {
      const r = run;
      if (!r) throw new InputError('checkpointRun: there is no run yet: start one with startRun');
      if (!r.trainer?.live) throw new InputError(`checkpointRun: run ${r.id} has no live trainer (status ${r.status}): checkpoint a run while it trains or is paused; export its weights instead`);
      const t0 = performance.now();
      const c = await r.trainer.checkpoint();
      const step = r.trainer.stepOffset + c.step;
      const bytes = writeCheckpoint(c);
      return { run: r.id, fileName: `run-${r.id}-step-${step}.ckpt.safetensors`, bytes, step, ms: performance.now() - t0 };
    },

    async weightsOf(r, what) {
      let w: Weights | null = null;
      let source: 'live' | 'last-good' = 'live';
      const t = r.trainer;
      if (t?.live && (r.status === 'training' || r.status === 'paused' || r.status === 'done' || r.status === 'idle')) {
        try {
          w = await t.readLive();
          if (t.kind === 'webgpu' && !nonFiniteOf(w)) {
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
      return { w: runWeightsOf(r, w), source: r.info.origin === 'loaded' ? 'live' : source };
    },

    async inspectedWeights(r, what) {
      const t = r.trainer;
      const live = t !== null && t.kind !== 'webgpu' && t.live !== null;
      const tw = live && t ? await t.readLive() : r.good;
      if (!tw) throw new InputError(`${what}: run ${r.id} has no weights read back yet (status ${r.status}): wait for the first snapshot, or pause the run`);
      return { w: runWeightsOf(r, tw), live };
    },
  };
}

/** A resume request's checkpoint, read and checked against `data`, and the plan it continues (its config, seeds, ensemble). */
async function readResume(from: NonNullable<StartRunRequest['resumeFrom']>, data: { rows: number; dIn: number }, req: StartRunRequest): Promise<{ checkpoint: Checkpoint; plan: EnsemblePlan; fileName: string }> {
  const fileName = from.name ?? (from.file instanceof Blob && 'name' in from.file && typeof from.file.name === 'string' ? from.file.name : 'checkpoint');
  const bytes = from.file instanceof Uint8Array ? from.file : new Uint8Array(await from.file.arrayBuffer());
  const checkpoint = readCheckpoint(bytes, fileName);
  const method = ENSEMBLE_METHOD_NAMES.find((m) => m === checkpoint.ensemble.method);
  if (!method || method === 'boosting') throw new InputError(`${fileName}: state.ensemble.method: expected single, bagging or expanded (boosting is not checkpointed yet), got ${JSON.stringify(checkpoint.ensemble.method)}`);
  const config = resumeConfig(checkpoint, data, req.config ?? {}, fileName);
  const seeds = checkpoint.members.map((m) => m.seed);
  // The run is the checkpoint's: an ensemble or seeds asked for beside it must be its own, not silently dropped.
  if (req.ensemble && (req.ensemble.method !== method || req.ensemble.members !== checkpoint.ensemble.members)) {
    throw new InputError(`${fileName}: ensemble: the checkpoint is of a ${method} run of ${checkpoint.ensemble.members}, got ${req.ensemble.method} of ${req.ensemble.members}: drop ensemble to resume`);
  }
  if (req.seeds && (req.seeds.length !== seeds.length || req.seeds.some((s, j) => s !== seeds[j]))) {
    throw new InputError(`${fileName}: seeds: the checkpoint's are [${seeds.join(', ')}], got [${req.seeds.join(', ')}]: drop seeds to resume`);
  }
  return { checkpoint, fileName, plan: { method, members: checkpoint.ensemble.members, config, seeds } };
}
