// Runs side by side: every run of this session (store.runs: its experiment, steps, status and the metrics
// of its last snapshot) in a table sortable by any column, a button per run that puts its experiment
// back into the form (and so into the URL hash), a download of each saved run's zip (src/ui/persist/: runs
// of earlier page loads come back from this browser's storage, numbered by their run id then), a Resume
// button on an interrupted (or replaced) run with a saved checkpoint, an Open button on a saved run whose
// SAE the engine can take back (the inspector works on it again), and a Pareto plot of L0 (log x) against explained variance
// over the runs that stopped, finished or paused, with the Pareto front (lower L0, higher explained
// variance) drawn as a line. store.runs changes on status changes and at most ~2 Hz, so this never
// re-renders on every snapshot. Reads the store; imports plotly (through Plot.tsx) and React.

import type { PlotObject } from 'plotly.js-dist-min';
import { useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { Plot } from './Plot.tsx';
import { DENSE_FORMULA } from '../core/sae/density.ts';
import type { AppStore } from './store.ts';
import { keyOf, RESUMABLE } from './persist/slice.ts';
import { downloadZip } from './StoragePanel.tsx';
import { abLabel, type RunRecord } from './store/runs.ts';

/** The sparsity setting of a run: k for topk/batchtopk, λ for relu/jumprelu. */
export function sparsityOf(r: RunRecord): string {
  if (r.draft.arch === 'kmeans') return 'L0=1';
  if (r.draft.arch === 'kflats') return `r=${r.draft.rank}`;
  return r.draft.arch === 'topk' || r.draft.arch === 'batchtopk' ? `k=${r.draft.k}` : `λ=${r.draft.l1Coefficient}`;
}

/** A run's name in the table: its id, or for a run of an earlier page load its id then and when it was saved ("1 (saved 14:05)"). */
export const runName = (r: RunRecord): string => (r.saved ? `${r.saved.run} (saved ${new Date(r.saved.savedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })})` : String(r.run));

/** A short label of a run's settings, e.g. "#3 topk dSae=64 k=4 seed 0". */
export function labelOf(r: RunRecord): string {
  const ab = r.ab ? ` · ${r.ab.trainer} ${r.ab.fractionPercent}%, s=${r.ab.updatesPerBatch}` : '';
  return `#${runName(r)} ${r.draft.arch} dSae=${r.draft.dSae} ${sparsityOf(r)} seed${r.seeds.length > 1 ? 's' : ''} ${r.seeds.join(',')}${ab}`;
}

/** The runs on the Pareto plot: paused, finished or stopped, with metrics. */
const ON_PLOT = new Set<RunRecord['status']>(['paused', 'done', 'stopped', 'replaced']);

const onPlot = (r: RunRecord): boolean => ON_PLOT.has(r.status) && r.metrics !== null && r.metrics.l0 > 0 && Number.isFinite(r.metrics.explainedVariance);

/** Indices of the points on the Pareto front (no other point has L0 ≤ and EV ≥, one of them strictly), by L0. */
export function paretoFront(points: { l0: number; ev: number }[]): number[] {
  const order = points.map((_, i) => i).sort((a, b) => points[a]!.l0 - points[b]!.l0 || points[b]!.ev - points[a]!.ev);
  const front: number[] = [];
  let best = -Infinity;
  for (const i of order) {
    if (points[i]!.ev > best) {
      front.push(i);
      best = points[i]!.ev;
    }
  }
  return front;
}

type Column = { key: string; label: string; title: string; value: (r: RunRecord) => number | string | null; format?: (v: number) => string };

const num = (digits: number) => (v: number) => (!Number.isFinite(v) ? '—' : Math.abs(v) !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(2) : v.toFixed(digits));

const COLUMNS: Column[] = [
  { key: 'run', label: 'run', title: 'Run id (increments with each start)', value: (r) => r.run },
  { key: 'dataset', label: 'dataset', title: 'The dataset it trained on', value: (r) => r.draft.dataset },
  {
    key: 'method',
    label: 'method',
    title: 'single SAE, or an ensemble: bagging (J members, mean), boosting (J stages on residuals, sum), expanded (one SAE of J× latents); A/B: a run of a trainer comparison (its training fraction, PAM updates per batch, alignment; metrics on held-out rows)',
    value: (r) => (r.ab ? abLabel(r.ab) : r.draft.ensemble.method === 'single' ? 'single' : `${r.draft.ensemble.method} J=${r.draft.ensemble.members}`),
  },
  { key: 'arch', label: 'arch', title: 'Activation: topk, batchtopk, relu (L1), jumprelu, or the cluster families kmeans, kflats; and the trainer when it is not sgd (pam-sgd, lloyd, kmeans-then-pca)', value: (r) => (r.ab ? `${r.draft.arch} · ${r.ab.trainer}` : r.draft.trainer === 'sgd' ? r.draft.arch : `${r.draft.arch} · ${r.draft.trainer}`) },
  { key: 'dSae', label: 'latents', title: 'dSae: number of latents', value: (r) => r.draft.dSae },
  { key: 'sparsity', label: 'k / λ', title: 'topk/batchtopk: k; relu/jumprelu: the sparsity coefficient λ', value: (r) => sparsityOf(r) },
  { key: 'seeds', label: 'seeds', title: 'Init seeds of the members (one SAE per seed)', value: (r) => r.seeds.join(',') },
  { key: 'step', label: 'steps', title: 'Steps done / planned', value: (r) => r.step },
  { key: 'status', label: 'status', title: 'done: trained all its steps; stopped: ended early (Stop, Reset or Restart); replaced: a later run started while it was active (it stopped there); interrupted: it was training or paused when the page closed (Resume continues it from its last checkpoint)', value: (r) => r.status },
  { key: 'loss', label: 'loss', title: 'MSE + α·AuxK (+ λ·sparsity), last snapshot', value: (r) => r.metrics?.loss ?? null, format: num(4) },
  { key: 'mse', label: 'MSE', title: 'Σ_d (x − x̂)², mean over the batch, last snapshot', value: (r) => r.metrics?.mse ?? null, format: num(4) },
  { key: 'ev', label: 'expl. var.', title: '1 − Σ‖x − x̂‖² / Σ‖x − μ_batch‖², last snapshot', value: (r) => r.metrics?.explainedVariance ?? null, format: num(3) },
  { key: 'l0', label: 'L0', title: 'mean number of active latents per token, last snapshot', value: (r) => r.metrics?.l0 ?? null, format: num(2) },
  { key: 'dead', label: 'dead', title: 'share of latents that did not fire within the dead window', value: (r) => r.metrics?.deadFraction ?? null, format: num(3) },
  { key: 'dense', label: 'dense', title: DENSE_FORMULA, value: (r) => r.metrics?.denseFraction ?? null, format: num(3) },
];

function compare(a: number | string | null, b: number | string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1; // missing values last
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

export function RunsPanel({ store }: { store: AppStore }) {
  const runs = useStore(store, (s) => s.runs);
  const restoreRun = useStore(store, (s) => s.restoreRun);
  const storage = useStore(store, (s) => s.storage);
  const savedArtifacts = useStore(store, (s) => s.savedArtifacts);
  const resumeSaved = useStore(store, (s) => s.resumeSaved);
  const openSaved = useStore(store, (s) => s.openSaved);
  /** Saved runs whose zip the app can open again (every member and ensemble.json). */
  const openable = useMemo(() => new Set(storage.saved.filter((s) => s.zipBytes > 0 && s.zipKind === 'ensemble').map((s) => s.key)), [storage.saved]);
  const zips = useMemo(() => new Set(storage.saved.filter((s) => s.zipBytes > 0).map((s) => s.key)), [storage.saved]);
  /** Saved checkpoints by storage key: their step. */
  const checkpoints = useMemo(() => new Map(storage.saved.filter((s) => (s.checkpointBytes ?? 0) > 0).map((s) => [s.key, s.checkpointStep ?? 0])), [storage.saved]);
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: 'run', desc: false });
  const sorted = useMemo(() => {
    const col = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0]!;
    const out = runs.slice().sort((a, b) => compare(col.value(a), col.value(b)) || a.run - b.run);
    if (sort.desc) out.reverse();
    return out;
  }, [runs, sort]);
  // Re-plotted only when the plotted runs change (not at every ~2 Hz update of a training run's row).
  const plotted = runs.filter(onPlot);
  const plotKey = plotted.map((r) => `${r.run}:${r.metrics!.l0}:${r.metrics!.explainedVariance}`).join('|');
  // eslint-disable-next-line react-hooks/exhaustive-deps -- plotKey stands for the plotted runs
  const figure = useMemo(() => paretoFigure(plotted), [plotKey]);
  if (runs.length === 0) return null;
  return (
    <section className="runs-panel" aria-label="Runs">
      <h2>Runs</h2>
      <div className="runs-scroll">
        <table className="runs-table" data-testid="runs-table">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} title={c.title} aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
                  <button className="sort" data-testid={`runs-sort-${c.key}`} onClick={() => setSort((s) => ({ key: c.key, desc: s.key === c.key ? !s.desc : false }))}>
                    {c.label}
                    {sort.key === c.key ? (sort.desc ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={r.run} data-testid="runs-row" data-run={r.run} className={`run-${r.status}`}>
                {COLUMNS.map((c) => {
                  const v = c.value(r);
                  const text = v === null ? '—' : c.key === 'run' ? runName(r) : typeof v === 'number' && c.format ? c.format(v) : c.key === 'step' ? `${v} / ${r.steps}` : String(v);
                  return (
                    <td key={c.key} data-col={c.key} className={typeof v === 'number' || v === null ? 'num' : ''}>
                      {text}
                    </td>
                  );
                })}
                <td>
                  <button className="restore" data-testid="runs-restore" title={`Put run ${r.run}'s dataset, config and seeds into the form (and the URL)`} onClick={() => void restoreRun(r.run)}>
                    restore
                  </button>
                  {r.status !== 'training' && r.status !== 'paused' && RESUMABLE.has(r.status) && checkpoints.has(keyOf(storage.session, r)) && (
                    <button
                      className="restore"
                      data-testid="resume-run"
                      title={`Continue run ${r.saved?.run ?? r.run} from its checkpoint at step ${checkpoints.get(keyOf(storage.session, r))} (its dataset is loaded again; an upload must be picked again first). It replaces the current run.`}
                      onClick={() => void resumeSaved(keyOf(storage.session, r))}
                    >
                      resume from {checkpoints.get(keyOf(storage.session, r))}
                    </button>
                  )}
                  {r.saved && openable.has(r.saved.key) && (
                    <button className="restore" data-testid="runs-open" title={`Open run ${r.saved.run}'s saved SAE again as the current run (its dataset is loaded again): inspector, ensemble views and exports`} onClick={() => void openSaved(r.saved!.key)}>
                      open
                    </button>
                  )}
                  {zips.has(keyOf(storage.session, r)) && (
                    <button className="restore" data-testid="runs-download" title={`Download run ${r.saved?.run ?? r.run}'s saved SAELens zip (member 0) from this browser's storage`} onClick={() => void savedArtifacts(keyOf(storage.session, r)).then(downloadZip)}>
                      zip
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Plot testId="pareto-plot" data={figure.data} layout={figure.layout} />
    </section>
  );
}

/** A log10 x range around `xs` with room for the labels either side. */
function logRange(xs: number[]): [number, number] {
  const lo = Math.log10(Math.min(...xs));
  const hi = Math.log10(Math.max(...xs));
  const pad = Math.max(0.12, (hi - lo) * 0.15);
  return [lo - pad, hi + pad];
}

function paretoFigure(runs: RunRecord[]): { data: PlotObject[]; layout: PlotObject } {
  const shown = runs.filter(onPlot);
  const points = shown.map((r) => ({ l0: r.metrics!.l0, ev: r.metrics!.explainedVariance }));
  const front = paretoFront(points);
  const labels = shown.map(labelOf);
  const data: PlotObject[] = [
    {
      x: points.map((p) => p.l0),
      y: points.map((p) => p.ev),
      text: labels,
      customdata: shown.map((r) => r.run),
      type: 'scatter',
      mode: 'markers+text',
      // A comparison adds a dozen runs at once: theirs are diamonds named on hover only, or the labels pile up.
      texttemplate: shown.map((r) => (r.ab ? '' : '%{text}')),
      textposition: 'top center',
      textfont: { size: 10 },
      marker: { size: 9, color: '#2f5fd0', symbol: shown.map((r) => (r.ab ? 'diamond' : 'circle')) },
      name: 'runs',
      hovertemplate: '%{text}<br>L0 %{x:.2f} · explained variance %{y:.3f}<extra></extra>',
    },
    {
      x: front.map((i) => points[i]!.l0),
      y: front.map((i) => points[i]!.ev),
      type: 'scatter',
      mode: 'lines+markers',
      line: { color: '#d6773b', width: 1.5, dash: 'dot' },
      marker: { size: 15, color: 'rgba(0,0,0,0)', line: { color: '#d6773b', width: 1.5 } },
      name: 'Pareto front',
      hoverinfo: 'skip',
    },
  ];
  const layout: PlotObject = {
    height: 320,
    margin: { l: 56, r: 12, t: 28, b: 44 },
    title: { text: 'L0 against explained variance (upper left is better)', font: { size: 13 } },
    // Padded so the labels of the outermost points are not cut off (log axis: the range is in log10 units).
    xaxis: { title: { text: 'L0 (active latents / token, log scale)' }, type: 'log', ...(points.length > 0 ? { range: logRange(points.map((p) => p.l0)) } : {}) },
    yaxis: { title: { text: 'explained variance' } },
    showlegend: true,
    legend: { orientation: 'h', x: 1, xanchor: 'right', y: 0.02, font: { size: 11 } },
  };
  return { data, layout };
}
