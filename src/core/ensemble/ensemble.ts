// Ensembles of SAEs (Gadgil, Lin, Lee, "Ensembling Sparse Autoencoders"; seed-papers.md §2.2–2.7):
// naive bagging and boosting reconstructions, the concatenated view of an ensemble (Prop. 3.1) and the
// ensemble metrics (MSE, explained variance, aggregate L0, diversity, connectivity, stability, shared
// fraction, MCC). This is the CPU reference every engine/app/CLI number is checked against.
// Imports only src/core: no DOM, WebGPU, Node, engine or app modules.
//
// Legend: J = members, dIn = input width, dSae_j = latents of member j, M = Σ_j dSae_j, rows = tokens.
// Every member works in RAW input units through its input scale s_j (boosting.ts):
//   g_j(x) = x̂'_j(s_j·x) / s_j,   c⁽ʲ⁾ = encode_j(s_j·x)     (codes in the member's own scale)
// so g_j(x) = (1/s_j)·(c⁽ʲ⁾·D⁽ʲ⁾ + b⁽ʲ⁾_dec) with D⁽ʲ⁾ = wDec_j [dSae_j, dIn].

import { stageReconstruction } from './boosting.ts';
import { InputError } from '../errors.ts';
import { maxWeightMatching } from '../math/hungarian.ts';
import { reconstructionMetrics } from '../sae/metrics.ts';
import { featureRecovery } from '../sae/recovery.ts';
import { decode, encode, scaleInput } from '../sae/sae.ts';
import type { Dataset, Sae } from '../sae/types.ts';

/** bagging: α_j = 1/J, every member encodes x. boosting: α_j = 1, member j encodes the residual r⁽ʲ⁾. */
export type EnsembleMethod = 'bagging' | 'boosting';

/**
 * How a run's SAEs make one model, as runs, files, the app and the CLI name it: 'single' (one SAE),
 * 'bagging' and 'boosting' (combined by EnsembleMethod), 'expanded' (one SAE of J·dSae latents, the baseline).
 */
export const ENSEMBLE_METHOD_NAMES = ['single', 'bagging', 'boosting', 'expanded'] as const;
export type EnsembleMethodName = (typeof ENSEMBLE_METHOD_NAMES)[number];

/** How a named method's SAEs combine: boosting sums stages; bagging averages; one SAE (single, expanded) is J' = 1 of either. */
export const combinationOf = (m: EnsembleMethodName): EnsembleMethod => (m === 'boosting' ? 'boosting' : 'bagging');

/** Diversity's cosine threshold τ (§2.7). */
export const DIVERSITY_TAU = 0.7;

function checkMembers(what: string, members: readonly Sae[], dIn?: number): number {
  if (members.length === 0) throw new InputError(`${what}: members: expected at least one SAE, got 0`);
  const n = dIn ?? members[0].dIn;
  members.forEach((m, j) => {
    if (m.dIn !== n) throw new InputError(`${what}: member ${j}: dIn ${m.dIn} does not match dIn ${n}`);
    if (!(Number.isFinite(m.inputScale) && m.inputScale > 0)) {
      throw new InputError(`${what}: member ${j}: inputScale ${m.inputScale} must be a finite number > 0`);
    }
  });
  return n;
}

function checkX(what: string, x: Float32Array, rows: number, dIn: number): void {
  if (!Number.isInteger(rows) || rows < 0) throw new InputError(`${what}: rows: expected an integer ≥ 0, got ${rows}`);
  if (x.length !== rows * dIn) throw new InputError(`${what}: x: expected length rows·dIn = ${rows}·${dIn} = ${rows * dIn}, got ${x.length}`);
}

/** Ensemble weight α_j of every member: 1/J for bagging, 1 for boosting (§2.3, §2.4). */
export function memberWeight(method: EnsembleMethod, members: number): number {
  return method === 'bagging' ? 1 / members : 1;
}

// ---------------------------------------------------------------------------------------------
// Reconstruction and codes

