// labelArray (the fixed-width labels `sae-workbench geometry` writes) and writeNpyArray (its .npy): layouts,
// −1 padding under ReLU, the uint8 pattern, and the headers numpy reads.
import { describe, expect, it } from 'vitest';
import { writeNpyArray } from '../../../src/core/formats/npy.ts';
import { gridPoint, labelArray, regionLabel, type Grid } from '../../../src/core/geometry/regions.ts';
import type { PlaneScores } from '../../../src/core/geometry/scores.ts';

const grid: Grid = { width: 3, height: 2, u0: -1.5, u1: 1.5, v0: -1, v1: 1 };
// unit 0: s = u, unit 1: s = v, unit 2: s = −u − 2
const coef = new Float32Array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1, 0, -2]);

describe('labelArray', () => {
  it('topk with ReLU: sorted indices, −1 after the last positive one; equals regionLabel at every pixel', () => {
    const scores: PlaneScores = { units: 3, coef, rule: { kind: 'topk', k: 2, relu: true } };
    const a = labelArray(scores, grid);
    expect(a.shape).toEqual([2, 3, 2]);
    expect(a.data).toBeInstanceOf(Int32Array);
    // row 0 (v = 0.5), columns u = −1, 0, 1: top-2 by value are {1, 0} with s_0 = u > 0 only at u = 1
    expect(Array.from(a.data.subarray(0, 6))).toEqual([1, -1, 1, -1, 0, 1]);
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++) {
        const l = regionLabel(scores, ...gridPoint(grid, c, r));
        expect(Array.from(a.data.subarray((r * 3 + c) * 2, (r * 3 + c) * 2 + l.length))).toEqual(l);
      }
    }
  });
  it('threshold: a uint8 0/1 pattern per unit; argmin: the cell', () => {
    const t = labelArray({ units: 3, coef, rule: { kind: 'threshold', theta: new Float32Array([0, 0, -2.5]) } }, grid);
    expect(t.shape).toEqual([2, 3, 3]);
    expect(t.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(t.data.subarray(0, 9))).toEqual([0, 1, 1, 0, 1, 1, 1, 1, 0]); // s_2 = −u − 2 > −2.5 iff u < 0.5
    const m = labelArray({ units: 3, coef, rule: { kind: 'argmin' } }, grid);
    expect(m.shape).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual([0, 2, 2, 0, 2, 2]); // at u = −1, s_0 = s_2 = −1: the tie goes to 0
  });
});

describe('writeNpyArray', () => {
  const header = (b: Uint8Array): string => String.fromCharCode(...b.subarray(10, 10 + (b[8] | (b[9] << 8))));
  it('int32 3-D and uint8 headers, data at a multiple of 64 bytes, little-endian values', () => {
    const i = writeNpyArray(new Int32Array([1, -1, 7, 0x01020304]), [1, 2, 2]);
    expect(header(i)).toMatch(/^\{'descr': '<i4', 'fortran_order': False, 'shape': \(1, 2, 2\), \} *\n$/);
    const start = 10 + header(i).length;
    expect(start % 64).toBe(0);
    expect(new DataView(i.buffer).getInt32(start + 4, true)).toBe(-1);
    expect(Array.from(i.subarray(start + 12, start + 16))).toEqual([4, 3, 2, 1]);
    const u = writeNpyArray(new Uint8Array([0, 1, 1]), [3]);
    expect(header(u)).toMatch(/'descr': '\|u1'.*'shape': \(3,\)/);
    expect(() => writeNpyArray(new Uint8Array(5), [2, 2])).toThrow(/4 \(2 × 2\).*got 5/);
  });
});
