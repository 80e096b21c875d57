// L2 logistic regression (src/core/math/logistic.ts), sklearn's objective ½‖w‖² + C·Σ logloss, intercept free:
// a 1-D case whose optimality conditions are solved here independently (nested bisection); the gradient
// at the returned point ≈ 0 on random data for both Newton systems (primal and dual), which agree; a
// separable set stays finite; intercept only; one class only; bad shapes throw InputError.
// Imports src/core and the test helpers only.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.ts';
import { accuracy, cholesky, choleskySolve, decisionFunction, fitLogistic, gramMatrix, predictLogistic, type LogisticFit } from '../../../src/core/math/logistic.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { expectClose, expectNear } from '../../helpers/close.ts';

const sigma = (z: number): number => 1 / (1 + Math.exp(-z));

/** Root of an increasing function on [lo, hi] by bisection (to f64 resolution). */
function bisect(f: (v: number) => number, lo: number, hi: number): number {
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The 1-D optimum from the optimality conditions alone:
 *   ∂f/∂b = C·Σ(σ(w·x_t + b) − y_t) = 0   → b(w), increasing in b, by bisection;
 *   ∂f/∂w = w + C·Σ(σ(w·x_t + b(w)) − y_t)·x_t = 0, increasing in w (the derivative of the convex profile
 *   min_b f(w, b)), by bisection.
 */
function optimum1d(xs: number[], ys: number[], C: number): { w: number; b: number } {
  const n1 = ys.reduce((a, v) => a + v, 0);
  const bOf = (w: number): number => bisect((b) => xs.reduce((a, x) => a + sigma(w * x + b), 0) - n1, -60, 60);
  const dfdw = (w: number): number => {
    const b = bOf(w);
    return w + C * xs.reduce((a, x, t) => a + (sigma(w * x + b) - ys[t]) * x, 0);
  };
  const w = bisect(dfdw, -60, 60);
  return { w, b: bOf(w) };
}

/** ∇f at (w, b), computed directly from the definition: [dims + 1]. */
function gradient(fit: LogisticFit, x: ArrayLike<number>, rows: number, dims: number, y: Uint8Array, C: number): number[] {
  const g = Array.from(fit.w);
  g.push(0);
  for (let t = 0; t < rows; t++) {
    let z = fit.b;
    for (let j = 0; j < dims; j++) z += fit.w[j] * x[t * dims + j];
    const r = C * (sigma(z) - y[t]);
    for (let j = 0; j < dims; j++) g[j] += r * x[t * dims + j];
    g[dims] += r;
  }
  return g;
}

function randomProblem(rows: number, dims: number, seed: number): { x: Float32Array; y: Uint8Array } {
  const rng = createRng(seed);
  const x = new Float32Array(rows * dims);
  const truth = Array.from({ length: dims }, () => rng.normal());
  const y = new Uint8Array(rows);
  for (let t = 0; t < rows; t++) {
    let z = 0.3;
    for (let j = 0; j < dims; j++) z += truth[j] * (x[t * dims + j] = rng.normal());
    y[t] = rng.uniform() < sigma(z) ? 1 : 0; // noisy labels: not separable when rows ≫ dims
  }
  return { x, y };
}

describe('fitLogistic, hand-worked 1-D', () => {
  // x = [−1, 0, 0.5, 2, 3], y = [0, 1, 0, 1, 1]: overlapping classes, the optimum is interior.
  const xs = [-1, 0, 0.5, 2, 3];
  const ys = [0, 1, 0, 1, 1];
  for (const C of [1, 0.3, 10]) {
    it(`matches the optimality conditions solved by bisection (C = ${C})`, () => {
      const want = optimum1d(xs, ys, C);
      // A tight gradTol so the comparison tests the optimum, not the default stopping rule (1e-8·rows).
      const fit = fitLogistic(Float64Array.from(xs), 5, 1, Uint8Array.from(ys), { C, gradTol: 1e-13 });
      expect(fit.converged).toBe(true);
      expect(fit.constant).toBeNull();
      expectNear(fit.w[0], want.w, { atol: 1e-9, rtol: 1e-9 }, 'w');
      expectNear(fit.b, want.b, { atol: 1e-9, rtol: 1e-9 }, 'b');
      const byDefault = fitLogistic(Float64Array.from(xs), 5, 1, Uint8Array.from(ys), { C });
      expect(byDefault.converged).toBe(true);
      expectNear(byDefault.w[0], want.w, { atol: 1e-6, rtol: 0 }, 'w (default gradTol)');
    });
  }

  it('penalises w but not b: a larger C gives a larger |w|', () => {
    const x = Float64Array.from(xs);
    const y = Uint8Array.from(ys);
    const small = fitLogistic(x, 5, 1, y, { C: 0.3 });
    const large = fitLogistic(x, 5, 1, y, { C: 10 });
    expect(Math.abs(large.w[0])).toBeGreaterThan(Math.abs(small.w[0]));
  });
});

describe('fitLogistic, random data', () => {
  it('primal (rows > dims): the gradient at the returned point is ≈ 0', () => {
    const { x, y } = randomProblem(80, 6, 1);
    const fit = fitLogistic(x, 80, 6, y);
    expect(fit.solver).toBe('primal');
    expect(fit.converged).toBe(true);
    expect(fit.iterations).toBeLessThan(20);
    expectClose(gradient(fit, x, 80, 6, y, 1), new Array(7).fill(0), { atol: 1e-7, rtol: 0 }, 'gradient');
  });

  it('dual (dims > rows, separable): the gradient is ≈ 0 and both solvers reach the same optimum', () => {
    const { x, y } = randomProblem(14, 40, 2);
    const dual = fitLogistic(x, 14, 40, y, { C: 2 });
    const primal = fitLogistic(x, 14, 40, y, { C: 2, solver: 'primal' });
    expect(dual.solver).toBe('dual');
    expect(dual.converged && primal.converged).toBe(true);
    expectClose(gradient(dual, x, 14, 40, y, 2), new Array(41).fill(0), { atol: 1e-7, rtol: 0 }, 'gradient');
    expectClose(dual.w, primal.w, { atol: 1e-8, rtol: 1e-8 }, 'w dual vs primal');
    expectNear(dual.b, primal.b, { atol: 1e-8, rtol: 1e-8 }, 'b dual vs primal');
    expect(accuracy(dual, x, 14, 40, y)).toBe(1); // 14 points in 40 dims: separable, and C = 2 fits them
  });

  it('a shared gramMatrix gives the same dual fit for another target on the same x', () => {
    const { x, y } = randomProblem(10, 25, 5);
    const y2 = y.map((v) => 1 - v);
    const gram = gramMatrix(x, 10, 25);
    expect(fitLogistic(x, 10, 25, y2, { gram })).toEqual(fitLogistic(x, 10, 25, y2));
    expect(() => fitLogistic(x, 10, 25, y2, { gram: new Float64Array(3) })).toThrow(/gram: expected rows² = 100 values/);
  });

  it('accepts f32 and f64 inputs alike', () => {
    const { x, y } = randomProblem(30, 3, 3);
    const a = fitLogistic(x, 30, 3, y);
    const b = fitLogistic(Float64Array.from(x), 30, 3, y);
    expectClose(a.w, b.w, { atol: 0, rtol: 0 }, 'w');
  });
});

describe('fitLogistic, edge cases', () => {
  it('separable data stays finite: symmetric 1-D case, w = 4σ(−2w) + 2σ(−w), b = 0', () => {
    // x = [−2, −1, 1, 2], y = [0, 0, 1, 1]: by symmetry b = 0, and ∂f/∂w = 0 reads w = 4σ(−2w) + 2σ(−w).
    const fit = fitLogistic(Float64Array.from([-2, -1, 1, 2]), 4, 1, Uint8Array.from([0, 0, 1, 1]));
    const w = bisect((v) => v - 4 * sigma(-2 * v) - 2 * sigma(-v), 0, 10);
    expect(fit.converged).toBe(true);
    expectNear(fit.w[0], w, { atol: 1e-9, rtol: 1e-9 }, 'w');
    expectNear(fit.b, 0, { atol: 1e-9, rtol: 0 }, 'b');
  });

  it('perfectly separable with a huge margin: finite, converged, all right', () => {
    const x = Float32Array.from([-100, -90, 90, 100, 95]);
    const y = Uint8Array.from([0, 0, 1, 1, 1]);
    const fit = fitLogistic(x, 5, 1, y);
    expect(Number.isFinite(fit.w[0]) && Number.isFinite(fit.b)).toBe(true);
    expect(fit.converged).toBe(true);
    expect(accuracy(fit, x, 5, 1, y)).toBe(1);
  });

  it('dims = 0 fits the intercept only: b = logit(mean y)', () => {
    const fit = fitLogistic(new Float32Array(0), 4, 0, Uint8Array.from([1, 1, 1, 0]));
    expectNear(fit.b, Math.log(3), { atol: 1e-12, rtol: 0 }, 'b');
    expect(fit.converged).toBe(true);
    expect(Array.from(predictLogistic(fit, new Float32Array(0), 2, 0))).toEqual([1, 1]);
  });

  it('one class only: a constant predictor with its flag, no NaN', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const fit = fitLogistic(x, 3, 2, Uint8Array.from([1, 1, 1]));
    expect(fit.constant).toBe(1);
    expect(fit.converged).toBe(false);
    expect(Number.isNaN(fit.b) || Array.from(fit.w).some(Number.isNaN)).toBe(false);
    expect(Array.from(predictLogistic(fit, x, 3, 2))).toEqual([1, 1, 1]);
    expect(accuracy(fit, x, 3, 2, Uint8Array.from([1, 0, 1]))).toBeCloseTo(2 / 3, 12);
    expect(Array.from(decisionFunction(fitLogistic(x, 3, 2, Uint8Array.from([0, 0, 0])), x, 3, 2))).toEqual([-Infinity, -Infinity, -Infinity]);
  });

  it('maxIter = 0 returns the start (w = 0, b = logit) unconverged', () => {
    const { x, y } = randomProblem(20, 2, 4);
    const fit = fitLogistic(x, 20, 2, y, { maxIter: 0 });
    expect(fit.iterations).toBe(0);
    expect(fit.converged).toBe(false);
    expect(Array.from(fit.w)).toEqual([0, 0]);
  });
});

