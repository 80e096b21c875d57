// TopK SAEs as order-K power diagrams on a plane (seed-papers §3.5; SplInterp's claim "TopK SAEs correspond
// exactly to K-th order power diagrams"): the sites, weights and circles the lab overlays, the decoder
// directions as arrows, and the check that the TopK cells equal the power-diagram cells point by point.
// Imports only src/core.
//
// On a plane the SAE's pre-activations are linear in (u, v): z_i = w_i·(u, v) + β_i with w_i = (d_i, e_i),
// β_i = f_i (scores.ts). For a scale λ > 0:
//   c_i = (λ/2)·w_i,   α_i = (λ²/4)‖w_i‖² + λβ_i,   pow_i(u, v) = ‖(u, v) − c_i‖² − α_i = ‖(u, v)‖² − λ z_i,
// so the k largest z_i are the k smallest power distances: the TopK cell (before ReLU) is the order-k power cell.
// λ = 1 is seed-papers' convention; λ = 2 puts the sites at w_i (a Top-1 SAE built from k-means centroids then
// has its sites at the centroids and equal weights: the Voronoi diagram). Circles: radius √(α_i − min α).

import { InputError } from '../errors.ts';
import { encodePre, topkRow } from '../sae/sae.ts';
import type { Sae } from '../sae/types.ts';
import { planePoint, projectDirection, type Plane } from './plane.ts';
import { gridPoint, checkGrid, regionLabel, type Grid } from './regions.ts';
import { COEFS, planeScoresOfSae, type PlaneScores } from './scores.ts';

/** The order-k power diagram of a TopK SAE on a plane, in the plane's (u, v) coordinates (f64). */
export interface PowerDiagram {
  units: number;
  k: number;
  lambda: number;
  /** [units, 2]: c_i = (λ/2)·w_i. */
  sites: Float64Array;
  /** [units]: α_i = (λ²/4)‖w_i‖² + λβ_i. */
  weights: Float64Array;
  /** [units]: √(α_i − min α), the circles of fig_6 (seed-papers §3.5 "Drawing details"). */
  radii: Float64Array;
}

/** The power diagram of linear topk plane scores (planeScoresOfSae of a TopK SAE). */
export function powerDiagramOfScores(scores: PlaneScores, lambda = 1): PowerDiagram {
  const { units, coef, rule } = scores;
  if (rule.kind !== 'topk' || rule.abs) {
    throw new InputError(`powerDiagram: needs the scores of a TopK SAE ranked by value, got rule ${rule.kind}${rule.kind === 'topk' ? ' by |z| (signed TopK: its cells are those of 2·dSae signed sites, not drawn here)' : ''}`);
  }
  if (!(lambda > 0)) throw new InputError(`powerDiagram: the scale λ must be > 0, got ${lambda}`);
  const sites = new Float64Array(units * 2);
  const weights = new Float64Array(units);
  for (let i = 0; i < units; i++) {
    const o = i * COEFS;
    if (coef[o] !== 0 || coef[o + 1] !== 0 || coef[o + 2] !== 0) {
      throw new InputError(`powerDiagram: unit ${i}'s score is quadratic (a, b, c = ${coef[o]}, ${coef[o + 1]}, ${coef[o + 2]}); power diagrams are for SAE scores, linear in (u, v)`);
    }
    const [wu, wv, beta] = [coef[o + 3], coef[o + 4], coef[o + 5]];
    sites[2 * i] = (lambda / 2) * wu;
    sites[2 * i + 1] = (lambda / 2) * wv;
    weights[i] = ((lambda * lambda) / 4) * (wu * wu + wv * wv) + lambda * beta;
  }
  let minW = Infinity;
  for (const w of weights) minW = Math.min(minW, w);
  const radii = weights.map((w) => Math.sqrt(w - minW));
  return { units, k: rule.k, lambda, sites, weights, radii };
}

/** A TopK SAE's power diagram on `plane` (its order-k cells: TopK before the ReLU). */
export function powerDiagramOfSae(sae: Sae, plane: Plane, lambda = 1): PowerDiagram {
  if (sae.arch !== 'topk' || sae.topkSigned === true) {
    throw new InputError(`powerDiagram: defined here for TopK SAEs ranked by value, this SAE is ${sae.arch}${sae.topkSigned ? ' (signed)' : ''}; ReLU/JumpReLU regions are hyperplane arrangements, drawn by regionIds`);
  }
  return powerDiagramOfScores(planeScoresOfSae(sae, plane, 'power'), lambda);
}

/** pow_i(u, v) = ‖(u, v) − c_i‖² − α_i. */
export function powerDistance(pd: PowerDiagram, i: number, u: number, v: number): number {
  return (u - pd.sites[2 * i]) ** 2 + (v - pd.sites[2 * i + 1]) ** 2 - pd.weights[i];
}

/** The order-k power cell of (u, v): the k smallest power distances, ties to the lower index, sorted ascending. */
export function powerCell(pd: PowerDiagram, u: number, v: number): number[] {
  const pw = Array.from({ length: pd.units }, (_, i) => powerDistance(pd, i, u, v));
  const order = pw.map((_, i) => i).sort((a, b) => pw[a] - pw[b] || a - b);
  return order.slice(0, pd.k).sort((a, b) => a - b);
}

