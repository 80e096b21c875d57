// `sae-workbench geometry`: the region label of every point of an N×N grid on a plane (issue #12 deliverable 5):
// the same computation the geometry lab draws (src/core/geometry), written as .npy so anyone can check it, with
// the grid's coordinates, the plane and (TopK) the power diagram in the JSON. Node only; imports core and cli.
//
// Output: FILE.npy [N, N, k] int32 (TopK), [N, N, dSae] uint8 (ReLU, JumpReLU, BatchTopK), [N, N] int32 (k-means,
// k-flats: the cell, the smallest residual ‖(I − UᵀU)(x − μ_j)‖², ties to the lower j), row r / column c =
// the point (u[c], v[r]) of the JSON, row 0 at the top (v largest); x(u, v) = origin + u·e1 + v·e2.

import { writeFileSync } from 'node:fs';
import { InputError } from '../core/errors.ts';
import { writeNpyArray } from '../core/formats/npy.ts';
import { identityPlane, planeCoords, planeThrough, type Plane } from '../core/geometry/plane.ts';
import { errorGrid, planeErrorOfSae } from '../core/geometry/error.ts';
import { decoderArrows, powerDiagramOfScores } from '../core/geometry/power.ts';
import { checkGrid, gridAround, gridPoint, labelArray, regionIds, type Grid } from '../core/geometry/regions.ts';
import { planeScoresOfSae } from '../core/geometry/scores.ts';
import { saeToCluster } from '../core/cluster/model.ts';
import type { Dataset } from '../core/sae/types.ts';
import { isClusterArch } from '../core/sae/types.ts';
import type { FlagSpec, Flags } from './args.ts';
import { num, oneOf, str } from './args.ts';
import { loadData } from './data.ts';
import { readSaeFolder } from './folder.ts';

export const GEOMETRY_FLAGS: Record<string, FlagSpec> = {
  sae: { kind: 'value', help: 'a SAELens folder (cfg.json + sae_weights.safetensors)' },
  model: { kind: 'value', help: 'a k-means / k-flats export folder (cfg.json + model.safetensors, from train --arch kmeans|kflats --export)' },
  data: { kind: 'value', help: 'the data (SPEC as for train): the rows --plane picks, and the range of a 2-D model' },
  tensor: { kind: 'value', help: 'tensor name in a .safetensors --data' },
  shape: { kind: 'value', help: 'ROWS,DIN of a raw f32 --data' },
  plane: { kind: 'value', help: 'i,j,k: the plane through data rows i, j, k (needs --data); default for a 2-D model: its input space' },
  range: { kind: 'value', help: 'u0,u1,v0,v1: the grid range (default: the data with a 10% margin, or the three plane rows with 50%)' },
  grid: { kind: 'value', help: 'N: an N×N grid of pixel centres (1..2048)' },
  cells: { kind: 'value', help: 'active (default): the SAE\'s active set; power (TopK): the order-k power-diagram cell, before the ReLU' },
  out: { kind: 'value', help: 'FILE.npy: the labels' },
  error: { kind: 'value', help: 'FILE.npy: also the reconstruction error ‖x − x̂‖² of every grid point, f32 [N, N] (raw input units)' },
  json: { kind: 'value', help: 'also write the JSON (grid coordinates, plane, power diagram) to this file' },
};

const MAX_GRID = 2048;

/** "a,b,c" → numbers, exactly `count` of them (integers when asked). */
function numberList(f: Flags, name: string, count: number, integer: boolean): number[] | undefined {
  const v = str(f, name);
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.length !== count || parts.some((n, i) => !Number.isFinite(n) || v.split(',')[i].trim() === '' || (integer && !Number.isInteger(n)))) {
    throw new InputError(`geometry: --${name}: expected ${count} comma-separated ${integer ? 'integers' : 'numbers'}, got "${v}"`);
  }
  return parts;
}

function row(data: Dataset, i: number): Float32Array {
  if (i < 0 || i >= data.rows) throw new InputError(`geometry: --plane: row ${i} is not in the data (rows 0..${data.rows - 1})`);
  return data.x.subarray(i * data.dIn, (i + 1) * data.dIn);
}

