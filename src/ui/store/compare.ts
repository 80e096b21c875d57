// The compare slice: the SGD vs PAM-SGD A/B (issue #11; seed-papers §3.10) — the request form (one
// side-by-side comparison, a training-fraction sweep or an updates-per-batch sweep; the alignment; the
// trainers; the epochs), the engine's progress (Snapshot.comparing, routed here by snapshots.ts), the last
// result and the last error (a failure keeps the result shown). Every run of a finished comparison also
// becomes a row of the runs table (runs.ts abRecords), so it reaches the Pareto plot too. The form's config
// is the experiment form's (draft): one place to set dSae, k, the PAM settings. Imports engine types and
// the store modules below it only.

import type { AbTrainer, Alignment, CompareKind, CompareProgress, CompareRequest, TrainerComparison } from '../../engine/api.ts';
import { message, type GetState, type SetState, type StoreContext } from './context.ts';
import type { DatasetSlice } from './dataset.ts';
import type { DraftSlice } from './draft.ts';
import { requestOfDraft } from './experiment.ts';
import { abRecords, type RunsSlice } from './runs.ts';

export interface CompareForm {
  kind: CompareKind;
  align: Alignment;
  trainers: AbTrainer[];
  epochs: number;
}

/** The paper's comparison (equal epochs) of our SGD against PAM-SGD, short enough to watch. */
export const DEFAULT_COMPARE_FORM: CompareForm = { kind: 'compare', align: 'equal-epochs', trainers: ['sgd', 'pam-sgd'], epochs: 5 };

export interface CompareSlice {
  compareForm: CompareForm;
  /** The engine's comparison in flight (from the snapshots), or null. */
  comparing: CompareProgress | null;
  /** compare() is waiting for the engine. */
  compareBusy: boolean;
  /** The last finished comparison. */
  comparison: TrainerComparison | null;
  compareError: string | null;
  setCompareForm(patch: Partial<CompareForm>): void;
  /** Runs the form's comparison on the loaded dataset with the experiment form's config; null on failure (compareError). */
  compare(): Promise<TrainerComparison | null>;
}

type Reads = CompareSlice & Pick<DraftSlice, 'draft'> & Pick<DatasetSlice, 'dataset'> & Pick<RunsSlice, 'runs'>;

export const createCompareSlice =
  (ctx: StoreContext) =>
  (set: SetState<Reads>, get: GetState<Reads>): CompareSlice => ({
    compareForm: DEFAULT_COMPARE_FORM,
    comparing: null,
    compareBusy: false,
    comparison: null,
    compareError: null,
    setCompareForm: (patch) => set({ compareForm: { ...get().compareForm, ...patch } }),
    compare: async () => {
      if (get().compareBusy) return null;
      set({ compareBusy: true, compareError: null });
      try {
        await ctx.loads.settled();
        const dataset = get().dataset;
        if (!dataset) throw new Error('no dataset is loaded: pick one above');
        const form = get().compareForm;
        if (form.trainers.length === 0) throw new Error('pick at least one trainer');
        const draft = get().draft;
        const req: CompareRequest = { dataset: dataset.id, config: requestOfDraft(draft).config, ...form, trainers: [...form.trainers] };
        const c = await ctx.workbench.compareTrainers(req);
        set({ comparison: c, runs: [...get().runs, ...abRecords(c, draft)].sort((a, b) => a.run - b.run) });
        return c;
      } catch (e) {
        set({ compareError: `could not compare the trainers: ${message(e)}` });
        return null;
      } finally {
        set({ compareBusy: false });
      }
    },
  });
