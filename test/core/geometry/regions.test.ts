// The geometry core (src/core/geometry): region labels on a plane agree with each model's own forward pass at
// random points (every SAE architecture, input scaling, signed TopK; k-means; k-flats, by brute force), ids are
// equal iff labels are equal on a grid, ties go to the lower index, and bad input is refused with its numbers.
import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../../src/core/math/random.ts';
import { encode, scaleInput } from '../../../src/core/sae/sae.ts';
import type { Arch, Sae } from '../../../src/core/sae/types.ts';
import { identityPlane, planeCoords, planePoint, planeThrough, projectDirection, type Plane } from '../../../src/core/geometry/plane.ts';
import { planeScoresOfKFlats, planeScoresOfKMeans, planeScoresOfSae, scoreAt, type PlaneScores } from '../../../src/core/geometry/scores.ts';
import { gridAround, gridPoint, hashLabel, regionIds, regionLabel, type Grid } from '../../../src/core/geometry/regions.ts';
import { randomSae } from '../../helpers/saes.ts';

const randomVec = (n: number, rng: Rng, scale = 1): Float32Array => Float32Array.from({ length: n }, () => scale * rng.normal());

/** The active set of the SAE's forward pass at x (raw units): indices of non-zero codes. */
function activeSet(sae: Sae, x: Float32Array): number[] {
  const { f } = encode(sae, scaleInput(x, sae.inputScale), 1);
  return [...f.keys()].filter((i) => f[i] !== 0);
}

/**
 * How far the point is from a label change of the SAE, in score units: the gap between the k-th and
 * (k+1)-th selection key (topk), and every score's distance to its threshold or to 0 (ReLU after TopK).
 * f32 forward pass vs f64 plane scores may disagree only inside this margin.
 */
function saeMargin(scores: PlaneScores, u: number, v: number): number {
  const s = Array.from({ length: scores.units }, (_, i) => scoreAt(scores.coef, i, u, v));
  const r = scores.rule;
  if (r.kind === 'threshold') return Math.min(...s.map((x, i) => Math.abs(x - r.theta[i])));
  if (r.kind === 'topk') {
    const key = s.map((x) => (r.abs ? Math.abs(x) : x)).sort((a, b) => b - a);
    const gap = r.k < key.length ? key[r.k - 1] - key[r.k] : Infinity;
    return Math.min(gap, ...s.map(Math.abs));
  }
  return Infinity;
}

const ARCH_CASES: { name: string; arch: Arch; signed?: boolean }[] = [
  { name: 'topk', arch: 'topk' },
  { name: 'topk signed (abs)', arch: 'topk', signed: true },
  { name: 'batchtopk (threshold θ)', arch: 'batchtopk' },
  { name: 'relu', arch: 'relu' },
  { name: 'jumprelu', arch: 'jumprelu' },
];

describe('planeScoresOfSae + regionLabel agree with the forward pass', () => {
  for (const c of ARCH_CASES) {
    it(`${c.name}: labels = encode's active set at 400 random plane points (dIn 7, dSae 19, k 4, inputScale 1.7)`, () => {
      const rng = createRng(12 + c.name.length);
      const sae = randomSae(c.arch, 7, 19, 4, 1.7, rng);
      if (c.signed) sae.topkSigned = true;
      const plane = planeThrough(randomVec(7, rng), randomVec(7, rng), randomVec(7, rng));
      const scores = planeScoresOfSae(sae, plane);
      let checked = 0;
      let nonEmpty = 0;
      for (let t = 0; t < 400; t++) {
        const u = 3 * rng.normal();
        const v = 3 * rng.normal();
        if (saeMargin(scores, u, v) < 1e-4) continue; // within f32 noise of a boundary
        checked++;
        const label = regionLabel(scores, u, v);
        if (label.length > 0) nonEmpty++;
        expect(label, `(u, v) = (${u}, ${v})`).toEqual(activeSet(sae, planePoint(plane, u, v)));
      }
      expect(checked).toBeGreaterThan(390);
      expect(nonEmpty).toBeGreaterThan(100); // the check is not vacuous
    });
  }

  it('power cells of a TopK SAE: the k largest pre-activations, kept even where negative', () => {
    const rng = createRng(5);
    const sae = randomSae('topk', 3, 9, 3, 1, rng);
    sae.bEnc.fill(-5); // every pre-activation negative near the origin: the active set is empty, the cell is not
    const plane = planeThrough(randomVec(3, rng), randomVec(3, rng), randomVec(3, rng));
    const power = planeScoresOfSae(sae, plane, 'power');
    const active = planeScoresOfSae(sae, plane);
    expect(regionLabel(active, 0, 0)).toEqual([]);
    const x = planePoint(plane, 0, 0);
    const z = encode({ ...sae, arch: 'relu' }, x, 1).z;
    const top3 = [...z.keys()].sort((a, b) => z[b] - z[a] || a - b).slice(0, 3).sort((a, b) => a - b);
    expect(regionLabel(power, 0, 0)).toEqual(top3);
    expect(() => planeScoresOfSae(randomSae('relu', 3, 9, 0, 1, rng), plane, 'power')).toThrow(/TopK.*relu/);
  });
});

