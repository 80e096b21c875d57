// The sparse twins (src/core/sae/sparse.ts), composed the way the GPU step runs them — decode, decodeBackward,
// latent segments, segment gradients (main, then AuxK accumulated), bDecGrad — give exactly the TopK
// gradients of loss.ts:lossAndGrads, for one SAE and for a 3-member ensemble sharing the batch, with and
// without AuxK. Imports src/core and the test helpers only.
//
// Tolerance: atol 1e-6, rtol 1e-6. Both sides accumulate in f64; the twins round a few intermediates to
// f32 where the GPU stores them (e, gVal, dBEnc, the main term before AuxK adds to it), each a relative
// 2⁻²⁴ ≈ 6e-8 on terms of size ≤ ~10, so sums of ≤ 40 of them differ by ≲ 40·6e-8·10 ≈ 2.4e-5 in the worst
// case and by ~1e-7 in practice; cancellation to near 0 is covered by atol.

import { describe, expect, it } from 'vitest';
import { lossAndGrads, zeroGrads, type LossContext } from '../../../src/core/sae/loss.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { encodePre } from '../../../src/core/sae/sae.ts';
import {
  bDecGradSparse,
  decodeBackwardSparse,
  decodeSparse,
  EMPTY_SLOT,
  latentSegments,
  segmentGrad,
  topkSlots,
  type SparseSizes,
} from '../../../src/core/sae/sparse.ts';
import { zeroSae, type Sae } from '../../../src/core/sae/types.ts';
import { expectClose } from '../../helpers/close.ts';

const TOL = { atol: 1e-6, rtol: 1e-6 };

function randomSae(rng: ReturnType<typeof createRng>, dIn: number, dSae: number, k: number): Sae {
  const sae = zeroSae('topk', dIn, dSae, k);
  for (const a of [sae.wEnc, sae.wDec]) for (let i = 0; i < a.length; i++) a[i] = rng.normal() * 0.6;
  // Negative-leaning biases: some rows keep latents with z ≤ 0 (val 0, no gradient through them).
  for (let i = 0; i < dSae; i++) sae.bEnc[i] = rng.normal() * 0.5 - 0.4;
  for (let i = 0; i < dIn; i++) sae.bDec[i] = rng.normal() * 0.3;
  return sae;
}

interface Grads {
  wEnc: Float32Array; // [N, dIn]
  bEnc: Float32Array; // [N]
  wDec: Float32Array; // [N, dIn]
  bDec: Float32Array; // [M, dIn]
}

