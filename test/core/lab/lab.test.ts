// The lab's core: seeded 2-D datasets, the state's validation and its URL codec (round trips, hostile links
// refused with a message and never a throw), and the lessons (each a valid state with its own URL).
import { describe, expect, it } from 'vitest';
import { checkPoints, LAB_PRESETS, presetPoints, superpositionDirections, viewOf, type PresetSpec } from '../../../src/core/lab/datasets.ts';
import { LESSON_NAMES, LESSONS, lessonNamed } from '../../../src/core/lab/lessons.ts';
import { DEFAULT_LAB_STATE, labStateProblems, sameModels, type LabState } from '../../../src/core/lab/state.ts';
import { decodeLab, encodeLab, LAB_URL_MAX_CHARS } from '../../../src/core/lab/url.ts';

const spec = (preset: PresetSpec['preset'], points = 100, seed = 0): PresetSpec => ({ preset, points, seed, features: 5 });

describe('lab presets', () => {
  it('each preset is deterministic in its seed and differs between seeds', () => {
    for (const p of LAB_PRESETS) {
      const a = presetPoints(spec(p, 60, 1));
      expect(a.n).toBe(60);
      expect(a.xy.length).toBe(120);
      expect(Array.from(presetPoints(spec(p, 60, 1)).xy)).toEqual(Array.from(a.xy));
      expect(Array.from(presetPoints(spec(p, 60, 2)).xy)).not.toEqual(Array.from(a.xy));
      expect(a.xy.every(Number.isFinite)).toBe(true);
    }
  });

  it('the toy: three clusters in [−2, 2]² — a line at y ≈ 1.2, a square, a diagonal', () => {
    const { xy } = presetPoints(spec('toy'));
    for (let i = 0; i < 100; i++) {
      const [x, y] = [xy[2 * i], xy[2 * i + 1]];
      expect(Math.abs(x)).toBeLessThan(2);
      expect(Math.abs(y)).toBeLessThan(2);
      if (i % 3 === 0) expect(Math.abs(y - 1.2)).toBeLessThan(0.15);
      if (i % 3 === 1) expect(x >= 0.7 && x <= 1.3 && y >= 0.4 && y <= 1.0).toBe(true);
    }
  });

  it('rings: two radii; superposition: every point is a non-negative mix of the n directions', () => {
    const r = presetPoints(spec('rings', 200));
    for (let i = 0; i < 200; i++) {
      const rad = Math.hypot(r.xy[2 * i], r.xy[2 * i + 1]);
      expect(Math.min(Math.abs(rad - 0.6), Math.abs(rad - 1.6))).toBeLessThan(0.3);
    }
    const s = presetPoints({ preset: 'superposition', points: 300, seed: 3, features: 7 });
    const d = superpositionDirections(7);
    expect(Math.hypot(d[0], d[1])).toBeCloseTo(1, 6);
    // 1.5/7 of features on: most points lie near one spoke (cosine with its nearest direction close to 1).
    let onSpoke = 0;
    for (let i = 0; i < 300; i++) {
      const [x, y] = [s.xy[2 * i], s.xy[2 * i + 1]];
      const best = Math.max(...Array.from({ length: 7 }, (_, j) => (x * d[2 * j] + y * d[2 * j + 1]) / Math.hypot(x, y)));
      if (best > 0.999) onSpoke++;
    }
    expect(onSpoke).toBeGreaterThan(150);
    expect(onSpoke).toBeLessThan(300);
  });

  it('bad settings are refused, naming the field and the range', () => {
    expect(() => presetPoints(spec('toy', 2))).toThrow(/points must be an integer in \[3, 2000\], got 2/);
    expect(() => presetPoints({ ...spec('toy'), preset: 'moons' as never })).toThrow(/preset "moons" is unknown/);
    expect(() => presetPoints({ ...spec('superposition'), features: 2 })).toThrow(/features must be an integer in \[3, 16\]/);
    expect(() => checkPoints({ n: 3, xy: Float32Array.from([0, 0, 1, NaN, 2, 2]) }, 'painted')).toThrow(/point 1 has a non-finite coordinate/);
    expect(() => checkPoints({ n: 2, xy: new Float32Array(4) }, 'painted')).toThrow(/needs 3 to 2000 points, got 2: paint more points/);
  });

  it('viewOf: a square window around the data with a margin', () => {
    const v = viewOf({ n: 3, xy: Float32Array.from([0, 0, 2, 0, 1, 1]) }, 0.25);
    expect(v.u1 - v.u0).toBeCloseTo(v.v1 - v.v0, 9);
    expect([v.u0, v.u1, v.v0, v.v1]).toEqual([-0.5, 2.5, -1, 2]);
  });
});

