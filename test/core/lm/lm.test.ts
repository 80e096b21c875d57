// stories260K in src/core/lm: the container parser (and its rejections), the llama2.c tokenizer (against a
// literal port of llama2.c's quadratic merge loop), the golden greedy sample, RMSNorm/RoPE by hand, the
// forward pass against an independent f64 full-sequence implementation written here (weights read straight
// from the file, no KV cache), logits vs the residual stream, and activation collection.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildContexts, collectActivations, splitDocuments } from '../../../src/core/lm/activations.ts';
import type { LmSite } from '../../../src/core/lm/forward.ts';
import { applyRope, createLmState, forwardToken, parseSite, rmsNorm } from '../../../src/core/lm/forward.ts';
import { argmax, generateGreedy } from '../../../src/core/lm/generate.ts';
import type { LmVocab } from '../../../src/core/lm/model.ts';
import { BOS, parseLmModel, weightCount } from '../../../src/core/lm/model.ts';
import { decode, encode, tokenLabel } from '../../../src/core/lm/tokenizer.ts';
import { InputError } from '../../../src/core/errors.ts';
import { expectClose } from '../../helpers/close.ts';

const DATA = join(__dirname, '../../../public/data');
const FILE = new Uint8Array(readFileSync(join(DATA, 'stories260k.bin')));
const TEXT = readFileSync(join(DATA, 'tinystories.txt'), 'utf8');
const model = parseLmModel(FILE, 'stories260k.bin');
const { vocab } = model;
const WEIGHTS_AT = 6657;

/** The author's documented greedy sample of stories260K (llama2.c README). */
const GOLDEN =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. ' +
  'She wanted to play with it, but it was too high.';

function withBytes(patch: (b: Uint8Array) => void, length = FILE.length): Uint8Array {
  const b = FILE.slice(0, length);
  patch(b);
  return b;
}

