// Downstream tasks of "Ensembling Sparse Autoencoders" (Gadgil, Lin, Lee; seed-papers.md §2.7) at small
// scale, on labelled rows (one row = one image or word; no pooling):
//   - concept detection = SAEBench's sparse probing: one-vs-rest per class, top-k_p latents by mean
//     difference, an L2 logistic probe (logistic.ts), held-out accuracy; with the same probe on raw input
//     dimensions as a baseline;
//   - spurious-marker datasets (markRows, imageMarker, vectorMarker): a fixed vector added to a random half
//     of the rows, independent of the label — the "gender" of our small-scale SCR;
//   - spurious correlation removal (SCR, Karvonen et al., SAEBench): a probe trained where the marker is a
//     perfect shortcut, the latents that carry the marker ablated, the probe's recovery toward an unbiased
//     oracle measured as S_SHIFT.
// An ensemble is its concatenated SAE (Prop. 3.1, ensemble.ts): latents are indices into that view.
// Imports only src/core: no DOM, WebGPU or Node.
//
// Legend: rows = examples, dIn = input width, M = latents of the concatenated view, J = members.

import type { LabelledDataset } from '../data/card.ts';
import { concatenatedView, ensembleCodes, type ConcatenatedView, type EnsembleMethod } from './ensemble.ts';
import { InputError, assertFinite } from '../errors.ts';
import { accuracy, fitLogistic, gramMatrix } from '../math/logistic.ts';
import { createRng, permutation, type Rng } from '../math/random.ts';
import type { Sae } from '../sae/types.ts';

type Matrix = Float32Array | Float64Array;

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** Class ids checked against their names: every label an integer in [0, classes). */
interface Classes {
  labels: Int32Array; // [rows]
  names: string[]; // [classes]
  sizes: number[]; // [classes] rows per class
}

function classLabels(what: string, labels: Int32Array | string[] | undefined, labelNames: readonly string[] | undefined, rows: number): Classes {
  if (!(labels instanceof Int32Array)) {
    const got = labels === undefined ? 'no labels' : Array.isArray(labels) ? 'text labels (strings)' : typeof labels;
    throw new InputError(`${what}: labels: expected class ids (an Int32Array, one per row), got ${got}; use a dataset with classes (images, digits, a CSV label column)`);
  }
  if (labels.length !== rows) throw new InputError(`${what}: labels: expected ${rows} (one per row), got ${labels.length}`);
  const given = labelNames ?? [];
  let max = -1;
  for (let t = 0; t < rows; t++) {
    const l = labels[t];
    if (l < 0) throw new InputError(`${what}: labels[${t}]: expected a class id ≥ 0, got ${l}; labels must be ids into labelNames`);
    if (given.length > 0 && l >= given.length) {
      throw new InputError(`${what}: labels[${t}]: class id ${l} has no name (labelNames has ${given.length}); labels must be ids 0..${given.length - 1} into labelNames`);
    }
    if (l > max) max = l;
  }
  const count = given.length > 0 ? given.length : max + 1;
  const names = Array.from({ length: count }, (_, c) => given[c] ?? String(c));
  const sizes = new Array<number>(count).fill(0);
  for (let t = 0; t < rows; t++) sizes[labels[t]]++;
  return { labels, names, sizes };
}

function checkSeed(what: string, seed: number): void {
  if (!Number.isInteger(seed)) throw new InputError(`${what}: seed: expected an integer, got ${seed}`);
}

/** An independent stream per purpose from one user seed (split, balancing of class c, subsampling, …). */
function streamRng(seed: number, stream: number): Rng {
  return createRng((seed + Math.imul(stream + 1, 0x9e3779b1)) >>> 0);
}

const STREAM_SUBSAMPLE = 0;
const STREAM_SPLIT = 1;
const STREAM_CLASS = 2; // + class id

/** k of `items` chosen uniformly without replacement (seeded), in the drawn order. */
function sample(items: readonly number[], k: number, rng: Rng): number[] {
  const p = permutation(items.length, rng);
  return Array.from({ length: Math.min(k, items.length) }, (_, i) => items[p[i]]);
}

/** Splits each group by a seeded permutation: round(testFraction·n) rows to test, the rest to train. */
function stratifiedSplit(groups: readonly number[][], testFraction: number, rng: Rng): { train: number[][]; test: number[][] } {
  const train: number[][] = [];
  const test: number[][] = [];
  for (const g of groups) {
    const p = permutation(g.length, rng);
    const nTest = Math.round(testFraction * g.length);
    test.push(Array.from({ length: nTest }, (_, i) => g[p[i]]));
    train.push(Array.from({ length: g.length - nTest }, (_, i) => g[p[nTest + i]]));
  }
  return { train, test };
}

