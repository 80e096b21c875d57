// The Workbench contract: the one interface the UI talks to, in-thread (tests, CLI) or through Comlink
// in a Web Worker (browser). Types and plain-data DTOs only (objects, arrays, numbers, strings, typed
// arrays; unions, not enums; no classes, no functions except the snapshot listener, no GPU objects), so
// every DTO survives structuredClone. Imports only types from src/core; must not import values, UI,
// Comlink or WebGPU.

import type { DatasetCard } from '../core/card.ts';
import type { ResolvedConfig, TrainConfig } from '../core/config.ts';

/**
 * Where a run is in its life. 'error' and 'lost' carry Snapshot.error. 'lost': the WebGPU device was
 * lost (driver reset, GPU removed, tab out of memory); the run cannot continue, its last good weights
 * (Snapshot.weightsStep) stay exportable.
 */
export type RunStatus = 'idle' | 'training' | 'paused' | 'done' | 'error' | 'lost';

/** Which engine trains a run: the WGSL engine on WebGPU, or the CPU reference (src/core/train.ts). */
export type BackendKind = 'webgpu' | 'cpu';

/** 'auto': webgpu on a hardware adapter for topk, otherwise cpu (as the CLI's --backend default). */
export type BackendRequest = 'auto' | BackendKind;

export interface StartRunRequest {
  /**
   * A loaded dataset's id (DatasetInfo.id; the run trains on its train split), or a built-in id
   * ('builtin:stories-resid-3', 'synthetic:small:7', ...) which is loaded first with default preprocessing.
   */
  dataset: string;
  /** Overrides of DEFAULT_CONFIG (src/core/config.ts); the engine validates and says what to fix. */
  config: Partial<TrainConfig>;
  /**
   * Init seeds of the members, one SAE per seed (default [config.seed]). More than one = an ensemble:
   * the members share one batch order (seeded by seeds[0]) and differ only in init (naive bagging).
   */
  seeds?: number[];
  /** Default 'auto'. 'webgpu' on a software adapter is allowed (slow: a CPU emulation). */
  backend?: BackendRequest;
}

/** What startRun resolved to: the run's id, engine and full config (every derived value filled in). */
export interface RunInfo {
  run: number;
  backend: BackendInfo;
  seeds: number[];
  config: ResolvedConfig;
}

/** Metrics of one ensemble member (for a single SAE: the SAE). Definitions: src/core/train.ts StepStats. */
export interface MemberSnapshot {
  seed: number;
  loss: number;
  /** Σ_d (x − x̂)², mean over the batch. */
  mse: number;
  /** Mean active latents per token. */
  l0: number;
  /** Fraction of latents not fired within the dead window. */
  deadFraction: number;
  /** 1 − Σ‖x − x̂‖² / Σ‖x − μ‖² on the batch. */
  explainedVariance: number;
  /** This member's loss at each of Snapshot.recentLoss.steps: recentLoss[i] ↔ steps[i]. */
  recentLoss: number[];
}

/**
 * The state of the current run, pushed at most ~15 times a second and at once on every status change.
 * The top-level metrics are the mean over members (for one SAE: its own), of the latest step, on its batch.
 */
export interface Snapshot {
  /** Increments with each startRun; lets the UI drop snapshots of a run it has replaced. */
  run: number;
  status: RunStatus;
  backend: BackendKind;
  /** Steps done and measured (0 before the first). */
  step: number;
  /** Steps planned. */
  steps: number;
  /** The step of the weights exportRun returns if the device is lost now (= step on the CPU). */
  weightsStep: number;
  loss: number;
  mse: number;
  l0: number;
  deadFraction: number;
  explainedVariance: number;
  lr: number;
  /** Training tokens (batch rows; members share them) per second of active (unpaused) time. */
  tokensPerSecond: number;
  /** Mean loss of every step since the previous snapshot, so charts miss no step: steps[i] ↔ loss[i]. */
  recentLoss: { steps: number[]; loss: number[] };
  /** One entry per member, in seed order. */
  members: MemberSnapshot[];
  /** Set when status is 'error' or 'lost': what went wrong and what to do. */
  error?: string;
  /** A dataset being loaded now (loadDataset), or null. Rides on this one push channel. */
  loading: DatasetProgress | null;
}

