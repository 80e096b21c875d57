// The Workbench contract: the one interface the UI talks to, in-thread (tests, CLI) or through Comlink
// in a Web Worker (browser). Types and plain-data DTOs only (objects, arrays, numbers, strings; no
// classes, no functions except the snapshot listener, no GPU objects), so every DTO survives
// structuredClone. Imports only types from src/core; must not import values, UI, Comlink or WebGPU.

import type { TrainConfig } from '../core/config.ts';

/** Where a run is in its life. 'error' carries Snapshot.error. */
export type RunStatus = 'idle' | 'training' | 'paused' | 'done' | 'error';

export interface StartRunRequest {
  /** Dataset id, e.g. 'synthetic:small' or 'synthetic:small:7' (preset[:seed]). */
  dataset: string;
  /** Overrides of DEFAULT_CONFIG (src/core/config.ts); the engine validates and says what to fix. */
  config: Partial<TrainConfig>;
}

/** The state of the current run, pushed at most ~15 times a second and on every status change. */
export interface Snapshot {
  /** Increments with each startRun; lets the UI drop snapshots of a run it has replaced. */
  run: number;
  status: RunStatus;
  /** Steps done (0 before the first). */
  step: number;
  /** Steps planned. */
  steps: number;
  /** Metrics of the latest step, on its batch (definitions: src/core/train.ts StepStats). */
  loss: number;
  /** Σ_d (x − x̂)², mean over tokens. */
  mse: number;
  /** Mean active latents per token. */
  l0: number;
  /** Fraction of latents not fired within the dead window. */
  deadFraction: number;
  /** 1 − Σ‖x − x̂‖² / Σ‖x − μ‖² on the batch. */
  explainedVariance: number;
  lr: number;
  /** Training tokens per second of active (unpaused) time. */
  tokensPerSecond: number;
  /** Loss of every step since the previous snapshot, so charts miss no step: steps[i] ↔ loss[i]. */
  recentLoss: { steps: number[]; loss: number[] };
  /** Set when status is 'error': what went wrong and what to do. */
  error?: string;
}

export type SnapshotListener = (snapshot: Snapshot) => void;

/** Which engine trains. Only the CPU reference for now; 'webgpu' arrives with the GPU trainer. */
export interface BackendInfo {
  kind: 'cpu';
  note: string;
}

/** Every method is async so the same interface works in-thread and through Comlink (Remote<Workbench>). */
export interface Workbench {
  backend(): Promise<BackendInfo>;
  /** Replaces the current run and starts training; rejects (without starting) on a bad dataset or config. */
  startRun(req: StartRunRequest): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Ends the run where it is (status 'done'); its last metrics stay in the final snapshot. */
  stop(): Promise<void>;
  /** The single push channel (null to detach). The engine never waits on the listener. */
  onSnapshot(listener: SnapshotListener | null): Promise<void>;
}
