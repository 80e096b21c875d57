// The limits every file reader checks before it allocates or inflates, defined once: the engine's
// upload path, the CLI and the core readers all import them from here (issue #13: hostile input costs
// nothing). Each is checked from a header or a running count, never after the memory is spent.
// Imports only src/core.

import { InputError } from '../errors.ts';

/** Largest dataset a file may produce: rows·dIn values (2^28 f32 = 1 GiB, what a browser tab holds comfortably). */
export const MAX_ELEMENTS = 1 << 28;
/** Most bytes one gzip stream or zip member may decompress to (1 GiB), checked while inflating. */
export const MAX_DECOMPRESSED_BYTES = 1 << 30;
/**
 * Most bytes of one text file decoded to a string at once (labels, GloVe text): 256 MiB, half of V8's
 * longest string (2^29 − 24 characters), so a hostile file is refused here rather than by a RangeError.
 */
export const MAX_TEXT_BYTES = 1 << 28;
/** Most bytes of a small JSON member of a zip (ensemble.json, cfg.json): 16 MiB. */
export const MAX_JSON_BYTES = 1 << 24;
/** Longest CSV/TSV line in characters (1 MiB: about 100k numbers, a row far wider than any activation). */
export const MAX_CSV_LINE_CHARS = 1 << 20;
/** Longest .npy header dict (numpy itself refuses more than 10000 bytes unless told otherwise). */
export const MAX_NPY_HEADER_BYTES = 1 << 20;
/** Deepest nesting of brackets in an .npy header (the dict, the shape tuple, and room to spare). */
export const MAX_NPY_HEADER_DEPTH = 8;

const MIB = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

/**
 * Throws when `values` f32 values exceed MAX_ELEMENTS: names the file, the field, the size and the fix.
 * `values` may be NaN or Infinity (a product of hostile dims): refused too.
 */
export function checkElements(source: string, field: string, values: number): void {
  if (!(values <= MAX_ELEMENTS)) {
    throw new InputError(
      `${source}: ${field}: expected at most ${MAX_ELEMENTS} values (1 GiB of f32, what a browser tab holds comfortably), got ${values} (${MIB(values * 4)} as f32): take a sample of rows (e.g. x[np.random.choice(len(x), n, replace=False)]) and use that`,
    );
  }
}

/** The one message for a decompression that would pass `limit` bytes (`limitName`: the limit, or a declared size). */
export function decompressedPastLimit(source: string, what: string, limit: number, limitName = 'the limit', fix = 'decompress it yourself and check its size, or use a smaller file'): InputError {
  return new InputError(`${source}: ${what}: decompresses past ${limit} bytes (${limitName}): ${fix}`);
}

/**
 * A reader's failure as an error that names its file: a RangeError (a runtime limit: an allocation, a
 * string length, the stack) that a limit above missed becomes an InputError naming `source`, so a hostile
 * file is a one-line refusal everywhere, never a nameless crash; every other error passes unchanged.
 */
export function namedReadError(source: string, e: unknown): unknown {
  if (!(e instanceof RangeError)) return e;
  return new InputError(`${source}: could not be read: ${e.message} (a limit of this runtime: the file is too large or too deeply nested): use a smaller or simpler file`);
}
