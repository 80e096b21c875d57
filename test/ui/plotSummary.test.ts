// Plots' text alternatives (issue #14 accessibility): the sentence a screen reader gets says each trace's
// extent, last value and range, read from the figure's own data (typed arrays too), for lines, histograms
// and heatmaps; an empty figure says so; non-finite values do not leak into the numbers.

import { describe, expect, it } from 'vitest';
import { describePlot } from '../../src/ui/plotSummary.ts';

describe('describePlot', () => {
  it('lines: points, x extent, last value, min and max per trace', () => {
    const s = describePlot(
      [
        { type: 'scatter', name: 'loss', x: [0, 1, 2, 3], y: [0.9, 0.5, NaN, 0.25] },
        { type: 'scatter', name: 'MSE', x: Float64Array.from([0, 3]), y: Float32Array.from([0.8, 0.2]) },
      ],
      { title: { text: 'loss and its parts' } },
    );
    expect(s).toBe('loss and its parts. loss: 3 points, last 0.25, min 0.25, max 0.9; MSE: 2 points over 0–3, last 0.2 at 3, min 0.2, max 0.8.');
  });

  it('histograms give count, extent and median; heatmaps their size and value range', () => {
    expect(describePlot([{ type: 'histogram', name: 'latents', x: [-10, -2, -3, -1.5, -2.5] }], { title: 'feature density' })).toBe(
      'feature density. latents: histogram of 5 values from -10 to -1.5, median -2.5.',
    );
    expect(describePlot([{ type: 'heatmap', name: 'overlap', z: [[0, 1, 2], [3, 4, 5e-5]] }], {})).toBe(
      'chart. overlap: 2×3 heatmap, values 0 to 4.',
    );
  });

  it('says when there is nothing to read', () => {
    expect(describePlot([], { title: { text: 'L0' } })).toBe('L0: no data yet');
    expect(describePlot([{ type: 'scatter', x: [], y: [] }], { title: 'EV' })).toBe('EV. series 1: no points.');
  });
});
