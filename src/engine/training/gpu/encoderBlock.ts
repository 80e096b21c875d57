// PAM-SGD's encoder block as an optimiser tail (SplInterp §3.6; twin src/core/sae/pamTrain.ts trainStep): the
// decoder is frozen, so instead of prepareOptimTail's project → clip → Adam ×5 → renormalise this records
//   stay-close gradient (pamEncoder.wgsl:proxGrad) → clip over the encoder's gradients → Adam on wEnc, bEnc (and
//   JumpReLU's log θ).
// Why not the SGD tail with zero decoder gradients: the plans write dWDec and dBDec (they are the same plans), and
// the reference zeroes them before the clip; leaving the decoder out of the norm and of Adam is that, exactly
// (Adam on a zero gradient with zero moments moves nothing). No projection or renormalisation: the decoder rows
// are the solve's exact minimiser and rescaling them would undo it.
// The anchor (E_t, b_enc,t) is the encoder at the start of each epoch in the paper's coordinates: anchorW ← wEnc,
// anchorB ← bEff = bEnc − wEnc·bDec (encodeBias.wgsl), copied on the GPU by recordAnchor.
// Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.

import type { Recorder } from '../../../gpu/kernel.ts';
import type { PamKernels } from '../../../gpu/kernels/pam.ts';
import { preparePamProx } from '../../../gpu/kernels/pam.ts';
import type { AdamStepHyper, OptimKernels, OptimTail, PreparedAdam } from '../../../gpu/kernels/optim.ts';
import { prepareAdam, prepareGradNorm, writeAdamStep } from '../../../gpu/kernels/optim.ts';
import type { Allocator, ModelTensors } from './buffers.ts';

export interface EncoderBlockTail extends OptimTail {
  /** Records anchorW ← wEnc, anchorB ← bEff (bEff must hold this step's bEnc − wEnc·bDec: record encodeBias first). */
  recordAnchor(encoder: GPUCommandEncoder): void;
}

/**
 * The encoder-only tail for M members: shapes as prepareOptimTail (tensors [M, segLen]); bEff [N] is the trainer's
 * bEnc − wEnc·bDec of the current update; mu = pamProxEnc (μ_enc = ν_enc). The anchors are allocated from `alloc`.
 */
export function prepareEncoderBlockTail(
  device: GPUDevice,
  k: { optim: OptimKernels; pam: PamKernels },
  shape: { members: number; dSae: number; dIn: number; maxNorm: number; mu: number },
  params: ModelTensors,
  bEff: GPUBuffer,
  alloc: Allocator,
  h: AdamStepHyper,
): EncoderBlockTail {
  const { members, dSae, dIn, maxNorm, mu } = shape;
  const N = members * dSae;
  const { wEnc, bEnc, bDec, logThreshold } = params;
  const anchorW = alloc.f32('anchorW', N * dIn); // [N, dIn] E_t
  const anchorB = alloc.f32('anchorB', N); // [N] b_enc,t
  const trained = [wEnc, bEnc, logThreshold];
  const gradClip = device.createBuffer({ label: 'gradClip', size: Math.max(16, members * 8), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  // μ = 0: the term is exactly zero (pamTrain.ts addEncoderProx returns early), so record nothing.
  const prox: Recorder[] =
    mu > 0 ? [preparePamProx(device, k.pam, { members, dSae, dIn }, { wEnc: wEnc.p, anchorW, bEff, anchorB, bDec: bDec.p, dWEnc: wEnc.g, dBEnc: bEnc.g }, mu)] : [];
  const norm = prepareGradNorm(device, k.optim, members, trained.map((t) => ({ buffer: t.g, segLen: t.segLen })), gradClip, maxNorm);
  const adams = trained.map((t) => prepareAdam(device, k.optim, members, t, gradClip, h)).filter((d): d is PreparedAdam => d !== null);
  const all: Recorder[] = [...prox, ...norm.dispatches, ...adams];
  return {
    gradClip,
    setStep(hyper, t) {
      for (const d of adams) writeAdamStep(device.queue, d, hyper, t);
    },
    record(pass) {
      for (const d of all) d.record(pass);
    },
    recordAnchor(encoder) {
      encoder.copyBufferToBuffer(wEnc.p, 0, anchorW, 0, N * dIn * 4);
      encoder.copyBufferToBuffer(bEff, 0, anchorB, 0, N * 4);
    },
    destroy() {
      for (const d of all) d.destroy();
      norm.partials.destroy();
      gradClip.destroy();
    },
  };
}
