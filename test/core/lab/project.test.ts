// Projection of a dataset onto 2 dims or its top 2 principal components, against data whose components are known.
import { describe, expect, it } from 'vitest';
import { projectRows } from '../../../src/core/lab/project.ts';
import { createRng } from '../../../src/core/math/random.ts';

describe('projectRows', () => {
  it('dims: the two raw columns', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const p = projectRows(x, 2, 3, { kind: 'dims', a: 2, b: 0 });
    expect(Array.from(p.xy)).toEqual([3, 1, 6, 4]);
    expect(() => projectRows(x, 2, 3, { kind: 'dims', a: 1, b: 3 })).toThrow(/two different columns in \[0, 2\], got 1, 3/);
  });

  it('pca: recovers the two axes of a stretched Gaussian in 5-D, centred, with the variance share', () => {
    const rng = createRng(1);
    const rows = 800;
    const dIn = 5;
    // Axis e_a = (1,1,0,0,0)/√2 with σ 3, e_b = e_4 with σ 1.5, others σ 0.1; mean (5, …).
    const x = new Float32Array(rows * dIn);
    for (let t = 0; t < rows; t++) {
      const a = 3 * rng.normal();
      const b = 1.5 * rng.normal();
      for (let d = 0; d < dIn; d++) x[t * dIn + d] = 5 + 0.1 * rng.normal();
      x[t * dIn] += a / Math.SQRT2;
      x[t * dIn + 1] += a / Math.SQRT2;
      x[t * dIn + 4] += b;
    }
    const p = projectRows(x, rows, dIn, { kind: 'pca' });
    expect(Math.abs(p.components[0])).toBeCloseTo(Math.SQRT1_2, 1);
    expect(Math.abs(p.components[1])).toBeCloseTo(Math.SQRT1_2, 1);
    expect(Math.abs(p.components[dIn + 4])).toBeCloseTo(1, 2);
    let mx = 0;
    let vx = 0;
    let vy = 0;
    for (let t = 0; t < rows; t++) {
      mx += p.xy[2 * t] / rows;
      vx += p.xy[2 * t] ** 2 / rows;
      vy += p.xy[2 * t + 1] ** 2 / rows;
    }
    expect(Math.abs(mx)).toBeLessThan(1e-4);
    expect(Math.sqrt(vx)).toBeCloseTo(3, 0);
    expect(Math.sqrt(vy)).toBeCloseTo(1.5, 0);
    expect(vx).toBeGreaterThan(vy);
    expect(p.axes).toMatch(/^PC1, PC2 \((99|100)% of the variance\)$/);
    // Reproducible, signs fixed.
    expect(Array.from(projectRows(x, rows, dIn, { kind: 'pca' }).xy)).toEqual(Array.from(p.xy));
  });
});
