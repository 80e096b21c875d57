// safetensors reader/writer: round trips, hand-built files (BF16/F16/F64), and a table of malformed
// files whose messages must name the file, the tensor and the field.
import { describe, expect, it } from 'vitest';
import { expectInputError, f32, f64, u16 } from '../../helpers/bytes.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { parseSafetensors, writeSafetensors } from '../../../src/core/formats/safetensors.ts';

/**
 * Builds a safetensors file by hand: u64 LE header length N, N bytes of `header` (a JSON object, or a
 * raw string or raw bytes when given one), then `data` verbatim as the data section. No padding is added.
 */
function st(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h =
    header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, h.length, true);
  view.setUint32(4, 0, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const F32 = (shape: number[], start: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [start, end] });

describe('writeSafetensors / parseSafetensors round trip', () => {
  const rng = createRng(3);
  const a = Float32Array.from({ length: 12 }, () => rng.normal());
  const b = Float32Array.from({ length: 5 }, () => rng.normal());
  const tensors = {
    W_enc: { shape: [3, 4], data: a },
    b_enc: { shape: [5], data: b },
    empty: { shape: [2, 0], data: new Float32Array(0) },
    scalar: { shape: [], data: Float32Array.from([2.5]) },
  };

  it('returns identical values, shapes, metadata and identical bytes on re-write', () => {
    const bytes = writeSafetensors(tensors, { format: 'pt', note: 'é' });
    const parsed = parseSafetensors(bytes, 'w.safetensors');
    expect(Object.keys(parsed.tensors)).toEqual(['W_enc', 'b_enc', 'empty', 'scalar']);
    expect(parsed.metadata).toEqual({ format: 'pt', note: 'é' });
    for (const [name, t] of Object.entries(tensors)) {
      expect(parsed.tensors[name].dtype).toBe('F32');
      expect(parsed.tensors[name].shape).toEqual(t.shape);
      expect(Array.from(parsed.tensors[name].data)).toEqual(Array.from(t.data));
    }
    expect(writeSafetensors(parsed.tensors, parsed.metadata)).toEqual(bytes);
  });

  it('pads the header with spaces to a multiple of 8 and lays tensors out in insertion order', () => {
    for (const meta of [undefined, { a: 'x' }, { a: 'xy' }, { a: 'xyz' }]) {
      const bytes = writeSafetensors(tensors, meta);
      const n = new DataView(bytes.buffer).getUint32(0, true);
      expect(n % 8).toBe(0);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(text).toMatch(/^\{.*\} *$/);
      const header = JSON.parse(text) as Record<string, { data_offsets: [number, number] }>;
      expect(header.W_enc.data_offsets).toEqual([0, 48]);
      expect(header.b_enc.data_offsets).toEqual([48, 68]);
      expect(header.empty.data_offsets).toEqual([68, 68]);
      expect(header.scalar.data_offsets).toEqual([68, 72]);
      expect(bytes.length).toBe(8 + n + 72);
    }
  });

  it('rejects inconsistent or non-finite input when writing', () => {
    expect(() => writeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      /writeSafetensors: w\.data\.length: expected 4 \(shape \[2, 2\]\), got 3/,
    );
    expect(() => writeSafetensors({ w: { shape: [2, 2], data: Float32Array.from([0, 0, NaN, 0]) } })).toThrow(
      /writeSafetensors: w\[1, 0\]: expected a finite number, got NaN/,
    );
  });
});

describe('parseSafetensors hand-built fixtures', () => {
  it('reads BF16, F16 and F64 tensors (unaligned offsets included) and converts to f32', () => {
    // BF16 bits: 0x3F80 = 1, 0xC000 = -2, 0x3EAB = 0.333984375, 0x7F7F = 3.3895314e38 (max bf16), 0x0001 (subnormal)
    const bf16 = u16([0x3f80, 0xc000, 0x3eab, 0x7f7f, 0x0001]);
    // F16 bits: 0x3C00 = 1, 0x7BFF = 65504, 0x0001 = 2^-24 (subnormal)
    const f16 = u16([0x3c00, 0x7bff, 0x0001]);
    const dbl = f64([0.1, -1e-30]);
    const header = {
      __metadata__: { format: 'pt' },
      bf: { dtype: 'BF16', shape: [5], data_offsets: [0, 10] },
      half: { dtype: 'F16', shape: [1, 3], data_offsets: [10, 16] },
      dbl: { dtype: 'F64', shape: [2, 1], data_offsets: [16, 32] },
    };
    const { tensors, metadata } = parseSafetensors(st(header, concat(bf16, f16, dbl)), 'mix.safetensors');
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.bf.dtype).toBe('BF16');
    expect(Array.from(tensors.bf.data)).toEqual([1, -2, 0.333984375, 3.3895313892515355e38, 2 ** -133]);
    expect(tensors.half).toEqual({ dtype: 'F16', shape: [1, 3], data: Float32Array.from([1, 65504, 2 ** -24]) });
    expect(tensors.dbl.shape).toEqual([2, 1]);
    expect(Array.from(tensors.dbl.data)).toEqual([Math.fround(0.1), Math.fround(-1e-30)]);
  });

  it('accepts a header padded with trailing spaces and tensors listed out of offset order', () => {
    const header = JSON.stringify({ b: F32([1], 4, 8), a: F32([1], 0, 4) }) + '   ';
    const { tensors } = parseSafetensors(st(header, f32([1, 2])), 'p.safetensors');
    expect(tensors.a.data[0]).toBe(1);
    expect(tensors.b.data[0]).toBe(2);
  });
});

