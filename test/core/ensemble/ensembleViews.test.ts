// The ensemble views (src/core/ensemble/ensembleViews.ts; seed-papers.md §2.7): the cross-member heatmap and its
// Hungarian pairs, per-latent stability, unique features and the PCA map — on hand-worked members in R²
// (every cosine a ratio of integers: (3, 4)/5, (0, 5)/5), identical members, permuted and sign-flipped
// members, unequal sizes, an orthogonal extra feature, points on a known plane, and a test-local Jacobi
// eigensolver as the oracle for PCA at random sizes (both the XᵀX and the Gram path) and 1024 × 784.
// Cross-checks against ensemble.ts (relaxed and exact stability, shared fraction). Imports src/core and
// the test helpers only.

import { describe, expect, it } from 'vitest';
import { sharedFractionCurve, stability } from '../../../src/core/ensemble/ensemble.ts';
import { crossMemberCosines, latentStability, matchedPairs, pcaMap, uniqueFeatures } from '../../../src/core/ensemble/ensembleViews.ts';
import { InputError } from '../../../src/core/errors.ts';
import { createRng, permutation, type Rng } from '../../../src/core/math/random.ts';
import { expectClose, expectNear } from '../../helpers/close.ts';

const f32 = { atol: 1e-6, rtol: 1e-6 }; // values that passed through Float32Array
const f64 = { atol: 1e-12, rtol: 1e-12 };

function rows(...vs: number[][]): Float32Array {
  return Float32Array.from(vs.flat());
}

function randomRows(n: number, dIn: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n * dIn }, () => rng.normal());
}

/** B with B[p[i]] = A[i]: the same features in another order. a: [n, dIn]. */
function permuted(a: Float32Array, n: number, dIn: number, p: Uint32Array): Float32Array {
  const b = new Float32Array(n * dIn);
  for (let i = 0; i < n; i++) b.set(a.subarray(i * dIn, (i + 1) * dIn), p[i] * dIn);
  return b;
}

function unitDot(a: Float32Array, i: number, b: Float32Array, j: number, dIn: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let d = 0; d < dIn; d++) {
    ab += a[i * dIn + d] * b[j * dIn + d];
    aa += a[i * dIn + d] ** 2;
    bb += b[j * dIn + d] ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** max over every permutation π of Σ_i cos(a_i, b_π(i)) (n ≤ 8): the definition the Hungarian must meet. */
function bruteForceMax(a: Float32Array, n: number, b: Float32Array, dIn: number): number {
  const cos = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => unitDot(a, i, b, j, dIn)));
  const used = new Array<boolean>(n).fill(false);
  const best = (i: number): number => {
    if (i === n) return 0;
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      if (used[j]) continue;
      used[j] = true;
      m = Math.max(m, cos[i][j] + best(i + 1));
      used[j] = false;
    }
    return m;
  };
  return best(0);
}

// Members in R² used across the stability and uniqueness tests (rows are normalised by the functions):
//   A = [(1,0), (0,1)],  B = [(3,4)/5, (−1,0)],  C = [(0,1)]
// Cosines: A0·B0 = 0.6, A0·B1 = −1, A1·B0 = 0.8, A1·B1 = 0, A0·C0 = 0, A1·C0 = 1, B0·C0 = 0.8, B1·C0 = 0.
const A = rows([1, 0], [0, 1]);
const B = rows([3, 4], [-2, 0]);
const C = rows([0, 5]);

