// Downstream tasks (seed-papers.md §2.7, SAEBench): concept detection (sparse probing: one-vs-rest
// probes on the top-kp latents, against the same probe on the top-kp input dimensions) and spurious
// correlation removal (SCR: zero-ablate the latents that carry a spurious marker, S_SHIFT per N), for the
// current run, plus every run of this session side by side (method, J, accuracy at kp = 1/2/5, best
// S_SHIFT). When the dataset lacks labels or a marker it says so (DownstreamReport.why) and offers the
// marked built-ins. Imports plotly (through EnsemblePlot), React and the store.

import type { PlotObject } from 'plotly.js-dist-min';
import { useMemo } from 'react';
import { useStore } from 'zustand';
import type { DownstreamReport } from '../../engine/api.ts';
import type { AppStore } from '../store.ts';
import { methodLabel } from '../store/ensembleDraft.ts';
import { EnsemblePlot } from './EnsemblePlot.tsx';
import { LatentLink } from './LatentLink.tsx';
import { fmt, METHOD_COLORS, smallLayout } from './style.ts';

/** Built-ins with class labels and a spurious corner marker on half the images (for SCR). */
export const MARKED_DATASETS = ['builtin:digits-marked', 'builtin:fashion-mnist-marked'];
const COMPARE_KPS = [1, 2, 5];

const PROBE_FORMULA =
  'For each class: a one-vs-rest logistic probe (L2, C = 1) on the kp latents of the concatenated code with the largest |mean code on the class − mean code off it| (train split), accuracy on held-out rows; averaged over classes. Input baseline: the same probe on the kp input dimensions chosen the same way.';
const SCR_FORMULA =
  'S_SHIFT = (A_abl − A_base) / (A_oracle − A_base): A_base = accuracy on unbiased rows of a probe trained where the marker always goes with the class; A_abl = the same probe after zero-ablating the N latents most tied to the marker (x − (x̂ − x̂_ablated), the SAE error kept); A_oracle = a probe trained on unbiased rows. 1 = the shortcut is fully removed, 0 = no change.';

/** S_SHIFT in words, next to every place it is shown (issue #14: it was shown as 0 with no explanation). */
const SHIFT_NOTE =
  'S_SHIFT is the share of the accuracy a spurious marker costs that ablating the N latents most tied to it wins back: 1 = the probe is as good as one trained without the shortcut, 0 = no change, below 0 = worse.';
const SHIFT_ZERO =
  'It is 0 when the ablation leaves the biased probe’s predictions on unbiased rows unchanged (A_abl = A_base): the ablated latents carry none of what the probe reads, e.g. no latent learned the marker, or the probe keys on input the SAE error keeps. A dash means it is undefined (the marker did not bias the probe).';

/** The best S_SHIFT of a report (over N), or null when none is defined. */
export function bestShift(r: DownstreamReport): number | null {
  const shifts = (r.scr?.perN ?? []).map((p) => p.shift).filter((v): v is number => v !== null && Number.isFinite(v));
  return shifts.length > 0 ? Math.max(...shifts) : null;
}

export function Downstream({ store }: { store: AppStore }) {
  const reports = useStore(store, (s) => s.downstreams);
  const current = useStore(store, (s) => s.snapshot?.run ?? 0);
  const list = useMemo(() => Object.values(reports).sort((a, b) => a.run - b.run), [reports]);
  const shown = reports[current] ?? list.at(-1);
  if (!shown) return null;
  return (
    <div className="downstream" data-testid="downstream">
      <h3>
        Downstream tasks · {methodLabel(shown.method, shown.members)} · run {shown.run} on {shown.dataset}
        <span className="muted"> ({shown.rows.toLocaleString('en-US')} rows)</span>
      </h3>
      {shown.why.length > 0 && <Why store={store} why={shown.why} />}
      <div className="plot-pair">
        {shown.probing && <ProbingPlot report={shown} />}
        {shown.scr && <ScrPlot report={shown} />}
      </div>
      {shown.probing && <PerClass store={store} report={shown} current={current} />}
      <CompareTable list={list} current={current} />
    </div>
  );
}

