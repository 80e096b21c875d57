// The Workbench contract: the one interface the UI talks to, in-thread (tests, CLI) or through Comlink
// in a Web Worker (browser). Types and plain-data DTOs only (objects, arrays, numbers, strings, typed
// arrays; unions, not enums; no classes, no functions except the snapshot listener, no GPU objects), so
// every DTO survives structuredClone. Imports only types from src/core; must not import values, UI,
// Comlink or WebGPU.

import type { DatasetCard } from '../core/data/card.ts';
import type { AbSweep, AbTrainer, Alignment } from '../core/sae/abTest.ts';
import type { EnsembleMethodName, EnsembleMetrics } from '../core/ensemble/ensemble.ts';
import type { ResolvedConfig, TrainConfig } from '../core/sae/config.ts';
import type { ActivationHistogram, LatentRow, QuantileInterval, TopActivation } from '../core/inspect/inspect.ts';

/**
 * Where a run is in its life. 'error' and 'lost' carry Snapshot.error. 'lost': the WebGPU device was
 * lost (driver reset, GPU removed, tab out of memory); the run cannot continue, its last good weights
 * (Snapshot.weightsStep) stay exportable.
 */
export type RunStatus = 'idle' | 'training' | 'paused' | 'done' | 'error' | 'lost';

/** Which engine trains a run: the WGSL engine on WebGPU, or the CPU reference (src/core/sae/train.ts). */
export type BackendKind = 'webgpu' | 'cpu';

/** 'auto': webgpu on a hardware adapter for topk, otherwise cpu (as the CLI's --backend default). */
export type BackendRequest = 'auto' | BackendKind;

export interface StartRunRequest {
  /**
   * A loaded dataset's id (DatasetInfo.id; the run trains on its train split), or a built-in id
   * ('builtin:stories-resid-3', 'synthetic:small:7', ...) which is loaded first with default preprocessing.
   */
  dataset: string;
  /** Overrides of DEFAULT_CONFIG (src/core/sae/config.ts); the engine validates and says what to fix. */
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
  /**
   * Train an ensemble (Gadgil, Lin, Lee; seed-papers.md §2). Default: 'single' for one seed, 'bagging' for several.
   * bagging: J members, seeds config.seed + j (unless `seeds` is given), one batch order, trained together.
   * boosting: J stages of config.steps steps each; stage j (seed config.seed + j) trains on the residual of the frozen
   * stages before it; Snapshot.stage says which. expanded: one SAE with J·dSae latents (and J·k for topk/batchtopk).
   */
  ensemble?: EnsembleSpec;
}

/** How a run's members make one model. 'single': one SAE (a 1-member ensemble). Core's type (src/core/ensemble/ensemble.ts). */
export type { EnsembleMethodName } from '../core/ensemble/ensemble.ts';

export interface EnsembleSpec {
  method: EnsembleMethodName;
  /** J, 1..MAX_ENSEMBLE_MEMBERS (16, src/core/sae/config.ts; expanded: the latent multiplier; single: 1). */
  members: number;
}

/** A run's ensemble as resolved: what its members are and how they combine. */
export interface RunEnsemble {
  method: EnsembleMethodName;
  /** J as asked (expanded: the multiplier; the run then has one member). */
  members: number;
  /** SAEs the run holds (bagging/boosting: J; single/expanded: 1). */
  saes: number;
  /** Latents of each SAE (expanded: J·dSae of the request). */
  latentsPerSae: number;
  /** Steps of one stage (boosting) or of the run. */
  stageSteps: number;
}

/** What startRun resolved to: the run's id, engine and full config (every derived value filled in). */
export interface RunInfo {
  run: number;
  backend: BackendInfo;
  /** One per SAE of the run (boosting: per stage). */
  seeds: number[];
  /** The SAEs' config (expanded: with the J· latents and k; boosting: steps of one stage). */
  config: ResolvedConfig;
  ensemble: RunEnsemble;
  /** The dataset id it trains on (a reloaded ensemble: the one it was loaded against). */
  dataset: string;
  /** 'trained' here, or 'loaded' from an ensemble file (loadEnsemble; status 'done', no training). */
  origin: 'trained' | 'loaded';
}

