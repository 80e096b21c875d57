// A minimal zip writer (method 0, "stored": no compression) so the browser can hand a user a SAELens
// folder as one download. Safetensors weights barely compress, so storing costs little. Imports only
// src/core (crc32 from inflate.ts); no DOM, no Node.
//
// Layout (PKWARE APPNOTE 6.3.x §4.3): per file a local header + data; then the central directory; then
// the end-of-central-directory record. No zip64: each file and the archive must stay under 4 GiB.

import { InputError } from '../errors.ts';
import { crc32 } from './inflate.ts';

export interface ZipEntry {
  /** Path inside the archive, '/'-separated, e.g. 'sae/cfg.json'. */
  name: string;
  data: Uint8Array;
}

const LIMIT = 0xffffffff;

/** A stored (uncompressed) zip archive of `entries`, in order; dates are fixed (1980-01-01) so bytes are reproducible. */
export function writeZip(entries: readonly ZipEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const names = entries.map((e) => enc.encode(e.name));
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.name === '' || e.name.startsWith('/') || e.name.split('/').includes('..')) throw new InputError(`zip: entry name "${e.name}": expected a relative path without ".."`);
    if (seen.has(e.name)) throw new InputError(`zip: entry name "${e.name}" appears twice`);
    seen.add(e.name);
  }
  const localSize = entries.reduce((a, e, i) => a + 30 + names[i].length + e.data.length, 0);
  const centralSize = names.reduce((a, n) => a + 46 + n.length, 0);
  const total = localSize + centralSize + 22;
  if (localSize > LIMIT || entries.length > 0xffff) throw new InputError(`zip: ${localSize} bytes in ${entries.length} files needs zip64, which this writer does not do`);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  const offsets: number[] = [];
  const crcs = entries.map((e) => crc32(e.data));
  let o = 0;
  entries.forEach((e, i) => {
    offsets.push(o);
    v.setUint32(o, 0x04034b50, true); // local file header signature
    v.setUint16(o + 4, 20, true); // version needed: 2.0
    v.setUint16(o + 6, 0x0800, true); // flags: UTF-8 names
    v.setUint16(o + 8, 0, true); // method: stored
    v.setUint16(o + 10, 0, true); // time 00:00
    v.setUint16(o + 12, 0x21, true); // date 1980-01-01
    v.setUint32(o + 14, crcs[i], true);
    v.setUint32(o + 18, e.data.length, true); // compressed size
    v.setUint32(o + 22, e.data.length, true); // uncompressed size
    v.setUint16(o + 26, names[i].length, true);
    v.setUint16(o + 28, 0, true); // extra length
    out.set(names[i], o + 30);
    out.set(e.data, o + 30 + names[i].length);
    o += 30 + names[i].length + e.data.length;
  });
  const centralStart = o;
  entries.forEach((e, i) => {
    v.setUint32(o, 0x02014b50, true); // central directory header signature
    v.setUint16(o + 4, 20, true); // version made by
    v.setUint16(o + 6, 20, true); // version needed
    v.setUint16(o + 8, 0x0800, true);
    v.setUint16(o + 10, 0, true);
    v.setUint16(o + 12, 0, true);
    v.setUint16(o + 14, 0x21, true);
    v.setUint32(o + 16, crcs[i], true);
    v.setUint32(o + 20, e.data.length, true);
    v.setUint32(o + 24, e.data.length, true);
    v.setUint16(o + 28, names[i].length, true);
    v.setUint16(o + 30, 0, true); // extra
    v.setUint16(o + 32, 0, true); // comment
    v.setUint16(o + 34, 0, true); // disk
    v.setUint16(o + 36, 0, true); // internal attributes
    v.setUint32(o + 38, 0, true); // external attributes
    v.setUint32(o + 42, offsets[i], true);
    out.set(names[i], o + 46);
    o += 46 + names[i].length;
  });
  v.setUint32(o, 0x06054b50, true); // end of central directory
  v.setUint16(o + 4, 0, true);
  v.setUint16(o + 6, 0, true);
  v.setUint16(o + 8, entries.length, true);
  v.setUint16(o + 10, entries.length, true);
  v.setUint32(o + 12, o - centralStart, true);
  v.setUint32(o + 16, centralStart, true);
  v.setUint16(o + 20, 0, true);
  return out;
}
