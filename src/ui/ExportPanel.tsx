// Export: the trained SAE as a SAELens folder in a zip (built in the engine: Workbench.exportZip), the
// run's metric history as CSV and JSON, a copyable Python snippet that loads the export in SAELens, and
// ensembles: every SAE of the run in one zip (member-<j>/ SAELens folders + ensemble.json) and a file
// input that loads such a zip back as a run (origin 'loaded') against the loaded dataset.

import { useState } from 'react';
import { useStore } from 'zustand';
import type { AppStore } from './store.ts';
import { HISTORY_KEYS } from './store/series.ts';

function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ExportPanel({ store }: { store: AppStore }) {
  const hasRun = useStore(store, (s) => s.snapshot !== null && s.snapshot.run > 0);
  const hasSteps = useStore(store, (s) => s.history.step.length > 0);
  const exported = useStore(store, (s) => s.exported);
  const exportError = useStore(store, (s) => s.exportError);
  const ensembleBusy = useStore(store, (s) => s.ensembleBusy);
  const ensembleErrors = useStore(store, (s) => s.ensembleErrors);
  const ensembleExported = useStore(store, (s) => s.ensembleExported);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  const exportSae = async () => {
    setBusy(true);
    try {
      const zip = await store.getState().exportZip();
      if (zip) download(zip.fileName, new Uint8Array(zip.bytes), 'application/zip');
    } finally {
      setBusy(false);
    }
  };
  const metrics = (format: 'csv' | 'json') => {
    const { history, snapshot, draft } = store.getState();
    const name = `metrics-run${snapshot?.run ?? 0}.${format}`;
    if (format === 'json') {
      const rows = history.step.map((_, i) => Object.fromEntries(HISTORY_KEYS.map((k) => [k, history[k][i]])));
      download(name, JSON.stringify({ experiment: draft, metrics: rows }, null, 1), 'application/json');
    } else {
      const lines = [HISTORY_KEYS.join(','), ...history.step.map((_, i) => HISTORY_KEYS.map((k) => String(history[k][i])).join(','))];
      download(name, lines.join('\n') + '\n', 'text/csv');
    }
  };
  const exportEnsemble = async () => {
    const zip = await store.getState().exportEnsemble();
    if (zip) download(zip.fileName, new Uint8Array(zip.bytes), 'application/zip');
  };
  const folder = exported?.folder ?? 'sae-…';
  // A k-means / k-flats export (folder named after its arch: engine/exports.ts runZip) is not a SAELens folder: load its tensors.
  const cluster = /^(kmeans|kflats)-/.test(folder);
  const snippet = cluster
    ? `# unzip ${exported?.fileName ?? 'the downloaded zip'} first: cfg.json + model.safetensors (not SAELens: no cluster-assignment encoder)\nimport json\nfrom safetensors.numpy import load_file\ncfg = json.load(open("${folder}/cfg.json"))\nt = load_file("${folder}/model.safetensors")  # kmeans: centroids [K, D]; kflats: means [K, D], bases [K, r, D]\nprint(cfg["architecture"], {k: v.shape for k, v in t.items()})`
    : `# unzip ${exported?.fileName ?? 'the downloaded zip'} first\nfrom sae_lens import SAE\nsae = SAE.load_from_disk("${folder}", device="cpu")\nprint(sae.cfg)`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(snippet);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  return (
    <section className="export-panel" aria-label="Export">
      <h2>Export</h2>
      <div className="controls">
        <button data-testid="export-saelens" disabled={!hasRun || busy} onClick={() => void exportSae()} title="The trained SAE (member 0) as a SAELens folder: cfg.json, sae_weights.safetensors, sparsity.safetensors, zipped (a kmeans / kflats run: cfg.json, model.safetensors, sparsity.safetensors)">
          {busy ? 'Exporting…' : 'Download SAE (SAELens zip)'}
        </button>
        <button data-testid="export-csv" disabled={!hasSteps} onClick={() => metrics('csv')}>
          Metrics CSV
        </button>
        <button data-testid="export-json" disabled={!hasSteps} onClick={() => metrics('json')}>
          Metrics JSON
        </button>
        <button
          data-testid="export-ensemble"
          disabled={!hasRun || ensembleBusy.export !== undefined}
          onClick={() => void exportEnsemble()}
          title="Every SAE of the run (each a SAELens folder member-<j>/) and ensemble.json (method, seeds, config) in one zip; load it back below, or give it to the CLI"
        >
          {ensembleBusy.export !== undefined ? 'Exporting…' : 'Download ensemble (zip)'}
        </button>
      </div>
      <LoadEnsemble store={store} />
      {ensembleErrors.export && (
        <p className="error" role="alert" data-testid="ensemble-export-error">
          {ensembleErrors.export}
        </p>
      )}
      {ensembleExported && (
        <p className="muted" data-testid="ensemble-export-info">
          {ensembleExported.fileName}: {ensembleExported.method}, J = {ensembleExported.members}, step {ensembleExported.step} weights of run {ensembleExported.run}
        </p>
      )}
      {exportError && (
        <p className="error" role="alert" data-testid="export-error">
          {exportError}
        </p>
      )}
      {exported && (
        <p className="muted" data-testid="export-info">
          {exported.fileName}: step {exported.step} weights ({exported.weightsSource}), seed {exported.seed}
        </p>
      )}
      <div className="snippet">
        {/* tabIndex: a scrolling box must be reachable by keyboard (WCAG 2.1.1; narrow screens scroll it) */}
        <pre data-testid="python-snippet" tabIndex={0} aria-label="Python code that loads the exported SAE with SAELens">
          {snippet}
        </pre>
        <button onClick={() => void copy()} data-testid="copy-snippet">
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </section>
  );
}

/** Loads a saved ensemble zip as a new run, evaluated and inspected on the dataset loaded above. */
function LoadEnsemble({ store }: { store: AppStore }) {
  const dataset = useStore(store, (s) => s.dataset);
  const busy = useStore(store, (s) => s.ensembleBusy.load);
  const error = useStore(store, (s) => s.ensembleErrors.load);
  const loaded = useStore(store, (s) => s.ensembleLoaded);
  return (
    <div className="load-ensemble">
      <label className="inline" title="A zip from Download ensemble (or the CLI's ensemble --export, zipped): ensemble.json and member-<j>/ SAELens folders. It becomes the current run (no training): evaluate, compare, inspect and export it like a trained one.">
        load a saved ensemble (.zip) on {dataset ? <code>{dataset.id}</code> : 'the dataset loaded above'}{' '}
        <input
          type="file"
          accept=".zip,application/zip"
          data-testid="load-ensemble"
          disabled={!dataset || busy !== undefined}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = ''; // the same file can be picked again
            if (file) void store.getState().loadEnsemble(file);
          }}
        />
      </label>
      {busy && <span className="muted"> {busy}</span>}
      {error && (
        <p className="error" role="alert" data-testid="ensemble-load-error">
          {error} (the members' input width must match the dataset's: load the dataset they were trained on first)
        </p>
      )}
      {loaded && (
        <p className="muted" data-testid="ensemble-load-info">
          {loaded.fileName} → run {loaded.info.run}: {loaded.info.ensemble.method}, {loaded.info.ensemble.saes} SAE{loaded.info.ensemble.saes > 1 ? 's' : ''} of {loaded.info.ensemble.latentsPerSae} latents, on {loaded.info.dataset} (origin {loaded.info.origin})
        </p>
      )}
    </div>
  );
}
