// The stories260K forward pass on WebGPU, prefill-style: every position of one or more contexts in a few
// dispatches per block (causal mask by each row's position, no KV cache), for collecting activations fast.
// Twin: src/core/lm/forward.ts (forwardToken) and src/core/lm/activations.ts (collectActivations).
// Imports src/core and src/gpu only: no UI, Comlink, WGSL or Node code.
//
// Per run of R rows (packed contexts; rowPos[t] = position of row t in its context, 0 = BOS):
//   tokens [R] ──gatherRows──▶ resid[0] [R, dim]
//   per block l (1..layers):  resid[l−1] ──rmsNorm──▶ h ──qkvRope──▶ qkv [R, dim + 2·kvDim] ──attention──▶
//   att [R, dim] ──residual(wo, + resid[l−1])──▶ xMid ──rmsNorm──▶ h ──swiglu(w1, w3)──▶ mlp[l] [R, hiddenDim]
//   ──residual(w2, + xMid)──▶ resid[l]
// resid: [nLayers + 1, R, dim] (resid:L at L·R·dim), mlp: [nLayers, R, hiddenDim] (mlp:L at (L−1)·R·hiddenDim).
// One submit and one readback per run.

import type { ActivationOptions, LmActivations } from '../../core/lm/activations.ts';
import { buildContexts, DEFAULT_CONTEXT_TOKENS } from '../../core/lm/activations.ts';
import type { LmSite } from '../../core/lm/forward.ts';
import { parseSite, RMS_EPS } from '../../core/lm/forward.ts';
import type { LmModel } from '../../core/lm/model.ts';
import { InputError } from '../../core/errors.ts';
import { compileKernel } from '../../gpu/kernel.ts';
import { GATHER_ROWS, GATHER_WG, recordGatherRows } from '../../gpu/kernels/data.ts';
import { compileLmKernels, LM_HEAD_MAX, recordAttention, recordLinear, recordQkvRope, recordRmsNorm, ropeTable } from '../../gpu/kernels/lm.ts';

export interface LmGpuOptions {
  /** Fold dispatch grids into 2-D past this many workgroups (default 65,535; tests lower it to reach the fold cheaply). */
  maxPerDim?: number;
}

export interface LmForwardOptions {
  /** Sites to read back (see LmSite); only the blocks up to the deepest one run. */
  sites: readonly LmSite[];
}

export interface LmGpu {
  /**
   * One context, all positions at once (position 0 first; tokens[0] is usually BOS).
   * tokens: [T], 1 ≤ T ≤ seqLen. returns: for each requested site, its activations [T, width].
   */
  forwardSequence(tokens: Int32Array, opts: LmForwardOptions): Promise<Record<LmSite, Float32Array>>;
  /**
   * Several contexts packed into R rows: rowPos[t] is row t's position in its context (0 starts a context,
   * otherwise rowPos[t − 1] + 1; each < seqLen). tokens, rowPos: [R]. returns: site → [R, width].
   */
  forwardRows(tokens: Int32Array, rowPos: Int32Array, opts: LmForwardOptions): Promise<Record<LmSite, Float32Array>>;
  destroy(): void;
}

/**
 * Where each tensor starts (in f32 elements) in the one GPU weight buffer. The token embedding stays
 * [vocabSize, dim] at 0 (gathered by row); the per-layer projections are stored transposed, [in, out]
 * row-major, so that neighbouring invocations read neighbouring weights:
 *   qkv [nLayers, dim, dim + 2·kvDim] (= [wq; wk; wv]ᵀ), wo [nLayers, dim, dim], w1, w3 [nLayers, dim, hiddenDim],
 *   w2 [nLayers, hiddenDim, dim]; rmsAtt, rmsFfn [nLayers, dim] as they are.
 */
interface WeightOffsets {
  rmsAtt: number;
  rmsFfn: number;
  qkv: number;
  wo: number;
  w1: number;
  w3: number;
  w2: number;
}

/** dst[c·rows + r] = src[offset + r·cols + c]: one [rows, cols] matrix transposed into dst at dstOff. */
function transposeInto(dst: Float32Array, dstOff: number, dstCols: number, dstCol: number, src: Float32Array, offset: number, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[dstOff + c * dstCols + dstCol + r] = src[offset + r * cols + c];
}

