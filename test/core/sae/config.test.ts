// Config defaults, derived values, schedules and validation messages that name the field and the fix.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, autoLr, l1At, lrAt, resolveConfig, validateConfig } from '../../../src/core/sae/config.ts';

describe('resolveConfig', () => {
  it('derives lr from width, kAux = dIn/2, warm-up and decay from steps, dead window from tokens', () => {
    const c = resolveConfig({ ...DEFAULT_CONFIG, dSae: 16384, steps: 1000, batch: 100 }, 64);
    expect(c.lr).toBeCloseTo(2e-4, 12);
    expect(c.kAux).toBe(32);
    expect(c.lrWarmupSteps).toBe(50);
    expect(c.lrDecaySteps).toBe(200);
    expect(c.deadWindowTokens).toBe(20000);
    expect(autoLr(64)).toBe(3e-3); // clamped: 2e-4·16 = 3.2e-3
  });
  it('keeps explicit values', () => {
    const c = resolveConfig({ ...DEFAULT_CONFIG, lr: 0.01, kAux: 3, deadWindowTokens: 7 }, 64);
    expect([c.lr, c.kAux, c.deadWindowTokens]).toEqual([0.01, 3, 7]);
  });
});

describe('schedules', () => {
  const c = resolveConfig({ ...DEFAULT_CONFIG, lr: 1, steps: 10, lrWarmupSteps: 2, lrDecaySteps: 4, l1Coefficient: 2, l1WarmupSteps: 4 }, 4);
  it('lr: linear warm-up, flat, linear decay to 0', () => {
    expect([0, 1, 2, 5, 6, 7, 8, 9].map((s) => lrAt(c, s))).toEqual([0.5, 1, 1, 1, 1, 0.75, 0.5, 0.25]);
  });
  it('sparsity coefficient ramps from 0', () => {
    expect([0, 1, 3, 4, 9].map((s) => l1At(c, s))).toEqual([0.5, 1, 2, 2, 2]);
  });
});

describe('validateConfig', () => {
  it('accepts the defaults', () => expect(validateConfig(DEFAULT_CONFIG, 16, 10000)).toEqual([]));
  it.each([
    [{ k: 100, dSae: 64 }, /k must be an integer in \[1, dSae=64\], got 100/],
    [{ batch: 5000 }, /batch \(5000\) is larger than the dataset \(1000 rows\)/],
    [{ dSae: 0 }, /latents \(dSae\) must be an integer ≥ 1, got 0/],
    [{ lr: -1 }, /lr must be in \(0, 1\), got -1/],
    [{ arch: 'gated' }, /arch "gated" is unknown: use one of topk, batchtopk, relu, jumprelu/],
    [{ adamBeta2: 1 }, /adamBeta2 must be in \[0, 1\), got 1/],
    [{ seed: -3 }, /seed must be an integer/],
    [{ lrWarmupSteps: 5000 }, /lrWarmupSteps must be an integer in \[0, steps=1000\], got 5000/],
  ])('rejects %o', (patch, msg) => {
    const problems = validateConfig({ ...DEFAULT_CONFIG, ...(patch as object) }, 16, 1000);
    expect(problems.join('\n')).toMatch(msg);
  });
  it('ignores k for relu', () => expect(validateConfig({ ...DEFAULT_CONFIG, arch: 'relu', k: 0 }, 16, 1000)).toEqual([]));
});
