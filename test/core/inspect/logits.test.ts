// Logit effects (logits.ts): e = W_U · (γ ⊙ d) by hand on a 3-token model, ties and k, the error for a
// direction of the wrong width, and on stories260K against the model's own final norm + unembedding
// (forward.ts logitsFromResidual: logits(d) · rms(d) = e, since the final RMSNorm's 1/rms is the only part
// left out) and against an f64 sum written here from the file's weights.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.ts';
import { logitEffects, logitEffectVector } from '../../../src/core/inspect/logits.ts';
import { logitsFromResidual, RMS_EPS } from '../../../src/core/lm/forward.ts';
import { parseLmModel } from '../../../src/core/lm/model.ts';

const model = parseLmModel(new Uint8Array(readFileSync(join(__dirname, '../../../public/data/stories260k.bin'))), 'stories260k.bin');

describe('logit effects by hand', () => {
  // vocab 3, dim 2: W_U rows (1, 0), (0, 1), (1, 1); γ = (2, 0.5).
  const lm = { config: { dim: 2, vocabSize: 3 }, weights: { tokenEmbedding: Float32Array.from([1, 0, 0, 1, 1, 1]), rmsFinal: Float32Array.from([2, 0.5]) } };

  it('e_v = Σ_d W_U[v,d]·γ_d·d_d, promoted desc and suppressed asc', () => {
    // d = (1, −4): γ ⊙ d = (2, −2) → e = (2, −2, 0)
    expect(Array.from(logitEffectVector(lm, [1, -4]))).toEqual([2, -2, 0]);
    const e = logitEffects(lm, [1, -4], 2);
    expect(e.promoted).toEqual([{ token: 0, value: 2 }, { token: 2, value: 0 }]);
    expect(e.suppressed).toEqual([{ token: 1, value: -2 }, { token: 2, value: 0 }]);
  });

  it('ties go to the lower token id; k is clipped to the vocab; bad widths are named', () => {
    // d = (0, 0): every effect 0 → both lists in id order
    expect(logitEffects(lm, [0, 0], 5).promoted.map((t) => t.token)).toEqual([0, 1, 2]);
    expect(logitEffects(lm, [0, 0], 5).suppressed.map((t) => t.token)).toEqual([0, 1, 2]);
    expect(logitEffects(lm, [1, 1], 0)).toEqual({ promoted: [], suppressed: [] });
    expect(() => logitEffects(lm, [1, 2, 3], 2)).toThrow(InputError);
    expect(() => logitEffects(lm, [1, 2, 3], 2)).toThrow(/resid:L/);
    expect(() => logitEffects(lm, [1, 2], -1)).toThrow(InputError);
  });
});

describe('logit effects on stories260K', () => {
  const { dim, vocabSize } = model.config;
  // A fixed direction with no special structure (a decoder row would be any such unit vector).
  const d = Float32Array.from({ length: dim }, (_, i) => Math.sin(1.7 * i + 0.3) + (i % 5 === 0 ? 0.8 : 0));

  it('equals the model’s final RMSNorm + tied unembedding of d, times rms(d)', () => {
    const logits = logitsFromResidual(model, d); // [vocab] W_U·(γ ⊙ d / rms(d))
    let ss = 0;
    for (const v of d) ss += v * v;
    const rms = Math.sqrt(ss / dim + RMS_EPS);
    const e = logitEffectVector(model, d);
    expect(e.length).toBe(vocabSize);
    let maxAbs = 0;
    for (let v = 0; v < vocabSize; v++) maxAbs = Math.max(maxAbs, Math.abs(e[v]));
    for (let v = 0; v < vocabSize; v++) expect(Math.abs(e[v] - logits[v] * rms)).toBeLessThan(1e-5 * maxAbs + 1e-6);
  });

  it('the top and bottom tokens are those of an f64 sum over the file’s weights, and flip with −d', () => {
    const E = model.weights.tokenEmbedding;
    const g = model.weights.rmsFinal;
    const ref = Array.from({ length: vocabSize }, (_, v) => {
      let s = 0;
      for (let k = 0; k < dim; k++) s += E[v * dim + k] * g[k] * d[k];
      return s;
    });
    const order = ref.map((_, v) => v).sort((a, b) => ref[b] - ref[a] || a - b);
    const e = logitEffects(model, d, 10);
    expect(e.promoted.map((t) => t.token)).toEqual(order.slice(0, 10));
    expect(e.suppressed.map((t) => t.token)).toEqual([...order].reverse().slice(0, 10).sort((a, b) => ref[a] - ref[b] || a - b));
    e.promoted.forEach((t) => expect(t.value).toBeCloseTo(ref[t.token], 5));
    const neg = logitEffects(model, d.map((v) => -v), 10);
    expect(neg.promoted.map((t) => t.token)).toEqual(e.suppressed.map((t) => t.token));
  });
});
