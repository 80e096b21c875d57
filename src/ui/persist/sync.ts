// Keeps the runs table in this browser: attachPersistence opens the database (db.ts), puts the runs of
// earlier page loads back into the runs table (a run saved while training or paused comes back
// 'interrupted'; resuming it from a checkpoint is not implemented), asks once for persistent storage, then
// follows the store: a changed run record is saved at most every `flushMs`, and a run that ends ('done' —
// finished or stopped —, 'lost', 'error', or 'replaced' by a later run) is saved with member 0's SAELens
// zip (when it is still the engine's current run) and its loss curve. Saves run one at a time, in order;
// a failure (a full quota) becomes the storage panel's message and the app goes on. The store slices stay
// the only owners of state: this only reads the store and calls its storage slice. Imports db.ts,
// slice.ts, the store's modules and types; never src/engine values.

import type { StoreApi } from 'zustand/vanilla';
import type { RunZip } from '../../engine/api.ts';
import { serial } from '../store/context.ts';
import type { RunSlice } from '../store/run.ts';
import type { RunRecord, RunRecordStatus, RunsSlice } from '../store/runs.ts';
import type { LossSeries } from '../store/series.ts';
import { openRunStorage, storageError, type RunStorage, type SavedRun } from './db.ts';
import { keyOf, type Keeper, type StorageSlice } from './slice.ts';

/** What persistence reads of the store and writes through it. */
export type PersistState = Pick<RunsSlice, 'runs'> & Pick<RunSlice, 'snapshot' | 'loss'> & StorageSlice;

export interface PersistOptions {
  factory: IDBFactory;
  keeper: Keeper;
  /** The current run's member zip (Workbench.exportZip). */
  exportZip(member: number): Promise<RunZip>;
  /** navigator.storage.persist, asked once. */
  persist?: () => Promise<boolean>;
  /** Hot records (a training run's ~2 Hz updates) are saved at most this often. */
  flushMs?: number;
  dbName?: string;
}

/** The statuses a run ends in: it is saved whole (zip and loss curve) when it reaches one. */
const ENDED = new Set<RunRecordStatus>(['done', 'stopped', 'lost', 'error', 'replaced']);
/** Ended runs that can still be exported (the engine keeps the current run's weights). */
const EXPORTABLE = new Set<RunRecordStatus>(['done', 'stopped', 'lost']);

/** The runs table row of a run saved in an earlier page load, numbered `run` (negative) here. */
export function restoredRecord(s: SavedRun, run: number): RunRecord {
  const status = s.record.status === 'training' || s.record.status === 'paused' ? 'interrupted' : s.record.status;
  return { ...s.record, run, status, saved: { key: s.key, run: s.record.saved?.run ?? s.record.run, savedAt: s.savedAt } };
}

/** Opens storage and follows `store`; resolves to an unsubscribe (a no-op when storage could not open). */
export async function attachPersistence(store: StoreApi<PersistState>, opts: PersistOptions): Promise<() => void> {
  const { keeper } = opts;
  const patch = (p: Partial<PersistState['storage']>): void => store.setState({ storage: { ...store.getState().storage, ...p } });
  let storage: RunStorage;
  try {
    storage = await openRunStorage(opts.factory, opts.dbName);
  } catch (e) {
    patch({ mode: 'off', message: storageError(e, 'saving runs is off').message });
    return () => {};
  }
  keeper.storage = storage;
  const queue = serial();
  const fail = (e: unknown, what: string): void => patch({ message: storageError(e, what).message });

  // The runs of earlier page loads, oldest first, numbered -n … -1 before this page load's runs.
  try {
    const saved = await storage.list();
    const restored = saved.map((s, i) => restoredRecord(s, i - saved.length));
    // Saved as interrupted too, so that the next page load does not take it for a run still training.
    for (const [i, r] of restored.entries()) if (r.status === 'interrupted') void queue.run(() => storage.saveRecord(saved[i]!.key, { ...saved[i]!.record, status: 'interrupted' }).catch((e: unknown) => fail(e, 'could not mark an interrupted run')));
    if (restored.length > 0) store.setState({ runs: [...restored, ...store.getState().runs.filter((r) => !r.saved)] });
  } catch (e) {
    fail(e, 'could not restore the saved runs');
  }
  patch({ mode: 'on' });
  if (opts.persist) void opts.persist().then((persisted) => patch({ persisted }), () => patch({ persisted: false }));
  void store.getState().refreshStorage();

  const dirty = new Map<number, RunRecord>();
  /** The last loss curve of each run not saved whole yet (a replaced run's series leaves the store). */
  const losses = new Map<number, LossSeries>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    timer = null;
    const batch = [...dirty.values()];
    dirty.clear();
    void queue.run(async () => {
      for (const r of batch) {
        const key = keyOf(keeper.session, r);
        if (keeper.forgotten.has(key)) continue;
        try {
          await storage.saveRecord(key, r);
        } catch (e) {
          return fail(e, `could not save run ${r.run}`);
        }
      }
      await store.getState().refreshStorage();
    });
  };
  const saveEnded = (r: RunRecord): void => {
    void queue.run(async () => {
      const key = keyOf(keeper.session, r);
      if (keeper.forgotten.has(key)) return;
      const s = store.getState();
      const current = s.snapshot?.run === r.run;
      let zip: RunZip | null = null;
      if (current && EXPORTABLE.has(r.status)) {
        zip = await opts.exportZip(0).catch(() => null);
        if (zip && zip.run !== r.run) zip = null; // a later run started meanwhile
      }
      const now = store.getState();
      const loss = now.snapshot?.run === r.run ? now.loss : (losses.get(r.run) ?? { steps: [], loss: [], solves: [] });
      const latest = now.runs.find((x) => x.run === r.run) ?? r;
      try {
        await storage.saveRun(key, latest, { zip: zip ? zip.bytes : null, zipName: zip?.fileName ?? null, loss });
        losses.delete(r.run);
      } catch (e) {
        return fail(e, `could not save run ${r.run}`);
      }
      await store.getState().refreshStorage();
    });
  };
  const unsubscribe = store.subscribe((s, prev) => {
    if (s.snapshot && s.snapshot.run > 0 && s.loss !== prev.loss) losses.set(s.snapshot.run, s.loss);
    if (s.runs === prev.runs) return;
    for (const r of s.runs) {
      if (r.run <= 0 || r.saved) continue;
      const old = prev.runs.find((p) => p.run === r.run);
      if (old === r) continue;
      if (ENDED.has(r.status) && r.status !== old?.status) {
        dirty.delete(r.run);
        saveEnded(r);
      } else {
        dirty.set(r.run, r);
        timer ??= setTimeout(flush, opts.flushMs ?? 1000);
      }
    }
  });
  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
}
