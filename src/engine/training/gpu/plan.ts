// The shape every architecture's step plan has (topkPlan.ts, batchTopkPlan.ts, densePlan.ts), and what the
// trainer (../gpuTrainer.ts) hands each of them. A plan is chosen once per trainer from config.arch: it owns
// its buffers, binds its dispatches once and records, every step, the span from the pre-activations z to
// every gradient; the trainer records the shared rest (gather, encode, optimiser tail, firing, metrics).
// Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.

import type { ResolvedConfig } from '../../../core/sae/config.ts';
import type { Kernel, Recorder } from '../../../gpu/kernel.ts';
import type { DataChunk } from '../../../gpu/kernels/data.ts';
import type { EncodeGemm } from '../../../gpu/kernels/encode.ts';
import type { PamKernels } from '../../../gpu/kernels/pam.ts';
import type { SparseKernels } from '../../../gpu/kernels/sparse.ts';
import type { Allocator, ModelTensors } from './buffers.ts';

/** Sizes of one step; N = M·dSae latents in all (the member axis, shaders/README.md). */
export interface StepShape {
  batch: number;
  /** Ensemble members. */
  M: number;
  dIn: number;
  dSae: number;
  N: number;
}

/** Buffers every plan reads or writes, made by the trainer. */
export interface StepBuffers {
  x: GPUBuffer; // [batch, dIn] the shared, scaled batch
  z: GPUBuffer; // [batch, N] pre-activations (encode.wgsl)
  xHat: GPUBuffer; // [M, batch, dIn] each member's reconstruction
  e: GPUBuffer; // [M, batch, dIn] the main term's residual x̂ − x
  sqErr: GPUBuffer; // [M, batch] per-row squared error of the main term
  dead: GPUBuffer; // [N] u32 0/1, from the previous step's firing statistics (AuxK's candidates)
  stats: GPUBuffer; // [M, 2] u32 (fires, dead latents) of the previous step until firing rewrites it
  sparsityTerm: GPUBuffer; // [M] λ-weighted sparsity of the step (zeros unless a plan writes it)
}

export interface PlanContext {
  device: GPUDevice;
  config: ResolvedConfig;
  shape: StepShape;
  /** A software adapter (SwiftShader): serial TopK, smaller BatchTopK workgroups. */
  software: boolean;
  /** Kernels every plan uses: the sparse family (bDecGrad, and the TopK / AuxK terms) and the encoder GEMM. */
  kernels: { sparse: SparseKernels; gemm: EncodeGemm };
  params: ModelTensors;
  step: StepBuffers;
}

/** What AuxK leaves for the step metrics (stepStats.wgsl). */
export interface AuxKOutputs {
  sqErr: GPUBuffer; // [M, batch] AuxK's per-row squared error
  memberScale: GPUBuffer; // [M] min(nDead_j / kAux, 1)
}

export interface ArchPlan extends Recorder {
  /** What firing.wgsl counts: sparse slots (idx, val [batch, M, k]) or dense codes (val = f [batch, N]; idx unread). */
  readonly firing: { dense: boolean; val: GPUBuffer; idx: GPUBuffer; k: number };
  /** AuxK's outputs for the step metrics; null when the plan has no AuxK term (or α = 0). */
  readonly auxk: AuxKOutputs | null;
  /** [M, 2] (θ, started): BatchTopK's inference threshold per member; null for the other architectures. */
  readonly batchThreshold: GPUBuffer | null;
  /** Queues the uniforms of step `step` (0-based; the λ warm-up) before its submit. */
  setStep(step: number): void;
  /** record(pass): z → codes → reconstruction → every gradient (dWEnc, dBEnc, dWDec, dBDec, dLogThreshold). */
}

/**
 * A plan's step: records `parts` in order; destroys them, then `alsoOwned` (prepared pieces whose recorders
 * appear in parts but which tear down as a whole, like a DenseTerm), then the plan's own buffers.
 */
export function planRecorder(parts: readonly Recorder[], alloc: Allocator, alsoOwned: readonly { destroy(): void }[] = []): Recorder {
  return {
    record: (pass) => parts.forEach((p) => p.record(pass)),
    destroy: () => {
      parts.forEach((p) => p.destroy());
      alsoOwned.forEach((o) => o.destroy());
      alloc.destroyAll();
    },
  };
}

/** What a caller builds further GPU work on (PAM-SGD's decoder solve, pamDecoder.ts): the trainer's own buffers and kernels, not copies. */
export interface GpuTrainerParts {
  device: GPUDevice;
  params: ModelTensors;
  /** The training rows, chunked to the binding limit; [rows, dIn] raw (multiply by inputScale). */
  chunks: readonly DataChunk[];
  rows: number;
  dIn: number;
  inputScale: number;
  /** pam: compiled for encoderOnly (the stay-close term), null otherwise. */
  kernels: { gather: Kernel; encodeBias: Kernel; gemm: EncodeGemm; sparse: SparseKernels; pam: PamKernels | null };
  software: boolean;
}
