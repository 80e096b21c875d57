// Feature inspection: what each latent of an SAE is, computed from its weights and from one chunked pass
// over a dataset — the per-latent table of the inspector (density, mean/max activation, encoder–decoder
// cosine, nearest latent, best true feature), the top-activating rows of one latent or of every latent
// at once (bounded heaps), the histogram and quantile-interval samples of a latent's firing values, and
// how the UI should show a row (a highlighted token context, an image thumbnail, a word, a row index).
// Pure computation over typed arrays with plain loops: imports only src/core, never the DOM, WebGPU,
// Node, React or the engine. The engine may compute codes elsewhere and feed the accumulators below.
//
// Legend: T = data.rows, dIn, dSae; f = codes [rows, dSae] row-major, as sae.ts's encode() gives them on
// the SAE's own input x' = inputScale·x. A latent "fires" on row t when f_{t,i} > 0 (as in metrics.ts).
// Ties between equal activations always go to the lower row index.

import { histogram } from '../data/card.ts';
import type { LabelledDataset } from '../data/card.ts';
import { InputError } from '../errors.ts';
import { LOG_DENSITY_EPS, decoderCosineStats, encoderDecoderCosine } from '../sae/metrics.ts';
import { absCosineMatrix } from '../sae/recovery.ts';
import { encode } from '../sae/sae.ts';
import type { Dataset, GroundTruth, Sae } from '../sae/types.ts';

/** Rows encoded at a time when no chunkRows is given. */
export const DEFAULT_CHUNK_ROWS = 1024;

// ---------------------------------------------------------------------------------------------
// Result types

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

/** One row of a top-activations list: the dataset row and f_{row,latent} (> 0). */
export interface TopActivation {
  row: number;
  value: number;
}

/** Per-latent activation statistics from codes alone (no weights): the data half of LatentRow. */
export interface LatentStats {
  rows: number; // T
  fireCount: Float64Array; // [dSae] n_i
  density: Float32Array; // [dSae] p_i = n_i / T
  logDensity: Float32Array; // [dSae] log10(p_i + 1e-10)
  meanActivation: Float32Array; // [dSae] (1/n_i) Σ_{f>0} f, 0 when n_i = 0
  maxActivation: Float32Array; // [dSae] max_{f>0} f, 0 when n_i = 0
}

/** Equal-width histogram of a latent's firing values: edges has counts.length + 1 entries (both empty when it never fires). */
export interface ActivationHistogram {
  /** bins + 1 edges over [min, max] of the firing values; a value equal to max falls in the last bin. */
  edges: number[];
  counts: number[]; // [bins]
  /** n_i: the number of firing values binned (Σ counts). */
  firing: number;
}

/** One activation interval of a latent with a few of its rows (sae_vis / Neuronpedia interval groups). */
export interface QuantileInterval {
  /** Smallest and largest activation the interval admits: 'quantile' — the min and max of its members; 'linear' — (lo, hi] of the grid. */
  lo: number;
  hi: number;
  /** Members / n_i: the fraction of the firing rows that lie in this interval. */
  contains: number;
  /** Up to perInterval members, spread evenly over the interval's rank order; value desc, row asc. */
  samples: TopActivation[];
}

export interface QuantileOptions {
  /** Number of intervals (default 10, as sae_vis). */
  intervals?: number;
  /** Rows shown per interval (default 5, as sae_vis). */
  perInterval?: number;
  /**
   * 'quantile' (default): equal-count groups — firing rows sorted by (value asc, row asc), group j holds
   * ranks [⌊j·n/K⌋, ⌊(j+1)·n/K⌋) (equal values may straddle two groups). 'linear': equal-width intervals
   * (hi·j/K, hi·(j+1)/K] over (0, max], as sae_vis's "INTERVAL a – b, CONTAINS c%" (some may be empty).
   */
  spacing?: 'quantile' | 'linear';
}