export type SnapshotListener = (snapshot: Snapshot) => void;

/** The engine a topk run with backend 'auto' gets here, and why. */
export interface BackendInfo {
  kind: BackendKind;
  /** The WebGPU adapter, e.g. "google swiftshader · SwiftShader driver 5.0.0"; null when there is none. */
  adapter: string | null;
  /** A CPU emulation (SwiftShader, lavapipe, WARP); null when there is no adapter. */
  isSoftware: boolean | null;
  why: string;
}

/** One member's SAE as a SAELens v6 folder (src/core/saelens.ts): write the three files into one folder. */
export interface RunExport {
  run: number;
  member: number;
  seed: number;
  /** The step these weights are from. */
  step: number;
  /** 'live': read now; 'last-good': read back at the last snapshot before the device was lost or freed. */
  weightsSource: 'live' | 'last-good';
  /** cfg.json */
  cfgJson: string;
  /** sae_weights.safetensors */
  weights: Uint8Array;
  /** sparsity.safetensors: log10 firing density per latent over the training tokens seen. */
  sparsity: Uint8Array;
}

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

/** The synthetic generator's knobs (src/core/synthetic.ts; magnitudes as the presets: N(1, 0.25²) > 0). */
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

export type DatasetRequest =
  /** A catalog id: 'builtin:stories-resid-L' (L 0..5), 'builtin:stories-mlp-L' (1..5), fashion-mnist, digits, glove-50d, 'synthetic:PRESET[:SEED]'. */
  | { source: 'builtin'; id: string; /** stories only: text tokens to run (default 8192). */ maxTokens?: number; preprocess?: PreprocessOptions }
  | { source: 'synthetic'; knobs: SyntheticKnobs; preprocess?: PreprocessOptions }
  /** labels: an IDX labels file, or UTF-8 text with one label (or context) per row; tensor: for .safetensors with several tensors. */
  | { source: 'upload'; file: UploadFile; labels?: UploadFile; tensor?: string; preprocess?: PreprocessOptions }
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

/** Every method is async so the same interface works in-thread and through Comlink (Remote<Workbench>). */
export interface Workbench {
  backend(): Promise<BackendInfo>;
  /** Replaces the current run and starts training; rejects (without starting) on a bad dataset, config or device. */
  startRun(req: StartRunRequest): Promise<RunInfo>;
  /** Resolves once stepping has stopped; the 'paused' snapshot carries the final step count. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Ends the run where it is (status 'done'); its last metrics stay in the final snapshot. */
  stop(): Promise<void>;
  /** The SAE of member `member` (default 0) of the current or last run; the last good weights after a device loss. */
  exportRun(member?: number): Promise<RunExport>;
  /** The built-in datasets (ids for loadDataset / startRun). */
  catalog(): Promise<CatalogEntry[]>;
  /**
   * Loads (or reloads) a dataset; progress goes out in Snapshot.loading. Rejects with the reader's
   * message on a bad file or request, and then every dataset loaded before stays loaded.
   */
  loadDataset(req: DatasetRequest): Promise<DatasetInfo>;
  /** Loaded datasets, oldest first. */
  listDatasets(): Promise<DatasetInfo[]>;
  /** Labels and token contexts of rows of a loaded dataset (row indices of all its preprocessed rows). */
  datasetRows(id: string, rows: number[]): Promise<RowInfo[]>;
  /** The single push channel (null to detach); sends the current state at once. The engine never waits on it. */
  onSnapshot(listener: SnapshotListener | null): Promise<void>;
}
