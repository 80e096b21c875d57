// Ensembles (src/core/ensemble/ensemble.ts) on hand-worked cases: two TopK (k = 1) members of 2 latents in R²,
// bagging and boosting, every metric worked out in the comments; Prop. 3.1 (the concatenated SAE
// reconstructs exactly what the ensemble does) over random members of every architecture and input
// scale, for both methods; bias = mean for bagging; J = 1 reduces to the single SAE's metrics;
// stability (relaxed and exact) and the shared-fraction curve on three 2-latent dictionaries.
// Imports src/core and the test helpers only.

import { describe, expect, it } from 'vitest';
import { stageReconstruction } from '../../../src/core/ensemble/boosting.ts';
import {
  concatenatedView,
  connectivity,
  diversity,
  ensembleCodes,
  ensembleReconstruct,
  evaluateEnsemble,
  metricsPerJ,
  proposition31Gap,
  sharedFractionCurve,
  stability,
  type EnsembleMethod,
} from '../../../src/core/ensemble/ensemble.ts';
import { decoderCosineStats, reconstructionMetrics, sparsityMetrics } from '../../../src/core/sae/metrics.ts';
import { encode, scaleInput } from '../../../src/core/sae/sae.ts';
import { createRng, type Rng } from '../../../src/core/math/random.ts';
import { SAE_ARCHS as ARCHS, zeroSae, type Dataset, type Sae } from '../../../src/core/sae/types.ts';
import { expectClose, expectNear } from '../../helpers/close.ts';
import { randomSae } from '../../helpers/saes.ts';

const tight = { atol: 1e-6, rtol: 1e-6 };
const METHODS: EnsembleMethod[] = ['bagging', 'boosting'];

/** A: TopK k = 1 on the axes of R² (wEnc = wDec = I, bDec = 0): keeps the larger coordinate. */
function memberA(): Sae {
  const sae = zeroSae('topk', 2, 2, 1);
  sae.wEnc.set([1, 0, 0, 1]);
  sae.wDec.set([1, 0, 0, 1]);
  return sae;
}

/** B: TopK k = 1, wEnc rows [0,1], [1,0] (swapped axes), wDec rows [0,1], [0.6,0.8], bDec = [0.5, 0]. */
function memberB(): Sae {
  const sae = zeroSae('topk', 2, 2, 1);
  sae.wEnc.set([0, 1, 1, 0]);
  sae.wDec.set([0, 1, 0.6, 0.8]);
  sae.bDec.set([0.5, 0]);
  return sae;
}

// x rows: x₁ = [3, 1], x₂ = [0, 2];  μ = [1.5, 1.5];  Σ_t(x − μ)²: d0 = 4.5, d1 = 0.5, total 5.
const toy: Dataset = { name: 'toy', rows: 2, dIn: 2, x: Float32Array.from([3, 1, 0, 2]) };

