// An SAE's codes over a dataset for the inspector: encoded a chunk of rows at a time (so a large split
// never needs its [rows, dSae] codes at once), one latent's column, or a latent's values at chosen rows
// (a token window). The values are the SAE's own activations: encode() on x' = inputScale·x, the input it
// was trained with. Imports only src/core.

import { InputError } from '../errors.ts';
import { encode } from '../sae/sae.ts';
import type { Dataset, Sae } from '../sae/types.ts';
import { checkInt, checkLatent, checkPair } from './checks.ts';

/** Rows encoded at a time when no chunkRows is given. */
export const DEFAULT_CHUNK_ROWS = 1024;

export interface ChunkOptions {
  /** Rows encoded at a time (default DEFAULT_CHUNK_ROWS); results never depend on it. */
  chunkRows?: number;
}

/** Codes of `rows` rows x ([rows, dIn], raw input units) → f [rows, dSae], on x' = inputScale·x. */
function encodeRows(sae: Sae, x: Float32Array, rows: number): Float32Array {
  if (sae.inputScale === 1) return encode(sae, x, rows).f;
  const xs = new Float32Array(rows * sae.dIn); // [rows, dIn]
  for (let i = 0; i < xs.length; i++) xs[i] = x[i] * sae.inputScale;
  return encode(sae, xs, rows).f;
}

/** Calls fn(f [rows, dSae], firstRow, rows) for consecutive chunks of data, in row order. */
export function forEachChunk(sae: Sae, data: Dataset, chunkRows: number, fn: (f: Float32Array, firstRow: number, rows: number) => void): void {
  checkInt('inspect', 'chunkRows', chunkRows, 1);
  const { dIn } = data;
  for (let start = 0; start < data.rows; start += chunkRows) {
    const rows = Math.min(chunkRows, data.rows - start);
    fn(encodeRows(sae, data.x.subarray(start * dIn, (start + rows) * dIn), rows), start, rows);
  }
}

/** Throws unless codes is [data.rows, sae.dSae]. */
export function checkCodes(what: string, sae: Sae, data: Dataset, codes: Float32Array): void {
  if (codes.length !== data.rows * sae.dSae) {
    throw new InputError(`${what}: codes length: expected rows·dSae = ${data.rows}·${sae.dSae} = ${data.rows * sae.dSae}, got ${codes.length}`);
  }
}

/**
 * f_{t,latent} for every row t of data: [T]. With `codes` (the SAE's codes of these rows, e.g. kept from
 * inspectAll) the column is read from them instead of encoding the rows again.
 */
export function latentColumn(sae: Sae, data: Dataset, latent: number, opts: ChunkOptions & { codes?: Float32Array } = {}): Float32Array {
  checkPair('latent column', sae, data);
  checkLatent('latent column', sae, latent);
  const col = new Float32Array(data.rows); // [T]
  const { dSae } = sae;
  const { codes } = opts;
  if (codes) {
    checkCodes('latent column', sae, data, codes);
    for (let t = 0; t < data.rows; t++) col[t] = codes[t * dSae + latent];
    return col;
  }
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
