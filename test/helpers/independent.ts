// An independent re-implementation of what `sae-workbench ensemble` reports, for acceptance tests:
// a hand-written .npy writer, its own safetensors + SAELens cfg.json reader, the SAELens v6 forward pass
// (topk / standard / jumprelu) in f64, bagging and boosting reconstructions, and the ensemble metrics of
// seed-papers.md §2.7 (MSE, pooled and per-dim EV, aggregate L0, diversity, connectivity, relaxed and
// exact stability, PW-MCC) with its own Hungarian. Written from the paper's definitions, not the code.
// Must NOT import anything from src/ (that is the point: an independent implementation) — only node:*.
// Errors are plain Error: InputError lives in src/core.
//
// Legend: rows = tokens T, dIn = input width n, dSae = latents of one member, M = Σ dSae over members.
// Arrays are f64 row-major; SAELens orientation at the file boundary: W_enc [dIn, dSae], W_dec [dSae, dIn].

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// ---------------------------------------------------------------------------------------------
// Files

/** Writes a C-order little-endian f32 .npy v1.0 by hand (NumPy format spec: header padded so data starts at a multiple of 64). data: [rows, cols]. */
export function writeNpyF32(path: string, rows: number, cols: number, data: ArrayLike<number>): void {
  if (data.length !== rows * cols) throw new Error(`writeNpyF32: data: expected rows·cols = ${rows}·${cols} = ${rows * cols} values, got ${data.length}`);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const bytes = new Uint8Array(10 + header.length + 4 * data.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]); // \x93NUMPY, version 1.0
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < data.length; i++) view.setFloat32(10 + header.length + 4 * i, data[i], true);
  writeFileSync(path, bytes);
}

export interface F32Tensor {
  shape: number[];
  data: Float64Array; // the f32 values, widened exactly
}

