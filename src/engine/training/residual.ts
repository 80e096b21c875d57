// Boosting's residual dataset on the GPU: r⁽ᴶ⁺¹⁾ = x − Σ_j g(r⁽ʲ⁾) for frozen stages 1..J (seed-papers.md
// §2.4), computed once when a boosted member is created (not inside a training step) with the kernels of
// the TopK step — encodeBias, encode, topk, decode — and read back once at the end. Twin:
// src/core/ensemble/boosting.ts:boostingResidual. Imports src/core and src/gpu only: no UI, Comlink or Node code.
//
// Per chunk of rows (shapes for n ≤ chunkRows rows, one stage of dSae latents, M = 1):
//   r [n, dIn] ──encode──▶ z [n, dSae] ──topk──▶ idx, val [n, 1, k] ──decode(−wDec, −bDec, target r,
//   targetScale −1)──▶ e = −x̂ + r = r − x̂ [1, n, dIn] = the next stage's r (two buffers, ping-pong).
// The sign is folded into the uploaded decoder (negating is exact in f32), so no extra kernel runs.

import { boostingResidual, foldInputScale, residualName } from '../../core/ensemble/boosting.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import type { Recorder } from '../../gpu/kernel.ts';
import { sequence } from '../../gpu/kernel.ts';
import { compileEncode, compileEncodeBias, prepareEncode, prepareEncodeBias } from '../../gpu/kernels/encode.ts';
import { compileSparseKernels, prepareDecode } from '../../gpu/kernels/sparse.ts';
import { chooseTopk, compileTopk, prepareTopk } from '../../gpu/kernels/topk.ts';

export interface ResidualOptions {
  /** A software adapter (SwiftShader): serial TopK and the T32 encoder tile (as gpuTrainer.ts chooses). */
  isSoftware?: boolean;
  /** Rows per GPU pass (default: 4096, or fewer so that z [rows, dSae] fits one storage binding). */
  chunkRows?: number;
  /** Largest MAP_READ staging buffer of the readback (default 64 MiB; tests use small values). */
  stagingBytes?: number;
}

/** Default rows per chunk; bounded below by the binding limit in chooseChunkRows. */
const DEFAULT_CHUNK_ROWS = 4096;
/** Largest MAP_READ staging buffer by default; a dataset bigger than this reads back through several. */
const STAGING_BYTES = 64 << 20;

/** Stages the GPU path runs: TopK codes (the selection kernels of the training step). */
function onGpu(stage: Sae): boolean {
  return stage.arch === 'topk';
}

/**
 * The residual of `data` after the frozen `stages` (in order), in raw input units, as a new Dataset
 * [rows, dIn] (data's ground truth kept, as in the twin). Each stage's inputScale s is folded into its
 * weights first (foldInputScale: wEnc·s, bDec/s, wDec/s), which computes g(r) = x̂′(s·r)/s exactly up to
 * f32 rounding. Runs of consecutive TopK stages run on the GPU with one readback per run; any other
 * architecture runs on the CPU twin (see below). No stages: a copy of x.
 */
export async function computeResidualData(device: GPUDevice, stages: readonly Sae[], data: Dataset, opts: ResidualOptions = {}): Promise<Dataset> {
  const { rows, dIn } = data;
  if (data.x.length !== rows * dIn) throw new Error(`computeResidualData: x has ${data.x.length} values, [rows ${rows}, dIn ${dIn}] needs ${rows * dIn}`);
  stages.forEach((stage, j) => {
    if (stage.dIn !== dIn) throw new Error(`boosting stage ${j}: dIn ${stage.dIn} does not match the data's dIn ${dIn}`);
    if (!(Number.isFinite(stage.inputScale) && stage.inputScale > 0)) throw new Error(`boosting stage ${j}: inputScale ${stage.inputScale} must be a finite number > 0`);
    if (onGpu(stage) && !(Number.isInteger(stage.k) && stage.k >= 1 && stage.k <= stage.dSae)) {
      throw new Error(`boosting stage ${j}: TopK k = ${stage.k} must be an integer in 1..dSae = ${stage.dSae}`);
    }
  });
  let r: Float32Array = data.x.slice(); // [rows, dIn]
  for (let j = 0; j < stages.length && rows > 0; ) {
    let end = j;
    while (end < stages.length && onGpu(stages[end])) end++;
    if (end > j) {
      r = await topkResidualOnGpu(device, stages.slice(j, end), r, rows, dIn, opts);
      j = end;
    } else {
      // ReLU, JumpReLU and BatchTopK-at-inference have no GPU inference path yet (dense codes, not the
      // [n, k] slots decode.wgsl reads): they run on the CPU twin, once, at creation time.
      r = boostingResidual([stages[j]], { ...data, x: r }).x;
      j++;
    }
  }
  return { ...data, name: residualName(data.name, stages.length), x: r };
}

