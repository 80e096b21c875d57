// How the inspector shows a row: a text row's highlighted token window (tokenContext), an image
// thumbnail, a word, or a row index and its class (inputRef). Imports only src/core.

import type { LabelledDataset } from '../data/card.ts';
import { InputError } from '../errors.ts';
import type { Dataset, Sae } from '../sae/types.ts';
import { checkInt } from './checks.ts';
import { latentValuesAt } from './codes.ts';

/** Per-row place of text activations (LmActivations' fields; takeRows/dropRows with perRow keep them). */
export interface TokenPositions {
  context: Int32Array; // [rows] index of the row's context
  position: Int32Array; // [rows] position in that context (0 = BOS)
}

/** A dataset of text activations: LmActivations with a name is one. */
export interface TextDataset extends Dataset, TokenPositions {
  tokens: Int32Array | string[]; // [rows] the token at each row (an id, or its label)
}

/** One token of a context window. */
export interface ContextToken {
  row: number;
  position: number;
  token: number | string;
  /** True for the row the window was asked for. */
  focus: boolean;
  /** f_{row,latent} when a probe was given. */
  value?: number;
}

/** The rows around one row in its own context, ascending position (gaps where rows were dropped or split off). */
export interface TokenContext {
  row: number;
  context: number;
  /** Index into tokens of the focus row. */
  focus: number;
  tokens: ContextToken[];
}

/** Whole-word windows (issue #14): which tokens start a word, and how far past ±window a window may grow to reach one. */
export interface WordBounds {
  /** True when `token` starts a word (SentencePiece: its piece starts with `▁`, shown as a space; see startsWord). */
  startsWord: (token: number | string) => boolean;
  /** Extra positions a window may take on either side to end on word boundaries (default 6). */
  maxExtend?: number;
}

/**
 * Word starts for token labels (tokenizer.ts tokenLabel: `▁` → a space): a label starting with whitespace,
 * a special (`<s>`, `</s>`, `<unk>`) or a label that is not a letter or digit (punctuation stands alone).
 */
export function startsWord(label: number | string): boolean {
  const t = String(label);
  return t === '' || /^[\s▁]/.test(t) || /^<\/?(s|unk)>$/.test(t) || !/^[\p{L}\p{N}]/u.test(t);
}

/** Which latent's activations to attach to a context window, computed on these rows of data. */
export interface LatentProbe {
  sae: Sae;
  data: Dataset;
  latent: number;
}

/**
 * The tokens of `row`'s context within `window` positions on either side (|position − p| ≤ window), found
 * by scanning neighbouring rows while they stay in the same context with strictly ascending positions —
 * the order collectActivations writes and row subsets that keep row order preserve. With a probe, each
 * token carries the latent's activation on its row (for a highlighted context). With `words`, the window then
 * grows (≤ maxExtend rows a side, same context) so it starts and ends on whole words.
 */
export function tokenContext(tokens: Int32Array | string[], where: TokenPositions, row: number, window: number, probe?: LatentProbe, words?: WordBounds): TokenContext {
  const rows = tokens.length;
  if (where.context.length !== rows || where.position.length !== rows) {
    throw new InputError(`token context: expected tokens, context and position of one length, got ${rows}, ${where.context.length}, ${where.position.length}`);
  }
  checkInt('token context', 'row', row, 0, rows - 1);
  checkInt('token context', 'window', window, 0);
  const { context, position } = where;
  const c = context[row];
  const p = position[row];
  let lo = row;
  while (lo > 0 && context[lo - 1] === c && position[lo - 1] < position[lo] && position[lo - 1] >= p - window) lo--;
  let hi = row;
  while (hi + 1 < rows && context[hi + 1] === c && position[hi + 1] > position[hi] && position[hi + 1] <= p + window) hi++;
  if (words) {
    // Never cut a word (issue #14): move the start back to the first piece of its word, and the end forward to
    // the last piece of its word (the row before the next word start), each by at most maxExtend rows.
    const extra = words.maxExtend ?? 6;
    checkInt('token context', 'maxExtend', extra, 0);
    const same = (a: number, b: number): boolean => context[a] === c && context[b] === c && position[a] < position[b];
    for (let k = 0; k < extra && lo > 0 && !words.startsWord(tokens[lo]) && same(lo - 1, lo); k++) lo--;
    for (let k = 0; k < extra && hi + 1 < rows && !words.startsWord(tokens[hi + 1]) && same(hi, hi + 1); k++) hi++;
  }
  const idx: number[] = [];
  for (let r = lo; r <= hi; r++) idx.push(r);
  const values = probe ? latentValuesAt(probe.sae, probe.data, probe.latent, idx) : null;
  const out: ContextToken[] = idx.map((r, k) => {
    const e: ContextToken = { row: r, position: position[r], token: tokens[r], focus: r === row };
    if (values) e.value = values[k];
    return e;
  });
  return { row, context: c, focus: row - lo, tokens: out };
}

