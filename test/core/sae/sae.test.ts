// Forward pass of the reference SAE on hand-worked cases: encoder, the four activations (ties to the
// lower index), decoder with and without bDec.
import { describe, expect, it } from 'vitest';
import { zeroSae } from '../../../src/core/sae/types.ts';
import { batchTopkCodes, decode, encode, encodePre, jumpreluCodes, reluCodes, thresholdCodes, topkCodes, topkRow } from '../../../src/core/sae/sae.ts';
import { expectClose } from '../../helpers/close.ts';

const exact = { atol: 1e-6, rtol: 1e-6 };

describe('encodePre', () => {
  it('computes z = wEnc·(x − bDec) + bEnc on a 2×2×3 case', () => {
    const sae = zeroSae('relu', 2, 3, 0);
    sae.wEnc.set([1, 0, 0, 1, 1, -1]); // latent rows: e1, e2, e1−e2
    sae.bEnc.set([0.5, 0, -1]);
    sae.bDec.set([1, 2]);
    // x0 = (3, 1): x − bDec = (2, −1) → z = (2.5, −1, 2); x1 = (1, 2): (0, 0) → (0.5, 0, −1)
    const z = encodePre(sae, new Float32Array([3, 1, 1, 2]), 2);
    expectClose(z, [2.5, -1, 2, 0.5, 0, -1], exact, 'z');
  });
});

describe('topk', () => {
  it('keeps the k largest, largest first', () => {
    expect(topkRow(new Float32Array([0.1, 3, -2, 5, 1]), 0, 5, 2)).toEqual([3, 1]);
  });
  it('ties go to the lower index', () => {
    expect(topkRow(new Float32Array([1, 2, 2, 2, 0]), 0, 5, 2)).toEqual([1, 2]);
    expect(topkRow(new Float32Array([7, 7, 7, 7]), 0, 4, 3)).toEqual([0, 1, 2]);
  });
  it('respects the allowed mask and returns fewer when fewer are allowed', () => {
    const row = new Float32Array([9, 1, 8, 2]);
    expect(topkRow(row, 0, 4, 3, new Uint8Array([0, 1, 0, 1]))).toEqual([3, 1]);
    expect(topkRow(row, 0, 4, 2, new Uint8Array([0, 0, 0, 0]))).toEqual([]);
  });
  it('applies ReLU after selection: a kept negative value becomes 0', () => {
    const f = topkCodes(new Float32Array([-1, -3, 2, -2]), 1, 4, 2);
    expectClose(f, [0, 0, 2, 0], exact, 'f');
  });
  it('k = dSae keeps every positive entry', () => {
    expectClose(topkCodes(new Float32Array([1, -1, 3]), 1, 3, 3), [1, 0, 3], exact, 'f');
  });
});

describe('batchtopk', () => {
  it('keeps rows·k values over the whole batch, ties to the lower flat index', () => {
    // 2 rows × 3 latents, k = 1 → 2 kept: 5 (flat 4) and the first 4 (flat 1 beats flat 5)
    const { f, minKept } = batchTopkCodes(new Float32Array([0, 4, 1, 2, 5, 4]), 2, 3, 1);
    expectClose(f, [0, 4, 0, 0, 5, 0], exact, 'f');
    expect(minKept).toBe(4);
  });
  it('a row may keep none and another more than k', () => {
    const { f } = batchTopkCodes(new Float32Array([9, 8, 0.1, 0.2]), 2, 2, 1);
    expectClose(f, [9, 8, 0, 0], exact, 'f');
  });
  it('inference uses the global threshold', () => {
    expectClose(thresholdCodes(new Float32Array([0.5, 1, 1.5]), 1), [0, 0, 1.5], exact, 'f');
  });
});

describe('relu and jumprelu', () => {
  it('relu', () => expectClose(reluCodes(new Float32Array([-1, 0, 2])), [0, 0, 2], exact, 'f'));
  it('jumprelu keeps z only above its own latent threshold', () => {
    const logT = new Float32Array([Math.log(0.5), Math.log(2)]);
    // rows: (1, 1) → (1, 0); (0.4, 3) → (0, 3)
    expectClose(jumpreluCodes(new Float32Array([1, 1, 0.4, 3]), 2, 2, logT), [1, 0, 0, 3], exact, 'f');
  });
});

describe('decode', () => {
  it('x̂ = f·wDec + bDec, and without bDec for AuxK', () => {
    const sae = zeroSae('topk', 2, 2, 1);
    sae.wDec.set([1, 0, 0.6, 0.8]);
    sae.bDec.set([10, 20]);
    const f = new Float32Array([2, 0, 1, 5]);
    expectClose(decode(sae, f, 2), [12, 20, 14, 24], exact, 'xHat');
    expectClose(decode(sae, f, 2, false), [2, 0, 4, 4], exact, 'xHat no bias');
  });
  it('encode dispatches on the architecture', () => {
    const sae = zeroSae('topk', 1, 3, 1);
    sae.wEnc.set([1, 2, 3]);
    const { f } = encode(sae, new Float32Array([1]), 1);
    expectClose(f, [0, 0, 3], exact, 'f');
  });
});