/** Rows per chunk: the caller's, else the default capped so r, xHat [n, dIn] and z [n, dSae] fit one binding. */
function chooseChunkRows(device: GPUDevice, stages: readonly Sae[], dIn: number, asked: number | undefined): number {
  const widest = Math.max(dIn, ...stages.map((s) => s.dSae));
  const maxFloats = Math.floor(Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize) / 4);
  const fit = Math.floor(maxFloats / widest);
  for (const s of stages) {
    if (s.dSae * dIn > maxFloats) {
      throw new Error(`boosting stage weights [dSae ${s.dSae}, dIn ${dIn}] need ${s.dSae * dIn * 4} bytes, this device binds at most ${maxFloats * 4} (maxStorageBufferBindingSize)`);
    }
  }
  if (asked !== undefined) {
    if (!(Number.isInteger(asked) && asked >= 1)) throw new Error(`computeResidualData: chunkRows ${asked} must be a positive integer`);
    if (asked > fit) throw new Error(`computeResidualData: chunkRows ${asked} × ${widest} floats exceeds one storage binding (${maxFloats * 4} bytes); use ≤ ${fit}`);
    return asked;
  }
  if (fit < 1) throw new Error(`computeResidualData: one row of ${widest} floats exceeds one storage binding (${maxFloats * 4} bytes)`);
  return Math.min(DEFAULT_CHUNK_ROWS, fit);
}

/** One stage's weights on the GPU (inputScale folded, decoder negated for the decode's sign trick). */
interface StageBuffers {
  sae: Sae; // folded, inputScale 1
  wEnc: GPUBuffer; // [dSae, dIn]  s·wEnc
  bEnc: GPUBuffer; // [dSae]
  bDec: GPUBuffer; // [1, dIn]     bDec/s (encodeBias)
  negWDec: GPUBuffer; // [dSae, dIn] −wDec/s (decode)
  negBDec: GPUBuffer; // [1, dIn]    −bDec/s (decode)
  bEff: GPUBuffer; // [dSae]       bEnc − (s·wEnc)·(bDec/s), written once
}


