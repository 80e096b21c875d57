// Training configuration: defaults, resolution of the "auto" values, and validation with actionable
// messages. Imports only src/core. Defaults follow shared/reference/sae-libraries.md §3.4.

import { configBytes, formatBytes, largestDSaeWithin } from './memory.ts';
import type { Arch } from './types.ts';
import { ARCHS, isClusterArch } from './types.ts';

/** How bDec is initialised (sae-libraries §3.4): Weiszfeld geometric median of a sample, its mean, or zeros. */
export type BDecInit = 'geometric-median' | 'mean' | 'zeros';
/** Input scaling: none, or SAELens `expected_average_only_in`: x' = s·x with s = √dIn / E‖x‖. */
export type InputScaling = 'none' | 'expected-norm';

/**
 * How the parameters are fitted. 'sgd': Adam on the whole loss (sae-libraries §3.4); for k-means, Adam on the
 * MSE of its Top-1-SAE form (seed-papers §3.3, src/core/cluster/top1.ts). 'pam-sgd': SplInterp's proximal
 * alternating method (seed-papers §3.6, src/core/sae/pamTrain.ts): Adam on the encoder with a stay-close term,
 * the decoder solved in closed form once per epoch. 'lloyd': the exact alternation of the cluster families
 * (assign every row to its nearest piece, refit every piece; Lloyd's k-means, the k-flats alternation; one step
 * = one pass over all rows, src/core/cluster/lloyd.ts). 'kmeans-then-pca': the SplInterp toy for k-flats
 * (Lloyd's k-means, each step's pieces the local PCA of the k-means cells; no reassignment by residual). The
 * engine's trainer factory (src/engine/training/factory.ts) has one entry per (family, trainer).
 */
export const TRAINERS = ['sgd', 'pam-sgd', 'lloyd', 'kmeans-then-pca'] as const;
export type TrainerName = (typeof TRAINERS)[number];

/** What kind of model an arch is: an SAE (the four SAE_ARCHS) or one of the cluster families (src/core/cluster/). */
export type ModelFamily = 'sae' | 'kmeans' | 'kflats';
export const familyOfArch = (arch: Arch): ModelFamily => (isClusterArch(arch) ? arch : 'sae');
/** The trainers each family offers, default first (the engine's TRAINER_TABLE has exactly these rows: test/engine/factory.test.ts). */
export const FAMILY_TRAINERS: Record<ModelFamily, readonly TrainerName[]> = {
  sae: ['sgd', 'pam-sgd'],
  kmeans: ['lloyd', 'sgd'],
  kflats: ['lloyd', 'kmeans-then-pca'],
};
/** The trainer a run of `arch` gets when none is named (the CLI's default; the app's on switching arch): its family's first. */
export const defaultTrainerOf = (arch: Arch): TrainerName => FAMILY_TRAINERS[familyOfArch(arch)][0];
/** The trainer a run of `arch` gets when `trainer` is not one its family offers (the app switches to it with the arch). */
export const trainerFor = (arch: Arch, trainer: TrainerName): TrainerName => {
  const offered = FAMILY_TRAINERS[familyOfArch(arch)];
  return offered.includes(trainer) ? trainer : defaultTrainerOf(arch);
};

/** pam-sgd: when the decoder solve runs in each epoch (seed-papers §3.6–3.7). */
export const PAM_ORDERS = ['encoder-first', 'decoder-first'] as const;
export type PamOrder = (typeof PAM_ORDERS)[number];
/** pam-sgd: 'exact' = the joint ridge/proximal closed form of §3.6; 'uncentred' = the MNIST script's least squares. */
export const PAM_SOLVES = ['exact', 'uncentred'] as const;
export type PamSolve = (typeof PAM_SOLVES)[number];
/**
 * How the weights are initialised (init.ts; seed-papers §3.7). 'sae': our recipe (sae-libraries §3.4: decoder
 * rows Gaussian then unit norm, wEnc = wDec, bDec from bDecInit). 'splinterp-mnist': the MNIST script's
 * wEnc ~ N(0, 0.1²), wDec ~ N(0, 0.01²), biases 0. 'splinterp-llm': the LLM script's wEnc ~ N(0, 1/dIn),
 * wDec ~ N(0, 1/dSae), biases 0.
 */
