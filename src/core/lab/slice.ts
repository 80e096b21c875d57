// A trained high-dimensional SAE on a 2-D plane through three data rows (issue #12 §2: "the same view for any
// trained SAE on a plane through three chosen data points", SplineCam-style): geometry's plane and plane
// scores, the three rows' coordinates on it, and the window drawn around them. Imports only src/core.

import { InputError } from '../errors.ts';
import { planeCoords, planeThrough, type Plane } from '../geometry/plane.ts';
import { planeScoresOfSae, type PlaneScores } from '../geometry/scores.ts';
import type { Dataset, Sae } from '../sae/types.ts';
import { viewOf } from './datasets.ts';

export interface Slice {
  plane: Plane;
  scores: PlaneScores;
  /** [3, 2]: the three rows' (u, v) on the plane (row a at the origin, b on the u axis). */
  anchors: Float32Array;
  /** The window drawn: the anchors' bounding square widened by half its side on each side, so the cells around them show. */
  view: { u0: number; u1: number; v0: number; v1: number };
}

/** The plane through rows `rows` of `data` ([rows, dIn], the SAE's own input space) and the SAE's scores on it. */
export function sliceOf(sae: Sae, data: Dataset, rows: readonly [number, number, number]): Slice {
  if (data.dIn !== sae.dIn) throw new InputError(`slice: the SAE takes ${sae.dIn} inputs per row but the data has ${data.dIn}: pick the dataset it was trained on`);
  for (const r of rows)
    if (!Number.isSafeInteger(r) || r < 0 || r >= data.rows) throw new InputError(`slice: row ${r} is not a row of the data (0..${data.rows - 1}): pick three row indices in range`);
  if (new Set(rows).size < 3) throw new InputError(`slice: the three rows must differ, got ${rows.join(', ')}`);
  const row = (r: number) => data.x.subarray(r * data.dIn, (r + 1) * data.dIn);
  const plane = planeThrough(row(rows[0]), row(rows[1]), row(rows[2]));
  const anchors = new Float32Array(6);
  rows.forEach((r, i) => anchors.set(planeCoords(plane, row(r)), 2 * i));
  return { plane, scores: planeScoresOfSae(sae, plane), anchors, view: viewOf({ n: 3, xy: anchors }, 0.5) };
}
