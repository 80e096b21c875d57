// The ensemble VIEWS (Gadgil, Lin, Lee, "Ensembling Sparse Autoencoders"; seed-papers.md §2.7 "Cross-member
// overlap and max cosine" and "Stability"): what the app and the CLI draw to compare what the members of an
// ensemble learned —
//   crossMemberCosines  the member-A × member-B cosine heatmap, Hungarian-reordered so matches run down the diagonal
//   matchedPairs        the same matching as a table of pairs
//   latentStability     each latent's best match in every other member and its per-latent stability score
//   uniqueFeatures      the latents no other member has (§2.7 `get_no_overlap`, τ = 0.6)
//   pcaMap              a 2-D PCA map of every member's decoder directions, coloured by member
// Everything is over decoder rows (feature directions) normalised here; cosines are SIGNED unless said, as
// in the paper's code (§2.7). A zero row has cosine 0 with everything (as in ensemble.ts). Results are
// typed arrays, numbers and plain objects only, so they survive structuredClone (Comlink to the UI).
// Imports only src/core: no DOM, WebGPU, Node, engine or app modules. Does not touch ensemble.ts's internals.
//
// Legend: J = members, dIn = input width, dSae_j = latents of member j, M = Σ_j dSae_j. A member's
// dictionary is its wDec: [dSae_j, dIn] row-major, one row per latent (types.ts).

import { InputError, assertFinite } from '../errors.ts';
import { maxWeightMatching } from '../math/hungarian.ts';
import { createRng } from '../math/random.ts';

/** §2.7 `get_no_overlap`: a latent whose best cosine with every other member is ≤ 0.6 is "found only" in its member. */
export const UNIQUE_TAU = 0.6;

// ---------------------------------------------------------------------------------------------
// Checks and cosine helpers (local: ensemble.ts keeps its own private)

function checkDIn(what: string, dIn: number): void {
  if (!Number.isInteger(dIn) || dIn < 1) throw new InputError(`${what}: dIn: expected an integer ≥ 1, got ${dIn}`);
}

/** Checks w is [n, dIn] with n an integer ≥ 1 and finite values. */
function checkRows(what: string, name: string, w: Float32Array, n: number, dIn: number): void {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${what}: ${name}: expected a row count (an integer ≥ 1), got ${n}`);
  if (w.length !== n * dIn) {
    throw new InputError(
      `${what}: ${name}: expected length rows·dIn = ${n}·${dIn} = ${n * dIn}, got ${w.length}; pass the member's wDec [dSae, dIn] with its dSae`,
    );
  }
  assertFinite(w, what, name, dIn);
}

/** Rows of a member's wDec [dSae_j, dIn]; throws unless it is a non-empty whole number of rows. */
function memberRows(what: string, j: number, w: Float32Array, dIn: number): number {
  if (w.length === 0 || w.length % dIn !== 0) {
    const extra = w.length % dIn;
    throw new InputError(`${what}: member ${j}: expected a non-empty [dSae, dIn = ${dIn}] array, got length ${w.length} (${extra} past the last whole row)`);
  }
  const n = w.length / dIn;
  assertFinite(w, what, `member ${j}`, dIn);
  return n;
}

function checkMembers(what: string, members: readonly Float32Array[], dIn: number): number[] {
  checkDIn(what, dIn);
  if (members.length < 2) {
    throw new InputError(
      `${what}: members: at least 2 members are needed (a latent is compared with the other members), got ${members.length}; train an ensemble with J ≥ 2`,
    );
  }
  return members.map((w, j) => memberRows(what, j, w, dIn));
}

/**
 * Rows scaled to unit norm in f64; a zero row stays zero (so its cosines are 0). w: [n, dIn] → [n, dIn].
 * Divides rather than multiplying by 1/‖w‖: one rounding, so (3, 4) becomes exactly (3/5, 4/5) and a cosine
 * the user can work by hand lands on the same double as the literal (0.6 ≤ τ = 0.6 holds).
 */
function unitRows(w: Float32Array, n: number, dIn: number): Float64Array {
  const out = new Float64Array(n * dIn); // [n, dIn]
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += w[i * dIn + d] * w[i * dIn + d];
    if (s === 0) continue;
    const norm = Math.sqrt(s);
    for (let d = 0; d < dIn; d++) out[i * dIn + d] = w[i * dIn + d] / norm;
  }
  return out;
}

