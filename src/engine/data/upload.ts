// Chunked uploads: a file arrives as byte chunks (client.ts reads the picked File 8 MiB at a time and
// transfers each chunk to the worker), so no single giant ArrayBuffer is ever made on either side.
// CSV/TSV chunks go straight into the streaming parser; .npy, .safetensors and IDX are assembled into
// one buffer of the size their header declares (checked against a memory cap first); gzip and labels
// files are assembled at the size the client declared. Progress = bytes received / declared size.
// Parsing is src/core's (the final parse gives the reader's own message). No DOM, Comlink, Node or
// WebGPU imports.

import type { CsvParser, CsvTable } from '../../core/formats/csv.ts';
import { createCsvParser, delimiterFromName } from '../../core/formats/csv.ts';
import { InputError, formatError } from '../../core/errors.ts';
import { idxByteSize } from '../../core/formats/idx.ts';
import { MAX_ELEMENTS } from '../../core/formats/limits.ts';
import { npyByteSize } from '../../core/formats/npy.ts';
import { safetensorsByteSize } from '../../core/formats/safetensors.ts';
import type { DatasetProgress, StreamedFile, UploadStart } from '../api.ts';

export type { StreamedFile, UploadStart };

/** Largest dataset a load may produce: rows·dIn floats (1 GiB of f32); defined once, in core/formats/limits.ts. */
export { MAX_ELEMENTS };
/** Chunk size the client reads and transfers (8 MiB). */
export const UPLOAD_CHUNK_BYTES = 8 << 20;

/** What a finished stream holds: a parsed CSV table, or the assembled bytes for the one-shot readers. */
export type Received = { name: string; table: CsvTable; bytes?: undefined } | { name: string; bytes: Uint8Array; table?: undefined };

/** Feeds one file's chunks in order; push throws the reader's InputError at the first bad chunk. */
export interface ChunkSink {
  push(chunk: Uint8Array): void;
  end(): Received;
  readonly received: number;
}

const IDX_NAME = /(\.idx\d?|-ubyte)$/;
const MIB = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Most bytes one upload may hold in memory at once (1 GiB and 1 MiB of header room). */
export const MAX_UPLOAD_BYTES = (1 << 30) + (1 << 20);

/**
 * Where a chunked file's header says its bytes end, or null while more bytes are needed: the core
 * readers' own sizers, which parse the header as the final read will and check its shape against
 * MAX_ELEMENTS before any buffer is made.
 */
type HeaderSize = (head: Uint8Array, name: string) => number | null;

/** A sink for one file: the parser is picked by name (and by a gzip magic in the first bytes). */
export function createChunkSink(start: UploadStart): ChunkSink {
  const { name, size } = start;
  if (typeof name !== 'string' || name === '') throw new InputError('upload: file name: expected the uploaded file’s name (it picks the parser), got none');
  if (!Number.isSafeInteger(size) || size < 0) throw new InputError(`${name}: size: expected the file’s size in bytes (File.size), got ${String(size)}`);
  const plain = name.toLowerCase().replace(/\.gz$/, '');
  const headerSize: HeaderSize | null =
    start.role === 'labels' ? null : plain.endsWith('.npy') ? npyByteSize : plain.endsWith('.safetensors') ? safetensorsByteSize : IDX_NAME.test(plain) ? idxByteSize : null;
  const csv = start.role !== 'labels' && headerSize === null && /\.(csv|tsv|tab|txt)$/.test(plain);
  let received = 0;
  let parser: CsvParser | null = null;
  let head: Uint8Array[] = []; // chunks before the buffer's size is known
  let buffer: Uint8Array | null = null; // the assembled file, once its size is known

  const allocate = (bytes: number, why: string): void => {
    if (bytes > MAX_UPLOAD_BYTES) {
      throw new InputError(
        `${name}: size: expected at most ${MAX_UPLOAD_BYTES} bytes (1 GiB) for ${why}, got ${bytes} (${MIB(bytes)}): take a sample of rows (or convert to float32) and upload that`,
      );
    }
    buffer = new Uint8Array(bytes);
  };
  const joined = (): Uint8Array => {
    if (head.length === 1) return head[0];
    const out = new Uint8Array(head.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of head) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  };
  const store = (chunk: Uint8Array, at: number): void => {
    const b = buffer!;
    if (at + chunk.length > b.length) {
      throw formatError(name, 'file size', `${b.length} bytes (as ${headerSize ? 'its header declares' : 'the upload declared'})`, `more (trailing bytes, or the wrong file)`);
    }
    b.set(chunk, at);
  };
  const startCsv = (bytes: Uint8Array): void => {
    parser = createCsvParser(name, { delimiter: delimiterFromName(name), totalBytes: size });
    parser.push(bytes);
  };

  return {
    get received() {
      return received;
    },
    push(chunk) {
      if (!(chunk instanceof Uint8Array)) throw new InputError(`${name}: chunk: expected a Uint8Array of the file’s next bytes`);
      const at = received;
      received += chunk.length;
      if (parser) return parser.push(chunk);
      if (buffer) return store(chunk, at);
      head.push(chunk);
      const all = joined(); // only while the header is incomplete: a few chunks at most
      head = [all];
      if (all.length < 2) return;
      let total: number | null;
      if (all[0] === 0x1f && all[1] === 0x8b) {
        total = size; // gzip: assembled, then inflated by the one-shot reader
        allocate(total, 'a gzip file');
      } else if (csv) {
        head = [];
        return startCsv(all);
      } else {
        total = headerSize ? headerSize(all, name) : size;
        if (total === null) return;
        allocate(total, start.role === 'labels' ? 'a labels file' : 'this file');
      }
      head = [];
      store(all, 0);
    },
    end() {
      if (!parser && !buffer && csv) startCsv(joined()); // a file of under 2 bytes
      if (parser) return { name, table: parser.end() };
      const bytes = buffer ? (buffer as Uint8Array).subarray(0, received) : joined();
      buffer = null;
      head = [];
      return { name, bytes };
    },
  };
}

