// Resume after a reload, through the app's store (issue #13 item 1): the store with an in-thread engine on the
// CPU reference and fake-indexeddb as the page's IndexedDB. A run stepped to 25 of 60 and paused is
// checkpointed; a second store ("the reload") over the same database shows it 'interrupted' with its
// checkpoint, resumeSaved continues it from step 25 in a fresh engine to 60, and its SAE equals an
// uninterrupted 60-step run's byte for byte; the resumed run takes the saved run's row and storage entry (one
// row, one entry, its checkpoint dropped at the end), and its loss curve and history carry the first 25 steps;
// after one more reload the finished run opens again (its saved ensemble zip through loadEnsemble): inspector,
// plots and the same weights; and a link with `saved=<key>` opens it by itself.
import { IDBCursor, IDBCursorWithValue, IDBDatabase, IDBFactory, IDBIndex, IDBObjectStore, IDBRequest, IDBTransaction } from 'fake-indexeddb';
import { afterAll, describe, expect, it } from 'vitest';
import { unzipMember } from '../../src/core/formats/inflate.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';
import { createAppStore, type AppStore } from '../../src/ui/store.ts';
import { DEFAULT_DRAFT, type Draft } from '../../src/ui/store/experiment.ts';
import { decodeHash, encodeHash } from '../../src/ui/urlState.ts';

const factory = new IDBFactory();
// The page's IndexedDB (createAppStore looks for `indexedDB`) and the classes idb tells requests by.
Object.assign(globalThis, { indexedDB: factory, IDBCursor, IDBCursorWithValue, IDBDatabase, IDBIndex, IDBObjectStore, IDBRequest, IDBTransaction });
afterAll(() => {
  delete (globalThis as { indexedDB?: unknown }).indexedDB;
});

const DRAFT: Draft = { ...DEFAULT_DRAFT, dataset: 'synthetic:small:3', dSae: 32, k: 4, batch: 32, steps: 60, seed: 2 };

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const weightsOf = async (store: AppStore): Promise<Uint8Array> => {
  const zip = await store.getState().exportZip();
  expect(zip).not.toBeNull();
  return unzipMember(zip!.bytes, 'export.zip', `${zip!.folder}/sae_weights.safetensors`);
};