async function topkResidualOnGpu(device: GPUDevice, stages: readonly Sae[], r: Float32Array, rows: number, dIn: number, opts: ResidualOptions): Promise<Float32Array> {
  const software = opts.isSoftware === true;
  const chunkRows = chooseChunkRows(device, stages, dIn, opts.chunkRows);
  const maxDSae = Math.max(...stages.map((s) => s.dSae));
  const maxK = Math.max(...stages.map((s) => s.k));

  const owned: GPUBuffer[] = [];
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const make = (label: string, floats: number, use = usage): GPUBuffer => {
    const b = device.createBuffer({ label: `residual:${label}`, size: Math.max(16, Math.ceil(floats / 4) * 16), usage: use });
    owned.push(b);
    return b;
  };
  const upload = (label: string, values: Float32Array): GPUBuffer => {
    const b = make(label, values.length);
    device.queue.writeBuffer(b, 0, values.buffer, values.byteOffset, values.byteLength);
    return b;
  };
  const prepared: Recorder[] = []; // destroyed at the end, after the submitted work
  // One Recorder per chunk row count (at most two: full and tail): every stage's encode → topk → decode.
  const passes = new Map<number, Recorder>();
  try {
    const [gemm, encodeBias, sparse] = await Promise.all([
      compileEncode(device, software ? 'T32' : 'T64'),
      compileEncodeBias(device),
      compileSparseKernels(device),
    ]);
    // One TopK pipeline for every stage: it takes any k ≤ kMax at dispatch time.
    const topk = await compileTopk(device, { kMax: maxK, masked: false, ...chooseTopk(software, maxK) });

    // ---- weights, folded; bEff once per stage ----
    const weights: StageBuffers[] = [];
    for (const [j, stage] of stages.entries()) {
      const sae = foldInputScale(stage);
      weights.push({
        sae,
        wEnc: upload(`stage${j}:wEnc`, sae.wEnc),
        bEnc: upload(`stage${j}:bEnc`, sae.bEnc),
        bDec: upload(`stage${j}:bDec`, sae.bDec),
        negWDec: upload(`stage${j}:-wDec`, Float32Array.from(sae.wDec, (v) => -v)),
        negBDec: upload(`stage${j}:-bDec`, Float32Array.from(sae.bDec, (v) => -v)),
        bEff: make(`stage${j}:bEff`, sae.dSae),
      });
    }
    {
      const biases = weights.map((w) =>
        prepareEncodeBias(device, encodeBias, { members: 1, dSae: w.sae.dSae, dIn }, { wEnc: w.wEnc, bEnc: w.bEnc, bDec: w.bDec, bEff: w.bEff }),
      );
      const encoder = device.createCommandEncoder({ label: 'residual:bEff' });
      const pass = encoder.beginComputePass();
      for (const b of biases) b.record(pass);
      pass.end();
      device.queue.submit([encoder.finish()]);
      prepared.push(...biases);
    }

    // ---- per-chunk scratch: r ping-pong, z, idx/val, xHat, sqErr ----
    const rBuf = [make('rA', chunkRows * dIn), make('rB', chunkRows * dIn)]; // [chunkRows, dIn]
    const z = make('z', chunkRows * maxDSae); // [chunkRows, dSae]
    const idx = make('idx', chunkRows * maxK); // [chunkRows, 1, k] u32
    const val = make('val', chunkRows * maxK); // [chunkRows, 1, k]
    const xHat = make('xHat', chunkRows * dIn); // [1, chunkRows, dIn] (−x̂, unused)
    const sqErr = make('sqErr', chunkRows); // [1, chunkRows] (unused)
    const bind = (n: number): Recorder =>
      sequence(weights.flatMap((w, j) => {
        const { dSae, k } = w.sae;
        const [rIn, rOut] = [rBuf[j % 2], rBuf[(j + 1) % 2]];
        const encode = prepareEncode(device, gemm, { batch: n, N: dSae, dIn }, { x: rIn, wEnc: w.wEnc, bEff: w.bEff, z });
        const select = prepareTopk(device, topk, { z, dead: null, idx, val }, { batch: n, dSae, M: 1, k });
        const decode = prepareDecode(
          device,
          sparse,
          { batch: n, M: 1, dIn, dSae, k },
          { target: rIn, wDec: w.negWDec, bDec: w.negBDec, idx, val, xHat, e: rOut, sqErr },
          { withBias: true, targetMemberStride: 0, targetScale: -1 }, // e = −x̂ − (−1)·r = r − x̂
        );
        return [encode, select, decode];
      }));
    const passesFor = (n: number): Recorder => {
      let p = passes.get(n);
      if (!p) {
        passes.set(n, (p = bind(n)));
        prepared.push(p);
      }
      return p;
    };

    // ---- chunks: upload r, run every stage, copy the last residual to staging; no waits in between ----
    const rowBytes = dIn * 4;
    const stagingRows = Math.max(chunkRows, Math.floor(Math.min(opts.stagingBytes ?? STAGING_BYTES, device.limits.maxBufferSize) / rowBytes / chunkRows) * chunkRows);
    const staging: { buffer: GPUBuffer; start: number; rows: number }[] = [];
    const last = rBuf[stages.length % 2];
    for (let start = 0; start < rows; start += chunkRows) {
      const n = Math.min(chunkRows, rows - start);
      if (start % stagingRows === 0) {
        const sRows = Math.min(stagingRows, rows - start);
        staging.push({ buffer: make(`staging[${start}..]`, sRows * dIn, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST), start, rows: sRows });
      }
      const target = staging[staging.length - 1];
      device.queue.writeBuffer(rBuf[0], 0, r.buffer, r.byteOffset + start * rowBytes, n * rowBytes);
      const encoder = device.createCommandEncoder({ label: `residual:chunk[${start}..]` });
      const pass = encoder.beginComputePass({ label: 'residual' });
      passesFor(n).record(pass);
      pass.end();
      encoder.copyBufferToBuffer(last, 0, target.buffer, (start - target.start) * rowBytes, n * rowBytes);
      device.queue.submit([encoder.finish()]);
    }

    // ---- the one readback ----
    const out = new Float32Array(rows * dIn);
    await Promise.all(staging.map((s) => s.buffer.mapAsync(GPUMapMode.READ)));
    for (const s of staging) {
      out.set(new Float32Array(s.buffer.getMappedRange(0, s.rows * rowBytes)), s.start * dIn);
      s.buffer.unmap();
    }
    return out;
  } finally {
    for (const p of prepared) p.destroy();
    for (const b of owned) b.destroy();
  }
}
