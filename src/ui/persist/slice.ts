// The storage slice: what this browser keeps of the runs (src/ui/persist/db.ts) as the storage panel
// shows it — the saved runs with their sizes, the quota, whether storage is persistent, the last
// checkpoint taken, and a one-line message when saving is off or failed — and the actions on it (delete
// one, delete all, read a saved run's zip and loss curve, resume a saved run from its checkpoint). The Keeper holds the open database (null until sync.ts opens it, and for
// good when IndexedDB is missing or refuses: then every action is a no-op and the app works as before).
// Imports db.ts and the store's types only.

import type { GetState, RunBook, SetState } from '../store/context.ts';
import { PASTED_TEXT, UPLOAD, type DatasetSlice } from '../store/dataset.ts';
import type { EnsembleSlice } from '../store/ensemble.ts';
import type { RunSlice } from '../store/run.ts';
import type { RunRecord, RunsSlice } from '../store/runs.ts';
import { emptyHistory } from '../store/series.ts';
import type { RunArtifacts, RunStorage, SavedCheckpoint, SavedDataset, SavedRun } from './db.ts';
import { differs, fileFingerprint, textFingerprint } from './fingerprint.ts';
import type { LocalDataset } from '../urlState.ts';
import { storageError } from './db.ts';

/** What the slice and the sync share (not state: nothing renders from it). */
export interface Keeper {
  storage: RunStorage | null;
  /** This page load's id: a run's storage key is `${session}-${run}`. */
  session: string;
  /** Keys the user deleted in this page load: never saved again. */
  forgotten: Set<string>;
  /** The browser's StorageManager (navigator.storage), when there is one. */
  manager: Pick<StorageManager, 'estimate'> | null;
}

/** Runs whose saved checkpoint is kept: they did not reach an end of their own and may be resumed. */
export const RESUMABLE: ReadonlySet<RunRecord['status']> = new Set<RunRecord['status']>(['training', 'paused', 'replaced', 'interrupted']);

export const createKeeper = (manager: Keeper['manager'] = null): Keeper => ({ storage: null, session: Date.now().toString(36), forgotten: new Set(), manager });

/** A run's storage key: its saved key when restored, the saved run's it continues when resumed, else this page load's session and its run id. */
export const keyOf = (session: string, r: Pick<RunRecord, 'run' | 'saved' | 'resumed'>): string => r.saved?.key ?? r.resumed?.key ?? `${session}-${r.run}`;

export interface StorageInfo {
  /** 'starting': opening the database; 'on': runs are saved as they change; 'off': nothing is saved (see message). */
  mode: 'starting' | 'on' | 'off';
  /** One line for the panel: why saving is off, or the last save that failed (a full quota) and what to do. */
  message: string | null;
  session: string;
  /** Every saved run, oldest first, with its sizes. */
  saved: SavedRun[];
  usageBytes: number | null;
  quotaBytes: number | null;
  /** navigator.storage.persist()'s answer: true when the browser will not evict the saved runs under pressure. */
  persisted: boolean | null;
  /**
   * The last checkpoint saved in this page load: its run and step, its size, the engine's time for it (ms: what
   * training waited), the round trip (ms: also waiting for the training loop to yield and the transfer) and the
   * IndexedDB write with the series so far (ms, on this thread).
   */
  lastCheckpoint: { run: number; step: number; bytes: number; ms: number; roundTripMs: number; saveMs: number } | null;
  /**
   * The saved run whose loss curve and metric history the plots show after a reload (the latest saved run, until a
   * run of this page load or a reset replaces them): its storage key, its run id then, steps and status.
   */
  shown: { key: string; run: number; step: number; steps: number; status: RunRecord['status'] } | null;
  /** The uploads and pasted texts this browser keeps (fingerprints; their data when small), oldest first. */
  datasets: SavedDataset[];
  /** The loaded dataset's fingerprint as a link parameter, when it is an upload or pasted text (for the URL). */
  current: { id: string; param: string } | null;
  /** The link's (or reload's) dataset that must be picked or pasted again (AskForData.tsx), or null. */
  pending: PendingData | null;
  /** The saved run the link points to (`saved=<key>`), opened once storage is open; null once handled or none. */
  linked: string | null;
}

/** A dataset named by the link that only the user has: what to ask for and how to check it. */
export interface PendingData {
  id: string;
  kind: 'upload' | 'text';
  /** The file's name (upload) — the id without 'upload:' and '#tensor'. */
  name: string;
  /** The .safetensors tensor (upload) or the LM site (text: 'resid:3'). */
  tensor: string;
  site: string;
  /** Size and SHA-256 from the link or this browser's record (null: unknown, only the name is checked). */
  fingerprint: { bytes: number; sha256: string } | null;
  /** Why the last file or text given was refused (or failed to load). */
  message: string | null;
}