describe('crossMemberCosines and matchedPairs', () => {
  it('matches by Hungarian (not greedy), orders pairs by descending cosine and reorders the heatmap (hand-worked)', () => {
    // a = [(0,1), (1,0)], b = [(−1,0), (3,4)/5]: cos = [[0, 0.8], [−1, 0.6]].
    // Matchings: a0–b0 + a1–b1 = 0 + 0.6 = 0.6; a0–b1 + a1–b0 = 0.8 − 1 = −0.2. Greedy would take a0–b1 (0.8) first.
    const a = rows([0, 1], [1, 0]);
    const b = rows([-2, 0], [3, 4]);
    const view = crossMemberCosines(a, 2, b, 2, 2);
    expectClose(view.cos, [0, 0.8, -1, 0.6], f32, 'cos');
    expect(view.matched).toBe(2);
    expect(Array.from(view.order.rows)).toEqual([1, 0]); // pair (a1, b1, 0.6) first, then (a0, b0, 0)
    expect(Array.from(view.order.cols)).toEqual([1, 0]);
    // reordered[r, c] = cos[rows[r], cols[c]] = [[cos11, cos10], [cos01, cos00]]
    expectClose(view.reordered, [0.6, -1, 0.8, 0], f32, 'reordered');
    const table = matchedPairs(a, 2, b, 2, 2);
    expect(table.pairs.map((p) => [p.a, p.b])).toEqual([
      [1, 1],
      [0, 0],
    ]);
    expectClose(
      table.pairs.map((p) => p.cos),
      [0.6, 0],
      f64,
      'pair cos',
    );
    expectNear(table.meanCos, 0.3, f64, 'meanCos');
  });

  it('handles unequal sizes: every latent of the smaller member is matched, the rest follow in index order (hand-worked)', () => {
    // a = [(0,1), (1,0), (5,12)/13], b = [(−1,0), (3,4)/5].
    // cos = [[0, 4/5], [−1, 3/5], [−5/13, 63/65]]. Each b column takes a distinct a row; the best total is
    // a0–b0 (0) + a2–b1 (63/65 ≈ 0.969) (next: a0–b0 + a1–b1 = 0.6; a2–b0 + a0–b1 = 0.415).
    const a = rows([0, 1], [1, 0], [5, 12]);
    const b = rows([-2, 0], [3, 4]);
    const view = crossMemberCosines(a, 3, b, 2, 2);
    expect(view.matched).toBe(2);
    expect(Array.from(view.order.rows)).toEqual([2, 0, 1]);
    expect(Array.from(view.order.cols)).toEqual([1, 0]);
    expectClose(view.reordered, [63 / 65, -5 / 13, 0.8, 0, 0.6, -1], f32, 'reordered 3×2');
    const table = matchedPairs(a, 3, b, 2, 2);
    expect(table.pairs.map((p) => [p.a, p.b])).toEqual([
      [2, 1],
      [0, 0],
    ]);
    expectNear(table.meanCos, 63 / 65 / 2, f64, 'meanCos = Σ / min(nA, nB)');

    // The other way round: rows [1, 0] then cols [2, 0, 1] (b's unmatched latent 1 last).
    const back = crossMemberCosines(b, 2, a, 3, 2);
    expect(Array.from(back.order.rows)).toEqual([1, 0]);
    expect(Array.from(back.order.cols)).toEqual([2, 0, 1]);
    expectClose(back.reordered, [63 / 65, 0.8, 0.6, -5 / 13, 0, -1], f32, 'reordered 2×3');
  });

  it('identical members: the reordered diagonal is all ones and every pair is (i, i) with cos 1', () => {
    const rng = createRng(11);
    const n = 7;
    const dIn = 10;
    const a = randomRows(n, dIn, rng);
    const view = crossMemberCosines(a, n, a.slice(), n, dIn);
    for (let r = 0; r < n; r++) {
      expectNear(view.reordered[r * n + r], 1, f32, `reordered[${r}, ${r}]`);
      for (let c = 0; c < n; c++) expect(view.reordered[r * n + c]).toBe(view.cos[view.order.rows[r] * n + view.order.cols[c]]);
    }
    const { pairs, meanCos } = matchedPairs(a, n, a.slice(), n, dIn);
    expect(pairs.every((p) => p.a === p.b)).toBe(true);
    expectClose(
      pairs.map((p) => p.cos),
      new Array(n).fill(1),
      f32,
      'pair cos',
    );
    expectNear(meanCos, 1, f32, 'meanCos');
  });

  it('recovers a permutation, and scores a sign-flipped copy by the signed definition', () => {
    const rng = createRng(12);
    const n = 6;
    const dIn = 9;
    const a = randomRows(n, dIn, rng);
    const p = permutation(n, rng);
    const b = permuted(a, n, dIn, p);
    const { pairs } = matchedPairs(a, n, b, n, dIn);
    for (const pair of pairs) {
      expect(pair.b, `latent ${pair.a} → B[${p[pair.a]}]`).toBe(p[pair.a]);
      expectNear(pair.cos, 1, f32, `cos of pair ${pair.a}`);
    }

    // Flip A[f] in B: signed cosine gives the flipped copy −1, so its latent is matched wherever that
    // maximises Σ cos. For these random (non-orthogonal) rows that can beat the identity matching's
    // (n − 1) − 1 = n − 2 (a cycle through the flipped copy collects positive off-diagonal cosines), so the
    // definition is checked as it stands: the total is the maximum over all n! one-to-one matchings, and
    // every latent outside the flipped copy's cycle keeps its own copy at cos 1.
    const f = 2;
    const flipped = b.slice();
    for (let d = 0; d < dIn; d++) flipped[p[f] * dIn + d] *= -1;
    const table = matchedPairs(a, n, flipped, n, dIn);
    const total = table.pairs.reduce((s, q) => s + q.cos, 0);
    expectNear(total, bruteForceMax(a, n, flipped, dIn), { atol: 1e-6, rtol: 0 }, 'Σ matched cos = max over all matchings');
    expect(total).toBeGreaterThanOrEqual(n - 2 - 1e-6);
    for (const q of table.pairs) {
      expectNear(q.cos, unitDot(a, q.a, flipped, q.b, dIn), f32, `pair ${q.a}–${q.b} cos`);
      if (q.b === p[q.a]) expectNear(q.cos, q.a === f ? -1 : 1, f32, `latent ${q.a} with its own copy`);
    }
    // A cycle that avoids the flipped copy would score < its length against the identity's 1 each, so the
    // latents off their copy form a single cycle through f: i → the owner of its match's copy.
    const matchOf = new Map(table.pairs.map((q) => [q.a, q.b]));
    const ownerOf = new Map(Array.from(p, (col, i) => [col, i]));
    const offCopy = table.pairs.filter((q) => q.b !== p[q.a]).map((q) => q.a);
    const cycle: number[] = [];
    if (offCopy.length > 0) for (let i = f; cycle.length === 0 || i !== f; i = ownerOf.get(matchOf.get(i) ?? -1) ?? f) cycle.push(i);
    expect([...cycle].sort(), 'latents off their copy = the cycle through f').toEqual([...offCopy].sort());

    // Orthonormal rows (the scaled axes e₀..e₃ of R⁵): every off-diagonal cosine is 0, so the maximum is
    // exactly n − 2, reached two ways — the flipped latent with its own copy at −1, or swapped with any
    // one other latent g at cos 0 and 0 (−1 + 1 = 0 + 0). Either way the other n − 2 latents keep their copy.
    const axes = new Float32Array(4 * 5);
    [2, 0.5, 3, 1].forEach((scale, i) => (axes[i * 5 + i] = scale));
    const q4 = Uint32Array.from([3, 1, 0, 2]);
    const axesFlipped = permuted(axes, 4, 5, q4);
    for (let d = 0; d < 5; d++) axesFlipped[q4[f] * 5 + d] *= -1;
    const ortho = matchedPairs(axes, 4, axesFlipped, 4, 5);
    expectNear(
      ortho.pairs.reduce((s, q) => s + q.cos, 0),
      2,
      f64,
      'orthonormal: Σ = n − 2',
    );
    const moved = ortho.pairs.filter((q) => q.b !== q4[q.a]);
    if (moved.length === 0) {
      expect(ortho.pairs[3], 'the −1 pair comes last').toEqual({ a: f, b: q4[f], cos: -1 });
    } else {
      expect(moved.length).toBe(2);
      expect(moved.some((q) => q.a === f)).toBe(true);
      for (const q of moved) expect(Math.abs(q.cos)).toBe(0);
    }
    expect(ortho.pairs.filter((q) => q.b === q4[q.a] && q.a !== f).map((q) => q.cos)).toEqual(moved.length === 0 ? [1, 1, 1] : [1, 1]);

    // One latent each: the flip is forced and scores −1 (signed, not |cos|).
    const one = matchedPairs(rows([1, 2, 2]), 1, rows([-2, -4, -4]), 1, 3);
    expect(one.pairs).toHaveLength(1);
    expectNear(one.pairs[0].cos, -1, f64, 'flipped single latent');
  });

  it('meanCos is ensemble.ts exact stability of the two members', () => {
    const rng = createRng(13);
    const a = randomRows(5, 6, rng);
    const b = randomRows(8, 6, rng);
    expectNear(matchedPairs(a, 5, b, 8, 6).meanCos, stability([a, b], 6).exact, f64, 'meanCos vs exact stability');
  });

  it('edge sizes: 1 latent, dIn = 1, zero rows', () => {
    // dIn = 1: unit rows are ±1, so cos = sign·sign.
    const view = crossMemberCosines(rows([2], [-3]), 2, rows([5]), 1, 1);
    expectClose(view.cos, [1, -1], f64, 'cos dIn = 1');
    expect(Array.from(view.order.rows)).toEqual([0, 1]);
    expect(Array.from(view.order.cols)).toEqual([0]);
    expectClose(view.reordered, [1, -1], f64, 'reordered dIn = 1');
    // A zero row has cosine 0 with everything, not NaN.
    const zero = crossMemberCosines(rows([0, 0], [1, 0]), 2, rows([1, 1]), 1, 2);
    expectClose(zero.cos, [0, Math.SQRT1_2], f32, 'zero row');
    expect(Array.from(zero.order.rows)).toEqual([1, 0]);
  });

  it('throws InputError naming the numbers on bad shapes', () => {
    const a = new Float32Array(5);
    expect(() => crossMemberCosines(a, 2, a, 2, 3)).toThrow(InputError);
    expect(() => crossMemberCosines(a, 2, new Float32Array(6), 2, 3)).toThrow(/a: expected length rows·dIn = 2·3 = 6, got 5/);
    expect(() => matchedPairs(new Float32Array(6), 2, a, 2, 3)).toThrow(/b: expected length rows·dIn = 2·3 = 6, got 5/);
    expect(() => matchedPairs(new Float32Array(0), 0, new Float32Array(3), 1, 3)).toThrow(/a: expected a row count \(an integer ≥ 1\), got 0/);
    expect(() => crossMemberCosines(new Float32Array(2), 2, new Float32Array(2), 2, 0)).toThrow(/dIn: expected an integer ≥ 1, got 0/);
    expect(() => crossMemberCosines(rows([1, NaN]), 1, rows([1, 0]), 1, 2)).toThrow(/a\[0, 1\]: expected a finite number, got NaN/);
  });
});

