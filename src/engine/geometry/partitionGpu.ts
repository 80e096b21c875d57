// The partition drawing on the GPU for the geometry lab (issue #12): region ids per pixel from plane scores
// (src/core/geometry/scores.ts) by shaders/partition.wgsl, the same ids as the CPU twin regionIds; buffers
// kept and grown across redraws; one redraw at a time. partitionIds picks the kernel or, where it refuses or
// there is no device, the twin, and says which. Imports src/core and src/gpu only.

import { checkGrid, checkScores, regionIds, type Grid } from '../../core/geometry/regions.ts';
import type { PlaneScores } from '../../core/geometry/scores.ts';
import { compilePartition, partitionRefusal, preparePartition } from '../../gpu/kernels/partition.ts';
import type { Kernel } from '../../gpu/kernel.ts';

export interface PartitionGpu {
  /** Why the kernel cannot draw these scores on this grid (null: it can). */
  refusal(scores: PlaneScores, grid: Grid, words?: 1 | 2): string | null;
  /** ids: [height·width, words], equal to regionIds(scores, grid, words) (up to f32 ties). Throws the refusal. */
  regionIds(scores: PlaneScores, grid: Grid, words?: 1 | 2): Promise<Uint32Array>;
  destroy(): void;
}

/** A buffer of at least `bytes`, reused while big enough. */
function grow(device: GPUDevice, old: GPUBuffer | null, bytes: number, usage: number, label: string): GPUBuffer {
  const need = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (old && old.size >= need) return old;
  old?.destroy();
  return device.createBuffer({ label, size: need, usage });
}

export async function createPartitionGpu(device: GPUDevice): Promise<PartitionGpu> {
  const kernel: Kernel = await compilePartition(device);
  const maxStorageBytes = device.limits.maxStorageBufferBindingSize;
  let coef: GPUBuffer | null = null;
  let theta: GPUBuffer | null = null;
  let ids: GPUBuffer | null = null;
  let staging: GPUBuffer | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

  const refusal = (scores: PlaneScores, grid: Grid, words: 1 | 2 = 1): string | null => partitionRefusal(scores, grid, words, maxStorageBytes);

  const draw = async (scores: PlaneScores, grid: Grid, words: 1 | 2): Promise<Uint32Array> => {
    checkScores(scores);
    checkGrid(grid);
    const why = refusal(scores, grid, words);
    if (why) throw new Error(why);
    const count = grid.width * grid.height * words;
    coef = grow(device, coef, scores.coef.byteLength, STORAGE, 'partition:coef');
    theta = grow(device, theta, scores.units * 4, STORAGE, 'partition:theta');
    ids = grow(device, ids, count * 4, STORAGE, 'partition:ids');
    staging = grow(device, staging, count * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'partition:staging');
    device.queue.writeBuffer(coef, 0, scores.coef.buffer, scores.coef.byteOffset, scores.coef.byteLength);
    if (scores.rule.kind === 'threshold') device.queue.writeBuffer(theta, 0, scores.rule.theta.buffer, scores.rule.theta.byteOffset, scores.rule.theta.byteLength);
    const prepared = preparePartition(device, kernel, { coef, theta, ids }, scores, grid, words);
    const encoder = device.createCommandEncoder({ label: 'partition' });
    const pass = encoder.beginComputePass({ label: 'partition' });
    prepared.record(pass);
    pass.end();
    encoder.copyBufferToBuffer(ids, 0, staging, 0, count * 4);
    device.queue.submit([encoder.finish()]);
    prepared.destroy();
    const s = staging;
    await s.mapAsync(GPUMapMode.READ, 0, count * 4);
    const out = new Uint32Array(s.getMappedRange(0, count * 4).slice(0));
    s.unmap();
    return out;
  };

  return {
    refusal,
    regionIds: (scores, grid, words = 1) => {
      // One redraw at a time: the staging buffer is mapped between submit and copy-out.
      const next = queue.then(() => draw(scores, grid, words));
      queue = next.catch(() => undefined);
      return next;
    },
    destroy: () => {
      for (const b of [coef, theta, ids, staging]) b?.destroy();
      coef = theta = ids = staging = null;
    },
  };
}

/** Region ids from the kernel when there is one and it accepts the job, else from the CPU twin, saying which and why. */
export async function partitionIds(
  gpu: PartitionGpu | null,
  scores: PlaneScores,
  grid: Grid,
  words: 1 | 2 = 1,
): Promise<{ ids: Uint32Array; backend: 'webgpu' | 'cpu'; note: string }> {
  const why = gpu ? gpu.refusal(scores, grid, words) : 'no WebGPU device';
  if (gpu && why === null) return { ids: await gpu.regionIds(scores, grid, words), backend: 'webgpu', note: 'shaders/partition.wgsl' };
  return { ids: regionIds(scores, grid, words), backend: 'cpu', note: `CPU twin regionIds: ${why}` };
}
