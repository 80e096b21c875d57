// .npy reader/writer and raw f32 reader: round trips, hand-built byte fixtures, and a table of
// malformed files whose messages must name the file and the field.
import { describe, expect, it } from 'vitest';
import { expectInputError, f32, f64, u16 } from '../../helpers/bytes.ts';
import { f16BitsToNumber, parseNpy, writeNpy } from '../../../src/core/formats/npy.ts';
import { parseRawF32, parseShape } from '../../../src/core/formats/raw.ts';
import { createRng } from '../../../src/core/math/random.ts';

/**
 * Builds an .npy file by hand: "\x93NUMPY", version major.0, header length (u16 LE for v1, u32 LE for
 * v2/v3), the header text (latin-1 / UTF-8 for v3), then `data` verbatim. No padding is added.
 */
function npy(header: string, data: Uint8Array, major = 1): Uint8Array {
  const h = new TextEncoder().encode(header);
  const pre = major === 1 ? 10 : 12;
  const out = new Uint8Array(pre + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, h.length, true);
  else view.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(data, pre + h.length);
  return out;
}

/** The header dict numpy writes, with a chosen descr and shape. */
const dict = (descr: string, shape: string, fortran = 'False'): string =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;

describe('writeNpy / parseNpy round trip', () => {
  it('returns identical values and identical bytes on re-write', () => {
    const rng = createRng(1);
    const data = Float32Array.from({ length: 7 * 5 }, () => rng.normal());
    const bytes = writeNpy(data, [7, 5]);
    const parsed = parseNpy(bytes, 'x.npy');
    expect(parsed.shape).toEqual([7, 5]);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
    expect(writeNpy(parsed.data, parsed.shape)).toEqual(bytes);
  });

  it('aligns the data to 64 bytes with a space-padded header ending in a newline (numpy layout)', () => {
    for (const shape of [
      [1, 1],
      [123456, 64],
      [0, 3],
    ] as [number, number][]) {
      const bytes = writeNpy(new Float32Array(shape[0] * shape[1]), shape);
      const headerLen = new DataView(bytes.buffer).getUint16(8, true);
      const dataStart = 10 + headerLen;
      expect(dataStart % 64).toBe(0);
      expect(bytes[dataStart - 1]).toBe(0x0a);
      const header = new TextDecoder().decode(bytes.subarray(10, dataStart));
      expect(header).toMatch(new RegExp(`^\\{'descr': '<f4', 'fortran_order': False, 'shape': \\(${shape[0]}, ${shape[1]}\\), \\} *\\n$`));
      expect(parseNpy(bytes, 'x.npy').shape).toEqual(shape);
    }
  });

  it('rejects a data length that does not match the shape', () => {
    expect(() => writeNpy(new Float32Array(5), [2, 3])).toThrow(/writeNpy: data\.length: expected 6 \(2 × 3\), got 5/);
  });
});