describe('latentStability', () => {
  it('gives each latent its best match in every other member, its score and the means (hand-worked A, B, C)', () => {
    const s = latentStability([A, B, C], 2);
    expect(s.members).toBe(3);
    const [a, b, c] = s.perMember;
    // Layout [J, dSae]: row q = member q, its own row −1 / NaN.
    expect(a.dSae).toBe(2);
    expect(Array.from(a.bestLatent)).toEqual([-1, -1, 0, 0, 0, 0]); // A0 → B0 (0.6), A1 → B0 (0.8); A0 → C0 (0), A1 → C0 (1)
    expect(Number.isNaN(a.bestCos[0]) && Number.isNaN(a.bestCos[1])).toBe(true);
    expectClose(a.bestCos.subarray(2), [0.6, 0.8, 0, 1], f32, 'A bestCos');
    expectClose(a.score, [0.3, 0.9], f32, 'A score');
    expectClose(a.maxCos, [0.6, 1], f32, 'A maxCos');
    expectNear(a.mean, 0.6, f32, 'A mean');

    expect(Array.from(b.bestLatent)).toEqual([1, 1, -1, -1, 0, 0]); // B0 → A1 (0.8), B1 = (−1,0) → A1 (0 beats −1)
    expectClose([b.bestCos[0], b.bestCos[1], b.bestCos[4], b.bestCos[5]], [0.8, 0, 0.8, 0], f32, 'B bestCos');
    expectClose(b.score, [0.8, 0], f32, 'B score');
    expectClose(b.maxCos, [0.8, 0], f32, 'B maxCos');
    expectNear(b.mean, 0.4, f32, 'B mean');

    expect(c.dSae).toBe(1);
    expect(Array.from(c.bestLatent)).toEqual([1, 0, -1]);
    expectClose(c.bestCos.subarray(0, 2), [1, 0.8], f32, 'C bestCos');
    expectNear(c.score[0], 0.9, f32, 'C score');
    expectNear(c.mean, 0.9, f32, 'C mean');

    // Members weigh equally: (0.6 + 0.4 + 0.9)/3 = 19/30, not the mean over the 5 latents (2.9/5 = 0.58).
    expectNear(s.mean, 19 / 30, f32, 'mean');
  });

  it('identical members: every latent finds itself in every other member with cos 1', () => {
    const rng = createRng(21);
    const w = randomRows(6, 8, rng);
    const s = latentStability([w, w.slice(), w.slice()], 8);
    s.perMember.forEach((m, j) => {
      expectClose(m.score, new Array(6).fill(1), f32, `member ${j} score`);
      for (let q = 0; q < 3; q++) {
        for (let i = 0; i < 6; i++) expect(m.bestLatent[q * 6 + i]).toBe(q === j ? -1 : i);
      }
    });
    expectNear(s.mean, 1, f32, 'mean');
  });

  it('ties go to the lower latent; dIn = 1', () => {
    // (1,0) is orthogonal to both (0,1) and (0,−1): cos 0 twice, latent 0 wins.
    const s = latentStability([rows([1, 0]), rows([0, 1], [0, -1])], 2);
    expect(Array.from(s.perMember[0].bestLatent)).toEqual([-1, 0]);
    expectNear(s.perMember[0].score[0], 0, f64, 'tie score');
    // dIn = 1: rows are ±1; [2, −3] against [−1]: best cos −1 for 2, +1 for −3.
    const d1 = latentStability([rows([2], [-3]), rows([-1])], 1);
    expectClose(d1.perMember[0].score, [-1, 1], f64, 'dIn = 1 score');
    expectClose(d1.perMember[1].score, [1], f64, 'dIn = 1 other member');
    expect(Array.from(d1.perMember[1].bestLatent)).toEqual([1, -1]);
  });

  it('mean_i maxCos of each member is ensemble.ts relaxed stability of that run', () => {
    const rng = createRng(22);
    const members = [randomRows(5, 6, rng), randomRows(7, 6, rng), randomRows(4, 6, rng)];
    const s = latentStability(members, 6);
    const ref = stability(members, 6);
    s.perMember.forEach((m, j) => {
      const relaxed = m.maxCos.reduce((t, v) => t + v, 0) / m.dSae;
      expectNear(relaxed, ref.relaxed[j], f32, `member ${j}`);
    });
  });

  it('survives structuredClone (Comlink) unchanged', () => {
    const s = latentStability([A, B, C], 2);
    expect(structuredClone(s)).toEqual(s);
  });

  it('throws InputError for fewer than 2 members and bad shapes', () => {
    expect(() => latentStability([A], 2)).toThrow(InputError);
    expect(() => latentStability([A], 2)).toThrow(/at least 2 members are needed .* got 1/);
    expect(() => latentStability([], 2)).toThrow(/got 0/);
    expect(() => latentStability([A, new Float32Array(5)], 2)).toThrow(/member 1: expected a non-empty \[dSae, dIn = 2\] array, got length 5/);
    expect(() => latentStability([A, new Float32Array(0)], 2)).toThrow(/member 1: .* got length 0/);
    expect(() => latentStability([A, B], 0)).toThrow(/dIn: expected an integer ≥ 1, got 0/);
    expect(() => latentStability([A, rows([1, Infinity])], 2)).toThrow(/member 1\[0, 1\]: expected a finite number, got Infinity/);
  });
});

