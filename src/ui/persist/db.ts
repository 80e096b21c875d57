// The runs kept in this browser: one IndexedDB database (through `idb`) with three object stores, `runs`
// (a run's record as the runs table shows it, with its sizes: small, listed at every load), `artifacts`
// (the run's zip — every member's SAELens folder and ensemble.json —, the loss curve and the metric history: read only when asked for) and
// `checkpoints` (the latest training state of a run that may be resumed, one per run, replaced; issue #13
// item 1: read only to resume), and the user's own datasets (issue #13 item 3): `datasets` (an upload's or
// pasted text's fingerprint, listed) and `datasetData` (its bytes or text, when small enough to keep: read
// only to load it again). Every failure comes
// back as a StorageError whose message says what happened and what to do (a full quota above all).
// Main thread only; the IDBFactory is injected (the page's indexedDB, fake-indexeddb in tests). Imports
// `idb`, types of the store and of the engine; nothing here owns app state (src/ui/persist/slice.ts does).

import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import type { RunRecord } from '../store/runs.ts';
import type { LossSeries, MetricHistory } from '../store/series.ts';
import type { DataFingerprint } from './fingerprint.ts';

export const DB_NAME = 'sae-workbench';
/** 1: runs and artifacts; 2: + checkpoints; 3: + datasets and datasetData (older databases are upgraded in place, their runs kept). */
const DB_VERSION = 3;

/** A saved run as listed (no blobs): its record, when it was last saved, and what it takes on disk. */
export interface SavedRun {
  /** `${session}-${run}`: the page load that ran it and its run id there. */
  key: string;
  savedAt: number;
  record: RunRecord;
  /** The zip's size (0: none saved). */
  zipBytes: number;
  /** What the zip is (RunArtifacts.zipKind; absent: saved before kinds, member 0's folder). */
  zipKind?: 'ensemble' | 'member';
  /** The saved checkpoint's size (0 or absent: none saved; databases of version 1 have no such field). */
  checkpointBytes?: number;
  /** The global step of the saved checkpoint (null or absent: none). */
  checkpointStep?: number | null;
  /** Everything kept for it: record (as JSON), zip, checkpoint, loss curve and metric history (8 bytes a number). */
  sizeBytes: number;
}

/** A run's latest training state (Workbench.checkpointRun's file): what startRun({ resumeFrom }) continues. */
export interface SavedCheckpoint {
  key: string;
  fileName: string;
  /** The global step it was taken at. */
  step: number;
  bytes: Uint8Array;
}

/** The blobs of a saved run. */
export interface RunArtifacts {
  key: string;
  /** Member 0's SAELens folder as a zip (null: the run was replaced or failed before an export was possible). */
  zip: Uint8Array | null;
  zipName: string | null;
  /** 'ensemble': exportEnsemble's zip (ensemble.json and member-<j>/ SAELens folders: loadEnsemble takes it back, so the inspector can be restored); 'member' or absent: member 0's SAELens folder. */
  zipKind?: 'ensemble' | 'member';
  loss: LossSeries;
  /** The metric history (one row per snapshot); absent in runs saved before it was kept. */
  history?: MetricHistory;
}

/** An upload or pasted text this browser knows (fingerprint.ts), by the dataset id the engine gave it. */
export interface SavedDataset {
  /** The engine's dataset id ('upload:acts.npy', 'upload:w.safetensors#layer3', 'text:resid:3'). */
  id: string;
  fingerprint: DataFingerprint;
  /** The .safetensors tensor it was loaded with ('' for none). */
  tensor: string;
  savedAt: number;
  /** Bytes kept in datasetData (0: only the fingerprint; the file must be picked again). */
  keptBytes: number;
}

/** The data of a kept dataset: a file's bytes or the text. */
export interface SavedDatasetData {
  id: string;
  bytes: Uint8Array | null;
  text: string | null;
}

interface Schema extends DBSchema {
  runs: { key: string; value: SavedRun };
  artifacts: { key: string; value: RunArtifacts };
  checkpoints: { key: string; value: SavedCheckpoint };
  datasets: { key: string; value: SavedDataset };
  datasetData: { key: string; value: SavedDatasetData };
}

/** A storage failure with a message for the user (kind 'quota': the browser's quota is full). */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly kind: 'quota' | 'unavailable' | 'failed',
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** `e` as a StorageError saying what to do; `what` is what was being done ("saving run 3"). */
export function storageError(e: unknown, what: string): StorageError {
  if (e instanceof StorageError) return e;
  const name = typeof e === 'object' && e !== null && 'name' in e ? String(e.name) : '';
  const msg = e instanceof Error ? e.message : String(e);
  if (name === 'QuotaExceededError' || /quota/i.test(msg)) return new StorageError(`${what}: the browser's storage quota is full — delete saved runs in the storage panel (or free space in the browser) to keep saving`, 'quota');
  if (name === 'InvalidStateError' || name === 'SecurityError' || name === 'UnknownError') return new StorageError(`${what}: IndexedDB is not usable here (${name}: ${msg}) — private browsing or blocked site data; runs are kept for this session only`, 'unavailable');
  return new StorageError(`${what}: ${msg}`, 'failed');
}

