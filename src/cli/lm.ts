// `sae-workbench lm generate|activations`: the stories260K reference model from the command line — greedy
// text, and activation matrices (.npy + a .tokens.json sidecar of tokens and contexts) to train SAEs on.
// Node only (file I/O here; the model, tokenizer and forward pass are in src/core/lm). No engine or UI imports.

import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../core/errors.ts';
import type { DocumentSplit } from '../core/lm/activations.ts';
import { DEFAULT_CONTEXT_TOKENS, collectActivations } from '../core/lm/activations.ts';
import { generateGreedy } from '../core/lm/generate.ts';
import type { LmModel } from '../core/lm/model.ts';
import { parseLmModel } from '../core/lm/model.ts';
import { decode, encode, tokenLabel } from '../core/lm/tokenizer.ts';
import { writeNpy } from '../core/formats/npy.ts';
import type { FlagSpec, Flags } from './args.ts';
import { num, oneOf, parseFlags, str, usage } from './args.ts';
import { readInput } from './data.ts';

/** The shipped model and text, found from this file's location (not the working directory). */
export const DEFAULT_MODEL = fileURLToPath(new URL('../../public/data/stories260k.bin', import.meta.url));
export const DEFAULT_TEXT = fileURLToPath(new URL('../../public/data/tinystories.txt', import.meta.url));

const DEFAULT_GENERATE_TOKENS = 256;

export const LM_GENERATE_FLAGS: Record<string, FlagSpec> = {
  tokens: { kind: 'value', help: `tokens to generate (default ${DEFAULT_GENERATE_TOKENS}; stops early at EOS)` },
  prompt: { kind: 'value', help: 'text to continue (default: none, start from BOS)' },
  model: { kind: 'value', help: 'model file (default: the shipped public/data/stories260k.bin)' },
  json: { kind: 'value', help: 'also write {tokens, pieces, text} as JSON to this file' },
};

export const LM_ACTIVATIONS_FLAGS: Record<string, FlagSpec> = {
  text: { kind: 'value', help: 'UTF-8 text file (default: the shipped public/data/tinystories.txt)' },
  site: { kind: 'value', help: 'resid:L (L = 0..5: 0 after the embedding, L after block L) | mlp:L (L = 1..5: MLP hidden of block L)' },
  out: { kind: 'value', help: 'output FILE.npy ([rows, dIn] f32); also writes FILE.tokens.json (tokens and contexts)' },
  model: { kind: 'value', help: 'model file (default: the shipped public/data/stories260k.bin)' },
  context: { kind: 'value', help: `tokens per context, BOS included (default ${DEFAULT_CONTEXT_TOKENS}, at most 512)` },
  'drop-bos': { kind: 'switch', help: 'leave out the BOS-position rows' },
  split: { kind: 'value', help: 'documents: blank-lines (paragraphs, default) | none (the whole text)' },
  'max-tokens': { kind: 'value', help: 'stop after this many text tokens (default all)' },
  quiet: { kind: 'switch', help: 'no progress on stderr' },
};

const LM_HELP = `sae-workbench lm: the stories260K language model (Llama 2 architecture, 260K parameters, CPU reference)

usage:
  sae-workbench lm generate [--tokens N] [--json FILE]                  greedy text from BOS
  sae-workbench lm activations --site resid:L|mlp:L --out FILE.npy      activations over a text, one row per token
  sae-workbench lm COMMAND --help                                       the flags of a command
`;

/** Runs `lm SUBCOMMAND ...`; returns what goes to stdout. */
export function runLm(argv: readonly string[]): string {
  const [sub, ...rest] = argv;
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  switch (sub) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      return LM_HELP;
    case 'generate':
      if (wantsHelp) return usage('sae-workbench lm generate', 'greedy generation from BOS; prints the text', LM_GENERATE_FLAGS);
      return runLmGenerate(parseFlags(rest, LM_GENERATE_FLAGS, 'lm generate'));
    case 'activations':
      if (wantsHelp) return usage('sae-workbench lm activations', 'activations at a site over a text, as .npy + .tokens.json; reports JSON', LM_ACTIVATIONS_FLAGS);
      return runLmActivations(parseFlags(rest, LM_ACTIVATIONS_FLAGS, 'lm activations'));
    default:
      throw new InputError(`lm: unknown subcommand "${sub}": use generate or activations (sae-workbench lm --help)`);
  }
}

/** Reads and parses a model file (default: the shipped stories260K). */
export function loadLmModel(path = DEFAULT_MODEL): LmModel {
  return parseLmModel(readInput(path), basename(path));
}

