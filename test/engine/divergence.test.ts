// Training that goes wrong, in the Workbench on the CPU reference (issue #13, deliverable 4): a divergence
// stops the run at its first non-finite step with status 'error' and the cause, and exportRun still returns
// the last finite weights — the reference trainer's, bit for bit, from the step before; an SAE that ends
// with every latent dead is an error too, its weights still exportable; a config too large for memory is
// refused before the run in progress is touched.

import { describe, expect, it } from 'vitest';
import { fromSaeLens, toSaeLens } from '../../src/core/formats/saelens.ts';
import { nonFiniteTensor } from '../../src/core/sae/divergence.ts';
import { createTrainer } from '../../src/core/sae/train.ts';
import { generateSynthetic, parseSyntheticSpec } from '../../src/core/data/synthetic.ts';
import type { RunExport, Snapshot, Workbench } from '../../src/engine/api.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';

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

const exported = (e: RunExport) => fromSaeLens(e.cfgJson, e.weights, 'export');
const FIX = 'lower the learning rate, scale inputs (input scaling expected-norm) or check the data for huge values';
const ended = (s: Snapshot): boolean => s.status === 'error' || s.status === 'done';

/** A CSV upload of `rows` rows × dIn values of magnitude `scale` (deterministic). */
function hugeCsv(rows: number, dIn: number, scale: number): Uint8Array {
  const lines = Array.from({ length: rows }, (_, i) => Array.from({ length: dIn }, (_, d) => (scale * (1 + ((i * 7 + d * 3) % 11))).toExponential(3)).join(','));
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

describe('divergence stops the run at the first bad step, the last finite weights kept', () => {
  it('data of magnitude 1e20 diverges at step 1: error naming the step and the fix; the step-0 weights export, finite', { timeout: 20_000 }, async () => {
    const wb = createWorkbench();
    const { seen, until } = recorder(wb);
    const info = await wb.loadDataset({ source: 'upload', file: { name: 'huge.csv', bytes: hugeCsv(200, 8, 1e20) } });
    await wb.startRun({ dataset: info.id, config: { dSae: 16, k: 2, batch: 16, steps: 500, seed: 1 } });
    const last = await until(ended);
    expect(last.status).toBe('error');
    expect(last.error).toMatch(/^diverged at step 1: loss \S+ \(gradient norm (NaN|-?Infinity), lr \S+\) — /);
    expect(last.error).toContain(FIX);
    expect(last.error).toMatch(/; the weights of step 0 are kept for export$/);
    expect(last).toMatchObject({ step: 0, weightsStep: 0 });
    expect(seen.flatMap((s) => s.recentLoss.steps)).toEqual([]); // nothing trained on at NaN
    const e = await wb.exportRun();
    expect(e).toMatchObject({ step: 0, weightsSource: 'last-good' });
    expect(nonFiniteTensor(exported(e))).toBeNull();
  });

  it('an absurd optimiser (lr 0.99, β2 0, ε 1e-30, no clipping) diverges mid-run: the export is the reference trainer after the last finite step', { timeout: 20_000 }, async () => {
    const wb = createWorkbench();
    const { seen, until } = recorder(wb);
    const config = { dSae: 32, k: 4, batch: 32, steps: 300, seed: 1, lr: 0.99, lrWarmupSteps: 0, adamBeta2: 0, adamEps: 1e-30, gradClipNorm: 0 };
    // The reference, bit for bit (auto would take the wasm engine, which agrees only within tolerance).
    await wb.startRun({ dataset: 'synthetic:small', config, backend: 'cpu' });
    const last = await until(ended);
    expect(last.status).toBe('error');
    const bad = Number(/^diverged at step (\d+):/.exec(last.error ?? '')?.[1]);
    expect(bad).toBeGreaterThan(1);
    expect(last.error).toContain(`the weights of step ${bad - 1} are kept for export`);
    expect(last).toMatchObject({ step: bad - 1, weightsStep: bad - 1 });
    expect(Number.isFinite(last.loss)).toBe(true);
    expect(seen.flatMap((s) => s.recentLoss.steps)).toEqual(Array.from({ length: bad - 1 }, (_, i) => i + 1));

    // The reference trainer, stepped independently: step `bad` is its first non-finite one, and the
    // export is its SAE after step bad − 1, exactly.
    const ref = createTrainer(generateSynthetic(parseSyntheticSpec('synthetic:small')), config);
    for (let i = 1; i < bad; i++) expect(Number.isFinite(ref.trainStep().loss)).toBe(true);
    const theirs = toSaeLens(ref.sae);
    const e = await wb.exportRun();
    expect(e).toMatchObject({ step: bad - 1 });
    expect(exported(e)).toEqual(fromSaeLens(theirs.cfgJson, theirs.weights, 'reference'));
    expect(nonFiniteTensor(exported(e))).toBeNull();
    const s = ref.trainStep();
    expect(Number.isFinite(s.loss) && Number.isFinite(s.gradNorm)).toBe(false);
  });

  it('an ensemble names the SAE that diverged; every member exports its weights from before the step', { timeout: 20_000 }, async () => {
    const wb = createWorkbench();
    const { until } = recorder(wb);
    const info = await wb.loadDataset({ source: 'upload', file: { name: 'huge.csv', bytes: hugeCsv(200, 8, 1e20) } });
    await wb.startRun({ dataset: info.id, config: { dSae: 16, k: 2, batch: 16, steps: 100, seed: 1 }, ensemble: { method: 'bagging', members: 3 } });
    const last = await until(ended);
    expect(last.error).toMatch(/^diverged at step 1 \(SAE \d\): /);
    for (const j of [0, 1, 2]) expect(nonFiniteTensor(exported(await wb.exportRun(j)))).toBeNull();
  });
});

describe('an SAE whose every latent is dead at the end', () => {
  it("a ReLU run with an absurd L1 ends 'error' saying so and naming the fix; its (finite) weights still export", { timeout: 30_000 }, async () => {
    const wb = createWorkbench();
    const { until } = recorder(wb);
    await wb.startRun({ dataset: 'synthetic:small', config: { arch: 'relu', dSae: 32, batch: 32, steps: 300, seed: 1, l1Coefficient: 1000 } });
    const last = await until(ended);
    expect(last.status).toBe('error');
    expect(last.error).toMatch(/^every latent of the SAE is dead or nearly at the end \(mean L0 \S+ over the last tenth of steps, below 0\.1; explained variance \S+\): .*lower the l1 coefficient \(now 1000\)/);
    expect(last.error).toMatch(/the weights of step 300 are kept for export$/);
    const e = await wb.exportRun();
    expect(e.step).toBe(300);
    expect(nonFiniteTensor(exported(e))).toBeNull();
  });

  it('the same run with a sane L1 ends done', { timeout: 30_000 }, async () => {
    const wb = createWorkbench();
    const { until } = recorder(wb);
    await wb.startRun({ dataset: 'synthetic:small', config: { arch: 'relu', dSae: 32, batch: 32, steps: 300, seed: 1, l1Coefficient: 1e-3 } });
    expect(await until(ended)).toMatchObject({ status: 'done' });
  });
});

describe('a config is validated completely before the run in progress is touched', () => {
  it('startRun with dSae 2e7 is refused at once with the limit and the fix; the run training goes on untouched', { timeout: 20_000 }, async () => {
    const wb = createWorkbench();
    const { until } = recorder(wb);
    const first = await wb.startRun({ dataset: 'synthetic:small', config: { dSae: 32, k: 4, batch: 32, steps: 100_000, seed: 1 } });
    await until((s) => s.step > 5);
    const before = process.memoryUsage().arrayBuffers;
    await expect(wb.startRun({ dataset: 'synthetic:small', config: { dSae: 2e7, k: 4, batch: 32, steps: 100, seed: 1 } })).rejects.toThrow(
      /^invalid training config: latents × dIn = 20000000 × \d+ = \d+ weights per matrix is over the limit of 67108864 .*lower --latents \(dSae\) to at most \d+$/,
    );
    await expect(wb.startRun({ dataset: 'synthetic:small', config: { dSae: 1 << 19, k: 4, batch: 32, steps: 100 }, ensemble: { method: 'bagging', members: 16 } })).rejects.toThrow(
      /training needs about [\d.]+ GiB \(16 SAEs × .*over the limit of 4\.0 GiB/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50e6); // nothing of the refused runs was allocated
    const now = await until(() => true);
    expect(now).toMatchObject({ run: first.run, status: 'training' });
    const later = await until((s) => s.step > now.step + 5);
    expect(later).toMatchObject({ run: first.run, status: 'training' });
    await wb.stop();
  });
});
