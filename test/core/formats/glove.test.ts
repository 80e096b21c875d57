// GloVe reader and the zip container: text fixtures (valid and malformed, by line number), zips built
// by hand here (stored and deflated, with a data descriptor like the shipped file, and broken ones),
// and the shipped glove.6B.50d.10k.zip.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { expectInputError } from '../../helpers/bytes.ts';
import { GLOVE_MEMBER, parseGlove, readGloveZip } from '../../../src/core/formats/glove.ts';
import { crc32, findZipMember, listZip, unzipMember } from '../../../src/core/formats/inflate.ts';

const DATA = join(__dirname, '../../../public/data');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Entry {
  name: string;
  data: Uint8Array;
  method?: 0 | 8;
  flags?: number;
  /** Override the CRC-32 written to the central directory. */
  crc?: number;
}

/**
 * A zip by hand (APPNOTE 6.3): per member a local header whose sizes are zero with flag bit 3 (sizes
 * in a trailing data descriptor, as in the shipped file), the data, the descriptor; then the central
 * directory and the end-of-central-directory record.
 */
function zip(entries: Entry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc(e.name);
    const method = e.method ?? 8;
    const body = method === 8 ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const crc = e.crc ?? crc32(e.data);
    const flags = (e.flags ?? 0) | 8;
    const lfh = new Uint8Array(30 + name.length);
    const l = new DataView(lfh.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(6, flags, true);
    l.setUint16(8, method, true);
    l.setUint16(26, name.length, true);
    lfh.set(name, 30);
    const dd = new Uint8Array(16);
    const dv = new DataView(dd.buffer);
    dv.setUint32(0, 0x08074b50, true);
    dv.setUint32(4, crc, true);
    dv.setUint32(8, body.length, true);
    dv.setUint32(12, e.data.length, true);
    const cdh = new Uint8Array(46 + name.length);
    const c = new DataView(cdh.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, flags, true);
    c.setUint16(10, method, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, body.length, true);
    c.setUint32(24, e.data.length, true);
    c.setUint16(28, name.length, true);
    c.setUint32(42, offset, true);
    cdh.set(name, 46);
    parts.push(lfh, body, dd);
    central.push(cdh);
    offset += lfh.length + body.length + dd.length;
  }
  const cdSize = central.reduce((a, b) => a + b.length, 0);
  const eocd = new Uint8Array(22);
  const v = new DataView(eocd.buffer);
  v.setUint32(0, 0x06054b50, true);
  v.setUint16(8, entries.length, true);
  v.setUint16(10, entries.length, true);
  v.setUint32(12, cdSize, true);
  v.setUint32(16, offset, true);
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const p of all) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const TEXT = 'the 0.5 -1 2e-1\n, 1 2 3\nkönig -0.25 0 .5\n';

describe('parseGlove', () => {
  it('words become labels, vectors rows, in file order', () => {
    const d = parseGlove(enc(TEXT), 'g.txt');
    expect([d.rows, d.dIn, d.labels, d.labelNames]).toEqual([3, 3, ['the', ',', 'könig'], []]);
    expect(Array.from(d.x)).toEqual(Array.from(Float32Array.from([0.5, -1, 0.2, 1, 2, 3, -0.25, 0, 0.5])));
  });

  it('accepts CRLF, a trailing space and no final newline', () => {
    const d = parseGlove(enc('a 1 2 \r\nb 3 4'), 'g.txt');
    expect([d.labels, Array.from(d.x)]).toEqual([['a', 'b'], [1, 2, 3, 4]]);
  });

  it.each([
    ['a short line', 'a 1 2\nb 3\n', undefined, /g\.txt: line 2: expected a word then 2 numbers separated by single spaces, got 1 values: fix or delete that line/],
    ['a long line', 'a 1 2\nb 3 4 5\n', undefined, /line 2: .*got 3 values/],
    ['the wrong dim', 'a 1 2\n', 3, /line 1: expected a word then 3 numbers.*got 2 values/],
    ['an empty line inside', 'a 1\n\nb 2\n', undefined, /line 2: .*got an empty line/],
    ['an empty word (double space)', 'a 1\n  2\n', undefined, /line 2: .*got an empty word/],
    ['a word alone on line 1', 'a\n', undefined, /line 1: expected `word v1 … vD` with D ≥ 1, got "a"/],
    ['a non-number', 'a 1 2\nb 3 x\n', undefined, /line 2, value 2 \(word "b"\): expected a finite number, got "x"/],
    ['NaN', 'a 1 nan\n', undefined, /line 1, value 2 \(word "a"\): expected a finite number, got "nan"/],
    ['beyond float32', 'a 1e39\n', undefined, /line 1, value 1 .*got "1e39"/],
    ['an empty file', '', undefined, /lines: expected at least 1/],
  ])('rejects %s', (_label, text, dim, re) => {
    expectInputError(() => parseGlove(enc(text), 'g.txt', 'g', dim), re);
  });

  it('rejects bytes that are not UTF-8 text', () => {
    expectInputError(() => parseGlove(Uint8Array.from([0x50, 0x4b, 0xff, 0xfe]), 'g.txt'), /g\.txt: encoding: expected UTF-8 text/);
  });
});

