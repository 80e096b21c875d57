// Whole-run parity: the wasm engine's trainer (src/cpu/wasmTrainer.ts, the step in saeStep.c) against the
// reference (src/core/sae/train.ts) from the same seed and batch order: the loss curve at every step and
// every parameter, Adam moment and firing count at the end, with AuxK engaged and with it off.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfig } from '../../src/core/sae/config.ts';
import { generateSynthetic } from '../../src/core/data/synthetic.ts';
import type { ResumableTrainer, StepStats } from '../../src/core/sae/train.ts';
import { createTrainer } from '../../src/core/sae/train.ts';
import { loadSaeStepModule } from '../../src/cpu/saeStep.ts';
import { createWasmTrainer, wasmRefusal } from '../../src/cpu/wasmTrainer.ts';
import { expectClose } from '../helpers/close.ts';
import type { Tol } from '../helpers/close.ts';

/**
 * The wasm step sums in f32 (SIMD lanes, then across them) where the reference accumulates in f64, so each
 * step differs by ~1e-7 relative; Adam's division by √v̂ amplifies that for parameters whose gradient is
 * near zero, and it compounds over the steps — the same reasoning and the same table as the WGSL engine's
 * (test/engine/parity.test.ts PARITY_TOL), here over 50 steps instead of 8.
 */
const TOL: Record<'loss' | 'weights' | 'moments', Tol> = {
  loss: { atol: 1e-6, rtol: 2e-4 },
  weights: { atol: 2e-4, rtol: 2e-3 },
  moments: { atol: 1e-7, rtol: 5e-3 },
};

let module: WebAssembly.Module;
beforeAll(async () => {
  module = await loadSaeStepModule();
});

const data = generateSynthetic({ nFeatures: 48, dIn: 19, rows: 700, meanActive: 3, zipfExponent: 0.6, magnitudeMean: 1, magnitudeStd: 0.25, correlation: 0, noiseStd: 0.01, seed: 11 });

function run(t: ResumableTrainer, steps: number): StepStats[] {
  return Array.from({ length: steps }, () => t.trainStep());
}

describe.each([
  // dead window of 96 tokens = 3 batches: latents die early, so AuxK (kAux 5, α 0.5) runs in most steps
  { name: 'TopK with AuxK', config: { dSae: 37, k: 3, batch: 32, steps: 50, lr: 3e-3, lrWarmupSteps: 5, lrDecaySteps: 10, deadWindowTokens: 96, kAux: 5, auxkCoefficient: 0.5 } },
  { name: 'TopK without AuxK, k = dSae', config: { dSae: 9, k: 9, batch: 17, steps: 50, lr: 1e-3, auxkCoefficient: 0 } },
  // k = 1 with the tied init (wEnc = wDec, bEnc = 0) makes e_t·wDec_i = 0 exactly at the start, so the
  // encoder's first gradient is rounding noise that Adam scales to ±lr in both engines (differently): the
  // untied init of the SplInterp scripts keeps that edge size well conditioned.
  { name: 'TopK, dSae 1', config: { dSae: 1, k: 1, batch: 8, steps: 50, lr: 1e-3, init: 'splinterp-mnist' as const } },
  { name: 'TopK, batch 1', config: { dSae: 8, k: 2, batch: 1, steps: 50, lr: 1e-3 } },
])('wasm trainer vs the reference: $name', ({ config }) => {
  it('gives the same loss curve and the same weights after 50 steps', () => {
    const c: Partial<TrainConfig> = { arch: 'topk', seed: 3, ...config };
    const ref = createTrainer(data, c);
    const ours = createWasmTrainer(module, data, c);
    const a = run(ref, 50);
    const b = run(ours, 50);
    expectClose(b.map((s) => s.loss), a.map((s) => s.loss), TOL.loss, 'loss');
    expectClose(b.map((s) => s.mse), a.map((s) => s.mse), TOL.loss, 'mse');
    expectClose(b.map((s) => s.auxLoss), a.map((s) => s.auxLoss), TOL.loss, 'auxLoss');
    expectClose(b.map((s) => s.gradNorm), a.map((s) => s.gradNorm), TOL.loss, 'gradNorm');
    expectClose(b.map((s) => s.explainedVariance), a.map((s) => s.explainedVariance), { atol: 3e-4, rtol: 0 }, 'explainedVariance');
    // Counts are exact: the selection matches unless a near-tie flips (random data: none do).
    expect(b.map((s) => s.l0)).toEqual(a.map((s) => s.l0));
    expect(b.map((s) => s.deadFraction)).toEqual(a.map((s) => s.deadFraction));
    expect(b.map((s) => s.lr)).toEqual(a.map((s) => s.lr));
    if (config.auxkCoefficient === 0.5) expect(a.filter((s) => s.auxLoss > 0).length).toBeGreaterThanOrEqual(8);
    for (const key of ['wEnc', 'wDec'] as const) expectClose(ours.sae[key], ref.sae[key], TOL.weights, key);
    for (const key of ['bEnc', 'bDec'] as const) expectClose(ours.sae[key], ref.sae[key], TOL.weights, key);
    ours.adam.m.forEach((m, j) => expectClose(m, ref.adam.m[j], TOL.moments, `adam.m[${j}]`));
    expect(ours.adam.t).toBe(ref.adam.t);
    expect(Array.from(ours.firingCounts)).toEqual(Array.from(ref.firingCounts));
    expect(Array.from(ours.tokensSinceFired)).toEqual(Array.from(ref.tokensSinceFired));
  });
});

describe('wasm trainer state', () => {
  it('resumes from a saved state as the reference does, and its state() is a copy', () => {
    const c: Partial<TrainConfig> = { arch: 'topk', dSae: 16, k: 2, batch: 16, steps: 40, lr: 2e-3, seed: 5 };
    const ours = createWasmTrainer(module, data, c);
    run(ours, 10);
    const saved = ours.state();
    run(ours, 1);
    expect(saved.step).toBe(10);
    expect(saved.sae.wEnc).not.toEqual(ours.sae.wEnc);
    const ref = createTrainer(data, c, { resumeFrom: saved });
    const again = createWasmTrainer(module, data, c, { resumeFrom: saved });
    const a = run(ref, 10);
    const b = run(again, 10);
    expect(b[9].step).toBe(20);
    expectClose(b.map((s) => s.loss), a.map((s) => s.loss), TOL.loss, 'loss after resume');
    expectClose(again.sae.wDec, ref.sae.wDec, TOL.weights, 'wDec after resume');
  });

  it('refuses what it does not train, naming the fix', () => {
    expect(wasmRefusal({ arch: 'relu' })).toMatch(/topk only/);
    expect(wasmRefusal({ trainer: 'pam-sgd' })).toMatch(/sgd only/);
    expect(wasmRefusal({ topkSelect: 'abs-signed' })).toMatch(/abs-signed runs on the reference/);
    expect(wasmRefusal({})).toBeNull();
    expect(() => createWasmTrainer(module, data, { arch: 'jumprelu' })).toThrow(/use backend 'cpu' or 'auto'/);
  });
});
