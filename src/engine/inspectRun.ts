// The feature inspector's engine half: one run member's SAE over a loaded dataset's eval split (else its
// train rows, capped at INSPECT_MAX_ROWS) → the latent table with every latent's top rows, and one
// latent's detail (histogram, quantile samples, decoder direction, nearest latents, top inputs drawn as
// highlighted token contexts / image pixels / words / rows). Every number is src/core/inspect/inspect.ts's (same
// accumulators, same encodeRows); this file only picks rows, maps them back to the dataset's row indices
// (those datasetRows takes) and shapes the DTOs of api.ts. Imports src/core and datasets.ts types only:
// no DOM, React, Comlink, Node or WebGPU.

import { InputError } from '../core/errors.ts';
import {
  createLatentStatsAccumulator,
  createTopActivationsAccumulator,
  encodeRows,
  firingHistogram,
  inputRef,
  latentRows,
  latentValuesAt,
  quantileSamplesOf,
} from '../core/inspect/inspect.ts';
import type { TopActivation } from '../core/inspect/inspect.ts';
import { splitTrainEval } from '../core/data/preprocess.ts';
import type { Dataset, Sae } from '../core/sae/types.ts';
import type { InputView, InspectScope, LatentDetail, RunInspection, TokenView } from './api.ts';
import type { LoadedDataset } from './datasets.ts';

/** Rows an inspection scans at most (the first ones of the split): bounds its time and the cached codes. */
export const INSPECT_MAX_ROWS = 8192;
/** Top rows kept per latent by default, and the most a request may ask for. */
export const DEFAULT_TOP_N = 10;
export const MAX_TOP_N = 100;
/** Histogram bins of a latent's firing values (as sae_vis). */
export const HISTOGRAM_BINS = 40;
/** Nearest latents by decoder cosine listed in a latent's detail. */
export const NEAREST_LATENTS = 5;
/** Token window on either side of a top row (positions). */
export const CONTEXT_WINDOW = 8;
/** Encoded rows per chunk. */
const CHUNK_ROWS = 1024;
/** Codes are cached for latentDetail when rows·dSae is at most this (64 MiB of f32). */
const MAX_CACHED_CODES = 1 << 24;

/** The rows an inspection scans: a dataset of the first rows of the split, and each one's row of `all`. */
export interface Scanned {
  data: Dataset; // [rowsScanned, dIn]
  /** [rowsScanned] row of the loaded dataset's `all` (what datasetRows and the DTOs index). */
  rowOf: Int32Array;
  split: 'eval' | 'train';
  splitRows: number;
}

/** The first ≤ INSPECT_MAX_ROWS rows of d's eval split (else its train rows), with their rows of `all`. */
export function scannedRows(d: LoadedDataset): Scanned {
  const split = d.eval ? 'eval' : 'train';
  const src = d.eval ?? d.train;
  const n = Math.min(src.rows, INSPECT_MAX_ROWS);
  let idx: ArrayLike<number>;
  // No eval split: the train rows are all rows (a boosting stage's residual stand-in is a copy of them).
  if (src === d.all || !d.eval) idx = Int32Array.from({ length: n }, (_, i) => i);
  else {
    // The split's row indices, recomputed as datasets.ts made them (same rows, fraction and seed → same split);
    // on a one-column stand-in so no data is copied.
    const { evalFraction, splitSeed } = d.info.preprocess;
    const stub: Dataset = { name: d.info.id, rows: d.all.rows, dIn: 1, x: new Float32Array(d.all.rows) };
    const s = splitTrainEval(stub, evalFraction, splitSeed);
    idx = split === 'eval' ? s.evalIdx : s.trainIdx;
    if (idx.length !== src.rows) throw new Error(`inspect: the ${split} split of ${d.info.id} has ${src.rows} rows but recomputing it gave ${idx.length}: datasets.ts's split changed`);
  }
  const rowOf = Int32Array.from({ length: n }, (_, i) => idx[i]);
  const data: Dataset = { ...src, rows: n, x: src.x.subarray(0, n * src.dIn) };
  return { data, rowOf, split, splitRows: src.rows };
}