/**
 * Decoder directions as arrows on the plane: (du, dv) of wDec_i in raw input units (wDec_i / inputScale, the
 * change of x̂ per unit of f_i), projected onto the plane. → [dSae, 2].
 */
export function decoderArrows(sae: Sae, plane: Plane): Float32Array {
  const out = new Float32Array(sae.dSae * 2);
  for (let i = 0; i < sae.dSae; i++) {
    const row = sae.wDec.subarray(i * sae.dIn, (i + 1) * sae.dIn).map((w) => w / sae.inputScale);
    out.set(projectDirection(plane, row), 2 * i);
  }
  return out;
}

/**
 * The Top-1 SAE of k-means centroids (seed-papers §3.3): wEnc_j = wDec_j = μ_j, bEnc_j = −½‖μ_j‖², bDec = 0, so
 * z_j = μ_j·x − ½‖μ_j‖² and argmax_j z_j = argmin_j ‖x − μ_j‖². With the selected value replaced by 1 it is the
 * k-means autoencoder; its Top-1 cells are the Voronoi cells of the centroids. centroids: [k, dIn].
 */
export function top1SaeOfCentroids(centroids: Float32Array, k: number, dIn: number): Sae {
  if (centroids.length !== k * dIn) throw new InputError(`top1SaeOfCentroids: centroids must be [k, dIn] = [${k}, ${dIn}], got ${centroids.length} values`);
  const bEnc = new Float32Array(k);
  for (let j = 0; j < k; j++) {
    let n2 = 0;
    for (let d = 0; d < dIn; d++) n2 += centroids[j * dIn + d] ** 2;
    bEnc[j] = -0.5 * n2;
  }
  return {
    arch: 'topk',
    dIn,
    dSae: k,
    k: 1,
    wEnc: centroids.slice(),
    bEnc,
    wDec: centroids.slice(),
    bDec: new Float32Array(dIn),
    logThreshold: new Float32Array(0),
    batchThreshold: 0,
    inputScale: 1,
  };
}

/** What checkPowerCells counted. */
export interface PowerCheck {
  points: number;
  /** Points where the forward pass's TopK set (before ReLU) differs from the k nearest sites in power distance. */
  mismatchesForward: number;
  /** Points where regionLabel of the 'power' plane scores differs from the power cell. */
  mismatchesScores: number;
  /** Distinct cells seen (so a zero is not vacuous). */
  cells: number;
  /** The first mismatch, for the message. */
  firstMismatch?: { u: number; v: number; topk: number[]; power: number[] };
}

/**
 * The check of SplInterp's claim at every grid point: the TopK set of the SAE's own forward pass (sae.ts
 * encodePre on x(u, v) scaled by inputScale, the k largest z with ties to the lower index) equals the order-k
 * power cell computed from the sites and weights alone, and so does regionLabel of the plane scores.
 */
export function checkPowerCells(sae: Sae, plane: Plane, grid: Grid, lambda = 1): PowerCheck {
  checkGrid(grid);
  const pd = powerDiagramOfSae(sae, plane, lambda);
  const scores = planeScoresOfSae(sae, plane, 'power');
  const cells = new Set<string>();
  const result: PowerCheck = { points: 0, mismatchesForward: 0, mismatchesScores: 0, cells: 0 };
  for (let row = 0; row < grid.height; row++) {
    for (let col = 0; col < grid.width; col++) {
      const [u, v] = gridPoint(grid, col, row);
      const x = planePoint(plane, u, v).map((xd) => xd * sae.inputScale);
      const z = encodePre(sae, x, 1);
      const topk = topkRow(z, 0, sae.dSae, sae.k).sort((a, b) => a - b);
      const power = powerCell(pd, u, v);
      const key = power.join(',');
      cells.add(key);
      result.points++;
      if (topk.join(',') !== key) {
        result.mismatchesForward++;
        result.firstMismatch ??= { u, v, topk, power };
      }
      if (regionLabel(scores, u, v).join(',') !== key) result.mismatchesScores++;
    }
  }
  result.cells = cells.size;
  return result;
}

/**
 * The lines s_i(u, v) = θ_i of linear threshold scores (ReLU: θ = 0, JumpReLU: θ_i; seed-papers §3.5 "WGSL recipe"
 * step 4), as (nu, nv, c) with nu·u + nv·v + c = 0 and (nu, nv) a unit normal pointing to the active side; a unit
 * whose score does not depend on (u, v) on this plane gets (0, 0, 0). → [units, 3].
 */
export function thresholdLines(scores: PlaneScores): Float64Array {
  const { units, coef, rule } = scores;
  if (rule.kind !== 'threshold') throw new InputError(`thresholdLines: needs threshold scores (ReLU, JumpReLU, BatchTopK), got rule ${rule.kind}`);
  const out = new Float64Array(units * 3);
  for (let i = 0; i < units; i++) {
    const o = i * COEFS;
    if (coef[o] !== 0 || coef[o + 1] !== 0 || coef[o + 2] !== 0) throw new InputError(`thresholdLines: unit ${i}'s score is quadratic; threshold lines are for SAE scores, linear in (u, v)`);
    const norm = Math.hypot(coef[o + 3], coef[o + 4]);
    if (norm > 0) out.set([coef[o + 3] / norm, coef[o + 4] / norm, (coef[o + 5] - rule.theta[i]) / norm], 3 * i);
  }
  return out;
}