describe('k-means and k-flats scores', () => {
  it('k-means: s_i is ‖x − μ_i‖² and argmin is the nearest centroid (Voronoi) at random points', () => {
    const rng = createRng(3);
    const [dIn, k] = [6, 7];
    const mu = randomVec(k * dIn, rng);
    const plane = planeThrough(randomVec(dIn, rng), randomVec(dIn, rng), randomVec(dIn, rng));
    const scores = planeScoresOfKMeans(mu, k, plane);
    const cells = new Set<number>();
    for (let t = 0; t < 300; t++) {
      const [u, v] = [2 * rng.normal(), 2 * rng.normal()];
      const x = planePoint(plane, u, v);
      const dist = Array.from({ length: k }, (_, j) => x.reduce((acc, xd, d) => acc + (xd - mu[j * dIn + d]) ** 2, 0));
      for (let j = 0; j < k; j++) expect(scoreAt(scores.coef, j, u, v)).toBeCloseTo(dist[j], 3);
      const best = dist.indexOf(Math.min(...dist));
      expect(regionLabel(scores, u, v)).toEqual([best]);
      cells.add(best);
    }
    expect(cells.size).toBeGreaterThan(2);
  });

  it('k-flats: s_i is the residual ‖(I − UᵀU)(x − μ_i)‖² and argmin the best flat, rank 2 in 5-D', () => {
    const rng = createRng(4);
    const [dIn, k, rank] = [5, 4, 2];
    const means = randomVec(k * dIn, rng);
    const bases = new Float32Array(k * rank * dIn);
    for (let i = 0; i < k; i++) {
      // Gram–Schmidt of two random rows
      const a = randomVec(dIn, rng);
      const b = randomVec(dIn, rng);
      const na = Math.hypot(...a);
      a.forEach((_, d) => (a[d] /= na));
      const dot = a.reduce((acc, ad, d) => acc + ad * b[d], 0);
      b.forEach((_, d) => (b[d] -= dot * a[d]));
      const nb = Math.hypot(...b);
      b.forEach((_, d) => (b[d] /= nb));
      bases.set(a, (i * rank + 0) * dIn);
      bases.set(b, (i * rank + 1) * dIn);
    }
    const plane = planeThrough(randomVec(dIn, rng), randomVec(dIn, rng), randomVec(dIn, rng));
    const scores = planeScoresOfKFlats(means, bases, k, rank, plane);
    const cells = new Set<number>();
    for (let t = 0; t < 300; t++) {
      const [u, v] = [2 * rng.normal(), 2 * rng.normal()];
      const x = planePoint(plane, u, v);
      const res = Array.from({ length: k }, (_, i) => {
        const y = x.map((xd, d) => xd - means[i * dIn + d]);
        const r = Float64Array.from(y);
        for (let q = 0; q < rank; q++) {
          const row = bases.subarray((i * rank + q) * dIn, (i * rank + q + 1) * dIn);
          const p = row.reduce((acc, w, d) => acc + w * y[d], 0);
          r.forEach((_, d) => (r[d] -= p * row[d]));
        }
        return r.reduce((acc, rd) => acc + rd * rd, 0);
      });
      for (let i = 0; i < k; i++) expect(scoreAt(scores.coef, i, u, v)).toBeCloseTo(res[i], 3);
      expect(regionLabel(scores, u, v)).toEqual([res.indexOf(Math.min(...res))]);
      cells.add(res.indexOf(Math.min(...res)));
    }
    expect(cells.size).toBeGreaterThan(1);
  });

  it('refuses shapes that do not match, naming the numbers', () => {
    const plane = identityPlane();
    expect(() => planeScoresOfKMeans(new Float32Array(5), 3, plane)).toThrow(/\[3, 2\].*got 5/);
    expect(() => planeScoresOfKFlats(new Float32Array(6), new Float32Array(5), 3, 1, plane)).toThrow(/\[3, 1, 2\].*got 5/);
    expect(() => planeScoresOfSae(randomSae('topk', 3, 4, 2, 1, createRng(1)), plane)).toThrow(/input width is 3.*dIn = 2/);
  });
});

