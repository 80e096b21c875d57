// The stories260K model file (llama2.ts container, v1): bytes → config, vocab and f32 weights, with every
// malformed input rejected as an InputError naming the file, the field, what was expected and what was found.
// Imports only src/core (no node:fs, no DOM): callers pass the file's bytes.

import { assertFinite, formatError } from '../errors.ts';

/** Hyper-parameters of a Llama-2-architecture model (stories260K: 64, 172, 5, 8, 4, 512, 512). */
export interface LmConfig {
  /** Width of the residual stream. */
  dim: number;
  /** Width of the SwiGLU MLP hidden layer (the input of w2). */
  hiddenDim: number;
  nLayers: number;
  /** Query heads. */
  nHeads: number;
  /** Key/value heads (grouped-query attention: query head h reads key/value head h / (nHeads / nKvHeads)). */
  nKvHeads: number;
  vocabSize: number;
  /** Longest context the model was trained for (the KV cache size). */
  seqLen: number;
  /** dim / nHeads. */
  headSize: number;
  /** nKvHeads · headSize: the width of one key or value vector. */
  kvDim: number;
}

/** All weights, f32 row-major `[out, in]` matrices stacked over layers. The output projection is `tokenEmbedding` (tied). */
export interface LmWeights {
  tokenEmbedding: Float32Array; // [vocabSize, dim]
  rmsAtt: Float32Array; // [nLayers, dim]
  wq: Float32Array; // [nLayers, dim, dim]
  wk: Float32Array; // [nLayers, kvDim, dim]
  wv: Float32Array; // [nLayers, kvDim, dim]
  wo: Float32Array; // [nLayers, dim, dim]
  rmsFfn: Float32Array; // [nLayers, dim]
  w1: Float32Array; // [nLayers, hiddenDim, dim]  (gate)
  w3: Float32Array; // [nLayers, hiddenDim, dim]  (up)
  w2: Float32Array; // [nLayers, dim, hiddenDim]  (down)
  rmsFinal: Float32Array; // [dim]
}

/** SentencePiece-style vocabulary: `▁` stands for a space; ids 3..258 are the byte pieces `<0x00>`..`<0xFF>`. */
export interface LmVocab {
  /** Piece text (UTF-8 decoded), by id. */
  pieces: string[];
  /** Raw bytes of each piece, by id. */
  pieceBytes: Uint8Array[];
  /** Merge score of each piece, by id (higher merges first). */
  scores: Float32Array;
  /** Piece text → id (the first id when a piece repeats). */
  ids: Map<string, number>;
}

export interface LmModel {
  config: LmConfig;
  weights: LmWeights;
  vocab: LmVocab;
}

export const BOS = 1;
export const EOS = 2;
/** Id of the byte piece `<0x00>`; byte b is id BYTE_OFFSET + b. */
export const BYTE_OFFSET = 3;

const HEADER_BYTES = 256;
const VERSION = 1;
const MAGIC = 'llama';

/** Number of f32 weights a config needs, in file order (tied output: no separate classifier). */
export function weightCount(c: LmConfig): number {
  const L = c.nLayers;
  return (
    c.vocabSize * c.dim + // token embedding
    L * c.dim + // rmsAtt
    L * c.dim * c.dim + // wq
    2 * L * c.kvDim * c.dim + // wk, wv
    L * c.dim * c.dim + // wo
    L * c.dim + // rmsFfn
    3 * L * c.hiddenDim * c.dim + // w1, w3, w2
    c.dim // rmsFinal
  );
}

/**
 * Parses a stories260K container: 256-byte header (u8 version = 1, i32 5 + "llama", seven i32 sizes,
 * u8 sharedOutputWeight = 1), vocab (vocabSize × {f32 score, i32 byteLength, bytes}), then the f32 weights
 * (unaligned: copied before viewing). The weight count must match the header exactly.
 */
