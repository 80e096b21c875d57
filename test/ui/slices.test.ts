// The store's pure pieces, without an engine: the run series grow and keep their identity when a snapshot
// brings nothing new; the runs table throttles a run's record, marks earlier active runs 'replaced' and
// takes the dense fraction from the density; the page's preprocessing is the engine's plus a 10% split;
// and no module under src/ui is part of an import circle (type imports included).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PREPROCESS } from '../../src/core/data/preprocess.ts';
import type { Snapshot } from '../../src/engine/api.ts';
import { createContext } from '../../src/ui/store/context.ts';
import { APP_PREPROCESS } from '../../src/ui/store/dataset.ts';
import { DEFAULT_DRAFT } from '../../src/ui/store/experiment.ts';
import { recordRun } from '../../src/ui/store/runs.ts';
import { emptySeries, LOSS_POINTS_MAX, seriesAfter } from '../../src/ui/store/series.ts';
import { decodeHash, encodeHash } from '../../src/ui/urlState.ts';

const snap = (over: Partial<Snapshot>): Snapshot => ({
  run: 1,
  status: 'training',
  backend: 'cpu',
  step: 0,
  steps: 10,
  weightsStep: 0,
  loss: 1,
  mse: 1,
  l0: 2,
  deadFraction: 0,
  explainedVariance: 0.5,
  auxLoss: 0,
  sparsityLoss: 0,
  lr: 1e-3,
  tokensPerSecond: 100,
  recentLoss: { steps: [], loss: [] },
  recentSolves: [],
  members: [],
  density: null,
  loading: null,
  stage: null,
  comparing: null,
  ...over,
});

describe('seriesAfter', () => {
  it('keeps the loss curve under LOSS_POINTS_MAX points by thinning it, first and last step kept (a fast engine: issue #15)', () => {
    let series = emptySeries();
    const chunk = 7_000;
    for (let c = 0; c < 5; c++) {
      const steps = Array.from({ length: chunk }, (_, i) => c * chunk + i + 1);
      series = seriesAfter(series, snap({ step: steps[chunk - 1], recentLoss: { steps, loss: steps.map((t) => 1 / t) } }));
    }
    const { steps, loss } = series.loss;
    expect(steps.length).toBeLessThanOrEqual(LOSS_POINTS_MAX);
    expect(steps.length).toBeGreaterThan(LOSS_POINTS_MAX / 2);
    expect(steps[0]).toBe(1);
    expect(steps.at(-1)).toBe(5 * chunk);
    steps.forEach((t, i) => expect(loss[i]).toBe(1 / t)); // each kept point is still its step's loss
    expect(steps.every((t, i) => i === 0 || t > steps[i - 1])).toBe(true);
  });

  it('appends the loss, one history row per advanced step, and the dense fraction per density refresh', () => {
    const log10 = Float32Array.from([0, -0.5, -2, -3]); // 2 of 4 latents are dense
    const a = seriesAfter(emptySeries(), snap({ step: 2, loss: 0.9, recentLoss: { steps: [1, 2], loss: [1, 0.9] }, density: { step: 2, log10 } }));
    expect(a.loss).toEqual({ steps: [1, 2], loss: [1, 0.9], solves: [] });
    expect(a.history.step).toEqual([2]);
    expect(a.history.loss).toEqual([0.9]);
    expect(a.dense).toEqual({ step: [2], fraction: [0.5] });
    // The same step again without new loss or density: nothing changes, not even identities.
    const b = seriesAfter(a, snap({ step: 2, density: null }));
    expect(b.loss).toBe(a.loss);
    expect(b.history).toBe(a.history);
    expect(b.density).toBe(a.density);
    expect(b.dense).toBe(a.dense);
    // A later step with the same density step: a history row, no dense point.
    const c = seriesAfter(b, snap({ step: 3, recentLoss: { steps: [3], loss: [0.8] }, density: { step: 2, log10 } }));
    expect(c.history.step).toEqual([2, 3]);
    expect(c.loss.steps).toEqual([1, 2, 3]);
    expect(c.dense).toBe(a.dense);
    // PAM-SGD's decoder solves ride along, even in a snapshot with no new step.
    const d = seriesAfter(c, snap({ step: 3, recentSolves: [3] }));
    expect(d.loss).toEqual({ steps: [1, 2, 3], loss: [1, 0.9, 0.8], solves: [3] });
    expect(d.loss).not.toBe(c.loss);
  });
});

