// Synthetic activations with known ground-truth features, so feature recovery (MCC) can be measured:
// x_t = Σ_{j active in t} a_{t,j}·g_j + noise, with Zipf firing probabilities, optional correlated
// firing (Gaussian copula) and unit feature directions in superposition (nFeatures > dIn allowed).
// Deterministic for a seed (createRng only). Imports only from src/core (no DOM, WebGPU, Node).

import { InputError } from '../errors.ts';
import { createRng } from '../math/random.ts';
import type { Dataset, GroundTruth } from '../sae/types.ts';

export interface SyntheticSpec {
  nFeatures: number;
  dIn: number;
  rows: number;
  /** Expected number of active features per row: Σ_j p_j. */
  meanActive: number;
  /** Firing probability p_j ∝ (j+1)^−zipfExponent, scaled so Σ_j p_j = meanActive, each p_j capped at 1. */
  zipfExponent: number;
  /** Active magnitudes ~ N(magnitudeMean, magnitudeStd²) truncated to > 0 (redrawn while ≤ 0). */
  magnitudeMean: number;
  magnitudeStd: number;
  /** c ∈ [0, 1): feature j fires in row t when Φ(√c·g_t + √(1−c)·e_{t,j}) < p_j (g_t shared by the row). */
  correlation: number;
  /** Isotropic Gaussian noise N(0, noiseStd²) added to every element of x. */
  noiseStd: number;
  seed: number;
}

/** Active features per row in CSR form: row t has idx/val[offsets[t] .. offsets[t+1]). */
export interface SyntheticCodes {
  offsets: Uint32Array; // [rows + 1]
  idx: Uint32Array; // [nnz] feature index, ascending within a row
  val: Float32Array; // [nnz] magnitude a_{t,j} > 0
}

export interface SyntheticDataset extends Dataset {
  truth: GroundTruth;
  /** p_j, the firing probability of each feature. */
  firingProb: Float64Array; // [nFeatures]
  codes: SyntheticCodes;
}

const BASE = { magnitudeMean: 1, magnitudeStd: 0.25, noiseStd: 0.01 };

/** Named specs for `synthetic:PRESET[:SEED]`. `small` is quick and learnable by a TopK SAE (rarest p_j ≈ 5%). */
export const SYNTHETIC_PRESETS: Record<string, Omit<SyntheticSpec, 'seed'>> = {
  small: { ...BASE, dIn: 16, nFeatures: 32, rows: 8192, meanActive: 3, zipfExponent: 0.5, correlation: 0 },
  medium: { ...BASE, dIn: 64, nFeatures: 256, rows: 32768, meanActive: 8, zipfExponent: 0.8, correlation: 0.1 },
  large: { ...BASE, dIn: 256, nFeatures: 2048, rows: 65536, meanActive: 16, zipfExponent: 1.0, correlation: 0 },
};

/** Parses `synthetic:PRESET` or `synthetic:PRESET:SEED` (seed an integer in [0, 2³²), default 0). */
export function parseSyntheticSpec(spec: string): SyntheticSpec {
  const parts = spec.split(':');
  const known = Object.keys(SYNTHETIC_PRESETS).join(', ');
  if (parts[0] !== 'synthetic' || parts.length < 2 || parts.length > 3) {
    throw new InputError(`synthetic data: spec: expected synthetic:PRESET or synthetic:PRESET:SEED (presets: ${known}), got "${spec}"`);
  }
  const preset = Object.hasOwn(SYNTHETIC_PRESETS, parts[1]) ? SYNTHETIC_PRESETS[parts[1]] : undefined;
  if (!preset) throw new InputError(`synthetic data: preset: expected one of ${known}, got "${parts[1]}"`);
  let seed = 0;
  if (parts.length === 3) {
    seed = /^\d+$/.test(parts[2]) ? Number(parts[2]) : NaN;
    if (!Number.isSafeInteger(seed) || seed > 0xffffffff) {
      throw new InputError(`synthetic data: seed: expected an integer in [0, 4294967295], got "${parts[2]}"`);
    }
  }
  return { ...preset, seed };
}

/** `synthetic:PRESET:SEED` when the spec is a preset, else `synthetic:custom:field=value,…`. */
export function syntheticName(spec: SyntheticSpec): string {
  for (const [name, p] of Object.entries(SYNTHETIC_PRESETS)) {
    const keys = Object.keys(p) as (keyof typeof p)[];
    if (keys.every((k) => p[k] === spec[k])) return `synthetic:${name}:${spec.seed}`;
  }
  const { nFeatures, dIn, rows, meanActive, zipfExponent, magnitudeMean, magnitudeStd, correlation, noiseStd, seed } = spec;
  const fields = { nFeatures, dIn, rows, meanActive, zipfExponent, magnitudeMean, magnitudeStd, correlation, noiseStd, seed };
  return `synthetic:custom:${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(',')}`;
}

