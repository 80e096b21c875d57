// NumPy .npy reader and writer for 2-D float activation matrices (v1.0/2.0/3.0, '<f2'/'<f4'/'<f8',
// C order), converted to Float32Array. Every malformed input is an InputError naming the file and field.
// Imports only src/core (no node:fs, no DOM): callers pass the file's bytes.

import { InputError, assertFinite, formatError } from '../errors.ts';
import { MAX_NPY_HEADER_BYTES, MAX_NPY_HEADER_DEPTH, checkElements } from './limits.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** numpy aligns the data section to 64 bytes (numpy.lib.format.ARRAY_ALIGN). */
const ARRAY_ALIGN = 64;
const F32_MAX = 3.4028234663852886e38;

type NpyDtype = 'f2' | 'f4' | 'f8';
const ITEM_SIZE: Record<NpyDtype, number> = { f2: 2, f4: 4, f8: 8 };

/** True on little-endian hosts (all current browsers/Node targets); big-endian hosts fall back to DataView. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------------
// Float conversions shared with safetensors.ts

/** IEEE 754 binary16 bits → number (exact; subnormals, ±Inf and NaN included). No Float16Array needed. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero or subnormal: frac · 2^-14 · 2^-10
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Decodes `count` little-endian elements of `dtype` starting at bytes[offset] into f32.
 * f8 values must be finite and within f32 range (checked here, before rounding would turn them into ±Inf).
 */
export function decodeLittleEndian(
  bytes: Uint8Array,
  offset: number,
  count: number,
  dtype: 'f2' | 'bf16' | 'f4' | 'f8',
  source: string,
  field: string,
  cols?: number,
): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * (dtype === 'f8' ? 8 : dtype === 'f4' ? 4 : 2));
  // f4 on a little-endian host: one aligned copy of the bytes is the result. (A copy made with the
  // Uint8Array constructor: a Node Buffer's own slice() shares the whole pool and would not copy.)
  const out = dtype === 'f4' && HOST_LITTLE_ENDIAN ? new Float32Array(new Uint8Array(bytes.subarray(offset, offset + count * 4)).buffer) : new Float32Array(count);
  if (dtype === 'f4') {
    if (!HOST_LITTLE_ENDIAN) for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'f8') {
    for (let i = 0; i < count; i++) {
      const v = view.getFloat64(i * 8, true);
      if (!Number.isFinite(v)) throw formatError(source, at(field, i, cols), 'a finite number', String(v));
      if (Math.abs(v) > F32_MAX) {
        throw formatError(source, at(field, i, cols), 'a value within float32 range (|v| ≤ 3.4028e38)', String(v));
      }
      out[i] = v;
    }
  } else if (dtype === 'f2') {
    for (let i = 0; i < count; i++) out[i] = f16BitsToNumber(view.getUint16(i * 2, true));
  } else {
    // bfloat16: the top 16 bits of an f32.
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
  }
  assertFinite(out, source, field, cols);
  return out;
}

function at(field: string, i: number, cols?: number): string {
  return cols ? `${field}[${Math.floor(i / cols)}, ${i % cols}]` : `${field}[${i}]`;
}

// ---------------------------------------------------------------------------------------------------
// Python literal parser for the header dict (no eval): dicts, tuples, lists, strings, ints, True/False/None.
// Recursive, but only MAX_NPY_HEADER_DEPTH brackets deep: a header of 10^5 nested tuples is refused here,
// naming the key it sits under, instead of overflowing the stack.

type PyValue = string | number | boolean | null | PyValue[] | Map<string | number, PyValue>;

class PyLiteralParser {
  private pos = 0;
  private depth = 0;
  /** The top-level key whose value is being read (names the field in a depth error). */
  private key: string | number | null = null;
  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  parseDocument(): PyValue {
    const v = this.value();
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('end of the header dict');
    return v;
  }

