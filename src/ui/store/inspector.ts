// The inspector slice: the feature inspector's latent table (the last inspectRun of the member it reads),
// the selected latent and its detail, and errors. Requests run one at a time, in order; a later pick
// supersedes an earlier one. The table refreshes when a run pauses or finishes (snapshots.ts) or on
// request, never on every snapshot. Reads the current run id from `snapshot` (run.ts's field) by shape,
// so run.ts may import this slice. A latent link (`#…&latent=17&member=1`, urlState.ts) waits in
// `linkedLatent` until the first inspection of a run, which then opens it (issue #14: each latent has a URL).
// Imports engine types, context.ts and urlState.ts's latent reader only.

import type { LatentDetail, RunInspection, Snapshot } from '../../engine/api.ts';
import { latentOfHash, type LatentLinkTarget } from '../urlState.ts';
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
  /** The latent the page's link names, opened by the next inspection (then null). */
  linkedLatent: LatentLinkTarget | null;
  setLinkedLatent(target: LatentLinkTarget | null): void;
  /** Where a jump into the inspector came from (an ensemble view): its name and the page's scroll then. */
  returnTo: { label: string; scrollY: number } | null;
  setReturnTo(r: { label: string; scrollY: number } | null): void;
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
      linkedLatent: typeof location !== 'undefined' ? latentOfHash(location.hash) : null,
      returnTo: null,
      setLinkedLatent: (target) => set({ linkedLatent: target }),
      setReturnTo: (r) => set({ returnTo: r }),
      refreshInspection: () =>
        queue.run(async () => {
          const wb = workbench;
          if (!wb.inspectRun) return set({ inspectError: 'this engine connection has no inspectRun (src/client.ts must forward it to the worker)' });
          set({ inspecting: true });
          // A link's latent is opened once, by the first inspection after the page opened (or the link changed).
          const link = get().linkedLatent;
          const member = link?.member ?? get().inspectMember;
          try {
            const inspection = await wb.inspectRun({ member });
            const sel = link ? link.latent : get().selected;
            const keep = sel !== null && sel < inspection.table.length ? sel : null;
            const detail = keep !== null && wb.latentDetail ? await wb.latentDetail({ member, latent: keep }) : null;
            set({ inspection, inspectMember: member, selected: keep, detail, inspectError: null, linkedLatent: null });
            if (link && keep === null)
              set({ inspectError: `the link names latent ${link.latent}, but ${member > 0 ? `member ${member} of ` : ''}this run has latents 0..${inspection.table.length - 1}` });
          } catch (e) {
            if (link) set({ linkedLatent: null });
            set({ inspectError: `could not inspect ${member > 0 ? `member ${member} of ` : ''}the run${link ? ` for the link's latent ${link.latent}` : ''}: ${message(e)}` });
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