/** Label per pixel as a string, by regionLabel. */
function gridLabels(scores: PlaneScores, grid: Grid): string[] {
  const out: string[] = [];
  for (let row = 0; row < grid.height; row++) {
    for (let col = 0; col < grid.width; col++) out.push(regionLabel(scores, ...gridPoint(grid, col, row)).join(','));
  }
  return out;
}

/** ids equal iff labels equal: the maps label → id and id → label are both functions. */
function expectIdsMatchLabels(ids: Uint32Array, labels: string[], words: 1 | 2): number {
  const byLabel = new Map<string, string>();
  const byId = new Map<string, string>();
  labels.forEach((label, p) => {
    const id = Array.from(ids.subarray(p * words, (p + 1) * words)).join(':');
    expect(byLabel.get(label) ?? id, `label ${label}`).toBe(id);
    expect(byId.get(id) ?? label, `id ${id}`).toBe(label);
    byLabel.set(label, id);
    byId.set(id, label);
  });
  return byLabel.size;
}

describe('regionIds', () => {
  const grid: Grid = { width: 41, height: 37, u0: -3, u1: 3, v0: -2.5, v1: 2.5 };
  for (const c of ARCH_CASES) {
    it(`${c.name}: ids (1 and 2 words) are equal iff the labels are equal on a 41×37 grid`, () => {
      const rng = createRng(99);
      const sae = randomSae(c.arch, 2, 12, 3, 1, rng);
      if (c.signed) sae.topkSigned = true;
      const scores = planeScoresOfSae(sae, identityPlane());
      const labels = gridLabels(scores, grid);
      const regions = expectIdsMatchLabels(regionIds(scores, grid), labels, 1);
      expect(expectIdsMatchLabels(regionIds(scores, grid, 2), labels, 2)).toBe(regions);
      expect(regions).toBeGreaterThan(5);
    });
  }

  it('word 0 of words = 2 is the 1-word id; the hash is murmur3-32 (reference vectors)', () => {
    const scores = planeScoresOfKMeans(new Float32Array([0, 0, 1, 1, -1, 2]), 3, identityPlane());
    const g: Grid = { width: 5, height: 4, u0: -2, u1: 2, v0: -2, v1: 3 };
    const one = regionIds(scores, g);
    const two = regionIds(scores, g, 2);
    expect(Array.from(one)).toEqual(Array.from(two).filter((_, i) => i % 2 === 0));
    // murmur3_x86_32 of the empty input with seed 0 is 0, with seed 1 is 0x514E28B7; of the 4 bytes 00 00 00 00
    // (one index 0) with seed 0 it is 0x2362F9DE (the SMHasher reference values).
    expect(hashLabel([], 0, 0)).toBe(0);
    expect(hashLabel([], 0, 1)).toBe(0x514e28b7);
    expect(hashLabel([0], 1, 0)).toBe(0x2362f9de);
  });

  it('row 0 is the top of the picture (v = v1) and pixel centres are used', () => {
    const g: Grid = { width: 4, height: 2, u0: 0, u1: 4, v0: 0, v1: 2 };
    expect(gridPoint(g, 0, 0)).toEqual([0.5, 1.5]);
    expect(gridPoint(g, 3, 1)).toEqual([3.5, 0.5]);
    // a unit that is active only above v = 1: the top row has it, the bottom row not
    const scores: PlaneScores = { units: 1, coef: new Float32Array([0, 0, 0, 0, 1, -1]), rule: { kind: 'threshold', theta: new Float32Array(1) } };
    const ids = regionIds(scores, g);
    expect(ids[0]).toBe(hashLabel([0], 1, 0x9747b28c));
    expect(ids[4]).toBe(hashLabel([], 0, 0x9747b28c));
  });
});