describe('stories260K container', () => {
  it('parses the header, the vocab and 260,032 weights', () => {
    expect(model.config).toEqual({ dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, seqLen: 512, headSize: 8, kvDim: 32 });
    expect(weightCount(model.config)).toBe(260_032);
    expect(WEIGHTS_AT + 4 * 260_032).toBe(FILE.length);
    expect(vocab.pieces.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(vocab.pieces[258]).toBe('<0xFF>');
    expect(vocab.pieces[265]).toBe('▁the');
    // Unaligned weights are read exactly: first and last floats of the file.
    const dv = new DataView(FILE.buffer, FILE.byteOffset);
    expect(model.weights.tokenEmbedding[0]).toBe(dv.getFloat32(WEIGHTS_AT, true));
    expect(model.weights.rmsFinal[63]).toBe(dv.getFloat32(FILE.length - 4, true));
    expect(model.weights.w2.length).toBe(5 * 64 * 172);
  });

  it('rejects malformed files with the file, the field, expected and got', () => {
    const bad: [Uint8Array, RegExp][] = [
      [FILE.slice(0, FILE.length - 4), /^m\.bin: weights: expected 260032 f32 values .* got 1040124 bytes \(truncated file\)$/],
      [FILE.slice(0, 100), /^m\.bin: header: expected at least 256 bytes, got 100 bytes/],
      [FILE.slice(0, 3000), /^m\.bin: vocab\[\d+\]: expected .* got end of file at byte 3000$/],
      [withBytes((b) => (b[0] = 2)), /^m\.bin: version: expected 1 .* got 2$/],
      [withBytes((b) => (b[5] = 0x4c)), /^m\.bin: magic: expected i32 5 then "llama", got "Llama"$/],
      [withBytes((b) => (b[14] = 173)), /^m\.bin: weights: expected 260992 f32 values/], // hiddenDim 173: 260,032 + 3·5·64 weights expected
      [withBytes((b) => (b[10] = 65)), /^m\.bin: header\.numQueryHeads: expected a divisor of hiddenSize 65, got 8$/],
      [withBytes((b) => (b[34] = 3)), /^m\.bin: header\.numKeyValueHeads: expected a divisor of numQueryHeads 8, got 3$/],
      [withBytes((b) => (b[38] = 0)), /^m\.bin: header\.sharedOutputWeight: expected 1 .* got 0$/],
      [withBytes((b) => new DataView(b.buffer).setFloat32(WEIGHTS_AT + 400, NaN, true)), /^m\.bin: weights\[100\]: expected a finite number, got NaN$/],
    ];
    const extra = new Uint8Array(FILE.length + 4);
    extra.set(FILE);
    bad.push([extra, /^m\.bin: weights: expected 260032 f32 values .* got 1040132 bytes$/]);
    for (const [bytes, re] of bad) {
      let err: unknown;
      try {
        parseLmModel(bytes, 'm.bin');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(re);
    }
  });
});

/** llama2.c's encode, ported literally: quadratic scan for the best-scoring pair, strict > (leftmost wins). */
function encodeLlama2c(v: LmVocab, text: string): number[] {
  const toks: number[] = [];
  for (const ch of '▁' + text.replaceAll(' ', '▁')) {
    const id = v.ids.get(ch);
    if (id !== undefined) toks.push(id);
    else for (const b of new TextEncoder().encode(ch)) toks.push(b + 3);
  }
  for (;;) {
    let bestScore = -1e10, bestId = -1, bestIdx = -1;
    for (let i = 0; i < toks.length - 1; i++) {
      const id = v.ids.get(v.pieces[toks[i]] + v.pieces[toks[i + 1]]);
      if (id !== undefined && v.scores[id] > bestScore) {
        bestScore = v.scores[id];
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx < 0) return toks;
    toks.splice(bestIdx, 2, bestId);
  }
}

describe('tokenizer', () => {
  const firstParagraph = TEXT.split('\n\n')[0];

  it('encodes known strings', () => {
    expect(Array.from(encode(vocab, ''))).toEqual([]);
    expect(Array.from(encode(vocab, 'the'))).toEqual([265]); // ▁ + t,h,e merges all the way to the piece "▁the"
    expect(Array.from(encode(vocab, 'a', { bos: true, eos: true }))).toEqual([BOS, 261, 2]); // "▁a"
    // No piece for U+1F600: the dummy prefix "▁" (410) stays alone and the 4 UTF-8 bytes fall back to ids 3 + byte.
    expect(Array.from(encode(vocab, '😀'))).toEqual([410, 3 + 0xf0, 3 + 0x9f, 3 + 0x98, 3 + 0x80]);
    expect(Array.from(encode(vocab, 'a\nb')).includes(3 + 0x0a)).toBe(true); // newline is the byte piece <0x0A>
  });

  it('matches llama2.c’s merge loop and round-trips the text', () => {
    const paragraphs = splitDocuments(TEXT).slice(0, 25);
    for (const p of [firstParagraph, ...paragraphs, '  two  spaces ', 'héllo wörld… “quoted” — 日本']) {
      expect(Array.from(encode(vocab, p))).toEqual(encodeLlama2c(vocab, p));
      expect(decode(vocab, encode(vocab, p))).toBe(p);
    }
    expect(decode(vocab, encode(vocab, TEXT, { bos: true }))).toBe(TEXT); // ~100k tokens in one go
  });

  it('decodes BOS/EOS to nothing, drops the dummy-prefix space after BOS, labels tokens', () => {
    expect(decode(vocab, [BOS, 410, 3 + 0xf0, 3 + 0x9f, 3 + 0x98, 3 + 0x80])).toBe('😀');
    expect(decode(vocab, [BOS, 261, BOS, 261, 2])).toBe('aa');
    expect(decode(vocab, [265, 265])).toBe('the the');
    expect(tokenLabel(vocab, 265)).toBe(' the');
    expect(tokenLabel(vocab, 3 + 0x0a)).toBe('\n');
    expect(tokenLabel(vocab, 3 + 0xf0)).toBe('<0xF0>');
    expect(tokenLabel(vocab, BOS)).toBe('<s>');
  });
});

describe('forward pass', () => {
  it('RMSNorm and RoPE by hand', () => {
    const out = new Float32Array(2);
    rmsNorm(out, Float32Array.of(3, 4), Float32Array.of(1, 2));
    const s = Math.sqrt(12.5 + 1e-5); // mean(9, 16) + eps
    expectClose(out, [3 / s, 8 / s], { atol: 0, rtol: 1e-7 });

    // headSize 4, two heads, position 1: pair (0,1) turns by 1 rad, pair (2,3) by 10000^(-2/4) = 0.01 rad.
    const v = Float32Array.of(1, 0, 0, 1, 2, 0, 0, 2);
    applyRope(v, 4, 1);
    const c1 = Math.cos(1), s1 = Math.sin(1), c2 = Math.cos(0.01), s2 = Math.sin(0.01);
    expectClose(v, [c1, s1, -s2, c2, 2 * c1, 2 * s1, -2 * s2, 2 * c2], { atol: 1e-7, rtol: 1e-6 });
    const w = Float32Array.of(0.3, -0.7, 1.1, 2);
    applyRope(w, 4, 0);
    expect(Array.from(w)).toEqual(Array.from(Float32Array.of(0.3, -0.7, 1.1, 2))); // position 0: identity
  });

  it('greedy generation from BOS reproduces the documented sample', () => {
    const want = encode(vocab, GOLDEN);
    const g = generateGreedy(model, want.length);
    expect(g.text).toBe(GOLDEN);
    expect(Array.from(g.tokens)).toEqual(Array.from(want));
    expect(g.stoppedAtEos).toBe(false);
  });

  it('the logits generation uses are final RMSNorm + tied embedding of resid:5', () => {
    const resid: Float32Array[] = [];
    const logits: Float32Array[] = [];
    const g = generateGreedy(model, 12, {
      record: (site, x) => site === 'resid:5' && resid.push(x.slice()),
      onLogits: (_step, l) => logits.push(l.slice()),
    });
    expect(resid.length).toBe(12);
    const { rmsFinal, tokenEmbedding } = model.weights;
    logits.forEach((l, step) => {
      const r = resid[step];
      const ms = r.reduce((a, v) => a + v * v, 0) / 64;
      const h = Array.from(r, (v, i) => (v / Math.sqrt(ms + 1e-5)) * rmsFinal[i]);
      const mine = Array.from({ length: 512 }, (_, t) => h.reduce((a, v, i) => a + v * tokenEmbedding[t * 64 + i], 0));
      expectClose(l, mine, { atol: 1e-5, rtol: 1e-5 }, `logits step ${step}`);
      expect(g.tokens[step]).toBe(argmax(l));
    });
  });

  it('matches an independent f64 full-sequence forward (no KV cache) at every site', () => {
    const tokens = Array.from(encode(vocab, 'Tom had a red ball. He threw it to Sue, and she laughed.', { bos: true }));
    const ref = referenceForward(tokens);
    const state = createLmState(model.config);
    const got = new Map<string, number[][]>();
    for (const t of tokens) {
      forwardToken(model, state, t, { record: (site, x) => got.set(site, [...(got.get(site) ?? []), Array.from(x)]) });
    }
    expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const [site, rows] of ref) expectClose(got.get(site)!.flat(), rows.flat(), { atol: 2e-5, rtol: 2e-5 }, site);
  });
});

/**
 * Llama 2 written from the format description alone, in f64, all positions at once with an explicit causal
 * mask (no KV cache); weights read from the file bytes with DataView. Returns site → [seq][width].
 */
function referenceForward(tokens: number[]): Map<string, number[][]> {
  const dv = new DataView(FILE.buffer, FILE.byteOffset);
  let off = WEIGHTS_AT;
  const mat = (n: number, rows: number, cols: number): number[][][] =>
    Array.from({ length: n }, () => Array.from({ length: rows }, () => Array.from({ length: cols }, () => ((off += 4), dv.getFloat32(off - 4, true)))));
  const [emb] = mat(1, 512, 64);
  const rmsAtt = mat(5, 1, 64), wq = mat(5, 64, 64), wk = mat(5, 32, 64), wv = mat(5, 32, 64), wo = mat(5, 64, 64);
  const rmsFfn = mat(5, 1, 64), w1 = mat(5, 172, 64), w3 = mat(5, 172, 64), w2 = mat(5, 64, 172);
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
  const mv = (w: number[][], x: number[]) => w.map((row) => dot(row, x));
  const norm = (x: number[], g: number[]) => {
    const r = Math.sqrt(dot(x, x) / x.length + 1e-5);
    return x.map((v, i) => (v / r) * g[i]);
  };
  const rope = (x: number[], pos: number) =>
    x.map((v, i) => {
      const j = i % 8, pair = j - (j % 2), a = pos / 10000 ** (pair / 8);
      return i % 2 === 0 ? v * Math.cos(a) - x[i + 1] * Math.sin(a) : x[i - 1] * Math.sin(a) + v * Math.cos(a);
    });
  const out = new Map<string, number[][]>();
  let xs = tokens.map((t) => emb[t].slice());
  out.set('resid:0', xs.map((x) => x.slice()));
  for (let l = 0; l < 5; l++) {
    const hs = xs.map((x) => norm(x, rmsAtt[l][0]));
    const q = hs.map((h, p) => rope(mv(wq[l], h), p)), k = hs.map((h, p) => rope(mv(wk[l], h), p)), v = hs.map((h) => mv(wv[l], h));
    const att = q.map((qp, p) => {
      const o = new Array<number>(64).fill(0);
      for (let head = 0; head < 8; head++) {
        const kv = Math.floor(head / 2) * 8;
        const qh = qp.slice(head * 8, head * 8 + 8);
        const s = k.slice(0, p + 1).map((kt) => dot(qh, kt.slice(kv, kv + 8)) / Math.sqrt(8));
        const m = Math.max(...s), e = s.map((z) => Math.exp(z - m)), z = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < 8; i++) o[head * 8 + i] = e.reduce((a, w, t) => a + (w / z) * v[t][kv + i], 0);
      }
      return o;
    });
    xs = xs.map((x, p) => x.map((val, i) => val + dot(wo[l][i], att[p])));
    const mlp = xs.map((x) => {
      const h = norm(x, rmsFfn[l][0]);
      const g = mv(w1[l], h), u = mv(w3[l], h);
      return g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]);
    });
    xs = xs.map((x, p) => x.map((val, i) => val + dot(w2[l][i], mlp[p])));
    out.set(`mlp:${l + 1}`, mlp);
    out.set(`resid:${l + 1}`, xs.map((x) => x.slice()));
  }
  return out;
}

