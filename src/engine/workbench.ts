// createWorkbench(): the Workbench (src/engine/api.ts) on the CPU reference trainer (src/core/train.ts).
// Trains in time-sliced chunks, yielding to the event loop between chunks so pause/stop messages get
// through, and pushes snapshots at most ~15 times a second. Runs in a worker or in-thread (tests, CLI).
// Imports src/core only: no DOM, React, Comlink or WebGPU (the GPU trainer will come through src/gpu).

import { InputError } from '../core/errors.ts';
import { generateSynthetic, parseSyntheticSpec } from '../core/synthetic.ts';
import type { StepStats, Trainer } from '../core/train.ts';
import { createTrainer } from '../core/train.ts';
import type { Dataset } from '../core/types.ts';
import type { BackendInfo, RunStatus, Snapshot, SnapshotListener, StartRunRequest, Workbench } from './api.ts';

/** Work per chunk before yielding: long enough to amortise setTimeout's ~4 ms clamp, short enough for pause. */
const CHUNK_MS = 25;
/** At most ~15 snapshots per second; status changes are always sent at once. */
const SNAPSHOT_INTERVAL_MS = 1000 / 15;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

interface Run {
  id: number;
  trainer: Trainer;
  steps: number;
  status: RunStatus;
  last: StepStats | null;
  error?: string;
  /** Active (unpaused) training time and the tokens trained in it, for tokensPerSecond. */
  activeMs: number;
  tokens: number;
  recent: { steps: number[]; loss: number[] };
}

/** Loads a dataset by id; only synthetic presets exist in this build. */
function loadDataset(id: string): Dataset {
  if (!id.startsWith('synthetic:'))
    throw new InputError(`dataset "${id}" is not available in this build: use synthetic:small (or synthetic:PRESET[:SEED])`);
  return generateSynthetic(parseSyntheticSpec(id));
}

export function createWorkbench(): Workbench {
  let listener: SnapshotListener | null = null;
  let run: Run | null = null;
  let runCount = 0;
  /** Playground's timerIndex: a training loop runs only while the generation it captured is current. */
  let generation = 0;
  let lastEmitMs = -Infinity;
  const cache = new Map<string, Dataset>();

  const snapshotOf = (r: Run): Snapshot => {
    const s = r.last;
    const snap: Snapshot = {
      run: r.id,
      status: r.status,
      step: r.trainer.step,
      steps: r.steps,
      loss: s?.loss ?? NaN,
      mse: s?.mse ?? NaN,
      l0: s?.l0 ?? NaN,
      deadFraction: s?.deadFraction ?? NaN,
      explainedVariance: s?.explainedVariance ?? NaN,
      lr: s?.lr ?? NaN,
      tokensPerSecond: r.activeMs > 0 ? (r.tokens / r.activeMs) * 1000 : 0,
      recentLoss: r.recent,
    };
    if (r.error !== undefined) snap.error = r.error;
    return snap;
  };

  /** Sends a snapshot now (force) or when the throttle allows; never waits on the listener. */
  const emit = (r: Run, force: boolean): void => {
    const now = performance.now();
    if (!listener || (!force && now - lastEmitMs < SNAPSHOT_INTERVAL_MS)) return;
    lastEmitMs = now;
    const snap = snapshotOf(r);
    r.recent = { steps: [], loss: [] };
    try {
      // Through Comlink the listener returns a promise; a closed page must not break training.
      void Promise.resolve(listener(snap) as unknown).catch(() => undefined);
    } catch {
      // An in-thread listener that throws is the caller's bug; training goes on.
    }
  };

  const setStatus = (r: Run, status: RunStatus, error?: string): void => {
    r.status = status;
    if (error !== undefined) r.error = error;
    emit(r, true);
  };

  const loop = async (r: Run, gen: number): Promise<void> => {
    try {
      while (gen === generation && r.trainer.step < r.steps) {
        const t0 = performance.now();
        do {
          const s = r.trainer.trainStep();
          r.last = s;
          r.tokens += r.trainer.config.batch;
          r.recent.steps.push(s.step);
          r.recent.loss.push(s.loss);
        } while (r.trainer.step < r.steps && performance.now() - t0 < CHUNK_MS);
        r.activeMs += performance.now() - t0;
        emit(r, false);
        await yieldToEventLoop();
      }
      if (gen === generation && r.status === 'training') setStatus(r, 'done');
    } catch (e) {
      generation++;
      setStatus(r, 'error', `training failed at step ${r.trainer.step}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const start = (r: Run): void => {
    const gen = ++generation;
    r.status = 'training';
    emit(r, true);
    void loop(r, gen);
  };

  return {
    backend(): Promise<BackendInfo> {
      return Promise.resolve({ kind: 'cpu', note: 'the CPU reference trainer (src/core/train.ts)' });
    },

    startRun(req: StartRunRequest): Promise<void> {
      generation++; // stops the previous loop at its next chunk boundary
      try {
        const data = cache.get(req.dataset) ?? loadDataset(req.dataset);
        cache.clear();
        cache.set(req.dataset, data);
        const trainer = createTrainer(data, req.config); // throws InputError listing every problem
        run = { id: ++runCount, trainer, steps: trainer.config.steps, status: 'idle', last: null, activeMs: 0, tokens: 0, recent: { steps: [], loss: [] } };
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      start(run);
      return Promise.resolve();
    },

    pause(): Promise<void> {
      if (run?.status === 'training') {
        generation++;
        setStatus(run, 'paused');
      }
      return Promise.resolve();
    },

    resume(): Promise<void> {
      if (run?.status === 'paused') start(run);
      return Promise.resolve();
    },

    stop(): Promise<void> {
      if (run && (run.status === 'training' || run.status === 'paused')) {
        generation++;
        setStatus(run, 'done');
      }
      return Promise.resolve();
    },

    onSnapshot(next: SnapshotListener | null): Promise<void> {
      listener = next;
      if (next && run) emit(run, true);
      return Promise.resolve();
    },
  };
}
