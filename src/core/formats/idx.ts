// IDX files (the MNIST / Fashion-MNIST format, any dtype): header, big-endian dims and data, validated
// against hostile input, then turned into image datasets and class labels. Parsing is synchronous over
// decompressed bytes; readIdx gunzips first (async, DecompressionStream).
// Imports only src/core (no node:fs, no DOM): callers pass the file's bytes.

import type { DatasetSource, LabelledDataset } from '../data/card.ts';
import { InputError, formatError } from '../errors.ts';
import { gunzipSized, isGzip } from './inflate.ts';
import { checkElements } from './limits.ts';
import type { Dataset } from '../sae/types.ts';

/**
 * IDX (LeCun & Cortes): bytes 0–1 are 0, byte 2 the element type, byte 3 the number of dims; then one
 * big-endian u32 per dim; then the elements, big-endian, C order. Images are 0x00000803 (u8, 3 dims),
 * labels 0x00000801 (u8, 1 dim).
 */
export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
const DTYPE_CODES: Record<number, IdxDtype> = { 0x08: 'u8', 0x09: 'i8', 0x0b: 'i16', 0x0c: 'i32', 0x0d: 'f32', 0x0e: 'f64' };
const ITEM_SIZE: Record<IdxDtype, number> = { u8: 1, i8: 1, i16: 2, i32: 4, f32: 4, f64: 8 };
const F32_MAX = 3.4028234663852886e38;

export interface IdxArray {
  dtype: IdxDtype;
  /** Sizes of each dimension, outermost first; the data is C order. */
  dims: number[];
  /** prod(dims) elements, host order. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Fashion-MNIST's ten classes, label id order (github.com/zalandoresearch/fashion-mnist). */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export const FASHION_MNIST_SOURCE: DatasetSource = {
  source: 'Fashion-MNIST test split, 10,000 28×28 greyscale images (Xiao, Rasul, Vollgraf 2017; github.com/zalandoresearch/fashion-mnist)',
  licence: 'MIT, © 2017 Zalando SE',
};

/** An IDX header: dtype, dims and where the data starts (`bytes` may be just the file's head). */
function parseIdxHeader(bytes: Uint8Array, source: string, partial: boolean): { dtype: IdxDtype; dims: number[]; headerBytes: number; count: number } | null {
  if (isGzip(bytes)) {
    throw new InputError(`${source}: is gzip-compressed: decompress it first (readIdx does, or gunzip the file)`);
  }
  if (bytes.length < 4) {
    if (partial) return null;
    throw formatError(source, 'header', 'at least 4 bytes (the IDX magic number)', `${bytes.length} bytes`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint32(0, false);
  const dtype = DTYPE_CODES[bytes[2]];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !dtype) {
    throw formatError(
      source,
      'magic',
      'an IDX magic number 0x00000TDD (T: 08 u8, 09 i8, 0B i16, 0C i32, 0D f32, 0E f64; DD: dims), e.g. 0x00000803 for images',
      `0x${magic.toString(16).padStart(8, '0')}: not an IDX file`,
    );
  }
  const ndim = bytes[3];
  if (ndim < 1) throw formatError(source, 'magic: number of dims', 'at least 1', '0');
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    if (partial) return null;
    throw formatError(source, 'header', `${headerBytes} bytes (magic + ${ndim} big-endian u32 dims)`, `${bytes.length} bytes: the file is truncated`);
  }
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = v.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d; // exact while ≤ 2^53; anything larger is refused just below
  }
  // Sizing a file before its bytes exist: the dims are all there is to check. A whole file is checked
  // against its length first (parseIdx), the more precise message when the dims are simply wrong.
  if (partial) checkElements(source, `dims [${dims.join(', ')}]`, count);
  return { dtype, dims, headerBytes, count };
}

/** The byte length an IDX file's header declares, its element count checked; null while `head` is shorter than the header. */
export function idxByteSize(head: Uint8Array, source: string): number | null {
  const h = parseIdxHeader(head, source, true);
  return h && h.headerBytes + h.count * ITEM_SIZE[h.dtype];
}

/** Parses an uncompressed IDX file. Gzip input is refused with a hint (use readIdx). */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const { dtype, dims, headerBytes, count } = parseIdxHeader(bytes, source, false)!;
  const size = ITEM_SIZE[dtype];
  const dataBytes = count * size;
  if (!Number.isSafeInteger(dataBytes) || headerBytes + dataBytes !== bytes.length) {
    const why = headerBytes + dataBytes > bytes.length ? 'the file is truncated or its dims are wrong' : 'trailing bytes: the dims are wrong';
    throw formatError(
      source,
      `dims [${dims.join(', ')}]`,
      `${headerBytes} + ${dims.join('·')}·${size} = ${dataBytes > Number.MAX_SAFE_INTEGER ? 'more than 2^53' : headerBytes + dataBytes} bytes (${dtype})`,
      `${bytes.length} bytes: ${why}`,
    );
  }
  checkElements(source, `dims [${dims.join(', ')}]`, count);
  return { dtype, dims, data: decodeBigEndian(bytes, headerBytes, count, dtype, source) };
}