describe('uniqueFeatures', () => {
  it('finds the latents no other member has at τ = 0.6, boundary included (hand-worked A, B, C)', () => {
    // s = max over the other members: A: [0.6, 1], B: [0.8, 0], C: [1]. A0's 0.6 = 3/5 exactly ≤ 0.6.
    const u = uniqueFeatures([A, B, C], 2);
    expect(u.tau).toBe(0.6);
    expect(u.perMember.map((m) => m.latents)).toEqual([[0], [1], []]);
    expectClose(
      u.perMember.map((m) => m.fraction),
      [0.5, 0.5, 0],
      f64,
      'fraction',
    );
    expectClose(
      u.perMember.map((m) => m.meanMaxCos),
      [0.8, 0.4, 1],
      f64,
      'meanMaxCos',
    );
    // Just below the boundary A0 is shared.
    expect(uniqueFeatures([A, B, C], 2, 0.59).perMember[0].latents).toEqual([]);
  });

  it('identical members have no unique features', () => {
    const rng = createRng(31);
    const w = randomRows(5, 7, rng);
    for (const m of uniqueFeatures([w, w.slice()], 7).perMember) {
      expect(m.latents).toEqual([]);
      expect(m.fraction).toBe(0);
      expectNear(m.meanMaxCos, 1, f32, 'meanMaxCos');
    }
  });

  it('an orthogonal extra feature is unique and its fraction is 1/4', () => {
    // A: 3 random features in the first 4 coordinates of R⁵; B: the same, permuted, plus e₅ at index 3.
    const rng = createRng(32);
    const a = new Float32Array(15);
    for (let i = 0; i < 3; i++) for (let d = 0; d < 4; d++) a[i * 5 + d] = rng.normal();
    const b = new Float32Array(20);
    b.set(permuted(a, 3, 5, Uint32Array.from([2, 0, 1])));
    b[3 * 5 + 4] = 1;
    const u = uniqueFeatures([a, b], 5);
    expect(u.perMember[0].latents).toEqual([]);
    expect(u.perMember[1].latents).toEqual([3]);
    expect(u.perMember[1].fraction).toBe(0.25);
    expectNear(u.perMember[1].meanMaxCos, 0.75, f32, 'B meanMaxCos = (1 + 1 + 1 + 0)/4');
  });

  it('is the complement of ensemble.ts shared fraction for two members', () => {
    const rng = createRng(33);
    const a = randomRows(9, 6, rng);
    const b = randomRows(11, 6, rng);
    for (const tau of [0.3, 0.6]) {
      const u = uniqueFeatures([a, b], 6, tau);
      expectNear(u.perMember[0].fraction, 1 - sharedFractionCurve(a, b, 6, [tau])[0], f64, `A at τ = ${tau}`);
      expectNear(u.perMember[1].fraction, 1 - sharedFractionCurve(b, a, 6, [tau])[0], f64, `B at τ = ${tau}`);
    }
  });

  it('throws InputError for one member and a non-finite τ', () => {
    expect(() => uniqueFeatures([A], 2)).toThrow(/unique features: members: at least 2 members are needed .* got 1/);
    expect(() => uniqueFeatures([A, B], 2, NaN)).toThrow(/tau: expected a finite cosine threshold .* got NaN/);
  });
});

