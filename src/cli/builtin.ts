// The CLI's built-in datasets: `builtin:NAME` and `synthetic:PRESET[:SEED]` load through the engine's own
// loader (src/engine/data/datasets.ts, the app's), reading the shipped files from public/data/ next to this
// source file (not the working directory). Node only; imports the engine's dataset loader, not its trainers.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InputError, formatError } from '../core/errors.ts';
import type { DataReader, LoadedDataset } from '../engine/data/datasets.ts';
import { BUILTINS, loadDatasetFrom } from '../engine/data/datasets.ts';

/** public/data/ of this checkout (src/cli/builtin.ts → ../../public/data/). */
export const BUILTIN_DATA_DIR = fileURLToPath(new URL('../../public/data/', import.meta.url));

/** Text tokens the CLI's `builtin:stories-*` sets read from the shipped TinyStories (the app reads fewer: its default). */
export const STORIES_TOKENS = 16_384;
const STORIES_PATTERN = /^builtin:stories-(resid|mlp)-(\d+)$/;

/** The shipped data folder as the engine's DataReader. */
export const readShipped: DataReader = async (file) => {
  const path = BUILTIN_DATA_DIR + file;
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    throw new InputError(`${path}: file not found: the built-in data ships in public/data/; restore it from the repository (git checkout public/data)`);
  }
};

/** Refuses a `builtin:NAME` the engine does not have, naming the ones there are (before any file is read). */
function checkBuiltinName(spec: string): void {
  if (STORIES_PATTERN.test(spec)) return;
  const plain = BUILTINS.filter((b) => b.id.startsWith('builtin:') && !b.id.startsWith('builtin:stories-')).map((b) => b.id);
  if (plain.includes(spec)) return;
  const names = [...plain, 'builtin:stories-resid-L (L = 0..5)', 'builtin:stories-mlp-L (L = 1..5)'];
  throw formatError(spec, 'name', `one of ${names.join(', ')}`, `"${spec.replace(/^builtin:/, '')}"`);
}

/**
 * The dataset `builtin:NAME` or `synthetic:PRESET[:SEED]` names, every row (BOS rows of text dropped, no
 * split, no scaling: the engine's defaults), as the app loads it. lmDevice: a WebGPU device for the LM, or null.
 */
export async function loadBuiltin(spec: string, lmDevice: () => Promise<GPUDevice | null> = () => Promise.resolve(null)): Promise<LoadedDataset> {
  if (spec.startsWith('builtin:')) checkBuiltinName(spec);
  return loadDatasetFrom({ source: 'builtin', id: spec, maxTokens: STORIES_TOKENS }, readShipped, () => undefined, { lmDevice });
}