export const INITS = ['sae', 'splinterp-mnist', 'splinterp-llm'] as const;
export type InitName = (typeof INITS)[number];
/**
 * TopK's selection (sae.ts; seed-papers §3.6 "Sparsifier"). 'relu': the k largest z, then ReLU (ours and
 * SAELens'). 'abs-signed': the k largest |z| with their signs kept and no ReLU (the SplInterp scripts'); it
 * trains on the CPU reference only and does not export to SAELens (whose TopK applies ReLU). Other archs
 * ignore it (so a SplInterp preset applies to a ReLU run too).
 */
export const TOPK_SELECTS = ['relu', 'abs-signed'] as const;
export type TopkSelect = (typeof TOPK_SELECTS)[number];
/** Architectures PAM-SGD trains (BatchTopK's batch-level codes have no per-row form for the streamed solve). */
export const PAM_ARCHS: readonly Arch[] = ['topk', 'relu', 'jumprelu'];

/** Most SAEs one run holds (bagging members, boosting stages) and the largest expanded multiplier J. */
export const MAX_ENSEMBLE_MEMBERS = 16;
/**
 * Most weights in one SAE's encoder (or decoder) matrix, dSae·dIn: 2^26 (256 MiB of f32; 16384 latents on
 * 4096 inputs, or 65536 on 1024). Larger SAEs are for SAELens on a GPU cluster, not a browser tab.
 */
export const MAX_LATENTS_X_DIN = 1 << 26;
/**
 * Most memory one run's training may need (memory.ts configBytes: every SAE's parameters, Adam moments,
 * gradients and batch buffers): 4 GiB, what a 64-bit browser tab or Node process can still hold beside its
 * dataset (at most 1 GiB, formats/limits.ts MAX_ELEMENTS).
 */
export const MAX_TRAINING_BYTES = 2 ** 32;

