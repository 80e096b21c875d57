// Metric values worked by hand, degenerate-input rules, and the streaming accumulator against the
// one-shot functions.
import { describe, expect, it } from 'vitest';
import {
  createMetricAccumulator,
  createReconstructionAccumulator,
  decoderCosineStats,
  encoderDecoderCosine,
  meanRow,
  reconstructionMetrics,
  sparsityMetrics,
} from '../../../src/core/sae/metrics.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { InputError } from '../../../src/core/errors.ts';

const f32 = (a: number[]): Float32Array => Float32Array.from(a);

describe('reconstructionMetrics', () => {
  it('2×2 case', () => {
    // x = [[1,0],[3,2]], x̂ = [[1,1],[2,2]], μ = [2,1]
    // errors: (0,−1) → 1, (1,0) → 1; Σ = 2 → msePerToken 1, msePerElement 0.5
    // x − μ: (−1,−1) → 2, (1,1) → 2; Σ = 4 → pooled EV 1 − 2/4 = 0.5
    // per dim: d0 1 − 1/2, d1 1 − 1/2 → 0.5; legacy: rows 1 − 1/2, 1 − 1/2 → 0.5
    const m = reconstructionMetrics(f32([1, 0, 3, 2]), f32([1, 1, 2, 2]), 2, 2);
    expect(m.msePerToken).toBeCloseTo(1, 12);
    expect(m.msePerElement).toBeCloseTo(0.5, 12);
    expect(m.explainedVariance).toBeCloseTo(0.5, 12);
    expect(m.explainedVariancePerDim).toBeCloseTo(0.5, 12);
    expect(m.explainedVarianceLegacy).toBeCloseTo(0.5, 12);
    // cos: row0 (1,0)·(1,1) = 1 / (1·√2); row1 (3,2)·(2,2) = 10 / (√13·√8)
    expect(m.cosine).toBeCloseTo((1 / Math.SQRT2 + 10 / Math.sqrt(104)) / 2, 6);
    // l2 ratio: √2/1 and √8/√13
    expect(m.l2Ratio).toBeCloseTo((Math.SQRT2 + Math.sqrt(8 / 13)) / 2, 6);
    // RRB: Σ‖x̂‖² = 2 + 8 = 10; Σ x·x̂ = 1 + 10 = 11
    expect(m.relativeReconstructionBias).toBeCloseTo(10 / 11, 12);
  });

  it('3×2 case where pooled, per-dim and legacy EV all differ (the legacy bias)', () => {
    // x = [[0,0],[2,0],[4,6]], x̂ = [[0,1],[2,0],[4,4]], μ = [2,2]
    // x − μ: (−2,−2) → 8, (0,−2) → 4, (2,4) → 20;  Σ = 32;  per dim: d0 4+0+4 = 8, d1 4+4+16 = 24
    // errors: (0,−1) → 1, (0,0) → 0, (0,2) → 4;   Σ = 5;   per dim: d0 0, d1 5
    const m = reconstructionMetrics(f32([0, 0, 2, 0, 4, 6]), f32([0, 1, 2, 0, 4, 4]), 3, 2);
    expect(m.msePerToken).toBeCloseTo(5 / 3, 12);
    expect(m.msePerElement).toBeCloseTo(5 / 6, 12);
    // pooled: 1 − 5/32 = 27/32
    expect(m.explainedVariance).toBeCloseTo(27 / 32, 12);
    // per dim: [(1 − 0/8) + (1 − 5/24)] / 2 = 43/48
    expect(m.explainedVariancePerDim).toBeCloseTo(43 / 48, 12);
    // legacy: [(1 − 1/8) + (1 − 0/4) + (1 − 4/20)] / 3 = (7/8 + 1 + 4/5) / 3 = 107/120
    expect(m.explainedVarianceLegacy).toBeCloseTo(107 / 120, 12);
    expect(m.explainedVarianceLegacy).not.toBeCloseTo(m.explainedVariance, 3);
    // cosine / l2 ratio skip row 0 (‖x‖ = 0): row1 cos 1, ratio 1; row2 cos 40/√(52·32), ratio √(32/52)
    expect(m.cosine).toBeCloseTo((1 + 40 / Math.sqrt(52 * 32)) / 2, 6);
    expect(m.l2Ratio).toBeCloseTo((1 + Math.sqrt(32 / 52)) / 2, 6);
    // RRB: Σ‖x̂‖² = 1 + 4 + 32 = 37; Σ x·x̂ = 0 + 4 + 40 = 44
    expect(m.relativeReconstructionBias).toBeCloseTo(37 / 44, 12);
  });

  it('perfect reconstruction gives EV 1, cosine 1, ratio 1, RRB 1', () => {
    const x = f32([1, 2, -3, 4, 0.5, 6]);
    const m = reconstructionMetrics(x, x, 3, 2);
    expect(m.msePerToken).toBe(0);
    expect(m.explainedVariance).toBe(1);
    expect(m.explainedVariancePerDim).toBe(1);
    expect(m.explainedVarianceLegacy).toBe(1);
    expect(m.cosine).toBeCloseTo(1, 6);
    expect(m.l2Ratio).toBeCloseTo(1, 6);
    expect(m.relativeReconstructionBias).toBeCloseTo(1, 12);
  });

  it('zero total variance: every EV is 0 (documented rule), never NaN', () => {
    // constant rows: Σ‖x − μ‖² = 0 exactly thanks to the shifted sums
    const m = reconstructionMetrics(f32([0.1, 0.7, 0.1, 0.7, 0.1, 0.7]), f32([0, 0, 0, 0, 0, 0]), 3, 2);
    expect(m.explainedVariance).toBe(0);
    expect(m.explainedVariancePerDim).toBe(0);
    expect(m.explainedVarianceLegacy).toBe(0);
    // x̂ = 0: cosine counts 0 per row, l2 ratio 0, Σ x·x̂ = 0 → RRB 0
    expect(m.cosine).toBe(0);
    expect(m.l2Ratio).toBe(0);
    expect(m.relativeReconstructionBias).toBe(0);
    expect(m.msePerToken).toBeCloseTo(0.01 + 0.49, 6);
  });

  it('per-dim EV skips zero-variance dims', () => {
    // x = [[1,0],[1,2]], x̂ = [[1,0],[1,1]]: d0 constant (skipped); d1 μ 1, var 2, err 1 → 0.5
    const m = reconstructionMetrics(f32([1, 0, 1, 2]), f32([1, 0, 1, 1]), 2, 2);
    expect(m.explainedVariancePerDim).toBeCloseTo(0.5, 12);
    expect(m.explainedVariance).toBeCloseTo(0.5, 12);
  });

  it('all-zero x: cosine, l2Ratio and legacy skip every row and report 0', () => {
    const m = reconstructionMetrics(f32([0, 0, 0, 0]), f32([1, 0, 0, 1]), 2, 2);
    expect(m.cosine).toBe(0);
    expect(m.l2Ratio).toBe(0);
    expect(m.explainedVarianceLegacy).toBe(0);
    expect(m.msePerToken).toBe(1);
  });

  it('bad shapes and empty input throw InputError', () => {
    expect(() => reconstructionMetrics(f32([1, 2, 3]), f32([1, 2, 3]), 2, 2)).toThrow(InputError);
    expect(() => reconstructionMetrics(new Float32Array(0), new Float32Array(0), 0, 2)).toThrow(InputError);
    expect(() => createReconstructionAccumulator(2, new Float64Array(3))).toThrow(InputError);
  });
});