describe('resume after a reload (store + engine + IndexedDB)', () => {
  it('a paused run comes back interrupted and resumes to the uninterrupted result', { timeout: 120_000 }, async () => {
    const whole = createAppStore(createWorkbench(), DRAFT);
    await until('storage on (uninterrupted)', () => whole.getState().storage.mode === 'on');
    await until('the dataset (uninterrupted)', () => whole.getState().dataset !== null);
    await whole.getState().train();
    await until('the uninterrupted run', () => whole.getState().status === 'done');
    const want = await weightsOf(whole);
    await whole.getState().deleteAllSaved();

    const first = createAppStore(createWorkbench(), DRAFT);
    await until('storage on', () => first.getState().storage.mode === 'on');
    await until('the dataset', () => first.getState().dataset !== null);
    await first.getState().step(25);
    await until('the pause checkpoint', () => first.getState().storage.saved.some((s) => s.checkpointStep === 25));
    const [entry] = first.getState().storage.saved;
    // At least the encoder and decoder with Adam's two moments each (float32, [dSae, dIn]).
    expect(entry!.checkpointBytes).toBeGreaterThan(4 * 6 * 32 * first.getState().dataset!.dIn);
    expect(entry!.sizeBytes).toBeGreaterThan(entry!.checkpointBytes!);
    expect(first.getState().storage.lastCheckpoint).toMatchObject({ step: 25 });

    // The reload: a new page load's store over the same database, its engine knows nothing.
    const next = createAppStore(createWorkbench(), DEFAULT_DRAFT);
    await until('the saved run back', () => next.getState().runs.length === 1 && next.getState().storage.saved.length === 1);
    const row = next.getState().runs[0]!;
    expect([row.run, row.status, row.step, row.saved?.key]).toEqual([-1, 'interrupted', 25, entry!.key]);
    expect(await next.getState().resumeSaved(entry!.key)).toBe(true);
    expect(next.getState().draft.dataset).toBe(DRAFT.dataset);
    await until('the resumed run to finish', () => next.getState().status === 'done');
    expect(next.getState().error).toBeNull();
    const got = await weightsOf(next);
    expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);

    // It took the saved run's place: one row (the new run, resumed from 25), one storage entry, no checkpoint left.
    await until('saved whole', () => next.getState().storage.saved[0]?.zipBytes !== 0 && next.getState().storage.saved[0]?.record.status === 'done');
    const runs = next.getState().runs;
    expect(runs.map((r) => [r.run, r.status, r.step, r.resumed])).toEqual([[1, 'done', 60, { key: entry!.key, fromStep: 25 }]]);
    expect(next.getState().storage.saved.map((s) => [s.key, s.checkpointBytes])).toEqual([[entry!.key, 0]]);
    // The plots carry the whole run: steps 1..60 once each, the history through the checkpoint and after it.
    expect(next.getState().loss.steps).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const h = next.getState().history.step;
    expect(h[0]).toBeLessThanOrEqual(25);
    expect(h.at(-1)).toBe(60);
    expect([...h].sort((a, b) => a - b)).toEqual(h);
    expect(next.getState().storage.saved[0]!.zipKind).toBe('ensemble');

    // Another reload: the finished run opens again as the current run, inspectable, with its plots and weights.
    const third = createAppStore(createWorkbench(), DEFAULT_DRAFT);
    await until('the finished run back', () => third.getState().runs.length === 1 && third.getState().storage.saved.length === 1);
    expect(third.getState().storage.shown).toMatchObject({ key: entry!.key, step: 60, status: 'done' });
    expect(third.getState().loss.steps).toHaveLength(60);
    expect(await third.getState().openSaved(entry!.key)).toBe(true);
    await until('the inspector', () => third.getState().inspection !== null, 30_000);
    expect(third.getState().inspection!.table.length).toBe(32);
    expect(third.getState().runs.map((r) => [r.run, r.status, r.resumed?.key])).toEqual([[1, 'done', entry!.key]]);
    expect(third.getState().loss.steps).toHaveLength(60);
    expect(Buffer.from(await weightsOf(third)).equals(Buffer.from(want))).toBe(true);
    await until('saved again under its key', () => third.getState().storage.saved.length === 1 && third.getState().storage.saved[0]!.record.run === 1 && third.getState().storage.saved[0]!.savedAt === entry!.savedAt);
    expect((await third.getState().savedArtifacts(entry!.key))?.loss.steps).toHaveLength(60);

    // A link to it (`saved=<key>`, as the page's hash carries it while it is on screen) opens it by itself.
    Object.assign(globalThis, { location: { hash: `#${encodeHash(DRAFT, DEFAULT_DRAFT, null, entry!.key)}` } });
    try {
      const linked = createAppStore(createWorkbench());
      await until('the linked run opened', () => linked.getState().inspection !== null && linked.getState().runs[0]?.resumed?.key === entry!.key, 30_000);
      expect(linked.getState().storage.linked).toBeNull();
      expect(Buffer.from(await weightsOf(linked)).equals(Buffer.from(want))).toBe(true);
    } finally {
      delete (globalThis as { location?: unknown }).location;
    }
    const gone = decodeHash('#saved=nope-x', DEFAULT_DRAFT);
    expect(gone.error).toMatch(/saved "nope-x" is not a saved run's key/);
  });

  it('a saved run without a checkpoint says why it cannot resume; an upload asks for its file again', { timeout: 60_000 }, async () => {
    const store = createAppStore(createWorkbench(), DEFAULT_DRAFT);
    await until('storage on', () => store.getState().storage.mode === 'on');
    await store.getState().deleteAllSaved();
    const storage = (await import('../../src/ui/persist/db.ts')).openRunStorage;
    const db = await storage(factory);
    const rec = { run: 4, draft: { ...DRAFT, dataset: 'upload:acts.npy' }, seeds: [2], status: 'training' as const, step: 9, steps: 60, backend: 'cpu', metrics: null };
    await db.saveRecord('x-4', rec);
    await db.saveCheckpoint('x-5', { ...rec, run: 5 }, { fileName: 'run-5-step-9.ckpt.safetensors', step: 9, bytes: new Uint8Array(8) }, { loss: { steps: [], loss: [], solves: [] } });
    db.close();
    const again = createAppStore(createWorkbench(), DEFAULT_DRAFT);
    await until('both rows', () => again.getState().runs.length === 2);
    expect(await again.getState().resumeSaved('x-4')).toBe(false);
    expect(again.getState().error).toMatch(/run 4 has no saved checkpoint to resume from/);
    expect(await again.getState().resumeSaved('x-5')).toBe(false);
    expect(again.getState().datasetError).toMatch(/run -1 trained on upload:acts\.npy .*load that data again/);
    expect(again.getState().runs).toHaveLength(2);
  });
});
