// The ensemble slice (seed-papers.md §2; api.ts "ensembles"): the session's ensemble results by run id
// (evaluations, member views, downstream reports: kept after a run is replaced, so methods compare side by
// side), the views' request, the last ensemble saved or loaded, and each task's progress and last error
// (a failed task keeps what was shown). The form's method/J rules are ensembleDraft.ts. Reads the current
// run id from `snapshot` (run.ts's field) by shape. Imports engine types and store modules below it only.

import type { DownstreamReport, DownstreamRequest, EnsembleEvaluation, EnsembleViews, EnsembleZip, LoadEnsembleRequest, RunInfo, Snapshot } from '../../engine/api.ts';
import { message, type GetState, type SetState, type StoreContext } from './context.ts';
import type { DatasetSlice } from './dataset.ts';
import { draftOfInfo } from './experiment.ts';
import { withRunInfo, type RunsSlice } from './runs.ts';

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

export interface EnsembleSlice {
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
}

type Reads = EnsembleSlice & Pick<RunsSlice, 'runs' | 'runInfos'> & Pick<DatasetSlice, 'dataset'> & { snapshot: Snapshot | null };

export const createEnsembleSlice =
  (ctx: StoreContext) =>
  (set: SetState<Reads>, get: GetState<Reads>): EnsembleSlice => {
    const workbench = ctx.workbench;
    /**
     * Runs ensemble task `task`: progress text while in flight, the error (prefixed with `what`) on failure,
     * and nothing shown before is cleared either way. Returns the result, or null on failure.
     */
    const ensembleTask = async <T>(task: EnsembleTask, progress: string, what: string, fn: () => Promise<T>): Promise<T | null> => {
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
    return {
      evaluations: {},
      views: {},
      viewsRequest: DEFAULT_VIEWS_REQUEST,
      downstreams: {},
      ensembleBusy: {},
      ensembleErrors: {},
      ensembleExported: null,
      ensembleLoaded: null,
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
          await ctx.loads.settled();
          const on = dataset ?? get().dataset?.id;
          if (!on) throw new Error("no dataset is loaded to evaluate it on: pick one above (of the members' input width) first");
          const sent: LoadEnsembleRequest['file'] = typeof Blob !== 'undefined' && file instanceof Blob ? { name: file.name, blob: file } : (file as LoadEnsembleRequest['file']);
          const info = await workbench.loadEnsemble({ file: sent, dataset: on });
          // The record may have been made from the first snapshot, before the experiment was known.
          set({ ...withRunInfo(ctx.book, get(), info, draftOfInfo(info)), ensembleLoaded: { info, fileName: file.name } });
          return info;
        }),
    };
  };