/** Everything a training run needs. `null` means "derive it" (see resolveConfig). */
export interface TrainConfig {
  arch: Arch;
  /** The optimiser that fits the parameters (TRAINERS). */
  trainer: TrainerName;
  /** Number of latents. */
  dSae: number;
  /** topk: latents per token; batchtopk: mean latents per token. Ignored by the cluster families. */
  k: number;
  /** kflats: the rank r of each piece (0 = k-means; dIn = exact). For kmeans and kflats, dSae is the number of clusters. */
  rank: number;
  /** relu: L1 coefficient λ (decoder-norm weighted); jumprelu: L0 coefficient λ. Ignored by topk/batchtopk. */
  l1Coefficient: number;
  /** Steps over which the sparsity coefficient ramps linearly from 0 to l1Coefficient (relu, jumprelu). null → 5% of steps. */
  l1WarmupSteps: number | null;
  steps: number;
  /** Tokens per step. */
  batch: number;
  /** Peak learning rate. null → 2e-4·√(16384/dSae), clamped to ≤ 3e-3 (lr ∝ 1/√width, Gao et al.). */
  lr: number | null;
  /** Linear warm-up steps. null → min(1000, 5% of steps). */
  lrWarmupSteps: number | null;
  /** Linear decay to 0 over the last lrDecaySteps steps. null → 20% of steps. */
  lrDecaySteps: number | null;
  adamBeta1: number;
  adamBeta2: number;
  adamEps: number;
  /** Global gradient-norm clip (0 = off). */
  gradClipNorm: number;
  /** AuxK coefficient α (topk, batchtopk); 0 turns AuxK off. */
  auxkCoefficient: number;
  /** kAux: dead latents used by AuxK. null → dIn/2. */
  kAux: number | null;
  /** A latent is dead after this many tokens without firing. null → min(10M, 20% of training tokens). */
  deadWindowTokens: number | null;
  /** jumprelu: initial threshold θ and the straight-through rectangle bandwidth ε. */
  jumpreluInitThreshold: number;
  jumpreluBandwidth: number;
  /** batchtopk: EMA rate of the inference threshold. */
  batchTopkThresholdRate: number;
  bDecInit: BDecInit;
  inputScaling: InputScaling;
  /** Seeds init and batch order. */
  seed: number;
  /** Weight initialisation (INITS): 'sae' is ours; the others are the SplInterp scripts' (§3.7). */
  init: InitName;
  /** topk: the selection (TOPK_SELECTS): 'relu' (ours) or 'abs-signed' (the SplInterp scripts', §3.6). Ignored by other archs. */
  topkSelect: TopkSelect;
  // ---- pam-sgd only (seed-papers §3.6; ignored by sgd) ----
  // Scaling: every coefficient below multiplies a term of the objective written as a MEAN over rows, the
  // same convention as our loss (mse = (1/B)·Σ_t ‖x_t − x̂_t‖², summed over dims):
  //   encoder block: (1/B)·Σ_batch ‖x − x̂‖² (+ sparsity) + pamProxEnc·(‖E − E_t‖² + ‖b_enc − b_enc,t‖²)
  //   decoder block: (1/N)·Σ_rows ‖x − D·z − b_dec‖² + pamRidge·(‖D‖² + ‖b_dec‖²)
  //                  + pamProxDec·(‖D − D_t‖² + ‖b_dec − b_dec,t‖²)
  // The paper's F sums over the N rows, so its α, β, μ, ν are ours times N (§3.6). The scripts' loss is
  // MSELoss (a mean over rows AND dims), so a script coefficient c equals ours / dIn (ours = dIn·c), and the
  // scripts' ridge ε on ZᵀZ (a sum) equals N·pamRidge. Coefficients here do not change with the data size.
  /** Per epoch: 'encoder-first' (the paper's iteration and the MNIST script: encoder pass, then solve) or 'decoder-first' (the LLM script: solve, then encoder pass; also before the first). */
  pamOrder: PamOrder;
  /** μ_enc = ν_enc: the encoder's stay-close weight to its value at the start of the epoch; 0 = off. */
  pamProxEnc: number;
  /** μ_dec = ν_dec: the decoder's stay-close weight to its value before the solve; 0 = off (the scripts). */
  pamProxDec: number;
  /** α = β: ridge on the decoder and its bias. Keeps the solve definite when latents are dead. */
  pamRidge: number;
  /** Adam updates per encoder batch (the scripts' sgd_updates_per_batch); each counts once in steps. */
  pamUpdatesPerBatch: number;
  /** The decoder solve: 'exact' (§3.6 joint closed form) or 'uncentred' (MNIST script: D = (ZᵀZ/N + αI)⁻¹ZᵀX/N, b_dec = mean residual; pamProxDec adds μ to the ridge and μ·D_t to the right side, β and ν unused). */
  pamSolve: PamSolve;
  /**
   * Share of the training rows the decoder solve streams, in (0, 1] (issue #11: "the training rows, or a chosen
   * fraction"): a seeded subset fixed for the run; 1 = every row, in order (the default, unchanged).
   */
  pamSolveFraction: number;
}

export const DEFAULT_CONFIG: TrainConfig = {
  arch: 'topk',
  trainer: 'sgd',
  dSae: 64,
  k: 4,
  rank: 1,
  l1Coefficient: 1e-3,
  l1WarmupSteps: null,
  steps: 1000,
  batch: 256,
  lr: null,
  lrWarmupSteps: null,
  lrDecaySteps: null,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEps: 1e-8,
  gradClipNorm: 1,
  auxkCoefficient: 1 / 32,
  kAux: null,
  deadWindowTokens: null,
  jumpreluInitThreshold: 1e-3,
  jumpreluBandwidth: 1e-3,
  batchTopkThresholdRate: 0.01,
  bDecInit: 'geometric-median',
  inputScaling: 'none',
  seed: 0,
  init: 'sae',
  topkSelect: 'relu',
  pamOrder: 'encoder-first',
  pamProxEnc: 1e-3,
  pamProxDec: 1e-3,
  pamRidge: 1e-6,
  pamUpdatesPerBatch: 1,
  pamSolve: 'exact',
  pamSolveFraction: 1,
};

