// The app's one zustand store, made by createAppStore(workbench) with the Workbench injected (a worker
// client in the page, an in-thread engine or a fake in tests). Holds the draft experiment (config, seeds,
// ensemble method and J), the dataset picker's state (choice, synthetic knobs, upload files, preprocessing)
// and the loaded dataset, the latest snapshot, the loss curve, the feature inspector's table, member and
// selected latent, the ensemble results of the session (evaluations, views, downstream reports by run id,
// kept after a run is replaced so methods compare side by side), and errors; the worker owns the training
// and dataset state. Actions: set status, await the workbench, catch into `error`/`datasetError`/
// `ensembleErrors` (a failed load keeps the current dataset; a failed ensemble task keeps what was shown).
// Imports only types from src/engine and defaults from src/core/config.

import { createStore, type StoreApi } from 'zustand/vanilla';
import { DEFAULT_CONFIG, type TrainConfig } from '../core/sae/config.ts';
import type {
  BackendInfo,
  CatalogEntry,
  DatasetInfo,
  DatasetProgress,
  DatasetRequest,
  DownstreamReport,
  DownstreamRequest,
  EnsembleEvaluation,
  EnsembleSpec,
  EnsembleViews,
  EnsembleZip,
  LatentDetail,
  LoadEnsembleRequest,
  PreprocessOptions,
  RunInfo,
  RunInspection,
  RunStatus,
  RunZip,
  Snapshot,
  StartRunRequest,
  SyntheticKnobs,
  Workbench,
} from '../engine/api.ts';
import { DEFAULT_ENSEMBLE, ensembleProblems, requestOf } from './ensemble/ensembleDraft.ts';
import { decodeHash } from './urlState.ts';

/** A run's entry in `runs` is replaced at most this often while its status stays the same. */
const RUNS_UPDATE_MS = 500;

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

/**
 * The experiment being edited: the dataset id, every training-config field, the seeds (null: seed, or
 * seed..seed+J−1 for bagging) and the ensemble (method and J; coherence rules: ensemble/ensembleDraft.ts).
 */
export type Draft = TrainConfig & { dataset: string; seeds: number[] | null; ensemble: EnsembleSpec };

/** One row per snapshot that advanced the step: the run's metric history (plots, CSV/JSON export). */
export const HISTORY_KEYS = ['step', 'loss', 'mse', 'auxLoss', 'sparsityLoss', 'l0', 'deadFraction', 'explainedVariance', 'lr', 'tokensPerSecond'] as const;
export type HistoryKey = (typeof HISTORY_KEYS)[number];
/** Column-wise; replaced (not mutated) on change. */
export type MetricHistory = Record<HistoryKey, number[]>;
export const emptyHistory = (): MetricHistory => Object.fromEntries(HISTORY_KEYS.map((k) => [k, []])) as unknown as MetricHistory;

/** Fraction of latents whose log10 firing density exceeds DENSE_LOG10 (density > 0.1): "dense" latents. */
export const DENSE_LOG10 = -1;
export const DENSE_FORMULA = 'share of latents with firing density > 0.1, i.e. log10(n_i / tokens) > −1 (from the training firing counts)';
export function denseFractionOf(log10: Float32Array): number {
  if (log10.length === 0) return 0;
  let n = 0;
  for (const v of log10) if (v > DENSE_LOG10) n++;
  return n / log10.length;
}

/** A run's status as the runs table shows it: 'replaced' when a later run started while it was active. */
export type RunRecordStatus = RunStatus | 'replaced';

/** The metrics of a run's last snapshot (denseFraction: from its last density, null before the first). */
export interface RunMetrics {
  loss: number;
  mse: number;
  explainedVariance: number;
  l0: number;
  deadFraction: number;
  denseFraction: number | null;
}