/** The GPU step's sparse backward, on the twins. members: M SAEs sharing x [batch, dIn]; dead: [N]. */
function sparseStep(members: Sae[], x: Float32Array, batch: number, alpha: number, kAux: number, dead: Uint8Array): { grads: Grads; auxEmpty: number } {
  const M = members.length;
  const { dIn, dSae, k } = members[0];
  const N = M * dSae;
  const cat = (get: (s: Sae) => Float32Array): Float32Array => {
    const parts = members.map(get);
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  const wEnc = cat((s) => s.wEnc);
  const wDec = cat((s) => s.wDec);
  const bDec = cat((s) => s.bDec);
  // z [batch, N]: members' pre-activations side by side (the GPU's one GEMM over concatenated encoders).
  const z = new Float32Array(batch * N);
  members.forEach((sae, j) => {
    const zj = encodePre(sae, x, batch);
    for (let b = 0; b < batch; b++) z.set(zj.subarray(b * dSae, (b + 1) * dSae), b * N + j * dSae);
  });

  const main: SparseSizes = { batch, M, dIn, dSae, k };
  const sel = topkSlots(z, main);
  const dec = decodeSparse(main, wDec, bDec, sel.idx, sel.val, x, { withBias: true, targetMemberStride: 0, targetScale: 1 });
  const grads: Grads = { wEnc: new Float32Array(N * dIn).fill(NaN), bEnc: new Float32Array(N).fill(NaN), wDec: new Float32Array(N * dIn).fill(NaN), bDec: new Float32Array(0) };

  const backward = (s: SparseSizes, idx: Uint32Array, val: Float32Array, e: Float32Array, coeff: number, memberScale: Float32Array | undefined, accumulate: boolean): void => {
    const gVal = decodeBackwardSparse(s, e, wDec, idx, val, coeff, memberScale);
    const seg = latentSegments(s, idx);
    segmentGrad(s, seg, val, e, { srcMemberStride: batch * dIn, factor: (2 / batch) * coeff, memberScale, accumulate }, grads.wDec);
    segmentGrad(s, seg, gVal, x, { srcMemberStride: 0, bias: bDec, factor: 1, accumulate }, grads.wEnc, grads.bEnc);
  };
  backward(main, sel.idx, sel.val, dec.e, 1, undefined, false);

  let auxEmpty = 0;
  if (alpha > 0) {
    // Per member: scale_j = min(nDead_j/kAux, 1) (0 when nothing is dead: every AuxK slot is then empty).
    const memberScale = new Float32Array(M);
    for (let j = 0; j < M; j++) {
      let nDead = 0;
      for (let i = 0; i < dSae; i++) nDead += dead[j * dSae + i];
      memberScale[j] = Math.min(nDead / kAux, 1);
    }
    const aux: SparseSizes = { ...main, k: kAux };
    const a = topkSlots(z, aux, dead);
    auxEmpty = a.idx.filter((i) => i === EMPTY_SLOT).length;
    // ê without bDec; target = the detached residual x − x̂ = −e_main.
    const auxDec = decodeSparse(aux, wDec, bDec, a.idx, a.val, dec.e, { withBias: false, targetMemberStride: batch * dIn, targetScale: -1 });
    backward(aux, a.idx, a.val, auxDec.e, alpha, memberScale, true);
  }
  grads.bDec = bDecGradSparse(main, dec.e, grads.bEnc, wEnc);
  return { grads, auxEmpty };
}

describe('sparse twins compose to lossAndGrads (topk)', () => {
  const cases = [
    { name: 'one SAE, no AuxK', M: 1, dIn: 6, dSae: 9, k: 3, batch: 5, alpha: 0, kAux: 4, nDead: [0] },
    { name: 'one SAE, AuxK with kAux < nDead', M: 1, dIn: 6, dSae: 9, k: 3, batch: 5, alpha: 0.5, kAux: 2, nDead: [4] },
    { name: 'one SAE, AuxK with kAux > nDead (empty slots, scale < 1)', M: 1, dIn: 5, dSae: 8, k: 2, batch: 4, alpha: 0.25, kAux: 5, nDead: [3] },
    { name: '3 members, no AuxK', M: 3, dIn: 4, dSae: 7, k: 2, batch: 6, alpha: 0, kAux: 2, nDead: [0, 0, 0] },
    { name: '3 members, AuxK with different dead counts (one none)', M: 3, dIn: 4, dSae: 7, k: 2, batch: 6, alpha: 0.5, kAux: 3, nDead: [2, 0, 5] },
    { name: 'k = dSae, dIn 1', M: 2, dIn: 1, dSae: 3, k: 3, batch: 3, alpha: 0.5, kAux: 1, nDead: [1, 3] },
    // Latents 1 and 2 (and 5, 6) are copies: equal z in every row, both TopK and AuxK break the tie to the lower index.
    { name: 'tied pre-activations', M: 2, dIn: 4, dSae: 7, k: 1, batch: 5, alpha: 0.5, kAux: 1, nDead: [2, 2], tie: true },
  ];
  it.each(cases)('$name', ({ M, dIn, dSae, k, batch, alpha, kAux, nDead, tie }) => {
    const rng = createRng(1000 * M + 10 * dIn + k);
    const members = Array.from({ length: M }, () => randomSae(rng, dIn, dSae, k));
    if (tie) {
      for (const sae of members) {
        for (const [a, b] of [[1, 2], [5, 6]]) {
          sae.wEnc.copyWithin(b * dIn, a * dIn, (a + 1) * dIn);
          sae.bEnc[b] = sae.bEnc[a] = 2; // large enough to win TopK: the tie decides
        }
      }
    }
    const x = Float32Array.from({ length: batch * dIn }, () => rng.normal());
    // dead: the last nDead_j latents of member j (kept at z ≠ 0 by the random weights).
    const dead = new Uint8Array(M * dSae);
    for (let j = 0; j < M; j++) for (let i = dSae - nDead[j]; i < dSae; i++) dead[j * dSae + i] = 1;

    const { grads, auxEmpty } = sparseStep(members, x, batch, alpha, kAux, dead);
    if (alpha > 0 && nDead.some((n) => n < kAux)) expect(auxEmpty).toBeGreaterThan(0);

    members.forEach((sae, j) => {
      const ctx: LossContext = { l1Coefficient: 0, bandwidth: 1e-3, auxkCoefficient: alpha, kAux, dead: dead.slice(j * dSae, (j + 1) * dSae) };
      const want = zeroGrads(sae);
      const r = lossAndGrads(sae, x, batch, ctx, want);
      if (alpha > 0 && nDead[j] > 0) expect(r.auxLoss).toBeGreaterThan(0);
      const tag = `member ${j}`;
      expectClose(grads.wDec.subarray(j * dSae * dIn, (j + 1) * dSae * dIn), want.wDec, TOL, `${tag} ∂L/∂wDec`);
      expectClose(grads.wEnc.subarray(j * dSae * dIn, (j + 1) * dSae * dIn), want.wEnc, TOL, `${tag} ∂L/∂wEnc`);
      expectClose(grads.bEnc.subarray(j * dSae, (j + 1) * dSae), want.bEnc, TOL, `${tag} ∂L/∂bEnc`);
      expectClose(grads.bDec.subarray(j * dIn, (j + 1) * dIn), want.bDec, TOL, `${tag} ∂L/∂bDec`);
    });
  });

  it('selected latents with z ≤ 0 (val 0) pass no gradient; unselected latents get exact zeros', () => {
    const sae = zeroSae('topk', 2, 3, 2);
    sae.wEnc.set([1, 0, 0, 1, 1, 1]);
    sae.wDec.set([1, 0, 0, 1, 0.6, 0.8]);
    sae.bEnc.set([0, 0, -10]);
    // x = (2, −1): z = (2, −1, −9) → keeps latents 0 (val 2) and 1 (val 0); latent 2 unselected.
    const x = new Float32Array([2, -1]);
    const { grads } = sparseStep([sae], x, 1, 0, 1, new Uint8Array(3));
    const want = zeroGrads(sae);
    lossAndGrads(sae, x, 1, { l1Coefficient: 0, bandwidth: 1e-3, auxkCoefficient: 0, kAux: 1, dead: new Uint8Array(3) }, want);
    expect(Array.from(grads.bEnc)).toEqual(Array.from(want.bEnc));
    expect(grads.bEnc[1]).toBe(0);
    expect(Array.from(grads.wEnc.subarray(2, 6))).toEqual([0, 0, 0, 0]);
    expect(Array.from(grads.wDec.subarray(4, 6))).toEqual([0, 0]);
  });

  it('latentSegments lists each latent’s (row, slot) pairs in ascending order and skips empty slots', () => {
    const s: SparseSizes = { batch: 3, M: 2, dIn: 1, dSae: 3, k: 2 };
    // [batch, M, k]
    const idx = Uint32Array.from([2, 0, /**/ 1, EMPTY_SLOT, /**/ 0, 2, /**/ EMPTY_SLOT, EMPTY_SLOT, /**/ 2, 1, /**/ 1, 0]);
    const { offsets, entries } = latentSegments(s, idx);
    // member 0: latent 0 ← (b0,s1), (b1,s0); latent 1 ← (b2,s1); latent 2 ← (b0,s0), (b1,s1), (b2,s0)
    // member 1: latent 0 ← (b2,s1); latent 1 ← (b0,s0), (b2,s0); latent 2 ← none
    expect(Array.from(offsets)).toEqual([0, 2, 3, 6, 7, 9, 9]);
    expect(Array.from(entries.subarray(0, 9))).toEqual([1, 2, 5, 0, 3, 4, 5, 0, 4]);
  });
});
