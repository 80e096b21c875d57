// The Workbench contract — ensembles (Gadgil, Lin, Lee; seed-papers.md §2): evaluation, views, downstream, files.
// Re-exported by src/engine/api.ts. Types and plain-data DTOs only (they survive structuredClone through
// Comlink); imports only types, from src/core and the other api/ files.

import type { EnsembleMethodName, EnsembleMetrics } from '../../core/ensemble/ensemble.ts';
import type { BlobFile, StreamedFile, UploadFile } from './datasets.ts';

// ---- ensembles (Gadgil, Lin, Lee; seed-papers.md §2) ------------------------------------------------
// Member j of J, latent i of member j is latent offsets[j] + i of the concatenated view (J·dSae latents,
// Prop. 3.1: the ensemble is one SAE with the members' decoder rows stacked). Cosines are signed cosines of
// decoder rows (feature directions). Formulas: src/core/ensemble/ensemble.ts and src/core/ensemble/ensembleViews.ts.

/** The ensemble metrics on held-out rows, raw units: core's own type (src/core/ensemble/ensemble.ts, each formula there). */
export type { EnsembleMetrics } from '../../core/ensemble/ensemble.ts';

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
