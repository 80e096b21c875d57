// The geometry lab's 2-D datasets (issue #12 §2): seeded presets — the SplInterp toy (three clusters),
// blobs, rings, a spiral, and "superposition" (n sparse non-negative features in 2-D) — and painted
// points. Every generator is a pure function of its settings and seed (core's one RNG), so a URL that
// names them restores the same points. Imports only src/core.

import { InputError } from '../errors.ts';
import { createRng, type Rng } from '../math/random.ts';

/** The preset generators (their names are the URL's and the UI's). */
export const LAB_PRESETS = ['toy', 'blobs', 'rings', 'spiral', 'superposition'] as const;
export type LabPreset = (typeof LAB_PRESETS)[number];

/** Limits that keep a lab session live on the CPU reference (every panel trains on every point each step). */
export const LAB_MAX_POINTS = 2000;
export const LAB_MIN_POINTS = 3;
/** Superposition: 3..LAB_MAX_FEATURES directions in the plane (more than 2 is the point of it). */
export const LAB_MAX_FEATURES = 16;

export interface PresetSpec {
  preset: LabPreset;
  /** Number of points (the toy's scripts use 100). */
  points: number;
  seed: number;
  /** superposition only: n directions (ignored by the others). */
  features: number;
}

/** 2-D points: xy [n, 2] row-major, in data units. */
export interface LabPoints {
  n: number;
  xy: Float32Array;
}

export const PRESET_LABELS: Record<LabPreset, string> = {
  toy: 'three clusters (the SplInterp toy)',
  blobs: 'blobs',
  rings: 'rings',
  spiral: 'spiral',
  superposition: 'superposition: n sparse features in 2-D',
};

/** Every problem of a preset spec (empty when it is fine). */
export function presetProblems(s: PresetSpec): string[] {
  const e: string[] = [];
  if (!(LAB_PRESETS as readonly string[]).includes(s.preset)) e.push(`preset "${String(s.preset)}" is unknown: use one of ${LAB_PRESETS.join(', ')}`);
  if (!Number.isSafeInteger(s.points) || s.points < LAB_MIN_POINTS || s.points > LAB_MAX_POINTS)
    e.push(`points must be an integer in [${LAB_MIN_POINTS}, ${LAB_MAX_POINTS}], got ${s.points}: the lab trains on every point each step`);
  if (!Number.isSafeInteger(s.seed) || s.seed < 0 || s.seed > 0xffffffff) e.push(`seed must be an integer in [0, 2^32), got ${s.seed}`);
  if (!Number.isSafeInteger(s.features) || s.features < 3 || s.features > LAB_MAX_FEATURES)
    e.push(`features must be an integer in [3, ${LAB_MAX_FEATURES}] (more directions than the 2 dimensions), got ${s.features}`);
  return e;
}

/** The preset's points; throws InputError naming every bad setting. */
export function presetPoints(s: PresetSpec): LabPoints {
  const wrong = presetProblems(s);
  if (wrong.length > 0) throw new InputError(`lab data: ${wrong.join('; ')}`);
  const rng = createRng(s.seed ^ 0x1ab5eed);
  const xy = new Float32Array(2 * s.points);
  const put = (i: number, x: number, y: number) => {
    xy[2 * i] = x;
    xy[2 * i + 1] = y;
  };
  GENERATORS[s.preset](s, rng, put);
  return { n: s.points, xy };
}

type Put = (i: number, x: number, y: number) => void;

