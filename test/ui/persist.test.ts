// The persistence module (src/ui/persist/) against fake-indexeddb: saving, listing, restoring a saved
// run's zip and loss curve, deleting, a full quota as a message that says what to do, and the sync with a
// store: a run saved while training comes back 'interrupted' in a new page load, a run that ends is saved
// with its zip. Node only; no engine (the zip comes from a stub exportZip).
import { IDBCursor, IDBCursorWithValue, IDBDatabase, IDBFactory, IDBIndex, IDBObjectStore, IDBRequest, IDBTransaction } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import type { RunZip, Snapshot } from '../../src/engine/api.ts';
import { openRunStorage, StorageError } from '../../src/ui/persist/db.ts';
import { createKeeper, createStorageSlice, keyOf } from '../../src/ui/persist/slice.ts';
import { attachPersistence, type PersistState } from '../../src/ui/persist/sync.ts';
import { DEFAULT_DRAFT } from '../../src/ui/store/experiment.ts';
import type { RunRecord } from '../../src/ui/store/runs.ts';

// idb tells requests from values by these classes (as a page has them); `indexedDB` itself stays undefined.
Object.assign(globalThis, { IDBCursor, IDBCursorWithValue, IDBDatabase, IDBIndex, IDBObjectStore, IDBRequest, IDBTransaction });

const record = (run: number, status: RunRecord['status']): RunRecord => ({ run, draft: DEFAULT_DRAFT, seeds: [0], status, step: 10, steps: 20, backend: 'cpu', metrics: { loss: 1, mse: 1, explainedVariance: 0.5, l0: 4, deadFraction: 0, denseFraction: null } });
const loss = { steps: [1, 2, 3], loss: [3, 2, 1], solves: [] };

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('RunStorage (db.ts)', () => {
  it('saves, lists, restores, deletes', async () => {
    const db = await openRunStorage(new IDBFactory());
    await db.saveRecord('a-1', record(1, 'training'));
    await db.saveRun('a-2', record(2, 'done'), { zip: new Uint8Array(1000), zipName: 'x.zip', loss });
    let list = await db.list();
    expect(list.map((s) => s.key)).toEqual(['a-1', 'a-2']);
    expect(list[1]!.zipBytes).toBe(1000);
    expect(list[1]!.sizeBytes).toBeGreaterThan(1000 + 48);
    // A later record update keeps the zip and its size.
    await db.saveRecord('a-2', { ...record(2, 'done'), step: 20 });
    list = await db.list();
    expect(list[1]!.record.step).toBe(20);
    expect(list[1]!.zipBytes).toBe(1000);
    const art = await db.artifacts('a-2');
    expect(art?.zip?.byteLength).toBe(1000);
    expect(art?.loss).toEqual(loss);
    expect(await db.artifacts('a-1')).toBeNull();
    await db.delete('a-2');
    expect((await db.list()).map((s) => s.key)).toEqual(['a-1']);
    await db.clear();
    expect(await db.list()).toEqual([]);
    db.close();
  });

  it('a full quota is a StorageError that says what to do', async () => {
    const factory = new IDBFactory();
    const db = await openRunStorage(factory);
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      const err = await db.saveRun('a-1', record(1, 'done'), { zip: new Uint8Array(10), zipName: 'x.zip', loss }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).kind).toBe('quota');
      expect((err as StorageError).message).toMatch(/quota is full — delete saved runs/);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect(await db.list()).toEqual([]);
  });
});

/** A store with just what persistence reads: runs, the current snapshot and loss curve, and the storage slice. */
function fakeStore(session?: string) {
  const keeper = createKeeper();
  if (session) keeper.session = session;
  const store = createStore<PersistState>()((set, get) => ({ runs: [], snapshot: null, loss: { steps: [], loss: [], solves: [] }, ...createStorageSlice(keeper, true)(set, get) }));
  return { store, keeper };
}
const zipOf = (run: number): RunZip => ({ run, member: 0, seed: 0, step: 20, weightsSource: 'final' as RunZip['weightsSource'], folder: 'sae', fileName: 'sae.zip', bytes: new Uint8Array(500) });

