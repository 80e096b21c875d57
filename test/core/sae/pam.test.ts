// PAM-SGD's decoder block (seed-papers §3.6, §4 unit test 5): the closed form is the minimiser (zero
// gradient by finite differences of F computed from the data, F does not increase), it matches the
// centred ψ/φ form when ν = β = 0, streamed statistics equal one pass and the dense sums, the uncentred
// (MNIST script) mode equals least squares on a hand case, ill-posed solves say which setting to change,
// and the bias fold leaves the codes unchanged.
import { describe, expect, it } from 'vitest';
import type { DecoderCoefficients } from '../../../src/core/sae/pam.ts';
import { applyDecoderSolve, createDecoderStats, decoderObjective, decoderSolveFlops, solveDecoder, solveDecoder64 } from '../../../src/core/sae/pam.ts';
import { cholesky, choleskySolve } from '../../../src/core/math/cholesky.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { encodePre } from '../../../src/core/sae/sae.ts';
import { zeroSae } from '../../../src/core/sae/types.ts';
import { InputError } from '../../../src/core/errors.ts';

interface Problem {
  n: number;
  m: number;
  dIn: number;
  f: Float32Array; // [n, m] sparse codes
  x: Float32Array; // [n, dIn]
  wPrev: Float64Array; // [m, dIn]
  bPrev: Float64Array; // [dIn]
}

/** Random sparse codes (each latent active with p = 0.4; `dead` never), inputs with a non-zero mean. */
function problem(n: number, m: number, dIn: number, seed: number, dead: number[] = []): Problem {
  const rng = createRng(seed);
  const f = new Float32Array(n * m);
  for (let t = 0; t < n; t++) for (let i = 0; i < m; i++) if (!dead.includes(i) && rng.uniform() < 0.4) f[t * m + i] = 0.2 + rng.uniform();
  const x = Float32Array.from({ length: n * dIn }, (_, j) => rng.normal() + 0.5 * (j % dIn));
  const wPrev = Float64Array.from({ length: m * dIn }, () => rng.normal());
  const bPrev = Float64Array.from({ length: dIn }, () => rng.normal());
  return { n, m, dIn, f, x, wPrev, bPrev };
}

function statsOf(p: Problem, chunk = p.n) {
  const s = createDecoderStats(p.m, p.dIn);
  for (let t0 = 0; t0 < p.n; t0 += chunk) {
    const t1 = Math.min(p.n, t0 + chunk);
    s.add(p.f.subarray(t0 * p.m, t1 * p.m), p.x.subarray(t0 * p.dIn, t1 * p.dIn), t1 - t0);
  }
  return s;
}

/** F(W, b) straight from the rows (no statistics), per-row-mean convention, f64. */
function objective(p: Problem, w: ArrayLike<number>, b: ArrayLike<number>, c: DecoderCoefficients): number {
  let sse = 0;
  for (let t = 0; t < p.n; t++) {
    for (let d = 0; d < p.dIn; d++) {
      let r = p.x[t * p.dIn + d] - b[d];
      for (let i = 0; i < p.m; i++) r -= p.f[t * p.m + i] * w[i * p.dIn + d];
      sse += r * r;
    }
  }
  let pen = 0;
  for (let j = 0; j < p.m * p.dIn; j++) pen += c.alpha * w[j] ** 2 + c.mu * (w[j] - p.wPrev[j]) ** 2;
  for (let d = 0; d < p.dIn; d++) pen += c.beta * b[d] ** 2 + c.nu * (b[d] - p.bPrev[d]) ** 2;
  return sse / p.n + pen;
}

/** Central-difference gradient of F over every entry of W and b; returns the largest |∂F|. */
function maxFdGrad(p: Problem, w: Float64Array, b: Float64Array, c: DecoderCoefficients, h = 1e-3): number {
  let worst = 0;
  for (const v of [w, b]) {
    for (let j = 0; j < v.length; j++) {
      const v0 = v[j];
      v[j] = v0 + h;
      const up = objective(p, w, b, c);
      v[j] = v0 - h;
      const down = objective(p, w, b, c);
      v[j] = v0;
      worst = Math.max(worst, Math.abs(up - down) / (2 * h));
    }
  }
  return worst;
}

const COEF: DecoderCoefficients = { alpha: 1e-3, beta: 2e-3, mu: 5e-2, nu: 3e-2 };