describe('parseNpy hand-built fixtures', () => {
  it('reads <f8 and converts to f32', () => {
    const values = [1.5, -2, 0.1, 1e-3, 3e38, -0];
    const p = parseNpy(npy(dict('<f8', '(2, 3)'), f64(values)), 'f8.npy');
    expect(p.shape).toEqual([2, 3]);
    expect(Array.from(p.data)).toEqual(values.map((v) => Math.fround(v)));
  });

  it('reads <f2 exactly: 1, -2, 65504, subnormals, ±0, 1/3', () => {
    // 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504 (max half), 0x0001 = 2^-24 (smallest subnormal),
    // 0x03FF = 1023·2^-24 (largest subnormal), 0x8000 = -0, 0x3555 = 0.33325195..., 0x0400 = 2^-14.
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x3555, 0x0400];
    const expected = [1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, -0, 0.333251953125, 2 ** -14];
    const p = parseNpy(npy(dict('<f2', '(4, 2)'), u16(bits)), 'f2.npy');
    expect(p.shape).toEqual([4, 2]);
    expect(Array.from(p.data)).toEqual(expected);
    expect(Object.is(p.data[5], -0)).toBe(true);
    expect(f16BitsToNumber(0x7c00)).toBe(Infinity);
    expect(f16BitsToNumber(0xfc00)).toBe(-Infinity);
    expect(f16BitsToNumber(0x7e00)).toBeNaN();
  });

  it('reads v2.0 and v3.0 headers (u32 header length; v3 is UTF-8)', () => {
    const data = f32([1, 2, 3, 4]);
    expect(parseNpy(npy(dict('<f4', '(2, 2)'), data, 2), 'v2.npy').data).toEqual(Float32Array.from([1, 2, 3, 4]));
    const v3 = npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), 'note': 'é✓'}\n`, data, 3);
    expect(parseNpy(v3, 'v3.npy').shape).toEqual([1, 4]);
  });

  it("accepts '=' and '|' byte orders, double quotes, py2 long ints, no trailing comma, odd spacing and unaligned data", () => {
    const data = f32([1, -1, 0.5]);
    for (const header of [
      dict('=f4', '(1, 3)'),
      dict('|f4', '(3, 1)'),
      `{"descr":"<f4","fortran_order":False,"shape":(1L,3L)}`,
      `{ 'shape' : ( 3 , 1 ) , 'fortran_order' : False , 'descr' : '<f4' }   \n`,
      `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3)}` + ' '.repeat(3), // data at an odd offset
    ]) {
      const p = parseNpy(npy(header, data), 'h.npy');
      expect(Array.from(p.data)).toEqual([1, -1, 0.5]);
    }
  });

  it('reads an empty [0, 4] array', () => {
    expect(parseNpy(npy(dict('<f4', '(0, 4)'), new Uint8Array(0)), 'e.npy')).toEqual({ shape: [0, 4], data: new Float32Array(0) });
  });
});

describe('parseNpy rejects malformed files, naming the file and field', () => {
  const good = npy(dict('<f4', '(2, 3)'), f32([1, 2, 3, 4, 5, 6]));
  const badMagic = good.slice();
  badMagic[1] = 0x58;
  const badVersion = good.slice();
  badVersion[6] = 4;
  const longHeader = good.slice(0, 40);
  const nan = npy(dict('<f4', '(2, 3)'), f32([1, 2, 3, 4, 5, NaN]));
  const inf = npy(dict('<f4', '(2, 3)'), f32([1, Infinity, 3, 4, 5, 6]));

  it.each<[string, Uint8Array, RegExp]>([
    ['truncated before the header', good.subarray(0, 5), /^x\.npy: file size: expected at least 10 bytes .*got 5 bytes/],
    ['bad magic', badMagic, /^x\.npy: magic: expected 93 4e 55 4d 50 59 .*got 93 58 55 4d 50 59/],
    ['unknown version', badVersion, /^x\.npy: version: expected 1\.0, 2\.0 or 3\.0, got 4\.0/],
    ['header length beyond the file', longHeader, /^x\.npy: header length: expected at most 30 bytes \(the rest of the file\), got \d+/],
    ['header not a dict literal', npy('hello world\n', new Uint8Array(0)), /^x\.npy: header \(character 0\): expected a value in a Python dict literal/],
    ['header unterminated string', npy("{'descr': '<f4", new Uint8Array(0)), /^x\.npy: header \(character \d+\): expected a closing '/],
    ['header missing a comma', npy("{'descr': '<f4' 'shape': (1, 1)}", f32([1])), /^x\.npy: header \(character 16\): expected ',' or '\}'/],
    ['header missing shape', npy(`{'descr': '<f4', 'fortran_order': False}`, f32([1])), /^x\.npy: header\.shape: expected present, got missing/],
    ['1-D array', npy(dict('<f4', '(6,)'), f32([1, 2, 3, 4, 5, 6])), /^x\.npy: shape: expected 2 dimensions \[rows, dIn\] \(reshape with x\.reshape\(-1, dIn\).*got \(6,\)/],
    ['3-D array', npy(dict('<f4', '(1, 2, 3)'), f32([1, 2, 3, 4, 5, 6])), /^x\.npy: shape: expected 2 dimensions \[rows, dIn\].*got \(1, 2, 3\)/],
    ['fortran order', npy(dict('<f4', '(2, 3)', 'True'), f32([1, 2, 3, 4, 5, 6])), /^x\.npy: fortran_order: expected False .*np\.ascontiguousarray.*got True/],
    ['big-endian', npy(dict('>f4', '(2, 3)'), f32([1, 2, 3, 4, 5, 6])), /^x\.npy: descr: expected little-endian .*astype\('<f4'\).*got big-endian '>f4'/],
    ['integer dtype', npy(dict('<i4', '(2, 3)'), f32([1, 2, 3, 4, 5, 6])), /^x\.npy: descr: expected '<f4', '<f8' or '<f2' \(convert with x\.astype\(np\.float32\)\), got '<i4'/],
    ['structured dtype', npy(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1)}`, f32([1])), /^x\.npy: descr: expected a float dtype string .*got \(\('a', '<f4'\)\)/],
    ['negative shape entry', npy(dict('<f4', '(-2, 3)'), f32([])), /^x\.npy: shape\[0\]: expected a non-negative integer, got -2/],
    ['fractional shape entry', npy(dict('<f4', '(2, 1.5)'), f32([])), /^x\.npy: shape\[1\]: expected a non-negative integer, got 1\.5/],
    ['data too short', npy(dict('<f4', '(2, 3)'), f32([1, 2, 3, 4, 5])), /^x\.npy: data size: expected 24 bytes \(2 × 3 × 4 for 'f4'\), got 20 bytes \(truncated file\)/],
    ['trailing garbage', npy(dict('<f4', '(2, 3)'), f32([1, 2, 3, 4, 5, 6, 7])), /^x\.npy: data size: expected 24 bytes .*got 28 bytes \(trailing bytes\)/],
    ['f8 data too short by one byte', npy(dict('<f8', '(1, 2)'), f64([1, 2]).subarray(0, 15)), /^x\.npy: data size: expected 16 bytes \(1 × 2 × 8 for 'f8'\), got 15 bytes/],
    ['NaN', nan, /^x\.npy: data\[1, 2\]: expected a finite number, got NaN/],
    ['Infinity', inf, /^x\.npy: data\[0, 1\]: expected a finite number, got Infinity/],
    ['f16 infinity', npy(dict('<f2', '(1, 2)'), u16([0x3c00, 0xfc00])), /^x\.npy: data\[0, 1\]: expected a finite number, got -Infinity/],
    ['f8 NaN', npy(dict('<f8', '(2, 1)'), f64([0, NaN])), /^x\.npy: data\[1, 0\]: expected a finite number, got NaN/],
    ['f8 beyond f32 range', npy(dict('<f8', '(1, 2)'), f64([0, 1e300])), /^x\.npy: data\[0, 1\]: expected a value within float32 range .*got 1e\+300/],
  ])('%s', (_name, bytes, re) => {
    expectInputError(() => parseNpy(bytes, 'x.npy'), re);
  });
});

