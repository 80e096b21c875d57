// The partition drawing on the GPU for the geometry lab (issue #12): region ids per pixel from plane scores
// (src/core/geometry/scores.ts) by shaders/partition.wgsl, the same ids as the CPU twin regionIds; buffers
// kept and grown across redraws; one redraw at a time. partitionIds picks the kernel or, where it refuses or
// there is no device, the twin, and says which. Imports src/core and src/gpu only.

import { errorGrid, type PlaneError } from '../../core/geometry/error.ts';
import { checkGrid, checkScores, regionIds, type Grid } from '../../core/geometry/regions.ts';
import type { PlaneScores } from '../../core/geometry/scores.ts';
import { compilePartition, compilePartitionError, partitionRefusal, preparePartition, preparePartitionError } from '../../gpu/kernels/partition.ts';
import type { Kernel } from '../../gpu/kernel.ts';

export interface PartitionGpu {
  /** The device is a CPU emulation (SwiftShader, lavapipe): partitionIds then prefers the CPU twin. */
  readonly software: boolean;
  /** Why the kernel cannot draw these scores on this grid (null: it can). */
  refusal(scores: PlaneScores, grid: Grid, words?: 1 | 2): string | null;
  /** ids: [height·width, words], equal to regionIds(scores, grid, words) (up to f32 ties). Throws the refusal. */
  regionIds(scores: PlaneScores, grid: Grid, words?: 1 | 2): Promise<Uint32Array>;
  /** ‖x − x̂‖² per pixel [height·width] (shaders/partitionError.wgsl), ≈ errorGrid(scores, err, grid) in f32. Throws the refusal. */
  errorGrid(scores: PlaneScores, err: PlaneError | null, grid: Grid): Promise<Float32Array>;
  destroy(): void;
}

/** A buffer of at least `bytes`, reused while big enough. */
function grow(device: GPUDevice, old: GPUBuffer | null, bytes: number, usage: number, label: string): GPUBuffer {
  const need = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (old && old.size >= need) return old;
  old?.destroy();
  return device.createBuffer({ label, size: need, usage });
}

/** opts.software: the adapter is a CPU emulation (GpuDevice.isSoftware). */
export async function createPartitionGpu(device: GPUDevice, opts: { software?: boolean } = {}): Promise<PartitionGpu> {
  const kernel: Kernel = await compilePartition(device);
  const errorKernel: Kernel = await compilePartitionError(device);
  const maxStorageBytes = device.limits.maxStorageBufferBindingSize;
  let coef: GPUBuffer | null = null;
  let theta: GPUBuffer | null = null;
  let ids: GPUBuffer | null = null;
  let staging: GPUBuffer | null = null;
  let lin: GPUBuffer | null = null;
  let gram: GPUBuffer | null = null;
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

  /** Uploads f32 copies of `data` (f64 or f32) into a grown buffer. */
  const upload = (old: GPUBuffer | null, data: ArrayLike<number>, label: string): GPUBuffer => {
    const buf = grow(device, old, data.length * 4, STORAGE, label);
    if (data.length > 0) {
      const f = Float32Array.from(data);
      device.queue.writeBuffer(buf, 0, f.buffer, 0, f.byteLength);
    }
    return buf;
  };

  const drawError = async (scores: PlaneScores, err: PlaneError | null, grid: Grid): Promise<Float32Array> => {
    checkScores(scores);
    checkGrid(grid);
    const why = refusal(scores, grid, 1);
    if (why) throw new Error(why);
    if (scores.rule.kind !== 'argmin' && (!err || err.units !== scores.units)) throw new Error(`errorGrid: ${scores.rule.kind} scores need the model's error terms (planeErrorOfSae)`);
    const count = grid.width * grid.height;
    coef = upload(coef, scores.coef, 'partition:coef');
    theta = upload(theta, scores.rule.kind === 'threshold' ? scores.rule.theta : [], 'partition:theta');
    lin = upload(lin, err?.lin ?? [], 'partitionError:lin');
    gram = upload(gram, err?.gram ?? [], 'partitionError:gram');
    ids = grow(device, ids, count * 4, STORAGE, 'partition:ids'); // the error shares the ids buffer
    staging = grow(device, staging, count * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'partition:staging');
    const prepared = preparePartitionError(device, errorKernel, { coef, theta, lin, gram, err: ids }, scores, err, grid);
    const encoder = device.createCommandEncoder({ label: 'partitionError' });
    const pass = encoder.beginComputePass({ label: 'partitionError' });
    prepared.record(pass);
    pass.end();
    encoder.copyBufferToBuffer(ids, 0, staging, 0, count * 4);
    device.queue.submit([encoder.finish()]);
    prepared.destroy();
    const s = staging;
    await s.mapAsync(GPUMapMode.READ, 0, count * 4);
    const out = new Float32Array(s.getMappedRange(0, count * 4).slice(0));
    s.unmap();
    return out;
  };

  /** One job at a time: the staging buffer is mapped between submit and copy-out. */
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const next = queue.then(job);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    software: opts.software === true,
    refusal,
    regionIds: (scores, grid, words = 1) => serial(() => draw(scores, grid, words)),
    errorGrid: (scores, err, grid) => serial(() => drawError(scores, err, grid)),
    destroy: () => {
      for (const b of [coef, theta, ids, staging, lin, gram]) b?.destroy();
      coef = theta = ids = staging = lin = gram = null;
    },
  };
}

/** The error shading from the kernel where partitionIds would use it, else from the CPU twin errorGrid, saying which. */
export async function partitionError(
  gpu: PartitionGpu | null,
  scores: PlaneScores,
  err: PlaneError | null,
  grid: Grid,
): Promise<{ err: Float32Array; backend: 'webgpu' | 'cpu'; note: string }> {
  const why = !gpu ? 'no WebGPU device' : gpu.software ? 'a software adapter (a CPU emulation, slower than the twin)' : gpu.refusal(scores, grid, 1);
  if (gpu && why === null) return { err: await gpu.errorGrid(scores, err, grid), backend: 'webgpu', note: 'shaders/partitionError.wgsl' };
  return { err: errorGrid(scores, err, grid), backend: 'cpu', note: `CPU twin errorGrid: ${why}` };
}

/**
 * Region ids from the kernel when there is a hardware device and the kernel accepts the job, else from the CPU
 * twin, saying which and why. On a software adapter the twin is faster (docs/reproduction-geometry.md: ~35 vs
 * ~900 ms at 128×128 with 256 latents on 2 CPU cores), the same policy as training's (engine/training/backend.ts).
 */
export async function partitionIds(
  gpu: PartitionGpu | null,
  scores: PlaneScores,
  grid: Grid,
  words: 1 | 2 = 1,
): Promise<{ ids: Uint32Array; backend: 'webgpu' | 'cpu'; note: string }> {
  const why = !gpu ? 'no WebGPU device' : gpu.software ? 'a software adapter (a CPU emulation, slower than the twin)' : gpu.refusal(scores, grid, words);
  if (gpu && why === null) return { ids: await gpu.regionIds(scores, grid, words), backend: 'webgpu', note: 'shaders/partition.wgsl' };
  return { ids: regionIds(scores, grid, words), backend: 'cpu', note: `CPU twin regionIds: ${why}` };
}