/** One run of this session (UI-side only): its experiment and the metrics of its last snapshot. */
export interface RunRecord {
  run: number;
  /** The experiment it was started from (dataset, config with nulls for derived values, seeds). */
  draft: Draft;
  /** The members' seeds (RunInfo.seeds once startRun resolves; before that from the draft). */
  seeds: number[];
  status: RunRecordStatus;
  step: number;
  steps: number;
  backend: string;
  metrics: RunMetrics | null;
}

/** The dense fraction over the run's density snapshots: dense.step[i] ↔ dense.fraction[i]. Replaced on change. */
export interface DenseSeries {
  step: number[];
  fraction: number[];
}

/** The whole run's loss curve, one entry per step: steps[i] ↔ loss[i]. Replaced (not mutated) on change. */
export interface LossSeries {
  steps: number[];
  loss: number[];
}

/** The ensemble tasks of the panel: each shows progress while in flight and keeps its last error. */
export type EnsembleTask = 'evaluate' | 'views' | 'downstream' | 'export' | 'load';

/** The views' members and τ (api.ts EnsembleViewsRequest, every field given). */
export interface ViewsRequest {
  a: number;
  b: number;
  uniqueTau: number;
}
export const DEFAULT_VIEWS_REQUEST: ViewsRequest = { a: 0, b: 1, uniqueTau: 0.6 };

/** A saved ensemble to load: a picked File (streamed to the worker in chunks) or bytes. */
export type EnsembleFile = File | LoadEnsembleRequest['file'];

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
  history: MetricHistory;
  /** Member 0's log10 feature density (Snapshot.density), kept across snapshots that do not refresh it. */
  density: Snapshot['density'];
  /** denseFractionOf(density) at each density refresh of the current run. */
  dense: DenseSeries;
  /** Every run of this session, oldest first; a run's entry is replaced on its status changes and at most ~2 Hz. */
  runs: RunRecord[];
  /** Puts run `run`'s experiment (dataset, config, seeds) back into the form (and so the URL hash). */
  restoreRun(run: number): Promise<void>;
  /** What was wrong with the URL hash the page opened on (then the defaults are used). */
  hashError: string | null;
  /** The last export, for the Python snippet. */
  exported: Omit<RunZip, 'bytes'> | null;
  exportError: string | null;
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
  /** One step (n steps) then pause; with no active run, starts one paused first. */
  step(n?: number): Promise<void>;
  /** Stops the run and clears the plots, the metrics and the inspector. */
  reset(): Promise<void>;
  /** The current run's SAELens folder as a zip (null on failure, with exportError set). */
  exportZip(): Promise<RunZip | null>;

  // ---- ensembles (seed-papers.md §2; api.ts "ensembles") ----
  /** What startRun or loadEnsemble resolved each run of this session to (method, SAEs, origin), by run id. */
  runInfos: Record<number, RunInfo>;
  /** The latest evaluateEnsemble of each run, by run id: kept after the run is replaced, so curves of every method overlay. */
  evaluations: Record<number, EnsembleEvaluation>;
  /** The latest ensembleViews of each run, by run id. */
  views: Record<number, EnsembleViews>;
  /** The members and τ the views were last asked for (reset to 0, 1 on a new run). */
  viewsRequest: ViewsRequest;
  /** The latest downstream report of each run, by run id. */
  downstreams: Record<number, DownstreamReport>;
  /** Progress text of each ensemble task in flight; absent when it is idle. */
  ensembleBusy: Partial<Record<EnsembleTask, string>>;
  /** The last failure of each ensemble task, cleared when it next succeeds; what was shown before stays. */
  ensembleErrors: Partial<Record<EnsembleTask, string>>;
  /** The last ensemble zip saved (without its bytes). */
  ensembleExported: Omit<EnsembleZip, 'bytes'> | null;
  /** The last ensemble loaded: its run and the file's name. */
  ensembleLoaded: { info: RunInfo; fileName: string } | null;
  /** The member the feature inspector reads (boosting: stage j, read on its residual r⁽ʲ⁾). Back to 0 on a new run. */
  inspectMember: number;
  /** evaluateEnsemble on the current run: metrics for J' = 1..J (null on failure, with ensembleErrors.evaluate). */
  evaluate(): Promise<EnsembleEvaluation | null>;
  /** ensembleViews of members a and b (default: the last asked, else 0 and 1) with τ uniqueTau. */
  loadViews(a?: number, b?: number, uniqueTau?: number): Promise<EnsembleViews | null>;
  /** Concept detection and SCR with the current run (DownstreamReport.why says what the dataset lacks). */
  runDownstream(req?: DownstreamRequest): Promise<DownstreamReport | null>;
  /** Every SAE of the current run and how they combine, as one zip. */
  exportEnsemble(): Promise<EnsembleZip | null>;
  /** Loads a saved ensemble zip as a new run (origin 'loaded'), against `dataset` (default: the loaded dataset). */
  loadEnsemble(file: EnsembleFile, dataset?: string): Promise<RunInfo | null>;
  /** Points the inspector at member `member` of the current run and re-reads its table. */
  setInspectMember(member: number): Promise<void>;
  /** Opens latent `latent` of member `member` in the inspector (re-reading the table when the member changes). */
  inspectLatent(member: number, latent: number): Promise<void>;
}

