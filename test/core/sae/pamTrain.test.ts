// The PAM-SGD reference trainer: config validation, determinism, when the solves run (both orders),
// the decoder moved only by solves, F not increased by any solve, the bias fold (the model's full-data
// MSE after a solve is the solve's), the stay-close and plain-L1 gradients by finite differences, and
// learning on synthetic:small for TopK, ReLU and JumpReLU.
import { describe, expect, it } from 'vitest';
import { addEncoderProx, addPlainL1, createPamTrainer, encoderAnchor, paperEncoderBias } from '../../../src/core/sae/pamTrain.ts';
import { DEFAULT_CONFIG, validateConfig } from '../../../src/core/sae/config.ts';
import { generateSynthetic, parseSyntheticSpec } from '../../../src/core/data/synthetic.ts';
import { zeroGrads } from '../../../src/core/sae/loss.ts';
import { decode, encode, encodePre, reluCodes } from '../../../src/core/sae/sae.ts';
import { createRng } from '../../../src/core/math/random.ts';
import type { Arch, Dataset, Sae } from '../../../src/core/sae/types.ts';
import { zeroSae } from '../../../src/core/sae/types.ts';
import { InputError } from '../../../src/core/errors.ts';

const small = generateSynthetic(parseSyntheticSpec('synthetic:small:1'));

/** (1/N)·Σ‖x' − x̂'‖² over every row of `data`, in the SAE's scaled space. */
function fullMse(sae: Sae, data: Dataset): number {
  const x = data.x.map((v) => v * sae.inputScale);
  const xHat = decode(sae, encode(sae, x, data.rows).f, data.rows);
  let s = 0;
  for (let j = 0; j < x.length; j++) s += (x[j] - xHat[j]) ** 2;
  return s / data.rows;
}

const randomSae = (arch: Arch, dIn: number, dSae: number, seed: number): Sae => {
  const rng = createRng(seed);
  const sae = zeroSae(arch, dIn, dSae, 2);
  for (const a of [sae.wEnc, sae.bEnc, sae.wDec, sae.bDec]) for (let j = 0; j < a.length; j++) a[j] = rng.normal();
  return sae;
};

describe('PAM-SGD config', () => {
  it('accepts the defaults with trainer pam-sgd', () => expect(validateConfig({ ...DEFAULT_CONFIG, trainer: 'pam-sgd' }, 16, 1000)).toEqual([]));
  it.each([
    [{ pamProxEnc: -1 }, /pamProxEnc \(μ_enc\) must be a finite number ≥ 0, got -1: use 0 to turn/],
    [{ pamProxDec: NaN }, /pamProxDec \(μ_dec\) must be a finite number ≥ 0, got NaN/],
    [{ pamRidge: Infinity }, /pamRidge \(α\) must be a finite number ≥ 0, got Infinity: use a small positive ridge/],
    [{ pamUpdatesPerBatch: 0 }, /pamUpdatesPerBatch must be an integer in \[1, 100\], got 0/],
    [{ pamOrder: 'both' }, /pamOrder "both" is unknown: use one of encoder-first, decoder-first/],
    [{ pamSolve: 'cg' }, /pamSolve "cg" is unknown: use one of exact, uncentred/],
    [{ arch: 'batchtopk' }, /trainer pam-sgd does not train batchtopk SAEs .*use arch topk, relu, jumprelu or trainer sgd/],
    [{ pamRidge: 0, pamProxDec: 0, dSae: 2000 }, /pamRidge 0 and pamProxDec 0 with fewer training rows \(1000\) than latents \(dSae=2000\) .*set pamRidge > 0/],
  ])('rejects %o', (patch, msg) => {
    expect(validateConfig({ ...DEFAULT_CONFIG, trainer: 'pam-sgd', ...(patch as object) }, 16, 1000).join('\n')).toMatch(msg);
  });
  it('createPamTrainer lists every problem in one InputError and refuses another trainer', () => {
    expect(() => createPamTrainer(small, { arch: 'batchtopk', pamRidge: -1 })).toThrow(InputError);
    expect(() => createPamTrainer(small, { arch: 'batchtopk', pamRidge: -1 })).toThrow(/pamRidge .*got -1.*does not train batchtopk/);
    expect(() => createPamTrainer(small, { trainer: 'sgd' })).toThrow(/expected pam-sgd/);
  });
});