describe('lab state and its URL', () => {
  const painted: LabState = { ...DEFAULT_LAB_STATE, data: { source: 'painted', xy: [0.125, -1, 1.5, 2.25, -0.333, 0.5] }, arch: 'jumprelu', trainer: 'pam-sgd', overlays: ['points', 'error'], steps: 321, lesson: 'relu' };
  const projection: LabState = { ...DEFAULT_LAB_STATE, data: { source: 'projection', dataset: 'builtin:digits', how: { kind: 'dims', a: 3, b: 10 }, rows: 400 }, auxk: false, lr: 0.0025 };

  it('round-trips the default, a painted state, a projection and every lesson', () => {
    for (const s of [DEFAULT_LAB_STATE, painted, projection, ...LESSONS.map((l) => ({ ...l.state, lesson: l.name }))]) {
      expect(labStateProblems(s)).toEqual([]);
      const back = decodeLab(encodeLab(s), LESSON_NAMES);
      expect(back.error).toBeNull();
      expect(back.state).toEqual(s);
    }
  });

  it('a leading # or ? is ignored; missing fields come from the defaults', () => {
    expect(decodeLab('#clusters=5', LESSON_NAMES).state).toEqual({ ...DEFAULT_LAB_STATE, clusters: 5 });
    expect(decodeLab('?data=rings', LESSON_NAMES).state?.data).toEqual({ source: 'preset', preset: 'rings', points: 100, seed: 0, features: 5 });
  });

  it('hostile links are refused with every problem named, and never throw', () => {
    const cases: [string, RegExp][] = [
      ['clusters=0', /clusters must be an integer in \[1, 32\], got 0/],
      ['dSae=1e9', /dSae must be an integer in \[1, 256\]/],
      ['k=9&dSae=8', /k must be an integer in \[1, dSae=8\], got 9/],
      ['arch=<script>', /arch "<script>" is unknown/],
      ['lr=NaN', /lr "NaN" is not a number/],
      ['lr=abc&speed=x', /lr "abc" is not a number; speed "x" is not a number/],
      ['__proto__=1', /"__proto__" is not a lab field/],
      ['data=painted&xy=1,2;3', /xy: point 1 "3" is not "x,y"/],
      ['data=painted&xy=1,2', /painted points: need 3 to 2000/],
      ['data=painted&xy=1,2;3,4;1e300,0', /finite number of magnitude/],
      ['data=projection&dataset=upload:x.npy', /dataset "upload:x.npy" is not a built-in or synthetic id/],
      ['data=projection', /needs dataset=/],
      ['data=projection&dataset=builtin:digits&project=3,3', /two different column indices/],
      ['overlays=points,lasers', /"lasers" not one of/],
      ['lesson=nope', /lesson "nope" is not one of sae, k/],
      ['steps=1000000', /steps must be an integer in \[0, 20000\]/],
      ['auxk=yes', /auxk "yes" must be 0 or 1/],
      ['data=toy&steps=20000&dSae=256&k=4&points=2000', /steps × points × \(dSae \+ clusters\) = 20000 × 2000 × 259 is over the 4e\+8 a lab opens with: lower steps \(at most 772 here\)/],
      ['k=1&k=2', /k is given twice/],
      ['%E0%A4%A', /not a lab field/],
    ];
    for (const [text, re] of cases) {
      const r = decodeLab(text, LESSON_NAMES);
      expect(r.state, text).toBeNull();
      expect(r.error, text).toMatch(re);
      expect(r.error, text).toMatch(/^the lab link is not valid: /);
    }
    expect(decodeLab('x'.repeat(LAB_URL_MAX_CHARS + 1), LESSON_NAMES).error).toMatch(/over the 65536/);
    expect(decodeLab(`data=painted&xy=${Array.from({ length: 2001 }, () => '0,0').join(';')}`, LESSON_NAMES).error).toMatch(/2001 points, over the lab's 2000/);
  });

  it('sameModels: speed, overlays, steps and the lesson do not retrain; data and model settings do', () => {
    const s = DEFAULT_LAB_STATE;
    expect(sameModels(s, { ...s, speed: 50, overlays: [], steps: 9, lesson: 'k' })).toBe(true);
    expect(sameModels(s, { ...s, k: 2 })).toBe(false);
    expect(sameModels(s, { ...s, data: { ...s.data, seed: 1 } as LabState['data'] })).toBe(false);
  });
});

describe('lessons', () => {
  it('five or more, each with a unique name, a two-line caption, a formula and a valid state', () => {
    expect(LESSONS.length).toBeGreaterThanOrEqual(5);
    expect(new Set(LESSON_NAMES).size).toBe(LESSONS.length);
    for (const l of LESSONS) {
      expect(l.name).toMatch(/^[a-z-]+$/);
      expect(l.caption.every((c) => c.length > 20)).toBe(true);
      expect(l.tex.length).toBeGreaterThan(10);
      expect(labStateProblems(l.state)).toEqual([]);
      expect(l.playTo).toBeGreaterThan(0);
    }
    expect(LESSON_NAMES).toEqual(expect.arrayContaining(['sae', 'k', 'superposition', 'dead-latents', 'local-pca']));
    expect(lessonNamed('k')?.state.k).toBe(2);
    expect(lessonNamed('nope')).toBeNull();
  });
});
