// The page: what this is, the WebGPU note, the dataset picker with its card (DatasetPanel.tsx), the
// experiment form, train / pause / stop, progress, the loss curve, the final metrics and the feature
// inspector (FeaturePanel.tsx). Reads the store
// (src/ui/store.ts); sees the engine only through it.
// Must not import engine, gpu or core values (types and core/config defaults only).

import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { ARCHS, type Arch } from '../core/types.ts';
import type { Snapshot } from '../engine/api.ts';
import { DatasetPanel } from './DatasetPanel.tsx';
import { FeaturePanel } from './FeaturePanel.tsx';
import { Plot } from './Plot.tsx';
import type { AppStore, Draft, LossSeries } from './store.ts';

export function App({ store }: { store: AppStore }) {
  const error = useStore(store, (s) => s.error);
  return (
    <main>
      <h1>SAE Workbench</h1>
      <p className="lede">Train a sparse autoencoder on activations, in your browser, and watch what it learns.</p>
      <BackendNote store={store} />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <DatasetPanel store={store} />
      <DraftForm store={store} />
      <Controls store={store} />
      <Progress store={store} />
      <LossPlot store={store} />
      <Metrics store={store} />
      <FeaturePanel store={store} />
    </main>
  );
}

function BackendNote({ store }: { store: AppStore }) {
  const backend = useStore(store, (s) => s.backend);
  const hasWebGpu = typeof navigator !== 'undefined' && 'gpu' in navigator;
  return (
    <p className="note" data-testid="backend-note">
      {hasWebGpu ? 'WebGPU is available in this browser.' : 'WebGPU is not available in this browser.'}
      {backend ? ` Engine: ${backend.why}.` : ' Starting the engine…'}
    </p>
  );
}

function NumberField({ label, title, value, min, onChange }: { label: string; title: string; value: number; min: number; onChange: (v: number) => void }) {
  return (
    <label title={title}>
      {label}
      <input type="number" min={min} step={1} value={value} onChange={(e) => onChange(e.currentTarget.valueAsNumber)} />
    </label>
  );
}

function DraftForm({ store }: { store: AppStore }) {
  const [draft, setDraft] = useStore(store, useShallow((s) => [s.draft, s.setDraft] as const));
  const field = (key: keyof Omit<Draft, 'dataset' | 'arch'>, label: string, title: string, min: number) => (
    <NumberField label={label} title={title} value={draft[key]} min={min} onChange={(v) => setDraft({ [key]: v })} />
  );
  return (
    <fieldset>
      <legend>Experiment</legend>
      <label title="The loaded dataset runs train on (its train split); pick another above">
        dataset
        <output className="dataset-id">{draft.dataset}</output>
      </label>
      <label title="Activation: topk keeps the k largest latents per token">
        arch
        <select value={draft.arch} onChange={(e) => setDraft({ arch: e.currentTarget.value as Arch })}>
          {ARCHS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
      {field('dSae', 'latents', 'dSae: number of latents (dictionary size)', 1)}
      {(draft.arch === 'topk' || draft.arch === 'batchtopk') && field('k', 'k', 'Active latents per token', 1)}
      {field('steps', 'steps', 'Optimizer steps', 1)}
      {field('batch', 'batch', 'Tokens per step', 1)}
      {field('seed', 'seed', 'Seeds init and batch order: same seed, same run', 0)}
    </fieldset>
  );
}

function Controls({ store }: { store: AppStore }) {
  const [status, train, togglePause, stop] = useStore(store, useShallow((s) => [s.status, s.train, s.togglePause, s.stop] as const));
  const active = status === 'training' || status === 'paused';
  return (
    <div className="controls">
      <button data-testid="train-start" onClick={() => void train()}>
        {active ? 'Restart' : 'Train'}
      </button>
      <button data-testid="train-pause" disabled={!active} onClick={() => void togglePause()}>
        {status === 'paused' ? 'Resume' : 'Pause'}
      </button>
      <button data-testid="train-stop" disabled={!active} onClick={() => void stop()}>
        Stop
      </button>
      <span className={`status status-${status}`} data-testid="train-status">
        {status}
      </span>
    </div>
  );
}

function Progress({ store }: { store: AppStore }) {
  const snap = useStore(store, (s) => s.snapshot);
  return (
    <p className="progress">
      step <span data-testid="step-count">{snap?.step ?? 0}</span> / {snap?.steps || store.getState().draft.steps}
      {snap && snap.tokensPerSecond > 0 && ` · ${fmt(snap.tokensPerSecond, 0)} tokens/s`}
    </p>
  );
}

/** The loss curve: subscribes outside React's render path and redraws at most once per animation frame. */
function LossPlot({ store }: { store: AppStore }) {
  const [series, setSeries] = useState<LossSeries>(() => store.getState().loss);
  useEffect(() => {
    let frame = 0;
    const unsubscribe = store.subscribe((s, prev) => {
      if (s.loss === prev.loss || frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setSeries(store.getState().loss);
      });
    });
    return () => {
      unsubscribe();
      cancelAnimationFrame(frame);
    };
  }, [store]);
  const data = useMemo(() => [{ x: series.steps, y: series.loss, type: 'scatter', mode: 'lines', name: 'loss', line: { width: 1.5 } }], [series]);
  return <Plot data={data} layout={LOSS_LAYOUT} testId="loss-plot" />;
}