describe('attachPersistence (sync.ts)', () => {
  it('saves records and ended runs, restores them in the next page load, deletes', async () => {
    const factory = new IDBFactory();
    const first = fakeStore('s1');
    const stop = await attachPersistence(first.store, { factory, keeper: first.keeper, exportZip: async () => zipOf(2), flushMs: 5 });
    first.store.setState({ runs: [record(1, 'training')] });
    await until('run 1 saved', () => first.store.getState().storage.saved.length === 1);
    // Run 2 replaces run 1 and finishes: run 1 saved 'replaced' with its loss curve, run 2 with its zip.
    first.store.setState({ loss, snapshot: { run: 1 } as Snapshot });
    first.store.setState({ runs: [record(1, 'replaced'), record(2, 'training')], snapshot: { run: 2 } as Snapshot, loss: { steps: [], loss: [], solves: [] } });
    first.store.setState({ runs: [record(1, 'replaced'), record(2, 'done')], loss });
    await until('run 2 saved with its zip', () => first.store.getState().storage.saved.some((s) => s.key === 's1-2' && s.zipBytes === 500));
    expect((await first.store.getState().savedArtifacts('s1-1'))?.loss).toEqual(loss);
    first.store.setState({ runs: [record(1, 'replaced'), record(2, 'done'), record(3, 'training')] });
    await until('run 3 saved', () => first.store.getState().storage.saved.length === 3);
    stop();
    first.keeper.storage?.close();

    // The next page load: three rows before its own, run 3 'interrupted'.
    const next = fakeStore('s2');
    await attachPersistence(next.store, { factory, keeper: next.keeper, exportZip: () => Promise.reject(new Error('no run')), flushMs: 5 });
    const rows = next.store.getState().runs;
    expect(rows.map((r) => [r.run, r.status, r.saved?.run])).toEqual([
      [-3, 'replaced', 1],
      [-2, 'done', 2],
      [-1, 'interrupted', 3],
    ]);
    const art = await next.store.getState().savedArtifacts(keyOf('s2', rows[1]!));
    expect(art?.zip?.byteLength).toBe(500);
    expect(art?.zipName).toBe('sae.zip');
    await next.store.getState().deleteSaved('s1-1');
    expect(next.store.getState().runs.map((r) => r.run)).toEqual([-2, -1]);
    expect(next.store.getState().storage.saved.map((s) => s.key)).toEqual(['s1-2', 's1-3']);
    await next.store.getState().deleteAllSaved();
    expect(next.store.getState().runs).toEqual([]);
    expect(next.store.getState().storage.saved).toEqual([]);
    expect(next.store.getState().storage.message).toBeNull();
  });

  it('a full quota while saving is the panel message; the runs table is untouched', async () => {
    const { store, keeper } = fakeStore('q');
    await attachPersistence(store, { factory: new IDBFactory(), keeper, exportZip: async () => zipOf(1), flushMs: 5 });
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      store.setState({ runs: [record(1, 'done')], snapshot: { run: 1 } as Snapshot, loss });
      await until('the quota message', () => store.getState().storage.message !== null);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect(store.getState().storage.message).toBe("could not save run 1: the browser's storage quota is full — delete saved runs in the storage panel (or free space in the browser) to keep saving");
    expect(store.getState().runs.map((r) => r.status)).toEqual(['done']);
    expect(store.getState().storage.mode).toBe('on');
  });

  it('storage that will not open turns saving off with a message, and the store is untouched', async () => {
    const broken = { open: () => { throw new DOMException('denied', 'SecurityError'); } } as unknown as IDBFactory;
    const { store, keeper } = fakeStore();
    await attachPersistence(store, { factory: broken, keeper, exportZip: async () => zipOf(1) });
    expect(store.getState().storage.mode).toBe('off');
    expect(store.getState().storage.message).toMatch(/IndexedDB is not usable here/);
    store.setState({ runs: [record(1, 'done')] });
    await store.getState().deleteAllSaved();
    expect(store.getState().runs).toHaveLength(1);
  });
});
