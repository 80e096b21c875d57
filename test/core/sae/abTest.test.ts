// The SGD vs PAM-SGD A/B (core/sae/abTest.ts) and the tied-weights baseline (core/sae/tiedTrain.ts) on
// tiny synthetic data: each alignment gives the stated step / update / epoch counts, fractions use the
// stated row counts (nested subsets, unchanged test rows), the official epochs rule, determinism, shared
// runs, refusals with numbers; the tied decoder stays equal to the encoder (our latent-major layout's
// "decoder = encoderᵀ") and its gradient is the derivative of the loss in the shared W.
import { describe, expect, it } from 'vitest';
import type { AbOptions, AbSplit } from '../../../src/core/sae/abTest.ts';
import { DEFAULT_AB_OPTIONS, epochsAt, fractionRows, fractionSweep, runsOf, splitRows, trainSubset, updatesSweep } from '../../../src/core/sae/abTest.ts';
import { createTiedTrainer, tiedLossAndGrads } from '../../../src/core/sae/tiedTrain.ts';
import type { TrainConfig } from '../../../src/core/sae/config.ts';
import { generateSynthetic, parseSyntheticSpec } from '../../../src/core/data/synthetic.ts';
import { lossAndGrads, zeroGrads } from '../../../src/core/sae/loss.ts';
import { createRng } from '../../../src/core/math/random.ts';
import type { Arch, Dataset } from '../../../src/core/sae/types.ts';
import { zeroSae } from '../../../src/core/sae/types.ts';
import { InputError } from '../../../src/core/errors.ts';

const small = generateSynthetic(parseSyntheticSpec('synthetic:small:3'));
/** 200 rows of synthetic:small (16-d): 160 train, 40 test. */
const data: Dataset = { name: 'small200', rows: 200, dIn: small.dIn, x: small.x.slice(0, 200 * small.dIn) };
const split: AbSplit = splitRows(data, 0.2, 1);
const base: Partial<TrainConfig> = { arch: 'topk', dSae: 12, k: 2, batch: 32, lr: 3e-3, seed: 5, pamUpdatesPerBatch: 2 };
const opts = (o: Partial<AbOptions>): AbOptions => ({ ...DEFAULT_AB_OPTIONS, trainers: ['sgd', 'pam-sgd', 'sgd-tied'], epochs: 2, ...o });

describe('splits and fractions', () => {
  it('holds out round(f·rows) test rows and keeps the rest for training', () => {
    expect([split.train.rows, split.test.rows]).toEqual([160, 40]);
    expect(() => splitRows(data, 1.5, 0)).toThrow(/test fraction must be in \(0, 1\), got 1.5/);
  });
  it('a fraction keeps max(1, round(p·N)) rows, nested across fractions', () => {
    expect([1, 5, 10, 25, 50, 100].map((p) => fractionRows(160, p))).toEqual([2, 8, 16, 40, 80, 160]);
    expect(fractionRows(30, 1)).toBe(1);
    const a = trainSubset(split.train, 10, 7);
    const b = trainSubset(split.train, 50, 7);
    expect(a.rows).toBe(16);
    expect(Array.from(b.x.subarray(0, a.x.length))).toEqual(Array.from(a.x));
    expect(trainSubset(split.train, 10, 8).x).not.toEqual(a.x);
  });
  it('the official epochs rule is min(20, max(10, ⌊20·fraction⌋))', () => {
    expect([0.01, 0.05, 0.25, 0.5, 0.6, 0.99, 1].map((f) => epochsAt(f, 3, 'official'))).toEqual([10, 10, 10, 10, 12, 19, 20]);
    expect(epochsAt(0.01, 3, 'fixed')).toBe(3);
  });
});

