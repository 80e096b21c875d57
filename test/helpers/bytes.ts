// Byte builders for file-format tests: little-endian f32/f64/u16 payloads and an InputError matcher.
import { expect } from 'vitest';
import { InputError } from '../../src/core/errors.ts';

/** Little-endian bytes of `values` as f32. */
export function f32(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat32(i * 4, x, true));
  return b;
}

/** Little-endian bytes of `values` as f64. */
export function f64(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 8);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat64(i * 8, x, true));
  return b;
}

/** Little-endian bytes of raw u16 bit patterns (f16 / bf16 payloads). */
export function u16(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setUint16(i * 2, x, true));
  return b;
}

/** Asserts that fn throws an InputError whose message matches re. */
export function expectInputError(fn: () => unknown, re: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(re);
}