/** How the UI shows one row of a dataset. */
export type InputRef =
  /** Text activations: the token at the row, its context and position (tokenContext gives the window). */
  | { kind: 'token'; row: number; token: number | string; context: number; position: number }
  /** An image: pixels [height·width] row-major (a copy of the row), with its class name if labelled. */
  | { kind: 'image'; row: number; width: number; height: number; pixels: Float32Array; label: string | null }
  /** A word vector (GloVe) or any row labelled with a string. */
  | { kind: 'word'; row: number; word: string }
  /** Anything else: the row index and its class name if labelled. */
  | { kind: 'row'; row: number; label: string | null };

export interface InputOptions {
  /** Show rows as images of this shape (width·height = dIn). Inferred for class-labelled data with a square dIn. */
  image?: { width: number; height: number };
}

/** True when `d` carries per-row tokens, contexts and positions (text activations). */
function hasTokenRows(d: Dataset): d is TextDataset {
  const t = d as Partial<TextDataset>;
  return t.tokens !== undefined && t.tokens.length === d.rows && t.context instanceof Int32Array && t.context.length === d.rows && t.position instanceof Int32Array && t.position.length === d.rows;
}

function labelsOf(d: Dataset): Partial<Pick<LabelledDataset, 'labels' | 'labelNames'>> {
  const l = d as Partial<LabelledDataset>;
  return l.labels !== undefined && l.labels.length === d.rows ? { labels: l.labels, labelNames: l.labelNames ?? [] } : {};
}

/** The image shape rows are shown with, or null: opts.image, else a square side² = dIn ≥ 4 when labels are class ids. */
function imageShape(d: Dataset, opts: InputOptions): { width: number; height: number } | null {
  if (opts.image) {
    const { width, height } = opts.image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width * height !== d.dIn) {
      throw new InputError(`input view: image: expected integers width·height = dIn = ${d.dIn}, got ${width}×${height}`);
    }
    return opts.image;
  }
  const side = Math.round(Math.sqrt(d.dIn));
  return labelsOf(d).labels instanceof Int32Array && side >= 2 && side * side === d.dIn ? { width: side, height: side } : null;
}

/**
 * How to show row `row` of d (see InputRef): token for text rows, an image for opts.image or class-labelled
 * rows with a square dIn, a word for string labels, else the row and its class.
 */
export function inputRef(d: Dataset, row: number, opts: InputOptions = {}): InputRef {
  checkInt('input view', 'row', row, 0, d.rows - 1);
  if (hasTokenRows(d)) return { kind: 'token', row, token: d.tokens[row], context: d.context[row], position: d.position[row] };
  const { labels, labelNames = [] } = labelsOf(d);
  const label = labels === undefined ? null : typeof labels[row] === 'number' ? (labelNames[labels[row] as number] ?? String(labels[row])) : String(labels[row]);
  const img = imageShape(d, opts);
  if (img) return { kind: 'image', row, width: img.width, height: img.height, pixels: d.x.slice(row * d.dIn, (row + 1) * d.dIn), label };
  if (labels !== undefined && !(labels instanceof Int32Array)) return { kind: 'word', row, word: String(labels[row]) };
  return { kind: 'row', row, label };
}
