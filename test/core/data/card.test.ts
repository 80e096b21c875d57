// Dataset cards, checked against values worked by hand on tiny datasets.
import { describe, expect, it } from 'vitest';
import type { LabelledDataset } from '../../../src/core/data/card.ts';
import { datasetCard, hasLabels, histogram, quantileSorted, rowNorms } from '../../../src/core/data/card.ts';
import type { Dataset } from '../../../src/core/sae/types.ts';

// Rows (3, 4), (0, 0), (6, 8): norms 5, 0, 10.
const base: Dataset = { name: 'tiny', rows: 3, dIn: 2, x: Float32Array.from([3, 4, 0, 0, 6, 8]) };

describe('datasetCard: hand-worked statistics', () => {
  const card = datasetCard(base, { source: 'hand-made', licence: 'CC0-1.0', bins: 2 });

  it('shape, dtype, source and licence', () => {
    expect([card.name, card.rows, card.dIn, card.shape, card.dtype, card.source, card.licence]).toEqual(['tiny', 3, 2, [3, 2], 'float32', 'hand-made', 'CC0-1.0']);
    expect([card.labels, card.hasGroundTruth]).toEqual([null, false]);
  });

  it('mean, population std, min and max over all entries', () => {
    // entries 3, 4, 0, 0, 6, 8: mean 21/6 = 3.5; squared deviations .25 .25 12.25 12.25 6.25 20.25 → 51.5/6
    expect(card.mean).toBeCloseTo(3.5, 12);
    expect(card.std).toBeCloseTo(Math.sqrt(51.5 / 6), 12);
    expect([card.min, card.max]).toEqual([0, 8]);
  });

  it('norm distribution: mean, std, quantiles (linear), histogram', () => {
    // norms 0, 5, 10: mean 5, std √(50/3); quantile q at position 2q between order statistics
    expect(card.norm.mean).toBeCloseTo(5, 12);
    expect(card.norm.std).toBeCloseTo(Math.sqrt(50 / 3), 12);
    expect([card.norm.min, card.norm.max]).toEqual([0, 10]);
    expect(card.norm.quantiles).toEqual([
      { q: 0, value: 0 },
      { q: 0.05, value: 0.5 },
      { q: 0.25, value: 2.5 },
      { q: 0.5, value: 5 },
      { q: 0.75, value: 7.5 },
      { q: 0.95, value: 9.5 },
      { q: 1, value: 10 },
    ].map(({ q, value }) => ({ q, value: expect.closeTo(value, 12) as unknown as number })));
    // bins [0, 5) and [5, 10]: 0 | 5, 10
    expect(card.norm.histogram).toEqual({ edges: [0, 5, 10], counts: [1, 2] });
  });

  it('class labels: every class in id order, zero counts included', () => {
    const d: LabelledDataset = { ...base, labels: Int32Array.from([1, 0, 1]), labelNames: ['a', 'b', 'c'] };
    expect(datasetCard(d).labels).toEqual({
      kind: 'class',
      distinct: 2,
      counts: [
        { label: 'a', count: 1 },
        { label: 'b', count: 2 },
        { label: 'c', count: 0 },
      ],
      examples: ['b', 'a', 'b'],
    });
  });

  it('text labels: most frequent first, ties by first appearance, top N', () => {
    const d: LabelledDataset = { ...base, rows: 3, labels: ['y', 'x', 'x'], labelNames: [] };
    const l = datasetCard(d, { topLabels: 1, examples: 2 }).labels;
    expect(l).toEqual({ kind: 'text', distinct: 2, counts: [{ label: 'x', count: 2 }], examples: ['y', 'x'] });
    const tie: LabelledDataset = { ...base, labels: ['q', 'p', 'r'], labelNames: [] };
    expect(datasetCard(tie).labels?.counts.map((c) => c.label)).toEqual(['q', 'p', 'r']);
  });

  it('hasLabels needs one label per row; ground truth is noted', () => {
    expect(hasLabels({ ...base, labels: ['a'], labelNames: [] } as Dataset)).toBe(false);
    expect(datasetCard({ ...base, truth: { nFeatures: 1, features: Float32Array.from([1, 0]) } }).hasGroundTruth).toBe(true);
  });
});

describe('helpers', () => {
  it('rowNorms', () => {
    expect(Array.from(rowNorms(base.x, 3, 2))).toEqual([5, 0, 10]);
  });

  it('quantileSorted interpolates like numpy (linear)', () => {
    const s = [1, 2, 4, 8];
    // positions 3q: q=1/3 → 2; q=0.5 → 1.5 → 3; q=0.9 → 2.7 → 4 + 0.7·4 = 6.8
    expect([quantileSorted(s, 0), quantileSorted(s, 1 / 3), quantileSorted(s, 0.5), quantileSorted(s, 0.9), quantileSorted(s, 1)]).toEqual([1, 2, 3, expect.closeTo(6.8, 12), 8]);
    expect(quantileSorted([], 0.5)).toBe(0);
  });

  it('histogram: the maximum falls in the last bin; constant data in the first', () => {
    expect(histogram([0, 1, 2, 3, 4], 4, 0, 4)).toEqual({ edges: [0, 1, 2, 3, 4], counts: [1, 1, 1, 2] });
    expect(histogram([2, 2], 3, 2, 2).counts).toEqual([2, 0, 0]);
  });
});
