// Downstream tasks (src/core/ensemble/downstream.ts, seed-papers.md §2.7) on hand-built cases: sparse probing where
// one latent is exactly a class indicator (selected at k_p = 1, accuracy 1; ties to the lower index; the
// concatenated view's indices and members; the input baseline), skipped classes with their reason;
// markRows (the requested fraction, independent of the label, exactly + marker), imageMarker's patch,
// vectorMarker's norm; ablation = x − Σ c̃·D (all latents: x − x̂ + b, so the error term is kept); SCR on
// dIn = 3 (dim 0 the class, dim 1 the marker) with a boosted 2-member ensemble whose marker latents, one
// per side of the marker, move the biased probe to the oracle while class latents do not; bad inputs.
// Imports src/core and the test helpers only.

import { describe, expect, it } from 'vitest';
import type { LabelledDataset } from '../../../src/core/data/card.ts';
import {
  ablateLatents,
  imageMarker,
  markRows,
  scrClassPair,
  sparseProbing,
  sparseProbingOnCodes,
  spuriousCorrelationRemoval,
  vectorMarker,
} from '../../../src/core/ensemble/downstream.ts';
import { concatenatedView, ensembleCodes, ensembleReconstruct, type EnsembleMethod } from '../../../src/core/ensemble/ensemble.ts';
import { InputError } from '../../../src/core/errors.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { encode } from '../../../src/core/sae/sae.ts';
import { zeroSae, type Sae } from '../../../src/core/sae/types.ts';
import { expectClose, expectNear } from '../../helpers/close.ts';
import { randomSae } from '../../helpers/saes.ts';

/** A ReLU SAE whose encoder and decoder rows are the given vectors (bEnc = 0, bDec = 0): codes relu(x·row). */
function axisSae(rowsOfDictionary: number[][]): Sae {
  const dIn = rowsOfDictionary[0].length;
  const sae = zeroSae('relu', dIn, rowsOfDictionary.length, 0);
  rowsOfDictionary.forEach((r, i) => {
    sae.wEnc.set(r, i * dIn);
    sae.wDec.set(r, i * dIn);
  });
  return sae;
}

