// The app's one zustand store, made by createAppStore(workbench) with the Workbench injected (a worker
// client in the page, an in-thread engine or a fake in tests). Holds the draft experiment, the latest
// snapshot, the loss curve and errors; the worker owns the training state. Actions: set status, await
// the workbench, catch into `error`. Imports only types from src/engine and defaults from src/core/config.

import { createStore, type StoreApi } from 'zustand/vanilla';
import { DEFAULT_CONFIG } from '../core/config.ts';
import type { Arch } from '../core/types.ts';
import type { BackendInfo, RunStatus, Snapshot, Workbench } from '../engine/api.ts';

/** The experiment being edited: the dataset id and the hyperparameters the page exposes. */
export interface Draft {
  dataset: string;
  arch: Arch;
  /** Number of latents. */
  dSae: number;
  k: number;
  steps: number;
  /** Tokens per step. */
  batch: number;
  seed: number;
}

/** The whole run's loss curve, one entry per step: steps[i] ↔ loss[i]. Replaced (not mutated) on change. */
export interface LossSeries {
  steps: number[];
  loss: number[];
}

export interface AppState {
  backend: BackendInfo | null;
  draft: Draft;
  status: RunStatus;
  snapshot: Snapshot | null;
  loss: LossSeries;
  error: string | null;
  setDraft(patch: Partial<Draft>): void;
  /** Starts a new run from the draft (replacing any current run). */
  train(): Promise<void>;
  /** Pauses a training run, resumes a paused one. */
  togglePause(): Promise<void>;
  stop(): Promise<void>;
}

export type AppStore = StoreApi<AppState>;

export const DEFAULT_DRAFT: Draft = {
  dataset: 'synthetic:small',
  arch: DEFAULT_CONFIG.arch,
  dSae: DEFAULT_CONFIG.dSae,
  k: DEFAULT_CONFIG.k,
  steps: 2000,
  batch: 128,
  seed: DEFAULT_CONFIG.seed,
};

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function createAppStore(workbench: Workbench, draft: Draft = DEFAULT_DRAFT): AppStore {
  const store = createStore<AppState>()((set, get) => {
    const act = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        set({ status: 'error', error: `${what}: ${message(e)}` });
      }
    };
    return {
      backend: null,
      draft,
      status: 'idle',
      snapshot: null,
      loss: { steps: [], loss: [] },
      error: null,
      setDraft: (patch) => set({ draft: { ...get().draft, ...patch } }),
      train: () =>
        act('could not start training', async () => {
          const { dataset, ...config } = get().draft;
          set({ error: null });
          await workbench.startRun({ dataset, config });
        }),
      togglePause: () => act('could not pause', () => (get().status === 'paused' ? workbench.resume() : workbench.pause())),
      stop: () => act('could not stop', () => workbench.stop()),
    };
  });

  const set = store.setState;
  const onSnapshot = (s: Snapshot): void => {
    const prev = store.getState().snapshot;
    if (prev && s.run < prev.run) return; // a late snapshot of a replaced run
    const old = prev?.run === s.run ? store.getState().loss : { steps: [], loss: [] };
    const loss = s.recentLoss.steps.length > 0 ? { steps: old.steps.concat(s.recentLoss.steps), loss: old.loss.concat(s.recentLoss.loss) } : old;
    set({ snapshot: s, status: s.status, loss, ...(s.error !== undefined ? { error: s.error } : {}) });
  };
  void workbench.onSnapshot(onSnapshot);
  void workbench.backend().then(
    (backend) => set({ backend }),
    (e: unknown) => set({ error: `the engine did not start: ${message(e)}` }),
  );
  return store;
}
