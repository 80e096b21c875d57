// Main thread side of the worker boundary: spawns the module worker, wraps it with Comlink and
// registers the one Comlink.proxy listener for snapshots (each proxy lives until released, comlink#662).
// Returns a plain Workbench, so the UI cannot tell it from an in-thread one. An upload given as a Blob
// (a picked File: `file: {name, blob}`) is read 8 MiB at a time and each chunk transferred to the worker
// (beginUpload/uploadChunk), so no giant ArrayBuffer is made; one given as bytes is transferred whole.
// Imports only comlink and types of src/engine: never engine, gpu or core values (they belong in the
// worker chunk).

import * as Comlink from 'comlink';
import type { BlobFile, DatasetInfo, DatasetRequest, Snapshot, SnapshotListener, Workbench } from './engine/api.ts';
import type { LoadRequest, StreamedFile, UploadStart } from './engine/data/datasets.ts';

/** Bytes per transferred upload chunk (upload.ts's UPLOAD_CHUNK_BYTES; a value import would pull engine code in). */
export const CHUNK_BYTES = 8 << 20;

/** The worker's chunked-upload calls (workbench.ts's beginUpload/uploadChunk). */
interface UploadEndpoints {
  beginUpload(start: UploadStart): Promise<string>;
  uploadChunk(handle: string, chunk: Uint8Array): Promise<void>;
  loadDataset(req: LoadRequest): Promise<DatasetInfo>;
}

/** The chunks of a Blob, `chunkBytes` at a time, each in its own ArrayBuffer (so it can be transferred). */
export async function* blobChunks(blob: Blob, chunkBytes = CHUNK_BYTES): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  for (let o = 0; o < blob.size; o += chunkBytes) yield new Uint8Array(await blob.slice(o, Math.min(o + chunkBytes, blob.size)).arrayBuffer());
}

function isBlobFile(f: unknown): f is BlobFile {
  return typeof f === 'object' && f !== null && typeof Blob !== 'undefined' && (f as { blob?: unknown }).blob instanceof Blob;
}

/** Sends a Blob in chunks (one at a time: the worker parses each before the next is read). */
export async function streamBlob(remote: Pick<UploadEndpoints, 'beginUpload' | 'uploadChunk'>, file: BlobFile, role: UploadStart['role'], chunkBytes = CHUNK_BYTES): Promise<StreamedFile> {
  const upload = await remote.beginUpload({ name: file.name, size: file.blob.size, role });
  for await (const chunk of blobChunks(file.blob, chunkBytes)) await remote.uploadChunk(upload, Comlink.transfer(chunk, [chunk.buffer]));
  return { name: file.name, upload };
}

/** The buffers an upload's bytes live in: transferred to the worker, not copied (they are detached here afterwards). */
function transferables(req: LoadRequest): ArrayBuffer[] {
  if (req.source !== 'upload') return [];
  const buffers = [req.file, req.labels].map((f) => (f && 'bytes' in f ? f.bytes.buffer : undefined));
  return buffers.filter((b, i): b is ArrayBuffer => b instanceof ArrayBuffer && buffers.indexOf(b) === i);
}

/** An upload request whose Blob files are streamed first and then named by their upload handles. */
async function streamed(remote: UploadEndpoints, req: DatasetRequest): Promise<LoadRequest> {
  if (req.source !== 'upload') return req;
  const file: unknown = req.file;
  const labels: unknown = req.labels;
  if (!isBlobFile(file) && !isBlobFile(labels)) return req;
  return {
    ...req,
    file: isBlobFile(file) ? await streamBlob(remote, file, 'data') : req.file,
    ...(labels ? { labels: isBlobFile(labels) ? await streamBlob(remote, labels, 'labels') : req.labels } : {}),
  };
}

export interface WorkbenchConnection {
  workbench: Workbench;
  /** Ends the worker; the workbench is unusable afterwards. */
  terminate(): void;
}

/** Starts the engine in a module worker and connects to it. */
export function connect(): WorkbenchConnection {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'sae-workbench' });
  const remote = Comlink.wrap<Workbench & UploadEndpoints>(worker);
  let listener: SnapshotListener | null = null;
  // The single push channel; onSnapshot below only swaps the local listener.
  const ready = remote.onSnapshot(Comlink.proxy((s: Snapshot) => listener?.(s)));

  const calls: Omit<Workbench, 'beginUpload' | 'uploadChunk'> = {
    backend: () => remote.backend(),
    startRun: async (req) => {
      await ready;
      return remote.startRun(req);
    },
    pause: () => remote.pause(),
    resume: () => remote.resume(),
    stop: () => remote.stop(),
    step: (n) => remote.step(n),
    checkpointRun: () => remote.checkpointRun(),
    exportRun: (member) => remote.exportRun(member),
    exportZip: (member) => remote.exportZip(member),
    catalog: () => remote.catalog(),
    loadDataset: async (req) => {
      await ready;
      const sent = await streamed(remote, req);
      return remote.loadDataset(Comlink.transfer(sent, transferables(sent)));
    },
    listDatasets: () => remote.listDatasets(),
    datasetRows: (id, rows) => remote.datasetRows(id, rows),
    inspectRun: (req) => remote.inspectRun(req),
    latentDetail: (req) => remote.latentDetail(req),
    evaluateEnsemble: () => remote.evaluateEnsemble(),
    ensembleViews: (req) => remote.ensembleViews(req),
    downstream: (req) => remote.downstream(req),
    exportEnsemble: () => remote.exportEnsemble(),
    loadEnsemble: async (req) => {
      await ready;
      const file: unknown = req.file;
      if (isBlobFile(file)) return remote.loadEnsemble({ ...req, file: await streamBlob(remote, file, 'data') });
      return remote.loadEnsemble(req);
    },
    compareTrainers: async (req) => {
      await ready; // its progress rides on the snapshots
      return remote.compareTrainers(req);
    },
    labOpen: (state) => remote.labOpen(state),
    labStep: (n) => remote.labStep(n),
    labReset: () => remote.labReset(),
    labSetPoints: (xy) => remote.labSetPoints(Comlink.transfer(xy, [xy.buffer])),
    labDrag: (req) => remote.labDrag(req),
    labHover: (req) => remote.labHover(req),
    labRender: (req) => remote.labRender(req),
    labSlice: (req) => remote.labSlice(req),
    onSnapshot: (next) => {
      listener = next;
      return Promise.resolve();
    },
  };
  // Object.assign: the upload calls pass through whether or not api.ts's Workbench lists them yet.
  const workbench: Workbench = Object.assign(calls, {
    beginUpload: (start: UploadStart) => remote.beginUpload(start),
    uploadChunk: (handle: string, chunk: Uint8Array) => remote.uploadChunk(handle, Comlink.transfer(chunk, [chunk.buffer])),
  });
  return {
    workbench,
    terminate: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
