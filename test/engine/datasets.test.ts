// Datasets through the Workbench, in-thread in Node with public/data/ read by an injected reader: each
// kind loads with a card and its labels/contexts; progress rides on the snapshot channel; uploads
// (.npy, .safetensors, CSV, IDX, labels files) parse; a malformed upload rejects with the core reader's
// message and every dataset loaded before stays loaded; preprocessing (BOS drop, split, centring,
// expected-norm scaling) does what it says; startRun trains on a loaded dataset's train split; pasted
// text runs through the LM with its tokens and contexts kept, and a too-long or empty text is refused.

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/core/formats/npy.ts';
import { writeSafetensors } from '../../src/core/formats/safetensors.ts';
import type { Snapshot, SyntheticKnobs, Workbench } from '../../src/engine/api.ts';
import { buildContexts, collectActivations } from '../../src/core/lm/activations.ts';
import { parseLmModel } from '../../src/core/lm/model.ts';
import type { DataReader } from '../../src/engine/data/datasets.ts';
import { MAX_STORIES_TOKENS, MAX_TEXT_CHARS, loadDatasetFrom } from '../../src/engine/data/datasets.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';

const DATA_DIR = new URL('../../public/data/', import.meta.url);
const readData: DataReader = async (file) => new Uint8Array(await readFile(new URL(file, DATA_DIR)));
const KNOBS: SyntheticKnobs = { nFeatures: 24, dIn: 8, meanActive: 2, zipfExponent: 0.5, correlation: 0, noiseStd: 0.01, rows: 500, seed: 3 };
const enc = (s: string) => new TextEncoder().encode(s);

function bench(): { wb: Workbench; seen: Snapshot[] } {
  const wb = createWorkbench(undefined, { readData });
  const seen: Snapshot[] = [];
  void wb.onSnapshot((s) => void seen.push(s));
  return { wb, seen };
}

