// A 2-D affine plane in a model's input space, the canvas of the geometry lab (issue #12): a SplineCam-style
// slice through three data points for a high-dimensional model, or the identity for a 2-D model. Every model is
// drawn in the plane's own coordinates (u, v). Imports only src/core.
//
// Shapes: dIn = input width; origin, e1, e2: [dIn]; a point of the plane x(u, v) = origin + u·e1 + v·e2 is [dIn].
// Units: the model's raw input units (before any Sae.inputScale, which scores.ts applies).

import { InputError } from '../errors.ts';

/** A 2-D affine plane in input space: x(u, v) = origin + u·e1 + v·e2. origin, e1, e2: [dIn]. */
export interface Plane {
  dIn: number;
  origin: Float32Array;
  e1: Float32Array;
  e2: Float32Array;
}

/**
 * The plane through three points (SplineCam-style slice), with orthonormal axes by Gram–Schmidt: origin = p0,
 * e1 along p1 − p0, e2 the part of p2 − p0 orthogonal to e1. So p0 sits at (0, 0), p1 at (|p1 − p0|, 0) and p2
 * at (e1·(p2 − p0), |…⊥|), and distances in (u, v) are distances in input space. p0, p1, p2: [dIn].
 * Throws an InputError when the lengths differ or the points are (nearly) collinear.
 */
export function planeThrough(p0: ArrayLike<number>, p1: ArrayLike<number>, p2: ArrayLike<number>): Plane {
  const dIn = p0.length;
  if (p1.length !== dIn || p2.length !== dIn) {
    throw new InputError(`planeThrough: the three points must have the same length (the model's dIn), got ${dIn}, ${p1.length}, ${p2.length}; pick three rows of the same dataset`);
  }
  if (dIn < 2) throw new InputError(`planeThrough: a plane needs an input space of at least 2 dimensions, got dIn = ${dIn}`);
  const a = new Float64Array(dIn);
  const b = new Float64Array(dIn);
  for (let d = 0; d < dIn; d++) {
    a[d] = p1[d] - p0[d];
    b[d] = p2[d] - p0[d];
  }
  const na = Math.hypot(...a);
  const nb = Math.hypot(...b);
  if (!(na > 0)) throw new InputError('planeThrough: p1 equals p0 (|p1 − p0| = 0); pick three distinct, non-collinear points');
  let dot = 0;
  for (let d = 0; d < dIn; d++) dot += (a[d] /= na) * b[d];
  for (let d = 0; d < dIn; d++) b[d] -= dot * a[d];
  const nPerp = Math.hypot(...b);
  // Relative test: p2 − p0 must keep a part orthogonal to e1 above f32 noise, or the slice is a line.
  if (!(nPerp > 1e-6 * Math.max(na, nb))) {
    throw new InputError(`planeThrough: the three points are collinear (the part of p2 − p0 off the line p0→p1 is ${nPerp.toExponential(2)} of |p2 − p0| = ${nb.toExponential(2)}); pick a third point off the line`);
  }
  for (let d = 0; d < dIn; d++) b[d] /= nPerp;
  return { dIn, origin: Float32Array.from(p0), e1: Float32Array.from(a), e2: Float32Array.from(b) };
}

/** The plane of a 2-D model: (u, v) = (x0, x1). */
export function identityPlane(): Plane {
  return { dIn: 2, origin: new Float32Array([0, 0]), e1: new Float32Array([1, 0]), e2: new Float32Array([0, 1]) };
}

/** x(u, v) = origin + u·e1 + v·e2 → [dIn]. */
export function planePoint(plane: Plane, u: number, v: number): Float32Array {
  const x = new Float32Array(plane.dIn);
  for (let d = 0; d < plane.dIn; d++) x[d] = plane.origin[d] + u * plane.e1[d] + v * plane.e2[d];
  return x;
}

/** Gram matrix of the axes [e1·e1, e1·e2, e2·e2] (f64). */
function gram(plane: Plane): [number, number, number] {
  let g11 = 0;
  let g12 = 0;
  let g22 = 0;
  for (let d = 0; d < plane.dIn; d++) {
    g11 += plane.e1[d] * plane.e1[d];
    g12 += plane.e1[d] * plane.e2[d];
    g22 += plane.e2[d] * plane.e2[d];
  }
  return [g11, g12, g22];
}

/**
 * The in-plane components (du, dv) of a direction: the (u, v) whose u·e1 + v·e2 is the orthogonal projection
 * of `dir` onto the plane's span (least squares; exact dot products when the axes are orthonormal). For drawing
 * decoder directions as arrows. dir: [dIn].
 */
export function projectDirection(plane: Plane, dir: ArrayLike<number>): [number, number] {
  if (dir.length !== plane.dIn) throw new InputError(`projectDirection: the direction has length ${dir.length}, the plane lives in dIn = ${plane.dIn}`);
  let r1 = 0;
  let r2 = 0;
  for (let d = 0; d < plane.dIn; d++) {
    r1 += plane.e1[d] * dir[d];
    r2 += plane.e2[d] * dir[d];
  }
  const [g11, g12, g22] = gram(plane);
  const det = g11 * g22 - g12 * g12;
  return [(g22 * r1 - g12 * r2) / det, (g11 * r2 - g12 * r1) / det];
}

/** (u, v) of the orthogonal projection of a point onto the plane. x: [dIn]. */
export function planeCoords(plane: Plane, x: ArrayLike<number>): [number, number] {
  const rel = new Float64Array(plane.dIn);
  for (let d = 0; d < plane.dIn; d++) rel[d] = x[d] - plane.origin[d];
  return projectDirection(plane, rel);
}