describe('encoder stay-close term and plain L1 (finite differences)', () => {
  it('addEncoderProx: the gradient of μ(‖wEnc − E_t‖² + ‖b_enc − b_enc,t‖²) with b_enc = bEnc − wEnc·bDec', () => {
    const sae = randomSae('topk', 3, 4, 1);
    const anchor = encoderAnchor(sae);
    const rng = createRng(2);
    for (const a of [sae.wEnc, sae.bEnc]) for (let j = 0; j < a.length; j++) a[j] += 0.3 * rng.normal();
    const mu = 0.7;
    const g = zeroGrads(sae);
    const p0 = addEncoderProx(sae, anchor, mu, g);
    expect(p0).toBeGreaterThan(0);
    const value = (): number => addEncoderProx(sae, anchor, mu, zeroGrads(sae));
    const h = 1e-2; // P is quadratic in the parameters: central differences are exact up to f32 rounding
    for (const [p, gp] of [
      [sae.wEnc, g.wEnc],
      [sae.bEnc, g.bEnc],
    ] as const) {
      for (let j = 0; j < p.length; j++) {
        const v0 = p[j];
        p[j] = v0 + h;
        const up = value();
        p[j] = v0 - h;
        const down = value();
        p[j] = v0;
        expect(gp[j]).toBeCloseTo((up - down) / (2 * h), 3);
      }
    }
    // At the anchor the term and its gradient vanish.
    const at = randomSae('topk', 3, 4, 1);
    const g0 = zeroGrads(at);
    expect(addEncoderProx(at, encoderAnchor(at), mu, g0)).toBeCloseTo(0, 10);
    for (const v of g0.wEnc) expect(Math.abs(v)).toBeLessThan(1e-5);
  });

  it('addPlainL1: λ·(1/B)·Σ f and its encoder gradient, not weighted by decoder norms', () => {
    const sae = randomSae('relu', 3, 4, 3);
    for (let j = 0; j < sae.wDec.length; j++) sae.wDec[j] *= 5; // norms must not matter
    const x = Float32Array.from({ length: 6 * 3 }, (_, j) => Math.sin(j + 1));
    const lambda = 0.3;
    const l1 = (): number => {
      const f = reluCodes(encodePre(sae, x, 6));
      return addPlainL1(sae, x, f, 6, lambda, zeroGrads(sae));
    };
    const g = zeroGrads(sae);
    const v = addPlainL1(sae, x, reluCodes(encodePre(sae, x, 6)), 6, lambda, g);
    let s = 0;
    for (const f of reluCodes(encodePre(sae, x, 6))) s += f;
    expect(v).toBeCloseTo((lambda * s) / 6, 6);
    const h = 1e-3;
    for (const [p, gp] of [
      [sae.wEnc, g.wEnc],
      [sae.bEnc, g.bEnc],
    ] as const) {
      for (let j = 0; j < p.length; j++) {
        const v0 = p[j];
        p[j] = v0 + h;
        const up = l1();
        p[j] = v0 - h;
        const down = l1();
        p[j] = v0;
        expect(gp[j]).toBeCloseTo((up - down) / (2 * h), 2);
      }
    }
  });

  it('paperEncoderBias is bEnc − wEnc·bDec: the paper\'s encoder gives the same pre-activations', () => {
    const sae = randomSae('topk', 3, 4, 5);
    const b = paperEncoderBias(sae);
    const x = Float32Array.of(0.5, -1, 2);
    const z = encodePre(sae, x, 1);
    for (let i = 0; i < 4; i++) {
      let s = b[i];
      for (let d = 0; d < 3; d++) s += sae.wEnc[i * 3 + d] * x[d];
      expect(z[i]).toBeCloseTo(s, 5);
    }
  });
});