/**
 * The ensemble's reconstruction, raw units. x: [rows, dIn] → x̂: [rows, dIn].
 *   bagging (§2.3):  x̂ = (1/J) Σ_j g_j(x)
 *   boosting (§2.4): x̂ = Σ_j g_j(r⁽ʲ⁾),  r⁽¹⁾ = x,  r⁽ʲ⁺¹⁾ = r⁽ʲ⁾ − g_j(r⁽ʲ⁾)   (so x − x̂ = r⁽ᴶ⁺¹⁾)
 * Sums in f64, rounded once.
 */
export function ensembleReconstruct(method: EnsembleMethod, members: readonly Sae[], x: Float32Array, rows: number): Float32Array {
  const dIn = checkMembers('ensemble reconstruction', members);
  checkX('ensemble reconstruction', x, rows, dIn);
  const acc = new Float64Array(rows * dIn); // [rows, dIn]
  if (method === 'bagging') {
    for (const m of members) {
      const g = stageReconstruction(m, x, rows);
      for (let i = 0; i < acc.length; i++) acc[i] += g[i];
    }
    for (let i = 0; i < acc.length; i++) acc[i] /= members.length;
  } else {
    const r = x.slice(); // [rows, dIn] r⁽ʲ⁾
    for (const m of members) {
      const g = stageReconstruction(m, r, rows);
      for (let i = 0; i < acc.length; i++) {
        acc[i] += g[i];
        r[i] = r[i] - g[i];
      }
    }
  }
  return Float32Array.from(acc);
}

/**
 * The concatenated (unscaled) codes c = [c⁽¹⁾; …; c⁽ᴶ⁾]: [rows, M], member j at columns offsets[j] ..
 * offsets[j] + dSae_j. bagging: c⁽ʲ⁾ = encode_j(s_j·x); boosting: c⁽ʲ⁾ = encode_j(s_j·r⁽ʲ⁾) — the
 * sequential encoder of §2.4. Multiply by ConcatenatedView.codeScale to get the paper's coefficients.
 */
export function ensembleCodes(method: EnsembleMethod, members: readonly Sae[], x: Float32Array, rows: number): Float32Array {
  const dIn = checkMembers('ensemble codes', members);
  checkX('ensemble codes', x, rows, dIn);
  const offsets = memberOffsets(members);
  const total = offsets[members.length];
  const codes = new Float32Array(rows * total); // [rows, M]
  let r = x.slice(); // [rows, dIn] input of the current member (x for bagging, r⁽ʲ⁾ for boosting)
  members.forEach((m, j) => {
    const input = method === 'bagging' ? x : r;
    const xs = m.inputScale === 1 ? input : scaleInput(input, m.inputScale); // [rows, dIn]
    const { f } = encode(m, xs, rows); // [rows, dSae_j]
    for (let t = 0; t < rows; t++) codes.set(f.subarray(t * m.dSae, (t + 1) * m.dSae), t * total + offsets[j]);
    if (method === 'boosting' && j < members.length - 1) {
      // r⁽ʲ⁺¹⁾ = r⁽ʲ⁾ − g_j(r⁽ʲ⁾), g_j = decode(c⁽ʲ⁾)/s_j: the same f32 values stageReconstruction gives.
      const xHatScaled = decode(m, f, rows); // [rows, dIn]
      const next = new Float32Array(r.length);
      for (let i = 0; i < r.length; i++) next[i] = r[i] - xHatScaled[i] / m.inputScale;
      r = next;
    }
  });
  return codes;
}

function memberOffsets(members: readonly Sae[]): number[] {
  const offsets = [0];
  for (const m of members) offsets.push(offsets[offsets.length - 1] + m.dSae);
  return offsets;
}

// ---------------------------------------------------------------------------------------------
// The concatenated view (Prop. 3.1)