const lossBytes = (l: LossSeries): number => 8 * (l.steps.length + l.loss.length + l.solves.length);
const historyBytes = (h: MetricHistory | undefined): number => (h ? 8 * Object.values(h).reduce((a, c) => a + c.length, 0) : 0);

/** What a run keeps: its record as JSON, its zip, its loss curve and metric history, and its checkpoint (bytes). */
export const sizeOf = (record: RunRecord, artifacts: Pick<RunArtifacts, 'zip' | 'loss' | 'history'> | null, checkpointBytes = 0): number =>
  JSON.stringify(record).length + (artifacts?.zip?.byteLength ?? 0) + (artifacts ? lossBytes(artifacts.loss) + historyBytes(artifacts.history) : 0) + checkpointBytes;

export interface RunStorage {
  /** Every saved run, oldest save first. */
  list(): Promise<SavedRun[]>;
  /** Saves a run's record (keeps its zip, series and checkpoint, if any, and their sizes). */
  saveRecord(key: string, record: RunRecord): Promise<void>;
  /**
   * Saves a run's record with its zip, loss curve and history, in one transaction; `dropCheckpoint`: delete
   * its checkpoint too (a run that ended has nothing to resume).
   */
  saveRun(key: string, record: RunRecord, artifacts: Omit<RunArtifacts, 'key'>, dropCheckpoint?: boolean): Promise<void>;
  /** Saves a run's checkpoint (replacing the one before: one per run) with its record and series so far, in one transaction. */
  saveCheckpoint(key: string, record: RunRecord, checkpoint: Omit<SavedCheckpoint, 'key'>, series: Pick<RunArtifacts, 'loss' | 'history'>): Promise<void>;
  artifacts(key: string): Promise<RunArtifacts | null>;
  checkpoint(key: string): Promise<SavedCheckpoint | null>;
  /** Saves a dataset's fingerprint, and its data when given (replacing what was kept under its id). */
  saveDataset(entry: Omit<SavedDataset, 'keptBytes'>, data: Omit<SavedDatasetData, 'id'> | null): Promise<void>;
  /** Every dataset kept, oldest first (fingerprints only). */
  listDatasets(): Promise<SavedDataset[]>;
  datasetData(id: string): Promise<SavedDatasetData | null>;
  deleteDataset(id: string): Promise<void>;
  delete(key: string): Promise<void>;
  clear(): Promise<void>;
  close(): void;
}

