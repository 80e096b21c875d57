// The reference training loop: determinism, firing statistics and dead latents, BatchTopK's threshold,
// and the learning test — on synthetic data in superposition the TopK SAE recovers the true features.
import { describe, expect, it } from 'vitest';
import { createBatchOrder, createTrainer } from '../../../src/core/sae/train.ts';
import { generateSynthetic, parseSyntheticSpec } from '../../../src/core/data/synthetic.ts';
import { evaluateSae } from '../../../src/core/sae/evaluate.ts';
import type { Arch, Dataset } from '../../../src/core/sae/types.ts';
import { SAE_ARCHS as ARCHS } from '../../../src/core/sae/types.ts';

const small = generateSynthetic(parseSyntheticSpec('synthetic:small:1'));

describe('createBatchOrder', () => {
  it('visits every row once per epoch, seeded', () => {
    const o = createBatchOrder(10, 4, 7);
    const seen = [...o.next(), ...o.next(), ...Array.from(o.next()).slice(0, 2)];
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const again = createBatchOrder(10, 4, 7);
    expect(Array.from(again.next())).toEqual(seen.slice(0, 4));
  });
});

describe('createTrainer', () => {
  it('rejects a bad config with every problem in one message', () => {
    expect(() => createTrainer(small, { k: 0, batch: 1e9 })).toThrow(/k must be an integer in \[1, dSae=64\], got 0.*batch \(1000000000\) is larger than the dataset \(8192 rows\)/);
  });

  it.each(ARCHS)('%s: same seed → identical losses and weights; the loss falls', (arch: Arch) => {
    const cfg = { arch, dSae: 32, k: 3, steps: 100, batch: 64, seed: 5, l1Coefficient: 0.01 };
    const a = createTrainer(small, cfg);
    const b = createTrainer(small, cfg);
    const la: number[] = [];
    for (let i = 0; i < cfg.steps; i++) {
      const sa = a.trainStep();
      const sb = b.trainStep();
      expect(sb.loss).toBe(sa.loss);
      la.push(sa.mse);
    }
    expect(Array.from(b.sae.wEnc)).toEqual(Array.from(a.sae.wEnc));
    const first = la.slice(0, 5).reduce((p, q) => p + q) / 5;
    const last = la.slice(-5).reduce((p, q) => p + q) / 5;
    expect(last).toBeLessThan(0.9 * first);
    for (const v of a.sae.wDec) expect(Number.isFinite(v)).toBe(true);
  });

  it('members sharing a batch order share the data-side init (input scale, bDec) and differ only in weights', () => {
    const cfg = { arch: 'topk' as const, dSae: 16, k: 2, steps: 10, batch: 32, inputScaling: 'expected-norm' as const };
    const a = createTrainer(small, { ...cfg, seed: 1 }, { batchOrderSeed: 99 });
    const b = createTrainer(small, { ...cfg, seed: 2 }, { batchOrderSeed: 99 });
    expect(b.sae.inputScale).toBe(a.sae.inputScale);
    expect(Array.from(b.sae.bDec)).toEqual(Array.from(a.sae.bDec));
    expect(Array.from(b.sae.wDec)).not.toEqual(Array.from(a.sae.wDec));
  });

  it('tokens-since-fired counts whole batches and AuxK engages once latents go dead', () => {
    // 256 latents with k = 1 on 16-d data: most latents never win a row and die after 128 tokens.
    const t = createTrainer(small, { arch: 'topk', dSae: 256, k: 1, steps: 20, batch: 32, deadWindowTokens: 128, seed: 2 });
    const s1 = t.trainStep();
    expect(s1.auxLoss).toBe(0);
    for (const v of t.tokensSinceFired) expect(v === 0 || v === 32).toBe(true);
    let s = s1;
    for (let i = 0; i < 6; i++) s = t.trainStep();
    expect(s.deadFraction).toBeGreaterThan(0.3);
    expect(s.auxLoss).toBeGreaterThan(0);
    let fired = 0;
    for (const c of t.firingCounts) fired += c;
    expect(fired).toBe(7 * 32 * 1); // TopK with k=1 fires at most once per token (exactly, when z > 0)
  });

  it('batchtopk keeps its inference threshold as an EMA of the smallest kept activation', () => {
    const t = createTrainer(small, { arch: 'batchtopk', dSae: 32, k: 3, steps: 50, batch: 64, seed: 1 });
    t.trainStep();
    const th1 = t.sae.batchThreshold;
    expect(th1).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) t.trainStep();
    expect(t.sae.batchThreshold).toBeGreaterThan(0);
    expect(t.sae.batchThreshold).not.toBe(th1);
  });

  it('input scaling: the SAE trains in scaled space and evaluates in input units', () => {
    const scaled: Dataset = { ...small, x: small.x.map((v) => v * 100) };
    const t = createTrainer(scaled, { arch: 'topk', dSae: 32, k: 3, steps: 300, batch: 128, seed: 3, inputScaling: 'expected-norm' });
    expect(t.sae.inputScale).toBeGreaterThan(0.001);
    expect(t.sae.inputScale).toBeLessThan(0.1);
    for (let i = 0; i < 300; i++) t.trainStep();
    const r = evaluateSae(t.sae, scaled);
    expect(r.metrics.explainedVariance).toBeGreaterThan(0.6);
    expect(r.metrics.msePerToken).toBeGreaterThan(1); // input units: ×100² of the scaled-space error
  });
});

describe('learning test', () => {
  it('TopK SAE on synthetic:small (32 features in 16 dims, k = 5 since ~20% of rows have > 4 active) recovers the features: MCC ≥ 0.9, EV ≥ 0.9 held out, within 3000 steps', () => {
    const all = generateSynthetic(parseSyntheticSpec('synthetic:small:11'));
    const split = 6144 * all.dIn; // first 6144 rows train, last 2048 held out
    const train: Dataset = { ...all, rows: 6144, x: all.x.subarray(0, split) };
    const heldOut: Dataset = { ...all, rows: all.rows - 6144, x: all.x.subarray(split) };
    const t = createTrainer(train, { arch: 'topk', dSae: 64, k: 5, steps: 3000, batch: 256, seed: 0 });
    for (let i = 0; i < 3000; i++) t.trainStep();
    const r = evaluateSae(t.sae, heldOut);
    expect(r.recovery?.mcc).toBeGreaterThanOrEqual(0.9);
    expect(r.metrics.explainedVariance).toBeGreaterThanOrEqual(0.9);
    expect(r.tokens).toBe(2048);
  });
});
