// The Workbench contract: the one interface the UI talks to, in-thread (tests, CLI) or through Comlink
// in a Web Worker (browser). Types and plain-data DTOs only (objects, arrays, numbers, strings, typed
// arrays; unions, not enums; no classes, no functions except the snapshot listener, no GPU objects), so
// every DTO survives structuredClone. Imports only types from src/core; must not import values, UI,
// Comlink or WebGPU.

import type { DatasetCard } from '../core/card.ts';
import type { ResolvedConfig, TrainConfig } from '../core/config.ts';
import type { ActivationHistogram, LatentRow, QuantileInterval, TopActivation } from '../core/inspect.ts';

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
  /** Create the run without stepping it (status 'paused' at step 0): then step(n) or resume(). Default false. */
  paused?: boolean;
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
  /** AuxK term before α (topk, batchtopk; 0 when off or nothing is dead). Loss = mse + α·auxLoss + sparsityLoss. */
  auxLoss: number;
  /** λ-weighted sparsity term (relu: L1, jumprelu: L0); 0 for topk/batchtopk. */
  sparsityLoss: number;
  lr: number;
  /** Training tokens (batch rows; members share them) per second of active (unpaused) time. */
  tokensPerSecond: number;
  /** Mean loss of every step since the previous snapshot, so charts miss no step: steps[i] ↔ loss[i]. */
  recentLoss: { steps: number[]; loss: number[] };
  /** One entry per member, in seed order. */
  members: MemberSnapshot[];
  /**
   * Member 0's feature density: log10(n_i / tokens + 1e-10) per latent from the training firing counts
   * (n_i = tokens on which latent i fired), as sparsity.safetensors stores it. Refreshed at most about once a
   * second (on the GPU at weight-readback time) and at every status change; null before the first.
   */
  density: { step: number; log10: Float32Array } | null;
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

