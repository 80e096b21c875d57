// Kernel declarations for moving training data: the per-step batch gather from a (possibly chunked)
// dataset. Imports WGSL (?raw) and src/gpu/kernel.ts only.

import gatherRowsWgsl from '../../../shaders/gatherRows.wgsl?raw';
import type { Kernel, KernelDecl } from '../kernel.ts';
import { bindBuffers, dispatch, foldGrid, packParams } from '../kernel.ts';

export const GATHER_ROWS: KernelDecl = {
  name: 'gatherRows',
  code: gatherRowsWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read_write', 'uniform'],
};
export const GATHER_WG = 256;

/** One chunk of a dataset on the GPU: rows [start, start + rows) of [rows, dIn] f32. */
export interface DataChunk {
  buffer: GPUBuffer;
  start: number;
  rows: number;
}

/**
 * Records x[b, :] = scale·data[rowIdx[b], :] for every chunk (one dispatch per chunk).
 * rowIdx: [batch] u32; x: [batch, dIn] f32. `params` holds one 256-byte-aligned slot per chunk.
 */
export function recordGatherRows(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  kernel: Kernel,
  chunks: readonly DataChunk[],
  rowIdx: GPUBuffer,
  x: GPUBuffer,
  params: GPUBuffer[],
  sizes: { batch: number; dIn: number; scale: number },
): void {
  const grid = foldGrid(Math.ceil((sizes.batch * sizes.dIn) / GATHER_WG));
  chunks.forEach((c, i) => {
    device.queue.writeBuffer(
      params[i],
      0,
      packParams([
        ['u32', sizes.batch],
        ['u32', sizes.dIn],
        ['u32', c.start],
        ['u32', c.rows],
        ['f32', sizes.scale],
      ]),
    );
    dispatch(pass, kernel, bindBuffers(device, kernel, [c.buffer, rowIdx, x, params[i]]), grid);
  });
}
