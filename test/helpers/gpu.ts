// Test helpers for WebGPU in Node: one Dawn device per test file (SwiftShader on machines with no GPU),
// error scopes that turn WebGPU validation / out-of-memory errors into test failures, and the small
// upload / readback helpers kernel tests share. Node only; imports src/gpu and vitest.

import { afterAll, beforeAll } from 'vitest';
import { acquireDevice, type GpuDevice, type NeededLimits } from '../../src/gpu/device.ts';
import { createNodeGpu } from '../../src/gpu/node.ts';

export interface TestGpu extends GpuDevice {
  /** The Node `GPU`, for tests that need a fresh adapter (an adapter gives only one device). */
  gpu: GPU;
  /** Where the Vulkan driver came from (see src/gpu/node.ts). */
  driver: string;
}

/**
 * Registers beforeAll/afterAll hooks that create one device for this test file and destroy it after;
 * returns a getter to call inside tests. Vitest runs each file in its own process (pool: forks); the
 * Dawn instance itself lives until that process ends (see the lifetime caveat in src/gpu/node.ts).
 */
export function useGpu(needed: NeededLimits = {}): () => TestGpu {
  let current: TestGpu | null = null;
  beforeAll(async () => {
    const node = await createNodeGpu();
    const got = await acquireDevice(node.gpu, needed, (info) => {
      throw new Error(`WebGPU device lost (${info.reason}): ${info.message}; software Vulkan cannot recover, rerun the file`);
    });
    current = { ...got, gpu: node.gpu, driver: node.driver };
  });
  afterAll(() => {
    current?.device.destroy();
    current = null;
  });
  return () => {
    if (!current) throw new Error('useGpu(): the device is created in beforeAll; call the getter inside a test');
    return current;
  };
}

/**
 * Runs `fn` inside validation + out-of-memory error scopes and fails with the popped message, so a
 * WebGPU mistake fails the test that made it instead of printing an uncaptured error later.
 */
export async function withErrorScope<T>(device: GPUDevice, fn: () => T | Promise<T>, what = 'GPU work'): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  const gpuError = validation ?? oom;
  // The WebGPU error is usually the cause of anything fn threw after it (e.g. a failed mapAsync).
  if (gpuError) throw new Error(`WebGPU ${validation ? 'validation' : 'out-of-memory'} error in ${what}: ${gpuError.message}`);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** A storage buffer holding `data` (copied), usable as a kernel input or output. */
export function uploadF32(device: GPUDevice, data: Float32Array, label: string): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(4, data.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  new Float32Array(buffer.getMappedRange()).set(data);
  buffer.unmap();
  return buffer;
}

/** Copies the first `length` f32 values of `buffer` back to the CPU (waits for queued work). */
export async function readF32(device: GPUDevice, buffer: GPUBuffer, length: number): Promise<Float32Array> {
  const sizeBytes = Math.max(4, length * 4);
  const staging = device.createBuffer({ label: `${buffer.label}:readback`, size: sizeBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, sizeBytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0, length * 4));
  staging.unmap();
  staging.destroy();
  return out;
}
