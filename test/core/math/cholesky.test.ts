// Cholesky factorisation and multi-right-hand-side solve: a hand case, edge sizes (1, odd), many
// right-hand sides, a rank-deficient Gram matrix made definite by a ridge, dead latents (zero rows and
// columns plus the ridge), and the refusals (an indefinite matrix, a singular one, NaN).
import { describe, expect, it } from 'vitest';
import { cholesky, choleskySolve } from '../../../src/core/math/cholesky.ts';
import { createRng } from '../../../src/core/math/random.ts';

/** G = Σ_r z_r z_rᵀ of `rows` random codes ([n, n] f64); latents in `dead` never fire. */
function gram(n: number, rows: number, seed: number, dead: number[] = []): Float64Array {
  const rng = createRng(seed);
  const g = new Float64Array(n * n);
  const z = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) z[i] = dead.includes(i) ? 0 : rng.normal();
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[i * n + j] += z[i] * z[j];
  }
  return g;
}

const addRidge = (a: Float64Array, n: number, ridge: number): Float64Array => {
  const out = a.slice();
  for (let i = 0; i < n; i++) out[i * n + i] += ridge;
  return out;
};

/** max |A·X − B| / max |B|. */
function residual(a: Float64Array, n: number, x: Float64Array, b: Float64Array, nrhs: number): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < nrhs; c++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * x[k * nrhs + c];
      worst = Math.max(worst, Math.abs(s - b[i * nrhs + c]));
      scale = Math.max(scale, Math.abs(b[i * nrhs + c]));
    }
  }
  return worst / scale;
}

function solve(a: Float64Array, n: number, b: Float64Array, nrhs: number): Float64Array {
  const l = a.slice();
  expect(cholesky(l, n)).toBe(-1);
  const x = b.slice();
  choleskySolve(l, n, x, nrhs);
  return x;
}

const randomRhs = (n: number, nrhs: number, seed: number): Float64Array => {
  const rng = createRng(seed);
  return Float64Array.from({ length: n * nrhs }, () => rng.normal());
};

describe('cholesky', () => {
  it('factors a hand 3×3 case exactly (A = L·Lᵀ with L = [[2,0,0],[6,1,0],[−8,5,3]])', () => {
    const a = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);
    expect(cholesky(a, 3)).toBe(-1);
    expect([a[0], a[3], a[4], a[6], a[7], a[8]]).toEqual([2, 6, 1, -8, 5, 3]);
    expect([a[1], a[2], a[5]]).toEqual([12, -16, -43]); // upper triangle untouched
  });

  it('n = 1: x = b / a', () => {
    const x = solve(Float64Array.of(4), 1, Float64Array.of(2, -6, 1), 3);
    expect(Array.from(x)).toEqual([0.5, -1.5, 0.25]);
  });

  it.each([2, 5, 7, 33])('n = %i (odd and even): A·X = B to 1e-12 with 3 right-hand sides', (n) => {
    const a = addRidge(gram(n, 2 * n + 3, n), n, 0.1);
    const b = randomRhs(n, 3, 100 + n);
    expect(residual(a, n, solve(a, n, b, 3), b, 3)).toBeLessThan(1e-12);
  });

  it('many right-hand sides agree with one-at-a-time solves', () => {
    const n = 6;
    const a = addRidge(gram(n, 20, 3), n, 1e-3);
    const b = randomRhs(n, 4, 9);
    const all = solve(a, n, b, 4);
    for (let c = 0; c < 4; c++) {
      const col = Float64Array.from({ length: n }, (_, i) => b[i * 4 + c]);
      const one = solve(a, n, col, 1);
      for (let i = 0; i < n; i++) expect(one[i]).toBeCloseTo(all[i * 4 + c], 12);
    }
  });

  it('a rank-deficient Gram matrix (rows < n) is refused; a ridge makes it definite and solvable', () => {
    const n = 9;
    const g = gram(n, 4, 11); // rank 4 < 9
    expect(cholesky(g.slice(), n)).toBeGreaterThanOrEqual(4);
    const a = addRidge(g, n, 1e-6);
    const b = randomRhs(n, 2, 12);
    // Condition number ~ max eig / 1e-6: the residual stays small relative to ‖B‖.
    expect(residual(a, n, solve(a, n, b, 2), b, 2)).toBeLessThan(1e-8);
  });

  it('dead latents (zero rows and columns): refused at the first dead pivot without a ridge; with one, x_dead = b_dead / ridge', () => {
    const n = 5;
    const g = gram(n, 30, 5, [1, 3]);
    expect(cholesky(g.slice(), n)).toBe(1);
    const ridge = 1e-4;
    const a = addRidge(g, n, ridge);
    const b = randomRhs(n, 2, 6);
    const x = solve(a, n, b, 2);
    expect(residual(a, n, x, b, 2)).toBeLessThan(1e-10);
    for (const i of [1, 3]) for (let c = 0; c < 2; c++) expect(x[i * 2 + c]).toBeCloseTo(b[i * 2 + c] / ridge, 6);
  });

  it('refuses an indefinite matrix and NaN, naming the pivot', () => {
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBe(1); // eigenvalues 3, −1
    expect(cholesky(Float64Array.from([-1, 0, 0, 1]), 2)).toBe(0);
    expect(cholesky(Float64Array.from([1, 0, 0, NaN]), 2)).toBe(1);
  });
});