/** What to ask for, for a link's local dataset. */
export function pendingOf(local: LocalDataset): PendingData {
  const upload = local.id.startsWith('upload:');
  const rest = local.id.slice(upload ? 'upload:'.length : 'text:'.length);
  const hash = rest.indexOf('#');
  return {
    id: local.id,
    kind: upload ? 'upload' : 'text',
    name: upload ? (hash < 0 ? rest : rest.slice(0, hash)) : '',
    tensor: upload && hash >= 0 ? rest.slice(hash + 1) : '',
    site: upload ? 'resid:3' : rest,
    fingerprint: local.fingerprint,
    message: null,
  };
}

export interface StorageSlice {
  storage: StorageInfo;
  /** Deletes saved run `key` (and its row, when it came from an earlier page load). */
  deleteSaved(key: string): Promise<void>;
  /** Deletes every saved run (and the rows of earlier page loads). */
  deleteAllSaved(): Promise<void>;
  /** A saved run's zip and loss curve (null: none kept, or storage is off). */
  savedArtifacts(key: string): Promise<RunArtifacts | null>;
  /** Re-reads the saved runs and the quota into `storage`. */
  refreshStorage(): Promise<void>;
  /**
   * Continues saved run `key` from its checkpoint: its experiment goes back into the form (restoreRun: a built-in
   * or synthetic dataset is loaded by id; an upload or pasted text must be loaded again first), then a new run
   * starts at the checkpoint's step and takes the saved run's place (row and storage entry). False when it did not.
   */
  resumeSaved(key: string): Promise<boolean>;
  /**
   * Opens saved run `key`'s SAE again as the current run (its ensemble zip through loadEnsemble, on its dataset
   * loaded again as restoreRun does): the inspector, the ensemble views and the exports work on it as on a run
   * just trained, and it takes the saved run's place (row and storage entry), its plots restored. False when it did not.
   */
  openSaved(key: string): Promise<boolean>;
  /**
   * The file (or text) asked for by `storage.pending`: refused with a message naming both when its name, size or
   * SHA-256 differs from what the link says; otherwise loaded as the dataset (pending cleared). True when loaded.
   */
  provideData(input: File | string): Promise<boolean>;
  /** Forgets a kept upload or pasted text. */
  deleteDataset(id: string): Promise<void>;
}

type Reads = StorageSlice &
  Pick<RunsSlice, 'runs' | 'restoreRun'> &
  Pick<RunSlice, 'resumeCheckpoint' | 'error' | 'snapshot' | 'loss' | 'history'> &
  Pick<EnsembleSlice, 'loadEnsemble'> &
  Pick<DatasetSlice, 'datasetError' | 'dataset' | 'choose' | 'setUpload' | 'setText' | 'loadChoice'> & { draft: RunRecord['draft']; hashError: string | null };