/** Metrics of one ensemble member (for a single SAE: the SAE). Definitions: src/core/sae/train.ts StepStats. */
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
  /** PAM-SGD: global steps at which the decoder was solved since the previous snapshot (0 = before the first step). */
  recentSolves: number[];
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
  /**
   * Boosting: the stage training now (0-based; = count when done) of count. The top-level metrics are that
   * stage's, on its residual input; members[] lists every stage, frozen ones with their final metrics. Null otherwise.
   */
  stage: { index: number; count: number } | null;
  /** compareTrainers in flight: A/B runs finished (done) of all planned (runs), and what trains now; null when none. */
  comparing: CompareProgress | null;
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

/** One member's SAE as a SAELens v6 folder (src/core/formats/saelens.ts): write the three files into one folder. */
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

// ---- feature inspection ---------------------------------------------------------------------------
// Formulas, once (src/core/inspect/inspect.ts's names). T = the rows scanned (InspectScope), f_{t,i} = latent i's
// activation on row t: encode() of the SAE on x' = inputScale·x (the values it was trained with); a latent
// fires on t when f_{t,i} > 0. LatentRow: density p_i = n_i / T with n_i = #{t : f_{t,i} > 0};
// meanActivation = (1/n_i) Σ_{f>0} f_{t,i}; maxActivation = max_t f_{t,i}; encoderDecoderCosine =
// cos(wEnc_i, wDec_i); nearest = argmax_{j≠i} cos(wDec_i, wDec_j) with maxCos that cosine; trueFeature =
// argmax_j |cos(wDec_i, g_j)| over the true features g (synthetic data only) with trueCos that |cos|.

