// Preprocessing users expect before training: centring, SAELens's expected-norm scaling, dropping rows
// by a mask (e.g. BOS-position vectors), and a seeded, disjoint train/eval split. Every function returns
// a new dataset (inputs are never modified) and carries per-row labels along.
// Imports only src/core (no DOM, no Node).

import { hasLabels } from './card.ts';
import { formatError } from '../errors.ts';
import { expectedNormScale, rowMean } from '../sae/init.ts';
import { createRng, permutation } from '../math/random.ts';
import type { Dataset } from '../sae/types.ts';

/**
 * What a dataset load applies where its request leaves a preprocessing field out (api.ts PreprocessOptions
 * documents each field): no centring or scaling, BOS rows dropped (text), no train/eval split, split seed 0.
 * The one definition: the engine resolves requests over it and the page's draft derives from it.
 */
export const DEFAULT_PREPROCESS = { centre: false, scale: 'none', dropBos: true, evalFraction: 0, splitSeed: 0 } as const;

/**
 * Per-row fields a dataset carries besides labels, to name as `perRow` below: the `marked` flags of the
 * spurious-marker built-ins (marked.ts). Empty for every other dataset.
 */
export function perRowFields(d: Dataset): string[] {
  return (d as Partial<{ marked: Uint8Array }>).marked instanceof Uint8Array ? ['marked'] : [];
}

/**
 * Rows `idx` of `d` (in that order), labels included; other fields (truth, labelNames) are shared.
 * Extra per-row fields of extensions (arrays of length rows) are subset when named in `perRow`.
 */
export function takeRows<T extends Dataset>(d: T, idx: ArrayLike<number>, name = d.name, perRow: string[] = []): T {
  const { dIn } = d;
  const x = new Float32Array(idx.length * dIn);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    if (!(Number.isInteger(r) && r >= 0 && r < d.rows)) throw formatError(d.name, `row index [${i}]`, `an integer in [0, ${d.rows - 1}]`, String(r));
    x.set(d.x.subarray(r * dIn, (r + 1) * dIn), i * dIn);
  }
  const out = { ...d, name, rows: idx.length, x } as unknown as Record<string, unknown>;
  const fields = hasLabels(d) ? ['labels', ...perRow] : perRow;
  for (const f of fields) {
    const a = (d as unknown as Record<string, ArrayLike<unknown> & { slice?: unknown }>)[f];
    if (a === undefined || a.length !== d.rows) throw formatError(d.name, f, `${d.rows} per-row entries`, a === undefined ? 'none' : String(a.length));
    out[f] = pick(a, idx);
  }
  return out as T;
}

function pick(a: ArrayLike<unknown>, idx: ArrayLike<number>): unknown {
  if (ArrayBuffer.isView(a)) {
    const Ctor = (a as unknown as { constructor: new (n: number) => { [i: number]: unknown } }).constructor;
    const out = new Ctor(idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]];
    return out;
  }
  return Array.from(idx, (r) => a[r]);
}

/** `d` without the rows where `drop[t]` is truthy (e.g. BOS positions); drop has one entry per row. */
export function dropRows<T extends Dataset>(d: T, drop: ArrayLike<boolean | number>, perRow: string[] = []): T {
  if (drop.length !== d.rows) throw formatError(d.name, 'drop mask', `${d.rows} entries (one per row)`, String(drop.length));
  const keep: number[] = [];
  for (let t = 0; t < d.rows; t++) if (!drop[t]) keep.push(t);
  if (keep.length === 0) throw formatError(d.name, 'drop mask', 'to keep at least 1 row', `all ${d.rows} dropped`);
  return takeRows(d, keep, d.name, perRow);
}

/** 1 where values[t] === v, else 0: e.g. maskEquals(tokens, BOS) or maskEquals(positions, 0). */
export function maskEquals(values: ArrayLike<number>, v: number): Uint8Array {
  const m = new Uint8Array(values.length);
  for (let t = 0; t < values.length; t++) m[t] = values[t] === v ? 1 : 0;
  return m;
}

/**
 * x − μ row by row, with μ the column mean of `d` [dIn] unless given (centre eval data with the
 * training mean). Returns the centred copy and μ.
 */
export function centre<T extends Dataset>(d: T, mean?: Float64Array): { data: T; mean: Float64Array } {
  const mu = mean ?? rowMean(d.x, d.rows, d.dIn);
  if (mu.length !== d.dIn) throw formatError(d.name, 'centring mean', `${d.dIn} values (dIn)`, String(mu.length));
  const x = new Float32Array(d.x.length);
  for (let t = 0; t < d.rows; t++) for (let j = 0; j < d.dIn; j++) x[t * d.dIn + j] = d.x[t * d.dIn + j] - mu[j];
  return { data: { ...d, x }, mean: mu };
}

/**
 * SAELens's expected-norm scaling: x·s with s = √dIn / mean_t ‖x_t‖ (computed on `d` unless given,
 * e.g. scale eval data by the training scale), so the scaled rows have mean norm √dIn.
 */
export function scaleToExpectedNorm<T extends Dataset>(d: T, scale?: number): { data: T; scale: number } {
  const s = scale ?? expectedNormScale(d.x, d.rows, d.dIn);
  if (!(Number.isFinite(s) && s > 0)) throw formatError(d.name, 'scale', 'a finite number > 0', String(s));
  const x = new Float32Array(d.x.length);
  for (let i = 0; i < x.length; i++) x[i] = d.x[i] * s;
  return { data: { ...d, x }, scale: s };
}

export interface Split<T extends Dataset> {
  train: T;
  eval: T;
  /** Row indices into the input, ascending; disjoint, together every row. */
  trainIdx: Uint32Array;
  evalIdx: Uint32Array;
}

/**
 * A seeded train/eval split: nEval = round(rows·evalFraction), clamped to [1, rows − 1]; the eval rows
 * are the first nEval of permutation(rows, createRng(seed)). Each part keeps the input's row order.
 * Same (rows, evalFraction, seed) → same split on every machine.
 */
export function splitTrainEval<T extends Dataset>(d: T, evalFraction: number, seed: number, perRow: string[] = []): Split<T> {
  if (!(evalFraction > 0 && evalFraction < 1)) throw formatError(d.name, 'eval fraction', 'a number strictly between 0 and 1', String(evalFraction));
  if (d.rows < 2) throw formatError(d.name, 'rows', 'at least 2 to split into train and eval', String(d.rows));
  const nEval = Math.min(d.rows - 1, Math.max(1, Math.round(d.rows * evalFraction)));
  const perm = permutation(d.rows, createRng(seed >>> 0));
  const evalIdx = perm.slice(0, nEval).sort();
  const trainIdx = perm.slice(nEval).sort();
  return {
    train: takeRows(d, trainIdx, `${d.name} (train)`, perRow),
    eval: takeRows(d, evalIdx, `${d.name} (eval)`, perRow),
    trainIdx,
    evalIdx,
  };
}
