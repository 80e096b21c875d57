// The store's ensemble slice and the ensemble fields of the experiment. Pure rules first (hand-worked
// drafts: method/J/seeds coherence, the startRun request, the URL hash), then the store around the real
// in-thread engine (nothing mocked) on synthetic:small with tiny shapes: bagging J=2 trains, evaluates
// (J′ = 1, 2) and opens its member views; the inspector switches member from a matched pair; a bad views
// request reports an error and keeps what was shown; boosting J=2 trains and both evaluations stay side
// by side; the boosting ensemble exports, reloads as a run with origin 'loaded' and evaluates to the same
// numbers; the expanded baseline is one point at its J and has no member views; downstream runs on
// builtin:digits-marked.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { DataReader } from '../../src/engine/data/datasets.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';
import { describeEnsemble, ensembleProblems, requestOf, seedsOf, withEnsemble, withSeeds } from '../../src/ui/store/ensembleDraft.ts';
import { createAppStore, type AppStore } from '../../src/ui/store.ts';
import { DEFAULT_DRAFT, draftOfInfo, type Draft } from '../../src/ui/store/experiment.ts';
import { decodeHash, encodeHash } from '../../src/ui/urlState.ts';
import { expectNear } from '../helpers/close.ts';

const DATA_DIR = new URL('../../public/data/', import.meta.url);
const readData: DataReader = async (file) => new Uint8Array(await readFile(new URL(file, DATA_DIR)));

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const D: Draft = { ...DEFAULT_DRAFT, seed: 5, dSae: 16, k: 2, steps: 40 };

describe('ensemble fields of the draft', () => {
  it('keeps method, J and seeds coherent', () => {
    const bag = withEnsemble(D, { method: 'bagging' });
    expect(bag.ensemble).toEqual({ method: 'bagging', members: 4 }); // leaving single: J = DEFAULT_J
    expect(seedsOf(bag)).toEqual([5, 6, 7, 8]); // seed..seed+J−1
    expect(withEnsemble(D, { method: 'boosting', members: 3 }).ensemble).toEqual({ method: 'boosting', members: 3 });
    // Explicit seeds: two or more make bagging with J = their count; J then follows them.
    const typed = withSeeds(D, [10, 20, 30]);
    expect(typed.ensemble).toEqual({ method: 'bagging', members: 3 });
    expect(seedsOf(typed)).toEqual([10, 20, 30]);
    expect(withSeeds(typed, [4]).ensemble).toEqual({ method: 'single', members: 1 });
    // Changing J drops seeds that no longer fit; going back to single keeps one seed at most.
    expect(withEnsemble(typed, { members: 2 })).toMatchObject({ seeds: null, ensemble: { method: 'bagging', members: 2 } });
    expect(withEnsemble(typed, { members: 3 }).seeds).toEqual([10, 20, 30]);
    expect(withEnsemble(typed, { method: 'single' })).toMatchObject({ seeds: null, ensemble: { method: 'single', members: 1 } });
    expect(withEnsemble(typed, { method: 'boosting' })).toMatchObject({ seeds: null, ensemble: { method: 'boosting', members: 3 } });
    expect(seedsOf(withEnsemble(D, { method: 'expanded', members: 4 }))).toEqual([5]);
  });

  it('says what is wrong, with the numbers and the fix', () => {
    expect(ensembleProblems(D)).toEqual([]);
    expect(ensembleProblems({ ...D, ensemble: { method: 'bagging', members: 17 } }).join()).toMatch(/J \(members\) must be an integer in \[1, 16\], got 17/);
    expect(ensembleProblems({ ...D, ensemble: { method: 'single', members: 3 } }).join()).toMatch(/single trains one SAE, so J must be 1, got 3/);
    // k-means / k-flats are one model (issue #12): the form refuses an ensemble method before the engine would
    expect(ensembleProblems({ ...D, arch: 'kflats', ensemble: { method: 'bagging', members: 2 } }).join()).toMatch(/bagging trains SAEs only: a kflats run is one model: pick the method single/);
    expect(ensembleProblems({ ...D, arch: 'kmeans', ensemble: { method: 'single', members: 1 } })).toEqual([]);
    expect(describeEnsemble({ ...D, arch: 'kflats', rank: 2, dSae: 6, ensemble: { method: 'single', members: 1 } })).toMatch(/^One model, k-flats: 6 affine pieces of rank 2, seed/);
    expect(ensembleProblems({ ...D, seeds: [1, 2, 3], ensemble: { method: 'bagging', members: 4 } }).join()).toMatch(/bagging with J = 4 needs 4 seeds, got 3 \(1,2,3\)/);
    expect(ensembleProblems({ ...D, seeds: [1, 2], ensemble: { method: 'boosting', members: 2 } }).join()).toMatch(/boosting takes no seed list.*clear the seeds field/);
    expect(ensembleProblems({ ...D, seeds: [1, -2] }).join()).toMatch(/ensemble seeds must be 1 to 16 integers ≥ 0/);
  });

  it('builds the startRun request and the explanation line', () => {
    expect(requestOf(D)).not.toHaveProperty('ensemble'); // single runs ask exactly as before methods existed
    expect(requestOf(D)).not.toHaveProperty('seeds');
    const boost = withEnsemble(D, { method: 'boosting', members: 3 });
    expect(requestOf(boost)).toMatchObject({ dataset: D.dataset, ensemble: { method: 'boosting', members: 3 }, config: { dSae: 16, k: 2, steps: 40, seed: 5 } });
    expect(requestOf(boost).config).not.toHaveProperty('ensemble');
    expect(requestOf(withSeeds(D, [7, 9]))).toMatchObject({ seeds: [7, 9], ensemble: { method: 'bagging', members: 2 } });
    expect(describeEnsemble(boost)).toBe('3 stages of 16 latents, k = 2 (seeds 5, 6, 7), 40 steps each (120 in all), stage j on the residual of stages before it: 48 latents, reconstruction = their sum.');
    expect(describeEnsemble(withEnsemble(D, { method: 'expanded', members: 4 }))).toBe('One SAE of 4 × 16 = 64 latents, k = 4 × 2 = 8, seed 5, 40 steps: the baseline for a 4-member ensemble.');
  });

  it('puts method and J in the URL hash and reads old seed-only links as bagging', () => {
    const boost = withEnsemble(D, { method: 'boosting', members: 3 });
    const hash = encodeHash(boost, DEFAULT_DRAFT);
    expect(new URLSearchParams(hash).get('method')).toBe('boosting');
    expect(new URLSearchParams(hash).get('J')).toBe('3');
    expect(decodeHash(hash, DEFAULT_DRAFT)).toEqual({ draft: boost, error: null });
    expect(new URLSearchParams(encodeHash(D, DEFAULT_DRAFT)).has('method')).toBe(false); // the default stays out of links
    const legacy = decodeHash('#dataset=synthetic:small&seeds=0,1,2', DEFAULT_DRAFT);
    expect(legacy.error).toBeNull();
    expect(legacy.draft.ensemble).toEqual({ method: 'bagging', members: 3 });
    const bad = decodeHash('#method=bagging&J=4&seeds=0,1', DEFAULT_DRAFT);
    expect(bad.draft).toBe(DEFAULT_DRAFT);
    expect(bad.error).toMatch(/bagging with J = 4 needs 4 seeds, got 2/);
    expect(decodeHash('#method=bagging', DEFAULT_DRAFT).error).toMatch(/method bagging needs J/);
    expect(decodeHash('#method=stacking&J=2', DEFAULT_DRAFT).error).toMatch(/method "stacking" is not one of single, bagging, boosting, expanded/);
  });
});

