// Export: the trained SAE as a SAELens folder in a zip (built in the engine: Workbench.exportZip), the
// run's metric history as CSV and JSON, and a copyable Python snippet that loads the export in SAELens.

import { useState } from 'react';
import { useStore } from 'zustand';
import { HISTORY_KEYS, type AppStore } from './store.ts';

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
  const folder = exported?.folder ?? 'sae-…';
  const snippet = `# unzip ${exported?.fileName ?? 'the downloaded zip'} first\nfrom sae_lens import SAE\nsae = SAE.load_from_disk("${folder}", device="cpu")\nprint(sae.cfg)`;
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
        <button data-testid="export-saelens" disabled={!hasRun || busy} onClick={() => void exportSae()} title="The trained SAE (member 0) as a SAELens folder: cfg.json, sae_weights.safetensors, sparsity.safetensors, zipped">
          {busy ? 'Exporting…' : 'Download SAE (SAELens zip)'}
        </button>
        <button data-testid="export-csv" disabled={!hasSteps} onClick={() => metrics('csv')}>
          Metrics CSV
        </button>
        <button data-testid="export-json" disabled={!hasSteps} onClick={() => metrics('json')}>
          Metrics JSON
        </button>
      </div>
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
        <pre data-testid="python-snippet">{snippet}</pre>
        <button onClick={() => void copy()} data-testid="copy-snippet">
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </section>
  );
}