describe('parseSafetensors rejects malformed files, naming the file, tensor and field', () => {
  const data16 = f32([1, 2, 3, 4]);
  const absurd = new Uint8Array(16);
  new DataView(absurd.buffer).setUint32(4, 1, true); // header length ≥ 2^32
  const beyond = new Uint8Array(10);
  new DataView(beyond.buffer).setUint32(0, 100, true);

  it.each<[string, Uint8Array, RegExp]>([
    ['truncated before the header length', new Uint8Array(5), /^w\.safetensors: file size: expected at least 8 bytes .*got 5 bytes \(truncated file\)/],
    ['header length beyond the file', beyond, /^w\.safetensors: header length: expected at most 2 bytes \(the rest of the file\), got 100/],
    ['absurd header length', absurd, /^w\.safetensors: header length: expected at most 100000000 bytes .*got 4294967296/],
    ['header not JSON', st('{"w": {"dtype": "F32",', data16), /^w\.safetensors: header: expected UTF-8 JSON, got unparseable/],
    ['header not UTF-8', st(Uint8Array.from([0x7b, 0xff, 0x7d])), /^w\.safetensors: header: expected UTF-8 JSON/],
    ['header a JSON array', st('[1, 2]'), /^w\.safetensors: header: expected a JSON object, got \[1,2\]/],
    ['tensor entry not an object', st({ w: 3 }), /^w\.safetensors: w: expected an object \{dtype, shape, data_offsets\}, got 3/],
    ['unsupported dtype', st({ w: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data16), /^w\.safetensors: w\.dtype: expected one of F32, F16, BF16, F64 .*got "I64"/],
    ['missing dtype', st({ w: { shape: [4], data_offsets: [0, 16] } }, data16), /^w\.safetensors: w\.dtype: expected one of F32, F16, BF16, F64.*got undefined/],
    ['negative shape', st({ w: F32([-4], 0, 16) }, data16), /^w\.safetensors: w\.shape: expected an array of non-negative integers, got \[-4\]/],
    ['bad data_offsets', st({ w: { dtype: 'F32', shape: [4], data_offsets: [0] } }, data16), /^w\.safetensors: w\.data_offsets: expected \[start, end\], two non-negative integers, got \[0\]/],
    ['end before start', st({ w: F32([0], 8, 4) }, data16), /^w\.safetensors: w\.data_offsets: expected end ≥ start, got \[8, 4\]/],
    ['offsets outside the file', st({ w: F32([2, 4], 0, 32) }, data16), /^w\.safetensors: w\.data_offsets: expected within the data section \(end ≤ 16 bytes\), got \[0, 32\] \(truncated file\?\)/],
    ['size mismatch', st({ w: F32([2, 2], 0, 12) }, data16), /^w\.safetensors: w\.data_offsets: expected 16 bytes \(shape \[2, 2\] × 4 for F32\), got 12 bytes \[0, 12\]/],
    ['overlapping tensors', st({ a: F32([3], 0, 12), b: F32([2], 8, 16) }, data16), /^w\.safetensors: b\.data_offsets: expected start ≥ 12 \(no overlap with tensor 'a'\), got \[8, 16\] overlaps 'a'/],
    ['a hole between tensors', st({ a: F32([1], 0, 4), b: F32([2], 8, 16) }, data16), /^w\.safetensors: b\.data_offsets: expected start = 4 \(tensors must be contiguous\), got \[8, 16\] \(a 4-byte hole\)/],
    ['trailing bytes', st({ a: F32([3], 0, 12) }, data16), /^w\.safetensors: data size: expected 12 bytes .*got 16 bytes \(trailing bytes\)/],
    ['metadata not an object', st({ __metadata__: 'x' }), /^w\.safetensors: __metadata__: expected an object of strings, got "x"/],
    ['metadata value not a string', st({ __metadata__: { step: 3 } }), /^w\.safetensors: __metadata__\.step: expected a string, got 3/],
    ['NaN in a matrix', st({ W: F32([2, 2], 0, 16) }, f32([1, 2, NaN, 4])), /^w\.safetensors: W\[1, 0\]: expected a finite number, got NaN/],
    ['Infinity in a vector', st({ b: F32([4], 0, 16) }, f32([1, 2, 3, -Infinity])), /^w\.safetensors: b\[3\]: expected a finite number, got -Infinity/],
    ['BF16 Infinity', st({ b: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] } }, u16([0, 0, 0x7f80])), /^w\.safetensors: b\[2\]: expected a finite number, got Infinity/],
    ['F16 NaN', st({ b: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, u16([0x7e00, 0])), /^w\.safetensors: b\[0\]: expected a finite number, got NaN/],
    ['F64 beyond f32 range', st({ b: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, f64([0, -1e39])), /^w\.safetensors: b\[1\]: expected a value within float32 range .*got -1e\+39/],
  ])('%s', (_name, bytes, re) => {
    expectInputError(() => parseSafetensors(bytes, 'w.safetensors'), re);
  });
});
