// The GPU trainer: the training step of src/core/sae/train.ts as a sequence of WGSL dispatches, for
// an ensemble of M members that share one batch (the member axis, shaders/README.md). One submit per
// step and no readback inside a step: metrics go to a history ring on the GPU, read at snapshot time.
// Imports src/core and src/gpu; no UI, Comlink or Node code.
//
// Step (same order as core/sae/train.ts): gather batch → AuxK scale → bEff → z = x·wEncᵀ + bEff → TopK →
// decode + residual → sparse backward (main) → AuxK TopK over dead latents → AuxK decode (no bDec) →
// sparse backward (AuxK, accumulated) → bDec gradient → project · clip · Adam · renormalise → firing
// statistics → step metrics. ReLU and JumpReLU take the dense-code path instead of TopK … AuxK:
// activation → dense decode → dense backward (src/gpu/kernels/dense.ts) → the same tail. BatchTopK
// selects batch·k codes per member (batchTopkThreshold.wgsl), takes the dense path, adds the sparse
// AuxK term, and keeps its inference threshold as an EMA on the GPU (thresholdEma.wgsl).

import type { ResolvedConfig, TrainConfig } from '../../core/sae/config.ts';
import { DEFAULT_CONFIG, l1At, lrAt, resolveConfig, validateConfig } from '../../core/sae/config.ts';
import { InputError } from '../../core/errors.ts';
import { initSae } from '../../core/sae/init.ts';
import type { StepStats } from '../../core/sae/train.ts';
import { createBatchOrder, gatherRows, initSampleRows } from '../../core/sae/train.ts';
import type { Arch, Dataset, Sae } from '../../core/sae/types.ts';
import type { NeededLimits } from '../../gpu/device.ts';
import type { Kernel } from '../../gpu/kernel.ts';
import { bindBuffers, compileKernel, dispatch, foldGrid, packParams, paramsBuffer } from '../../gpu/kernel.ts';
import type { DataChunk } from '../../gpu/kernels/data.ts';
import { GATHER_ROWS, GATHER_WG, recordGatherRows } from '../../gpu/kernels/data.ts';
import type { EncodeVariant } from '../../gpu/kernels/encode.ts';
import { chooseEncodeVariant, compileEncode, compileEncodeBias, prepareEncode, prepareEncodeBias, recordEncode, recordEncodeBias } from '../../gpu/kernels/encode.ts';
import type { AdamTensor } from '../../gpu/kernels/optim.ts';
import { compileOptimKernels, firingCountsFromWords, prepareFiring, prepareOptimTail, recordDispatch, vec4Bytes } from '../../gpu/kernels/optim.ts';
import type { Recorder, SparseSizes } from '../../gpu/kernels/sparse.ts';
import { bDecGradRecorder, compileSparseKernels, decodeRecorder, termBackwardRecorder } from '../../gpu/kernels/sparse.ts';
import { AUX_SCALE, HISTORY_FIELDS, SPARSITY_LOSS, STEP_STATS, STEP_STATS_WG, THRESHOLD_EMA } from '../../gpu/kernels/stats.ts';
import { compileDenseKernels, decoderGradLayout, denseStepRecorder } from '../../gpu/kernels/dense.ts';
import type { TopkKernel } from '../../gpu/kernels/topk.ts';
import { batchTopkParams, batchTopkScratchSizes, chooseTopk, compileBatchTopk, compileTopk, prepareTopk, recordBatchTopk, topkParams } from '../../gpu/kernels/topk.ts';
import { computeResidualData } from './residual.ts';

