// Any dataset as 2-D lab points (issue #12 §2: "any loaded dataset projected onto 2 principal components or 2
// chosen dimensions"). PCA here is of the centred data itself (ensembleViews.ts's pcaMap unit-normalises each
// row first, which is right for decoder directions and wrong for data). Imports only src/core.
//
// Method, f64: block power (subspace) iteration for the top 2 eigenvectors of the scatter XᵀX, applied as two
// products with the centred X [rows, dIn] and never formed (4·rows·dIn per iteration), Gram–Schmidt after
// each product, from a fixed start, until the subspace moves less than 1e-9 or 500 iterations. Signs: each
// component's largest-|·| entry is positive, so a projection is reproducible.

import { InputError } from '../errors.ts';
import type { ProjectionHow } from './state.ts';

export interface Projection {
  /** [rows, 2]: centred coordinates along the two axes (PCA) or the two raw columns (dims). */
  xy: Float32Array;
  /** e.g. "PC1, PC2 (63% of the variance)" or "dims 3 and 10". */
  axes: string;
  /** PCA: [2, dIn] unit components; dims: the two unit vectors. */
  components: Float32Array;
}

export function projectRows(x: Float32Array, rows: number, dIn: number, how: ProjectionHow): Projection {
  if (x.length !== rows * dIn) throw new InputError(`projection: expected rows × dIn = ${rows} × ${dIn} numbers, got ${x.length}`);
  if (how.kind === 'dims') {
    const { a, b } = how;
    if (!(a >= 0 && a < dIn && b >= 0 && b < dIn && a !== b)) throw new InputError(`projection: dims must be two different columns in [0, ${dIn - 1}], got ${a}, ${b}`);
    const xy = new Float32Array(2 * rows);
    for (let t = 0; t < rows; t++) {
      xy[2 * t] = x[t * dIn + a];
      xy[2 * t + 1] = x[t * dIn + b];
    }
    const components = new Float32Array(2 * dIn);
    components[a] = 1;
    components[dIn + b] = 1;
    return { xy, axes: `dims ${a} and ${b}`, components };
  }
  if (dIn < 2) throw new InputError(`projection: PCA onto 2 components needs dIn ≥ 2, got ${dIn}`);
  const mean = new Float64Array(dIn);
  for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) mean[d] += x[t * dIn + d] / rows;
  const X = new Float64Array(rows * dIn);
  let trace = 0;
  for (let t = 0; t < rows; t++)
    for (let d = 0; d < dIn; d++) {
      const v = (X[t * dIn + d] = x[t * dIn + d] - mean[d]);
      trace += v * v;
    }
  const V = [new Float64Array(dIn), new Float64Array(dIn)];
  for (let d = 0; d < dIn; d++) {
    V[0][d] = 1 + (d % 7) / 7; // fixed, not orthogonal to anything in particular
    V[1][d] = ((d * 37) % 11) / 11 - 0.5;
  }
  orthonormalise(V);
  const tmp = new Float64Array(rows);
  const values = [0, 0];
  for (let it = 0; it < 500; it++) {
    const W = V.map((v, j) => {
      for (let t = 0; t < rows; t++) {
        let s = 0;
        for (let d = 0; d < dIn; d++) s += X[t * dIn + d] * v[d];
        tmp[t] = s;
      }
      const w = new Float64Array(dIn);
      for (let t = 0; t < rows; t++) for (let d = 0; d < dIn; d++) w[d] += X[t * dIn + d] * tmp[t];
      values[j] = dot(v, w);
      return w;
    });
    orthonormalise(W);
    const moved = Math.max(1 - Math.abs(dot(W[0], V[0])), 1 - Math.abs(dot(W[1], V[1])));
    V[0] = W[0];
    V[1] = W[1];
    if (moved < 1e-9) break;
  }
  const components = new Float32Array(2 * dIn);
  for (const [j, v] of V.entries()) {
    let big = 0;
    for (let d = 0; d < dIn; d++) if (Math.abs(v[d]) > Math.abs(v[big])) big = d;
    const sign = v[big] < 0 ? -1 : 1;
    for (let d = 0; d < dIn; d++) components[j * dIn + d] = sign * v[d];
  }
  const xy = new Float32Array(2 * rows);
  for (let t = 0; t < rows; t++)
    for (let j = 0; j < 2; j++) {
      let s = 0;
      for (let d = 0; d < dIn; d++) s += X[t * dIn + d] * components[j * dIn + d];
      xy[2 * t + j] = s;
    }
  const share = trace > 0 ? Math.round((100 * (values[0] + values[1])) / trace) : 0;
  return { xy, axes: `PC1, PC2 (${share}% of the variance)`, components };
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Gram–Schmidt on two vectors in place; a vector with nothing left stays zero. */
function orthonormalise(V: Float64Array[]): void {
  for (let j = 0; j < V.length; j++) {
    for (let i = 0; i < j; i++) {
      const c = dot(V[i], V[j]);
      for (let d = 0; d < V[j].length; d++) V[j][d] -= c * V[i][d];
    }
    const n = Math.sqrt(dot(V[j], V[j]));
    if (n > 0) for (let d = 0; d < V[j].length; d++) V[j][d] /= n;
  }
}