export interface ChunkOptions {
  /** Rows encoded at a time (default DEFAULT_CHUNK_ROWS); results never depend on it. */
  chunkRows?: number;
}

export interface LatentTableOptions extends ChunkOptions {
  /** Ground truth for trueFeature / trueCos; defaults to data.truth. */
  truth?: GroundTruth;
}

// ---------------------------------------------------------------------------------------------
// Checks and encoding

function checkInt(what: string, name: string, v: number, min: number, max = Infinity): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new InputError(`${what}: ${name}: expected an integer ${range}, got ${v}`);
  }
}

function checkPair(what: string, sae: Sae, data: Dataset): void {
  if (sae.dIn !== data.dIn) throw new InputError(`${what}: dIn: the SAE takes ${sae.dIn} inputs per row, the data "${data.name}" has ${data.dIn}`);
  if (data.x.length !== data.rows * data.dIn) {
    throw new InputError(`${what}: data "${data.name}": x length: expected rows·dIn = ${data.rows}·${data.dIn} = ${data.rows * data.dIn}, got ${data.x.length}`);
  }
}

function checkLatent(what: string, sae: Sae, latent: number): void {
  checkInt(what, 'latent', latent, 0, sae.dSae - 1);
}

/**
 * Codes of `rows` rows x ([rows, dIn], raw input units) → f [rows, dSae]: encode() on x' = inputScale·x,
 * so the values are the SAE's own activations, the ones it was trained with.
 */
export function encodeRows(sae: Sae, x: Float32Array, rows: number): Float32Array {
  if (sae.inputScale === 1) return encode(sae, x, rows).f;
  const xs = new Float32Array(rows * sae.dIn); // [rows, dIn]
  for (let i = 0; i < xs.length; i++) xs[i] = x[i] * sae.inputScale;
  return encode(sae, xs, rows).f;
}

/** Calls fn(f [rows, dSae], firstRow, rows) for consecutive chunks of data, in row order. */
function forEachChunk(sae: Sae, data: Dataset, chunkRows: number, fn: (f: Float32Array, firstRow: number, rows: number) => void): void {
  checkInt('inspect', 'chunkRows', chunkRows, 1);
  const { dIn } = data;
  for (let start = 0; start < data.rows; start += chunkRows) {
    const rows = Math.min(chunkRows, data.rows - start);
    fn(encodeRows(sae, data.x.subarray(start * dIn, (start + rows) * dIn), rows), start, rows);
  }
}

// ---------------------------------------------------------------------------------------------
// Streaming accumulators: the definitions; the one-shot functions below wrap them.

export interface LatentStatsAccumulator {
  /** f: [rows, dSae] codes of consecutive dataset rows. */
  add(f: Float32Array, rows: number): void;
  finish(): LatentStats;
}

/** Per-latent fire count, Σ firing values and max firing value, accumulated in f64 over chunks. */
export function createLatentStatsAccumulator(dSae: number): LatentStatsAccumulator {
  checkInt('latent stats', 'dSae', dSae, 1);
  let total = 0;
  const fireCount = new Float64Array(dSae); // [dSae] n_i
  const sum = new Float64Array(dSae); // [dSae] Σ_{f>0} f
  const max = new Float64Array(dSae); // [dSae] max_{f>0} f (0 until it fires)
  return {
    add(f, rows) {
      checkInt('latent stats', 'rows', rows, 0);
      if (f.length !== rows * dSae) throw new InputError(`latent stats: codes length: expected rows·dSae = ${rows}·${dSae} = ${rows * dSae}, got ${f.length}`);
      for (let t = 0; t < rows; t++) {
        const o = t * dSae;
        for (let i = 0; i < dSae; i++) {
          const v = f[o + i];
          if (!(v > 0)) continue;
          fireCount[i]++;
          sum[i] += v;
          if (v > max[i]) max[i] = v;
        }
      }
      total += rows;
    },
    finish() {
      const density = new Float32Array(dSae);
      const logDensity = new Float32Array(dSae);
      const meanActivation = new Float32Array(dSae);
      const maxActivation = new Float32Array(dSae);
      for (let i = 0; i < dSae; i++) {
        const p = total > 0 ? fireCount[i] / total : 0;
        density[i] = p;
        logDensity[i] = Math.log10(p + LOG_DENSITY_EPS);
        meanActivation[i] = fireCount[i] > 0 ? sum[i] / fireCount[i] : 0;
        maxActivation[i] = max[i];
      }
      return { rows: total, fireCount: fireCount.slice(), density, logDensity, meanActivation, maxActivation };
    },
  };
}

