// The TopK step plan (arch 'topk'): the sparse path, where decode and backward touch only the k selected
// latents of each row and member:
//   TopK (radix select / serial) → decode + residual (main) → sparse backward (main: overwrite) → AuxK (auxk.ts,
//   accumulate) → bDecGrad.
// Twin: src/core/sae/train.ts with src/core/sae/sparse.ts. Imports src/core and src/gpu only: no UI, Comlink,
// Node or WGSL.

import type { SparseSizes } from '../../../gpu/kernels/sparse.ts';
import { prepareBDecGrad, prepareDecode, prepareTermBackward } from '../../../gpu/kernels/sparse.ts';
import { chooseTopk, compileTopk, prepareTopk } from '../../../gpu/kernels/topk.ts';
import { prepareAuxK } from './auxk.ts';
import { createAllocator, sparseScratch } from './buffers.ts';
import type { ArchPlan, PlanContext } from './plan.ts';
import { planRecorder } from './plan.ts';

export async function createTopkPlan(ctx: PlanContext): Promise<ArchPlan> {
  const { device, config: c, shape, kernels, params: p, step } = ctx;
  const { batch: B, M, dIn, dSae } = shape;
  const { k, kAux } = c;
  const auxOn = c.auxkCoefficient > 0;
  const topk = await compileTopk(device, { kMax: k, masked: false, ...chooseTopk(ctx.software, k) });
  const own = createAllocator(device);
  const idx = own.storage('idx', B * M * k * 4); // [batch, M, k] u32: latent within the member
  const val = own.f32('val', B * M * k); // [batch, M, k] ReLU'd values
  const scratch = sparseScratch(own, shape, auxOn ? Math.max(k, kAux) : k);
  const s: SparseSizes = { batch: B, M, dIn, dSae, k };
  const auxk = auxOn ? await prepareAuxK(ctx, scratch) : null;
  const parts = [
    prepareTopk(device, topk, { z: step.z, dead: null, idx, val }, { batch: B, dSae, M, k }),
    prepareDecode(device, kernels.sparse, s, { target: step.x, wDec: p.wDec.p, bDec: p.bDec.p, idx, val, xHat: step.xHat, e: step.e, sqErr: step.sqErr }, { withBias: true, targetMemberStride: 0, targetScale: 1 }),
    prepareTermBackward(
      device,
      kernels.sparse,
      s,
      { x: step.x, wDec: p.wDec.p, bDec: p.bDec.p, idx, val, e: step.e, memberScale: null, ...scratch, dWDec: p.wDec.g, dWEnc: p.wEnc.g, dBEnc: p.bEnc.g },
      { coeff: 1, accumulate: false },
    ),
    ...(auxk ? [auxk] : []),
    // dBDec reads the main residual and the total dBEnc (main + AuxK): see src/core/sae/loss.ts.
    prepareBDecGrad(device, kernels.sparse, s, { e: step.e, dBEnc: p.bEnc.g, wEnc: p.wEnc.p, dBDec: p.bDec.g }),
  ];
  return {
    ...planRecorder(parts, own),
    firing: { dense: false, val, idx, k },
    auxk,
    batchThreshold: null,
    setStep: () => {},
  };
}
