// Boosting's residual (src/core/ensemble/boosting.ts) on hand-worked 1- and 2-stage cases, with and without an
// input scale; the identity x − Σ_j g(r⁽ʲ⁾) = r⁽ᴶ⁺¹⁾ over random stages of every architecture; no stages;
// foldInputScale keeps g(r). Imports src/core and the test helpers only.

import { describe, expect, it } from 'vitest';
import { boostingResidual, foldInputScale, stageReconstruction } from '../../../src/core/ensemble/boosting.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { SAE_ARCHS as ARCHS, zeroSae, type Dataset, type Sae } from '../../../src/core/sae/types.ts';
import { expectClose } from '../../helpers/close.ts';
import { randomSae } from '../../helpers/saes.ts';

const exact = { atol: 0, rtol: 0 };
const data = (x: number[], dIn: number): Dataset => ({ name: 'toy', rows: x.length / dIn, dIn, x: Float32Array.from(x) });

/** TopK k = 1 over the two axes of R²: keeps the larger coordinate (ties → axis 0). */
function axesTopk(bDec: [number, number] = [0, 0], inputScale = 1): Sae {
  const sae = zeroSae('topk', 2, 2, 1);
  sae.wEnc.set([1, 0, 0, 1]);
  sae.wDec.set([1, 0, 0, 1]);
  sae.bDec.set(bDec);
  sae.inputScale = inputScale;
  return sae;
}

describe('boostingResidual: hand-worked', () => {
  it('one TopK stage removes the larger coordinate', () => {
    // (3, 1): z = (3, 1) → latent 0, x̂ = (3, 0) → r = (0, 1);  (−1, 2): latent 1, x̂ = (0, 2) → r = (−1, 0)
    const r = boostingResidual([axesTopk()], data([3, 1, -1, 2], 2));
    expectClose(r.x, [0, 1, -1, 0], exact, 'r⁽²⁾');
    expect(r.rows).toBe(2);
    expect(r.dIn).toBe(2);
  });

  it('bDec is part of g: with bDec = (1, 1) the stage reconstructs (3, 1) exactly', () => {
    // x − bDec = (2, 0) → latent 0, val 2 → x̂ = (2, 0) + (1, 1) = (3, 1) → r = (0, 0)
    expectClose(boostingResidual([axesTopk([1, 1])], data([3, 1], 2)).x, [0, 0], exact, 'r⁽²⁾');
  });

  it('inputScale: the stage sees s·r and reconstructs x̂′/s', () => {
    // s = 2, bDec = (1, 1): x′ = (6, 2), x′ − bDec = (5, 1) → latent 0, val 5 → x̂′ = (6, 1) → x̂ = (3, 0.5) → r = (0, 0.5)
    expectClose(boostingResidual([axesTopk([1, 1], 2)], data([3, 1], 2)).x, [0, 0.5], exact, 'r⁽²⁾');
  });

  it('two stages chain on the running residual (TopK, then ReLU)', () => {
    // stage 2: ReLU, one latent, wEnc = (0, 2), bEnc = −1, wDec = (0, 1).
    const relu = zeroSae('relu', 2, 1, 0);
    relu.wEnc.set([0, 2]);
    relu.bEnc.set([-1]);
    relu.wDec.set([0, 1]);
    // (3, 1) → r⁽²⁾ = (0, 1): z = 2 − 1 = 1, x̂ = (0, 1) → r⁽³⁾ = (0, 0)
    // (−1, 2) → r⁽²⁾ = (−1, 0): z = −1, f = 0, x̂ = (0, 0) → r⁽³⁾ = (−1, 0)
    const r = boostingResidual([axesTopk(), relu], data([3, 1, -1, 2], 2));
    expectClose(r.x, [0, 0, -1, 0], exact, 'r⁽³⁾');
  });

  it('no stages: x unchanged (a copy), same name', () => {
    const d = data([1.5, -2, 0.25], 3);
    const r = boostingResidual([], d);
    expect(Array.from(r.x)).toEqual([1.5, -2, 0.25]);
    expect(r.x).not.toBe(d.x);
    expect(r.name).toBe('toy');
  });

  it('names the mismatch when a stage has another dIn', () => {
    expect(() => boostingResidual([axesTopk()], data([1, 2, 3], 3))).toThrow('boosting stage 0: dIn 2 does not match the data\'s dIn 3');
  });
});

describe('boostingResidual: identities on random stages', () => {
  const dIn = 7;
  const rows = 33;
  const rng = createRng(3);
  const x = Float32Array.from({ length: rows * dIn }, () => rng.normal());
  const d: Dataset = { name: 'rand', rows, dIn, x };
  const stages = [
    randomSae('topk', dIn, 12, 3, 1, rng),
    randomSae('relu', dIn, 9, 0, 0.5, rng),
    randomSae('jumprelu', dIn, 10, 0, 1.7, rng),
    randomSae('batchtopk', dIn, 11, 2, 3, rng),
  ];

  it('x − Σ_j g(r⁽ʲ⁾) = r⁽ᴶ⁺¹⁾, and stages.slice(0, j) gives r⁽ʲ⁺¹⁾', () => {
    const sum = new Float64Array(rows * dIn);
    let r: Float32Array = x;
    for (let j = 0; j < stages.length; j++) {
      expectClose(boostingResidual(stages.slice(0, j), d).x, r, exact, `r⁽${j + 1}⁾`);
      const g = stageReconstruction(stages[j], r, rows);
      for (let i = 0; i < g.length; i++) sum[i] += g[i];
      r = boostingResidual(stages.slice(0, j + 1), d).x;
    }
    // Tolerance: r⁽ᴶ⁺¹⁾ rounds J differences to f32, the f64 sum none: J half-ulps of the largest
    // intermediate, |x| + Σ|g| ≤ ~20 here, i.e. 4·2⁻²⁴·20 ≈ 5e-6.
    const viaSum = Float64Array.from(x, (v, i) => v - sum[i]);
    expectClose(r, viaSum, { atol: 1e-5, rtol: 0 }, 'x − Σ g');
  });

  it('foldInputScale leaves g(r) unchanged for every architecture', () => {
    for (const arch of ARCHS) {
      const stage = randomSae(arch, dIn, 10, 3, 2.5, rng);
      const folded = foldInputScale(stage);
      expect(folded.inputScale).toBe(1);
      // Tolerance: folding rounds s·wEnc, bDec/s, wDec/s once each (2⁻²⁴ relative), which moves z and x̂
      // by ~dIn·2⁻²⁴·Σ|terms| ≲ 1e-6 here; rows with a TopK / threshold decision that close are absent.
      expectClose(stageReconstruction(folded, x, rows), stageReconstruction(stage, x, rows), { atol: 1e-5, rtol: 1e-5 }, `g (${arch})`);
    }
  });
});
