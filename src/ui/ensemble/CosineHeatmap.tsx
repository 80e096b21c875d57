// The cross-member decoder-cosine heatmap: signed cos(wDec⁽ᵃ⁾_i, wDec⁽ᵇ⁾_j) between members a and b,
// rows and columns in Hungarian-matched order (matched pairs on the diagonal, best first), so a bright
// diagonal is "the two members learned the same features" and its fading is where they differ.
// Diverging colours on −1..1; axes labelled by latent numbers. Large members are cut to the first
// MAX_SIDE matched rows/columns (said under the plot). Imports plotly (through EnsemblePlot) and React.

import type { PlotObject } from 'plotly.js-dist-min';
import { useMemo } from 'react';
import type { EnsembleViews } from '../../engine/api.ts';
import { EnsemblePlot } from './EnsemblePlot.tsx';

/** Rows and columns drawn at most (the best-matched first): 256² cells keep plotly responsive. */
export const MAX_SIDE = 256;

/** Blue (−1) · white (0) · red (+1). */
const DIVERGING = [
  [0, '#2c5fb8'],
  [0.5, '#ffffff'],
  [1, '#c8322b'],
];

/** The heatmap's z rows (nested arrays, the first `side` matched rows and columns) from the row-major cos. */
export function heatmapRows(h: EnsembleViews['heatmap'], side: number): number[][] {
  const rows = Math.min(h.rows, side);
  const cols = Math.min(h.cols, side);
  const z: number[][] = [];
  for (let r = 0; r < rows; r++) z.push(Array.from(h.cos.subarray(r * h.cols, r * h.cols + cols)));
  return z;
}

export function CosineHeatmap({ views, noun }: { views: EnsembleViews; noun: string }) {
  const h = views.heatmap;
  const fig = useMemo(() => {
    const rows = Math.min(h.rows, MAX_SIDE);
    const cols = Math.min(h.cols, MAX_SIDE);
    const data: PlotObject[] = [
      {
        type: 'heatmap',
        z: heatmapRows(h, MAX_SIDE),
        // Category axes: the latent numbers in matched order ("12" is member b's latent 12, not position 12).
        x: Array.from(h.colLatents.subarray(0, cols), String),
        y: Array.from(h.rowLatents.subarray(0, rows), String),
        zmin: -1,
        zmax: 1,
        colorscale: DIVERGING,
        colorbar: { title: { text: 'cos' }, thickness: 12 },
        hovertemplate: `${noun} ${h.a} latent %{y} · ${noun} ${h.b} latent %{x}<br>cos %{z:.3f}<extra></extra>`,
      },
    ];
    const layout: PlotObject = {
      height: 420,
      margin: { l: 64, r: 10, t: 28, b: 56 },
      title: { text: `decoder cosines, ${noun} ${h.a} (rows) × ${noun} ${h.b} (columns), matched order`, font: { size: 13 } },
      xaxis: { type: 'category', title: { text: `${noun} ${h.b} latent` }, tickfont: { size: 9 } },
      yaxis: { type: 'category', title: { text: `${noun} ${h.a} latent` }, autorange: 'reversed', tickfont: { size: 9 } },
    };
    return { data, layout };
  }, [h, noun]);
  const cut = h.rows > MAX_SIDE || h.cols > MAX_SIDE;
  return (
    <figure className="heatmap" title="cos(wDec⁽ᵃ⁾_i, wDec⁽ᵇ⁾_j), signed, of unit decoder rows; rows and columns ordered by the Hungarian matching that maximises Σ cos, best-matched pairs first, so matched pairs lie on the diagonal">
      <EnsemblePlot data={fig.data} layout={fig.layout} testId="cosine-heatmap" />
      <figcaption className="muted">
        Red: the same direction (cos near 1), white: unrelated, blue: opposite. Matched pairs run down the diagonal, best first.
        {cut ? ` Showing the first ${MAX_SIDE} of ${h.rows} × ${h.cols} (the best-matched).` : ''}
      </figcaption>
    </figure>
  );
}
