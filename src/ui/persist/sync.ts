// Keeps the runs table in this browser: attachPersistence opens the database (db.ts), puts the runs of
// earlier page loads back into the runs table (a run saved while training or paused comes back
// 'interrupted', resumable from its checkpoint: slice.ts resumeSaved) with the latest one's loss curve and
// metric history on the plots, asks once for persistent storage,
// then follows the store: a changed run record is saved at most every `flushMs`; the current run's training
// state is checkpointed while it trains (at most every `checkpointMs`, and never more often than 100× the
// engine's time for the last one, so checkpoints hold training up ≤ 1% of the time) and when it pauses, one checkpoint per
// run, replaced; a run that ends ('done' —
// finished or stopped —, 'lost', 'error', or 'replaced' by a later run) is saved with its zip (every
// member's SAELens folder and ensemble.json, when it is still the engine's current run), its loss curve and metric history, and its checkpoint
// is dropped unless it was replaced (a replaced run may still be resumed). Saves run one at a time, in order;
// a failure (a full quota) becomes the storage panel's message and the app, and training, go on. The store slices stay
// the only owners of state: this only reads the store and calls its storage slice. Imports db.ts,
// slice.ts, the store's modules and types; never src/engine values.

import type { StoreApi } from 'zustand/vanilla';
import type { RunCheckpoint, RunZip } from '../../engine/api.ts';

/** A zip kept for an ended run: its ensemble zip (every member and ensemble.json; loadEnsemble takes it back), or member 0's SAELens zip. */
export type KeptZip = Pick<RunZip, 'run' | 'fileName' | 'bytes'> & { kind?: 'ensemble' | 'member' };
import { serial } from '../store/context.ts';
import type { RunSlice } from '../store/run.ts';
import type { RunRecord, RunRecordStatus, RunsSlice } from '../store/runs.ts';
import { emptyHistory, type LossSeries, type MetricHistory } from '../store/series.ts';
import { openRunStorage, storageError, type RunStorage, type SavedRun } from './db.ts';
import { keyOf, RESUMABLE, type Keeper, type StorageSlice } from './slice.ts';
import type { DatasetSlice } from '../store/dataset.ts';
import { fileFingerprint, fingerprintParam, KEEP_DATA_BYTES, textFingerprint } from './fingerprint.ts';

/** What persistence reads of the store and writes through it. */
export type PersistState = Pick<RunsSlice, 'runs'> & Pick<RunSlice, 'snapshot' | 'loss' | 'history'> & Pick<DatasetSlice, 'dataset' | 'upload' | 'text'> & StorageSlice;

/** A training run is checkpointed at most this often by default (ms): a reload loses at most this much training. */
export const CHECKPOINT_MS = 10_000;
/** Checkpoints take at most 1/CHECKPOINT_COST_SHARE of the time between them (a big SAE's state takes longer to read). */
const CHECKPOINT_COST_SHARE = 100;

export interface PersistOptions {
  factory: IDBFactory;
  keeper: Keeper;
  /** The current run's zip to keep once it ends (store.ts: Workbench.exportEnsemble, else exportZip(0)). */
  exportZip(): Promise<KeptZip>;
  /** navigator.storage.persist, asked once. */
  persist?: () => Promise<boolean>;
  /** The current run's training state (Workbench.checkpointRun); without it nothing is checkpointed. */
  checkpoint?(): Promise<RunCheckpoint>;
  /** A training run is checkpointed at most this often (default CHECKPOINT_MS); a pause checkpoints at once. */
  checkpointMs?: number;
  /** Hot records (a training run's ~2 Hz updates) are saved at most this often. */
  flushMs?: number;
  dbName?: string;
}

