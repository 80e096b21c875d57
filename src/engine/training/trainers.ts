// One shape over the two ways a run's members train: the CPU reference (src/core/sae/train.ts, one trainer
// per member, stepped in turn) and the GPU trainer (src/engine/training/gpuTrainer.ts, every member in the same
// dispatches). The Workbench (workbench.ts) drives chunks of steps through it and reads weights back at
// snapshot time. Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.

import { boostingResidual } from '../../core/ensemble/boosting.ts';
import type { ResolvedConfig, TrainConfig } from '../../core/sae/config.ts';
import type { StepStats, Trainer } from '../../core/sae/train.ts';
import { createTrainer } from '../../core/sae/train.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import { cloneSae } from '../../core/sae/types.ts';
import type { NeededLimits } from '../../gpu/device.ts';
import { acquireDevice } from '../../gpu/device.ts';
import type { GpuTrainer } from './gpuTrainer.ts';
import { HISTORY_CAPACITY, createGpuTrainer, gpuTrainerLimits } from './gpuTrainer.ts';

/** Every member's parameters and firing counts at one step (a copy: later steps do not change it). */
export interface Weights {
  step: number;
  /** Training tokens seen by each member (members share the batch). */
  tokens: number;
  saes: Sae[];
  /** [member][dSae] tokens on which each latent fired. */
  firingCounts: Float64Array[];
}

/** Why a device went away, as WebGPU says it (GPUDeviceLostInfo, copied to plain data). */
export interface LostInfo {
  reason: string;
  message: string;
}

export interface MemberTrainer {
  readonly kind: 'cpu' | 'webgpu';
  readonly config: ResolvedConfig;
  readonly seeds: readonly number[];
  /** Steps done and measured. */
  readonly step: number;
  /** Trains at most `maxSteps` steps, for about `budgetMs`; returns their stats as [member][step]. */
  trainChunk(maxSteps: number, budgetMs: number): Promise<StepStats[][]>;
  /** The members' weights now (a GPU readback on webgpu). */
  readWeights(): Promise<Weights>;
  /** Resolves if the device is lost by anything but destroy() (a driver reset, the GPU removed…); never on the CPU. */
  readonly lost: Promise<LostInfo>;
  /** Frees the run's GPU buffers (the device stays for the next run); a no-op on the CPU. */
  destroy(): void;
}

const never = new Promise<never>(() => undefined);

/**
 * The CPU reference: one core trainer per seed, sharing the batch order of seeds[0]. residualOf: frozen
 * boosting stages; the members then train on the residual they leave of `data` (src/core/ensemble/boosting.ts).
 */
export function createCpuTrainer(data: Dataset, config: Partial<TrainConfig>, seeds: readonly number[], residualOf: readonly Sae[] = []): MemberTrainer {
  const input = residualOf.length > 0 ? boostingResidual(residualOf, data) : data;
  const trainers: Trainer[] = seeds.map((seed) => createTrainer(input, { ...config, seed }, { batchOrderSeed: seeds[0] }));
  const first = trainers[0];
  return {
    kind: 'cpu',
    config: first.config,
    seeds,
    get step() {
      return first.step;
    },
    trainChunk(maxSteps, budgetMs) {
      const out: StepStats[][] = trainers.map(() => []);
      const t0 = performance.now();
      let n = 0;
      do {
        trainers.forEach((t, j) => out[j].push(t.trainStep()));
        n++;
      } while (n < maxSteps && performance.now() - t0 < budgetMs);
      return Promise.resolve(out);
    },
    readWeights() {
      return Promise.resolve({
        step: first.step,
        tokens: first.step * first.config.batch,
        saes: trainers.map((t) => cloneSae(t.sae)),
        firingCounts: trainers.map((t) => t.firingCounts.slice()),
      });
    },
    lost: never,
    destroy() {},
  };
}

/** A WebGPU device the workbench's runs share, and its loss as the engine sees it. */
export interface HeldDevice {
  device: GPUDevice;
  /** Resolves if the device is lost by anything but our own destroy(); then the holder makes a new one. */
  lost: Promise<LostInfo>;
}

/**
 * One device for all of a workbench's runs, created with exactly the limits asked for and kept while
 * later runs fit in them: pipelines are compiled once per device, so a restart is instant (seconds
 * saved per run on SwiftShader). A run that needs more replaces it with one holding the larger limits.
 */
export function createDeviceHolder(gpu: GPU): { get(needed: NeededLimits): Promise<HeldDevice> } {
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
      const h = { device, limits, gone: false, destroyedByUs: false, lost: never as Promise<LostInfo> };
      // acquireDevice's onLost ignores reason 'destroyed'; here any loss we did not cause counts, whatever
      // its reason (a page or test that destroys our device has taken it from us just as a driver reset does).
      h.lost = device.lost.then((info) => {
        h.gone = true;
        return h.destroyedByUs ? never : { reason: info.reason, message: info.message };
      });
      held = h;
      return h;
    },
  };
}

export interface GpuTrainerChoice {
  devices: { get(needed: NeededLimits): Promise<HeldDevice> };
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
): Promise<MemberTrainer> {
  const needed = gpuTrainerLimits(config, data.dIn, data.rows, seeds.length, choice.adapterLimits);
  const { device, lost } = await choice.devices.get(needed);
  const t: GpuTrainer = await createGpuTrainer(device, data, config, {
    seeds,
    batchOrderSeed: seeds[0],
    residualOf,
    isSoftware: choice.isSoftware,
    ...(choice.isSoftware ? { encodeVariant: 'T32' as const } : {}),
  });
  let destroyed = false;
  let chunk = 1;
  let measured = 0;
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
    lost,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      t.destroy();
    },
  };
}