// ---------------------------------------------------------------------------------------------
describe('sparseProbingOnCodes, hand-built codes', () => {
  // 3 classes × 20 rows + class 3 with 2 rows; class 4 named but absent. 6 columns:
  //   0 noise in [0, 0.3)   1 = [class 1]   2 = 1 − [class 2]   3 = [class 0]   4 noise   5 = [class 0] (a tie with 3)
  // |mean diff| of an indicator is 1; of noise < 0.3; of another class's indicator ≤ 1 − … < 1 here.
  const rng = createRng(11);
  const labelsList: number[] = [];
  for (let c = 0; c < 3; c++) for (let i = 0; i < 20; i++) labelsList.push(c);
  labelsList.push(3, 3);
  const rows = labelsList.length;
  const labels = Int32Array.from(labelsList);
  const width = 6;
  const codes = new Float32Array(rows * width);
  labelsList.forEach((c, t) => {
    codes.set([0.3 * rng.uniform(), c === 1 ? 1 : 0, c === 2 ? 0 : 1, c === 0 ? 1 : 0, 0.3 * rng.uniform(), c === 0 ? 1 : 0], t * width);
  });
  const names = ['zero', 'one', 'two', 'three', 'four'];
  const member = Int32Array.from([0, 0, 0, 1, 1, 1]);
  const result = sparseProbingOnCodes(codes, rows, width, labels, names, { kps: [1, 2], seed: 3, member });

  it('selects the indicator latent at k_p = 1 and classifies perfectly', () => {
    const at1 = result.perKp[0];
    expect(at1.kp).toBe(1);
    expect(at1.classes.map((c) => [c.class, c.name, c.latents, c.members, c.accuracy])).toEqual([
      [0, 'zero', [3], [1], 1], // 3 and 5 tie at |diff| = 1: the lower index wins
      [1, 'one', [1], [0], 1],
      [2, 'two', [2], [0], 1], // a negative indicator counts through |·|
    ]);
    expect(at1.meanAccuracy).toBe(1);
  });

  it('balances each side: 20 rows → 16 train + 4 test positives, as many negatives', () => {
    for (const c of result.perKp[0].classes) {
      expect(c.trainRows).toBe(32);
      expect(c.testRows).toBe(8);
      expect(c.converged).toBe(true);
    }
  });

  it('k_p = 2 takes the next column by the same rule (class 0: the tie partner 5)', () => {
    expect(result.perKp[1].classes[0].latents).toEqual([3, 5]);
  });

  it('skips classes with too few rows, with the reason', () => {
    expect(result.skipped.map((s) => [s.class, s.name])).toEqual([
      [3, 'three'],
      [4, 'four'],
    ]);
    expect(result.skipped[0].reason).toMatch(/2 rows: 2 positive in probe-train and 0 in probe-test; needs at least 2 on each side/);
    expect(result.skipped[1].reason).toMatch(/^0 rows/);
  });

  it('is deterministic in the seed and clips k_p to the columns', () => {
    const again = sparseProbingOnCodes(codes, rows, width, labels, names, { kps: [1, 2], seed: 3, member });
    expect(again).toEqual(result);
    const wide = sparseProbingOnCodes(codes, rows, width, labels, names, { kps: [50] });
    expect(wide.perKp[0].classes[0].latents).toHaveLength(6);
  });

  it('rejects labels that are not class ids', () => {
    const bad = labels.slice();
    bad[5] = 7;
    expect(() => sparseProbingOnCodes(codes, rows, width, bad, names)).toThrow(InputError);
    expect(() => sparseProbingOnCodes(codes, rows, width, bad, names)).toThrow(/labels\[5\]: class id 7 has no name \(labelNames has 5\)/);
    bad[5] = -1;
    expect(() => sparseProbingOnCodes(codes, rows, width, bad, names)).toThrow(/labels\[5\]: expected a class id ≥ 0, got -1/);
    expect(() => sparseProbingOnCodes(codes, rows, width, labels, names, { testFraction: 1 })).toThrow(/testFraction: expected a number in \(0, 1\), got 1/);
    expect(() => sparseProbingOnCodes(codes, rows, width, labels, names, { kps: [0] })).toThrow(/kps: expected integers ≥ 1, got 0/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('sparseProbing on an ensemble', () => {
  // 4 classes, class c lives on axis c of R⁴ (value 1 + noise, other dims noise). Member 0 has latents on
  // axes 0, 1 and member 1 on axes 2, 3, so class c's indicator is concatenated latent c of member ⌊c/2⌋.
  const rng = createRng(5);
  const rows = 160;
  const dIn = 4;
  const x = new Float32Array(rows * dIn);
  const labels = new Int32Array(rows);
  for (let t = 0; t < rows; t++) {
    labels[t] = t % 4;
    for (let d = 0; d < dIn; d++) x[t * dIn + d] = (d === labels[t] ? 1 : 0) + 0.1 * rng.normal();
  }
  const data: LabelledDataset = { name: 'axes', rows, dIn, x, labels, labelNames: ['a', 'b', 'c', 'd'] };
  const members = [
    axisSae([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
    ]),
    axisSae([
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]),
  ];

  it('finds each class on its own latent of the concatenated view, and the input baseline on its axis', () => {
    const r = sparseProbing('bagging', members, data, { kps: [1] });
    expect(r.latents).toBe(4);
    expect(r.ensembleSize).toBe(2);
    expect(r.perKp[0].classes.map((c) => [c.latents[0], c.members![0], c.accuracy])).toEqual([
      [0, 0, 1],
      [1, 0, 1],
      [2, 1, 1],
      [3, 1, 1],
    ]);
    expect(r.inputBaseline.perKp[0].classes.map((c) => [c.latents[0], c.members, c.accuracy])).toEqual([
      [0, null, 1],
      [1, null, 1],
      [2, null, 1],
      [3, null, 1],
    ]);
  });

  it('J = 1 probes the single SAE\'s own codes', () => {
    const sae = randomSae('topk', dIn, 6, 2, 1, createRng(9));
    const viaEnsemble = sparseProbing('boosting', [sae], data, { seed: 4 });
    const direct = sparseProbingOnCodes(encode(sae, x, rows).f, rows, 6, labels, data.labelNames, { seed: 4, member: new Int32Array(6) });
    expect(viaEnsemble.perKp).toEqual(direct.perKp);
  });

  it('maxRows subsamples the rows (seeded)', () => {
    const r = sparseProbing('bagging', members, data, { kps: [1], maxRows: 80 });
    expect(r.rows).toBe(80);
    expect(r.datasetRows).toBe(160);
    expect(r.perKp[0].classes.length + r.skipped.length).toBe(4);
  });

  it('rejects text labels and a dIn mismatch', () => {
    const text = { ...data, labels: Array.from({ length: rows }, () => 'w') };
    expect(() => sparseProbing('bagging', members, text)).toThrow(/labels: expected class ids \(an Int32Array, one per row\), got text labels/);
    const narrow = { ...data, dIn: 2, x: new Float32Array(rows * 2) };
    expect(() => sparseProbing('bagging', members, narrow)).toThrow(/the ensemble's dIn 4 does not match the data's dIn 2/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('markers', () => {
  const rows = 200;
  const dIn = 3;
  const rng = createRng(2);
  const x = Float32Array.from({ length: rows * dIn }, () => rng.normal());
  // Blocked labels (first 100 class 0, then class 1): a marker that followed row order would show here.
  const labels = Int32Array.from({ length: rows }, (_, t) => (t < 100 ? 0 : 1));
  const data: LabelledDataset = { name: 'blocks', rows, dIn, x, labels, labelNames: ['first', 'second'] };
  const marker = Float32Array.from([0.5, -1.25, 3]);

  it('marks round(fraction·rows) rows, about half of each class, adding exactly the marker', () => {
    const m = markRows(data, { seed: 7, marker });
    let total = 0;
    const perClass = [0, 0];
    for (let t = 0; t < rows; t++) {
      total += m.marked[t];
      perClass[labels[t]] += m.marked[t];
      for (let d = 0; d < dIn; d++) {
        const want = m.marked[t] ? Math.fround(x[t * dIn + d] + marker[d]) : x[t * dIn + d];
        expect(m.x[t * dIn + d]).toBe(want);
      }
    }
    expect(total).toBe(100);
    for (const n of perClass) expect(Math.abs(n - 50)).toBeLessThanOrEqual(15); // hypergeometric sd ≈ 3.5
    expect(Array.from(m.marker)).toEqual(Array.from(marker));
    expect(data.x).toBe(x); // the input is not modified
    expect(m.labels).toBe(labels);
    expect(markRows(data, { seed: 7, marker, fraction: 0.3 }).marked.reduce((a, v) => a + v, 0)).toBe(60);
  });

  it('never reads the label: other labels, the same marked rows', () => {
    const shuffled = { ...data, labels: Int32Array.from({ length: rows }, (_, t) => t % 2) };
    expect(markRows(shuffled, { seed: 7, marker }).marked).toEqual(markRows(data, { seed: 7, marker }).marked);
    expect(markRows(data, { seed: 8, marker }).marked).not.toEqual(markRows(data, { seed: 7, marker }).marked);
  });

  it('rejects a marker of the wrong length and a bad fraction', () => {
    expect(() => markRows(data, { seed: 1, marker: new Float32Array(2) })).toThrow(/marker: expected 3 values \(dIn\), got 2/);
    expect(() => markRows(data, { seed: 1, marker, fraction: 1.5 })).toThrow(/fraction: expected a number in \[0, 1\], got 1.5/);
  });

  it('imageMarker: value on the 3×3 top-left patch, 0 elsewhere', () => {
    const m = imageMarker(5, 6, 2); // row-major 5 rows × 6 cols: patch = indices r·6 + c, r, c < 3
    const want = new Array(30).fill(0);
    for (const i of [0, 1, 2, 6, 7, 8, 12, 13, 14]) want[i] = 2;
    expect(Array.from(m)).toEqual(want);
    expect(() => imageMarker(2, 6, 1)).toThrow(/expected integers ≥ 3 \(the patch is 3×3\), got 2 × 6/);
  });

  it('vectorMarker: the requested norm, seeded', () => {
    const v = vectorMarker(16, 3, 1);
    expectNear(Math.hypot(...v), 3, { atol: 1e-5, rtol: 0 }, '‖v‖');
    expect(vectorMarker(16, 3, 1)).toEqual(v);
    expect(vectorMarker(16, 3, 2)).not.toEqual(v);
  });
});

// ---------------------------------------------------------------------------------------------
describe('ablateLatents', () => {
  it('subtracts c̃·D of the chosen latents (bagging, hand-worked)', () => {
    // Member 0 latents +e0, −e0, +e1; member 1 latents −e1, +e2, −e2. x = [0.5, 2, 0.3]:
    // codes c = [0.5, 0, 2 | 0, 0.3, 0], c̃ = c/2. Ablating latents 2 and 4: x' = x − 1·e1 − 0.15·e2.
    const members = marker3dMembers();
    const view = concatenatedView('bagging', members);
    const x = Float32Array.from([0.5, 2, 0.3]);
    const codes = ensembleCodes('bagging', members, x, 1);
    expectClose(ablateLatents(view, codes, x, 1, [2, 4]), [0.5, 1, 0.15], { atol: 1e-7, rtol: 0 });
    expect(Array.from(ablateLatents(view, codes, x, 1, []))).toEqual(Array.from(x));
  });

  it('ablating every latent leaves x − x̂ + b: the error term is kept (both methods, random SAEs with biases)', () => {
    const rng = createRng(3);
    const members = [randomSae('topk', 5, 7, 2, 1.5, rng), randomSae('relu', 5, 4, 0, 0.8, rng)];
    const x = Float32Array.from({ length: 6 * 5 }, () => rng.normal());
    for (const method of ['bagging', 'boosting'] as EnsembleMethod[]) {
      const view = concatenatedView(method, members);
      const xHat = ensembleReconstruct(method, members, x, 6);
      const all = Array.from({ length: view.latents }, (_, i) => i);
      const got = ablateLatents(view, ensembleCodes(method, members, x, 6), x, 6, all);
      const want = Array.from(x, (v, i) => v - xHat[i] + view.bias[i % 5]);
      expectClose(got, want, { atol: 1e-5, rtol: 1e-5 }, method);
    }
  });

  it('rejects a latent outside the view', () => {
    const view = concatenatedView('bagging', marker3dMembers());
    expect(() => ablateLatents(view, new Float32Array(6), new Float32Array(3), 1, [6])).toThrow(/latent 6: expected an index in 0..5/);
  });
});

/** Member 0: latents +e0, −e0, +e1; member 1: −e1, +e2, −e2 (ReLU, no biases). */
function marker3dMembers(): Sae[] {
  return [
    axisSae([
      [1, 0, 0],
      [-1, 0, 0],
      [0, 1, 0],
    ]),
    axisSae([
      [0, -1, 0],
      [0, 0, 1],
      [0, 0, -1],
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------
describe('spurious correlation removal, hand-built (dIn = 3)', () => {
  // Class A (0) / B (1) alternate; dim 0 = ±1 + 0.6·N(0, 1) carries the class (oracle ≈ Φ(1/0.6) ≈ 0.95),
  // dim 1 = −2 before marking, dim 2 = 0.5·N(0, 1) noise. markRows adds [0, 4, 0] to half the rows: dim 1 is
  // +2 (marked) or −2 (unmarked), a perfect shortcut in the biased sets.
  // Boosting with marker3dMembers: stage 1 codes relu(±x0) and relu(x1) (fires 2 on marked rows), so the
  // residual's dim 1 is 0 (marked) or −2 (unmarked) and stage 2's −e1 latent fires 2 on unmarked rows.
  // Concatenated latents: 0 +e0, 1 −e0 (class), 2 +e1 (marked side), 3 −e1 (unmarked side), 4, 5 ±e2.
  // Scores: latents 2 and 3 both |±2 · ±w_attr,1| = 2|w_attr,1|, a tie (2 first); class latents ≈ 0.
  // Ablating 2 and 3 sets dim 1 to 0 on every row — the midpoint of the biased probe's two sides — so the
  // probe falls back on dim 0: A_abl ≈ A_oracle, S_SHIFT ≈ 1. One latent cannot do that: a code is ≥ 0, so
  // it moves one side of the marker only. Ablating latent 2 alone takes the marked rows to the midpoint
  // (classified by dim 0) and leaves the unmarked rows on B's side (half right): S_SHIFT ≈ 0.5.
  const rows = 1000;
  const rng = createRng(21);
  const x = new Float32Array(rows * 3);
  const labels = new Int32Array(rows);
  for (let t = 0; t < rows; t++) {
    labels[t] = t % 2;
    x.set([(t % 2 === 0 ? 1 : -1) + 0.6 * rng.normal(), -2, 0.5 * rng.normal()], t * 3);
  }
  const clean: LabelledDataset = { name: 'marker-3d', rows, dIn: 3, x, labels, labelNames: ['A', 'B', 'C'] };
  const data = markRows(clean, { seed: 5, marker: Float32Array.from([0, 4, 0]) });
  const members = marker3dMembers();
  const r = spuriousCorrelationRemoval('boosting', members, data, { classA: 0, classB: 1, latentSets: [[0, 1]] });

  it('the biased probe is fooled, the oracle is not', () => {
    expect(r.aOracle).toBeGreaterThan(0.9);
    expect(r.aOracle - r.aBase).toBeGreaterThan(0.2);
    expect(r.attributeAccuracy).toBe(1);
    expect(r.note).toBeNull();
    expect(r.rows).toEqual({ pair: 1000, used: 1000, train: 700, test: 300, biased: r.directions.find((d) => d.direction === r.direction)!.biasedRows });
  });

  it('reports the direction with the lower clean accuracy', () => {
    expect(r.directions.map((d) => d.direction)).toEqual(['A marked, B unmarked', 'A unmarked, B marked']);
    const lower = r.directions[0].aBase <= r.directions[1].aBase ? r.directions[0] : r.directions[1];
    expect(r.direction).toBe(lower.direction);
    expect(r.aBase).toBe(lower.aBase);
  });

  it('ranks the two marker latents first (a tie, lower index first)', () => {
    expect(r.ranking.slice(0, 2).map((s) => [s.latent, s.member])).toEqual([
      [2, 0],
      [3, 1],
    ]);
    expectNear(r.ranking[0].codeDiff, 2, { atol: 1e-6, rtol: 0 }, 'codeDiff of +e1');
    expectNear(r.ranking[1].codeDiff, -2, { atol: 1e-6, rtol: 0 }, 'codeDiff of −e1');
    expectNear(r.ranking[0].score, r.ranking[1].score, { atol: 0, rtol: 1e-12 }, 'tie');
    expect(r.ranking[2].score).toBeLessThan(0.1 * r.ranking[0].score);
  });

  it('ablating both marker latents moves the biased probe to the oracle (S_SHIFT ≈ 1)', () => {
    const two = r.perN.find((p) => p.n === 2)!;
    expect(two.latents).toEqual([2, 3]);
    expect(two.members).toEqual([0, 1]);
    expect(Math.abs(two.aAbl - r.aOracle)).toBeLessThan(0.04);
    expect(two.shift!).toBeGreaterThan(0.9);
    expect(two.shift!).toBeLessThan(1.1);
    const one = r.perN.find((p) => p.n === 1)!;
    expect(one.latents).toEqual([2]);
    expect(one.shift!).toBeGreaterThan(0.3);
    expect(one.shift!).toBeLessThan(0.7);
  });

  it('ablating the class latents does not help', () => {
    expect(r.perSet[0].latents).toEqual([0, 1]);
    // dim 0 → 0 on every row: the probe, which already leaned on the marker alone, gains nothing.
    expect(r.perSet[0].shift!).toBeLessThanOrEqual(0.01);
  });

  it('clips N to the latents and is deterministic', () => {
    expect(r.perN.map((p) => p.n)).toEqual([1, 2, 5, 6]); // default [1, 2, 5, 10, 20], M = 6
    expect(spuriousCorrelationRemoval('boosting', members, data, { classA: 0, classB: 1, latentSets: [[0, 1]] })).toEqual(r);
  });

  it('gives a null shift with a note when the biased probe is already the oracle', () => {
    // No marker at all (zero vector): both biased probes see only dim 0, as the oracle does.
    const unmarked = markRows(clean, { seed: 5, marker: new Float32Array(3) });
    const flat = spuriousCorrelationRemoval('boosting', members, unmarked, { classA: 0, classB: 1, ns: [1] });
    expect(flat.note).toMatch(/A_oracle − A_base = .* < 0.01/);
    expect(flat.perN[0].shift).toBeNull();
  });

  it('scrClassPair: the two most populous classes, or a checked pair', () => {
    expect(scrClassPair(data)).toEqual({ classA: 0, classB: 1 });
    const skew = { ...data, labels: Int32Array.from({ length: rows }, (_, t) => (t < 100 ? 0 : t < 550 ? 1 : 2)) };
    expect(scrClassPair(skew)).toEqual({ classA: 1, classB: 2 });
    expect(scrClassPair(skew, [2, 0])).toEqual({ classA: 2, classB: 0 });
    expect(() => scrClassPair(data, [0, 2])).toThrow(/classB: class 2 \(C\) has no rows in the data/);
  });

  it.each([
    ['class not present', () => spuriousCorrelationRemoval('boosting', members, data, { classA: 0, classB: 2 }), /classB: class 2 \(C\) has no rows in the data/],
    ['class out of range', () => spuriousCorrelationRemoval('boosting', members, data, { classA: 0, classB: 9 }), /classB: expected a class id in 0..2, got 9/],
    ['same class twice', () => spuriousCorrelationRemoval('boosting', members, data, { classA: 1, classB: 1 }), /classA and classB are both 1/],
    ['text labels', () => spuriousCorrelationRemoval('boosting', members, { ...data, labels: Array.from({ length: rows }, () => 'a') }, { classA: 0, classB: 1 }), /labels: expected class ids/],
    ['label not an id', () => spuriousCorrelationRemoval('boosting', members, { ...data, labels: Int32Array.from({ length: rows }, (_, t) => (t === 4 ? 3 : 0)) }, { classA: 0, classB: 1 }), /labels\[4\]: class id 3 has no name \(labelNames has 3\)/],
    ['marked length', () => spuriousCorrelationRemoval('boosting', members, { ...data, marked: new Uint8Array(10) }, { classA: 0, classB: 1 }), /marked: expected 1000 flags \(one per row\), got 10/],
    ['marked value', () => spuriousCorrelationRemoval('boosting', members, { ...data, marked: new Uint8Array(rows).fill(2) }, { classA: 0, classB: 1 }), /marked\[0\]: expected 0 or 1, got 2/],
    ['nothing marked', () => spuriousCorrelationRemoval('boosting', members, { ...data, marked: new Uint8Array(rows) }, { classA: 0, classB: 1 }), /the cell "A marked" has 0 rows/],
    ['dIn mismatch', () => spuriousCorrelationRemoval('boosting', [axisSae([[1, 0]])], data, { classA: 0, classB: 1 }), /the ensemble's dIn 2 does not match the data's dIn 3/],
  ])('%s throws InputError naming it', (_name, f, message) => {
    expect(f).toThrow(InputError);
    expect(f).toThrow(message);
  });
});