export interface TopActivationsAccumulator {
  /** f: [rows, dSae] codes of dataset rows firstRow .. firstRow + rows − 1. */
  add(f: Float32Array, rows: number, firstRow: number): void;
  /** One list per tracked latent (in the order given): value desc, row asc, at most n entries, only f > 0. */
  finish(): TopActivation[][];
}

/**
 * The n largest firing values of each tracked latent (all latents by default) with their rows, in one
 * bounded min-heap per latent: flat arrays [tracked, n], the root of each heap is its worst kept entry
 * (smallest value; among equal values the highest row). Memory O(tracked·n), time O(rows·tracked·log n).
 */
export function createTopActivationsAccumulator(dSae: number, n: number, latents?: ArrayLike<number>): TopActivationsAccumulator {
  checkInt('top activations', 'dSae', dSae, 1);
  checkInt('top activations', 'n', n, 0);
  const track = latents ? Array.from(latents) : Array.from({ length: dSae }, (_, i) => i); // [L]
  for (const l of track) checkInt('top activations', 'latent', l, 0, dSae - 1);
  const L = track.length;
  const val = new Float64Array(L * n); // [L, n] heap values
  const row = new Float64Array(L * n); // [L, n] heap rows
  const size = new Int32Array(L); // [L]

  // a is worse than b: smaller value, or equal value and higher row.
  const worse = (a: number, b: number): boolean => val[a] < val[b] || (val[a] === val[b] && row[a] > row[b]);
  const swap = (a: number, b: number): void => {
    const v = val[a];
    val[a] = val[b];
    val[b] = v;
    const r = row[a];
    row[a] = row[b];
    row[b] = r;
  };
  const siftUp = (base: number, k: number): void => {
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!worse(base + k, base + p)) break;
      swap(base + k, base + p);
      k = p;
    }
  };
  const siftDown = (base: number, s: number): void => {
    let k = 0;
    while (true) {
      const l = 2 * k + 1;
      if (l >= s) break;
      let c = l;
      if (l + 1 < s && worse(base + l + 1, base + l)) c = l + 1;
      if (!worse(base + c, base + k)) break;
      swap(base + c, base + k);
      k = c;
    }
  };

  return {
    add(f, rows, firstRow) {
      checkInt('top activations', 'rows', rows, 0);
      checkInt('top activations', 'firstRow', firstRow, 0);
      if (f.length !== rows * dSae) throw new InputError(`top activations: codes length: expected rows·dSae = ${rows}·${dSae} = ${rows * dSae}, got ${f.length}`);
      if (n === 0) return;
      for (let t = 0; t < rows; t++) {
        const r = firstRow + t;
        const o = t * dSae;
        for (let h = 0; h < L; h++) {
          const v = f[o + track[h]];
          if (!(v > 0)) continue;
          const base = h * n;
          const s = size[h];
          if (s < n) {
            val[base + s] = v;
            row[base + s] = r;
            size[h] = s + 1;
            siftUp(base, s);
          } else if (v > val[base] || (v === val[base] && r < row[base])) {
            val[base] = v;
            row[base] = r;
            siftDown(base, n);
          }
        }
      }
    },
    finish() {
      const out: TopActivation[][] = [];
      for (let h = 0; h < L; h++) {
        const list: TopActivation[] = [];
        for (let k = 0; k < size[h]; k++) list.push({ row: row[h * n + k], value: val[h * n + k] });
        list.sort((a, b) => b.value - a.value || a.row - b.row);
        out.push(list);
      }
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The latent table

/**
 * Joins activation statistics with the weight geometry into the inspector's table. stats from
 * createLatentStatsAccumulator over the SAE's codes (e.g. codes the engine computed); truth optional.
 */
export function latentRows(sae: Sae, stats: LatentStats, truth?: GroundTruth): LatentRow[] {
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

/** The inspector's table: one pass over data (chunkRows rows at a time) plus the weight geometry. */
export function latentTable(sae: Sae, data: Dataset, opts: LatentTableOptions = {}): LatentRow[] {
  checkPair('latent table', sae, data);
  const acc = createLatentStatsAccumulator(sae.dSae);
  forEachChunk(sae, data, opts.chunkRows ?? DEFAULT_CHUNK_ROWS, (f, _first, rows) => acc.add(f, rows));
  return latentRows(sae, acc.finish(), opts.truth ?? data.truth);
}

/** The table and every latent's top-n rows in a single pass over the data (what the inspector opens with). */
export function inspectAll(sae: Sae, data: Dataset, n: number, opts: LatentTableOptions = {}): { table: LatentRow[]; top: TopActivation[][] } {
  checkPair('inspect', sae, data);
  const stats = createLatentStatsAccumulator(sae.dSae);
  const top = createTopActivationsAccumulator(sae.dSae, n);
  forEachChunk(sae, data, opts.chunkRows ?? DEFAULT_CHUNK_ROWS, (f, first, rows) => {
    stats.add(f, rows);
    top.add(f, rows, first);
  });
  return { table: latentRows(sae, stats.finish(), opts.truth ?? data.truth), top: top.finish() };
}

// ---------------------------------------------------------------------------------------------
// Top activations

/** The n rows with the largest f_{t,latent} > 0: value desc, ties to the lower row; fewer when it fires on fewer rows. */
export function topActivations(sae: Sae, data: Dataset, latent: number, n: number, opts: ChunkOptions = {}): TopActivation[] {
  checkPair('top activations', sae, data);
  checkLatent('top activations', sae, latent);
  const acc = createTopActivationsAccumulator(sae.dSae, n, [latent]);
  forEachChunk(sae, data, opts.chunkRows ?? DEFAULT_CHUNK_ROWS, (f, first, rows) => acc.add(f, rows, first));
  return acc.finish()[0];
}

/** topActivations for every latent in one pass: [dSae] lists, list i equal to topActivations(…, i, n). */
export function topActivationsAll(sae: Sae, data: Dataset, n: number, opts: ChunkOptions = {}): TopActivation[][] {
  checkPair('top activations', sae, data);
  const acc = createTopActivationsAccumulator(sae.dSae, n);
  forEachChunk(sae, data, opts.chunkRows ?? DEFAULT_CHUNK_ROWS, (f, first, rows) => acc.add(f, rows, first));
  return acc.finish();
}

// ---------------------------------------------------------------------------------------------
// One latent's values: histogram and interval samples

/** f_{t,latent} for every row t of data: [T]. */
export function latentColumn(sae: Sae, data: Dataset, latent: number, opts: ChunkOptions = {}): Float32Array {
  checkPair('latent column', sae, data);
  checkLatent('latent column', sae, latent);
  const col = new Float32Array(data.rows); // [T]
  const { dSae } = sae;
  forEachChunk(sae, data, opts.chunkRows ?? DEFAULT_CHUNK_ROWS, (f, first, rows) => {
    for (let t = 0; t < rows; t++) col[first + t] = f[t * dSae + latent];
  });
  return col;
}

/** f_{r,latent} for the given rows only (e.g. a token window): rows [m] → [m]. */
export function latentValuesAt(sae: Sae, data: Dataset, latent: number, rows: ArrayLike<number>): Float32Array {
  checkPair('latent values', sae, data);
  checkLatent('latent values', sae, latent);
  const { dIn, dSae } = sae;
  const m = rows.length;
  const x = new Float32Array(m * dIn); // [m, dIn]
  for (let k = 0; k < m; k++) {
    checkInt('latent values', `rows[${k}]`, rows[k], 0, data.rows - 1);
    x.set(data.x.subarray(rows[k] * dIn, (rows[k] + 1) * dIn), k * dIn);
  }
  const f = encodeRows(sae, x, m); // [m, dSae]
  const out = new Float32Array(m); // [m]
  for (let k = 0; k < m; k++) out[k] = f[k * dSae + latent];
  return out;
}

/** Histogram of the firing values (v > 0) of a column [T]: `bins` equal-width bins over [min, max] of those values. */
export function firingHistogram(values: ArrayLike<number>, bins: number): ActivationHistogram {
  checkInt('activation histogram', 'bins', bins, 1);
  const firing: number[] = [];
  let min = Infinity;
  let max = -Infinity;
  for (let t = 0; t < values.length; t++) {
    const v = values[t];
    if (!(v > 0)) continue;
    firing.push(v);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (firing.length === 0) return { edges: [], counts: [], firing: 0 };
  return { ...histogram(firing, bins, min, max), firing: firing.length };
}

/** The histogram of one latent's firing values over data (sae_vis: 50 bins of the non-zero activations). */
export function activationHistogram(sae: Sae, data: Dataset, latent: number, bins: number, opts: ChunkOptions = {}): ActivationHistogram {
  checkInt('activation histogram', 'bins', bins, 1);
  return firingHistogram(latentColumn(sae, data, latent, opts), bins);
}

/**
 * Interval groups of a column [T]'s firing rows (see QuantileOptions.spacing) with up to perInterval rows
 * each, picked at ranks ⌊(s + ½)·m/k⌋, s = 0..k−1, of the interval's m members (k = min(perInterval, m)),
 * so the samples spread over the interval deterministically. No firing rows → no intervals.
 */
export function quantileSamplesOf(values: ArrayLike<number>, opts: QuantileOptions = {}): QuantileInterval[] {
  const K = opts.intervals ?? 10;
  const per = opts.perInterval ?? 5;
  checkInt('quantile samples', 'intervals', K, 1);
  checkInt('quantile samples', 'perInterval', per, 0);
  const firing: TopActivation[] = [];
  for (let t = 0; t < values.length; t++) if (values[t] > 0) firing.push({ row: t, value: values[t] });
  const m = firing.length;
  if (m === 0) return [];
  firing.sort((a, b) => a.value - b.value || a.row - b.row); // ascending value, then row
  const groups: TopActivation[][] = [];
  const bounds: [number, number][] = [];
  if ((opts.spacing ?? 'quantile') === 'quantile') {
    for (let j = 0; j < K; j++) {
      const g = firing.slice(Math.floor((j * m) / K), Math.floor(((j + 1) * m) / K));
      groups.push(g);
      bounds.push(g.length > 0 ? [g[0].value, g[g.length - 1].value] : [NaN, NaN]);
    }
  } else {
    const max = firing[m - 1].value;
    for (let j = 0; j < K; j++) {
      groups.push([]);
      bounds.push([(max * j) / K, (max * (j + 1)) / K]);
    }
    // v in (max·j/K, max·(j+1)/K] ⇔ j = ⌈v·K/max⌉ − 1 (clamped for rounding)
    for (const e of firing) groups[Math.min(K - 1, Math.max(0, Math.ceil((e.value * K) / max) - 1))].push(e);
  }
  const out: QuantileInterval[] = [];
  for (let j = 0; j < K; j++) {
    const g = groups[j];
    const k = Math.min(per, g.length);
    const samples: TopActivation[] = [];
    for (let s = 0; s < k; s++) samples.push(g[Math.floor(((s + 0.5) * g.length) / k)]);
    samples.sort((a, b) => b.value - a.value || a.row - b.row);
    out.push({ lo: bounds[j][0], hi: bounds[j][1], contains: g.length / m, samples });
  }
  return out;
}

/** quantileSamplesOf over one latent's column on data (top list + these = the sae_vis / Neuronpedia example groups). */
export function quantileSamples(sae: Sae, data: Dataset, latent: number, opts: QuantileOptions & ChunkOptions = {}): QuantileInterval[] {
  return quantileSamplesOf(latentColumn(sae, data, latent, opts), opts);
}

// ---------------------------------------------------------------------------------------------
// How a row is shown: token contexts, images, words

/** Per-row place of text activations (LmActivations' fields; takeRows/dropRows with perRow keep them). */
export interface TokenPositions {
  context: Int32Array; // [rows] index of the row's context
  position: Int32Array; // [rows] position in that context (0 = BOS)
}

/** A dataset of text activations: LmActivations with a name is one. */
export interface TextDataset extends Dataset, TokenPositions {
  tokens: Int32Array | string[]; // [rows] the token at each row (an id, or its label)
}

/** One token of a context window. */
export interface ContextToken {
  row: number;
  position: number;
  token: number | string;
  /** True for the row the window was asked for. */
  focus: boolean;
  /** f_{row,latent} when a probe was given. */
  value?: number;
}

/** The rows around one row in its own context, ascending position (gaps where rows were dropped or split off). */
export interface TokenContext {
  row: number;
  context: number;
  /** Index into tokens of the focus row. */
  focus: number;
  tokens: ContextToken[];
}

/** Which latent's activations to attach to a context window, computed on these rows of data. */
export interface LatentProbe {
  sae: Sae;
  data: Dataset;
  latent: number;
}

/**
 * The tokens of `row`'s context within `window` positions on either side (|position − p| ≤ window), found
 * by scanning neighbouring rows while they stay in the same context with strictly ascending positions —
 * the order collectActivations writes and row subsets that keep row order preserve. With a probe, each
 * token carries the latent's activation on its row (for a highlighted context).
 */
export function tokenContext(tokens: Int32Array | string[], where: TokenPositions, row: number, window: number, probe?: LatentProbe): TokenContext {
  const rows = tokens.length;
  if (where.context.length !== rows || where.position.length !== rows) {
    throw new InputError(`token context: expected tokens, context and position of one length, got ${rows}, ${where.context.length}, ${where.position.length}`);
  }
  checkInt('token context', 'row', row, 0, rows - 1);
  checkInt('token context', 'window', window, 0);
  const { context, position } = where;
  const c = context[row];
  const p = position[row];
  let lo = row;
  while (lo > 0 && context[lo - 1] === c && position[lo - 1] < position[lo] && position[lo - 1] >= p - window) lo--;
  let hi = row;
  while (hi + 1 < rows && context[hi + 1] === c && position[hi + 1] > position[hi] && position[hi + 1] <= p + window) hi++;
  const idx: number[] = [];
  for (let r = lo; r <= hi; r++) idx.push(r);
  const values = probe ? latentValuesAt(probe.sae, probe.data, probe.latent, idx) : null;
  const out: ContextToken[] = idx.map((r, k) => {
    const e: ContextToken = { row: r, position: position[r], token: tokens[r], focus: r === row };
    if (values) e.value = values[k];
    return e;
  });
  return { row, context: c, focus: row - lo, tokens: out };
}

/** How the UI shows one row of a dataset. */
export type InputRef =
  /** Text activations: the token at the row, its context and position (tokenContext gives the window). */
  | { kind: 'token'; row: number; token: number | string; context: number; position: number }
  /** An image: pixels [height·width] row-major (a copy of the row), with its class name if labelled. */
  | { kind: 'image'; row: number; width: number; height: number; pixels: Float32Array; label: string | null }
  /** A word vector (GloVe) or any row labelled with a string. */
  | { kind: 'word'; row: number; word: string }
  /** Anything else: the row index and its class name if labelled. */
  | { kind: 'row'; row: number; label: string | null };

export type InputKind = InputRef['kind'];

export interface InputOptions {
  /** Show rows as images of this shape (width·height = dIn). Inferred for class-labelled data with a square dIn. */
  image?: { width: number; height: number };
}

/** True when `d` carries per-row tokens, contexts and positions (text activations). */
export function hasTokenRows(d: Dataset): d is TextDataset {
  const t = d as Partial<TextDataset>;
  return t.tokens !== undefined && t.tokens.length === d.rows && t.context instanceof Int32Array && t.context.length === d.rows && t.position instanceof Int32Array && t.position.length === d.rows;
}

function labelsOf(d: Dataset): Partial<Pick<LabelledDataset, 'labels' | 'labelNames'>> {
  const l = d as Partial<LabelledDataset>;
  return l.labels !== undefined && l.labels.length === d.rows ? { labels: l.labels, labelNames: l.labelNames ?? [] } : {};
}

/** The image shape rows are shown with, or null: opts.image, else a square side² = dIn ≥ 4 when labels are class ids. */
function imageShape(d: Dataset, opts: InputOptions): { width: number; height: number } | null {
  if (opts.image) {
    const { width, height } = opts.image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width * height !== d.dIn) {
      throw new InputError(`input view: image: expected integers width·height = dIn = ${d.dIn}, got ${width}×${height}`);
    }
    return opts.image;
  }
  const side = Math.round(Math.sqrt(d.dIn));
  return labelsOf(d).labels instanceof Int32Array && side >= 2 && side * side === d.dIn ? { width: side, height: side } : null;
}

/** The kind every row of d is shown as: token (text rows), image, word (string labels), else row. */
export function inputKind(d: Dataset, opts: InputOptions = {}): InputKind {
  if (hasTokenRows(d)) return 'token';
  if (imageShape(d, opts)) return 'image';
  return typeof labelsOf(d).labels?.[0] === 'string' ? 'word' : 'row';
}

/** How to show row `row` of d (see InputRef); the kind is inputKind(d, opts). */
export function inputRef(d: Dataset, row: number, opts: InputOptions = {}): InputRef {
  checkInt('input view', 'row', row, 0, d.rows - 1);
  if (hasTokenRows(d)) return { kind: 'token', row, token: d.tokens[row], context: d.context[row], position: d.position[row] };
  const { labels, labelNames = [] } = labelsOf(d);
  const label = labels === undefined ? null : typeof labels[row] === 'number' ? (labelNames[labels[row] as number] ?? String(labels[row])) : String(labels[row]);
  const img = imageShape(d, opts);
  if (img) return { kind: 'image', row, width: img.width, height: img.height, pixels: d.x.slice(row * d.dIn, (row + 1) * d.dIn), label };
  if (labels !== undefined && !(labels instanceof Int32Array)) return { kind: 'word', row, word: String(labels[row]) };
  return { kind: 'row', row, label };
}

/** One top-activating input, ready to show: the row, its value, how to draw it, and for text its highlighted window. */
export interface TopInput extends TopActivation {
  input: InputRef;
  /** Text only: the window of ±window tokens with this latent's activation on each. */
  context: TokenContext | null;
}

/** The inspection hook: latent's top-n rows of data, each with its InputRef and (for text) its highlighted context. */
export function topInputs(sae: Sae, data: Dataset, latent: number, n: number, opts: ChunkOptions & InputOptions & { window?: number } = {}): TopInput[] {
  const top = topActivations(sae, data, latent, n, opts);
  const window = opts.window ?? 5;
  return top.map(({ row, value }) => ({
    row,
    value,
    input: inputRef(data, row, opts),
    context: hasTokenRows(data) ? tokenContext(data.tokens, data, row, window, { sae, data, latent }) : null,
  }));
}
