// Exact linear assignment (Hungarian / Kuhn–Munkres with potentials, Jonker–Volgenant style shortest
// augmenting paths, O(n²·m)) for MCC and cross-seed matching of dictionaries.
// Imports only from src/core (no DOM, WebGPU, Node).

import { InputError } from '../errors.ts';

/**
 * Minimum-cost assignment: argmin over one-to-one row→column maps of Σ_r cost[r, assign[r]].
 * cost: [rows, cols] row-major, finite. Rectangular allowed: with rows ≤ cols every row gets a distinct
 * column; with rows > cols every column gets one row and the other rows get −1.
 * Returns assign: [rows], column of each row or −1.
 */
export function hungarian(cost: Float64Array | Float32Array, rows: number, cols: number): Int32Array {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new InputError(`hungarian: shape: expected integers rows, cols ≥ 0, got ${rows}×${cols}`);
  }
  if (cost.length !== rows * cols) {
    throw new InputError(`hungarian: cost: expected length rows·cols = ${rows * cols}, got ${cost.length}`);
  }
  for (let i = 0; i < cost.length; i++) {
    if (!Number.isFinite(cost[i])) {
      throw new InputError(`hungarian: cost[${Math.floor(i / cols)}, ${i % cols}]: expected a finite number, got ${cost[i]}`);
    }
  }
  const assign = new Int32Array(rows).fill(-1); // [rows]
  if (rows === 0 || cols === 0) return assign;
  if (rows <= cols) {
    const colOfRow = assignRowsToCols(rows, cols, (r, c) => cost[r * cols + c]);
    assign.set(colOfRow);
  } else {
    // Transpose: every column picks a distinct row.
    const rowOfCol = assignRowsToCols(cols, rows, (c, r) => cost[r * cols + c]);
    for (let c = 0; c < cols; c++) assign[rowOfCol[c]] = c;
  }
  return assign;
}

/**
 * Core for n ≤ m: rows are added one at a time; each addition grows a shortest augmenting path
 * (Dijkstra on reduced costs a[i][j] − u[i] − v[j] ≥ 0) and updates the potentials u, v.
 * Arrays are 1-based with index 0 as the virtual source column. Returns [n] column of each row.
 */
function assignRowsToCols(n: number, m: number, a: (r: number, c: number) => number): Int32Array {
  const u = new Float64Array(n + 1); // row potentials
  const v = new Float64Array(m + 1); // column potentials
  const p = new Int32Array(m + 1); // p[j]: row (1-based) assigned to column j, 0 = free
  const way = new Int32Array(m + 1); // previous column on the shortest path
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a(i0 - 1, j - 1) - u[i0] - v[j];
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
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const colOfRow = new Int32Array(n); // [n]
  for (let j = 1; j <= m; j++) if (p[j] !== 0) colOfRow[p[j] - 1] = j - 1;
  return colOfRow;
}

/**
 * Maximum-weight assignment: argmax Σ_r sim[r, assign[r]] over one-to-one maps (min(rows, cols) pairs).
 * sim: [rows, cols] row-major. Returns [rows], column of each row or −1.
 */
export function maxWeightMatching(sim: Float64Array | Float32Array, rows: number, cols: number): Int32Array {
  const cost = new Float64Array(sim.length); // [rows, cols]
  for (let i = 0; i < sim.length; i++) cost[i] = -sim[i];
  return hungarian(cost, rows, cols);
}

/** Σ_r cost[r, assign[r]] over assigned rows. cost: [rows, cols]; assign: [rows]. */
export function assignmentTotal(cost: Float64Array | Float32Array, cols: number, assign: Int32Array): number {
  let total = 0;
  for (let r = 0; r < assign.length; r++) if (assign[r] >= 0) total += cost[r * cols + assign[r]];
  return total;
}
