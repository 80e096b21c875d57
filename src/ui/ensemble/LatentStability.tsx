// Per-latent stability: for latent i of member j, its best match (the latent of highest signed decoder
// cosine) in every other member q, and the score s_i = mean over q ≠ j of those cosines (the relaxed
// stability of seed-papers.md §2.7, per latent). A histogram of the scores per member, and the rows of the
// chosen member, sortable, every latent clickable into the inspector. Imports plotly (through
// EnsemblePlot), React and the store (through LatentLink).

import type { PlotObject } from 'plotly.js-dist-min';
import { useMemo, useState } from 'react';
import type { EnsembleViews } from '../../engine/api.ts';
import type { AppStore } from '../store.ts';
import { EnsemblePlot } from './EnsemblePlot.tsx';
import { LatentLink } from './LatentLink.tsx';
import { fmt, memberColor, smallLayout } from './style.ts';

const MAX_ROWS = 200;
const SCORE_FORMULA = 's_i = (1/(J−1)) Σ_{q≠j} max_{i′} cos(wDec⁽ʲ⁾_i, wDec⁽q⁾_i′): the mean, over the other members q, of latent i\'s best signed decoder cosine in q';

export function LatentStability({ store, views, noun }: { store: AppStore; views: EnsembleViews; noun: string }) {
  const J = views.stability.perMember.length;
  const [member, setMember] = useState(0);
  const [desc, setDesc] = useState(false);
  const m = Math.min(member, J - 1);
  const fig = useMemo(() => {
    const data: PlotObject[] = views.stability.perMember.map((p, j) => ({
      x: Array.from(p.score),
      type: 'histogram',
      name: `${noun} ${j}`,
      opacity: 0.6,
      xbins: { start: -1, end: 1.0001, size: 0.05 },
      marker: { color: memberColor(j) },
      hovertemplate: `${noun} ${j}: %{y} latents with score in %{x}<extra></extra>`,
    }));
    return { data, layout: smallLayout(`stability score per latent (mean ${fmt(views.stability.mean, 3)})`, 'score s_i (mean best cos in the other members)', 'latents', { barmode: 'overlay', showlegend: true, legend: { orientation: 'h', y: -0.35, font: { size: 11 } }, height: 250, margin: { l: 52, r: 10, t: 28, b: 70 } }) };
  }, [views, noun]);
  const rows = useMemo(() => {
    const p = views.stability.perMember[m];
    if (!p) return [];
    const idx = Array.from(p.score, (_, i) => i);
    idx.sort((i, k) => (desc ? -1 : 1) * (p.score[i]! - p.score[k]!) || i - k);
    return idx;
  }, [views, m, desc]);
  const p = views.stability.perMember[m];
  const others = Array.from({ length: J }, (_, q) => q).filter((q) => q !== m);
  return (
    <div className="latent-stability">
      <h4 title={`${SCORE_FORMULA}. The run's stability is the mean over every latent of every member.`}>per-latent stability</h4>
      <figure title={SCORE_FORMULA}>
        <EnsemblePlot data={fig.data} layout={fig.layout} testId="stability-hist" />
      </figure>
      <label className="inline" title="Whose latents the table lists">
        {noun}{' '}
        <select data-testid="stability-member" value={m} onChange={(e) => setMember(Number(e.currentTarget.value))}>
          {Array.from({ length: J }, (_, j) => (
            <option key={j} value={j}>
              {noun} {j}
            </option>
          ))}
        </select>
      </label>
      <div className="table-scroll short">
        <table className="ensemble-table" data-testid="stability-table">
          <thead>
            <tr>
              <th title={`latent i of ${noun} ${m}`}>latent</th>
              <th title={SCORE_FORMULA} aria-sort={desc ? 'descending' : 'ascending'}>
                <button className="sort" data-testid="stability-sort" onClick={() => setDesc((d) => !d)}>
                  score {desc ? '▾' : '▴'}
                </button>
              </th>
              {others.map((q) => (
                <th key={q} title={`argmax_i′ cos(wDec⁽${m}⁾_i, wDec⁽${q}⁾_i′): latent i's best match in ${noun} ${q}, and that cosine`}>
                  best in {noun} {q} (cos)
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {p &&
              rows.slice(0, MAX_ROWS).map((i) => (
                <tr key={i}>
                  <td>
                    <LatentLink store={store} member={m} latent={i} noun={noun} />
                  </td>
                  <td className="num">{fmt(p.score[i], 3)}</td>
                  {others.map((q) => {
                    // [J, dSae_m] member-major (src/core/ensemble/ensembleViews.ts): row q is the matches in member q.
                    const at = q * p.score.length + i;
                    const best = p.bestLatent[at]!;
                    return (
                      <td key={q}>
                        {best < 0 ? '—' : <LatentLink store={store} member={q} latent={best} noun={noun} />} <span className="muted">{fmt(p.bestCos[at], 3)}</span>
                      </td>
                    );
                  })}
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      <p className="muted">{rows.length > MAX_ROWS ? `Showing ${MAX_ROWS} of ${rows.length} latents, least stable first (sort to flip).` : `${rows.length} latents, ${desc ? 'most' : 'least'} stable first.`}</p>
    </div>
  );
}
