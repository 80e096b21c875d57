// The lab's SAE panel: it trains (MSE falls), its power-diagram sites and weights reproduce the TopK sets
// (seed-papers §3.5), a dragged site lands where it is dropped with the same α-free bias, a dragged arrow
// sets the decoder row, and the hover readout is the SAE's own encode/decode.
import { describe, expect, it } from 'vitest';
import { presetPoints } from '../../../src/core/lab/datasets.ts';
import { createSaeModel, effectiveBias, powerOf } from '../../../src/core/lab/saeModel.ts';
import { DEFAULT_LAB_STATE, type LabState } from '../../../src/core/lab/state.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { encode } from '../../../src/core/sae/sae.ts';

const toy = presetPoints({ preset: 'toy', points: 100, seed: 0, features: 5 });
const state = (patch: Partial<LabState> = {}): LabState => ({ ...DEFAULT_LAB_STATE, ...patch });

describe('lab SAE model', () => {
  it('training lowers the MSE on the toy, for SGD and PAM-SGD', () => {
    for (const trainer of ['sgd', 'pam-sgd'] as const) {
      const m = createSaeModel(toy, state({ trainer, k: 2 }));
      const before = m.mse();
      for (let i = 0; i < 200; i++) m.step();
      expect(m.steps).toBe(200);
      expect(m.mse(), trainer).toBeLessThan(before * 0.7);
    }
  });

  it('is deterministic in the seed', () => {
    const a = createSaeModel(toy, state());
    const b = createSaeModel(toy, state());
    for (let i = 0; i < 30; i++) {
      a.step();
      b.step();
    }
    expect(Array.from(a.sae.wEnc)).toEqual(Array.from(b.sae.wEnc));
  });

  it('TopK sets are the K smallest power distances ‖x − c_i‖² − α_i (seed-papers §3.5), on 500 random points', () => {
    const m = createSaeModel(toy, state({ dSae: 12, k: 3 }));
    for (let i = 0; i < 50; i++) m.step();
    const { sites, weights: alpha } = powerOf(m.sae);
    const rng = createRng(7);
    for (let t = 0; t < 500; t++) {
      const x = 4 * rng.uniform() - 2;
      const y = 4 * rng.uniform() - 2;
      const { z } = encode(m.sae, Float32Array.of(x, y), 1);
      const byZ = Array.from(z.keys()).sort((a, b) => z[b] - z[a] || a - b).slice(0, 3).sort((a, b) => a - b);
      const pow = (i: number) => (x - sites[2 * i]) ** 2 + (y - sites[2 * i + 1]) ** 2 - alpha[i];
      const byPow = Array.from(z.keys()).sort((a, b) => pow(a) - pow(b) || a - b).slice(0, 3).sort((a, b) => a - b);
      expect(byPow).toEqual(byZ);
    }
  });

  it('dragging a site puts it under the pointer and keeps β; dragging an arrow sets the unit decoder row', () => {
    const m = createSaeModel(toy, state());
    for (let i = 0; i < 20; i++) m.step();
    const beta = effectiveBias(m.sae, 2);
    const mse0 = m.mse();
    m.drag('site', 2, 0.5, -1.25);
    const o = m.overlay();
    expect(o.sites[4]).toBeCloseTo(0.5, 6);
    expect(o.sites[5]).toBeCloseTo(-1.25, 6);
    expect(effectiveBias(m.sae, 2)).toBeCloseTo(beta, 5);
    m.drag('arrow', 1, m.sae.bDec[0] + 3, m.sae.bDec[1] - 4);
    expect([m.sae.wDec[2], m.sae.wDec[3]].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.6, -0.8]);
    expect(m.mse()).not.toBe(mse0);
  });

  it('hover: the active latents, x̂ and the error of one point; the overlay shapes', () => {
    const m = createSaeModel(toy, state({ dSae: 8, k: 2 }));
    for (let i = 0; i < 50; i++) m.step();
    const h = m.hover(1, 0.7);
    expect(h.active.length).toBeLessThanOrEqual(2);
    const xHat = m.reconstruct(Float32Array.of(1, 0.7), 1);
    expect(h.xHat[0]).toBeCloseTo(xHat[0], 6);
    expect(h.error).toBeCloseTo((1 - xHat[0]) ** 2 + (0.7 - xHat[1]) ** 2, 6);
    const o = m.overlay();
    expect([o.units, o.sites.length, o.radii.length, o.arrows.length, o.dead.length]).toEqual([8, 16, 8, 32, 8]);
    expect(Math.min(...o.radii)).toBe(0);
  });
});
