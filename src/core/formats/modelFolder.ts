// Any trained model's export folder, whatever its family: an SAE as a SAELens folder (saelens.ts), a k-means /
// k-flats model in the cluster layout (clusterFolder.ts). The one place the CLI, the engine's exports and the
// evaluation ask "write this model" / "read this folder"; the family decides. Imports only src/core.

import type { Provenance } from './saelens.ts';
import { WEIGHTS_FILE, fromSaeLens, toSaeLens } from './saelens.ts';
import { CLUSTER_WEIGHTS_FILE, fromClusterFolder, isClusterCfg, toClusterFolder } from './clusterFolder.ts';
import type { Sae } from '../sae/types.ts';
import { isClusterArch } from '../sae/types.ts';

/** cfg.json + the weights file (named weightsFile) + optional sparsity.safetensors. */
export interface ModelFolder {
  cfgJson: string;
  weights: Uint8Array;
  sparsity?: Uint8Array;
  /** sae_weights.safetensors (SAELens) or model.safetensors (cluster layout). */
  weightsFile: string;
}

/** The folder of `sae`: SAELens for the SAE architectures, the cluster layout for kmeans / kflats. */
export function toModelFolder(sae: Sae, opts: { provenance?: Provenance; logDensity?: Float32Array } = {}): ModelFolder {
  if (isClusterArch(sae.arch)) return toClusterFolder(sae, opts);
  return { ...toSaeLens(sae, opts), weightsFile: WEIGHTS_FILE };
}

/** The weights file a folder with this cfg.json holds. */
export const weightsFileOf = (cfgText: string): string => (isClusterCfg(cfgText) ? CLUSTER_WEIGHTS_FILE : WEIGHTS_FILE);

/** Reads a folder written by toModelFolder (or any SAELens folder). */
export function fromModelFolder(cfgText: string, weights: Uint8Array, source: string): Sae {
  return isClusterCfg(cfgText) ? fromClusterFolder(cfgText, weights, source) : fromSaeLens(cfgText, weights, source);
}
