// A latent's column summarised (values.ts), worked by hand: the firing-value histogram and the activation
// intervals with their sample rows ('quantile' and 'linear' spacing, empty and never-firing cases).
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.ts';
import { firingHistogram, QUANTILE_BANDS, quantileSamplesOf } from '../../../src/core/inspect/values.ts';

describe('firingHistogram', () => {
  it('bins the firing values only, over [min, max]; the max falls in the last bin', () => {
    // firing values 3, 1, 3 → [1, 3], 2 bins of width 1: edges 1,2,3; 1 → bin 0, 3,3 → bin 1
    expect(firingHistogram([0, 3, 1, 3, 0], 2)).toEqual({ edges: [1, 2, 3], counts: [1, 2], firing: 3 });
    // 4 bins of width 0.5 over [1, 3]: 1 → bin 0, 3 → bin 3
    expect(firingHistogram([0, 3, 1, 3, 0], 4)).toEqual({ edges: [1, 1.5, 2, 2.5, 3], counts: [1, 0, 0, 2], firing: 3 });
  });

  it('no firing value gives an empty histogram; one value fills the first bin', () => {
    expect(firingHistogram([0, 0, -1], 5)).toEqual({ edges: [], counts: [], firing: 0 });
    expect(firingHistogram([0, 2, 0], 3)).toEqual({ edges: [2, 2, 2, 2], counts: [1, 0, 0], firing: 1 });
    expect(() => firingHistogram([1], 0)).toThrow(InputError);
  });
});

describe('quantileSamplesOf', () => {
  // values by row: row r has value r + 1 for r = 0..9 except row 4 (0, not firing); 9 firing rows.
  const values = [1, 2, 3, 4, 0, 6, 7, 8, 9, 10];

  it("'quantile': equal-count groups by rank, samples spread over the group", () => {
    // sorted firing (value,row): (1,0)(2,1)(3,2)(4,3)(6,5)(7,6)(8,7)(9,8)(10,9); m = 9, K = 3 → ranks [0,3) [3,6) [6,9)
    // each group of 3, perInterval 2 → picks ranks ⌊0.5·3/2⌋ = 0 and ⌊1.5·3/2⌋ = 2 of the group
    const q = quantileSamplesOf(values, { intervals: 3, perInterval: 2 });
    expect(q).toHaveLength(3);
    expect(q[0]).toEqual({ lo: 1, hi: 3, contains: 3 / 9, samples: [{ row: 2, value: 3 }, { row: 0, value: 1 }] });
    expect(q[1]).toEqual({ lo: 4, hi: 7, contains: 3 / 9, samples: [{ row: 6, value: 7 }, { row: 3, value: 4 }] });
    expect(q[2]).toEqual({ lo: 8, hi: 10, contains: 3 / 9, samples: [{ row: 9, value: 10 }, { row: 7, value: 8 }] });
  });

  it("'linear': equal-width intervals over (0, max], some may be empty", () => {
    // max 10, K = 4 → (0,2.5] (2.5,5] (5,7.5] (7.5,10]: {1,2} {3,4} {6,7} {8,9,10}
    const q = quantileSamplesOf(values, { intervals: 4, perInterval: 1, spacing: 'linear' });
    expect(q.map((g) => [g.lo, g.hi])).toEqual([[0, 2.5], [2.5, 5], [5, 7.5], [7.5, 10]]);
    expect(q.map((g) => g.contains)).toEqual([2 / 9, 2 / 9, 2 / 9, 3 / 9]);
    // one sample: rank ⌊0.5·m⌋ → 2 of {1,2}, 4 of {3,4}, 7 of {6,7}, 9 of {8,9,10}
    expect(q.map((g) => g.samples)).toEqual([[{ row: 1, value: 2 }], [{ row: 3, value: 4 }], [{ row: 6, value: 7 }], [{ row: 8, value: 9 }]]);
    // a value on an interior edge belongs to the lower interval: 5 of (0,10] with K = 2 → (0,5]
    const e = quantileSamplesOf([5, 10], { intervals: 2, spacing: 'linear' });
    expect(e.map((g) => g.samples.map((s) => s.row))).toEqual([[0], [1]]);
    expect(quantileSamplesOf([0, 0, 10], { intervals: 3, spacing: 'linear' }).map((g) => g.contains)).toEqual([0, 0, 1]);
  });

  it('fewer firing rows than intervals, and no firing rows', () => {
    // m = 2, K = 3: ranks [0,0) [0,1) [1,2) → the first group is empty (lo, hi NaN)
    const q = quantileSamplesOf([0, 5, 3], { intervals: 3 });
    expect(q.map((g) => g.samples.map((s) => s.row))).toEqual([[], [2], [1]]);
    expect(Number.isNaN(q[0].lo)).toBe(true);
    expect(quantileSamplesOf([0, 0], { intervals: 3 })).toEqual([]);
  });

  it('edges: bands by rank fraction (the feature page’s QUANTILE_BANDS), one sample each', () => {
    // firing 1..10 on rows 0..9, m = 10; edges 0, .25, .5, .75, .9, 1 → ranks 0, 2, 5, 7, 9, 10:
    // {1,2} {3,4,5} {6,7} {8,9} {10}; one sample at rank ⌊0.5·g⌋ of each: 2, 4, 7, 9, 10
    const col = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const q = quantileSamplesOf(col, { edges: QUANTILE_BANDS, perInterval: 1 });
    expect(q.map((g) => [g.lo, g.hi])).toEqual([[1, 2], [3, 5], [6, 7], [8, 9], [10, 10]]);
    expect(q.map((g) => g.contains)).toEqual([0.2, 0.3, 0.2, 0.2, 0.1]);
    expect(q.map((g) => g.samples.map((e) => e.value))).toEqual([[2], [4], [7], [9], [10]]);
    // edges j/K give the default groups exactly
    expect(quantileSamplesOf(values, { edges: [0, 1 / 3, 2 / 3, 1], perInterval: 2 })).toEqual(quantileSamplesOf(values, { intervals: 3, perInterval: 2 }));
    for (const edges of [[0.1, 1], [0, 0.5, 0.5, 1], [0, 0.9], [0]]) expect(() => quantileSamplesOf(col, { edges })).toThrow(InputError);
    expect(() => quantileSamplesOf(col, { edges: [0, 1], spacing: 'linear' })).toThrow(/edges/);
  });
});
