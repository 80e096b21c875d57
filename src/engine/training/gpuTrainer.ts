// The GPU trainer: the training step of src/core/sae/train.ts as a sequence of WGSL dispatches, for
// an ensemble of M members that share one batch (the member axis, shaders/README.md). One submit per
// step and no readback inside a step: metrics go to a history ring on the GPU, read at snapshot time.
// Imports src/core and src/gpu; no UI, Comlink or Node code.
//
// Step (same order as core/sae/train.ts): gather batch → bEff → z = x·wEncᵀ + bEff → the architecture's
// plan, chosen once (z → codes → reconstruction → every gradient; ./gpu/topkPlan.ts, batchTopkPlan.ts,
// densePlan.ts, with AuxK in ./gpu/auxk.ts) → project · clip · Adam · renormalise → firing statistics →
// step metrics into the history ring (decoded by ./gpu/history.ts). This file keeps the public API, the
// CPU init, the buffers every plan shares and the step loop.
//
// Option `encoderOnly` (PAM-SGD's encoder block, SplInterp §3.6; twin src/core/sae/pamTrain.ts): the same plans
// with AuxK off, the decoder frozen (./gpu/encoderBlock.ts replaces the optimiser tail: stay-close gradient, clip
// and Adam on the encoder only), and config.pamUpdatesPerBatch Adam updates per batch, one submit each (each has
// its own Adam step count); the firing statistics and step metrics come from the batch's first update, as in the
// reference. The decoder solve between epochs is the caller's (webgpuPamTrainer.ts), through `parts`.

import type { ResolvedConfig, TrainConfig } from '../../core/sae/config.ts';
import { DEFAULT_CONFIG, lrAt, resolveConfig, validateConfig } from '../../core/sae/config.ts';
import { InputError } from '../../core/errors.ts';
import { initSae } from '../../core/sae/init.ts';
import type { BatchOrderState, StepStats, TrainerState } from '../../core/sae/train.ts';
import type { AdamState } from '../../core/sae/optim.ts';
import { createBatchOrder, gatherRows, initSampleRows } from '../../core/sae/train.ts';
import type { Arch, Dataset, Sae } from '../../core/sae/types.ts';
import type { NeededLimits } from '../../gpu/device.ts';
import type { ParamField, Recorder } from '../../gpu/kernel.ts';
import { compileKernel, foldGrid, packParams, paramsBuffer, prepareDispatch } from '../../gpu/kernel.ts';
import type { DataChunk } from '../../gpu/kernels/data.ts';
import { GATHER_ROWS, GATHER_WG, prepareGatherRows } from '../../gpu/kernels/data.ts';
import type { EncodeVariant } from '../../gpu/kernels/encode.ts';
import { chooseEncodeVariant, compileEncode, compileEncodeBias, prepareEncode, prepareEncodeBias } from '../../gpu/kernels/encode.ts';
import { compileOptimKernels, firingCountsFromWords, prepareFiring, prepareOptimTail, vec4Bytes } from '../../gpu/kernels/optim.ts';
import { compilePamKernels } from '../../gpu/kernels/pam.ts';
import { compileSparseKernels } from '../../gpu/kernels/sparse.ts';
import { HISTORY_FIELDS, STEP_STATS, STEP_STATS_WG } from '../../gpu/kernels/stats.ts';
import { createBatchTopkPlan } from './gpu/batchTopkPlan.ts';
import type { ModelTensors, ParamTensor } from './gpu/buffers.ts';
import { createAllocator, paramTensor, readBuffer } from './gpu/buffers.ts';
import { createDensePlan } from './gpu/densePlan.ts';
import type { EncoderBlockTail } from './gpu/encoderBlock.ts';
import { prepareEncoderBlockTail } from './gpu/encoderBlock.ts';
import { decodeHistory } from './gpu/history.ts';
import type { ArchPlan, GpuTrainerParts, PlanContext, StepBuffers, StepShape } from './gpu/plan.ts';
import { createTopkPlan } from './gpu/topkPlan.ts';
import { computeResidualData } from './residual.ts';

