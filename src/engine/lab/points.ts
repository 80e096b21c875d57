// The lab session's points from its state's data (issue #12 §2): a preset, painted points, or a loaded
// dataset's first rows projected onto 2 chosen dimensions or its top 2 principal components. Imports src/core
// and engine types only.

import { checkPoints, presetPoints, superpositionDirections, type LabPoints } from '../../core/lab/datasets.ts';
import { projectRows } from '../../core/lab/project.ts';
import type { LabData } from '../../core/lab/state.ts';
import { InputError } from '../../core/errors.ts';
import type { LoadedDataset } from '../data/datasets.ts';

export interface SessionPoints {
  points: LabPoints;
  source: string;
  /** superposition: [features, 2] true directions; else empty. */
  truth: Float32Array;
}

export async function pointsOf(data: LabData, datasetFor: (id: string) => Promise<LoadedDataset>): Promise<SessionPoints> {
  if (data.source === 'preset') {
    const points = presetPoints(data);
    const truth = data.preset === 'superposition' ? superpositionDirections(data.features) : new Float32Array(0);
    return { points, source: `${data.preset}: ${data.points} points, seed ${data.seed}`, truth };
  }
  if (data.source === 'painted') {
    const points = { n: data.xy.length / 2, xy: Float32Array.from(data.xy) };
    checkPoints(points, 'painted points');
    return { points, source: `${points.n} painted points`, truth: new Float32Array(0) };
  }
  const d = await datasetFor(data.dataset);
  const { all } = d;
  const rows = Math.min(data.rows, all.rows);
  if (data.how.kind === 'dims' && (data.how.a >= all.dIn || data.how.b >= all.dIn))
    throw new InputError(`lab projection: ${d.info.id} has ${all.dIn} columns (0..${all.dIn - 1}), got dims ${data.how.a}, ${data.how.b}: pick two columns in range`);
  const p = projectRows(all.x.subarray(0, rows * all.dIn), rows, all.dIn, data.how);
  const points = { n: rows, xy: p.xy };
  checkPoints(points, `${d.info.id} projected`);
  return { points, source: `${d.info.id}: its first ${rows} rows on ${p.axes}`, truth: new Float32Array(0) };
}
