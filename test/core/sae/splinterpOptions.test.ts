// The SplInterp scripts' options (issue #11, seed-papers §3.6–3.7): their initialisations (config init),
// their sparsifier (signed top-K by |z|, config topkSelect 'abs-signed': selection, ties, gradients by finite
// differences, every core trainer), and the PAM-SGD decoder solve advanced in pieces (solveWork), which must
// give the same steps and solves as the one-piece solve, bit for bit.
import { describe, expect, it } from 'vitest';
import { generateSynthetic, parseSyntheticSpec } from '../../../src/core/data/synthetic.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { DEFAULT_CONFIG, resolveConfig, validateConfig } from '../../../src/core/sae/config.ts';
import type { TrainConfig } from '../../../src/core/sae/config.ts';
import { initSae } from '../../../src/core/sae/init.ts';
import type { LossContext } from '../../../src/core/sae/loss.ts';
import { lossAndGrads, zeroGrads } from '../../../src/core/sae/loss.ts';
import { createPamTrainer } from '../../../src/core/sae/pamTrain.ts';
import { pamPreset } from '../../../src/core/sae/pamPresets.ts';
import { encode, encodePre, signedTopkCodes } from '../../../src/core/sae/sae.ts';
import { createTiedTrainer } from '../../../src/core/sae/tiedTrain.ts';
import { createTrainer } from '../../../src/core/sae/train.ts';
import { zeroSae } from '../../../src/core/sae/types.ts';
import { expectClose } from '../../helpers/close.ts';

const std = (a: Float32Array): number => {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s / a.length);
};

describe('init: the scripts’ initialisations (§3.7)', () => {
  const dIn = 64;
  const dSae = 256;
  const sample = new Float32Array(10 * dIn).fill(1);
  const make = (init: TrainConfig['init']) => initSae(resolveConfig({ ...DEFAULT_CONFIG, dSae, init, bDecInit: 'mean' }, dIn), dIn, sample, 10);

  it('splinterp-mnist: E ~ N(0, 0.1²), D ~ N(0, 0.01²), biases 0 (bDecInit not used)', () => {
    const s = make('splinterp-mnist');
    expect(std(s.wEnc)).toBeGreaterThan(0.095);
    expect(std(s.wEnc)).toBeLessThan(0.105);
    expect(std(s.wDec)).toBeGreaterThan(0.0095);
    expect(std(s.wDec)).toBeLessThan(0.0105);
    expect(s.bEnc.every((v) => v === 0) && s.bDec.every((v) => v === 0)).toBe(true);
  });

  it('splinterp-llm: E ~ N(0, 1/dIn), D ~ N(0, 1/dSae), biases 0', () => {
    const s = make('splinterp-llm');
    expect(std(s.wEnc) * Math.sqrt(dIn)).toBeGreaterThan(0.95);
    expect(std(s.wEnc) * Math.sqrt(dIn)).toBeLessThan(1.05);
    expect(std(s.wDec) * Math.sqrt(dSae)).toBeGreaterThan(0.95);
    expect(std(s.wDec) * Math.sqrt(dSae)).toBeLessThan(1.05);
    expect(s.bDec.every((v) => v === 0)).toBe(true);
  });

  it("sae (the default) is today's init: unit decoder rows, wEnc = wDec, bDec from bDecInit", () => {
    const s = make('sae');
    expect(s.wEnc).toEqual(s.wDec);
    expect(s.bDec[0]).toBe(1);
    expect(initSae(resolveConfig({ ...DEFAULT_CONFIG, dSae }, dIn), dIn, sample, 10)).toEqual(initSae(resolveConfig({ ...DEFAULT_CONFIG, dSae, init: 'sae' }, dIn), dIn, sample, 10));
  });

  it('validates the field, naming the choices', () => {
    expect(validateConfig({ ...DEFAULT_CONFIG, init: 'xavier' as never }, 16, 1000)).toEqual(['init "xavier" is unknown: use one of sae, splinterp-mnist, splinterp-llm']);
    expect(validateConfig({ ...DEFAULT_CONFIG, topkSelect: 'abs' as never }, 16, 1000)).toEqual(['topkSelect "abs" is unknown: use one of relu, abs-signed']);
  });
});

