// Region labels and region ids of plane scores (scores.ts) over a pixel grid: the CPU twin of
// shaders/partition.wgsl, which computes the same ids on the GPU (issue #12). Imports only src/core.
//
// Label of a point (u, v): sorted ascending unit indices — topk: the selected set (ties to the lower index, as
// topkRow in sae.ts), threshold: the active pattern {i : s_i > θ_i}, argmin: [the cell].
// Id of a point: murmur3-32 of the label's indices (hashLabel). Collisions: two distinct labels share a 32-bit
// id with probability 2⁻³²; on a picture with R regions the chance of any shared id is ≈ R²/2³³ (10⁻⁵ for
// R = 300, 1 % for R = 9000), harmless for colouring. Callers that need exact identity (tests, the CLI's
// checks) ask for words = 2: a second id from an independent seed, 64 bits in all (≈ R²/2⁶⁵).
// Grid pixel (col, row), row 0 at the TOP: u = u0 + (col + ½)(u1 − u0)/width, v = v1 − (row + ½)(v1 − v0)/height.

import { InputError } from '../errors.ts';
import type { PlaneScores } from './scores.ts';

/** Pixel centres of a width×height image over [u0,u1]×[v0,v1]; row 0 is the TOP (v = v1). */
export interface Grid {
  width: number;
  height: number;
  u0: number;
  u1: number;
  v0: number;
  v1: number;
}

/** The two murmur3 seeds: word 0 is the id, word 1 its independent partner (words = 2). */
export const REGION_HASH_SEEDS = [0x9747b28c, 0x2545f491] as const;

/** (u, v) of pixel (col, row)'s centre. */
export function gridPoint(grid: Grid, col: number, row: number): [number, number] {
  return [grid.u0 + ((col + 0.5) * (grid.u1 - grid.u0)) / grid.width, grid.v1 - ((row + 0.5) * (grid.v1 - grid.v0)) / grid.height];
}