  private fail(expected: string): never {
    const snippet = this.text.slice(this.pos, this.pos + 20);
    throw formatError(
      this.source,
      `header (character ${this.pos})`,
      `${expected} in a Python dict literal like {'descr': '<f4', 'fortran_order': False, 'shape': (1000, 64), }`,
      this.pos >= this.text.length ? 'end of header' : JSON.stringify(snippet),
    );
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private value(): PyValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{' || c === '(' || c === '[') {
      if (this.depth >= MAX_NPY_HEADER_DEPTH) {
        throw formatError(
          this.source,
          this.key === null ? 'header' : String(this.key),
          `at most ${MAX_NPY_HEADER_DEPTH} levels of nested brackets (a shape is a tuple of integers like (1000, 64))`,
          `deeper nesting at character ${this.pos}: save the array again with numpy.save`,
        );
      }
      this.depth++;
      const v = c === '{' ? this.dict() : c === '(' ? this.sequence('(', ')') : this.sequence('[', ']');
      this.depth--;
      return v;
    }
    if (c === "'" || c === '"') return this.string();
    if (c !== undefined && /[-+0-9]/.test(c)) return this.number();
    for (const [word, v] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail('a value');
  }

  private dict(): Map<string | number, PyValue> {
    const m = new Map<string | number, PyValue>();
    this.pos++; // '{'
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return m;
      }
      const key = this.value();
      if (typeof key !== 'string' && typeof key !== 'number') this.fail('a string key');
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("':'");
      this.pos++;
      if (this.depth === 1) this.key = key;
      m.set(key, this.value());
      if (this.depth === 1) this.key = null;
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail("',' or '}'");
    }
  }

  private sequence(open: string, close: string): PyValue[] {
    const items: PyValue[] = [];
    this.pos++; // open
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`',' or '${close}' after item ${items.length - 1} of ${open}...${close}`);
    }
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let s = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++];
      if (c === quote) return s;
      if (c === '\\') {
        const e = this.text[this.pos++];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };
        if (e !== undefined && e in simple) s += simple[e];
        else if (e === 'x' || e === 'u') {
          const n = e === 'x' ? 2 : 4;
          const hex = this.text.slice(this.pos, this.pos + n);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) this.fail(`a \\${e} escape with ${n} hex digits`);
          s += String.fromCharCode(parseInt(hex, 16));
          this.pos += n;
        } else this.fail('a known string escape');
      } else s += c;
    }
    return this.fail(`a closing ${quote}`);
  }

  private number(): number {
    const m = /^[-+]?\d+(\.\d*)?([eE][-+]?\d+)?L?/.exec(this.text.slice(this.pos));
    if (!m) return this.fail('a number');
    this.pos += m[0].length;
    return Number(m[0].replace(/L$/, ''));
  }
}

// ---------------------------------------------------------------------------------------------------

function parseDescr(descr: PyValue, source: string): NpyDtype {
  if (typeof descr !== 'string') {
    throw formatError(source, 'descr', "a float dtype string like '<f4' (structured arrays are not supported)", describe(descr));
  }
  const m = /^([<>=|]?)([a-zA-Z])(\d+)$/.exec(descr);
  const supported = "'<f4', '<f8' or '<f2'";
  if (!m) throw formatError(source, 'descr', supported, `'${descr}'`);
  const [, order, kind, size] = m;
  const dtype = `${kind}${size}`;
  if (dtype !== 'f2' && dtype !== 'f4' && dtype !== 'f8') {
    throw formatError(source, 'descr', `${supported} (convert with x.astype(np.float32))`, `'${descr}'`);
  }
  if (order === '>') {
    throw formatError(source, 'descr', `little-endian ${supported} (save with x.astype('<${dtype}'))`, `big-endian '${descr}'`);
  }
  return dtype;
}

