// Activations of stories260K over a text, for training SAEs on real LM activations: tokenise, cut into
// contexts that each start with BOS, run the reference forward pass, keep one row per token with its token
// id and its context (document, position). Imports only src/core (no node:fs, no DOM).

import { InputError } from '../errors.ts';
import type { LmSite } from './forward.ts';
import { createLmState, forwardToken, parseSite, resetLmState } from './forward.ts';
import type { LmModel } from './model.ts';
import { BOS } from './model.ts';
import { encode } from './tokenizer.ts';

/** How a text becomes documents: at blank lines (paragraphs; the default) or the whole text as one. */
export type DocumentSplit = 'blank-lines' | 'none';

/** One forward-pass window: BOS then up to contextTokens − 1 tokens of document `doc`, from token `start` of it. */
export interface LmContext {
  doc: number;
  /** Offset of tokens[1] in the document's tokens (encoded with the dummy prefix, without BOS). */
  start: number;
  tokens: Int32Array; // [n], tokens[0] = BOS
}

export interface LmActivations {
  site: LmSite;
  rows: number;
  dIn: number;
  x: Float32Array; // [rows, dIn] row-major
  tokens: Int32Array; // [rows] the token at each row's position (the input that produced the activation)
  context: Int32Array; // [rows] index into contexts
  position: Int32Array; // [rows] position in its context (0 = BOS)
  contexts: LmContext[];
  /** Documents covered (contexts[i].doc < documents; all of splitDocuments(text) unless maxTokens cut it short). */
  documents: number;
}

export interface ActivationOptions {
  /** `resid:L` (L = 0..nLayers) or `mlp:L` (L = 1..nLayers); see LmSite. */
  site: string;
  /** Longest context in tokens, BOS included (default 256, at most the model's seqLen). */
  contextTokens?: number;
  /** Leave out the BOS-position rows (their activation is the same in every context). Default false. */
  dropBos?: boolean;
  split?: DocumentSplit;
  /** Stop after this many text tokens (BOS not counted); default all. */
  maxTokens?: number;
  /** Called after each context with the text tokens done and in all. */
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_CONTEXT_TOKENS = 256;

/** Documents of a text: paragraphs separated by blank lines (trimmed, empty ones dropped), or the whole text. */
export function splitDocuments(text: string, split: DocumentSplit = 'blank-lines'): string[] {
  const docs = split === 'none' ? [text] : text.split(/\r?\n[ \t\r]*\n/).map((s) => s.trim());
  return docs.filter((s) => s.length > 0);
}

/** Tokenises each document (dummy prefix, no BOS) and cuts it into contexts of at most contextTokens (BOS first). */
export function buildContexts(model: LmModel, text: string, contextTokens = DEFAULT_CONTEXT_TOKENS, split: DocumentSplit = 'blank-lines', maxTokens = Infinity): LmContext[] {
  const { seqLen } = model.config;
  if (!Number.isInteger(contextTokens) || contextTokens < 2 || contextTokens > seqLen) {
    throw new InputError(`context: expected an integer in 2..${seqLen} (tokens per context, BOS included; the model's seqLen is ${seqLen}), got ${contextTokens}`);
  }
  const per = contextTokens - 1;
  const contexts: LmContext[] = [];
  let budget = maxTokens;
  splitDocuments(text, split).forEach((docText, doc) => {
    const ids = encode(model.vocab, docText);
    for (let start = 0; start < ids.length && budget > 0; start += per) {
      const chunk = ids.subarray(start, Math.min(start + per, ids.length, start + budget));
      budget -= chunk.length;
      const tokens = new Int32Array(chunk.length + 1);
      tokens[0] = BOS;
      tokens.set(chunk, 1);
      contexts.push({ doc, start, tokens });
    }
  });
  return contexts;
}

/** Everything of LmActivations but the activations themselves: which token, context and position each row is. */
export type ActivationLayout = Omit<LmActivations, 'x'>;

/**
 * The rows collectActivations produces for this text and these options, without running the model (tokenising
 * only: milliseconds). With activations read from a cache (activationsFromCache) it gives the same LmActivations.
 */
export function activationLayout(model: LmModel, text: string, options: ActivationOptions): ActivationLayout {
  const { site, width: dIn } = parseSite(options.site, model.config);
  const contexts = buildContexts(model, text, options.contextTokens ?? DEFAULT_CONTEXT_TOKENS, options.split ?? 'blank-lines', options.maxTokens ?? Infinity);
  const first = options.dropBos ?? false ? 1 : 0;
  let rows = 0;
  for (const c of contexts) rows += c.tokens.length - first;
  const tokens = new Int32Array(rows);
  const context = new Int32Array(rows);
  const position = new Int32Array(rows);
  let row = 0;
  contexts.forEach((c, ci) => {
    for (let p = first; p < c.tokens.length; p++, row++) {
      tokens[row] = c.tokens[p];
      context[row] = ci;
      position[row] = p;
    }
  });
  const documents = contexts.length > 0 ? contexts[contexts.length - 1].doc + 1 : 0;
  return { site, rows, dIn, tokens, context, position, contexts, documents };
}

/** A layout with activations computed earlier (a shipped cache: x [rows, dIn] row-major); refuses a mismatched size. */
export function activationsFromCache(layout: ActivationLayout, x: Float32Array, name: string): LmActivations {
  if (x.length !== layout.rows * layout.dIn)
    throw new InputError(`${name}: expected ${layout.rows}×${layout.dIn} = ${layout.rows * layout.dIn} activations (${layout.site}), got ${x.length}: regenerate it with \`sae-workbench lm activations\``);
  return { ...layout, x };
}

/**
 * Runs the model over every context and keeps the activation at `site` for every position (BOS rows
 * optional), with its token and context (activationLayout). Only the blocks the site needs are run.
 */
export function collectActivations(model: LmModel, text: string, options: ActivationOptions): LmActivations {
  const layout = activationLayout(model, text, options);
  const { layer } = parseSite(options.site, model.config);
  const { site, dIn, contexts } = layout;
  const dropBos = options.dropBos ?? false;
  const textTokens = contexts.reduce((n, c) => n + c.tokens.length - 1, 0);
  const x = new Float32Array(layout.rows * dIn);
  const state = createLmState(model.config);
  let row = 0, done = 0;
  let keep = false;
  const record = (s: LmSite, v: Float32Array): void => {
    if (keep && s === site) x.set(v, row * dIn);
  };
  for (const c of contexts) {
    resetLmState(state);
    for (let p = 0; p < c.tokens.length; p++) {
      keep = !(dropBos && p === 0);
      forwardToken(model, state, c.tokens[p], { record, layers: layer, logits: false });
      if (keep) row++;
    }
    done += c.tokens.length - 1;
    options.onProgress?.(done, textTokens);
  }
  return { ...layout, x };
}
