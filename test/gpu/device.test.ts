// WebGPU in Node works end to end: an adapter is found (SwiftShader on a machine with no GPU), a tiny
// kernel (shaders/saxpy.wgsl) matches its CPU twin, and impossible limits fail with a clear message.

import { describe, expect, it } from 'vitest';
import saxpyWgsl from '../../shaders/saxpy.wgsl?raw';
import { requestDeviceWithLimits } from '../../src/gpu/device.ts';
import { createRng } from '../../src/core/math/random.ts';
import { readF32, uploadF32, useGpu, withErrorScope } from '../helpers/gpu.ts';

const gpu = useGpu();
const WG = 64;

/** CPU twin of shaders/saxpy.wgsl: y[i] = a·x[i] + b, computed in f64 and rounded once to f32. */
function saxpyCpu(a: number, b: number, x: Float32Array): Float32Array {
  return Float32Array.from(x, (v) => a * v + b);
}

/**
 * Tolerance: the GPU computes in f32 (one fma rounding, or two roundings without fma), the twin rounds
 * the exact value once, so they differ by ≤ 2 ulp of |y| (≈ 2.4e-7·|y|) plus the rounding of a·x.
 */
const tolerance = (ref: number, a: number, x: number): number => 2.5e-7 * (Math.abs(ref) + Math.abs(a * x)) + 1e-30;

async function saxpyGpu(device: GPUDevice, a: number, b: number, x: Float32Array): Promise<Float32Array> {
  return withErrorScope(device, async () => {
    const module = device.createShaderModule({ label: 'saxpy', code: saxpyWgsl });
    const layout = device.createBindGroupLayout({
      label: 'saxpy',
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
        { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
      ],
    });
    const pipeline = await device.createComputePipelineAsync({
      label: 'saxpy',
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main', constants: { WG } },
    });
    const xBuf = uploadF32(device, x, 'saxpy:x');
    const yBuf = uploadF32(device, new Float32Array(x.length).fill(Number.NaN), 'saxpy:y');
    const params = new ArrayBuffer(16); // Params {n: u32, a: f32, b: f32, _pad: u32}
    new Uint32Array(params, 0, 1)[0] = x.length;
    new Float32Array(params, 4, 2).set([a, b]);
    const paramsBuf = device.createBuffer({ label: 'saxpy:params', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(paramsBuf, 0, params);
    const bindGroup = device.createBindGroup({
      layout,
      entries: [xBuf, yBuf, paramsBuf].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const encoder = device.createCommandEncoder({ label: 'saxpy' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(x.length / WG));
    pass.end();
    device.queue.submit([encoder.finish()]);
    const y = await readF32(device, yBuf, x.length);
    for (const b of [xBuf, yBuf, paramsBuf]) b.destroy();
    return y;
  }, 'saxpy');
}

describe('WebGPU in Node (Dawn)', () => {
  it('finds an adapter and says which', () => {
    const { adapterName, isSoftware, driver } = gpu();
    console.log(`WebGPU adapter: ${adapterName}${isSoftware ? ' (software)' : ''}; Vulkan driver: ${driver}`);
    expect(adapterName.length).toBeGreaterThan(0);
  });

  it.each([1, 7, 65, 257])('saxpy over %i elements matches the CPU twin (workgroup 64)', async (n) => {
    const rng = createRng(n);
    const x = Float32Array.from({ length: n }, () => rng.normal());
    const [a, b] = [1.7, -0.3];
    const got = await saxpyGpu(gpu().device, a, b, x);
    const want = saxpyCpu(a, b, x);
    const bad: string[] = [];
    for (let i = 0; i < n; i++) {
      if (!(Math.abs(got[i] - want[i]) <= tolerance(want[i], a, x[i]))) bad.push(`y[${i}]: gpu ${got[i]}, cpu ${want[i]}`);
    }
    expect(bad.slice(0, 5), `${bad.length} of ${n} mismatches`).toEqual([]);
  });

  it('requestDeviceWithLimits names the limit, the need, the maximum and the fix', async () => {
    const { adapter } = gpu();
    const max = adapter.limits.maxStorageBufferBindingSize;
    const needed = max * 2 + 4;
    await expect(requestDeviceWithLimits(adapter, { maxStorageBufferBindingSize: needed })).rejects.toThrow(
      `WebGPU limit maxStorageBufferBindingSize: needed ${needed}, but adapter "${gpu().adapterName}" allows at most ${max}; reduce the largest buffer`,
    );
  });

  it('requestDeviceWithLimits gives a device with exactly the limits asked for', async () => {
    const adapter = await gpu().gpu.requestAdapter(); // a fresh one: the shared adapter already made a device
    if (!adapter) throw new Error('no second adapter from the same GPU');
    const device = await requestDeviceWithLimits(adapter, { maxComputeInvocationsPerWorkgroup: 256 });
    expect(device.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    device.destroy();
  });
});
