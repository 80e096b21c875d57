// Reads and writes SAELens folders on disk (cfg.json + sae_weights.safetensors [+ sparsity.safetensors]).
// The format itself is src/core/formats/saelens.ts; this file only does Node file I/O and refuses to overwrite.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import type { SaeLensFolder } from '../core/formats/saelens.ts';
import { CFG_FILE, SPARSITY_FILE, WEIGHTS_FILE, fromSaeLens } from '../core/formats/saelens.ts';
import type { Sae } from '../core/sae/types.ts';
import { readInput } from './data.ts';

/** Writes `folder` into `dir`. Refuses a dir that already holds an SAE unless `force`, so nothing is lost. */
export function writeSaeFolder(dir: string, folder: SaeLensFolder, force: boolean): string[] {
  if (!force && (existsSync(join(dir, CFG_FILE)) || existsSync(join(dir, WEIGHTS_FILE)))) {
    throw new InputError(`${dir}: already holds an SAE (${CFG_FILE} or ${WEIGHTS_FILE}): choose another --export DIR or add --force to overwrite`);
  }
  mkdirSync(dir, { recursive: true });
  const written = [join(dir, CFG_FILE), join(dir, WEIGHTS_FILE)];
  writeFileSync(written[0], folder.cfgJson);
  writeFileSync(written[1], folder.weights);
  if (folder.sparsity) {
    written.push(join(dir, SPARSITY_FILE));
    writeFileSync(written[2], folder.sparsity);
  }
  return written;
}

/** Reads any SAELens v6 (or pre-6) folder. */
export function readSaeFolder(dir: string): Sae {
  const cfgPath = join(dir, CFG_FILE);
  if (!existsSync(cfgPath)) throw new InputError(`${dir}: not a SAELens folder: ${CFG_FILE} not found`);
  const weights = readInput(join(dir, WEIGHTS_FILE));
  return fromSaeLens(readFileSync(cfgPath, 'utf8'), weights, dir);
}