export async function runGeometry(f: Flags): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const saeDir = str(f, 'sae');
  const modelDir = str(f, 'model');
  if (saeDir && modelDir) throw new InputError('geometry: give one of --sae DIR (a SAELens folder) and --model DIR (a k-means / k-flats folder), not both');
  const dir = saeDir ?? modelDir;
  if (!dir) throw new InputError('geometry: --sae DIR (a SAELens folder) or --model DIR (a k-means / k-flats folder) is required');
  const n = num(f, 'grid', true);
  if (n === undefined || n < 1 || n > MAX_GRID) throw new InputError(`geometry: --grid N is required, an integer in 1..${MAX_GRID}, got ${n ?? 'none'}`);
  const out = str(f, 'out');
  if (!out || !out.endsWith('.npy')) throw new InputError(`geometry: --out FILE.npy is required (the labels as .npy), got ${out ?? 'none'}`);
  const cells = oneOf(f, 'cells', ['active', 'power'] as const) ?? 'active';

  const sae = readSaeFolder(dir);
  const cluster = isClusterArch(sae.arch);
  if (modelDir && !cluster) throw new InputError(`${dir}: --model is for k-means / k-flats folders, this one holds a ${sae.arch} SAE: use --sae ${dir}`);
  const spec = str(f, 'data');
  const data = spec ? await loadData(spec, { tensor: str(f, 'tensor'), shape: str(f, 'shape') }) : null;
  if (data && data.dIn !== sae.dIn) throw new InputError(`${spec}: dIn: expected ${sae.dIn} (the SAE's d_in), got ${data.dIn}`);

  // The plane: through three data rows, or the input space of a 2-D model.
  const rows = numberList(f, 'plane', 3, true);
  let plane: Plane;
  let anchors: number[] = []; // (u, v) of the rows that set the default range
  if (rows) {
    if (!data) throw new InputError('geometry: --plane i,j,k picks rows of the data: give --data SPEC too');
    plane = planeThrough(row(data, rows[0]), row(data, rows[1]), row(data, rows[2]));
    anchors = rows.flatMap((i) => planeCoords(plane, row(data, i)));
  } else if (sae.dIn === 2) {
    plane = identityPlane();
    if (data) anchors = Array.from(data.x);
  } else {
    throw new InputError(`geometry: this SAE reads ${sae.dIn}-d inputs: give --plane i,j,k and --data SPEC (a slice through three data rows); only a 2-D model is drawn in its input space`);
  }

  const range = numberList(f, 'range', 4, false);
  let grid: Grid;
  if (range) {
    grid = { width: n, height: n, u0: range[0], u1: range[1], v0: range[2], v1: range[3] };
    checkGrid(grid);
  } else if (anchors.length > 0) {
    grid = gridAround(anchors, n, n, rows ? 0.5 : 0.1);
  } else {
    throw new InputError('geometry: no range for the grid: give --data SPEC (the data\'s range is used) or --range u0,u1,v0,v1');
  }

  const scores = planeScoresOfSae(sae, plane, cells);
  const labels = labelArray(scores, grid);
  writeFileSync(out, writeNpyArray(labels.data, labels.shape));
  const errorFile = str(f, 'error');
  let errorStats: { file: string; min: number; max: number; mean: number } | null = null;
  if (errorFile !== undefined) {
    if (!errorFile.endsWith('.npy')) throw new InputError(`geometry: --error FILE.npy: expected a .npy path, got ${errorFile}`);
    const e = errorGrid(scores, planeErrorOfSae(sae, plane), grid);
    writeFileSync(errorFile, writeNpyArray(e, [n, n]));
    errorStats = { file: errorFile, min: Math.min(...e), max: Math.max(...e), mean: e.reduce((a, b) => a + b, 0) / e.length };
  }
  const ids = regionIds(scores, grid, 2);
  const distinct = new Set<string>();
  for (let p = 0; p < n * n; p++) distinct.add(`${ids[2 * p]}:${ids[2 * p + 1]}`);

  const power = sae.arch === 'topk' && sae.topkSigned !== true ? powerDiagramOfScores(planeScoresOfSae(sae, plane, 'power')) : null;
  const arrows = cluster ? null : decoderArrows(sae, plane);
  // k-means / k-flats: each cluster's mean (raw units) on the plane, the sites of its Voronoi-like cells.
  const means = cluster ? saeToCluster(sae) : null;
  const meansUv = means ? Array.from({ length: means.clusters }, (_, j) => planeCoords(plane, means.means.subarray(j * sae.dIn, (j + 1) * sae.dIn).map((m) => m / sae.inputScale))).flat() : null;
  return {
    command: 'geometry',
    sae: cluster ? null : { dir, arch: sae.arch, dIn: sae.dIn, dSae: sae.dSae, k: sae.k, topkSigned: sae.topkSigned === true },
    model: means ? { dir, arch: sae.arch, dIn: sae.dIn, clusters: means.clusters, rank: means.rank, meansUv } : null,
    data: data ? { spec, rows: data.rows, dIn: data.dIn } : null,
    cells,
    labels: { file: out, dtype: labels.data instanceof Uint8Array ? 'uint8' : 'int32', shape: labels.shape, meaning: labels.meaning, regions: distinct.size },
    error: errorStats,
    grid: { width: n, height: n, u0: grid.u0, u1: grid.u1, v0: grid.v0, v1: grid.v1, rowZero: 'top (v = the largest v)' },
    u: Array.from({ length: n }, (_, c) => gridPoint(grid, c, 0)[0]),
    v: Array.from({ length: n }, (_, r) => gridPoint(grid, 0, r)[1]),
    points: 'label[r, c] is the region of x(u[c], v[r]) = origin + u[c]·e1 + v[r]·e2',
    plane: {
      kind: rows ? 'through data rows' : 'input space',
      rows: rows ?? null,
      rowsUv: rows ? anchors : null,
      origin: Array.from(plane.origin),
      e1: Array.from(plane.e1),
      e2: Array.from(plane.e2),
    },
    powerDiagram: power
      ? { lambda: power.lambda, note: 'pow_i(u, v) = ‖(u, v) − c_i‖² − α_i; the k smallest are the TopK set (seed-papers §3.5)', sites: Array.from(power.sites), weights: Array.from(power.weights), radii: Array.from(power.radii) }
      : null,
    decoderArrows: arrows ? Array.from(arrows) : null,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
