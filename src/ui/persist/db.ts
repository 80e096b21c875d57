// The runs kept in this browser: one IndexedDB database (through `idb`) with two object stores, `runs`
// (a run's record as the runs table shows it, with its sizes: small, listed at every load) and
// `artifacts` (member 0's SAELens zip and the loss curve: read only when asked for). Every failure comes
// back as a StorageError whose message says what happened and what to do (a full quota above all).
// Main thread only; the IDBFactory is injected (the page's indexedDB, fake-indexeddb in tests). Imports
// `idb`, types of the store and of the engine; nothing here owns app state (src/ui/persist/slice.ts does).

import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import type { RunRecord } from '../store/runs.ts';
import type { LossSeries } from '../store/series.ts';

export const DB_NAME = 'sae-workbench';
const DB_VERSION = 1;

/** A saved run as listed (no blobs): its record, when it was last saved, and what it takes on disk. */
export interface SavedRun {
  /** `${session}-${run}`: the page load that ran it and its run id there. */
  key: string;
  savedAt: number;
  record: RunRecord;
  /** The zip's size (0: none saved). */
  zipBytes: number;
  /** Everything kept for it: record (as JSON), zip and loss curve (8 bytes a point). */
  sizeBytes: number;
}

/** The blobs of a saved run. */
export interface RunArtifacts {
  key: string;
  /** Member 0's SAELens folder as a zip (null: the run was replaced or failed before an export was possible). */
  zip: Uint8Array | null;
  zipName: string | null;
  loss: LossSeries;
}

interface Schema extends DBSchema {
  runs: { key: string; value: SavedRun };
  artifacts: { key: string; value: RunArtifacts };
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

/** What a run keeps: its record as JSON, its zip and its loss curve. */
export const sizeOf = (record: RunRecord, artifacts: Pick<RunArtifacts, 'zip' | 'loss'> | null): number => JSON.stringify(record).length + (artifacts?.zip?.byteLength ?? 0) + (artifacts ? lossBytes(artifacts.loss) : 0);

export interface RunStorage {
  /** Every saved run, oldest save first. */
  list(): Promise<SavedRun[]>;
  /** Saves a run's record (keeps its zip and loss curve, if any, and their sizes). */
  saveRecord(key: string, record: RunRecord): Promise<void>;
  /** Saves a run's record with its zip and loss curve, in one transaction. */
  saveRun(key: string, record: RunRecord, artifacts: Omit<RunArtifacts, 'key'>): Promise<void>;
  artifacts(key: string): Promise<RunArtifacts | null>;
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
        await tx.store.put({ key, savedAt: old?.savedAt ?? Date.now(), record, zipBytes: old?.zipBytes ?? 0, sizeBytes: JSON.stringify(record).length + blobs });
        await tx.done;
      }),
    saveRun: (key, record, artifacts) =>
      guard(`could not save run ${record.run}`, async () => {
        const tx = db.transaction(['runs', 'artifacts'], 'readwrite');
        const old = await tx.objectStore('runs').get(key);
        await tx.objectStore('artifacts').put({ key, ...artifacts });
        await tx.objectStore('runs').put({ key, savedAt: old?.savedAt ?? Date.now(), record, zipBytes: artifacts.zip?.byteLength ?? 0, sizeBytes: sizeOf(record, artifacts) });
        await tx.done;
      }),
    artifacts: (key) => guard('could not read a saved run', async () => (await db.get('artifacts', key)) ?? null),
    delete: (key) =>
      guard('could not delete a saved run', async () => {
        const tx = db.transaction(['runs', 'artifacts'], 'readwrite');
        await Promise.all([tx.objectStore('runs').delete(key), tx.objectStore('artifacts').delete(key), tx.done]);
      }),
    clear: () =>
      guard('could not delete the saved runs', async () => {
        const tx = db.transaction(['runs', 'artifacts'], 'readwrite');
        await Promise.all([tx.objectStore('runs').clear(), tx.objectStore('artifacts').clear(), tx.done]);
      }),
    close: () => db.close(),
  };
}
