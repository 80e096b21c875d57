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