/** Trains the store's draft to the end and returns the new run's id. */
async function trainToEnd(store: AppStore, patch: Partial<Draft>): Promise<number> {
  const before = store.getState().snapshot?.run ?? 0;
  store.getState().setDraft(patch);
  await store.getState().train();
  expect(store.getState().error).toBeNull();
  await until('the run to finish', () => (store.getState().snapshot?.run ?? 0) > before && store.getState().status === 'done', 90_000);
  return store.getState().snapshot!.run;
}

describe('the ensemble slice with the engine in-thread', () => {
  it('trains bagging and boosting, evaluates both side by side, views members, inspects any member, exports and reloads', async () => {
    const store = createAppStore(createWorkbench(undefined, { readData }), { ...DEFAULT_DRAFT, dataset: 'synthetic:small', dSae: 16, k: 2, steps: 60, batch: 32, seed: 1 });
    await until('synthetic:small', () => store.getState().dataset !== null);
    expect(store.getState().dataset?.id).toBe('synthetic:small:0');

    // Bagging J=2: two SAEs, seeds 1 and 2.
    const bagRun = await trainToEnd(store, withEnsemble(store.getState().draft, { method: 'bagging', members: 2 }));
    expect(store.getState().runInfos[bagRun]).toMatchObject({ seeds: [1, 2], origin: 'trained', ensemble: { method: 'bagging', members: 2, saes: 2, latentsPerSae: 16 } });
    const ev = await store.getState().evaluate();
    expect(store.getState().ensembleErrors).toEqual({});
    expect(ev?.run).toBe(bagRun);
    expect(ev?.perJ.map((p) => [p.members, p.latents])).toEqual([
      [1, 16],
      [2, 32],
    ]);
    expect(ev?.perJ[1]!.metrics.mcc).toBeGreaterThan(0); // synthetic data: ground truth is there
    expect(ev!.prop31Gap).toBeLessThan(1e-4);
    expect(store.getState().ensembleBusy).toEqual({});

    const views = await store.getState().loadViews();
    expect(views?.heatmap).toMatchObject({ a: 0, b: 1, rows: 16, cols: 16 });
    expect(views?.pairs.length).toBe(16);
    expect(views?.map.x.length).toBe(32);
    expect(store.getState().views[bagRun]).toBe(views);

    // A bad request: the error says so and the views shown before stay.
    expect(await store.getState().loadViews(1, 1)).toBeNull();
    expect(store.getState().ensembleErrors.views).toMatch(/members a and b are both 1/);
    expect(store.getState().views[bagRun]).toBe(views);
    await store.getState().loadViews(0, 1);
    expect(store.getState().ensembleErrors.views).toBeUndefined();

    // A matched pair's member-1 latent opens in the inspector, which switches to member 1.
    await until('the end-of-run inspection', () => store.getState().inspection !== null && !store.getState().inspecting);
    expect(store.getState().inspection?.scope.member).toBe(0);
    const pair = views!.pairs[0]!;
    await store.getState().inspectLatent(1, pair.b);
    await until('member 1 in the inspector', () => store.getState().detail !== null && !store.getState().inspecting);
    const s = store.getState();
    expect(s.inspectMember).toBe(1);
    expect(s.inspection?.scope.member).toBe(1);
    expect(s.selected).toBe(pair.b);
    expect(s.detail?.latent).toBe(pair.b);
    expect(s.detail?.scope.member).toBe(1);

    // Boosting J=2 on the same data: the bagging evaluation stays beside it; the inspector is back on member 0.
    const boostRun = await trainToEnd(store, withEnsemble(store.getState().draft, { method: 'boosting', members: 2 }));
    expect(store.getState().inspectMember).toBe(0);
    expect(store.getState().runInfos[boostRun]?.ensemble).toMatchObject({ method: 'boosting', saes: 2 });
    const boostEv = await store.getState().evaluate();
    expect(Object.values(store.getState().evaluations).map((e) => [e.run, e.method])).toEqual([
      [bagRun, 'bagging'],
      [boostRun, 'boosting'],
    ]);
    // Boosting's second stage codes what the first left: the sum reconstructs better than stage 1 alone.
    expect(boostEv!.perJ[1]!.metrics.msePerToken).toBeLessThan(boostEv!.perJ[0]!.metrics.msePerToken);

    // Export, reload: a new run, origin 'loaded', the same ensemble (same numbers on the same rows).
    const zip = await store.getState().exportEnsemble();
    expect(zip?.bytes.length).toBeGreaterThan(0);
    expect(store.getState().ensembleExported?.run).toBe(boostRun);
    const info = await store.getState().loadEnsemble({ name: zip!.fileName, bytes: zip!.bytes });
    expect(store.getState().ensembleErrors).toEqual({});
    expect(info?.origin).toBe('loaded');
    expect(info?.run).toBeGreaterThan(boostRun);
    expect(store.getState().ensembleLoaded?.fileName).toBe(zip!.fileName);
    await until('the loaded run', () => store.getState().snapshot?.run === info!.run);
    expect(draftOfInfo(info!)).toMatchObject({ dSae: 16, k: 2, dataset: 'synthetic:small:0', ensemble: { method: 'boosting', members: 2 } });
    const reloaded = await store.getState().evaluate();
    expect(reloaded?.method).toBe('boosting');
    for (let j = 0; j < 2; j++) expectNear(reloaded!.perJ[j]!.metrics.msePerToken, boostEv!.perJ[j]!.metrics.msePerToken, { atol: 1e-6, rtol: 1e-4 }, `reloaded MSE at J′ = ${j + 1}`);
    expect(Object.keys(store.getState().evaluations).length).toBe(3);

    // The expanded baseline: one SAE of J·dSae latents, one point at its J.
    const expRun = await trainToEnd(store, withEnsemble(store.getState().draft, { method: 'expanded', members: 2 }));
    expect(store.getState().runInfos[expRun]?.ensemble).toMatchObject({ method: 'expanded', members: 2, saes: 1, latentsPerSae: 32 });
    const expEv = await store.getState().evaluate();
    expect(expEv?.perJ.map((p) => [p.members, p.latents])).toEqual([[2, 32]]);
    expect(await store.getState().loadViews()).toBeNull(); // one SAE: nothing to compare, said in the error
    expect(store.getState().ensembleErrors.views).toMatch(/has 1 SAE .*need at least 2/);
    expect(Object.values(store.getState().evaluations).map((e) => e.method)).toEqual(['bagging', 'boosting', 'boosting', 'expanded']);
  });

  it('runs the downstream tasks on a marked dataset and keeps each run\'s report', async () => {
    const store = createAppStore(createWorkbench(undefined, { readData }), { ...DEFAULT_DRAFT, dataset: 'builtin:digits-marked', dSae: 32, k: 4, steps: 40, batch: 64, seed: 0 });
    await until('builtin:digits-marked', () => store.getState().dataset !== null || store.getState().datasetError !== null);
    expect(store.getState().datasetError).toBeNull();
    const run = await trainToEnd(store, withEnsemble(store.getState().draft, { method: 'bagging', members: 2 }));
    const report = await store.getState().runDownstream();
    expect(store.getState().ensembleErrors).toEqual({});
    expect(report?.run).toBe(run);
    expect(report?.probing?.map((p) => p.kp)).toEqual([1, 2, 5]);
    for (const p of report!.probing!) {
      expect(p.accuracy).toBeGreaterThanOrEqual(0);
      expect(p.accuracy).toBeLessThanOrEqual(1);
    }
    expect(report?.scr).not.toBeNull();
    expect(store.getState().downstreams[run]).toBe(report);
  });
});
