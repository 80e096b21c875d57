// A hostile-file corpus, generated at test time (no checked-in blobs): truncated and malformed headers of
// every format, wrong magic, empty files, huge declared shapes, gzip and zip bombs, NaN/Inf values,
// tensor names that are Object properties, deeply nested .npy shapes, duplicate zip entries, manifests
// naming `..`, one enormous CSV row. Each entry says what must refuse it and with what message; the
// runner (hostile.test.ts) feeds it to the CLI and to the engine's upload path. Node only (node:zlib
// builds the bombs); the zip builder is the raw format, so it can write what our writer refuses to.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { crc32 } from '../../src/core/formats/inflate.ts';
import { MAX_ELEMENTS } from '../../src/core/formats/limits.ts';

export interface HostileFile {
  /** The file's name: it picks the reader, and every refusal must name it. */
  name: string;
  bytes: Uint8Array;
  /** What the refusal says after the file's name (both the CLI and the engine). */
  message: RegExp;
  /** The CLI's arguments (FILE is replaced by the path); default: train on it. */
  cli?: string[];
  /** How the engine meets it: an upload (default; `tensor` picks a safetensors tensor) or a saved ensemble. */
  engine?: { kind: 'upload'; tensor?: string } | { kind: 'ensemble' };
  /** The CLI's peak RSS may reach this many MB (default 300; measured 95-140). */
  maxRssMb?: number;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** An .npy v1.0 file with the header dict `dict` (as text) and `data` after it. */
export function npy(dict: string, data: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const header = enc(dict + '\n');
  const pre = new Uint8Array(major === 1 ? 10 : 12);
  pre.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(pre.buffer);
  if (major === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  return concat(pre, header, data);
}

/** A .safetensors file with the JSON header `header` (an object, or raw text) and `data`. */
export function safetensors(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = enc(typeof header === 'string' ? header : JSON.stringify(header));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setUint32(0, json.length, true);
  return concat(len, json, data);
}

/** An IDX file: magic 0x0000TTDD, big-endian dims, then `data` as given. */
export function idx(type: number, dims: number[], data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(h.buffer);
  h[2] = type;
  h[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  return concat(h, data);
}

function f32(values: number[], bigEndian = false): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat32(i * 4, x, !bigEndian));
  return b;
}

function f64(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 8);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat64(i * 8, x, true));
  return b;
}

/** All but the last 10 bytes (a gzip's trailer and the end of its last block). */
function truncated(b: Uint8Array): Uint8Array {
  return b.subarray(0, b.length - 10);
}

/** `block` gzipped once and repeated `times` as gzip members (a valid multi-member file): a bomb of block·times bytes. */
function gzipRepeated(block: Uint8Array, times: number): Uint8Array {
  const member = gzipSync(block, { level: 9 });
  return concat(...Array.from({ length: times }, () => member));
}

export interface RawZipEntry {
  name: string;
  data: Uint8Array;
  /** 8: deflate (default), 0: stored. */
  method?: 0 | 8;
  /** The uncompressed size written in the headers (default: the real one): a lie makes a bomb. */
  declaredSize?: number;
  /** The CRC-32 written (default: the real one). */
  crc?: number;
}

/** A zip written byte by byte (PKWARE APPNOTE 6.3): anything our writer refuses (duplicates, lies) included. */
export function rawZip(entries: RawZipEntry[]): Uint8Array {
  const local: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc(e.name);
    const method = e.method ?? 8;
    const body = method === 8 ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const crc = e.crc ?? crc32(e.data);
    const size = e.declaredSize ?? e.data.length;
    const lh = new Uint8Array(30);
    const lv = new DataView(lh.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, size, true);
    lv.setUint16(26, name.length, true);
    local.push(lh, name, body);
    const ch = new Uint8Array(46);
    const cv = new DataView(ch.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = concat(...central);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cd.length, true);
  ev.setUint32(16, offset, true);
  return concat(...local, cd, end);
}

