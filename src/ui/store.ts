// The app's one zustand store, made by createAppStore(workbench) with the Workbench injected (a worker
// client in the page, an in-thread engine or a fake in tests). Holds the draft experiment, the dataset
// picker's state (choice, synthetic knobs, upload files, preprocessing) and the loaded dataset, the
// latest snapshot, the loss curve, the feature inspector's table and selected latent, and errors; the worker owns the training and dataset state. Actions:
// set status, await the workbench, catch into `error`/`datasetError` (a failed load keeps the current
// dataset). Imports only types from src/engine and defaults from src/core/config.

import { createStore, type StoreApi } from 'zustand/vanilla';
import { DEFAULT_CONFIG } from '../core/config.ts';
import type { Arch } from '../core/types.ts';
import type {
  BackendInfo,
  CatalogEntry,
  DatasetInfo,
  DatasetProgress,
  DatasetRequest,
  LatentDetail,
  PreprocessOptions,
  RunInspection,
  RunStatus,
  Snapshot,
  SyntheticKnobs,
  Workbench,
} from '../engine/api.ts';

/** The dataset the page opens on: real LM activations (stories260K residual stream after block 3). */
export const DEFAULT_DATASET = 'builtin:stories-resid-3';
/** Picker entries besides the catalog ids. */
export const CUSTOM_SYNTHETIC = 'synthetic:custom';
export const UPLOAD = 'upload';
export const PASTED_TEXT = 'text';

export const DEFAULT_KNOBS: SyntheticKnobs = { nFeatures: 64, dIn: 32, meanActive: 4, zipfExponent: 0.8, correlation: 0, noiseStd: 0.01, rows: 16384, seed: 0 };
/** The page holds out 10% of rows for evaluation by default (the engine's own default is no split). */
export const DEFAULT_PREPROCESS: Required<PreprocessOptions> = { centre: false, scale: 'none', dropBos: true, evalFraction: 0.1, splitSeed: 0 };

/** The upload panel: the files the user picked (re-read on each load, so a reload with new preprocessing works). */
export interface UploadDraft {
  file: File | null;
  labels: File | null;
  /** For .safetensors with several tensors. */
  tensor: string;
}

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
  catalog: CatalogEntry[];
  /** What the picker shows: a catalog id, CUSTOM_SYNTHETIC, UPLOAD or PASTED_TEXT. */
  choice: string;
  knobs: SyntheticKnobs;
  upload: UploadDraft;
  /** Pasted text and the LM site it is run to. */
  text: { text: string; site: string };
  preprocess: Required<PreprocessOptions>;
  /** The dataset runs train on (draft.dataset is its id); null until the first load finishes. */
  dataset: DatasetInfo | null;
  /** The load in flight, from the snapshot channel. */
  loading: DatasetProgress | null;
  datasetError: string | null;
  status: RunStatus;
  snapshot: Snapshot | null;
  loss: LossSeries;
  error: string | null;
  /** The feature inspector: the last inspectRun (refreshed when a run pauses or finishes, or on request). */
  inspection: RunInspection | null;
  /** The selected latent and its detail (null until one is picked / while it loads). */
  selected: number | null;
  detail: LatentDetail | null;
  /** An inspection or detail request in flight. */
  inspecting: boolean;
  inspectError: string | null;
  /** Re-reads the latent table of the current run (and the selected latent's detail). */
  refreshInspection(): Promise<void>;
  selectLatent(latent: number): Promise<void>;
  setDraft(patch: Partial<Draft>): void;
  /** Picks a picker entry; a catalog id loads at once, the others wait for loadChoice(). */
  choose(choice: string): Promise<void>;
  setKnobs(patch: Partial<SyntheticKnobs>): void;
  setUpload(patch: Partial<UploadDraft>): void;
  setText(patch: Partial<AppState['text']>): void;
  setPreprocess(patch: Partial<PreprocessOptions>): void;
  /** Loads the current choice with the current preprocessing (also: apply new preprocessing). */
  loadChoice(): Promise<void>;
  /** Starts a new run from the draft (replacing any current run). */
  train(): Promise<void>;
  /** Pauses a training run, resumes a paused one. */
  togglePause(): Promise<void>;
  stop(): Promise<void>;
}

export type AppStore = StoreApi<AppState>;

