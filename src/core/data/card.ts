// Dataset cards: what a dataset is (source, licence) and what it holds (shape, dtype, mean/std, the
// distribution of row norms, its labels or contexts), computed from the data alone, plus the
// LabelledDataset shape that the image, word-vector and CSV readers produce.
// Imports only src/core (no DOM, no Node): plain loops over typed arrays, f64 accumulation.

import type { Dataset } from '../sae/types.ts';

/** A dataset whose rows carry labels: class ids (images, digits) or strings (GloVe words, text contexts). */
export interface LabelledDataset extends Dataset {
  /** [rows]: a class id per row (a name in labelNames), or a string per row (a word, a text context). */
  labels: Int32Array | string[];
  /** Class names: labelNames[c] names class c of Int32Array labels. Empty for string labels. */
  labelNames: string[];
}

/** Where a dataset comes from, for its card. */
export interface DatasetSource {
  /** Who made it and where it was published. */
  source: string;
  /** Licence (SPDX id where there is one) and required credit. */
  licence: string;
}

export interface NormStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Row-norm quantiles, linear interpolation between order statistics (numpy's default). */
  quantiles: { q: number; value: number }[];
  /** `bins` equal-width bins over [min, max]; edges has bins + 1 entries; the last bin includes max. */
  histogram: { edges: number[]; counts: number[] };
}

export interface LabelStats {
  /** 'class': Int32Array labels with names; 'text': string labels (words, contexts). */
  kind: 'class' | 'text';
  /** Number of distinct labels. */
  distinct: number;
  /** class: every class in id order (zero counts included); text: the most frequent, count desc then first appearance. */
  counts: { label: string; count: number }[];
  /** The labels of the first few rows, as strings. */
  examples: string[];
}

export interface DatasetCard extends DatasetSource {
  name: string;
  rows: number;
  dIn: number;
  shape: [number, number];
  /** Element type in memory (every reader converts to float32). */
  dtype: 'float32';
  /** Over all rows·dIn entries: mean, population std, min, max. */
  mean: number;
  std: number;
  min: number;
  max: number;
  /** The L2 norm of each row, summarised. */
  norm: NormStats;
  labels: LabelStats | null;
  hasGroundTruth: boolean;
}

export interface CardOptions extends Partial<DatasetSource> {
  /** Quantile levels in [0, 1] (default 0, .05, .25, .5, .75, .95, 1). */
  quantiles?: number[];
  /** Histogram bins (default 20). */
  bins?: number;
  /** How many text labels to list by count (default 20). */
  topLabels?: number;
  /** How many example labels (default 8). */
  examples?: number;
}

export const DEFAULT_QUANTILES = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1];

/** True when `d` carries per-row labels. */
export function hasLabels(d: Dataset): d is LabelledDataset {
  const l = (d as Partial<LabelledDataset>).labels;
  return l !== undefined && l.length === d.rows;
}

/** The card of `d`: its stats are computed here, its source and licence come from `opts`. */
export function datasetCard(d: Dataset, opts: CardOptions = {}): DatasetCard {
  const { rows, dIn, x } = d;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < rows * dIn; i++) {
    const v = x[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = rows * dIn;
  const mean = n > 0 ? sum / n : 0;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i] - mean) ** 2;
  return {
    name: d.name,
    source: opts.source ?? 'unknown',
    licence: opts.licence ?? 'unknown',
    rows,
    dIn,
    shape: [rows, dIn],
    dtype: 'float32',
    mean,
    std: n > 0 ? Math.sqrt(ss / n) : 0,
    min: n > 0 ? min : 0,
    max: n > 0 ? max : 0,
    norm: normStats(rowNorms(x, rows, dIn), opts.quantiles ?? DEFAULT_QUANTILES, opts.bins ?? 20),
    labels: hasLabels(d) ? labelStats(d, opts.topLabels ?? 20, opts.examples ?? 8) : null,
    hasGroundTruth: d.truth !== undefined,
  };
}

/** ‖x_t‖₂ for each row t: [rows] (f64 sums). */
export function rowNorms(x: Float32Array, rows: number, dIn: number): Float64Array {
  const out = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    let s = 0;
    for (let d = 0; d < dIn; d++) s += x[t * dIn + d] ** 2;
    out[t] = Math.sqrt(s);
  }
  return out;
}

/** Quantile q of ascending `sorted` with linear interpolation: position q·(n−1) (numpy 'linear'). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/** `bins` equal-width bins over [min, max] of `values`; a value equal to max falls in the last bin. */
export function histogram(values: ArrayLike<number>, bins: number, min: number, max: number): { edges: number[]; counts: number[] } {
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = width > 0 ? Math.floor((values[i] - min) / width) : 0;
    counts[Math.min(Math.max(b, 0), bins - 1)]++;
  }
  return { edges, counts };
}

function normStats(norms: Float64Array, quantiles: number[], bins: number): NormStats {
  const n = norms.length;
  if (n === 0) return { mean: 0, std: 0, min: 0, max: 0, quantiles: quantiles.map((q) => ({ q, value: 0 })), histogram: { edges: [], counts: [] } };
  const sorted = norms.slice().sort();
  let s = 0;
  for (let i = 0; i < n; i++) s += norms[i];
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (norms[i] - mean) ** 2;
  const min = sorted[0];
  const max = sorted[n - 1];
  return {
    mean,
    std: Math.sqrt(ss / n),
    min,
    max,
    quantiles: quantiles.map((q) => ({ q, value: quantileSorted(sorted, q) })),
    histogram: histogram(norms, Math.max(1, Math.floor(bins)), min, max),
  };
}

function labelStats(d: LabelledDataset, top: number, nExamples: number): LabelStats {
  const { labels, labelNames } = d;
  const count = new Map<string | number, number>();
  for (let i = 0; i < labels.length; i++) count.set(labels[i], (count.get(labels[i]) ?? 0) + 1);
  const examples = Array.from(labels.slice(0, nExamples) as ArrayLike<string | number>, (l) => labelName(l, labelNames));
  if (labels instanceof Int32Array) {
    const ids = new Set<number>([...labelNames.keys(), ...(count.keys() as Iterable<number>)]);
    const counts = [...ids].sort((a, b) => a - b).map((c) => ({ label: labelName(c, labelNames), count: count.get(c) ?? 0 }));
    return { kind: 'class', distinct: count.size, counts, examples };
  }
  // Map iteration order is first appearance, and Array.prototype.sort is stable.
  const counts = [...count.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([label, c]) => ({ label: String(label), count: c }));
  return { kind: 'text', distinct: count.size, counts, examples };
}

function labelName(l: string | number, names: string[]): string {
  return typeof l === 'number' ? (names[l] ?? String(l)) : l;
}
