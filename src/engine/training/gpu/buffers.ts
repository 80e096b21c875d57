// GPU buffers of the trainer: an allocator that remembers what it made (so each owner — the trainer, a plan —
// tears down exactly its own), the Adam tensors of the parameters, the sparse-backward scratch that TopK and
// AuxK share, and the one readback helper (used between steps, never inside one).
// Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.

import type { AdamTensor } from '../../../gpu/kernels/optim.ts';
import { vec4Bytes } from '../../../gpu/kernels/optim.ts';

/** Makes buffers and destroys all of them at once; labels name the tensor (`wEnc.m`, `batchTopk:hist`). */
export interface Allocator {
  /** Storage (+ COPY_SRC/DST) of at least `bytes`, rounded up to 4 and at least 16 (zero-initialised). */
  storage(label: string, bytes: number): GPUBuffer;
  /** Storage for n f32 (or u32) values. */
  f32(label: string, n: number): GPUBuffer;
  /** Storage holding `data` (padded to `bytes`, e.g. vec4Bytes for adam.wgsl). */
  upload(label: string, data: Float32Array | Uint32Array, bytes?: number): GPUBuffer;
  /** A uniform of `bytes`, rewritten per step with queue.writeBuffer. */
  uniform(label: string, bytes: number): GPUBuffer;
  destroyAll(): void;
}

export function createAllocator(device: GPUDevice): Allocator {
  const made: GPUBuffer[] = [];
  // (GPUBufferUsage is a global only once a WebGPU implementation is loaded: read it here, not at import.)
  const make = (label: string, bytes: number, usage: GPUBufferUsageFlags): GPUBuffer => {
    const b = device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
    made.push(b);
    return b;
  };
  const storage = (label: string, bytes: number): GPUBuffer => make(label, bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  return {
    storage,
    f32: (label, n) => storage(label, n * 4),
    upload(label, data, bytes = data.byteLength) {
      const b = storage(label, bytes);
      device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
      return b;
    },
    uniform: (label, bytes) => make(label, bytes, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
    destroyAll() {
      for (const b of made.splice(0)) b.destroy();
    },
  };
}

/** A parameter of all M members with its gradient and Adam moments: [M, segLen] f32 each, vec4-padded. */
export interface ParamTensor extends AdamTensor {
  /** Values in all (M·segLen). */
  n: number;
}

/** Uploads `values` ([M, segLen]) as parameter `name` with zeroed gradient `d<name>` and moments. */
export function paramTensor(alloc: Allocator, name: string, values: Float32Array, segLen: number): ParamTensor {
  const bytes = vec4Bytes(values.length);
  const p = alloc.upload(name, values, bytes);
  return { p, m: alloc.storage(`${name}.m`, bytes), v: alloc.storage(`${name}.v`, bytes), g: alloc.storage(`d${name}`, bytes), segLen, n: values.length };
}

/** The parameters in gradList order (src/core/sae/optim.ts), the order the optimiser tail takes them. */
export interface ModelTensors {
  wEnc: ParamTensor; // [N, dIn]
  bEnc: ParamTensor; // [N]
  wDec: ParamTensor; // [N, dIn]
  bDec: ParamTensor; // [M, dIn]
  /** [N] JumpReLU's log θ; segLen 0 (untrained) for the other architectures. */
  logThreshold: ParamTensor;
}

/** Scratch of one sparse backward term (prepareTermBackward) with up to kMax slots per (row, member). */
export interface SparseScratch {
  gVal: GPUBuffer; // [batch, M, kMax]
  counts: GPUBuffer; // [N + 1] u32
  offsets: GPUBuffer; // [N + 1] u32
  entries: GPUBuffer; // [batch·M·kMax] u32
}

/** One scratch for every sparse term of a step: the terms run one after the other, so they share it. */
export function sparseScratch(alloc: Allocator, s: { batch: number; M: number; dSae: number }, kMax: number): SparseScratch {
  const N = s.M * s.dSae;
  return {
    gVal: alloc.f32('gVal', s.batch * s.M * kMax),
    counts: alloc.storage('counts', (N + 1) * 4),
    offsets: alloc.storage('offsets', (N + 1) * 4),
    entries: alloc.storage('entries', s.batch * s.M * kMax * 4),
  };
}

/** Copies `bytes` of `buffer` from `offset` to the CPU (a submit and a map: between steps only). */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ label: `${buffer.label}:read`, size: Math.max(4, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return out;
}
