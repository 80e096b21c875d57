// Chunked uploads (src/engine/data/upload.ts, src/client.ts): a CSV, .npy, .safetensors, IDX and gzip CSV
// sent in chunks split at awkward places (inside a number, a UTF-8 character, a header) load exactly as
// the one-shot read of the same bytes; progress reaches 100%; a malformed chunk stream is rejected with
// the core reader's message at the chunk that shows it, a header claiming more than the memory cap
// before any buffer is made; loaded datasets stay. Node only; no Worker (the client's chunking is
// driven through a fake remote).

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/core/formats/npy.ts';
import { writeSafetensors } from '../../src/core/formats/safetensors.ts';
import { blobChunks, streamBlob } from '../../src/client.ts';
import type { DatasetProgress, SyntheticKnobs } from '../../src/engine/api.ts';
import type { DataReader, LoadedDataset, LoadRequest } from '../../src/engine/data/datasets.ts';
import { MAX_ELEMENTS, createUploadStreams, loadDatasetFrom } from '../../src/engine/data/datasets.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';

const noData: DataReader = (file) => Promise.reject(new Error(`no ${file}`));
const enc = (s: string) => new TextEncoder().encode(s);
const KNOBS: SyntheticKnobs = { nFeatures: 24, dIn: 8, meanActive: 2, zipfExponent: 0.5, correlation: 0, noiseStd: 0.01, rows: 50, seed: 3 };

/** Cuts bytes at the given sizes, then `rest` bytes at a time. */
function cut(bytes: Uint8Array, sizes: number[], rest: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  for (const n of sizes) {
    out.push(bytes.slice(o, o + n));
    o += n;
  }
  for (; o < bytes.length; o += rest) out.push(bytes.slice(o, o + rest));
  return out;
}

/** Streams `chunks` as one upload, then loads it; returns the dataset and every progress report. */
async function chunked(name: string, chunks: Uint8Array[], extra: Partial<Extract<LoadRequest, { source: 'upload' }>> = {}): Promise<{ d: LoadedDataset; seen: DatasetProgress[] }> {
  const seen: DatasetProgress[] = [];
  const uploads = createUploadStreams((p) => seen.push(p));
  const upload = uploads.begin({ name, size: chunks.reduce((n, c) => n + c.length, 0) });
  for (const c of chunks) uploads.push(upload, c);
  const d = await loadDatasetFrom({ source: 'upload', file: { name, upload }, ...extra }, noData, (p) => seen.push(p), { uploads });
  return { d, seen };
}

async function oneShot(name: string, bytes: Uint8Array, extra: Partial<Extract<LoadRequest, { source: 'upload' }>> = {}): Promise<LoadedDataset> {
  return loadDatasetFrom({ source: 'upload', file: { name, bytes }, ...extra }, noData, () => undefined);
}

function expectSame(a: LoadedDataset, b: LoadedDataset): void {
  expect(a.info).toEqual(b.info);
  expect(a.all.x).toEqual(b.all.x);
}