/** Signed cos(a_i, b_j) of unit rows, clamped to [−1, 1]. ua: [nA, dIn], ub: [nB, dIn] → [nA, nB] row-major, f64. */
function cosineMatrix(ua: Float64Array, nA: number, ub: Float64Array, nB: number, dIn: number): Float64Array {
  const out = new Float64Array(nA * nB); // [nA, nB]
  for (let i = 0; i < nA; i++) {
    const ai = i * dIn;
    for (let j = 0; j < nB; j++) {
      const bj = j * dIn;
      let dot = 0;
      for (let d = 0; d < dIn; d++) dot += ua[ai + d] * ub[bj + d];
      out[i * nB + j] = Math.max(-1, Math.min(1, dot));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1–2. Member A × member B: heatmap and Hungarian pairs

/** A matched pair: latent a of member A, latent b of member B, their signed cosine. */
export interface MatchedPair {
  a: number;
  b: number;
  cos: number;
}

export interface CrossMemberCosines {
  nA: number;
  nB: number;
  /** Signed cos(a_i, b_j) of the decoder rows. */
  cos: Float32Array; // [nA, nB] row-major
  /**
   * Display order: rows[r] is the latent of A drawn in row r, cols[c] the latent of B drawn in column c.
   * The first `matched` = min(nA, nB) entries of both are the Hungarian pairs (rows[k] ↔ cols[k]) by
   * descending cosine, ties to the lower latent of A; the unmatched latents of the larger member follow
   * in index order.
   */
  order: { rows: Int32Array /* [nA] */; cols: Int32Array /* [nB] */ };
  /** min(nA, nB): the length of the matched diagonal of `reordered`. */
  matched: number;
  /** reordered[r, c] = cos[rows[r], cols[c]]: the heatmap as drawn, matched pairs on its diagonal (descending). */
  reordered: Float32Array; // [nA, nB] row-major
}

interface Matching {
  cos: Float64Array; // [nA, nB]
  pairs: MatchedPair[]; // [min(nA, nB)], descending cos
}

/**
 * The one-to-one matching of A's latents to B's maximising Σ signed cos (Hungarian, hungarian.ts): every
 * latent of the smaller member is matched, whatever the sign of its cosine. This is the Π of §2.7's exact
 * stability (for unit rows, max Σ cos = min Σ‖f − f'‖², the L2 matching the paper cites). Signed cosine
 * gives an antipodal copy no credit: a feature present in B only as −f scores −1 with it, and matching it
 * elsewhere never does worse — cos(a_i, −a_i) + cos(a_k, a_k) = 0 = cos(a_i, a_k) + cos(a_k, −a_i), so a
 * swap with any other pair ties, and a longer cycle can win — so where a flipped feature lands depends on
 * the other cosines; the total is what is defined.
 */
function matchMembers(what: string, a: Float32Array, nA: number, b: Float32Array, nB: number, dIn: number): Matching {
  checkDIn(what, dIn);
  checkRows(what, 'a', a, nA, dIn);
  checkRows(what, 'b', b, nB, dIn);
  const cos = cosineMatrix(unitRows(a, nA, dIn), nA, unitRows(b, nB, dIn), nB, dIn); // [nA, nB]
  const match = maxWeightMatching(cos, nA, nB); // [nA], −1 = unmatched (only when nA > nB)
  const pairs: MatchedPair[] = [];
  for (let i = 0; i < nA; i++) if (match[i] >= 0) pairs.push({ a: i, b: match[i], cos: cos[i * nB + match[i]] });
  pairs.sort((p, q) => q.cos - p.cos || p.a - q.a);
  return { cos, pairs };
}

/**
 * The heatmap between member A and member B with Hungarian-matched ordering (see CrossMemberCosines).
 * a: [nA, dIn], b: [nB, dIn] decoder rows (any norm; normalised here).
 */
export function crossMemberCosines(a: Float32Array, nA: number, b: Float32Array, nB: number, dIn: number): CrossMemberCosines {
  const { cos, pairs } = matchMembers('cross-member cosines', a, nA, b, nB, dIn);
  const rows = orderWithRest(pairs.map((p) => p.a), nA); // [nA]
  const cols = orderWithRest(pairs.map((p) => p.b), nB); // [nB]
  const reordered = new Float32Array(nA * nB); // [nA, nB]
  for (let r = 0; r < nA; r++) for (let c = 0; c < nB; c++) reordered[r * nB + c] = cos[rows[r] * nB + cols[c]];
  return { nA, nB, cos: Float32Array.from(cos), order: { rows, cols }, matched: pairs.length, reordered };
}

/** `first`, then every index of 0..n−1 not in it, ascending. → [n]. */
function orderWithRest(first: number[], n: number): Int32Array {
  const out = new Int32Array(n);
  const taken = new Uint8Array(n);
  let k = 0;
  for (const i of first) {
    out[k++] = i;
    taken[i] = 1;
  }
  for (let i = 0; i < n; i++) if (!taken[i]) out[k++] = i;
  return out;
}

/**
 * The Hungarian pairs between member A and member B as a table (the same matching as crossMemberCosines):
 * pairs by descending signed cosine (ties to the lower latent of A), meanCos = (1/min(nA, nB)) Σ pairs' cos —
 * the pair's term of §2.7's exact stability. a: [nA, dIn], b: [nB, dIn].
 */
export function matchedPairs(a: Float32Array, nA: number, b: Float32Array, nB: number, dIn: number): { pairs: MatchedPair[]; meanCos: number } {
  const { pairs } = matchMembers('matched pairs', a, nA, b, nB, dIn);
  let total = 0;
  for (const p of pairs) total += p.cos;
  return { pairs, meanCos: total / pairs.length };
}

// ---------------------------------------------------------------------------------------------
// 3–4. Every latent against every other member

/** One member's latents against the other members. q indexes members 0..J−1, i latents 0..dSae_j−1. */
export interface MemberStability {
  dSae: number;
  /**
   * Per-latent stability: score[i] = mean_{q≠j} bestCos[q·dSae + i] — how reliably the other members
   * found this feature (signed; 1 = every other member has it exactly).
   */
  score: Float32Array; // [dSae]
  /** maxCos[i] = max_{q≠j} bestCos[q·dSae + i]: §2.7's s_i, the term of the paper's relaxed stability. */
  maxCos: Float32Array; // [dSae]
  /**
   * bestLatent[q·dSae + i] = argmax_{i'} cos(f_i, g⁽q⁾_{i'}): latent i's best match in member q (ties to the
   * lower i'). Layout [J, dSae] row-major, one row per member q; the row q = j (the member itself) is −1.
   */
  bestLatent: Int32Array; // [J, dSae]
  /** bestCos[q·dSae + i] = max_{i'} cos(f_i, g⁽q⁾_{i'}), signed; the row q = j is NaN (no comparison). */
  bestCos: Float32Array; // [J, dSae]
  /** mean_i score[i]. */
  mean: number;
}

export interface LatentStability {
  /** J. */
  members: number;
  perMember: MemberStability[]; // [J]
  /**
   * mean_j perMember[j].mean: each member weighs the same whatever its size, as runs do in §2.7's
   * Stab = (1/R) Σ_r (1/M_r) Σ_i (equal to the mean over all latents when the members have equal dSae).
   */
  mean: number;
}

/**
 * best[j] / arg[j]: [J, dSae_j] f64 signed max cosine and its latent, for every ordered pair of members
 * (q = j rows NaN / −1). Each unordered pair's cosine matrix is computed once and read both ways.
 */
function bestMatches(members: readonly Float32Array[], sizes: number[], dIn: number): { best: Float64Array[]; arg: Int32Array[] } {
  const J = members.length;
  const unit = members.map((w, j) => unitRows(w, sizes[j], dIn));
  const best = sizes.map((n) => new Float64Array(J * n).fill(-Infinity)); // [J][J, dSae_j]
  const arg = sizes.map((n) => new Int32Array(J * n).fill(-1)); // [J][J, dSae_j]
  for (let j = 0; j < J; j++) {
    const n = sizes[j];
    best[j].fill(NaN, j * n, (j + 1) * n);
    for (let q = j + 1; q < J; q++) {
      const m = sizes[q];
      const cos = cosineMatrix(unit[j], n, unit[q], m, dIn); // [n, m]
      const bj = best[j];
      const aj = arg[j];
      const bq = best[q];
      const aq = arg[q];
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < m; k++) {
          const c = cos[i * m + k];
          // Strict '>' with ascending loops: ties go to the lower latent.
          if (c > bj[q * n + i]) {
            bj[q * n + i] = c;
            aj[q * n + i] = k;
          }
          if (c > bq[j * m + k]) {
            bq[j * m + k] = c;
            aq[j * m + k] = i;
          }
        }
      }
    }
  }
  return { best, arg };
}

/**
 * Each latent's best match in every other member, its per-latent stability score and the overall mean
 * (see MemberStability, LatentStability; signed cosines, §2.7 "Stability"). members: J ≥ 2 dictionaries,
 * members[j]: [dSae_j, dIn] (a member's wDec; any norm, normalised here). Cost: Σ_{j<q} dSae_j·dSae_q·dIn.
 */
export function latentStability(members: readonly Float32Array[], dIn: number): LatentStability {
  const sizes = checkMembers('latent stability', members, dIn);
  const J = members.length;
  const { best, arg } = bestMatches(members, sizes, dIn);
  const perMember = sizes.map((n, j): MemberStability => {
    const score = new Float32Array(n); // [dSae]
    const maxCos = new Float32Array(n); // [dSae]
    let total = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      let mx = -Infinity;
      for (let q = 0; q < J; q++) {
        if (q === j) continue;
        const c = best[j][q * n + i];
        s += c;
        if (c > mx) mx = c;
      }
      score[i] = s / (J - 1);
      maxCos[i] = mx;
      total += s / (J - 1);
    }
    return { dSae: n, score, maxCos, bestLatent: arg[j], bestCos: Float32Array.from(best[j]), mean: total / n };
  });
  return { members: J, perMember, mean: perMember.reduce((s, m) => s + m.mean, 0) / J };
}