/**
 * An ensemble as one SAE (Prop. 3.1, §2.2): g_Ens(x) = Σ_j α_j g_j(x) = D·c̃ + b, with
 *   D = [D⁽¹⁾ … D⁽ᴶ⁾]            dictionary [M, dIn], the members' decoder rows unchanged (Remark 3.2:
 *                                 weights go into the coefficients, so unit rows stay unit)
 *   c̃ = codeScale ⊙ c             c = ensembleCodes (unscaled); codeScale_i = α_j / s_j for i in member j
 *   b = Σ_j α_j b⁽ʲ⁾_dec / s_j     combined bias [dIn]; bagging: the MEAN of the bDec (s = 1), boosting: the sum
 * α_j = 1/J (bagging) or 1 (boosting); s_j = member j's inputScale (1 when scaling is off).
 */
export interface ConcatenatedView {
  method: EnsembleMethod;
  dIn: number;
  /** M = Σ_j dSae_j (J·dSae for equal members). */
  latents: number;
  dictionary: Float32Array; // [M, dIn]
  /** Per latent factor α_j / s_j applied to the unscaled code. */
  codeScale: Float32Array; // [M]
  /** Σ_j α_j bDec_j / s_j. */
  bias: Float32Array; // [dIn]
  /** Member j owns latents offsets[j] .. offsets[j+1] − 1. */
  offsets: number[]; // [J + 1]
  /** Which member each latent comes from. */
  member: Int32Array; // [M]
}

/** The concatenated view of an ensemble; see ConcatenatedView. */
export function concatenatedView(method: EnsembleMethod, members: readonly Sae[]): ConcatenatedView {
  const dIn = checkMembers('concatenated view', members);
  const offsets = memberOffsets(members);
  const latents = offsets[members.length];
  const alpha = memberWeight(method, members.length);
  const dictionary = new Float32Array(latents * dIn); // [M, dIn]
  const codeScale = new Float32Array(latents); // [M]
  const member = new Int32Array(latents); // [M]
  const bias = new Float64Array(dIn); // [dIn]
  members.forEach((m, j) => {
    dictionary.set(m.wDec, offsets[j] * dIn);
    codeScale.fill(alpha / m.inputScale, offsets[j], offsets[j + 1]);
    member.fill(j, offsets[j], offsets[j + 1]);
    for (let d = 0; d < dIn; d++) bias[d] += (alpha * m.bDec[d]) / m.inputScale;
  });
  return { method, dIn, latents, dictionary, codeScale, bias: Float32Array.from(bias), offsets, member };
}

/** The concatenated SAE's decoder: x̂_t = Σ_i codeScale_i·c_{t,i}·D_i + b. codes: [rows, M] → [rows, dIn]. f64 sums. */
export function concatenatedDecode(view: ConcatenatedView, codes: Float32Array, rows: number): Float32Array {
  const { dIn, latents: n, dictionary, codeScale, bias } = view;
  checkX('concatenated decode: codes', codes, rows, n);
  const out = new Float32Array(rows * dIn); // [rows, dIn]
  const acc = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) {
    for (let d = 0; d < dIn; d++) acc[d] = bias[d];
    for (let i = 0; i < n; i++) {
      const c = codes[t * n + i];
      if (c === 0) continue;
      const a = codeScale[i] * c;
      for (let d = 0; d < dIn; d++) acc[d] += a * dictionary[i * dIn + d];
    }
    for (let d = 0; d < dIn; d++) out[t * dIn + d] = acc[d];
  }
  return out;
}

/**
 * Prop. 3.1, checked numerically: max_{t,d} |g_Ens(x)_{t,d} − (D·c̃_t + b)_d| between ensembleReconstruct
 * and concatenatedDecode(ensembleCodes). Agreement to f32 rounding (a few ulps of the values) is the proof.
 * x: [rows, dIn].
 */
export function proposition31Gap(method: EnsembleMethod, members: readonly Sae[], x: Float32Array, rows: number): number {
  const direct = ensembleReconstruct(method, members, x, rows);
  const view = concatenatedView(method, members);
  const viaView = concatenatedDecode(view, ensembleCodes(method, members, x, rows), rows);
  let gap = 0;
  for (let i = 0; i < direct.length; i++) gap = Math.max(gap, Math.abs(direct[i] - viaView[i]));
  return gap;
}

// ---------------------------------------------------------------------------------------------
// Cosines

