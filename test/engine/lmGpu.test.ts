// The stories260K forward pass on WebGPU (src/engine/data/lmGpu.ts, shaders/lm*.wgsl) against the core reference
// (src/core/lm/forward.ts, one token at a time with a KV cache, f64 sums): every site of contexts of 1, 63, 64, 65
// and 256 tokens, several contexts packed into one run (no attention across them), grids folded into 2-D,
// greedy next-token argmax, and collectActivationsGpu against collectActivations (values and bookkeeping).
// Imports src/core, src/engine and the test helpers; Node + Dawn (SwiftShader) only.
//
// Tolerance, per site: |gpu − ref| ≤ 1e-4 · max|ref| over the context (no rtol). The GPU sums in f32 in
// order (fma), the reference in f64 rounded to f32 once per matVec. One f32 dot of K terms is off by
// ≲ K·2⁻²⁴·Σ|terms| (K = 64 or 172: ≤ 1.0e-5·Σ|terms|); a block chains 5 such products (q/k/v, attention
// over ≤ 256 positions, wo, w1/w3, w2) through RMSNorm and softmax, which pass relative errors on at
// O(1) gain, and 5 blocks add theirs to the residual stream. Measured on SwiftShader over a 256-token
// context: ≤ 1.2e-6·max|x| at every site (resid:5: 8e-6 absolute, max|x| 10.7), so the bound has ~80×
// margin for adapters that round differently (no fma, other exp), while a real bug (a wrong RoPE pair,
// position, KV head or mask) moves values by 1e-2·max|x| or more.
//
// Speed is not a test: measured once over the shipped text's first 4,096 tokens, the core reference ran
// 2,281 tokens/s and this path 198 tokens/s on SwiftShader (compile included); real-GPU figures belong in
// BENCHMARKS.md via a bench run.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectActivations, type ActivationOptions } from '../../src/core/lm/activations.ts';
import type { LmSite } from '../../src/core/lm/forward.ts';
import { createLmState, forwardToken, logitsFromResidual } from '../../src/core/lm/forward.ts';
import { argmax } from '../../src/core/lm/generate.ts';
import { BOS, parseLmModel } from '../../src/core/lm/model.ts';
import { encode } from '../../src/core/lm/tokenizer.ts';
import { collectActivationsGpu, createLmGpu, type LmGpu } from '../../src/engine/data/lmGpu.ts';
import { expectClose } from '../helpers/close.ts';
import { useGpu, withErrorScope } from '../helpers/gpu.ts';

const DATA = join(__dirname, '../../public/data');
const model = parseLmModel(new Uint8Array(readFileSync(join(DATA, 'stories260k.bin'))), 'stories260k.bin');
const TEXT = readFileSync(join(DATA, 'tinystories.txt'), 'utf8');
const { dim, vocabSize } = model.config;
const gpu = useGpu();

const SITES: LmSite[] = ['resid:0', 'resid:1', 'resid:2', 'resid:3', 'resid:4', 'resid:5', 'mlp:1', 'mlp:2', 'mlp:3', 'mlp:4', 'mlp:5'];
/** See the header: relative to the largest |value| of the site. */
const REL_TOL = 1e-4;

/** The reference at every site: site → [T, width], plus the logits of every position [T, vocabSize]. */
function reference(tokens: Int32Array): { sites: Record<string, Float32Array>; logits: Float32Array } {
  const sites: Record<string, Float32Array> = {};
  const logits = new Float32Array(tokens.length * vocabSize);
  const state = createLmState(model.config);
  tokens.forEach((tok, p) => {
    const record = (s: LmSite, v: Float32Array): void => {
      (sites[s] ??= new Float32Array(tokens.length * v.length)).set(v, p * v.length);
    };
    logits.set(forwardToken(model, state, tok, { record }) as Float32Array, p * vocabSize);
  });
  return { sites, logits };
}

