// The Workbench contract — runs: the start request, status, snapshots, the backend and exports.
// Re-exported by src/engine/api.ts. Types and plain-data DTOs only (they survive structuredClone through
// Comlink); imports only types, from src/core and the other api/ files.

import type { EnsembleMethodName } from '../../core/ensemble/ensemble.ts';
import type { ResolvedConfig, TrainConfig } from '../../core/sae/config.ts';
import type { CompareProgress } from './compare.ts';
import type { DatasetProgress } from './datasets.ts';

/**
 * Where a run is in its life. 'error' and 'lost' carry Snapshot.error. 'lost': the WebGPU device was
 * lost (driver reset, GPU removed, tab out of memory); the run cannot continue, its last good weights
 * (Snapshot.weightsStep) stay exportable.
 */
export type RunStatus = 'idle' | 'training' | 'paused' | 'done' | 'error' | 'lost';

/**
 * Which engine trains a run: the WGSL engine on WebGPU, the wasm engine (src/cpu: the reference's step in
 * WebAssembly SIMD on the CPU, issue #15), or the CPU reference (src/core/sae/train.ts).
 */
export type BackendKind = 'webgpu' | 'wasm' | 'cpu';

/** 'auto': webgpu on a hardware adapter, else wasm where it covers the config, else cpu (as the CLI's --backend default). */
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
  /**
   * Continue a checkpoint (checkpointRun's bytes, or a `sae-workbench train --checkpoint` file) instead of
   * starting at step 0: its config, seeds and ensemble are the run's; `config` may only raise `steps`, and any
   * other field it sets must equal the checkpoint's. The dataset must be the one it trained on (same shape).
   * SGD only so far; boosting is not checkpointed yet.
   */
  resumeFrom?: { file: Uint8Array | Blob; name?: string };
}

/** A run's training state at its current step, as a file (core/sae/checkpoint.ts: safetensors + JSON metadata). */
export interface RunCheckpoint {
  /** The run it is of (the app keeps one checkpoint per run: src/ui/persist/). */
  run: number;
  fileName: string;
  bytes: Uint8Array;
  /** The global step it was saved at. */
  step: number;
  /** How long the engine took to read the state and write the file (ms): what it held the run's training up. */
  ms: number;
}

/** How a run's members make one model. 'single': one SAE (a 1-member ensemble). Core's type (src/core/ensemble/ensemble.ts). */
export type { EnsembleMethodName } from '../../core/ensemble/ensemble.ts';

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
  /** A resumed run: the checkpoint it continued and its step. */
  resumedFrom?: { fileName: string; step: number };
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
  /** The weights file's bytes, named weightsFile. */
  weights: Uint8Array;
  /** sae_weights.safetensors (SAELens), or model.safetensors for k-means / k-flats (src/core/formats/clusterFolder.ts). */
  weightsFile: string;
  /** sparsity.safetensors: log10 firing density per latent (per cluster for k-means / k-flats) over the training tokens seen. */
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
