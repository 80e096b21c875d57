// The app's one zustand store, made by createAppStore(workbench) with the Workbench injected (a worker
// client in the page, an in-thread engine or a fake in tests). It composes eight slices (src/ui/store/):
// draft (the experiment being edited), dataset (the picker and the loaded dataset), run (the current run,
// its controls and series), runs (every run of the session), inspector (the feature inspector), ensemble
// (ensemble results by run id), compare (the SGD vs PAM-SGD A/B) and lab (the view shown; the geometry lab, opened from a #lab link); snapshots.ts routes the engine's
// snapshots into them. In a browser with IndexedDB, src/ui/persist/ saves the runs (and checkpoints the
// training one) and restores them on reload, resumable (its storage slice says what is kept); without IndexedDB (Node, private browsing) that is a no-op. The worker owns the training and dataset state. Actions set status, await the
// workbench, and catch into `error`, `datasetError`, `inspectError`, `ensembleErrors` or `compareError`. Imports engine types, zustand, urlState.ts and the
// slices; nothing under src/ui/store imports this file back.

import { createStore } from 'zustand/vanilla';
import type { Workbench } from '../engine/api.ts';
import { createKeeper, createStorageSlice } from './persist/slice.ts';
import { attachPersistence, type KeptZip } from './persist/sync.ts';
import { createCompareSlice } from './store/compare.ts';
import { createContext, message } from './store/context.ts';
import { createDatasetSlice } from './store/dataset.ts';
import { createDraftSlice } from './store/draft.ts';
import { createEnsembleSlice } from './store/ensemble.ts';
import { DEFAULT_DRAFT, type Draft } from './store/experiment.ts';
import { createInspectorSlice } from './store/inspector.ts';
import { createLabSlice } from './store/lab.ts';
import { createRunSlice } from './store/run.ts';
import { createRunsSlice } from './store/runs.ts';
import { snapshotListener } from './store/snapshots.ts';
import type { AppState, AppStore } from './store/state.ts';
import { DEFAULT_LAB_STATE } from '../core/lab/state.ts';
import { decodeHash, decodeLabHash, viewOfHash } from './urlState.ts';

export type { AppState, AppStore };

/**
 * The store around `workbench`. Without `initial` the experiment comes from the page's URL hash (decodeHash:
 * a bad hash is reported in hashError and the defaults are used), or the defaults where there is no page.
 */
export function createAppStore(workbench: Workbench, initial?: Draft): AppStore {
  const opened = initial ? { draft: initial, error: null } : typeof location !== 'undefined' && viewOfHash(location.hash) === 'train' ? decodeHash(location.hash, DEFAULT_DRAFT) : { draft: DEFAULT_DRAFT, error: null };
  const hash = typeof location !== 'undefined' ? location.hash : '';
  const view = viewOfHash(hash);
  const lab = view === 'lab' ? decodeLabHash(hash) : { lab: DEFAULT_LAB_STATE, error: null };
  const ctx = createContext(workbench);
  const idb = typeof indexedDB !== 'undefined' ? indexedDB : null;
  const keeper = createKeeper(typeof navigator !== 'undefined' && navigator.storage ? navigator.storage : null);
  const store = createStore<AppState>()((set, get) => ({
    ...createDraftSlice(opened)(set, get),
    ...createDatasetSlice(ctx, opened.draft.dataset)(set, get),
    ...createRunSlice(ctx)(set, get),
    ...createRunsSlice()(set, get),
    ...createInspectorSlice(ctx)(set, get),
    ...createEnsembleSlice(ctx)(set, get),
    ...createCompareSlice(ctx)(set, get),
    ...createLabSlice(ctx, { view, ...lab })(set, get),
    ...createStorageSlice(keeper, idb !== null, ctx.book, 'local' in opened ? opened.local : undefined, 'saved' in opened ? opened.saved : undefined)(set, get),
  }));
  const set = store.setState;
  void workbench.onSnapshot(snapshotListener(store, ctx.book));
  void workbench.backend().then(
    (backend) => set({ backend }),
    (e: unknown) => set({ error: `the engine did not start: ${message(e)}` }),
  );
  void workbench.catalog().then(
    (catalog) => set({ catalog }),
    (e: unknown) => set({ datasetError: `the dataset catalog did not load: ${message(e)}` }),
  );
  if (idb) {
    const persist = keeper.manager ? () => navigator.storage.persist() : undefined;
    void attachPersistence(store, { factory: idb, keeper, exportZip: keptZip(workbench), checkpoint: () => workbench.checkpointRun(), persist });
  }
  void store.getState().loadChoice(); // the default dataset, so one click on Train trains on it
  if (view === 'lab') void store.getState().labOpen(); // a lab link opens the lab at once
  return store;
}

/** The zip kept for an ended run: its ensemble zip (loadEnsemble takes it back for the inspector; every member of an ensemble), else member 0's. */
const keptZip =
  (workbench: Workbench) =>
  (): Promise<KeptZip> =>
    workbench.exportEnsemble().then(
      (z) => ({ ...z, kind: 'ensemble' as const }),
      () => workbench.exportZip(0).then((z) => ({ ...z, kind: 'member' as const })),
    );
