// Issue #13, "hostile input costs nothing", one test per finding: Object-property tensor names, nested
// .npy shapes, duplicate zip entries, `.`/`..` manifest folders, bombs refused while inflating with
// "decompresses past N bytes", headers checked against MAX_ELEMENTS before any buffer is made, one CSV
// row capped, and runtime RangeErrors turned into messages that name the file. The whole corpus through
// the CLI and the engine: test/hostile/.

import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.ts';
import { createCsvCounter, parseCsv, readCsv } from '../../../src/core/formats/csv.ts';
import { parseEnsembleManifest } from '../../../src/core/formats/ensembleFile.ts';
import { idxByteSize, readIdx } from '../../../src/core/formats/idx.ts';
import { gunzip, gunzipSized, listZip, unzipMember } from '../../../src/core/formats/inflate.ts';
import { MAX_CSV_LINE_CHARS, MAX_ELEMENTS, checkElements, namedReadError } from '../../../src/core/formats/limits.ts';
import { npyByteSize, parseNpy, writeNpy } from '../../../src/core/formats/npy.ts';
import { parseSafetensors, safetensorsByteSize, writeSafetensors } from '../../../src/core/formats/safetensors.ts';
import { expectInputError } from '../../helpers/bytes.ts';
import { idx, npy, rawZip, safetensors } from '../../hostile/corpus.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const F32x4 = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);

