// Config defaults, derived values, schedules and validation messages that name the field and the fix.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, MAX_LATENTS_X_DIN, MAX_TRAINING_BYTES, autoLr, l1At, lrAt, resolveConfig, validateConfig } from '../../../src/core/sae/config.ts';
import { configBytes, largestDSaeWithin } from '../../../src/core/sae/memory.ts';

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

describe('the memory a config needs (issue #13: refused before anything is allocated)', () => {
  it('configBytes: parameters ×4 in f32, the dense batch buffers, per SAE held; pam-sgd adds its Gram matrix', () => {
    const c = { arch: 'topk' as const, trainer: 'sgd', dSae: 64, batch: 256 };
    const params = 2 * 64 * 16 + 64 + 16;
    expect(configBytes(c, 16)).toBe(16 * params + 8 * 256 * (64 + 16));
    expect(configBytes(c, 16, 4)).toBe(4 * configBytes(c, 16));
    expect(configBytes({ ...c, arch: 'jumprelu' }, 16) - configBytes(c, 16)).toBe(16 * 64);
    expect(configBytes({ ...c, trainer: 'pam-sgd' }, 16) - configBytes(c, 16)).toBe(8 * 64 * 64);
    const fit = largestDSaeWithin(c, 16, 1, 1e6);
    expect(configBytes({ ...c, dSae: fit }, 16)).toBeLessThanOrEqual(1e6);
    expect(configBytes({ ...c, dSae: fit + 1 }, 16)).toBeGreaterThan(1e6);
  });

  it('--latents 2e7 is refused with the numbers, the limit and the largest dSae that fits', () => {
    const problems = validateConfig({ ...DEFAULT_CONFIG, dSae: 2e7 }, 16, 1000);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^latents × dIn = 20000000 × 16 = 320000000 weights per matrix is over the limit of 67108864 \(2\^26, 256\.0 MiB of f32\): lower --latents \(dSae\) to at most \d+$/);
    const fit = Number(/at most (\d+)/.exec(problems[0])?.[1]);
    expect(fit).toBeLessThanOrEqual(MAX_LATENTS_X_DIN / 16);
    expect(validateConfig({ ...DEFAULT_CONFIG, dSae: fit }, 16, 1000)).toEqual([]);
  });

  it('under the dSae·dIn limit, the memory of the run: a huge batch, or many members, is refused naming GiB and the fix', () => {
    const wide = validateConfig({ ...DEFAULT_CONFIG, dSae: 1 << 20, batch: 1024 }, 16, 10_000);
    expect(wide.join('\n')).toMatch(/training needs about 8\.\d GiB \(parameters, Adam moments, gradients and batch buffers of 1048576 latents × 16 inputs at batch 1024\), over the limit of 4\.0 GiB: lower --latents \(dSae\) to at most \d+, or lower --batch/);
    const c = { ...DEFAULT_CONFIG, dSae: 1 << 16, k: 4 };
    expect(validateConfig(c, 512, 1000)).toEqual([]);
    expect(validateConfig(c, 512, 1000, 16).join('\n')).toMatch(/training needs about [\d.]+ GiB \(16 SAEs × .*over the limit of 4\.0 GiB: .*or lower --batch or the members/);
    expect(configBytes(c, 512, 16)).toBeGreaterThan(MAX_TRAINING_BYTES);
  });

  it('a size problem is listed beside the others (one refusal names them all)', () => {
    const problems = validateConfig({ ...DEFAULT_CONFIG, dSae: 2e7, lr: 5 }, 16, 1000);
    expect(problems.join('\n')).toMatch(/lr must be in \(0, 1\), got 5/);
    expect(problems.join('\n')).toMatch(/over the limit of 67108864/);
  });
});