const GENERATORS: Record<LabPreset, (s: PresetSpec, rng: Rng, put: Put) => void> = {
  // SplInterp's exp_e1 toy (seed-papers §3.3, §3.10): 100 points in [−2, 2]², three clusters — a horizontal
  // line, a dense square and a noisy diagonal. The scripts' generator is not in our notes; this follows
  // their description: the three shapes at these places, one third of the points each.
  toy: (s, rng, put) => {
    for (let i = 0; i < s.points; i++) {
      const c = i % 3;
      const t = rng.uniform();
      if (c === 0) put(i, -1.6 + 1.5 * t, 1.2 + 0.03 * rng.normal()); // the line: y ≈ 1.2, x ∈ [−1.6, −0.1]
      else if (c === 1) put(i, 0.7 + 0.6 * t, 0.4 + 0.6 * rng.uniform()); // the dense square [0.7, 1.3] × [0.4, 1.0]
      else put(i, -1.4 + 2.6 * t + 0.15 * rng.normal(), -1.5 + 1.3 * t + 0.15 * rng.normal()); // the noisy diagonal
    }
  },
  // Four round Gaussian blobs (σ 0.25) at the corners of a square of side 2.4.
  blobs: (s, rng, put) => {
    const centres = [
      [-1.2, -1.2],
      [1.2, -1.2],
      [-1.2, 1.2],
      [1.2, 1.2],
    ];
    for (let i = 0; i < s.points; i++) {
      const [cx, cy] = centres[i % 4];
      put(i, cx + 0.25 * rng.normal(), cy + 0.25 * rng.normal());
    }
  },
  // Two concentric rings (radii 0.6 and 1.6, radial noise σ 0.06): no single line separates them.
  rings: (s, rng, put) => {
    for (let i = 0; i < s.points; i++) {
      const r = (i % 2 === 0 ? 0.6 : 1.6) + 0.06 * rng.normal();
      const a = 2 * Math.PI * rng.uniform();
      put(i, r * Math.cos(a), r * Math.sin(a));
    }
  },
  // Two interleaved arms of an Archimedean spiral (1.5 turns, noise σ 0.04) — curved data that the piecewise
  // maps can only follow with many pieces.
  spiral: (s, rng, put) => {
    for (let i = 0; i < s.points; i++) {
      const t = 0.15 + 0.85 * rng.uniform();
      const a = 3 * Math.PI * t + (i % 2) * Math.PI;
      put(i, 1.8 * t * Math.cos(a) + 0.04 * rng.normal(), 1.8 * t * Math.sin(a) + 0.04 * rng.normal());
    }
  },
  // Superposition (toy models of superposition): n unit directions d_j at angles 2πj/n; each sample is a
  // sparse non-negative mix x = Σ_j a_j d_j, each feature on with probability 1.5/n (at least one on),
  // a_j ~ U(0.3, 1.5). More features than dimensions: a dictionary of n atoms with K ≤ 2 explains it.
  superposition: (s, rng, put) => {
    const n = s.features;
    const p = 1.5 / n;
    for (let i = 0; i < s.points; i++) {
      let x = 0;
      let y = 0;
      let on = 0;
      for (let j = 0; j < n; j++) {
        if (rng.uniform() >= p) continue;
        const a = 0.3 + 1.2 * rng.uniform();
        x += a * Math.cos((2 * Math.PI * j) / n);
        y += a * Math.sin((2 * Math.PI * j) / n);
        on++;
      }
      if (on === 0) {
        const j = rng.int(n);
        const a = 0.3 + 1.2 * rng.uniform();
        x = a * Math.cos((2 * Math.PI * j) / n);
        y = a * Math.sin((2 * Math.PI * j) / n);
      }
      put(i, x, y);
    }
  },
};

/** The true feature directions of a superposition preset: [features, 2] unit rows (for drawing them). */
export function superpositionDirections(features: number): Float32Array {
  const d = new Float32Array(2 * features);
  for (let j = 0; j < features; j++) {
    d[2 * j] = Math.cos((2 * Math.PI * j) / features);
    d[2 * j + 1] = Math.sin((2 * Math.PI * j) / features);
  }
  return d;
}

/** Checks painted or projected points: n in [LAB_MIN_POINTS, LAB_MAX_POINTS], xy [n, 2] finite. */
export function checkPoints(p: LabPoints, what: string): void {
  if (!Number.isSafeInteger(p.n) || p.n < LAB_MIN_POINTS || p.n > LAB_MAX_POINTS)
    throw new InputError(`${what}: the lab needs ${LAB_MIN_POINTS} to ${LAB_MAX_POINTS} points, got ${p.n}: ${p.n < LAB_MIN_POINTS ? 'paint more points' : 'use fewer points'}`);
  if (p.xy.length !== 2 * p.n) throw new InputError(`${what}: xy must hold 2 numbers per point (${2 * p.n}), got ${p.xy.length}`);
  for (let i = 0; i < p.xy.length; i++)
    if (!Number.isFinite(p.xy[i])) throw new InputError(`${what}: point ${i >> 1} has a non-finite coordinate (${p.xy[i]}): remove it`);
}

/** The data's bounding square with a margin, the view every panel draws: [u0, u1] × [v0, v1], square, centred on the data. */
export function viewOf(p: LabPoints, margin = 0.15): { u0: number; u1: number; v0: number; v1: number } {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < p.n; i++) {
    x0 = Math.min(x0, p.xy[2 * i]);
    x1 = Math.max(x1, p.xy[2 * i]);
    y0 = Math.min(y0, p.xy[2 * i + 1]);
    y1 = Math.max(y1, p.xy[2 * i + 1]);
  }
  if (!(x1 >= x0)) return { u0: -2, u1: 2, v0: -2, v1: 2 }; // no points: the toy's window
  const half = Math.max(x1 - x0, y1 - y0, 1e-3) * (0.5 + margin);
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return { u0: cx - half, u1: cx + half, v0: cy - half, v1: cy + half };
}