function expectSitesClose(got: Record<string, Float32Array>, want: Record<string, Float32Array>, sites: readonly LmSite[], label: string): void {
  for (const s of sites) {
    const scale = want[s].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expectClose(got[s], want[s], { atol: REL_TOL * scale, rtol: 0 }, `${label} ${s} (max|x| ${scale.toFixed(3)})`);
  }
}

const TEXT_IDS = encode(model.vocab, TEXT.slice(0, 20_000)); // [~9k] no BOS

/** BOS then `n − 1` tokens of the shipped text starting at its token `from`.  returns: [n] */
function context(n: number, from = 0): Int32Array {
  const out = new Int32Array(n);
  out[0] = BOS;
  out.set(TEXT_IDS.subarray(from, from + n - 1), 1);
  return out;
}

async function withLm<T>(fn: (lm: LmGpu) => Promise<T>, options = {}): Promise<T> {
  const { device } = gpu();
  return withErrorScope(device, async () => {
    const lm = await createLmGpu(device, model, options);
    try {
      return await fn(lm);
    } finally {
      lm.destroy();
    }
  });
}

describe('stories260K forward pass on WebGPU', () => {
  it('matches the reference at every site for contexts of 1, 63, 64 and 65 tokens (rows WG−1, WG, WG+1 with 64-lane workgroups)', async () => {
    await withLm(async (lm) => {
      for (const n of [1, 63, 64, 65]) {
        const tokens = context(n, 300);
        expectSitesClose(await lm.forwardSequence(tokens, { sites: SITES }), reference(tokens).sites, SITES, `T=${n}`);
      }
      // Only the asked sites come back; a shallow site runs only the blocks it needs.
      const got = await lm.forwardSequence(context(3), { sites: ['mlp:2'] });
      expect(Object.keys(got)).toEqual(['mlp:2']);
      expect(got['mlp:2'].length).toBe(3 * model.config.hiddenDim);
    });
  });

  it('matches the reference at every site for a 256-token context, and the greedy next token at every position', async () => {
    const tokens = context(256);
    const want = reference(tokens);
    const got = await withLm((lm) => lm.forwardSequence(tokens, { sites: SITES }));
    expectSitesClose(got, want.sites, SITES, 'T=256');
    // Logits from the GPU's final residual (the final RMSNorm and tied output on the CPU).
    let closest = Infinity;
    for (let p = 0; p < tokens.length; p++) {
      const ref = want.logits.subarray(p * vocabSize, (p + 1) * vocabSize);
      const mine = logitsFromResidual(model, got['resid:5'].subarray(p * dim, (p + 1) * dim));
      const top = argmax(ref);
      const second = Math.max(...ref.filter((_, i) => i !== top));
      closest = Math.min(closest, ref[top] - second);
      expect(argmax(mine), `position ${p}: reference top-2 gap ${ref[top] - second}`).toBe(top);
    }
    expect(closest).toBeGreaterThan(0); // no exact tie at any position: argmax is well defined on both sides
  });

  it('packs several contexts into one run without attention across them (forwardRows), with the greedy next token of each', async () => {
    const parts = [context(40, 1000), context(1), context(17, 2000), context(64, 3000)];
    const tokens = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
    const rowPos = new Int32Array(tokens.length);
    let at = 0;
    for (const p of parts) {
      tokens.set(p, at);
      p.forEach((_, i) => (rowPos[at + i] = i));
      at += p.length;
    }
    const got = await withLm((lm) => lm.forwardRows(tokens, rowPos, { sites: SITES }));
    at = 0;
    for (const p of parts) {
      const want = reference(p);
      const slice: Record<string, Float32Array> = {};
      for (const s of SITES) {
        const w = want.sites[s].length / p.length;
        slice[s] = got[s].subarray(at * w, (at + p.length) * w);
      }
      expectSitesClose(slice, want.sites, SITES, `packed context of ${p.length}`);
      const last = p.length - 1;
      const mine = logitsFromResidual(model, slice['resid:5'].subarray(last * dim, (last + 1) * dim));
      expect(argmax(mine), `next token after context of ${p.length}`).toBe(argmax(want.logits.subarray(last * vocabSize)));
      at += p.length;
    }
  });

  it('gives bit-identical results with every grid folded into 2-D (maxPerDim 3)', async () => {
    const tokens = context(33, 4000);
    const flat = await withLm((lm) => lm.forwardSequence(tokens, { sites: SITES }));
    const folded = await withLm((lm) => lm.forwardSequence(tokens, { sites: SITES }), { maxPerDim: 3 });
    for (const s of SITES) expect(folded[s], s).toEqual(flat[s]);
  });

  it('rejects bad tokens, positions and lengths with the numbers', async () => {
    await withLm(async (lm) => {
      await expect(lm.forwardSequence(Int32Array.of(BOS, vocabSize), { sites: ['resid:1'] })).rejects.toThrow(`tokens[1]: expected an id in 0..${vocabSize - 1}, got ${vocabSize}`);
      await expect(lm.forwardSequence(new Int32Array(0), { sites: ['resid:1'] })).rejects.toThrow('expected at least 1 token, got 0');
      await expect(lm.forwardSequence(new Int32Array(model.config.seqLen + 1).fill(BOS), { sites: ['resid:1'] })).rejects.toThrow(`expected at most seqLen 512 (the model's context), got 513`);
      await expect(lm.forwardRows(Int32Array.of(BOS, BOS), Int32Array.of(0, 2), { sites: ['resid:1'] })).rejects.toThrow('rowPos[1]: expected 0 or rowPos[0] + 1 = 1, got 2');
      await expect(lm.forwardSequence(Int32Array.of(BOS), { sites: ['mlp:0' as LmSite] })).rejects.toThrow('site: expected');
      // The instance still works after rejected calls.
      expect((await lm.forwardSequence(Int32Array.of(BOS), { sites: ['resid:0'] }))['resid:0']).toEqual(model.weights.tokenEmbedding.slice(BOS * dim, (BOS + 1) * dim));
    });
  });
});

