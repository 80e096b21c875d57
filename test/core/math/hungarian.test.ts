// Hungarian assignment against brute force over all injective maps (seeded random, ties, negatives,
// rectangular), plus maxWeightMatching.
import { describe, expect, it } from 'vitest';
import { assignmentTotal, hungarian, maxWeightMatching } from '../../../src/core/math/hungarian.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { InputError } from '../../../src/core/errors.ts';

/** Best total over all one-to-one maps of min(rows, cols) pairs. cost: [rows, cols]. */
function bruteForce(cost: Float64Array, rows: number, cols: number, better: (a: number, b: number) => boolean): number {
  let best = NaN;
  const usedCol = new Uint8Array(cols);
  const pairs = Math.min(rows, cols);
  // Assign each row r to a column or skip it (skips allowed only while enough rows remain to fill `pairs`).
  const go = (r: number, made: number, total: number): void => {
    if (made === pairs) {
      if (Number.isNaN(best) || better(total, best)) best = total;
      return;
    }
    if (r === rows) return;
    for (let c = 0; c < cols; c++) {
      if (usedCol[c]) continue;
      usedCol[c] = 1;
      go(r + 1, made + 1, total + cost[r * cols + c]);
      usedCol[c] = 0;
    }
    if (rows - r - 1 >= pairs - made) go(r + 1, made, total);
  };
  go(0, 0, 0);
  return best;
}

function expectValid(assign: Int32Array, rows: number, cols: number): void {
  expect(assign.length).toBe(rows);
  const seen = new Set<number>();
  let assigned = 0;
  for (const c of assign) {
    if (c < 0) {
      expect(c).toBe(-1);
      continue;
    }
    expect(c).toBeLessThan(cols);
    expect(seen.has(c)).toBe(false);
    seen.add(c);
    assigned++;
  }
  expect(assigned).toBe(Math.min(rows, cols));
}

const shapes: [number, number][] = [];
for (let n = 1; n <= 6; n++) shapes.push([n, n]);
shapes.push([3, 5], [5, 3], [1, 4], [4, 1], [2, 6], [6, 2]);

describe('hungarian', () => {
  const rng = createRng(1234);
  for (const [rows, cols] of shapes) {
    it(`matches brute force on ${rows}×${cols} (continuous with negatives, and integer ties)`, () => {
      for (let trial = 0; trial < 20; trial++) {
        const cont = new Float64Array(rows * cols).map(() => rng.normal() * 3);
        const ties = new Float64Array(rows * cols).map(() => rng.int(5) - 2); // {−2..2}: many ties
        for (const cost of [cont, ties]) {
          const a = hungarian(cost, rows, cols);
          expectValid(a, rows, cols);
          expect(assignmentTotal(cost, cols, a)).toBeCloseTo(bruteForce(cost, rows, cols, (x, y) => x < y), 9);
          const m = maxWeightMatching(cost, rows, cols);
          expectValid(m, rows, cols);
          expect(assignmentTotal(cost, cols, m)).toBeCloseTo(bruteForce(cost, rows, cols, (x, y) => x > y), 9);
        }
      }
    });
  }

  it('all-equal costs and a 3×3 worked case', () => {
    expectValid(hungarian(new Float64Array(16).fill(7), 4, 4), 4, 4);
    // cost = [[4,1,3],[2,0,5],[3,2,2]]: optimum row0→1 (1), row1→0 (2), row2→2 (2) = 5
    const a = hungarian(Float64Array.from([4, 1, 3, 2, 0, 5, 3, 2, 2]), 3, 3);
    expect(Array.from(a)).toEqual([1, 0, 2]);
  });

  it('accepts Float32Array and empty shapes; rejects bad input', () => {
    expect(Array.from(hungarian(Float32Array.from([1, 0, 0, 1]), 2, 2))).toEqual([1, 0]);
    expect(hungarian(new Float64Array(0), 0, 3).length).toBe(0);
    expect(Array.from(hungarian(new Float64Array(0), 2, 0))).toEqual([-1, -1]);
    expect(() => hungarian(new Float64Array(3), 2, 2)).toThrow(InputError);
    expect(() => hungarian(Float64Array.from([0, NaN, 0, 0]), 2, 2)).toThrow(InputError);
  });

  it('handles a 300×200 random case quickly and gives a valid assignment no worse than greedy', () => {
    const rows = 300;
    const cols = 200;
    const sim = new Float64Array(rows * cols).map(() => rng.uniform());
    const m = maxWeightMatching(sim, rows, cols);
    expectValid(m, rows, cols);
    // greedy: each column takes its best free row, in column order
    const taken = new Uint8Array(rows);
    let greedy = 0;
    for (let c = 0; c < cols; c++) {
      let br = -1;
      for (let r = 0; r < rows; r++) if (!taken[r] && (br < 0 || sim[r * cols + c] > sim[br * cols + c])) br = r;
      taken[br] = 1;
      greedy += sim[br * cols + c];
    }
    expect(assignmentTotal(sim, cols, m)).toBeGreaterThanOrEqual(greedy - 1e-9);
  });
});