/** Uploads open at once (a data file and its labels file, with room to spare). */
const MAX_OPEN_UPLOADS = 4;

/** Open uploads by handle: what the workbench's beginUpload/uploadChunk keep between calls. */
export interface UploadStreams {
  begin(start: UploadStart): string;
  /** Feeds the next chunk; on a bad chunk the upload is dropped and every later call names its error. */
  push(handle: string, chunk: Uint8Array): void;
  /** Ends the upload and hands over what it holds (once). */
  take(file: StreamedFile): Received;
}

/** Upload streams reporting `receiving NAME` progress (bytes received of the declared size). */
export function createUploadStreams(progress: (p: DatasetProgress) => void): UploadStreams {
  const open = new Map<string, { sink: ChunkSink; start: UploadStart; failed: Error | null }>();
  let next = 0;
  const get = (handle: string) => {
    const s = open.get(handle);
    if (s?.failed) open.delete(handle); // named once more, then forgotten
    if (!s) throw new InputError(`upload "${handle}": not an open upload (open: ${[...open.keys()].join(', ') || 'none'}): start it with beginUpload and send every chunk`);
    if (s.failed) throw s.failed;
    return s;
  };
  const report = (s: { sink: ChunkSink; start: UploadStart }): void =>
    progress({ id: `upload:${s.start.name}`, phase: `receiving ${s.start.name}`, done: s.sink.received, total: s.start.size, unit: 'bytes' });
  return {
    begin(start) {
      const sink = createChunkSink(start);
      // Abandoned uploads (a failed labels file after its data, a closed tab's) are dropped, oldest first.
      for (const h of open.keys()) if (open.size >= MAX_OPEN_UPLOADS) open.delete(h);
      const handle = `upload-${++next}`;
      const s = { sink, start, failed: null };
      open.set(handle, s);
      report(s);
      return handle;
    },
    push(handle, chunk) {
      const s = get(handle);
      try {
        s.sink.push(chunk);
      } catch (e) {
        s.failed = e instanceof Error ? e : new Error(String(e));
        s.sink = createChunkSink({ name: s.start.name, size: 0 }); // frees what it held
        throw e;
      } finally {
        report(s);
      }
    },
    take(file) {
      const s = get(file.upload);
      open.delete(file.upload);
      if (s.sink.received !== s.start.size) {
        throw formatError(s.start.name, 'upload', `${s.start.size} bytes (the size declared at beginUpload)`, `${s.sink.received}: send every chunk, in order`);
      }
      return s.sink.end();
    },
  };
}
