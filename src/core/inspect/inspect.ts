// Feature inspection, the two passes the inspector runs (src/engine/inspect/inspectRun.ts adapts them to the
// Workbench): inspectAll — one chunked pass over a dataset giving every latent's table row (density,
// mean/max activation, encoder–decoder cosine, nearest latent, best true feature) and its top rows — and
// latentDetail — one latent's histogram, interval samples, top rows, decoder row and nearest latents. The
// definitions live in accumulators.ts (statistics, top-n heaps), values.ts (histogram, intervals),
// codes.ts (encoding in chunks) and inputs.ts (how a row is shown). Pure computation over typed arrays
// with plain loops: imports only src/core, never the DOM, WebGPU, Node, React or the engine.
//
// Legend: T = data.rows, dIn, dSae; f = codes [rows, dSae] row-major, as sae.ts's encode() gives them on
// the SAE's own input x' = inputScale·x. A latent "fires" on row t when f_{t,i} > 0 (as in metrics.ts).
// Ties between equal activations always go to the lower row index.

import { InputError } from '../errors.ts';
import { decoderCosineStats, encoderDecoderCosine } from '../sae/metrics.ts';
import { absCosineMatrix } from '../sae/recovery.ts';
import type { Dataset, GroundTruth, Sae } from '../sae/types.ts';
import { createLatentStatsAccumulator, createTopActivationsAccumulator } from './accumulators.ts';
import type { LatentStats, TopActivation } from './accumulators.ts';
import { checkInt, checkLatent, checkPair } from './checks.ts';
import { DEFAULT_CHUNK_ROWS, checkCodes, forEachChunk, latentColumn } from './codes.ts';
import type { ChunkOptions } from './codes.ts';
import { firingHistogram, quantileSamplesOf } from './values.ts';
import type { ActivationHistogram, QuantileInterval, QuantileOptions } from './values.ts';

// The engine's DTOs (src/engine/api.ts) and the UI name these types by this file.
export type { ActivationHistogram, QuantileInterval, TopActivation };

/** One latent's row of the inspector table. Every activation statistic is over the rows of one dataset. */
export interface LatentRow {
  latent: number;
  /** n_i = #{t : f_{t,i} > 0}, the rows on which latent i fires. */
  fireCount: number;
  /** p_i = n_i / T (SparsityMetrics.density). */
  density: number;
  /** log10(p_i + 1e-10) (SparsityMetrics.logDensity; −10 for a latent that never fires). */
  logDensity: number;
  /** (1/n_i) Σ_{t : f_{t,i} > 0} f_{t,i}, the mean over firing rows; 0 when n_i = 0. */
  meanActivation: number;
  /** max_{t : f_{t,i} > 0} f_{t,i}; 0 when n_i = 0. */
  maxActivation: number;
  /** cos(wEnc_i, wDec_i); 0 when either row is zero (metrics.ts encoderDecoderCosine). */
  encoderDecoderCosine: number;
  /** argmax_{j≠i} cos(wDec_i, wDec_j), signed cosine, ties to the lower j; −1 when dSae = 1 (decoderCosineStats.nearest). */
  nearest: number;
  /** cos(wDec_i, wDec_nearest); 0 when dSae = 1 (decoderCosineStats.maxCos). */
  maxCos: number;
  /** With ground truth only: argmax_j |cos(wDec_i, g_j)|, ties to the lower j; −1 when every |cos| is 0. */
  trueFeature?: number;
  /** With ground truth only: |cos(wDec_i, g_trueFeature)|, 0 when trueFeature = −1. */
  trueCos?: number;
}

export interface InspectAllOptions extends ChunkOptions {
  /** Ground truth for trueFeature / trueCos; defaults to data.truth. */
  truth?: GroundTruth;
  /** [rows, dSae] filled with the codes of the pass, for latentDetail's `codes` (keeps it from encoding again). */
  codes?: Float32Array;
}

/**
 * The inspector's opening view in one pass over data (chunkRows rows at a time): the table (statistics of
 * createLatentStatsAccumulator joined with the weight geometry) and every latent's top-n rows
 * (createTopActivationsAccumulator: value desc, ties to the lower row, only f > 0; n = 0 gives empty lists).
 */
export function inspectAll(sae: Sae, data: Dataset, n: number, opts: InspectAllOptions = {}): { table: LatentRow[]; top: TopActivation[][] } {
  checkPair('inspect', sae, data);
  const { codes } = opts;
  if (codes) checkCodes('inspect', sae, data, codes);
  const stats = createLatentStatsAccumulator(sae.dSae);
  const top = createTopActivationsAccumulator(sae.dSae, n);
  forEachChunk(sae, data, opts.chunkRows ?? DEFAULT_CHUNK_ROWS, (f, first, rows) => {
    stats.add(f, rows);
    top.add(f, rows, first);
    codes?.set(f, first * sae.dSae);
  });
  return { table: latentRows(sae, stats.finish(), opts.truth ?? data.truth), top: top.finish() };
}

