// The registry of OUR side of `sae-workbench bench`: for each kind (gemm, topk, step) a function that
// prepares our WGSL kernels for a shape on a device and returns a harness Runner, or null while that
// kernel does not exist yet (the report then says "not yet implemented" instead of a number).
// To add a measurement: write `async function ourX(gpu, shape): Promise<Runner>` here and put it in OURS.
// Imports src/gpu (lazily, so a kernel that fails to load fails its own row only) and the harness; no
// Node module, no TensorFlow.js, no engine UI code.

import type { GpuDevice } from '../gpu/device.ts';
import type { BenchShape, Runner } from './harness.ts';
import type { BenchKind } from './report.ts';

export type OurBench = (gpu: GpuDevice, shape: BenchShape) => Promise<Runner>;

/** Our measurements by kind; null = not yet implemented. */
export const OURS: Record<BenchKind, OurBench | null> = {
  gemm: ourGemm,
  topk: ourTopk,
  step: ourStep,
};

/** A storage buffer of `floats` f32 filled with uniform noise in [−scale, scale] (deterministic). */
function noiseBuffer(device: GPUDevice, label: string, floats: number, scale: number): GPUBuffer {
  const data = new Float32Array(floats);
  let s = 0x9e3779b9 ^ floats;
  for (let i = 0; i < floats; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  const buffer = device.createBuffer({ label: `bench:${label}`, size: Math.max(16, Math.ceil(floats / 4) * 16), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** Submits one compute pass with `record` in it. */
function submitPass(device: GPUDevice, label: string, record: (pass: GPUComputePassEncoder) => void): void {
  const encoder = device.createCommandEncoder({ label });
  const pass = encoder.beginComputePass({ label });
  record(pass);
  pass.end();
  device.queue.submit([encoder.finish()]);
}

/** z [batch, dSae] = x [batch, dIn]·wEncᵀ [dSae, dIn] + bEff [dSae], with the tile variant timed fastest here. */
async function ourGemm({ device, isSoftware }: GpuDevice, { batch, dIn, dSae }: BenchShape): Promise<Runner> {
  const { chooseEncodeVariant, prepareEncode } = await import('../gpu/kernels/encode.ts');
  const choice = await chooseEncodeVariant(device, batch, dSae, dIn, isSoftware ? { maxMacs: 1 << 20, rounds: 2 } : {});
  const bufs = {
    x: noiseBuffer(device, 'x', batch * dIn, 1),
    wEnc: noiseBuffer(device, 'wEnc', dSae * dIn, 1 / Math.sqrt(dIn)),
    bEff: noiseBuffer(device, 'bEff', dSae, 0.1),
    z: noiseBuffer(device, 'z', batch * dSae, 0),
  };
  const prepared = prepareEncode(device, choice.gemm, { batch, N: dSae, dIn }, bufs);
  const timings = Object.entries(choice.msPerDispatch).map(([v, ms]) => `${v} ${Number(ms?.toPrecision(3))} ms`);
  return {
    submit: () => submitPass(device, 'bench:encode', (pass) => prepared.record(pass)),
    dispose() {
      prepared.destroy();
      for (const b of Object.values(bufs)) b.destroy();
    },
    note: `tile ${choice.variant} (chosen on ${choice.timed.batch}×${choice.timed.dIn}→${choice.timed.N}: ${timings.join(', ')})`,
  };
}

/** idx, val [batch, k] = the k largest of each row of z [batch, dSae] (ReLU after), one member. */
async function ourTopk({ device, isSoftware }: GpuDevice, { batch, dSae, k }: BenchShape): Promise<Runner> {
  const { chooseTopk, compileTopk, prepareTopk } = await import('../gpu/kernels/topk.ts');
  const { variant, wg } = chooseTopk(isSoftware, k);
  const kernel = await compileTopk(device, { kMax: k, masked: false, variant, wg });
  const sizes = { batch, dSae, M: 1, k };
  const bufs = {
    z: noiseBuffer(device, 'z', batch * dSae, 1),
    idx: noiseBuffer(device, 'idx', batch * k, 0),
    val: noiseBuffer(device, 'val', batch * k, 0),
  };
  const topk = prepareTopk(device, kernel, { ...bufs, dead: null }, sizes);
  return {
    submit: () => submitPass(device, 'bench:topk', (pass) => topk.record(pass)),
    dispose() {
      topk.destroy();
      for (const b of Object.values(bufs)) b.destroy();
    },
    note: variant === 'serial' ? `serial select, one invocation per row (workgroup ${wg})` : `radix select, one workgroup of ${wg} per row`,
  };
}

/**
 * One full TopK training step of the GPU trainer (src/engine/training/gpuTrainer.ts) — gather, encode, TopK,
 * decode, sparse backward, projection, clip, Adam, renormalisation, firing statistics, step metrics —
 * with AuxK off, the recipe of tfjsPeer.ts:topkStep. The data (4 batches of noise) lives on the GPU.
 */
async function ourStep({ device, isSoftware }: GpuDevice, { batch, dIn, dSae, k }: BenchShape): Promise<Runner> {
  const { createGpuTrainer } = await import('../engine/training/gpuTrainer.ts');
  const rows = batch * 4;
  const x = new Float32Array(rows * dIn);
  let s = 0x2545f491;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  const trainer = await createGpuTrainer(
    device,
    { name: 'bench', rows, dIn, x },
    { arch: 'topk', dSae, k, batch, steps: 1_000_000, auxkCoefficient: 0, bDecInit: 'mean', lrWarmupSteps: 0, lrDecaySteps: 0 },
    { isSoftware },
  );
  return {
    submit: () => trainer.trainSteps(1),
    dispose: () => trainer.destroy(),
    note: 'GPU trainer step (src/engine/training/gpuTrainer.ts), AuxK off',
  };
}
