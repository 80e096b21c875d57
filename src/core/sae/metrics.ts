// Evaluation metrics of an SAE on a set of tokens: reconstruction (MSE, three explained variances,
// cosine, shrinkage), sparsity (L0, L1, densities) and decoder/encoder geometry; formulas from
// reference/sae-libraries.md §4 and seed-papers.md §2.7. One streaming accumulator is the definition,
// the one-shot functions wrap it. Imports only from src/core (no DOM, WebGPU, Node).

import { InputError } from '../errors.ts';

// ---------------------------------------------------------------------------------------------
// Result types

export interface ReconstructionMetrics {
  /** (1/T) Σ_t ‖x_t − x̂_t‖² — sum over dims, mean over tokens (the "reported MSE"). */
  msePerToken: number;
  /** msePerToken / dIn — SAELens eval convention. */
  msePerElement: number;
  /** Pooled R²: 1 − Σ_t‖x_t − x̂_t‖² / Σ_t‖x_t − μ‖², μ = eval-set mean. 0 when Σ_t‖x_t − μ‖² = 0. */
  explainedVariance: number;
  /** Ensembling paper: (1/|D|) Σ_{d∈D} [1 − Σ_t(x−x̂)²_{t,d} / Σ_t(x−μ)²_{t,d}], D = dims with non-zero variance; 0 when D is empty. */
  explainedVariancePerDim: number;
  /** Legacy (biased, comparison only): mean over rows with ‖x_t − μ‖² > 0 of [1 − ‖x_t − x̂_t‖² / ‖x_t − μ‖²]; 0 when no such row. */
  explainedVarianceLegacy: number;
  /** mean over rows with ‖x_t‖ > 0 of cos(x_t, x̂_t) (a zero x̂_t counts as cos 0); 0 when no such row. */
  cosine: number;
  /** mean over rows with ‖x_t‖ > 0 of ‖x̂_t‖ / ‖x_t‖ (shrinkage); 0 when no such row. */
  l2Ratio: number;
  /** Σ_t‖x̂_t‖² / Σ_t x_t·x̂_t (Rajamanoharan et al. eq. 10; < 1 means shrinkage); 0 when Σ_t x_t·x̂_t = 0. */
  relativeReconstructionBias: number;
}

export interface SparsityMetrics {
  /** (1/T) Σ_t #{i : f_{t,i} > 0}. */
  l0: number;
  /** (1/T) Σ_t Σ_i |f_{t,i}|. */
  l1: number;
  /** p_i = (1/T) #{t : f_{t,i} > 0}. */
  density: Float32Array; // [dSae]
  /** log10(p_i + 1e-10) — exactly what SAELens sparsity.safetensors stores. */
  logDensity: Float32Array; // [dSae]
  /** #{i : p_i = 0} / dSae. */
  deadFraction: number;
  /** #{i : p_i > 0.1} / dSae (SAEBench freq_over_10_percent). */
  denseFraction: number;
  /** #{i : p_i > 0.01} / dSae (SAEBench freq_over_1_percent). */
  over1PercentFraction: number;
  /** #{i : p_i < 1e-5}, dead latents included (SAELens sparsity/below_1e-5). */
  below1e5Count: number;
  /** #{i : p_i < 1e-6}, dead latents included (SAELens sparsity/below_1e-6). */
  below1e6Count: number;
  /** (1/dSae) Σ_i log10(p_i + 1e-10). */
  meanLogDensity: number;
  /** (1/T) Σ_t Σ_i |f_{t,i}|·‖wDec_i‖ — the SAELens ReLU training penalty (= Σ f_i‖wDec_i‖ for f ≥ 0). */
  l1DecoderWeighted: number;
}

export type EvalMetrics = ReconstructionMetrics & SparsityMetrics;

/** Added to the density before log10, as SAELens does. */
export const LOG_DENSITY_EPS = 1e-10;

/**
 * log10(n_i / tokens + LOG_DENSITY_EPS) per latent from firing counts n_i over `tokens` training tokens
 * (0 tokens: every density 0), as sparsity.safetensors stores it. counts: [dSae].
 */
export function logDensityOf(counts: ArrayLike<number>, tokens: number): Float32Array {
  return Float32Array.from({ length: counts.length }, (_, i) => Math.log10((tokens > 0 ? counts[i] / tokens : 0) + LOG_DENSITY_EPS));
}

// ---------------------------------------------------------------------------------------------
// Streaming accumulators

export interface ReconstructionAccumulator {
  /** x, xHat: [rows, dIn] row-major, x̂ in input units (scaling undone). */
  add(x: Float32Array, xHat: Float32Array, rows: number): void;
  finish(): ReconstructionMetrics;
}

