// The feature inspector through the Workbench, in-thread on the CPU reference: inspectRun's table and
// top rows and latentDetail's histogram, quantiles, decoder row, nearest latents and top inputs equal
// core's inspectAll and latentDetail (src/core/inspect/inspect.ts) on the same SAE (the run's export) and
// rows (the eval split, mapped back to the dataset's row indices); the text dataset's highlighted
// contexts equal core's tokenContext (whole words) over every row's context and position (not the ±window slice
// the engine reads); the quantile bands are core's quantileSamplesOf by QUANTILE_BANDS; the logit effects are
// core's logitEffects with the shipped model for resid:3 and absent (with the reason) for mlp:2; the DTOs survive structuredClone; a bad latent, member or topN is rejected with the numbers.

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startsWord, tokenContext } from '../../src/core/inspect/inputs.ts';
import { latentColumn } from '../../src/core/inspect/codes.ts';
import { logitEffects } from '../../src/core/inspect/logits.ts';
import { QUANTILE_BANDS, quantileSamplesOf } from '../../src/core/inspect/values.ts';
import { parseLmModel } from '../../src/core/lm/model.ts';
import { tokenLabel } from '../../src/core/lm/tokenizer.ts';
import { inspectAll, latentDetail } from '../../src/core/inspect/inspect.ts';
import { splitTrainEval } from '../../src/core/data/preprocess.ts';
import { fromSaeLens } from '../../src/core/formats/saelens.ts';
import type { Sae } from '../../src/core/sae/types.ts';
import type { DatasetRequest, InspectingWorkbench, Snapshot, SyntheticKnobs } from '../../src/engine/api.ts';
import type { DataReader } from '../../src/engine/data/datasets.ts';
import { loadDatasetFrom } from '../../src/engine/data/datasets.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';

const DATA_DIR = new URL('../../public/data/', import.meta.url);
const readData: DataReader = async (file) => new Uint8Array(await readFile(new URL(file, DATA_DIR)));
const KNOBS: SyntheticKnobs = { nFeatures: 24, dIn: 8, meanActive: 2, zipfExponent: 0.5, correlation: 0, noiseStd: 0.01, rows: 600, seed: 3 };

/** Trains to done on the CPU and returns the workbench and the trained SAE (from exportRun). */
async function trained(req: DatasetRequest, config: Record<string, number>): Promise<{ wb: InspectingWorkbench; sae: Sae }> {
  const wb = createWorkbench(undefined, { readData });
  const info = await wb.loadDataset(req);
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await wb.onSnapshot((s: Snapshot) => {
    if (s.run > 0 && s.status === 'done') done();
  });
  await wb.startRun({ dataset: info.id, config, backend: 'cpu' });
  await finished;
  const ex = await wb.exportRun(0);
  return { wb, sae: fromSaeLens(ex.cfgJson, ex.weights, 'export') };
}

