// The zip writer: archives our own reader lists and extracts identically, that Python's zipfile reads
// (when python3 is on the machine — it is on every machine of this project), and bad names rejected.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listZip, unzipMember } from '../../../src/core/formats/inflate.ts';
import { writeZip } from '../../../src/core/formats/zip.ts';

const enc = new TextEncoder();

describe('writeZip', () => {
  const entries = [
    { name: 'sae/cfg.json', data: enc.encode('{"architecture": "topk"}') },
    { name: 'sae/sae_weights.safetensors', data: Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 256) },
    { name: 'empty.txt', data: new Uint8Array(0) },
  ];

  it('round-trips through our zip reader, byte for byte, with CRC-32 checked', async () => {
    const zip = writeZip(entries);
    expect(listZip(zip, 'test.zip').map((m) => [m.name, m.size, m.method])).toEqual(entries.map((e) => [e.name, e.data.length, 0]));
    for (const e of entries) expect(Array.from(await unzipMember(zip, 'test.zip', e.name))).toEqual(Array.from(e.data));
  });

  it('is reproducible: the same entries give the same bytes', () => {
    expect(Array.from(writeZip(entries))).toEqual(Array.from(writeZip(entries)));
  });

  it("is read by Python's zipfile (an independent reader)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'zip-'));
    const path = join(dir, 'a.zip');
    writeFileSync(path, writeZip(entries));
    const py = spawnSync('python3', ['-c', 'import sys, zipfile, hashlib; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print("|".join(f"{i.filename}:{i.file_size}:{hashlib.sha256(z.read(i)).hexdigest()[:8]}" for i in z.infolist()))', path], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    const sha = (d: Uint8Array): string => createHash('sha256').update(d).digest('hex').slice(0, 8);
    expect(py.stdout.trim()).toBe(entries.map((e) => `${e.name}:${e.data.length}:${sha(e.data)}`).join('|'));
  });

  it.each([
    ['', /expected a relative path/],
    ['/abs', /expected a relative path/],
    ['a/../b', /expected a relative path/],
  ])('rejects the name %j', (name, msg) => {
    expect(() => writeZip([{ name, data: new Uint8Array(1) }])).toThrow(msg);
  });

  it('rejects a duplicate name', () => {
    expect(() => writeZip([entries[0], entries[0]])).toThrow(/appears twice/);
  });
});