describe('createDecoderStats', () => {
  it('equals the dense sums Σzzᵀ, Σzxᵀ, Σz, Σx, Σ‖x‖² (only active latents visited)', () => {
    const p = problem(23, 5, 3, 1, [2]);
    const s = statsOf(p);
    expect(s.rows).toBe(23);
    let sxx = 0;
    for (const v of p.x) sxx += v * v;
    expect(s.sumXX).toBeCloseTo(sxx, 10);
    for (let i = 0; i < p.m; i++) {
      for (let j = 0; j < p.m; j++) {
        let g = 0;
        for (let t = 0; t < p.n; t++) g += p.f[t * p.m + i] * p.f[t * p.m + j];
        expect(s.g[i * p.m + j]).toBeCloseTo(g, 10);
      }
      for (let d = 0; d < p.dIn; d++) {
        let h = 0;
        for (let t = 0; t < p.n; t++) h += p.f[t * p.m + i] * p.x[t * p.dIn + d];
        expect(s.h[i * p.dIn + d]).toBeCloseTo(h, 10);
      }
    }
    expect(s.g[2 * p.m + 2]).toBe(0); // the dead latent
  });

  it('streaming in chunks equals one pass, bit for bit, whatever the chunk size', () => {
    const p = problem(50, 7, 4, 2);
    const one = statsOf(p);
    for (const chunk of [1, 7, 16]) {
      const s = statsOf(p, chunk);
      expect(s.rows).toBe(one.rows);
      expect(s.sumXX).toBe(one.sumXX);
      for (const k of ['g', 'h', 'sumZ', 'sumX'] as const) expect(Array.from(s[k])).toEqual(Array.from(one[k]));
    }
  });
});

