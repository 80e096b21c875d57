// GloVe word vectors: text lines `word v1 … vD` (from the shipped zip or a plain .txt) → a
// LabelledDataset [words, D] whose labels are the words, in file (frequency) order.
// Imports only src/core (no node:fs, no DOM): callers pass bytes; unzipping is async (inflate.ts).

import type { DatasetSource, LabelledDataset } from '../data/card.ts';
import { formatError } from '../errors.ts';
import { findZipMember, unzipMember } from './inflate.ts';
import { MAX_TEXT_BYTES, checkElements } from './limits.ts';

/** The one member of the shipped glove.6B.50d.10k.zip. */
export const GLOVE_MEMBER = 'glove.6B.50d.10k.txt';

export const GLOVE_SOURCE: DatasetSource = {
  source: 'GloVe 6B 50-d word vectors, the 10,000 most frequent words (Pennington, Socher, Manning 2014; nlp.stanford.edu/projects/glove)',
  licence: 'PDDL 1.0 (Open Data Commons Public Domain Dedication and License)',
};

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const F32_MAX = 3.4028234663852886e38;

/**
 * Parses GloVe text: one `word v1 … vD` per line, single spaces. D is `dim` or, when omitted, the
 * count on line 1. A malformed line is an InputError naming its (1-based) line number.
 */
export function parseGlove(bytes: Uint8Array, source: string, name = source, dim?: number): LabelledDataset {
  if (bytes.length > MAX_TEXT_BYTES) throw formatError(source, 'size', `at most ${MAX_TEXT_BYTES} bytes of text (the limit)`, `${bytes.length}: keep fewer words`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw formatError(source, 'encoding', 'UTF-8 text (`word v1 … vD` per line)', 'invalid UTF-8: is the file compressed? unzip it first (readGloveZip)');
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the final newline
  if (lines.length === 0) throw formatError(source, 'lines', 'at least 1 `word v1 … vD` line', 'an empty file');
  if (dim !== undefined && !(Number.isInteger(dim) && dim >= 1)) throw formatError(source, 'dim', 'an integer ≥ 1', String(dim));
  let D = dim ?? -1;
  const words: string[] = [];
  let x = new Float32Array(0);
  for (let i = 0; i < lines.length; i++) {
    const ln = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    const at = `line ${i + 1}`;
    const parts = ln.split(' ');
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // a trailing space
    if (D < 0) {
      D = parts.length - 1;
      if (D < 1) throw formatError(source, at, '`word v1 … vD` with D ≥ 1', ln === '' ? 'an empty line' : `"${clip(ln)}"`);
    }
    if (x.length === 0) {
      checkElements(source, `${lines.length} lines × ${D} values`, lines.length * D);
      x = new Float32Array(lines.length * D);
    }
    const word = parts[0];
    if (word === '' || parts.length !== D + 1) {
      const got = ln.trim() === '' ? 'an empty line' : word === '' ? 'an empty word' : `${parts.length - 1} values`;
      throw formatError(source, at, `a word then ${D} numbers separated by single spaces`, `${got}: fix or delete that line`);
    }
    for (let j = 0; j < D; j++) {
      const cell = parts[j + 1];
      const v = Number(cell);
      if (!NUMBER.test(cell) || !Number.isFinite(v) || Math.abs(v) > F32_MAX) {
        throw formatError(source, `${at}, value ${j + 1} (word "${clip(word)}")`, 'a finite number', `"${clip(cell)}"`);
      }
      x[i * D + j] = v;
    }
    words.push(word);
  }
  return { name, rows: words.length, dIn: D, x, labels: words, labelNames: [] };
}

/** Reads GloVe from a zip (the member `member`, or the only one), checked against its CRC-32. */
export async function readGloveZip(zip: Uint8Array, source = 'glove.6B.50d.10k.zip', name = 'builtin:glove-50d', member?: string): Promise<LabelledDataset> {
  const m = findZipMember(zip, source, member);
  return parseGlove(await unzipMember(zip, source, m.name, MAX_TEXT_BYTES), `${source}: ${m.name}`, name);
}

function clip(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}
