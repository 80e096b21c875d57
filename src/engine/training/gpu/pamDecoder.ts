// PAM-SGD's decoder block on the GPU (SplInterp §3.6; twin src/core/sae/pamTrain.ts solveDecoderNow with
// src/core/sae/pam.ts), for one TopK SAE (M = 1), as a list of work units, each one submit, so a caller can spread a
// solve over several chunks of a run and never hold the queue (or a browser page) for long:
//   units 0..C−1   stream the training rows in chunks of ≤ PAM_SOLVE_CHUNK_ROWS: gather → bEff → z → TopK →
//                  statistics (G, H, Σz, Σx; the first chunk overwrites, the rest add)
//   unit C         copy the decoder into scratch (wNew, bNew) and form A and B = Cᵀ over wNew
//   units C+1..    the blocked Cholesky and the two triangular solves, one panel per unit
//   last unit      the closed-form bias into bNew
// then install(): one 4-byte readback of the solve's status; on success the bias fold (bEnc += wEnc·(bNew − bDec))
// and the copy of wNew, bNew over the model's wDec, bDec; on a non-positive pivot an InputError with the numbers
// and the fix (as pam.ts says it), the model untouched. The system is built in the kernels' summed convention from
// the trainer's per-row-mean coefficients (pamSumCoefficients), 'exact' or 'uncentred' as config.pamSolve says.
// Imports src/core and src/gpu only: no UI, Comlink, Node or WGSL.

import type { ResolvedConfig } from '../../../core/sae/config.ts';
import { InputError } from '../../../core/errors.ts';
import type { DecoderCoefficients } from '../../../core/sae/pam.ts';
import { PAM_SOLVE_CHUNK_ROWS } from '../../../core/sae/pamTrain.ts';
import type { Recorder } from '../../../gpu/kernel.ts';
import { prepareGatherRows } from '../../../gpu/kernels/data.ts';
import { prepareEncode, prepareEncodeBias } from '../../../gpu/kernels/encode.ts';
import type { PamKernels } from '../../../gpu/kernels/pam.ts';
import { PAM_SOLVE_OK, pamSumCoefficients, preparePamDecoder, preparePamFold, preparePamStats } from '../../../gpu/kernels/pam.ts';
import { chooseTopk, compileTopk, prepareTopk } from '../../../gpu/kernels/topk.ts';
import { createAllocator, readBuffer } from './buffers.ts';
import type { GpuTrainerParts } from './plan.ts';

export interface PamDecoderSolve {
  /** Work units of one solve, in order (see the file comment); each submit(i) is one queue submit. */
  readonly units: number;
  /** N: the rows every solve streams (all training rows). */
  readonly rows: number;
  /** Records and submits unit i (0 ≤ i < units), in order; a new solve starts again at 0. */
  submit(i: number): void;
  /** After the last unit: reads the status; installs the solved decoder, or throws an InputError leaving the model as it was. */
  install(): Promise<void>;
  destroy(): void;
}

/** Rows per statistics chunk: PAM_SOLVE_CHUNK_ROWS (the reference's), fewer when z [rows, dSae] would pass the binding limit. */
export function pamChunkRows(rows: number, dSae: number, dIn: number, maxBindingBytes: number): number {
  const perRow = 4 * Math.max(dSae, dIn);
  return Math.max(1, Math.min(rows, PAM_SOLVE_CHUNK_ROWS, Math.floor(maxBindingBytes / perRow)));
}

