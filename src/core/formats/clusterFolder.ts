// The export folder of the cluster families (issue #12): cfg.json + model.safetensors (+ sparsity.safetensors),
// written by the app's export and the CLI's --export, read back by `eval --sae DIR` and wherever a model folder
// is read. Not a SAELens architecture: SAELens encoders are affine + an activation, and neither the
// nearest-centroid nor the smallest-residual assignment is one (src/core/cluster/model.ts). Imports only src/core.
//
// cfg.json: { "format": "sae-workbench-cluster", "format_version": 1, "architecture": "kmeans" | "kflats",
//             "d_in": D, "clusters": K, "rank": R (0 for kmeans), "dtype": "float32", "metadata": {...} }
// model.safetensors (F32, row-major):
//   kmeans: centroids [K, D]
//   kflats: means [K, D], bases [K, R, D] (each cluster's R rows orthonormal; R = 0 stores no bases tensor)
//   x̂ = μ_j + U_jᵀU_j(x − μ_j), j = argmin_j ‖(I − U_jᵀU_j)(x − μ_j)‖² (ties → lower j); kmeans: x̂ = nearest centroid.
// sparsity.safetensors: { "sparsity": [K] } log10(fraction of rows assigned to each cluster + 1e-10).
// Hostile files: cfg fields checked by type and range, sizes against formats/limits.ts before any tensor is
// read, tensors by name, shape and finiteness (parseSafetensors), and the bases' orthonormality (a basis that is
// not orthonormal computes another function than the formula above).

import { InputError, formatError } from '../errors.ts';
import type { Provenance } from './saelens.ts';
import { CFG_FILE, TRAINER } from './saelens.ts';
import { parseSafetensors, writeSafetensors } from './safetensors.ts';
import { MAX_JSON_BYTES, checkElements } from './limits.ts';
import type { Sae } from '../sae/types.ts';
import { isClusterArch } from '../sae/types.ts';
import { blockOf, clusterToSae, saeToCluster } from '../cluster/model.ts';

export const CLUSTER_FORMAT = 'sae-workbench-cluster';
export const CLUSTER_FORMAT_VERSION = 1;
export const CLUSTER_WEIGHTS_FILE = 'model.safetensors';
/** Largest |uᵢ·uⱼ − δᵢⱼ| a stored basis may have (f32 round-off of an orthonormal basis is ~1e-7). */
export const BASIS_TOLERANCE = 1e-3;

/** The files of one cluster-model folder (the same shape as a SAELens folder, with its own weights file). */
export interface ClusterFolder {
  cfgJson: string;
  weights: Uint8Array;
  sparsity?: Uint8Array;
  weightsFile: typeof CLUSTER_WEIGHTS_FILE;
}

