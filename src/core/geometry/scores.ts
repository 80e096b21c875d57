// Any model restricted to a plane (plane.ts), as per-unit quadratic scores in the plane's coordinates, plus the
// rule that turns the scores of a point into its region (issue #12; seed-papers §3.2–3.5). The one input of the
// region drawing (regions.ts on the CPU, shaders/partition.wgsl on the GPU). Imports only src/core.
//
//   s_i(u, v) = a u² + b uv + c v² + d u + e v + f          coef: [units, 6] row-major (a b c d e f), f32
//   SAE:      s_i = z_i(x(u, v)), the pre-activation (linear: a = b = c = 0)
//   k-means:  s_i = ‖x(u, v) − μ_i‖²                        (rule argmin: the Voronoi cell)
//   k-flats:  s_i = ‖(I − U_iᵀU_i)(x(u, v) − μ_i)‖²          (rule argmin: the flat with the smallest residual)
// Coefficients are computed in f64 and stored in f32 (the kernel's precision).

import { InputError } from '../errors.ts';
import type { Sae } from '../sae/types.ts';
import { isClusterArch } from '../sae/types.ts';
import { saeToCluster } from '../cluster/model.ts';
import type { Plane } from './plane.ts';

/**
 * How a point's scores make its region label.
 *   topk      the k largest s_i, ties to the lower index (topkRow in sae.ts). `abs`: rank by |s_i| (Sae.topkSigned).
 *             `relu`: then drop units with s_i ≤ 0 (the SAE's ReLU after TopK); without it the label is the
 *             order-k power-diagram cell (seed-papers §3.5).
 *   threshold the pattern {i : s_i > θ_i}: ReLU (θ = 0), JumpReLU (θ_i = exp(logThreshold_i)), BatchTopK at
 *             inference (θ_i = batchThreshold). theta: [units].
 *   argmin    the one unit with the smallest s_i, ties to the lower index: k-means (Voronoi), k-flats.
 */
export type RegionRule =
  | { kind: 'topk'; k: number; abs?: boolean; relu?: boolean }
  | { kind: 'threshold'; theta: Float32Array }
  | { kind: 'argmin' };

/** Any model restricted to a plane, as per-unit quadratic scores s_i(u,v) = a u² + b uv + c v² + d u + e v + f. */
export interface PlaneScores {
  units: number;
  /** [units, 6]: a b c d e f. */
  coef: Float32Array;
  rule: RegionRule;
}

/** Coefficients per unit. */
export const COEFS = 6;

function checkPlane(where: string, dIn: number, plane: Plane): void {
  if (plane.dIn !== dIn || plane.origin.length !== dIn || plane.e1.length !== dIn || plane.e2.length !== dIn) {
    throw new InputError(`${where}: the model's input width is ${dIn} but the plane lives in dIn = ${plane.dIn} (origin ${plane.origin.length}, e1 ${plane.e1.length}, e2 ${plane.e2.length}); build the plane from rows of the data this model was trained on`);
  }
}

/**
 * The SAE's pre-activations on the plane: z_i(u, v) = wEnc_i·(s·x(u, v) − bDec) + bEnc_i with s = inputScale
 * (sae.ts encodePre on scaleInput(x, s)), so d = s·wEnc_i·e1, e = s·wEnc_i·e2, f = bEnc_i + wEnc_i·(s·origin − bDec).
 * `cells`: 'active' (default) labels a point by the SAE's active set, the non-zero codes of sae.ts encode;
 * 'power' labels a TopK SAE by its order-k power-diagram cell (the k largest z, no ReLU; seed-papers §3.5).
 */
export function planeScoresOfSae(sae: Sae, plane: Plane, cells: 'active' | 'power' = 'active'): PlaneScores {
  checkPlane('planeScoresOfSae', sae.dIn, plane);
  if (isClusterArch(sae.arch)) {
    // The SAE layout of a k-means / k-flats model (cluster/model.ts): its cells are the residual argmin, in the
    // model's own units (x' = s·x), so the plane is scaled by s.
    if (cells === 'power') throw new InputError(`planeScoresOfSae: power-diagram cells are defined for TopK SAEs, this model is ${sae.arch}; use cells 'active' (its clusters)`);
    const m = saeToCluster(sae);
    const k = sae.inputScale;
    const scaled: Plane = { dIn: plane.dIn, origin: plane.origin.map((v) => k * v), e1: plane.e1.map((v) => k * v), e2: plane.e2.map((v) => k * v) };
    return planeScoresOfKFlats(m.means, m.bases, m.clusters, m.rank, scaled);
  }
  const { dIn, dSae, wEnc, bEnc, bDec, inputScale: s } = sae;
  const coef = new Float32Array(dSae * COEFS);
  for (let i = 0; i < dSae; i++) {
    let d1 = 0;
    let d2 = 0;
    let c0 = bEnc[i];
    for (let d = 0; d < dIn; d++) {
      const w = wEnc[i * dIn + d];
      d1 += w * plane.e1[d];
      d2 += w * plane.e2[d];
      c0 += w * (s * plane.origin[d] - bDec[d]);
    }
    coef.set([0, 0, 0, s * d1, s * d2, c0], i * COEFS);
  }
  return { units: dSae, coef, rule: saeRule(sae, cells) };
}

