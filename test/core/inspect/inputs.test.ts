// How the inspector shows a row (inputs.ts), worked by hand: token windows within ±window positions of
// one context (gaps where rows were dropped, a probe's activations on each token), image / word / row
// views, and text top rows (latentDetail) drawn as highlighted windows.
import { describe, expect, it } from 'vitest';
import type { LabelledDataset } from '../../../src/core/data/card.ts';
import { inputRef, startsWord, tokenContext } from '../../../src/core/inspect/inputs.ts';
import type { TextDataset } from '../../../src/core/inspect/inputs.ts';
import { latentDetail } from '../../../src/core/inspect/inspect.ts';
import type { Dataset } from '../../../src/core/sae/types.ts';
import { f32, tinyData, tinySae } from './fixtures.ts';

describe('tokenContext with whole words', () => {
  // One context: "<s>| Once| up|on| a| tim|e|,| the|re" at positions 0..9 (labels as tokenLabel gives them).
  const labels = ['<s>', ' Once', ' up', 'on', ' a', ' tim', 'e', ',', ' the', 're'];
  const where = { context: new Int32Array(10), position: Int32Array.from({ length: 10 }, (_, i) => i) };

  it('startsWord: a leading space or ▁, specials and punctuation start words; word pieces do not', () => {
    expect([' Once', '▁a', '<s>', ',', '\n', 'on', 'e', 're', 'X1'].map(startsWord)).toEqual([true, true, true, true, true, false, false, false, false]);
  });

  it('grows a ±window cut to the word boundaries on both sides, within maxExtend', () => {
    // row 4 " a", window 1 → rows 3..5 = "on a tim": grows back to " up" (2) and on to "e" (6); "," (7) starts a word
    const w = tokenContext(labels, where, 4, 1, undefined, { startsWord });
    expect(w.tokens.map((t) => t.token).join('|')).toBe(' up|on| a| tim|e');
    expect(w.focus).toBe(2);
    // without words the cut stays mid-word
    expect(tokenContext(labels, where, 4, 1).tokens.map((t) => t.token).join('|')).toBe('on| a| tim');
    // maxExtend 0 changes nothing; the end of the context stops the growth (" the|re" at the end)
    expect(tokenContext(labels, where, 4, 1, undefined, { startsWord, maxExtend: 0 }).tokens.map((t) => t.row)).toEqual([3, 4, 5]);
    expect(tokenContext(labels, where, 8, 0, undefined, { startsWord }).tokens.map((t) => t.row)).toEqual([8, 9]);
    // never into another context: a piece at a context's start does not pull the previous context in
    const two = { context: Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]), position: Int32Array.from([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]) };
    expect(tokenContext(labels, two, 6, 0, undefined, { startsWord }).tokens.map((t) => t.row)).toEqual([5, 6]);
  });
});

describe('tokenContext', () => {
  // Two contexts: context 0 = positions 0..3, context 1 = positions 0..2 (rows 4..6).
  const tokens = Int32Array.from([1, 10, 11, 12, 1, 20, 21]);
  const where = { context: Int32Array.from([0, 0, 0, 0, 1, 1, 1]), position: Int32Array.from([0, 1, 2, 3, 0, 1, 2]) };

  it('the rows within ±window positions in the same context, the row marked', () => {
    const c = tokenContext(tokens, where, 2, 1);
    expect(c.context).toBe(0);
    expect(c.focus).toBe(1);
    expect(c.tokens).toEqual([
      { row: 1, position: 1, token: 10, focus: false },
      { row: 2, position: 2, token: 11, focus: true },
      { row: 3, position: 3, token: 12, focus: false },
    ]);
    // never crosses into another context
    expect(tokenContext(tokens, where, 4, 5).tokens.map((t) => t.row)).toEqual([4, 5, 6]);
    expect(tokenContext(tokens, where, 3, 5).tokens.map((t) => t.row)).toEqual([0, 1, 2, 3]);
    expect(tokenContext(tokens, where, 0, 0).tokens.map((t) => t.row)).toEqual([0]);
  });

  it('one context id for two adjacent contexts: the restart of positions ends the window', () => {
    // src/engine/inspect/inspectRun.ts passes the document as the context id: contexts of one document restart at 0 or 1.
    const same = { context: new Int32Array(7), position: where.position };
    expect(tokenContext(tokens, same, 4, 5).tokens.map((t) => t.row)).toEqual([4, 5, 6]);
    expect(tokenContext(tokens, same, 3, 5).tokens.map((t) => t.row)).toEqual([0, 1, 2, 3]);
    const noBos = { context: new Int32Array(4), position: Int32Array.from([1, 2, 1, 2]) };
    expect(tokenContext(['a', 'b', 'c', 'd'], noBos, 1, 3).tokens.map((t) => t.row)).toEqual([0, 1]);
    expect(tokenContext(['a', 'b', 'c', 'd'], noBos, 2, 3).tokens.map((t) => t.row)).toEqual([2, 3]);
  });

  it('rows dropped or split off leave gaps; the window is in positions, not rows', () => {
    // BOS dropped and position 2 of context 0 split off: rows (c,p) = (0,1)(0,3)(0,4)(1,1)
    const w = { context: Int32Array.from([0, 0, 0, 1]), position: Int32Array.from([1, 3, 4, 1]) };
    const c = tokenContext(['a', 'c', 'd', 'x'], w, 1, 1);
    expect(c.tokens.map((t) => [t.position, t.token])).toEqual([[3, 'c'], [4, 'd']]);
    expect(tokenContext(['a', 'c', 'd', 'x'], w, 1, 2).tokens.map((t) => t.position)).toEqual([1, 3, 4]);
  });

  it('with a probe each token carries the latent activation (highlighted context)', () => {
    // 7 rows, x = (row, 0): latent 0 of tinySae has f0 = row → values 1, 2, 3 on rows 1..3
    const data: Dataset = { name: 'seq', rows: 7, dIn: 2, x: f32([0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0]) };
    const c = tokenContext(tokens, where, 2, 1, { sae: tinySae(), data, latent: 0 });
    expect(c.tokens.map((t) => t.value)).toEqual([1, 2, 3]);
  });

  it('rejects mismatched bookkeeping', () => {
    expect(() => tokenContext(tokens, { context: new Int32Array(3), position: new Int32Array(7) }, 0, 1)).toThrow(/one length/);
    expect(() => tokenContext(tokens, where, 7, 1)).toThrow(/row/);
  });
});