/** Rows `idx` of x [rows, dIn] → [idx.length, dIn]. */
function gatherRows(x: Float32Array, dIn: number, idx: readonly number[]): Float32Array {
  const out = new Float32Array(idx.length * dIn);
  idx.forEach((r, i) => out.set(x.subarray(r * dIn, (r + 1) * dIn), i * dIn));
  return out;
}

/** Columns `cols` of rows `idx` of a [rows, width] matrix → [idx.length, cols.length] f64. */
function gather(m: Matrix, width: number, idx: readonly number[], cols: readonly number[]): Float64Array {
  const out = new Float64Array(idx.length * cols.length);
  idx.forEach((r, i) => cols.forEach((c, j) => (out[i * cols.length + j] = m[r * width + c])));
  return out;
}

/** Column means of rows `idx` of a [rows, width] matrix, f64. */
function columnMeans(m: Matrix, width: number, idx: readonly number[]): Float64Array {
  const out = new Float64Array(width);
  for (const r of idx) for (let i = 0; i < width; i++) out[i] += m[r * width + i];
  for (let i = 0; i < width; i++) out[i] /= idx.length;
  return out;
}

/** Indices 0..n−1 by score descending, ties to the lower index. */
function rankDescending(score: Float64Array): number[] {
  return Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[b] - score[a] || a - b);
}

function checkCounts(what: string, field: string, values: readonly number[] | undefined, fallback: number[]): number[] {
  const v = values ?? fallback;
  if (v.length === 0) throw new InputError(`${what}: ${field}: expected at least one value, got none`);
  for (const k of v) if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`${what}: ${field}: expected integers ≥ 1, got ${k}`);
  return [...v];
}

/** Seeded subsample of maxRows row indices (ascending), or every row. */
function capRows(what: string, rows: number, maxRows: number, seed: number): number[] {
  if (!(Number.isInteger(maxRows) && maxRows >= 1)) throw new InputError(`${what}: maxRows: expected an integer ≥ 1, got ${maxRows}`);
  if (rows <= maxRows) return Array.from({ length: rows }, (_, t) => t);
  return sample(Array.from({ length: rows }, (_, t) => t), maxRows, streamRng(seed, STREAM_SUBSAMPLE)).sort((a, b) => a - b);
}

/** c̃ = codeScale ⊙ c, the paper's coefficients (Prop. 3.1; bagging's 1/J included). codes: [rows, M], scaled in place. */
function scaleCodes(view: ConcatenatedView, codes: Float32Array, rows: number): Float32Array {
  const m = view.latents;
  for (let t = 0; t < rows; t++) for (let i = 0; i < m; i++) codes[t * m + i] *= view.codeScale[i];
  return codes;
}

// ---------------------------------------------------------------------------------------------
// Concept detection: SAEBench sparse probing (§2.7)

export interface ProbingOptions {
  /** Latents per probe; default [1, 2, 5] (SAEBench). Clipped to the number of columns. */
  kps?: number[];
  /** Fraction of each class's rows held out for the probe's test; default 0.2. */
  testFraction?: number;
  /** Seed of the split and the negative sampling; default 0. */
  seed?: number;
}

export interface ProbeClass {
  class: number;
  name: string;
  /** Held-out accuracy on the balanced probe-test set. */
  accuracy: number;
  /** The selected columns (latents of the concatenated view, or input dims for the baseline), by |mean difference| descending. */
  latents: number[];
  /** The ensemble member of each selected latent; null for the input baseline. */
  members: number[] | null;
  /** Balanced rows: 2 × positives (or negatives, the fewer). */
  trainRows: number;
  testRows: number;
  /** The logistic fit's convergence (Newton, see logistic.ts). */
  converged: boolean;
}

export interface ProbeAtKp {
  kp: number;
  /** Mean accuracy over the probed classes (skipped ones excluded); null when every class was skipped. */
  meanAccuracy: number | null;
  classes: ProbeClass[];
}

export interface SkippedClass {
  class: number;
  name: string;
  reason: string;
}

export interface SparseProbingOnCodes {
  kps: number[];
  testFraction: number;
  seed: number;
  perKp: ProbeAtKp[];
  skipped: SkippedClass[];
}

export interface SparseProbing extends SparseProbingOnCodes {
  method: EnsembleMethod;
  /** J. */
  ensembleSize: number;
  /** M = Σ_j dSae_j. */
  latents: number;
  dIn: number;
  /** Rows probed (after maxRows). */
  rows: number;
  /** Rows of the dataset. */
  datasetRows: number;
  /** The same protocol on the top-k_p raw input dimensions (same rule, same split): does the SAE help? */
  inputBaseline: SparseProbingOnCodes;
}