function describe(v: PyValue): string {
  if (v instanceof Map) return 'a dict';
  if (Array.isArray(v)) return `(${v.map((x) => describe(x)).join(', ')})`;
  if (typeof v === 'string') return `'${v}'`;
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

interface NpyHeader {
  dtype: NpyDtype;
  rows: number;
  cols: number;
  /** Byte offset of the data; the file is dataStart + rows·cols·itemSize bytes long. */
  dataStart: number;
}

/**
 * Parses an .npy file's magic, version and header dict (`bytes` may be just its head); checks the
 * shape against MAX_ELEMENTS. Returns null when `bytes` end before the header does and `partial` is set.
 */
function parseNpyHeader(bytes: Uint8Array, source: string, partial = false): NpyHeader | null {
  if (bytes.length < 10) {
    if (partial) return null;
    throw formatError(source, 'file size', 'at least 10 bytes (an .npy header)', `${bytes.length} bytes`);
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      const got = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw formatError(source, 'magic', '93 4e 55 4d 50 59 ("\\x93NUMPY", a NumPy .npy file)', got);
    }
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3 || minor !== 0) {
    throw formatError(source, 'version', '1.0, 2.0 or 3.0', `${major}.${minor}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else {
    if (bytes.length < 12) {
      if (partial) return null;
      throw formatError(source, 'file size', `at least 12 bytes (a v${major}.0 header)`, `${bytes.length} bytes`);
    }
    headerStart = 12;
    headerLen = view.getUint32(8, true);
  }
  if (headerLen > MAX_NPY_HEADER_BYTES) {
    throw formatError(source, 'header length', `at most ${MAX_NPY_HEADER_BYTES} bytes (numpy writes about 128)`, `${headerLen}: not an .npy file, or a hostile one`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    if (partial) return null;
    throw formatError(source, 'header length', `at most ${bytes.length - headerStart} bytes (the rest of the file)`, `${headerLen}`);
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  let headerText: string;
  if (major === 3) {
    try {
      headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw formatError(source, 'header', 'UTF-8 text (v3.0)', 'invalid UTF-8');
    }
  } else {
    headerText = '';
    for (const b of headerBytes) headerText += String.fromCharCode(b); // latin-1
  }
  headerText = headerText.replace(/\0+$/, '');

  const header = new PyLiteralParser(headerText, source).parseDocument();
  if (!(header instanceof Map)) throw formatError(source, 'header', 'a dict', describe(header));
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!header.has(key)) throw formatError(source, `header.${key}`, 'present', 'missing');
  }
  const dtype = parseDescr(header.get('descr') as PyValue, source);
  const fortran = header.get('fortran_order');
  if (typeof fortran !== 'boolean') throw formatError(source, 'fortran_order', 'True or False', describe(fortran as PyValue));
  if (fortran) {
    throw formatError(source, 'fortran_order', 'False (C order; save with np.save(path, np.ascontiguousarray(x)))', 'True');
  }
  const shapeValue = header.get('shape') as PyValue;
  if (!Array.isArray(shapeValue)) throw formatError(source, 'shape', 'a tuple like (1000, 64)', describe(shapeValue));
  shapeValue.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw formatError(source, `shape[${i}]`, 'a non-negative integer', describe(d));
    }
  });
  const dims = shapeValue as number[];
  if (dims.length === 1) {
    throw formatError(source, 'shape', `2 dimensions [rows, dIn] (reshape with x.reshape(-1, dIn), e.g. x.reshape(1, ${dims[0]}))`, `(${dims[0]},)`);
  }
  if (dims.length !== 2) {
    throw formatError(source, 'shape', '2 dimensions [rows, dIn] (reshape with x.reshape(-1, dIn))', describe(dims));
  }
  const [rows, cols] = dims;
  // Sizing a file before its bytes exist: the shape is all there is to check. A whole file is checked
  // against its length first (parseNpy), the more precise message when the shape is simply wrong.
  if (partial) checkElements(source, `shape (${rows}, ${cols})`, rows * cols);
  return { dtype, rows, cols, dataStart };
}

/**
 * The byte length an .npy file's header declares (magic, header and data), its shape checked against
 * MAX_ELEMENTS; null while `head` ends before the header does. For callers that allocate the file's
 * buffer before its bytes arrive (chunked uploads, a gunzip).
 */
export function npyByteSize(head: Uint8Array, source: string): number | null {
  const h = parseNpyHeader(head, source, true);
  return h && h.dataStart + h.rows * h.cols * ITEM_SIZE[h.dtype];
}

/**
 * Parses a .npy file holding a 2-D float array.
 * Returns data: [rows, cols] row-major f32, shape [rows, cols].
 */
export function parseNpy(bytes: Uint8Array, source: string): { shape: [number, number]; data: Float32Array } {
  const { dtype, rows, cols, dataStart } = parseNpyHeader(bytes, source)!;
  const itemSize = ITEM_SIZE[dtype];
  const count = rows * cols;
  const expectedBytes = count * itemSize;
  const gotBytes = bytes.length - dataStart;
  if (gotBytes !== expectedBytes) {
    const what = gotBytes < expectedBytes ? 'truncated file' : 'trailing bytes';
    throw formatError(
      source,
      'data size',
      `${expectedBytes} bytes (${rows} × ${cols} × ${itemSize} for '${dtype}')`,
      `${gotBytes} bytes (${what})`,
    );
  }
  checkElements(source, `shape (${rows}, ${cols})`, count);
  const data = decodeLittleEndian(bytes, dataStart, count, dtype, source, 'data', cols);
  return { shape: [rows, cols], data };
}

/**
 * Writes a 2-D f32 array as .npy v1.0 ('<f4', C order); the header is padded with spaces and ends in
 * '\n' so that the data starts at a multiple of 64 bytes, as numpy does.
 * data: [rows, cols] row-major.
 */
export function writeNpy(data: Float32Array, shape: [number, number]): Uint8Array {
  const [rows, cols] = shape;
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0) {
    throw formatError('writeNpy', 'shape', 'two non-negative integers', `[${rows}, ${cols}]`);
  }
  if (data.length !== rows * cols) {
    throw formatError('writeNpy', 'data.length', `${rows * cols} (${rows} × ${cols})`, `${data.length}`);
  }
  return writeNpyArray(data, shape);
}

/** The .npy descr of each typed array writeNpyArray takes (little-endian). */
const NPY_DESCR = { Float32Array: '<f4', Int32Array: '<i4', Uint8Array: '|u1' } as const;

/**
 * Writes an N-D f32, int32 or uint8 array as .npy v1.0 (C order), the header padded as writeNpy's. For label
 * arrays such as `sae-workbench geometry`'s int32 [N, N, k] and uint8 [N, N, dSae]. data: shape, row-major.
 */
export function writeNpyArray(data: Float32Array | Int32Array | Uint8Array, shape: readonly number[]): Uint8Array {
  if (!shape.every((n) => Number.isSafeInteger(n) && n >= 0)) throw formatError('writeNpyArray', 'shape', 'non-negative integers', `[${shape.join(', ')}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw formatError('writeNpyArray', 'data.length', `${count} (${shape.join(' × ')})`, `${data.length}`);
  const descr = data instanceof Float32Array ? NPY_DESCR.Float32Array : data instanceof Int32Array ? NPY_DESCR.Int32Array : NPY_DESCR.Uint8Array;
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + dict.length + 1; // magic+version+len, dict, '\n'
  const padding = (ARRAY_ALIGN - (unpadded % ARRAY_ALIGN)) % ARRAY_ALIGN;
  const header = dict + ' '.repeat(padding) + '\n';
  if (header.length > 0xffff) throw new InputError(`writeNpy: header: expected at most 65535 bytes, got ${header.length}`);
  const item = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(10 + header.length + data.length * item);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dataStart = 10 + header.length;
  if (HOST_LITTLE_ENDIAN || item === 1) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dataStart);
  } else if (data instanceof Float32Array) {
    for (let i = 0; i < data.length; i++) view.setFloat32(dataStart + i * 4, data[i], true);
  } else {
    for (let i = 0; i < data.length; i++) view.setInt32(dataStart + i * 4, data[i], true);
  }
  return out;
}
