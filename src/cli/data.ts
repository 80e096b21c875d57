// Loads a dataset from a CLI data SPEC: a file path (.npy; .safetensors with a tensor name; raw
// little-endian f32 with a shape; .csv/.tsv; IDX, gzipped or not), or `builtin:NAME` /
// `synthetic:PRESET[:SEED]` through the engine's loader (builtin.ts). Node file I/O lives here; parsing is
// in src/core. Must not import UI code.

import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { csvDataset, parseCsv } from '../core/formats/csv.ts';
import { InputError, formatError } from '../core/errors.ts';
import { MAX_DECOMPRESSED_BYTES, isGzip } from '../core/formats/inflate.ts';
import { idxImages, parseIdx } from '../core/formats/idx.ts';
import { parseNpy } from '../core/formats/npy.ts';
import { parseRawF32, parseShape } from '../core/formats/raw.ts';
import { parseSafetensors } from '../core/formats/safetensors.ts';
import type { Dataset } from '../core/sae/types.ts';
import { loadBuiltin } from './builtin.ts';

export interface DataOptions {
  /** Tensor name inside a .safetensors file. */
  tensor?: string;
  /** "ROWS,DIN" for a raw f32 file. */
  shape?: string;
}

const RAW_EXTS = ['.f32', '.bin', '.raw'];

/** Reads a file, turning "not found" and "is a directory" into one-line InputErrors. */
export function readInput(path: string): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new InputError(`${path}: file not found`);
  }
  if (st.isDirectory()) throw new InputError(`${path}: is a directory, expected a file`);
  return new Uint8Array(readFileSync(path));
}

/** `bytes` gunzipped (synchronously, node:zlib) when they start with the gzip magic, else `bytes`. */
export function maybeGunzipSync(bytes: Uint8Array, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes, { maxOutputLength: MAX_DECOMPRESSED_BYTES }));
  } catch (e) {
    throw formatError(source, 'gzip data', 'a complete, valid gzip stream', `${(e as Error).message}: the file is corrupt or truncated`);
  }
}

/** The dataset a SPEC names (built-ins: every row, as the engine loads them; lmDevice runs their LM on WebGPU). */
export async function loadData(spec: string, opts: DataOptions = {}, lmDevice?: () => Promise<GPUDevice | null>): Promise<Dataset> {
  if (spec.startsWith('synthetic:') || spec.startsWith('builtin:')) return { ...(await loadBuiltin(spec, lmDevice)).all, name: spec };
  const ext = extname(spec).toLowerCase();
  const name = basename(spec);
  const plain = name.toLowerCase().replace(/\.gz$/, '');
  if (/\.(csv|tsv|tab)$/.test(plain)) {
    return nonEmpty(csvDataset(parseCsv(maybeGunzipSync(readInput(spec), name), name), spec));
  }
  if (/(\.idx\d?|-ubyte)$/.test(plain)) {
    return nonEmpty(idxImages(parseIdx(maybeGunzipSync(readInput(spec), name), name), name, spec));
  }
  if (ext === '.npy') {
    const { shape, data } = parseNpy(readInput(spec), name);
    return nonEmpty({ name: spec, rows: shape[0], dIn: shape[1], x: data });
  }
  if (ext === '.safetensors') {
    const { tensors } = parseSafetensors(readInput(spec), name);
    const names = Object.keys(tensors);
    const pick = opts.tensor ?? (names.length === 1 ? names[0] : undefined);
    if (pick === undefined) {
      throw new InputError(`${name}: holds ${names.length} tensors (${names.join(', ') || 'none'}): pick one with --tensor NAME`);
    }
    const t = tensors[pick];
    if (!t) throw new InputError(`${name}: tensor "${pick}" not found: it holds ${names.join(', ') || 'no tensors'}`);
    if (t.shape.length !== 2) {
      throw new InputError(`${name}: ${pick}.shape: expected 2 dimensions [rows, dIn], got [${t.shape.join(', ')}]: reshape it before saving`);
    }
    return nonEmpty({ name: `${spec}#${pick}`, rows: t.shape[0], dIn: t.shape[1], x: t.data });
  }
  if (RAW_EXTS.includes(ext)) {
    if (!opts.shape) throw new InputError(`${name}: raw f32 data needs its shape: add --shape ROWS,DIN`);
    const shape = parseShape(opts.shape, '--shape');
    return nonEmpty({ name: spec, rows: shape[0], dIn: shape[1], x: parseRawF32(readInput(spec), shape, name) });
  }
  throw new InputError(
    `${spec}: unknown data spec: expected a .npy file, a .safetensors file (with --tensor NAME), raw f32 (${RAW_EXTS.join('/')}, with --shape ROWS,DIN), ` +
      `a .csv/.tsv of numbers, an IDX file (.idx, *-ubyte; .gz ok), builtin:NAME (fashion-mnist, digits, glove-50d) or synthetic:PRESET[:SEED]`,
  );
}

function nonEmpty(d: Dataset): Dataset {
  if (d.rows < 1 || d.dIn < 1) throw new InputError(`${d.name}: shape: expected at least 1 row and 1 column, got [${d.rows}, ${d.dIn}]`);
  return d;
}