/** The step plan of each architecture the GPU trainer implements (src/engine/training/gpu/plan.ts). */
const PLANS = {
  topk: createTopkPlan,
  batchtopk: createBatchTopkPlan,
  relu: (ctx: PlanContext) => createDensePlan(ctx, 'relu'),
  jumprelu: (ctx: PlanContext) => createDensePlan(ctx, 'jumprelu'),
} satisfies Partial<Record<Arch, (ctx: PlanContext) => Promise<ArchPlan>>>;
type GpuArch = keyof typeof PLANS;
const isGpuArch = (arch: Arch): arch is GpuArch => Object.hasOwn(PLANS, arch);

/** Architectures the GPU trainer implements (the rest train on the CPU reference). */
export const GPU_ARCHS: readonly Arch[] = Object.keys(PLANS) as GpuArch[];

/** Steps of history kept on the GPU between reads; older ones are overwritten. */
export const HISTORY_CAPACITY = 1024;

export interface GpuTrainerOptions {
  /** One init seed per member (default [config.seed]). Members share the batch order. */
  seeds?: readonly number[];
  /** Seed of the shared batch order and of the data-side init (default: the first seed). */
  batchOrderSeed?: number;
  /** Largest f32 count one buffer may hold (the device's maxStorageBufferBindingSize / 4). */
  maxBindingFloats?: number;
  /**
   * A software adapter (SwiftShader): TopK uses its barrier-free serial variant, and the encoder GEMM
   * takes T32 instead of timing every variant (seconds of compiling that tell nothing there).
   */
  isSoftware?: boolean;
  /** Encoder GEMM tile variant. Default: T32 on software, else chosen by timing the variants on this shape. */
  encodeVariant?: EncodeVariant;
  /**
   * Boosting (seed-papers §2.4): train on the residual r = x − Σ g(r⁽ˡ⁾) of these frozen earlier stages,
   * computed once on the GPU here (src/engine/training/residual.ts) — identical to recomputing it per batch. The
   * input scale and bDec are then initialised from the residual (the ensembling code uses the raw
   * activations for bDec; we use the data the stage actually trains on).
   */
  residualOf?: readonly Sae[];
  /**
   * PAM-SGD's encoder block (file comment): freeze the decoder, AuxK off, the stay-close term μ = config.pamProxEnc
   * anchored by anchorEncoder(), config.pamUpdatesPerBatch updates per batch. TopK only (the GPU decoder statistics
   * read sparse codes; ReLU's plain L1 is not wired): other architectures are refused.
   */
  encoderOnly?: boolean;
  /**
   * Continue from this state (one TrainerState per member, core/sae/checkpoint.ts's memberState) instead of
   * step 0: parameters, Adam moments, firing statistics and BatchTopK's threshold are written into the
   * buffers, the step count and the batch order restored. SGD only (encoderOnly refuses it). The caller has
   * checked the state against the data and config (checkpoint.ts resumeConfig).
   */
  resumeFrom?: readonly TrainerState[];
}

/** Everything readState() reads back, per member: what a checkpoint holds besides the config. */
export interface GpuTrainerState {
  step: number;
  order: BatchOrderState;
  members: Omit<TrainerState, 'step' | 'order'>[];
}

/** Architectures the encoderOnly option trains. */
export const ENCODER_ONLY_ARCHS: readonly Arch[] = ['topk'];

export interface GpuTrainer {
  readonly config: ResolvedConfig;
  readonly members: number;
  /** Steps recorded and submitted so far. */
  readonly step: number;
  /** Records and submits `n` steps (no readback). */
  trainSteps(n: number): void;
  /** StepStats of the steps since the last call (at most HISTORY_CAPACITY), per member: [member][step]. */
  readStats(): Promise<StepStats[][]>;
  /** The members' current parameters (a readback). */
  readSaes(): Promise<Sae[]>;
  /**
   * Overwrites parameters of members between steps (queued before the next step's dispatches): the hook
   * for a decoder set by a closed-form solve between encoder passes (PAM-SGD, SplInterp §3.6). Only the
   * tensors given are written; shapes must match. Adam moments are kept.
   */
  writeParams(member: number, params: Partial<Pick<Sae, 'wEnc' | 'bEnc' | 'wDec' | 'bDec'>>): void;
  /** encoderOnly: the stay-close anchor (E_t, b_enc,t) ← the current encoder, queued before the next step. Throws otherwise. */
  anchorEncoder(): void;
  /** The buffers and kernels further GPU work can build on (see GpuTrainerParts). */
  readonly parts: GpuTrainerParts;
  /** [member][dSae] tokens since each latent fired, and firing counts. */
  readFiring(): Promise<{ tokensSinceFired: Float64Array[]; firingCounts: Float64Array[] }>;
  /** The whole training state (parameters, Adam, firing, threshold, batch order): a checkpoint's contents. Readbacks submitted together. */
  readState(): Promise<GpuTrainerState>;
  destroy(): void;
}

