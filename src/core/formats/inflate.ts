// Compressed containers of the shipped data: gzip (async, via the platform DecompressionStream, which
// browsers and Node ≥ 20 both have) and zip (the container parsed here, synchronously; the member is
// then inflated by DecompressionStream('deflate-raw') or by any caller-supplied inflater, e.g. node:zlib).
// Imports only src/core (no node:zlib, no DOM beyond the standard streams): callers pass bytes.

import { InputError, formatError } from '../errors.ts';

/** Refuse to decompress past this many bytes by default (a zip/gzip bomb guard): 1 GiB. */
export const MAX_DECOMPRESSED_BYTES = 1 << 30;

/** True when `bytes` start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** True when `bytes` start with a zip local file header "PK\x03\x04". */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Decompresses a whole gzip file (every member). Corrupt or truncated input → InputError. */
export function gunzip(bytes: Uint8Array, source: string, maxBytes = MAX_DECOMPRESSED_BYTES): Promise<Uint8Array> {
  if (!isGzip(bytes)) {
    return Promise.reject(formatError(source, 'gzip magic', '1f 8b', hexHead(bytes)));
  }
  return decompress(bytes, 'gzip', source, maxBytes);
}

/** `bytes` gunzipped when they start with the gzip magic, otherwise `bytes` itself. */
export async function maybeGunzip(bytes: Uint8Array, source: string, maxBytes = MAX_DECOMPRESSED_BYTES): Promise<Uint8Array> {
  return isGzip(bytes) ? gunzip(bytes, source, maxBytes) : bytes;
}

/** Inflates a raw DEFLATE stream (RFC 1951, no header), as found in a zip member. */
export function inflateRaw(bytes: Uint8Array, source: string, maxBytes = MAX_DECOMPRESSED_BYTES): Promise<Uint8Array> {
  return decompress(bytes, 'deflate-raw', source, maxBytes);
}

async function decompress(bytes: Uint8Array, format: 'gzip' | 'deflate-raw', source: string, maxBytes: number): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') {
    throw new InputError(`${source}: ${format} data needs DecompressionStream, which this runtime lacks: use Node ≥ 20 or a current browser, or decompress the file first`);
  }
  const ds = new DecompressionStream(format);
  const writer = ds.writable.getWriter();
  // Errors surface on the read side; the write side's rejection is observed here so it is never unhandled.
  const writing = writer
    .write(bytes as Uint8Array<ArrayBuffer>)
    .then(() => writer.close())
    .catch(() => undefined);
  const reader = ds.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw formatError(source, `${format} size`, `at most ${maxBytes} decompressed bytes`, `more`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw formatError(source, `${format} data`, 'a complete, valid compressed stream', `a decoding error (${why}): the file is corrupt or truncated; download it again`);
  }
  await writing;
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as stored in zip and gzip

let CRC_TABLE: Uint32Array | null = null;