function Why({ store, why }: { store: AppStore; why: string[] }) {
  const catalog = useStore(store, (s) => s.catalog);
  const marked = MARKED_DATASETS.filter((id) => catalog.some((c) => c.id === id));
  return (
    <div className="note" data-testid="downstream-why">
      <ul>
        {why.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
      {marked.length > 0 && (
        <p>
          Both tasks need class labels, and SCR a spurious marker: try{' '}
          {marked.map((id, i) => (
            <span key={id}>
              {i > 0 && ' or '}
              <button className="link" data-testid={`load-${id.replace(/^builtin:/, '')}`} onClick={() => void store.getState().choose(id)} title={`Load ${id} (labelled images, half of them with a corner marker that correlates with the class in training), then train and run the tasks again`}>
                {id}
              </button>
            </span>
          ))}
          .
        </p>
      )}
    </div>
  );
}

function ProbingPlot({ report }: { report: DownstreamReport }) {
  const fig = useMemo(() => {
    const p = report.probing ?? [];
    const x = p.map((r) => `kp = ${r.kp}`);
    const data: PlotObject[] = [
      { x, y: p.map((r) => r.accuracy), name: `SAE latents (${methodLabel(report.method, report.members)})`, type: 'bar', marker: { color: METHOD_COLORS[report.method] }, hovertemplate: '%{x}: accuracy %{y:.3f}<extra>SAE latents</extra>' },
      { x, y: p.map((r) => r.inputBaseline), name: 'input dimensions (baseline)', type: 'bar', marker: { color: '#b7c0cc' }, hovertemplate: '%{x}: accuracy %{y:.3f}<extra>input dimensions</extra>' },
    ];
    return { data, layout: smallLayout('concept detection: probe accuracy', 'latents per probe (kp)', 'mean accuracy', { barmode: 'group', yaxis: { title: { text: 'mean accuracy' }, range: [0, 1] }, showlegend: true, legend: { orientation: 'h', y: -0.42, font: { size: 11 } }, height: 270, margin: { l: 52, r: 10, t: 28, b: 84 } }) };
  }, [report]);
  return (
    <figure title={PROBE_FORMULA}>
      <EnsemblePlot data={fig.data} layout={fig.layout} testId="downstream-probing" />
    </figure>
  );
}

function ScrPlot({ report }: { report: DownstreamReport }) {
  const scr = report.scr!;
  const fig = useMemo(() => {
    const data: PlotObject[] = [
      {
        x: scr.perN.map((p) => p.n),
        y: scr.perN.map((p) => p.shift),
        type: 'scatter',
        mode: 'lines+markers',
        line: { color: METHOD_COLORS[report.method] },
        name: 'S_SHIFT',
        hovertemplate: 'N = %{x} latents ablated: S_SHIFT %{y:.3f}<extra></extra>',
      },
    ];
    return { data, layout: smallLayout(`spurious correlation removal: ${scr.nameA} vs ${scr.nameB}`, 'N (latents ablated)', 'S_SHIFT', { xaxis: { title: { text: 'N (latents ablated, log scale)' }, type: 'log', tickvals: scr.perN.map((p) => p.n), ticktext: scr.perN.map((p) => String(p.n)) }, height: 270, margin: { l: 52, r: 10, t: 28, b: 44 } }) };
  }, [report, scr]);
  return (
    <figure title={SCR_FORMULA}>
      <EnsemblePlot data={fig.data} layout={fig.layout} testId="downstream-scr" />
      <figcaption className="muted" data-testid="scr-summary">
        {scr.direction}: A_base {fmt(scr.aBase, 3)}, A_oracle {fmt(scr.aOracle, 3)}
        {scr.perN.every((p) => p.shift === null) ? ' — S_SHIFT is undefined: the oracle is not 0.01 better than the biased probe (the marker did not bias it)' : ''}
        {scr.note ? `. ${scr.note}` : ''}
        <br />
        <span data-testid="sshift-note">{SHIFT_NOTE}</span>
        {scr.perN.some((p) => p.shift === 0) && <span data-testid="sshift-zero"> {SHIFT_ZERO}</span>}
      </figcaption>
    </figure>
  );
}

/** Per-class probes at each kp, with the latents they chose (clickable while the run is current). */
function PerClass({ store, report, current }: { store: AppStore; report: DownstreamReport; current: number }) {
  const perSae = useStore(store, (s) => s.runInfos[report.run]?.ensemble.latentsPerSae ?? null);
  const noun = useStore(store, (s) => (s.runInfos[report.run]?.ensemble.method === 'boosting' ? 'stage' : 'member'));
  const probing = report.probing ?? [];
  const open = report.run === current && perSae !== null;
  return (
    <details className="per-class">
      <summary>per class: accuracy and the latents each probe chose</summary>
      <div className="table-scroll short">
        <table className="ensemble-table">
          <thead>
            <tr>
              <th>class</th>
              {probing.map((p) => (
                <th key={p.kp} title={`one-vs-rest probe on ${p.kp} latent${p.kp > 1 ? 's' : ''} of the concatenated code (latent L of the ensemble = ${noun} ⌊L/dSae⌋, latent L mod dSae)`}>
                  kp = {p.kp}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {(probing[0]?.perClass ?? []).map((c, ci) => (
              <tr key={c.cls}>
                <td>{c.name}</td>
                {probing.map((p) => {
                  const pc = p.perClass[ci];
                  return (
                    <td key={p.kp}>
                      {fmt(pc?.accuracy, 3)}{' '}
                      <span className="latent-links">
                        {(pc?.latents ?? []).map((L) =>
                          open ? <LatentLink key={L} store={store} member={Math.floor(L / perSae)} latent={L % perSae} noun={noun} from="the downstream tasks" /> : <span key={L} className="muted">{L} </span>,
                        )}
                      </span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/** Every run with a downstream report this session: the side-by-side comparison of methods. */
function CompareTable({ list, current }: { list: DownstreamReport[]; current: number }) {
  return (
    <div className="table-scroll">
      <table className="ensemble-table" data-testid="downstream-compare">
        <thead>
          <tr>
            <th>run</th>
            <th title="single, bagging, boosting, expanded">method</th>
            <th>dataset</th>
            {COMPARE_KPS.map((kp) => (
              <th key={kp} title={PROBE_FORMULA}>
                acc. kp = {kp}
              </th>
            ))}
            <th title="The same probes on input dimensions, kp = 1 / 2 / 5">input baseline</th>
            <th title={`${SCR_FORMULA} Best over N.`}>best S_SHIFT</th>
          </tr>
        </thead>
        <tbody>
          {list.map((r) => {
            const at = (kp: number) => r.probing?.find((p) => p.kp === kp);
            return (
              <tr key={r.run} data-run={r.run} data-method={r.method} className={r.run === current ? 'current' : undefined}>
                <td>{r.run}</td>
                <td style={{ color: METHOD_COLORS[r.method] }}>{methodLabel(r.method, r.members)}</td>
                <td>{r.dataset}</td>
                {COMPARE_KPS.map((kp) => (
                  <td key={kp} className="num">
                    {fmt(at(kp)?.accuracy, 3)}
                  </td>
                ))}
                <td className="num">{COMPARE_KPS.map((kp) => fmt(at(kp)?.inputBaseline, 2)).join(' / ')}</td>
                <td className="num">{r.scr ? fmt(bestShift(r), 3) : <span className="muted">no marker</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted" data-testid="sshift-table-note">
        best S_SHIFT: {SHIFT_NOTE} {SHIFT_ZERO}
      </p>
    </div>
  );
}
