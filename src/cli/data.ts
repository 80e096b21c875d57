// Loads a dataset from a CLI data SPEC: a file path (.npy; .safetensors with a tensor name; raw
// little-endian f32 with a shape; .csv/.tsv; IDX, gzipped or not), or `builtin:NAME` /
// `synthetic:PRESET[:SEED]` through the engine's loader (builtin.ts). Node file I/O lives here; parsing,
// decompression and every limit are src/core's, the same readers the engine's upload path calls (a gzip
// is inflated by core's streaming, capped inflate, not a second one here). Must not import UI code.

import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { csvDataset, readCsv } from '../core/formats/csv.ts';
import { InputError } from '../core/errors.ts';
import { idxImages, readIdx } from '../core/formats/idx.ts';
import { checkElements, namedReadError } from '../core/formats/limits.ts';
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

/** Largest file read whole: Node's readFileSync stops at 2 GiB − 1 (and a 2^28-value f64 .npy is 2 GiB). */
const MAX_FILE_BYTES = 2 ** 31 - 1;

/** Reads a file, turning "not found", "is a directory" and "too large" into one-line InputErrors. */
export function readInput(path: string): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new InputError(`${path}: file not found`);
  }
  if (st.isDirectory()) throw new InputError(`${path}: is a directory, expected a file`);
  if (st.size > MAX_FILE_BYTES) throw new InputError(`${path}: size: expected at most ${MAX_FILE_BYTES} bytes (the limit), got ${st.size}: take a sample of rows and use that`);
  return new Uint8Array(readFileSync(path));
}

/** The dataset a SPEC names (built-ins: every row, as the engine loads them; lmDevice runs their LM on WebGPU). */
export async function loadData(spec: string, opts: DataOptions = {}, lmDevice?: () => Promise<GPUDevice | null>): Promise<Dataset> {
  if (spec.startsWith('synthetic:') || spec.startsWith('builtin:')) return { ...(await loadBuiltin(spec, lmDevice)).all, name: spec };
  try {
    return nonEmpty(await loadFile(spec, opts));
  } catch (e) {
    throw namedReadError(basename(spec), e);
  }
}

async function loadFile(spec: string, opts: DataOptions): Promise<Dataset> {
  const ext = extname(spec).toLowerCase();
  const name = basename(spec);
  const plain = name.toLowerCase().replace(/\.gz$/, '');
  if (/\.(csv|tsv|tab)$/.test(plain)) {
    return csvDataset(await readCsv(readInput(spec), name), spec);
  }
  if (/(\.idx\d?|-ubyte)$/.test(plain)) {
    return idxImages(await readIdx(readInput(spec), name), name, spec);
  }
  if (ext === '.npy') {
    const { shape, data } = parseNpy(readInput(spec), name);
    return { name: spec, rows: shape[0], dIn: shape[1], x: data };
  }
  if (ext === '.safetensors') {
    const { tensors } = parseSafetensors(readInput(spec), name);
    const names = Object.keys(tensors);
    const pick = opts.tensor ?? (names.length === 1 ? names[0] : undefined);
    if (pick === undefined) {
      throw new InputError(`${name}: holds ${names.length} tensors (${names.join(', ') || 'none'}): pick one with --tensor NAME`);
    }
    // Own names only: --tensor constructor (or toString, __proto__) is a name like any other.
    const t = Object.hasOwn(tensors, pick) ? tensors[pick] : undefined;
    if (!t) throw new InputError(`${name}: tensor "${pick}" not found: it holds ${names.join(', ') || 'no tensors'}`);
    if (t.shape.length !== 2) {
      throw new InputError(`${name}: ${pick}.shape: expected 2 dimensions [rows, dIn], got [${t.shape.join(', ')}]: reshape it before saving`);
    }
    return { name: `${spec}#${pick}`, rows: t.shape[0], dIn: t.shape[1], x: t.data };
  }
  if (RAW_EXTS.includes(ext)) {
    if (!opts.shape) throw new InputError(`${name}: raw f32 data needs its shape: add --shape ROWS,DIN`);
    const shape = parseShape(opts.shape, '--shape');
    checkElements(name, `--shape ${shape[0]},${shape[1]}`, shape[0] * shape[1]);
    return { name: spec, rows: shape[0], dIn: shape[1], x: parseRawF32(readInput(spec), shape, name) };
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
