// The symmetric eigen-decomposition (Jacobi) and subspace iteration behind local PCA: A·v = λ·v, orthonormal
// vectors, descending order, edge sizes (1, 2, odd), a repeated eigenvalue, a rank-deficient operator (the
// completion with basis vectors), and subspace iteration agreeing with Jacobi on a PSD matrix.
import { describe, expect, it } from 'vitest';
import { orthonormalizeRows, symmetricEigen, topEigenvectors } from '../../../src/core/math/eigen.ts';
import { createRng } from '../../../src/core/math/random.ts';

function randomSym(n: number, seed: number, psd = false): Float64Array {
  const rng = createRng(seed);
  const b = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (psd) for (let k = 0; k < n; k++) a[i * n + j] += b[i * n + k] * b[j * n + k];
      else a[i * n + j] = b[i * n + j] + b[j * n + i];
    }
  return a;
}

const matVec = (a: Float64Array, n: number, v: Float64Array, row: number): Float64Array => {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) out[i] += a[i * n + k] * v[row * n + k];
  return out;
};

describe('symmetricEigen', () => {
  for (const n of [1, 2, 5, 16, 17]) {
    it(`n = ${n}: A·v = λ·v, orthonormal rows, descending`, () => {
      const a = randomSym(n, n);
      const { values, vectors } = symmetricEigen(a, n);
      const scale = Math.max(...Array.from(a, Math.abs));
      for (let i = 0; i < n; i++) {
        const av = matVec(a, n, vectors, i);
        for (let k = 0; k < n; k++) expect(Math.abs(av[k] - values[i] * vectors[i * n + k])).toBeLessThan(1e-10 * scale * n);
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < n; k++) dot += vectors[i * n + k] * vectors[j * n + k];
          expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-12 * n);
        }
        if (i > 0) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
      }
    });
  }
  it('a diagonal matrix with a repeated eigenvalue keeps index order among the equal ones', () => {
    const a = Float64Array.from([2, 0, 0, 0, 5, 0, 0, 0, 2]);
    const { values, vectors } = symmetricEigen(a, 3);
    expect(Array.from(values)).toEqual([5, 2, 2]);
    expect(Array.from(vectors)).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 1]);
  });
});

describe('orthonormalizeRows', () => {
  it('replaces a dependent row by the first basis vector outside the span', () => {
    const v = Float64Array.from([1, 0, 0, 2, 0, 0]); // row 1 = 2·row 0
    orthonormalizeRows(v, 2, 3);
    expect(Array.from(v)).toEqual([1, 0, 0, 0, 1, 0]);
  });
  it('refuses more rows than dimensions', () => {
    expect(() => orthonormalizeRows(new Float64Array(6), 3, 2)).toThrow(/3 rows cannot be orthonormal in 2 dimensions/);
  });
});

describe('topEigenvectors (subspace iteration)', () => {
  for (const [d, r] of [[1, 1], [9, 1], [9, 3], [33, 4]] as const) {
    it(`d = ${d}, r = ${r}: the same top-r eigenvalues and subspace as Jacobi`, () => {
      const a = randomSym(d, 100 + d, true);
      const exact = symmetricEigen(a, d);
      const apply = (v: Float64Array): Float64Array => {
        const out = new Float64Array(r * d);
        for (let l = 0; l < r; l++) out.set(matVec(a, d, v, l), l * d);
        return out;
      };
      const init = new Float64Array(r * d);
      for (let l = 0; l < r; l++) init[l * d + l] = 1;
      const got = topEigenvectors(apply, d, r, init, 2000, 1e-14);
      for (let l = 0; l < r; l++) {
        expect(got.values[l]).toBeCloseTo(exact.values[l], 6);
        // same direction up to sign
        let dot = 0;
        for (let k = 0; k < d; k++) dot += got.vectors[l * d + k] * exact.vectors[l * d + k];
        expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-5);
      }
    });
  }
  it('a rank-deficient operator still returns r orthonormal vectors', () => {
    const d = 4;
    const a = new Float64Array(d * d);
    a[0] = 3; // rank 1
    const apply = (v: Float64Array): Float64Array => {
      const out = new Float64Array(v.length);
      for (let l = 0; l < v.length / d; l++) out.set(matVec(a, d, v, l), l * d);
      return out;
    };
    const got = topEigenvectors(apply, d, 2, Float64Array.from([1, 1, 0, 0, 0, 0, 1, 0]));
    expect(Math.abs(got.vectors[0])).toBeCloseTo(1, 12);
    expect(got.values[0]).toBeCloseTo(3, 12);
    let dot = 0;
    let n1 = 0;
    for (let k = 0; k < d; k++) {
      dot += got.vectors[k] * got.vectors[d + k];
      n1 += got.vectors[d + k] ** 2;
    }
    expect(Math.abs(dot)).toBeLessThan(1e-12);
    expect(n1).toBeCloseTo(1, 12);
  });
});
