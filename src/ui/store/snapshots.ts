// The snapshot channel into the store: each Snapshot from the engine updates the runs table (runs.ts),
// the dataset load's and the trainer comparison's progress, and the current run's snapshot, status and
// series (series.ts); a new run clears the inspector, the export and the views' members; a run that pauses
// or finishes refreshes the inspector (never every snapshot). Late snapshots of replaced or reset runs are
// dropped (their comparison progress is still current). Imports the
// store's modules only (never store.ts, which wires this listener).

import type { Snapshot } from '../../engine/api.ts';
import type { RunBook } from './context.ts';
import { recordRun } from './runs.ts';
import { emptySeries, seriesAfter } from './series.ts';
import type { AppStore } from './state.ts';

export function snapshotListener(store: AppStore, book: RunBook): (s: Snapshot) => void {
  const set = store.setState;
  return (s) => {
    if (s.run > 0) {
      const runs = recordRun(book, store.getState().runs, s, store.getState().draft, performance.now());
      if (runs) set({ runs });
    }
    if (s.run === 0) return set({ loading: s.loading, comparing: s.comparing }); // no run yet: only the dataset and comparison progress
    if (s.run <= book.cleared) return set({ loading: s.loading, comparing: s.comparing }); // a run the user reset
    const state = store.getState();
    const prev = state.snapshot;
    if (prev && s.run < prev.run) return set({ comparing: s.comparing }); // a late snapshot of a replaced run
    const newRun = prev?.run !== s.run;
    const before = state.status;
    set({
      ...seriesAfter(newRun ? emptySeries() : state, s),
      snapshot: s,
      status: s.status,
      loading: s.loading,
      comparing: s.comparing,
      ...(s.error !== undefined ? { error: s.error } : {}),
      ...(newRun ? { inspection: null, detail: null, exported: null, exportError: null, inspectMember: 0, viewsRequest: { ...state.viewsRequest, a: 0, b: 1 } } : {}),
    });
    // The inspector refreshes when training pauses or finishes, never on every snapshot.
    if ((s.status === 'paused' || s.status === 'done') && (before !== s.status || newRun)) void store.getState().refreshInspection();
  };
}
