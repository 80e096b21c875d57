// The dense twins (src/core/sae/dense.ts), composed the way the GPU step runs them — activation forward, dense decode,
// decoder-gradient GEMM, activation backward (+ JumpReLU's straight-through threshold gradient), gemmTN twice,
// bDecGrad — give the ReLU, JumpReLU and BatchTopK gradients of loss.ts:lossAndGrads (no AuxK), for one SAE and
// for ensembles sharing the batch. Imports src/core and the test helpers only.
//
// Tolerance: atol 1e-6·max|want| of the tensor, rtol 1e-6. Both sides accumulate in f64; the twins round
// intermediates to f32 where the GPU stores them (f, e, gF, gz, θ, ‖wDec‖, dBEnc), each a relative 2⁻²⁴ ≈ 6e-8,
// so a gradient entry built from ≲ 10 such roundings is off by ≲ 6e-7 of its terms' size; entries that cancel
// to near 0 are covered by the tensor-scaled atol.

import { describe, expect, it } from 'vitest';
import { activationForward, decodeDense, denseBackward, gemmTN, thresholdGrad, thresholds, type DenseArch, type DenseParams, type DenseSizes } from '../../../src/core/sae/dense.ts';
import { lossAndGrads, zeroGrads, type LossContext } from '../../../src/core/sae/loss.ts';
import { createRng, type Rng } from '../../../src/core/math/random.ts';
import { batchTopkCodes, encodePre } from '../../../src/core/sae/sae.ts';
import { zeroSae, type Sae } from '../../../src/core/sae/types.ts';
import { expectClose } from '../../helpers/close.ts';

const RTOL = 1e-6;

function expectGrad(got: Float32Array, want: Float32Array, label: string): void {
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  expectClose(got, want, { atol: 1e-6 * scale + 1e-30, rtol: RTOL }, label);
}