describe('createPamTrainer', () => {
  const base = { arch: 'topk' as const, dSae: 32, k: 3, batch: 512, seed: 3, lrWarmupSteps: 0, lrDecaySteps: 0, lr: 3e-3 };

  it('an epoch is ceil(rows / batch) steps; encoder-first solves after each epoch, decoder-first before each (the first included)', () => {
    const e = createPamTrainer(small, { ...base, steps: 40 });
    expect(e.stepsPerEpoch).toBe(16); // 8192 / 512
    for (let i = 0; i < 40; i++) e.trainStep();
    expect(e.solves.map((s) => s.step)).toEqual([16, 32]);
    const d = createPamTrainer(small, { ...base, steps: 40, pamOrder: 'decoder-first' });
    for (let i = 0; i < 40; i++) d.trainStep();
    expect(d.solves.map((s) => s.step)).toEqual([0, 16, 32]);
    const odd = createPamTrainer(small, { ...base, batch: 1000, steps: 10 });
    expect(odd.stepsPerEpoch).toBe(9); // ceil(8192 / 1000)
  });

  it('same seed → identical steps and weights', () => {
    const cfg = { ...base, steps: 20, pamOrder: 'decoder-first' as const };
    const a = createPamTrainer(small, cfg);
    const b = createPamTrainer(small, cfg);
    for (let i = 0; i < 20; i++) expect(b.trainStep()).toEqual(a.trainStep());
    expect(Array.from(b.sae.wDec)).toEqual(Array.from(a.sae.wDec));
    expect(Array.from(b.sae.wEnc)).toEqual(Array.from(a.sae.wEnc));
  });

  it('between solves the decoder does not move; encoder steps do', () => {
    const t = createPamTrainer(small, { ...base, steps: 20 });
    const wDec = t.sae.wDec.slice();
    const bDec = t.sae.bDec.slice();
    const wEnc = t.sae.wEnc.slice();
    for (let i = 0; i < 15; i++) t.trainStep();
    expect(Array.from(t.sae.wDec)).toEqual(Array.from(wDec));
    expect(Array.from(t.sae.bDec)).toEqual(Array.from(bDec));
    expect(Array.from(t.sae.wEnc)).not.toEqual(Array.from(wEnc));
    t.trainStep(); // step 16: the solve
    expect(Array.from(t.sae.wDec)).not.toEqual(Array.from(wDec));
  });

  it.each(['encoder-first', 'decoder-first'] as const)(
    '%s: no solve increases F; after each solve the model\'s own full-data MSE is the solve\'s (the bDec fold keeps the codes)',
    (pamOrder) => {
      const t = createPamTrainer(small, { ...base, steps: 64, pamOrder, pamProxDec: 1e-2 });
      let checked = 0;
      let bDecMoved = 0;
      for (let i = 0; i < 64; i++) {
        const before = t.solves.length;
        const bDec = t.sae.bDec.slice();
        t.trainStep();
        if (t.solves.length === before) continue;
        const s = t.solves[t.solves.length - 1];
        expect(s.objectiveAfter).toBeLessThanOrEqual(s.objectiveBefore * (1 + 1e-6));
        expect(s.mseAfter).toBeLessThan(s.mseBefore);
        // decoder-first solves before the step's encoder update: check the model as it was right after the solve.
        if (pamOrder === 'encoder-first') expect(fullMse(t.sae, small)).toBeCloseTo(s.mseAfter, 4);
        for (let d = 0; d < bDec.length; d++) bDecMoved = Math.max(bDecMoved, Math.abs(t.sae.bDec[d] - bDec[d]));
        checked++;
      }
      expect(checked).toBe(4);
      expect(bDecMoved).toBeGreaterThan(1e-3); // the fold was exercised, not vacuous
      const last = t.solveDecoderNow(); // solving again at once changes nothing much: F is already minimal
      expect(fullMse(t.sae, small)).toBeCloseTo(last.mseAfter, 4);
      expect(last.objectiveAfter).toBeLessThanOrEqual(last.objectiveBefore * (1 + 1e-6));
    },
  );

  it.each([
    ['topk', {}],
    ['relu', { l1Coefficient: 1e-3 }],
    ['jumprelu', { l1Coefficient: 1e-3 }],
  ] as const)('%s: trains synthetic:small to a full-data MSE well below its init (< 0.6×)', (arch, extra) => {
    const t = createPamTrainer(small, { ...base, arch, steps: 64, ...extra });
    const init = fullMse(t.sae, small);
    let s = t.trainStep();
    for (let i = 1; i < 64; i++) s = t.trainStep();
    for (const v of t.sae.wEnc) expect(Number.isFinite(v)).toBe(true);
    expect(Number.isFinite(s.loss)).toBe(true);
    expect(s.auxLoss).toBe(0);
    expect(fullMse(t.sae, small)).toBeLessThan(0.6 * init);
  });

  it('updatesPerBatch s: s Adam updates per step, tokens counted once, stats from the first update', () => {
    const t = createPamTrainer(small, { ...base, steps: 5, pamUpdatesPerBatch: 3 });
    let s = t.trainStep();
    for (let i = 1; i < 5; i++) s = t.trainStep();
    expect(t.adam.t).toBe(15);
    expect(s.step).toBe(5);
    expect(s.tokens).toBe(5 * 512);
    let fired = 0;
    for (const v of t.firingCounts) fired += v;
    expect(fired).toBeLessThanOrEqual(5 * 512 * 3);
  });

  it('the uncentred (MNIST script) solve trains too', () => {
    const t = createPamTrainer(small, { ...base, steps: 48, pamSolve: 'uncentred', pamProxDec: 0, pamProxEnc: 0 });
    const init = fullMse(t.sae, small);
    for (let i = 0; i < 48; i++) t.trainStep();
    expect(t.solves.length).toBe(3);
    expect(fullMse(t.sae, small)).toBeLessThan(0.6 * init);
  });

  it('ridge 0 with dead latents: the solve stops with the fix named and the decoder left as it was', () => {
    // 256 latents with k = 1 on 16-d data: many latents never win a row.
    const t = createPamTrainer(small, { arch: 'topk', dSae: 256, k: 1, batch: 512, steps: 10, pamOrder: 'decoder-first', pamRidge: 0, pamProxDec: 0 });
    const wDec = t.sae.wDec.slice();
    expect(() => t.trainStep()).toThrow(/ridge 0 with dead latents: set ridge > 0/);
    expect(Array.from(t.sae.wDec)).toEqual(Array.from(wDec));
    expect(t.solves.length).toBe(0);
  });
});