describe('alignments', () => {
  it('equal-epochs: every run makes E passes over its own rows; PAM makes s updates per batch and one solve per epoch', () => {
    const sw = fractionSweep(split, base, opts({ align: 'equal-epochs' }), [25, 100]);
    expect(sw.settings.map((s) => s.rows)).toEqual([40, 160]);
    for (const r of sw.runs) {
      const spe = Math.ceil(r.setting.rows / r.batch);
      expect(r.batch).toBe(32);
      expect(r.steps).toBe(2 * spe);
      expect(r.epochs).toBe(2);
      expect(r.updates).toBe(r.trainer === 'pam-sgd' ? 2 * r.steps : r.steps);
      expect(r.solves.map((s) => s.step)).toEqual(r.trainer === 'pam-sgd' ? [spe, 2 * spe] : []);
      expect(r.final.steps).toBe(r.steps);
    }
    // A run's test MSE is measured on the whole test set: 40 rows whatever the fraction.
    expect(sw.testRows).toBe(40);
  });
  it('equal-steps: every run makes E₁₀₀·⌈N/batch⌉·s Adam updates, whatever the fraction', () => {
    const sw = fractionSweep(split, base, opts({ align: 'equal-steps' }), [10, 100]);
    const updates = 2 * Math.ceil(160 / 32) * 2;
    for (const r of sw.runs) {
      expect(r.updates).toBe(updates);
      expect(r.steps).toBe(r.trainer === 'pam-sgd' ? updates / 2 : updates);
    }
    // 10% = 16 rows: batch lowered to 16, one batch per epoch, so PAM solves once per batch.
    const pam10 = sw.runs.find((r) => r.trainer === 'pam-sgd' && r.setting.fractionPercent === 10);
    expect(pam10?.batch).toBe(16);
    expect(pam10?.solves.length).toBe(10);
  });
  it('equal-time: every run trains until the reference’s measured time (an injected clock: 1 ms per reading)', () => {
    let t = 0;
    const now = (): number => t++;
    const sw = fractionSweep(split, base, opts({ align: 'equal-time', now }), [100]);
    const [sgd, pam, tied] = sw.runs;
    expect(sgd.steps).toBe(10); // the reference: its equal-epochs plan, 2 epochs × 5 batches
    expect(sgd.seconds).toBeCloseTo(0.01, 12);
    expect(pam.steps).toBe(10);
    expect(tied.steps).toBe(10);
    const fixed = fractionSweep(split, base, opts({ align: 'equal-time', now, timeSeconds: 0.007 }), [100]);
    expect(fixed.runs.map((r) => r.steps)).toEqual([7, 7, 7]);
    // PAM's extra solve for its final encoder is inside its time: 7 batches + 1 solve.
    expect(fixed.runs.map((r) => r.seconds * 1000)).toEqual([7, 8, 7].map((v) => expect.closeTo(v, 9)));
  });
});

describe('sweeps', () => {
  it('is deterministic and starts every trainer from the same weights', () => {
    const a = fractionSweep(split, base, opts({ trainers: ['sgd', 'pam-sgd'] }), [50]);
    const b = fractionSweep(split, base, opts({ trainers: ['pam-sgd', 'sgd'] }), [50]);
    expect(runsOf(a, 'pam-sgd')[0].final.testMse).toBe(runsOf(b, 'pam-sgd')[0].final.testMse);
    expect(runsOf(a, 'sgd')[0].curve.map((p) => p.testMse)).toEqual(runsOf(b, 'sgd')[0].curve.map((p) => p.testMse));
    for (const r of a.runs) expect(r.final.testMse).toBeLessThan(r.curve.length > 1 ? r.curve[0].testMse * 1.5 : Infinity);
  });
  it('updates per batch: PAM at each s; SGD under equal epochs trained once and shared', () => {
    const calls: string[] = [];
    const sw = updatesSweep(split, base, { ...opts({ trainers: ['sgd', 'pam-sgd'] }), onProgress: (p) => calls.push(`${p.trainer}@${p.setting.updatesPerBatch}`) }, [1, 3]);
    expect(sw.settings.map((s) => [s.updatesPerBatch, s.rows])).toEqual([[1, 160], [3, 160]]);
    const [pam1, pam3] = runsOf(sw, 'pam-sgd');
    expect([pam1.updates, pam3.updates]).toEqual([10, 30]);
    const [sgd1, sgd3] = runsOf(sw, 'sgd');
    expect(sgd3.final).toBe(sgd1.final);
    expect(calls.filter((c) => c.startsWith('sgd@3'))).toEqual([]);
    expect(pam3.final.testMse).not.toBe(pam1.final.testMse);
  });
  it('reports % non-zero codes over the whole test set (ReLU)', () => {
    const sw = fractionSweep(split, { ...base, arch: 'relu', l1Coefficient: 1e-2 }, opts({ trainers: ['sgd', 'pam-sgd'] }), [100]);
    for (const r of sw.runs) {
      expect(r.final.nonZeroPercent).toBeCloseTo((100 * r.final.l0) / 12, 10);
      expect(r.final.nonZeroPercent).toBeGreaterThan(0);
    }
  });
  it('refuses bad settings with their numbers', () => {
    expect(() => fractionSweep(split, base, opts({}), [0])).toThrow(InputError);
    expect(() => fractionSweep(split, base, opts({}), [150])).toThrow(/percent in \(0, 100\], got 150/);
    expect(() => updatesSweep(split, base, opts({}), [0])).toThrow(/integer in \[1, 100\], got 0/);
    expect(() => fractionSweep(split, base, opts({ epochs: 0 }), [100])).toThrow(/epochs must be an integer ≥ 1, got 0/);
    expect(() => fractionSweep(split, base, opts({ trainers: ['sgd', 'sgd'] }), [100])).toThrow(/each at most once/);
    expect(() => fractionSweep({ train: split.train, test: { ...split.test, dIn: 3 } }, base, opts({}), [100])).toThrow(/dIn: expected 16.*got 3/);
  });
});

