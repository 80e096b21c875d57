// Per-latent stability: for latent i of member j, its best match (the latent of highest signed decoder
// cosine) in every other member q, and the score s_i = mean over q ≠ j of those cosines (the relaxed
// stability of seed-papers.md §2.7, per latent). The scores' distribution as one step line per member (with
// a text summary), and the rows of the
// chosen member, sortable, every latent clickable into the inspector. Imports plotly (through
// EnsemblePlot), React and the store (through LatentLink).

import type { PlotObject } from 'plotly.js-dist-min';
import { useMemo, useState } from 'react';
import type { EnsembleViews } from '../../engine/api.ts';
import type { AppStore } from '../store.ts';
import { EnsemblePlot } from './EnsemblePlot.tsx';
import { LatentLink } from './LatentLink.tsx';
import { DASHES, fmt, memberColor, smallLayout } from './style.ts';

const MAX_ROWS = 200;
/** Score bins of the step lines: 40 of width 0.05 over [−1, 1] (edges). */
const BIN = 0.05;
const EDGES = Array.from({ length: 41 }, (_, b) => Number((-1 + b * BIN).toFixed(2)));

/** Latents per bin of [−1, 1] (a score of exactly 1 falls in the last bin). score: [dSae] → [40]. */
function scoreCounts(score: ArrayLike<number>): number[] {
  const counts = new Array<number>(EDGES.length - 1).fill(0);
  for (let i = 0; i < score.length; i++) {
    const v = score[i]!;
    if (!Number.isFinite(v)) continue;
    counts[Math.min(counts.length - 1, Math.max(0, Math.floor((v + 1) / BIN + 1e-9)))]++;
  }
  return counts;
}

/** The x axis starts a bin below the lowest score (never above 0), so the lines are not squeezed at the right. */
function lowEdge(views: EnsembleViews): number {
  let lo = 0;
  for (const p of views.stability.perMember) for (const v of p.score) if (v < lo) lo = v;
  return Math.max(-1, Math.floor(lo / BIN) * BIN - BIN);
}
const SCORE_FORMULA = 's_i = (1/(J−1)) Σ_{q≠j} max_{i′} cos(wDec⁽ʲ⁾_i, wDec⁽q⁾_i′): the mean, over the other members q, of latent i\'s best signed decoder cosine in q';

export function LatentStability({ store, views, noun }: { store: AppStore; views: EnsembleViews; noun: string }) {
  const J = views.stability.perMember.length;
  const [member, setMember] = useState(0);
  const [desc, setDesc] = useState(false);
  const m = Math.min(member, J - 1);
  // Step lines, one opaque colour per member (issue #14: overlaid translucent bars mixed into colours the
  // legend does not have). Bins of 0.05 over [−1, 1], as the bars were; each line's area is its member's dSae.
  const fig = useMemo(() => {
    const data: PlotObject[] = views.stability.perMember.map((p, j) => {
      const counts = scoreCounts(p.score);
      return {
        x: [...EDGES],
        y: [...counts, counts[counts.length - 1]],
        type: 'scatter',
        mode: 'lines',
        line: { shape: 'hv', color: memberColor(j), width: 2, dash: DASHES[j % DASHES.length] }, // dashes keep a line visible where it runs over another
        name: `${noun} ${j}`,
        hovertemplate: `${noun} ${j}: %{y} latents with score in [%{x:.2f}, %{x:.2f}+0.05)<extra></extra>`,
      };
    });
    return { data, layout: smallLayout(`stability score per latent (mean ${fmt(views.stability.mean, 3)})`, 'score s_i (mean best cos in the other members)', 'latents', { showlegend: true, legend: { orientation: 'h', y: -0.35, font: { size: 11 } }, height: 250, margin: { l: 52, r: 10, t: 28, b: 70 }, xaxis: { title: { text: 'score s_i (mean best cos in the other members)' }, range: [lowEdge(views), 1] } }) };
  }, [views, noun]);
  const summary = views.stability.perMember
    .map((p, j) => {
      let sum = 0;
      let high = 0;
      for (const v of p.score) {
        sum += v;
        if (v >= 0.9) high++;
      }
      return `${noun} ${j}: mean ${fmt(p.score.length > 0 ? sum / p.score.length : NaN, 3)}, ${high} of ${p.score.length} latents ≥ 0.9`;
    })
    .join('; ');
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
        <figcaption className="muted plot-summary" data-testid="stability-summary">
          One step line per {noun} (latents per 0.05 of score): {summary}.
        </figcaption>
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
                    <LatentLink store={store} member={m} latent={i} noun={noun} from="the stability table" />
                  </td>
                  <td className="num">{fmt(p.score[i], 3)}</td>
                  {others.map((q) => {
                    // [J, dSae_m] member-major (src/core/ensemble/ensembleViews.ts): row q is the matches in member q.
                    const at = q * p.score.length + i;
                    const best = p.bestLatent[at]!;
                    return (
                      <td key={q}>
                        {best < 0 ? '—' : <LatentLink store={store} member={q} latent={best} noun={noun} from="the stability table" />} <span className="muted">{fmt(p.bestCos[at], 3)}</span>
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
