// Initialisation: geometric median (Weiszfeld) against known answers, input scale, the init recipe.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../../src/core/sae/config.ts';
import { expectedNormScale, geometricMedian, initSae, rowMean } from '../../../src/core/sae/init.ts';
import { expectClose } from '../../helpers/close.ts';

describe('geometricMedian', () => {
  it('of collinear points is the middle point (the median), not the mean', () => {
    // 1-D: {0, 1, 10} → median 1, mean 11/3
    const m = geometricMedian(new Float32Array([0, 1, 10]), 3, 1, 500, 1e-10);
    expect(m[0]).toBeCloseTo(1, 4);
    expect(rowMean(new Float32Array([0, 1, 10]), 3, 1)[0]).toBeCloseTo(11 / 3, 12);
  });
  it('of an equilateral triangle is its centroid, and is robust to an outlier', () => {
    const h = Math.sqrt(3) / 2;
    const m = geometricMedian(new Float32Array([0, 0, 1, 0, 0.5, h]), 3, 2, 500, 1e-12);
    expectClose(m, [0.5, h / 3], { atol: 1e-5, rtol: 0 }, 'centroid');
    // four corners of a unit square plus one far outlier: the median stays inside the square
    const m2 = geometricMedian(new Float32Array([0, 0, 1, 0, 0, 1, 1, 1, 100, 100]), 5, 2, 500, 1e-12);
    expect(m2[0]).toBeLessThan(1);
    expect(m2[1]).toBeLessThan(1);
  });
});

describe('expectedNormScale', () => {
  it('s = √dIn / mean‖x‖', () => {
    // rows (3,4) and (0,10): norms 5 and 10 → mean 7.5, dIn 2 → s = √2/7.5
    expect(expectedNormScale(new Float32Array([3, 4, 0, 10]), 2, 2)).toBeCloseTo(Math.SQRT2 / 7.5, 12);
  });
});

describe('initSae', () => {
  it('unit-norm decoder rows, wEnc = wDec, bEnc = 0, bDec = the median of the scaled sample, seeded', () => {
    const c = resolveConfig({ ...DEFAULT_CONFIG, arch: 'jumprelu', dSae: 6, inputScaling: 'expected-norm', seed: 3 }, 3);
    const sample = new Float32Array([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    const sae = initSae(c, 3, sample, 3);
    for (let i = 0; i < 6; i++) {
      let n = 0;
      for (let d = 0; d < 3; d++) n += sae.wDec[i * 3 + d] ** 2;
      expect(Math.sqrt(n)).toBeCloseTo(1, 6);
    }
    expect(Array.from(sae.wEnc)).toEqual(Array.from(sae.wDec));
    expect(Array.from(sae.bEnc)).toEqual([0, 0, 0, 0, 0, 0]);
    const s = Math.sqrt(3) / Math.sqrt(14);
    expect(sae.inputScale).toBeCloseTo(s, 6);
    expectClose(sae.bDec, [s, 2 * s, 3 * s], { atol: 1e-6, rtol: 1e-5 }, 'bDec');
    expectClose(sae.logThreshold, new Array(6).fill(Math.log(1e-3)), { atol: 1e-6, rtol: 1e-6 }, 'logθ');
    const again = initSae(c, 3, sample, 3);
    expect(Array.from(again.wDec)).toEqual(Array.from(sae.wDec));
    const other = initSae({ ...c, seed: 4 }, 3, sample, 3);
    expect(Array.from(other.wDec)).not.toEqual(Array.from(sae.wDec));
  });
});