// ---------------------------------------------------------------------------------------------
// PCA

/** Test-local oracle: cyclic Jacobi on a symmetric S [n, n]. Returns values and vectors (column k ↔ values[k]). */
function jacobiEigen(S: Float64Array, n: number): { values: number[]; vectors: Float64Array } {
  const a = S.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let all = 0;
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) {
        all += a[p * n + q] ** 2;
        if (p !== q) off += a[p * n + q] ** 2;
      }
    }
    if (off <= 1e-30 * all) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}

/** Centred unit rows X [M, dIn] and the scatter XᵀX [dIn, dIn], in f64, written here from the definition. */
function centredScatter(w: Float32Array, M: number, dIn: number): { X: Float64Array; S: Float64Array; trace: number } {
  const X = new Float64Array(M * dIn);
  for (let i = 0; i < M; i++) {
    const norm = Math.hypot(...w.subarray(i * dIn, (i + 1) * dIn));
    for (let d = 0; d < dIn; d++) X[i * dIn + d] = norm === 0 ? 0 : w[i * dIn + d] / norm;
  }
  for (let d = 0; d < dIn; d++) {
    let mu = 0;
    for (let i = 0; i < M; i++) mu += X[i * dIn + d];
    for (let i = 0; i < M; i++) X[i * dIn + d] -= mu / M;
  }
  const S = new Float64Array(dIn * dIn);
  for (let i = 0; i < M; i++) for (let p = 0; p < dIn; p++) for (let q = 0; q < dIn; q++) S[p * dIn + q] += X[i * dIn + p] * X[i * dIn + q];
  let trace = 0;
  for (let d = 0; d < dIn; d++) trace += S[d * dIn + d];
  return { X, S, trace };
}

