// The draft slice: the experiment the form edits (experiment.ts Draft) and what was wrong with the URL
// hash it was opened from. The hash itself is read by the store's composer (store.ts, via urlState.ts) and
// written by App.tsx; this slice only holds the result. Imports experiment.ts and context.ts types only.

import type { GetState, SetState } from './context.ts';
import type { Draft } from './experiment.ts';

export interface DraftSlice {
  draft: Draft;
  /** What was wrong with the URL hash the page opened on (then the defaults are used). */
  hashError: string | null;
  setDraft(patch: Partial<Draft>): void;
}

/** The slice, starting from the experiment the page opened on (a decoded hash, or the defaults). */
export const createDraftSlice =
  (opened: { draft: Draft; error: string | null }) =>
  (set: SetState<DraftSlice>, get: GetState<DraftSlice>): DraftSlice => ({
    draft: opened.draft,
    hashError: opened.error,
    setDraft: (patch) => set({ draft: { ...get().draft, ...patch } }),
  });