function decodeBigEndian(bytes: Uint8Array, offset: number, count: number, dtype: IdxDtype, source: string): IdxArray['data'] {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, count * ITEM_SIZE[dtype]);
  switch (dtype) {
    case 'u8':
      return bytes.slice(offset, offset + count);
    case 'i8':
      return new Int8Array(new Uint8Array(bytes.subarray(offset, offset + count)).buffer); // a real copy, even of a Node Buffer
    case 'i16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = v.getInt16(2 * i, false);
      return out;
    }
    case 'i32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = v.getInt32(4 * i, false);
      return out;
    }
    case 'f32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        out[i] = v.getFloat32(4 * i, false);
        if (!Number.isFinite(out[i])) throw formatError(source, `data[${i}]`, 'a finite number', String(out[i]));
      }
      return out;
    }
    case 'f64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        out[i] = v.getFloat64(8 * i, false);
        if (!Number.isFinite(out[i])) throw formatError(source, `data[${i}]`, 'a finite number', String(out[i]));
      }
      return out;
    }
    default:
      return dtype satisfies never;
  }
}

/**
 * Decompresses an IDX file if it is gzip-compressed: its header is read from the first decompressed bytes
 * and its dims checked before the one buffer of its declared size is allocated (a bomb costs its header).
 */
export async function maybeGunzipIdx(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  return isGzip(bytes) ? gunzipSized(bytes, source, (head) => idxByteSize(head, source)) : bytes;
}

/** Parses an IDX file that may be gzip-compressed (detected by its magic bytes). */
export async function readIdx(bytes: Uint8Array, source: string): Promise<IdxArray> {
  return parseIdx(await maybeGunzipIdx(bytes, source), source);
}

/**
 * Images as a Dataset [n, prod(dims[1:])] (28×28 → 784, row-major pixels).
 * Scaling: u8 pixels are divided by 255, so they lie in [0, 1]. Other dtypes have no known range and
 * keep their values (f64 must fit in f32).
 */
export function idxImages(idx: IdxArray, source: string, name = source): Dataset {
  if (idx.dims.length < 2) {
    throw formatError(source, 'dims', 'at least 2 (count, then the shape of one item, e.g. [n, 28, 28])', `[${idx.dims.join(', ')}]: this is a labels file`);
  }
  const rows = idx.dims[0];
  const dIn = idx.dims.slice(1).reduce((a, b) => a * b, 1);
  if (rows < 1 || dIn < 1) throw formatError(source, 'dims', 'at least 1 item of at least 1 value', `[${idx.dims.join(', ')}]`);
  const n = rows * dIn;
  const x = new Float32Array(n);
  if (idx.dtype === 'u8') {
    for (let i = 0; i < n; i++) x[i] = idx.data[i] / 255;
  } else {
    for (let i = 0; i < n; i++) {
      const val = idx.data[i];
      if (Math.abs(val) > F32_MAX) throw formatError(source, `data[${i}]`, 'a value within float32 range', String(val));
      x[i] = val;
    }
  }
  return { name, rows, dIn, x };
}

/** Class labels from a 1-D integer IDX file: Int32Array [n]. */
export function idxLabels(idx: IdxArray, source: string): Int32Array {
  if (idx.dims.length !== 1) throw formatError(source, 'dims', '1 (a labels file: [n])', `[${idx.dims.join(', ')}]`);
  if (idx.dtype === 'f32' || idx.dtype === 'f64') throw formatError(source, 'dtype', 'an integer type (u8, i8, i16, i32) for labels', idx.dtype);
  return Int32Array.from(idx.data);
}

/**
 * Images with their labels (both already-decompressed IDX bytes): counts must match.
 * labelNames defaults to the class ids as strings.
 */
export function idxLabelledImages(
  images: Uint8Array,
  labels: Uint8Array,
  sources: { images: string; labels: string },
  name: string,
  labelNames?: string[],
): LabelledDataset {
  const d = idxImages(parseIdx(images, sources.images), sources.images, name);
  const l = idxLabels(parseIdx(labels, sources.labels), sources.labels);
  if (l.length !== d.rows) {
    throw formatError(sources.labels, 'count', `${d.rows} labels (one per image in ${sources.images})`, `${l.length}: pair the images with their own labels file`);
  }
  let max = -1;
  for (let i = 0; i < l.length; i++) max = Math.max(max, l[i]);
  const names = labelNames ?? Array.from({ length: max + 1 }, (_, c) => String(c));
  for (let i = 0; i < l.length; i++) {
    if (l[i] < 0 || l[i] >= names.length) throw formatError(sources.labels, `label[${i}]`, `a class id in [0, ${names.length - 1}]`, String(l[i]));
  }
  return { ...d, labels: l, labelNames: names };
}

/** idxLabelledImages over files that may be gzip-compressed (any IDX pair a user drops in, e.g. MNIST). */
export async function readIdxLabelledImages(
  images: Uint8Array,
  labels: Uint8Array,
  sources: { images: string; labels: string },
  name: string,
  labelNames?: string[],
): Promise<LabelledDataset> {
  return idxLabelledImages(await maybeGunzipIdx(images, sources.images), await maybeGunzipIdx(labels, sources.labels), sources, name, labelNames);
}

/** Fashion-MNIST from its two (possibly gzipped) IDX files: [n, 784] in [0, 1], labels 0–9 with class names. */
export function readFashionMnist(images: Uint8Array, labels: Uint8Array, name = 'builtin:fashion-mnist'): Promise<LabelledDataset> {
  const sources = { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' };
  return readIdxLabelledImages(images, labels, sources, name, FASHION_MNIST_CLASSES);
}
