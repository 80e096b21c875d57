// The benchmark harness of `sae-workbench bench`: timing (warm-up excluded, median of N), statistics,
// FLOP counts and GFLOP/s, and the shapes to time, scaled down on a software adapter (SwiftShader).
// Pure TypeScript over WebGPU types: imports no Node module, no TensorFlow.js, no engine or UI code, so
// both sides of the comparison (src/bench/ours.ts, src/bench/tfjsPeer.ts) are timed by the same code.

/** One side's work for one measurement: `submit` records and submits one repetition and returns at once. */
export interface Runner {
  /** Encode + submit one repetition (ours: one command buffer; tfjs: run the ops, then flush its encoder). */
  submit(): void;
  /** Free the GPU resources (after the last repetition has completed). */
  dispose(): void;
  /** What was run, for the report (e.g. the GEMM tile variant chosen for this adapter). */
  note?: string;
  /** Training steps only: the loss of the last step (a readback; called after timing, as a sanity check). */
  lastLoss?: () => Promise<number>;
}

export interface TimeOptions {
  /** Untimed repetitions first (pipeline compilation, first-touch allocation). */
  warmup: number;
  /** Timed samples; the median is the headline. */
  reps: number;
  /** Repetitions per sample, submitted back to back and divided out (hides per-sample latency on a real GPU). */
  inner?: number;
}

/** Milliseconds per repetition over the timed samples. */
export interface Stats {
  medianMs: number;
  minMs: number;
  meanMs: number;
  /** Sample standard deviation (0 for one sample). */
  stdMs: number;
  samplesMs: number[];
}

/** Median (mean of the two middle values for an even count), min, mean and standard deviation of `samples`. */
export function summarize(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('summarize: no samples (reps must be ≥ 1)');
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const mid = n >> 1;
  const medianMs = n % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const meanMs = s.reduce((a, b) => a + b, 0) / n;
  const stdMs = n > 1 ? Math.sqrt(s.reduce((a, b) => a + (b - meanMs) ** 2, 0) / (n - 1)) : 0;
  return { medianMs, minMs: s[0], meanMs, stdMs, samplesMs: [...samples] };
}

/**
 * Times `fn` (one sample = `inner` calls of fn, then one `done()`), after `warmup` untimed samples.
 * For GPU work pass fn = runner.submit and done = () => device.queue.onSubmittedWorkDone(): the time is
 * from the first submit to the queue going idle, the same for our kernels and for TensorFlow.js.
 */
export async function timeIt(fn: () => void | Promise<void>, opts: TimeOptions, done: () => Promise<unknown> = async () => {}): Promise<Stats> {
  const inner = opts.inner ?? 1;
  if (!(opts.reps >= 1 && opts.warmup >= 0 && inner >= 1)) {
    throw new Error(`timeIt: need reps ≥ 1, warmup ≥ 0, inner ≥ 1; got reps ${opts.reps}, warmup ${opts.warmup}, inner ${inner}`);
  }
  const sample = async (): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) await fn();
    await done();
    return (performance.now() - t0) / inner;
  };
  for (let i = 0; i < opts.warmup; i++) await sample();
  const samples: number[] = [];
  for (let i = 0; i < opts.reps; i++) samples.push(await sample());
  return summarize(samples);
}

/** Times a Runner on `device`'s queue (wall time to onSubmittedWorkDone). */
export function timeRunner(device: GPUDevice, runner: Runner, opts: TimeOptions): Promise<Stats> {
  return timeIt(() => runner.submit(), opts, () => device.queue.onSubmittedWorkDone());
}

// ---------------------------------------------------------------------------------------------------
// Shapes and FLOPs

/** One SAE shape: x [batch, dIn], wEnc / wDec [dSae, dIn], k active latents per row. */
export interface BenchShape {
  batch: number;
  dIn: number;
  dSae: number;
  k: number;
}

export interface BenchPlan {
  /** Encoder GEMM z = x·wEncᵀ + bEff shapes. */
  gemm: BenchShape[];
  /** Per-row TopK of z [batch, dSae]. */
  topk: BenchShape[];
  /** The full TopK training step. */
  step: BenchShape[];
  /** Step time vs dSae at fixed batch, dIn, k (the sparse path should keep decode and backward flat). */
  sweep: BenchShape[];
  warmup: number;
  reps: number;
  /** Inner repetitions per GEMM / TopK sample. */
  inner: number;
}