/** One member's features that no other member has. */
export interface MemberUnique {
  /** Latents i with s_i ≤ τ, ascending; s_i = max over the other members' latents of signed cos(f_i, g). */
  latents: number[];
  /** latents.length / dSae: §2.7's "fraction of features found only in the base SAE", mean_i 1[s_i ≤ τ]. */
  fraction: number;
  /** mean_i s_i: §2.7's "average max cosine". */
  meanMaxCos: number;
}

/**
 * §2.7 `get_no_overlap` with every member in turn as the base SAE: s_i = max_{q≠j} max_{i'} ⟨f̃⁽ʲ⁾_i, f̃⁽q⁾_{i'}⟩
 * (signed), unique ⇔ s_i ≤ τ (compared in f64, boundary included as in the paper's code). members: J ≥ 2,
 * members[j]: [dSae_j, dIn]; tau: a finite number (0.6 in the paper).
 */
export function uniqueFeatures(members: readonly Float32Array[], dIn: number, tau = UNIQUE_TAU): { tau: number; perMember: MemberUnique[] } {
  const sizes = checkMembers('unique features', members, dIn);
  if (!Number.isFinite(tau)) throw new InputError(`unique features: tau: expected a finite cosine threshold (0.6 in the paper), got ${tau}`);
  const J = members.length;
  const { best } = bestMatches(members, sizes, dIn);
  const perMember = sizes.map((n, j): MemberUnique => {
    const latents: number[] = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      let s = -Infinity;
      for (let q = 0; q < J; q++) if (q !== j && best[j][q * n + i] > s) s = best[j][q * n + i];
      if (s <= tau) latents.push(i);
      total += s;
    }
    return { latents, fraction: latents.length / n, meanMaxCos: total / n };
  });
  return { tau, perMember };
}

