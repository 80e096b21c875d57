// One latent's firing values summarised, from its column f_{t,latent} over the scanned rows: the
// equal-width histogram of the firing values and the activation intervals with a few sample rows each
// (sae_vis / Neuronpedia example groups). Pure functions of a column; inspect.ts's latentDetail calls
// them. Imports only src/core.

import { histogram } from '../data/card.ts';
import { InputError } from '../errors.ts';
import type { TopActivation } from './accumulators.ts';
import { checkInt } from './checks.ts';

/** Equal-width histogram of a latent's firing values: edges has counts.length + 1 entries (both empty when it never fires). */
export interface ActivationHistogram {
  /** bins + 1 edges over [min, max] of the firing values; a value equal to max falls in the last bin. */
  edges: number[];
  counts: number[]; // [bins]
  /** n_i: the number of firing values binned (Σ counts). */
  firing: number;
}

/** One activation interval of a latent with a few of its rows (sae_vis / Neuronpedia interval groups). */
export interface QuantileInterval {
  /** Smallest and largest activation the interval admits: 'quantile' — the min and max of its members; 'linear' — (lo, hi] of the grid. */
  lo: number;
  hi: number;
  /** Members / n_i: the fraction of the firing rows that lie in this interval. */
  contains: number;
  /** Up to perInterval members, spread evenly over the interval's rank order; value desc, row asc. */
  samples: TopActivation[];
}

export interface QuantileOptions {
  /** Number of intervals (default 10, as sae_vis). */
  intervals?: number;
  /** Rows shown per interval (default 5, as sae_vis). */
  perInterval?: number;
  /**
   * 'quantile' (default): equal-count groups — firing rows sorted by (value asc, row asc), group j holds
   * ranks [⌊j·n/K⌋, ⌊(j+1)·n/K⌋) (equal values may straddle two groups). 'linear': equal-width intervals
   * (hi·j/K, hi·(j+1)/K] over (0, max], as sae_vis's "INTERVAL a – b, CONTAINS c%" (some may be empty).
   */
  spacing?: 'quantile' | 'linear';
  /**
   * 'quantile' only: band edges as fractions of the firing rows, ascending from 0 to 1 (e.g. QUANTILE_BANDS);
   * band j holds ranks [⌊e_j·m⌋, ⌊e_{j+1}·m⌋). Overrides `intervals` (edges j/K are the default).
   */
  edges?: readonly number[];
}

/**
 * The feature page's bands (issue #14, as Neuronpedia's interval groups but by rank): lowest non-zero
 * quarter, 25–50%, 50–75%, 75–90% and the top 10% of the firing rows.
 */
export const QUANTILE_BANDS: readonly number[] = [0, 0.25, 0.5, 0.75, 0.9, 1];

/** Histogram of the firing values (v > 0) of a column [T]: `bins` equal-width bins over [min, max] of those values. */
export function firingHistogram(values: ArrayLike<number>, bins: number): ActivationHistogram {
  checkInt('activation histogram', 'bins', bins, 1);
  const firing: number[] = [];
  let min = Infinity;
  let max = -Infinity;
  for (let t = 0; t < values.length; t++) {
    const v = values[t];
    if (!(v > 0)) continue;
    firing.push(v);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (firing.length === 0) return { edges: [], counts: [], firing: 0 };
  return { ...histogram(firing, bins, min, max), firing: firing.length };
}

/**
 * Interval groups of a column [T]'s firing rows (see QuantileOptions.spacing) with up to perInterval rows
 * each, picked at ranks ⌊(s + ½)·m/k⌋, s = 0..k−1, of the interval's m members (k = min(perInterval, m)),
 * so the samples spread over the interval deterministically. No firing rows → no intervals.
 */
export function quantileSamplesOf(values: ArrayLike<number>, opts: QuantileOptions = {}): QuantileInterval[] {
  const { edges } = opts;
  if (edges && (edges.length < 2 || edges[0] !== 0 || edges[edges.length - 1] !== 1 || edges.some((e, j) => j > 0 && !(e > edges[j - 1])) || opts.spacing === 'linear'))
    throw new InputError(`quantile samples: edges: expected fractions rising strictly from 0 to 1 (with 'quantile' spacing), got [${edges.join(', ')}]`);
  const K = edges ? edges.length - 1 : (opts.intervals ?? 10);
  const per = opts.perInterval ?? 5;
  checkInt('quantile samples', 'intervals', K, 1);
  checkInt('quantile samples', 'perInterval', per, 0);
  const firing: TopActivation[] = [];
  for (let t = 0; t < values.length; t++) if (values[t] > 0) firing.push({ row: t, value: values[t] });
  const m = firing.length;
  if (m === 0) return [];
  firing.sort((a, b) => a.value - b.value || a.row - b.row); // ascending value, then row
  const groups: TopActivation[][] = [];
  const bounds: [number, number][] = [];
  if ((opts.spacing ?? 'quantile') === 'quantile') {
    // Rank bounds ⌊e_j·m⌋; with no edges e_j = j/K, computed as ⌊j·m/K⌋ (exact in integers).
    const at = (j: number): number => (edges ? Math.floor(edges[j] * m) : Math.floor((j * m) / K));
    for (let j = 0; j < K; j++) {
      const g = firing.slice(at(j), at(j + 1));
      groups.push(g);
      bounds.push(g.length > 0 ? [g[0].value, g[g.length - 1].value] : [NaN, NaN]);
    }
  } else {
    const max = firing[m - 1].value;
    for (let j = 0; j < K; j++) {
      groups.push([]);
      bounds.push([(max * j) / K, (max * (j + 1)) / K]);
    }
    // v in (max·j/K, max·(j+1)/K] ⇔ j = ⌈v·K/max⌉ − 1 (clamped for rounding)
    for (const e of firing) groups[Math.min(K - 1, Math.max(0, Math.ceil((e.value * K) / max) - 1))].push(e);
  }
  const out: QuantileInterval[] = [];
  for (let j = 0; j < K; j++) {
    const g = groups[j];
    const k = Math.min(per, g.length);
    const samples: TopActivation[] = [];
    for (let s = 0; s < k; s++) samples.push(g[Math.floor(((s + 0.5) * g.length) / k)]);
    samples.sort((a, b) => b.value - a.value || a.row - b.row);
    out.push({ lo: bounds[j][0], hi: bounds[j][1], contains: g.length / m, samples });
  }
  return out;
}
