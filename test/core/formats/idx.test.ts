// IDX reader: hand-built big-endian fixtures of every dtype, a table of hostile or malformed files
// whose messages must name the file and the field, gzip via DecompressionStream, and the shipped
// Fashion-MNIST test split checked against its raw bytes read independently here (node:zlib).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { expectInputError } from '../../helpers/bytes.ts';
import { InputError } from '../../../src/core/errors.ts';
import { FASHION_MNIST_CLASSES, idxImages, idxLabelledImages, idxLabels, parseIdx, readFashionMnist, readIdx } from '../../../src/core/formats/idx.ts';
import { datasetCard } from '../../../src/core/data/card.ts';
import { crc32, gunzip, maybeGunzip } from '../../../src/core/formats/inflate.ts';

const DATA = join(__dirname, '../../../public/data');

/** An IDX file by hand: 0, 0, dtype code, ndim, then big-endian u32 dims, then `payload` verbatim. */
function idx(code: number, dims: number[], payload: number[] | Uint8Array = []): Uint8Array {
  const p = payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
  const out = new Uint8Array(4 + 4 * dims.length + p.length);
  const v = new DataView(out.buffer);
  out.set([0, 0, code, dims.length]);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(p, 4 + 4 * dims.length);
  return out;
}

/** Big-endian bytes of `values` written with a DataView setter of `size` bytes. */
function be(values: number[], size: number, set: (v: DataView, o: number, x: number) => void): Uint8Array {
  const b = new Uint8Array(values.length * size);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => set(v, i * size, x));
  return b;
}

describe('parseIdx: every IDX dtype, big-endian', () => {
  it.each([
    ['u8', 0x08, [2, 3], Uint8Array.from([0, 1, 2, 253, 254, 255]), [0, 1, 2, 253, 254, 255]],
    ['i8', 0x09, [4], Uint8Array.from([0x00, 0x7f, 0x80, 0xff]), [0, 127, -128, -1]],
    ['i16', 0x0b, [3], be([1, -2, 32767], 2, (v, o, x) => v.setInt16(o, x, false)), [1, -2, 32767]],
    ['i32', 0x0c, [1, 2], be([-70000, 2147483647], 4, (v, o, x) => v.setInt32(o, x, false)), [-70000, 2147483647]],
    ['f32', 0x0d, [2], be([1.5, -0.25], 4, (v, o, x) => v.setFloat32(o, x, false)), [1.5, -0.25]],
    ['f64', 0x0e, [2], be([1e-300, -3.25], 8, (v, o, x) => v.setFloat64(o, x, false)), [1e-300, -3.25]],
  ])('%s', (dtype, code, dims, payload, expected) => {
    const a = parseIdx(idx(code, dims, payload), 'a.idx');
    expect(a.dtype).toBe(dtype);
    expect(a.dims).toEqual(dims);
    expect(Array.from(a.data)).toEqual(expected);
  });

  it('reads a file whose bytes are a view at an odd offset of a larger buffer', () => {
    const f = idx(0x0b, [2], be([258, -1], 2, (v, o, x) => v.setInt16(o, x, false)));
    const host = new Uint8Array(f.length + 3);
    host.set(f, 3);
    expect(Array.from(parseIdx(host.subarray(3), 'a.idx').data)).toEqual([258, -1]);
  });
});

describe('parseIdx rejects hostile and malformed files with a precise message', () => {
  const f32Nan = be([NaN], 4, (v, o, x) => v.setFloat32(o, x, false));
  it.each([
    ['empty', new Uint8Array(0), /a\.idx: header: expected at least 4 bytes.*got 0 bytes/],
    ['3 bytes', Uint8Array.from([0, 0, 8]), /header: expected at least 4 bytes/],
    ['bad magic (PNG)', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), /a\.idx: magic: expected an IDX magic number.*got 0x89504e47: not an IDX file/],
    ['unknown dtype 0x0A', idx(0x0a, [1], [0]), /magic: .*got 0x00000a01/],
    ['zero dims', idx(0x08, []), /number of dims: expected at least 1, got 0/],
    ['header truncated', idx(0x08, [10, 28, 28]).subarray(0, 10), /header: expected 16 bytes .* got 10 bytes: the file is truncated/],
    ['data truncated', idx(0x08, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7]), /dims \[2, 2, 2\]: expected 16 \+ 2·2·2·1 = 24 bytes \(u8\), got 23 bytes: the file is truncated/],
    ['trailing bytes', idx(0x08, [2], [1, 2, 3]), /dims \[2\]: expected 8 \+ 2·1 = 10 bytes \(u8\), got 11 bytes: trailing bytes: the dims are wrong/],
    ['dims overflow 2^53', idx(0x08, [0xffffffff, 0xffffffff, 0xffffffff], [1]), /more than 2\^53 bytes/],
    ['dims exceed the bytes present', idx(0x0e, [65536, 65536], [1, 2, 3]), /expected 12 \+ 65536·65536·8 = 34359738380 bytes/],
    ['f32 NaN', idx(0x0d, [1], f32Nan), /data\[0\]: expected a finite number, got NaN/],
    ['gzip', gzipSync(idx(0x08, [1], [7])), /is gzip-compressed: decompress it first/],
  ])('%s', (_label, bytes, re) => {
    expectInputError(() => parseIdx(bytes, 'a.idx'), re);
  });
});

