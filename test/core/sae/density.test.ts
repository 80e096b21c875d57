// The dense fraction on hand-worked densities: the count over the threshold, its strict edge (as the
// engine stores it: f32 log10(n / tokens + 1e-10)), no latents, and entries that are not numbers.
import { describe, expect, it } from 'vitest';
import { DENSE_LOG10, denseFraction } from '../../../src/core/sae/density.ts';

/** What the engine stores per latent for n firings over `tokens` (workbench.ts logDensity). */
const log10Of = (n: number, tokens: number): number => Math.fround(Math.log10(n / tokens + 1e-10));

describe('denseFraction', () => {
  it('counts latents firing on more than one token in ten', () => {
    // Densities over 100 tokens: 0.5, 0.2, 0.05, 0 (dead), 1 → 3 of 5 are dense.
    const log10 = Float32Array.from([50, 20, 5, 0, 100], (n) => log10Of(n, 100));
    expect(denseFraction(log10)).toBe(3 / 5);
  });

  it('is strict at the threshold: exactly 10% firing is not dense, one more firing is', () => {
    expect(log10Of(10, 100)).toBe(DENSE_LOG10); // 0.1 + 1e-10 rounds to −1 in f32
    expect(denseFraction([log10Of(10, 100)])).toBe(0);
    expect(denseFraction([log10Of(101, 1000)])).toBe(1);
    expect(denseFraction([-1, -0.999, -1.001, 0])).toBe(2 / 4);
  });

  it('is 0 with no latents and ignores NaN', () => {
    expect(denseFraction(new Float32Array(0))).toBe(0);
    expect(denseFraction([])).toBe(0);
    expect(denseFraction([NaN, 0])).toBe(1 / 2);
  });
});
