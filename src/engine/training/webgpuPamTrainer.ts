// PAM-SGD on the WGSL engine as a member trainer (SplInterp §3.6; the specification is src/core/sae/pamTrain.ts):
// the encoder block is gpuTrainer.ts with `encoderOnly` (Adam on the encoder with the stay-close term, decoder
// frozen, no AuxK), the decoder block is ./gpu/pamDecoder.ts (statistics streamed over all training rows, the
// blocked Cholesky solve, the bias fold), and this file is the epoch loop between them:
//   step t with t mod stepsPerEpoch = 0: (decoder-first: solve, the first epoch included) → anchor E_t, b_enc,t
//   after step t with (t + 1) mod stepsPerEpoch = 0: (encoder-first: solve)
// exactly as createPamTrainer. A solve is a list of submits (one chunk of rows or one panel each) spread over
// trainChunk calls by the time budget, with one 4-byte readback (its status) at the end, so a page stays live;
// a chunk that spent its budget on a solve returns no steps. finish() completes a pending solve and re-solves for
// the final encoder unless the last step just did. One SAE per trainer (M = 1): the decoder kernels have no member
// axis yet, so ensembles are refused here and the factory sends them to the CPU reference.
// Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.

import type { TrainConfig } from '../../core/sae/config.ts';
import { DEFAULT_CONFIG, resolveConfig } from '../../core/sae/config.ts';
import { InputError } from '../../core/errors.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import type { NeededLimits } from '../../gpu/device.ts';
import type { GpuTrainerOptions } from './gpuTrainer.ts';
import { createGpuTrainer, gpuTrainerLimits, HISTORY_CAPACITY } from './gpuTrainer.ts';
import type { PamDecoderSolve } from './gpu/pamDecoder.ts';
import { preparePamDecoderSolve } from './gpu/pamDecoder.ts';
import type { MemberTrainer } from './memberTrainer.ts';
import type { GpuTrainerChoice } from './webgpuTrainer.ts';

/** The member trainer without device ownership (tests and createWebGpuPamTrainer): everything but onLost. */
export type GpuPamTrainer = Omit<MemberTrainer, 'onLost'> & {
  /** Steps after which a decoder solve was installed (0 = before the first step), in order. */
  readonly solveSteps: readonly number[];
};

/**
 * PAM-SGD on `device` for one SAE of `config` (trainer pam-sgd, arch topk). opts: as createGpuTrainer's, one seed.
 * Throws an InputError for an ensemble, an architecture the GPU solve does not cover, or an invalid config.
 */
