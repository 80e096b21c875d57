// The dataset panel: the picker (built-ins, synthetic with its knobs, an upload, pasted text), the
// preprocessing options, a progress line while a dataset loads, load errors (the current dataset stays),
// and one line naming the loaded dataset (so the first screen keeps Train and the loss plot in view);
// the dataset's full card (shape, source, licence, mean/std, a row-norm histogram) is DatasetCard, lower
// on the page (App.tsx). Picking another upload file clears the labels slot (the old labels would not fit).
// Reads the store only; must not import engine, gpu or core values (types only).

import { useMemo, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { CatalogEntry, DatasetInfo, DatasetKind, DatasetProgress, SyntheticKnobs } from '../engine/api.ts';
import { Plot } from './Plot.tsx';
import type { AppStore } from './store.ts';
import { CUSTOM_SYNTHETIC, PASTED_TEXT, UPLOAD } from './store/dataset.ts';

const GROUPS: { kind: DatasetKind; label: string }[] = [
  { kind: 'text', label: 'Language model activations (stories260K)' },
  { kind: 'image', label: 'Images' },
  { kind: 'word', label: 'Word vectors' },
  { kind: 'synthetic', label: 'Synthetic ground truth' },
];

export function DatasetPanel({ store }: { store: AppStore }) {
  const datasetError = useStore(store, (s) => s.datasetError);
  return (
    <section className="dataset-panel" aria-label="Dataset">
      <div className="dataset-pick">
        <Picker store={store} />
        <ChoiceOptions store={store} />
        <LoadingLine store={store} />
        {datasetError && (
          <p role="alert" className="error" data-testid="dataset-error">
            {datasetError}
          </p>
        )}
      </div>
      <div className="dataset-side">
        <DatasetLine store={store} />
        <PreprocessForm store={store} />
      </div>
    </section>
  );
}

/** The loaded dataset in one line (name, shape, split), with a link to its card further down. */
function DatasetLine({ store }: { store: AppStore }) {
  const info = useStore(store, (s) => s.dataset);
  if (!info) return <p className="dataset-line muted" data-testid="dataset-line">Loading the default dataset…</p>;
  const split = info.evalRows > 0 ? ` · ${info.trainRows.toLocaleString('en-US')} train / ${info.evalRows.toLocaleString('en-US')} eval` : '';
  const text = `${info.name}: ${info.rows.toLocaleString('en-US')} × ${info.dIn}${split}`;
  return (
    <p className="dataset-line" data-testid="dataset-line" title={`${text} · ${info.card.source}`}>
      <span className="dataset-line-text">{text}</span>{' '}
      <a href="#dataset-card" className="card-link">
        card
      </a>
    </p>
  );
}

/** The loaded dataset's card (shape, split, statistics, source, licence, row-norm histogram). */
export function DatasetCard({ store }: { store: AppStore }) {
  const dataset = useStore(store, (s) => s.dataset);
  return (
    <section className="dataset-card" data-testid="dataset-card" id="dataset-card" aria-label="Dataset card">
      {dataset ? <Card info={dataset} /> : <p className="muted">Loading the default dataset…</p>}
    </section>
  );
}

function Picker({ store }: { store: AppStore }) {
  const [catalog, choice, choose] = useStore(store, useShallow((s) => [s.catalog, s.choice, s.choose] as const));
  const byKind = (kind: DatasetKind): CatalogEntry[] => catalog.filter((c) => c.kind === kind);
  return (
    <label className="wide" title="What the SAE trains on. Built-ins load from this site; uploads never leave your machine.">
      dataset
      <select data-testid="dataset-select" value={choice} onChange={(e) => void choose(e.currentTarget.value)}>
        {catalog.length === 0 && <option value={choice}>{choice}</option>}
        {GROUPS.map((g) => (
          <optgroup key={g.kind} label={g.label}>
            {byKind(g.kind).map((c) => (
              <option key={c.id} value={c.id} title={c.title}>
                {c.id.replace(/^builtin:/, '')} — {c.title} ({c.shape[0].toLocaleString('en-US')}×{c.shape[1]})
              </option>
            ))}
            {g.kind === 'synthetic' && <option value={CUSTOM_SYNTHETIC}>synthetic: set the knobs…</option>}
            {g.kind === 'text' && <option value={PASTED_TEXT}>your own text through stories260K…</option>}
          </optgroup>
        ))}
        <optgroup label="Your data">
          <option value={UPLOAD}>upload a file (.npy, .safetensors, .csv/.tsv, IDX)…</option>
        </optgroup>
      </select>
    </label>
  );
}

const KNOBS: { key: keyof SyntheticKnobs; label: string; title: string; step: number }[] = [
  { key: 'nFeatures', label: 'true features', title: 'Number of ground-truth features (may exceed dIn: superposition)', step: 1 },
  { key: 'dIn', label: 'dIn', title: 'Dimension of each activation vector', step: 1 },
  { key: 'meanActive', label: 'active / row', title: 'Sparsity: expected number of active features per row', step: 0.5 },
  { key: 'zipfExponent', label: 'Zipf exponent', title: 'Firing probability p_j ∝ (j+1)^−exponent: 0 = all equally frequent', step: 0.1 },
  { key: 'correlation', label: 'correlation', title: 'Correlated firing in [0, 1): a shared factor per row (Gaussian copula)', step: 0.05 },
  { key: 'noiseStd', label: 'noise std', title: 'Gaussian noise added to every value', step: 0.01 },
  { key: 'rows', label: 'rows', title: 'Number of activation vectors', step: 1024 },
  { key: 'seed', label: 'seed', title: 'Same knobs and seed: same data', step: 1 },
];

function ChoiceOptions({ store }: { store: AppStore }) {
  const [choice, knobs, setKnobs, upload, setUpload, text, setText, loadChoice] = useStore(
    store,
    useShallow((s) => [s.choice, s.knobs, s.setKnobs, s.upload, s.setUpload, s.text, s.setText, s.loadChoice] as const),
  );
  const [labelsSlot, setLabelsSlot] = useState(0); // remounts the labels input when the store's labels are cleared
  const loadButton = (label: string) => (
    <button data-testid="dataset-load" onClick={() => void loadChoice()}>
      {label}
    </button>
  );
  if (choice === CUSTOM_SYNTHETIC) {
    return (
      <div className="choice-options" data-testid="synthetic-knobs">
        {KNOBS.map((k) => (
          <label key={k.key} title={k.title}>
            {k.label}
            <input type="number" step={k.step} value={knobs[k.key]} onChange={(e) => setKnobs({ [k.key]: e.currentTarget.valueAsNumber })} />
          </label>
        ))}
        {loadButton('Generate')}
      </div>
    );
  }
  if (choice === UPLOAD) {
    return (
      <div className="choice-options">
        <label title="Rows of activations: .npy (2-D float), .safetensors (2-D tensor), CSV/TSV of numbers (header optional), IDX images; .gz ok for CSV and IDX">
          file
          <input
            data-testid="upload-file"
            type="file"
            accept=".npy,.safetensors,.csv,.tsv,.gz,.idx,.idx3,*"
            onChange={(e) => {
              // Another data file starts with a clean labels slot: the earlier file's labels would not fit it.
              const file = e.currentTarget.files?.[0] ?? null;
              if (upload.file && upload.labels) setLabelsSlot((n) => n + 1);
              setUpload(upload.file ? { file, labels: null } : { file });
            }}
          />
        </label>
        <label title="Optional: one label or text context per row (UTF-8 text, one per line), or an IDX labels file">
          labels (optional)
          <input key={labelsSlot} data-testid="upload-labels" type="file" onChange={(e) => setUpload({ labels: e.currentTarget.files?.[0] ?? null })} />
        </label>
        <label title="For a .safetensors file with several tensors: the name of the 2-D tensor [rows, dIn]">
          tensor name
          <input data-testid="upload-tensor" type="text" value={upload.tensor} placeholder="(the only one)" onChange={(e) => setUpload({ tensor: e.currentTarget.value })} />
        </label>
        {loadButton('Load file')}
      </div>
    );
  }
  if (choice === PASTED_TEXT) {
    return (
      <div className="choice-options">
        <label className="wide" title="Runs stories260K over this text (paragraphs split at blank lines) and keeps one activation per token">
          text
          <textarea rows={4} value={text.text} placeholder="Once upon a time…" onChange={(e) => setText({ text: e.currentTarget.value })} />
        </label>
        <label title="resid:0 is after the embedding, resid:L after block L; mlp:L is the MLP hidden of block L">
          site
          <select value={text.site} onChange={(e) => setText({ site: e.currentTarget.value })}>
            {['resid:0', 'resid:1', 'resid:2', 'resid:3', 'resid:4', 'resid:5', 'mlp:1', 'mlp:2', 'mlp:3', 'mlp:4', 'mlp:5'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        {loadButton('Run the model')}
      </div>
    );
  }
  return null;
}

function PreprocessForm({ store }: { store: AppStore }) {
  const [pre, setPreprocess, loadChoice, choice] = useStore(store, useShallow((s) => [s.preprocess, s.setPreprocess, s.loadChoice, s.choice] as const));
  return (
    <details className="preprocess">
      <summary>preprocessing</summary>
      <div className="choice-options">
        <label className="check" title="Subtract the train split's column mean from every row">
          <input type="checkbox" checked={pre.centre} onChange={(e) => setPreprocess({ centre: e.currentTarget.checked })} /> centre
        </label>
        <label title="SAELens's expected-norm scaling: multiply by √dIn / mean‖x‖ (train split), so the mean row norm is √dIn">
          scaling
          <select value={pre.scale} onChange={(e) => setPreprocess({ scale: e.currentTarget.value === 'expected-norm' ? 'expected-norm' : 'none' })}>
            <option value="none">none</option>
            <option value="expected-norm">expected norm</option>
          </select>
        </label>
        <label className="check" title="Text: leave out the BOS-position vectors (the same in every context)">
          <input type="checkbox" checked={pre.dropBos} onChange={(e) => setPreprocess({ dropBos: e.currentTarget.checked })} /> drop BOS rows
        </label>
        <label title="Share of rows held out for evaluation (0 = train on all)">
          eval fraction
          <input type="number" min={0} max={0.9} step={0.05} value={pre.evalFraction} onChange={(e) => setPreprocess({ evalFraction: e.currentTarget.valueAsNumber })} />
        </label>
        <label title="Seeds the train/eval split">
          split seed
          <input type="number" min={0} step={1} value={pre.splitSeed} onChange={(e) => setPreprocess({ splitSeed: e.currentTarget.valueAsNumber })} />
        </label>
        <button data-testid="preprocess-apply" onClick={() => void loadChoice()} title={`Reload ${choice} with these options`}>
          Apply
        </button>
      </div>
    </details>
  );
}

function LoadingLine({ store }: { store: AppStore }) {
  const loading = useStore(store, (s) => s.loading);
  if (!loading) return null;
  return (
    <p className="progress muted" data-testid="dataset-progress">
      loading {loading.id}: {loading.phase} {progressText(loading)}
    </p>
  );
}

function progressText(p: DatasetProgress): string {
  if (p.unit === 'steps') return '…';
  const n = (v: number) => (p.unit === 'bytes' ? `${(v / 1e6).toFixed(1)} MB` : `${v.toLocaleString('en-US')} tokens`);
  return p.total > 0 ? `${n(p.done)} of ${n(p.total)} (${Math.round((100 * p.done) / p.total)}%)` : p.done > 0 ? n(p.done) : '…';
}

const HIST_LAYOUT = {
  height: 150,
  margin: { l: 40, r: 8, t: 22, b: 30 },
  title: { text: 'row norm ‖x‖', font: { size: 12 } },
  bargap: 0.05,
  xaxis: { tickfont: { size: 10 } },
  yaxis: { tickfont: { size: 10 } },
};

function Card({ info }: { info: DatasetInfo }) {
  const c = info.card;
  const hist = useMemo(() => {
    const { edges, counts } = c.norm.histogram;
    const x = counts.map((_, i) => (edges[i] + edges[i + 1]) / 2);
    return [{ type: 'bar', x, y: counts, marker: { color: '#5b7fd6' }, hovertemplate: '‖x‖ ≈ %{x:.3g}: %{y} rows<extra></extra>' }];
  }, [c]);
  const rows: [string, ReactNode, string?][] = [
    ['shape', `${info.rows.toLocaleString('en-US')} × ${info.dIn} (${info.card.dtype})`, 'rows × dIn after preprocessing'],
    ['split', info.evalRows > 0 ? `${info.trainRows.toLocaleString('en-US')} train · ${info.evalRows.toLocaleString('en-US')} eval (seed ${info.preprocess.splitSeed})` : 'all rows train'],
    ['mean ± std', `${num(c.mean)} ± ${num(c.std)}`, 'over all rows·dIn values'],
    ['min … max', `${num(c.min)} … ${num(c.max)}`],
    ['‖x‖', `${num(c.norm.mean)} ± ${num(c.norm.std)}`, 'L2 norm of each row: mean ± std'],
    ['preprocessing', preprocessText(info)],
  ];
  if (c.labels) rows.push([c.labels.kind === 'class' ? 'classes' : info.hasContexts ? 'tokens' : 'labels', labelsText(info)]);
  if (info.hasGroundTruth) rows.push(['ground truth', 'true features kept (recovery metrics)']);
  rows.push(['source', c.source], ['licence', c.licence]);
  return (
    <>
      <h2 data-testid="dataset-name">{info.name}</h2>
      <table className="card-table">
        <tbody>
          {rows.map(([k, v, title]) => (
            <tr key={k} title={title}>
              <th>{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Plot data={hist} layout={HIST_LAYOUT} testId="dataset-norm-plot" />
    </>
  );
}

function preprocessText(info: DatasetInfo): string {
  const p = info.preprocess;
  const parts = [p.dropBos ? 'BOS rows dropped' : '', p.centre ? 'centred' : '', p.scale === 'expected-norm' ? `scaled ×${num(info.inputScale)} (expected norm)` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}

function labelsText(info: DatasetInfo): string {
  const l = info.card.labels;
  if (!l) return '';
  if (l.kind === 'class') return `${l.distinct}: ${l.counts.slice(0, 10).map((c) => c.label).join(', ')}${l.counts.length > 10 ? ', …' : ''}`;
  return `${l.distinct.toLocaleString('en-US')} distinct, e.g. ${l.examples.map((e) => JSON.stringify(e)).join(' ')}`;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : Number(v.toPrecision(3)).toString();
}