/** The buffer sizes (bytes) a configuration needs; the largest decides maxStorageBufferBindingSize. */
export function gpuTrainerBufferBytes(c: { dSae: number; k: number; batch: number; kAux: number }, dIn: number, members: number): Record<string, number> {
  const N = members * c.dSae;
  const kk = Math.max(c.k, c.kAux);
  return {
    'z [batch, N]': c.batch * N * 4,
    'wEnc/wDec [N, dIn]': vec4Bytes(N * dIn),
    'xHat/e [M, batch, dIn]': members * c.batch * dIn * 4,
    'idx/val [batch, M, max(k, kAux)]': c.batch * members * kk * 4,
  };
}

/**
 * The limits a configuration needs, so the caller can request them when creating the device; throws
 * (naming the buffer, the bytes and what to reduce) when the adapter cannot give them.
 */
export function gpuTrainerLimits(config: Partial<TrainConfig>, dIn: number, rows: number, members: number, adapterLimits: GPUSupportedLimits): NeededLimits {
  const c = resolveConfig({ ...DEFAULT_CONFIG, ...config }, dIn);
  const sizes = gpuTrainerBufferBytes(c, dIn, members);
  let need = 0;
  let what = '';
  for (const [name, bytes] of Object.entries(sizes)) {
    if (bytes > need) {
      need = bytes;
      what = name;
    }
  }
  const max = Math.min(adapterLimits.maxStorageBufferBindingSize, adapterLimits.maxBufferSize);
  if (need > max) {
    throw new InputError(
      `the ${what} buffer needs ${need} bytes but this adapter binds at most ${max} (maxStorageBufferBindingSize): lower --batch (${c.batch}), --latents (${c.dSae}) or the ensemble size (${members})`,
    );
  }
  // The dataset is chunked to the binding limit, so it never decides it; ask for at least the defaults.
  void rows;
  return {
    maxStorageBufferBindingSize: Math.max(need, Math.min(128 << 20, adapterLimits.maxStorageBufferBindingSize)),
    maxBufferSize: Math.max(need, Math.min(256 << 20, adapterLimits.maxBufferSize)),
  };
}

