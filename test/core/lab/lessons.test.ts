// Each lesson's caption makes a claim; played to its step on core's models, the claim holds (a caption that
// stopped being true fails here): the SAE learns, K = 2 beats K = 1, the superposition SAE's arrows find the five
// spokes, AuxK revives dead latents, ReLU keeps every latent alive.
import { describe, expect, it } from 'vitest';
import { presetPoints, superpositionDirections } from '../../../src/core/lab/datasets.ts';
import { lessonNamed, type Lesson } from '../../../src/core/lab/lessons.ts';
import { createSaeModel } from '../../../src/core/lab/saeModel.ts';
import type { LabState } from '../../../src/core/lab/state.ts';

function played(name: string, patch: Partial<LabState> = {}) {
  const l = lessonNamed(name) as Lesson;
  const s = { ...l.state, ...patch };
  if (s.data.source !== 'preset') throw new Error('lessons use presets');
  const m = createSaeModel(presetPoints(s.data), s);
  const before = m.mse();
  for (let i = 0; i < l.playTo; i++) m.step();
  const dead = m.overlay().dead.reduce((a, b) => a + b, 0);
  return { m, before, after: m.mse(), dead };
}

describe('lesson claims', () => {
  it('sae: training cuts the MSE by more than 90%', () => {
    const r = played('sae');
    expect(r.after).toBeLessThan(0.1 * r.before);
  });

  it('k: K = 2 reconstructs better than K = 1 at the same steps', () => {
    expect(played('k').after).toBeLessThan(played('k', { k: 1 }).after);
  });

  it('superposition: every one of the five spokes has a decoder arrow within cos 0.95', () => {
    const { m } = played('superposition');
    const d = superpositionDirections(5);
    const w = m.sae.wDec;
    for (let j = 0; j < 5; j++) {
      let best = -1;
      for (let i = 0; i < m.sae.dSae; i++) best = Math.max(best, w[2 * i] * d[2 * j] + w[2 * i + 1] * d[2 * j + 1]);
      expect(best, `spoke ${j}`).toBeGreaterThan(0.95);
    }
  });

  it('dead-latents: most latents die without AuxK, and AuxK brings some back', () => {
    const off = played('dead-latents');
    const on = played('dead-latents', { auxk: true });
    expect(off.dead).toBeGreaterThanOrEqual(20);
    expect(on.dead).toBeLessThan(off.dead - 2);
  });

  it('relu: learns, and no latent is dead', () => {
    const r = played('relu');
    expect(r.after).toBeLessThan(0.05 * r.before);
    expect(r.dead).toBe(0);
  });
});

describe('lesson claims: local PCA', () => {
  it('local-pca: k-flats reconstructs better than the SAE with as many latents as regions, which beats k-means', async () => {
    const { createKFlatsModel, createKMeansModel } = await import('../../../src/core/lab/clusterModel.ts');
    const l = lessonNamed('local-pca') as Lesson;
    if (l.state.data.source !== 'preset') throw new Error('preset');
    const pts = presetPoints(l.state.data);
    const kf = createKFlatsModel(pts, l.state);
    const km = createKMeansModel(pts, l.state);
    for (let i = 0; i < l.playTo; i++) {
      kf.step();
      km.step();
    }
    const sae = played('local-pca');
    expect(kf.mse()).toBeLessThan(sae.after);
    expect(sae.after).toBeLessThan(km.mse());
  });
});
