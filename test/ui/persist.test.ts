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
import { emptyHistory } from '../../src/ui/store/series.ts';
import type { AppState } from '../../src/ui/store/state.ts';

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

/** What the storage slice reads besides PersistState (resumeSaved: stubs here; test/ui/resume.test.ts runs the real ones). */
type Persisting = PersistState & Pick<AppState, 'draft' | 'error' | 'restoreRun' | 'resumeCheckpoint' | 'loadEnsemble' | 'datasetError' | 'dataset' | 'choose' | 'setUpload' | 'setText' | 'loadChoice' | 'hashError' | 'upload' | 'text'>;

/** A store with just what persistence reads: runs, the current snapshot and series, and the storage slice. */
function fakeStore(session?: string) {
  const keeper = createKeeper();
  if (session) keeper.session = session;
  const store = createStore<Persisting>()((set, get) => ({
    runs: [],
    snapshot: null,
    loss: { steps: [], loss: [], solves: [] },
    history: emptyHistory(),
    draft: DEFAULT_DRAFT,
    error: null,
    restoreRun: () => Promise.resolve(),
    resumeCheckpoint: () => Promise.resolve(false),
    loadEnsemble: () => Promise.resolve(null),
    datasetError: null,
    dataset: null,
    choose: () => Promise.resolve(),
    setUpload: () => {},
    setText: () => {},
    loadChoice: () => Promise.resolve(),
    hashError: null,
    upload: { file: null, labels: null, tensor: '' },
    text: { text: '', site: 'resid:3' },
    ...createStorageSlice(keeper, true)(set, get),
  }));
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

const ckpt = (step: number, bytes = 300) => ({ fileName: `run-1-step-${step}.ckpt.safetensors`, step, bytes: new Uint8Array(bytes).fill(step & 255) });

describe('checkpoints in RunStorage (db.ts)', () => {
  it('one checkpoint per run, replaced; counted in the size; dropped by an ended save and by delete', async () => {
    const db = await openRunStorage(new IDBFactory());
    const history = { ...emptyHistory(), step: [5, 10], loss: [2, 1] };
    await db.saveCheckpoint('a-1', record(1, 'training'), ckpt(10, 300), { loss, history });
    await db.saveCheckpoint('a-1', record(1, 'training'), ckpt(20, 400), { loss, history });
    let [s] = await db.list();
    expect([s!.checkpointStep, s!.checkpointBytes]).toEqual([20, 400]);
    expect(s!.sizeBytes).toBe(JSON.stringify(record(1, 'training')).length + 400 + 8 * 6 + 8 * 4);
    expect((await db.checkpoint('a-1'))?.bytes[0]).toBe(20);
    expect((await db.artifacts('a-1'))?.history).toEqual(history);
    // A record update keeps the checkpoint and its size.
    await db.saveRecord('a-1', { ...record(1, 'paused'), step: 21 });
    [s] = await db.list();
    expect([s!.checkpointStep, s!.sizeBytes - JSON.stringify({ ...record(1, 'paused'), step: 21 }).length]).toEqual([20, 400 + 8 * 10]);
    // A replaced run keeps it; a finished one does not.
    await db.saveRun('a-1', record(1, 'replaced'), { zip: null, zipName: null, loss }, false);
    expect((await db.checkpoint('a-1'))?.step).toBe(20);
    await db.saveRun('a-1', record(1, 'done'), { zip: new Uint8Array(50), zipName: 'z.zip', loss }, true);
    expect(await db.checkpoint('a-1')).toBeNull();
    [s] = await db.list();
    expect([s!.checkpointBytes, s!.checkpointStep, s!.zipBytes]).toEqual([0, null, 50]);
    await db.saveCheckpoint('a-2', record(2, 'training'), ckpt(5), { loss, history });
    await db.delete('a-2');
    expect(await db.checkpoint('a-2')).toBeNull();
    await db.saveCheckpoint('a-3', record(3, 'training'), ckpt(5), { loss, history });
    await db.clear();
    expect(await db.checkpoint('a-3')).toBeNull();
    db.close();
  });

  it('a version-1 database (runs and artifacts only) is upgraded with its runs kept', async () => {
    const factory = new IDBFactory();
    const req = factory.open('old', 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore('runs', { keyPath: 'key' });
      req.result.createObjectStore('artifacts', { keyPath: 'key' });
    };
    const raw = await new Promise<IDBDatabase>((ok, bad) => {
      req.onsuccess = () => ok(req.result);
      req.onerror = () => bad(req.error);
    });
    await new Promise<void>((ok) => {
      const tx = raw.transaction('runs', 'readwrite');
      tx.objectStore('runs').put({ key: 'v1-1', savedAt: 1, record: record(1, 'training'), zipBytes: 0, sizeBytes: 100 });
      tx.oncomplete = () => ok();
    });
    raw.close();
    const db = await openRunStorage(factory, 'old');
    const [s] = await db.list();
    expect(s!.key).toBe('v1-1');
    expect(s!.checkpointBytes ?? 0).toBe(0);
    await db.saveCheckpoint('v1-1', record(1, 'training'), ckpt(7), { loss, history: emptyHistory() });
    expect((await db.checkpoint('v1-1'))?.step).toBe(7);
    db.close();
  });
});

describe('checkpointing in attachPersistence (sync.ts)', () => {
  const snap = (run: number, step: number, status: Snapshot['status']) => ({ run, step, status }) as Snapshot;

  it('checkpoints a training run at most every checkpointMs and at pause, one entry replaced; its end drops it', async () => {
    const { store, keeper } = fakeStore('c');
    const taken: number[] = [];
    let step = 0;
    const checkpoint = async () => {
      taken.push(step);
      return { run: 1, ms: 0.1, ...ckpt(step) };
    };
    await attachPersistence(store, { factory: new IDBFactory(), keeper, exportZip: async () => zipOf(1), checkpoint, checkpointMs: 40, flushMs: 5 });
    store.setState({ runs: [record(1, 'training')], snapshot: snap(1, 0, 'training') });
    const t0 = Date.now();
    while (Date.now() - t0 < 300) {
      step++;
      store.setState({ snapshot: snap(1, step, 'training'), loss: { steps: [step], loss: [1], solves: [] } });
      await new Promise((r) => setTimeout(r, 5));
    }
    await until('a checkpoint saved', () => store.getState().storage.saved[0]?.checkpointStep !== undefined && (store.getState().storage.saved[0]?.checkpointBytes ?? 0) > 0);
    // ~300 ms of snapshots every ~5 ms at one checkpoint per 40 ms: a handful, not one per snapshot.
    expect(taken.length).toBeGreaterThanOrEqual(2);
    expect(taken.length).toBeLessThanOrEqual(9);
    expect(taken[0]).toBeGreaterThan(0);
    // A pause checkpoints at once, whatever the interval.
    const n = taken.length;
    step++;
    store.setState({ runs: [record(1, 'paused')], snapshot: snap(1, step, 'paused') });
    await until('the pause checkpoint', () => store.getState().storage.saved[0]?.checkpointStep === step);
    expect(taken.length).toBe(n + 1);
    expect(store.getState().storage.lastCheckpoint).toMatchObject({ run: 1, step, bytes: 300 });
    expect(store.getState().storage.saved).toHaveLength(1);
    expect(await keeper.storage!.checkpoint('c-1')).toMatchObject({ step, fileName: `run-1-step-${step}.ckpt.safetensors` });
    // The run finishes: saved whole with its zip, its checkpoint dropped.
    store.setState({ runs: [record(1, 'done')], snapshot: snap(1, step, 'done') });
    await until('the ended save', () => store.getState().storage.saved[0]?.zipBytes === 500);
    expect(await keeper.storage!.checkpoint('c-1')).toBeNull();
    expect(store.getState().storage.saved[0]!.checkpointBytes).toBe(0);
  });

  it('a slow checkpoint spaces the next ones out (≤ 1% of the time), a refused one is not asked again', async () => {
    const { store, keeper } = fakeStore('d');
    let calls = 0;
    const checkpoint = async () => {
      calls++;
      return { run: 1, ms: 20, ...ckpt(calls) }; // the engine took 20 ms → the next no sooner than 2 s on
    };
    await attachPersistence(store, { factory: new IDBFactory(), keeper, exportZip: async () => zipOf(1), checkpoint, checkpointMs: 1, flushMs: 5 });
    store.setState({ runs: [record(1, 'training')], snapshot: snap(1, 0, 'training') });
    for (let step = 1; step < 60; step++) {
      store.setState({ snapshot: snap(1, step, 'training') });
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(calls).toBe(1);
    // Run 2 (a PAM-SGD run, say) cannot be checkpointed: asked once, then never again; training is untouched.
    let refusals = 0;
    const other = fakeStore('e');
    await attachPersistence(other.store, { factory: new IDBFactory(), keeper: other.keeper, exportZip: async () => zipOf(2), checkpoint: () => (refusals++, Promise.reject(new Error('resume is SGD-only so far'))), checkpointMs: 1, flushMs: 5 });
    other.store.setState({ runs: [record(2, 'training')], snapshot: snap(2, 0, 'training') });
    for (let step = 1; step < 30; step++) {
      other.store.setState({ snapshot: snap(2, step, 'training') });
      await new Promise((r) => setTimeout(r, 3));
    }
    expect(refusals).toBe(1);
    expect(other.store.getState().storage.message).toBeNull();
  });

  it('a full quota while checkpointing is the panel message; the runs go on', async () => {
    const { store, keeper } = fakeStore('f');
    await attachPersistence(store, { factory: new IDBFactory(), keeper, exportZip: async () => zipOf(1), checkpoint: async () => ({ run: 1, ms: 0.1, ...ckpt(3) }), flushMs: 5 });
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      store.setState({ runs: [record(1, 'training')], snapshot: snap(1, 0, 'training') });
      store.setState({ runs: [record(1, 'paused')], snapshot: snap(1, 3, 'paused') });
      await until('the checkpoint quota message', () => /checkpoint/.test(store.getState().storage.message ?? ''));
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect(store.getState().storage.message).toMatch(/^could not save run 1's checkpoint \(step 3\): the browser's storage quota is full — delete saved runs/);
    expect(store.getState().runs.map((r) => r.status)).toEqual(['paused']);
  });
});

describe('the current run\'s view after a reload (sync.ts)', () => {
  it('the latest saved run\'s loss curve and history go back on the plots until a run of this page load starts', async () => {
    const factory = new IDBFactory();
    const db = await openRunStorage(factory);
    const history = { ...emptyHistory(), step: [10], loss: [1.5] };
    await db.saveRun('p-1', record(1, 'done'), { zip: null, zipName: null, loss: { steps: [1], loss: [9], solves: [] } });
    await db.saveCheckpoint('p-2', record(2, 'training'), ckpt(10), { loss, history });
    db.close();
    const { store, keeper } = fakeStore('v');
    await attachPersistence(store, { factory, keeper, exportZip: async () => zipOf(1), flushMs: 5 });
    expect(store.getState().loss).toEqual(loss);
    expect(store.getState().history).toEqual(history);
    expect(store.getState().storage.shown).toEqual({ key: 'p-2', run: 2, step: 10, steps: 20, status: 'interrupted' });
    store.setState({ snapshot: { run: 1, step: 0, status: 'training' } as Snapshot, loss: { steps: [], loss: [], solves: [] } });
    expect(store.getState().storage.shown).toBeNull();
  });
});