/** `book`: the store's run book (openSaved marks the run it loads as continuing the saved one); absent in tests of the slice alone. */
export const createStorageSlice =
  (keeper: Keeper, available: boolean, book?: RunBook, local?: LocalDataset, linked?: string) =>
  (set: SetState<Reads>, get: GetState<Reads>): StorageSlice => {
    const patch = (p: Partial<StorageInfo>): void => set({ storage: { ...get().storage, ...p } });
    const attempt = async (what: string, fn: (s: RunStorage) => Promise<void>): Promise<void> => {
      const s = keeper.storage;
      if (!s) return;
      try {
        await fn(s);
      } catch (e) {
        patch({ message: storageError(e, what).message });
      }
    };
    const refreshStorage = (): Promise<void> =>
      attempt('could not list the saved runs', async (s) => {
        const saved = await s.list();
        const datasets = await s.listDatasets();
        const est = await keeper.manager?.estimate().catch(() => null);
        patch({ saved, datasets, usageBytes: est?.usage ?? null, quotaBytes: est?.quota ?? null });
      });
    return {
      storage: {
        mode: available ? 'starting' : 'off',
        message: available ? null : 'IndexedDB is not available here (private browsing, or blocked site data): runs are kept for this page load only',
        session: keeper.session,
        saved: [],
        usageBytes: null,
        quotaBytes: null,
        persisted: null,
        lastCheckpoint: null,
        shown: null,
        datasets: [],
        current: null,
        pending: local ? pendingOf(local) : null,
        linked: linked ?? null,
      },
      deleteSaved: (key) =>
        attempt('could not delete a saved run', async (s) => {
          keeper.forgotten.add(key);
          await s.delete(key);
          set({ runs: get().runs.filter((r) => r.saved?.key !== key) });
          patch({ message: null });
          await refreshStorage();
        }),
      deleteAllSaved: () =>
        attempt('could not delete the saved runs', async (s) => {
          for (const r of get().storage.saved) keeper.forgotten.add(r.key);
          await s.clear();
          set({ runs: get().runs.filter((r) => !r.saved) });
          patch({ message: null });
          await refreshStorage();
        }),
      savedArtifacts: async (key) => {
        let out: RunArtifacts | null = null;
        await attempt('could not read a saved run', async (s) => {
          out = await s.artifacts(key);
        });
        return out;
      },
      refreshStorage,
      resumeSaved: async (key) => {
        const s = keeper.storage;
        const rec = get().runs.find((r) => keyOf(keeper.session, r) === key);
        if (!s || !rec) return false;
        const name = `run ${rec.saved?.run ?? rec.run}`;
        let ck: SavedCheckpoint | null = null;
        let art: RunArtifacts | null = null;
        await attempt(`could not read ${name}'s checkpoint`, async (st) => {
          ck = await st.checkpoint(key);
          art = await st.artifacts(key);
        });
        const c = ck as SavedCheckpoint | null;
        const a = art as RunArtifacts | null;
        if (!c) {
          set({ error: `${name} has no saved checkpoint to resume from (PAM-SGD and boosting runs are not checkpointed, and a run that ended keeps its zip instead): start it again with restore` });
          return false;
        }
        await get().restoreRun(rec.run);
        if (get().draft.dataset !== rec.draft.dataset) return false; // an upload or pasted text: restoreRun said to load it again
        const prefix = a ? { loss: a.loss, history: a.history ?? emptyHistory() } : null;
        const ok = await get().resumeCheckpoint({ fileName: c.fileName, step: c.step, bytes: c.bytes }, rec.draft, { key, fromStep: c.step }, prefix);
        // The new run saves under `key`: the saved row it continues leaves the table (the new one carries on).
        if (ok) set({ runs: get().runs.filter((r) => r !== rec) });
        return ok;
      },
      provideData: async (input) => {
        const p = get().storage.pending;
        if (!p) return false;
        const fp = typeof input === 'string' ? await textFingerprint(input) : await fileFingerprint(input, input.name);
        const why = differs({ kind: p.kind, name: p.name, bytes: p.fingerprint?.bytes ?? null, sha256: p.fingerprint?.sha256 ?? null }, fp);
        if (why) {
          patch({ pending: { ...p, message: why } });
          return false;
        }
        if (typeof input === 'string') {
          get().setText({ text: input, site: p.site });
          await get().choose(PASTED_TEXT);
        } else {
          get().setUpload({ file: input, labels: null, tensor: p.tensor });
          await get().choose(UPLOAD);
        }
        await get().loadChoice();
        if (get().dataset?.id !== p.id) {
          patch({ pending: { ...p, message: get().datasetError ?? `it loaded as ${get().dataset?.id ?? 'nothing'}, not ${p.id}` } });
          return false;
        }
        patch({ pending: null });
        set({ hashError: null });
        return true;
      },
      deleteDataset: (id) =>
        attempt(`could not delete ${id}`, async (s) => {
          await s.deleteDataset(id);
          await refreshStorage();
        }),
      openSaved: async (key) => {
        const rec = get().runs.find((r) => keyOf(keeper.session, r) === key);
        if (!keeper.storage || !rec || !book) return false;
        const name = `run ${rec.saved?.run ?? rec.run}`;
        let art: RunArtifacts | null = null;
        await attempt(`could not read ${name}`, async (st) => {
          art = await st.artifacts(key);
        });
        const a = art as RunArtifacts | null;
        if (!a?.zip || a.zipKind !== 'ensemble') {
          set({ error: `${name} keeps no SAE the app can open again (only runs saved whole since the app keeps every member do; this one ${a?.zip ? 'keeps member 0\'s SAELens folder: download it from its row' : 'ended without weights to keep'})` });
          return false;
        }
        await get().restoreRun(rec.run);
        if (get().draft.dataset !== rec.draft.dataset) return false; // an upload or pasted text: restoreRun said to load it again
        const resumed = { key, fromStep: rec.step };
        book.launchingResumed = resumed;
        let info;
        try {
          info = await get().loadEnsemble({ name: a.zipName ?? `${key}.zip`, bytes: a.zip }, rec.draft.dataset);
        } finally {
          book.launchingResumed = null;
        }
        if (!info) return false; // ensembleErrors.load says why
        const run = info.run;
        book.resumes.set(run, resumed);
        set({ runs: get().runs.filter((r) => r !== rec).map((r) => (r.run === run ? { ...r, resumed } : r)) });
        if (get().snapshot?.run === run) set({ loss: a.loss, history: a.history ?? emptyHistory() });
        return true;
      },
    };
  };