// ---------------------------------------------------------------------------------------------
// 5. PCA map of all members' decoder directions

export interface PcaMap {
  /** Coordinates along PC1 and PC2 of each centred unit row: x_i = (f̃_i − μ)·v₁, y_i = (f̃_i − μ)·v₂. */
  x: Float32Array; // [M]
  y: Float32Array; // [M]
  /** λ_k / Σ_i ‖f̃_i − μ‖² for PC1, PC2 (0 for a PC with no variance left, and both 0 when all rows coincide). */
  explained: [number, number];
  /** v₁, v₂: unit loadings, sign fixed so each one's largest-|·| entry (first on ties) is positive; a PC with no variance is all zeros. */
  components: Float32Array; // [2, dIn]
  /** Which member each row came from, copied from the input (for colouring). */
  member: Int32Array; // [M]
}

/**
 * A 2-D map of decoder directions by PCA. dictionary: [M, dIn], e.g. ConcatenatedView.dictionary; member:
 * [M], e.g. ConcatenatedView.member. Rows are unit-normalised (a zero row stays at the origin before
 * centring), centred on their mean μ, and projected on the top two eigenvectors of the scatter matrix
 * XᵀX (X = the centred rows [M, dIn]).
 *
 * Method, f64: Lanczos with full reorthogonalisation on XᵀX [dIn, dIn] or on the Gram matrix XXᵀ [M, M],
 * whichever is smaller (the same non-zero spectrum), applied as two products with X and never formed
 * (2·M·dIn per step), from a fixed pseudo-random start vector, so the result is reproducible. Lanczos and
 * not power iteration: decoder directions are close to isotropic, so λ₂/λ₁ is near 1 and power iteration
 * (error ∝ (λ₂/λ₁)^steps) would need thousands of steps, while Lanczos's Chebyshev-like convergence needs
 * about the square root of that (≈ 90 steps for 1024 random directions in R^784). It stops when both Ritz
 * pairs' residuals are ≤ 1e−10·trace, or when the Krylov space is invariant (exact), after at most
 * min(M, dIn) steps. M = 1024, dIn = 784 takes about 0.3–0.6 s in Node.
 */
