// Per-point reconstruction error on a plane, for shading the partition by error (issue #12: "optionally shaded by
// the per-cell reconstruction error"; seed-papers §3.2: on each region the SAE is affine, so the error is a
// quadratic in (u, v) per region). Computed from plane quantities only — no dIn-sized work per point. Imports only
// src/core.
//
// Raw input units (the data's, before Sae.inputScale s): x = origin + u·e1 + v·e2, d_i = wDec_i / s, b = bDec / s,
//   x̂ = b + Σ_{i∈S} f_i d_i,   f_i = max(z_i, 0) (TopK by value) or z_i (signed TopK, threshold rules), z_i = s_i(u, v)
//   err(u, v) = ‖x − x̂‖² = Q(u, v) − 2 Σ_{i∈S} f_i L_i(u, v) + Σ_{i,j∈S} f_i f_j G_ij
// with r0(u, v) = origin − b + u·e1 + v·e2, Q = ‖r0‖² (6 coefficients as in scores.ts), L_i = d_i·r0 = l0 + l1 u + l2 v,
// G_ij = d_i·d_j. k-means / k-flats: the error is the winning score itself (s_j is the residual ‖…‖²).

import { InputError } from '../errors.ts';
import type { Sae } from '../sae/types.ts';
import { isClusterArch } from '../sae/types.ts';
import type { Plane } from './plane.ts';
import { checkGrid, checkScores, gridPoint, labelInto, scratchFor, type Grid } from './regions.ts';
import type { PlaneScores } from './scores.ts';

/** What the error needs beyond the scores (SAE rules; absent for argmin, whose error is the winning score). */
export interface PlaneError {
  units: number;
  /** Q(u, v) = ‖r0‖²: a b c d e f. */
  quad: Float64Array;
  /** [units, 3]: L_i = l0 + l1·u + l2·v. */
  lin: Float64Array;
  /** [units, units]: G_ij = d_i·d_j. */
  gram: Float64Array;
  /** How a selected unit's code follows from its score: TopK by value applies ReLU. */
  values: 'relu' | 'score';
}

/** The error terms of an SAE on a plane (see the header). k-means / k-flats need none: returns null. */
export function planeErrorOfSae(sae: Sae, plane: Plane): PlaneError | null {
  if (isClusterArch(sae.arch)) return null;
  if (plane.dIn !== sae.dIn) throw new InputError(`planeErrorOfSae: the SAE reads dIn = ${sae.dIn}, the plane lives in dIn = ${plane.dIn}`);
  const { dIn, dSae, wDec, bDec, inputScale: s } = sae;
  const r0 = new Float64Array(dIn);
  for (let d = 0; d < dIn; d++) r0[d] = plane.origin[d] - bDec[d] / s;
  let [a, b, c, dd, ee, ff] = [0, 0, 0, 0, 0, 0];
  for (let d = 0; d < dIn; d++) {
    a += plane.e1[d] * plane.e1[d];
    b += 2 * plane.e1[d] * plane.e2[d];
    c += plane.e2[d] * plane.e2[d];
    dd += 2 * plane.e1[d] * r0[d];
    ee += 2 * plane.e2[d] * r0[d];
    ff += r0[d] * r0[d];
  }
  const lin = new Float64Array(dSae * 3);
  const gram = new Float64Array(dSae * dSae);
  for (let i = 0; i < dSae; i++) {
    let [l0, l1, l2] = [0, 0, 0];
    for (let d = 0; d < dIn; d++) {
      const w = wDec[i * dIn + d] / s;
      l0 += w * r0[d];
      l1 += w * plane.e1[d];
      l2 += w * plane.e2[d];
    }
    lin.set([l0, l1, l2], i * 3);
    for (let j = 0; j <= i; j++) {
      let g = 0;
      for (let d = 0; d < dIn; d++) g += wDec[i * dIn + d] * wDec[j * dIn + d];
      gram[i * dSae + j] = gram[j * dSae + i] = g / (s * s);
    }
  }
  const values = sae.arch === 'topk' && sae.topkSigned !== true ? 'relu' : 'score';
  return { units: dSae, quad: Float64Array.from([a, b, c, dd, ee, ff]), lin, gram, values };
}

/**
 * ‖x − x̂‖² at every pixel of `grid` (row 0 at the top) → [height·width] f32. `err` from planeErrorOfSae of the
 * same model (null for argmin scores). scores must be the model's 'active' scores (the units it decodes).
 */
export function errorGrid(scores: PlaneScores, err: PlaneError | null, grid: Grid): Float32Array {
  checkScores(scores);
  checkGrid(grid);
  if (scores.rule.kind !== 'argmin' && (!err || err.units !== scores.units)) {
    throw new InputError(`errorGrid: ${scores.rule.kind} scores need the model's error terms for ${scores.units} units (planeErrorOfSae), got ${err ? err.units : 'none'}`);
  }
  const sc = scratchFor(scores);
  const out = new Float32Array(grid.width * grid.height);
  const f = new Float64Array(scores.units);
  for (let row = 0; row < grid.height; row++) {
    for (let col = 0; col < grid.width; col++) {
      const [u, v] = gridPoint(grid, col, row);
      const n = labelInto(scores, u, v, sc);
      const p = row * grid.width + col;
      if (scores.rule.kind === 'argmin' || !err) {
        out[p] = sc.s[sc.label[0]];
        continue;
      }
      const q = err.quad;
      let e = q[0] * (u * u) + q[1] * (u * v) + q[2] * (v * v) + q[3] * u + q[4] * v + q[5];
      for (let a = 0; a < n; a++) {
        const i = sc.label[a];
        f[a] = err.values === 'relu' ? Math.max(sc.s[i], 0) : sc.s[i];
        e -= 2 * f[a] * (err.lin[3 * i] + err.lin[3 * i + 1] * u + err.lin[3 * i + 2] * v);
        for (let b = 0; b < a; b++) e += 2 * f[a] * f[b] * err.gram[i * err.units + sc.label[b]];
        e += f[a] * f[a] * err.gram[i * err.units + i];
      }
      out[p] = Math.max(e, 0); // a sum of squares: cancellation may leave −1e-12
    }
  }
  return out;
}