describe('fitLogistic, bad input', () => {
  const x = Float32Array.from([1, 2, 3, 4]);
  const y = Uint8Array.from([0, 1]);
  it.each([
    ['x length', () => fitLogistic(x, 2, 3, y), /expected length rows·dims = 2·3 = 6, got 4/],
    ['y length', () => fitLogistic(x, 2, 2, Uint8Array.from([0, 1, 1])), /y: expected 2 labels/],
    ['y value', () => fitLogistic(x, 2, 2, Uint8Array.from([0, 2])), /y\[1\]: expected 0 or 1, got 2/],
    ['no rows', () => fitLogistic(new Float32Array(0), 0, 2, new Uint8Array(0)), /rows: expected an integer ≥ 1, got 0/],
    ['C', () => fitLogistic(x, 2, 2, y, { C: 0 }), /C: expected a finite number > 0, got 0/],
    ['NaN', () => fitLogistic(Float32Array.from([1, NaN, 3, 4]), 2, 2, y), /x\[0, 1\]: expected a finite number, got NaN/],
    ['predict dims', () => predictLogistic(fitLogistic(x, 2, 2, y), Float32Array.from([1, 2, 3]), 1, 3), /the fit has 2 features, x has 3/],
  ])('%s throws InputError naming it', (_name, f, message) => {
    expect(f).toThrow(InputError);
    expect(f).toThrow(message);
  });
});

describe('cholesky', () => {
  it('solves a hand-worked 2×2 system: [[4, 2], [2, 3]]·u = [2, 1] → u = [0.5, 0]', () => {
    const a = Float64Array.from([4, 0, 2, 3]); // lower triangle read
    cholesky(a, 2);
    expectClose([a[0], a[2], a[3]], [2, 1, Math.SQRT2], { atol: 1e-15, rtol: 0 }, 'L');
    const r = Float64Array.from([2, 1]);
    choleskySolve(a, 2, r);
    expectClose(r, [0.5, 0], { atol: 1e-15, rtol: 0 }, 'u');
  });
});
