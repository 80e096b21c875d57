// Exact gradients of the reference loss, checked by central finite differences for every
// architecture and for AuxK; the JumpReLU straight-through gradient (not a true derivative) is
// checked against its formula on a hand-worked case.
import { describe, expect, it } from 'vitest';
import type { Arch, Sae } from '../../../src/core/sae/types.ts';
import { zeroSae } from '../../../src/core/sae/types.ts';
import { createRng } from '../../../src/core/math/random.ts';
import type { LossContext, SaeGrads } from '../../../src/core/sae/loss.ts';
import { lossAndGrads, zeroGrads } from '../../../src/core/sae/loss.ts';
import { encodePre } from '../../../src/core/sae/sae.ts';
import { expectClose, expectNear } from '../../helpers/close.ts';

const dIn = 5;
const dSae = 7;
const rows = 4;

function randomSae(arch: Arch, seed: number): { sae: Sae; x: Float32Array } {
  const rng = createRng(seed);
  const sae = zeroSae(arch, dIn, dSae, 3);
  for (const a of [sae.wEnc, sae.wDec]) for (let i = 0; i < a.length; i++) a[i] = rng.normal() * 0.7;
  for (let i = 0; i < dSae; i++) sae.bEnc[i] = rng.normal() * 0.3;
  for (let i = 0; i < dIn; i++) sae.bDec[i] = rng.normal() * 0.3;
  if (arch === 'jumprelu') sae.logThreshold.fill(Math.log(0.35));
  const x = new Float32Array(rows * dIn);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return { sae, x };
}

/** Smallest distance of any pre-activation to a kink (0, θ, or a TopK/BatchTopK/AuxK selection boundary). */
function margin(sae: Sae, x: Float32Array, ctx: LossContext): number {
  const z = encodePre(sae, x, rows);
  let m = Infinity;
  for (let i = 0; i < z.length; i++) {
    m = Math.min(m, Math.abs(z[i]));
    if (sae.arch === 'jumprelu') m = Math.min(m, Math.abs(z[i] - Math.exp(sae.logThreshold[i % dSae])));
  }
  const gapOf = (vals: number[], k: number): number => {
    const s = [...vals].sort((a, b) => b - a);
    return k < s.length ? s[k - 1] - s[k] : Infinity;
  };
  for (let t = 0; t < rows; t++) {
    const row = Array.from(z.subarray(t * dSae, (t + 1) * dSae));
    if (sae.arch === 'topk') m = Math.min(m, gapOf(row, sae.k));
    const deadVals = row.filter((_, i) => ctx.dead[i]);
    if (deadVals.length > 0) m = Math.min(m, gapOf(deadVals, Math.min(ctx.kAux, deadVals.length)));
  }
  if (sae.arch === 'batchtopk') m = Math.min(m, gapOf(Array.from(z), rows * sae.k));
  return m;
}

const PARAMS = ['wEnc', 'bEnc', 'wDec', 'bDec'] as const;

function fdCheck(sae: Sae, x: Float32Array, ctx0: LossContext, h = 1e-2): void {
  const g: SaeGrads = zeroGrads(sae);
  const base = lossAndGrads(sae, x, rows, ctx0, g);
  // AuxK's target is stopgrad(x − x̂): hold it fixed while perturbing, as autograd would.
  const auxTarget = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) auxTarget[i] = x[i] - base.xHat[i];
  const ctx: LossContext = { ...ctx0, auxTarget };
  for (const name of PARAMS) {
    const p = sae[name];
    const fd = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const old = p[i];
      p[i] = old + h;
      const lp = lossAndGrads(sae, x, rows, ctx).loss;
      p[i] = old - h;
      const lm = lossAndGrads(sae, x, rows, ctx).loss;
      p[i] = old;
      fd[i] = (lp - lm) / (2 * h);
    }
    // f32 storage of z/x̂ makes the loss noisy at ~1e-6; /2h gives ~1e-4 of noise in fd.
    expectClose(g[name], fd, { atol: 5e-4, rtol: 2e-3 }, `${sae.arch} ∂L/∂${name}`);
  }
}

const noAux = (l1: number): LossContext => ({ l1Coefficient: l1, bandwidth: 1e-3, auxkCoefficient: 0, kAux: 2, dead: new Uint8Array(dSae) });

describe('finite-difference gradient checks', () => {
  const cases: { arch: Arch; ctx: LossContext }[] = [
    { arch: 'topk', ctx: noAux(0) },
    { arch: 'batchtopk', ctx: noAux(0) },
    { arch: 'relu', ctx: noAux(0.3) },
    { arch: 'jumprelu', ctx: noAux(0.3) },
    // AuxK: latents 4, 5, 6 dead, kAux 2, α 0.5 (large so the term matters in the check)
    { arch: 'topk', ctx: { l1Coefficient: 0, bandwidth: 1e-3, auxkCoefficient: 0.5, kAux: 2, dead: new Uint8Array([0, 0, 0, 0, 1, 1, 1]) } },
    // AuxK with fewer dead than kAux: scale = nDead/kAux = 1/3
    { arch: 'batchtopk', ctx: { l1Coefficient: 0, bandwidth: 1e-3, auxkCoefficient: 0.5, kAux: 3, dead: new Uint8Array([0, 1, 0, 0, 0, 0, 0]) } },
  ];
  it.each(cases)('$arch (auxk α=$ctx.auxkCoefficient)', ({ arch, ctx }) => {
    // Pick the first seed whose pre-activations sit ≥ 0.08 from every kink, so ±h never crosses one.
    let seed = 1;
    let s = randomSae(arch, seed);
    while (margin(s.sae, s.x, ctx) < 0.08) s = randomSae(arch, ++seed);
    expect(seed).toBeLessThan(500);
    const r = lossAndGrads(s.sae, s.x, rows, ctx);
    if (ctx.auxkCoefficient > 0) expect(r.auxLoss).toBeGreaterThan(0);
    if (arch === 'relu' || arch === 'jumprelu') expect(r.sparsityLoss).toBeGreaterThan(0);
    fdCheck(s.sae, s.x, ctx);
  });
});