function saeRule(sae: Sae, cells: 'active' | 'power'): RegionRule {
  if (cells === 'power' && sae.arch !== 'topk') {
    throw new InputError(`planeScoresOfSae: power-diagram cells are defined for TopK SAEs, this SAE is ${sae.arch}; use cells 'active' (its activation pattern)`);
  }
  switch (sae.arch) {
    case 'topk': {
      const abs = sae.topkSigned === true;
      return { kind: 'topk', k: sae.k, abs, relu: cells === 'active' && !abs };
    }
    case 'batchtopk':
      return { kind: 'threshold', theta: new Float32Array(sae.dSae).fill(sae.batchThreshold) };
    case 'relu':
      return { kind: 'threshold', theta: new Float32Array(sae.dSae) };
    case 'jumprelu':
      return { kind: 'threshold', theta: sae.logThreshold.map((l) => Math.exp(l)) };
    case 'kmeans':
    case 'kflats':
      return { kind: 'argmin' }; // not reached: planeScoresOfSae takes the cluster path first
    default:
      return sae.arch satisfies never;
  }
}

/**
 * Adds the coefficients of ‖x(u, v) − m‖² − Σ_r (U_r·(x(u, v) − m))² to coef[at..at+6) (f64 sums).
 * m: [dIn] at mOff; U: rank rows of [dIn] at uOff (rank 0: plain squared distance).
 */
function residualCoefs(plane: Plane, m: ArrayLike<number>, mOff: number, basis: ArrayLike<number>, uOff: number, rank: number, out: Float64Array): void {
  const { dIn, origin, e1, e2 } = plane;
  // y(u, v) = r0 + u·e1 + v·e2 with r0 = origin − m; ‖y‖² expands to the six coefficients.
  let g11 = 0;
  let g12 = 0;
  let g22 = 0;
  let r1 = 0;
  let r2 = 0;
  let r00 = 0;
  for (let d = 0; d < dIn; d++) {
    const r0 = origin[d] - m[mOff + d];
    g11 += e1[d] * e1[d];
    g12 += e1[d] * e2[d];
    g22 += e2[d] * e2[d];
    r1 += e1[d] * r0;
    r2 += e2[d] * r0;
    r00 += r0 * r0;
  }
  let [a, b, c, dd, ee, ff] = [g11, 2 * g12, g22, 2 * r1, 2 * r2, r00];
  for (let r = 0; r < rank; r++) {
    // (U_r·y)² = (p0 + u p1 + v p2)²
    let p0 = 0;
    let p1 = 0;
    let p2 = 0;
    for (let d = 0; d < dIn; d++) {
      const w = basis[uOff + r * dIn + d];
      p0 += w * (origin[d] - m[mOff + d]);
      p1 += w * e1[d];
      p2 += w * e2[d];
    }
    a -= p1 * p1;
    b -= 2 * p1 * p2;
    c -= p2 * p2;
    dd -= 2 * p0 * p1;
    ee -= 2 * p0 * p2;
    ff -= p0 * p0;
  }
  out.set([a, b, c, dd, ee, ff]);
}

/** k-means (seed-papers §3.3): s_i = ‖x(u, v) − μ_i‖², rule argmin (the Voronoi cell). centroids: [k, dIn]. */
export function planeScoresOfKMeans(centroids: Float32Array, k: number, plane: Plane): PlaneScores {
  checkPlane('planeScoresOfKMeans', plane.dIn, plane);
  if (!(k >= 1) || centroids.length !== k * plane.dIn) {
    throw new InputError(`planeScoresOfKMeans: centroids must be [k, dIn] = [${k}, ${plane.dIn}] (${k * plane.dIn} values), got ${centroids.length} values`);
  }
  return planeScoresOfKFlats(centroids, new Float32Array(0), k, 0, plane);
}

/**
 * k-flats, k-means + local PCA (seed-papers §3.4): s_i = ‖(I − U_iᵀU_i)(x(u, v) − μ_i)‖², the squared residual
 * of the flat i (quadratic in (u, v)), rule argmin. means: [k, dIn]; bases: [k, rank, dIn] with orthonormal rows
 * (not checked beyond shapes: a non-orthonormal basis gives a score that is not a residual).
 */
export function planeScoresOfKFlats(means: Float32Array, bases: Float32Array, k: number, rank: number, plane: Plane): PlaneScores {
  const { dIn } = plane;
  if (!(k >= 1) || means.length !== k * dIn) {
    throw new InputError(`planeScoresOfKFlats: means must be [k, dIn] = [${k}, ${dIn}] (${k * dIn} values), got ${means.length} values`);
  }
  if (!(rank >= 0) || bases.length !== k * rank * dIn) {
    throw new InputError(`planeScoresOfKFlats: bases must be [k, rank, dIn] = [${k}, ${rank}, ${dIn}] (${k * rank * dIn} values), got ${bases.length} values`);
  }
  const coef = new Float32Array(k * COEFS);
  const row = new Float64Array(COEFS);
  for (let i = 0; i < k; i++) {
    residualCoefs(plane, means, i * dIn, bases, i * rank * dIn, rank, row);
    coef.set(row, i * COEFS);
  }
  return { units: k, coef, rule: { kind: 'argmin' } };
}

/** s_i(u, v) in f64 from the f32 coefficients (shaders/partition.wgsl evaluates the same sum in f32). */
export function scoreAt(coef: Float32Array, i: number, u: number, v: number): number {
  const o = i * COEFS;
  return coef[o] * (u * u) + coef[o + 1] * (u * v) + coef[o + 2] * (v * v) + coef[o + 3] * u + coef[o + 4] * v + coef[o + 5];
}
