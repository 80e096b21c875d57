// The spurious-marker built-ins' core (src/core/data/marked.ts): a seeded half of the images gets the 3×3 corner
// patch at the set's brightest value, independent of the class; the same rows every time.
import { describe, expect, it } from 'vitest';
import type { LabelledDataset } from '../../../src/core/data/card.ts';
import { MARK_FRACTION, markImages } from '../../../src/core/data/marked.ts';

function images(rows: number): LabelledDataset {
  const x = new Float32Array(rows * 16);
  for (let t = 0; t < rows; t++) x[t * 16 + 15] = t % 7; // bottom-right pixel: max 6
  return { name: 'tiny', rows, dIn: 16, x, labels: Int32Array.from({ length: rows }, (_, t) => t % 2), labelNames: ['a', 'b'] };
}

describe('markImages', () => {
  it('marks round(0.5·rows) images with the corner patch at the max pixel, the same rows on every call', () => {
    const d = images(101);
    const m = markImages(d, [4, 4], 'builtin:tiny-marked');
    expect(m.name).toBe('builtin:tiny-marked');
    expect(m.marked.reduce((a, v) => a + v, 0)).toBe(Math.round(MARK_FRACTION * 101));
    for (let t = 0; t < 101; t++) {
      for (const p of [0, 1, 2, 4, 5, 6, 8, 9, 10]) expect(m.x[t * 16 + p]).toBe(m.marked[t] ? 6 : 0);
      for (const p of [3, 7, 11, 12, 13, 14]) expect(m.x[t * 16 + p]).toBe(0);
      expect(m.x[t * 16 + 15]).toBe(t % 7);
    }
    expect(markImages(d, [4, 4], 'again').marked).toEqual(m.marked);
    // Independent of the class: both classes get marks.
    const perClass = [0, 1].map((c) => m.marked.filter((v, t) => v === 1 && d.labels[t] === c).length);
    expect(Math.min(...perClass)).toBeGreaterThan(15);
    expect(d.x[0]).toBe(0); // the input is not modified
  });
});