describe('idxImages and idxLabels', () => {
  it('images: [n, rows·cols], u8 scaled by 1/255', () => {
    const d = idxImages(parseIdx(idx(0x08, [2, 1, 3], [0, 255, 51, 102, 0, 255]), 'i'), 'i', 'imgs');
    expect([d.name, d.rows, d.dIn]).toEqual(['imgs', 2, 3]);
    expect(Array.from(d.x)).toEqual(Array.from(Float32Array.from([0, 1, 0.2, 0.4, 0, 1])));
  });

  it('images of a non-u8 dtype keep their values', () => {
    const d = idxImages(parseIdx(idx(0x0b, [1, 2], be([-3, 300], 2, (v, o, x) => v.setInt16(o, x, false))), 'i'), 'i');
    expect(Array.from(d.x)).toEqual([-3, 300]);
  });

  it('labels: 1-D integers → Int32Array', () => {
    expect(Array.from(idxLabels(parseIdx(idx(0x08, [3], [9, 0, 3]), 'l'), 'l'))).toEqual([9, 0, 3]);
  });

  it.each([
    ['images from a 1-D file', () => idxImages(parseIdx(idx(0x08, [3], [1, 2, 3]), 'f'), 'f'), /f: dims: expected at least 2 .*got \[3\]: this is a labels file/],
    ['images with zero items', () => idxImages(parseIdx(idx(0x08, [0, 28, 28]), 'f'), 'f'), /dims: expected at least 1 item/],
    ['labels from a 3-D file', () => idxLabels(parseIdx(idx(0x08, [1, 1, 1], [0]), 'f'), 'f'), /dims: expected 1 .*got \[1, 1, 1\]/],
    ['float labels', () => idxLabels(parseIdx(idx(0x0d, [1], be([1], 4, (v, o, x) => v.setFloat32(o, x, false))), 'f'), 'f'), /dtype: expected an integer type/],
    [
      'label count mismatch',
      () => idxLabelledImages(idx(0x08, [2, 1, 1], [0, 1]), idx(0x08, [3], [0, 1, 2]), { images: 'i', labels: 'l' }, 'x'),
      /l: count: expected 2 labels \(one per image in i\), got 3/,
    ],
    [
      'label out of the class range',
      () => idxLabelledImages(idx(0x08, [2, 1, 1], [0, 1]), idx(0x08, [2], [0, 10]), { images: 'i', labels: 'l' }, 'x', FASHION_MNIST_CLASSES),
      /l: label\[1\]: expected a class id in \[0, 9\], got 10/,
    ],
  ])('rejects %s', (_label, fn, re) => {
    expectInputError(fn, re);
  });
});

describe('gzip (DecompressionStream)', () => {
  it('readIdx reads gzipped and plain files alike', async () => {
    const f = idx(0x08, [2], [4, 5]);
    expect(Array.from((await readIdx(gzipSync(f), 'a.gz')).data)).toEqual([4, 5]);
    expect(Array.from((await readIdx(f, 'a')).data)).toEqual([4, 5]);
    expect(await maybeGunzip(f, 'a')).toBe(f);
  });

  it('rejects a truncated gzip stream and a non-gzip file', async () => {
    const gz = gzipSync(idx(0x08, [1000], new Uint8Array(1000).fill(3)));
    await expect(gunzip(gz.subarray(0, gz.length - 12), 'a.gz')).rejects.toThrow(/a\.gz: gzip data: expected a complete, valid compressed stream/);
    await expect(gunzip(Uint8Array.from([1, 2, 3]), 'a.gz')).rejects.toThrow(InputError);
    await expect(gunzip(Uint8Array.from([1, 2, 3]), 'a.gz')).rejects.toThrow(/gzip magic: expected 1f 8b, got 01 02/);
  });

  it('refuses to decompress past maxBytes (a gzip bomb guard)', async () => {
    await expect(gunzip(gzipSync(new Uint8Array(1 << 20)), 'bomb.gz', 1000)).rejects.toThrow(/bomb\.gz: gzip data: decompresses past 1000 bytes \(the limit\)/);
  });

  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('the shipped Fashion-MNIST test split', () => {
  const imagesGz = new Uint8Array(readFileSync(join(DATA, 't10k-images-idx3-ubyte.gz')));
  const labelsGz = new Uint8Array(readFileSync(join(DATA, 't10k-labels-idx1-ubyte.gz')));

  it('10000 images of 784 pixels in [0, 1] with their labels; first label 9 (Ankle boot)', async () => {
    const d = await readFashionMnist(imagesGz, labelsGz);
    expect([d.name, d.rows, d.dIn]).toEqual(['builtin:fashion-mnist', 10000, 784]);
    expect(d.labels).toBeInstanceOf(Int32Array);
    expect(Array.from((d.labels as Int32Array).subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
    expect(d.labelNames[9]).toBe('Ankle boot');
    // Pixels against the raw bytes, read independently: a 16-byte header, then u8 pixels.
    const raw = gunzipSync(imagesGz);
    expect(raw.readUInt32BE(0)).toBe(0x803);
    for (const i of [0, 400, 784 * 5000 + 300, 784 * 10000 - 1]) expect(d.x[i]).toBe(Math.fround(raw[16 + i] / 255));
    // The test split is balanced: 1000 per class.
    const card = datasetCard(d);
    expect(card.labels?.counts.map((c) => c.count)).toEqual(new Array(10).fill(1000));
    expect(card.min).toBe(0);
    expect(card.max).toBe(1);
  });
});
