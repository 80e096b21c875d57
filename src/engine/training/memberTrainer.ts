// The one shape every way of training a run's members has (the CPU reference, the WGSL engine; later
// PAM-SGD, k-means, k-flats): chunks of steps, weights read back, device loss, teardown. The run loop
// (runLoop.ts) and the ensemble trainer (ensembleTrainer.ts) see trainers only through it.
// Types only; imports src/core types. No UI, Comlink, Node or WGSL.

import type { ResolvedConfig } from '../../core/sae/config.ts';
import type { StepStats } from '../../core/sae/train.ts';
import type { BackendKind } from '../api.ts';
import type { Sae } from '../../core/sae/types.ts';
import type { Checkpoint } from '../../core/sae/checkpoint.ts';

/** Every member's parameters and firing counts at one step (a copy: later steps do not change it). */
export interface Weights {
  step: number;
  /** Training tokens seen by each member (members share the batch). */
  tokens: number;
  saes: Sae[];
  /** [member][dSae] tokens on which each latent fired. */
  firingCounts: Float64Array[];
}

/** Why a device went away, as WebGPU says it (GPUDeviceLostInfo, copied to plain data). */
export interface LostInfo {
  reason: string;
  message: string;
}

export interface MemberTrainer {
  readonly kind: BackendKind;
  readonly config: ResolvedConfig;
  readonly seeds: readonly number[];
  /** Steps done and measured. */
  readonly step: number;
  /** Trains at most `maxSteps` steps, for about `budgetMs`; returns their stats as [member][step] (steps 1-based, this trainer's own). */
  trainChunk(maxSteps: number, budgetMs: number): Promise<StepStats[][]>;
  /** The members' weights now (a GPU readback on webgpu). */
  readWeights(): Promise<Weights>;
  /**
   * Everything needed to continue exactly from now (core/sae/checkpoint.ts): parameters, Adam, firing
   * statistics, the batch order's position. Absent: a trainer that cannot be resumed yet (PAM-SGD).
   */
  checkpoint?(): Promise<Checkpoint>;
  /**
   * Called once when the trainer has trained all its steps, before its weights are final: a trainer whose
   * model is stale between updates brings it up to date (PAM-SGD solves the decoder for the final encoder
   * unless the last step just did, seed-papers §3.6). Absent: nothing to do.
   */
  finish?(): Promise<void>;
  /**
   * PAM-SGD: the steps (this trainer's; 0 = before its first) at which member 0's decoder was solved since
   * the last call, for the markers on the loss curve. Absent: a trainer with no such events.
   */
  drainSolves?(): number[];
  /**
   * Calls `listener` if the device is lost by anything but destroy() (a driver reset, the GPU removed…);
   * returns the unsubscribe. Never called on the CPU. destroy() unsubscribes every listener, so a finished
   * run holds nothing on a shared device.
   */
  onLost(listener: (info: LostInfo) => void): () => void;
  /** Frees the trainer's GPU buffers (the device stays for the next run); a no-op on the CPU. Idempotent. */
  destroy(): void;
}