/** The statuses a run ends in: it is saved whole (zip and loss curve) when it reaches one. */
const ENDED = new Set<RunRecordStatus>(['done', 'stopped', 'lost', 'error', 'replaced']);
/** Ended runs that can still be exported (the engine keeps the current run's weights). */
const EXPORTABLE = new Set<RunRecordStatus>(['done', 'stopped', 'lost']);
const noLoss = (): LossSeries => ({ steps: [], loss: [], solves: [] });

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
  // The current run's view: the latest saved run's loss curve and metric history back on the plots.
  const last = store.getState().runs.filter((r) => r.saved).at(-1);
  if (last?.saved && !store.getState().snapshot) {
    const art = await storage.artifacts(last.saved.key).catch(() => null);
    if (art && !store.getState().snapshot && store.getState().loss.steps.length === 0) {
      store.setState({ loss: art.loss, history: art.history ?? emptyHistory() });
      patch({ shown: { key: last.saved.key, run: last.saved.run, step: last.step, steps: last.steps, status: last.status } });
    }
  }
  patch({ mode: 'on' });
  void restorePending(store, storage);
  void openLinked(store);
  if (opts.persist) void opts.persist().then((persisted) => patch({ persisted }), () => patch({ persisted: false }));
  void store.getState().refreshStorage();

  const dirty = new Map<number, RunRecord>();
  /** The last loss curve and history of each run not saved whole yet (a replaced run's series leaves the store). */
  const losses = new Map<number, LossSeries>();
  const histories = new Map<number, MetricHistory>();
  const seriesOf = (run: number): { loss: LossSeries; history: MetricHistory } => {
    const now = store.getState();
    return now.snapshot?.run === run ? { loss: now.loss, history: now.history } : { loss: losses.get(run) ?? noLoss(), history: histories.get(run) ?? emptyHistory() };
  };
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
      let zip: KeptZip | null = null;
      if (current && EXPORTABLE.has(r.status)) {
        zip = await opts.exportZip().catch(() => null);
        if (zip && zip.run !== r.run) zip = null; // a later run started meanwhile
      }
      const latest = store.getState().runs.find((x) => x.run === r.run) ?? r;
      let series = seriesOf(r.run);
      // A saved run opened again (slice.ts openSaved) may end before its series is back on the plots: keep the saved one.
      if (series.loss.steps.length === 0 && series.history.step.length === 0) {
        const kept = await storage.artifacts(key).catch(() => null);
        if (kept) series = { loss: kept.loss, history: kept.history ?? emptyHistory() };
      }
      try {
        await storage.saveRun(key, latest, { zip: zip ? zip.bytes : null, zipName: zip?.fileName ?? null, zipKind: zip?.kind ?? 'member', ...series }, !RESUMABLE.has(latest.status));
        losses.delete(r.run);
        histories.delete(r.run);
      } catch (e) {
        return fail(e, `could not save run ${r.run}`);
      }
      await store.getState().refreshStorage();
    });
  };

  // Checkpoints of the current run: one in flight at a time, through the same queue as every save.
  const ck = { run: 0, lastAt: 0, step: -1, costMs: 0, busy: false, refused: new Set<number>() };
  const checkpointDue = (s: PersistState, prev: PersistState): boolean => {
    const snap = s.snapshot;
    if (!opts.checkpoint || !snap || snap.run <= 0 || ck.busy || ck.refused.has(snap.run)) return false;
    const now = performance.now();
    // A new run: its first checkpoint one interval on (its state now is step 0, or the checkpoint it resumed).
    if (ck.run !== snap.run) Object.assign(ck, { run: snap.run, lastAt: now, step: snap.step });
    if (snap.step === ck.step || snap.step === 0) return false;
    if (snap.status === 'paused') return prev.snapshot?.status !== 'paused' || prev.snapshot.run !== snap.run || prev.snapshot.step !== snap.step;
    return snap.status === 'training' && now - ck.lastAt >= Math.max(opts.checkpointMs ?? CHECKPOINT_MS, CHECKPOINT_COST_SHARE * ck.costMs);
  };
  const takeCheckpoint = (run: number): void => {
    const take = opts.checkpoint!;
    ck.busy = true;
    ck.lastAt = performance.now();
    void queue.run(async () => {
      try {
        const t0 = performance.now();
        let c: RunCheckpoint;
        try {
          c = await take();
        } catch {
          ck.refused.add(run); // PAM-SGD, boosting, or the run ended meanwhile: nothing to resume from
          return;
        }
        // The engine's own time is what training waited for; the round trip also waits for the loop to yield.
        const roundTripMs = performance.now() - t0;
        Object.assign(ck, { costMs: c.ms, step: c.step, lastAt: performance.now() });
        const rec = store.getState().runs.find((x) => x.run === run);
        // Ended meanwhile (its end is saved whole, without a checkpoint), or a later run's state.
        if (c.run !== run || !rec || !RESUMABLE.has(rec.status)) return;
        const key = keyOf(keeper.session, rec);
        if (keeper.forgotten.has(key)) return;
        try {
          await storage.saveCheckpoint(key, rec, { fileName: c.fileName, step: c.step, bytes: c.bytes }, seriesOf(run));
        } catch (e) {
          return fail(e, `could not save run ${run}'s checkpoint`);
        }
        patch({ lastCheckpoint: { run, step: c.step, bytes: c.bytes.byteLength, ms: c.ms, roundTripMs, saveMs: performance.now() - t0 - roundTripMs } });
        await store.getState().refreshStorage();
      } finally {
        ck.busy = false;
      }
    });
  };

  /** An upload or pasted text just loaded: its fingerprint for links, and the data itself when small (KEEP_DATA_BYTES). */
  const keepDataset = (s: PersistState): void => {
    const info = s.dataset;
    if (!info || !/^(upload|text):/.test(info.id)) return;
    const file = info.id.startsWith('upload:') ? s.upload.file : null;
    const text = info.id.startsWith('text:') ? s.text.text : null;
    if (!file && text === null) return;
    const tensor = file ? s.upload.tensor.trim() : '';
    void (async () => {
      try {
        const fingerprint = file ? await fileFingerprint(file, file.name) : await textFingerprint(text!);
        if (store.getState().dataset?.id === info.id) patch({ current: { id: info.id, param: fingerprintParam(fingerprint) } });
        const keep = fingerprint.bytes <= KEEP_DATA_BYTES;
        const data = !keep ? null : file ? { bytes: new Uint8Array(await file.arrayBuffer()), text: null } : { bytes: null, text };
        await queue.run(async () => {
          try {
            await storage.saveDataset({ id: info.id, fingerprint, tensor, savedAt: Date.now() }, data);
          } catch (e) {
            return fail(e, `could not keep ${info.id}`);
          }
          await store.getState().refreshStorage();
        });
      } catch (e) {
        fail(e, `could not fingerprint ${info.id}`);
      }
    })();
  };

  const unsubscribe = store.subscribe((s, prev) => {
    if (s.dataset !== prev.dataset) {
      if (s.storage.current && s.storage.current.id !== s.dataset?.id) patch({ current: null });
      keepDataset(s);
    }
    if (s.snapshot && s.snapshot.run > 0 && s.loss !== prev.loss) losses.set(s.snapshot.run, s.loss);
    if (s.snapshot && s.snapshot.run > 0 && s.history !== prev.history) histories.set(s.snapshot.run, s.history);
    if (s.snapshot !== prev.snapshot && checkpointDue(s, prev)) takeCheckpoint(s.snapshot!.run);
    // A run of this page load (or a reset) replaced the saved run's series on the plots.
    if (s.storage.shown && (s.snapshot !== prev.snapshot || s.loss !== prev.loss)) patch({ shown: null });
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

/**
 * The link's upload or pasted text, when this browser kept it: loaded again without asking (if the link's
 * fingerprint, when it has one, is the kept data's); when only its fingerprint is kept, the request for the file
 * learns its size and hash. Otherwise the request stays as it is (AskForData.tsx asks).
 */
async function restorePending(store: StoreApi<PersistState>, storage: RunStorage): Promise<void> {
  const p = store.getState().storage.pending;
  if (!p) return;
  const kept = (await storage.listDatasets().catch(() => [])).find((d) => d.id === p.id && (p.kind === 'upload' ? d.fingerprint.name === p.name : true));
  if (!kept || (p.fingerprint && (p.fingerprint.sha256 !== kept.fingerprint.sha256 || p.fingerprint.bytes !== kept.fingerprint.bytes))) return;
  const fingerprint = { bytes: kept.fingerprint.bytes, sha256: kept.fingerprint.sha256 };
  const set = (patch: Partial<NonNullable<PersistState['storage']['pending']>>): void => {
    const now = store.getState().storage.pending;
    if (now?.id === p.id) store.setState({ storage: { ...store.getState().storage, pending: { ...now, ...patch } } });
  };
  set({ fingerprint });
  if (kept.keptBytes === 0) return;
  const data = await storage.datasetData(p.id).catch(() => null);
  if (!data) return;
  const input = data.text ?? (data.bytes ? new File([new Uint8Array(data.bytes)], kept.fingerprint.name) : null);
  if (input !== null) await store.getState().provideData(input);
}

/** The saved run a link points to (`saved=<key>`): opened again when its SAE is kept; otherwise the panel says what there is. */
async function openLinked(store: StoreApi<PersistState>): Promise<void> {
  const key = store.getState().storage.linked;
  if (!key) return;
  const patch = (p: Partial<PersistState['storage']>): void => store.setState({ storage: { ...store.getState().storage, ...p } });
  patch({ linked: null });
  const row = store.getState().runs.find((r) => r.saved?.key === key);
  const entry = (await store.getState().refreshStorage().then(() => store.getState().storage.saved)).find((s) => s.key === key);
  if (!row || !entry) return patch({ message: `the link points to saved run ${key}, which is not kept in this browser (deleted, or saved in another browser): its settings are in the form, train it again` });
  if (entry.zipKind === 'ensemble' && entry.zipBytes > 0) await store.getState().openSaved(key);
  else if ((entry.checkpointBytes ?? 0) > 0) patch({ message: `the link points to saved run ${entry.record.saved?.run ?? entry.record.run}, interrupted at step ${entry.checkpointStep}: press its resume button in the runs table to continue it` });
}