function checkSae(sae: Sae, d: LoadedDataset): void {
  if (sae.dIn !== d.all.dIn) throw new InputError(`inspect: the run's SAE takes ${sae.dIn} inputs per row but ${d.info.id} has ${d.all.dIn}: inspect the dataset the run trained on`);
}

/** Codes of a scan, kept for latentDetail (keyed by the weights they came from). */
export interface CodesCache {
  key: string;
  f: Float32Array; // [rowsScanned, dSae]
}

/**
 * The table (latentRows over createLatentStatsAccumulator) and every latent's top-n rows
 * (createTopActivationsAccumulator) in one chunked pass; top rows are rows of `all`. Returns the codes
 * too when they are small enough to keep.
 */
export function inspectMember(
  sae: Sae,
  d: LoadedDataset,
  scope: Omit<InspectScope, 'split' | 'rowsScanned' | 'splitRows' | 'capped' | 'maxRows'>,
  topN: number,
): { result: RunInspection; codes: Float32Array | null } {
  checkSae(sae, d);
  if (!Number.isInteger(topN) || topN < 1 || topN > MAX_TOP_N) throw new InputError(`inspectRun: topN must be an integer in [1, ${MAX_TOP_N}], got ${topN}`);
  const s = scannedRows(d);
  const { dSae, dIn } = sae;
  const T = s.data.rows;
  const stats = createLatentStatsAccumulator(dSae);
  const top = createTopActivationsAccumulator(dSae, topN);
  const codes = T * dSae <= MAX_CACHED_CODES ? new Float32Array(T * dSae) : null; // [T, dSae]
  for (let start = 0; start < T; start += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, T - start);
    const f = encodeRows(sae, s.data.x.subarray(start * dIn, (start + rows) * dIn), rows);
    stats.add(f, rows);
    top.add(f, rows, start);
    codes?.set(f, start * dSae);
  }
  const table = latentRows(sae, stats.finish(), s.data.truth);
  const toAll = (l: TopActivation[]): TopActivation[] => l.map((e) => ({ row: s.rowOf[e.row], value: e.value }));
  return {
    result: { scope: scopeOf(scope, s), kind: d.info.kind, table, top: top.finish().map(toAll) },
    codes,
  };
}

function scopeOf(base: Omit<InspectScope, 'split' | 'rowsScanned' | 'splitRows' | 'capped' | 'maxRows'>, s: Scanned): InspectScope {
  return { ...base, split: s.split, rowsScanned: s.data.rows, splitRows: s.splitRows, capped: s.data.rows < s.splitRows, maxRows: INSPECT_MAX_ROWS };
}

/**
 * One latent in detail: its column f_{t,latent} over the scanned rows (from cached codes or a new pass),
 * firingHistogram, quantileSamplesOf, its decoder row, the NEAREST_LATENTS latents with the largest
 * signed decoder cosine, and its top-n rows drawn as InputViews.
 */