/** pcaMap against the Jacobi oracle: explained, components (same sign rule) and coordinates. */
function expectMatchesOracle(w: Float32Array, M: number, dIn: number): void {
  const got = pcaMap(w, M, dIn, new Int32Array(M));
  const { X, S, trace } = centredScatter(w, M, dIn);
  const { values, vectors } = jacobiEigen(S, dIn);
  const order = values.map((_, k) => k).sort((i, k) => values[k] - values[i]);
  expect(values[order[0]] - values[order[1]], 'oracle: λ₁ is separated from λ₂').toBeGreaterThan(1e-4 * trace);
  expect(values[order[1]] - values[order[2]], 'oracle: λ₂ is separated from λ₃').toBeGreaterThan(1e-4 * trace);
  for (let pc = 0; pc < 2; pc++) {
    const k = order[pc];
    const v = Array.from({ length: dIn }, (_, d) => vectors[d * dIn + k]);
    let big = 0;
    for (let d = 0; d < dIn; d++) if (Math.abs(v[d]) > Math.abs(v[big])) big = d;
    const sign = v[big] < 0 ? -1 : 1;
    expectNear(got.explained[pc], values[k] / trace, { atol: 1e-10, rtol: 1e-9 }, `explained[${pc}] (M ${M}, dIn ${dIn})`);
    expectClose(
      got.components.subarray(pc * dIn, (pc + 1) * dIn),
      v.map((x) => sign * x),
      { atol: 1e-6, rtol: 0 },
      `component ${pc}`,
    );
    const coord = pc === 0 ? got.x : got.y;
    const want = Array.from({ length: M }, (_, i) => {
      let s = 0;
      for (let d = 0; d < dIn; d++) s += X[i * dIn + d] * sign * v[d];
      return s;
    });
    expectClose(coord, want, { atol: 1e-6, rtol: 0 }, `coordinate ${pc}`);
  }
}

/** Anisotropic random rows: coordinate d scaled by 1/(1 + d/4), so the spectrum has clear gaps. */
function anisotropic(M: number, dIn: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: M * dIn }, (_, t) => rng.normal() / (1 + (t % dIn) / 4));
}