/**
 * Sparse probing (SAEBench v0.3.2, §2.7) on any [rows, width] matrix of features (codes or raw inputs).
 * Per class c (one-vs-rest):
 *   1. each class's rows are split by a seeded permutation, round(testFraction·n_c) to probe-test (so
 *      every class is on both sides; the same split for every class and every k_p);
 *   2. each side is balanced: min(#pos, #neg) rows of each, drawn uniformly (seeded) — SAEBench keeps all
 *      positives and draws as many negatives;
 *   3. on balanced probe-train, columns ranked by |mean on positives − mean on negatives| (ties → lower
 *      index); the top k_p feed fitLogistic (C = 1);
 *   4. accuracy on balanced probe-test.
 * Classes with fewer than 2 positive or 2 negative rows on either side are skipped, with the reason.
 * features: [rows, width]; labels: [rows] class ids into labelNames (labelNames may be empty: names are the ids).
 * `member` ([width]) names the member of each column in the result.
 */
export function sparseProbingOnCodes(
  features: Matrix,
  rows: number,
  width: number,
  labels: Int32Array,
  labelNames: readonly string[],
  opts: ProbingOptions & { member?: Int32Array } = {},
): SparseProbingOnCodes {
  const what = 'sparse probing';
  if (!(Number.isInteger(width) && width >= 1)) throw new InputError(`${what}: width: expected an integer ≥ 1 (columns of the features), got ${width}`);
  if (!(Number.isInteger(rows) && rows >= 0)) throw new InputError(`${what}: rows: expected an integer ≥ 0, got ${rows}`);
  if (features.length !== rows * width) throw new InputError(`${what}: features: expected length rows·width = ${rows}·${width} = ${rows * width}, got ${features.length}`);
  const { names, sizes } = classLabels(what, labels, labelNames, rows);
  assertFinite(features, what, 'features', width);
  const kps = checkCounts(what, 'kps', opts.kps, [1, 2, 5]);
  const testFraction = opts.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) throw new InputError(`${what}: testFraction: expected a number in (0, 1), got ${testFraction}`);
  const seed = opts.seed ?? 0;
  checkSeed(what, seed);
  const member = opts.member;
  if (member && member.length !== width) throw new InputError(`${what}: member: expected ${width} entries (one per column), got ${member.length}`);

  const byClass: number[][] = names.map(() => []);
  for (let t = 0; t < rows; t++) byClass[labels[t]].push(t);
  const split = stratifiedSplit(byClass, testFraction, streamRng(seed, STREAM_SPLIT));
  const perKp: ProbeAtKp[] = kps.map((kp) => ({ kp, meanAccuracy: null, classes: [] }));
  const skipped: SkippedClass[] = [];
  names.forEach((name, c) => {
    const trainPos = split.train[c];
    const testPos = split.test[c];
    const trainNeg = split.train.flatMap((g, o) => (o === c ? [] : g));
    const testNeg = split.test.flatMap((g, o) => (o === c ? [] : g));
    if (trainPos.length < 2 || testPos.length < 2) {
      skipped.push({
        class: c,
        name,
        reason: `${sizes[c]} rows: ${trainPos.length} positive in probe-train and ${testPos.length} in probe-test; needs at least 2 on each side (≈ ${Math.ceil(2 / Math.min(testFraction, 1 - testFraction))} rows of the class)`,
      });
      return;
    }
    if (trainNeg.length < 2 || testNeg.length < 2) {
      skipped.push({ class: c, name, reason: `${trainNeg.length} negative rows in probe-train and ${testNeg.length} in probe-test; needs at least 2 on each side (another class with rows)` });
      return;
    }
    const rng = streamRng(seed, STREAM_CLASS + c);
    const [trP, trN] = balance(trainPos, trainNeg, rng);
    const [teP, teN] = balance(testPos, testNeg, rng);
    const meanPos = columnMeans(features, width, trP);
    const meanNeg = columnMeans(features, width, trN);
    const diff = new Float64Array(width);
    for (let i = 0; i < width; i++) diff[i] = Math.abs(meanPos[i] - meanNeg[i]);
    const order = rankDescending(diff);
    const trainIdx = [...trP, ...trN];
    const testIdx = [...teP, ...teN];
    const yTrain = Uint8Array.from(trainIdx, (_, i) => (i < trP.length ? 1 : 0));
    const yTest = Uint8Array.from(testIdx, (_, i) => (i < teP.length ? 1 : 0));
    kps.forEach((kp, s) => {
      const cols = order.slice(0, Math.min(kp, width));
      const fit = fitLogistic(gather(features, width, trainIdx, cols), trainIdx.length, cols.length, yTrain);
      perKp[s].classes.push({
        class: c,
        name,
        accuracy: accuracy(fit, gather(features, width, testIdx, cols), testIdx.length, cols.length, yTest),
        latents: cols,
        members: member ? cols.map((i) => member[i]) : null,
        trainRows: trainIdx.length,
        testRows: testIdx.length,
        converged: fit.converged,
      });
    });
  });
  for (const p of perKp) p.meanAccuracy = p.classes.length === 0 ? null : p.classes.reduce((a, r) => a + r.accuracy, 0) / p.classes.length;
  return { kps, testFraction, seed, perKp, skipped };
}

