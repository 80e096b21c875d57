// The Workbench contract — datasets: requests, uploads, progress, info and rows.
// Re-exported by src/engine/api.ts. Types and plain-data DTOs only (they survive structuredClone through
// Comlink); imports only types, from src/core and the other api/ files.

import type { DatasetCard } from '../../core/data/card.ts';

// ---- datasets -------------------------------------------------------------------------------------

/** What a dataset's rows are: LM activations, images, word vectors, a table of numbers, synthetic truth. */
export type DatasetKind = 'text' | 'image' | 'word' | 'table' | 'synthetic';

/**
 * Applied at load, in this order: drop BOS-position rows (text), a seeded train/eval split, centring
 * (x − μ) and expected-norm scaling (x·√dIn / mean‖x‖), both with the train split's statistics.
 */
export interface PreprocessOptions {
  /** Default false. */
  centre?: boolean;
  /** Default 'none'. */
  scale?: 'none' | 'expected-norm';
  /** Text only: leave out the BOS-position vectors (identical in every context). Default true. */
  dropBos?: boolean;
  /** Share of rows held out for evaluation, in [0, 1); 0 = no split (train on every row). Default 0. */
  evalFraction?: number;
  /** Seeds the split: same rows, fraction and seed → same split. Default 0. */
  splitSeed?: number;
}

/** The synthetic generator's knobs (src/core/data/synthetic.ts; magnitudes as the presets: N(1, 0.25²) > 0). */
export interface SyntheticKnobs {
  /** True features (may exceed dIn: superposition). */
  nFeatures: number;
  dIn: number;
  /** Expected active features per row (the sparsity). */
  meanActive: number;
  /** Firing probability p_j ∝ (j+1)^−zipfExponent. */
  zipfExponent: number;
  /** Correlated firing in [0, 1). */
  correlation: number;
  /** Gaussian noise std added to every value. */
  noiseStd: number;
  rows: number;
  seed: number;
}

/** A file the user picked: its name picks the parser (.npy, .safetensors, .csv/.tsv, IDX; .gz ok for CSV/IDX). */
export interface UploadFile {
  name: string;
  /** The whole file. Through Comlink the client transfers its buffer (it is detached afterwards). */
  bytes: Uint8Array;
}

/** Starts a chunked upload (src/client.ts streams a large File in 8 MiB chunks). */
export interface UploadStart {
  name: string;
  size: number;
  /** 'labels': assembled whole. Default 'data'. */
  role?: 'data' | 'labels';
}
/** A file already streamed to the worker with beginUpload/uploadChunk. */
export interface StreamedFile {
  name: string;
  upload: string;
}
/** Main thread only: client.ts streams the Blob in 8 MiB chunks and sends a StreamedFile. */
export interface BlobFile {
  name: string;
  blob: Blob;
}

export type DatasetRequest =
  /** A catalog id: 'builtin:stories-resid-L' (L 0..5), 'builtin:stories-mlp-L' (1..5), fashion-mnist, digits, glove-50d, 'synthetic:PRESET[:SEED]'. */
  | { source: 'builtin'; id: string; /** stories only: text tokens to run (default 8192). */ maxTokens?: number; preprocess?: PreprocessOptions }
  | { source: 'synthetic'; knobs: SyntheticKnobs; preprocess?: PreprocessOptions }
  /** labels: an IDX labels file, or UTF-8 text with one label (or context) per row; tensor: for .safetensors with several tensors. */
  | { source: 'upload'; file: UploadFile | StreamedFile | BlobFile; labels?: UploadFile | StreamedFile | BlobFile; tensor?: string; preprocess?: PreprocessOptions }
  /** The user's own text through stories260K at `site` ('resid:L' or 'mlp:L'). */
  | { source: 'text'; text: string; site: string; maxTokens?: number; preprocess?: PreprocessOptions };

/** Progress of the load in flight: `done` of `total` `unit`s in `phase` (total 0 = unknown). */
export interface DatasetProgress {
  id: string;
  phase: string;
  done: number;
  total: number;
  unit: 'bytes' | 'tokens' | 'steps';
}

/** A loaded dataset, as the UI sees it. Row counts are after preprocessing. */
export interface DatasetInfo {
  /** Pass to startRun. Loading the same id again replaces it. */
  id: string;
  name: string;
  kind: DatasetKind;
  rows: number;
  dIn: number;
  trainRows: number;
  evalRows: number;
  /** Computed from the preprocessed rows (all of them, train and eval). */
  card: DatasetCard;
  hasLabels: boolean;
  /** Text: every row has its token context (datasetRows). */
  hasContexts: boolean;
  /** Synthetic: the true features are kept (recovery metrics). */
  hasGroundTruth: boolean;
  /** Images: [height, width] of one row, for thumbnails; else null. */
  imageShape: [number, number] | null;
  /** The files it was read from (data folder or uploads). */
  files: string[];
  /** The options applied (dropBos is false where there are no BOS rows). */
  preprocess: Required<PreprocessOptions>;
  /** The expected-norm factor applied (1 when scaling is off). */
  inputScale: number;
}

/** A built-in the catalog offers. */
export interface CatalogEntry {
  id: string;
  kind: DatasetKind;
  title: string;
  /** rows × dIn before preprocessing. */
  shape: [number, number];
}

/** One row of a loaded dataset for the inspector: its label (token, word, class) and, for text, its context. */
export interface RowInfo {
  row: number;
  label: string | null;
  context?: { tokens: string[]; /** this row's token within tokens (0 = BOS) */ position: number; doc: number };
}