describe('tied-weights SGD baseline', () => {
  it.each<Arch>(['topk', 'relu'])('%s: the decoder equals the encoder after every step, and the loss goes down', (arch) => {
    const t = createTiedTrainer(split.train, { ...base, arch, l1Coefficient: 1e-3, steps: 60 });
    expect(t.sae.wDec).toEqual(t.sae.wEnc);
    const first = t.trainStep();
    let last = first;
    for (let s = 1; s < 60; s++) {
      last = t.trainStep();
      expect(t.sae.wDec).toEqual(t.sae.wEnc);
    }
    expect(last.mse).toBeLessThan(first.mse);
    expect(last.auxLoss).toBe(0);
  });
  it('its gradient is ∂L/∂W for the shared W (finite differences, relu with plain L1)', () => {
    const rng = createRng(2);
    const sae = zeroSae('relu', 5, 4, 0);
    for (const a of [sae.wEnc, sae.bEnc, sae.bDec]) for (let j = 0; j < a.length; j++) a[j] = 0.5 * rng.normal();
    sae.wDec.set(sae.wEnc);
    const x = Float32Array.from({ length: 6 * 5 }, () => rng.normal());
    const ctx = { l1Coefficient: 0.1, bandwidth: 1e-3, auxkCoefficient: 0, kAux: 1, dead: new Uint8Array(4) };
    const g = zeroGrads(sae);
    tiedLossAndGrads(sae, x, 6, ctx, 0.1, g);
    expect(Array.from(g.wDec).every((v) => v === 0)).toBe(true);
    const lossAt = (): number => tiedLossAndGrads(sae, x, 6, ctx, 0.1, zeroGrads(sae)).loss;
    for (const j of [0, 3, 7, 12, 19]) {
      const h = 1e-2;
      const w0 = sae.wEnc[j];
      sae.wEnc[j] = sae.wDec[j] = w0 + h;
      const up = lossAt();
      sae.wEnc[j] = sae.wDec[j] = w0 - h;
      const down = lossAt();
      sae.wEnc[j] = sae.wDec[j] = w0;
      expect(g.wEnc[j]).toBeCloseTo((up - down) / (2 * h), 2);
    }
    // And it differs from the untied encoder gradient alone (the decoder's share is added).
    const untied = zeroGrads(sae);
    lossAndGrads(sae, x, 6, { ...ctx, l1Coefficient: 0 }, untied);
    expect(g.wEnc[0]).not.toBeCloseTo(untied.wEnc[0], 4);
  });
});