describe('raw f32 files and the shape flag', () => {
  it('reads little-endian f32 rows and round-trips with the data section of writeNpy', () => {
    const rng = createRng(2);
    const data = Float32Array.from({ length: 12 }, () => rng.normal());
    const bytes = new Uint8Array(data.buffer.slice(0));
    expect(Array.from(parseRawF32(bytes, [3, 4], 'x.f32'))).toEqual(Array.from(data));
  });

  it.each<[string, Uint8Array, [number, number], RegExp]>([
    ['too short', f32([1, 2, 3]), [2, 2], /^x\.f32: file size: expected 16 bytes \(2 × 2 × 4 for little-endian f32\), got 12 bytes/],
    ['trailing bytes', f32([1, 2, 3, 4, 5, 6]), [2, 2], /^x\.f32: file size: expected 16 bytes .*got 24 bytes \(3 rows of 2 f32\)/],
    ['not whole floats', new Uint8Array(17), [2, 2], /^x\.f32: file size: expected 16 bytes .*got 17 bytes \(not a whole number of f32 values\)/],
    ['NaN', f32([1, 2, NaN, 4]), [2, 2], /^x\.f32: data\[1, 0\]: expected a finite number, got NaN/],
    ['bad shape', f32([]), [-1, 2], /^x\.f32: shape: expected two non-negative integers/],
  ])('rejects %s', (_name, bytes, shape, re) => {
    expectInputError(() => parseRawF32(bytes, shape, 'x.f32'), re);
  });

  it('parses "rows,cols" and "rowsxcols"', () => {
    expect(parseShape('1000,64', '--shape')).toEqual([1000, 64]);
    expect(parseShape('1000x64', '--shape')).toEqual([1000, 64]);
    expect(parseShape(' 7 X 3 ', '--shape')).toEqual([7, 3]);
  });

  it.each(['1000', '1000,64,3', 'a,b', '0,64', '10,-1', '1.5,2', ''])('rejects the shape flag %j', (text) => {
    expectInputError(() => parseShape(text, '--shape'), /^--shape: shape: expected two positive integers like "1000,64" or "1000x64", got ".*"/);
  });
});

describe('Node Buffers', () => {
  it('reads f4 data out of a Node Buffer whose slice() would share its pool', () => {
    const bytes = writeNpy(new Float32Array([1.5, -2, 3.25, 4]), [2, 2]);
    const pooled = Buffer.alloc(bytes.length + 24);
    pooled.set(bytes, 24); // not at offset 0 of its ArrayBuffer, as pool-allocated Buffers are
    const { data } = parseNpy(pooled.subarray(24), 'pooled.npy');
    expect(Array.from(data)).toEqual([1.5, -2, 3.25, 4]);
  });
});
