// The Workbench contract: the one interface the UI talks to, in-thread (tests, CLI) or through Comlink
// in a Web Worker (browser). Types and plain-data DTOs only (objects, arrays, numbers, strings, typed
// arrays; unions, not enums; no classes, no functions except the snapshot listener, no GPU objects), so
// every DTO survives structuredClone. Imports only types from src/core; must not import values, UI,
// Comlink or WebGPU.

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
  /** Dataset id, e.g. 'synthetic:small' or 'synthetic:small:7' (preset[:seed]). */
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
  /** The single push channel (null to detach); sends the current state at once. The engine never waits on it. */
  onSnapshot(listener: SnapshotListener | null): Promise<void>;
}