describe('signed top-K by |z| (§3.6 "Sparsifier")', () => {
  it('keeps the k largest |z| with their signs, no ReLU; ties go to the lower index', () => {
    const z = new Float32Array([0.5, -3, 2, -2, 1, 0]);
    expect(Array.from(signedTopkCodes(z, 1, 6, 2))).toEqual([0, -3, 2, 0, 0, 0]); // |−2| = |2|: index 2 wins over 3
    expect(Array.from(signedTopkCodes(z, 1, 6, 3))).toEqual([0, -3, 2, -2, 0, 0]);
    const tie = new Float32Array([1, -1, 1, -1]);
    expect(Array.from(signedTopkCodes(tie, 1, 4, 2))).toEqual([1, -1, 0, 0]);
    const sae = zeroSae('topk', 6, 6, 2);
    for (let i = 0; i < 6; i++) sae.wEnc[i * 6 + i] = 1;
    expect(Array.from(encode(sae, z, 1).f)).toEqual([0, 0, 2, 0, 1, 0]); // ours: the k largest z, then ReLU
    sae.topkSigned = true;
    expect(Array.from(encode(sae, z, 1).f)).toEqual([0, -3, 2, 0, 0, 0]);
  });

  it('gradients match central finite differences (selected entries of either sign pass the gradient)', () => {
    const dIn = 5;
    const dSae = 7;
    const rows = 4;
    const ctx: LossContext = { l1Coefficient: 0, bandwidth: 1e-3, auxkCoefficient: 0, kAux: 2, dead: new Uint8Array(dSae) };
    // A seed whose |z| sit ≥ 0.08 from the selection boundary, so ±h never changes the selection.
    for (let seed = 1; seed < 500; seed++) {
      const rng = createRng(seed);
      const sae = zeroSae('topk', dIn, dSae, 3);
      sae.topkSigned = true;
      for (const a of [sae.wEnc, sae.wDec]) for (let i = 0; i < a.length; i++) a[i] = rng.normal() * 0.7;
      for (let i = 0; i < dSae; i++) sae.bEnc[i] = rng.normal() * 0.3;
      for (let i = 0; i < dIn; i++) sae.bDec[i] = rng.normal() * 0.3;
      const x = Float32Array.from({ length: rows * dIn }, () => rng.normal());
      const z = encodePre(sae, x, rows);
      let margin = Infinity;
      let negativeKept = false;
      for (let t = 0; t < rows; t++) {
        const a = Array.from(z.subarray(t * dSae, (t + 1) * dSae), Math.abs).sort((p, q) => q - p);
        margin = Math.min(margin, a[2] - a[3]);
      }
      const f = signedTopkCodes(z, rows, dSae, 3);
      negativeKept = f.some((v) => v < 0);
      if (margin < 0.08 || !negativeKept) continue;
      const g = zeroGrads(sae);
      lossAndGrads(sae, x, rows, ctx, g);
      const h = 1e-2;
      for (const name of ['wEnc', 'bEnc', 'wDec', 'bDec'] as const) {
        const p = sae[name];
        const fd = new Float64Array(p.length);
        for (let i = 0; i < p.length; i++) {
          const old = p[i];
          p[i] = old + h;
          const lp = lossAndGrads(sae, x, rows, ctx).loss;
          p[i] = old - h;
          const lm = lossAndGrads(sae, x, rows, ctx).loss;
          p[i] = old;
          fd[i] = (lp - lm) / (2 * h);
        }
        expectClose(g[name], fd, { atol: 5e-4, rtol: 2e-3 }, `signed topk ∂L/∂${name}`);
      }
      return;
    }
    throw new Error('no seed with a clear selection margin and a negative kept code');
  });

  it('every core trainer trains with it (sgd, pam-sgd, tied sgd): finite, and codes of both signs', () => {
    const data = generateSynthetic(parseSyntheticSpec('synthetic:small:1'));
    const config: Partial<TrainConfig> = { dSae: 16, k: 3, steps: 30, batch: 64, topkSelect: 'abs-signed', init: 'splinterp-llm' };
    for (const t of [createTrainer(data, config), createPamTrainer(data, { ...config, trainer: 'pam-sgd' }), createTiedTrainer(data, config)]) {
      expect(t.sae.topkSigned).toBe(true);
      for (let i = 0; i < 30; i++) expect(Number.isFinite(t.trainStep().loss)).toBe(true);
      const { f } = encode(t.sae, data.x.subarray(0, 64 * 16), 64);
      expect(f.some((v) => v < 0)).toBe(true);
    }
  });

  it('the script presets set it and the scripts’ inits', () => {
    expect(pamPreset('splinterp-mnist', 60000, 784)).toMatchObject({ topkSelect: 'abs-signed', init: 'splinterp-mnist' });
    expect(pamPreset('splinterp-llm', 9000, 2304)).toMatchObject({ topkSelect: 'abs-signed', init: 'splinterp-llm' });
    expect(pamPreset('paper', 10, 4).topkSelect).toBeUndefined();
  });
});

describe('PAM-SGD: the decoder solve in pieces (solveWork)', () => {
  const data = generateSynthetic(parseSyntheticSpec('synthetic:small:2')); // 8192 rows: 8 chunks of 1024
  for (const pamOrder of ['encoder-first', 'decoder-first'] as const) {
    it(`${pamOrder}: pieces of one chunk give the same steps, solves and weights as the one-piece solve, bit for bit`, () => {
      const config: Partial<TrainConfig> = { trainer: 'pam-sgd', dSae: 16, k: 2, steps: 300, batch: 128, pamOrder, seed: 4 };
      const inline = createPamTrainer(data, config);
      const pieces = createPamTrainer(data, config);
      pieces.deferSolves = true;
      let calls = 0;
      for (let s = 0; s < 140; s++) {
        while (pieces.solveDue) {
          pieces.solveWork(1); // at least one chunk per call
          calls++;
        }
        expect(pieces.trainStep()).toEqual(inline.trainStep());
      }
      // Epochs of 64 steps: solves after 64 and 128 (encoder-first) or at 0, 64, 128 (decoder-first); 8 chunks + 1 solve each.
      expect(pieces.solves).toEqual(inline.solves);
      expect(pieces.solves.map((r) => r.step)).toEqual(pamOrder === 'encoder-first' ? [64, 128] : [0, 64, 128]);
      expect(calls).toBe(9 * pieces.solves.length);
      expect(pieces.sae).toEqual(inline.sae);
      // A due solve left half done runs to its end in the next trainStep (and in solveDecoderNow), the same solve.
      for (let s = 140; s < 192; s++) {
        inline.trainStep();
        pieces.trainStep();
      }
      expect(pieces.solveDue).toBe(true); // inline solved at step 192 inside trainStep; pieces left it due
      pieces.solveWork(3000); // 3 of the 8 chunks
      if (pamOrder === 'encoder-first') pieces.solveDecoderNow(); // as cpuTrainer's finish()
      else expect(pieces.trainStep()).toEqual(inline.trainStep());
      expect(pieces.solves).toEqual(inline.solves);
      expect(pieces.sae).toEqual(inline.sae);
    });
  }
});