const LOSS_LAYOUT = {
  height: 280,
  margin: { l: 56, r: 16, t: 28, b: 40 },
  title: { text: 'training loss', font: { size: 14 } },
  xaxis: { title: { text: 'step' } },
  yaxis: { title: { text: 'loss' }, type: 'log' },
};

/** One definition per metric, shown as a tooltip (definitions: src/core/train.ts StepStats). */
const METRICS: { key: keyof Snapshot; label: string; formula: string; format: (v: number) => string }[] = [
  { key: 'loss', label: 'loss', formula: 'MSE + α·AuxK (+ λ·sparsity for relu/jumprelu)', format: (v) => fmt(v, 4) },
  { key: 'mse', label: 'MSE', formula: 'Σ_d (x − x̂)², mean over the batch', format: (v) => fmt(v, 4) },
  { key: 'explainedVariance', label: 'explained variance', formula: '1 − Σ‖x − x̂‖² / Σ‖x − μ_batch‖²', format: (v) => fmt(v, 3) },
  { key: 'l0', label: 'L0', formula: 'mean number of active latents per token', format: (v) => fmt(v, 2) },
  { key: 'deadFraction', label: 'dead fraction', formula: 'share of latents that did not fire within the dead window', format: (v) => fmt(v, 3) },
  { key: 'lr', label: 'learning rate', formula: 'linear warm-up, constant, linear decay to 0', format: (v) => (!Number.isFinite(v) ? '—' : Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(3)) },
];

function Metrics({ store }: { store: AppStore }) {
  const snap = useStore(store, (s) => s.snapshot);
  if (!snap || snap.step === 0) return null;
  const rows: ReactNode[] = METRICS.map((m) => (
    <tr key={m.key} title={m.formula}>
      <th>{m.label}</th>
      <td data-testid={`metric-${m.key}`}>{m.format(snap[m.key] as number)}</td>
    </tr>
  ));
  return (
    <section>
      <h2>{snap.status === 'done' ? 'Final metrics' : `Metrics at step ${snap.step}`}</h2>
      <table className="metrics">
        <tbody>{rows}</tbody>
      </table>
    </section>
  );
}

function fmt(v: number, digits: number): string {
  if (!Number.isFinite(v)) return '—';
  if (digits === 0) return Math.round(v).toLocaleString('en-US');
  return Math.abs(v) !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(2) : v.toFixed(digits);
}