describe('inspectRun and latentDetail', () => {
  it('synthetic data with an eval split: every value is core inspect.ts’s on the eval rows', { timeout: 30_000 }, async () => {
    const req: DatasetRequest = { source: 'synthetic', knobs: KNOBS, preprocess: { evalFraction: 0.25, splitSeed: 5 } };
    const { wb, sae } = await trained(req, { dSae: 32, k: 4, batch: 32, steps: 80, seed: 2 });
    const ref = await loadDatasetFrom(req, readData, () => undefined);
    if (!ref.eval) throw new Error('expected an eval split');
    const { evalIdx } = splitTrainEval(ref.all, 0.25, 5);

    const res = await wb.inspectRun({ topN: 5 });
    expect(structuredClone(res)).toEqual(res);
    expect(res.scope).toMatchObject({ run: 1, member: 0, step: 80, weightsSource: 'live', split: 'eval', rowsScanned: 150, splitRows: 150, capped: false, maxRows: 8192 });
    expect(res.kind).toBe('synthetic');
    const core = inspectAll(sae, ref.eval, 5);
    expect(res.table).toEqual(core.table);
    expect(res.table[0].trueFeature).toBeTypeOf('number');
    expect(res.top).toEqual(core.top.map((l) => l.map((e) => ({ row: evalIdx[e.row], value: e.value }))));

    const L = res.table.reduce((best, r) => (r.fireCount > res.table[best].fireCount ? r.latent : best), 0);
    const det = await wb.latentDetail({ latent: L });
    expect(structuredClone(det)).toEqual(det);
    // api.ts's shape: 40 bins, 10 intervals of 3 samples, 5 nearest latents.
    const coreDet = latentDetail(sae, ref.eval, L, { topN: 10, bins: 40, intervals: 10, perInterval: 3, nearest: 5 });
    expect(det.histogram).toEqual(coreDet.histogram);
    expect(det.histogram.counts).toHaveLength(40);
    expect(det.histogram.firing).toBe(res.table[L].fireCount);
    const q = coreDet.quantiles;
    expect(q).toHaveLength(10);
    expect(det.quantiles).toEqual(q.map((i) => ({ ...i, samples: i.samples.map((e) => ({ row: evalIdx[e.row], value: e.value })) })));
    expect(det.decoder).toEqual(sae.wDec.slice(L * 8, (L + 1) * 8));
    expect(det.nearest).toHaveLength(5);
    expect(det.nearest).toEqual(coreDet.nearest);
    expect(det.nearest[0].latent).toBe(res.table[L].nearest);
    expect(det.nearest[0].cos).toBeCloseTo(res.table[L].maxCos, 5);
    expect(det.top.map((t) => ({ row: t.row, value: t.value }))).toEqual(coreDet.top.map((e) => ({ row: evalIdx[e.row], value: e.value })));
    expect(coreDet.top).toEqual(inspectAll(sae, ref.eval, 10).top[L]);
    expect(det.top[0]).toMatchObject({ kind: 'row', label: null });
    expect(det.imageShape).toBeNull();
    // Quantile bands: core's quantileSamplesOf of the column by QUANTILE_BANDS, rows mapped to the dataset's.
    const col = latentColumn(sae, ref.eval, L); // [eval rows] f_{t,L}
    const bands = quantileSamplesOf(col, { edges: QUANTILE_BANDS, perInterval: 4 });
    expect(det.bands.map((b) => [b.from, b.to, b.contains])).toEqual(bands.map((b, j) => [QUANTILE_BANDS[j], QUANTILE_BANDS[j + 1], b.contains]));
    expect(det.bands.map((b) => b.samples.map((e) => [e.row, e.value]))).toEqual(bands.map((b) => b.samples.map((e) => [evalIdx[e.row], e.value])));
    expect(det.bands[4].samples.length).toBeGreaterThan(0);
    expect(det.logits).toMatchObject({ kind: 'none', reason: expect.stringMatching(/language model/) });
    // Without cached codes (a new member request recomputes them): the same answer.
    await wb.inspectRun({ topN: 1 });
    expect(await wb.latentDetail({ latent: L, topN: 10 })).toEqual(det);

    await expect(wb.latentDetail({ latent: 32 })).rejects.toThrow(/latent must be an integer in \[0, 31\] \(the SAE has 32 latents\), got 32/);
    await expect(wb.latentDetail({ latent: -1 })).rejects.toThrow(/in \[0, 31\].*got -1/);
    await expect(wb.latentDetail({ latent: 0, member: 1 })).rejects.toThrow(/member must be an integer in \[0, 0\] \(the run has 1 member\), got 1/);
    await expect(wb.inspectRun({ topN: 0 })).rejects.toThrow(/topN must be an integer in \[1, 100\], got 0/);
  });

  it('before any run: rejects and says to start one', async () => {
    const wb = createWorkbench(undefined, { readData });
    await expect(wb.inspectRun()).rejects.toThrow(/there is no run yet: start one with startRun/);
  });

  it('text: top inputs are highlighted token contexts equal to core tokenContext', { timeout: 30_000 }, async () => {
    const req: DatasetRequest = { source: 'builtin', id: 'builtin:stories-resid-3', maxTokens: 384 };
    const { wb, sae } = await trained(req, { dSae: 32, k: 4, batch: 32, steps: 40, seed: 1 });
    const ref = await loadDatasetFrom(req, readData, () => undefined);
    const res = await wb.inspectRun();
    expect(res.kind).toBe('text');
    expect(res.scope).toMatchObject({ split: 'train', rowsScanned: ref.all.rows, capped: false });
    const core = inspectAll(sae, ref.all, 10);
    expect(res.table).toEqual(core.table);
    expect(res.top).toEqual(core.top);

    // Core's view of the same rows: tokens, contexts and positions of every row (from the dataset's contexts).
    const ctx = Array.from({ length: ref.all.rows }, (_, r) => ref.context?.(r));
    const position = Int32Array.from(ctx, (c) => c?.position ?? -1);
    const context = new Int32Array(ref.all.rows);
    for (let r = 1; r < ref.all.rows; r++) context[r] = context[r - 1] + (position[r] === position[r - 1] + 1 && ctx[r]?.doc === ctx[r - 1]?.doc ? 0 : 1);
    const tokens = ctx.map((c) => c?.tokens[c.position] ?? '');

    const L = res.table.reduce((best, r) => (r.fireCount > res.table[best].fireCount ? r.latent : best), 0);
    const det = await wb.latentDetail({ latent: L, topN: 4 });
    expect(structuredClone(det)).toEqual(det);
    expect(det.top).toHaveLength(4);
    for (const t of det.top) {
      if (t.kind !== 'token') throw new Error(`expected token views, got ${t.kind}`);
      const c = tokenContext(tokens, { context, position }, t.row, 8, { sae, data: ref.all, latent: L }, { startsWord, maxExtend: 6 });
      // Whole words: the window starts on a word start (or its context's first row) and ends before one.
      const first = t.tokens[0].row;
      expect(startsWord(t.tokens[0].text) || first === 0 || context[first - 1] !== context[first]).toBe(true);
      expect(t.tokens).toEqual(c.tokens.map((e) => ({ row: e.row, position: e.position, text: e.token, value: e.value, focus: e.focus })));
      const focus = t.tokens.find((e) => e.focus);
      expect(focus?.text).toBe(t.token);
      expect(focus?.value).toBe(t.value);
    }
    // Logit effects: core's on the decoder row with the shipped model, labelled by its vocab.
    const model = parseLmModel(await readData('stories260k.bin'), 'stories260k.bin');
    const e = logitEffects(model, det.decoder, 10);
    if (det.logits.kind !== 'effects') throw new Error(`expected logit effects for resid:3, got: ${det.logits.reason}`);
    expect(det.logits.site).toBe('resid:3');
    expect(det.logits.promoted).toEqual(e.promoted.map((t) => ({ ...t, text: tokenLabel(model.vocab, t.token) })));
    expect(det.logits.suppressed).toEqual(e.suppressed.map((t) => ({ ...t, text: tokenLabel(model.vocab, t.token) })));
    expect(det.logits.promoted[0].value).toBeGreaterThan(det.logits.suppressed[0].value);
    // A band's samples are drawn as the top inputs are (token contexts).
    expect(det.bands.flatMap((b) => b.samples).every((v) => v.kind === 'token')).toBe(true);
  });

  it('text at an mlp:L site: no logit effects, and the reason names the site', { timeout: 30_000 }, async () => {
    const req: DatasetRequest = { source: 'builtin', id: 'builtin:stories-mlp-2', maxTokens: 128 };
    const { wb } = await trained(req, { dSae: 16, k: 2, batch: 16, steps: 5, seed: 1 });
    await wb.inspectRun();
    const det = await wb.latentDetail({ latent: 0, topN: 1 });
    expect(det.logits).toMatchObject({ kind: 'none', reason: expect.stringMatching(/mlp:2 is the MLP hidden layer of block 2, not the residual stream/) });
  });
});