/** Balanced positives and negatives: min(#pos, #neg) of each, drawn uniformly. */
function balance(pos: readonly number[], neg: readonly number[], rng: Rng): [number[], number[]] {
  const n = Math.min(pos.length, neg.length);
  return [sample(pos, n, rng), sample(neg, n, rng)];
}

/**
 * Concept detection for an ensemble (J = 1: a single SAE): sparse probing (sparseProbingOnCodes) on the
 * paper's coefficients c̃ = codeScale ⊙ ensembleCodes — the concatenated codes as the ensemble's encoder
 * returns them (bagging divides by J; boosting's stages are sequential, §2.3–2.4) in raw input units —
 * and, as `inputBaseline`, on the raw inputs x with the same split. The probe is L2-regularised (C = 1),
 * so the code scale matters a little; selection by mean difference compares latents on one scale.
 * opts.maxRows (default 5000, SAEBench's 4000 + 1000) caps the rows, seeded.
 */
export function sparseProbing(
  method: EnsembleMethod,
  members: readonly Sae[],
  data: LabelledDataset,
  opts: ProbingOptions & { maxRows?: number } = {},
): SparseProbing {
  const what = 'sparse probing';
  const { rows, dIn } = data;
  const all = classLabels(what, data.labels, data.labelNames, rows);
  const view = concatenatedView(method, members);
  if (view.dIn !== dIn) throw new InputError(`${what}: the ensemble's dIn ${view.dIn} does not match the data's dIn ${dIn}; probe with the data the SAEs were trained on`);
  if (data.x.length !== rows * dIn) throw new InputError(`${what}: x: expected length rows·dIn = ${rows}·${dIn} = ${rows * dIn}, got ${data.x.length}`);
  const seed = opts.seed ?? 0;
  checkSeed(what, seed);
  const idx = capRows(what, rows, opts.maxRows ?? 5000, seed);
  const x = idx.length === rows ? data.x : gatherRows(data.x, dIn, idx); // [n, dIn]
  const labels = idx.length === rows ? all.labels : Int32Array.from(idx, (t) => all.labels[t]);
  const n = idx.length;
  const codes = scaleCodes(view, ensembleCodes(method, members, x, n), n); // [n, M]
  const probe = sparseProbingOnCodes(codes, n, view.latents, labels, all.names, { ...opts, member: view.member });
  const inputBaseline = sparseProbingOnCodes(x, n, dIn, labels, all.names, opts);
  return { method, ensembleSize: members.length, latents: view.latents, dIn, rows: n, datasetRows: rows, ...probe, inputBaseline };
}

// ---------------------------------------------------------------------------------------------
// Spurious markers

/** A labelled dataset with a marker added to some rows (markRows). */
export interface MarkedDataset extends LabelledDataset {
  /** [rows] 1 where the marker was added. */
  marked: Uint8Array;
  /** [dIn] the vector added. */
  marker: Float32Array;
}

export interface MarkOptions {
  /** Fraction of rows marked; default 0.5. round(fraction·rows) rows exactly. */
  fraction?: number;
  seed: number;
  /** [dIn] added to each marked row. */
  marker: Float32Array;
}

/**
 * x_t + marker on a seeded uniform random round(fraction·rows) of the rows, INDEPENDENT of the label
 * (the label is never read): the spurious attribute of SCR. Returns a new dataset (x copied; labels,
 * names and ground truth shared) with `marked` and `marker`. f32 sums, as the data.
 */
export function markRows(data: LabelledDataset, opts: MarkOptions): MarkedDataset {
  const what = 'mark rows';
  const { rows, dIn } = data;
  const fraction = opts.fraction ?? 0.5;
  if (!(fraction >= 0 && fraction <= 1)) throw new InputError(`${what}: fraction: expected a number in [0, 1], got ${fraction}`);
  checkSeed(what, opts.seed);
  if (opts.marker.length !== dIn) throw new InputError(`${what}: marker: expected ${dIn} values (dIn), got ${opts.marker.length}`);
  assertFinite(opts.marker, what, 'marker');
  if (data.x.length !== rows * dIn) throw new InputError(`${what}: x: expected length rows·dIn = ${rows}·${dIn} = ${rows * dIn}, got ${data.x.length}`);
  const marked = new Uint8Array(rows);
  const p = permutation(rows, createRng(opts.seed));
  const count = Math.round(fraction * rows);
  for (let i = 0; i < count; i++) marked[p[i]] = 1;
  const x = data.x.slice(); // [rows, dIn]
  for (let t = 0; t < rows; t++) if (marked[t]) for (let d = 0; d < dIn; d++) x[t * dIn + d] += opts.marker[d];
  return { ...data, name: `${data.name} + marker`, x, marked, marker: opts.marker.slice() };
}

