// Elementwise closeness with explicit tolerances: |a − e| ≤ atol + rtol·|e|. On failure, reports the
// mismatch count, the worst absolute error and the first five mismatches (llm.c validate_result style).
import { expect } from 'vitest';

export interface Tol {
  atol: number;
  rtol: number;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol, label = 'value'): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const bad: string[] = [];
  let worst = 0;
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e);
    if (!(err <= tol.atol + tol.rtol * Math.abs(e))) {
      count++;
      worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
      if (bad.length < 5) bad.push(`[${i}] expected ${e} got ${a}`);
    }
  }
  if (count > 0) {
    throw new Error(`${label}: ${count}/${expected.length} mismatches (atol ${tol.atol}, rtol ${tol.rtol}), max abs err ${worst}: ${bad.join('; ')}`);
  }
}

export function expectNear(actual: number, expected: number, tol: Tol, label = 'value'): void {
  expectClose([actual], [expected], tol, label);
}

/** 2⁻²⁴: the unit roundoff of f32. */
export const U = 2 ** -24;

/** Elementwise |a|. */
export const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

/** |got − want| ≤ (K + 4)·2⁻²⁴·bound elementwise; reports the first mismatches with their numbers. */
export function expectWithin(got: Float32Array, want: Float32Array, bound: Float32Array, K: number, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    const tol = (K + 4) * U * bound[i] + 1e-37;
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      count++;
      if (bad.length < 5) bad.push(`[${i}] want ${want[i]} got ${got[i]} (tol ${tol.toExponential(2)})`);
    }
  }
  expect(bad, `${label}: ${count}/${want.length} outside (K + 4)·2⁻²⁴·Σ|terms|, K = ${K}`).toEqual([]);
}

/** The same 32-bit patterns (f32 bits or u32 values); reports the first difference. */
export function expectBitwise(got: Float32Array | Uint32Array, want: Float32Array | Uint32Array, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  const ug = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const uw = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let first = -1;
  for (let i = 0; i < ug.length && first < 0; i++) if (ug[i] !== uw[i]) first = i;
  expect(first, `${label}: first difference at [${first}]: got ${got[first]}, want ${want[first]}`).toBe(-1);
}