function norms(w: Float32Array, n: number, dIn: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += w[i * dIn + d] * w[i * dIn + d];
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** Signed cos(a_i, b_j) in f64, 0 when either row has zero norm. */
function cosine(a: Float32Array, i: number, na: number, b: Float32Array, j: number, nb: number, dIn: number): number {
  if (na === 0 || nb === 0) return 0;
  let dot = 0;
  for (let d = 0; d < dIn; d++) dot += a[i * dIn + d] * b[j * dIn + d];
  return dot / (na * nb);
}

/**
 * best[i] = max_{j (≠ i when same)} signed cos(a_i, b_j); −∞ when there is no candidate.
 * a: [nA, dIn], b: [nB, dIn] → [nA].
 */
function maxSignedCosine(a: Float32Array, nA: number, b: Float32Array, nB: number, dIn: number, same: boolean): Float64Array {
  const normA = norms(a, nA, dIn);
  const normB = same ? normA : norms(b, nB, dIn);
  const best = new Float64Array(nA).fill(-Infinity); // [nA]
  for (let i = 0; i < nA; i++) {
    for (let j = 0; j < nB; j++) {
      if (same && i === j) continue;
      const c = cosine(a, i, normA[i], b, j, normB[j], dIn);
      if (c > best[i]) best[i] = c;
    }
  }
  return best;
}

function rowsOf(what: string, w: Float32Array, dIn: number): number {
  if (!Number.isInteger(dIn) || dIn < 1) throw new InputError(`${what}: dIn: expected an integer ≥ 1, got ${dIn}`);
  if (w.length === 0 || w.length % dIn !== 0) throw new InputError(`${what}: expected a non-empty [rows, dIn = ${dIn}] array, got length ${w.length}`);
  return w.length / dIn;
}

// ---------------------------------------------------------------------------------------------
// Metrics

export interface EnsembleMetrics {
  /** MSE (§2.7): (1/T) Σ_t ‖x_t − x̂_t‖² — sum over dims, mean over tokens. */
  msePerToken: number;
  /** Pooled EV: 1 − Σ_t‖x_t − x̂_t‖² / Σ_t‖x_t − μ‖², μ = mean of the eval rows. */
  explainedVariance: number;
  /** The paper's EV (§2.7): (1/n) Σ_d [1 − Σ_t(x − x̂)²_{t,d} / Σ_t(x − μ)²_{t,d}] over dims with non-zero variance. */
  explainedVariancePerDim: number;
  /** Aggregate L0 (§2.3, §2.7): (1/T) Σ_t #{i ≤ M : c_{t,i} > 0} = Σ_j L0_j over the concatenated code. */
  l0: number;
  /** Diversity (§2.7, v1): count = #{i : max_{i'≠i} cos(f̃_i, f̃_{i'}) < 0.7} over the M dictionary rows (signed cos); fraction = count / M. */
  diversity: { count: number; fraction: number };
  /** Connectivity (§2.7, v2): 1 − nnz(C)/M², C = Σ_t c_t c_tᵀ over the concatenated codes (pairs that never co-fire, diagonal included). */
  connectivity: number;
  /** MCC against ground truth (Hungarian on |cos| between the M dictionary rows and the true features), when data.truth is given. */
  mcc?: number;
}

/**
 * All metrics of an ensemble on `data` (raw units; held-out rows). See EnsembleMetrics for each formula.
 * J = 1 gives the single SAE's metrics (both methods reduce to g_1).
 */
export function evaluateEnsemble(method: EnsembleMethod, members: readonly Sae[], data: Dataset): EnsembleMetrics {
  const { rows, dIn, x } = data;
  checkMembers('evaluate ensemble', members, dIn);
  checkX('evaluate ensemble', x, rows, dIn);
  const xHat = ensembleReconstruct(method, members, x, rows);
  const recon = reconstructionMetrics(x, xHat, rows, dIn);
  const view = concatenatedView(method, members);
  const codes = ensembleCodes(method, members, x, rows); // [rows, M]
  const out: EnsembleMetrics = {
    msePerToken: recon.msePerToken,
    explainedVariance: recon.explainedVariance,
    explainedVariancePerDim: recon.explainedVariancePerDim,
    l0: aggregateL0(codes, rows, view.latents),
    diversity: diversity(view.dictionary, dIn),
    connectivity: connectivity(codes, rows, view.latents),
  };
  if (data.truth) out.mcc = featureRecovery(view.dictionary, view.latents, data.truth, dIn).mcc;
  return out;
}

/** One point of a metric-vs-J curve: the first J' SAEs (for one SAE: reported at its J), their latents, their metrics. */
export interface MetricsAtJ {
  members: number;
  latents: number;
  metrics: EnsembleMetrics;
}

/**
 * The metric-vs-J curve of a run's SAEs (§2.7): evaluateEnsemble of the first J' for J' = 1..saes.length;
 * 'single' and 'expanded' hold one SAE, reported once at J = `members` (expanded: the latent multiplier).
 */
export function metricsPerJ(method: EnsembleMethodName, members: number, saes: readonly Sae[], data: Dataset): MetricsAtJ[] {
  const one = method === 'single' || method === 'expanded';
  const sizes = one ? [1] : saes.map((_, j) => j + 1);
  return sizes.map((k) => {
    const first = saes.slice(0, k);
    return { members: one ? members : k, latents: first.reduce((a, s) => a + s.dSae, 0), metrics: evaluateEnsemble(combinationOf(method), first, data) };
  });
}

/** Aggregate L0: (1/T) Σ_t #{i : c_{t,i} > 0}. codes: [rows, M]. 0 for no rows. */
export function aggregateL0(codes: Float32Array, rows: number, latents: number): number {
  checkX('aggregate L0', codes, rows, latents);
  let n = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] > 0) n++;
  return rows === 0 ? 0 : n / rows;
}