export const DEFAULT_DRAFT: Draft = {
  dataset: DEFAULT_DATASET,
  arch: DEFAULT_CONFIG.arch,
  dSae: 256,
  k: 8,
  steps: 2000,
  batch: 128,
  seed: DEFAULT_CONFIG.seed,
};

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function createAppStore(workbench: Workbench, draft: Draft = DEFAULT_DRAFT): AppStore {
  /** The load in flight (train waits for it). */
  let pending: Promise<void> = Promise.resolve();
  /** Inspection requests run one at a time, in order. */
  let inspectQueue: Promise<void> = Promise.resolve();
  const store = createStore<AppState>()((set, get) => {
    /** The request for the current choice; null (with datasetError set) when the choice is incomplete. */
    const requestOf = async (): Promise<DatasetRequest | null> => {
      const { choice, knobs, upload, text, preprocess } = get();
      if (choice === CUSTOM_SYNTHETIC) return { source: 'synthetic', knobs, preprocess };
      if (choice === PASTED_TEXT) return { source: 'text', text: text.text, site: text.site, preprocess };
      if (choice === UPLOAD) {
        if (!upload.file) {
          set({ datasetError: 'upload: pick a file first (.npy, .safetensors, .csv/.tsv or an IDX file)' });
          return null;
        }
        // Blobs: src/client.ts streams them to the worker in 8 MiB chunks, with progress.
        const labels = upload.labels ? { name: upload.labels.name, blob: upload.labels } : undefined;
        return { source: 'upload', file: { name: upload.file.name, blob: upload.file }, ...(labels ? { labels } : {}), ...(upload.tensor.trim() ? { tensor: upload.tensor.trim() } : {}), preprocess };
      }
      return { source: 'builtin', id: choice, preprocess };
    };
    const loadChoice = (): Promise<void> => {
      const run = pending.then(async () => {
        try {
          const req = await requestOf();
          if (!req) return;
          set({ datasetError: null });
          const info = await workbench.loadDataset(req);
          set({ dataset: info, draft: { ...get().draft, dataset: info.id } });
        } catch (e) {
          set({ datasetError: `could not load the dataset (${get().dataset ? `still on ${get().dataset?.id}` : 'none loaded'}): ${message(e)}` });
        }
      });
      pending = run;
      return run;
    };
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
      catalog: [],
      choice: draft.dataset,
      knobs: DEFAULT_KNOBS,
      upload: { file: null, labels: null, tensor: '' },
      text: { text: '', site: 'resid:3' },
      preprocess: DEFAULT_PREPROCESS,
      dataset: null,
      loading: null,
      datasetError: null,
      inspection: null,
      selected: null,
      detail: null,
      inspecting: false,
      inspectError: null,
      refreshInspection: () => {
        const run = inspectQueue.then(async () => {
          const wb = workbench;
          if (!wb.inspectRun) return set({ inspectError: 'this engine connection has no inspectRun (src/client.ts must forward it to the worker)' });
          set({ inspecting: true });
          try {
            const inspection = await wb.inspectRun({});
            const sel = get().selected;
            const keep = sel !== null && sel < inspection.table.length ? sel : null;
            const detail = keep !== null && wb.latentDetail ? await wb.latentDetail({ latent: keep }) : null;
            set({ inspection, selected: keep, detail, inspectError: null });
          } catch (e) {
            set({ inspectError: `could not inspect the run: ${message(e)}` });
          } finally {
            set({ inspecting: false });
          }
        });
        inspectQueue = run;
        return run;
      },
      selectLatent: (latent) => {
        set({ selected: latent });
        const run = inspectQueue.then(async () => {
          if (!workbench.latentDetail) return set({ inspectError: 'this engine connection has no latentDetail (src/client.ts must forward it to the worker)' });
          if (get().selected !== latent) return; // a later pick superseded this one
          set({ inspecting: true });
          try {
            const detail = await workbench.latentDetail({ latent });
            if (get().selected === latent) set({ detail, inspectError: null });
          } catch (e) {
            set({ inspectError: `could not inspect latent ${latent}: ${message(e)}` });
          } finally {
            set({ inspecting: false });
          }
        });
        inspectQueue = run;
        return run;
      },
      setDraft: (patch) => set({ draft: { ...get().draft, ...patch } }),
      choose: (choice) => {
        set({ choice, datasetError: null });
        return choice === CUSTOM_SYNTHETIC || choice === UPLOAD || choice === PASTED_TEXT ? Promise.resolve() : loadChoice();
      },
      setKnobs: (patch) => set({ knobs: { ...get().knobs, ...patch } }),
      setUpload: (patch) => set({ upload: { ...get().upload, ...patch } }),
      setText: (patch) => set({ text: { ...get().text, ...patch } }),
      setPreprocess: (patch) => set({ preprocess: { ...get().preprocess, ...patch } }),
      loadChoice,
      train: () =>
        act('could not start training', async () => {
          await pending;
          if (!get().dataset) throw new Error(`no dataset is loaded${get().datasetError ? '' : ' yet'}: pick one above`);
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
    if (s.run === 0) return set({ loading: s.loading }); // no run yet: only the dataset progress
    const prev = store.getState().snapshot;
    if (prev && s.run < prev.run) return; // a late snapshot of a replaced run
    const old = prev?.run === s.run ? store.getState().loss : { steps: [], loss: [] };
    const loss = s.recentLoss.steps.length > 0 ? { steps: old.steps.concat(s.recentLoss.steps), loss: old.loss.concat(s.recentLoss.loss) } : old;
    const before = store.getState().status;
    const newRun = prev?.run !== s.run;
    set({ snapshot: s, status: s.status, loss, loading: s.loading, ...(s.error !== undefined ? { error: s.error } : {}), ...(newRun ? { inspection: null, detail: null } : {}) });
    // The inspector refreshes when training pauses or finishes, never on every snapshot.
    if ((s.status === 'paused' || s.status === 'done') && (before !== s.status || newRun)) void store.getState().refreshInspection();
  };
  void workbench.onSnapshot(onSnapshot);
  void workbench.backend().then(
    (backend) => set({ backend }),
    (e: unknown) => set({ error: `the engine did not start: ${message(e)}` }),
  );
  void workbench.catalog().then(
    (catalog) => set({ catalog }),
    (e: unknown) => set({ datasetError: `the dataset catalog did not load: ${message(e)}` }),
  );
  void store.getState().loadChoice(); // the default dataset, so one click on Train trains on it
  return store;
}