/**
 * A [height·width] image marker (row-major pixels): `value` on the 3×3 patch of rows 0..2, cols 0..2
 * (top-left corner), 0 elsewhere. With value = the data's max pixel the marked images carry a bright
 * corner a probe can use as a shortcut.
 */
export function imageMarker(height: number, width: number, value: number): Float32Array {
  if (!(Number.isInteger(height) && height >= 3 && Number.isInteger(width) && width >= 3)) {
    throw new InputError(`image marker: height × width: expected integers ≥ 3 (the patch is 3×3), got ${height} × ${width}`);
  }
  if (!Number.isFinite(value)) throw new InputError(`image marker: value: expected a finite number, got ${value}`);
  const m = new Float32Array(height * width);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) m[r * width + c] = value;
  return m;
}

/** A seeded random direction of L2 norm `norm` in R^dIn: the marker for non-image data. */
export function vectorMarker(dIn: number, norm: number, seed: number): Float32Array {
  if (!(Number.isInteger(dIn) && dIn >= 1)) throw new InputError(`vector marker: dIn: expected an integer ≥ 1, got ${dIn}`);
  if (!(Number.isFinite(norm) && norm >= 0)) throw new InputError(`vector marker: norm: expected a finite number ≥ 0, got ${norm}`);
  checkSeed('vector marker', seed);
  const rng = createRng(seed);
  const v = new Float64Array(dIn);
  let s = 0;
  for (let d = 0; d < dIn; d++) s += (v[d] = rng.normal()) ** 2;
  const scale = norm / Math.sqrt(s);
  return Float32Array.from(v, (a) => a * scale);
}

// ---------------------------------------------------------------------------------------------
// Spurious correlation removal (§2.7, Karvonen et al.; SAEBench v0.3.2 SCR)

/** Which pairing is the shortcut in the biased probe-train set. */
export type ScrDirection = 'A marked, B unmarked' | 'A unmarked, B marked';
const DIRECTIONS: readonly ScrDirection[] = ['A marked, B unmarked', 'A unmarked, B marked'];

export interface ScrOptions {
  classA: number;
  classB: number;
  /** Numbers of top-scored latents to ablate; default [1, 2, 5, 10, 20], clipped to M. */
  ns?: number[];
  /** Seed of the split (and of maxRows); default 0. */
  seed?: number;
  /** Fraction of the pair's rows used to fit the probes; default 0.7 (the rest is the test set). */
  trainFraction?: number;
  /**
   * Cap on the pair's rows (seeded subsample before the split); default 1000. The probes on raw inputs
   * cost O(n²·dIn) once plus O(n³) per Newton step for dIn > n (logistic.ts, dual Newton): with 1000 rows
   * of 784 pixels (700 probe-train) the whole SCR of an 8 × 64-latent ensemble takes ~4 s in Node on a
   * shared 2-core machine; a 2,000-row eval set (~400 rows per pair) ~1 s.
   */
  maxRows?: number;
  /** Extra latent sets to ablate (indices into the concatenated view), e.g. a hand-picked comparison. */
  latentSets?: number[][];
}

export interface ScrAblation {
  /** Latents ablated. */
  n: number;
  latents: number[];
  members: number[];
  /** Biased probe's accuracy on the class target, on the ablated test inputs. */
  aAbl: number;
  /** S_SHIFT = (aAbl − aBase)/(aOracle − aBase); null when aOracle − aBase < 0.01 (see ScrResult.note). */
  shift: number | null;
}

export interface ScrLatentScore {
  latent: number;
  member: number;
  /** |codeDiff · attributeProjection|. */
  score: number;
  /** mean c̃_i over marked probe-train rows − over unmarked ones. */
  codeDiff: number;
  /** w_attr · D_i. */
  attributeProjection: number;
}

