// decimate (src/ui/decimate.ts): short series pass unchanged; long ones keep at most maxPoints (+ the last),
// in step order, with each bucket's minimum and maximum (a spike and the global min survive) and any NaN.
import { describe, expect, it } from 'vitest';
import { decimate } from '../../src/ui/decimate.ts';

describe('decimate', () => {
  it('leaves a series of at most maxPoints unchanged', () => {
    const x = [1, 2, 3], y = [3, 1, 2];
    expect(decimate(x, y, 3)).toEqual({ x, y });
  });

  it('keeps ≤ maxPoints + 1 points in step order, the spike, the minimum, a NaN and the last point', () => {
    const n = 100_000;
    const x = Array.from({ length: n }, (_, i) => i + 1);
    const y = x.map((s) => 1 / Math.sqrt(s));
    y[54_321] = 50; // a spike
    y[77_777] = NaN; // a divergence
    const d = decimate(x, y, 2000);
    expect(d.x.length).toBeLessThanOrEqual(2001);
    expect(d.x.length).toBeGreaterThan(1000);
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]).toBeGreaterThan(d.x[i - 1]);
    expect(d.y).toContain(50);
    expect(d.y.some(Number.isNaN)).toBe(true);
    expect(d.x.at(-1)).toBe(n);
    expect(d.y.at(-1)).toBe(y[n - 1]);
    expect(Math.min(...d.y.filter((v) => !Number.isNaN(v)))).toBe(Math.min(...y.filter((v) => !Number.isNaN(v))));
  });
});