describe('chunked uploads', () => {
  it('a multi-chunk CSV (split inside numbers and a UTF-8 character) equals the one-shot read; progress reaches 100%', async () => {
    const lines = ['α,β,γ'];
    for (let r = 0; r < 3000; r++) lines.push(`${r * 0.5},${-r / 7},${Math.sin(r).toExponential(6)}`);
    const bytes = enc(lines.join('\r\n') + '\n');
    const chunks = cut(bytes, [1, 2, 3], 4093); // 'α' is 2 bytes: cut through it
    expect(chunks.length).toBeGreaterThan(10);
    const { d, seen } = await chunked('table.csv', chunks);
    expectSame(d, await oneShot('table.csv', bytes));
    expect(d.info).toMatchObject({ rows: 3000, dIn: 3 });
    const recv = seen.filter((p) => p.phase === 'receiving table.csv');
    expect(recv.at(0)).toMatchObject({ done: 0, total: bytes.length, unit: 'bytes' });
    expect(recv.at(-1)).toMatchObject({ done: bytes.length, total: bytes.length });
    expect(recv.map((p) => p.done)).toEqual([...recv.map((p) => p.done)].sort((a, b) => a - b));

    const gz = gzipSync(bytes);
    expectSame((await chunked('table.csv.gz', cut(gz, [1], 1000))).d, await oneShot('table.csv.gz', gz));
  });

  it('a multi-chunk .npy (header split across chunks), .safetensors and IDX equal their one-shot reads', async () => {
    const x = Float32Array.from({ length: 600 * 7 }, (_, i) => Math.cos(i) * 3);
    const npy = writeNpy(x, [600, 7]);
    const { d, seen } = await chunked('acts.npy', cut(npy, [3, 5, 9, 40], 1000));
    expectSame(d, await oneShot('acts.npy', npy));
    expect(d.all.x).toEqual(x);
    expect(seen.filter((p) => p.unit === 'bytes' && p.phase.startsWith('receiving')).at(-1)).toMatchObject({ done: npy.length, total: npy.length });

    const st = writeSafetensors({ a: { shape: [30, 4], data: x.subarray(0, 120) }, b: { shape: [5, 2], data: new Float32Array(10) } });
    const tensor = { tensor: 'a' };
    expectSame((await chunked('w.safetensors', cut(st, [4, 3, 50], 64), tensor)).d, await oneShot('w.safetensors', st, tensor));

    const idx = new Uint8Array([0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2, ...Array.from({ length: 12 }, (_, i) => i * 20)]);
    const img = (await chunked('tiny-images-idx3-ubyte', cut(idx, [1, 6, 2], 3))).d;
    expectSame(img, await oneShot('tiny-images-idx3-ubyte', idx));
    expect(img.info).toMatchObject({ kind: 'image', imageShape: [2, 2], rows: 3 });
  });

  it('a labels file streams too', async () => {
    const seen: DatasetProgress[] = [];
    const uploads = createUploadStreams((p) => seen.push(p));
    const data = enc('1,2\n3,4\n5,6\n');
    const labels = enc('one\ntwo\nthree\n');
    const f = uploads.begin({ name: 'd.csv', size: data.length });
    cut(data, [], 5).forEach((c) => uploads.push(f, c));
    const l = uploads.begin({ name: 'labels.txt', size: labels.length, role: 'labels' });
    cut(labels, [], 4).forEach((c) => uploads.push(l, c));
    const d = await loadDatasetFrom({ source: 'upload', file: { name: 'd.csv', upload: f }, labels: { name: 'labels.txt', upload: l } }, noData, () => undefined, { uploads });
    expect(d.info).toMatchObject({ rows: 3, dIn: 2, hasLabels: true });
    expect(d.label?.(2)).toBe('three');
  });

  it('a malformed chunk stream is rejected with the reader’s message; a huge header before any buffer is made', async () => {
    const uploads = createUploadStreams(() => undefined);
    const bad = uploads.begin({ name: 'evil.npy', size: 1000 });
    expect(() => uploads.push(bad, new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x58, 1, 0, 0, 0, 0, 0]))).toThrow(/^evil\.npy: magic: expected 93 4e 55 4d 50 59/);
    expect(() => uploads.push(bad, new Uint8Array(10))).toThrow(/^evil\.npy: magic/); // named once more…
    expect(() => uploads.push(bad, new Uint8Array(10))).toThrow(/upload "upload-1": not an open upload/); // …then forgotten

    const csv = uploads.begin({ name: 'evil.csv', size: 30_000 });
    const rows = enc(Array.from({ length: 2000 }, (_, i) => (i === 1500 ? '3,x' : `${i},${i}`)).join('\n'));
    const chunks = cut(rows, [], 1024);
    let threwAt = -1;
    chunks.forEach((c, i) => {
      if (threwAt >= 0) return;
      try {
        uploads.push(csv, c);
      } catch (e) {
        threwAt = i;
        expect(String(e)).toMatch(/evil\.csv: line 1501, column 2: expected a finite number, got "x"/);
      }
    });
    expect(threwAt).toBeGreaterThan(5); // at the chunk holding line 1501, not at the end
    expect(threwAt).toBeLessThan(chunks.length);

    const huge = writeNpy(new Float32Array(0), [0, 0]);
    const latin1 = String.fromCharCode(...huge).replace("'shape': (0, 0), }", "'shape': (100000000, 512), }");
    const header = Uint8Array.from(latin1.replace(/ {10}\n$/, '\n'), (c) => c.charCodeAt(0)); // same header length
    expect(header.length).toBe(huge.length);
    const big = uploads.begin({ name: 'big.npy', size: 100000000 * 512 * 4 + header.length });
    expect(() => uploads.push(big, header)).toThrow(
      new RegExp(`^big\\.npy: shape \\(100000000, 512\\): expected at most ${MAX_ELEMENTS} values \\(1 GiB of f32.*got 51200000000 .*take a sample of rows`),
    );

    const npy = writeNpy(new Float32Array(40), [10, 4]);
    const short = uploads.begin({ name: 'short.npy', size: npy.length - 8 });
    uploads.push(short, npy.subarray(0, npy.length - 8));
    await expect(loadDatasetFrom({ source: 'upload', file: { name: 'short.npy', upload: short } }, noData, () => undefined, { uploads })).rejects.toThrow(
      /^short\.npy: data size: expected 160 bytes .*got 152 bytes \(truncated file\)/,
    );
    const long = uploads.begin({ name: 'long.npy', size: npy.length + 4 });
    expect(() => uploads.push(long, new Uint8Array([...npy, 1, 2, 3, 4]))).toThrow(new RegExp(`^long\\.npy: file size: expected ${npy.length} bytes \\(as its header declares\\), got more`));
    const unsent = uploads.begin({ name: 'u.csv', size: 100 });
    uploads.push(unsent, enc('1,2\n'));
    await expect(loadDatasetFrom({ source: 'upload', file: { name: 'u.csv', upload: unsent } }, noData, () => undefined, { uploads })).rejects.toThrow(
      /u\.csv: upload: expected 100 bytes \(the size declared at beginUpload\), got 4: send every chunk/,
    );
    await expect(loadDatasetFrom({ source: 'upload', file: { name: 'x.csv', upload: 'upload-99' } }, noData, () => undefined)).rejects.toThrow(/takes no chunked uploads/);
  });

  it('hostile headers are refused by the core readers while the chunks arrive, naming the file (issue #13)', () => {
    const uploads = createUploadStreams(() => undefined);
    // Deeply nested shape tuples: the header sizer is the .npy parser itself (depth-capped), not a regex.
    const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(50_000)}2${')'.repeat(50_000)}, }\n`;
    const head = new Uint8Array(12 + dict.length);
    head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(head.buffer).setUint32(8, dict.length, true);
    head.set(enc(dict), 12);
    const deep = uploads.begin({ name: 'deep.npy', size: head.length + 16 });
    expect(() => uploads.push(deep, head)).toThrow(/^deep\.npy: shape: expected at most 8 levels of nested brackets/);
    // Tensor names that are Object properties are sized like any other, and counted against the cap.
    const st = enc('{"constructor": {"dtype": "F32", "shape": [20000, 20000], "data_offsets": [0, 1600000000]}}');
    const bytes = new Uint8Array(8 + st.length);
    new DataView(bytes.buffer).setUint32(0, st.length, true);
    bytes.set(st, 8);
    const proto = uploads.begin({ name: 'p.safetensors', size: bytes.length + 1_600_000_000 });
    expect(() => uploads.push(proto, bytes)).toThrow(new RegExp(`^p\\.safetensors: tensors \\(all of them\\): expected at most ${MAX_ELEMENTS} values`));
  });

  it('the client reads a Blob in chunks and streams them; a failing stream leaves loaded datasets as they were', async () => {
    const bytes = enc(Array.from({ length: 500 }, (_, i) => `${i},${i * 2},${i * 3}`).join('\n'));
    const got: Uint8Array<ArrayBuffer>[] = [];
    for await (const c of blobChunks(new Blob([bytes]), 1000)) got.push(c);
    expect(got.map((c) => c.length)).toEqual([...Array(Math.floor(bytes.length / 1000)).fill(1000), bytes.length % 1000]);
    expect(new Uint8Array(await new Blob(got).arrayBuffer())).toEqual(bytes);

    const uploads = createUploadStreams(() => undefined);
    const remote = { beginUpload: async (s: Parameters<typeof uploads.begin>[0]) => uploads.begin(s), uploadChunk: async (h: string, c: Uint8Array) => uploads.push(h, c) };
    const file = await streamBlob(remote, { name: 't.csv', blob: new Blob([bytes]) }, 'data', 1000);
    const d = await loadDatasetFrom({ source: 'upload', file }, noData, () => undefined, { uploads });
    expectSame(d, await oneShot('t.csv', bytes));

    // In-thread (no worker): a Blob is read in chunks by the engine itself.
    expectSame(await loadDatasetFrom({ source: 'upload', file: { name: 't.csv', blob: new Blob([bytes]) } }, noData, () => undefined), d);
    await expect(loadDatasetFrom({ source: 'upload', file: { name: 'e.npy', blob: new Blob([new Uint8Array(64)]) } }, noData, () => undefined)).rejects.toThrow(/^e\.npy: magic: expected 93 4e/);

    // Through the workbench once it exposes beginUpload/uploadChunk (see the report of this change).
    const wb = createWorkbench(undefined, { readData: noData }) as ReturnType<typeof createWorkbench> & Partial<typeof remote>;
    const before = await wb.loadDataset({ source: 'synthetic', knobs: KNOBS });
    if (wb.beginUpload && wb.uploadChunk) {
      const w = { beginUpload: wb.beginUpload, uploadChunk: wb.uploadChunk };
      await expect(streamBlob(w, { name: 'evil.csv', blob: new Blob([enc('1,2\n3,x\n')]) }, 'data', 3)).rejects.toThrow(/evil\.csv: line 2, column 2: expected a finite number/);
      expect(await wb.listDatasets()).toEqual([before]);
    }
  });
});