/**
 * Diversity (§2.7): count = #{i : max_{i'≠i} ⟨f̃_i, f̃_{i'}⟩ < τ}, τ = 0.7, signed cosine of the unit-normalised
 * rows of the concatenated dictionary (near-duplicates in the same member count too); a zero row has
 * cosine 0 with everything; M = 1 counts its feature as diverse. fraction = count / M. dictionary: [M, dIn].
 */
export function diversity(dictionary: Float32Array, dIn: number, tau = DIVERSITY_TAU): { count: number; fraction: number } {
  const m = rowsOf('diversity', dictionary, dIn);
  const best = maxSignedCosine(dictionary, m, dictionary, m, dIn, true);
  let count = 0;
  for (let i = 0; i < m; i++) if (best[i] < tau) count++;
  return { count, fraction: count / m };
}

/**
 * Connectivity (§2.7): 1 − nnz(C)/M², C = Σ_t c_t c_tᵀ. Codes are ≥ 0, so C_{ii'} ≠ 0 ⇔ latents i and i'
 * both fire (c > 0) on some token; the 1/J code scale does not matter. codes: [rows, M]. M² bits of memory.
 */
export function connectivity(codes: Float32Array, rows: number, latents: number): number {
  checkX('connectivity', codes, rows, latents);
  if (!Number.isInteger(latents) || latents < 1) throw new InputError(`connectivity: latents: expected an integer ≥ 1, got ${latents}`);
  const words = Math.ceil(latents / 32);
  const bits = new Uint32Array(latents * words); // [M, ⌈M/32⌉] bitset of C ≠ 0
  const active: number[] = [];
  for (let t = 0; t < rows; t++) {
    active.length = 0;
    for (let i = 0; i < latents; i++) if (codes[t * latents + i] > 0) active.push(i);
    for (const i of active) for (const k of active) bits[i * words + (k >>> 5)] |= 1 << (k & 31);
  }
  let nnz = 0;
  for (let w = 0; w < bits.length; w++) {
    let v = bits[w];
    while (v !== 0) {
      v &= v - 1;
      nnz++;
    }
  }
  return 1 - nnz / (latents * latents);
}

