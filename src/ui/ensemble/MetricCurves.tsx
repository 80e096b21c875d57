// Metric-vs-J curves: for every run evaluated this session (store.evaluations, kept after a run is
// replaced) the ensemble metrics of its first J′ members, J′ = 1..J, as small line plots overlaid and
// coloured by method ("bagging J=4 · run 3"); single and expanded runs are one point at their J. Plus the
// Prop. 3.1 check of the latest evaluation and a table of every run at its full J. Formulas
// (seed-papers.md §2.7, core's EnsembleMetrics) are the tooltips. Reads the store; re-renders only
// when an evaluation arrives. Imports plotly (through EnsemblePlot), React, the store.

import type { PlotObject } from 'plotly.js-dist-min';
import { useMemo } from 'react';
import { useStore } from 'zustand';
import type { EnsembleEvaluation, EnsembleMetrics } from '../../engine/api.ts';
import type { AppStore } from '../store.ts';
import { methodLabel } from '../store/ensembleDraft.ts';
import { EnsemblePlot } from './EnsemblePlot.tsx';
import { DASHES, fmt, METHOD_COLORS, smallLayout } from './style.ts';

interface MetricSpec {
  key: string;
  label: string;
  /** The tooltip: the definition, as computed (src/core/ensemble/ensemble.ts). */
  formula: string;
  value: (m: EnsembleMetrics) => number | undefined;
  digits: number;
  /** Which way is better, said in the plot title. */
  better: 'lower' | 'higher' | null;
}

export const METRICS: MetricSpec[] = [
  { key: 'msePerToken', label: 'MSE per token', formula: 'MSE = (1/T) Σ_t ‖x_t − x̂_t‖²: summed over the dIn dimensions, mean over the T held-out rows (the paper\'s MSE; raw units)', value: (m) => m.msePerToken, digits: 4, better: 'lower' },
  { key: 'explainedVariance', label: 'EV (pooled)', formula: 'pooled explained variance = 1 − Σ_t ‖x_t − x̂_t‖² / Σ_t ‖x_t − μ‖², μ = mean of the held-out rows', value: (m) => m.explainedVariance, digits: 3, better: 'higher' },
  { key: 'explainedVariancePerDim', label: 'EV per dim (paper)', formula: "the paper's EV = (1/n) Σ_d [1 − Σ_t (x_t,d − x̂_t,d)² / Σ_t (x_t,d − μ_d)²]: a mean over the n input dimensions", value: (m) => m.explainedVariancePerDim, digits: 3, better: 'higher' },
  { key: 'l0', label: 'aggregate L0', formula: 'L0 = Σ_j L0_j: active latents per row of the concatenated code c = [c⁽¹⁾; …; c⁽ᴶ⁾] (boosting: the sequential codes); for topk J·k', value: (m) => m.l0, digits: 2, better: null },
  { key: 'diversity', label: 'diversity fraction', formula: 'Div/M: share of the M = Σ_j dSae_j features (decoder rows) with no other feature at signed cos ≥ 0.7 anywhere in the ensemble, same member or another', value: (m) => m.diversity.fraction, digits: 3, better: 'higher' },
  { key: 'connectivity', label: 'connectivity', formula: 'Conn = 1 − nnz(C)/M², C = Σ_t c_t c_tᵀ over the held-out rows: the share of ordered latent pairs (diagonal included) that never fire together', value: (m) => m.connectivity, digits: 3, better: 'higher' },
];
export const MCC_METRIC: MetricSpec = { key: 'mcc', label: 'MCC (ground truth)', formula: 'MCC = (1/min(M, nTrue)) Σ |cos(decoder row, true feature)| over a one-to-one Hungarian matching of the M decoder rows to the true features (synthetic data only)', value: (m) => m.mcc, digits: 3, better: 'higher' };

/** "bagging J=4 · run 3": the legend label of an evaluated run. */
export const runLabel = (e: { method: EnsembleEvaluation['method']; members: number; run: number }): string => `${methodLabel(e.method, e.members)} · run ${e.run}`;

interface Styled {
  ev: EnsembleEvaluation;
  /** Runs of the same method get different dashes. */
  dash: string;
  /** runLabel, plus the dataset when the evaluations span more than one. */
  label: string;
}

/** Evaluations oldest run first, with their dash and legend label. */
function styled(evaluations: Record<number, EnsembleEvaluation>): Styled[] {
  const list = Object.values(evaluations).sort((a, b) => a.run - b.run);
  const datasets = new Set(list.map((e) => e.dataset)).size;
  const seen = new Map<string, number>();
  return list.map((ev) => {
    const n = seen.get(ev.method) ?? 0;
    seen.set(ev.method, n + 1);
    return { ev, dash: DASHES[n % DASHES.length]!, label: datasets > 1 ? `${runLabel(ev)} · ${ev.dataset}` : runLabel(ev) };
  });
}