export interface InspectRunRequest {
  /**
   * Ensemble member (default 0). A boosting stage j is inspected on the input it codes in the ensemble: the
   * residual r⁽ʲ⁾ the frozen stages 0..j−1 leave of each row (seed-papers.md §2.4), so its activations are the
   * ensemble's sequential codes.
   */
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

/** How one top-activating row is shown (src/core/inspect/inspect.ts InputRef, made plain): value = f_{row,latent}. */
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

// ---- ensembles (Gadgil, Lin, Lee; seed-papers.md §2) ------------------------------------------------
// Member j of J, latent i of member j is latent offsets[j] + i of the concatenated view (J·dSae latents,
// Prop. 3.1: the ensemble is one SAE with the members' decoder rows stacked). Cosines are signed cosines of
// decoder rows (feature directions). Formulas: src/core/ensemble/ensemble.ts and src/core/ensemble/ensembleViews.ts.

/** The ensemble metrics on held-out rows, raw units: core's own type (src/core/ensemble/ensemble.ts, each formula there). */
export type { EnsembleMetrics } from '../core/ensemble/ensemble.ts';

/** evaluateEnsemble: the metrics of the first J' members for J' = 1..J (expanded and single: J' = J only). */
export interface EnsembleEvaluation {
  run: number;
  method: EnsembleMethodName;
  /** J (expanded: the multiplier). */
  members: number;
  /** The weights' step (boosting: of the last trained stage). */
  step: number;
  /** Stages trained so far (boosting; else = saes): J' runs to this. */
  trainedSaes: number;
  dataset: string;
  split: 'eval' | 'train';
  /** Rows the metrics are over (the first ≤ 4096 of the split). */
  rows: number;
  perJ: { members: number; latents: number; metrics: EnsembleMetrics }[];
  /** Prop. 3.1 checked on these rows: max |g_Ens(x) − (D·c̃ + b)| over every value (f32 rounding, ~1e-6 of the values). */
  prop31Gap: number;
}

export interface EnsembleViewsRequest {
  /** The heatmap's and matched pairs' two members (defaults 0 and 1). */
  a?: number;
  b?: number;
  /** A feature is unique to its member when its best cosine in every other member is ≤ this (default 0.6, §2.7). */
  uniqueTau?: number;
}

/** ensembleViews: what the members share and where they differ (≥ 2 SAEs). */
export interface EnsembleViews {
  run: number;
  step: number;
  method: EnsembleMethodName;
  /** Latents of each member; member j's latent i is latent offsets[j] + i of the concatenated view. */
  latentsPerMember: number[];
  offsets: number[];
  /** Cross-member decoder cosines between members a and b, rows and columns in Hungarian-matched order. */
  heatmap: {
    a: number;
    b: number;
    rows: number;
    cols: number;
    /** [rows, cols] row-major signed cos in the matched order: matched pairs on the diagonal, best first. */
    cos: Float32Array;
    /** [rows] member a's latent shown in row r; [cols] member b's latent in column c. */
    rowLatents: Int32Array;
    colLatents: Int32Array;
  };
  /** The Hungarian pairs (maximising Σ cos) of members a and b, cos descending. */
  pairs: { a: number; b: number; cos: number }[];
  meanPairCos: number;
  /** Per-latent stability: for member j, latent i: its best match (latent, cos) in every other member q, and the mean of those cosines. */
  stability: {
    perMember: {
      /** [dSae_j] mean over the other members q of the latent's best cosine in q. */
      score: Float32Array;
      /** [J, dSae_j] at q·dSae_j + i: member q's latent best matching latent i (−1 in row q = j, the member itself). */
      bestLatent: Int32Array;
      /** [J, dSae_j] its cosine (NaN in row q = j). */
      bestCos: Float32Array;
    }[];
    mean: number;
  };
  /** Features unique to one member: best cosine in every other member ≤ uniqueTau. */
  unique: { tau: number; perMember: { latents: number[]; fraction: number; meanMaxCos: number }[] };
  /** Every member's decoder directions on their first two principal components, coloured by member. */
  map: { x: Float32Array; y: Float32Array; member: Int32Array; latent: Int32Array; explained: [number, number] };
}

/** Concept detection (SAEBench sparse probing, §2.7) for one kp. */
export interface ProbingResultDto {
  kp: number;
  /** Mean held-out accuracy of the one-vs-rest probes over the classes probed. */
  accuracy: number;
  /** The same probe on the top-kp input dimensions (no SAE), for comparison. */
  inputBaseline: number;
  perClass: { cls: number; name: string; accuracy: number; /** concatenated-view latents selected */ latents: number[] }[];
}

/** Spurious correlation removal (SAEBench SCR, §2.7) on a marked dataset. */
export interface ScrResultDto {
  classA: number;
  classB: number;
  nameA: string;
  nameB: string;
  /** Which shortcut direction is reported (the one with the lower clean accuracy, as SAEBench). */
  direction: string;
  /** Biased probe's accuracy on unbiased test rows, before ablation. */
  aBase: number;
  /** A probe trained on unbiased rows, same test rows. */
  aOracle: number;
  /** S_SHIFT = (A_abl − A_base)/(A_oracle − A_base) after zero-ablating the top-n marker latents; null when A_oracle − A_base < 0.01. */
  perN: { n: number; aAbl: number; shift: number | null; latents: number[] }[];
  note?: string;
}

export interface DownstreamRequest {
  /** Default [1, 2, 5]. */
  kps?: number[];
  /** SCR's class pair (marked datasets only); default: the dataset's default pair. */
  scrClasses?: [number, number];
  /** SCR's ablation sizes; default [1, 2, 5, 10, 20]. */
  ns?: number[];
}

export interface DownstreamReport {
  run: number;
  method: EnsembleMethodName;
  members: number;
  dataset: string;
  rows: number;
  /** Null with `why` when the dataset has no class labels. */
  probing: ProbingResultDto[] | null;
  /** Null with `why` when the dataset carries no spurious marker (use builtin:fashion-mnist-marked or builtin:digits-marked). */
  scr: ScrResultDto | null;
  why: string[];
}

/** exportEnsemble: every SAE of the run as a SAELens folder `member-<j>/` and `ensemble.json` (method, seeds, config) in one zip. */
export interface EnsembleZip {
  run: number;
  method: EnsembleMethodName;
  members: number;
  step: number;
  fileName: string;
  bytes: Uint8Array;
}

export interface LoadEnsembleRequest {
  /** A zip from exportEnsemble or `sae-workbench ensemble --export` zipped (ensemble.json + member-<j>/ folders). */
  file: UploadFile | StreamedFile | BlobFile;
  /** A loaded (or built-in) dataset of the members' dIn to evaluate and inspect it on. */
  dataset: string;
}

// ---- the SGD vs PAM-SGD A/B (SplInterp, Budd et al.; seed-papers.md §3.6–3.10) -------------------------
// The computation is core's (src/core/sae/abTest.ts: alignments, sweeps, per-epoch held-out points, PAM's
// solves); its result types are core's own, re-exported here rather than mirrored.

export type { AbPoint, AbRun, AbSetting, AbSolve, AbSweep, AbTrainer, Alignment } from '../core/sae/abTest.ts';
/** 'compare': one side-by-side A/B on every training row (a fraction sweep at [100]); 'fraction' / 'updates': the sweeps. */
export type CompareKind = 'compare' | 'fraction' | 'updates';

export interface CompareRequest {
  /** A loaded (or built-in) dataset: its eval split is the test rows; without one, a seeded 20% of its train rows is held out. */
  dataset: string;
  /** The shared training config (the form's); trainer, steps and batch are set per run by the alignment. */
  config: Partial<TrainConfig>;
  kind: CompareKind;
  align: Alignment;
  /** Each at most once, e.g. ['sgd', 'pam-sgd'] (+ 'sgd-tied', the scripts' tied-weights baseline). */
  trainers: AbTrainer[];
  /** Epochs of the equal-epochs plan (equal-steps and equal-time derive their budgets from it); 1..COMPARE_MAX_EPOCHS. */
  epochs: number;
  /** fraction: percents (default 1, 5, 10, 25, 50, 100); updates: PAM updates per batch (default 1, 3, 5, 10); compare: ignored. */
  values?: number[];
}

/** What compareTrainers is doing now (Snapshot.comparing). */
export interface CompareProgress {
  done: number;
  runs: number;
  /** e.g. "pam-sgd at 10% (410 rows): epoch 3.0 of 5, test MSE 0.412". */
  phase: string;
}

/** compareTrainers' answer: core's sweep plus where its rows came from, what was capped, and the run ids the runs table shows. */
export interface TrainerComparison {
  /** 1, 2, … within this session. */
  comparison: number;
  kind: CompareKind;
  dataset: string;
  epochs: number;
  /** The config every run started from (before the per-run trainer, steps and batch). */
  config: Partial<TrainConfig>;
  sweep: AbSweep;
  /** runIds[i] is sweep.runs[i]'s number in the session's run numbering (startRun's), so each run is a row of the runs table. */
  runIds: number[];
  split: { source: 'eval' | 'held-out'; trainRows: number; testRows: number; how: string };
  /** The size limits that kept it interactive, said plainly, and what they cut here (empty when nothing). */
  limits: string;
  capped: string[];
  /** Every trainer runs on core's CPU reference (equal-time compares measured seconds on one backend; tied SGD exists only there). */
  backend: string;
  wallSeconds: number;
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
  /** exportRun's folder as one zip (built in the engine, src/core/formats/zip.ts). */
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
  /** The current run's ensemble metrics for J' = 1..J on its dataset's eval split; rejects before the first weights. */
  evaluateEnsemble(): Promise<EnsembleEvaluation>;
  /** Cross-member views of the current run (≥ 2 SAEs: bagging or boosting); rejects on one SAE or a bad member. */
  ensembleViews(req?: EnsembleViewsRequest): Promise<EnsembleViews>;
  /** Concept detection and spurious-correlation removal with the current run's ensemble (labelled datasets). */
  downstream(req?: DownstreamRequest): Promise<DownstreamReport>;
  /** Every SAE of the current run, and how they combine, as one zip. */
  exportEnsemble(): Promise<EnsembleZip>;
  /** Makes a saved ensemble the current run (status 'done'): evaluate, view, inspect and export it like a trained one. */
  loadEnsemble(req: LoadEnsembleRequest): Promise<RunInfo>;
  /** Chunked upload: a handle for the chunks of one file; uploadChunk appends a chunk (transferred). */
  beginUpload(start: UploadStart): Promise<string>;
  uploadChunk(handle: string, chunk: Uint8Array): Promise<void>;
  /**
   * Trains the A/B's trainers side by side on the same rows from one seed (core's abTest on the CPU reference) and
   * evaluates them on held-out rows; progress in Snapshot.comparing. Rejects while another comparison runs or a
   * run is training (pause or stop it first), and on a bad request, naming the field and the fix.
   */
  compareTrainers(req: CompareRequest): Promise<TrainerComparison>;
  /** The single push channel (null to detach); sends the current state at once. The engine never waits on it. */
  onSnapshot(listener: SnapshotListener | null): Promise<void>;
}

/** A Workbench with the inspection methods present (what createWorkbench returns). */
export type InspectingWorkbench = Workbench & Required<Pick<Workbench, 'inspectRun' | 'latentDetail'>>;