describe('sparsityMetrics', () => {
  it('3 rows × 3 latents by hand', () => {
    // codes: [[1,0,0],[2,3,0],[0.5,0,0]]; wDec rows with norms 2, 1, 0.5
    const codes = f32([1, 0, 0, 2, 3, 0, 0.5, 0, 0]);
    const wDec = f32([2, 0, 0, 1, 0.3, 0.4]);
    const s = sparsityMetrics(codes, 3, 3, wDec, 2);
    expect(s.l0).toBeCloseTo(4 / 3, 12); // (1 + 2 + 1)/3
    expect(s.l1).toBeCloseTo(6.5 / 3, 12); // (1 + 5 + 0.5)/3
    expect(s.l1DecoderWeighted).toBeCloseTo(10 / 3, 6); // (1·2 + 2·2 + 3·1 + 0.5·2)/3
    expect(Array.from(s.density)).toEqual([1, Math.fround(1 / 3), 0]);
    // log10(p + 1e-10): 4.3e-11, log10(1/3) = −0.47712, log10(1e-10) = −10
    expect(s.logDensity[0]).toBeCloseTo(0, 6);
    expect(s.logDensity[1]).toBeCloseTo(-0.4771213, 5);
    expect(s.logDensity[2]).toBeCloseTo(-10, 5);
    expect(s.meanLogDensity).toBeCloseTo((0 - 0.4771213 - 10) / 3, 5);
    expect(s.deadFraction).toBeCloseTo(1 / 3, 12);
    expect(s.denseFraction).toBeCloseTo(2 / 3, 12);
    expect(s.over1PercentFraction).toBeCloseTo(2 / 3, 12);
    expect(s.below1e5Count).toBe(1); // the dead one
    expect(s.below1e6Count).toBe(1);
  });

  it('negative codes do not fire but count in L1', () => {
    const s = sparsityMetrics(f32([-2, 1]), 1, 2, f32([1, 1]), 1);
    expect(s.l0).toBe(1);
    expect(s.l1).toBe(3);
    expect(s.density[0]).toBe(0);
  });

  it('rare-latent thresholds: p = 5e-6 is below 1e-5 but not below 1e-6; p = 0.005 is alive, not over 1%', () => {
    const rows = 200_000;
    const acc = createMetricAccumulator(1, 2);
    const chunk = 50_000;
    for (let start = 0; start < rows; start += chunk) {
      const codes = new Float32Array(chunk * 2);
      for (let t = 0; t < chunk; t++) {
        const g = start + t;
        if (g === 12345) codes[t * 2] = 1; // fires once: p = 1/200000 = 5e-6
        if (g % 200 === 0) codes[t * 2 + 1] = 1; // fires 1000 times: p = 0.005
      }
      acc.add(new Float32Array(chunk).fill(1), new Float32Array(chunk), codes, chunk);
    }
    const s = acc.finish(f32([1, 1]));
    expect(s.density[0]).toBeCloseTo(5e-6, 12);
    expect(s.density[1]).toBeCloseTo(0.005, 9);
    expect(s.logDensity[0]).toBeCloseTo(Math.log10(5e-6 + 1e-10), 5);
    expect(s.below1e5Count).toBe(1);
    expect(s.below1e6Count).toBe(0);
    expect(s.deadFraction).toBe(0);
    expect(s.over1PercentFraction).toBe(0);
  });
});