function curveFigure(spec: MetricSpec, runs: Styled[]): { data: PlotObject[]; layout: PlotObject } {
  let maxJ = 1;
  const data: PlotObject[] = runs.map(({ ev, dash, label }) => {
    const pts = ev.perJ.filter((p) => spec.value(p.metrics) !== undefined);
    maxJ = Math.max(maxJ, ...pts.map((p) => p.members));
    return {
      x: pts.map((p) => p.members),
      y: pts.map((p) => spec.value(p.metrics)),
      customdata: pts.map((p) => p.latents),
      name: label,
      type: 'scatter',
      mode: 'lines+markers',
      line: { color: METHOD_COLORS[ev.method], width: 1.6, dash },
      marker: { color: METHOD_COLORS[ev.method], size: 7 },
      hovertemplate: `${label}<br>J′ = %{x} (%{customdata} latents)<br>${spec.label} %{y:.4g}<extra></extra>`,
    };
  });
  const title = `${spec.label}${spec.better ? ` (${spec.better} is better)` : ''}`;
  return { data, layout: smallLayout(title, 'J′ (members used)', spec.label, { xaxis: { title: { text: 'J′ (members used)' }, dtick: 1, range: [0.5, maxJ + 0.5] } }) };
}

function CurvePlot({ spec, runs }: { spec: MetricSpec; runs: Styled[] }) {
  const fig = useMemo(() => curveFigure(spec, runs), [spec, runs]);
  return (
    <figure className="curve" title={spec.formula}>
      <EnsemblePlot data={fig.data} layout={fig.layout} testId={`curve-${spec.key}`} />
    </figure>
  );
}

export function MetricCurves({ store }: { store: AppStore }) {
  const evaluations = useStore(store, (s) => s.evaluations);
  const current = useStore(store, (s) => s.snapshot?.run ?? 0);
  const runs = useMemo(() => styled(evaluations), [evaluations]);
  if (runs.length === 0) return null;
  const specs = runs.some(({ ev }) => ev.perJ.some((p) => p.metrics.mcc !== undefined)) ? [...METRICS, MCC_METRIC] : METRICS;
  const latest = evaluations[current] ?? runs.at(-1)!.ev;
  return (
    <div className="ensemble-curves" data-testid="ensemble-curves">
      <h3 title="Each curve: the ensemble made of the first J′ members of a run (boosting: the first J′ stages), on the held-out rows of its dataset">Metrics against the number of members J′</h3>
      <ul className="legend" data-testid="curves-legend">
        {runs.map(({ ev, dash, label }) => (
          <li key={ev.run} title={`run ${ev.run} on ${ev.dataset}: ${ev.rows} ${ev.split} rows, weights of step ${ev.step}`}>
            <span className={`swatch dash-${dash}`} style={{ borderColor: METHOD_COLORS[ev.method] }} /> {label}
          </li>
        ))}
      </ul>
      <div className="curve-grid">
        {specs.map((spec) => (
          <CurvePlot key={spec.key} spec={spec} runs={runs} />
        ))}
      </div>
      <p className="check" data-testid="prop31" title="Prop. 3.1 (seed-papers.md §2.2): an ensemble is one SAE with the members' decoders stacked, D = [D⁽¹⁾ … D⁽ᴶ⁾], code c = [α₁c⁽¹⁾; …; α_J c⁽ᴶ⁾] and bias Σ_j α_j b⁽ʲ⁾ (bagging α = 1/J, boosting α = 1). The gap is max |g_Ens(x) − (D·c + b)| over every value of the held-out rows: f32 rounding when it holds.">
        Prop. 3.1 check (run {latest.run}): the concatenated SAE reconstructs the same as the ensemble, max gap {latest.prop31Gap.toExponential(1)}
        {latest.prop31Gap < 1e-4 ? ' ✓' : ' — larger than f32 rounding: the ensemble and its concatenated view disagree'}
      </p>
      <CompareTable runs={runs.map((r) => r.ev)} specs={specs} current={current} />
    </div>
  );
}

/** Every evaluated run at its full J, side by side. */
function CompareTable({ runs, specs, current }: { runs: EnsembleEvaluation[]; specs: MetricSpec[]; current: number }) {
  return (
    <div className="table-scroll">
      <table className="ensemble-table" data-testid="ensemble-compare">
        <thead>
          <tr>
            <th title="The run's id (increments with each start or load)">run</th>
            <th title="single, bagging (mean of J members), boosting (sum of J stages on residuals), expanded (one SAE with J× the latents)">method</th>
            <th title="The dataset it was evaluated on (its held-out split)">dataset</th>
            <th title="Latents of the whole ensemble, M = Σ_j dSae_j">latents</th>
            <th title="The held-out rows the metrics are over">rows</th>
            {specs.map((s) => (
              <th key={s.key} title={s.formula}>
                {s.label}
              </th>
            ))}
            <th title="max |g_Ens(x) − (D·c + b)| (Prop. 3.1)">Prop. 3.1 gap</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((ev) => {
            const last = ev.perJ.at(-1);
            return (
              <tr key={ev.run} data-run={ev.run} data-method={ev.method} className={ev.run === current ? 'current' : undefined}>
                <td>{ev.run}</td>
                <td style={{ color: METHOD_COLORS[ev.method] }}>{methodLabel(ev.method, ev.members)}</td>
                <td>{ev.dataset}</td>
                <td className="num">{last?.latents ?? '—'}</td>
                <td className="num">
                  {ev.rows} {ev.split}
                </td>
                {specs.map((s) => (
                  <td key={s.key} className="num" title={s.formula}>
                    {last ? fmt(s.value(last.metrics), s.digits) : '—'}
                  </td>
                ))}
                <td className="num">{ev.prop31Gap.toExponential(1)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
