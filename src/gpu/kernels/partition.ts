// Kernel declarations of the geometry lab's partition drawing (shaders/partition.wgsl, issue #12): the region id
// of every pixel of a grid on a plane, from any model's per-unit quadratic scores (src/core/geometry/scores.ts),
// and its error shading (shaders/partitionError.wgsl: ‖x − x̂‖² per pixel, src/core/geometry/error.ts).
// Its limits (refused with the reason, so the caller can fall back to the CPU twin regionIds) and its one
// prepared dispatch. Imports WGSL (?raw), src/gpu/kernel.ts and src/core only.

import partitionWgsl from '../../../shaders/partition.wgsl?raw';
import partitionErrorWgsl from '../../../shaders/partitionError.wgsl?raw';
import type { PlaneError } from '../../core/geometry/error.ts';
import type { Grid } from '../../core/geometry/regions.ts';
import type { PlaneScores } from '../../core/geometry/scores.ts';
import type { KernelDecl, ParamField, PreparedDispatch } from '../kernel.ts';
import { compileKernel, paramsBuffer, prepareDispatch, type Kernel } from '../kernel.ts';

/** coef [units, 6], theta [units] → ids [height·width, words]; params. */
export const PARTITION: KernelDecl = { name: 'partition', code: partitionWgsl, entryPoint: 'main', bindings: ['read', 'read', 'read_write', 'uniform'] };

/** coef [units, 6], theta [units], lin [units, 3], gram [units, units] → err [height·width]; params. */
export const PARTITION_ERROR: KernelDecl = {
  name: 'partitionError',
  code: partitionErrorWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read', 'read_write', 'uniform'],
};

/** Largest topk k (the size of the kernel's private top-k arrays, KMAX in partition.wgsl). */
export const PARTITION_KMAX = 32;
/** Pixels per workgroup side (TW = TH in partition.wgsl). */
export const PARTITION_TILE = 8;
/** Largest grid side: 65,535 workgroups of 8 pixels per dispatch dimension. */
export const PARTITION_MAX_SIDE = 65535 * PARTITION_TILE;

const RULE_CODE = { topk: 0, threshold: 1, argmin: 2 } as const;

/**
 * Why the kernel cannot draw these scores on this grid (null when it can): topk with k > PARTITION_KMAX, a side
 * past PARTITION_MAX_SIDE, or ids over the device's largest storage binding. The CPU twin has no such limits.
 */
export function partitionRefusal(scores: PlaneScores, grid: Grid, words: 1 | 2, maxStorageBytes: number): string | null {
  if (scores.rule.kind === 'topk' && scores.rule.k > PARTITION_KMAX) {
    return `the partition kernel keeps at most k = ${PARTITION_KMAX} top units per pixel in registers, these scores ask for k = ${scores.rule.k}; the CPU twin (regionIds) draws them instead`;
  }
  if (grid.width > PARTITION_MAX_SIDE || grid.height > PARTITION_MAX_SIDE) {
    return `the partition kernel draws grids up to ${PARTITION_MAX_SIDE} pixels a side, got ${grid.width}×${grid.height}; lower the resolution`;
  }
  const bytes = grid.width * grid.height * words * 4;
  if (bytes > maxStorageBytes) return `${grid.width}×${grid.height} ids need ${bytes} bytes, over this device's largest storage binding (${maxStorageBytes}); lower the resolution`;
  return null;
}

/** The uniform Params of partition.wgsl, in declaration order. */
export function partitionParams(scores: PlaneScores, grid: Grid, words: 1 | 2): ParamField[] {
  const { rule } = scores;
  const k = rule.kind === 'topk' ? rule.k : 0;
  const flags = rule.kind === 'topk' ? (rule.abs ? 1 : 0) | (rule.relu ? 2 : 0) : 0;
  return [
    ['u32', grid.width],
    ['u32', grid.height],
    ['u32', scores.units],
    ['u32', k],
    ['u32', RULE_CODE[rule.kind]],
    ['u32', flags],
    ['u32', words],
    ['u32', 0],
    ['f32', grid.u0],
    ['f32', grid.u1],
    ['f32', grid.v0],
    ['f32', grid.v1],
  ];
}

export function compilePartition(device: GPUDevice): Promise<Kernel> {
  return compileKernel(device, PARTITION);
}

export function compilePartitionError(device: GPUDevice): Promise<Kernel> {
  return compileKernel(device, PARTITION_ERROR);
}

/** The uniform Params of partitionError.wgsl: the grid and rule as partition.wgsl's, the flags ABS and RELU (values), Q. */
export function partitionErrorParams(scores: PlaneScores, err: PlaneError | null, grid: Grid): ParamField[] {
  const { rule } = scores;
  const flags = (rule.kind === 'topk' && rule.abs ? 1 : 0) | (err?.values === 'relu' ? 2 : 0);
  const q = err?.quad ?? new Float64Array(6);
  return [
    ['u32', grid.width],
    ['u32', grid.height],
    ['u32', scores.units],
    ['u32', rule.kind === 'topk' ? rule.k : 0],
    ['u32', RULE_CODE[rule.kind]],
    ['u32', flags],
    ['u32', 0],
    ['u32', 0],
    ['f32', grid.u0],
    ['f32', grid.u1],
    ['f32', grid.v0],
    ['f32', grid.v1],
    ...Array.from(q, (c): ParamField => ['f32', c]),
    ['f32', 0],
    ['f32', 0],
  ];
}

/** One dispatch of partitionError.wgsl on the caller's buffers; owns its uniform. */
export function preparePartitionError(
  device: GPUDevice,
  kernel: Kernel,
  buffers: { coef: GPUBuffer; theta: GPUBuffer; lin: GPUBuffer; gram: GPUBuffer; err: GPUBuffer },
  scores: PlaneScores,
  err: PlaneError | null,
  grid: Grid,
): PreparedDispatch {
  const params = paramsBuffer(device, 'partitionError:params', partitionErrorParams(scores, err, grid));
  const gridWg: [number, number, number] = [Math.ceil(grid.width / PARTITION_TILE), Math.ceil(grid.height / PARTITION_TILE), 1];
  return prepareDispatch(device, kernel, [buffers.coef, buffers.theta, buffers.lin, buffers.gram, buffers.err], params, gridWg);
}

/**
 * One dispatch of partition.wgsl bound to the caller's buffers (coef, theta, ids), ceil(width/8)×ceil(height/8)
 * workgroups; owns its uniform. Check partitionRefusal first.
 */
export function preparePartition(
  device: GPUDevice,
  kernel: Kernel,
  buffers: { coef: GPUBuffer; theta: GPUBuffer; ids: GPUBuffer },
  scores: PlaneScores,
  grid: Grid,
  words: 1 | 2,
): PreparedDispatch {
  const params = paramsBuffer(device, 'partition:params', partitionParams(scores, grid, words));
  const gridWg: [number, number, number] = [Math.ceil(grid.width / PARTITION_TILE), Math.ceil(grid.height / PARTITION_TILE), 1];
  return prepareDispatch(device, kernel, [buffers.coef, buffers.theta, buffers.ids], params, gridWg);
}