/** Parses a safetensors file of F32 tensors: u64 LE header length, JSON header, contiguous little-endian payload. */
export function readSafetensorsF32(bytes: Uint8Array, what: string): Record<string, F32Tensor> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${what}: header length ${n} runs past the file (${bytes.length} bytes)`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out: Record<string, F32Tensor> = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (t.dtype !== 'F32') throw new Error(`${what}: ${name}: dtype: expected F32, got ${t.dtype}`);
    const [s, e] = t.data_offsets;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (e - s !== 4 * count || 8 + n + e > bytes.length) throw new Error(`${what}: ${name}: offsets ${s}..${e} do not hold shape [${t.shape}] of f32`);
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(8 + n + s + 4 * i, true);
    out[name] = { shape: t.shape, data };
  }
  return out;
}

/** One SAE as SAELens v6 stores it. */
export interface SaeLensMember {
  architecture: 'topk' | 'standard' | 'jumprelu';
  dIn: number;
  dSae: number;
  /** TopK only; null otherwise. */
  k: number | null;
  wEnc: Float64Array; // [dIn, dSae]
  bEnc: Float64Array; // [dSae]
  wDec: Float64Array; // [dSae, dIn]
  bDec: Float64Array; // [dIn]
  threshold: Float64Array | null; // [dSae], jumprelu only
  /** cfg.json as parsed (metadata included). */
  cfg: Record<string, unknown>;
}

/** Reads DIR/cfg.json + DIR/sae_weights.safetensors, checking the SAELens v6 rules we rely on (exact key set, shapes, no activation normalisation). */
export function readSaeLensFolder(dir: string): SaeLensMember {
  const cfg = JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8')) as Record<string, unknown>;
  const architecture = cfg.architecture;
  if (architecture !== 'topk' && architecture !== 'standard' && architecture !== 'jumprelu') throw new Error(`${dir}: architecture ${String(architecture)} is not topk/standard/jumprelu`);
  if (cfg.apply_b_dec_to_input !== true || cfg.normalize_activations !== 'none' || cfg.dtype !== 'float32') {
    throw new Error(`${dir}: expected apply_b_dec_to_input true, normalize_activations "none", dtype "float32"`);
  }
  const dIn = cfg.d_in as number;
  const dSae = cfg.d_sae as number;
  const w = readSafetensorsF32(new Uint8Array(readFileSync(join(dir, 'sae_weights.safetensors'))), `${dir}/sae_weights.safetensors`);
  const shapes: Record<string, number[]> = { W_enc: [dIn, dSae], b_enc: [dSae], W_dec: [dSae, dIn], b_dec: [dIn] };
  if (architecture === 'jumprelu') shapes.threshold = [dSae];
  const keys = Object.keys(w).sort();
  if (keys.join() !== Object.keys(shapes).sort().join()) throw new Error(`${dir}: tensors ${keys.join(', ')}: expected exactly ${Object.keys(shapes).sort().join(', ')}`);
  for (const [name, shape] of Object.entries(shapes)) {
    if (w[name].shape.join() !== shape.join()) throw new Error(`${dir}: ${name}: shape [${w[name].shape}], expected [${shape}]`);
  }
  return {
    architecture,
    dIn,
    dSae,
    k: architecture === 'topk' ? (cfg.k as number) : null,
    wEnc: w.W_enc.data,
    bEnc: w.b_enc.data,
    wDec: w.W_dec.data,
    bDec: w.b_dec.data,
    threshold: architecture === 'jumprelu' ? w.threshold.data : null,
    cfg,
  };
}

// ---------------------------------------------------------------------------------------------
// Forward pass

export interface Forward {
  codes: Float64Array; // [rows, dSae] f
  xHat: Float64Array; // [rows, dIn]
  /** Firing decisions within `eps` of flipping (TopK k-th/(k+1)-th gap, z vs 0 or θ): where the CLI's f32 and our f64 may legitimately disagree. */
  nearTies: number;
  /** Smallest decision margin seen (∞ when none): how far this run is from an ambiguous decision. */
  minMargin: number;
}

/**
 * SAELens v6 forward pass in f64: z = (x − b_dec)·W_enc + b_enc;
 *   topk:     keep the k largest z (ties to the lower index), then ReLU
 *   standard: ReLU(z)
 *   jumprelu: z·1[z > θ]                      (θ > 0, so this is ≥ 0)
 * x̂ = f·W_dec + b_dec. x: [rows, dIn]. A decision is "near" when its margin is < eps·(1 + |z|).
 */
export function forward(m: SaeLensMember, x: Float64Array, rows: number, eps: number): Forward {
  const { dIn, dSae, wEnc, bEnc, wDec, bDec } = m;
  if (x.length !== rows * dIn) throw new Error(`forward: x: expected rows·dIn = ${rows}·${dIn} values, got ${x.length}`);
  const codes = new Float64Array(rows * dSae);
  const xHat = new Float64Array(rows * dIn);
  const z = new Float64Array(dSae);
  let nearTies = 0;
  let minMargin = Infinity;
  const decide = (margin: number, scale: number): void => {
    minMargin = Math.min(minMargin, margin);
    if (margin < eps * (1 + Math.abs(scale))) nearTies++;
  };
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < dSae; i++) {
      let a = bEnc[i];
      for (let d = 0; d < dIn; d++) a += (x[t * dIn + d] - bDec[d]) * wEnc[d * dSae + i];
      z[i] = a;
    }
    const f = codes.subarray(t * dSae, (t + 1) * dSae);
    if (m.architecture === 'topk') {
      const k = m.k ?? 0;
      const order = Array.from({ length: dSae }, (_, i) => i).sort((a, b) => z[b] - z[a] || a - b);
      for (let j = 0; j < k; j++) {
        f[order[j]] = Math.max(0, z[order[j]]);
        decide(Math.abs(z[order[j]]), z[order[j]]);
      }
      if (k < dSae) decide(z[order[k - 1]] - z[order[k]], z[order[k - 1]]);
    } else {
      for (let i = 0; i < dSae; i++) {
        const theta = m.threshold ? m.threshold[i] : 0;
        if (z[i] > theta) f[i] = z[i];
        decide(Math.abs(z[i] - theta), z[i]);
      }
    }
    for (let d = 0; d < dIn; d++) xHat[t * dIn + d] = bDec[d];
    for (let i = 0; i < dSae; i++) {
      if (f[i] === 0) continue;
      for (let d = 0; d < dIn; d++) xHat[t * dIn + d] += f[i] * wDec[i * dIn + d];
    }
  }
  return { codes, xHat, nearTies, minMargin };
}

// ---------------------------------------------------------------------------------------------
// Ensemble metrics (§2.3, §2.4, §2.7)

export interface Recomputed {
  msePerToken: number;
  explainedVariance: number;
  explainedVariancePerDim: number;
  l0: number;
  diversity: { count: number; fraction: number };
  connectivity: number;
  /** Decoder rows whose best cosine is within 1e-6 of τ: diversity.count may differ by this many. */
  diversityNearTau: number;
  /** Firing decisions within float noise over all members (see Forward.nearTies). */
  nearTies: number;
  minMargin: number;
}

export const TAU = 0.7;

/**
 * bagging (§2.3):  x̂ = (1/J) Σ_j g_j(x), codes c⁽ʲ⁾ = f_j(x)
 * boosting (§2.4): x̂ = Σ_j g_j(r⁽ʲ⁾), r⁽¹⁾ = x, r⁽ʲ⁺¹⁾ = r⁽ʲ⁾ − g_j(r⁽ʲ⁾), codes c⁽ʲ⁾ = f_j(r⁽ʲ⁾)
 * then MSE = (1/T) Σ_t ‖x_t − x̂_t‖², pooled EV = 1 − Σ‖x − x̂‖²/Σ‖x − μ‖², per-dim EV = mean_d over
 * dims with variance, L0 = (1/T) Σ_t #{c_{t,i} > 0} over the concatenated code, diversity and
 * connectivity as below. x: [rows, dIn].
 */
export function ensembleMetrics(method: 'bagging' | 'boosting', members: readonly SaeLensMember[], x: Float64Array, rows: number, eps: number): Recomputed {
  const dIn = members[0].dIn;
  const M = members.reduce((a, m) => a + m.dSae, 0);
  const xHat = new Float64Array(rows * dIn);
  const codes = new Float64Array(rows * M); // [rows, M] concatenated
  let r = Float64Array.from(x); // the input of the current member
  let offset = 0;
  let nearTies = 0;
  let minMargin = Infinity;
  for (const m of members) {
    const g = forward(m, method === 'bagging' ? x : r, rows, eps);
    nearTies += g.nearTies;
    minMargin = Math.min(minMargin, g.minMargin);
    for (let t = 0; t < rows; t++) for (let i = 0; i < m.dSae; i++) codes[t * M + offset + i] = g.codes[t * m.dSae + i];
    offset += m.dSae;
    const w = method === 'bagging' ? 1 / members.length : 1;
    for (let i = 0; i < xHat.length; i++) xHat[i] += w * g.xHat[i];
    if (method === 'boosting') r = r.map((v, i) => v - g.xHat[i]);
  }
  const mu = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) mu[d] += x[t * dIn + d] / rows;
  const errD = new Float64Array(dIn);
  const varD = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) {
    for (let d = 0; d < dIn; d++) {
      errD[d] += (x[t * dIn + d] - xHat[t * dIn + d]) ** 2;
      varD[d] += (x[t * dIn + d] - mu[d]) ** 2;
    }
  }
  const sum = (a: Float64Array): number => a.reduce((p, q) => p + q, 0);
  let evSum = 0;
  let dims = 0;
  for (let d = 0; d < dIn; d++) {
    if (varD[d] === 0) continue;
    evSum += 1 - errD[d] / varD[d];
    dims++;
  }
  let fired = 0;
  for (const c of codes) if (c > 0) fired++;
  const dictionary = concatDictionary(members);
  const best = bestOtherCosine(dictionary, M, dIn);
  const count = best.filter((b) => b < TAU).length;
  return {
    msePerToken: sum(errD) / rows,
    explainedVariance: 1 - sum(errD) / sum(varD),
    explainedVariancePerDim: evSum / dims,
    l0: fired / rows,
    diversity: { count, fraction: count / M },
    connectivity: connectivity(codes, rows, M),
    diversityNearTau: best.filter((b) => Math.abs(b - TAU) < 1e-6).length,
    nearTies,
    minMargin,
  };
}

/** The members' W_dec rows stacked: [M, dIn]. */
export function concatDictionary(members: readonly SaeLensMember[]): Float64Array {
  const out: number[] = [];
  for (const m of members) out.push(...m.wDec);
  return Float64Array.from(out);
}

/** Signed cosine of rows i of a and j of b, 0 when either is the zero row. */
function cos(a: Float64Array, i: number, b: Float64Array, j: number, dIn: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < dIn; d++) {
    dot += a[i * dIn + d] * b[j * dIn + d];
    na += a[i * dIn + d] ** 2;
    nb += b[j * dIn + d] ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Signed cosine matrix: [nA, nB]. */
export function cosineMatrix(a: Float64Array, nA: number, b: Float64Array, nB: number, dIn: number): Float64Array {
  const out = new Float64Array(nA * nB);
  for (let i = 0; i < nA; i++) for (let j = 0; j < nB; j++) out[i * nB + j] = cos(a, i, b, j, dIn);
  return out;
}

/** Diversity's statistic: best[i] = max_{i' ≠ i} signed cos(row i, row i') of the concatenated dictionary (−∞ for M = 1). [M]. */
function bestOtherCosine(dictionary: Float64Array, M: number, dIn: number): number[] {
  return Array.from({ length: M }, (_, i) => {
    let b = -Infinity;
    for (let j = 0; j < M; j++) if (j !== i) b = Math.max(b, cos(dictionary, i, dictionary, j, dIn));
    return b;
  });
}

/** Connectivity (§2.7): 1 − nnz(C)/M², C = Σ_t c_t c_tᵀ; codes ≥ 0, so C_{ii'} ≠ 0 ⇔ i and i' fire together on some token. codes: [rows, M]. */
function connectivity(codes: Float64Array, rows: number, M: number): number {
  const co = new Uint8Array(M * M);
  for (let t = 0; t < rows; t++) {
    const on: number[] = [];
    for (let i = 0; i < M; i++) if (codes[t * M + i] > 0) on.push(i);
    for (const i of on) for (const j of on) co[i * M + j] = 1;
  }
  return 1 - co.reduce((a, b) => a + b, 0) / (M * M);
}

// ---------------------------------------------------------------------------------------------
// Matching across repeats

/**
 * Maximum-weight one-to-one assignment of n rows to m ≥ n columns: the classic O(n²m) Hungarian with
 * potentials (Kuhn–Munkres, shortest augmenting paths) on cost = −weight. weight: [n, m] → column of each row.
 */
export function maxAssignment(weight: Float64Array, n: number, m: number): number[] {
  if (n > m) throw new Error(`maxAssignment: expected rows ≤ columns, got ${n} > ${m}`);
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const rowOf = new Int32Array(m + 1); // rowOf[j] = 1-based row on column j, 0 = free
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    rowOf[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = rowOf[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = -weight[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[rowOf[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (rowOf[j0] !== 0);
    do {
      const j1 = way[j0];
      rowOf[j0] = rowOf[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const colOf = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (rowOf[j] > 0) colOf[rowOf[j] - 1] = j - 1;
  return colOf;
}

/** (1/min(nA, nB)) · max over one-to-one matchings of Σ weight(a_i, b_π(i)). weight: [nA, nB]. */
function matchedMean(weight: Float64Array, nA: number, nB: number): number {
  if (nA > nB) {
    const t = new Float64Array(nA * nB);
    for (let i = 0; i < nA; i++) for (let j = 0; j < nB; j++) t[j * nA + i] = weight[i * nB + j];
    return matchedMean(t, nB, nA);
  }
  const col = maxAssignment(weight, nA, nB);
  return col.reduce((s, j, i) => s + weight[i * nB + j], 0) / nA;
}

export interface Across {
  /** relaxed[r] = (1/M_r) Σ_i max_{r' ≠ r} max_{i'} signed cos(f⁽ʳ⁾_i, f⁽ʳ'⁾_{i'}). */
  relaxed: number[];
  mean: number;
  /** mean over unordered pairs of (1/min M) max_Π Σ signed cos (Fel et al. 2025). */
  exact: number;
  /** PW-MCC: mean over unordered pairs of (1/min M) max_Π Σ |cos| (Song et al. 2025). */
  pwMcc: number[];
}

/** Stability (§2.7) and PW-MCC across R ≥ 2 dictionaries. dicts[r]: [M_r, dIn]. */
export function acrossRepeats(dicts: readonly Float64Array[], dIn: number): Across {
  const sizes = dicts.map((w) => w.length / dIn);
  const relaxed = dicts.map((w, r) => {
    let s = 0;
    for (let i = 0; i < sizes[r]; i++) {
      let best = -Infinity;
      dicts.forEach((o, q) => {
        if (q !== r) for (let j = 0; j < sizes[q]; j++) best = Math.max(best, cos(w, i, o, j, dIn));
      });
      s += best;
    }
    return s / sizes[r];
  });
  const exact: number[] = [];
  const pwMcc: number[] = [];
  for (let r = 0; r < dicts.length; r++) {
    for (let q = r + 1; q < dicts.length; q++) {
      const c = cosineMatrix(dicts[r], sizes[r], dicts[q], sizes[q], dIn);
      exact.push(matchedMean(c, sizes[r], sizes[q]));
      pwMcc.push(matchedMean(c.map((v) => Math.min(1, Math.abs(v))), sizes[r], sizes[q]));
    }
  }
  const mean = (a: number[]): number => a.reduce((p, q) => p + q, 0) / a.length;
  return { relaxed, mean: mean(relaxed), exact: mean(exact), pwMcc };
}
