// compareTrainers in-thread on the CPU reference (src/engine/compare.ts) on synthetic:small, tiny shapes:
// a fraction sweep and an updates sweep equal core's fractionSweep / updatesSweep on the same split (the
// seeded held-out 20%, capped to 4096 training and 1024 test rows, rebuilt here from core's own functions)
// in every number but the measured seconds; an eval split is used as the test rows when there is one;
// progress snapshots arrive while it runs and stop after; each run gets a fresh run id that a later
// startRun does not reuse; equal steps and equal time give what they promise; and the refusals: a second
// comparison (at once and between settings), a training run, bad kind/align/trainers/epochs/dSae/values.

import { describe, expect, it } from 'vitest';
import type { AbOptions, AbRun } from '../../src/core/sae/abTest.ts';
import { DEFAULT_AB_OPTIONS, fractionSweep, splitRows, trainSubset, updatesSweep } from '../../src/core/sae/abTest.ts';
import { generateSynthetic, parseSyntheticSpec } from '../../src/core/data/synthetic.ts';
import type { CompareRequest, Snapshot, Workbench } from '../../src/engine/api.ts';
import { COMPARE_MAX_TEST_ROWS, COMPARE_MAX_TRAIN_ROWS } from '../../src/engine/compare.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';

const CONFIG = { dSae: 16, k: 2, batch: 64, seed: 3 };
const REQ: CompareRequest = { dataset: 'synthetic:small', config: CONFIG, kind: 'fraction', align: 'equal-epochs', trainers: ['sgd', 'pam-sgd'], epochs: 2, values: [5, 100] };

function recorder(wb: Workbench) {
  const seen: Snapshot[] = [];
  void wb.onSnapshot((s) => seen.push(s));
  return seen;
}

/** The split compareTrainers promises for a dataset without an eval split: core's splitRows(0.2), then seeded caps. */
function expectedSplit(seed: number) {
  const data = generateSynthetic(parseSyntheticSpec('synthetic:small'));
  const raw = splitRows({ ...data, name: 'synthetic:small' }, 0.2, seed);
  return { train: trainSubset(raw.train, (100 * COMPARE_MAX_TRAIN_ROWS) / raw.train.rows, seed), test: trainSubset(raw.test, (100 * COMPARE_MAX_TEST_ROWS) / raw.test.rows, seed + 1) };
}

/** A run without its measured times (the only numbers two identical runs do not share). */
const untimed = (r: AbRun) => ({ ...r, seconds: 0, final: { ...r.final, seconds: 0 }, curve: r.curve.map((p) => ({ ...p, seconds: 0 })) });

const opts = (o: Partial<AbOptions>): AbOptions => ({ ...DEFAULT_AB_OPTIONS, subsetSeed: CONFIG.seed, ...o });