export type AppStore = StoreApi<AppState>;

/** The page's defaults: DEFAULT_CONFIG with a wider SAE and a shorter run that fits the default dataset. */
export const DEFAULT_DRAFT: Draft = {
  ...DEFAULT_CONFIG,
  dataset: DEFAULT_DATASET,
  dSae: 256,
  k: 8,
  steps: 2000,
  batch: 128,
  seeds: null,
  ensemble: DEFAULT_ENSEMBLE,
};

/** The startRun request of a draft (explicit seeds for single/bagging; the ensemble unless it is 'single'). */
export function requestOfDraft(draft: Draft): StartRunRequest {
  return requestOf(draft);
}

/** The experiment a run's RunInfo describes (a loaded ensemble: what its file says), over the page's defaults. */
export function draftOfInfo(info: RunInfo): Draft {
  const { method, members } = info.ensemble;
  const c = info.config;
  // expanded: the resolved config has J·dSae latents and J·k; the form's fields are per J-th.
  const per = method === 'expanded' && members > 0 ? members : 1;
  return {
    ...DEFAULT_DRAFT,
    ...c,
    dSae: c.dSae / per,
    k: c.k / per,
    dataset: info.dataset,
    seeds: method === 'bagging' ? info.seeds : null,
    ensemble: { method, members },
  };
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The store around `workbench`. Without `initial` the experiment comes from the page's URL hash (decodeHash:
 * a bad hash is reported in hashError and the defaults are used), or the defaults where there is no page.
 */