function randomSae(rng: Rng, arch: DenseArch, dIn: number, dSae: number, k: number): Sae {
  const sae = zeroSae(arch, dIn, dSae, k);
  for (const a of [sae.wEnc, sae.wDec]) for (let i = 0; i < a.length; i++) a[i] = rng.normal() * 0.6;
  for (let i = 0; i < dSae; i++) sae.bEnc[i] = rng.normal() * 0.5 - 0.2;
  for (let i = 0; i < dIn; i++) sae.bDec[i] = rng.normal() * 0.3;
  // θ between 0.05 and 0.6: with ε = 0.4 many z fall inside the STE window (|z − θ| < ε/2), on both sides.
  for (let i = 0; i < sae.logThreshold.length; i++) sae.logThreshold[i] = Math.log(0.05 + 0.55 * rng.uniform());
  return sae;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** z [batch, N] and the codes f [batch, N] for M members sharing x, as the GPU forms them. */
function forward(arch: DenseArch, members: Sae[], x: Float32Array, batch: number): { z: Float32Array; f: Float32Array; p: DenseParams } {
  const M = members.length;
  const { dSae } = members[0];
  const N = M * dSae;
  const z = new Float32Array(batch * N);
  members.forEach((sae, j) => {
    const zj = encodePre(sae, x, batch);
    for (let b = 0; b < batch; b++) z.set(zj.subarray(b * dSae, (b + 1) * dSae), b * N + j * dSae);
  });
  const p: DenseParams = {
    wEnc: concat(members.map((s) => s.wEnc)),
    bEnc: concat(members.map((s) => s.bEnc)),
    wDec: concat(members.map((s) => s.wDec)),
    bDec: concat(members.map((s) => s.bDec)),
    logThreshold: concat(members.map((s) => s.logThreshold)),
  };
  let f: Float32Array;
  if (arch === 'batchtopk') {
    // batchTopkThreshold.wgsl's twin, per member on its [batch, dSae] block.
    f = new Float32Array(batch * N);
    members.forEach((sae, j) => {
      const zj = new Float32Array(batch * dSae);
      for (let b = 0; b < batch; b++) zj.set(z.subarray(b * N + j * dSae, b * N + (j + 1) * dSae), b * dSae);
      const fj = batchTopkCodes(zj, batch, dSae, sae.k).f;
      for (let b = 0; b < batch; b++) f.set(fj.subarray(b * dSae, (b + 1) * dSae), b * N + j * dSae);
    });
  } else {
    f = activationForward(arch, z, N, arch === 'jumprelu' ? thresholds(p.logThreshold) : undefined);
  }
  return { z, f, p };
}

describe('dense twins compose to lossAndGrads (relu, jumprelu, batchtopk; no AuxK)', () => {
  const shapes = [
    { name: 'one SAE', M: 1, dIn: 6, dSae: 9, batch: 5, k: 3 },
    { name: '3 members', M: 3, dIn: 4, dSae: 7, batch: 6, k: 2 },
    { name: 'dIn 1, batch 1', M: 2, dIn: 1, dSae: 3, batch: 1, k: 1 },
  ];
  const archs: DenseArch[] = ['relu', 'jumprelu', 'batchtopk'];
  const cases = archs.flatMap((arch) => shapes.map((sh) => ({ ...sh, arch, label: `${arch}: ${sh.name}` })));

  it.each(cases)('$label', ({ arch, M, dIn, dSae, batch, k }) => {
    const rng = createRng(100 * M + 10 * dIn + dSae + archs.indexOf(arch) * 7);
    const members = Array.from({ length: M }, () => randomSae(rng, arch, dIn, dSae, k));
    const x = Float32Array.from({ length: batch * dIn }, () => rng.normal());
    const l1Coefficient = arch === 'batchtopk' ? 0 : 0.3;
    const bandwidth = 0.4;
    const s: DenseSizes = { batch, M, dIn, dSae };
    const { z, f, p } = forward(arch, members, x, batch);
    const got = denseBackward(arch, s, p, x, z, f, { l1Coefficient, bandwidth });

    let inWindow = 0;
    members.forEach((sae, j) => {
      const ctx: LossContext = { l1Coefficient, bandwidth, auxkCoefficient: 0, kAux: 1, dead: new Uint8Array(dSae) };
      const want = zeroGrads(sae);
      const r = lossAndGrads(sae, x, batch, ctx, want);
      const tag = `${arch} member ${j}`;
      // The same codes and the same per-row squared error (mse = Σ sqErr / batch).
      const fj = new Float32Array(batch * dSae);
      for (let b = 0; b < batch; b++) fj.set(f.subarray(b * M * dSae + j * dSae, b * M * dSae + (j + 1) * dSae), b * dSae);
      expect(Array.from(fj), `${tag} codes`).toEqual(Array.from(r.f));
      const mse = got.sqErr.subarray(j * batch, (j + 1) * batch).reduce((a, v) => a + v, 0) / batch;
      expect(Math.abs(mse - r.mse)).toBeLessThanOrEqual(1e-6 * r.mse + 1e-12);
      expectGrad(got.wDec.subarray(j * dSae * dIn, (j + 1) * dSae * dIn), want.wDec, `${tag} ∂L/∂wDec`);
      expectGrad(got.wEnc.subarray(j * dSae * dIn, (j + 1) * dSae * dIn), want.wEnc, `${tag} ∂L/∂wEnc`);
      expectGrad(got.bEnc.subarray(j * dSae, (j + 1) * dSae), want.bEnc, `${tag} ∂L/∂bEnc`);
      expectGrad(got.bDec.subarray(j * dIn, (j + 1) * dIn), want.bDec, `${tag} ∂L/∂bDec`);
      if (arch === 'jumprelu') {
        expectGrad(got.logThreshold.subarray(j * dSae, (j + 1) * dSae), want.logThreshold, `${tag} ∂L/∂logθ`);
        inWindow += want.logThreshold.filter((v) => v !== 0).length;
      }
    });
    // The STE is exercised: some latents have a row inside the window (jumprelu with batch > 1).
    if (arch === 'jumprelu' && batch > 1) expect(inWindow).toBeGreaterThan(0);
  });

  it('relu: the decoder L1 term skips latents with a zero decoder row', () => {
    const s: DenseSizes = { batch: 2, M: 1, dIn: 2, dSae: 2 };
    const coef = Float32Array.from([1, 2, 3, 4]); // [batch, N]
    const src = Float32Array.from([0, 0, 0, 0]);
    const wDec = Float32Array.from([3, 4, 0, 0]);
    const out = new Float32Array(4);
    gemmTN(s, coef, src, { srcMemberStride: 0, factor: 1, l1: { scale: 0.5, wDec, decNorm: Float32Array.from([5, 0]) }, accumulate: false }, out);
    // latent 0: 0.5·(1 + 3)/5·(3, 4) = (1.2, 1.6); latent 1: zero row → nothing.
    expectClose(out, [1.2, 1.6, 0, 0], { atol: 1e-7, rtol: 1e-7 }, 'dWDec');
  });

  it('jumprelu: the window is open (−ε/2, ε/2) around θ and the L0 term counts every row in it', () => {
    const s: DenseSizes = { batch: 4, M: 1, dIn: 1, dSae: 1 };
    const theta = Float32Array.from([0.5]);
    // z − θ = −0.25 (edge: out), −0.2 (in), 0.1 (in), 0.25 (edge: out); ε = 0.5
    const z = Float32Array.from([0.25, 0.3, 0.6, 0.75]);
    const gF = Float32Array.from([1, 2, 3, 4]);
    const g = thresholdGrad(s, z, gF, theta, { gScale: 1, bandwidth: 0.5, l0Coefficient: 0.8 });
    // θ·Σ_in (−(θ/ε)·g − λ/(B·ε)) = 0.5·((−1·2 − 0.4) + (−1·3 − 0.4)) = −2.9
    expectClose(g, [-2.9], { atol: 1e-6, rtol: 1e-6 }, 'dLogThreshold');
  });

  it('decodeDense subtracts the target per member with its stride and scale', () => {
    const s: DenseSizes = { batch: 1, M: 2, dIn: 2, dSae: 1 };
    const f = Float32Array.from([2, 3]); // [batch, N]
    const wDec = Float32Array.from([1, 0, 0, 1]);
    const bDec = Float32Array.from([0.5, 0.5, -1, -1]);
    const target = Float32Array.from([1, 1, 10, 10]); // [M, batch, dIn]
    const r = decodeDense(s, f, wDec, bDec, target, { withBias: true, targetMemberStride: 2, targetScale: -1 });
    expect(Array.from(r.xHat)).toEqual([2.5, 0.5, -1, 2]);
    expect(Array.from(r.e)).toEqual([3.5, 1.5, 9, 12]);
    expect(Array.from(r.sqErr)).toEqual([3.5 ** 2 + 1.5 ** 2, 81 + 144]);
  });
});