describe('tensor names that are Object properties are names like any other', () => {
  it('a lookup of "constructor", "toString" or "__proto__" finds only own tensors', () => {
    const { tensors, metadata } = parseSafetensors(writeSafetensors({ a: { shape: [2, 2], data: new Float32Array(4) } }), 'w.safetensors');
    expect(tensors.constructor).toBeUndefined();
    expect(tensors.toString).toBeUndefined();
    expect('constructor' in tensors).toBe(false);
    expect(metadata.constructor).toBeUndefined();
  });

  it('tensors named __proto__ and toString are read as tensors', () => {
    const bytes = safetensors('{"__proto__": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, "toString": {"dtype": "F32", "shape": [1, 1], "data_offsets": [16, 20]}}', new Uint8Array(20));
    const { tensors } = parseSafetensors(bytes, 'p.safetensors');
    expect(Object.keys(tensors)).toEqual(['__proto__', 'toString']);
    expect(Object.hasOwn(tensors, '__proto__') && tensors['__proto__'].shape).toEqual([2, 2]);
    const toString: string = 'toString';
    expect(tensors[toString].shape).toEqual([1, 1]);
  });

  it('a dtype named "constructor" is refused as a dtype', () => {
    expectInputError(() => parseSafetensors(safetensors({ x: { dtype: 'constructor', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'd.safetensors'), /^d\.safetensors: x\.dtype: expected one of F32/);
  });
});

describe('.npy headers', () => {
  const nested = (depth: number): Uint8Array => npy(`{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(depth)}2, 2${')'.repeat(depth)}, }`);

  it('deeply nested shape tuples are refused naming the shape, not a stack overflow', () => {
    expectInputError(() => parseNpy(nested(100_000), 'deep.npy'), /^deep\.npy: shape: expected at most 8 levels of nested brackets/);
    expectInputError(() => npyByteSize(nested(100_000), 'deep.npy'), /^deep\.npy: shape: expected at most 8 levels/);
    expectInputError(() => parseNpy(nested(3), 'deep.npy'), /^deep\.npy: shape\[0\]: expected a non-negative integer/); // shallow: the shape's own message
  });

  it('a header longer than any numpy writes is refused from its length field', () => {
    const b = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", F32x4, 2);
    new DataView(b.buffer).setUint32(8, 0xfffffff0, true);
    expectInputError(() => parseNpy(b, 'h.npy'), /^h\.npy: header length: expected at most 1048576 bytes/);
  });

  it('npyByteSize: the declared length, null until the header is complete, the shape against MAX_ELEMENTS', () => {
    const file = writeNpy(new Float32Array(6), [2, 3]);
    expect(npyByteSize(file.subarray(0, 20), 'a.npy')).toBeNull();
    expect(npyByteSize(file, 'a.npy')).toBe(file.length);
    const big = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000, 512), }");
    expectInputError(() => npyByteSize(big, 'big.npy'), new RegExp(`^big\\.npy: shape \\(100000000, 512\\): expected at most ${MAX_ELEMENTS} values`));
  });
});

describe('headers are checked against MAX_ELEMENTS before allocating', () => {
  it('safetensors and IDX sizers refuse a huge declared shape from the header alone', () => {
    expectInputError(() => safetensorsByteSize(safetensors({ x: { dtype: 'F32', shape: [20000, 20000], data_offsets: [0, 16e8] } }), 's.safetensors'), /^s\.safetensors: tensors \(all of them\): expected at most/);
    expectInputError(() => idxByteSize(idx(0x08, [1, 65536, 65536]), 'i-idx3-ubyte'), /^i-idx3-ubyte: dims \[1, 65536, 65536\]: expected at most 268435456 values/);
    expect(idxByteSize(idx(0x08, [2, 3]), 'i.idx')).toBe(4 + 8 + 6);
  });

  it('a gzipped IDX whose header declares 4·10^9 pixels is refused at the header (before the rest is inflated)', async () => {
    const bomb = new Uint8Array([...gzipSync(idx(0x08, [1, 65536, 65536])), ...gzipSync(new Uint8Array(1 << 20))]);
    await expect(readIdx(bomb, 'bomb-idx3-ubyte.gz')).rejects.toThrow(/^bomb-idx3-ubyte\.gz: dims \[1, 65536, 65536\]: expected at most 268435456 values/);
  });

  it('a gzipped IDX that goes on past its declared size is refused while inflating', async () => {
    const bomb = new Uint8Array([...gzipSync(idx(0x08, [2, 2])), ...gzipSync(new Uint8Array(1 << 20))]);
    await expect(readIdx(bomb, 'tail.idx.gz')).rejects.toThrow(/^tail\.idx\.gz: data size: expected 16 bytes \(as its header declares\), got more/);
    const ok = gzipSync(idx(0x08, [2, 2], new Uint8Array([1, 2, 3, 4])));
    expect(Array.from((await readIdx(ok, 'ok.idx.gz')).data)).toEqual([1, 2, 3, 4]);
  });

  it('gunzipSized allocates exactly what the header declares; a file shorter than its header goes to the reader', async () => {
    const sizeOf = (h: Uint8Array): number | null => (h.length >= 4 ? 4 + h[3] : null);
    const out = await gunzipSized(gzipSync(new Uint8Array([9, 9, 9, 3, 1, 2, 3])), 'x.gz', sizeOf);
    expect(Array.from(out)).toEqual([9, 9, 9, 3, 1, 2, 3]);
    expect(out.buffer.byteLength).toBe(7);
    expect(Array.from(await gunzipSized(gzipSync(new Uint8Array([1, 2])), 'x.gz', sizeOf))).toEqual([1, 2]);
  });

  it('checkElements names the file and field; NaN and Infinity (hostile products) are refused too', () => {
    expect(() => checkElements('f', 'g', MAX_ELEMENTS)).not.toThrow();
    expectInputError(() => checkElements('f.npy', 'shape', MAX_ELEMENTS + 1), /^f\.npy: shape: expected at most 268435456 values/);
    expectInputError(() => checkElements('f.npy', 'shape', NaN), /^f\.npy: shape: expected at most/);
  });
});

describe('bombs say "decompresses past N bytes", checked while inflating', () => {
  it('gzip past the cap', async () => {
    await expect(gunzip(gzipSync(new Uint8Array(1 << 20)), 'bomb.gz', 1000)).rejects.toThrow(/^bomb\.gz: gzip data: decompresses past 1000 bytes \(the limit\)/);
  });

  it('a zip member inflating past its declared size is refused at that size; one declaring more than the cap before inflating', async () => {
    const zip = rawZip([{ name: 'ensemble.json', data: new Uint8Array(8 << 20).fill(0x20), declaredSize: 100 }]);
    await expect(unzipMember(zip, 'z.zip', 'ensemble.json')).rejects.toThrow(/^z\.zip: ensemble\.json: deflate-raw data: decompresses past 100 bytes \(its declared size\)/);
    const huge = rawZip([{ name: 'a', data: enc('{}'), declaredSize: 0xfffffff0 }]);
    await expect(unzipMember(huge, 'h.zip', 'a', 1 << 24)).rejects.toThrow(/^h\.zip: member "a": size: expected at most 16777216 bytes \(the limit\), got 4294967280 declared/);
  });

  it('the stored-member path checks the declared size before copying', async () => {
    const zip = rawZip([{ name: 'a', data: enc('hello'), method: 0, declaredSize: 3 }]);
    await expect(unzipMember(zip, 's.zip', 'a')).rejects.toThrow(/^s\.zip: member "a": size: expected 3 bytes/);
    expect(deflateRawSync(enc('x')).length).toBeGreaterThan(0);
  });
});

describe('zip entries and ensemble manifests', () => {
  it('duplicate entry names are refused, naming the entry (other tools read the last copy, we would read the first)', () => {
    const zip = rawZip([
      { name: 'a.txt', data: enc('one') },
      { name: 'a.txt', data: enc('two') },
    ]);
    expectInputError(() => listZip(zip, 'dup.zip'), /^dup\.zip: member "a\.txt": expected each name once, got it twice/);
  });

  const manifest = (folders: string[]): string =>
    JSON.stringify({ format: 'sae-workbench-ensemble', version: 1, method: 'bagging', members: folders.length, folders, seeds: folders.map((_, i) => i), dataset: 'd', step: 0, config: {} });

  it('a manifest naming "..", "." or a folder twice is refused; separators were already', () => {
    expectInputError(() => parseEnsembleManifest(manifest(['member-1', '..']), 'ensemble.json'), /^ensemble\.json: folders\[1\]: expected a folder name inside the ensemble .*got "\.\."/);
    expectInputError(() => parseEnsembleManifest(manifest(['.']), 'ensemble.json'), /^ensemble\.json: folders\[0\]: .*got "\."/);
    expectInputError(() => parseEnsembleManifest(manifest(['m', 'm']), 'ensemble.json'), /^ensemble\.json: folders\[1\]: expected a folder not named before/);
    expectInputError(() => parseEnsembleManifest(manifest(['../x']), 'ensemble.json'), /^ensemble\.json: folders: expected 1\.\.16 folder names/);
    expect(parseEnsembleManifest(manifest(['member-1', 'member.2']), 'ensemble.json').folders).toEqual(['member-1', 'member.2']);
  });
});

describe('CSV: one row capped, values counted before any row is stored', () => {
  it('a row of 10^6 values is refused at the line cap, before it is split', () => {
    expectInputError(() => parseCsv(enc('0,'.repeat(1_000_000) + '0\n'), 'wide.csv'), new RegExp(`^wide\\.csv: line 1: expected at most ${MAX_CSV_LINE_CHARS} characters per row`));
    expectInputError(() => parseCsv(enc('1,2\n' + '0,'.repeat(1_000_000)), 'wide.csv', { chunkBytes: 4096 }), /^wide\.csv: line 2: expected at most/); // no newline at all
  });

  it('the counter bounds the values from above and refuses past MAX_ELEMENTS', () => {
    const c = createCsvCounter('c.csv');
    c.push(enc('a1,b2\n1.5,-2e3\n'));
    c.push(enc('7,'));
    c.push(enc('8\n'));
    expect(c.count).toBe(6); // header runs "1", "2" included: an upper bound
    const huge = createCsvCounter('h.csv');
    const chunk = enc('0,'.repeat(8 << 20)); // 2^23 numbers
    expect(() => {
      for (let i = 0; i <= MAX_ELEMENTS / (8 << 20); i++) huge.push(chunk);
    }).toThrow(/^h\.csv: values \(numbers in its text so far\): expected at most 268435456 values/);
  });

  it('gzip CSV parses to the same table as the plain file, at exactly its size', async () => {
    const text = enc('x,y\n1,2\n3,4\n5,6\n');
    const plain = parseCsv(text, 't.csv');
    const gz = await readCsv(gzipSync(text), 't.csv.gz');
    expect(gz).toEqual(plain);
    expect(gz.x.length).toBe(6);
  });
});

describe('every reader error names its file', () => {
  it('a RangeError (a runtime limit) becomes an InputError naming the file; other errors pass unchanged', () => {
    const e = namedReadError('f.npy', new RangeError('Maximum call stack size exceeded'));
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(/^f\.npy: could not be read: Maximum call stack size exceeded/);
    const other = new TypeError('x');
    expect(namedReadError('f.npy', other)).toBe(other);
  });
});
