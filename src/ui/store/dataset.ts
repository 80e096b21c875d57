// The dataset slice: the picker's state (a catalog id, custom synthetic knobs, an upload's files, pasted
// text; the preprocessing) and the dataset runs train on, with the load in flight and its error. A failed
// load keeps the current dataset. Loads run one at a time through the context's queue, which training
// waits on. Imports core preprocessing defaults, engine types, context.ts and draft.ts types only.

import { DEFAULT_PREPROCESS } from '../../core/data/preprocess.ts';
import type { CatalogEntry, DatasetInfo, DatasetProgress, DatasetRequest, PreprocessOptions, SyntheticKnobs } from '../../engine/api.ts';
import { message, type GetState, type SetState, type StoreContext } from './context.ts';
import type { DraftSlice } from './draft.ts';

/** Picker entries besides the catalog ids. */
export const CUSTOM_SYNTHETIC = 'synthetic:custom';
export const UPLOAD = 'upload';
export const PASTED_TEXT = 'text';

export const DEFAULT_KNOBS: SyntheticKnobs = { nFeatures: 64, dIn: 32, meanActive: 4, zipfExponent: 0.8, correlation: 0, noiseStd: 0.01, rows: 16384, seed: 0 };

/**
 * The page's preprocessing: the engine's defaults, but holding out 10% of rows for evaluation, so the
 * ensemble metrics and the feature inspector (which read the eval split when there is one) score rows the
 * SAEs never trained on without the user having to ask. The engine's own default stays no split: a
 * script or the CLI trains on every row it sends unless it asks for a split.
 */
export const APP_PREPROCESS: Required<PreprocessOptions> = { ...DEFAULT_PREPROCESS, evalFraction: 0.1 };

/** The upload panel: the files the user picked (re-read on each load, so a reload with new preprocessing works). */
export interface UploadDraft {
  file: File | null;
  labels: File | null;
  /** For .safetensors with several tensors. */
  tensor: string;
}

export interface DatasetSlice {
  catalog: CatalogEntry[];
  /** What the picker shows: a catalog id, CUSTOM_SYNTHETIC, UPLOAD or PASTED_TEXT. */
  choice: string;
  knobs: SyntheticKnobs;
  upload: UploadDraft;
  /** Pasted text and the LM site it is run to. */
  text: { text: string; site: string };
  preprocess: Required<PreprocessOptions>;
  /** The dataset runs train on (draft.dataset is its id); null until the first load finishes. */
  dataset: DatasetInfo | null;
  /** The load in flight, from the snapshot channel. */
  loading: DatasetProgress | null;
  datasetError: string | null;
  /** Picks a picker entry; a catalog id loads at once, the others wait for loadChoice(). */
  choose(choice: string): Promise<void>;
  setKnobs(patch: Partial<SyntheticKnobs>): void;
  setUpload(patch: Partial<UploadDraft>): void;
  setText(patch: Partial<DatasetSlice['text']>): void;
  setPreprocess(patch: Partial<PreprocessOptions>): void;
  /** Loads the current choice with the current preprocessing (also: apply new preprocessing). */
  loadChoice(): Promise<void>;
}

type Reads = DatasetSlice & DraftSlice;

/** The slice, its picker on `choice` (the opened experiment's dataset id). */
export const createDatasetSlice =
  (ctx: StoreContext, choice: string) =>
  (set: SetState<Reads>, get: GetState<Reads>): DatasetSlice => {
    /** The request for the current choice; null (with datasetError set) when the choice is incomplete. */
    const requestOf = (): DatasetRequest | null => {
      const { choice, knobs, upload, text, preprocess } = get();
      if (choice === CUSTOM_SYNTHETIC) return { source: 'synthetic', knobs, preprocess };
      if (choice === PASTED_TEXT) return { source: 'text', text: text.text, site: text.site, preprocess };
      if (choice === UPLOAD) {
        if (!upload.file) {
          set({ datasetError: 'upload: pick a file first (.npy, .safetensors, .csv/.tsv or an IDX file)' });
          return null;
        }
        // Blobs: src/client.ts streams them to the worker in 8 MiB chunks, with progress.
        const labels = upload.labels ? { name: upload.labels.name, blob: upload.labels } : undefined;
        return { source: 'upload', file: { name: upload.file.name, blob: upload.file }, ...(labels ? { labels } : {}), ...(upload.tensor.trim() ? { tensor: upload.tensor.trim() } : {}), preprocess };
      }
      return { source: 'builtin', id: choice, preprocess };
    };
    const loadChoice = (): Promise<void> =>
      ctx.loads.run(async () => {
        try {
          const req = requestOf();
          if (!req) return;
          set({ datasetError: null });
          const info = await ctx.workbench.loadDataset(req);
          set({ dataset: info, draft: { ...get().draft, dataset: info.id } });
        } catch (e) {
          set({ datasetError: `could not load the dataset (${get().dataset ? `still on ${get().dataset?.id}` : 'none loaded'}): ${message(e)}` });
        }
      });
    return {
      catalog: [],
      choice,
      knobs: DEFAULT_KNOBS,
      upload: { file: null, labels: null, tensor: '' },
      text: { text: '', site: 'resid:3' },
      preprocess: APP_PREPROCESS,
      dataset: null,
      loading: null,
      datasetError: null,
      choose: (choice) => {
        set({ choice, datasetError: null });
        return choice === CUSTOM_SYNTHETIC || choice === UPLOAD || choice === PASTED_TEXT ? Promise.resolve() : loadChoice();
      },
      setKnobs: (patch) => set({ knobs: { ...get().knobs, ...patch } }),
      setUpload: (patch) => set({ upload: { ...get().upload, ...patch } }),
      setText: (patch) => set({ text: { ...get().text, ...patch } }),
      setPreprocess: (patch) => set({ preprocess: { ...get().preprocess, ...patch } }),
      loadChoice,
    };
  };