/** A valid ensemble.json naming `folders`. */
function manifest(folders: string[], method = 'single'): string {
  return JSON.stringify({ format: 'sae-workbench-ensemble', version: 1, method, members: folders.length, folders, seeds: folders.map((_, i) => i), dataset: 'x', step: 0, config: {} });
}

const F4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
const ENSEMBLE = ['ensemble', '--from', 'FILE', '--data', 'synthetic:small', '--quiet'];

/** The corpus: every file, its message and how each side meets it. */
export function hostileCorpus(): HostileFile[] {
  const nested = `{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(100_000)}2${')'.repeat(100_000)}, }`;
  // 2^28 + 2^23 numbers in 540 MB of text, in 1 MB of gzip: refused by counting, before any row is stored.
  const csvBomb = gzipRepeated(enc('0,0,0,0,0,0,0,0\n'.repeat(1 << 20)), Math.ceil(MAX_ELEMENTS / (8 << 20)) + 1);
  // 1.06 GiB of blank lines (no numbers to count) in 1 MB of gzip: refused at the decompressed-bytes cap.
  const blankBomb = gzipRepeated(new Uint8Array(16 << 20).fill(0x0a), 68);
  return [
    // .npy
    { name: 'empty.npy', bytes: new Uint8Array(0), message: /file size: expected at least 10 bytes/ },
    { name: 'wrong-magic.npy', bytes: enc('PK\x03\x04 this is not numpy at all'), message: /magic: expected 93 4e 55 4d 50 59/ },
    { name: 'truncated-header.npy', bytes: npy(F4).subarray(0, 30), message: /header length: expected at most \d+ bytes/ },
    { name: 'bad-dict.npy', bytes: npy("{'descr': '<f4', 'shape': (2, 2"), message: /header \(character \d+\): expected/ },
    { name: 'nested-shape.npy', bytes: npy(nested), message: /shape: expected at most 8 levels of nested brackets/ },
    { name: 'huge-shape.npy', bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000, 100000), }", f32([1, 2, 3, 4])), message: /shape|data size/ },
    { name: 'nan.npy', bytes: npy(F4, f32([1, NaN, 3, 4])), message: /data\[0, 1\]: expected a finite number, got NaN/ },
    { name: 'inf.npy', bytes: npy(F4, f32([1, 2, Infinity, 4])), message: /data\[1, 0\]: expected a finite number, got Infinity/ },
    { name: 'f64-overflow.npy', bytes: npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", f64([1, 1e300])), message: /within float32 range/ },
    { name: 'fortran.npy', bytes: npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f32([1, 2, 3, 4])), message: /fortran_order: expected False/ },
    { name: 'int64.npy', bytes: npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }", new Uint8Array(8)), message: /descr: expected/ },
    { name: 'huge-header.npy', bytes: (() => { const b = npy(F4, f32([1, 2, 3, 4]), 2); new DataView(b.buffer).setUint32(8, 0xfffffff0, true); return b; })(), message: /header length: expected at most/ },
    // .safetensors
    { name: 'empty.safetensors', bytes: new Uint8Array(0), message: /file size: expected at least 8 bytes/ },
    { name: 'huge-header.safetensors', bytes: (() => { const b = new Uint8Array(16); new DataView(b.buffer).setUint32(4, 0x100, true); return b; })(), message: /header length: expected at most 100000000 bytes/ },
    { name: 'bad-json.safetensors', bytes: safetensors('{"a": {"dtype": "F32", '), message: /header: expected UTF-8 JSON/ },
    {
      name: 'constructor.safetensors',
      bytes: safetensors({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2, 2], data_offsets: [16, 32] } }, f32([1, 2, 3, 4, 5, 6, 7, 8])),
      message: /tensor "constructor" not found: it holds a, b/,
      cli: ['train', '--data', 'FILE', '--tensor', 'constructor', '--steps', '2', '--batch', '4', '--latents', '4', '--k', '1', '--backend', 'cpu', '--quiet'],
      engine: { kind: 'upload', tensor: 'constructor' },
    },
    {
      name: 'proto-names.safetensors',
      bytes: safetensors('{"__proto__": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, "toString": {"dtype": "F32", "shape": [2, 2], "data_offsets": [16, 32]}}', f32([1, 2, 3, 4, 5, 6, 7, 8])),
      message: /holds 2 tensors \(__proto__, toString\)/,
    },
    { name: 'dtype-constructor.safetensors', bytes: safetensors({ x: { dtype: 'constructor', shape: [2, 2], data_offsets: [0, 16] } }, new Uint8Array(16)), message: /x\.dtype: expected one of F32/ },
    { name: 'huge-shape.safetensors', bytes: safetensors({ x: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 16] } }, new Uint8Array(16)), message: /tensors \(all of them\): expected at most|data_offsets/ },
    { name: 'overlap.safetensors', bytes: safetensors({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2, 2], data_offsets: [8, 24] } }, new Uint8Array(24)), message: /data_offsets/ },
    { name: 'nan.safetensors', bytes: safetensors({ x: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, f32([1, 2, 3, NaN])), message: /x\[1, 1\]: expected a finite number, got NaN/ },
    // CSV / TSV
    { name: 'empty.csv', bytes: new Uint8Array(0), message: /rows: expected at least 1 row of numbers, got an empty file/ },
    { name: 'header-only.csv', bytes: enc('a,b,c\n'), message: /got only a header line/ },
    { name: 'ragged.csv', bytes: enc('1,2,3\n4,5\n'), message: /line 2: expected 3 columns/ },
    { name: 'nan.csv', bytes: enc('1,2\n3,nan\n'), message: /line 2, column 2: expected a finite number/ },
    { name: 'inf.tsv', bytes: enc('1\t2\n3\t1e39\n'), message: /line 2, column 2: expected a number within float32 range/ },
    { name: 'binary.csv', bytes: Uint8Array.from({ length: 4096 }, (_, i) => (i * 151 + 7) % 256), message: /expected UTF-8 text|line \d+/ },
    { name: 'one-huge-row.csv', bytes: enc('0,'.repeat(1_000_000) + '0\n'), message: /line 1: expected at most 1048576 characters per row/ },
    { name: 'values-bomb.csv.gz', bytes: csvBomb, message: /values \(numbers in its text so far\): expected at most 268435456 values/, maxRssMb: 250 },
    { name: 'blank-bomb.csv.gz', bytes: blankBomb, message: /gzip data: decompresses past 1073741824 bytes \(the limit\)/, maxRssMb: 250 },
    { name: 'truncated.csv.gz', bytes: truncated(gzipSync(enc(Array.from({ length: 2000 }, (_, i) => `${i},${(i * 7919) % 1000}`).join('\n')))), message: /gzip data: expected a complete, valid compressed stream.*corrupt or truncated/ },
    // IDX
    { name: 'empty-idx3-ubyte', bytes: new Uint8Array(0), message: /header: expected at least 4 bytes/ },
    { name: 'wrong-magic.idx', bytes: enc('\x00\x01\x08\x03 nope'), message: /magic: expected an IDX magic number/ },
    { name: 'truncated-idx3-ubyte', bytes: idx(0x08, [10, 28, 28], new Uint8Array(100)), message: /dims \[10, 28, 28\].*truncated/ },
    { name: 'huge-dims-idx3-ubyte', bytes: idx(0x08, [65536, 65536, 65536], new Uint8Array(16)), message: /dims \[65536, 65536, 65536\]/ },
    { name: 'nan-f32.idx', bytes: idx(0x0d, [2, 2], f32([1, NaN, 3, 4], true)), message: /data\[1\]: expected a finite number, got NaN/ },
    // A header declaring 4·10^9 pixels, then 16 MiB of zeros, in 16 KB: refused at the header, nothing allocated.
    { name: 'dims-bomb-idx3-ubyte.gz', bytes: concat(gzipSync(idx(0x08, [1, 65536, 65536])), gzipRepeated(new Uint8Array(16 << 20), 1)), message: /dims \[1, 65536, 65536\]: expected at most 268435456 values/, maxRssMb: 250 },
    // A header declaring 10 small images, then 1 GiB of zeros: refused as soon as the stream passes the declared size.
    { name: 'tail-bomb-idx3-ubyte.gz', bytes: concat(gzipSync(idx(0x08, [10, 28, 28])), gzipRepeated(new Uint8Array(16 << 20), 64)), message: /data size: expected 7856 bytes \(as its header declares\)/, maxRssMb: 250 },
    // Saved ensembles (zip): the CLI's ensemble --from, the engine's loadEnsemble
    { name: 'empty.zip', bytes: new Uint8Array(0), message: /end of central directory/, cli: ENSEMBLE, engine: { kind: 'ensemble' } },
    { name: 'not-a.zip', bytes: enc('this is plainly not a zip file, though it is long enough to have an end record'), message: /end of central directory/, cli: ENSEMBLE, engine: { kind: 'ensemble' } },
    {
      name: 'duplicate-entries.zip',
      bytes: rawZip([
        { name: 'ensemble.json', data: enc(manifest(['member-1'])) },
        { name: 'ensemble.json', data: enc(manifest(['..'])) },
      ]),
      message: /member "ensemble\.json": expected each name once, got it twice/,
      cli: ENSEMBLE,
      engine: { kind: 'ensemble' },
    },
    { name: 'dotdot-manifest.zip', bytes: rawZip([{ name: 'ensemble.json', data: enc(manifest(['..'])) }]), message: /folders\[0\]: expected a folder name inside the ensemble.*got "\.\."/, cli: ENSEMBLE, engine: { kind: 'ensemble' } },
    { name: 'dot-manifest.zip', bytes: rawZip([{ name: 'ensemble.json', data: enc(manifest(['.'])) }]), message: /folders\[0\]: expected a folder name inside the ensemble.*got "\."/, cli: ENSEMBLE, engine: { kind: 'ensemble' } },
    { name: 'slash-manifest.zip', bytes: rawZip([{ name: 'ensemble.json', data: enc(manifest(['a/../../b'])) }]), message: /folders: expected 1\.\.16 folder names/, cli: ENSEMBLE, engine: { kind: 'ensemble' } },
    // A manifest declaring 4 GiB: refused before inflating; one declaring 100 bytes and inflating to 64 MiB: at 100.
    { name: 'manifest-huge.zip', bytes: rawZip([{ name: 'ensemble.json', data: enc('{}'), declaredSize: 0xfffffff0 }]), message: /member "ensemble\.json": size: expected at most 16777216 bytes/, cli: ENSEMBLE, engine: { kind: 'ensemble' } },
    {
      name: 'manifest-bomb.zip',
      bytes: rawZip([{ name: 'ensemble.json', data: new Uint8Array(64 << 20).fill(0x20), declaredSize: 100 }]),
      message: /deflate-raw data: decompresses past 100 bytes \(its declared size\)/,
      cli: ENSEMBLE,
      engine: { kind: 'ensemble' },
    },
    // Neither reader's
    { name: 'model.pt', bytes: new Uint8Array(64), message: /unknown data spec|file type: expected/ },
  ];
}

/** Writes the corpus into `dir`; returns each file's path, in corpus order. */
export function writeCorpus(dir: string, corpus: HostileFile[]): string[] {
  mkdirSync(dir, { recursive: true });
  return corpus.map((f) => {
    const path = join(dir, f.name);
    writeFileSync(path, f.bytes);
    return path;
  });
}