/** murmur3-32 (Appleby) of label[0..n) as u32 words with `seed`; the WGSL kernel runs the same steps. */
export function hashLabel(label: ArrayLike<number>, n: number, seed: number): number {
  let h = seed | 0;
  for (let j = 0; j < n; j++) {
    let w = Math.imul(label[j], 0xcc9e2d51);
    w = (w << 15) | (w >>> 17);
    w = Math.imul(w, 0x1b873593);
    h ^= w;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= n * 4; // murmur3 mixes in the length in bytes
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Throws an InputError naming what is wrong with `scores` (shapes, k, θ). */
export function checkScores(scores: PlaneScores): void {
  const { units, coef, rule } = scores;
  if (!(Number.isInteger(units) && units >= 1)) throw new InputError(`plane scores: units must be a positive integer, got ${units}`);
  if (coef.length !== units * 6) throw new InputError(`plane scores: coef must be [units, 6] = ${units * 6} values, got ${coef.length}`);
  if (rule.kind === 'topk' && !(Number.isInteger(rule.k) && rule.k >= 1 && rule.k <= units)) {
    throw new InputError(`plane scores: topk k must be an integer in 1..units = 1..${units}, got ${rule.k}`);
  }
  if (rule.kind === 'threshold' && rule.theta.length !== units) {
    throw new InputError(`plane scores: threshold θ must have one value per unit (${units}), got ${rule.theta.length}`);
  }
}

/**
 * Scratch for labelInto: scores [units], the top-k selection [k], the label [units].
 * Reuse one per grid so the per-pixel loop allocates nothing.
 */
export interface Scratch {
  s: Float64Array;
  /** topk: the selection key per unit (s or |s|). */
  key: Float64Array;
  top: Int32Array;
  label: Int32Array;
}

export function scratchFor(scores: PlaneScores): Scratch {
  const k = scores.rule.kind === 'topk' ? scores.rule.k : 1;
  return { s: new Float64Array(scores.units), key: new Float64Array(scores.units), top: new Int32Array(k), label: new Int32Array(scores.units) };
}

/** Writes the label of (u, v) into scratch.label (and every score into scratch.s) and returns its length. */
export function labelInto(scores: PlaneScores, u: number, v: number, sc: Scratch): number {
  const { units, coef, rule } = scores;
  const { s, top, label } = sc;
  // scoreAt's sum, inlined: this loop is the CPU drawing's whole cost (units × pixels).
  const [uu, uv, vv] = [u * u, u * v, v * v];
  for (let i = 0, o = 0; i < units; i++, o += 6) s[i] = coef[o] * uu + coef[o + 1] * uv + coef[o + 2] * vv + coef[o + 3] * u + coef[o + 4] * v + coef[o + 5];
  switch (rule.kind) {
    case 'threshold': {
      let n = 0;
      for (let i = 0; i < units; i++) if (s[i] > rule.theta[i]) label[n++] = i;
      return n;
    }
    case 'argmin': {
      let best = 0;
      for (let i = 1; i < units; i++) if (s[i] < s[best]) best = i;
      label[0] = best;
      return 1;
    }
    case 'topk': {
      // Sorted selection (key desc, index asc), the insertion of topkRow: a later equal key never enters.
      const { k, abs = false, relu = false } = rule;
      const key = sc.key;
      for (let i = 0; i < units; i++) key[i] = abs ? Math.abs(s[i]) : s[i];
      let m = 0;
      let kth = -Infinity; // key of the k-th entry once full
      for (let i = 0; i < units; i++) {
        const val = key[i];
        if (m === k && !(val > kth)) continue;
        let p = m === k ? k - 1 : m++;
        while (p > 0 && key[top[p - 1]] < val) {
          top[p] = top[p - 1];
          p--;
        }
        top[p] = i;
        if (m === k) kth = key[top[k - 1]];
      }
      let n = 0;
      for (let j = 0; j < m; j++) if (!relu || s[top[j]] > 0) label[n++] = top[j];
      label.subarray(0, n).sort();
      return n;
    }
    default:
      return rule satisfies never;
  }
}

/** The exact label of one point (sorted active unit indices for topk; active units for threshold; [cell] for argmin). */
export function regionLabel(scores: PlaneScores, u: number, v: number): number[] {
  checkScores(scores);
  const sc = scratchFor(scores);
  const n = labelInto(scores, u, v, sc);
  return Array.from(sc.label.subarray(0, n));
}

/**
 * Region id per pixel: the u32 hash of the pixel's exact label, the same ids as shaders/partition.wgsl.
 * words = 1: [height·width]; words = 2: [height·width, 2] (the id and its independent partner, see the header).
 */
export function regionIds(scores: PlaneScores, grid: Grid, words: 1 | 2 = 1): Uint32Array {
  checkScores(scores);
  checkGrid(grid);
  const sc = scratchFor(scores);
  const ids = new Uint32Array(grid.width * grid.height * words);
  for (let row = 0; row < grid.height; row++) {
    for (let col = 0; col < grid.width; col++) {
      const [u, v] = gridPoint(grid, col, row);
      const n = labelInto(scores, u, v, sc);
      const p = (row * grid.width + col) * words;
      for (let w = 0; w < words; w++) ids[p + w] = hashLabel(sc.label, n, REGION_HASH_SEEDS[w]);
    }
  }
  return ids;
}

/** Throws an InputError when the grid is empty or its range is not finite or inverted. */
export function checkGrid(grid: Grid): void {
  const { width, height, u0, u1, v0, v1 } = grid;
  if (!(Number.isInteger(width) && width >= 1 && Number.isInteger(height) && height >= 1)) {
    throw new InputError(`grid: width and height must be positive integers, got ${width}×${height}`);
  }
  if (![u0, u1, v0, v1].every(Number.isFinite) || !(u1 > u0) || !(v1 > v0)) {
    throw new InputError(`grid: the range must be finite with u1 > u0 and v1 > v0, got u [${u0}, ${u1}], v [${v0}, ${v1}]`);
  }
}

/**
 * A grid over the bounding box of `points` ([n, 2] (u, v) pairs) widened by `margin` (a fraction of the larger
 * side, so the picture also shows the cells around the data). A 2-D model's default plane range.
 */
export function gridAround(points: ArrayLike<number>, width: number, height: number, margin = 0.1): Grid {
  let [u0, u1, v0, v1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i + 1 < points.length; i += 2) {
    u0 = Math.min(u0, points[i]);
    u1 = Math.max(u1, points[i]);
    v0 = Math.min(v0, points[i + 1]);
    v1 = Math.max(v1, points[i + 1]);
  }
  if (!(u1 >= u0 && v1 >= v0)) throw new InputError(`gridAround: need at least one finite (u, v) point, got ${points.length / 2}`);
  const pad = Math.max(u1 - u0, v1 - v0, 1e-6) * margin + 1e-6;
  const grid = { width, height, u0: u0 - pad, u1: u1 + pad, v0: v0 - pad, v1: v1 + pad };
  checkGrid(grid);
  return grid;
}

/** Every grid point's label as one fixed-width array (what `sae-workbench geometry` writes as .npy). */
export interface LabelArray {
  /** topk: int32 sorted indices, −1 after the last (ReLU may leave fewer than k); threshold: uint8 0/1 per unit; argmin: int32 cell. */
  data: Int32Array | Uint8Array;
  /** topk [height, width, k]; threshold [height, width, units]; argmin [height, width]. */
  shape: number[];
  /** One sentence saying what a value means. */
  meaning: string;
}

/** The labels of every pixel of `grid` (row 0 at the top), laid out as LabelArray says. */
export function labelArray(scores: PlaneScores, grid: Grid): LabelArray {
  checkScores(scores);
  checkGrid(grid);
  const { rule, units } = scores;
  const { width, height } = grid;
  const pixels = width * height;
  const sc = scratchFor(scores);
  const width3 = rule.kind === 'topk' ? rule.k : rule.kind === 'threshold' ? units : 1;
  const data = rule.kind === 'threshold' ? new Uint8Array(pixels * units) : new Int32Array(pixels * width3).fill(-1);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const [u, v] = gridPoint(grid, col, row);
      const n = labelInto(scores, u, v, sc);
      const p = (row * width + col) * width3;
      if (rule.kind === 'threshold') for (let j = 0; j < n; j++) data[p + sc.label[j]] = 1;
      else for (let j = 0; j < n; j++) data[p + j] = sc.label[j];
    }
  }
  switch (rule.kind) {
    case 'topk':
      return {
        data,
        shape: [height, width, rule.k],
        meaning: `the selected units, sorted ascending${rule.relu ? ', −1 after the last where fewer than k have a positive pre-activation (ReLU after TopK)' : ''}`,
      };
    case 'threshold':
      return { data, shape: [height, width, units], meaning: '1 where the unit is active (s_i > θ_i), else 0' };
    case 'argmin':
      return { data, shape: [height, width], meaning: 'the cell: the unit with the smallest score' };
    default:
      return rule satisfies never;
  }
}

/**
 * Cell boundaries for drawing: 1 where a pixel's id differs from its right or lower neighbour's, else 0.
 * ids: [height·width] (regionIds, words = 1) → [height·width].
 */
export function boundaryMask(ids: Uint32Array, width: number, height: number): Uint8Array {
  if (ids.length !== width * height) throw new InputError(`boundaryMask: ids must be [height·width] = ${width * height} values (one word per pixel), got ${ids.length}`);
  const out = new Uint8Array(width * height);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const p = row * width + col;
      if ((col + 1 < width && ids[p + 1] !== ids[p]) || (row + 1 < height && ids[p + width] !== ids[p])) out[p] = 1;
    }
  }
  return out;
}
