// Kernel declarations for moving training data: the per-step batch gather from a (possibly chunked)
// dataset, prepared once (prepareGatherRows) or recorded on the spot (recordGatherRows, one-shot callers).
// Imports WGSL (?raw) and src/gpu/kernel.ts only.

import gatherRowsWgsl from '../../../shaders/gatherRows.wgsl?raw';
import type { Kernel, KernelDecl, ParamField, Recorder } from '../kernel.ts';
import { bindBuffers, dispatch, foldGrid, packParams, paramsBuffer, prepareDispatch, sequence } from '../kernel.ts';

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

/** Params {batch, dIn, start, rows, scale} of gatherRows.wgsl for one chunk. */
function gatherFields(c: DataChunk, sizes: { batch: number; dIn: number; scale: number }): ParamField[] {
  return [
    ['u32', sizes.batch],
    ['u32', sizes.dIn],
    ['u32', c.start],
    ['u32', c.rows],
    ['f32', sizes.scale],
  ];
}

const gatherGrid = (sizes: { batch: number; dIn: number }): [number, number, number] => foldGrid(Math.ceil((sizes.batch * sizes.dIn) / GATHER_WG));

/**
 * Binds x[b, :] = scale·data[rowIdx[b], :] once: one dispatch per chunk, each with its own uniform (sizes
 * and scale are fixed for a trainer; rowIdx is rewritten between steps). rowIdx: [batch] u32; x: [batch, dIn] f32.
 */
export function prepareGatherRows(
  device: GPUDevice,
  kernel: Kernel,
  chunks: readonly DataChunk[],
  rowIdx: GPUBuffer,
  x: GPUBuffer,
  sizes: { batch: number; dIn: number; scale: number },
): Recorder {
  const grid = gatherGrid(sizes);
  return sequence(chunks.map((c, i) => prepareDispatch(device, kernel, [c.buffer, rowIdx, x], paramsBuffer(device, `gatherRows[${i}]:params`, gatherFields(c, sizes)), grid)));
}

/**
 * Records the same gather once, binding on the spot into the caller's 32-byte uniforms `params` (one
 * per chunk): for one-shot callers (the LM forward pass, src/engine/data/lmGpu.ts). A trainer uses prepareGatherRows.
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
  const grid = gatherGrid(sizes);
  chunks.forEach((c, i) => {
    device.queue.writeBuffer(params[i], 0, packParams(gatherFields(c, sizes)));
    dispatch(pass, kernel, bindBuffers(device, kernel, [c.buffer, rowIdx, x, params[i]]), grid);
  });
}
