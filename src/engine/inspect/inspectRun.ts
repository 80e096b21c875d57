// The feature inspector's engine half, a thin adapter over src/core/inspect/: it picks the rows one run
// member's SAE is inspected on (a loaded dataset's eval split, else its train rows, capped at
// INSPECT_MAX_ROWS), runs core's inspectAll (the latent table and every latent's top rows) and
// latentDetail (histogram, quantile samples and bands, top rows, decoder row, nearest latents, logit
// effects through the language model for its resid:L sites) on them, maps rows
// back to the dataset's row indices (those datasetRows takes) and shapes api.ts's DTOs, drawing top rows
// with core's inputRef and tokenContext. Every number is core's; nothing here computes one. Imports
// src/core and datasets.ts types only: no DOM, React, Comlink, Node or WebGPU.

import { InputError } from '../../core/errors.ts';
import { inspectAll, latentDetail } from '../../core/inspect/inspect.ts';
import type { TopActivation } from '../../core/inspect/inspect.ts';
import { inputRef, startsWord, tokenContext } from '../../core/inspect/inputs.ts';
import { logitEffects } from '../../core/inspect/logits.ts';
import { QUANTILE_BANDS, quantileSamplesOf } from '../../core/inspect/values.ts';
import { latentColumn } from '../../core/inspect/codes.ts';
import { parseSite } from '../../core/lm/forward.ts';
import { tokenLabel } from '../../core/lm/tokenizer.ts';
import { splitTrainEval } from '../../core/data/preprocess.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import type { InputView, InspectScope, LatentDetail, LogitEffectsView, QuantileBand, RunInspection, TokenView } from '../api.ts';
import type { LoadedDataset } from '../data/datasets.ts';

/** Rows an inspection scans at most (the first ones of the split): bounds its time and the cached codes. */
export const INSPECT_MAX_ROWS = 8192;
/** Top rows kept per latent by default, and the most a request may ask for. */
export const DEFAULT_TOP_N = 10;
export const MAX_TOP_N = 100;
/** latentDetail's shape, as api.ts documents it: histogram bins, activation intervals × samples, nearest latents. */
const DETAIL = { bins: 40, intervals: 10, perInterval: 3, nearest: 5 } as const;
/** Token window on either side of a top row (positions), then grown to whole words by at most WORD_EXTEND a side. */
export const CONTEXT_WINDOW = 8;
const WORD_EXTEND = 6;
/** The feature page's quantile bands: rows drawn per band; logit effects: tokens listed each way. */
const BAND_SAMPLES = 4;
const LOGIT_TOKENS = 10;
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
 * The table and every latent's top-n rows (core inspectAll over the scanned rows); top rows are rows of
 * `all`. Returns the codes too when they are small enough to keep.
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
  const T = s.data.rows;
  const codes = T * sae.dSae <= MAX_CACHED_CODES ? new Float32Array(T * sae.dSae) : null; // [T, dSae]
  const { table, top } = inspectAll(sae, s.data, topN, { codes: codes ?? undefined });
  return {
    result: { scope: scopeOf(scope, s), kind: d.info.kind, table, top: top.map((l) => toAll(s, l)) },
    codes,
  };
}

/** Rows of the scanned split → rows of `all`. */
function toAll(s: Scanned, l: TopActivation[]): TopActivation[] {
  return l.map((e) => ({ row: s.rowOf[e.row], value: e.value }));
}

function scopeOf(base: Omit<InspectScope, 'split' | 'rowsScanned' | 'splitRows' | 'capped' | 'maxRows'>, s: Scanned): InspectScope {
  return { ...base, split: s.split, rowsScanned: s.data.rows, splitRows: s.splitRows, capped: s.data.rows < s.splitRows, maxRows: INSPECT_MAX_ROWS };
}

