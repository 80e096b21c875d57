// The Workbench contract — feature inspection: the latent table and one latent in detail.
// Re-exported by src/engine/api.ts. Types and plain-data DTOs only (they survive structuredClone through
// Comlink); imports only types, from src/core and the other api/ files.

import type { ActivationHistogram, LatentRow, QuantileInterval, TopActivation } from '../../core/inspect/inspect.ts';
import type { DatasetKind } from './datasets.ts';

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

/** A band of the firing rows by rank (QUANTILE_BANDS: 0–25% … 90–100%), with a few of its rows drawn. */
export interface QuantileBand {
  /** Rank fractions of the firing rows the band spans, e.g. 0.75 and 0.9. */
  from: number;
  to: number;
  /** Smallest and largest activation in the band (NaN when it is empty). */
  lo: number;
  hi: number;
  /** Members / n_i. */
  contains: number;
  /** Up to 4 rows spread over the band, value desc, drawn as the top inputs are. */
  samples: InputView[];
}

/** One token's direct logit effect e_v = W_U[v] · (γ ⊙ wDec_i) (src/core/inspect/logits.ts). */
export interface TokenEffectView {
  token: number;
  /** tokenLabel of the stories260K vocab. */
  text: string;
  value: number;
}

/**
 * The decoder's logit effects through stories260K's final-norm weight γ and tied unembedding W_U (the final
 * RMSNorm's 1/rms is one positive factor per position and is left out, as TransformerLens's fold_ln does), or
 * why there are none: not a language-model dataset, or an mlp:L site (not in the residual stream).
 */
export type LogitEffectsView =
  | { kind: 'effects'; site: string; promoted: TokenEffectView[]; suppressed: TokenEffectView[] }
  | { kind: 'none'; reason: string };

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
  /** The firing rows in 5 bands by rank (lowest non-zero quarter … top 10%) with 4 rows each; empty when it never fires. */
  bands: QuantileBand[];
  /** The 10 most promoted and suppressed tokens, for language-model resid:L sites. */
  logits: LogitEffectsView;
}