/**
 * The allowed values of every string field of TrainConfig: one list for validation, the CLI's flags, the
 * app's selects and the URL hash.
 */
export const CONFIG_CHOICES = {
  arch: ARCHS,
  trainer: TRAINERS,
  bDecInit: ['geometric-median', 'mean', 'zeros'],
  inputScaling: ['none', 'expected-norm'],
  init: INITS,
  topkSelect: TOPK_SELECTS,
  pamOrder: PAM_ORDERS,
  pamSolve: PAM_SOLVES,
} as const satisfies { [K in keyof TrainConfig]?: readonly TrainConfig[K][] };

/** Rows a PAM-SGD decoder solve streams: round(fraction·rows), at least 1 (every row when fraction is 1). */
export const pamSolveRows = (rows: number, fraction: number): number => (fraction >= 1 ? rows : Math.max(1, Math.min(rows, Math.round(fraction * rows))));

/** Most Adam updates per encoder batch PAM-SGD allows (the scripts' ablation goes to 10). */
export const MAX_PAM_UPDATES_PER_BATCH = 100;

/** A config with every `null` replaced by its derived value for this dataset width. */
export type ResolvedConfig = {
  [K in keyof TrainConfig]: Exclude<TrainConfig[K], null>;
};

/** Peak learning rate auto-scaled by width: 2e-4·√(16384/dSae), at most 3e-3 (sae-libraries §3.4). */
export function autoLr(dSae: number): number {
  return Math.min(3e-3, 2e-4 * Math.sqrt(16384 / dSae));
}

/** Fills in the derived values. Call validateConfig first. */
export function resolveConfig(c: TrainConfig, dIn: number): ResolvedConfig {
  const totalTokens = c.steps * c.batch;
  return {
    ...c,
    lr: c.lr ?? autoLr(c.dSae),
    lrWarmupSteps: c.lrWarmupSteps ?? Math.min(1000, Math.floor(0.05 * c.steps)),
    lrDecaySteps: c.lrDecaySteps ?? Math.floor(0.2 * c.steps),
    l1WarmupSteps: c.l1WarmupSteps ?? Math.floor(0.05 * c.steps),
    kAux: c.kAux ?? Math.max(1, Math.floor(dIn / 2)),
    deadWindowTokens: c.deadWindowTokens ?? Math.max(c.batch, Math.min(10_000_000, Math.floor(0.2 * totalTokens))),
  };
}

/** Learning rate at 0-based `step`: linear warm-up, constant, then linear decay to 0 over the last lrDecaySteps. */
export function lrAt(c: ResolvedConfig, step: number): number {
  let f = 1;
  if (c.lrWarmupSteps > 0 && step < c.lrWarmupSteps) f = (step + 1) / c.lrWarmupSteps;
  const decayStart = c.steps - c.lrDecaySteps;
  if (c.lrDecaySteps > 0 && step >= decayStart) f = Math.min(f, (c.steps - step) / c.lrDecaySteps);
  return c.lr * f;
}

/** Sparsity coefficient at `step`: linear ramp from 0 over l1WarmupSteps (relu, jumprelu). */
export function l1At(c: ResolvedConfig, step: number): number {
  if (c.l1WarmupSteps <= 0 || step >= c.l1WarmupSteps) return c.l1Coefficient;
  return (c.l1Coefficient * (step + 1)) / c.l1WarmupSteps;
}

const isInt = (v: number): boolean => Number.isInteger(v);

/**
 * Every problem with `c` for data of width dIn with `rows` rows, trained as `members` SAEs held at once
 * (bagging members; default 1), as messages that name the field, the value, the allowed range and the fix.
 * Empty when the config is valid — including the memory it needs, so a valid config can be allocated.
 */
