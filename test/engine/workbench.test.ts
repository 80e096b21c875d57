// The Workbench in-thread on the CPU reference (no GPU given): snapshots are plain data, a run reaches
// 'done', pause stops stepping and resume continues, bad input is rejected with the config's own
// messages, an ensemble's members are independent SAEs on one batch order, and exportRun writes what
// the reference trainer trained. The WebGPU path and the Comlink boundary: api.test.ts.

import { describe, expect, it } from 'vitest';
import { fromSaeLens, parseSparsity, toSaeLens } from '../../src/core/formats/saelens.ts';
import { createTrainer } from '../../src/core/sae/train.ts';
import { generateSynthetic, parseSyntheticSpec } from '../../src/core/data/synthetic.ts';
import type { Snapshot, Workbench } from '../../src/engine/api.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';

// backend 'cpu': these tests compare with the reference bit for bit ('auto' picks the wasm engine here: issue #15).
const SMALL = { dataset: 'synthetic:small', config: { dSae: 32, k: 4, batch: 32, steps: 300, seed: 1 }, backend: 'cpu' as const };

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
    expect(await wb.backend()).toEqual({ kind: 'wasm', adapter: null, isSoftware: null, why: expect.stringMatching(/^the wasm engine .*navigator\.gpu is undefined/) });
    const { seen, until } = recorder(wb);
    await wb.startRun(SMALL);
    const last = await until((s) => s.status === 'done');
    expect(last).toMatchObject({ step: 300, backend: 'cpu', weightsStep: 300 });
    expect(last.members).toHaveLength(1);
    expect(last.members[0]).toMatchObject({ seed: 1, loss: last.loss, l0: last.l0 });
    expect(Number.isFinite(last.loss) && last.explainedVariance > 0).toBe(true);
    for (const s of seen) expect(structuredClone(s)).toEqual(s);
    expect(seen.length).toBeLessThan(300); // throttled, not one per step
    const steps = seen.flatMap((s) => s.recentLoss.steps);
    expect(steps).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it("'auto' without WebGPU trains on the wasm engine, close to the reference (issue #15)", { timeout: 20_000 }, async () => {
    const wb = createWorkbench();
    const { until } = recorder(wb);
    const config = { ...SMALL.config, steps: 40 };
    const info = await wb.startRun({ dataset: 'synthetic:small', config });
    expect(info.backend).toMatchObject({ kind: 'wasm', why: expect.stringMatching(/^the wasm engine/) as unknown });
    const last = await until((s) => s.status === 'done');
    expect(last).toMatchObject({ step: 40, backend: 'wasm' });
    const ref = createTrainer(generateSynthetic(parseSyntheticSpec('synthetic:small')), config);
    let refLoss = 0;
    for (let i = 0; i < 40; i++) refLoss = ref.trainStep().loss;
    expect(Math.abs(last.loss - refLoss)).toBeLessThan(2e-4 * refLoss + 1e-6);
    expect(await wb.exportRun(0)).toMatchObject({ run: 1, step: 40, weightsSource: 'live' });
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

  it('an ensemble trains its members on one batch order; exportRun is the reference trainer’s SAE', { timeout: 20_000 }, async () => {
    const wb = createWorkbench();
    const { seen, until } = recorder(wb);
    const config = { ...SMALL.config, steps: 40 };
    const info = await wb.startRun({ dataset: 'synthetic:small', config, seeds: [1, 2], backend: 'cpu' });
    expect(info).toMatchObject({ run: 1, seeds: [1, 2], backend: { kind: 'cpu' } });
    await until((s) => s.status === 'done');
    const memberLoss = (j: number) => seen.flatMap((s) => s.members[j].recentLoss);

    // member j = the reference trainer with seed j and the batch order of seeds[0]
    const data = generateSynthetic(parseSyntheticSpec('synthetic:small'));
    const ref = [1, 2].map((seed) => createTrainer(data, { ...config, seed }, { batchOrderSeed: 1 }));
    const refLoss = ref.map((t) => Array.from({ length: 40 }, () => t.trainStep().loss));
    expect(memberLoss(0)).toEqual(refLoss[0]);
    expect(memberLoss(1)).toEqual(refLoss[1]);
    expect(seen.flatMap((s) => s.recentLoss.loss)).toEqual(refLoss[0].map((l, t) => (l + refLoss[1][t]) / 2));

    const e = await wb.exportRun(1);
    expect(e).toMatchObject({ run: 1, member: 1, seed: 2, step: 40, weightsSource: 'live' });
    expect(structuredClone(e)).toEqual(e);
    const mine = fromSaeLens(e.cfgJson, e.weights, 'export');
    const theirs = toSaeLens(ref[1].sae);
    expect(mine).toEqual(fromSaeLens(theirs.cfgJson, theirs.weights, 'reference'));
    const density = parseSparsity(e.sparsity, 'export/sparsity.safetensors');
    expect(Array.from(density)).toEqual(Array.from(ref[1].firingCounts, (c) => Math.fround(Math.log10(c / (40 * 32) + 1e-10))));
  });

  it('step(n) trains n steps and pauses; a run started paused stays at step 0 until stepped', { timeout: 10_000 }, async () => {
    const wb = createWorkbench();
    const rec = recorder(wb);
    await expect(wb.step(1)).rejects.toThrow(/no run yet/);
    const pausedAt = rec.until((s) => s.status === 'paused'); // listen first: startRun emits at once
    await wb.startRun({ ...SMALL, config: { ...SMALL.config, steps: 2000 }, paused: true });
    expect((await pausedAt).step).toBe(0);
    await wb.step();
    expect(rec.seen.at(-1)).toMatchObject({ status: 'paused', step: 1 });
    await wb.step(5);
    const last = rec.seen.at(-1);
    expect(last).toMatchObject({ status: 'paused', step: 6 });
    expect(rec.seen.flatMap((s) => s.recentLoss.steps)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(last?.density?.step).toBe(6);
    expect(last?.density?.log10).toHaveLength(32);
    expect(Number.isFinite(last?.auxLoss) && last?.sparsityLoss).toBe(0);
    await expect(wb.step(0)).rejects.toThrow(/integer ≥ 1/);
    // A training run pauses first, then steps n more; step never runs past the planned steps.
    await wb.resume();
    await rec.until((s) => s.step > 10);
    await wb.step(3);
    const after = rec.seen.at(-1);
    expect(after?.status).toBe('paused');
    await wb.step(10_000);
    expect(rec.seen.at(-1)).toMatchObject({ status: 'done', step: 2000 });
    expect(after && after.step > 13).toBe(true);
  });

  it('exportZip stores the SAELens folder as <folder>/cfg.json, sae_weights and sparsity', { timeout: 10_000 }, async () => {
    const wb = createWorkbench();
    const rec = recorder(wb);
    await wb.startRun({ ...SMALL, config: { ...SMALL.config, steps: 20 } });
    await rec.until((s) => s.status === 'done');
    const zip = await wb.exportZip();
    const e = await wb.exportRun();
    expect(zip).toMatchObject({ member: 0, seed: 1, step: 20, fileName: `${zip.folder}.zip` });
    expect(zip.folder).toMatch(/^sae-synthetic-small-topk-32-seed1-step20$/);
    // Walk the stored zip's local headers (PKWARE APPNOTE §4.3.7).
    const v = new DataView(zip.bytes.buffer, zip.bytes.byteOffset, zip.bytes.byteLength);
    const files = new Map<string, Uint8Array>();
    for (let o = 0; v.getUint32(o, true) === 0x04034b50; ) {
      const size = v.getUint32(o + 18, true);
      const nameLen = v.getUint16(o + 26, true);
      const extra = v.getUint16(o + 28, true);
      const name = new TextDecoder().decode(zip.bytes.subarray(o + 30, o + 30 + nameLen));
      const start = o + 30 + nameLen + extra;
      files.set(name, zip.bytes.slice(start, start + size));
      o = start + size;
    }
    expect([...files.keys()]).toEqual([`${zip.folder}/cfg.json`, `${zip.folder}/sae_weights.safetensors`, `${zip.folder}/sparsity.safetensors`]);
    expect(new TextDecoder().decode(files.get(`${zip.folder}/cfg.json`))).toBe(e.cfgJson);
    expect(files.get(`${zip.folder}/sae_weights.safetensors`)).toEqual(e.weights);
    expect(files.get(`${zip.folder}/sparsity.safetensors`)).toEqual(e.sparsity);
    await expect(createWorkbench().exportZip()).rejects.toThrow(/no run yet/);
  });

  it('pam-sgd: every decoder solve reaches the snapshots at its global step, the final re-solve included', { timeout: 20_000 }, async () => {
    const wb = createWorkbench();
    const { seen, until } = recorder(wb);
    // synthetic:small has 8192 rows; batch 64 → epochs of 128 steps: solves after steps 128, 256, and the final one at 300.
    await wb.startRun({ dataset: 'synthetic:small', config: { trainer: 'pam-sgd', dSae: 16, k: 2, batch: 64, steps: 300, seed: 2 } });
    await until((s) => s.status === 'done');
    expect(seen.flatMap((s) => s.recentSolves)).toEqual([128, 256, 300]);
    // decoder-first: a solve before the first step, then at each epoch start, then the final one.
    const wb2 = createWorkbench();
    const r2 = recorder(wb2);
    await wb2.startRun({ dataset: 'synthetic:small', config: { trainer: 'pam-sgd', pamOrder: 'decoder-first', dSae: 16, k: 2, batch: 64, steps: 200, seed: 2 } });
    await r2.until((s) => s.status === 'done');
    expect(r2.seen.flatMap((s) => s.recentSolves)).toEqual([0, 128, 200]);
  });
});
