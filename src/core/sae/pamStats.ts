// PAM-SGD's decoder block on the CPU, in f64 (SplInterp §3.6; reference/seed-papers.md): the sufficient statistics
// streamed from sparse TopK codes in chunks, the system A X = B they define, and the closed-form decoder bias.
// The specification of shaders/pamGram.wgsl (with weightGrad.wgsl for H and Σz) and shaders/pamSystem.wgsl; a CPU
// trainer uses it as it is, with an f64 Cholesky for the solve. Imports nothing outside src/core.
//
// Shapes (one member, m = dSae latents, codes as topk writes them with M = 1):
//   idx, val [rows, k] (idx ≥ dSae = empty slot, e.g. EMPTY_SLOT)   x [rows, dIn]
//   G [dSae, dSae] = Σ z zᵀ    H [dSae, dIn] = Σ z xᵀ (latent-major, like wDec)    sz [dSae] = Σ z    sx [dIn] = Σ x

/** Running sums over every row streamed so far (f64). */
export interface PamStats {
  dSae: number;
  dIn: number;
  /** Rows accumulated (N of the paper). */
  rows: number;
  G: Float64Array;
  H: Float64Array;
  sz: Float64Array;
  sx: Float64Array;
}

export function createPamStats(dSae: number, dIn: number): PamStats {
  for (const [name, v] of [['dSae', dSae], ['dIn', dIn]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`createPamStats: ${name} = ${v} must be a positive integer`);
  }
  return { dSae, dIn, rows: 0, G: new Float64Array(dSae * dSae), H: new Float64Array(dSae * dIn), sz: new Float64Array(dSae), sx: new Float64Array(dIn) };
}

/** One chunk of codes and inputs: idx, val [rows, k]; x [rows, dIn]. */
export interface PamChunk {
  rows: number;
  k: number;
  idx: Uint32Array;
  val: Float32Array;
  x: Float32Array;
}

/**
 * Twin of shaders/pamGram.wgsl (gram, sumX) and of weightGrad.wgsl as pam.ts runs it (H, Σz): adds the chunk's
 * Σ z zᵀ, Σ z xᵀ, Σ z, Σ x to `stats` in f64. Latents of one row are distinct (TopK); empty slots are skipped.
 */
export function accumulatePamStats(stats: PamStats, c: PamChunk): void {
  const { dSae, dIn, G, H, sz, sx } = stats;
  const { rows, k, idx, val, x } = c;
  if (idx.length < rows * k || val.length < rows * k) throw new Error(`accumulatePamStats: idx/val hold ${idx.length}/${val.length} slots, need rows·k = ${rows}·${k}`);
  if (x.length < rows * dIn) throw new Error(`accumulatePamStats: x holds ${x.length} values, need rows·dIn = ${rows}·${dIn}`);
  for (let b = 0; b < rows; b++) {
    const xr = b * dIn;
    for (let s = 0; s < k; s++) {
      const i = idx[b * k + s];
      if (i >= dSae) continue;
      const vi = val[b * k + s];
      sz[i] += vi;
      for (let t = 0; t < k; t++) {
        const c2 = idx[b * k + t];
        if (c2 < dSae) G[i * dSae + c2] += vi * val[b * k + t];
      }
      for (let d = 0; d < dIn; d++) H[i * dIn + d] += vi * x[xr + d];
    }
    for (let d = 0; d < dIn; d++) sx[d] += x[xr + d];
  }
  stats.rows += rows;
}

/** The decoder block's settings (seed-papers.md §3.6 names): ridge α (alpha_w), bias decay β (beta_b), proximal μ, ν (mu_dec, nu_dec). */
export interface PamDecoderOptions {
  alpha: number;
  beta: number;
  mu: number;
  nu: number;
}

/** The scalars pamSystem.wgsl's Params carry, from N rows and the options. */
export function pamSystemScalars(rows: number, o: PamDecoderOptions): { ridge: number; gn: number; invDen: number } {
  if (!(rows > 0)) throw new Error(`PAM decoder solve: ${rows} rows accumulated; stream at least one row first`);
  for (const key of ['alpha', 'beta', 'mu', 'nu'] as const) {
    if (!(o[key] >= 0)) throw new Error(`PAM decoder solve: ${key} = ${o[key]} must be ≥ 0`);
  }
  const gamma = rows / (rows + o.beta + o.nu);
  return { ridge: o.alpha + o.mu, gn: gamma / rows, invDen: 1 / (rows + o.beta + o.nu) };
}

/**
 * Twin of shaders/pamSystem.wgsl (formA, formB): A = (α+μ)I + G − Nγ z̄z̄ᵀ [dSae, dSae] and
 * B = Cᵀ = μ·wDec + H − γ·sz (N x̄ + ν bDec)ᵀ/N [dSae, dIn], so that A·wDecNew = B (A symmetric).
 * wDec [dSae, dIn] and bDec [dIn] are the previous decoder (Dᵗ latent-major, bᵗ).
 */
export function formPamSystem(stats: PamStats, wDec: ArrayLike<number>, bDec: ArrayLike<number>, o: PamDecoderOptions): { A: Float64Array; B: Float64Array } {
  const { dSae: m, dIn, G, H, sz, sx } = stats;
  const { ridge, gn } = pamSystemScalars(stats.rows, o);
  const A = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) A[i * m + j] = G[i * m + j] - gn * sz[i] * sz[j] + (i === j ? ridge : 0);
  }
  const B = new Float64Array(m * dIn);
  for (let i = 0; i < m; i++) {
    for (let d = 0; d < dIn; d++) B[i * dIn + d] = o.mu * wDec[i * dIn + d] + H[i * dIn + d] - gn * (sx[d] + o.nu * bDec[d]) * sz[i];
  }
  return { A, B };
}

/** Twin of pamSystem.wgsl:bDecSolve: b = (ν bᵗ + Σx − wDecNewᵀ Σz)/(N + β + ν) [dIn], wDecNew [dSae, dIn] the solved decoder. */
export function pamBDec(stats: PamStats, wDecNew: ArrayLike<number>, bDecPrev: ArrayLike<number>, o: PamDecoderOptions): Float64Array {
  const { dSae: m, dIn, sz, sx } = stats;
  const { invDen } = pamSystemScalars(stats.rows, o);
  const out = new Float64Array(dIn);
  for (let d = 0; d < dIn; d++) {
    let dz = 0;
    for (let i = 0; i < m; i++) dz += wDecNew[i * dIn + d] * sz[i];
    out[d] = (o.nu * bDecPrev[d] + sx[d] - dz) * invDen;
  }
  return out;
}
