// Preprocessing: centring, expected-norm scaling, dropping rows by a mask, the seeded split — each
// checked against values worked by hand, and the split for determinism, disjointness and coverage.
import { describe, expect, it } from 'vitest';
import { expectInputError } from '../../helpers/bytes.ts';
import type { LabelledDataset } from '../../../src/core/data/card.ts';
import { centre, dropRows, maskEquals, scaleToExpectedNorm, splitTrainEval, takeRows } from '../../../src/core/data/preprocess.ts';
import type { Dataset } from '../../../src/core/sae/types.ts';

const d2: Dataset = { name: 'd', rows: 2, dIn: 2, x: Float32Array.from([1, 2, 3, 6]) };

/** Row t is (t, −t); labels "r<t>" and a per-row token id t % 3. */
function indexed(rows: number): LabelledDataset & { tokens: Int32Array } {
  const x = new Float32Array(rows * 2);
  for (let t = 0; t < rows; t++) x.set([t, -t], 2 * t);
  return { name: 'ix', rows, dIn: 2, x, labels: Array.from({ length: rows }, (_, t) => `r${t}`), labelNames: [], tokens: Int32Array.from({ length: rows }, (_, t) => t % 3) };
}

describe('centre', () => {
  it('subtracts the column mean: rows (1, 2), (3, 6) → mean (2, 4) → (−1, −2), (1, 2)', () => {
    const { data, mean } = centre(d2);
    expect(Array.from(mean)).toEqual([2, 4]);
    expect(Array.from(data.x)).toEqual([-1, -2, 1, 2]);
    expect(Array.from(d2.x)).toEqual([1, 2, 3, 6]); // input untouched
  });

  it('centres with a given (training) mean', () => {
    expect(Array.from(centre(d2, Float64Array.from([1, 1])).data.x)).toEqual([0, 1, 2, 5]);
    expectInputError(() => centre(d2, new Float64Array(3)), /d: centring mean: expected 2 values \(dIn\), got 3/);
  });
});

describe('scaleToExpectedNorm (SAELens expected_average_only_in)', () => {
  it('rows (3, 4), (6, 8): norms 5, 10, mean 7.5 → s = √2 / 7.5; scaled mean norm √dIn', () => {
    const d: Dataset = { name: 'n', rows: 2, dIn: 2, x: Float32Array.from([3, 4, 6, 8]) };
    const { data, scale } = scaleToExpectedNorm(d);
    expect(scale).toBeCloseTo(Math.SQRT2 / 7.5, 12);
    const n0 = Math.hypot(data.x[0], data.x[1]);
    const n1 = Math.hypot(data.x[2], data.x[3]);
    expect((n0 + n1) / 2).toBeCloseTo(Math.SQRT2, 6);
    expect(scaleToExpectedNorm(d, 2).data.x).toEqual(Float32Array.from([6, 8, 12, 16]));
    expectInputError(() => scaleToExpectedNorm(d, 0), /n: scale: expected a finite number > 0, got 0/);
  });
});

describe('dropRows and maskEquals', () => {
  it('drops the masked rows (e.g. BOS positions), labels and named per-row fields along', () => {
    const d = indexed(5);
    const mask = maskEquals(d.tokens, 0); // rows 0 and 3
    expect(Array.from(mask)).toEqual([1, 0, 0, 1, 0]);
    const kept = dropRows(d, mask, ['tokens']);
    expect(kept.rows).toBe(3);
    expect(Array.from(kept.x)).toEqual([1, -1, 2, -2, 4, -4]);
    expect(kept.labels).toEqual(['r1', 'r2', 'r4']);
    expect(kept.tokens).toEqual(Int32Array.from([1, 2, 1]));
    expect(d.rows).toBe(5);
  });

  it.each([
    ['a mask of the wrong length', () => dropRows(d2, [1]), /d: drop mask: expected 2 entries \(one per row\), got 1/],
    ['dropping every row', () => dropRows(d2, [true, true]), /drop mask: expected to keep at least 1 row, got all 2 dropped/],
    ['a row index out of range', () => takeRows(d2, [0, 2]), /d: row index \[1\]: expected an integer in \[0, 1\], got 2/],
    ['a missing per-row field', () => takeRows(d2, [0], 'd', ['tokens']), /d: tokens: expected 2 per-row entries, got none/],
  ])('rejects %s', (_label, fn, re) => {
    expectInputError(fn, re);
  });
});

describe('splitTrainEval', () => {
  const d = indexed(10);

  it('is deterministic, disjoint, covers every row, and carries labels with their rows', () => {
    const a = splitTrainEval(d, 0.3, 7);
    const b = splitTrainEval(d, 0.3, 7);
    expect(a.evalIdx).toEqual(b.evalIdx);
    expect(a.evalIdx.length).toBe(3);
    const all = [...a.trainIdx, ...a.evalIdx].sort((p, q) => p - q);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const part of [a.trainIdx, a.evalIdx]) for (let i = 1; i < part.length; i++) expect(part[i]).toBeGreaterThan(part[i - 1]);
    for (const [part, idx] of [
      [a.train, a.trainIdx],
      [a.eval, a.evalIdx],
    ] as const) {
      expect(part.rows).toBe(idx.length);
      idx.forEach((r, i) => {
        expect(part.x[2 * i]).toBe(r);
        expect(part.labels[i]).toBe(`r${r}`);
      });
    }
    expect([a.train.name, a.eval.name]).toEqual(['ix (train)', 'ix (eval)']);
  });

  it('another seed gives another split', () => {
    const seeds = [1, 2, 3, 4].map((s) => Array.from(splitTrainEval(d, 0.5, s).evalIdx).join());
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it('keeps at least one row on each side', () => {
    expect(splitTrainEval(indexed(2), 0.01, 0).evalIdx.length).toBe(1);
    expect(splitTrainEval(indexed(2), 0.99, 0).trainIdx.length).toBe(1);
  });

  it.each([
    ['fraction 0', () => splitTrainEval(d, 0, 1), /ix: eval fraction: expected a number strictly between 0 and 1, got 0/],
    ['fraction 1', () => splitTrainEval(d, 1, 1), /got 1$/],
    ['fraction NaN', () => splitTrainEval(d, NaN, 1), /got NaN/],
    ['one row', () => splitTrainEval(indexed(1), 0.5, 1), /ix: rows: expected at least 2 to split into train and eval, got 1/],
  ])('rejects %s', (_label, fn, re) => {
    expectInputError(fn, re);
  });
});
