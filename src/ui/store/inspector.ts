// The inspector slice: the feature inspector's latent table (the last inspectRun of the member it reads),
// the selected latent and its detail, and errors. Requests run one at a time, in order; a later pick
// supersedes an earlier one. The table refreshes when a run pauses or finishes (snapshots.ts) or on
// request, never on every snapshot. Reads the current run id from `snapshot` (run.ts's field) by shape,
// so run.ts may import this slice. Imports engine types and context.ts only.

import type { LatentDetail, RunInspection, Snapshot } from '../../engine/api.ts';
import { message, serial, type GetState, type SetState, type StoreContext } from './context.ts';

export interface InspectorSlice {
  /** The last inspectRun (refreshed when a run pauses or finishes, or on request). */
  inspection: RunInspection | null;
  /** The selected latent and its detail (null until one is picked / while it loads). */
  selected: number | null;
  detail: LatentDetail | null;
  /** An inspection or detail request in flight. */
  inspecting: boolean;
  inspectError: string | null;
  /** The member the inspector reads (boosting: stage j, read on its residual r⁽ʲ⁾). Back to 0 on a new run. */
  inspectMember: number;
  /** Re-reads the latent table of the current run (and the selected latent's detail). */
  refreshInspection(): Promise<void>;
  selectLatent(latent: number): Promise<void>;
  /** Points the inspector at member `member` of the current run and re-reads its table. */
  setInspectMember(member: number): Promise<void>;
  /** Opens latent `latent` of member `member` (re-reading the table when the member changes). */
  inspectLatent(member: number, latent: number): Promise<void>;
}

type Reads = InspectorSlice & { snapshot: Snapshot | null };

export const createInspectorSlice =
  (ctx: StoreContext) =>
  (set: SetState<Reads>, get: GetState<Reads>): InspectorSlice => {
    const workbench = ctx.workbench;
    const queue = serial();
    return {
      inspection: null,
      selected: null,
      detail: null,
      inspecting: false,
      inspectError: null,
      inspectMember: 0,
      refreshInspection: () =>
        queue.run(async () => {
          const wb = workbench;
          if (!wb.inspectRun) return set({ inspectError: 'this engine connection has no inspectRun (src/client.ts must forward it to the worker)' });
          set({ inspecting: true });
          const member = get().inspectMember;
          try {
            const inspection = await wb.inspectRun({ member });
            const sel = get().selected;
            const keep = sel !== null && sel < inspection.table.length ? sel : null;
            const detail = keep !== null && wb.latentDetail ? await wb.latentDetail({ member, latent: keep }) : null;
            set({ inspection, selected: keep, detail, inspectError: null });
          } catch (e) {
            set({ inspectError: `could not inspect ${member > 0 ? `member ${member} of ` : ''}the run: ${message(e)}` });
          } finally {
            set({ inspecting: false });
          }
        }),
      selectLatent: (latent) => {
        set({ selected: latent });
        return queue.run(async () => {
          if (!workbench.latentDetail) return set({ inspectError: 'this engine connection has no latentDetail (src/client.ts must forward it to the worker)' });
          if (get().selected !== latent) return; // a later pick superseded this one
          set({ inspecting: true });
          const member = get().inspection?.scope.member ?? get().inspectMember;
          try {
            const detail = await workbench.latentDetail({ member, latent });
            if (get().selected === latent && (get().inspection?.scope.member ?? member) === member) set({ detail, inspectError: null });
          } catch (e) {
            set({ inspectError: `could not inspect latent ${latent}${member > 0 ? ` of member ${member}` : ''}: ${message(e)}` });
          } finally {
            set({ inspecting: false });
          }
        });
      },
      setInspectMember: (member) => {
        if (member === get().inspectMember && get().inspection?.scope.member === member) return Promise.resolve();
        set({ inspectMember: member, detail: null });
        return get().refreshInspection();
      },
      inspectLatent: async (member, latent) => {
        const inspection = get().inspection;
        const current = get().snapshot?.run ?? 0;
        if (member !== get().inspectMember || !inspection || inspection.scope.member !== member || inspection.scope.run !== current) {
          set({ inspectMember: member, selected: latent, detail: null });
          await get().refreshInspection();
        } else await get().selectLatent(latent);
      },
    };
  };