/** Writes a cluster-layout Sae (arch kmeans / kflats). logDensity: per LATENT of the layout ([dSae]); the folder keeps each cluster's (its indicator latent's). */
export function toClusterFolder(sae: Sae, opts: { provenance?: Provenance; logDensity?: Float32Array } = {}): ClusterFolder {
  if (!isClusterArch(sae.arch)) throw new Error(`toClusterFolder: arch ${sae.arch} is an SAE (use toSaeLens)`);
  if (sae.inputScale !== 1) throw new Error(`toClusterFolder: inputScale ${sae.inputScale}: the cluster families fit raw inputs (inputScale 1)`);
  const m = saeToCluster(sae);
  const cfg = {
    format: CLUSTER_FORMAT,
    format_version: CLUSTER_FORMAT_VERSION,
    architecture: sae.arch,
    d_in: m.dIn,
    clusters: m.clusters,
    rank: m.rank,
    dtype: 'float32',
    metadata: { trainer: TRAINER, ...(opts.provenance ?? {}) },
  };
  const tensors: Record<string, { shape: number[]; data: Float32Array }> =
    sae.arch === 'kmeans' ? { centroids: { shape: [m.clusters, m.dIn], data: m.means } } : { means: { shape: [m.clusters, m.dIn], data: m.means } };
  if (sae.arch === 'kflats' && m.rank > 0) tensors.bases = { shape: [m.clusters, m.rank, m.dIn], data: m.bases };
  const folder: ClusterFolder = { cfgJson: JSON.stringify(cfg, null, 2) + '\n', weights: writeSafetensors(tensors), weightsFile: CLUSTER_WEIGHTS_FILE };
  if (opts.logDensity) {
    const block = blockOf(m.rank);
    folder.sparsity = writeSafetensors({ sparsity: { shape: [m.clusters], data: Float32Array.from({ length: m.clusters }, (_, j) => opts.logDensity![j * block]) } });
  }
  return folder;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when cfg.json's text declares the cluster format (a cheap look before choosing the reader). */
export function isClusterCfg(cfgText: string): boolean {
  try {
    const cfg: unknown = JSON.parse(cfgText);
    return isObject(cfg) && cfg.format === CLUSTER_FORMAT;
  } catch {
    return false;
  }
}

/** Reads a cluster-model folder (cfg.json text + model.safetensors bytes) into the cluster-layout Sae. `source` names the folder. */
export function fromClusterFolder(cfgText: string, weights: Uint8Array, source: string): Sae {
  const cfgSrc = `${source}/${CFG_FILE}`;
  const wSrc = `${source}/${CLUSTER_WEIGHTS_FILE}`;
  if (cfgText.length > MAX_JSON_BYTES) throw formatError(cfgSrc, 'size', `at most ${MAX_JSON_BYTES} characters`, `${cfgText.length}`);
  let cfg: unknown;
  try {
    cfg = JSON.parse(cfgText);
  } catch (e) {
    throw formatError(cfgSrc, 'JSON', 'valid JSON', (e as Error).message);
  }
  if (!isObject(cfg)) throw formatError(cfgSrc, 'top level', 'an object', typeof cfg);
  if (cfg.format !== CLUSTER_FORMAT) throw formatError(cfgSrc, 'format', `"${CLUSTER_FORMAT}"`, JSON.stringify(cfg.format));
  if (cfg.format_version !== CLUSTER_FORMAT_VERSION) throw formatError(cfgSrc, 'format_version', `${CLUSTER_FORMAT_VERSION} (this build's)`, JSON.stringify(cfg.format_version));
  const arch = cfg.architecture;
  if (arch !== 'kmeans' && arch !== 'kflats') throw formatError(cfgSrc, 'architecture', '"kmeans" or "kflats"', JSON.stringify(arch));
  const int = (key: string, min: number): number => {
    const v = cfg[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw formatError(cfgSrc, key, `an integer ≥ ${min}`, JSON.stringify(v));
    return v;
  };
  const dIn = int('d_in', 1);
  const clusters = int('clusters', 1);
  const rank = int('rank', 0);
  if (arch === 'kmeans' && rank !== 0) throw formatError(cfgSrc, 'rank', '0 for architecture "kmeans"', String(rank));
  if (rank > dIn) throw formatError(cfgSrc, 'rank', `at most d_in = ${dIn}`, String(rank));
  if (cfg.dtype !== undefined && cfg.dtype !== 'float32') throw formatError(cfgSrc, 'dtype', '"float32"', JSON.stringify(cfg.dtype));
  // Sizes before any tensor is decoded: the Sae layout holds clusters·(2·rank+1) rows of d_in, twice.
  checkElements(cfgSrc, 'clusters × (2·rank + 1) × d_in', clusters * blockOf(rank) * dIn);

  const { tensors } = parseSafetensors(weights, wSrc);
  const expected: [string, number[]][] = arch === 'kmeans' ? [['centroids', [clusters, dIn]]] : [['means', [clusters, dIn]], ...(rank > 0 ? [['bases', [clusters, rank, dIn]] as [string, number[]]] : [])];
  const names = expected.map(([n]) => n);
  const extra = Object.keys(tensors).filter((n) => !names.includes(n));
  if (extra.length > 0) throw formatError(wSrc, 'tensors', `exactly ${names.join(', ')} for architecture "${arch}"`, `extra ${extra.join(', ')}`);
  for (const [name, shape] of expected) {
    const t = tensors[name];
    if (!t) throw formatError(wSrc, name, `present (architecture "${arch}" needs ${names.join(', ')})`, 'missing');
    if (t.shape.length !== shape.length || t.shape.some((v, i) => v !== shape[i])) throw formatError(wSrc, `${name}.shape`, `[${shape.join(', ')}] (cfg.json)`, `[${t.shape.join(', ')}]`);
  }
  const means = (arch === 'kmeans' ? tensors.centroids : tensors.means).data;
  const bases = rank > 0 ? tensors.bases.data : new Float32Array(0);
  checkOrthonormal(bases, clusters, rank, dIn, wSrc);
  return clusterToSae({ dIn, clusters, rank, means, bases }, arch);
}

function checkOrthonormal(bases: Float32Array, clusters: number, rank: number, dIn: number, source: string): void {
  for (let j = 0; j < clusters; j++)
    for (let a = 0; a < rank; a++)
      for (let b = a; b < rank; b++) {
        let dot = 0;
        for (let d = 0; d < dIn; d++) dot += bases[(j * rank + a) * dIn + d] * bases[(j * rank + b) * dIn + d];
        if (Math.abs(dot - (a === b ? 1 : 0)) > BASIS_TOLERANCE)
          throw new InputError(
            `${source}: bases[${j}]: expected orthonormal rows (|uᵢ·uⱼ − δᵢⱼ| ≤ ${BASIS_TOLERANCE}), got u${a}·u${b} = ${dot.toPrecision(6)}: orthonormalise each cluster's basis (e.g. numpy.linalg.qr(B.T)[0].T) before saving`,
          );
      }
}
