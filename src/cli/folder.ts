// Reads and writes SAELens folders on disk (cfg.json + sae_weights.safetensors [+ sparsity.safetensors]).
// The format itself is src/core/formats/saelens.ts; this file only does Node file I/O and refuses to overwrite.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { CFG_FILE, SPARSITY_FILE, WEIGHTS_FILE } from '../core/formats/saelens.ts';
import type { ModelFolder } from '../core/formats/modelFolder.ts';
import { fromModelFolder, weightsFileOf } from '../core/formats/modelFolder.ts';
import { CLUSTER_WEIGHTS_FILE } from '../core/formats/clusterFolder.ts';
import type { Sae } from '../core/sae/types.ts';
import { readInput } from './data.ts';

/** Writes `folder` (a SAELens or cluster-layout folder: formats/modelFolder.ts) into `dir`. Refuses a dir that already holds a model unless `force`, so nothing is lost. */
export function writeSaeFolder(dir: string, folder: Omit<ModelFolder, 'weightsFile'> & { weightsFile?: string }, force: boolean): string[] {
  const held = [CFG_FILE, WEIGHTS_FILE, CLUSTER_WEIGHTS_FILE].filter((f) => existsSync(join(dir, f)));
  if (!force && held.length > 0) {
    throw new InputError(`${dir}: already holds an SAE (${held.join(', ')}): choose another --export DIR or add --force to overwrite`);
  }
  mkdirSync(dir, { recursive: true });
  const written = [join(dir, CFG_FILE), join(dir, folder.weightsFile ?? WEIGHTS_FILE)];
  writeFileSync(written[0], folder.cfgJson);
  writeFileSync(written[1], folder.weights);
  if (folder.sparsity) {
    written.push(join(dir, SPARSITY_FILE));
    writeFileSync(written[2], folder.sparsity);
  }
  return written;
}

/** Reads any SAELens v6 (or pre-6) folder, or a k-means / k-flats folder of ours (cluster layout). */
export function readSaeFolder(dir: string): Sae {
  const cfgPath = join(dir, CFG_FILE);
  if (!existsSync(cfgPath)) throw new InputError(`${dir}: not a SAELens folder: ${CFG_FILE} not found`);
  const cfgText = readFileSync(cfgPath, 'utf8');
  const weights = readInput(join(dir, weightsFileOf(cfgText)));
  return fromModelFolder(cfgText, weights, dir);
}