/** Architectures the GPU trainer implements (the rest train on the CPU reference). */
export const GPU_ARCHS: readonly Arch[] = ['topk', 'batchtopk', 'relu', 'jumprelu'];

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
}

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
  /** [member][dSae] tokens since each latent fired, and firing counts. */
  readFiring(): Promise<{ tokensSinceFired: Float64Array[]; firingCounts: Float64Array[] }>;
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
  if (!GPU_ARCHS.includes(full.arch)) {
    throw new InputError(`--backend webgpu trains ${GPU_ARCHS.join(', ')} SAEs so far; ${full.arch} runs on --backend cpu`);
  }
  const c = resolveConfig(full, data.dIn);
  const seeds = opts.seeds && opts.seeds.length > 0 ? [...opts.seeds] : [c.seed];
  const M = seeds.length;
  const dIn = data.dIn;
  const { dSae, k, batch: B, kAux } = c;
  const N = M * dSae;
  const dataSeed = opts.batchOrderSeed ?? seeds[0];
  const dense = c.arch !== 'topk'; // batchtopk, relu, jumprelu: dense codes f [batch, N]
  const batchTopk = c.arch === 'batchtopk';
  const auxOn = (c.arch === 'topk' || batchTopk) && c.auxkCoefficient > 0;

  // ---- init on the CPU, exactly as core/sae/train.ts does for each member ----
  const sampleIdx = initSampleRows(data.rows, dataSeed);
  const sample = gatherRows(data.x, dIn, sampleIdx);
  const inits = seeds.map((seed) => initSae({ ...c, seed }, dIn, sample, sampleIdx.length));
  const inputScale = inits[0].inputScale;
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

  const buffers: GPUBuffer[] = [];
  // (GPUBufferUsage is a global only once a WebGPU implementation is loaded: read it here, not at import.)
  const make = (label: string, bytes: number, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST): GPUBuffer => {
    const b = device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
    buffers.push(b);
    return b;
  };
  const upload = (label: string, data: Float32Array | Uint32Array, bytes = data.byteLength): GPUBuffer => {
    const b = make(label, bytes);
    device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  };
  const f32 = (label: string, n: number): GPUBuffer => make(label, n * 4);

  // ---- data, chunked to the binding limit ----
  const maxFloats = opts.maxBindingFloats ?? Math.floor(device.limits.maxStorageBufferBindingSize / 4);
  const chunkRows = Math.max(1, Math.floor(maxFloats / dIn));
  const chunks: DataChunk[] = [];
  for (let start = 0; start < data.rows; start += chunkRows) {
    const rows = Math.min(chunkRows, data.rows - start);
    chunks.push({ buffer: upload(`data[${start}..]`, data.x.subarray(start * dIn, (start + rows) * dIn)), start, rows });
  }

  // ---- parameters, gradients, Adam moments (vec4-padded for adam.wgsl) ----
  const tensor = (name: string, values: Float32Array, segLen: number): AdamTensor & { n: number } => {
    const bytes = vec4Bytes(values.length);
    const p = upload(name, values, bytes);
    return { p, m: make(`${name}.m`, bytes), v: make(`${name}.v`, bytes), g: make(`d${name}`, bytes), segLen, n: values.length };
  };
  const wEnc = tensor('wEnc', cat((s) => s.wEnc), dSae * dIn);
  const bEnc = tensor('bEnc', cat((s) => s.bEnc), dSae);
  const wDec = tensor('wDec', cat((s) => s.wDec), dSae * dIn);
  const bDec = tensor('bDec', cat((s) => s.bDec), dIn);
  const logT = tensor('logThreshold', cat((s) => s.logThreshold), c.arch === 'jumprelu' ? dSae : 0);

  // ---- step buffers ----
  const rowIdx = make('rowIdx', B * 4);
  const x = f32('x', B * dIn);
  const bEff = f32('bEff', N);
  const z = f32('z', B * N);
  const idx = make('idx', B * M * k * 4);
  const val = f32('val', B * M * k);
  const xHat = f32('xHat', M * B * dIn);
  const e = f32('e', M * B * dIn);
  const sqErr = f32('sqErr', M * B);
  const gVal = f32('gVal', B * M * Math.max(k, kAux));
  const counts = make('counts', (N + 1) * 4);
  const offsets = make('offsets', (N + 1) * 4);
  const entries = make('entries', B * M * Math.max(k, kAux) * 4);
  const idxAux = make('idxAux', B * M * kAux * 4);
  const valAux = f32('valAux', B * M * kAux);
  const xHatAux = f32('xHatAux', M * B * dIn);
  const eAux = f32('eAux', M * B * dIn);
  const sqErrAux = f32('sqErrAux', M * B);
  const memberScale = f32('memberScale', M);
  const firingCount = make('firingCount', N * 8);
  const tokensSinceFired = make('tokensSinceFired', N * 4);
  const dead = make('dead', N * 4);
  const stats = make('stats', M * 8);
  const history = f32('history', HISTORY_CAPACITY * M * HISTORY_FIELDS.length);
  const sparsityTerm = f32('sparsityTerm', M); // stays 0 for TopK
  const fDense = dense ? f32('f', B * N) : null;
  const gz = dense ? f32('gz', B * N) : null;
  const latent = dense ? f32('latent', N) : null;
  const scratch = batchTopkScratchSizes({ batch: B, dSae, M, k });
  const btHist = batchTopk ? make('batchTopk:hist', scratch.hist * 4) : null;
  const btState = batchTopk ? make('batchTopk:state', scratch.state * 4) : null;
  const btEqRow = batchTopk ? make('batchTopk:eqRow', scratch.eqRow * 4) : null;
  const thr = batchTopk ? f32('batchThreshold', M * 2) : null; // (θ, started) per member

  // ---- kernels ----
  const [gather, auxScaleK, stepStatsK, encodeBiasK, sparse, optim] = await Promise.all([
    compileKernel(device, GATHER_ROWS, { WG: GATHER_WG }),
    compileKernel(device, AUX_SCALE),
    compileKernel(device, STEP_STATS, { WG: STEP_STATS_WG }),
    compileEncodeBias(device),
    compileSparseKernels(device),
    compileOptimKernels(device),
  ]);
  const denseKernels = dense ? await compileDenseKernels(device) : null;
  const batchTopkK = batchTopk ? await compileBatchTopk(device, opts.isSoftware ? 64 : 256) : null;
  const thresholdEmaK = batchTopk ? await compileKernel(device, THRESHOLD_EMA) : null;
  const sparsityK = dense ? await compileKernel(device, SPARSITY_LOSS, { WG: 64 }) : null;
  const software = opts.isSoftware === true;
  const topkMain: TopkKernel | null = dense ? null : await compileTopk(device, { kMax: k, masked: false, ...chooseTopk(software, k) });
  const topkAux: TopkKernel | null = auxOn ? await compileTopk(device, { kMax: kAux, masked: true, ...chooseTopk(software, kAux) }) : null;
  const variant = opts.encodeVariant ?? (software ? 'T32' : null);
  const gemm = variant ? await compileEncode(device, variant) : (await chooseEncodeVariant(device, B, N, dIn)).gemm;

  // ---- bound dispatches ----
  const s: SparseSizes = { batch: B, M, dIn, dSae, k };
  const sAux: SparseSizes = { ...s, k: kAux };
  const gatherParams = chunks.map((_, i) => make(`gather[${i}]:params`, 32, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST));
  const auxScaleParams = paramsBuffer(device, 'auxScale:params', [
    ['u32', M],
    ['u32', kAux],
  ]);
  buffers.push(auxScaleParams);
  const auxScaleGroup = bindBuffers(device, auxScaleK, [stats, memberScale, auxScaleParams]);
  const encBias = prepareEncodeBias(device, encodeBiasK, { members: M, dSae, dIn }, { wEnc: wEnc.p, bEnc: bEnc.p, bDec: bDec.p, bEff });
  const enc = prepareEncode(device, gemm, { batch: B, N, dIn }, { x, wEnc: wEnc.p, bEff, z });
  const topkMainParams = paramsBuffer(device, 'topk:params', topkParams({ batch: B, dSae, M, k }));
  const topkAuxParams = paramsBuffer(device, 'topkAux:params', topkParams({ batch: B, dSae, M, k: kAux }));
  buffers.push(topkMainParams, topkAuxParams, encBias.params, enc.params);
  const recorders: Recorder[] = [];
  const rec = <T extends Recorder>(r: T): T => {
    recorders.push(r);
    return r;
  };
  // TopK: the sparse path (decode and backward touch only the k selected latents per row).
  const topkPath = dense
    ? null
    : {
        decodeMain: rec(decodeRecorder(device, sparse, s, { target: x, wDec: wDec.p, bDec: bDec.p, idx, val, xHat, e, sqErr }, { withBias: true, targetMemberStride: 0, targetScale: 1 })),
        termMain: rec(
          termBackwardRecorder(
            device,
            sparse,
            s,
            { x, wDec: wDec.p, bDec: bDec.p, idx, val, e, memberScale: null, gVal, counts, offsets, entries, dWDec: wDec.g, dWEnc: wEnc.g, dBEnc: bEnc.g },
            { coeff: 1, accumulate: false },
          ),
        ),
        decodeAux: auxOn
          ? rec(decodeRecorder(device, sparse, sAux, { target: e, wDec: wDec.p, bDec: bDec.p, idx: idxAux, val: valAux, xHat: xHatAux, e: eAux, sqErr: sqErrAux }, { withBias: false, targetMemberStride: B * dIn, targetScale: -1 }))
          : null,
        termAux: auxOn
          ? rec(
              termBackwardRecorder(
                device,
                sparse,
                sAux,
                { x, wDec: wDec.p, bDec: bDec.p, idx: idxAux, val: valAux, e: eAux, memberScale, gVal, counts, offsets, entries, dWDec: wDec.g, dWEnc: wEnc.g, dBEnc: bEnc.g },
                { coeff: c.auxkCoefficient, accumulate: true },
              ),
            )
          : null,
        // bDec's gradient reads the main residual and the total dBEnc (main + AuxK): see core/sae/loss.ts.
        bDecGrad: rec(bDecGradRecorder(device, sparse, s, { e, dBEnc: bEnc.g, wEnc: wEnc.p, dBDec: bDec.g })),
      };
  // ReLU / JumpReLU: dense codes (src/gpu/kernels/dense.ts), then the λ-weighted sparsity term for the metrics.
  const densePath =
    dense && denseKernels && sparsityK && fDense && gz && latent
      ? {
          step: rec(
            denseStepRecorder(
              device,
              { dense: denseKernels, gemm, sparse },
              { batch: B, M, dIn, dSae },
              c.arch === 'jumprelu' ? 'jumprelu' : c.arch === 'batchtopk' ? 'batchtopk' : 'relu',
              {
                x,
                z,
                f: fDense,
                wEnc: wEnc.p,
                wDec: wDec.p,
                bDec: bDec.p,
                logThreshold: c.arch === 'jumprelu' ? logT.p : null,
                xHat,
                e,
                sqErr,
                gF: f32('gF', decoderGradLayout(device, { batch: B, M, dIn, dSae }).elements),
                gz,
                latent,
                dWEnc: wEnc.g,
                dBEnc: bEnc.g,
                dWDec: wDec.g,
                dBDec: bDec.g,
                dLogThreshold: c.arch === 'jumprelu' ? logT.g : null,
              },
              { l1Coefficient: l1At(c, 0), bandwidth: c.jumpreluBandwidth },
              'auto',
              batchTopk && auxOn, // AuxK adds to dBEnc before dBDec is formed
            ),
          ),
          sparsityParams: make('sparsityLoss:params', 32, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
          sparsityGroup: null as GPUBindGroup | null,
        }
      : null;
  // BatchTopK's AuxK: the sparse AuxK term of TopK, on the dense path's residual e.
  const denseAux =
    batchTopk && auxOn
      ? {
          decode: rec(decodeRecorder(device, sparse, sAux, { target: e, wDec: wDec.p, bDec: bDec.p, idx: idxAux, val: valAux, xHat: xHatAux, e: eAux, sqErr: sqErrAux }, { withBias: false, targetMemberStride: B * dIn, targetScale: -1 })),
          term: rec(
            termBackwardRecorder(
              device,
              sparse,
              sAux,
              { x, wDec: wDec.p, bDec: bDec.p, idx: idxAux, val: valAux, e: eAux, memberScale, gVal, counts, offsets, entries, dWDec: wDec.g, dWEnc: wEnc.g, dBEnc: bEnc.g },
              { coeff: c.auxkCoefficient, accumulate: true },
            ),
          ),
        }
      : null;
  const btParams = batchTopk ? paramsBuffer(device, 'batchTopk:params', batchTopkParams({ batch: B, dSae, M, k })) : null;
  const emaParams = batchTopk
    ? paramsBuffer(device, 'thresholdEma:params', [
        ['u32', M],
        ['f32', c.batchTopkThresholdRate],
      ])
    : null;
  if (btParams && emaParams) buffers.push(btParams, emaParams);
  const emaGroup = thresholdEmaK && btState && thr && emaParams ? bindBuffers(device, thresholdEmaK, [btState, thr, emaParams]) : null;
  if (densePath && sparsityK && fDense && latent && !batchTopk) densePath.sparsityGroup = bindBuffers(device, sparsityK, [fDense, latent, sparsityTerm, densePath.sparsityParams]);
  const hyper = (step: number) => ({ lr: lrAt(c, step), beta1: c.adamBeta1, beta2: c.adamBeta2, eps: c.adamEps });
  const tail = prepareOptimTail(device, optim, { members: M, dSae, dIn, maxNorm: c.gradClipNorm }, [wEnc, bEnc, wDec, bDec, logT], hyper(0));
  const firing = prepareFiring(
    device,
    optim,
    { members: M, dSae, batch: B, k, dense, deadWindowTokens: Math.min(c.deadWindowTokens, 2 ** 32 - 1) },
    { val: fDense ?? val, idx, firingCount, tokensSinceFired, dead, stats },
  );
  buffers.push(firing.params);
  const statsParams = make('stepStats:params', 32, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const statsGroup = bindBuffers(device, stepStatsK, [x, sqErr, auxOn ? sqErrAux : sqErr, memberScale, stats, tail.gradClip, sparsityTerm, history, statsParams]);

  const order = createBatchOrder(data.rows, B, dataSeed);
  let step = 0;
  let readFrom = 0;

  const recordDispatchOf = (pass: GPUComputePassEncoder, kernel: Kernel, group: GPUBindGroup, workgroups: number): void => dispatch(pass, kernel, group, foldGrid(workgroups));

  // TopK dispatches bound once (recorded every step).
  const topkMainRec = topkMain ? prepareTopk(device, topkMain, { z, dead: null, idx, val, params: topkMainParams }, { batch: B, dSae, M, k }) : null;
  const topkAuxRec = topkAux ? prepareTopk(device, topkAux, { z, dead, idx: idxAux, val: valAux, params: topkAuxParams }, { batch: B, dSae, M, k: kAux }) : null;

  const trainOne = (): void => {
    device.queue.writeBuffer(rowIdx, 0, new Uint32Array(order.next()));
    tail.setStep(hyper(step), step + 1);
    if (densePath) {
      const l1 = l1At(c, step);
      densePath.step.setL1Coefficient(l1);
      device.queue.writeBuffer(
        densePath.sparsityParams,
        0,
        packParams([
          ['u32', B],
          ['u32', N],
          ['u32', dSae],
          ['u32', c.arch === 'jumprelu' ? 1 : 0],
          ['f32', l1],
        ]),
      );
    }
    device.queue.writeBuffer(
      statsParams,
      0,
      packParams([
        ['u32', B],
        ['u32', dIn],
        ['u32', M],
        ['u32', dSae],
        ['u32', step % HISTORY_CAPACITY],
        ['u32', auxOn ? 1 : 0],
        ['f32', c.auxkCoefficient],
        ['f32', lrAt(c, step)],
      ]),
    );
    const encoder = device.createCommandEncoder({ label: `step ${step + 1}` });
    const pass = encoder.beginComputePass({ label: 'forward, backward, optimiser' });
    recordGatherRows(device, pass, gather, chunks, rowIdx, x, gatherParams, { batch: B, dIn, scale: inputScale });
    if (auxOn) recordDispatchOf(pass, auxScaleK, auxScaleGroup, Math.ceil(M / 64));
    recordEncodeBias(pass, encBias);
    recordEncode(pass, enc);
    if (topkPath && topkMain) {
      topkMainRec?.(pass);
      topkPath.decodeMain.record(pass);
      topkPath.termMain.record(pass);
      if (topkAux && topkPath.decodeAux && topkPath.termAux) {
        topkAuxRec?.(pass);
        topkPath.decodeAux.record(pass);
        topkPath.termAux.record(pass);
      }
      topkPath.bDecGrad.record(pass);
    }
    if (densePath) {
      if (batchTopkK && btHist && btState && btEqRow && fDense && btParams) {
        recordBatchTopk(device, pass, batchTopkK, { z, hist: btHist, state: btState, eqRow: btEqRow, f: fDense, params: btParams }, { batch: B, dSae, M, k });
      }
      densePath.step.record(pass);
      if (denseAux && topkAux) {
        topkAuxRec?.(pass);
        denseAux.decode.record(pass);
        denseAux.term.record(pass);
      }
      densePath.step.recordBDec(pass);
      if (thresholdEmaK && emaGroup) recordDispatchOf(pass, thresholdEmaK, emaGroup, Math.ceil(M / 64));
      if (sparsityK && densePath.sparsityGroup) recordDispatchOf(pass, sparsityK, densePath.sparsityGroup, M);
    }
    tail.record(pass);
    pass.end();
    encoder.clearBuffer(stats);
    const pass2 = encoder.beginComputePass({ label: 'firing, metrics' });
    recordDispatch(pass2, firing);
    recordDispatchOf(pass2, stepStatsK, statsGroup, M);
    pass2.end();
    device.queue.submit([encoder.finish()]);
    step += 1;
  };

  const readBuffer = async (buffer: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> => {
    const staging = device.createBuffer({ label: `${buffer.label}:read`, size: Math.max(4, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc2 = device.createCommandEncoder();
    enc2.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
    device.queue.submit([enc2.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    return out;
  };

  return {
    config: c,
    members: M,
    get step() {
      return step;
    },
    trainSteps(n: number) {
      for (let i = 0; i < n; i++) trainOne();
    },
    async readStats() {
      const F = HISTORY_FIELDS.length;
      const raw = new Float32Array(await readBuffer(history, HISTORY_CAPACITY * M * F * 4));
      const first = Math.max(readFrom, step - HISTORY_CAPACITY);
      const out: StepStats[][] = Array.from({ length: M }, () => []);
      for (let t = first; t < step; t++) {
        const slot = t % HISTORY_CAPACITY;
        for (let j = 0; j < M; j++) {
          const o = (slot * M + j) * F;
          out[j].push({
            step: t + 1,
            tokens: (t + 1) * B,
            loss: raw[o],
            mse: raw[o + 1],
            auxLoss: raw[o + 2],
            sparsityLoss: raw[o + 8],
            l0: raw[o + 3],
            deadFraction: raw[o + 4],
            explainedVariance: raw[o + 5],
            lr: raw[o + 6],
            gradNorm: raw[o + 7],
          });
        }
      }
      readFrom = step;
      return out;
    },
    async readSaes() {
      const [we, be, wd, bd, lt] = await Promise.all([
        readBuffer(wEnc.p, wEnc.n * 4),
        readBuffer(bEnc.p, bEnc.n * 4),
        readBuffer(wDec.p, wDec.n * 4),
        readBuffer(bDec.p, bDec.n * 4),
        logT.n > 0 ? readBuffer(logT.p, logT.n * 4) : Promise.resolve(new ArrayBuffer(0)),
      ]);
      const [fwe, fbe, fwd, fbd, flt] = [we, be, wd, bd, lt].map((a) => new Float32Array(a));
      const th = thr ? new Float32Array(await readBuffer(thr, M * 8)) : null;
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
    writeParams(member, params) {
      if (!(Number.isInteger(member) && member >= 0 && member < M)) throw new Error(`writeParams: member must be in [0, ${M}), got ${member}`);
      const targets: [keyof typeof params, AdamTensor & { n: number }, number][] = [
        ['wEnc', wEnc, dSae * dIn],
        ['bEnc', bEnc, dSae],
        ['wDec', wDec, dSae * dIn],
        ['bDec', bDec, dIn],
      ];
      for (const [name, t, per] of targets) {
        const v = params[name];
        if (!v) continue;
        if (v.length !== per) throw new Error(`writeParams: ${name} of member ${member}: expected ${per} values, got ${v.length}`);
        device.queue.writeBuffer(t.p, member * per * 4, v.buffer, v.byteOffset, v.byteLength);
      }
    },
    async readFiring() {
      const [tsf, fc] = await Promise.all([readBuffer(tokensSinceFired, N * 4), readBuffer(firingCount, N * 8)]);
      const t32 = new Uint32Array(tsf);
      const counts64 = firingCountsFromWords(new Uint32Array(fc));
      return {
        tokensSinceFired: Array.from({ length: M }, (_, j) => Float64Array.from(t32.subarray(j * dSae, (j + 1) * dSae))),
        firingCounts: Array.from({ length: M }, (_, j) => counts64.slice(j * dSae, (j + 1) * dSae)),
      };
    },
    destroy() {
      for (const r of recorders) r.destroy();
      tail.destroy();
      for (const b of buffers) b.destroy();
    },
  };
}