export interface SparsityAccumulator {
  /** codes: [rows, dSae] row-major dense codes. */
  add(codes: Float32Array, rows: number): void;
  /** wDec: [dSae, dIn] row-major. */
  finish(wDec: Float32Array): SparsityMetrics;
}

export interface MetricAccumulator {
  /** x, xHat: [rows, dIn]; codes: [rows, dSae]; all row-major. */
  add(x: Float32Array, xHat: Float32Array, codes: Float32Array, rows: number): void;
  /** wDec: [dSae, dIn]. */
  finish(wDec: Float32Array): EvalMetrics;
}

function checkShape(what: string, a: Float32Array, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 0) throw new InputError(`${what}: rows: expected an integer ≥ 0, got ${rows}`);
  if (a.length !== rows * cols) {
    throw new InputError(`${what}: length: expected rows·cols = ${rows}·${cols} = ${rows * cols}, got ${a.length}`);
  }
}

function checkDim(what: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${what}: ${name}: expected an integer ≥ 1, got ${n}`);
}

/**
 * Streaming reconstruction metrics. Pooled and per-dim EV are exact in one pass from per-dim sums
 * Σ(x−s), Σ(x−s)² and Σ(x−x̂)², shifted by s = the first row seen (Σ(x−μ)² = Σ(x−s)² − T(μ−s)²;
 * the shift keeps constant data exactly at zero variance).
 *
 * Legacy EV needs μ per row, which a single pass cannot know: pass `mean` ([dIn], from a first pass over
 * the same eval set) for the exact value; without it each add() chunk is centred on its own mean μ_B,
 * the per-batch rule of SAEBench's legacy code, so the value then depends on the chunking.
 */
export function createReconstructionAccumulator(dIn: number, mean?: Float64Array): ReconstructionAccumulator {
  checkDim('reconstruction metrics', 'dIn', dIn);
  if (mean && mean.length !== dIn) throw new InputError(`reconstruction metrics: mean: expected length dIn = ${dIn}, got ${mean.length}`);
  let tokens = 0;
  let shift: Float64Array | null = null; // [dIn]
  const sumX = new Float64Array(dIn); // Σ_t (x − s)_d
  const sumX2 = new Float64Array(dIn); // Σ_t (x − s)²_d
  const sumErr2 = new Float64Array(dIn); // Σ_t (x − x̂)²_d
  let sumXHat2 = 0; // Σ_t ‖x̂_t‖²
  let sumXDotXHat = 0; // Σ_t x_t·x̂_t
  let cosSum = 0;
  let l2RatioSum = 0;
  let nonzeroRows = 0;
  let legacySum = 0;
  let legacyRows = 0;
  const chunkMean = new Float64Array(dIn);

  return {
    add(x, xHat, rows) {
      checkShape('reconstruction metrics: x', x, rows, dIn);
      checkShape('reconstruction metrics: xHat', xHat, rows, dIn);
      if (rows === 0) return;
      if (shift === null) shift = Float64Array.from(x.subarray(0, dIn));
      const s = shift;
      let mu: Float64Array;
      if (mean) {
        mu = mean;
      } else {
        chunkMean.fill(0);
        for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) chunkMean[d] += x[t * dIn + d];
        for (let d = 0; d < dIn; d++) chunkMean[d] /= rows;
        mu = chunkMean;
      }
      for (let t = 0; t < rows; t++) {
        const o = t * dIn;
        let xx = 0;
        let hh = 0;
        let xh = 0;
        let err2 = 0;
        let dev2 = 0;
        for (let d = 0; d < dIn; d++) {
          const xv = x[o + d];
          const hv = xHat[o + d];
          const c = xv - s[d];
          sumX[d] += c;
          sumX2[d] += c * c;
          const e = xv - hv;
          sumErr2[d] += e * e;
          err2 += e * e;
          xx += xv * xv;
          hh += hv * hv;
          xh += xv * hv;
          const m = xv - mu[d];
          dev2 += m * m;
        }
        sumXHat2 += hh;
        sumXDotXHat += xh;
        if (xx > 0) {
          nonzeroRows++;
          cosSum += hh > 0 ? xh / Math.sqrt(xx * hh) : 0;
          l2RatioSum += Math.sqrt(hh / xx);
        }
        if (dev2 > 0) {
          legacyRows++;
          legacySum += 1 - err2 / dev2;
        }
      }
      tokens += rows;
    },

    finish() {
      if (tokens === 0) throw new InputError('reconstruction metrics: no rows were added');
      let err2 = 0;
      let totalVar = 0;
      let perDimSum = 0;
      let perDimCount = 0;
      for (let d = 0; d < dIn; d++) {
        const m = sumX[d] / tokens; // μ_d − s_d
        const v = sumX2[d] - tokens * m * m; // Σ_t (x − μ)²_d
        err2 += sumErr2[d];
        if (v > 0) {
          totalVar += v;
          perDimSum += 1 - sumErr2[d] / v;
          perDimCount++;
        }
      }
      const msePerToken = err2 / tokens;
      return {
        msePerToken,
        msePerElement: msePerToken / dIn,
        explainedVariance: totalVar > 0 ? 1 - err2 / totalVar : 0,
        explainedVariancePerDim: perDimCount > 0 ? perDimSum / perDimCount : 0,
        explainedVarianceLegacy: legacyRows > 0 ? legacySum / legacyRows : 0,
        cosine: nonzeroRows > 0 ? cosSum / nonzeroRows : 0,
        l2Ratio: nonzeroRows > 0 ? l2RatioSum / nonzeroRows : 0,
        relativeReconstructionBias: sumXDotXHat !== 0 ? sumXHat2 / sumXDotXHat : 0,
      };
    },
  };
}

/** Streaming sparsity metrics: per-latent firing counts (f > 0), Σ|f| and Σ|f|·‖wDec_i‖ at the end. */
export function createSparsityAccumulator(dSae: number, dIn: number): SparsityAccumulator {
  checkDim('sparsity metrics', 'dSae', dSae);
  checkDim('sparsity metrics', 'dIn', dIn);
  let tokens = 0;
  let fired = 0; // Σ_t #{i : f > 0}
  const fireCount = new Float64Array(dSae); // [dSae] #{t : f_{t,i} > 0}
  const absSum = new Float64Array(dSae); // [dSae] Σ_t |f_{t,i}|

  return {
    add(codes, rows) {
      checkShape('sparsity metrics: codes', codes, rows, dSae);
      for (let t = 0; t < rows; t++) {
        const o = t * dSae;
        for (let i = 0; i < dSae; i++) {
          const f = codes[o + i];
          if (f > 0) {
            fireCount[i]++;
            fired++;
          }
          absSum[i] += Math.abs(f);
        }
      }
      tokens += rows;
    },

    finish(wDec) {
      checkShape('sparsity metrics: wDec', wDec, dSae, dIn);
      if (tokens === 0) throw new InputError('sparsity metrics: no rows were added');
      const density = new Float32Array(dSae);
      const logDensity = new Float32Array(dSae);
      let l1 = 0;
      let l1Weighted = 0;
      let dead = 0;
      let dense = 0;
      let over1 = 0;
      let below5 = 0;
      let below6 = 0;
      let logSum = 0;
      for (let i = 0; i < dSae; i++) {
        const p = fireCount[i] / tokens;
        const lp = Math.log10(p + LOG_DENSITY_EPS);
        density[i] = p;
        logDensity[i] = lp;
        logSum += lp;
        if (p === 0) dead++;
        if (p > 0.1) dense++;
        if (p > 0.01) over1++;
        if (p < 1e-5) below5++;
        if (p < 1e-6) below6++;
        let n2 = 0;
        for (let d = 0; d < dIn; d++) n2 += wDec[i * dIn + d] * wDec[i * dIn + d];
        l1 += absSum[i];
        l1Weighted += absSum[i] * Math.sqrt(n2);
      }
      return {
        l0: fired / tokens,
        l1: l1 / tokens,
        density,
        logDensity,
        deadFraction: dead / dSae,
        denseFraction: dense / dSae,
        over1PercentFraction: over1 / dSae,
        below1e5Count: below5,
        below1e6Count: below6,
        meanLogDensity: logSum / dSae,
        l1DecoderWeighted: l1Weighted / tokens,
      };
    },
  };
}

/**
 * Eval in chunks without materialising all codes: add() each chunk, finish() once.
 * `mean` ([dIn], eval-set mean from a first pass) makes legacy EV exact; see createReconstructionAccumulator.
 */
export function createMetricAccumulator(dIn: number, dSae: number, mean?: Float64Array): MetricAccumulator {
  const recon = createReconstructionAccumulator(dIn, mean);
  const sparsity = createSparsityAccumulator(dSae, dIn);
  return {
    add(x, xHat, codes, rows) {
      recon.add(x, xHat, rows);
      sparsity.add(codes, rows);
    },
    finish(wDec) {
      return { ...recon.finish(), ...sparsity.finish(wDec) };
    },
  };
}

/** μ = (1/T) Σ_t x_t. x: [rows, dIn] row-major → [dIn]. */
export function meanRow(x: Float32Array, rows: number, dIn: number): Float64Array {
  checkDim('mean', 'dIn', dIn);
  checkShape('mean: x', x, rows, dIn);
  const mu = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) mu[d] += x[t * dIn + d];
  for (let d = 0; d < dIn; d++) mu[d] /= Math.max(rows, 1);
  return mu;
}

// ---------------------------------------------------------------------------------------------
// One-shot wrappers

/** x, xHat: [rows, dIn] row-major, x̂ in input units. μ is the mean of these rows (legacy EV exact). */
export function reconstructionMetrics(x: Float32Array, xHat: Float32Array, rows: number, dIn: number): ReconstructionMetrics {
  const acc = createReconstructionAccumulator(dIn, meanRow(x, rows, dIn));
  acc.add(x, xHat, rows);
  return acc.finish();
}

/** codes: [rows, dSae] dense codes; wDec: [dSae, dIn]. "Fires" means f > 0. */
export function sparsityMetrics(codes: Float32Array, rows: number, dSae: number, wDec: Float32Array, dIn: number): SparsityMetrics {
  const acc = createSparsityAccumulator(dSae, dIn);
  acc.add(codes, rows);
  return acc.finish(wDec);
}

// ---------------------------------------------------------------------------------------------
// Weight geometry

function rowNorms(w: Float32Array, n: number, dIn: number): Float64Array {
  const norms = new Float64Array(n); // [n]
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += w[i * dIn + d] * w[i * dIn + d];
    norms[i] = Math.sqrt(s);
  }
  return norms;
}

/**
 * Nearest other latent by signed decoder cosine: nearest[i] = argmax_{j≠i} cos(wDec_i, wDec_j)
 * (ties to the lower j), maxCos[i] = that cosine. Zero-norm rows have cosine 0 with everything.
 * dSae = 1: nearest −1, maxCos 0. wDec: [dSae, dIn]. O(dSae²·dIn).
 */
export function decoderCosineStats(wDec: Float32Array, dSae: number, dIn: number): { nearest: Int32Array; maxCos: Float32Array } {
  checkDim('decoder cosine', 'dSae', dSae);
  checkDim('decoder cosine', 'dIn', dIn);
  checkShape('decoder cosine: wDec', wDec, dSae, dIn);
  const norms = rowNorms(wDec, dSae, dIn);
  const nearest = new Int32Array(dSae).fill(-1); // [dSae]
  const best = new Float64Array(dSae).fill(-Infinity); // [dSae]
  for (let i = 0; i < dSae; i++) {
    for (let j = i + 1; j < dSae; j++) {
      let c = 0;
      if (norms[i] > 0 && norms[j] > 0) {
        let dot = 0;
        for (let d = 0; d < dIn; d++) dot += wDec[i * dIn + d] * wDec[j * dIn + d];
        c = dot / (norms[i] * norms[j]);
      }
      // j ascends for row i and i ascends for row j, so strict > keeps the lower index on ties.
      if (c > best[i]) {
        best[i] = c;
        nearest[i] = j;
      }
      if (c > best[j]) {
        best[j] = c;
        nearest[j] = i;
      }
    }
  }
  const maxCos = new Float32Array(dSae); // [dSae]
  for (let i = 0; i < dSae; i++) maxCos[i] = nearest[i] >= 0 ? best[i] : 0;
  return { nearest, maxCos };
}

/** Per latent cos(wEnc_i, wDec_i); 0 when either row has zero norm. wEnc, wDec: [dSae, dIn] → [dSae]. */
export function encoderDecoderCosine(wEnc: Float32Array, wDec: Float32Array, dSae: number, dIn: number): Float32Array {
  checkDim('encoder–decoder cosine', 'dSae', dSae);
  checkDim('encoder–decoder cosine', 'dIn', dIn);
  checkShape('encoder–decoder cosine: wEnc', wEnc, dSae, dIn);
  checkShape('encoder–decoder cosine: wDec', wDec, dSae, dIn);
  const out = new Float32Array(dSae); // [dSae]
  for (let i = 0; i < dSae; i++) {
    let ee = 0;
    let dd = 0;
    let ed = 0;
    for (let d = 0; d < dIn; d++) {
      const e = wEnc[i * dIn + d];
      const w = wDec[i * dIn + d];
      ee += e * e;
      dd += w * w;
      ed += e * w;
    }
    out[i] = ee > 0 && dd > 0 ? ed / Math.sqrt(ee * dd) : 0;
  }
  return out;
}