export async function createGpuPamTrainer(device: GPUDevice, data: Dataset, config: Partial<TrainConfig>, opts: Omit<GpuTrainerOptions, 'encoderOnly'> = {}): Promise<GpuPamTrainer> {
  const seeds = opts.seeds ?? [config.seed ?? DEFAULT_CONFIG.seed];
  if (seeds.length !== 1) throw new InputError(`PAM-SGD on the WGSL engine trains one SAE per run so far, got ${seeds.length} members: use backend 'cpu' (or 'auto') for PAM-SGD ensembles`);
  const fraction = config.pamSolveFraction ?? 1;
  if (fraction < 1) throw new InputError(`PAM-SGD on the WGSL engine solves the decoder on every training row, got pamSolveFraction ${fraction}: use backend 'cpu' (or 'auto')`);
  const t = await createGpuTrainer(device, data, { ...config, trainer: 'pam-sgd' }, { ...opts, seeds, encoderOnly: true });
  const c = t.config;
  let solver: PamDecoderSolve;
  try {
    solver = await preparePamDecoderSolve(t.parts, c);
  } catch (e) {
    t.destroy();
    throw e;
  }
  const stepsPerEpoch = Math.ceil(data.rows / c.batch);
  const decoderFirst = c.pamOrder === 'decoder-first';
  const solveSteps: number[] = [];
  /** Solves already reported by drainSolves (the markers on the app's loss curve). */
  let reported = 0;
  /** The solve under way: its next unit and the step it belongs to. */
  let solving: { unit: number; step: number } | null = null;
  /** The step whose epoch anchor is set (−1: none yet). */
  let anchoredAt = -1;
  let stepChunk = 1;
  let destroyed = false;

  /** Submits solve units until the solve is installed (true) or `deadline` passes (false: resume later). */
  const advanceSolve = async (deadline: number): Promise<boolean> => {
    while (solving) {
      solver.submit(solving.unit++);
      if (solving.unit === solver.units) {
        const { step } = solving;
        solving = null; // done either way: a failed solve is not resumed
        await solver.install(); // throws the InputError of a failed solve; the model keeps its last good decoder
        solveSteps.push(step);
        return true;
      }
      // Waiting per unit bounds the queue (one panel or chunk in flight) and measures what the budget allows.
      await device.queue.onSubmittedWorkDone();
      if (performance.now() > deadline) return false;
    }
    return true;
  };
  const startSolve = (): void => {
    solving = { unit: 0, step: t.step };
  };

  return {
    kind: 'webgpu',
    config: c,
    seeds,
    get step() {
      return t.step;
    },
    get solveSteps() {
      return solveSteps;
    },
    drainSolves() {
      const fresh = solveSteps.slice(reported);
      reported = solveSteps.length;
      return fresh;
    },
    async trainChunk(maxSteps, budgetMs) {
      const deadline = performance.now() + budgetMs;
      let trained = 0;
      for (;;) {
        if (solving) {
          if (!(await advanceSolve(deadline))) break;
          continue;
        }
        if (trained >= maxSteps || (trained > 0 && performance.now() > deadline)) break;
        const step = t.step;
        if (step % stepsPerEpoch === 0 && anchoredAt !== step) {
          if (decoderFirst && solveSteps.at(-1) !== step) {
            startSolve();
            continue;
          }
          t.anchorEncoder(); // E_t, b_enc,t: the start of this epoch's encoder pass
          anchoredAt = step;
        }
        // Up to the epoch's end (the boundary work comes between), the budget's worth, the history ring's size.
        const n = Math.max(1, Math.min(stepChunk, maxSteps - trained, stepsPerEpoch - (step % stepsPerEpoch), HISTORY_CAPACITY - trained));
        const t0 = performance.now();
        t.trainSteps(n);
        await device.queue.onSubmittedWorkDone();
        const ms = performance.now() - t0;
        trained += n;
        stepChunk = Math.max(1, Math.min(HISTORY_CAPACITY, Math.round(n * Math.min(2, Math.max(0.5, budgetMs / Math.max(ms, 0.1))))));
        if (!decoderFirst && t.step % stepsPerEpoch === 0) startSolve();
        if (trained >= HISTORY_CAPACITY) break;
      }
      return trained > 0 ? await t.readStats() : [[]];
    },
    async finish() {
      if (solving) await advanceSolve(Infinity);
      // The decoder exact for the final encoder, unless the last step's solve already made it so (cpuTrainer.ts).
      if (solveSteps.at(-1) !== t.step) {
        startSolve();
        await advanceSolve(Infinity);
      }
    },
    async readWeights() {
      const step = t.step;
      const [saes, firing] = await Promise.all([t.readSaes(), t.readFiring()]);
      return { step, tokens: step * c.batch, saes, firingCounts: firing.firingCounts };
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      solver.destroy();
      t.destroy();
    },
  };
}

/** The limits PAM-SGD needs: the SGD step's, and the decoder system's [dSae, dSae] f32 matrices bound whole. */
export function gpuPamTrainerLimits(config: Partial<TrainConfig>, dIn: number, rows: number, adapterLimits: GPUSupportedLimits): NeededLimits {
  const step = gpuTrainerLimits(config, dIn, rows, 1, adapterLimits);
  const c = resolveConfig({ ...DEFAULT_CONFIG, ...config }, dIn);
  const bytes = c.dSae * c.dSae * 4;
  const max = Math.min(adapterLimits.maxStorageBufferBindingSize, adapterLimits.maxBufferSize);
  if (bytes > max) throw new InputError(`PAM-SGD's decoder system A [dSae, dSae] needs ${bytes} bytes but this adapter binds at most ${max} (maxStorageBufferBindingSize): lower --latents (${c.dSae}) or use backend 'cpu'`);
  return {
    maxStorageBufferBindingSize: Math.max(step.maxStorageBufferBindingSize ?? 0, bytes),
    maxBufferSize: Math.max(step.maxBufferSize ?? 0, bytes),
  };
}

/** The factory's webgpu maker for pam-sgd: the shared device (webgpuTrainer.ts's holder), one SAE (a boosting stage: on the residual of `residualOf`). */
export async function createWebGpuPamTrainer(
  data: Dataset,
  config: Partial<TrainConfig>,
  seeds: readonly number[],
  choice: GpuTrainerChoice,
  residualOf: readonly Sae[] = [],
): Promise<MemberTrainer> {
  if (seeds.length !== 1) throw new InputError(`PAM-SGD on the WGSL engine trains one SAE per run so far, got ${seeds.length} members: use backend 'cpu' (or 'auto') for PAM-SGD ensembles`);
  const held = await choice.devices.get(gpuPamTrainerLimits(config, data.dIn, data.rows, choice.adapterLimits));
  const t = await createGpuPamTrainer(held.device, data, config, {
    seeds,
    batchOrderSeed: seeds[0],
    residualOf,
    isSoftware: choice.isSoftware,
    ...(choice.isSoftware ? { encodeVariant: 'T32' as const } : {}),
  });
  const unsubscribers = new Set<() => void>();
  return {
    ...t,
    get step() {
      return t.step;
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
      for (const off of unsubscribers) off();
      unsubscribers.clear();
      t.destroy();
    },
  };
}
