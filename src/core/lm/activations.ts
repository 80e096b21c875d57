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

/**
 * Runs the model over every context and keeps the activation at `site` for every position (BOS rows
 * optional), with its token and context. Only the blocks the site needs are run.
 */
export function collectActivations(model: LmModel, text: string, options: ActivationOptions): LmActivations {
  const { site, layer, width: dIn } = parseSite(options.site, model.config);
  const contexts = buildContexts(model, text, options.contextTokens ?? DEFAULT_CONTEXT_TOKENS, options.split ?? 'blank-lines', options.maxTokens ?? Infinity);
  const dropBos = options.dropBos ?? false;
  let rows = 0, textTokens = 0;
  for (const c of contexts) {
    rows += c.tokens.length - (dropBos ? 1 : 0);
    textTokens += c.tokens.length - 1;
  }
  const x = new Float32Array(rows * dIn);
  const tokens = new Int32Array(rows);
  const context = new Int32Array(rows);
  const position = new Int32Array(rows);
  const state = createLmState(model.config);
  let row = 0, done = 0;
  let keep = false;
  const record = (s: LmSite, v: Float32Array): void => {
    if (keep && s === site) x.set(v, row * dIn);
  };
  contexts.forEach((c, ci) => {
    resetLmState(state);
    for (let p = 0; p < c.tokens.length; p++) {
      keep = !(dropBos && p === 0);
      forwardToken(model, state, c.tokens[p], { record, layers: layer, logits: false });
      if (!keep) continue;
      tokens[row] = c.tokens[p];
      context[row] = ci;
      position[row] = p;
      row++;
    }
    done += c.tokens.length - 1;
    options.onProgress?.(done, textTokens);
  });
  const documents = contexts.length > 0 ? contexts[contexts.length - 1].doc + 1 : 0;
  return { site, rows, dIn, x, tokens, context, position, contexts, documents };
}