/** exportZip: one member's SAELens folder as a stored zip of `<folder>/cfg.json`, `<folder>/sae_weights.safetensors`, `<folder>/sparsity.safetensors`. */
export interface RunZip {
  run: number;
  member: number;
  seed: number;
  step: number;
  weightsSource: RunExport['weightsSource'];
  /** The folder inside the zip (what SAE.load_from_disk is given after unzipping). */
  folder: string;
  /** A file name to save it as: `${folder}.zip`. */
  fileName: string;
  bytes: Uint8Array;
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

// ---- feature inspection ---------------------------------------------------------------------------
// Formulas, once (src/core/inspect.ts's names). T = the rows scanned (InspectScope), f_{t,i} = latent i's
// activation on row t: encode() of the SAE on x' = inputScale·x (the values it was trained with); a latent
// fires on t when f_{t,i} > 0. LatentRow: density p_i = n_i / T with n_i = #{t : f_{t,i} > 0};
// meanActivation = (1/n_i) Σ_{f>0} f_{t,i}; maxActivation = max_t f_{t,i}; encoderDecoderCosine =
// cos(wEnc_i, wDec_i); nearest = argmax_{j≠i} cos(wDec_i, wDec_j) with maxCos that cosine; trueFeature =
// argmax_j |cos(wDec_i, g_j)| over the true features g (synthetic data only) with trueCos that |cos|.

export interface InspectRunRequest {
  /** Ensemble member (default 0). */
  member?: number;
  /** Top rows kept per latent, 1..100 (default 10). */
  topN?: number;
}

export interface LatentDetailRequest {
  member?: number;
  /** In [0, dSae − 1]. */
  latent: number;
  /** Top inputs shown, 1..100 (default 10). */
  topN?: number;
}

/** Which weights and which rows an inspection used. Row indices everywhere are the dataset's (datasetRows'). */
export interface InspectScope {
  run: number;
  member: number;
  /** The step of the weights. */
  step: number;
  /** 'live': the CPU run's SAE now; 'read-back': the GPU run's last readback (every ~1 s while training, and at pause/stop/done). */
  weightsSource: 'live' | 'read-back';
  /** The loaded dataset the run trained on. */
  dataset: string;
  /** The eval split when the dataset has one, else the train rows. */
  split: 'eval' | 'train';
  /** The first min(splitRows, maxRows) rows of the split are scanned: T in the formulas. */
  rowsScanned: number;
  splitRows: number;
  /** True when rowsScanned < splitRows (the cap maxRows cut the split). */
  capped: boolean;
  maxRows: number;
}

/** inspectRun: every latent's table row and its top rows. */
export interface RunInspection {
  scope: InspectScope;
  kind: DatasetKind;
  /** [dSae], latent i at index i. */
  table: LatentRow[];
  /** [dSae][≤ topN] rows with the largest f_{t,i} > 0: value desc, ties to the lower row; row = the dataset's row. */
  top: TopActivation[][];
}

/** One token of a highlighted context: f_{row,latent} on its own row. */
export interface TokenView {
  row: number;
  /** Position in its context (0 = BOS). */
  position: number;
  /** The token as text (tokenLabel of the stories260K vocab). */
  text: string;
  value: number;
  /** The top row itself. */
  focus: boolean;
}

/** How one top-activating row is shown (src/core/inspect.ts InputRef, made plain): value = f_{row,latent}. */
export type InputView =
  /** Text: the row's token and the rows within ±8 positions of its context, each with its activation. */
  | { kind: 'token'; row: number; value: number; token: string; tokens: TokenView[] }
  /** An image row: pixels [height·width] row-major, after preprocessing (scale for display yourself). */
  | { kind: 'image'; row: number; value: number; width: number; height: number; pixels: Float32Array; label: string | null }
  /** A word vector (GloVe) or a row labelled with a string. */
  | { kind: 'word'; row: number; value: number; word: string }
  /** Anything else: the row index and its label if any. */
  | { kind: 'row'; row: number; value: number; label: string | null };

/** latentDetail: one latent over the same rows as inspectRun. */
export interface LatentDetail {
  scope: InspectScope;
  latent: number;
  /** 40 equal-width bins of the firing values f_{t,latent} > 0 (firingHistogram); empty when it never fires. */
  histogram: ActivationHistogram;
  /** 10 equal-count groups of the firing rows with 3 rows each (quantileSamplesOf); rows are the dataset's. */
  quantiles: QuantileInterval[];
  /** wDec[latent]: [dIn]. */
  decoder: Float32Array;
  /** The 5 latents j ≠ latent with the largest signed cos(wDec_latent, wDec_j), desc. */
  nearest: { latent: number; cos: number }[];
  /** [height, width] when rows are images (draw decoder as an image), else null. */
  imageShape: [number, number] | null;
  /** The ≤ topN rows with the largest f > 0, value desc, ties to the lower row. */
  top: InputView[];
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
  /**
   * Trains `n` steps (default 1; at most to the planned steps) and pauses: a training run pauses first, a
   * paused one steps on. Resolves once the steps are done and the 'paused' (or 'done') snapshot is out. Rejects
   * without a run, or on n not an integer ≥ 1; does nothing to a run that is done, failed or lost.
   */
  step(n?: number): Promise<void>;
  /** The SAE of member `member` (default 0) of the current or last run; the last good weights after a device loss. */
  exportRun(member?: number): Promise<RunExport>;
  /** exportRun's folder as one zip (built in the engine, src/core/zip.ts). */
  exportZip(member?: number): Promise<RunZip>;
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
  /**
   * The latent table of member `member` of the current (or last) run over its dataset's eval split (else
   * train rows; at most 8,192 rows). Rejects when there is no run or no weights yet, or on a bad member/topN.
   */
  inspectRun(req?: InspectRunRequest): Promise<RunInspection>;
  /** One latent of that member in detail; rejects on a latent outside [0, dSae − 1], saying the range. */
  latentDetail(req: LatentDetailRequest): Promise<LatentDetail>;
  /** Chunked upload: a handle for the chunks of one file; uploadChunk appends a chunk (transferred). */
  beginUpload(start: UploadStart): Promise<string>;
  uploadChunk(handle: string, chunk: Uint8Array): Promise<void>;
  /** The single push channel (null to detach); sends the current state at once. The engine never waits on it. */
  onSnapshot(listener: SnapshotListener | null): Promise<void>;
}

/** A Workbench with the inspection methods present (what createWorkbench returns). */
export type InspectingWorkbench = Workbench & Required<Pick<Workbench, 'inspectRun' | 'latentDetail'>>;
