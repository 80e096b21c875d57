// The inspector's streaming accumulators, the definitions of its per-latent numbers: activation
// statistics (fire count, density, mean and max firing value) and each latent's top-n rows (bounded
// heaps, ties to the lower row), fed codes chunk by chunk so no [rows, dSae] matrix need exist at once.
// inspect.ts's inspectAll and latentDetail drive them. Pure loops over typed arrays; imports only src/core.
//
// f = codes [rows, dSae] row-major; a latent "fires" on row t when f_{t,i} > 0 (as in metrics.ts).

import { InputError } from '../errors.ts';
import { LOG_DENSITY_EPS } from '../sae/metrics.ts';
import { checkInt } from './checks.ts';

/** One row of a top-activations list: the dataset row and f_{row,latent} (> 0). */
export interface TopActivation {
  row: number;
  value: number;
}

/** Per-latent activation statistics from codes alone (no weights): the data half of LatentRow. */
export interface LatentStats {
  rows: number; // T
  fireCount: Float64Array; // [dSae] n_i
  density: Float32Array; // [dSae] p_i = n_i / T
  logDensity: Float32Array; // [dSae] log10(p_i + 1e-10)
  meanActivation: Float32Array; // [dSae] (1/n_i) Σ_{f>0} f, 0 when n_i = 0
  maxActivation: Float32Array; // [dSae] max_{f>0} f, 0 when n_i = 0
}

export interface LatentStatsAccumulator {
  /** f: [rows, dSae] codes of consecutive dataset rows. */
  add(f: Float32Array, rows: number): void;
  finish(): LatentStats;
}

/** Per-latent fire count, Σ firing values and max firing value, accumulated in f64 over chunks. */
export function createLatentStatsAccumulator(dSae: number): LatentStatsAccumulator {
  checkInt('latent stats', 'dSae', dSae, 1);
  let total = 0;
  const fireCount = new Float64Array(dSae); // [dSae] n_i
  const sum = new Float64Array(dSae); // [dSae] Σ_{f>0} f
  const max = new Float64Array(dSae); // [dSae] max_{f>0} f (0 until it fires)
  return {
    add(f, rows) {
      checkInt('latent stats', 'rows', rows, 0);
      if (f.length !== rows * dSae) throw new InputError(`latent stats: codes length: expected rows·dSae = ${rows}·${dSae} = ${rows * dSae}, got ${f.length}`);
      for (let t = 0; t < rows; t++) {
        const o = t * dSae;
        for (let i = 0; i < dSae; i++) {
          const v = f[o + i];
          if (!(v > 0)) continue;
          fireCount[i]++;
          sum[i] += v;
          if (v > max[i]) max[i] = v;
        }
      }
      total += rows;
    },
    finish() {
      const density = new Float32Array(dSae);
      const logDensity = new Float32Array(dSae);
      const meanActivation = new Float32Array(dSae);
      const maxActivation = new Float32Array(dSae);
      for (let i = 0; i < dSae; i++) {
        const p = total > 0 ? fireCount[i] / total : 0;
        density[i] = p;
        logDensity[i] = Math.log10(p + LOG_DENSITY_EPS);
        meanActivation[i] = fireCount[i] > 0 ? sum[i] / fireCount[i] : 0;
        maxActivation[i] = max[i];
      }
      return { rows: total, fireCount: fireCount.slice(), density, logDensity, meanActivation, maxActivation };
    },
  };
}

export interface TopActivationsAccumulator {
  /** f: [rows, dSae] codes of dataset rows firstRow .. firstRow + rows − 1. */
  add(f: Float32Array, rows: number, firstRow: number): void;
  /** One list per tracked latent (in the order given): value desc, row asc, at most n entries, only f > 0. */
  finish(): TopActivation[][];
}

/**
 * The n largest firing values of each tracked latent (all latents by default) with their rows, in one
 * bounded min-heap per latent: flat arrays [tracked, n], the root of each heap is its worst kept entry
 * (smallest value; among equal values the highest row). Memory O(tracked·n), time O(rows·tracked·log n).
 */
export function createTopActivationsAccumulator(dSae: number, n: number, latents?: ArrayLike<number>): TopActivationsAccumulator {
  checkInt('top activations', 'dSae', dSae, 1);
  checkInt('top activations', 'n', n, 0);
  const track = latents ? Array.from(latents) : Array.from({ length: dSae }, (_, i) => i); // [L]
  for (const l of track) checkInt('top activations', 'latent', l, 0, dSae - 1);
  const L = track.length;
  const val = new Float64Array(L * n); // [L, n] heap values
  const row = new Float64Array(L * n); // [L, n] heap rows
  const size = new Int32Array(L); // [L]

  // a is worse than b: smaller value, or equal value and higher row.
  const worse = (a: number, b: number): boolean => val[a] < val[b] || (val[a] === val[b] && row[a] > row[b]);
  const swap = (a: number, b: number): void => {
    const v = val[a];
    val[a] = val[b];
    val[b] = v;
    const r = row[a];
    row[a] = row[b];
    row[b] = r;
  };
  const siftUp = (base: number, k: number): void => {
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!worse(base + k, base + p)) break;
      swap(base + k, base + p);
      k = p;
    }
  };
  const siftDown = (base: number, s: number): void => {
    let k = 0;
    while (true) {
      const l = 2 * k + 1;
      if (l >= s) break;
      let c = l;
      if (l + 1 < s && worse(base + l + 1, base + l)) c = l + 1;
      if (!worse(base + c, base + k)) break;
      swap(base + c, base + k);
      k = c;
    }
  };

  return {
    add(f, rows, firstRow) {
      checkInt('top activations', 'rows', rows, 0);
      checkInt('top activations', 'firstRow', firstRow, 0);
      if (f.length !== rows * dSae) throw new InputError(`top activations: codes length: expected rows·dSae = ${rows}·${dSae} = ${rows * dSae}, got ${f.length}`);
      if (n === 0) return;
      for (let t = 0; t < rows; t++) {
        const r = firstRow + t;
        const o = t * dSae;
        for (let h = 0; h < L; h++) {
          const v = f[o + track[h]];
          if (!(v > 0)) continue;
          const base = h * n;
          const s = size[h];
          if (s < n) {
            val[base + s] = v;
            row[base + s] = r;
            size[h] = s + 1;
            siftUp(base, s);
          } else if (v > val[base] || (v === val[base] && r < row[base])) {
            val[base] = v;
            row[base] = r;
            siftDown(base, n);
          }
        }
      }
    },
    finish() {
      const out: TopActivation[][] = [];
      for (let h = 0; h < L; h++) {
        const list: TopActivation[] = [];
        for (let k = 0; k < size[h]; k++) list.push({ row: row[h * n + k], value: val[h * n + k] });
        list.sort((a, b) => b.value - a.value || a.row - b.row);
        out.push(list);
      }
      return out;
    },
  };
}