/** Joins activation statistics (createLatentStatsAccumulator over the SAE's codes) with the weight geometry; truth optional. */
function latentRows(sae: Sae, stats: LatentStats, truth?: GroundTruth): LatentRow[] {
  const { dSae, dIn } = sae;
  if (stats.density.length !== dSae) throw new InputError(`latent table: stats: expected ${dSae} latents, got ${stats.density.length}`);
  const edCos = encoderDecoderCosine(sae.wEnc, sae.wDec, dSae, dIn); // [dSae]
  const { nearest, maxCos } = decoderCosineStats(sae.wDec, dSae, dIn); // [dSae] each
  let best: Int32Array | null = null; // [dSae] argmax_j |cos(wDec_i, g_j)|
  let bestCos: Float64Array | null = null; // [dSae]
  if (truth) {
    const nTrue = truth.nFeatures;
    const sim = absCosineMatrix(sae.wDec, dSae, truth.features, nTrue, dIn); // [dSae, nTrue]
    best = new Int32Array(dSae).fill(-1);
    bestCos = new Float64Array(dSae);
    for (let i = 0; i < dSae; i++) {
      for (let j = 0; j < nTrue; j++) {
        if (sim[i * nTrue + j] > bestCos[i]) {
          bestCos[i] = sim[i * nTrue + j];
          best[i] = j;
        }
      }
    }
  }
  const out: LatentRow[] = [];
  for (let i = 0; i < dSae; i++) {
    const r: LatentRow = {
      latent: i,
      fireCount: stats.fireCount[i],
      density: stats.density[i],
      logDensity: stats.logDensity[i],
      meanActivation: stats.meanActivation[i],
      maxActivation: stats.maxActivation[i],
      encoderDecoderCosine: edCos[i],
      nearest: nearest[i],
      maxCos: maxCos[i],
    };
    if (best && bestCos) {
      r.trueFeature = best[i];
      r.trueCos = bestCos[i];
    }
    out.push(r);
  }
  return out;
}

/** The k latents j ≠ i with the largest signed cos(wDec_i, wDec_j), ties to the lower j (0 for a zero row). */
function nearestLatents(sae: Sae, i: number, k: number): { latent: number; cos: number }[] {
  const { dSae, dIn, wDec } = sae;
  const norm = (j: number): number => {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += wDec[j * dIn + d] * wDec[j * dIn + d];
    return Math.sqrt(s);
  };
  const ni = norm(i);
  const out: { latent: number; cos: number }[] = [];
  for (let j = 0; j < dSae; j++) {
    if (j === i) continue;
    let dot = 0;
    for (let d = 0; d < dIn; d++) dot += wDec[i * dIn + d] * wDec[j * dIn + d];
    const nj = norm(j);
    out.push({ latent: j, cos: ni > 0 && nj > 0 ? dot / (ni * nj) : 0 });
  }
  out.sort((a, b) => b.cos - a.cos || a.latent - b.latent);
  return out.slice(0, k);
}

export interface LatentDetailOptions extends ChunkOptions, Pick<QuantileOptions, 'spacing'> {
  /** Top rows kept (value desc, ties to the lower row; 0 keeps none). */
  topN: number;
  /** Histogram bins of the firing values (default 40). */
  bins?: number;
  /** Activation intervals (default 10) and sample rows per interval (default 3). */
  intervals?: number;
  perInterval?: number;
  /** Nearest latents by decoder cosine (default 5). */
  nearest?: number;
  /** The SAE's codes of data [rows, dSae] (inspectAll's `codes`): the column is read from them, not encoded again. */
  codes?: Float32Array;
}

/** One latent over data: everything the inspector's detail view shows, rows indexing data. */
export interface LatentDetailValues {
  latent: number;
  /** firingHistogram of the latent's column. */
  histogram: ActivationHistogram;
  /** quantileSamplesOf the latent's column. */
  quantiles: QuantileInterval[];
  /** Its topN rows, as inspectAll's top[latent] with n = topN. */
  top: TopActivation[];
  /** wDec_latent: [dIn], a copy. */
  decoder: Float32Array;
  /** The `nearest` latents j ≠ latent with the largest signed decoder cosine, ties to the lower j. */
  nearest: { latent: number; cos: number }[];
}

/** The inspector's detail of one latent: its column f_{t,latent} (from codes, else one chunked pass) summarised. */
export function latentDetail(sae: Sae, data: Dataset, latent: number, opts: LatentDetailOptions): LatentDetailValues {
  checkPair('latent detail', sae, data);
  checkLatent('latent detail', sae, latent);
  checkInt('latent detail', 'topN', opts.topN, 0);
  const col = latentColumn(sae, data, latent, opts); // [T]
  const top = createTopActivationsAccumulator(1, opts.topN);
  top.add(col, data.rows, 0);
  const { dIn } = sae;
  return {
    latent,
    histogram: firingHistogram(col, opts.bins ?? 40),
    quantiles: quantileSamplesOf(col, { intervals: opts.intervals ?? 10, perInterval: opts.perInterval ?? 3, spacing: opts.spacing }),
    top: top.finish()[0],
    decoder: sae.wDec.slice(latent * dIn, (latent + 1) * dIn),
    nearest: nearestLatents(sae, latent, opts.nearest ?? 5),
  };
}