export interface ScrResult {
  method: EnsembleMethod;
  ensembleSize: number;
  latents: number;
  dIn: number;
  classA: number;
  classB: number;
  names: [string, string];
  /** The reported direction: the one whose biased probe has the lower clean accuracy (as SAEBench). */
  direction: ScrDirection;
  /** Both directions' biased probes. */
  directions: { direction: ScrDirection; aBase: number; biasedRows: number; converged: boolean }[];
  /** Biased probe (reported direction) accuracy on the clean test set, class target. */
  aBase: number;
  /** Probe fitted on all probe-train rows of A and B (unbiased), same test set. */
  aOracle: number;
  /** The marker probe's accuracy on the test set (how visible the marker is in x). */
  attributeAccuracy: number;
  rows: { pair: number; used: number; train: number; test: number; biased: number };
  /** The top max(ns) latents by score, best first. */
  ranking: ScrLatentScore[];
  perN: ScrAblation[];
  /** One entry per opts.latentSets. */
  perSet: ScrAblation[];
  /** Set when S_SHIFT is undefined (nothing to remove). */
  note: string | null;
}

function checkMarked(what: string, marked: Uint8Array | undefined, rows: number): Uint8Array {
  if (!(marked instanceof Uint8Array)) throw new InputError(`${what}: marked: expected a Uint8Array of ${rows} flags (markRows makes one), got ${marked === undefined ? 'none' : typeof marked}`);
  if (marked.length !== rows) throw new InputError(`${what}: marked: expected ${rows} flags (one per row), got ${marked.length}`);
  for (let t = 0; t < rows; t++) if (marked[t] > 1) throw new InputError(`${what}: marked[${t}]: expected 0 or 1, got ${marked[t]}`);
  return marked;
}

function checkClass(what: string, field: string, c: number, classes: Classes): void {
  if (!(Number.isInteger(c) && c >= 0 && c < classes.names.length)) {
    throw new InputError(`${what}: ${field}: expected a class id in 0..${classes.names.length - 1}, got ${c}`);
  }
  if (classes.sizes[c] === 0) throw new InputError(`${what}: ${field}: class ${c} (${classes.names[c]}) has no rows in the data; pick a class that is present`);
}

/**
 * The default SCR pair: `pair` when given (checked: two distinct classes present in the data), else the
 * two most populous classes (ties → lower id). Returned in id order.
 */
export function scrClassPair(data: LabelledDataset, pair?: readonly [number, number]): { classA: number; classB: number } {
  const what = 'SCR class pair';
  const classes = classLabels(what, data.labels, data.labelNames, data.rows);
  if (pair) {
    checkClass(what, 'classA', pair[0], classes);
    checkClass(what, 'classB', pair[1], classes);
    if (pair[0] === pair[1]) throw new InputError(`${what}: classA and classB are both ${pair[0]}; pick two different classes`);
    return { classA: pair[0], classB: pair[1] };
  }
  const present = classes.sizes.map((n, c) => ({ n, c })).filter((e) => e.n > 0);
  if (present.length < 2) throw new InputError(`${what}: expected at least 2 classes with rows, got ${present.length}; SCR compares two classes`);
  present.sort((a, b) => b.n - a.n || a.c - b.c);
  const [a, b] = [present[0].c, present[1].c].sort((u, v) => u - v);
  return { classA: a, classB: b };
}

/**
 * Zero-ablation of latents with the SAE error term kept (SAEBench SCR, §2.7):
 *   x' = x − (x̂ − x̂_abl) = x − Σ_{i ∈ latents} c̃_{t,i}·D_i,    c̃ = codeScale ⊙ c,
 * so every bias convention cancels. The codes are held fixed: for boosting the later stages are NOT
 * re-encoded on the ablated residual (the ensemble is treated as its concatenated SAE, Prop. 3.1).
 * codes: [rows, M] unscaled (ensembleCodes); x: [rows, dIn] → [rows, dIn]; f64 sums, rounded once.
 */
export function ablateLatents(view: ConcatenatedView, codes: Float32Array, x: Float32Array, rows: number, latents: readonly number[]): Float32Array {
  const what = 'ablate latents';
  const { dIn, latents: m, dictionary, codeScale } = view;
  if (codes.length !== rows * m) throw new InputError(`${what}: codes: expected length rows·M = ${rows}·${m} = ${rows * m}, got ${codes.length}`);
  if (x.length !== rows * dIn) throw new InputError(`${what}: x: expected length rows·dIn = ${rows}·${dIn} = ${rows * dIn}, got ${x.length}`);
  for (const i of latents) if (!(Number.isInteger(i) && i >= 0 && i < m)) throw new InputError(`${what}: latent ${i}: expected an index in 0..${m - 1} of the concatenated view`);
  const out = new Float32Array(rows * dIn);
  const acc = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) {
    for (let d = 0; d < dIn; d++) acc[d] = x[t * dIn + d];
    for (const i of latents) {
      const a = codeScale[i] * codes[t * m + i];
      if (a === 0) continue;
      for (let d = 0; d < dIn; d++) acc[d] -= a * dictionary[i * dIn + d];
    }
    for (let d = 0; d < dIn; d++) out[t * dIn + d] = acc[d];
  }
  return out;
}