/**
 * One latent in detail: core latentDetail over the scanned rows (reading the cached codes of the last
 * inspectMember when they are these rows'), its rows mapped to `all` and its top rows drawn as InputViews.
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
  const { dSae } = sae;
  if (!Number.isInteger(latent) || latent < 0 || latent >= dSae)
    throw new InputError(`latentDetail: latent must be an integer in [0, ${dSae - 1}] (the SAE has ${dSae} latents), got ${latent}`);
  if (!Number.isInteger(topN) || topN < 1 || topN > MAX_TOP_N) throw new InputError(`latentDetail: topN must be an integer in [1, ${MAX_TOP_N}], got ${topN}`);
  const s = scannedRows(d);
  // Codes of other rows (a cache the caller keyed on other data) are not used: the column is encoded again.
  const cached = codes && codes.length === s.data.rows * dSae ? codes : undefined;
  const det = latentDetail(sae, s.data, latent, { ...DETAIL, topN, codes: cached });
  // The bands read the same column latentDetail did (from the cached codes when there are some).
  const col = latentColumn(sae, s.data, latent, { codes: cached }); // [rowsScanned]
  const bands: QuantileBand[] = quantileSamplesOf(col, { edges: QUANTILE_BANDS, perInterval: BAND_SAMPLES }).map((q, j) => ({
    from: QUANTILE_BANDS[j],
    to: QUANTILE_BANDS[j + 1],
    lo: q.lo,
    hi: q.hi,
    contains: q.contains,
    samples: toAll(s, q.samples).map((e) => inputView(sae, d, latent, e)),
  }));
  return {
    scope: scopeOf(scope, s),
    latent,
    histogram: det.histogram,
    quantiles: det.quantiles.map((q) => ({ ...q, samples: toAll(s, q.samples) })),
    decoder: det.decoder,
    nearest: det.nearest,
    imageShape: d.info.imageShape,
    top: toAll(s, det.top).map((e) => inputView(sae, d, latent, e)),
    bands,
    logits: logitsOf(d, det.decoder),
  };
}

/**
 * The decoder row's logit effects (core logits.ts) for a resid:L site of the language model, else why none.
 * The row is in the SAE's input units (the preprocessing's scale and inputScale are positive factors and
 * centring moves no direction), so the ranking is the raw residual direction's.
 */
function logitsOf(d: LoadedDataset, decoder: Float32Array): LogitEffectsView {
  if (!d.lm) return { kind: 'none', reason: 'logit effects need activations of the language model (a stories260K site)' };
  const { model, site } = d.lm;
  const { kind, layer } = parseSite(site, model.config);
  if (kind === 'mlp')
    return { kind: 'none', reason: `${site} is the MLP hidden layer of block ${layer}, not the residual stream: its direction reaches the logits only through w2 and the later blocks, so no direct logit effect is shown (train on a resid:L site for one)` };
  const e = logitEffects(model, decoder, LOGIT_TOKENS);
  const view = (t: { token: number; value: number }) => ({ token: t.token, text: tokenLabel(model.vocab, t.token), value: t.value });
  return { kind: 'effects', site, promoted: e.promoted.map(view), suppressed: e.suppressed.map(view) };
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
 * The rows within ±window positions of `row` in its context grown to whole words (≤ WORD_EXTEND a side),
 * each with its token and f_{r,latent}: core tokenContext on the rows row ± (window + WORD_EXTEND) of `all`
 * (positions strictly ascend within a context, so no row further away can be in the window). The dataset's contexts give each row its document (the
 * context id tokenContext compares: adjacent contexts of one document restart their positions, which ends
 * the window as a new id would), position and token label.
 */
function tokenWindow(sae: Sae, d: LoadedDataset, latent: number, row: number, window: number): TokenView[] {
  const ctxOf = d.context;
  if (!ctxOf || !ctxOf(row)) return [];
  const { dIn } = d.all;
  const reach = window + WORD_EXTEND; // rows a whole-word window may reach
  const lo = Math.max(0, row - reach);
  const n = Math.min(d.all.rows, row + reach + 1) - lo;
  const tokens: string[] = [];
  const context = new Int32Array(n); // [n]
  const position = new Int32Array(n); // [n]
  for (let k = 0; k < n; k++) {
    const c = ctxOf(lo + k);
    // A row with no context (none today) gets an id of its own, so no window reaches it.
    context[k] = c ? c.doc : -1 - k;
    position[k] = c ? c.position : 0;
    tokens.push(c?.tokens[c.position] ?? '');
  }
  const rows: Dataset = { name: d.all.name, rows: n, dIn, x: d.all.x.subarray(lo * dIn, (lo + n) * dIn) };
  const w = tokenContext(tokens, { context, position }, row - lo, window, { sae, data: rows, latent }, { startsWord, maxExtend: WORD_EXTEND });
  return w.tokens.map((t) => ({ row: lo + t.row, position: t.position, text: String(t.token), value: t.value ?? 0, focus: t.focus }));
}