describe('solveDecoder (exact, §3.6)', () => {
  it('gives a zero gradient of F (finite differences) where the previous decoder does not, and does not increase F', () => {
    const p = problem(40, 6, 5, 3);
    const s = statsOf(p);
    const sol = solveDecoder64(s, { wDec: p.wPrev, bDec: p.bPrev }, COEF);
    expect(maxFdGrad(p, p.wPrev.slice(), p.bPrev.slice(), COEF)).toBeGreaterThan(0.1);
    expect(maxFdGrad(p, sol.wDec, sol.bDec, COEF)).toBeLessThan(1e-9);
    const before = objective(p, p.wPrev, p.bPrev, COEF);
    const after = objective(p, sol.wDec, sol.bDec, COEF);
    expect(after).toBeLessThan(before);
    // Any perturbation increases F (it is the minimiser of a strictly convex quadratic).
    const rng = createRng(9);
    for (let trial = 0; trial < 5; trial++) {
      const w = sol.wDec.map((v) => v + 1e-2 * rng.normal());
      const b = sol.bDec.map((v) => v + 1e-2 * rng.normal());
      expect(objective(p, w, b, COEF)).toBeGreaterThan(after);
    }
  });

  it('decoderObjective from the statistics equals F computed from the rows', () => {
    const p = problem(30, 5, 4, 4);
    const s = statsOf(p, 8);
    const sol = solveDecoder64(s, { wDec: p.wPrev, bDec: p.bPrev }, COEF);
    for (const [w, b] of [
      [p.wPrev, p.bPrev],
      [sol.wDec, sol.bDec],
    ]) {
      const o = decoderObjective(s, { wDec: w, bDec: b }, COEF, { wDec: p.wPrev, bDec: p.bPrev });
      expect(o.objective).toBeCloseTo(objective(p, w, b, COEF), 9);
      expect(o.mse).toBeCloseTo(objective(p, w, b, { alpha: 0, beta: 0, mu: 0, nu: 0 }), 9);
    }
  });

  /** §3.6's centred transcription of Algorithm C.1 in the paper's sum convention (coefficients ·N). */
  function centred(p: Problem, c: DecoderCoefficients): Float64Array {
    const { n, m, dIn } = p;
    const [mu, nu, beta] = [c.mu * n, c.nu * n, c.beta * n];
    const gamma = n / (n + beta + nu);
    const zBar = new Float64Array(m);
    const xBar = new Float64Array(dIn);
    for (let t = 0; t < n; t++) {
      for (let i = 0; i < m; i++) zBar[i] += p.f[t * m + i] / n;
      for (let d = 0; d < dIn; d++) xBar[d] += p.x[t * dIn + d] / n;
    }
    const a = new Float64Array(m * m);
    const r = new Float64Array(m * dIn); // Cᵀ = ΨΦᵀ + μ'W_t
    for (let t = 0; t < n; t++) {
      const psi = Float64Array.from(zBar, (v, i) => p.f[t * m + i] - gamma * v);
      const phi = Float64Array.from(xBar, (v, d) => p.x[t * dIn + d] - (nu / (n + nu)) * p.bPrev[d] - gamma * v);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) a[i * m + j] += psi[i] * psi[j];
        for (let d = 0; d < dIn; d++) r[i * dIn + d] += psi[i] * phi[d];
      }
    }
    for (let i = 0; i < m; i++) a[i * m + i] += c.alpha * n + mu;
    for (let j = 0; j < m * dIn; j++) r[j] += mu * p.wPrev[j];
    expect(cholesky(a, m)).toBe(-1);
    choleskySolve(a, m, r, dIn);
    return r;
  }

  it('with ν = 0 and β = 0 matches the centred ψ/φ form; with ν > 0 (or β > 0) it does not, and the exact form is lower', () => {
    const p = problem(35, 5, 3, 5);
    const s = statsOf(p);
    const prev = { wDec: p.wPrev, bDec: p.bPrev };
    const c0 = { alpha: 1e-3, beta: 0, mu: 5e-2, nu: 0 };
    const exact = solveDecoder64(s, prev, c0).wDec;
    const cen = centred(p, c0);
    for (let j = 0; j < exact.length; j++) expect(exact[j]).toBeCloseTo(cen[j], 10);
    // ν > 0: the centred form differs by O(ν/N) (§3.6); the exact form is F's minimiser, so it is lower.
    const c1 = { ...c0, nu: 0.5 };
    const ex1 = solveDecoder64(s, prev, c1);
    const cen1 = centred(p, c1);
    let diff = 0;
    for (let j = 0; j < cen1.length; j++) diff = Math.max(diff, Math.abs(cen1[j] - ex1.wDec[j]));
    expect(diff).toBeGreaterThan(1e-6);
    expect(objective(p, ex1.wDec, ex1.bDec, c1)).toBeLessThan(objective(p, cen1, ex1.bDec, c1));
    // β > 0 with ν = 0 also breaks the match: ΨΨᵀ = G − Nγ(2−γ)z̄z̄ᵀ equals A's G − Nγz̄z̄ᵀ only when γ = 1.
    const c2 = { ...c0, beta: 0.5 };
    const ex2 = solveDecoder64(s, prev, c2).wDec;
    const cen2 = centred(p, c2);
    expect(Math.max(...ex2.map((v, j) => Math.abs(v - cen2[j])))).toBeGreaterThan(1e-6);
  });

  it('the f32 result is the f64 solve rounded', () => {
    const p = problem(20, 4, 3, 6);
    const s = statsOf(p);
    const prev = { wDec: p.wPrev, bDec: p.bPrev };
    const r32 = solveDecoder(s, prev, COEF);
    const r64 = solveDecoder64(s, prev, COEF);
    expect(Array.from(r32.wDec)).toEqual(Array.from(Float32Array.from(r64.wDec)));
    expect(Array.from(r32.bDec)).toEqual(Array.from(Float32Array.from(r64.bDec)));
  });

  it('dead latents: ridge 0 is refused with the fix; with a ridge the dead row is μ·W_t/(α+μ)', () => {
    const p = problem(30, 5, 3, 7, [1, 4]);
    const s = statsOf(p);
    const prev = { wDec: p.wPrev, bDec: p.bPrev };
    const none = { alpha: 0, beta: 0, mu: 0, nu: 0 };
    expect(() => solveDecoder(s, prev, none)).toThrow(InputError);
    expect(() => solveDecoder(s, prev, none)).toThrow(/not positive definite at latent 1 .*2 of 5 latents never fired.*ridge 0 with dead latents: set ridge > 0/);
    const c = { alpha: 1e-3, beta: 1e-3, mu: 4e-3, nu: 0 };
    const r = solveDecoder64(s, prev, c);
    for (const i of [1, 4]) for (let d = 0; d < 3; d++) expect(r.wDec[i * 3 + d]).toBeCloseTo((c.mu * p.wPrev[i * 3 + d]) / (c.alpha + c.mu), 12);
    expect(maxFdGrad(p, r.wDec, r.bDec, c)).toBeLessThan(1e-9);
  });

  it('fewer rows than latents with no ridge is refused, naming the rows; NaN statistics are refused', () => {
    const p = problem(3, 6, 2, 8);
    const prev = { wDec: p.wPrev, bDec: p.bPrev };
    // The codes of 3 rows span at most 3 of 6 dimensions.
    expect(() => solveDecoder(statsOf(p), prev, { alpha: 0, beta: 0, mu: 0, nu: 0 })).toThrow(/set ridge > 0/);
    const bad = problem(10, 3, 2, 9);
    bad.x[5] = NaN;
    expect(() => solveDecoder(statsOf(bad), { wDec: bad.wPrev, bDec: bad.bPrev }, COEF)).toThrow(/statistic .* is NaN .*encoder diverged/);
    expect(() => solveDecoder(createDecoderStats(3, 2), prev, COEF)).toThrow(/no rows/);
  });
});