describe('createMetricAccumulator', () => {
  const rows = 53;
  const dIn = 5;
  const dSae = 7;
  const rng = createRng(11);
  const x = new Float32Array(rows * dIn).map(() => 3 + rng.normal());
  const xHat = x.map((v) => 0.8 * v + 0.3 * rng.normal());
  const codes = new Float32Array(rows * dSae).map(() => Math.max(0, rng.normal() - 0.5));
  const wDec = new Float32Array(dSae * dIn).map(() => rng.normal());

  function inChunks(sizes: number[], mean?: Float64Array): ReturnType<ReturnType<typeof createMetricAccumulator>['finish']> {
    const acc = createMetricAccumulator(dIn, dSae, mean);
    let at = 0;
    for (const n of sizes) {
      acc.add(x.subarray(at * dIn, (at + n) * dIn), xHat.subarray(at * dIn, (at + n) * dIn), codes.subarray(at * dSae, (at + n) * dSae), n);
      at += n;
    }
    expect(at).toBe(rows);
    return acc.finish(wDec);
  }

  it('chunks with the eval-set mean equal the one-shot functions', () => {
    const oneShot = { ...reconstructionMetrics(x, xHat, rows, dIn), ...sparsityMetrics(codes, rows, dSae, wDec, dIn) };
    const chunked = inChunks([7, 13, 0, 33], meanRow(x, rows, dIn));
    for (const key of Object.keys(oneShot) as (keyof typeof oneShot)[]) {
      const a = oneShot[key];
      const b = chunked[key];
      if (a instanceof Float32Array) expect(Array.from(b as Float32Array)).toEqual(Array.from(a));
      else expect(b as number).toBeCloseTo(a, 10);
    }
  });

  it('without a mean, pooled and per-dim EV are still exact; legacy uses each chunk mean', () => {
    const exact = reconstructionMetrics(x, xHat, rows, dIn);
    const chunked = inChunks([20, 33]);
    expect(chunked.explainedVariance).toBeCloseTo(exact.explainedVariance, 10);
    expect(chunked.explainedVariancePerDim).toBeCloseTo(exact.explainedVariancePerDim, 10);
    expect(chunked.explainedVarianceLegacy).not.toBeCloseTo(exact.explainedVarianceLegacy, 10);
    // one chunk: the chunk mean is the eval-set mean
    expect(inChunks([rows]).explainedVarianceLegacy).toBeCloseTo(exact.explainedVarianceLegacy, 10);
  });

  it('pooled EV is stable when the data sit far from the origin', () => {
    // shift every row by 1e4: variance ≈ 1, second moment ≈ 1e8
    const far = x.map((v) => v + 1e4);
    const farHat = far.map((v, i) => v - (x[i] - xHat[i]));
    const a = reconstructionMetrics(x, xHat, rows, dIn);
    const b = reconstructionMetrics(far, farHat, rows, dIn);
    expect(b.explainedVariance).toBeCloseTo(a.explainedVariance, 2);
  });
});

describe('weight geometry', () => {
  it('decoderCosineStats: nearest other latent by signed cosine, ties to the lower index, zero rows 0', () => {
    // rows: e0, e1, (1,1), 0.  cos(0,1) = 0, cos(0,2) = cos(1,2) = 1/√2, zero row: 0 with all
    const { nearest, maxCos } = decoderCosineStats(f32([1, 0, 0, 1, 1, 1, 0, 0]), 4, 2);
    expect(Array.from(nearest)).toEqual([2, 2, 0, 0]);
    expect(maxCos[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(maxCos[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(maxCos[2]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(maxCos[3]).toBe(0);
  });

  it('decoderCosineStats is signed and handles dSae = 1', () => {
    const s = decoderCosineStats(f32([1, 0, -2, 0]), 2, 2);
    expect(Array.from(s.nearest)).toEqual([1, 0]);
    expect(Array.from(s.maxCos)).toEqual([-1, -1]);
    const one = decoderCosineStats(f32([1, 0]), 1, 2);
    expect(one.nearest[0]).toBe(-1);
    expect(one.maxCos[0]).toBe(0);
  });

  it('encoderDecoderCosine', () => {
    // latent 0: (1,0)·(1,1) / √2; latent 1: decoder row zero → 0
    const c = encoderDecoderCosine(f32([1, 0, 0, 2]), f32([1, 1, 0, 0]), 2, 2);
    expect(c[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(c[1]).toBe(0);
  });
});
