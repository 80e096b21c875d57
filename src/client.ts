// Main thread side of the worker boundary: spawns the module worker, wraps it with Comlink and
// registers the one Comlink.proxy listener for snapshots (each proxy lives until released, comlink#662).
// Returns a plain Workbench, so the UI cannot tell it from an in-thread one. Imports only comlink and
// the types of src/engine/api.ts: never engine, gpu or core values (they belong in the worker chunk).

import * as Comlink from 'comlink';
import type { DatasetRequest, Snapshot, SnapshotListener, Workbench } from './engine/api.ts';

/** The buffers an upload's bytes live in: transferred to the worker, not copied (they are detached here afterwards). */
function transferables(req: DatasetRequest): ArrayBuffer[] {
  if (req.source !== 'upload') return [];
  const buffers = [req.file.bytes.buffer, req.labels?.bytes.buffer];
  return buffers.filter((b, i): b is ArrayBuffer => b instanceof ArrayBuffer && buffers.indexOf(b) === i);
}

export interface WorkbenchConnection {
  workbench: Workbench;
  /** Ends the worker; the workbench is unusable afterwards. */
  terminate(): void;
}

/** Starts the engine in a module worker and connects to it. */
export function connect(): WorkbenchConnection {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'sae-workbench' });
  const remote = Comlink.wrap<Workbench>(worker);
  let listener: SnapshotListener | null = null;
  // The single push channel; onSnapshot below only swaps the local listener.
  const ready = remote.onSnapshot(Comlink.proxy((s: Snapshot) => listener?.(s)));

  const workbench: Workbench = {
    backend: () => remote.backend(),
    startRun: async (req) => {
      await ready;
      return remote.startRun(req);
    },
    pause: () => remote.pause(),
    resume: () => remote.resume(),
    stop: () => remote.stop(),
    exportRun: (member) => remote.exportRun(member),
    catalog: () => remote.catalog(),
    loadDataset: async (req) => {
      await ready;
      return remote.loadDataset(Comlink.transfer(req, transferables(req)));
    },
    listDatasets: () => remote.listDatasets(),
    datasetRows: (id, rows) => remote.datasetRows(id, rows),
    onSnapshot: (next) => {
      listener = next;
      return Promise.resolve();
    },
  };
  return {
    workbench,
    terminate: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