export function validateConfig(c: TrainConfig, dIn: number, rows: number, members = 1): string[] {
  const e: string[] = [];
  if (!ARCHS.includes(c.arch)) e.push(`arch "${String(c.arch)}" is unknown: use one of ${ARCHS.join(', ')}`);
  if (!(TRAINERS as readonly string[]).includes(c.trainer)) e.push(`trainer "${String(c.trainer)}" is unknown: use one of ${TRAINERS.join(', ')}`);
  if (!isInt(c.dSae) || c.dSae < 1) e.push(`latents (dSae) must be an integer ≥ 1, got ${c.dSae}`);
  if ((c.arch === 'topk' || c.arch === 'batchtopk') && (!isInt(c.k) || c.k < 1 || c.k > c.dSae))
    e.push(`k must be an integer in [1, dSae=${c.dSae}], got ${c.k}: lower k or raise --latents`);
  if (!isInt(c.steps) || c.steps < 1) e.push(`steps must be an integer ≥ 1, got ${c.steps}`);
  if (!isInt(c.batch) || c.batch < 1) e.push(`batch must be an integer ≥ 1, got ${c.batch}`);
  else if (c.batch > rows) e.push(`batch (${c.batch}) is larger than the dataset (${rows} rows): lower --batch`);
  if (c.lr !== null && !(c.lr > 0 && c.lr < 1)) e.push(`lr must be in (0, 1), got ${c.lr}`);
  if (!(c.l1Coefficient >= 0 && Number.isFinite(c.l1Coefficient))) e.push(`l1 coefficient must be ≥ 0, got ${c.l1Coefficient}`);
  if (!(c.adamBeta1 >= 0 && c.adamBeta1 < 1)) e.push(`adamBeta1 must be in [0, 1), got ${c.adamBeta1}`);
  if (!(c.adamBeta2 >= 0 && c.adamBeta2 < 1)) e.push(`adamBeta2 must be in [0, 1), got ${c.adamBeta2}`);
  if (!(c.adamEps > 0)) e.push(`adamEps must be > 0, got ${c.adamEps}`);
  if (!(c.gradClipNorm >= 0)) e.push(`gradClipNorm must be ≥ 0 (0 = off), got ${c.gradClipNorm}`);
  if (!(c.auxkCoefficient >= 0)) e.push(`auxkCoefficient must be ≥ 0 (0 = off), got ${c.auxkCoefficient}`);
  if (c.kAux !== null && (!isInt(c.kAux) || c.kAux < 1 || c.kAux > c.dSae)) e.push(`kAux must be an integer in [1, dSae=${c.dSae}], got ${c.kAux}`);
  for (const [name, v] of [['lrWarmupSteps', c.lrWarmupSteps], ['lrDecaySteps', c.lrDecaySteps], ['l1WarmupSteps', c.l1WarmupSteps]] as const)
    if (v !== null && (!isInt(v) || v < 0 || v > c.steps)) e.push(`${name} must be an integer in [0, steps=${c.steps}], got ${v}`);
  if (c.deadWindowTokens !== null && !(c.deadWindowTokens >= 1)) e.push(`deadWindowTokens must be ≥ 1, got ${c.deadWindowTokens}`);
  if (!(c.jumpreluInitThreshold > 0)) e.push(`jumpreluInitThreshold must be > 0, got ${c.jumpreluInitThreshold}`);
  if (!(c.jumpreluBandwidth > 0)) e.push(`jumpreluBandwidth must be > 0, got ${c.jumpreluBandwidth}`);
  if (!(c.batchTopkThresholdRate > 0 && c.batchTopkThresholdRate <= 1)) e.push(`batchTopkThresholdRate must be in (0, 1], got ${c.batchTopkThresholdRate}`);
  if (!(CONFIG_CHOICES.bDecInit as readonly string[]).includes(c.bDecInit)) e.push(`bDecInit must be geometric-median, mean or zeros, got ${String(c.bDecInit)}`);
  if (!(CONFIG_CHOICES.inputScaling as readonly string[]).includes(c.inputScaling)) e.push(`inputScaling must be none or expected-norm, got ${String(c.inputScaling)}`);
  if (!(INITS as readonly string[]).includes(c.init)) e.push(`init "${String(c.init)}" is unknown: use one of ${INITS.join(', ')}`);
  if (!(TOPK_SELECTS as readonly string[]).includes(c.topkSelect)) e.push(`topkSelect "${String(c.topkSelect)}" is unknown: use one of ${TOPK_SELECTS.join(', ')}`);
  if (!isInt(c.seed) || c.seed < 0 || c.seed > 0xffffffff) e.push(`seed must be an integer in [0, 2^32), got ${c.seed}`);
  if (!isInt(dIn) || dIn < 1) e.push(`data width dIn must be ≥ 1, got ${dIn}`);
  e.push(...validatePam(c, rows));
  e.push(...validateFamily(c, dIn, rows));
  // The size limits whenever the shape is valid, beside any other problem (one refusal lists them all).
  const shaped = isInt(c.dSae) && c.dSae >= 1 && isInt(c.batch) && c.batch >= 1 && isInt(dIn) && dIn >= 1 && isInt(members) && members >= 1;
  if (shaped) e.push(...validateMemory(c, dIn, members));
  return e;
}