/** CRC-32 of `bytes` (the zip/gzip checksum); crc32("123456789") = 0xCBF43926. */
export function crc32(bytes: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------------
// Zip container (PKWARE APPNOTE 6.3): end-of-central-directory → central directory → local header

/** One file inside a zip, located but not yet decompressed. */
export interface ZipMember {
  name: string;
  /** 0 = stored, 8 = deflate (the only two accepted). */
  method: 0 | 8;
  /** The member's compressed bytes (a view into the zip). */
  compressed: Uint8Array;
  /** Declared uncompressed size in bytes and CRC-32, checked after decompression. */
  size: number;
  crc32: number;
}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;

/** Every member of a zip file, from its central directory (sizes there are reliable even with data descriptors). */
export function listZip(zip: Uint8Array, source: string): ZipMember[] {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // The end-of-central-directory record is 22 bytes plus a comment of at most 65535 bytes.
  let eocd = -1;
  for (let p = zip.length - 22; p >= Math.max(0, zip.length - 22 - 0xffff); p--) {
    if (v.getUint32(p, true) === EOCD_SIG) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    throw formatError(source, 'end of central directory', 'a zip file (record "PK\\x05\\x06" near the end)', `none in ${zip.length} bytes: the file is not a zip or is truncated`);
  }
  const count = v.getUint16(eocd + 10, true);
  const cdSize = v.getUint32(eocd + 12, true);
  const cdOffset = v.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new InputError(`${source}: zip64 archives are not supported: re-create the zip without zip64 (members under 4 GiB)`);
  }
  if (cdOffset + cdSize > eocd) {
    throw formatError(source, 'central directory', `to end before byte ${eocd}`, `offset ${cdOffset} + size ${cdSize}: the file is truncated`);
  }
  const members: ZipMember[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize || v.getUint32(p, true) !== CDH_SIG) {
      throw formatError(source, `central directory entry ${i}`, 'signature "PK\\x01\\x02"', `none at byte ${p}: the file is corrupt`);
    }
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    const csize = v.getUint32(p + 20, true);
    const usize = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const lfh = v.getUint32(p + 42, true);
    if (p + 46 + nameLen > zip.length) throw formatError(source, `central directory entry ${i}: name`, 'within the file', 'past its end');
    const name = new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen));
    const field = `member "${name}"`;
    if (flags & 1) throw formatError(source, `${field}: flags`, 'an unencrypted member', 'an encrypted one: re-create the zip without a password');
    if (method !== 0 && method !== 8) {
      throw formatError(source, `${field}: compression method`, '0 (stored) or 8 (deflate)', `${method}: re-create the zip with deflate`);
    }
    if (lfh + 30 > zip.length || v.getUint32(lfh, true) !== LFH_SIG) {
      throw formatError(source, `${field}: local header`, `signature "PK\\x03\\x04" at byte ${lfh}`, 'none: the file is corrupt or truncated');
    }
    const dataStart = lfh + 30 + v.getUint16(lfh + 26, true) + v.getUint16(lfh + 28, true);
    if (dataStart + csize > zip.length) {
      throw formatError(source, `${field}: data`, `${csize} compressed bytes from byte ${dataStart}`, `a file of ${zip.length} bytes: it is truncated`);
    }
    members.push({ name, method, compressed: zip.subarray(dataStart, dataStart + csize), size: usize, crc32: crc });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return members;
}

/** The member called `name` (or the only member when `name` is omitted). */
export function findZipMember(zip: Uint8Array, source: string, name?: string): ZipMember {
  const members = listZip(zip, source);
  const files = members.filter((m) => !m.name.endsWith('/'));
  const names = files.map((m) => m.name).join(', ') || 'nothing';
  if (name === undefined) {
    if (files.length !== 1) throw formatError(source, 'members', 'exactly one file (or name the member to read)', `${files.length}: ${names}`);
    return files[0];
  }
  const m = files.find((f) => f.name === name);
  if (!m) throw formatError(source, 'members', `a file named "${name}"`, names);
  return m;
}

/** Checks decompressed member bytes against the sizes and CRC-32 the zip declares; returns them. */
export function checkZipMember(m: ZipMember, data: Uint8Array, source: string): Uint8Array {
  const field = `member "${m.name}"`;
  if (data.length !== m.size) throw formatError(source, `${field}: size`, `${m.size} bytes (as declared)`, `${data.length}: the zip is corrupt`);
  const c = crc32(data);
  if (c !== m.crc32) throw formatError(source, `${field}: CRC-32`, hex32(m.crc32), `${hex32(c)}: the zip is corrupt`);
  return data;
}

/** Reads one member of a zip (stored or deflated), checked against its declared size and CRC-32. */
export async function unzipMember(zip: Uint8Array, source: string, name?: string): Promise<Uint8Array> {
  const m = findZipMember(zip, source, name);
  const data = m.method === 0 ? m.compressed.slice() : await inflateRaw(m.compressed, `${source}: ${m.name}`, Math.min(MAX_DECOMPRESSED_BYTES, m.size + 1));
  return checkZipMember(m, data, source);
}

function hex32(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

function hexHead(b: Uint8Array): string {
  return Array.from(b.subarray(0, 2), (x) => x.toString(16).padStart(2, '0')).join(' ') || 'an empty file';
}