describe('loss values on a hand-worked case', () => {
  it('topk: mse sums over dims and averages over tokens', () => {
    const sae = zeroSae('topk', 2, 2, 1);
    sae.wEnc.set([1, 0, 0, 1]);
    sae.wDec.set([1, 0, 0, 1]);
    // x0 = (3, 1) → z = (3, 1) → keep latent 0 → x̂ = (3, 0), err² = 1
    // x1 = (0, −2) → z = (0, −2) → keep latent 0 (ReLU 0) → x̂ = (0, 0), err² = 4
    const r = lossAndGrads(sae, new Float32Array([3, 1, 0, -2]), 2, noAuxFor(2));
    expect(r.mse).toBeCloseTo(2.5, 12);
    expect(r.loss).toBeCloseTo(2.5, 12);
  });
  it('auxk: the residual is reconstructed by dead latents without bDec, scaled by min(nDead/kAux, 1)', () => {
    const sae = zeroSae('topk', 2, 2, 1);
    sae.wEnc.set([1, 0, 0, 1]);
    sae.wDec.set([1, 0, 0, 1]);
    sae.bDec.set([0, 0]);
    // x = (3, 1): main keeps latent 0 → e = (0, 1); dead latent 1 has z = 1 → ê = (0, 1) → aux = 0
    const ctx: LossContext = { l1Coefficient: 0, bandwidth: 1e-3, auxkCoefficient: 1 / 32, kAux: 4, dead: new Uint8Array([0, 1]) };
    expect(lossAndGrads(sae, new Float32Array([3, 1]), 1, ctx).auxLoss).toBeCloseTo(0, 12);
    // x = (3, 0.5) with wDec row 1 = (0, 2)... use wEnc row 1 scaled: z1 = 2·0.5 = 1 → ê = (0, 1), e = (0, 0.5)
    sae.wEnc.set([1, 0, 0, 2]);
    // aux = scale·‖ê − e‖² = (1/4)·0.25 = 0.0625; loss = mse 0.25 + α·aux
    const r = lossAndGrads(sae, new Float32Array([3, 0.5]), 1, ctx);
    expect(r.auxLoss).toBeCloseTo(0.0625, 7);
    expect(r.loss).toBeCloseTo(0.25 + 0.0625 / 32, 7);
  });
});

function noAuxFor(n: number): LossContext {
  return { l1Coefficient: 0, bandwidth: 1e-3, auxkCoefficient: 0, kAux: 1, dead: new Uint8Array(n) };
}

describe('jumprelu straight-through gradient', () => {
  it('matches −(θ/ε)·K·∂L/∂f − λ/(Bε)·K, times θ for log θ, only inside the bandwidth', () => {
    const sae = zeroSae('jumprelu', 1, 2, 0);
    sae.wEnc.set([1, 1]);
    sae.wDec.set([1, 0]);
    const theta = 0.5;
    sae.logThreshold.fill(Math.log(theta));
    const eps = 0.1;
    const lambda = 0.2;
    // x = 0.52: z = (0.52, 0.52) — both within ε/2 = 0.05 of θ; both fire (z > θ).
    // x̂ = 0.52·1 + 0.52·0 = 0.52 → residual 0, so ∂L/∂f = 0 for both; only the L0 part remains:
    // ∂L/∂logθ_i = θ·(−λ/(B·ε)) = 0.5·(−2) = −1
    const ctx: LossContext = { l1Coefficient: lambda, bandwidth: eps, auxkCoefficient: 0, kAux: 1, dead: new Uint8Array(2) };
    const g = zeroGrads(sae);
    lossAndGrads(sae, new Float32Array([0.52]), 1, ctx, g);
    expectClose(g.logThreshold, [-1, -1], { atol: 1e-6, rtol: 1e-6 }, '∂L/∂logθ');
    // x = 1: z = 1, outside the band → no threshold gradient
    lossAndGrads(sae, new Float32Array([1]), 1, ctx, g);
    expectClose(g.logThreshold, [0, 0], { atol: 0, rtol: 0 }, '∂L/∂logθ outside band');
    // x = 0.48 with wDec = (1, 1): z = 0.48 < θ, nothing fires, x̂ = 0, ∂L/∂f_i = 2·(0 − 0.48)·1 = −0.96;
    // ∂L/∂θ = −(θ/ε)·(−0.96) − λ/ε = 4.8 − 2 = 2.8 → ∂L/∂logθ = θ·2.8 = 1.4
    sae.wDec.set([1, 1]);
    lossAndGrads(sae, new Float32Array([0.48]), 1, ctx, g);
    expectNear(g.logThreshold[0], 1.4, { atol: 1e-5, rtol: 1e-5 }, '∂L/∂logθ below θ');
  });
});