/**
 * The size limits (checked last, on a valid shape, so the numbers are meaningful): dSae·dIn per
 * SAE, then the memory of the whole run. Each message names the numbers, the limit and the largest dSae that fits.
 */
function validateMemory(c: TrainConfig, dIn: number, members: number): string[] {
  const more = members > 1 ? ' or the members' : '';
  // The largest dSae both limits allow at this dIn, batch and members: the one number a user needs.
  const fit = Math.min(Math.floor(MAX_LATENTS_X_DIN / dIn), largestDSaeWithin(c, dIn, members, MAX_TRAINING_BYTES));
  const latents = `lower --latents (dSae) to at most ${fit}`;
  const fix = fit >= 1 ? `${latents}${c.batch > 1 ? `, or lower --batch${more}` : ''}` : `lower --batch${more}: even 1 latent does not fit`;
  const weights = c.dSae * dIn;
  if (weights > MAX_LATENTS_X_DIN) {
    return [`latents × dIn = ${c.dSae} × ${dIn} = ${weights} weights per matrix is over the limit of ${MAX_LATENTS_X_DIN} (2^26, ${formatBytes(4 * MAX_LATENTS_X_DIN)} of f32): ${fit >= 1 ? latents : fix}`];
  }
  const bytes = configBytes(c, dIn, members);
  if (bytes <= MAX_TRAINING_BYTES) return [];
  const who = members > 1 ? `${members} SAEs × ` : '';
  const pam = c.trainer === 'pam-sgd' ? ', and the pam-sgd Gram matrix' : '';
  return [
    `training needs about ${formatBytes(bytes)} (${who}parameters, Adam moments, gradients and batch buffers of ${c.dSae} latents × ${dIn} inputs at batch ${c.batch}${pam}), ` +
      `over the limit of ${formatBytes(MAX_TRAINING_BYTES)}: ${fix}`,
  ];
}