/**
 * Spurious correlation removal (§2.7; Karvonen et al.; SAEBench v0.3.2 SCR) for one class pair (A, B) of
 * a marked dataset whose SAE(s) were trained on marked data:
 *   1. rows of A or B (at most maxRows, seeded), split 70/30 into probe-train / test, stratified by the
 *      four (class, marked) cells so both biased sets exist;
 *   2. biased probe-train sets: (A ∧ marked) ∪ (B ∧ unmarked) and the other direction; the marker is a
 *      perfect shortcut for y = [label = A]. A biased probe (fitLogistic on all dIn raw inputs) per
 *      direction; A_base = its accuracy on the test set, where the marker is independent of the class;
 *      the direction with the lower A_base is reported (SAEBench);
 *   3. oracle probe: all probe-train rows of A and B → A_oracle; attribute probe: the same rows, target
 *      `marked` → w_attr [dIn];
 *   4. score_i = |(mean c̃_i on marked probe-train rows − on unmarked) · (w_attr · D_i)| over the M latents
 *      of the concatenated view (ties → lower index);
 *   5. for each N: ablate the top N latents in the test inputs (ablateLatents) and re-measure the biased
 *      probe: A_abl(N), S_SHIFT = (A_abl − A_base)/(A_oracle − A_base); null with a note when
 *      A_oracle − A_base < 0.01.
 * SAEBench's probes on LLM activations are linear probes trained with Adam; ours are L2 logistic (C = 1),
 * as in its sparse probing.
 */