describe('recordRun', () => {
  it('records a run, throttles same-status updates, and marks an earlier active run replaced', () => {
    const { book } = createContext({} as never);
    const one = recordRun(book, [], snap({ run: 1, step: 1, density: { step: 1, log10: Float32Array.from([0, -2]) } }), DEFAULT_DRAFT, 1000);
    expect(one?.map((r) => [r.run, r.status, r.metrics?.denseFraction])).toEqual([[1, 'training', 0.5]]);
    expect(recordRun(book, one!, snap({ run: 1, step: 2 }), DEFAULT_DRAFT, 1200)).toBeNull(); // < 500 ms, same status
    const paused = recordRun(book, one!, snap({ run: 1, step: 2, status: 'paused' }), DEFAULT_DRAFT, 1300);
    expect(paused?.[0].status).toBe('paused');
    expect(paused?.[0].metrics?.denseFraction).toBe(0.5); // kept from the last density
    const two = recordRun(book, paused!, snap({ run: 2, step: 0 }), DEFAULT_DRAFT, 1400);
    expect(two?.map((r) => [r.run, r.status])).toEqual([
      [1, 'replaced'],
      [2, 'training'],
    ]);
    expect(two?.[1].seeds).toEqual([DEFAULT_DRAFT.seed]);
  });
});

describe('preprocessing defaults', () => {
  it('the page holds out 10% for evaluation; otherwise the engine defaults', () => {
    expect(DEFAULT_PREPROCESS.evalFraction).toBe(0);
    expect(APP_PREPROCESS).toEqual({ ...DEFAULT_PREPROCESS, evalFraction: 0.1 });
  });
});

describe('src/ui imports', () => {
  it('form no import circle', () => {
    const root = new URL('../../src/ui/', import.meta.url).pathname;
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : /\.tsx?$/.test(f) ? [join(dir, f)] : []));
    const graph = new Map(files(root).map((f) => [f, [...readFileSync(f, 'utf8').matchAll(/^(?:import|export)[^;]*?from '(\.[^']+)'/gm)].map((m) => normalize(join(dirname(f), m[1])))]));
    expect(graph.size).toBeGreaterThan(20);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, path: string[]): void => {
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) {
        if (!graph.has(g)) continue;
        if (state.get(g) === 'open') cycles.push([...path, f, g].slice(path.indexOf(g) >= 0 ? path.indexOf(g) : path.length).map((p) => p.slice(root.length)).join(' → '));
        else if (!state.has(g)) visit(g, [...path, f]);
      }
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f, []);
    expect(cycles).toEqual([]);
  });
});

describe('links (urlState)', () => {
  it('a link whose dataset was an upload keeps every other setting and asks for the file again', () => {
    const hash = encodeHash({ ...DEFAULT_DRAFT, dataset: 'upload:acts.npy', dSae: 48, trainer: 'pam-sgd' }, DEFAULT_DRAFT);
    const { draft, error } = decodeHash(hash, DEFAULT_DRAFT);
    expect(draft).toMatchObject({ dataset: DEFAULT_DRAFT.dataset, dSae: 48, trainer: 'pam-sgd' });
    expect(error).toMatch(/the file acts\.npy, which stays on the machine that loaded it: load it again.*Every other setting of the link is applied/);
    expect(decodeHash('#dataset=text:resid:3&k=3', DEFAULT_DRAFT)).toMatchObject({ draft: { k: 3 }, error: expect.stringMatching(/pasted text/) });
    // Anything else still falls back to the defaults, saying why.
    expect(decodeHash('#dataset=http://evil&k=3', DEFAULT_DRAFT)).toMatchObject({ draft: DEFAULT_DRAFT, error: expect.stringMatching(/not a built-in or synthetic id/) });
  });
});