/** The trainer against the arch's family, and the cluster families' own limits (issue #12). */
function validateFamily(c: TrainConfig, dIn: number, rows: number): string[] {
  if (!ARCHS.includes(c.arch) || !(TRAINERS as readonly string[]).includes(c.trainer)) return [];
  const family = familyOfArch(c.arch);
  const offered = FAMILY_TRAINERS[family];
  const e: string[] = [];
  if (!offered.includes(c.trainer)) e.push(`trainer ${c.trainer} does not train ${c.arch} ${family === 'sae' ? 'SAEs' : 'models'}: use one of ${offered.join(', ')} (or another arch)`);
  if (family === 'sae') return e;
  if (isInt(c.dSae) && c.dSae > rows) e.push(`latents (dSae, the number of clusters for ${c.arch}) = ${c.dSae} is more than the dataset's ${rows} rows: lower --latents to at most ${rows}`);
  if (c.arch === 'kflats' && (!isInt(c.rank) || c.rank < 0 || c.rank > dIn)) e.push(`rank must be an integer in [0, dIn=${dIn}] for kflats (0 = k-means, dIn = exact), got ${c.rank}: set --rank`);
  if (c.inputScaling !== 'none') e.push(`inputScaling ${c.inputScaling} is for SAEs: ${c.arch} fits the data in its own units; use inputScaling none`);
  // The SAE layout (src/core/cluster/model.ts) holds 2·rank + 1 latents per cluster.
  const block = c.arch === 'kflats' && isInt(c.rank) ? 2 * c.rank + 1 : 1;
  if (isInt(c.dSae) && c.dSae * block * dIn > MAX_LATENTS_X_DIN)
    e.push(`clusters × (2·rank + 1) × dIn = ${c.dSae} × ${block} × ${dIn} is over the limit of ${MAX_LATENTS_X_DIN} weights: lower --latents or --rank`);
  return e;
}

const finiteNonNeg = (v: number): boolean => Number.isFinite(v) && v >= 0;

/** The PAM-SGD settings' problems (always checked, so a bad value is caught before the trainer is switched). */
function validatePam(c: TrainConfig, rows: number): string[] {
  const e: string[] = [];
  if (!(PAM_ORDERS as readonly string[]).includes(c.pamOrder)) e.push(`pamOrder "${String(c.pamOrder)}" is unknown: use one of ${PAM_ORDERS.join(', ')}`);
  if (!(PAM_SOLVES as readonly string[]).includes(c.pamSolve)) e.push(`pamSolve "${String(c.pamSolve)}" is unknown: use one of ${PAM_SOLVES.join(', ')}`);
  if (!finiteNonNeg(c.pamProxEnc)) e.push(`pamProxEnc (μ_enc) must be a finite number ≥ 0, got ${c.pamProxEnc}: use 0 to turn the encoder's stay-close term off, 1e-3 is the LLM script's`);
  if (!finiteNonNeg(c.pamProxDec)) e.push(`pamProxDec (μ_dec) must be a finite number ≥ 0, got ${c.pamProxDec}: use 0 to turn the decoder's stay-close term off`);
  if (!finiteNonNeg(c.pamRidge)) e.push(`pamRidge (α) must be a finite number ≥ 0, got ${c.pamRidge}: use a small positive ridge such as 1e-6`);
  if (!isInt(c.pamUpdatesPerBatch) || c.pamUpdatesPerBatch < 1 || c.pamUpdatesPerBatch > MAX_PAM_UPDATES_PER_BATCH)
    e.push(`pamUpdatesPerBatch must be an integer in [1, ${MAX_PAM_UPDATES_PER_BATCH}], got ${c.pamUpdatesPerBatch}`);
  if (c.trainer !== 'pam-sgd') return e;
  if (!PAM_ARCHS.includes(c.arch)) e.push(`trainer pam-sgd does not train ${String(c.arch)} SAEs (its decoder solve needs per-row codes): use arch ${PAM_ARCHS.join(', ')} or trainer sgd`);
  // Σzzᵀ has rank ≤ rows: with fewer rows than latents and no ridge or stay-close term the solve is singular.
  if (!(c.pamSolveFraction > 0 && c.pamSolveFraction <= 1)) e.push(`pamSolveFraction must be in (0, 1] (the share of training rows the decoder solve streams), got ${c.pamSolveFraction}`);
  const solveRows = pamSolveRows(rows, c.pamSolveFraction);
  if (c.pamRidge === 0 && c.pamProxDec === 0 && solveRows < c.dSae)
    e.push(
      `pamRidge 0 and pamProxDec 0 with fewer ${solveRows < rows ? `solve rows (${solveRows} of ${rows} training rows)` : `training rows (${rows})`} than latents (dSae=${c.dSae}) make the decoder solve singular: set pamRidge > 0 (e.g. 1e-6), use more rows${solveRows < rows ? ' or a larger pamSolveFraction' : ''}`,
    );
  return e;
}