export interface Stability {
  /** Relaxed stability of each run r (§2.7): (1/M_r) Σ_i max_{r'≠r} max_{i'} ⟨f̃⁽ʳ⁾_i, f̃⁽ʳ'⁾_{i'}⟩ (signed). */
  relaxed: number[]; // [R]
  /** mean_r relaxed[r] — the paper's reported Stab. */
  mean: number;
  /**
   * Exact variant (Fel et al. 2025): mean over pairs r ≠ r' of (1/min(M_r, M_r')) Σ over the Hungarian
   * matching Π of ⟨f̃⁽ʳ⁾_i, f̃⁽ʳ'⁾_{Π(i)}⟩, Π maximising Σ signed cos — for unit rows this is the matching
   * of least Σ‖f̃ − f̃'‖² (squared L2 = 2 − 2cos), i.e. (1/M) max_Π tr(D⁽ʳ⁾ᵀ Π D⁽ʳ'⁾). The value of a pair
   * does not depend on its order, so each unordered pair is solved once.
   */
  exact: number;
}

/**
 * Stability across R ≥ 2 independently trained dictionaries (§2.7). runs[r]: [M_r, dIn] row-major — a
 * whole ensemble's concatenated dictionary, or one SAE's wDec; rows are normalised here.
 */
export function stability(runs: readonly Float32Array[], dIn: number): Stability {
  if (runs.length < 2) throw new InputError(`stability: runs: expected at least 2 dictionaries, got ${runs.length}`);
  const sizes = runs.map((w, r) => rowsOf(`stability: run ${r}`, w, dIn));
  const relaxed = runs.map((w, r) => {
    const best = new Float64Array(sizes[r]).fill(-Infinity);
    runs.forEach((other, q) => {
      if (q === r) return;
      const b = maxSignedCosine(w, sizes[r], other, sizes[q], dIn, false);
      for (let i = 0; i < best.length; i++) if (b[i] > best[i]) best[i] = b[i];
    });
    let s = 0;
    for (const v of best) s += v;
    return s / sizes[r];
  });
  let exactSum = 0;
  let pairs = 0;
  for (let r = 0; r < runs.length; r++) {
    for (let q = r + 1; q < runs.length; q++) {
      exactSum += matchedSignedCosine(runs[r], sizes[r], runs[q], sizes[q], dIn);
      pairs++;
    }
  }
  return { relaxed, mean: relaxed.reduce((a, b) => a + b, 0) / runs.length, exact: exactSum / pairs };
}

/** (1/min(nA, nB)) max over one-to-one matchings of Σ signed cos(a_i, b_Π(i)). a: [nA, dIn], b: [nB, dIn]. */
function matchedSignedCosine(a: Float32Array, nA: number, b: Float32Array, nB: number, dIn: number): number {
  const normA = norms(a, nA, dIn);
  const normB = norms(b, nB, dIn);
  const sim = new Float64Array(nA * nB); // [nA, nB]
  for (let i = 0; i < nA; i++) for (let j = 0; j < nB; j++) sim[i * nB + j] = cosine(a, i, normA[i], b, j, normB[j], dIn);
  const match = maxWeightMatching(sim, nA, nB);
  let total = 0;
  for (let i = 0; i < nA; i++) if (match[i] >= 0) total += sim[i * nB + match[i]];
  return total / Math.min(nA, nB);
}

/**
 * Shared fraction against a cosine threshold (the complement of §2.7's "features found only in the base
 * SAE"): for each τ, (1/M_a) #{i : max_{i'} ⟨f̃ᵃ_i, f̃ᵇ_{i'}⟩ ≥ τ}, signed cosine — the fraction of A's
 * features that B also has at cosine ≥ τ. a: [M_a, dIn], b: [M_b, dIn] → [thresholds.length].
 */
export function sharedFractionCurve(a: Float32Array, b: Float32Array, dIn: number, thresholds: readonly number[]): number[] {
  const nA = rowsOf('shared fraction: a', a, dIn);
  const nB = rowsOf('shared fraction: b', b, dIn);
  const best = maxSignedCosine(a, nA, b, nB, dIn, false);
  return thresholds.map((tau) => {
    let n = 0;
    for (const v of best) if (v >= tau) n++;
    return n / nA;
  });
}