export function pcaMap(dictionary: Float32Array, M: number, dIn: number, member: Int32Array): PcaMap {
  const what = 'PCA map';
  checkDIn(what, dIn);
  checkRows(what, 'dictionary', dictionary, M, dIn);
  if (member.length !== M) throw new InputError(`${what}: member: expected one member index per row, length M = ${M}, got ${member.length}`);

  const X = unitRows(dictionary, M, dIn); // [M, dIn], centred below
  const mean = new Float64Array(dIn);
  for (let i = 0; i < M; i++) for (let d = 0; d < dIn; d++) mean[d] += X[i * dIn + d];
  for (let d = 0; d < dIn; d++) mean[d] /= M;
  let trace = 0; // Σ_i ‖f̃_i − μ‖² = tr(XᵀX)
  for (let i = 0; i < M; i++) {
    for (let d = 0; d < dIn; d++) {
      const v = (X[i * dIn + d] -= mean[d]);
      trace += v * v;
    }
  }

  const components = new Float64Array(2 * dIn); // [2, dIn]
  const explained: [number, number] = [0, 0];
  if (trace > 0) {
    const gram = M < dIn; // work in the smaller space
    const n = gram ? M : dIn;
    const tmp = new Float64Array(gram ? dIn : M);
    // cov: out = Xᵀ(X v), v ∈ R^dIn.  gram: out = X(Xᵀ u), u ∈ R^M.
    const apply = gram
      ? (u: Float64Array, out: Float64Array) => {
          multiplyTransposed(X, M, dIn, u, tmp);
          multiply(X, M, dIn, tmp, out);
        }
      : (v: Float64Array, out: Float64Array) => {
          multiply(X, M, dIn, v, tmp);
          multiplyTransposed(X, M, dIn, tmp, out);
        };
    const top = lanczosTop2(apply, n, trace);
    for (let k = 0; k < top.values.length; k++) {
      const lambda = top.values[k];
      if (!(lambda > 1e-12 * trace)) continue; // no variance left along this PC: leave it zero
      const v = components.subarray(k * dIn, (k + 1) * dIn);
      if (gram) multiplyTransposed(X, M, dIn, top.vectors[k], v); // v = Xᵀu, ‖v‖² = λ
      else v.set(top.vectors[k]);
      let norm = 0;
      let big = 0;
      for (let d = 0; d < dIn; d++) {
        norm += v[d] * v[d];
        if (Math.abs(v[d]) > Math.abs(v[big])) big = d;
      }
      const scale = (v[big] < 0 ? -1 : 1) / Math.sqrt(norm);
      for (let d = 0; d < dIn; d++) v[d] *= scale;
      explained[k] = lambda / trace;
    }
  }

  const x = new Float32Array(M); // [M]
  const y = new Float32Array(M); // [M]
  for (let i = 0; i < M; i++) {
    let px = 0;
    let py = 0;
    for (let d = 0; d < dIn; d++) {
      px += X[i * dIn + d] * components[d];
      py += X[i * dIn + d] * components[dIn + d];
    }
    x[i] = px;
    y[i] = py;
  }
  return { x, y, explained, components: Float32Array.from(components), member: member.slice() };
}

/** out = X v. X: [M, dIn], v: [dIn] → out: [M]. */
function multiply(X: Float64Array, M: number, dIn: number, v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < M; i++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += X[i * dIn + d] * v[d];
    out[i] = s;
  }
}

