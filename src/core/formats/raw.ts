// Headerless little-endian f32 activation files (`--shape rows,cols` given by the user) and the
// parser for that shape flag. Imports only src/core (no node:fs, no DOM): callers pass the bytes.

import { formatError } from '../errors.ts';
import { decodeLittleEndian } from './npy.ts';

/**
 * Reads raw little-endian f32 values; the byte length must be exactly rows·cols·4.
 * Returns data: [rows, cols] row-major.
 */
export function parseRawF32(bytes: Uint8Array, shape: [number, number], source: string): Float32Array {
  const [rows, cols] = shape;
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0) {
    throw formatError(source, 'shape', 'two non-negative integers [rows, cols]', `[${rows}, ${cols}]`);
  }
  const expected = rows * cols * 4;
  if (bytes.length !== expected) {
    const hint =
      cols > 0 && bytes.length % (cols * 4) === 0
        ? ` (${bytes.length / (cols * 4)} rows of ${cols} f32)`
        : bytes.length % 4 !== 0
          ? ' (not a whole number of f32 values)'
          : ` (${bytes.length / 4} f32 values)`;
    throw formatError(source, 'file size', `${expected} bytes (${rows} × ${cols} × 4 for little-endian f32)`, `${bytes.length} bytes${hint}`);
  }
  return decodeLittleEndian(bytes, 0, rows * cols, 'f4', source, 'data', cols);
}

/** Parses a shape flag like "1000,64" or "1000x64" into [rows, cols] (both positive integers). */
export function parseShape(text: string, source: string): [number, number] {
  const m = /^\s*(\d+)\s*[,xX×]\s*(\d+)\s*$/.exec(text);
  const rows = m ? Number(m[1]) : NaN;
  const cols = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows <= 0 || cols <= 0) {
    throw formatError(source, 'shape', 'two positive integers like "1000,64" or "1000x64"', JSON.stringify(text));
  }
  return [rows, cols];
}
