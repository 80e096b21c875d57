// The built-in datasets of the CLI (`--data builtin:NAME`): the files the app ships in public/data/,
// found relative to this source file (not the working directory), decompressed with node:zlib so
// loading stays synchronous, and parsed by src/core. Node only; must not import engine or UI code.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import type { DatasetSource, LabelledDataset } from '../core/data/card.ts';
import { DIGITS_SOURCE, parseDigits } from '../core/formats/csv.ts';
import { InputError, formatError } from '../core/errors.ts';
import { GLOVE_MEMBER, GLOVE_SOURCE, parseGlove } from '../core/formats/glove.ts';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_SOURCE, idxLabelledImages } from '../core/formats/idx.ts';
import { MARKED_BUILTINS, markImages } from '../core/data/marked.ts';
import { MAX_DECOMPRESSED_BYTES, checkZipMember, findZipMember, isGzip } from '../core/formats/inflate.ts';
import { collectActivations } from '../core/lm/activations.ts';
import type { LmSite } from '../core/lm/forward.ts';
import { parseLmModel } from '../core/lm/model.ts';
import { tokenLabel } from '../core/lm/tokenizer.ts';

/** public/data/ of this checkout (src/cli/builtin.ts → ../../public/data/). */
export const BUILTIN_DATA_DIR = fileURLToPath(new URL('../../public/data/', import.meta.url));

interface Builtin extends DatasetSource {
  /** The files under public/data/ it reads. */
  files: string[];
  /** rows × dIn, for help text. */
  shape: [number, number];
  load(): LabelledDataset;
}

const BASE_SOURCES: Record<string, DatasetSource> = { digits: DIGITS_SOURCE, 'fashion-mnist': FASHION_MNIST_SOURCE };
const BASE_FILES: Record<string, string[]> = { digits: ['digits.csv.gz'], 'fashion-mnist': ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'] };

export const BUILTINS: Record<string, Builtin> = {
  'fashion-mnist': {
    ...FASHION_MNIST_SOURCE,
    files: ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
    shape: [10000, 784],
    load: () =>
      idxLabelledImages(
        gunzipFile('t10k-images-idx3-ubyte.gz'),
        gunzipFile('t10k-labels-idx1-ubyte.gz'),
        { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
        'builtin:fashion-mnist',
        FASHION_MNIST_CLASSES,
      ),
  },
  digits: {
    ...DIGITS_SOURCE,
    files: ['digits.csv.gz'],
    shape: [1797, 64],
    load: () => parseDigits(gunzipFile('digits.csv.gz'), 'digits.csv.gz', 'builtin:digits'),
  },
  ...Object.fromEntries(
    Object.entries(MARKED_BUILTINS).map(([name, m]): [string, Builtin] => [
      name,
      {
        source: `${BASE_SOURCES[m.base].source}; a bright 3×3 corner marker added to a seeded half of the images (spurious-correlation removal)`,
        licence: BASE_SOURCES[m.base].licence,
        files: BASE_FILES[m.base],
        shape: m.base === 'digits' ? [1797, 64] : [10000, 784],
        load: () => markImages(loadBase(m.base), m.shape, `builtin:${name}`),
      },
    ]),
  ),
  'glove-50d': {
    ...GLOVE_SOURCE,
    files: ['glove.6B.50d.10k.zip'],
    shape: [10000, 50],
    load: () => parseGlove(unzipFile('glove.6B.50d.10k.zip', GLOVE_MEMBER), `glove.6B.50d.10k.zip: ${GLOVE_MEMBER}`, 'builtin:glove-50d'),
  },
};

/** The plain built-in a marked one is made from (looked up late: BUILTINS is being defined). */
const loadBase = (name: string): LabelledDataset => BUILTINS[name].load();

/** Text tokens the `builtin:stories-*` sets read from the shipped TinyStories (a few seconds on the CPU reference). */
export const STORIES_TOKENS = 16_384;
const STORIES_PATTERN = /^stories-(resid|mlp)-(\d)$/;

/**
 * `builtin:stories-resid-L` / `builtin:stories-mlp-L`: stories260K activations at resid:L (L = 0..5) or
 * mlp:L (L = 1..5) over the first STORIES_TOKENS tokens of the shipped TinyStories text, BOS rows dropped;
 * each row is labelled with its token.
 */
function loadStories(spec: string, kind: string, layer: string): LabelledDataset {
  const model = parseLmModel(readShipped('stories260k.bin'), 'stories260k.bin');
  const text = new TextDecoder().decode(readShipped('tinystories.txt'));
  const site = `${kind}:${layer}` as LmSite;
  const a = collectActivations(model, text, { site, dropBos: true, maxTokens: STORIES_TOKENS });
  const labels = Array.from(a.tokens, (t) => tokenLabel(model.vocab, t));
  return { name: spec, rows: a.rows, dIn: a.dIn, x: a.x, labels, labelNames: [] };
}

/** The dataset `builtin:NAME` names (fashion-mnist, digits, glove-50d, stories-resid-L, stories-mlp-L). */
export function loadBuiltin(spec: string): LabelledDataset {
  const name = spec.replace(/^builtin:/, '');
  const stories = STORIES_PATTERN.exec(name);
  if (stories) return loadStories(spec, stories[1], stories[2]);
  const b = Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
  if (!b) {
    const names = [...Object.keys(BUILTINS), 'stories-resid-L (L = 0..5)', 'stories-mlp-L (L = 1..5)'];
    throw formatError(spec, 'name', `one of ${names.map((k) => `builtin:${k}`).join(', ')}`, `"${name}"`);
  }
  return b.load();
}

function readShipped(file: string): Uint8Array {
  const path = BUILTIN_DATA_DIR + file;
  try {
    return new Uint8Array(readFileSync(path));
  } catch {
    throw new InputError(`${path}: file not found: the built-in data ships in public/data/; restore it from the repository (git checkout public/data)`);
  }
}

function gunzipFile(file: string): Uint8Array {
  const bytes = readShipped(file);
  if (!isGzip(bytes)) throw formatError(file, 'gzip magic', '1f 8b', 'something else: the file is not gzip');
  return maybeGunzipSync(bytes, file);
}

/** `bytes` gunzipped (synchronously, node:zlib) when they start with the gzip magic, else `bytes`. */
export function maybeGunzipSync(bytes: Uint8Array, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes, { maxOutputLength: MAX_DECOMPRESSED_BYTES }));
  } catch (e) {
    throw formatError(source, 'gzip data', 'a complete, valid gzip stream', `${(e as Error).message}: the file is corrupt or truncated`);
  }
}

function unzipFile(file: string, member: string): Uint8Array {
  const zip = readShipped(file);
  const m = findZipMember(zip, file, member);
  let data: Uint8Array;
  try {
    data = m.method === 0 ? m.compressed.slice() : new Uint8Array(inflateRawSync(m.compressed, { maxOutputLength: Math.min(MAX_DECOMPRESSED_BYTES, m.size + 1) }));
  } catch (e) {
    throw formatError(file, `member "${m.name}"`, 'valid deflate data', `${(e as Error).message}: the zip is corrupt`);
  }
  return checkZipMember(m, data, file);
}
