// WebGPU adapter and device acquisition, the same in the browser (navigator.gpu) and in Node (a `GPU`
// from src/gpu/node.ts). Requests only the limits a caller needs and explains what to reduce when the
// adapter cannot give them. Imports nothing outside the WebGPU types: no Node, DOM-only, engine or UI code.

/** Limits a caller needs, by their WebGPU name, e.g. `{ maxStorageBufferBindingSize: 64 << 20 }`. */
export type NeededLimits = Partial<Record<keyof GPUSupportedLimits, number>>;

/** An adapter, the device made from it, and what to call it in logs and the UI. */
export interface GpuDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  /** e.g. "google swiftshader · SwiftShader driver 5.0.0" */
  adapterName: string;
  /** A CPU emulation (SwiftShader, lavapipe, WARP): correct but 3–4 orders of magnitude slower. */
  isSoftware: boolean;
}

/** What to make smaller when a limit is too high for the adapter; the fallback is "the sizes". */
const REDUCE_HINT: Partial<Record<keyof GPUSupportedLimits, string>> = {
  maxStorageBufferBindingSize: 'the largest buffer: lower batch, dSae (latents) or dIn',
  maxBufferSize: 'the largest buffer: lower batch, dSae (latents) or dIn',
  maxComputeWorkgroupStorageSize: 'the tile size of the kernel (workgroup memory)',
  maxComputeInvocationsPerWorkgroup: 'the workgroup size of the kernel',
  maxComputeWorkgroupSizeX: 'the workgroup size of the kernel',
  maxComputeWorkgroupSizeY: 'the workgroup size of the kernel',
  maxComputeWorkgroupSizeZ: 'the workgroup size of the kernel',
  maxComputeWorkgroupsPerDimension: 'the dispatch size: fold the grid into 2-D or lower batch',
  maxStorageBuffersPerShaderStage: 'the number of storage bindings per kernel (design for ≤ 8)',
  maxBindGroups: 'the number of bind groups per pipeline',
};

/** One line naming the adapter, from GPUAdapterInfo (vendor, architecture, device, description). */
export function describeAdapter(info: GPUAdapterInfo): string {
  const head = [info.vendor, info.architecture].filter(Boolean).join(' ');
  const tail = info.description || info.device;
  return [head, tail].filter(Boolean).join(' · ') || 'unnamed adapter';
}

/** True for CPU emulations; `isFallbackAdapter` is the spec's flag, the names catch older builds. */
export function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return fallback || /swiftshader|llvmpipe|lavapipe|\bwarp\b|microsoft basic render/.test(text);
}

/**
 * Requests a device with exactly `needed` (nothing more, so the device stays portable).
 * Throws, before asking, when the adapter cannot give a limit: the message names the limit, the value
 * needed, the adapter's maximum and what to reduce.
 */
export async function requestDeviceWithLimits(
  adapter: GPUAdapter,
  needed: NeededLimits,
  label = 'sae-workbench',
): Promise<GPUDevice> {
  const name = describeAdapter(adapter.info);
  const requiredLimits: Record<string, number> = {};
  for (const [key, value] of Object.entries(needed) as [keyof GPUSupportedLimits, number | undefined][]) {
    if (value === undefined) continue;
    const have = (adapter.limits as unknown as Record<string, number | undefined>)[key];
    if (typeof have !== 'number')
      throw new Error(`WebGPU limit "${key}" is unknown to adapter "${name}": check the spelling against GPUSupportedLimits`);
    // max* limits: bigger is better; min* limits (alignments): smaller is better.
    const isMin = key.startsWith('min');
    if (isMin ? value < have : value > have) {
      const bound = isMin ? 'at least' : 'at most';
      const fix = isMin ? `use an alignment of ${have} or more` : `reduce ${REDUCE_HINT[key] ?? 'the sizes that set it'}`;
      throw new Error(`WebGPU limit ${key}: needed ${value}, but adapter "${name}" allows ${bound} ${have}; ${fix}`);
    }
    requiredLimits[key] = value;
  }
  return adapter.requestDevice({ label, requiredLimits });
}

/**
 * Adapter + device from a `GPU` (browser: navigator.gpu; Node: createNodeGpu().gpu).
 * `onLost` runs once if the device is lost; on software Vulkan that is unrecoverable in-process
 * (reload the page / restart the process). Uncaptured errors are logged, never swallowed.
 */
export async function acquireDevice(
  gpu: GPU | undefined,
  needed: NeededLimits = {},
  onLost?: (info: GPUDeviceLostInfo) => void,
): Promise<GpuDevice> {
  if (!gpu)
    throw new Error('WebGPU is not available here (navigator.gpu is undefined): use a recent Chrome/Edge, or Firefox/Safari with WebGPU enabled, over https or localhost');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new Error('WebGPU found no adapter: update the GPU driver, or enable WebGPU (chrome://flags/#enable-unsafe-webgpu); in Node see src/gpu/node.ts');
  const device = await requestDeviceWithLimits(adapter, needed);
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') onLost?.(info);
  });
  device.addEventListener('uncapturederror', (e) => {
    console.error(`WebGPU uncaptured error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  });
  return { adapter, device, adapterName: describeAdapter(adapter.info), isSoftware: isSoftwareAdapter(adapter.info) };
}
