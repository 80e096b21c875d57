// The ReLU / JumpReLU step plan (arch 'relu', 'jumprelu'): dense codes f [batch, N], no selection and no AuxK:
//   activation (prep ‖wDec‖ or θ, forward) → decodeDense → dense backward (gF, activation backward, gemmTN ×2)
//   → bDecGrad → sparsityLoss (the λ-weighted L1 / L0 term, for the step metrics only).
// λ follows the warm-up schedule (l1At), rewritten before every submit. Twin: src/core/sae/dense.ts and
// src/core/sae/loss.ts. Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.

import { l1At } from '../../../core/sae/config.ts';
import type { ParamField } from '../../../gpu/kernel.ts';
import { compileKernel, foldGrid, packParams, paramsBuffer, prepareDispatch } from '../../../gpu/kernel.ts';
import { compileDenseKernels, decoderGradLayout, prepareDenseTerm } from '../../../gpu/kernels/dense.ts';
import { prepareBDecGrad } from '../../../gpu/kernels/sparse.ts';
import { SPARSITY_LOSS } from '../../../gpu/kernels/stats.ts';
import { createAllocator } from './buffers.ts';
import type { ArchPlan, PlanContext } from './plan.ts';
import { planRecorder } from './plan.ts';

export async function createDensePlan(ctx: PlanContext, arch: 'relu' | 'jumprelu'): Promise<ArchPlan> {
  const { device, config: c, shape, kernels, params: p, step } = ctx;
  const { batch: B, M, dIn, dSae, N } = shape;
  const s = { batch: B, M, dIn, dSae };
  const [dense, sparsityK] = await Promise.all([compileDenseKernels(device), compileKernel(device, SPARSITY_LOSS, { WG: 64 })]);
  const own = createAllocator(device);
  const f = own.f32('f', B * N); // [batch, N] codes
  const latent = own.f32('latent', N); // [N] ‖wDec[m]‖ (relu) or θ (jumprelu)
  const jump = arch === 'jumprelu';
  const term = prepareDenseTerm(
    device,
    { dense, gemm: kernels.gemm },
    s,
    arch,
    {
      x: step.x,
      z: step.z,
      f,
      wDec: p.wDec.p,
      bDec: p.bDec.p,
      logThreshold: jump ? p.logThreshold.p : null,
      xHat: step.xHat,
      e: step.e,
      sqErr: step.sqErr,
      gF: own.f32('gF', decoderGradLayout(device, s).elements),
      gz: own.f32('gz', B * N),
      latent,
      dWEnc: p.wEnc.g,
      dBEnc: p.bEnc.g,
      dWDec: p.wDec.g,
      dLogThreshold: jump ? p.logThreshold.g : null,
    },
    { l1Coefficient: l1At(c, 0), bandwidth: c.jumpreluBandwidth },
  );
  // sparsityLoss.wgsl Params {B, N, dSae, jumprelu, λ}: term [M] ← λ-weighted L1 (relu) or L0 (jumprelu) of f.
  const sparsityFields = (l1: number): ParamField[] => [
    ['u32', B],
    ['u32', N],
    ['u32', dSae],
    ['u32', jump ? 1 : 0],
    ['f32', l1],
  ];
  const sparsity = prepareDispatch(device, sparsityK, [f, latent, step.sparsityTerm], paramsBuffer(device, 'sparsityLoss:params', sparsityFields(l1At(c, 0))), foldGrid(M));
  const bDecGrad = prepareBDecGrad(device, kernels.sparse, { ...s, k: 1 }, { e: step.e, dBEnc: p.bEnc.g, wEnc: p.wEnc.p, dBDec: p.bDec.g });
  return {
    ...planRecorder([term.forward, term.backward, bDecGrad, sparsity], own, [term]),
    firing: { dense: true, val: f, idx: f, k: 0 },
    auxk: null,
    batchThreshold: null,
    setStep(t) {
      const l1 = l1At(c, t);
      term.setL1Coefficient(l1);
      device.queue.writeBuffer(sparsity.params, 0, packParams(sparsityFields(l1)));
    },
  };
}
