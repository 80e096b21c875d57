// Kernel declarations for per-step bookkeeping: AuxK's member scale and the step-metric history.
// Imports WGSL (?raw), src/gpu/kernel.ts and types from src/core only.

import auxScaleWgsl from '../../../shaders/auxScale.wgsl?raw';
import sparsityLossWgsl from '../../../shaders/sparsityLoss.wgsl?raw';
import stepStatsWgsl from '../../../shaders/stepStats.wgsl?raw';
import thresholdEmaWgsl from '../../../shaders/thresholdEma.wgsl?raw';
import type { StepStats } from '../../core/sae/train.ts';
import type { KernelDecl } from '../kernel.ts';

/** stats [M, 2] u32 → memberScale [M] f32; params. */
export const AUX_SCALE: KernelDecl = { name: 'auxScale', code: auxScaleWgsl, entryPoint: 'main', bindings: ['read', 'read_write', 'uniform'] };

/** f [B, N], latent [N] → term [M] (λ-weighted L1 or L0 of dense codes); params. */
export const SPARSITY_LOSS: KernelDecl = { name: 'sparsityLoss', code: sparsityLossWgsl, entryPoint: 'main', bindings: ['read', 'read', 'read_write', 'uniform'] };

/** x, sqErr, sqErrAux, memberScale, stats, gradClip, sparsity → history [cap, M, 9]; params. */
export const STEP_STATS: KernelDecl = {
  name: 'stepStats',
  code: stepStatsWgsl,
  entryPoint: 'main',
  bindings: ['read', 'read', 'read', 'read', 'read', 'read', 'read', 'read_write', 'uniform'],
};
export const STEP_STATS_WG = 64;

/**
 * The f32 fields of one history record [cap, M, HISTORY_FIELDS.length], in the order stepStats.wgsl writes
 * them: each is the StepStats field (src/core/sae/train.ts) of the same name. Decode records with this list,
 * never with literal offsets.
 */
export const HISTORY_FIELDS = ['loss', 'mse', 'auxLoss', 'l0', 'deadFraction', 'explainedVariance', 'lr', 'gradNorm', 'sparsityLoss'] as const satisfies readonly (keyof StepStats)[];
export type HistoryField = (typeof HISTORY_FIELDS)[number];

/** BatchTopK: state [M, 8] (minKept bits) → thr [M, 2] (θ, started); params {M, rate}. */
export const THRESHOLD_EMA: KernelDecl = { name: 'thresholdEma', code: thresholdEmaWgsl, entryPoint: 'main', bindings: ['read', 'read_write', 'uniform'] };