export function latentDetailOf(
  sae: Sae,
  d: LoadedDataset,
  scope: Omit<InspectScope, 'split' | 'rowsScanned' | 'splitRows' | 'capped' | 'maxRows'>,
  latent: number,
  topN: number,
  codes: Float32Array | null,
): LatentDetail {
  checkSae(sae, d);
  const { dSae, dIn } = sae;
  if (!Number.isInteger(latent) || latent < 0 || latent >= dSae)
    throw new InputError(`latentDetail: latent must be an integer in [0, ${dSae - 1}] (the SAE has ${dSae} latents), got ${latent}`);
  if (!Number.isInteger(topN) || topN < 1 || topN > MAX_TOP_N) throw new InputError(`latentDetail: topN must be an integer in [1, ${MAX_TOP_N}], got ${topN}`);
  const s = scannedRows(d);
  const T = s.data.rows;
  const col = new Float32Array(T); // [T] f_{t,latent}
  if (codes && codes.length === T * dSae) for (let t = 0; t < T; t++) col[t] = codes[t * dSae + latent];
  else {
    for (let start = 0; start < T; start += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, T - start);
      const f = encodeRows(sae, s.data.x.subarray(start * dIn, (start + rows) * dIn), rows);
      for (let t = 0; t < rows; t++) col[start + t] = f[t * dSae + latent];
    }
  }
  const acc = createTopActivationsAccumulator(1, topN);
  acc.add(col, T, 0);
  const top = acc.finish()[0].map((e) => ({ row: s.rowOf[e.row], value: e.value }));
  const mapRows = (l: TopActivation[]): TopActivation[] => l.map((e) => ({ row: s.rowOf[e.row], value: e.value }));
  const quantiles = quantileSamplesOf(col, { intervals: 10, perInterval: 3 }).map((q) => ({ ...q, samples: mapRows(q.samples) }));
  return {
    scope: scopeOf(scope, s),
    latent,
    histogram: firingHistogram(col, HISTOGRAM_BINS),
    quantiles,
    decoder: sae.wDec.slice(latent * dIn, (latent + 1) * dIn),
    nearest: nearestLatents(sae, latent, NEAREST_LATENTS),
    imageShape: d.info.imageShape,
    top: top.map((e) => inputView(sae, d, latent, e)),
  };
}

/** The k latents j ≠ i with the largest signed cos(wDec_i, wDec_j), ties to the lower j (0 for a zero row). */
export function nearestLatents(sae: Sae, i: number, k: number): { latent: number; cos: number }[] {
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

/** How one top row is shown: core's inputRef, and for text the window of its context with this latent's values. */
function inputView(sae: Sae, d: LoadedDataset, latent: number, e: TopActivation): InputView {
  const { row, value } = e;
  if (d.context) {
    const tokens = tokenWindow(sae, d, latent, row, CONTEXT_WINDOW);
    return { kind: 'token', row, value, token: d.label ? d.label(row) : '', tokens };
  }
  const shape = d.info.imageShape;
  const ref = inputRef(d.all, row, shape ? { image: { height: shape[0], width: shape[1] } } : {});
  switch (ref.kind) {
    case 'image':
      return { kind: 'image', row, value, width: ref.width, height: ref.height, pixels: ref.pixels, label: ref.label };
    case 'word':
      return { kind: 'word', row, value, word: ref.word };
    case 'token':
      return { kind: 'row', row, value, label: String(ref.token) };
    default:
      return { kind: 'row', row, value, label: ref.label };
  }
}

/**
 * The rows of `row`'s context within ±window positions — the neighbours r ± j whose position is
 * exactly p ± j in the same document (rows of one context are contiguous with positions 1, 2, …; the BOS
 * row may be dropped) — each with its token (src/core/lm/tokenizer.ts tokenLabel, via the dataset's
 * contexts) and f_{r,latent} (latentValuesAt on the dataset's rows), as core's tokenContext.
 */
export function tokenWindow(sae: Sae, d: LoadedDataset, latent: number, row: number, window: number): TokenView[] {
  const ctxOf = d.context;
  if (!ctxOf) return [];
  const here = ctxOf(row);
  if (!here) return [];
  const same = (r: number, j: number): boolean => {
    if (r < 0 || r >= d.all.rows) return false;
    const c = ctxOf(r);
    return c !== undefined && c.doc === here.doc && c.position === here.position + j && c.tokens.length === here.tokens.length;
  };
  let lo = row;
  while (row - lo < window && same(lo - 1, lo - 1 - row)) lo--;
  let hi = row;
  while (hi - row < window && same(hi + 1, hi + 1 - row)) hi++;
  const rows = Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
  const values = latentValuesAt(sae, d.all, latent, rows);
  return rows.map((r, k) => {
    const position = here.position + (r - row);
    return { row: r, position, text: here.tokens[position] ?? '', value: values[k], focus: r === row };
  });
}