describe('zip container', () => {
  const text = enc(TEXT);

  it.each([
    ['deflated', 8],
    ['stored', 0],
  ] as const)('reads a %s member with a data descriptor, checked by CRC-32', async (_label, method) => {
    const z = zip([{ name: 'g.txt', data: text, method }]);
    expect(listZip(z, 'g.zip').map((m) => [m.name, m.method, m.size])).toEqual([['g.txt', method, text.length]]);
    expect(await unzipMember(z, 'g.zip')).toEqual(text);
    const d = await readGloveZip(z, 'g.zip', 'g');
    expect([d.name, d.rows, d.labels]).toEqual(['g', 3, ['the', ',', 'könig']]);
  });

  it('picks a member by name among several, skipping folders', async () => {
    const z = zip([
      { name: 'dir/', data: new Uint8Array(0), method: 0 },
      { name: 'a.txt', data: enc('x 1\n') },
      { name: 'b.txt', data: text },
    ]);
    expect((await readGloveZip(z, 'g.zip', 'g', 'b.txt')).rows).toBe(3);
    expectInputError(() => findZipMember(z, 'g.zip'), /g\.zip: members: expected exactly one file \(or name the member to read\), got 2: a\.txt, b\.txt/);
    expectInputError(() => findZipMember(z, 'g.zip', 'c.txt'), /members: expected a file named "c\.txt", got a\.txt, b\.txt/);
  });

  it.each([
    ['not a zip', () => findZipMember(enc('just text, long enough to scan for a record'), 'g.zip'), /g\.zip: end of central directory: expected a zip file .*got none in 43 bytes/],
    ['truncated (the end cut off)', () => findZipMember(zip([{ name: 'g.txt', data: text }]).subarray(0, 40), 'g.zip'), /end of central directory/],
    ['encrypted', () => findZipMember(zip([{ name: 'g.txt', data: text, flags: 1 }]), 'g.zip'), /member "g\.txt": flags: expected an unencrypted member/],
    ['an unsupported method', () => findZipMember(zip([{ name: 'g.txt', data: text, method: 12 as 0 }]), 'g.zip'), /compression method: expected 0 \(stored\) or 8 \(deflate\), got 12/],
  ])('rejects %s', (_label, fn, re) => {
    expectInputError(fn, re);
  });

  it('rejects a member whose CRC-32 does not match', async () => {
    const z = zip([{ name: 'g.txt', data: text, crc: 0x12345678 }]);
    await expect(unzipMember(z, 'g.zip')).rejects.toThrow(/g\.zip: member "g\.txt": CRC-32: expected 0x12345678, got 0x[0-9a-f]{8}: the zip is corrupt/);
  });

  it('rejects a central directory that points past the data', () => {
    const z = zip([{ name: 'g.txt', data: text }]);
    new DataView(z.buffer).setUint32(z.length - 22 + 16, z.length, true); // cd offset past the end
    expectInputError(() => listZip(z, 'g.zip'), /central directory: expected to end before byte/);
  });

  it('rejects corrupt deflate data', async () => {
    const z = zip([{ name: 'g.txt', data: text }]);
    const m = findZipMember(z, 'g.zip');
    m.compressed.fill(0xff); // a view into z
    await expect(unzipMember(z, 'g.zip')).rejects.toThrow(/g\.zip: g\.txt: deflate-raw data: expected a complete, valid compressed stream/);
  });
});

describe('the shipped GloVe zip', () => {
  it(`10000 words of 50 dims from ${GLOVE_MEMBER}; the first is "the"`, async () => {
    const d = await readGloveZip(new Uint8Array(readFileSync(join(DATA, 'glove.6B.50d.10k.zip'))));
    expect([d.name, d.rows, d.dIn]).toEqual(['builtin:glove-50d', 10000, 50]);
    const words = d.labels as string[];
    expect(words.slice(0, 2)).toEqual(['the', ',']);
    // `unzip -p glove.6B.50d.10k.zip | head -1`: the 0.418 0.24968 -0.41242 0.1217 ...
    expect(Array.from(d.x.subarray(0, 4))).toEqual([0.418, 0.24968, -0.41242, 0.1217].map(Math.fround));
    expect(new Set(words).size).toBe(10000);
  });
});