describe('ties go to the lower index', () => {
  // Constant scores (f only) make exact ties.
  const constant = (fs: number[], rule: PlaneScores['rule']): PlaneScores => ({
    units: fs.length,
    coef: Float32Array.from(fs.flatMap((f) => [0, 0, 0, 0, 0, f])),
    rule,
  });
  it('topk: equal scores keep the lower indices (as topkRow)', () => {
    expect(regionLabel(constant([1, 2, 2, 2, 0], { kind: 'topk', k: 2 }), 0, 0)).toEqual([1, 2]);
    expect(regionLabel(constant([7, 7, 7, 7], { kind: 'topk', k: 3 }), 0, 0)).toEqual([0, 1, 2]);
    expect(regionLabel(constant([-2, 2, 1, -2], { kind: 'topk', k: 2, abs: true }), 0, 0)).toEqual([0, 1]);
    expect(regionLabel(constant([-1, -3, 2, -2], { kind: 'topk', k: 2, relu: true }), 0, 0)).toEqual([2]);
    expect(regionLabel(constant([5, 4], { kind: 'topk', k: 2 }), 0, 0)).toEqual([0, 1]);
  });
  it('argmin: equal smallest scores give the lower index; threshold is strict', () => {
    expect(regionLabel(constant([3, 1, 1, 2], { kind: 'argmin' }), 0, 0)).toEqual([1]);
    expect(regionLabel(constant([0.5, 0.4, 0.6], { kind: 'threshold', theta: new Float32Array([0.5, 0.3, 0.5]) }), 0, 0)).toEqual([1, 2]);
  });
  it('refuses k outside 1..units and θ of the wrong length', () => {
    expect(() => regionLabel(constant([1, 2], { kind: 'topk', k: 3 }), 0, 0)).toThrow(/1\.\.2, got 3/);
    expect(() => regionLabel(constant([1, 2], { kind: 'threshold', theta: new Float32Array(3) }), 0, 0)).toThrow(/\(2\), got 3/);
    expect(() => regionIds(constant([1], { kind: 'argmin' }), { width: 0, height: 2, u0: 0, u1: 1, v0: 0, v1: 1 })).toThrow(/0×2/);
  });
});

describe('plane', () => {
  it('planeThrough: orthonormal axes, p0 at (0, 0), p1 on the u axis, p2 in the plane', () => {
    const rng = createRng(8);
    const [p0, p1, p2] = [randomVec(9, rng), randomVec(9, rng), randomVec(9, rng)];
    const plane: Plane = planeThrough(p0, p1, p2);
    const dot = (a: Float32Array, b: Float32Array): number => a.reduce((acc, ad, d) => acc + ad * b[d], 0);
    expect(dot(plane.e1, plane.e1)).toBeCloseTo(1, 6);
    expect(dot(plane.e2, plane.e2)).toBeCloseTo(1, 6);
    expect(dot(plane.e1, plane.e2)).toBeCloseTo(0, 6);
    const [u1, v1] = planeCoords(plane, p1);
    expect(v1).toBeCloseTo(0, 5);
    expect(u1).toBeGreaterThan(0);
    const [u2, v2] = planeCoords(plane, p2);
    const back = planePoint(plane, u2, v2);
    back.forEach((x, d) => expect(x).toBeCloseTo(p2[d], 5));
    const [du, dv] = projectDirection(plane, plane.e2);
    expect([du, dv].map((x) => Math.round(x * 1e5) / 1e5)).toEqual([0, 1]);
  });
  it('refuses collinear or mismatched points', () => {
    expect(() => planeThrough([0, 0, 0], [1, 1, 1], [2, 2, 2])).toThrow(/collinear/);
    expect(() => planeThrough([0, 0], [1, 1, 1], [2, 2, 2])).toThrow(/2, 3, 3/);
    expect(() => planeThrough([1, 2], [1, 2], [0, 0])).toThrow(/p1 equals p0/);
  });
  it('gridAround: the bounding box of the points plus a margin', () => {
    const g = gridAround([0, 0, 2, 1, 1, -1], 10, 8, 0.5);
    expect(g.u0).toBeLessThan(-0.99);
    expect(g.u1).toBeGreaterThan(2.99);
    expect(g.v0).toBeLessThan(-1.99);
    expect(g.v1).toBeGreaterThan(1.99);
  });
});