describe('collectActivationsGpu', () => {
  // Two paragraphs, ~300 tokens: contexts of 48 (full ones and short tails), packed 3–4 per run.
  const docs = TEXT.split(/\r?\n[ \t\r]*\n/).slice(0, 2).join('\n\n');

  it.each<[string, Partial<ActivationOptions>]>([
    ['resid:3', { contextTokens: 48 }],
    ['mlp:2', { contextTokens: 48, dropBos: true, maxTokens: 150 }],
    ['resid:5', { contextTokens: 40, split: 'none' }],
  ])('equals collectActivations at %s %j (values within tolerance, bookkeeping identical)', async (site, opts) => {
    const progressCpu: [number, number][] = [];
    const progressGpu: [number, number][] = [];
    const want = collectActivations(model, docs, { site, ...opts, onProgress: (d, t) => progressCpu.push([d, t]) });
    const { device } = gpu();
    const got = await withErrorScope(device, () => collectActivationsGpu(device, model, docs, { site, ...opts, rowsPerRun: 160, onProgress: (d, t) => progressGpu.push([d, t]) }));
    expect(want.rows).toBeGreaterThan(140);
    expect(new Set(Array.from(want.context)).size).toBeGreaterThan(3);
    const { x: gx, ...gBook } = got;
    const { x: wx, ...wBook } = want;
    expect(gBook).toEqual(wBook);
    expect(progressGpu).toEqual(progressCpu);
    const scale = wx.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expectClose(gx, wx, { atol: REL_TOL * scale, rtol: 0 }, `${site} x (max|x| ${scale.toFixed(3)})`);
  });

  it('rejects a run too small for one context', async () => {
    const { device } = gpu();
    await withErrorScope(device, () =>
      expect(collectActivationsGpu(device, model, docs, { site: 'resid:1', contextTokens: 48, rowsPerRun: 47 })).rejects.toThrow(
        'rowsPerRun: expected an integer ≥ contextTokens 48 (a run holds whole contexts), got 47',
      ),
    );
  });
});
