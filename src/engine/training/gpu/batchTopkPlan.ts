// The BatchTopK step plan (arch 'batchtopk'): per member, the batch·k largest z of the whole batch are kept as
// dense codes f [batch, N] (batchTopkThreshold.wgsl), then the dense path and the sparse AuxK term:
//   batchTopk selection → decodeDense → dense backward (masked: gz = gF where kept) → AuxK (auxk.ts) → bDecGrad
//   → thresholdEma (the inference threshold θ: an EMA of each batch's smallest kept activation, per member).
// Twin: src/core/sae/train.ts (batchtopk) with src/core/sae/dense.ts. Imports src/core and src/gpu only: no UI,
// Comlink, Node or WGSL.

import { l1At } from '../../../core/sae/config.ts';
import { compileKernel, foldGrid, paramsBuffer, prepareDispatch } from '../../../gpu/kernel.ts';
import { compileDenseKernels, decoderGradLayout, prepareDenseTerm } from '../../../gpu/kernels/dense.ts';
import { prepareBDecGrad } from '../../../gpu/kernels/sparse.ts';
import { THRESHOLD_EMA } from '../../../gpu/kernels/stats.ts';
import { batchTopkScratchSizes, compileBatchTopk, prepareBatchTopk } from '../../../gpu/kernels/topk.ts';
import { prepareAuxK } from './auxk.ts';
import { createAllocator, sparseScratch } from './buffers.ts';
import type { ArchPlan, PlanContext } from './plan.ts';
import { planRecorder } from './plan.ts';

export async function createBatchTopkPlan(ctx: PlanContext): Promise<ArchPlan> {
  const { device, config: c, shape, kernels, params: p, step } = ctx;
  const { batch: B, M, dIn, dSae, N } = shape;
  const { k, kAux } = c;
  const s = { batch: B, M, dIn, dSae };
  const [dense, select, emaK] = await Promise.all([compileDenseKernels(device), compileBatchTopk(device, ctx.software ? 64 : 256), compileKernel(device, THRESHOLD_EMA)]);
  const own = createAllocator(device);
  const f = own.f32('f', B * N); // [batch, N] codes: z where kept, else 0
  const scratch = batchTopkScratchSizes({ batch: B, dSae, M, k });
  const state = own.storage('batchTopk:state', scratch.state * 4); // [M, 8] u32; [j·8 + 5] = minKept bits
  const threshold = own.f32('batchThreshold', M * 2); // [M, 2] (θ, started)
  const term = prepareDenseTerm(
    device,
    { dense, gemm: kernels.gemm },
    s,
    'batchtopk',
    {
      x: step.x,
      z: step.z,
      f,
      wDec: p.wDec.p,
      bDec: p.bDec.p,
      logThreshold: null,
      xHat: step.xHat,
      e: step.e,
      sqErr: step.sqErr,
      gF: own.f32('gF', decoderGradLayout(device, s).elements),
      gz: own.f32('gz', B * N),
      latent: null,
      dWEnc: p.wEnc.g,
      dBEnc: p.bEnc.g,
      dWDec: p.wDec.g,
      dLogThreshold: null,
    },
    { l1Coefficient: l1At(c, 0), bandwidth: c.jumpreluBandwidth },
  );
  const auxk = c.auxkCoefficient > 0 ? await prepareAuxK(ctx, sparseScratch(own, shape, kAux)) : null;
  const emaParams = paramsBuffer(device, 'thresholdEma:params', [
    ['u32', M],
    ['f32', c.batchTopkThresholdRate],
  ]);
  const parts = [
    prepareBatchTopk(device, select, { z: step.z, hist: own.storage('batchTopk:hist', scratch.hist * 4), state, eqRow: own.storage('batchTopk:eqRow', scratch.eqRow * 4), f }, { batch: B, dSae, M, k }),
    term.forward, // decodeDense only: the codes came from the selection
    term.backward,
    ...(auxk ? [auxk] : []),
    // dBDec reads the main residual and the total dBEnc (dense + AuxK): see src/core/sae/loss.ts.
    prepareBDecGrad(device, kernels.sparse, { ...s, k: 1 }, { e: step.e, dBEnc: p.bEnc.g, wEnc: p.wEnc.p, dBDec: p.bDec.g }),
    prepareDispatch(device, emaK, [state, threshold], emaParams, foldGrid(Math.ceil(M / 64))),
  ];
  return {
    ...planRecorder(parts, own, [term]),
    firing: { dense: true, val: f, idx: f, k: 0 },
    auxk,
    batchThreshold: threshold,
    // λ does not enter BatchTopK's loss; kept current as the dense term's uniform holds it.
    setStep: (t) => term.setL1Coefficient(l1At(c, t)),
  };
}
