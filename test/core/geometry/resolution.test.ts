// chooseResolution: the largest multiple of 8 that fits the budget, clamped to [64, 512], with a sentence.
import { describe, expect, it } from 'vitest';
import { chooseResolution } from '../../../src/core/geometry/resolution.ts';

describe('chooseResolution', () => {
  it('a fast device gets the full 512×512', () => {
    const r = chooseResolution(2, 33); // 0.26 MP → 0.5 ms
    expect(r.side).toBe(512);
    expect(r.note).toMatch(/^512×512 at \d+ redraws\/s$/);
  });
  it('a slower one the largest multiple of 8 within budget: 1000 ms/MP, 33 ms → √33000 = 181.6 → 176', () => {
    const r = chooseResolution(1000, 33);
    expect(r.side).toBe(176);
    expect(r.msPerRedraw).toBeCloseTo(30.976, 6);
    expect(r.msPerRedraw).toBeLessThanOrEqual(33);
    expect(r.note).toMatch(/lowered/);
  });
  it('too slow for even 64×64: 64 and says it is over budget', () => {
    const r = chooseResolution(1e5, 33);
    expect(r.side).toBe(64);
    expect(r.note).toMatch(/over the 33 ms budget/);
  });
  it('refuses a non-positive speed or budget', () => {
    expect(() => chooseResolution(0, 33)).toThrow(/msPerMegapixel.*got 0/);
    expect(() => chooseResolution(1, -1)).toThrow(/budgetMs must be > 0, got -1/);
  });
});
