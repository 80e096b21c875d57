// The WGSL engine as a member trainer (gpuTrainer.ts: every member in the same dispatches), on a device
// shared by all the runs of one workbench or CLI process (createDeviceHolder). Imports src/core and
// src/gpu only: no UI, Comlink, Node or WGSL.

import type { TrainConfig } from '../../core/sae/config.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import type { Checkpoint } from '../../core/sae/checkpoint.ts';
import { CHECKPOINT_VERSION, memberState, resumeConfig } from '../../core/sae/checkpoint.ts';
import { InputError } from '../../core/errors.ts';
import type { NeededLimits } from '../../gpu/device.ts';
import { acquireDevice } from '../../gpu/device.ts';
import { HISTORY_CAPACITY, createGpuTrainer, gpuTrainerLimits } from './gpuTrainer.ts';
import type { LostInfo, MemberTrainer } from './memberTrainer.ts';

/** A WebGPU device the runs share, and its loss as the engine sees it. */
export interface HeldDevice {
  device: GPUDevice;
  /** Calls `listener` once if the device is lost by anything but our own destroy(); returns the unsubscribe. */
  onLost(listener: (info: LostInfo) => void): () => void;
}

export interface DeviceHolder {
  get(needed: NeededLimits): Promise<HeldDevice>;
  /** Destroys the held device (a process that is done with WebGPU: the CLI), so nothing keeps it alive. */
  release(): void;
}

/**
 * One device for all runs, created with exactly the limits asked for and kept while later runs fit in
 * them: pipelines are compiled once per device, so a restart is instant (seconds saved per run on
 * SwiftShader). A run that needs more replaces it with one holding the larger limits.
 */
export function createDeviceHolder(gpu: GPU): DeviceHolder {
  let held: (HeldDevice & { limits: NeededLimits; gone: boolean; destroyedByUs: boolean }) | null = null;
  const fits = (have: NeededLimits, need: NeededLimits): boolean =>
    Object.entries(need).every(([key, v]) => {
      const h = have[key as keyof NeededLimits];
      return v === undefined || (h !== undefined && (key.startsWith('min') ? v >= h : v <= h));
    });
  return {
    async get(needed) {
      if (held && !held.gone && fits(held.limits, needed)) return held;
      const limits: NeededLimits = { ...needed };
      if (held && !held.gone) {
        for (const [key, v] of Object.entries(held.limits) as [keyof NeededLimits, number][]) {
          const n = limits[key];
          limits[key] = n === undefined ? v : key.startsWith('min') ? Math.min(n, v) : Math.max(n, v);
        }
        held.destroyedByUs = true;
        held.device.destroy();
      }
      held = null;
      const { device } = await acquireDevice(gpu, limits);
      // Listeners live in a set, not as handlers on device.lost: a finished run unsubscribes and is freed.
      const listeners = new Set<(info: LostInfo) => void>();
      const h = {
        device,
        limits,
        gone: false,
        destroyedByUs: false,
        onLost(listener: (info: LostInfo) => void) {
          listeners.add(listener);
          return () => void listeners.delete(listener);
        },
      };
      // acquireDevice's onLost ignores reason 'destroyed'; here any loss we did not cause counts, whatever
      // its reason (a page or test that destroys our device has taken it from us just as a driver reset does).
      void device.lost.then((info) => {
        h.gone = true;
        if (h.destroyedByUs) return;
        const lost = { reason: info.reason, message: info.message };
        for (const l of [...listeners]) l(lost);
        listeners.clear();
      });
      held = h;
      return h;
    },
    release() {
      if (held && !held.gone) {
        held.destroyedByUs = true;
        held.device.destroy();
      }
      held = null;
    },
  };
}

export interface GpuTrainerChoice {
  devices: DeviceHolder;
  /** The adapter's limits, to size the device request (gpuTrainerLimits). */
  adapterLimits: GPUSupportedLimits;
  /** Software adapters get the T32 encoder tile instead of timing every variant (seconds, and meaningless there). */
  isSoftware: boolean;
}

/**
 * The GPU trainer on the shared device (with at least the limits this config needs). Chunks grow or
 * shrink (×½…×2, at most HISTORY_CAPACITY steps) so each takes about `budgetMs`, submit to readback:
 * the stats readback is the one wait per chunk, which bounds the queue and lets messages in.
 */
export async function createWebGpuTrainer(
  data: Dataset,
  config: Partial<TrainConfig>,
  seeds: readonly number[],
  choice: GpuTrainerChoice,
  residualOf: readonly Sae[] = [],
  resumeFrom?: Checkpoint,
): Promise<MemberTrainer> {
  if (resumeFrom && residualOf.length > 0) throw new InputError('resume: boosting runs are not checkpointed yet: resume a single, bagging or expanded run');
  // A resumed run trains the checkpoint's config (steps may be raised); checkpoint.ts names any other difference.
  const cfg = resumeFrom ? resumeConfig(resumeFrom, data, config, 'resume') : config;
  const needed = gpuTrainerLimits(cfg, data.dIn, data.rows, seeds.length, choice.adapterLimits);
  const held = await choice.devices.get(needed);
  const t = await createGpuTrainer(held.device, data, cfg, {
    ...(resumeFrom ? { resumeFrom: resumeFrom.members.map((_, j) => memberState(resumeFrom, j)) } : {}),
    seeds,
    batchOrderSeed: seeds[0],
    residualOf,
    isSoftware: choice.isSoftware,
    ...(choice.isSoftware ? { encodeVariant: 'T32' as const } : {}),
  });
  let destroyed = false;
  let chunk = 1;
  let measured = t.step; // a resumed trainer starts at its checkpoint's step
  const unsubscribers = new Set<() => void>();
  return {
    kind: 'webgpu',
    config: t.config,
    seeds,
    get step() {
      return measured;
    },
    async trainChunk(maxSteps, budgetMs) {
      const n = Math.max(1, Math.min(chunk, maxSteps, HISTORY_CAPACITY));
      const t0 = performance.now();
      t.trainSteps(n);
      const stats = await t.readStats();
      measured = t.step;
      const ms = performance.now() - t0;
      chunk = Math.max(1, Math.min(HISTORY_CAPACITY, Math.round(n * Math.min(2, Math.max(0.5, budgetMs / Math.max(ms, 0.1))))));
      return stats;
    },
    async readWeights() {
      const step = t.step;
      // Both readbacks are submitted before the first await, so they see the same step.
      const [saes, firing] = await Promise.all([t.readSaes(), t.readFiring()]);
      return { step, tokens: step * t.config.batch, saes, firingCounts: firing.firingCounts };
    },
    async checkpoint(): Promise<Checkpoint> {
      const s = await t.readState();
      return {
        version: CHECKPOINT_VERSION,
        config: t.config,
        step: s.step,
        order: s.order,
        data: { name: data.name, rows: data.rows, dIn: data.dIn },
        ensemble: { method: seeds.length > 1 ? 'bagging' : 'single', members: seeds.length },
        members: s.members.map((m, j) => ({ seed: seeds[j], ...m })),
      };
    },
    onLost(listener) {
      const off = held.onLost(listener);
      unsubscribers.add(off);
      return () => {
        off();
        unsubscribers.delete(off);
      };
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const off of unsubscribers) off();
      unsubscribers.clear();
      t.destroy();
    },
  };
}