describe('compareTrainers (in-thread, CPU reference)', () => {
  it('a fraction sweep equals core on the same split, with progress snapshots and fresh run ids', { timeout: 60_000 }, async () => {
    const wb = createWorkbench();
    const seen = recorder(wb);
    const c = await wb.compareTrainers(REQ);
    expect(c).toMatchObject({ comparison: 1, kind: 'fraction', dataset: 'synthetic:small:0', epochs: 2, split: { source: 'held-out', trainRows: 4096, testRows: 1024 } });
    expect(c.split.how).toMatch(/no eval split: a seeded 20% of its train rows \(seed 3\) is held out/);
    expect(c.capped).toEqual(['training rows: 4096 of 6554 (a seeded subset)', 'test rows: 1024 of 1638 (a seeded subset)']);
    expect(c.limits).toMatch(/at most 4096 training rows and 1024 test rows/);
    const core = fractionSweep(expectedSplit(CONFIG.seed), CONFIG, opts({ trainers: ['sgd', 'pam-sgd'], epochs: 2 }), [5, 100]);
    expect(c.sweep.settings).toEqual(core.settings);
    expect(c.sweep.runs.map(untimed)).toEqual(core.runs.map(untimed));
    expect(c.sweep.runs.map((r) => `${r.trainer}@${r.setting.fractionPercent}`)).toEqual(['sgd@5', 'pam-sgd@5', 'sgd@100', 'pam-sgd@100']);
    expect(c.sweep.runs[3]!.solves.length).toBeGreaterThanOrEqual(2); // a solve per epoch: the curve's markers
    expect(structuredClone(c)).toEqual(c);
    // Progress: the snapshots say how far it is while it runs, and nothing once it is done.
    const during = seen.filter((s) => s.comparing !== null).map((s) => s.comparing!);
    expect(during.length).toBeGreaterThan(3);
    expect(during.every((p) => p.runs === 4 || p.runs === 0)).toBe(true);
    expect(during.some((p) => /^pam-sgd at 100% \(4096 rows\): epoch \d\.\d of 2, test MSE/.test(p.phase))).toBe(true);
    expect(Math.max(...during.map((p) => p.done))).toBe(4);
    expect(seen.at(-1)!.comparing).toBeNull();
    expect(seen.every((s) => s.run === 0)).toBe(true); // no run: idle snapshots carry it
    // Run ids: one per A/B run, and a later run numbers after them.
    expect(c.runIds).toEqual([1, 2, 3, 4]);
    const info = await wb.startRun({ dataset: 'synthetic:small', config: { ...CONFIG, steps: 5 } });
    expect(info.run).toBe(5);
    await wb.stop();
  });

  it('an updates sweep equals core; equal steps and equal time keep their promises; an eval split is the test set', { timeout: 60_000 }, async () => {
    const wb = createWorkbench();
    const up = await wb.compareTrainers({ ...REQ, kind: 'updates', values: [1, 3], epochs: 1 });
    const core = updatesSweep(expectedSplit(CONFIG.seed), CONFIG, opts({ trainers: ['sgd', 'pam-sgd'], epochs: 1 }), [1, 3]);
    expect(up.sweep.kind).toBe('updates');
    expect(up.sweep.runs.map(untimed)).toEqual(core.runs.map(untimed));
    expect(up.sweep.runs.map((r) => r.updates)).toEqual([64, 64, 64, 192]); // 1 epoch of 64 batches; PAM at s = 3
    // equal-steps: every trainer makes the same Adam updates (PAM at s = 3 takes a third of the batches).
    const steps = await wb.compareTrainers({ ...REQ, kind: 'compare', align: 'equal-steps', config: { ...CONFIG, pamUpdatesPerBatch: 3 }, epochs: 1 });
    expect(steps.kind).toBe('compare');
    expect(steps.sweep.settings.map((s) => s.fractionPercent)).toEqual([100]);
    expect(steps.sweep.runs.map((r) => [r.trainer, r.updates, r.steps])).toEqual([
      ['sgd', 192, 192],
      ['pam-sgd', 192, 64],
    ]);
    // equal-time: the second trainer trains for the first one's measured seconds (overshooting by < a batch and a solve).
    const time = await wb.compareTrainers({ ...REQ, kind: 'compare', align: 'equal-time', trainers: ['sgd', 'sgd-tied'], epochs: 1 });
    const [ref, tied] = time.sweep.runs;
    expect(ref!.steps).toBe(64);
    expect(tied!.seconds).toBeGreaterThanOrEqual(ref!.seconds);
    expect(tied!.seconds).toBeLessThan(ref!.seconds * 2 + 0.5);
    // A dataset with an eval split: those rows are the test rows.
    const withEval = await wb.loadDataset({ source: 'builtin', id: 'synthetic:small', preprocess: { evalFraction: 0.05 } });
    expect(withEval.evalRows).toBe(410);
    const ev = await wb.compareTrainers({ ...REQ, dataset: withEval.id, kind: 'compare', epochs: 1 });
    expect(ev.split).toMatchObject({ source: 'eval', testRows: 410, trainRows: 4096 });
    expect(ev.capped).toEqual(['training rows: 4096 of 7782 (a seeded subset)']);
    expect(ev.comparison).toBe(4);
  });

  it('refuses a second comparison, a training run and bad requests, naming the fix', { timeout: 60_000 }, async () => {
    const wb = createWorkbench();
    const seen = recorder(wb);
    // A second call at once, and one between settings (the first has finished one setting), are refused.
    const first = wb.compareTrainers({ ...REQ, epochs: 1 });
    await expect(wb.compareTrainers(REQ)).rejects.toThrow(/a comparison is running \(0 of 0 runs done\): wait for it to finish/);
    while (!seen.some((s) => (s.comparing?.done ?? 0) >= 2)) await new Promise((r) => setTimeout(r, 0));
    await expect(wb.compareTrainers(REQ)).rejects.toThrow(/a comparison is running \(2 of 4 runs done\)/);
    expect((await first).sweep.runs).toHaveLength(4);
    // A training run: pause or stop it first; after stop it runs.
    const info = await wb.startRun({ dataset: 'synthetic:small', config: { ...CONFIG, steps: 1_000_000 } });
    await expect(wb.compareTrainers(REQ)).rejects.toThrow(new RegExp(`run ${info.run} is training: pause or stop it first`));
    await wb.pause();
    expect((await wb.compareTrainers({ ...REQ, kind: 'compare', epochs: 1 })).sweep.runs).toHaveLength(2);
    await wb.stop();
    const bad = (patch: Partial<CompareRequest>) => wb.compareTrainers({ ...REQ, ...patch });
    await expect(bad({ kind: 'bogus' as CompareRequest['kind'] })).rejects.toThrow(/kind "bogus" is unknown: use compare, fraction, updates/);
    await expect(bad({ align: 'equal-luck' as CompareRequest['align'] })).rejects.toThrow(/align "equal-luck" is unknown: use equal-epochs, equal-steps, equal-time/);
    await expect(bad({ trainers: [] })).rejects.toThrow(/trainers: pick at least one of sgd, pam-sgd, sgd-tied/);
    await expect(bad({ epochs: 0 })).rejects.toThrow(/epochs must be an integer in \[1, 20\] here/);
    await expect(bad({ config: { ...CONFIG, dSae: 4096 } })).rejects.toThrow(/dSae 4096 is over 1024.*sae-workbench sweep/);
    await expect(bad({ values: [0, 50] })).rejects.toThrow(/fraction sweep: each fraction must be a percent in \(0, 100\], got 0/);
    await expect(bad({ kind: 'updates', values: [2.5] })).rejects.toThrow(/updates sweep: each value must be an integer/);
    await expect(bad({ config: { ...CONFIG, arch: 'batchtopk' } })).rejects.toThrow(/pam-sgd: .*batchtopk/);
    await expect(bad({ dataset: 'synthetic:nope' })).rejects.toThrow(/nope/);
    // Nothing is left claimed after the refusals: a comparison still runs.
    expect((await wb.compareTrainers({ ...REQ, kind: 'compare', trainers: ['sgd'], epochs: 1 })).sweep.runs).toHaveLength(1);
  });
});