/** The GPU weight buffer's contents (see WeightOffsets). */
function packWeights(model: LmModel): { all: Float32Array; off: WeightOffsets } {
  const { dim, hiddenDim, kvDim, nLayers: L, vocabSize } = model.config;
  const w = model.weights;
  const width = dim + 2 * kvDim;
  const sizes = { emb: vocabSize * dim, rmsAtt: L * dim, rmsFfn: L * dim, qkv: L * dim * width, wo: L * dim * dim, w1: L * dim * hiddenDim, w3: L * dim * hiddenDim, w2: L * hiddenDim * dim };
  const off: Record<string, number> = {};
  let p = 0;
  for (const [k, n] of Object.entries(sizes)) {
    off[k] = p;
    p += n;
  }
  const all = new Float32Array(p);
  all.set(w.tokenEmbedding, 0);
  all.set(w.rmsAtt, off.rmsAtt);
  all.set(w.rmsFfn, off.rmsFfn);
  for (let l = 0; l < L; l++) {
    const q = off.qkv + l * dim * width;
    transposeInto(all, q, width, 0, w.wq, l * dim * dim, dim, dim);
    transposeInto(all, q, width, dim, w.wk, l * kvDim * dim, kvDim, dim);
    transposeInto(all, q, width, dim + kvDim, w.wv, l * kvDim * dim, kvDim, dim);
    transposeInto(all, off.wo + l * dim * dim, dim, 0, w.wo, l * dim * dim, dim, dim);
    transposeInto(all, off.w1 + l * dim * hiddenDim, hiddenDim, 0, w.w1, l * hiddenDim * dim, hiddenDim, dim);
    transposeInto(all, off.w3 + l * dim * hiddenDim, hiddenDim, 0, w.w3, l * hiddenDim * dim, hiddenDim, dim);
    transposeInto(all, off.w2 + l * hiddenDim * dim, dim, 0, w.w2, l * dim * hiddenDim, dim, hiddenDim);
  }
  return { all, off: off as unknown as WeightOffsets };
}