function readText(path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(readInput(path));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${basename(path)}: text: expected UTF-8, got invalid bytes (save the file as UTF-8)`);
  }
}

function positiveInt(f: Flags, name: string): number | undefined {
  const n = num(f, name, true);
  if (n !== undefined && n < 1) throw new InputError(`--${name}: expected a positive integer, got ${n}`);
  return n;
}

/** `lm generate`: the text on stdout; --json gets tokens, pieces and text. */
export function runLmGenerate(f: Flags): string {
  const t0 = performance.now();
  const modelPath = str(f, 'model') ?? DEFAULT_MODEL;
  const model = loadLmModel(modelPath);
  const nTokens = positiveInt(f, 'tokens') ?? DEFAULT_GENERATE_TOKENS;
  const promptText = str(f, 'prompt');
  const prompt = promptText === undefined ? undefined : encode(model.vocab, promptText);
  const g = generateGreedy(model, nTokens, { prompt });
  const file = str(f, 'json');
  if (file) {
    const result = {
      command: 'lm generate',
      model: modelPath,
      prompt: promptText ?? null,
      promptTokens: prompt ? Array.from(prompt) : [],
      tokens: Array.from(g.tokens),
      pieces: Array.from(g.tokens, (id) => model.vocab.pieces[id]),
      text: g.text,
      stoppedAtEos: g.stoppedAtEos,
      wallSeconds: (performance.now() - t0) / 1000,
    };
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  }
  return `${g.text}\n`;
}

/** `lm activations`: writes FILE.npy and FILE.tokens.json; returns a JSON summary. */
export function runLmActivations(f: Flags): string {
  const t0 = performance.now();
  const site = str(f, 'site');
  const out = str(f, 'out');
  if (!site) throw new InputError('lm activations: --site is required: resid:L (L = 0..5) or mlp:L (L = 1..5)');
  if (!out) throw new InputError('lm activations: --out FILE.npy is required');
  if (!out.toLowerCase().endsWith('.npy')) throw new InputError(`--out: expected a path ending in .npy, got "${out}"`);
  const sidecar = out.slice(0, -'.npy'.length) + '.tokens.json';
  const modelPath = str(f, 'model') ?? DEFAULT_MODEL;
  const textPath = str(f, 'text') ?? DEFAULT_TEXT;
  const model = loadLmModel(modelPath);
  const text = readText(textPath);
  const contextTokens = positiveInt(f, 'context') ?? DEFAULT_CONTEXT_TOKENS;
  const split: DocumentSplit = oneOf(f, 'split', ['blank-lines', 'none'] as const) ?? 'blank-lines';
  const maxTokens = positiveInt(f, 'max-tokens');
  const dropBos = f.get('drop-bos') === true;
  const quiet = f.get('quiet') === true;

  let lastPrint = 0;
  const acts = collectActivations(model, text, {
    site,
    contextTokens,
    dropBos,
    split,
    maxTokens,
    onProgress: (done, total) => {
      const now = performance.now();
      if (quiet || (now - lastPrint < 2000 && done < total)) return;
      lastPrint = now;
      const rate = done / Math.max((now - t0) / 1000, 1e-9);
      process.stderr.write(`lm activations: ${done}/${total} tokens  ${rate.toFixed(0)} tokens/s\n`);
    },
  });
  if (acts.rows === 0) throw new InputError(`${basename(textPath)}: text: expected at least one token, got ${dropBos ? 'none besides BOS' : 'an empty text'}`);

  writeFileSync(out, writeNpy(acts.x, [acts.rows, acts.dIn]));
  const { vocab } = model;
  const tokensJson = {
    model: basename(modelPath),
    text: basename(textPath),
    site: acts.site,
    rows: acts.rows,
    dIn: acts.dIn,
    contextTokens,
    dropBos,
    split,
    about:
      'Row r of the .npy is the activation at tokens[r], position[r] of contexts[context[r]]; each context is BOS then ' +
      'tokens of document doc from token start on. vocab[id] labels any token id (▁ shown as a space).',
    vocab: Array.from({ length: model.config.vocabSize }, (_, id) => tokenLabel(vocab, id)),
    tokenIds: Array.from(acts.tokens),
    tokens: Array.from(acts.tokens, (id) => tokenLabel(vocab, id)),
    context: Array.from(acts.context),
    position: Array.from(acts.position),
    contexts: acts.contexts.map((c) => ({ doc: c.doc, start: c.start, tokens: Array.from(c.tokens), text: decode(vocab, c.tokens) })),
  };
  writeFileSync(sidecar, JSON.stringify(tokensJson) + '\n');
  const result = {
    command: 'lm activations',
    model: modelPath,
    text: textPath,
    site: acts.site,
    rows: acts.rows,
    dIn: acts.dIn,
    contexts: acts.contexts.length,
    documents: acts.documents,
    contextTokens,
    dropBos,
    split,
    out,
    tokensFile: sidecar,
    wallSeconds: (performance.now() - t0) / 1000,
  };
  return JSON.stringify(result, null, 2) + '\n';
}
