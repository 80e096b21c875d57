// The wasm engine's trainer: src/core/sae/train.ts's createTrainer (same validation, init, batch order,
// resume and StepStats), its step run by saeStep.c in WebAssembly SIMD. It is a core ResumableTrainer, so
// the engine's CPU member trainer (cpuTrainer.ts) drives it exactly as it drives the reference; its
// parameters, Adam moments and firing statistics are views onto the instance's memory (live, as the
// reference's arrays are). Covers arch 'topk' with topkSelect 'relu' (wasmRefusal says why not otherwise).
// Imports src/core only.

import type { TrainConfig } from '../core/sae/config.ts';
import { DEFAULT_CONFIG, lrAt } from '../core/sae/config.ts';
import { InputError } from '../core/errors.ts';
import type { ResumableTrainer, StepStats, TrainerOptions } from '../core/sae/train.ts';
import { createBatchOrder, createTrainer, stepStatsOf, trainerStateOf } from '../core/sae/train.ts';
import type { Dataset, Sae } from '../core/sae/types.ts';
import { cloneSae } from '../core/sae/types.ts';
import type { StepBuffer } from './saeStep.ts';
import { STEP_BUFFERS, heapOf, instantiate } from './saeStep.ts';

/** Why the wasm engine cannot train `config`, or null when it can (the backend policy falls back to the reference saying this). */
export function wasmRefusal(config: Partial<TrainConfig>): string | null {
  const arch = config.arch ?? DEFAULT_CONFIG.arch;
  const trainer = config.trainer ?? DEFAULT_CONFIG.trainer;
  if (trainer !== 'sgd') return `trains trainer sgd only so far (${trainer} runs on the reference)`;
  if (arch !== 'topk') return `trains topk only so far (${arch} runs on the reference)`;
  if ((config.topkSelect ?? DEFAULT_CONFIG.topkSelect) !== 'relu') return 'keeps the k largest z then applies ReLU (topkSelect abs-signed runs on the reference)';
  return null;
}

/**
 * createTrainer's trainer with its step in wasm. `module`: loadSaeStepModule()'s (compiled once per process).
 * Throws InputError for a config wasmRefusal refuses, and for every problem createTrainer names.
 */
export function createWasmTrainer(module: WebAssembly.Module, data: Dataset, config: Partial<TrainConfig>, opts: TrainerOptions = {}): ResumableTrainer {
  const refusal = wasmRefusal(config);
  if (refusal !== null) throw new InputError(`backend 'wasm': the wasm engine ${refusal}: use backend 'cpu' or 'auto'`);
  // The reference does the validation, the init (input scale, bDec, weights) and the resume; its state is the start.
  const ref = createTrainer(data, config, opts);
  const s0 = ref.state();
  const c = ref.config;
  const { dIn } = data;
  const { dSae, k, batch } = c;

  const w = instantiate(module);
  const heap = heapOf(w);
  if (w.wb_setup(dIn, dSae, k, batch, c.kAux) === 0) {
    throw new InputError(`backend 'wasm': dSae ${dSae} × dIn ${dIn} at batch ${batch} does not fit in a 2 GiB WebAssembly memory: use backend 'cpu'`);
  }
  const ptr = (b: StepBuffer): number => w.wb_ptr(STEP_BUFFERS.indexOf(b));
  const f32 = (b: StepBuffer, n: number): Float32Array => heap.f32(ptr(b), n);
  const f64 = (b: StepBuffer, n: number): Float64Array => heap.f64(ptr(b), n);

  // The live state, in wasm memory (the memory never grows after wb_setup, so the views stay valid).
  const sae: Sae = { ...cloneSae(s0.sae), wEnc: f32('wEnc', dSae * dIn), bEnc: f32('bEnc', dSae), wDec: f32('wDec', dSae * dIn), bDec: f32('bDec', dIn) };
  sae.wEnc.set(s0.sae.wEnc);
  sae.bEnc.set(s0.sae.bEnc);
  sae.wDec.set(s0.sae.wDec);
  sae.bDec.set(s0.sae.bDec);
  const m = [f32('mWEnc', dSae * dIn), f32('mBEnc', dSae), f32('mWDec', dSae * dIn), f32('mBDec', dIn), new Float32Array(0)];
  const v = [f32('vWEnc', dSae * dIn), f32('vBEnc', dSae), f32('vWDec', dSae * dIn), f32('vBDec', dIn), new Float32Array(0)];
  s0.adam.m.forEach((a, j) => m[j].set(a));
  s0.adam.v.forEach((a, j) => v[j].set(a));
  const adam = { m, v, t: s0.adam.t };
  const firingCounts = f64('firingCounts', dSae);
  const tokensSinceFired = f64('tokensSinceFired', dSae);
  firingCounts.set(s0.firingCounts);
  tokensSinceFired.set(s0.tokensSinceFired);
  const xBatch = f32('x', batch * dIn);
  const stats = f64('stats', 8);
  const order = createBatchOrder(data.rows, batch, s0.order.seed, s0.order);
  let step = s0.step;

  const trainStep = (): StepStats => {
    // gatherRows (train.ts) straight into the instance's batch buffer.
    const rows = order.next();
    const s = sae.inputScale;
    for (let b = 0; b < batch; b++) {
      const o = rows[b] * dIn;
      for (let d = 0; d < dIn; d++) xBatch[b * dIn + d] = data.x[o + d] * s;
    }
    const lr = lrAt(c, step);
    adam.t += 1;
    const c1 = 1 - c.adamBeta1 ** adam.t;
    const c2 = 1 - c.adamBeta2 ** adam.t;
    w.wb_step(lr, c.adamBeta1, c.adamBeta2, c.adamEps, c1, c2, c.gradClipNorm, c.auxkCoefficient, c.deadWindowTokens);
    step += 1;
    return stepStatsOf({ step, batch, loss: stats[0], mse: stats[1], auxLoss: stats[2], sparsityLoss: 0, active: stats[3], nDead: stats[4], dSae, totalVariance: stats[5], lr, gradNorm: stats[6] });
  };

  return {
    config: c,
    sae,
    get step() {
      return step;
    },
    tokensSinceFired,
    firingCounts,
    adam,
    trainStep,
    state: () => trainerStateOf({ step, sae, adam, firingCounts, tokensSinceFired, thresholdStarted: false, order: order.state() }),
  };
}
