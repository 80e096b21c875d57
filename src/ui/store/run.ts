// The run slice: the engine's backend, the current run's status, latest snapshot and series (series.ts),
// the run controls (train, pause/resume, stop, step, reset) and its SAELens export. Failures land in
// `error` (or `exportError`) with what was being done. Training refuses an incoherent ensemble draft
// before anything runs and waits for the dataset load in flight. Snapshots reach this slice through
// snapshots.ts. Imports engine types and the store modules below it (never snapshots.ts or store.ts).

import type { BackendInfo, RunStatus, RunZip, Snapshot, StartRunRequest } from '../../engine/api.ts';
import { message, type GetState, type SetState, type StoreContext } from './context.ts';
import type { DatasetSlice } from './dataset.ts';
import type { DraftSlice } from './draft.ts';
import { ensembleProblems } from './ensembleDraft.ts';
import { requestOfDraft, type Draft } from './experiment.ts';
import type { InspectorSlice } from './inspector.ts';
import { withRunInfo, type RunResumed, type RunsSlice } from './runs.ts';
import { emptySeries, type RunSeries } from './series.ts';

/** A saved checkpoint to continue (src/ui/persist/db.ts SavedCheckpoint, without its key). */
export interface CheckpointFile {
  fileName: string;
  step: number;
  bytes: Uint8Array;
}

export interface RunSlice extends RunSeries {
  backend: BackendInfo | null;
  status: RunStatus;
  snapshot: Snapshot | null;
  error: string | null;
  /** The last export, for the Python snippet. */
  exported: Omit<RunZip, 'bytes'> | null;
  exportError: string | null;
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
  /**
   * Continues checkpoint `c` as a new run of experiment `draft` (replacing any current run; its dataset is loaded
   * by id or already): started paused at the checkpoint's step, `prefix` (its series up to that step) put back on
   * the plots, then trained on. `resumed` goes on its runs-table record. False, with `error` set, when refused.
   */
  resumeCheckpoint(c: CheckpointFile, draft: Draft, resumed: RunResumed, prefix: Pick<RunSeries, 'loss' | 'history'> | null): Promise<boolean>;
}

/** `prefix` cut at step `step` (a checkpoint's), then `after` (the resumed run's own series). */
export function seriesThrough(prefix: Pick<RunSeries, 'loss' | 'history'>, step: number, after: Pick<RunSeries, 'loss' | 'history'>): Pick<RunSeries, 'loss' | 'history'> {
  const nl = prefix.loss.steps.findIndex((x) => x > step);
  const cut = nl < 0 ? prefix.loss.steps.length : nl;
  const loss = { steps: prefix.loss.steps.slice(0, cut).concat(after.loss.steps), loss: prefix.loss.loss.slice(0, cut).concat(after.loss.loss), solves: prefix.loss.solves.filter((x) => x <= step).concat(after.loss.solves) };
  const nh = prefix.history.step.findIndex((x) => x > step);
  const hcut = nh < 0 ? prefix.history.step.length : nh;
  const history = Object.fromEntries(Object.entries(prefix.history).map(([k, v]) => [k, v.slice(0, hcut).concat(after.history[k as keyof RunSeries['history']])])) as RunSeries['history'];
  return { loss, history };
}

type Reads = RunSlice & DraftSlice & Pick<DatasetSlice, 'dataset' | 'datasetError'> & Pick<RunsSlice, 'runs' | 'runInfos'> & Pick<InspectorSlice, 'inspection' | 'selected' | 'detail'>;

export const createRunSlice =
  (ctx: StoreContext) =>
  (set: SetState<Reads>, get: GetState<Reads>): RunSlice => {
    const { workbench, book } = ctx;
    /** startRun with the draft remembered as the run's experiment. */
    const start = async (req: StartRunRequest, d: Draft): Promise<void> => {
      book.launching = d;
      try {
        const info = await workbench.startRun(req);
        set(withRunInfo(book, get(), info, d));
      } finally {
        book.launching = null;
      }
    };
    const act = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        set({ status: 'error', error: `${what}: ${message(e)}` });
      }
    };
    return {
      ...emptySeries(),
      backend: null,
      status: 'idle',
      snapshot: null,
      error: null,
      exported: null,
      exportError: null,
      train: () =>
        act('could not start training', async () => {
          await ctx.loads.settled();
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
            await ctx.loads.settled();
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
          book.cleared = Math.max(book.cleared, get().snapshot?.run ?? 0);
          set({ ...emptySeries(), snapshot: null, status: 'idle', inspection: null, selected: null, detail: null, error: null, exported: null });
        }),
      resumeCheckpoint: async (c, d, resumed, prefix) => {
        let ok = false;
        await act(`could not resume run from ${c.fileName} (step ${c.step})`, async () => {
          await ctx.loads.settled();
          set({ error: null });
          book.launching = d;
          book.launchingResumed = resumed;
          let info;
          try {
            // Only steps: every other field is the checkpoint's (the engine refuses a request that differs).
            info = await workbench.startRun({ dataset: d.dataset, config: { steps: d.steps }, paused: true, resumeFrom: { file: c.bytes, name: c.fileName } });
          } finally {
            book.launching = null;
            book.launchingResumed = null;
          }
          book.resumes.set(info.run, resumed);
          set(withRunInfo(book, get(), info, d));
          set({ runs: get().runs.map((r) => (r.run === info.run ? { ...r, resumed } : r)) });
          // The paused snapshot came before startRun resolved (one channel, in order): the plots get the run's past.
          if (prefix && get().snapshot?.run === info.run) set(seriesThrough(prefix, c.step, get()));
          await workbench.resume();
          ok = true;
        });
        return ok;
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
  };