/** Real-GPU headline shape: a GPT-2-small residual stream (768), 16k latents, k 32. */
export const REAL_SHAPE: BenchShape = { batch: 4096, dIn: 768, dSae: 16384, k: 32 };
/** Software-adapter (0.1–0.4 GFLOP/s) headline: encoder GEMM of 2·128·64·512 ≈ 8 MFLOP ≈ 0.1 s. */
export const SOFTWARE_SHAPE: BenchShape = { batch: 128, dIn: 64, dSae: 512, k: 16 };

/**
 * The shapes to time. Real GPU: REAL_SHAPE (+ a 4096-latent GEMM), sweep dSae 2048..32768 at batch 4096.
 * Software: SOFTWARE_SHAPE, sweep dSae 256..2048 at batch 64, so the whole bench, TensorFlow.js included,
 * ends in about 1–2 minutes on SwiftShader (2 cores); `quick` halves the sweep and the repetitions.
 */
export function benchShapes(isSoftware: boolean, quick = false): BenchPlan {
  if (!isSoftware) {
    const sweepD = quick ? [4096, 16384] : [2048, 4096, 8192, 16384, 32768];
    return {
      gemm: [{ ...REAL_SHAPE, dSae: 4096 }, REAL_SHAPE],
      topk: [REAL_SHAPE],
      step: [REAL_SHAPE],
      sweep: sweepD.map((dSae) => ({ ...REAL_SHAPE, dSae })),
      warmup: quick ? 2 : 3,
      reps: quick ? 5 : 15,
      inner: 5,
    };
  }
  const base = SOFTWARE_SHAPE;
  const sweepD = quick ? [256, 1024] : [256, 512, 1024, 2048];
  return {
    gemm: [base],
    topk: [base],
    step: [base],
    sweep: sweepD.map((dSae) => ({ ...base, batch: 64, dSae })),
    warmup: 1,
    reps: quick ? 3 : 5,
    inner: 1,
  };
}

/** FLOPs of the encoder GEMM z = x·wEncᵀ + b: 2·batch·dSae·dIn (the bias add is not counted). */
export function gemmFlops(s: BenchShape): number {
  return 2 * s.batch * s.dSae * s.dIn;
}

/**
 * FLOPs of a dense TopK step (TensorFlow.js's way), the yardstick for a step's "effective GFLOP/s":
 * encoder forward 2·B·N·d, decoder forward 2·B·N·d, decoder backward (dWdec, df) 4·B·N·d, encoder
 * backward (dWenc, d(x − bDec) for bDec) 4·B·N·d = 12·B·N·d. Our sparse step does ≈ 2·B·N·d + O(B·k·d).
 */
export function denseStepFlops(s: BenchShape): number {
  return 12 * s.batch * s.dSae * s.dIn;
}

/** GFLOP/s of `flops` done in `ms` milliseconds. */
export function gflops(flops: number, ms: number): number {
  if (!(ms > 0)) throw new Error(`gflops: time must be > 0 ms, got ${ms}`);
  return flops / ms / 1e6;
}

/** Training tokens per second of a step of `batch` rows taking `ms`. */
export function tokensPerSecond(batch: number, ms: number): number {
  if (!(ms > 0)) throw new Error(`tokensPerSecond: time must be > 0 ms, got ${ms}`);
  return (batch * 1000) / ms;
}

/** Bytes of the largest buffer a plan needs (z [batch, dSae] or wEnc [dSae, dIn], f32), for device limits. */
export function largestBufferBytes(plan: BenchPlan): number {
  const all = [...plan.gemm, ...plan.topk, ...plan.step, ...plan.sweep];
  return Math.max(...all.map((s) => 4 * Math.max(s.batch * s.dSae, s.dSae * s.dIn, s.batch * s.dIn)));
}

/** "batch×dIn→dSae k" for tables and logs. */
export function shapeLabel(s: BenchShape): string {
  return `${s.batch}×${s.dIn}→${s.dSae} k${s.k}`;
}
