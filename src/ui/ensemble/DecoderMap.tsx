// A 2-D map of every member's decoder directions: each latent's unit decoder row projected on the first
// two principal components of all the members' rows together, coloured by member. Overlapping colours
// are features several members learned; a colour alone in a region is a member's own. Hover names the
// point ("member j · latent i"); a click opens it in the inspector. The caption says how much of the
// variance the two axes keep (issue #14: 4% for a 64-d residual, so distances on the map are approximate). Imports plotly (through
// EnsemblePlot), React and the store (through LatentLink).

import type { PlotObject } from 'plotly.js-dist-min';
import { useCallback, useMemo } from 'react';
import type { EnsembleViews } from '../../engine/api.ts';
import type { AppStore } from '../store.ts';
import { EnsemblePlot, type ClickedPoint } from './EnsemblePlot.tsx';
import { openLatent } from './LatentLink.tsx';
import { memberColor } from './style.ts';

const MAX_SVG_POINTS = 5000;

export function DecoderMap({ store, views, noun }: { store: AppStore; views: EnsembleViews; noun: string }) {
  const map = views.map;
  const fig = useMemo(() => {
    const J = views.latentsPerMember.length;
    const byMember: { x: number[]; y: number[]; latent: number[] }[] = Array.from({ length: J }, () => ({ x: [], y: [], latent: [] }));
    for (let p = 0; p < map.x.length; p++) {
      const t = byMember[map.member[p]!];
      if (!t) continue;
      t.x.push(map.x[p]!);
      t.y.push(map.y[p]!);
      t.latent.push(map.latent[p]!);
    }
    const data: PlotObject[] = byMember.map((t, j) => ({
      x: t.x,
      y: t.y,
      customdata: t.latent.map((i) => [j, i]),
      text: t.latent.map((i) => `${noun} ${j} · latent ${i}`),
      name: `${noun} ${j}`,
      // SVG up to a few thousand points; WebGL beyond (SVG would stall the page).
      type: map.x.length > MAX_SVG_POINTS ? 'scattergl' : 'scatter',
      mode: 'markers',
      marker: { color: memberColor(j), size: 6, opacity: 0.7 },
      hovertemplate: '%{text}<extra></extra>',
    }));
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const layout: PlotObject = {
      height: 400,
      margin: { l: 52, r: 10, t: 28, b: 44 },
      title: { text: `decoder directions of every ${noun}, first two principal components`, font: { size: 13 } },
      xaxis: { title: { text: `PC1 (${pct(map.explained[0])} of the variance)` }, zeroline: false },
      yaxis: { title: { text: `PC2 (${pct(map.explained[1])})` }, zeroline: false },
      showlegend: true,
      legend: { orientation: 'h', y: -0.18, font: { size: 11 } },
      hovermode: 'closest',
    };
    return { data, layout };
  }, [views, map, noun]);
  const onClick = useCallback(
    (p: ClickedPoint) => {
      const c = p.customdata;
      if (Array.isArray(c) && c.length === 2) openLatent(store, Number(c[0]), Number(c[1]), 'the decoder map');
    },
    [store],
  );
  return (
    <figure className="decoder-map" title="PCA of the unit decoder rows wDec⁽ʲ⁾_i of all members stacked (J·dSae points); the axes' shares are of the rows' total variance. Click a point to inspect it.">
      <EnsemblePlot data={fig.data} layout={fig.layout} testId="decoder-map" onClick={onClick} />
      <figcaption className="muted">
        <span className="pca-caveat" data-testid="pca-caveat">
          The 2 axes explain {((map.explained[0] + map.explained[1]) * 100).toFixed(1)}% of the variance: distances are approximate
          {map.explained[0] + map.explained[1] < 0.5 ? ' (points close here may be far apart in the other dimensions; trust the cosine heatmap and matched pairs for that)' : ''}.
        </span>{' '}
        Each point is one latent's decoder direction; colours are {noun}s ({views.latentsPerMember.length} {noun}s × {views.latentsPerMember[0]} latents). Click a point to open it in the inspector.
      </figcaption>
    </figure>
  );
}
