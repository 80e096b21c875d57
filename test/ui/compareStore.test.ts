// The store's compare slice around the real in-thread engine (nothing mocked) on synthetic:small with tiny
// shapes: a training-fraction sweep runs from the form with the experiment form's config, its progress
// reaches the store while it runs and clears after, every A/B run becomes a 'done' row of the runs table
// (numbered after the run trained before it, before the one trained after it; trainer, fraction and
// updates per batch on the record; metrics = its final held-out point) that stays 'done' when a new run
// starts; a failure (no trainer; a training run) says why and keeps the result shown.
import { describe, expect, it } from 'vitest';
import { createWorkbench } from '../../src/engine/workbench.ts';
import type { CompareProgress } from '../../src/engine/api.ts';
import { createAppStore, type AppStore } from '../../src/ui/store.ts';
import { DEFAULT_DRAFT } from '../../src/ui/store/experiment.ts';
import { abLabel } from '../../src/ui/store/runs.ts';

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function trainToEnd(store: AppStore): Promise<number> {
  const before = store.getState().snapshot?.run ?? 0;
  await store.getState().train();
  await until('the run to finish', () => (store.getState().snapshot?.run ?? 0) > before && store.getState().status === 'done');
  return store.getState().snapshot!.run;
}

describe('the compare slice with the engine in-thread', () => {
  it('runs a fraction sweep with progress; its runs reach the runs table; failures keep the result', { timeout: 90_000 }, async () => {
    const store = createAppStore(createWorkbench(), { ...DEFAULT_DRAFT, dataset: 'synthetic:small', dSae: 16, k: 2, steps: 20, batch: 64, seed: 1 });
    await until('synthetic:small', () => store.getState().dataset !== null);
    const first = await trainToEnd(store);
    expect(first).toBe(1);

    const progress: CompareProgress[] = [];
    const off = store.subscribe((s) => {
      if (s.comparing && s.comparing !== progress.at(-1)) progress.push(s.comparing);
    });
    store.getState().setCompareForm({ kind: 'fraction', epochs: 1 });
    expect(store.getState().compareForm).toEqual({ kind: 'fraction', align: 'equal-epochs', trainers: ['sgd', 'pam-sgd'], epochs: 1 });
    const pending = store.getState().compare();
    expect(store.getState().compareBusy).toBe(true);
    const c = await pending;
    off();
    expect(store.getState().compareError).toBeNull();
    expect(store.getState().compareBusy).toBe(false);
    expect(c).not.toBeNull();
    expect(store.getState().comparison).toBe(c);
    // The page's preprocessing holds out 10%: those eval rows are the test rows.
    expect(c!.split).toMatchObject({ source: 'eval', testRows: 819, trainRows: 4096 });
    expect(c!.sweep.settings.map((s) => s.fractionPercent)).toEqual([1, 5, 10, 25, 50, 100]);
    expect(c!.config).toMatchObject({ dSae: 16, k: 2, batch: 64, seed: 1 }); // the experiment form's config
    expect(progress.length).toBeGreaterThan(6);
    expect(progress.some((p) => p.runs === 12 && /^pam-sgd at 50% \(2048 rows\)/.test(p.phase))).toBe(true);
    expect(store.getState().comparing).toBeNull();

    // Twelve 'done' rows, numbered 2..13, with what each one was.
    const rows = store.getState().runs.filter((r) => r.ab);
    expect(rows.map((r) => r.run)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(rows.every((r) => r.status === 'done' && r.backend === 'cpu')).toBe(true);
    const pam10 = rows.find((r) => r.ab!.trainer === 'pam-sgd' && r.ab!.fractionPercent === 10)!;
    const run10 = c!.sweep.runs.find((r) => r.trainer === 'pam-sgd' && r.setting.fractionPercent === 10)!;
    expect(pam10.draft).toMatchObject({ trainer: 'pam-sgd', dataset: 'synthetic:small:0', dSae: 16, batch: 64, steps: run10.steps, pamUpdatesPerBatch: 1 });
    expect(pam10.metrics).toEqual({ loss: NaN, mse: run10.final.testMse, explainedVariance: run10.final.explainedVariance, l0: run10.final.l0, deadFraction: run10.final.deadFraction, denseFraction: null });
    expect(abLabel(pam10.ab!)).toBe('A/B 1 · 10% (410 rows) · s=1 · equal-epochs');
    // On the Pareto plot: finished, L0 > 0 and a finite explained variance.
    expect(rows.every((r) => r.metrics!.l0 > 0 && Number.isFinite(r.metrics!.explainedVariance))).toBe(true);

    // A failure says why and keeps the result shown.
    store.getState().setCompareForm({ trainers: [] });
    expect(await store.getState().compare()).toBeNull();
    expect(store.getState().compareError).toMatch(/could not compare the trainers: pick at least one trainer/);
    expect(store.getState().comparison).toBe(c);

    // A later run numbers after the A/B, which stays 'done'; while it trains, a comparison is refused.
    store.getState().setDraft({ steps: 1_000_000 });
    await store.getState().train();
    await until('the long run to train', () => store.getState().status === 'training');
    store.getState().setCompareForm({ trainers: ['sgd', 'pam-sgd'], kind: 'compare' });
    expect(await store.getState().compare()).toBeNull();
    expect(store.getState().compareError).toMatch(/run 14 is training: pause or stop it first/);
    await store.getState().stop();
    await until('the long run to stop', () => store.getState().status === 'done');
    expect(store.getState().runs.filter((r) => r.ab).every((r) => r.status === 'done')).toBe(true);
    expect(store.getState().runs.map((r) => r.run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });
});