export function parseLmModel(bytes: Uint8Array, source = 'model'): LmModel {
  if (bytes.length < HEADER_BYTES) throw formatError(source, 'header', `at least ${HEADER_BYTES} bytes`, `${bytes.length} bytes (truncated file)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== VERSION) throw formatError(source, 'version', `${VERSION} (stories260K container v1)`, String(version));
  const magicLen = view.getInt32(1, true);
  const magic = magicLen === MAGIC.length ? String.fromCharCode(...bytes.subarray(5, 5 + magicLen)) : '';
  if (magic !== MAGIC) throw formatError(source, 'magic', `i32 5 then "llama"`, magicLen === MAGIC.length ? `"${magic}"` : `length ${magicLen}`);
  const at = 5 + magicLen;
  const names = ['hiddenSize', 'intermediateSize', 'maxSequenceLength', 'vocabSize', 'numLayers', 'numQueryHeads', 'numKeyValueHeads'] as const;
  const h: Record<string, number> = {};
  names.forEach((n, i) => {
    const v = view.getInt32(at + 4 * i, true);
    if (v <= 0 || v > 1 << 20) throw formatError(source, `header.${n}`, 'a positive integer ≤ 2^20', String(v));
    h[n] = v;
  });
  const shared = view.getUint8(at + 4 * names.length);
  if (shared !== 1) throw formatError(source, 'header.sharedOutputWeight', '1 (output tied to the token embedding; untied models are not supported)', String(shared));
  const dim = h.hiddenSize, nHeads = h.numQueryHeads, nKvHeads = h.numKeyValueHeads;
  if (dim % nHeads !== 0) throw formatError(source, 'header.numQueryHeads', `a divisor of hiddenSize ${dim}`, String(nHeads));
  if (nHeads % nKvHeads !== 0) throw formatError(source, 'header.numKeyValueHeads', `a divisor of numQueryHeads ${nHeads}`, String(nKvHeads));
  const headSize = dim / nHeads;
  if (headSize % 2 !== 0) throw formatError(source, 'header.headSize', 'an even hiddenSize / numQueryHeads (RoPE rotates pairs)', String(headSize));
  const config: LmConfig = {
    dim,
    hiddenDim: h.intermediateSize,
    nLayers: h.numLayers,
    nHeads,
    nKvHeads,
    vocabSize: h.vocabSize,
    seqLen: h.maxSequenceLength,
    headSize,
    kvDim: nKvHeads * headSize,
  };
  if (config.vocabSize < BYTE_OFFSET + 256) throw formatError(source, 'header.vocabSize', `at least ${BYTE_OFFSET + 256} (special + byte pieces)`, String(config.vocabSize));

  // Vocab.
  const decoder = new TextDecoder('utf-8');
  const pieces: string[] = [];
  const pieceBytes: Uint8Array[] = [];
  const scores = new Float32Array(config.vocabSize);
  const ids = new Map<string, number>();
  let off = HEADER_BYTES;
  for (let i = 0; i < config.vocabSize; i++) {
    if (off + 8 > bytes.length) throw formatError(source, `vocab[${i}]`, 'a score and a length (8 bytes)', `end of file at byte ${bytes.length}`);
    scores[i] = view.getFloat32(off, true);
    const n = view.getInt32(off + 4, true);
    if (n < 0 || n > 256) throw formatError(source, `vocab[${i}].byteLength`, 'an integer in 0..256', String(n));
    if (off + 8 + n > bytes.length) throw formatError(source, `vocab[${i}]`, `${n} bytes of piece text`, `end of file at byte ${bytes.length}`);
    if (!Number.isFinite(scores[i])) throw formatError(source, `vocab[${i}].score`, 'a finite number', String(scores[i]));
    const b = bytes.slice(off + 8, off + 8 + n);
    const piece = decoder.decode(b);
    pieceBytes.push(b);
    pieces.push(piece);
    if (!ids.has(piece)) ids.set(piece, i);
    off += 8 + n;
  }
  for (let b = 0; b < 256; b++) {
    const want = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    if (pieces[BYTE_OFFSET + b] !== want) throw formatError(source, `vocab[${BYTE_OFFSET + b}]`, `the byte piece "${want}"`, `"${pieces[BYTE_OFFSET + b]}"`);
  }

  // Weights.
  const need = weightCount(config);
  const have = (bytes.length - off) / 4;
  if (have !== need) {
    throw formatError(source, 'weights', `${need} f32 values (${need * 4} bytes from byte ${off}) for this header`, `${bytes.length - off} bytes${have < need ? ' (truncated file)' : ''}`);
  }
  // Unaligned region: copy before viewing as f32 (little-endian hosts; a big-endian host swaps by DataView).
  const all = new Float32Array(need);
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (littleEndian) new Uint8Array(all.buffer).set(bytes.subarray(off, off + need * 4));
  else for (let i = 0; i < need; i++) all[i] = view.getFloat32(off + 4 * i, true);
  assertFinite(all, source, 'weights');

  let p = 0;
  const take = (n: number): Float32Array => all.subarray(p, (p += n));
  const { vocabSize, nLayers: L, kvDim, hiddenDim } = config;
  const weights: LmWeights = {
    tokenEmbedding: take(vocabSize * dim),
    rmsAtt: take(L * dim),
    wq: take(L * dim * dim),
    wk: take(L * kvDim * dim),
    wv: take(L * kvDim * dim),
    wo: take(L * dim * dim),
    rmsFfn: take(L * dim),
    w1: take(L * hiddenDim * dim),
    w3: take(L * hiddenDim * dim),
    w2: take(L * dim * hiddenDim),
    rmsFinal: take(dim),
  };
  return { config, weights, vocab: { pieces, pieceBytes, scores, ids } };
}