/** Prepares the solve for the trainer whose parts these are (M = 1, TopK codes). */
export async function preparePamDecoderSolve(parts: GpuTrainerParts, config: ResolvedConfig): Promise<PamDecoderSolve> {
  const { device, params: p, chunks, rows: N, dIn, inputScale, kernels } = parts;
  const pam: PamKernels | null = kernels.pam;
  if (!pam) throw new Error('preparePamDecoderSolve: the trainer was made without encoderOnly (no PAM kernels)');
  const { dSae, k } = config;
  if (p.wEnc.n !== dSae * dIn) throw new Error(`preparePamDecoderSolve: one member only (wEnc holds ${p.wEnc.n} values, dSae·dIn = ${dSae * dIn})`);
  const S = pamChunkRows(N, dSae, dIn, device.limits.maxStorageBufferBindingSize);
  const topk = await compileTopk(device, { kMax: k, masked: false, ...chooseTopk(parts.software, k) });
  const own = createAllocator(device);
  const b = {
    rowIdx: own.storage('pam:rowIdx', S * 4), // [S] u32, rows of this chunk
    x: own.f32('pam:x', S * dIn), // [S, dIn] scaled
    bEff: own.f32('pam:bEff', dSae), // [dSae]
    z: own.f32('pam:z', S * dSae), // [S, dSae]
    idx: own.storage('pam:idx', S * k * 4), // [S, k] u32
    val: own.f32('pam:val', S * k), // [S, k]
    counts: own.storage('pam:counts', (dSae + 1) * 4),
    offsets: own.storage('pam:offsets', (dSae + 1) * 4),
    entries: own.storage('pam:entries', S * k * 4),
    G: own.f32('pam:G', dSae * dSae), // [dSae, dSae] Σ z zᵀ
    H: own.f32('pam:H', dSae * dIn), // [dSae, dIn] Σ z xᵀ
    sz: own.f32('pam:sz', dSae), // [dSae] Σ z
    sx: own.f32('pam:sx', dIn), // [dIn] Σ x
    A: own.f32('pam:A', dSae * dSae), // [dSae, dSae] A, then its factor
    wNew: own.f32('pam:wNew', dSae * dIn), // [dSae, dIn] Dᵗ → B → D^{t+1}
    bNew: own.f32('pam:bNew', dIn), // [dIn] bᵗ → b^{t+1}
    status: own.storage('pam:status', 4), // [1] u32
  };
  const encodeBias = prepareEncodeBias(device, kernels.encodeBias, { members: 1, dSae, dIn }, { wEnc: p.wEnc.p, bEnc: p.bEnc.p, bDec: p.bDec.p, bEff: b.bEff });
  const prepared: Recorder[] = [encodeBias];
  /** The statistics of a chunk of n rows (prepared for each size and mode that occurs: at most 3). */
  const chunkRecorders = new Map<string, Recorder>();
  const chunkOf = (n: number, accumulate: boolean): Recorder => {
    const key = `${n}:${accumulate}`;
    let r = chunkRecorders.get(key);
    if (!r) {
      const gather = prepareGatherRows(device, kernels.gather, chunks, b.rowIdx, b.x, { batch: n, dIn, scale: inputScale });
      const encode = prepareEncode(device, kernels.gemm, { batch: n, N: dSae, dIn }, { x: b.x, wEnc: p.wEnc.p, bEff: b.bEff, z: b.z });
      const select = prepareTopk(device, topk, { z: b.z, dead: null, idx: b.idx, val: b.val }, { batch: n, dSae, M: 1, k });
      const stats = preparePamStats(device, pam, kernels.sparse, { rows: n, k, dIn, dSae }, b, { accumulate });
      r = { record: (pass) => [gather, encode, select, stats].forEach((q) => q.record(pass)), destroy: () => [gather, encode, select, stats].forEach((q) => q.destroy()) };
      chunkRecorders.set(key, r);
      prepared.push(r);
    }
    return r;
  };
  const coef: DecoderCoefficients = { alpha: config.pamRidge, beta: config.pamRidge, mu: config.pamProxDec, nu: config.pamProxDec };
  const decoder = preparePamDecoder(device, pam, { dSae, dIn }, { G: b.G, H: b.H, sz: b.sz, sx: b.sx, A: b.A, wDec: b.wNew, bDec: b.bNew, status: b.status }, N, pamSumCoefficients(coef, N), config.pamSolve);
  const fold = preparePamFold(device, pam, { members: 1, dSae, dIn }, { wEnc: p.wEnc.p, bDec: p.bDec.p, bDecNew: b.bNew, bEnc: p.bEnc.p });
  prepared.push(decoder, fold);
  const C = Math.ceil(N / S);
  const units = C + decoder.steps.length;

  const submitPass = (label: string, record: (pass: GPUComputePassEncoder) => void, before?: (e: GPUCommandEncoder) => void): void => {
    const encoder = device.createCommandEncoder({ label });
    before?.(encoder);
    const pass = encoder.beginComputePass({ label });
    record(pass);
    pass.end();
    device.queue.submit([encoder.finish()]);
  };

  return {
    units,
    rows: N,
    submit(i) {
      if (!(Number.isInteger(i) && i >= 0 && i < units)) throw new Error(`PAM decoder solve: unit ${i} is outside 0..${units - 1}`);
      if (i < C) {
        const t0 = i * S;
        const n = Math.min(S, N - t0);
        device.queue.writeBuffer(b.rowIdx, 0, Uint32Array.from({ length: n }, (_, r) => t0 + r));
        const stats = chunkOf(n, i > 0);
        submitPass(`pam stats rows ${t0}..${t0 + n}`, (pass) => {
          encodeBias.record(pass);
          stats.record(pass);
        });
        return;
      }
      const step = decoder.steps[i - C];
      // The first system unit forms A and B over a copy of the decoder: a failed solve must leave the model as it was.
      const copy = i === C ? (e: GPUCommandEncoder) => {
        e.copyBufferToBuffer(p.wDec.p, 0, b.wNew, 0, dSae * dIn * 4);
        e.copyBufferToBuffer(p.bDec.p, 0, b.bNew, 0, dIn * 4);
      } : undefined;
      submitPass(`pam solve ${i - C + 1}/${decoder.steps.length}`, (pass) => step.record(pass), copy);
    },
    async install() {
      const status = new Uint32Array(await readBuffer(device, b.status, 4))[0];
      if (status !== PAM_SOLVE_OK) throw await solveError(status);
      const encoder = device.createCommandEncoder({ label: 'pam install' });
      const pass = encoder.beginComputePass({ label: 'pam bias fold' });
      fold.record(pass); // reads bDec (old) and bNew: before the copy
      pass.end();
      encoder.copyBufferToBuffer(b.wNew, 0, p.wDec.p, 0, dSae * dIn * 4);
      encoder.copyBufferToBuffer(b.bNew, 0, p.bDec.p, 0, dIn * 4);
      device.queue.submit([encoder.finish()]);
    },
    destroy() {
      for (const r of prepared) r.destroy();
      own.destroyAll();
    },
  };

  /** The reference's refusal (core/sae/pam.ts assertStatsFinite, singularError), from Σz, Σx read back on this error path. */
  async function solveError(pivot: number): Promise<InputError> {
    const [szRaw, sxRaw] = await Promise.all([readBuffer(device, b.sz, dSae * 4), readBuffer(device, b.sx, dIn * 4)]);
    const sz = new Float32Array(szRaw);
    const sx = new Float32Array(sxRaw);
    for (const [name, a] of [['Σz', sz], ['Σx', sx]] as const) {
      const i = a.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) return new InputError(`PAM-SGD decoder solve: the statistic ${name}[${i}] is ${a[i]} (the codes or inputs hold NaN or ∞; the encoder diverged): lower lr, keep gradClipNorm > 0, or raise pamProxEnc`);
    }
    // TopK values are ReLU'd (≥ 0), so Σz[i] = 0 exactly when G[i, i] = 0: the latent never fired.
    const dead = sz.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
    const where = `the system matrix A = (α+μ)I + Σzzᵀ/N − γz̄z̄ᵀ is not positive definite at latent ${pivot} (pamRidge α = ${coef.alpha}, pamProxDec μ = ${coef.mu}, N = ${N} rows, ${dead} of ${dSae} latents never fired)`;
    let fix: string;
    if (coef.alpha + coef.mu > 0) fix = 'the ridge is too small for the scale of the codes: raise pamRidge (e.g. to 1e-4) or pamProxDec';
    else if (dead > 0) fix = 'ridge 0 with dead latents: set ridge > 0 (pamRidge, e.g. 1e-6)';
    else if (N < dSae) fix = `fewer rows (${N}) than latents (${dSae}): set ridge > 0 (pamRidge, e.g. 1e-6) or use more rows`;
    else fix = 'the codes are linearly dependent: set ridge > 0 (pamRidge, e.g. 1e-6)';
    return new InputError(`PAM-SGD decoder solve: ${where}: ${fix}`);
  }
}
