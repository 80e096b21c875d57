// A URL per latent (issue #14): urlState's latent keys (read, written, checked) and the inspector slice
// opening a link's latent on the first inspection of a run, with a stand-in engine that records requests.
import { describe, expect, it } from 'vitest';
import type { LatentDetail, RunInspection, Snapshot, Workbench } from '../../src/engine/api.ts';
import { createContext } from '../../src/ui/store/context.ts';
import { DEFAULT_DRAFT } from '../../src/ui/store/experiment.ts';
import { createInspectorSlice, type InspectorSlice } from '../../src/ui/store/inspector.ts';
import { decodeHash, encodeHash, latentOfHash, withLatent } from '../../src/ui/urlState.ts';

describe('latent links in the URL hash', () => {
  it('reads latent and member, writes them after the experiment, and leaves the experiment alone', () => {
    const hash = encodeHash({ ...DEFAULT_DRAFT, dSae: 48 }, DEFAULT_DRAFT);
    const linked = withLatent(hash, { member: 2, latent: 17 });
    expect(linked).toBe(`${hash}&latent=17&member=2`);
    expect(withLatent(hash, { member: 0, latent: 5 })).toBe(`${hash}&latent=5`);
    expect(withLatent(hash, null)).toBe(hash);
    expect(latentOfHash(`#${linked}`)).toEqual({ member: 2, latent: 17 });
    expect(latentOfHash(`#${hash}&latent=5`)).toEqual({ member: 0, latent: 5 });
    expect(latentOfHash(`#${hash}`)).toBeNull();
    expect(decodeHash(`#${linked}`, DEFAULT_DRAFT)).toEqual({ draft: { ...DEFAULT_DRAFT, dSae: 48 }, error: null });
  });

  it('a malformed latent or member is named, and the link falls back to the defaults', () => {
    for (const bad of ['latent=-1', 'latent=x', 'latent=3&member=1.5']) {
      const { draft, error } = decodeHash(`#dSae=48&${bad}`, DEFAULT_DRAFT);
      expect(draft).toBe(DEFAULT_DRAFT);
      expect(error).toMatch(/(latent|member) ".*" is not a latent( member)? index \(an integer ≥ 0\)/);
      expect(latentOfHash(`#${bad}`)).toBeNull();
    }
  });
});

/** A store of the inspector slice alone over a stand-in engine with `dSae` latents per member. */
function inspectorStore(dSae: number) {
  const calls: string[] = [];
  const table = Array.from({ length: dSae }, (_, latent) => ({ latent }));
  const wb = {
    inspectRun: async ({ member = 0 } = {}) => {
      calls.push(`inspectRun ${member}`);
      if (member > 1) throw new Error(`member must be an integer in [0, 1], got ${member}`);
      return { scope: { run: 1, member }, table, top: [] } as unknown as RunInspection;
    },
    latentDetail: async ({ member = 0, latent }: { member?: number; latent: number }) => {
      calls.push(`latentDetail ${member}/${latent}`);
      return { scope: { member }, latent } as unknown as LatentDetail;
    },
  } as unknown as Workbench;
  let state = {} as InspectorSlice & { snapshot: Snapshot | null };
  const set = (patch: Partial<typeof state>) => (state = { ...state, ...patch });
  const get = () => state;
  state = { ...createInspectorSlice(createContext(wb))(set, get), snapshot: null };
  return { calls, get };
}

describe('the inspector slice opens a linked latent', () => {
  it('on the first inspection, on the linked member, once', async () => {
    const s = inspectorStore(8);
    s.get().setLinkedLatent({ member: 1, latent: 6 });
    await s.get().refreshInspection();
    expect(s.calls).toEqual(['inspectRun 1', 'latentDetail 1/6']);
    expect(s.get()).toMatchObject({ selected: 6, inspectMember: 1, linkedLatent: null, inspectError: null });
    // A later refresh keeps the member and latent the user is on; the link is spent.
    await s.get().refreshInspection();
    expect(s.calls.slice(2)).toEqual(['inspectRun 1', 'latentDetail 1/6']);
  });

  it('a latent past the table or a member the run lacks is said, not silently ignored', async () => {
    const a = inspectorStore(8);
    a.get().setLinkedLatent({ member: 0, latent: 99 });
    await a.get().refreshInspection();
    expect(a.get()).toMatchObject({ selected: null, linkedLatent: null });
    expect(a.get().inspectError).toMatch(/the link names latent 99, but this run has latents 0\.\.7/);
    const b = inspectorStore(8);
    b.get().setLinkedLatent({ member: 3, latent: 1 });
    await b.get().refreshInspection();
    expect(b.get().linkedLatent).toBeNull();
    expect(b.get().inspectError).toMatch(/member 3 of the run for the link's latent 1: member must be an integer in \[0, 1\], got 3/);
  });
});