/** Opens (creating or upgrading) the database through `factory`; throws a StorageError when IndexedDB refuses. */
export async function openRunStorage(factory: IDBFactory, name = DB_NAME): Promise<RunStorage> {
  let db: IDBPDatabase<Schema>;
  try {
    const req = factory.open(name, DB_VERSION);
    req.onupgradeneeded = () => {
      const raw = req.result;
      if (!raw.objectStoreNames.contains('runs')) raw.createObjectStore('runs', { keyPath: 'key' });
      if (!raw.objectStoreNames.contains('artifacts')) raw.createObjectStore('artifacts', { keyPath: 'key' });
      if (!raw.objectStoreNames.contains('checkpoints')) raw.createObjectStore('checkpoints', { keyPath: 'key' });
      if (!raw.objectStoreNames.contains('datasets')) raw.createObjectStore('datasets', { keyPath: 'id' });
      if (!raw.objectStoreNames.contains('datasetData')) raw.createObjectStore('datasetData', { keyPath: 'id' });
    };
    db = (await wrap(req)) as unknown as IDBPDatabase<Schema>;
  } catch (e) {
    throw storageError(e, 'could not open the saved runs');
  }
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw storageError(e, what);
    }
  };
  return {
    list: () => guard('could not list the saved runs', async () => (await db.getAll('runs')).sort((a, b) => a.savedAt - b.savedAt || a.key.localeCompare(b.key))),
    saveRecord: (key, record) =>
      guard(`could not save run ${record.run}`, async () => {
        const tx = db.transaction('runs', 'readwrite');
        const old = await tx.store.get(key);
        const blobs = old ? old.sizeBytes - JSON.stringify(old.record).length : 0;
        await tx.store.put({ key, savedAt: old?.savedAt ?? Date.now(), record, zipBytes: old?.zipBytes ?? 0, ...(old?.zipKind ? { zipKind: old.zipKind } : {}), checkpointBytes: old?.checkpointBytes ?? 0, checkpointStep: old?.checkpointStep ?? null, sizeBytes: JSON.stringify(record).length + blobs });
        await tx.done;
      }),
    saveRun: (key, record, artifacts, dropCheckpoint = false) =>
      guard(`could not save run ${record.run}`, async () => {
        const tx = db.transaction(['runs', 'artifacts', 'checkpoints'], 'readwrite');
        const old = await tx.objectStore('runs').get(key);
        await tx.objectStore('artifacts').put({ key, ...artifacts });
        if (dropCheckpoint) await tx.objectStore('checkpoints').delete(key);
        const ck = dropCheckpoint ? { checkpointBytes: 0, checkpointStep: null } : { checkpointBytes: old?.checkpointBytes ?? 0, checkpointStep: old?.checkpointStep ?? null };
        await tx.objectStore('runs').put({ key, savedAt: old?.savedAt ?? Date.now(), record, zipBytes: artifacts.zip?.byteLength ?? 0, ...(artifacts.zip && artifacts.zipKind ? { zipKind: artifacts.zipKind } : {}), ...ck, sizeBytes: sizeOf(record, artifacts, ck.checkpointBytes) });
        await tx.done;
      }),
    saveCheckpoint: (key, record, checkpoint, series) =>
      guard(`could not save run ${record.run}'s checkpoint (step ${checkpoint.step})`, async () => {
        const tx = db.transaction(['runs', 'artifacts', 'checkpoints'], 'readwrite');
        const old = await tx.objectStore('runs').get(key);
        const art = await tx.objectStore('artifacts').get(key);
        const artifacts: RunArtifacts = { key, zip: art?.zip ?? null, zipName: art?.zipName ?? null, ...(art?.zipKind ? { zipKind: art.zipKind } : {}), ...series };
        await tx.objectStore('checkpoints').put({ key, ...checkpoint });
        await tx.objectStore('artifacts').put(artifacts);
        const checkpointBytes = checkpoint.bytes.byteLength;
        await tx.objectStore('runs').put({ key, savedAt: old?.savedAt ?? Date.now(), record, zipBytes: artifacts.zip?.byteLength ?? 0, ...(artifacts.zip && artifacts.zipKind ? { zipKind: artifacts.zipKind } : {}), checkpointBytes, checkpointStep: checkpoint.step, sizeBytes: sizeOf(record, artifacts, checkpointBytes) });
        await tx.done;
      }),
    artifacts: (key) => guard('could not read a saved run', async () => (await db.get('artifacts', key)) ?? null),
    checkpoint: (key) => guard('could not read a saved checkpoint', async () => (await db.get('checkpoints', key)) ?? null),
    saveDataset: (entry, data) =>
      guard(`could not keep ${entry.id}`, async () => {
        const tx = db.transaction(['datasets', 'datasetData'], 'readwrite');
        const keptBytes = data ? (data.bytes?.byteLength ?? new TextEncoder().encode(data.text ?? '').byteLength) : 0;
        if (data) await tx.objectStore('datasetData').put({ id: entry.id, ...data });
        else await tx.objectStore('datasetData').delete(entry.id);
        await tx.objectStore('datasets').put({ ...entry, keptBytes });
        await tx.done;
      }),
    listDatasets: () => guard('could not list the kept datasets', async () => (await db.getAll('datasets')).sort((a, b) => a.savedAt - b.savedAt)),
    datasetData: (id) => guard(`could not read ${id}`, async () => (await db.get('datasetData', id)) ?? null),
    deleteDataset: (id) =>
      guard(`could not delete ${id}`, async () => {
        const tx = db.transaction(['datasets', 'datasetData'], 'readwrite');
        await Promise.all([tx.objectStore('datasets').delete(id), tx.objectStore('datasetData').delete(id), tx.done]);
      }),
    delete: (key) =>
      guard('could not delete a saved run', async () => {
        const tx = db.transaction(['runs', 'artifacts', 'checkpoints'], 'readwrite');
        await Promise.all([tx.objectStore('runs').delete(key), tx.objectStore('artifacts').delete(key), tx.objectStore('checkpoints').delete(key), tx.done]);
      }),
    clear: () =>
      guard('could not delete the saved runs', async () => {
        const tx = db.transaction(['runs', 'artifacts', 'checkpoints'], 'readwrite');
        await Promise.all([tx.objectStore('runs').clear(), tx.objectStore('artifacts').clear(), tx.objectStore('checkpoints').clear(), tx.done]);
      }),
    close: () => db.close(),
  };
}
