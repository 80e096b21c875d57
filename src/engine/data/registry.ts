// The datasets a Workbench holds loaded, by id (least recently used first, at most MAX_LOADED; the current
// run's is kept), loaded one at a time (datasets.ts does the loading), with their progress reported to
// the caller. Imports src/core and engine only.

import { InputError } from '../../core/errors.ts';
import type { DatasetProgress, DatasetRequest } from '../api.ts';
import type { DataReader, LoadOptions, LoadedDataset } from './datasets.ts';
import { createUploadStreams, loadDatasetFrom } from './datasets.ts';
import type { UploadStreams } from './upload.ts';

/** Datasets kept loaded at once; the least recently used one not being trained on goes first. */
const MAX_LOADED = 6;

export interface DatasetRegistry {
  /** Loads one dataset; a failure leaves every loaded dataset as it was. quiet: no progress reports (a fast load). */
  load(req: DatasetRequest, quiet?: boolean): Promise<LoadedDataset>;
  /** The dataset a run names: loaded already, or a catalog id loaded now with default preprocessing. */
  datasetFor(id: string): Promise<LoadedDataset>;
  get(id: string): LoadedDataset | undefined;
  list(): LoadedDataset[];
  /** The load in flight's latest progress, or null. */
  loading(): DatasetProgress | null;
  /** Reports progress that is not a load's (a failed upload chunk clears it). */
  setLoading(p: DatasetProgress | null, force: boolean): void;
  /** Chunked uploads in flight (src/client.ts streams large files; progress as "receiving NAME"). */
  readonly uploads: UploadStreams;
}

export interface RegistryDeps {
  read: DataReader;
  /** A WebGPU device for the LM forward pass, or null (the CPU reference). */
  lmDevice: LoadOptions['lmDevice'];
  /** The id of the dataset the current run trains on (never evicted). */
  pinned(): string | null;
  /** Called on every progress change: force on phase starts and ends. */
  onProgress(force: boolean): void;
}

export function createDatasetRegistry(deps: RegistryDeps): DatasetRegistry {
  const datasets = new Map<string, LoadedDataset>();
  /** The load in flight (datasetFor waits for it), and its latest progress. */
  let loadingNow: Promise<unknown> = Promise.resolve();
  let loading: DatasetProgress | null = null;
  const setLoading = (p: DatasetProgress | null, force: boolean): void => {
    loading = p;
    deps.onProgress(force);
  };
  const uploads = createUploadStreams((p) => setLoading(p, p.done === 0 || p.done === p.total));

  const remember = (d: LoadedDataset): void => {
    datasets.delete(d.info.id);
    datasets.set(d.info.id, d);
    const pinned = deps.pinned();
    for (const id of datasets.keys()) {
      if (datasets.size <= MAX_LOADED) break;
      if (id !== pinned && id !== d.info.id) datasets.delete(id);
    }
  };

  const load = (req: DatasetRequest, quiet = false): Promise<LoadedDataset> => {
    const next = loadingNow.then(async () => {
      try {
        const d = await loadDatasetFrom(req, deps.read, (p) => quiet || setLoading(p, p.done === 0), { lmDevice: deps.lmDevice, uploads });
        remember(d);
        return d;
      } finally {
        if (!quiet) setLoading(null, true);
      }
    });
    loadingNow = next.catch(() => undefined);
    return next;
  };

  return {
    load,
    async datasetFor(id) {
      await loadingNow;
      const have = datasets.get(id);
      if (have) {
        remember(have);
        return have;
      }
      // A synthetic preset takes milliseconds: no progress snapshots (before a first run they would be idle ones).
      if (typeof id === 'string' && (id.startsWith('synthetic:') || id.startsWith('builtin:'))) return load({ source: 'builtin', id }, id.startsWith('synthetic:'));
      const loaded = [...datasets.keys()];
      throw new InputError(
        `dataset "${id}" is not loaded: load it first (loadDataset), pick a loaded one${loaded.length ? ` (${loaded.join(', ')})` : ''}, or use synthetic:small or a built-in (builtin:stories-resid-3, builtin:fashion-mnist, ...)`,
      );
    },
    get: (id) => datasets.get(id),
    list: () => [...datasets.values()],
    loading: () => loading,
    setLoading,
    uploads,
  };
}