/** Compiles the kernels and uploads the weights and the RoPE table (about 1 MiB for stories260K). */
export async function createLmGpu(device: GPUDevice, model: LmModel, options: LmGpuOptions = {}): Promise<LmGpu> {
  const c = model.config;
  const { dim, hiddenDim, kvDim, nLayers, headSize, seqLen, vocabSize } = c;
  if (headSize > LM_HEAD_MAX) throw new InputError(`lm on WebGPU: headSize ${headSize} exceeds ${LM_HEAD_MAX} (lmAttention.wgsl's HEAD_MAX)`);
  const maxPerDim = options.maxPerDim ?? 65535;
  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST; // globals exist once a GPU does
  const kernels = await compileLmKernels(device);
  const gather = await compileKernel(device, GATHER_ROWS, { WG: GATHER_WG });
  const { all, off } = packWeights(model);
  const upload = (data: Float32Array, label: string): GPUBuffer => {
    const b = device.createBuffer({ label, size: Math.max(16, data.byteLength), usage: STORAGE, mappedAtCreation: true });
    new Float32Array(b.getMappedRange(), 0, data.length).set(data);
    b.unmap();
    return b;
  };
  const weights = upload(all, 'lm:weights');
  const rope = upload(ropeTable(seqLen, headSize), 'lm:rope');
  const qkvWidth = dim + 2 * kvDim;

  // Activation buffers for up to `cap` rows, grown on demand (never shrunk).
  let cap = 0;
  let bufs: Record<'tokens' | 'rowPos' | 'resid' | 'mlp' | 'xMid' | 'h' | 'qkv' | 'att', GPUBuffer> | null = null;
  const ensure = (rows: number): NonNullable<typeof bufs> => {
    if (bufs && rows <= cap) return bufs;
    const newCap = Math.max(rows, Math.min(seqLen, 2 * cap), 64);
    const sizes = { tokens: newCap, rowPos: newCap, resid: (nLayers + 1) * newCap * dim, mlp: nLayers * newCap * hiddenDim, xMid: newCap * dim, h: newCap * dim, qkv: newCap * qkvWidth, att: newCap * dim };
    const limit = device.limits.maxStorageBufferBindingSize;
    for (const [k, n] of Object.entries(sizes)) {
      if (n * 4 > limit) throw new Error(`lm on WebGPU: ${k} needs ${n * 4} bytes for ${newCap} rows, over this device's maxStorageBufferBindingSize ${limit}; use fewer rows per run`);
    }
    if (bufs) for (const b of Object.values(bufs)) b.destroy();
    const make = (k: keyof typeof sizes): GPUBuffer => device.createBuffer({ label: `lm:${k}`, size: Math.max(16, sizes[k] * 4), usage: STORAGE });
    bufs = { tokens: make('tokens'), rowPos: make('rowPos'), resid: make('resid'), mlp: make('mlp'), xMid: make('xMid'), h: make('h'), qkv: make('qkv'), att: make('att') };
    cap = newCap;
    return bufs;
  };

  let queue: Promise<unknown> = Promise.resolve();
  let destroyed = false;

  async function run(tokens: Int32Array, rowPos: Int32Array, sites: readonly LmSite[]): Promise<Record<LmSite, Float32Array>> {
    if (destroyed) throw new Error('lm on WebGPU: used after destroy()');
    const R = tokens.length;
    if (rowPos.length !== R) throw new InputError(`rowPos: expected ${R} positions (one per token), got ${rowPos.length}`);
    if (R < 1) throw new InputError('tokens: expected at least 1 token, got 0');
    for (let t = 0; t < R; t++) {
      const id = tokens[t];
      if (!(id >= 0 && id < vocabSize)) throw new InputError(`tokens[${t}]: expected an id in 0..${vocabSize - 1}, got ${id}`);
      const p = rowPos[t];
      if (!(p === 0 || (t > 0 && p === rowPos[t - 1] + 1))) throw new InputError(`rowPos[${t}]: expected 0 or rowPos[${t - 1}] + 1 = ${t > 0 ? rowPos[t - 1] + 1 : 'n/a'}, got ${p}`);
      if (p >= seqLen) throw new InputError(`rowPos[${t}]: expected < seqLen ${seqLen} (the model's context), got ${p}`);
    }
    const parsed = sites.map((s) => parseSite(s, c));
    const layers = Math.max(0, ...parsed.map((p) => p.layer));
    const b = ensure(R);
    device.queue.writeBuffer(b.tokens, 0, Uint32Array.from(tokens)); // ids checked ≥ 0 above
    device.queue.writeBuffer(b.rowPos, 0, Uint32Array.from(rowPos));

    const params: GPUBuffer[] = [];
    /** A fresh 32-byte Params block per dispatch (each recorder writes its own before the submit). */
    const P = (): GPUBuffer => {
      const p = device.createBuffer({ label: 'lm:params', size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      params.push(p);
      return p;
    };
    const encoder = device.createCommandEncoder({ label: 'lm:forward' });
    const pass = encoder.beginComputePass({ label: 'lm:forward' });
    const fold = { maxPerDim };
    // resid[0] = tokenEmbedding[tokens] (the embedding is the weight buffer's first vocabSize·dim values).
    recordGatherRows(device, pass, gather, [{ buffer: weights, start: 0, rows: vocabSize }], b.tokens, b.resid, [P()], { batch: R, dIn: dim, scale: 1 });
    for (let l = 0; l < layers; l++) {
      const residIn = l * R * dim;
      recordRmsNorm(device, pass, kernels.rmsNorm, { x: b.resid, w: weights, h: b.h, params: P() }, { rows: R, dim, xOff: residIn, wOff: off.rmsAtt + l * dim, hOff: 0, eps: RMS_EPS, ...fold });
      recordQkvRope(device, pass, kernels.qkvRope, { h: b.h, w: weights, rope, rowPos: b.rowPos, qkv: b.qkv, params: P() }, {
        rows: R,
        dim,
        kvDim,
        headSize,
        wOff: off.qkv + l * dim * qkvWidth,
        ...fold,
      });
      recordAttention(device, pass, kernels.attention, { qkv: b.qkv, rowPos: b.rowPos, att: b.att, params: P() }, { rows: R, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headSize, ...fold });
      recordLinear(device, pass, kernels.residual, { inp: b.att, w: weights, res: b.resid, out: b.xMid, params: P() }, {
        rows: R,
        nOut: dim,
        nIn: dim,
        inOff: 0,
        wOff: off.wo + l * dim * dim,
        resOff: residIn,
        outOff: 0,
        ...fold,
      });
      recordRmsNorm(device, pass, kernels.rmsNorm, { x: b.xMid, w: weights, h: b.h, params: P() }, { rows: R, dim, xOff: 0, wOff: off.rmsFfn + l * dim, hOff: 0, eps: RMS_EPS, ...fold });
      const mlpOff = l * R * hiddenDim;
      recordLinear(device, pass, kernels.swiglu, { inp: b.h, w: weights, res: b.h, out: b.mlp, params: P() }, {
        rows: R,
        nOut: hiddenDim,
        nIn: dim,
        inOff: 0,
        wOff: off.w1 + l * hiddenDim * dim,
        w3Off: off.w3 + l * hiddenDim * dim,
        outOff: mlpOff,
        ...fold,
      });
      recordLinear(device, pass, kernels.residual, { inp: b.mlp, w: weights, res: b.xMid, out: b.resid, params: P() }, {
        rows: R,
        nOut: dim,
        nIn: hiddenDim,
        inOff: mlpOff,
        wOff: off.w2 + l * dim * hiddenDim,
        resOff: 0,
        outOff: (l + 1) * R * dim,
        ...fold,
      });
    }
    pass.end();

    // Readback: every requested site into one staging buffer.
    const regions = parsed.map((p) => {
      const width = p.width;
      const src = p.kind === 'resid' ? b.resid : b.mlp;
      const at = p.kind === 'resid' ? p.layer * R * dim : (p.layer - 1) * R * hiddenDim;
      return { site: p.site, src, at, n: R * width };
    });
    const total = regions.reduce((n, r) => n + r.n, 0);
    const staging = device.createBuffer({ label: 'lm:readback', size: Math.max(16, total * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    let o = 0;
    for (const r of regions) {
      encoder.copyBufferToBuffer(r.src, r.at * 4, staging, o * 4, r.n * 4);
      o += r.n;
    }
    device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ);
      const data = new Float32Array(staging.getMappedRange(0, Math.max(16, total * 4)));
      const out = {} as Record<LmSite, Float32Array>;
      o = 0;
      for (const r of regions) {
        out[r.site] = data.slice(o, o + r.n);
        o += r.n;
      }
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
      for (const p of params) p.destroy();
    }
  }

  /** Runs calls one after another: they share the activation buffers. */
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = queue.then(f, f);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    forwardSequence(tokens, opts) {
      if (tokens.length > seqLen) return Promise.reject(new InputError(`tokens: expected at most seqLen ${seqLen} (the model's context), got ${tokens.length}`));
      const rowPos = Int32Array.from({ length: tokens.length }, (_, i) => i);
      return serial(() => run(tokens, rowPos, opts.sites));
    },
    forwardRows(tokens, rowPos, opts) {
      return serial(() => run(tokens, rowPos, opts.sites));
    },
    destroy() {
      destroyed = true;
      if (bufs) for (const buf of Object.values(bufs)) buf.destroy();
      bufs = null;
      weights.destroy();
      rope.destroy();
    },
  };
}

export interface GpuActivationOptions extends ActivationOptions {
  /** Rows (tokens, BOS included) per GPU run: whole contexts are packed up to this many (default 4096). */
  rowsPerRun?: number;
  /** See LmGpuOptions. */
  maxPerDim?: number;
}

/**
 * collectActivations (src/core/lm/activations.ts) on WebGPU: the same contexts (buildContexts), rows, tokens,
 * context and position bookkeeping and documents; x from the GPU forward pass, several contexts per run.
 * returns: LmActivations with x [rows, dIn]
 */
export async function collectActivationsGpu(device: GPUDevice, model: LmModel, text: string, options: GpuActivationOptions): Promise<LmActivations> {
  const { site, width: dIn } = parseSite(options.site, model.config);
  const contextTokens = options.contextTokens ?? DEFAULT_CONTEXT_TOKENS;
  const contexts = buildContexts(model, text, contextTokens, options.split ?? 'blank-lines', options.maxTokens ?? Infinity);
  const dropBos = options.dropBos ?? false;
  const rowsPerRun = options.rowsPerRun ?? 4096;
  if (!(Number.isInteger(rowsPerRun) && rowsPerRun >= contextTokens)) {
    throw new InputError(`rowsPerRun: expected an integer ≥ contextTokens ${contextTokens} (a run holds whole contexts), got ${rowsPerRun}`);
  }
  let rows = 0, textTokens = 0;
  for (const ctx of contexts) {
    rows += ctx.tokens.length - (dropBos ? 1 : 0);
    textTokens += ctx.tokens.length - 1;
  }
  const x = new Float32Array(rows * dIn);
  const tokens = new Int32Array(rows);
  const context = new Int32Array(rows);
  const position = new Int32Array(rows);
  const lm = await createLmGpu(device, model, { maxPerDim: options.maxPerDim });
  try {
    let row = 0, done = 0;
    for (let first = 0; first < contexts.length; ) {
      // Pack whole contexts [first, end) into one run of at most rowsPerRun rows.
      let end = first, n = 0;
      while (end < contexts.length && n + contexts[end].tokens.length <= rowsPerRun) n += contexts[end++].tokens.length;
      const runTokens = new Int32Array(n);
      const runPos = new Int32Array(n);
      let at = 0;
      for (let ci = first; ci < end; ci++) {
        const t = contexts[ci].tokens;
        runTokens.set(t, at);
        for (let p = 0; p < t.length; p++) runPos[at + p] = p;
        at += t.length;
      }
      const got = (await lm.forwardRows(runTokens, runPos, { sites: [site] }))[site]; // [n, dIn]
      at = 0;
      for (let ci = first; ci < end; ci++) {
        const t = contexts[ci].tokens;
        for (let p = dropBos ? 1 : 0; p < t.length; p++) {
          x.set(got.subarray((at + p) * dIn, (at + p + 1) * dIn), row * dIn);
          tokens[row] = t[p];
          context[row] = ci;
          position[row] = p;
          row++;
        }
        at += t.length;
        done += t.length - 1;
        options.onProgress?.(done, textTokens);
      }
      first = end;
    }
  } finally {
    lm.destroy();
  }
  const documents = contexts.length > 0 ? contexts[contexts.length - 1].doc + 1 : 0;
  return { site, rows, dIn, x, tokens, context, position, contexts, documents };
}