describe('datasets in the Workbench', () => {
  it('stories260K activations: tokens, contexts, BOS rows dropped, progress on the snapshot channel', { timeout: 30_000 }, async () => {
    const { wb, seen } = bench();
    const info = await wb.loadDataset({ source: 'builtin', id: 'builtin:stories-resid-3', maxTokens: 512 });
    expect(info).toMatchObject({ id: 'builtin:stories-resid-3', kind: 'text', rows: 512, dIn: 64, hasLabels: true, hasContexts: true, evalRows: 0 });
    expect(info.preprocess.dropBos).toBe(true);
    expect(info.card).toMatchObject({ shape: [512, 64], dtype: 'float32', licence: expect.stringMatching(/MIT/) });
    expect(info.card.labels?.kind).toBe('text');
    expect(structuredClone(info)).toEqual(info);
    const phases = seen.map((s) => s.loading?.phase).filter(Boolean);
    expect(phases).toContain('fetching stories260k.bin');
    expect(phases.some((p) => /running stories260K \(resid:3\)/.test(p ?? ''))).toBe(true);
    expect(seen.at(-1)?.loading).toBeNull();
    for (const s of seen) expect(structuredClone(s)).toEqual(s);
    const [r0, r5] = await wb.datasetRows(info.id, [0, 5]);
    expect(r0.context?.tokens[0]).toBe('<s>');
    expect(r0.context?.position).toBe(1); // BOS rows dropped: row 0 is the first text token
    expect(r5.label).toBe(r5.context?.tokens[r5.context.position]);
    await expect(wb.datasetRows(info.id, [512])).rejects.toThrow(/row 512: expected an integer in \[0, 511\]/);

    const withBos = await wb.loadDataset({ source: 'builtin', id: 'builtin:stories-mlp-1', maxTokens: 300, preprocess: { dropBos: false } });
    expect(withBos).toMatchObject({ dIn: 172, kind: 'text' });
    expect(withBos.rows).toBeGreaterThan(300); // one BOS row per context kept
    expect((await wb.datasetRows(withBos.id, [0]))[0]).toMatchObject({ label: '<s>', context: { position: 0 } });
  });

  it('images, digits and word vectors load with their labels and licences', { timeout: 30_000 }, async () => {
    const { wb } = bench();
    const fm = await wb.loadDataset({ source: 'builtin', id: 'builtin:fashion-mnist' });
    expect(fm).toMatchObject({ kind: 'image', rows: 10000, dIn: 784, imageShape: [28, 28], hasLabels: true });
    expect(fm.card.labels?.counts).toHaveLength(10);
    expect(fm.card.labels?.counts[0]).toEqual({ label: 'T-shirt/top', count: 1000 });
    const digits = await wb.loadDataset({ source: 'builtin', id: 'builtin:digits' });
    expect(digits).toMatchObject({ kind: 'image', rows: 1797, dIn: 64, imageShape: [8, 8] });
    const glove = await wb.loadDataset({ source: 'builtin', id: 'builtin:glove-50d' });
    expect(glove).toMatchObject({ kind: 'word', rows: 10000, dIn: 50 });
    expect(glove.card.licence).toMatch(/PDDL/);
    expect((await wb.datasetRows(glove.id, [0, 1])).map((r) => r.label)).toEqual(['the', ',']);
    expect((await wb.listDatasets()).map((d) => d.id)).toEqual(['builtin:fashion-mnist', 'builtin:digits', 'builtin:glove-50d']);
    await expect(wb.loadDataset({ source: 'builtin', id: 'builtin:mnist' })).rejects.toThrow(/"builtin:mnist" is not a built-in: use one of builtin:stories-resid-0/);
  });

  it('synthetic knobs keep the ground truth; bad knobs say which and what to use', async () => {
    const { wb } = bench();
    const info = await wb.loadDataset({ source: 'synthetic', knobs: KNOBS });
    expect(info).toMatchObject({ kind: 'synthetic', rows: 500, dIn: 8, hasGroundTruth: true });
    expect(info.id).toMatch(/^synthetic:custom:nFeatures=24,dIn=8/);
    expect(info.card.hasGroundTruth).toBe(true);
    await expect(wb.loadDataset({ source: 'synthetic', knobs: { ...KNOBS, correlation: 1.5 } })).rejects.toThrow(/correlation: expected a number in \[0, 1\), got 1.5/);
    expect((await wb.listDatasets()).map((d) => d.id)).toEqual([info.id]);
  });

  it('uploads: .npy, .safetensors by tensor name, CSV with a labels file, IDX with an IDX labels file', async () => {
    const { wb } = bench();
    const x = Float32Array.from({ length: 40 }, (_, i) => i / 10);
    const npy = await wb.loadDataset({ source: 'upload', file: { name: 'acts.npy', bytes: writeNpy(x, [10, 4]) } });
    expect(npy).toMatchObject({ id: 'upload:acts.npy', kind: 'table', rows: 10, dIn: 4, hasLabels: false });
    expect(npy.card.max).toBeCloseTo(3.9, 5);

    const st = writeSafetensors({ a: { shape: [5, 8], data: new Float32Array(40).fill(1) }, b: { shape: [4, 2], data: new Float32Array(8) } });
    await expect(wb.loadDataset({ source: 'upload', file: { name: 'w.safetensors', bytes: st } })).rejects.toThrow(/holds 2 tensors \(a, b\): give the tensor name/);
    expect(await wb.loadDataset({ source: 'upload', file: { name: 'w.safetensors', bytes: st }, tensor: 'a' })).toMatchObject({ id: 'upload:w.safetensors#a', rows: 5, dIn: 8 });
    await expect(wb.loadDataset({ source: 'upload', file: { name: 'w.safetensors', bytes: st }, tensor: 'c' })).rejects.toThrow(/tensor "c" not found: it holds a, b/);

    const csv = await wb.loadDataset({
      source: 'upload',
      file: { name: 'table.csv', bytes: enc('a,b,c\n1,2,3\n4,5,6\n7,8,9\n') },
      labels: { name: 'labels.txt', bytes: enc('first\nsecond\nthird\n') },
    });
    expect(csv).toMatchObject({ rows: 3, dIn: 3, hasLabels: true });
    expect((await wb.datasetRows(csv.id, [1]))[0].label).toBe('second');

    const idx = (dims: number[], data: number[]) => new Uint8Array([0, 0, 0x08, dims.length, ...dims.flatMap((d) => [0, 0, 0, d]), ...data]);
    const img = await wb.loadDataset({
      source: 'upload',
      file: { name: 'tiny-images-idx3-ubyte', bytes: idx([3, 2, 2], [0, 255, 0, 255, 1, 2, 3, 4, 9, 9, 9, 9]) },
      labels: { name: 'tiny-labels-idx1-ubyte', bytes: idx([3], [2, 0, 1]) },
    });
    expect(img).toMatchObject({ kind: 'image', rows: 3, dIn: 4, imageShape: [2, 2], hasLabels: true });
    expect((await wb.datasetRows(img.id, [0, 1, 2])).map((r) => r.label)).toEqual(['2', '0', '1']);
  });

  it('a malformed upload rejects with the reader’s message and nothing loaded is lost', async () => {
    const { wb } = bench();
    const before = await wb.loadDataset({ source: 'synthetic', knobs: KNOBS });
    const bad = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x58, 1, 0, 0, 0]);
    await expect(wb.loadDataset({ source: 'upload', file: { name: 'evil.npy', bytes: bad } })).rejects.toThrow(/^evil\.npy: magic: expected 93 4e 55 4d 50 59/);
    await expect(wb.loadDataset({ source: 'upload', file: { name: 'evil.csv', bytes: enc('1,2\n3,x\n') } })).rejects.toThrow(/evil\.csv: line 2, column 2: expected a finite number/);
    await expect(wb.loadDataset({ source: 'upload', file: { name: 'short.csv', bytes: enc('1,2\n3,4\n') }, labels: { name: 'l.txt', bytes: enc('one\n') } })).rejects.toThrow(
      /l\.txt: lines: expected 2 \(one label per data row\), got 1/,
    );
    await expect(wb.loadDataset({ source: 'upload', file: { name: 'model.pt', bytes: new Uint8Array(8) } })).rejects.toThrow(/model\.pt: file type: expected \.npy/);
    expect(await wb.listDatasets()).toEqual([before]);
    const info = await wb.startRun({ dataset: before.id, config: { dSae: 16, k: 2, batch: 16, steps: 5 } });
    expect(info.run).toBe(1);
  });

  it('preprocessing: a seeded split, centring and expected-norm scaling with the train statistics', async () => {
    const { wb } = bench();
    const pre = { centre: true, scale: 'expected-norm' as const, evalFraction: 0.2, splitSeed: 7 };
    const a = await wb.loadDataset({ source: 'synthetic', knobs: KNOBS, preprocess: pre });
    expect(a).toMatchObject({ rows: 500, trainRows: 400, evalRows: 100, preprocess: { ...pre, dropBos: false } });
    expect(a.inputScale).toBeGreaterThan(0);
    expect(Math.abs(a.card.mean)).toBeLessThan(0.02); // centred (with the train mean: close to 0 overall)
    expect(a.card.norm.mean).toBeGreaterThan(Math.sqrt(8) * 0.9); // mean norm ≈ √dIn
    expect(a.card.norm.mean).toBeLessThan(Math.sqrt(8) * 1.1);
    const b = await wb.loadDataset({ source: 'synthetic', knobs: KNOBS, preprocess: pre });
    expect(b).toEqual(a); // same seed, same split and statistics
    await expect(wb.loadDataset({ source: 'synthetic', knobs: KNOBS, preprocess: { evalFraction: 1 } })).rejects.toThrow(/evalFraction: expected a number in \[0, 1\)/);
    const run = await wb.startRun({ dataset: a.id, config: { dSae: 16, k: 2, batch: 16, steps: 5 } });
    expect(run.run).toBe(1);
  });

  it('pasted text: one row per token (BOS rows dropped), contexts and positions kept, a card that says text', { timeout: 30_000 }, async () => {
    const { wb, seen } = bench();
    const text = 'Tom had a red ball. He liked to throw it.\n\nThe cat sat on the mat and looked at the sun.';
    const model = parseLmModel(await readData('stories260k.bin'), 'stories260k.bin');
    const want = collectActivations(model, text, { site: 'resid:2' });
    const contexts = buildContexts(model, text);
    expect(contexts).toHaveLength(2); // two paragraphs, two contexts
    const tokens = contexts.reduce((n, c) => n + c.tokens.length, 0);

    const info = await wb.loadDataset({ source: 'text', text, site: 'resid:2' });
    expect(info).toMatchObject({ id: 'text:resid:2', kind: 'text', rows: tokens - 2, dIn: 64, hasLabels: true, hasContexts: true, preprocess: { dropBos: true } });
    expect(info.card.labels?.kind).toBe('text');
    expect(info.card.source).toMatch(new RegExp(`pasted by the user: resid:2 over ${tokens - 2} tokens in 2 contexts \\(run on the CPU\\)`));
    expect(info.card.source).not.toMatch(/TinyStories/);
    expect(info.card.licence).toMatch(/the user’s own/);
    expect(seen.map((s) => s.loading?.phase).some((p) => /running stories260K \(resid:2\) on the CPU/.test(p ?? ''))).toBe(true);
    const rows = await wb.datasetRows(info.id, [0, contexts[0].tokens.length - 2, contexts[0].tokens.length - 1]);
    expect(rows[0]).toMatchObject({ label: rows[0].context?.tokens[1], context: { position: 1, doc: 0 } });
    expect(rows[1].context).toMatchObject({ doc: 0, position: contexts[0].tokens.length - 1 }); // last token of paragraph 1
    expect(rows[2].context).toMatchObject({ doc: 1, position: 1 }); // first text token of paragraph 2
    expect(rows[2].context?.tokens).toHaveLength(contexts[1].tokens.length);
    // the values are the reference's (row 0 = the reference's row 1: its BOS row was dropped)
    const direct = await loadDatasetFrom({ source: 'text', text, site: 'resid:2' }, readData, () => undefined);
    const keep = Array.from(want.position.keys()).filter((r) => want.position[r] !== 0);
    expect(direct.all.x).toEqual(Float32Array.from(keep.flatMap((r) => Array.from(want.x.subarray(r * 64, r * 64 + 64)))));

    const withBos = await wb.loadDataset({ source: 'text', text, site: 'mlp:1', preprocess: { dropBos: false } });
    expect(withBos).toMatchObject({ id: 'text:mlp:1', rows: tokens, dIn: 172 });
    expect((await wb.datasetRows(withBos.id, [0]))[0]).toMatchObject({ label: '<s>', context: { position: 0, doc: 0 } });
    expect(want.rows).toBe(tokens);
  });

  it('pasted text: empty, too long or a bad site is refused with the limit and the fix; loaded data stays', { timeout: 30_000 }, async () => {
    const { wb } = bench();
    const before = await wb.loadDataset({ source: 'synthetic', knobs: KNOBS });
    await expect(wb.loadDataset({ source: 'text', text: '  \n\n ', site: 'resid:3' })).rejects.toThrow(/^text:resid:3: text: expected some text .*got an empty text: paste a few sentences/);
    await expect(wb.loadDataset({ source: 'text', text: 'x'.repeat(MAX_TEXT_CHARS + 1), site: 'resid:3' })).rejects.toThrow(
      new RegExp(`text: expected at most ${MAX_TEXT_CHARS} characters, got ${MAX_TEXT_CHARS + 1}: paste a shorter text`),
    );
    const long = 'The dog ran to the big tree and barked at the bird. '.repeat(9000); // ~110k tokens, < MAX_TEXT_CHARS
    await expect(wb.loadDataset({ source: 'text', text: long, site: 'resid:3' })).rejects.toThrow(
      new RegExp(`text: expected at most ${MAX_STORIES_TOKENS} tokens .*got \\d+: paste a shorter text, or pass maxTokens to use only its first tokens`),
    );
    const head = await wb.loadDataset({ source: 'text', text: long, site: 'resid:3', maxTokens: 100 });
    expect(head.rows).toBe(100); // only its first 100 tokens, as asked
    await expect(wb.loadDataset({ source: 'text', text: 'Hi.', site: 'resid:3', maxTokens: 0 })).rejects.toThrow(/maxTokens: expected an integer in \[1, 100000\], got 0/);
    await expect(wb.loadDataset({ source: 'text', text: 'Hi.', site: 'resid:9' })).rejects.toThrow(/resid:9/);
    expect((await wb.listDatasets()).map((d) => d.id)).toEqual([before.id, head.id]);
  });
});
