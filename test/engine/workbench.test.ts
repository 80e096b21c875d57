// The Workbench in-thread on the CPU reference: snapshots are plain data, a run reaches 'done', pause
// stops stepping and resume continues, and bad input is rejected with the config's own messages.

import { describe, expect, it } from 'vitest';
import type { Snapshot, Workbench } from '../../src/engine/api.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';

const SMALL = { dataset: 'synthetic:small', config: { dSae: 32, k: 4, batch: 32, steps: 300, seed: 1 } };

/** Collects snapshots and resolves waits on a predicate. */
function recorder(wb: Workbench) {
  const seen: Snapshot[] = [];
  let waiters: { test: (s: Snapshot) => boolean; resolve: (s: Snapshot) => void }[] = [];
  void wb.onSnapshot((s) => {
    seen.push(s);
    waiters = waiters.filter((w) => (w.test(s) ? (w.resolve(s), false) : true));
  });
  const until = (test: (s: Snapshot) => boolean): Promise<Snapshot> => new Promise((resolve) => waiters.push({ test, resolve }));
  return { seen, until };
}

describe('createWorkbench (CPU reference)', () => {
  it('trains to done with plain-data snapshots and every step in the loss history', { timeout: 20_000 }, async () => {
    const wb = createWorkbench();
    expect(await wb.backend()).toMatchObject({ kind: 'cpu' });
    const { seen, until } = recorder(wb);
    await wb.startRun(SMALL);
    const last = await until((s) => s.status === 'done');
    expect(last.step).toBe(300);
    expect(Number.isFinite(last.loss) && last.explainedVariance > 0).toBe(true);
    for (const s of seen) expect(structuredClone(s)).toEqual(s);
    expect(seen.length).toBeLessThan(300); // throttled, not one per step
    const steps = seen.flatMap((s) => s.recentLoss.steps);
    expect(steps).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('pause stops stepping, resume continues, stop ends the run where it is', { timeout: 10_000 }, async () => {
    const wb = createWorkbench();
    const rec = recorder(wb);
    await wb.startRun({ ...SMALL, config: { ...SMALL.config, steps: 100_000 } });
    await rec.until((s) => s.step > 0);
    const pausedAt = rec.until((s) => s.status === 'paused'); // listen first: pause() emits at once
    await wb.pause();
    const paused = await pausedAt;
    await new Promise((r) => setTimeout(r, 60));
    const after = recorder(wb); // replaces the listener and sends the current state at once
    expect(after.seen.at(-1)).toMatchObject({ status: 'paused', step: paused.step });

    const moved = after.until((s) => s.step > paused.step);
    await wb.resume();
    const resumed = await moved;
    const stopped = after.until((s) => s.status === 'done');
    await wb.stop();
    expect((await stopped).step).toBeGreaterThanOrEqual(resumed.step);
    expect((await stopped).step).toBeLessThan(100_000);
  });

  it('rejects a bad config with the validation message, and an unknown dataset with what to use', async () => {
    const wb = createWorkbench();
    await expect(wb.startRun({ dataset: 'synthetic:small', config: { k: 999, dSae: 8 } })).rejects.toThrow(/k must be an integer in \[1, dSae=8\]/);
    await expect(wb.startRun({ dataset: 'mnist', config: {} })).rejects.toThrow(/use synthetic:small/);
  });
});
