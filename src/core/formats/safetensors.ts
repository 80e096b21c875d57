// safetensors reader (F32/F16/BF16/F64 → Float32Array) and F32 writer, strict like the reference
// implementation: bounds, sizes, overlaps and holes are checked and named (sae-libraries.md §2.4).
// Imports only src/core (no node:fs, no DOM): callers pass the file's bytes.

import { assertFinite, formatError } from '../errors.ts';
import { checkElements } from './limits.ts';
import { decodeLittleEndian } from './npy.ts';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64';

/** One tensor, converted to f32. data: shape, row-major (C order). */
export interface Tensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

const ITEM_SIZE: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
const DECODE_AS = { F32: 'f4', F16: 'f2', BF16: 'bf16', F64: 'f8' } as const;
const SUPPORTED = 'one of F32, F16, BF16, F64';
/** The reference implementation caps the header at 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function fmt(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  start: number;
  end: number;
}

/**
 * The header of a .safetensors file (`bytes` may be just its head): every entry checked, the total
 * element count against MAX_ELEMENTS. `sizing`: the data section has not arrived (offsets are not
 * checked against it), and null is returned while `bytes` end before the header does.
 */
function parseHeader(bytes: Uint8Array, source: string, sizing: boolean): { headerLen: number; entries: Entry[]; metadata: Record<string, string> } | null {
  if (bytes.length < 8) {
    if (sizing) return null;
    throw formatError(source, 'file size', 'at least 8 bytes (u64 header length)', `${bytes.length} bytes (truncated file)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLen = hi * 2 ** 32 + lo;
  if (headerLen > MAX_HEADER_BYTES) {
    throw formatError(source, 'header length', `at most ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`, `${headerLen}`);
  }
  if (headerLen > bytes.length - 8) {
    if (sizing) return null;
    throw formatError(source, 'header length', `at most ${bytes.length - 8} bytes (the rest of the file)`, `${headerLen} (truncated file?)`);
  }
  const dataLen = sizing ? null : bytes.length - 8 - headerLen;
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch (e) {
    throw formatError(source, 'header', 'UTF-8 JSON', `unparseable (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw formatError(source, 'header', 'a JSON object', fmt(header));
  }

  // Own properties only, into objects without a prototype: a tensor named "constructor", "toString" or
  // "__proto__" is a tensor like any other, never Object.prototype's member.
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: Entry[] = [];
  let values = 0;
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw formatError(source, '__metadata__', 'an object of strings', fmt(raw));
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw formatError(source, `__metadata__.${k}`, 'a string', fmt(v));
        metadata[k] = v;
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw formatError(source, name, 'an object {dtype, shape, data_offsets}', fmt(raw));
    }
    const e = raw as Record<string, unknown>;
    const dtype = e.dtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, dtype)) {
      throw formatError(source, `${name}.dtype`, `${SUPPORTED} (convert the tensor to float32)`, fmt(dtype));
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
      throw formatError(source, `${name}.shape`, 'an array of non-negative integers', fmt(shape));
    }
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
      throw formatError(source, `${name}.data_offsets`, '[start, end], two non-negative integers', fmt(offsets));
    }
    const [start, end] = offsets as [number, number];
    if (end < start) throw formatError(source, `${name}.data_offsets`, `end ≥ start`, `[${start}, ${end}]`);
    if (dataLen !== null && end > dataLen) {
      throw formatError(
        source,
        `${name}.data_offsets`,
        `within the data section (end ≤ ${dataLen} bytes)`,
        `[${start}, ${end}] (truncated file?)`,
      );
    }
    const itemSize = ITEM_SIZE[dtype as SafetensorsDtype];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - start !== count * itemSize) {
      throw formatError(
        source,
        `${name}.data_offsets`,
        `${count * itemSize} bytes (shape [${shape.join(', ')}] × ${itemSize} for ${dtype})`,
        `${end - start} bytes [${start}, ${end}]`,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], start, end });
    values += count;
  }

  checkElements(source, 'tensors (all of them)', values);
  return { headerLen, entries, metadata };
}

/**
 * The byte length a .safetensors file's header declares (header and data), every entry checked and the
 * element count against MAX_ELEMENTS; null while `head` ends before the header does.
 */
export function safetensorsByteSize(head: Uint8Array, source: string): number | null {
  const h = parseHeader(head, source, true);
  return h && 8 + h.headerLen + h.entries.reduce((m, e) => Math.max(m, e.end), 0);
}

/**
 * Parses a .safetensors file: u64 LE header length N, N bytes of JSON header, then the data buffer.
 * Every tensor is converted to f32 and checked finite. The records have no prototype (own names only).
 */
export function parseSafetensors(
  bytes: Uint8Array,
  source: string,
): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const { headerLen, entries, metadata } = parseHeader(bytes, source, false)!;
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  // The reference implementation requires the tensors to tile the data section exactly.
  const sorted = [...entries].sort((a, b) => a.start - b.start || a.end - b.end);
  let cursor = 0;
  let prev: string | null = null;
  for (const t of sorted) {
    if (t.start < cursor) {
      throw formatError(source, `${t.name}.data_offsets`, `start ≥ ${cursor} (no overlap with tensor '${prev}')`, `[${t.start}, ${t.end}] overlaps '${prev}'`);
    }
    if (t.start > cursor) {
      throw formatError(source, `${t.name}.data_offsets`, `start = ${cursor} (tensors must be contiguous)`, `[${t.start}, ${t.end}] (a ${t.start - cursor}-byte hole)`);
    }
    cursor = t.end;
    prev = t.name;
  }
  if (cursor !== dataLen) {
    throw formatError(source, 'data size', `${cursor} bytes (the end of the last tensor)`, `${dataLen} bytes (trailing bytes)`);
  }

  const tensors: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  for (const t of entries) {
    const count = (t.end - t.start) / ITEM_SIZE[t.dtype];
    const cols = t.shape.length === 2 ? t.shape[1] : undefined; // NaN reported as [row, col] for matrices
    const data = decodeLittleEndian(bytes, dataStart + t.start, count, DECODE_AS[t.dtype], source, t.name, cols);
    tensors[t.name] = { dtype: t.dtype, shape: t.shape, data };
  }
  return { tensors, metadata };
}

/**
 * Writes F32 tensors in the record's insertion order (note: JS orders integer-like keys first),
 * header JSON padded with spaces to a multiple of 8 bytes as the reference writer does.
 * data: shape, row-major.
 */
export function writeSafetensors(
  tensors: Record<string, { shape: number[]; data: Float32Array }>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw formatError('writeSafetensors', `__metadata__.${k}`, 'a string', fmt(v));
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    if (name === '__metadata__') throw formatError('writeSafetensors', 'tensor name', 'not "__metadata__"', '"__metadata__"');
    const { shape, data } = tensors[name];
    if (!shape.every(isNonNegInt)) throw formatError('writeSafetensors', `${name}.shape`, 'non-negative integers', fmt(shape));
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) {
      throw formatError('writeSafetensors', `${name}.data.length`, `${count} (shape [${shape.join(', ')}])`, `${data.length}`);
    }
    assertFinite(data, 'writeSafetensors', name, shape.length === 2 ? shape[1] : undefined);
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const { data } = tensors[name];
    if (HOST_LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(pos + i * 4, data[i], true);
    }
    pos += data.byteLength;
  }
  return out;
}
