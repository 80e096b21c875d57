// The optimiser pieces on hand-worked values: decoder-parallel removal, global clip, Adam, row norms.
import { describe, expect, it } from 'vitest';
import { zeroSae } from '../../../src/core/sae/types.ts';
import { zeroGrads } from '../../../src/core/sae/loss.ts';
import { adamStep, clipGradNorm, createAdam, gradNorm, normalizeRows, projectDecoderGrad } from '../../../src/core/sae/optim.ts';
import { expectClose } from '../../helpers/close.ts';

const tight = { atol: 1e-7, rtol: 1e-6 };

describe('projectDecoderGrad', () => {
  it('removes the component parallel to each decoder row', () => {
    const w = new Float32Array([2, 0, 0.6, 0.8]);
    const g = new Float32Array([3, 4, 1, 0]);
    projectDecoderGrad(w, g, 2, 2);
    // row 0 ∥ e1: (3,4) → (0,4); row 1 u = (0.6,0.8): (1,0) − 0.6·u = (0.64, −0.48)
    expectClose(g, [0, 4, 0.64, -0.48], tight, 'g');
  });
  it('leaves a zero row alone', () => {
    const g = new Float32Array([1, 2]);
    projectDecoderGrad(new Float32Array([0, 0]), g, 1, 2);
    expectClose(g, [1, 2], tight, 'g');
  });
});

describe('clipGradNorm', () => {
  it('scales all tensors together to the max norm and reports the norm before', () => {
    const sae = zeroSae('topk', 1, 1, 1);
    const g = zeroGrads(sae);
    g.wEnc[0] = 3;
    g.bDec[0] = 4; // norm 5
    expect(clipGradNorm(g, 1)).toBeCloseTo(5, 12);
    expect(gradNorm(g)).toBeCloseTo(1, 6);
    expectClose([g.wEnc[0], g.bDec[0]], [0.6, 0.8], tight, 'clipped');
  });
  it('does nothing below the limit or when off', () => {
    const sae = zeroSae('topk', 1, 1, 1);
    const g = zeroGrads(sae);
    g.wEnc[0] = 3;
    clipGradNorm(g, 10);
    clipGradNorm(g, 0);
    expect(g.wEnc[0]).toBe(3);
  });
});

describe('adamStep', () => {
  it('first step moves each parameter by lr·sign(g) (bias correction), second by the hand value', () => {
    const sae = zeroSae('topk', 1, 1, 1);
    const g = zeroGrads(sae);
    const s = createAdam(sae);
    g.wEnc[0] = 0.5;
    g.bEnc[0] = -2;
    const h = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    adamStep(sae, g, s, h);
    expectClose([sae.wEnc[0], sae.bEnc[0], sae.wDec[0]], [-0.1, 0.1, 0], { atol: 1e-7, rtol: 1e-6 }, 'step 1');
    // step 2 with g = 0.5 again on wEnc: m = 0.9·0.05 + 0.05 = 0.095, v = 0.999·0.00025 + 0.00025 = 0.00049975
    // m̂ = 0.095/0.19 = 0.5, v̂ = 0.00049975/0.001999 = 0.25 → Δ = 0.1·0.5/0.5 = 0.1
    adamStep(sae, g, s, h);
    expect(sae.wEnc[0]).toBeCloseTo(-0.2, 6);
    expect(s.t).toBe(2);
  });
});

describe('normalizeRows', () => {
  it('unit rows, zero row kept', () => {
    const w = new Float32Array([3, 4, 0, 0, 0, -2]);
    normalizeRows(w, 3, 2);
    expectClose(w, [0.6, 0.8, 0, 0, 0, -1], tight, 'w');
  });
});
