// AuxK (sae-libraries.md §3): the auxiliary loss that revives dead latents, shared by the TopK and BatchTopK
// plans. Each step, after the main term's residual e is known:
//   auxScale (memberScale_j = min(nDead_j / kAux, 1), from the previous step's firing stats) → TopK (masked:
//   the kAux largest z among dead latents) → decode without bDec against −e (eAux = x̂Aux + e) → the sparse
//   backward of α·memberScale·‖eAux‖², accumulated into dWDec, dWEnc, dBEnc.
// The caller records bDecGrad after it: dBDec reads the total dBEnc (main + AuxK), see src/core/sae/loss.ts.
// Twin: src/core/sae/loss.ts (the AuxK term). Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.

import type { Recorder } from '../../../gpu/kernel.ts';
import { compileKernel, foldGrid, paramsBuffer, prepareDispatch, sequence } from '../../../gpu/kernel.ts';
import type { SparseSizes } from '../../../gpu/kernels/sparse.ts';
import { prepareDecode, prepareTermBackward } from '../../../gpu/kernels/sparse.ts';
import { AUX_SCALE } from '../../../gpu/kernels/stats.ts';
import { chooseTopk, compileTopk, prepareTopk } from '../../../gpu/kernels/topk.ts';
import type { SparseScratch } from './buffers.ts';
import { createAllocator } from './buffers.ts';
import type { AuxKOutputs, PlanContext } from './plan.ts';

export type AuxK = Recorder & AuxKOutputs;

/** Binds the AuxK term once; `scratch` (≥ kAux slots per row and member) is shared with the main sparse term, if any. */
export async function prepareAuxK(ctx: PlanContext, scratch: SparseScratch): Promise<AuxK> {
  const { device, config: c, shape, kernels, params: p, step } = ctx;
  const { batch: B, M, dIn, dSae } = shape;
  const kAux = c.kAux;
  const [auxScaleK, topk] = await Promise.all([compileKernel(device, AUX_SCALE), compileTopk(device, { kMax: kAux, masked: true, ...chooseTopk(ctx.software, kAux) })]);
  const own = createAllocator(device);
  const idx = own.storage('idxAux', B * M * kAux * 4); // [batch, M, kAux] u32
  const val = own.f32('valAux', B * M * kAux); // [batch, M, kAux]
  const xHat = own.f32('xHatAux', M * B * dIn); // [M, batch, dIn]
  const e = own.f32('eAux', M * B * dIn); // [M, batch, dIn]
  const sqErr = own.f32('sqErrAux', M * B); // [M, batch]
  const memberScale = own.f32('memberScale', M); // [M]
  const s: SparseSizes = { batch: B, M, dIn, dSae, k: kAux };
  const auxScaleParams = paramsBuffer(device, 'auxScale:params', [
    ['u32', M],
    ['u32', kAux],
  ]);
  const parts = [
    // stats is not written until the firing pass, so this reads the previous step's dead counts.
    prepareDispatch(device, auxScaleK, [step.stats, memberScale], auxScaleParams, foldGrid(Math.ceil(M / 64))),
    prepareTopk(device, topk, { z: step.z, dead: step.dead, idx, val }, { batch: B, dSae, M, k: kAux }),
    prepareDecode(device, kernels.sparse, s, { target: step.e, wDec: p.wDec.p, bDec: p.bDec.p, idx, val, xHat, e, sqErr }, { withBias: false, targetMemberStride: B * dIn, targetScale: -1 }),
    prepareTermBackward(
      device,
      kernels.sparse,
      s,
      { x: step.x, wDec: p.wDec.p, bDec: p.bDec.p, idx, val, e, memberScale, ...scratch, dWDec: p.wDec.g, dWEnc: p.wEnc.g, dBEnc: p.bEnc.g },
      { coeff: c.auxkCoefficient, accumulate: true },
    ),
  ];
  const all = sequence(parts);
  return {
    sqErr,
    memberScale,
    record: all.record,
    destroy: () => {
      all.destroy();
      own.destroyAll();
    },
  };
}