describe('solveDecoder (uncentred, the MNIST script)', () => {
  it('equals least squares D = (ZᵀZ)⁻¹ZᵀX with b = mean residual on a hand case', () => {
    // Z = [[1,0],[0,2],[1,1]], X = [[1,0],[2,1],[3,−1]]: ZᵀZ = [[2,1],[1,5]], ZᵀX = [[4,−1],[7,1]].
    const s = createDecoderStats(2, 2);
    s.add(Float32Array.of(1, 0, 0, 2, 1, 1), Float32Array.of(1, 0, 2, 1, 3, -1), 3);
    const prev = { wDec: new Float64Array(4).fill(9), bDec: new Float64Array(2).fill(9) }; // unused with μ = 0
    const r = solveDecoder64(s, prev, { alpha: 0, beta: 5, mu: 0, nu: 5 }, 'uncentred'); // β, ν ignored
    const want = [13 / 9, -2 / 3, 10 / 9, 1 / 3];
    for (let j = 0; j < 4; j++) expect(r.wDec[j]).toBeCloseTo(want[j], 12);
    expect(r.bDec[0]).toBeCloseTo(-2 / 27, 12);
    expect(r.bDec[1]).toBeCloseTo(1 / 9, 12);
  });

  it('is not the joint optimum when the codes are not centred: the exact solve reaches a lower F', () => {
    const p = problem(40, 5, 3, 10);
    const s = statsOf(p);
    const prev = { wDec: p.wPrev, bDec: p.bPrev };
    const c = { alpha: 1e-6, beta: 0, mu: 0, nu: 0 };
    const u = solveDecoder64(s, prev, c, 'uncentred');
    const e = solveDecoder64(s, prev, c, 'exact');
    expect(objective(p, e.wDec, e.bDec, c)).toBeLessThan(objective(p, u.wDec, u.bDec, c) - 1e-6);
  });
});

describe('applyDecoderSolve', () => {
  it('installs the decoder and folds the bDec change into bEnc, so the pre-activations are unchanged', () => {
    const rng = createRng(11);
    const sae = zeroSae('topk', 4, 6, 2);
    for (const a of [sae.wEnc, sae.bEnc, sae.wDec, sae.bDec]) for (let j = 0; j < a.length; j++) a[j] = rng.normal();
    const x = Float32Array.from({ length: 5 * 4 }, () => rng.normal());
    const z0 = encodePre(sae, x, 5);
    const dec = { wDec: Float32Array.from({ length: 24 }, () => rng.normal()), bDec: Float32Array.from({ length: 4 }, () => 3 * rng.normal()) };
    applyDecoderSolve(sae, dec);
    expect(Array.from(sae.wDec)).toEqual(Array.from(dec.wDec));
    expect(Array.from(sae.bDec)).toEqual(Array.from(dec.bDec));
    const z1 = encodePre(sae, x, 5);
    for (let j = 0; j < z0.length; j++) expect(z1[j]).toBeCloseTo(z0[j], 5);
  });
});

describe('decoderSolveFlops', () => {
  it('counts the encoder pass, the statistics, the factorisation and the solves', () => {
    // m = 3, dIn = 2, rows = 4, k = 1: 4·(12 + 1 + 4) + 9 + 6 + 9 + 36 = 128
    expect(decoderSolveFlops(3, 2, 4, 1)).toBe(128);
    // The m³/3 term dominates at large m and few rows.
    expect(decoderSolveFlops(4096, 512, 1, 32)).toBeGreaterThan(4096 ** 3 / 3);
  });
});