describe('pcaMap', () => {
  it('maps points on a known plane to their in-plane coordinates (hand-worked, sign convention included)', () => {
    // u = (1,2,2,0)/3, w = (2,1,−2,0)/3 orthonormal in R⁴. Points at angles θ ∈ {0°, 180°, 30°, 210°}:
    // ±u, ±p with p = cos30·u + sin30·w, given with different positive norms (normalised away).
    // Mean 0; in-plane scatter 2(uuᵀ + ppᵀ) = 2·[[7/4, √3/4], [√3/4, 1/4]], eigenvalues 2(1 ± √3/2),
    // trace 4: explained = [1/2 + √3/4, 1/2 − √3/4]. The two lines at 0° and 30° are symmetric about 15°,
    // so v₁ ∝ cos15·u + sin15·w = (1.483, 2.191, 1.414, 0)/3 (largest entry positive: kept) and
    // v₂ ∝ −sin15·u + cos15·w = (1.673, 0.448, −2.449, 0)/3 (largest |entry| negative: flipped), hence
    // x = cos(θ − 15°), y = −sin(θ − 15°).
    const u = [1 / 3, 2 / 3, 2 / 3, 0];
    const w = [2 / 3, 1 / 3, -2 / 3, 0];
    const deg = Math.PI / 180;
    const thetas = [0, 180, 30, 210];
    const norms = [1, 2.5, 0.5, 4];
    const dict = rows(...thetas.map((t, i) => u.map((ud, d) => norms[i] * (Math.cos(t * deg) * ud + Math.sin(t * deg) * w[d]))));
    const member = Int32Array.from([0, 1, 0, 1]);
    const map = pcaMap(dict, 4, 4, member);
    expectClose(map.explained, [0.5 + Math.sqrt(3) / 4, 0.5 - Math.sqrt(3) / 4], f32, 'explained');
    expectClose(
      map.x,
      thetas.map((t) => Math.cos((t - 15) * deg)),
      f32,
      'x',
    );
    expectClose(
      map.y,
      thetas.map((t) => -Math.sin((t - 15) * deg)),
      f32,
      'y',
    );
    const c15 = Math.cos(15 * deg);
    const s15 = Math.sin(15 * deg);
    expectClose(
      map.components,
      [...u.map((ud, d) => c15 * ud + s15 * w[d]), ...u.map((ud, d) => s15 * ud - c15 * w[d])],
      f32,
      'components',
    );
    expect(Array.from(map.member)).toEqual([0, 1, 0, 1]);
    expect(map.member).not.toBe(member);
  });

  it('preserves pairwise distances of points on a random plane; explained from the in-plane 2×2 by hand', () => {
    const rng = createRng(41);
    const dIn = 7;
    // Orthonormal u, w by Gram–Schmidt.
    const u = Array.from({ length: dIn }, () => rng.normal());
    const nu = Math.hypot(...u);
    for (let d = 0; d < dIn; d++) u[d] /= nu;
    const w = Array.from({ length: dIn }, () => rng.normal());
    const uw = w.reduce((s, x, d) => s + x * u[d], 0);
    for (let d = 0; d < dIn; d++) w[d] -= uw * u[d];
    const nw = Math.hypot(...w);
    for (let d = 0; d < dIn; d++) w[d] /= nw;
    // Angles in [0, 120°): not centred, not symmetric.
    const M = 9;
    const angles = Array.from({ length: M }, () => (2 * Math.PI * rng.uniform()) / 3);
    const dict = rows(...angles.map((t) => u.map((ud, d) => Math.cos(t) * ud + Math.sin(t) * w[d])));
    const map = pcaMap(dict, M, dIn, new Int32Array(M));
    // In-plane coordinates (cos t, sin t), centred: scatter [[a, b], [b, c]].
    const cx = angles.map(Math.cos);
    const cy = angles.map(Math.sin);
    const mx = cx.reduce((s, v) => s + v, 0) / M;
    const my = cy.reduce((s, v) => s + v, 0) / M;
    let a = 0;
    let b = 0;
    let c = 0;
    for (let i = 0; i < M; i++) {
      a += (cx[i] - mx) ** 2;
      b += (cx[i] - mx) * (cy[i] - my);
      c += (cy[i] - my) ** 2;
    }
    const root = Math.sqrt(((a - c) / 2) ** 2 + b * b);
    expectClose(map.explained, [((a + c) / 2 + root) / (a + c), ((a + c) / 2 - root) / (a + c)], f32, 'explained');
    for (let i = 0; i < M; i++) {
      for (let k = i + 1; k < M; k++) {
        const planar = Math.hypot(cx[i] - cx[k], cy[i] - cy[k]);
        expectNear(Math.hypot(map.x[i] - map.x[k], map.y[i] - map.y[k]), planar, f32, `distance ${i}–${k}`);
      }
    }
  });

  it('matches a Jacobi eigensolver on the XᵀX path (M ≥ dIn) and the Gram path (M < dIn)', () => {
    const rng = createRng(42);
    expectMatchesOracle(anisotropic(60, 12, rng), 60, 12);
    expectMatchesOracle(anisotropic(9, 30, rng), 9, 30);
    expectMatchesOracle(anisotropic(200, 40, rng), 200, 40);
    // Near-isotropic: small spectral gaps, many Lanczos steps.
    expectMatchesOracle(randomRows(150, 24, rng), 150, 24);
  });

  it('edge sizes: dIn = 1, one row, two rows', () => {
    // dIn = 1: rows [2, −3, 4] → unit [1, −1, 1], mean 1/3, centred [2/3, −4/3, 2/3]; one PC with all the variance.
    const d1 = pcaMap(rows([2], [-3], [4]), 3, 1, Int32Array.from([0, 0, 1]));
    expectClose(d1.x, [2 / 3, -4 / 3, 2 / 3], f32, 'dIn = 1: x');
    expectClose(d1.y, [0, 0, 0], f64, 'dIn = 1: y');
    expectClose(d1.explained, [1, 0], { atol: 1e-12, rtol: 0 }, 'dIn = 1: explained');
    expectClose(d1.components, [1, 0], f64, 'dIn = 1: components');
    // One row: centred to the origin, no variance at all.
    const one = pcaMap(rows([3, 4, 0]), 1, 3, Int32Array.from([5]));
    expect(Array.from(one.x)).toEqual([0]);
    expect(one.explained).toEqual([0, 0]);
    expect(Array.from(one.components)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(one.member)).toEqual([5]);
    // Two rows (1,0,0) and (0,3,4)/5: centred ±(0.5, −0.3, −0.4), norm √½; one direction, made positive at its
    // largest entry: v₁ = (1, −0.6, −0.8)/√2, x = [√½, −√½], no second PC.
    const two = pcaMap(rows([1, 0, 0], [0, 3, 4]), 2, 3, new Int32Array(2));
    expectClose(two.explained, [1, 0], { atol: 1e-12, rtol: 0 }, 'two rows: explained');
    expectClose(two.x, [Math.SQRT1_2, -Math.SQRT1_2], f32, 'two rows: x');
    expectClose(two.y, [0, 0], f64, 'two rows: y');
    expectClose(two.components, [Math.SQRT1_2, -0.6 * Math.SQRT1_2, -0.8 * Math.SQRT1_2, 0, 0, 0], f32, 'two rows: components');
  });

  it('1024 directions in R^784 (8 members × 128): top-2 eigenpairs of the scatter, orthonormal, reproducible', () => {
    const rng = createRng(43);
    const M = 1024;
    const dIn = 784;
    const dict = randomRows(M, dIn, rng);
    const member = Int32Array.from({ length: M }, (_, i) => Math.floor(i / 128));
    const map = pcaMap(dict, M, dIn, member);
    const { explained, components } = map;
    expect(explained[0]).toBeGreaterThanOrEqual(explained[1]);
    expect(explained[1]).toBeGreaterThan(0);
    // Residual ‖XᵀX v − λv‖ / λ with X the centred unit rows, from the test's own products.
    const X = new Float64Array(M * dIn);
    const mean = new Float64Array(dIn);
    let trace = 0;
    for (let i = 0; i < M; i++) {
      let nn = 0;
      for (let d = 0; d < dIn; d++) nn += dict[i * dIn + d] ** 2;
      for (let d = 0; d < dIn; d++) mean[d] += (X[i * dIn + d] = dict[i * dIn + d] / Math.sqrt(nn)) / M;
    }
    for (let i = 0; i < M; i++) for (let d = 0; d < dIn; d++) trace += (X[i * dIn + d] -= mean[d]) ** 2;
    for (let pc = 0; pc < 2; pc++) {
      const v = components.subarray(pc * dIn, (pc + 1) * dIn);
      const xv = new Float64Array(M);
      for (let i = 0; i < M; i++) for (let d = 0; d < dIn; d++) xv[i] += X[i * dIn + d] * v[d];
      const sv = new Float64Array(dIn);
      for (let i = 0; i < M; i++) for (let d = 0; d < dIn; d++) sv[d] += X[i * dIn + d] * xv[i];
      const lambda = explained[pc] * trace;
      let res = 0;
      for (let d = 0; d < dIn; d++) res += (sv[d] - lambda * v[d]) ** 2;
      expect(Math.sqrt(res) / lambda, `PC${pc + 1} relative residual`).toBeLessThan(1e-5);
      expectNear(
        v.reduce((s, x) => s + x * x, 0),
        1,
        f32,
        `‖v${pc + 1}‖²`,
      );
    }
    expectNear(
      components.subarray(0, dIn).reduce((s, x, d) => s + x * components[dIn + d], 0),
      0,
      { atol: 1e-5, rtol: 0 },
      'v₁·v₂',
    );
    const again = pcaMap(dict, M, dIn, member);
    expect(Array.from(again.x)).toEqual(Array.from(map.x));
    expect(Array.from(again.y)).toEqual(Array.from(map.y));
    expect(Array.from(map.member)).toEqual(Array.from(member));
  });

  it('survives structuredClone (Comlink) unchanged', () => {
    const map = pcaMap(rows([1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]), 4, 3, Int32Array.from([0, 0, 1, 1]));
    expect(structuredClone(map)).toEqual(map);
  });

  it('throws InputError naming the numbers on bad shapes', () => {
    expect(() => pcaMap(new Float32Array(7), 2, 4, new Int32Array(2))).toThrow(/dictionary: expected length rows·dIn = 2·4 = 8, got 7/);
    expect(() => pcaMap(new Float32Array(8), 2, 4, new Int32Array(3))).toThrow(/member: expected one member index per row, length M = 2, got 3/);
    expect(() => pcaMap(new Float32Array(0), 0, 4, new Int32Array(0))).toThrow(/dictionary: expected a row count \(an integer ≥ 1\), got 0/);
    expect(() => pcaMap(new Float32Array(4), 4, 1.5, new Int32Array(4))).toThrow(InputError);
    expect(() => pcaMap(rows([1, NaN]), 1, 2, new Int32Array(1))).toThrow(/dictionary\[0, 1\]: expected a finite number, got NaN/);
  });
});