export function createAppStore(workbench: Workbench, initial?: Draft): AppStore {
  const fromHash = initial ? { draft: initial, error: null } : typeof location !== 'undefined' ? decodeHash(location.hash, DEFAULT_DRAFT) : { draft: DEFAULT_DRAFT, error: null };
  const draft = fromHash.draft;
  const hashError = fromHash.error;
  /** Snapshots of runs up to this id are dropped (reset cleared them). */
  let cleared = 0;
  /** The load in flight (train waits for it). */
  let pending: Promise<void> = Promise.resolve();
  /** The experiment of each run this store started (by run id), and of the start in flight. */
  const experiments = new Map<number, Draft>();
  let launching: Draft | null = null;
  /** Last time each run's record was replaced (ms): hot updates are throttled to RUNS_UPDATE_MS. */
  const recordTimes = new Map<number, number>();
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
    /** startRun with the draft remembered as the run's experiment. */
    const start = async (req: StartRunRequest, d: Draft): Promise<void> => {
      launching = d;
      try {
        const info = await workbench.startRun(req);
        experiments.set(info.run, d);
        set({ runInfos: { ...get().runInfos, [info.run]: info } });
        const runs = get().runs;
        const i = runs.findIndex((r) => r.run === info.run);
        if (i >= 0) set({ runs: runs.map((r, j) => (j === i ? { ...r, draft: d, seeds: info.seeds, backend: info.backend.kind } : r)) });
      } finally {
        launching = null;
      }
    };
    /**
     * Runs ensemble task `task`: progress text while in flight, the error (prefixed with `what`) on failure,
     * and nothing shown before is cleared either way. Returns the result, or null on failure.
     */
    const ensembleTask = async <T,>(task: EnsembleTask, progress: string, what: string, fn: () => Promise<T>): Promise<T | null> => {
      set({ ensembleBusy: { ...get().ensembleBusy, [task]: progress } });
      try {
        const out = await fn();
        const { [task]: _done, ...errors } = get().ensembleErrors;
        set({ ensembleErrors: errors });
        return out;
      } catch (e) {
        set({ ensembleErrors: { ...get().ensembleErrors, [task]: `${what}: ${message(e)}` } });
        return null;
      } finally {
        const { [task]: _busy, ...busy } = get().ensembleBusy;
        set({ ensembleBusy: busy });
      }
    };
    /** The run the ensemble tasks act on: the engine's current run (the latest snapshot's). */
    const currentRun = (): number => get().snapshot?.run ?? 0;
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
      history: emptyHistory(),
      density: null,
      dense: { step: [], fraction: [] },
      runs: [],
      restoreRun: async (run) => {
        const rec = get().runs.find((r) => r.run === run);
        if (!rec) return;
        const { dataset, ...rest } = rec.draft;
        const before = get().draft.dataset;
        set({ draft: { ...get().draft, ...rest, dataset: before } });
        if (dataset === before) return;
        if (/^(builtin|synthetic):/.test(dataset)) {
          set({ draft: { ...get().draft, dataset } });
          await get().choose(dataset);
        } else set({ datasetError: `run ${run} trained on ${dataset} (an upload or pasted text): its settings are restored, load that data again above to train on it` });
      },
      hashError,
      exported: null,
      exportError: null,
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
          const member = get().inspectMember;
          try {
            const inspection = await wb.inspectRun({ member });
            const sel = get().selected;
            const keep = sel !== null && sel < inspection.table.length ? sel : null;
            const detail = keep !== null && wb.latentDetail ? await wb.latentDetail({ member, latent: keep }) : null;
            set({ inspection, selected: keep, detail, inspectError: null });
          } catch (e) {
            set({ inspectError: `could not inspect ${member > 0 ? `member ${member} of ` : ''}the run: ${message(e)}` });
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
          const member = get().inspection?.scope.member ?? get().inspectMember;
          try {
            const detail = await workbench.latentDetail({ member, latent });
            if (get().selected === latent && (get().inspection?.scope.member ?? member) === member) set({ detail, inspectError: null });
          } catch (e) {
            set({ inspectError: `could not inspect latent ${latent}${member > 0 ? ` of member ${member}` : ''}: ${message(e)}` });
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
          set({ error: null });
          const d = get().draft;
          const wrong = ensembleProblems(d);
          if (wrong.length > 0) throw new Error(wrong.join('; '));
          await start(requestOfDraft(d), d);
        }),
      togglePause: () => act('could not pause', () => (get().status === 'paused' ? workbench.resume() : workbench.pause())),
      stop: () => act('could not stop', () => workbench.stop()),
      step: (n = 1) =>
        act('could not step', async () => {
          const status = get().status;
          if (status !== 'training' && status !== 'paused') {
            await pending;
            if (!get().dataset) throw new Error('no dataset is loaded: pick one above');
            set({ error: null });
            const d = get().draft;
            await start({ ...requestOfDraft(d), paused: true }, d);
          }
          await workbench.step(n);
        }),
      reset: () =>
        act('could not reset', async () => {
          await workbench.stop();
          cleared = Math.max(cleared, get().snapshot?.run ?? 0);
          set({ snapshot: null, status: 'idle', loss: { steps: [], loss: [] }, history: emptyHistory(), density: null, dense: { step: [], fraction: [] }, inspection: null, selected: null, detail: null, error: null, exported: null });
        }),
      runInfos: {},
      evaluations: {},
      views: {},
      viewsRequest: DEFAULT_VIEWS_REQUEST,
      downstreams: {},
      ensembleBusy: {},
      ensembleErrors: {},
      ensembleExported: null,
      ensembleLoaded: null,
      inspectMember: 0,
      evaluate: () =>
        ensembleTask('evaluate', 'evaluating the ensemble on held-out rows for J′ = 1..J…', 'could not evaluate the ensemble', async () => {
          if (currentRun() === 0) throw new Error('there is no run yet: train one (or load a saved ensemble) first');
          const ev = await workbench.evaluateEnsemble();
          set({ evaluations: { ...get().evaluations, [ev.run]: ev } });
          return ev;
        }),
      loadViews: (a, b, uniqueTau) => {
        const req: ViewsRequest = { ...get().viewsRequest, ...(a !== undefined ? { a } : {}), ...(b !== undefined ? { b } : {}), ...(uniqueTau !== undefined ? { uniqueTau } : {}) };
        set({ viewsRequest: req });
        return ensembleTask('views', `comparing members ${req.a} and ${req.b} (decoder cosines, Hungarian matching, stability, unique features, PCA map)…`, 'could not compute the ensemble views', async () => {
          if (currentRun() === 0) throw new Error('there is no run yet: train an ensemble of 2 or more SAEs (bagging or boosting) first');
          if (req.a === req.b) throw new Error(`members a and b are both ${req.a}: pick two different members`);
          const v = await workbench.ensembleViews(req);
          set({ views: { ...get().views, [v.run]: v } });
          return v;
        });
      },
      runDownstream: (req) =>
        ensembleTask('downstream', 'running concept detection (sparse probing) and spurious-correlation removal…', 'could not run the downstream tasks', async () => {
          if (currentRun() === 0) throw new Error('there is no run yet: train one on a labelled dataset (e.g. builtin:digits-marked) first');
          const r = await workbench.downstream(req);
          set({ downstreams: { ...get().downstreams, [r.run]: r } });
          return r;
        }),
      exportEnsemble: () =>
        ensembleTask('export', 'packing every SAE of the run into one zip…', 'could not export the ensemble', async () => {
          const zip = await workbench.exportEnsemble();
          const { bytes: _bytes, ...meta } = zip;
          set({ ensembleExported: meta });
          return zip;
        }),
      loadEnsemble: (file, dataset) =>
        ensembleTask('load', `loading ${file.name}…`, `could not load ${file.name}`, async () => {
          await pending;
          const on = dataset ?? get().dataset?.id;
          if (!on) throw new Error('no dataset is loaded to evaluate it on: pick one above (of the members\' input width) first');
          const sent: LoadEnsembleRequest['file'] = typeof Blob !== 'undefined' && file instanceof Blob ? { name: file.name, blob: file } : (file as LoadEnsembleRequest['file']);
          const info = await workbench.loadEnsemble({ file: sent, dataset: on });
          experiments.set(info.run, draftOfInfo(info));
          const runs = get().runs;
          set({
            runInfos: { ...get().runInfos, [info.run]: info },
            ensembleLoaded: { info, fileName: file.name },
            // The record may have been made from the first snapshot, before the experiment was known.
            runs: runs.map((r) => (r.run === info.run ? { ...r, draft: draftOfInfo(info), seeds: info.seeds, backend: info.backend.kind } : r)),
          });
          return info;
        }),
      setInspectMember: (member) => {
        if (member === get().inspectMember && get().inspection?.scope.member === member) return Promise.resolve();
        set({ inspectMember: member, detail: null });
        return get().refreshInspection();
      },
      inspectLatent: async (member, latent) => {
        const inspection = get().inspection;
        if (member !== get().inspectMember || !inspection || inspection.scope.member !== member || inspection.scope.run !== currentRun()) {
          set({ inspectMember: member, selected: latent, detail: null });
          await get().refreshInspection();
        } else await get().selectLatent(latent);
      },
      exportZip: async () => {
        try {
          const zip = await workbench.exportZip(0);
          const { bytes: _bytes, ...meta } = zip;
          set({ exported: meta, exportError: null });
          return zip;
        } catch (e) {
          set({ exportError: `could not export: ${message(e)}` });
          return null;
        }
      },
    };
  });

  const set = store.setState;
  /** Keeps run s.run's record: created on its first snapshot, replaced on status changes and at most ~2 Hz. */
  const recordRun = (s: Snapshot): void => {
    const runs = store.getState().runs;
    const i = runs.findIndex((r) => r.run === s.run);
    const old = i >= 0 ? runs[i] : undefined;
    const now = performance.now();
    if (old && old.status === s.status && now - (recordTimes.get(s.run) ?? 0) < RUNS_UPDATE_MS) return;
    recordTimes.set(s.run, now);
    const d = old?.draft ?? experiments.get(s.run) ?? launching ?? store.getState().draft;
    const dense = s.density ? denseFractionOf(s.density.log10) : (old?.metrics?.denseFraction ?? null);
    const metrics: RunMetrics | null = s.step > 0 ? { loss: s.loss, mse: s.mse, explainedVariance: s.explainedVariance, l0: s.l0, deadFraction: s.deadFraction, denseFraction: dense } : (old?.metrics ?? null);
    const rec: RunRecord = {
      run: s.run,
      draft: d,
      seeds: old?.seeds ?? (s.members.length > 0 ? s.members.map((m) => m.seed) : d.seeds && d.seeds.length > 0 ? d.seeds : [d.seed]),
      status: s.status,
      step: s.step,
      steps: s.steps,
      backend: s.backend,
      metrics,
    };
    // A new run replaces any still-active one in the engine: those stop where they were.
    const next = runs.map((r) => (r.run < s.run && (r.status === 'training' || r.status === 'paused') ? { ...r, status: 'replaced' as const } : r));
    if (i >= 0) next[i] = rec;
    else next.push(rec);
    next.sort((a, b) => a.run - b.run);
    set({ runs: next });
  };
  const onSnapshot = (s: Snapshot): void => {
    if (s.run > 0) recordRun(s);
    if (s.run === 0) return set({ loading: s.loading }); // no run yet: only the dataset progress
    if (s.run <= cleared) return set({ loading: s.loading }); // a run the user reset
    const prev = store.getState().snapshot;
    if (prev && s.run < prev.run) return; // a late snapshot of a replaced run
    const newRun = prev?.run !== s.run;
    const old = newRun ? { steps: [], loss: [] } : store.getState().loss;
    const loss = s.recentLoss.steps.length > 0 ? { steps: old.steps.concat(s.recentLoss.steps), loss: old.loss.concat(s.recentLoss.loss) } : old;
    const before = store.getState().status;
    const oldHistory = newRun ? emptyHistory() : store.getState().history;
    const advanced = s.step > 0 && s.step !== oldHistory.step.at(-1);
    const history = advanced ? (Object.fromEntries(HISTORY_KEYS.map((k) => [k, oldHistory[k].concat(s[k])])) as unknown as MetricHistory) : oldHistory;
    const oldDensity = newRun ? null : store.getState().density;
    const density = s.density && s.density.step !== oldDensity?.step ? s.density : oldDensity;
    const oldDense = newRun ? { step: [], fraction: [] } : store.getState().dense;
    const dense = density && density !== oldDensity && density.step !== oldDense.step.at(-1) ? { step: oldDense.step.concat(density.step), fraction: oldDense.fraction.concat(denseFractionOf(density.log10)) } : oldDense;
    set({
      dense,
      snapshot: s,
      status: s.status,
      loss,
      history,
      density,
      loading: s.loading,
      ...(s.error !== undefined ? { error: s.error } : {}),
      ...(newRun ? { inspection: null, detail: null, exported: null, exportError: null, inspectMember: 0, viewsRequest: { ...store.getState().viewsRequest, a: 0, b: 1 } } : {}),
    });
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
