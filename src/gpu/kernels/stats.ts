// Kernel declarations for per-step bookkeeping: AuxK's member scale and the step-metric history.
// Imports WGSL (?raw) and src/gpu/kernel.ts only.

import auxScaleWgsl from '../../../shaders/auxScale.wgsl?raw';
import stepStatsWgsl from '../../../shaders/stepStats.wgsl?raw';
import type { KernelDecl } from '../kernel.ts';

/** stats [M, 2] u32 → memberScale [M] f32; params. */
export const AUX_SCALE: KernelDecl = { name: 'auxScale', code: auxScaleWgsl, entryPoint: 'main', bindings: ['read', 'read_write', 'uniform'] };

/** x, sqErr, sqErrAux, memberScale, stats, gradClip → history [cap, M, 8]; params. */
export const STEP_STATS: KernelDecl = {
  name: 'stepStats',
  code: stepStatsWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read_write', 'uniform'],
};
export const STEP_STATS_WG = 64;

/** The fields of one history record, in order (StepStats of src/core/train.ts). */
export const HISTORY_FIELDS = ['loss', 'mse', 'auxLoss', 'l0', 'deadFraction', 'explainedVariance', 'lr', 'gradNorm'] as const;