export function spuriousCorrelationRemoval(
  method: EnsembleMethod,
  members: readonly Sae[],
  data: LabelledDataset & { marked: Uint8Array },
  opts: ScrOptions,
): ScrResult {
  const what = 'SCR';
  const { rows, dIn } = data;
  const classes = classLabels(what, data.labels, data.labelNames, rows);
  const marked = checkMarked(what, data.marked, rows);
  const { classA, classB } = opts;
  checkClass(what, 'classA', classA, classes);
  checkClass(what, 'classB', classB, classes);
  if (classA === classB) throw new InputError(`${what}: classA and classB are both ${classA}; pick two different classes`);
  if (data.x.length !== rows * dIn) throw new InputError(`${what}: x: expected length rows·dIn = ${rows}·${dIn} = ${rows * dIn}, got ${data.x.length}`);
  const view = concatenatedView(method, members);
  if (view.dIn !== dIn) throw new InputError(`${what}: the ensemble's dIn ${view.dIn} does not match the data's dIn ${dIn}; use the data the SAEs were trained on`);
  const seed = opts.seed ?? 0;
  checkSeed(what, seed);
  const trainFraction = opts.trainFraction ?? 0.7;
  if (!(trainFraction > 0 && trainFraction < 1)) throw new InputError(`${what}: trainFraction: expected a number in (0, 1), got ${trainFraction}`);
  const m = view.latents;
  const ns = [...new Set(checkCounts(what, 'ns', opts.ns, [1, 2, 5, 10, 20]).map((n) => Math.min(n, m)))];
  const latentSets = opts.latentSets ?? [];
  for (const set of latentSets) {
    for (const i of set) if (!(Number.isInteger(i) && i >= 0 && i < m)) throw new InputError(`${what}: latentSets: latent ${i}: expected an index in 0..${m - 1} of the concatenated view`);
  }

  // 1. The pair's rows, capped, split by (class, marked) cell: 0 A unmarked, 1 A marked, 2 B unmarked, 3 B marked.
  const pairRows: number[] = [];
  for (let t = 0; t < rows; t++) if (classes.labels[t] === classA || classes.labels[t] === classB) pairRows.push(t);
  const used = capRows(what, pairRows.length, opts.maxRows ?? 1000, seed).map((i) => pairRows[i]);
  const cellOf = (t: number): number => (classes.labels[t] === classA ? 0 : 2) + marked[t];
  const cells: number[][] = [[], [], [], []];
  for (const t of used) cells[cellOf(t)].push(t);
  const cellNames = ['A unmarked', 'A marked', 'B unmarked', 'B marked'];
  cells.forEach((cell, k) => {
    if (cell.length < 3) {
      throw new InputError(
        `${what}: class pair ${classA} (${classes.names[classA]}) / ${classB} (${classes.names[classB]}): the cell "${cellNames[k]}" has ${cell.length} rows ` +
          `(cells: ${cells.map((c, j) => `${cellNames[j]} ${c.length}`).join(', ')}); each needs at least 3: mark about half the rows (markRows fraction 0.5) and pick classes with more rows`,
      );
    }
  });
  const split = stratifiedSplit(cells, 1 - trainFraction, streamRng(seed, STREAM_SPLIT));
  const train = split.train.flat();
  const test = split.test.flat();
  const xTrain = gatherRows(data.x, dIn, train); // [nTrain, dIn]
  const xTest = gatherRows(data.x, dIn, test); // [nTest, dIn]
  const isA = (t: number): number => (classes.labels[t] === classA ? 1 : 0);
  const yTrain = Uint8Array.from(train, isA);
  const yTest = Uint8Array.from(test, isA);
  const mTrain = Uint8Array.from(train, (t) => marked[t]);
  const mTest = Uint8Array.from(test, (t) => marked[t]);

  // 2. Biased probes, both directions.
  const biased = DIRECTIONS.map((direction, k) => {
    // k = 0: A marked ∪ B unmarked (cells 1, 2); k = 1: A unmarked ∪ B marked (cells 0, 3).
    const pos = k === 0 ? [1, 2] : [0, 3];
    const idx = pos.flatMap((c) => split.train[c]);
    const probe = fitLogistic(gatherRows(data.x, dIn, idx), idx.length, dIn, Uint8Array.from(idx, isA));
    return { direction, probe, rows: idx.length, aBase: accuracy(probe, xTest, test.length, dIn, yTest) };
  });
  const chosen = biased[0].aBase <= biased[1].aBase ? biased[0] : biased[1];

  // 3. Oracle and attribute probes on all probe-train rows of the pair.
  // Same x, two targets: one X·Xᵀ serves both when the dual Newton system is the cheaper (dIn > rows).
  const gram = dIn > train.length ? gramMatrix(xTrain, train.length, dIn) : undefined;
  const oracle = fitLogistic(xTrain, train.length, dIn, yTrain, { gram });
  const aOracle = accuracy(oracle, xTest, test.length, dIn, yTest);
  const attribute = fitLogistic(xTrain, train.length, dIn, mTrain, { gram });
  const attributeAccuracy = accuracy(attribute, xTest, test.length, dIn, mTest);

  // 4. Latent scores on the concatenated view.
  const cTrain = ensembleCodes(method, members, xTrain, train.length); // [nTrain, M] unscaled
  const cTest = ensembleCodes(method, members, xTest, test.length); // [nTest, M] unscaled
  const markedIdx = train.flatMap((_, i) => (mTrain[i] ? [i] : []));
  const unmarkedIdx = train.flatMap((_, i) => (mTrain[i] ? [] : [i]));
  const meanMarked = columnMeans(cTrain, m, markedIdx);
  const meanUnmarked = columnMeans(cTrain, m, unmarkedIdx);
  const codeDiff = new Float64Array(m);
  const projection = new Float64Array(m);
  const score = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    codeDiff[i] = view.codeScale[i] * (meanMarked[i] - meanUnmarked[i]);
    let p = 0;
    for (let d = 0; d < dIn; d++) p += attribute.w[d] * view.dictionary[i * dIn + d];
    projection[i] = p;
    score[i] = Math.abs(codeDiff[i] * p);
  }
  const order = rankDescending(score);

  // 5. Ablations.
  const gap = aOracle - chosen.aBase;
  const note =
    gap < 0.01
      ? `A_oracle − A_base = ${gap.toFixed(4)} < 0.01: the biased probe is already as good as the oracle on the test set, so there is no spurious signal to remove and S_SHIFT is undefined`
      : null;
  const ablate = (latents: number[]): ScrAblation => {
    const aAbl = accuracy(chosen.probe, ablateLatents(view, cTest, xTest, test.length, latents), test.length, dIn, yTest);
    return { n: latents.length, latents, members: latents.map((i) => view.member[i]), aAbl, shift: note === null ? (aAbl - chosen.aBase) / gap : null };
  };
  const top = Math.max(...ns);
  return {
    method,
    ensembleSize: members.length,
    latents: m,
    dIn,
    classA,
    classB,
    names: [classes.names[classA], classes.names[classB]],
    direction: chosen.direction,
    directions: biased.map((b) => ({ direction: b.direction, aBase: b.aBase, biasedRows: b.rows, converged: b.probe.converged })),
    aBase: chosen.aBase,
    aOracle,
    attributeAccuracy,
    rows: { pair: pairRows.length, used: used.length, train: train.length, test: test.length, biased: chosen.rows },
    ranking: order.slice(0, top).map((i) => ({ latent: i, member: view.member[i], score: score[i], codeDiff: codeDiff[i], attributeProjection: projection[i] })),
    perN: ns.map((n) => ablate(order.slice(0, n))),
    perSet: latentSets.map((set) => ablate([...set])),
    note,
  };
}