/** out = Xᵀ u. X: [M, dIn], u: [M] → out: [dIn]. */
function multiplyTransposed(X: Float64Array, M: number, dIn: number, u: Float64Array, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < M; i++) {
    const ui = u[i];
    if (ui === 0) continue;
    for (let d = 0; d < dIn; d++) out[d] += X[i * dIn + d] * ui;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Seed of Lanczos's start vector: fixed, so every map of the same dictionary is the same. */
const LANCZOS_SEED = 0x5ae;

/**
 * The (at most) two largest eigenpairs of a symmetric positive semi-definite operator on R^n, given by
 * `apply`, whose trace is `trace` (an upper bound on λ₁ used for the tolerances). Lanczos with full
 * reorthogonalisation (Gram–Schmidt twice against every basis vector); the tridiagonal T is solved
 * by implicit QL (tridiagonalEigen) at steps growing ×1.5, and the Ritz pairs are accepted when
 * β·|s_last| ≤ 1e−10·trace for both. Returns values descending and unit vectors [n].
 */
function lanczosTop2(apply: (v: Float64Array, out: Float64Array) => void, n: number, trace: number): { values: number[]; vectors: Float64Array[] } {
  const rng = createRng(LANCZOS_SEED);
  let q = new Float64Array(n);
  for (let i = 0; i < n; i++) q[i] = rng.normal();
  const q0 = Math.sqrt(dot(q, q));
  for (let i = 0; i < n; i++) q[i] /= q0;

  const basis: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let nextCheck = 8;
  for (let step = 1; ; step++) {
    basis.push(q);
    const w = new Float64Array(n);
    apply(q, w);
    alpha.push(dot(w, q));
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const c = dot(w, b);
        for (let i = 0; i < n; i++) w[i] -= c * b[i];
      }
    }
    const b = Math.sqrt(dot(w, w));
    const invariant = b <= 1e-13 * trace; // the Krylov space is invariant: T's eigenpairs are exact
    const last = invariant || step >= n;
    if (last || step >= nextCheck) {
      nextCheck = Math.ceil(nextCheck * 1.5);
      const { values, vectors } = tridiagonalEigen(alpha, beta);
      const m = alpha.length;
      const order = Array.from(values.keys()).sort((i, k) => values[k] - values[i] || i - k).slice(0, 2);
      const converged = order.every((k) => b * Math.abs(vectors[(m - 1) * m + k]) <= 1e-10 * trace);
      if (last || converged) {
        return {
          values: order.map((k) => values[k]),
          vectors: order.map((k) => {
            const y = new Float64Array(n); // y = Σ_j s[j, k]·q_j
            for (let j = 0; j < m; j++) {
              const s = vectors[j * m + k];
              const qj = basis[j];
              for (let i = 0; i < n; i++) y[i] += s * qj[i];
            }
            return y;
          }),
        };
      }
    }
    beta.push(b);
    q = w;
    for (let i = 0; i < n; i++) q[i] /= b;
  }
}

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `diag` [m] and off-diagonal `off`
 * [≥ m − 1] (off[i] = T[i, i+1]): the implicit QL algorithm with Wilkinson-type shifts (EISPACK tql2, as in
 * JAMA). Returns values [m] (unordered) and vectors [m, m] row-major, column k = eigenvector of values[k].
 */
function tridiagonalEigen(diag: readonly number[], off: readonly number[]): { values: Float64Array; vectors: Float64Array } {
  const m = diag.length;
  const d = Float64Array.from(diag);
  const e = new Float64Array(m); // e[i] = T[i, i+1], e[m−1] = 0
  for (let i = 0; i < m - 1; i++) e[i] = off[i];
  const V = new Float64Array(m * m); // [m, m]
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  const eps = 2 ** -52;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < m; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let mm = l;
    while (mm < m - 1 && Math.abs(e[mm]) > eps * tst1) mm++;
    if (mm > l) {
      for (let iter = 0; ; iter++) {
        if (iter > 100) throw new Error(`PCA map: tridiagonal QL did not converge at ${l} of ${m} (a bug: report it)`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < m; i++) d[i] -= h;
        f += h;
        p = d[mm];
        let c = 1;
        let c2 = 1;
        let c3 = 1;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = mm - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < m; k++) {
            const vk = k * m;
            h = V[vk + i + 1];
            V[vk + i + 1] = s * V[vk + i] + c * h;
            V[vk + i] = c * V[vk + i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(Math.abs(e[l]) > eps * tst1)) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }
  return { values: d, vectors: V };
}