describe('bagging, hand-worked', () => {
  // A(x₁): z = [3,1] → c = [3,0], g = [3,0].           A(x₂): z = [0,2] → c = [0,2], g = [0,2].
  // B(x₁): x − b = [2.5,1], z = [1,2.5] → c = [0,2.5], g = 2.5·[0.6,0.8] + [0.5,0] = [2,2].
  // B(x₂): x − b = [−0.5,2], z = [2,−0.5] → c = [2,0], g = 2·[0,1] + [0.5,0] = [0.5,2].
  // x̂ = mean: x̂₁ = [2.5,1] (err [0.5,0], 0.25), x̂₂ = [0.25,2] (err [−0.25,0], 0.0625).
  const members = [memberA(), memberB()];

  it('reconstructs the mean of the members', () => {
    expectClose(ensembleReconstruct('bagging', members, toy.x, 2), [2.5, 1, 0.25, 2], tight);
  });

  it('concatenated view: 4 rows, code scale 1/J, bias = mean of bDec', () => {
    const v = concatenatedView('bagging', members);
    expect(v.latents).toBe(4);
    expectClose(v.dictionary, [1, 0, 0, 1, 0, 1, 0.6, 0.8], tight);
    expectClose(v.codeScale, [0.5, 0.5, 0.5, 0.5], tight);
    expectClose(v.bias, [0.25, 0], tight); // ([0,0] + [0.5,0]) / 2
    expect(v.offsets).toEqual([0, 2, 4]);
    expect(Array.from(v.member)).toEqual([0, 0, 1, 1]);
    // c₁ = [3,0,0,2.5]: ½(3·[1,0] + 2.5·[0.6,0.8]) + [0.25,0] = [2.5,1] ✓
    expectClose(ensembleCodes('bagging', members, toy.x, 2), [3, 0, 0, 2.5, 0, 2, 2, 0], tight);
    expect(proposition31Gap('bagging', members, toy.x, 2)).toBeLessThan(1e-6);
  });

  it('metrics', () => {
    const m = evaluateEnsemble('bagging', members, { ...toy, truth: { nFeatures: 2, features: Float32Array.from([1, 0, 0, 1]) } });
    expectNear(m.msePerToken, (0.25 + 0.0625) / 2, tight); // (1/T) Σ_t ‖x − x̂‖²
    expectNear(m.explainedVariance, 1 - 0.3125 / 5, tight); // pooled: 1 − Σ err / Σ var
    expectNear(m.explainedVariancePerDim, (1 - 0.3125 / 4.5 + (1 - 0 / 0.5)) / 2, tight); // d0 err 0.3125, d1 err 0
    expectNear(m.l0, 2, tight); // 2 active per token = 1 + 1
    // dictionary [1,0], [0,1], [0,1], [0.6,0.8]: max cos to another row 0.6, 1, 1, 0.8 → only row 0 < 0.7
    expect(m.diversity).toEqual({ count: 1, fraction: 0.25 });
    // co-firing sets {0,3}, {1,2} → nnz(C) = 4 + 4 = 8 of 16
    expectNear(m.connectivity, 0.5, tight);
    // truth = the axes: rows 0 and 1 (or 2) match them at |cos| 1
    expectNear(m.mcc ?? NaN, 1, tight);
  });
});

describe('boosting, hand-worked', () => {
  // Stage 1 A on x: g = [3,0], [0,2]; r⁽²⁾ = [0,1], [0,0].
  // Stage 2 B on r⁽²⁾: row 1: r − b = [−0.5,1], z = [1,−0.5] → c = [1,0], g = [0,1] + [0.5,0] = [0.5,1].
  //                   row 2: r − b = [−0.5,0], z = [0,−0.5] → latent 0 kept at ReLU(0) = 0, g = [0.5,0].
  // x̂ = sum: x̂₁ = [3.5,1] (err [−0.5,0]), x̂₂ = [0.5,2] (err [−0.5,0]).
  const members = [memberA(), memberB()];

  it('reconstructs the sum along the residual chain', () => {
    expectClose(ensembleReconstruct('boosting', members, toy.x, 2), [3.5, 1, 0.5, 2], tight);
  });

  it('concatenated view: code scale 1, bias = sum of bDec, sequential codes', () => {
    const v = concatenatedView('boosting', members);
    expectClose(v.codeScale, [1, 1, 1, 1], tight);
    expectClose(v.bias, [0.5, 0], tight);
    expectClose(ensembleCodes('boosting', members, toy.x, 2), [3, 0, 1, 0, 0, 2, 0, 0], tight);
    expect(proposition31Gap('boosting', members, toy.x, 2)).toBeLessThan(1e-6);
  });

  it('metrics', () => {
    const m = evaluateEnsemble('boosting', members, toy);
    expectNear(m.msePerToken, 0.25, tight); // (0.25 + 0.25) / 2
    expectNear(m.explainedVariance, 1 - 0.5 / 5, tight);
    expectNear(m.explainedVariancePerDim, (1 - 0.5 / 4.5 + 1) / 2, tight); // d0 err 0.5, d1 err 0
    expectNear(m.l0, 1.5, tight); // 2 then 1 active
    expect(m.diversity).toEqual({ count: 1, fraction: 0.25 });
    expectNear(m.connectivity, 1 - 5 / 16, tight); // {0,2} → 4, {1} → 1
    expect(m.mcc).toBeUndefined();
  });
});