describe('activations', () => {
  const text = 'Lily saw a cat. The cat was big and soft.\n\nTim had a red ball. He threw it high.\n\n\n  \n';

  it('splits documents at blank lines, contexts start with BOS and hold at most N tokens', () => {
    expect(splitDocuments(text)).toEqual(['Lily saw a cat. The cat was big and soft.', 'Tim had a red ball. He threw it high.']);
    expect(splitDocuments(text, 'none')).toEqual([text]);
    const ctx = buildContexts(model, text, 8);
    const doc0 = encode(vocab, splitDocuments(text)[0]);
    for (const c of ctx) {
      expect(c.tokens[0]).toBe(BOS);
      expect(c.tokens.length).toBeLessThanOrEqual(8);
    }
    const joined = ctx.filter((c) => c.doc === 0).flatMap((c) => Array.from(c.tokens.subarray(1)));
    expect(joined).toEqual(Array.from(doc0));
    expect(ctx.filter((c) => c.doc === 0).map((c) => c.start)).toEqual(Array.from({ length: Math.ceil(doc0.length / 7) }, (_, i) => 7 * i));
    expect(() => buildContexts(model, text, 513)).toThrow(/context: expected an integer in 2\.\.512/);
  });

  it('has the documented shape, context bookkeeping and determinism', () => {
    const a = collectActivations(model, text, { site: 'resid:3', contextTokens: 8 });
    const ctx = buildContexts(model, text, 8);
    const nTokens = ctx.reduce((s, c) => s + c.tokens.length, 0);
    expect([a.rows, a.dIn, a.x.length, a.tokens.length, a.contexts.length, a.documents]).toEqual([nTokens, 64, nTokens * 64, nTokens, ctx.length, 2]);
    for (let r = 0; r < a.rows; r++) expect(a.tokens[r]).toBe(a.contexts[a.context[r]].tokens[a.position[r]]);
    const b = collectActivations(model, text, { site: 'resid:3', contextTokens: 8 });
    expect(b.x).toEqual(a.x);

    // Running only 3 blocks gives the same resid:3 as the full model.
    const full: number[] = [];
    for (const c of a.contexts) {
      const state = createLmState(model.config);
      for (const t of c.tokens) forwardToken(model, state, t, { record: (s, x) => s === 'resid:3' && full.push(...x) });
    }
    expect(Array.from(a.x)).toEqual(full);

    // Dropping BOS removes exactly the position-0 rows.
    const d = collectActivations(model, text, { site: 'resid:3', contextTokens: 8, dropBos: true });
    const keep = Array.from(a.position.keys()).filter((r) => a.position[r] !== 0);
    expect(d.rows).toBe(a.rows - a.contexts.length);
    expect(Array.from(d.tokens)).toEqual(keep.map((r) => a.tokens[r]));
    expect(Array.from(d.x)).toEqual(keep.flatMap((r) => Array.from(a.x.subarray(r * 64, r * 64 + 64))));
    expect(d.position.includes(0)).toBe(false);
  });

  it('resid:0 is the embedding; mlp:L is 172-wide; sites are checked', () => {
    const a = collectActivations(model, 'One day.', { site: 'resid:0' });
    for (let r = 0; r < a.rows; r++) expect(Array.from(a.x.subarray(r * 64, r * 64 + 64))).toEqual(Array.from(model.weights.tokenEmbedding.subarray(a.tokens[r] * 64, a.tokens[r] * 64 + 64)));
    const m = collectActivations(model, 'One day.', { site: 'mlp:5', maxTokens: 2 });
    expect([m.rows, m.dIn]).toEqual([3, 172]);
    for (const bad of ['resid:6', 'mlp:0', 'attn:1', 'resid:-1', 'resid:1.5']) expect(() => parseSite(bad, model.config)).toThrow(InputError);
    const sites: LmSite[] = ['resid:0', 'resid:5', 'mlp:1', 'mlp:5'];
    for (const s of sites) expect(parseSite(s, model.config).site).toBe(s);
  });
});