function validate(s: SyntheticSpec): void {
  const bad = (field: string, expected: string, got: number): InputError =>
    new InputError(`synthetic data: ${field}: expected ${expected}, got ${got}`);
  for (const f of ['nFeatures', 'dIn', 'rows'] as const) {
    if (!Number.isInteger(s[f]) || s[f] < 1) throw bad(f, 'an integer ≥ 1', s[f]);
  }
  if (!(s.meanActive > 0 && s.meanActive <= s.nFeatures)) throw bad('meanActive', `a number in (0, nFeatures = ${s.nFeatures}]`, s.meanActive);
  if (!(s.zipfExponent >= 0 && Number.isFinite(s.zipfExponent))) throw bad('zipfExponent', 'a finite number ≥ 0', s.zipfExponent);
  if (!(s.magnitudeMean > 0 && Number.isFinite(s.magnitudeMean))) throw bad('magnitudeMean', 'a finite number > 0', s.magnitudeMean);
  if (!(s.magnitudeStd >= 0 && Number.isFinite(s.magnitudeStd))) throw bad('magnitudeStd', 'a finite number ≥ 0', s.magnitudeStd);
  if (!(s.correlation >= 0 && s.correlation < 1)) throw bad('correlation', 'a number in [0, 1)', s.correlation);
  if (!(s.noiseStd >= 0 && Number.isFinite(s.noiseStd))) throw bad('noiseStd', 'a finite number ≥ 0', s.noiseStd);
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 0xffffffff) throw bad('seed', 'an integer in [0, 4294967295]', s.seed);
}

/**
 * p_j = min(1, λ·(j+1)^−zipfExponent) with λ chosen so Σ_j p_j = meanActive (water-filling: the capped
 * features are a prefix, the rest are rescaled until no new one exceeds 1). → [nFeatures].
 */
export function zipfFiringProbabilities(nFeatures: number, meanActive: number, zipfExponent: number): Float64Array {
  const w = new Float64Array(nFeatures);
  for (let j = 0; j < nFeatures; j++) w[j] = Math.pow(j + 1, -zipfExponent);
  const p = new Float64Array(nFeatures);
  let capped = 0; // p_0 .. p_{capped−1} = 1
  while (true) {
    let rest = 0;
    for (let j = capped; j < nFeatures; j++) rest += w[j];
    const scale = (meanActive - capped) / rest;
    let next = capped;
    while (next < nFeatures && w[next] * scale >= 1) next++;
    if (next === capped) {
      for (let j = 0; j < nFeatures; j++) p[j] = j < capped ? 1 : w[j] * scale;
      return p;
    }
    capped = next;
    if (capped === nFeatures) return p.fill(1);
  }
}

/**
 * Φ⁻¹(p), the standard normal quantile by Acklam's rational approximation (absolute error < 2e-7, largest
 * near the region edges p ≈ 0.025 / 0.975, ≈ 1e-9 elsewhere, so firing probabilities are off by < 1e-7); ±∞ at 0 and 1.
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155211397];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pLow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Generates the dataset. Random stream order (one createRng(seed)): features (nFeatures·dIn normals),
 * then per row: [g if correlation > 0], per feature a uniform (c = 0: fires iff u < p_j, the same law
 * as the copula) or a normal e_j (c > 0: fires iff √c·g + √(1−c)·e_j < Φ⁻¹(p_j)), a magnitude per
 * active feature, then dIn noise normals if noiseStd > 0.
 */
export function generateSynthetic(spec: SyntheticSpec): SyntheticDataset {
  validate(spec);
  const { nFeatures, dIn, rows, correlation: c, magnitudeMean, magnitudeStd, noiseStd } = spec;
  const rng = createRng(spec.seed);

  const features = new Float32Array(nFeatures * dIn); // [nFeatures, dIn], unit rows
  const row = new Float64Array(dIn);
  for (let j = 0; j < nFeatures; j++) {
    let n2 = 0;
    do {
      n2 = 0;
      for (let d = 0; d < dIn; d++) {
        row[d] = rng.normal();
        n2 += row[d] * row[d];
      }
    } while (n2 === 0);
    const inv = 1 / Math.sqrt(n2);
    for (let d = 0; d < dIn; d++) features[j * dIn + d] = row[d] * inv;
  }

  const firingProb = zipfFiringProbabilities(nFeatures, spec.meanActive, spec.zipfExponent); // [nFeatures]
  const threshold = new Float64Array(nFeatures); // [nFeatures] Φ⁻¹(p_j)
  for (let j = 0; j < nFeatures; j++) threshold[j] = normalQuantile(firingProb[j]);
  const sqrtC = Math.sqrt(c);
  const sqrt1mC = Math.sqrt(1 - c);

  const x = new Float32Array(rows * dIn); // [rows, dIn] row-major
  const offsets = new Uint32Array(rows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let t = 0; t < rows; t++) {
    row.fill(0);
    const g = c > 0 ? rng.normal() : 0;
    for (let j = 0; j < nFeatures; j++) {
      const fires = c > 0 ? sqrtC * g + sqrt1mC * rng.normal() < threshold[j] : rng.uniform() < firingProb[j];
      if (!fires) continue;
      let a = 0;
      do a = magnitudeMean + magnitudeStd * rng.normal();
      while (a <= 0);
      idx.push(j);
      val.push(a);
      for (let d = 0; d < dIn; d++) row[d] += a * features[j * dIn + d];
    }
    if (noiseStd > 0) for (let d = 0; d < dIn; d++) row[d] += noiseStd * rng.normal();
    for (let d = 0; d < dIn; d++) x[t * dIn + d] = row[d];
    offsets[t + 1] = idx.length;
  }
  const codes: SyntheticCodes = { offsets, idx: Uint32Array.from(idx), val: Float32Array.from(val) };

  return {
    name: syntheticName(spec),
    rows,
    dIn,
    x,
    truth: { nFeatures, features },
    firingProb,
    codes,
  };
}