function randomData(rows: number, dIn: number, rng: Rng): Dataset {
  return { name: 'rand', rows, dIn, x: Float32Array.from({ length: rows * dIn }, () => rng.normal()) };
}

describe('Prop. 3.1: the concatenated SAE equals the ensemble', () => {
  for (const method of METHODS) {
    for (const arch of ARCHS) {
      it(`${method}, ${arch}, J = 3, input scales 1, 0.5, 2`, () => {
        const rng = createRng(7);
        const dIn = 5;
        const members = [1, 0.5, 2].map((s) => randomSae(arch, dIn, 6, 2, s, rng));
        const data = randomData(40, dIn, rng);
        const xHat = ensembleReconstruct(method, members, data.x, data.rows);
        let scale = 0;
        for (const v of xHat) scale = Math.max(scale, Math.abs(v));
        expect(proposition31Gap(method, members, data.x, data.rows)).toBeLessThan(1e-5 * Math.max(1, scale));
      });
    }
  }

  it('bagging bias is the mean of the decoder biases (scale 1)', () => {
    const rng = createRng(3);
    const members = [0, 1, 2, 3].map(() => randomSae('topk', 3, 4, 1, 1, rng));
    const v = concatenatedView('bagging', members);
    const mean = [0, 1, 2].map((d) => members.reduce((a, m) => a + m.bDec[d], 0) / members.length);
    expectClose(v.bias, mean, tight);
  });

  it('bagging equals the mean of member reconstructions; boosting error is the last residual', () => {
    const rng = createRng(5);
    const members = [0, 1].map(() => randomSae('relu', 3, 4, 0, 1, rng));
    const data = randomData(10, 3, rng);
    const g0 = stageReconstruction(members[0], data.x, 10);
    const g1 = stageReconstruction(members[1], data.x, 10);
    expectClose(ensembleReconstruct('bagging', members, data.x, 10), g0.map((v, i) => (v + g1[i]) / 2), tight);
    const r2 = data.x.map((v, i) => v - g0[i]);
    const g1r = stageReconstruction(members[1], r2, 10);
    expectClose(ensembleReconstruct('boosting', members, data.x, 10), g0.map((v, i) => v + g1r[i]), tight);
  });
});

describe('J = 1 reduces to the single SAE', () => {
  for (const method of METHODS) {
    it(method, () => {
      const rng = createRng(11);
      const sae = randomSae('topk', 4, 6, 2, 0.5, rng);
      const data = randomData(30, 4, rng);
      const m = evaluateEnsemble(method, [sae], data);
      const xHat = stageReconstruction(sae, data.x, data.rows);
      const r = reconstructionMetrics(data.x, xHat, data.rows, 4);
      const f = encode(sae, scaleInput(data.x, 0.5), data.rows).f;
      const s = sparsityMetrics(f, data.rows, 6, sae.wDec, 4);
      expectNear(m.msePerToken, r.msePerToken, tight);
      expectNear(m.explainedVariance, r.explainedVariance, tight);
      expectNear(m.explainedVariancePerDim, r.explainedVariancePerDim, tight);
      expectNear(m.l0, s.l0, tight);
      const { maxCos } = decoderCosineStats(sae.wDec, 6, 4);
      const count = Array.from(maxCos).filter((c) => c < 0.7).length;
      expect(m.diversity.count).toBe(count);
      expectNear(connectivity(f, data.rows, 6), m.connectivity, tight);
      const v = concatenatedView(method, [sae]);
      expectClose(v.dictionary, sae.wDec, { atol: 0, rtol: 0 });
      expectClose(v.bias, sae.bDec.map((b) => b / 0.5), tight);
    });
  }
});

describe('diversity and connectivity edge cases', () => {
  it('one latent is diverse; orthogonal rows all diverse', () => {
    expect(diversity(Float32Array.from([1, 0]), 2)).toEqual({ count: 1, fraction: 1 });
    expect(diversity(Float32Array.from([1, 0, 0, 1, -1, 0]), 2)).toEqual({ count: 3, fraction: 1 }); // signed: [1,0]·[−1,0] = −1
  });

  it('connectivity: never firing = 1, always co-firing = 0', () => {
    expect(connectivity(new Float32Array(6), 3, 2)).toBe(1);
    expect(connectivity(Float32Array.from([1, 2, 3, 4]), 2, 2)).toBe(0);
  });
});

