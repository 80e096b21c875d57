// Ground-truth recovery: MCC, uniqueness, matching, PW-MCC — exact cases and hand values.
import { describe, expect, it } from 'vitest';
import { absCosineMatrix, featureRecovery, pairwiseMcc } from '../../../src/core/sae/recovery.ts';
import { createRng, permutation } from '../../../src/core/math/random.ts';
import type { GroundTruth } from '../../../src/core/sae/types.ts';

const f32 = (a: number[]): Float32Array => Float32Array.from(a);
const axes2: GroundTruth = { nFeatures: 2, features: f32([1, 0, 0, 1]) }; // g0 = e0, g1 = e1

function randomTruth(n: number, dIn: number, seed: number): GroundTruth {
  const rng = createRng(seed);
  const features = new Float32Array(n * dIn);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) {
      features[j * dIn + d] = rng.normal();
      s += features[j * dIn + d] ** 2;
    }
    for (let d = 0; d < dIn; d++) features[j * dIn + d] /= Math.sqrt(s);
  }
  return { nFeatures: n, features };
}

describe('featureRecovery', () => {
  it('MCC = 1 and uniqueness = 1 when wDec is a scaled, sign-flipped permutation of the truth', () => {
    const n = 24;
    const dIn = 8; // superposition: 24 features in 8 dims
    const truth = randomTruth(n, dIn, 3);
    const rng = createRng(4);
    const perm = permutation(n, rng); // latent i = ±2.5·g_perm[i]
    const wDec = new Float32Array(n * dIn);
    for (let i = 0; i < n; i++) {
      const sign = rng.uniform() < 0.5 ? -1 : 1;
      for (let d = 0; d < dIn; d++) wDec[i * dIn + d] = sign * 2.5 * truth.features[perm[i] * dIn + d];
    }
    const r = featureRecovery(wDec, n, truth, dIn);
    expect(r.mcc).toBeCloseTo(1, 6);
    expect(r.uniqueness).toBe(1);
    for (let i = 0; i < n; i++) {
      expect(r.match[perm[i]]).toBe(i);
      expect(r.matchedCos[perm[i]]).toBeCloseTo(1, 6);
    }
  });

  it('2×2 perturbed case by hand: MCC 0.9', () => {
    // w0 = (3,4)/5: |cos| with g0 0.6, g1 0.8;  w1 = (1,0): 1, 0
    // matchings: {w0–g0, w1–g1} = 0.6 + 0 = 0.6;  {w0–g1, w1–g0} = 0.8 + 1 = 1.8 → MCC 1.8/2 = 0.9
    const r = featureRecovery(f32([0.6, 0.8, 1, 0]), 2, axes2, 2);
    expect(r.mcc).toBeCloseTo(0.9, 6);
    expect(Array.from(r.match)).toEqual([1, 0]);
    expect(r.matchedCos[0]).toBeCloseTo(1, 6);
    expect(r.matchedCos[1]).toBeCloseTo(0.8, 6);
    // best matches: w0 → g1, w1 → g0: distinct → uniqueness 1
    expect(r.uniqueness).toBe(1);
  });

  it('uniqueness by hand: shared best matches and a zero decoder row', () => {
    // w0 = (1,0) → g0;  w1 = (0.9,0.1) → g0 (shared);  w2 = (0,1) → g1 (alone);  w3 = 0 → no best match
    // uniqueness = #{w2} / 4 = 0.25;  MCC over min(4,2) = 2 pairs: g0–w0 (1) + g1–w2 (1) → 1
    const r = featureRecovery(f32([1, 0, 0.9, 0.1, 0, 1, 0, 0]), 4, axes2, 2);
    expect(r.uniqueness).toBe(0.25);
    expect(r.mcc).toBeCloseTo(1, 6);
    expect(Array.from(r.match)).toEqual([0, 2]);
  });

  it('fewer latents than true features: unmatched features get −1 and cos 0; MCC over min(dSae, nTrue)', () => {
    // one latent (0.6, 0.8): best pair is g1 at 0.8 → MCC 0.8/1
    const r = featureRecovery(f32([0.6, 0.8]), 1, axes2, 2);
    expect(r.mcc).toBeCloseTo(0.8, 6);
    expect(Array.from(r.match)).toEqual([-1, 0]);
    expect(r.matchedCos[0]).toBe(0);
    expect(r.matchedCos[1]).toBeCloseTo(0.8, 6);
    expect(r.uniqueness).toBe(1);
  });

  it('zero-norm decoder rows count as cosine 0', () => {
    const r = featureRecovery(new Float32Array(4), 2, axes2, 2);
    expect(r.mcc).toBe(0);
    expect(r.uniqueness).toBe(0);
    expect(Array.from(r.matchedCos)).toEqual([0, 0]);
  });
});

describe('pairwiseMcc', () => {
  it('is 1 for a permuted copy, symmetric, and 0.9 on the hand case', () => {
    const t = randomTruth(10, 6, 9);
    const perm = permutation(10, createRng(1));
    const b = new Float32Array(60);
    for (let i = 0; i < 10; i++) for (let d = 0; d < 6; d++) b[i * 6 + d] = -t.features[perm[i] * 6 + d];
    expect(pairwiseMcc(t.features, 10, b, 10, 6)).toBeCloseTo(1, 6);
    const a = f32([1, 0, 0, 1]);
    const c = f32([0.6, 0.8, 1, 0]);
    expect(pairwiseMcc(a, 2, c, 2, 2)).toBeCloseTo(0.9, 6);
    expect(pairwiseMcc(c, 2, a, 2, 2)).toBeCloseTo(0.9, 6);
  });

  it('different widths: mean over min(dSaeA, dSaeB) pairs', () => {
    // A = {e0}, B = {(0.6,0.8), e1}: best pair e0–(0.6,0.8) at 0.6
    expect(pairwiseMcc(f32([1, 0]), 1, f32([0.6, 0.8, 0, 1]), 2, 2)).toBeCloseTo(0.6, 6);
  });
});

describe('absCosineMatrix', () => {
  it('is |cos| with zero rows at 0', () => {
    const m = absCosineMatrix(f32([2, 0, 0, 0]), 2, f32([-1, 1]), 1, 2);
    expect(m[0]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(m[1]).toBe(0);
  });
});