describe('inputRef and text top rows', () => {
  it('images: class-labelled data with a square dIn, pixels and class name', () => {
    const d: LabelledDataset = { name: 'img', rows: 2, dIn: 4, x: f32([0, 0.5, 1, 0, 1, 1, 0, 0]), labels: Int32Array.from([1, 0]), labelNames: ['shoe', 'bag'] };
    expect(inputRef(d, 1).kind).toBe('image');
    expect(inputRef(d, 0)).toEqual({ kind: 'image', row: 0, width: 2, height: 2, pixels: f32([0, 0.5, 1, 0]), label: 'bag' });
    // an explicit shape wins; a wrong one is rejected
    expect(inputRef(d, 1, { image: { width: 4, height: 1 } })).toMatchObject({ width: 4, height: 1, label: 'shoe' });
    expect(() => inputRef(d, 1, { image: { width: 3, height: 1 } })).toThrow(/width·height = dIn = 4/);
  });

  it('words, plain rows and class-labelled rows that are not square', () => {
    const words: LabelledDataset = { name: 'glove', rows: 2, dIn: 3, x: new Float32Array(6), labels: ['the', 'cat'], labelNames: [] };
    expect(inputRef(words, 0).kind).toBe('word');
    expect(inputRef(words, 1)).toEqual({ kind: 'word', row: 1, word: 'cat' });
    expect(inputRef(tinyData, 0).kind).toBe('row');
    expect(inputRef(tinyData, 3)).toEqual({ kind: 'row', row: 3, label: null });
    const classes: LabelledDataset = { name: 'csv', rows: 1, dIn: 3, x: new Float32Array(3), labels: Int32Array.from([2]), labelNames: [] };
    expect(inputRef(classes, 0)).toEqual({ kind: 'row', row: 0, label: '2' });
  });

  it('text activations: token refs and highlighted windows of the top rows', () => {
    // rows = 2 contexts of 3 positions; x = (v, 0) so latent 0 of tinySae has f0 = v
    const text: TextDataset = {
      name: 'text',
      rows: 6,
      dIn: 2,
      x: f32([0, 0, 4, 0, 1, 0, 0, 0, 2, 0, 4, 0]),
      tokens: Int32Array.from([1, 7, 8, 1, 9, 7]),
      context: Int32Array.from([0, 0, 0, 1, 1, 1]),
      position: Int32Array.from([0, 1, 2, 0, 1, 2]),
    };
    expect(inputRef(text, 0).kind).toBe('token');
    expect(inputRef(text, 4)).toEqual({ kind: 'token', row: 4, token: 9, context: 1, position: 1 });
    // latent 0 values 0,4,1,0,2,4 → top 2: rows 1 (4) and 5 (4), the tie to the lower row
    const top = latentDetail(tinySae(), text, 0, { topN: 2 }).top;
    expect(top.map((t) => [t.row, t.value])).toEqual([[1, 4], [5, 4]]);
    const windows = top.map((t) => tokenContext(text.tokens, text, t.row, 1, { sae: tinySae(), data: text, latent: 0 }));
    expect(windows[0].tokens.map((t) => [t.token, t.value, t.focus])).toEqual([[1, 0, false], [7, 4, true], [8, 1, false]]);
    expect(windows[1].tokens.map((t) => [t.token, t.value, t.focus])).toEqual([[9, 2, false], [7, 4, true]]);
    // non-text data: its top row is shown by its row view
    expect(latentDetail(tinySae(), tinyData, 0, { topN: 1 }).top).toEqual([{ row: 3, value: 3 }]);
    expect(latentDetail(tinySae(), tinyData, 2, { topN: 3 }).top).toEqual([]);
  });
});