describe('stability and shared fraction, hand-worked', () => {
  // run0 = [1,0], [0,1];  run1 = [0,2] (unnormalised [0,1]), [0.6,0.8];  run2 = [−1,0], [0.8,0.6].
  const run0 = Float32Array.from([1, 0, 0, 1]);
  const run1 = Float32Array.from([0, 2, 0.6, 0.8]);
  const run2 = Float32Array.from([-1, 0, 0.8, 0.6]);

  it('relaxed and exact', () => {
    const s = stability([run0, run1, run2], 2);
    // run0: [1,0] → max(0.6 in run1, 0.8 in run2) = 0.8; [0,1] → 1.                 (0.8 + 1) / 2 = 0.9
    // run1: [0,1] → 1 (run0); [0.6,0.8] → max(0.8 run0, 0.96 run2) = 0.96.          (1 + 0.96) / 2 = 0.98
    // run2: [−1,0] → max(−1, 0, 0, −0.6) = 0; [0.8,0.6] → max(0.8, 0.6, 0.6, 0.96).  (0 + 0.96) / 2 = 0.48
    expectClose(s.relaxed, [0.9, 0.98, 0.48], tight);
    expectNear(s.mean, (0.9 + 0.98 + 0.48) / 3, tight);
    // exact, best permutation per pair: (0,1) swap 0.6 + 1 → 0.8; (0,2) swap 0.8 + 0 → 0.4;
    // (1,2) identity 0 + 0.96 → 0.48.  mean (0.8 + 0.4 + 0.48) / 3 = 0.56
    expectNear(s.exact, 0.56, tight);
  });

  it('identical runs are perfectly stable', () => {
    const s = stability([run1, run1], 2);
    expectClose(s.relaxed, [1, 1], tight);
    expectNear(s.exact, 1, tight);
  });

  it('needs two runs', () => {
    expect(() => stability([run0], 2)).toThrow(/at least 2/);
  });

  it('shared fraction curve', () => {
    // run0 vs run1: best signed cos 0.6 ([1,0]) and 1 ([0,1])
    expect(sharedFractionCurve(run0, run1, 2, [0.5, 0.7, 1])).toEqual([1, 0.5, 0.5]);
    // run2 vs run0: [−1,0] → 0, [0.8,0.6] → 0.8
    expect(sharedFractionCurve(run2, run0, 2, [-0.5, 0.5, 0.9])).toEqual([1, 0.5, 0]);
  });
});

describe('metricsPerJ: the metric-vs-J curve the app and the CLI report', () => {
  it('bagging/boosting: J\' = 1..J over the first J\' SAEs; single/expanded: one point at J', () => {
    const rng = createRng(11);
    const saes = [3, 4, 5].map((dSae) => randomSae('topk', 4, dSae, 2, 1, rng));
    const data = randomData(25, 4, rng);
    for (const method of ['bagging', 'boosting'] as const) {
      const curve = metricsPerJ(method, 3, saes, data);
      expect(curve.map((p) => [p.members, p.latents])).toEqual([[1, 3], [2, 7], [3, 12]]);
      curve.forEach((p, i) => expect(p.metrics).toEqual(evaluateEnsemble(method, saes.slice(0, i + 1), data)));
    }
    // A second SAE's metrics differ from the first's: the curve is not one point repeated.
    expect(metricsPerJ('bagging', 3, saes, data)[1].metrics.l0).not.toBe(metricsPerJ('bagging', 3, saes, data)[0].metrics.l0);
    const expanded = metricsPerJ('expanded', 4, saes.slice(2), data);
    expect(expanded).toEqual([{ members: 4, latents: 5, metrics: evaluateEnsemble('bagging', saes.slice(2), data) }]);
    expect(metricsPerJ('single', 1, saes.slice(0, 1), data).map((p) => p.members)).toEqual([1]);
  });
});