/** Creates the trainer: initialises every member on the CPU (core/sae/init.ts), uploads, compiles, binds. */
export async function createGpuTrainer(device: GPUDevice, input: Dataset, config: Partial<TrainConfig>, opts: GpuTrainerOptions = {}): Promise<GpuTrainer> {
  const data = opts.residualOf?.length ? await computeResidualData(device, opts.residualOf, input, { isSoftware: opts.isSoftware }) : input;
  const full: TrainConfig = { ...DEFAULT_CONFIG, ...config };
  const problems = validateConfig(full, data.dIn, data.rows);
  if (problems.length > 0) throw new InputError(`invalid training config: ${problems.join('; ')}`);
  const arch = full.arch;
  if (!isGpuArch(arch)) throw new InputError(`--backend webgpu trains ${GPU_ARCHS.join(', ')} SAEs so far; ${arch} runs on --backend cpu`);
  const encoderOnly = opts.encoderOnly === true;
  if (encoderOnly && !ENCODER_ONLY_ARCHS.includes(arch)) throw new InputError(`PAM-SGD on --backend webgpu trains ${ENCODER_ONLY_ARCHS.join(', ')} SAEs so far; ${arch} runs on --backend cpu`);
  const c = resolveConfig(full, data.dIn);
  const seeds = opts.seeds && opts.seeds.length > 0 ? [...opts.seeds] : [c.seed];
  const M = seeds.length;
  const dIn = data.dIn;
  const { dSae, batch: B } = c;
  const N = M * dSae;
  const shape: StepShape = { batch: B, M, dIn, dSae, N };
  const dataSeed = opts.batchOrderSeed ?? seeds[0];
  const software = opts.isSoftware === true;

  // ---- init on the CPU, exactly as core/sae/train.ts does for each member ----
  const sampleIdx = initSampleRows(data.rows, dataSeed);
  const sample = gatherRows(data.x, dIn, sampleIdx);
  const inits = seeds.map((seed) => initSae({ ...c, seed }, dIn, sample, sampleIdx.length));
  const inputScale = inits[0].inputScale;
  /** The members' tensors concatenated: [M, per-member length]. */
  const cat = (get: (s: Sae) => Float32Array): Float32Array => {
    const parts = inits.map(get);
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };

  const alloc = createAllocator(device);
  // ---- data, chunked to the binding limit ----
  const maxFloats = opts.maxBindingFloats ?? Math.floor(device.limits.maxStorageBufferBindingSize / 4);
  const chunkRows = Math.max(1, Math.floor(maxFloats / dIn));
  const chunks: DataChunk[] = [];
  for (let start = 0; start < data.rows; start += chunkRows) {
    const rows = Math.min(chunkRows, data.rows - start);
    chunks.push({ buffer: alloc.upload(`data[${start}..]`, data.x.subarray(start * dIn, (start + rows) * dIn)), start, rows });
  }

  // ---- parameters with their gradients and Adam moments (vec4-padded for adam.wgsl) ----
  const params: ModelTensors = {
    wEnc: paramTensor(alloc, 'wEnc', cat((s) => s.wEnc), dSae * dIn),
    bEnc: paramTensor(alloc, 'bEnc', cat((s) => s.bEnc), dSae),
    wDec: paramTensor(alloc, 'wDec', cat((s) => s.wDec), dSae * dIn),
    bDec: paramTensor(alloc, 'bDec', cat((s) => s.bDec), dIn),
    logThreshold: paramTensor(alloc, 'logThreshold', cat((s) => s.logThreshold), c.arch === 'jumprelu' ? dSae : 0),
  };
  const { wEnc, bEnc, wDec, bDec, logThreshold: logT } = params;

  // ---- buffers of every architecture's step ----
  const rowIdx = alloc.storage('rowIdx', B * 4); // [batch] u32, rewritten per step
  const bEff = alloc.f32('bEff', N); // [N] bEnc − wEnc·bDec per member
  const step: StepBuffers = {
    x: alloc.f32('x', B * dIn),
    z: alloc.f32('z', B * N),
    xHat: alloc.f32('xHat', M * B * dIn),
    e: alloc.f32('e', M * B * dIn),
    sqErr: alloc.f32('sqErr', M * B),
    dead: alloc.storage('dead', N * 4),
    stats: alloc.storage('stats', M * 8),
    sparsityTerm: alloc.f32('sparsityTerm', M),
  };
  const firingCount = alloc.storage('firingCount', N * 8); // [N, 2] u32 words of a 64-bit count
  const tokensSinceFired = alloc.storage('tokensSinceFired', N * 4); // [N] u32
  const history = alloc.f32('history', HISTORY_CAPACITY * M * HISTORY_FIELDS.length); // [cap, M, fields]

  // ---- kernels shared by every plan ----
  const [gatherK, stepStatsK, encodeBiasK, sparse, optim, pam] = await Promise.all([
    compileKernel(device, GATHER_ROWS, { WG: GATHER_WG }),
    compileKernel(device, STEP_STATS, { WG: STEP_STATS_WG }),
    compileEncodeBias(device),
    compileSparseKernels(device),
    compileOptimKernels(device),
    encoderOnly ? compilePamKernels(device) : null,
  ]);
  const variant = opts.encodeVariant ?? (software ? 'T32' : null);
  const gemm = variant ? await compileEncode(device, variant) : (await chooseEncodeVariant(device, B, N, dIn)).gemm;

  // ---- the step, bound once: gather → bEff → z → (the plan: z → gradients) → optimiser; firing → metrics ----
  // encoderOnly: no AuxK (F has no auxiliary term, and its gradient would flow into the frozen decoder).
  const planConfig: ResolvedConfig = encoderOnly ? { ...c, auxkCoefficient: 0 } : c;
  const plan = await PLANS[arch]({ device, config: planConfig, shape, software, kernels: { sparse, gemm }, params, step });
  const gather = prepareGatherRows(device, gatherK, chunks, rowIdx, step.x, { batch: B, dIn, scale: inputScale });
  const encodeBias = prepareEncodeBias(device, encodeBiasK, { members: M, dSae, dIn }, { wEnc: wEnc.p, bEnc: bEnc.p, bDec: bDec.p, bEff });
  const encode = prepareEncode(device, gemm, { batch: B, N, dIn }, { x: step.x, wEnc: wEnc.p, bEff, z: step.z });
  const hyper = (t: number) => ({ lr: lrAt(c, t), beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEps });
  const encoderTail: EncoderBlockTail | null = pam
    ? prepareEncoderBlockTail(device, { optim, pam }, { members: M, dSae, dIn, maxNorm: c.gradClipNorm, mu: c.pamProxEnc }, params, bEff, alloc, hyper(0))
    : null;
  const tail = encoderTail ?? prepareOptimTail(device, optim, { members: M, dSae, dIn, maxNorm: c.gradClipNorm }, [wEnc, bEnc, wDec, bDec, logT], hyper(0));
  const updatesPerBatch = encoderOnly ? c.pamUpdatesPerBatch : 1;
  const firing = prepareFiring(
    device,
    optim,
    { members: M, dSae, batch: B, k: plan.firing.k, dense: plan.firing.dense, deadWindowTokens: Math.min(c.deadWindowTokens, 2 ** 32 - 1) },
    { val: plan.firing.val, idx: plan.firing.idx, firingCount, tokensSinceFired, dead: step.dead, stats: step.stats },
  );
  const auxOn = plan.auxk !== null;
  const statsFields = (t: number): ParamField[] => [
    ['u32', B],
    ['u32', dIn],
    ['u32', M],
    ['u32', dSae],
    ['u32', t % HISTORY_CAPACITY],
    ['u32', auxOn ? 1 : 0],
    ['f32', c.auxkCoefficient],
    ['f32', lrAt(c, t)],
  ];
  // Without AuxK, stepStats.wgsl reads neither sqErrAux nor memberScale (auxOn = 0): sqErr stands in for both.
  const stepStats = prepareDispatch(
    device,
    stepStatsK,
    [step.x, step.sqErr, plan.auxk?.sqErr ?? step.sqErr, plan.auxk?.memberScale ?? step.sqErr, step.stats, tail.gradClip, step.sparsityTerm, history],
    paramsBuffer(device, 'stepStats:params', statsFields(0)),
    foldGrid(M),
  );
  const prepared: Recorder[] = [plan, gather, encodeBias, encode, tail, firing, stepStats];

  const resume = opts.resumeFrom;
  const order = createBatchOrder(data.rows, B, dataSeed, resume?.[0].order);
  let stepsDone = 0;
  let readFrom = 0;
  if (resume) {
    if (encoderOnly) throw new InputError('resume: PAM-SGD: resume is SGD-only so far: start a fresh run');
    if (resume.length !== M) throw new Error(`createGpuTrainer: resumeFrom has ${resume.length} member states for ${M} seeds`);
    // Queued before the first step's dispatches, so the first step sees them (writeBuffer is ordered with submits).
    const put = (buffer: GPUBuffer, j: number, per: number, v: Float32Array | Uint32Array): void => {
      if (v.length !== per) throw new Error(`createGpuTrainer: resumeFrom member ${j}: ${v.length} values where ${per} were expected`);
      if (per > 0) device.queue.writeBuffer(buffer, j * per * v.BYTES_PER_ELEMENT, v.buffer, v.byteOffset, v.byteLength);
    };
    const tensors = [wEnc, bEnc, wDec, bDec, logT];
    resume.forEach((s, j) => {
      const p = [s.sae.wEnc, s.sae.bEnc, s.sae.wDec, s.sae.bDec, s.sae.logThreshold];
      tensors.forEach((t, i) => {
        put(t.p, j, t.segLen, p[i]);
        put(t.m, j, t.segLen, s.adam.m[i]);
        put(t.v, j, t.segLen, s.adam.v[i]);
      });
      // Counts beyond u32 do not occur here (tokens since firing saturate in the kernel at the dead window, ≤ 2³²−1).
      put(tokensSinceFired, j, dSae, Uint32Array.from(s.tokensSinceFired, (x) => Math.min(x, 2 ** 32 - 1)));
      const words = new Uint32Array(2 * dSae);
      s.firingCounts.forEach((x, i) => {
        words[2 * i] = x % 2 ** 32;
        words[2 * i + 1] = Math.floor(x / 2 ** 32);
      });
      put(firingCount, j, 2 * dSae, words);
      if (plan.batchThreshold) put(plan.batchThreshold, j, 2, new Float32Array([s.sae.batchThreshold, s.thresholdStarted ? 1 : 0]));
      // What the previous step's firing pass left for this step's AuxK (shaders/firing.wgsl): the dead mask and,
      // in stats[j], the dead count auxScale.wgsl reads (the fires word is cleared before it is read again).
      const deadWindow = Math.min(c.deadWindowTokens, 2 ** 32 - 1);
      const dead = Uint32Array.from(s.tokensSinceFired, (x) => (x >= deadWindow ? 1 : 0));
      put(step.dead, j, dSae, dead);
      put(step.stats, j, 2, new Uint32Array([0, dead.reduce((a, b) => a + b, 0)]));
    });
    stepsDone = resume[0].step;
    readFrom = stepsDone;
  }

  /** Update u (0-based) of step t: one submit. SGD has exactly one (u = 0), recorded as it always was. */
  const recordUpdate = (t: number, u: number): void => {
    if (u === 0) {
      device.queue.writeBuffer(rowIdx, 0, new Uint32Array(order.next()));
      plan.setStep(t);
      device.queue.writeBuffer(stepStats.params, 0, packParams(statsFields(t)));
    }
    // Adam's step count is per update (the reference's adamStep increments it on every call).
    tail.setStep(hyper(t), t * updatesPerBatch + u + 1);
    const encoder = device.createCommandEncoder({ label: updatesPerBatch === 1 ? `step ${t + 1}` : `step ${t + 1} update ${u + 1}` });
    const pass = encoder.beginComputePass({ label: 'forward, backward, optimiser' });
    if (u === 0) gather.record(pass);
    encodeBias.record(pass);
    encode.record(pass);
    plan.record(pass);
    tail.record(pass);
    pass.end();
    if (u === 0) {
      // firing adds this step's counts into stats; until here stats held the previous step's (AuxK's scale read them).
      encoder.clearBuffer(step.stats);
      const pass2 = encoder.beginComputePass({ label: 'firing, metrics' });
      firing.record(pass2);
      stepStats.record(pass2);
      pass2.end();
    }
    device.queue.submit([encoder.finish()]);
  };

  const trainOne = (): void => {
    for (let u = 0; u < updatesPerBatch; u++) recordUpdate(stepsDone, u);
    stepsDone += 1;
  };

  const read = (buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> => readBuffer(device, buffer, bytes);

  const self: GpuTrainer = {
    config: c,
    members: M,
    get step() {
      return stepsDone;
    },
    trainSteps(n: number) {
      for (let i = 0; i < n; i++) trainOne();
    },
    async readStats() {
      const raw = new Float32Array(await read(history, HISTORY_CAPACITY * M * HISTORY_FIELDS.length * 4));
      const first = Math.max(readFrom, stepsDone - HISTORY_CAPACITY);
      readFrom = stepsDone;
      return decodeHistory(raw, { members: M, batch: B, capacity: HISTORY_CAPACITY }, first, stepsDone);
    },
    async readSaes() {
      const [we, be, wd, bd, lt] = await Promise.all([
        read(wEnc.p, wEnc.n * 4),
        read(bEnc.p, bEnc.n * 4),
        read(wDec.p, wDec.n * 4),
        read(bDec.p, bDec.n * 4),
        logT.n > 0 ? read(logT.p, logT.n * 4) : Promise.resolve(new ArrayBuffer(0)),
      ]);
      const [fwe, fbe, fwd, fbd, flt] = [we, be, wd, bd, lt].map((a) => new Float32Array(a));
      const th = plan.batchThreshold ? new Float32Array(await read(plan.batchThreshold, M * 8)) : null;
      return inits.map((init, j) => ({
        ...init,
        wEnc: fwe.slice(j * dSae * dIn, (j + 1) * dSae * dIn),
        bEnc: fbe.slice(j * dSae, (j + 1) * dSae),
        wDec: fwd.slice(j * dSae * dIn, (j + 1) * dSae * dIn),
        bDec: fbd.slice(j * dIn, (j + 1) * dIn),
        logThreshold: flt.slice(j * logT.segLen, (j + 1) * logT.segLen),
        batchThreshold: th ? th[2 * j] : 0,
      }));
    },
    writeParams(member, values) {
      if (!(Number.isInteger(member) && member >= 0 && member < M)) throw new Error(`writeParams: member must be in [0, ${M}), got ${member}`);
      const targets: [keyof typeof values, ParamTensor, number][] = [
        ['wEnc', wEnc, dSae * dIn],
        ['bEnc', bEnc, dSae],
        ['wDec', wDec, dSae * dIn],
        ['bDec', bDec, dIn],
      ];
      for (const [name, t, per] of targets) {
        const v = values[name];
        if (!v) continue;
        if (v.length !== per) throw new Error(`writeParams: ${name} of member ${member}: expected ${per} values, got ${v.length}`);
        device.queue.writeBuffer(t.p, member * per * 4, v.buffer, v.byteOffset, v.byteLength);
      }
    },
    anchorEncoder() {
      if (!encoderTail) throw new Error('anchorEncoder: this trainer was not made with encoderOnly');
      const encoder = device.createCommandEncoder({ label: 'encoder anchor' });
      const pass = encoder.beginComputePass({ label: 'bEff for the anchor' });
      encodeBias.record(pass);
      pass.end();
      encoderTail.recordAnchor(encoder);
      device.queue.submit([encoder.finish()]);
    },
    parts: {
      device,
      params,
      chunks,
      rows: data.rows,
      dIn,
      inputScale,
      kernels: { gather: gatherK, encodeBias: encodeBiasK, gemm, sparse, pam },
      software,
    },
    async readFiring() {
      const [tsf, fc] = await Promise.all([read(tokensSinceFired, N * 4), read(firingCount, N * 8)]);
      const t32 = new Uint32Array(tsf);
      const counts64 = firingCountsFromWords(new Uint32Array(fc));
      return {
        tokensSinceFired: Array.from({ length: M }, (_, j) => Float64Array.from(t32.subarray(j * dSae, (j + 1) * dSae))),
        firingCounts: Array.from({ length: M }, (_, j) => counts64.slice(j * dSae, (j + 1) * dSae)),
      };
    },
    async readState() {
      if (encoderOnly) throw new InputError('checkpoint: PAM-SGD: resume is SGD-only so far: train with trainer sgd to checkpoint');
      const step = stepsDone;
      const orderState = order.state();
      const tensors = [wEnc, bEnc, wDec, bDec, logT];
      const moments = (which: 'm' | 'v') => Promise.all(tensors.map((t) => (t.n > 0 ? read(t[which], t.n * 4) : Promise.resolve(new ArrayBuffer(0)))));
      const th = plan.batchThreshold ? read(plan.batchThreshold, M * 8) : Promise.resolve(null);
      const [saes, firing, m, v, thr] = await Promise.all([self.readSaes(), self.readFiring(), moments('m'), moments('v'), th]);
      const started = thr ? new Float32Array(thr) : null;
      const seg = (buf: ArrayBuffer, t: ParamTensor, j: number): Float32Array => new Float32Array(buf).slice(j * t.segLen, (j + 1) * t.segLen);
      return {
        step,
        order: orderState,
        members: saes.map((sae, j) => {
          const adam: AdamState = { m: tensors.map((t, i) => seg(m[i], t, j)), v: tensors.map((t, i) => seg(v[i], t, j)), t: step };
          return { sae, adam, firingCounts: firing.firingCounts[j], tokensSinceFired: firing.tokensSinceFired[j], thresholdStarted: started ? started[2 * j + 1] !== 0 : false };
        }),
      };
    },
    destroy() {
      for (const r of prepared) r.destroy();
      alloc.destroyAll();
    },
  };
  return self;
}
