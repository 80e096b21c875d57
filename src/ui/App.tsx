// The page: what this is, the WebGPU note, the dataset picker with its card (DatasetPanel.tsx), the
// train panel (TrainPanel.tsx), progress (with the boosting stage), the live plots (Plots.tsx), the metrics,
// export (ExportPanel.tsx), the SGD vs PAM-SGD A/B and its sweeps (ComparePanel.tsx), the runs of the
// session side by side with their Pareto plot (RunsPanel.tsx),
// ensembles: metric-vs-J curves, member views, downstream tasks (EnsemblePanel.tsx), and the feature
// inspector (FeaturePanel.tsx); the experiment is synced with the URL hash (urlState.ts). A tab opens the
// geometry lab and its lessons instead (lab/LabView.tsx, #lab&… links); the how-it-works strip and the
// presentation-mode toggle are on both views. Reads the store
// (src/ui/store.ts); sees the engine only through it.
// Must not import engine or gpu values (types only); of core, only definitions such as the dense fraction.

import { useEffect, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { Snapshot } from '../engine/api.ts';
import { ComparePanel } from './ComparePanel.tsx';
import { AskForData } from './persist/AskForData.tsx';
import { keyOf } from './persist/slice.ts';
import { DatasetCard, DatasetPanel } from './DatasetPanel.tsx';
import { EnsemblePanel } from './EnsemblePanel.tsx';
import { ExportPanel } from './ExportPanel.tsx';
import { FeaturePanel } from './FeaturePanel.tsx';
import { HowItWorks } from './HowItWorks.tsx';
import { LabView } from './lab/LabView.tsx';
import { LivePlots } from './Plots.tsx';
import { RunsPanel } from './RunsPanel.tsx';
import { StoragePanel } from './StoragePanel.tsx';
import { DENSE_FORMULA, denseFraction } from '../core/sae/density.ts';
import type { AppState, AppStore } from './store.ts';
import { DEFAULT_DRAFT } from './store/experiment.ts';
import { TrainPanel } from './TrainPanel.tsx';
import { decodeHash, decodeLabHash, encodeHash, latentOfHash, viewOfHash, withLatent, type LatentLinkTarget } from './urlState.ts';

export function App({ store }: { store: AppStore }) {
  const error = useStore(store, (s) => s.error);
  const hashError = useStore(store, (s) => s.hashError);
  const view = useStore(store, (s) => s.view);
  const [presenting, setPresenting] = useState(false);
  useHashSync(store);
  return (
    <main className={presenting ? 'presentation' : undefined}>
      <div className="title-row">
        <h1>SAE Workbench</h1>
        <button type="button" className="presentation-toggle" data-testid="presentation-toggle" aria-pressed={presenting} onClick={() => setPresenting(!presenting)} title="Large type for a projector">
          {presenting ? 'Normal view' : 'Presentation mode'}
        </button>
      </div>
      <p className="lede">Train a sparse autoencoder on activations, in your browser, and watch what it learns.</p>
      <HowItWorks />
      <ViewTabs store={store} />
      {view === 'lab' ? <LabView store={store} /> : <TrainView store={store} error={error} hashError={hashError} />}
    </main>
  );
}

/** The two views: training (the workbench) and the geometry lab (issue #12). */
function ViewTabs({ store }: { store: AppStore }) {
  const view = useStore(store, (s) => s.view);
  const setView = useStore(store, (s) => s.setView);
  return (
    <nav className="view-tabs" role="tablist" aria-label="Views">
      <button type="button" role="tab" aria-selected={view === 'train'} data-testid="view-train" onClick={() => setView('train')}>
        Train an SAE
      </button>
      <button type="button" role="tab" aria-selected={view === 'lab'} data-testid="view-lab" onClick={() => setView('lab')}>
        Geometry lab and lessons
      </button>
    </nav>
  );
}

function TrainView({ store, error, hashError }: { store: AppStore; error: string | null; hashError: string | null }) {
  return (
    <>
      <BackendNote store={store} />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {hashError && (
        <p role="alert" className="error" data-testid="hash-error">
          {hashError}
        </p>
      )}
      <AskForData store={store} />
      <DatasetPanel store={store} />
      <TrainPanel store={store} />
      <Progress store={store} />
      <LivePlots store={store} />
      <Metrics store={store} />
      <DatasetCard store={store} />
      <ExportPanel store={store} />
      <ComparePanel store={store} />
      <RunsPanel store={store} />
      <StoragePanel store={store} />
      <EnsemblePanel store={store} />
      <FeaturePanel store={store} />
    </>
  );
}

/**
 * What runs the training, as one line; the engine's reason and the advice open on demand (issue #5 §1, #14).
 * Each case gets its own line: no WebGPU, WebGPU without an adapter, a software adapter, a GPU.
 */
function BackendNote({ store }: { store: AppStore }) {
  const backend = useStore(store, (s) => s.backend);
  const hasWebGpu = typeof navigator !== 'undefined' && 'gpu' in navigator;
  const { line, short, advice } = backendLine(hasWebGpu, backend);
  return (
    <details className="note backend-note" data-testid="backend-note">
      <summary>
        <span className="line-long">{line}</span>
        <span className="line-short">{short}</span> <span className="why">why?</span>
      </summary>
      <p>{backend ? `Engine: ${backend.why}.` : 'Starting the engine…'}</p>
      {advice && <p>{advice}</p>}
    </details>
  );
}

/** The CPU engine 'auto' chose (issue #15): the wasm engine where it covers the config, else the reference. */
const cpuEngine = (backend: AppState['backend']): string => (backend?.kind === 'wasm' ? 'the wasm CPU engine' : 'the CPU reference');

/** The note's line (and a shorter one for phones) and its advice for the browser and the engine's backend (null while it starts). */
function backendLine(hasWebGpu: boolean, backend: AppState['backend']): { line: string; short: string; advice: string } {
  const CPU_MEANWHILE = `Meanwhile small demos train on ${cpuEngine(backend)}.`;
  if (!hasWebGpu) {
    return {
      line: `No WebGPU in this browser: training runs on ${cpuEngine(backend)}, for small demos.`,
      short: 'No WebGPU: training on the CPU.',
      advice:
        'To train on your GPU, open this page in a recent Chrome or Edge (WebGPU is on by default there), Safari 26+, or Firefox with WebGPU enabled;' +
        ` on Linux, Chrome may need chrome://flags/#enable-unsafe-webgpu. ${CPU_MEANWHILE}`,
    };
  }
  if (!backend) return { line: 'Starting the engine…', short: 'Starting the engine…', advice: '' };
  if (!backend.adapter) {
    return {
      line: `WebGPU found no GPU adapter here: training runs on ${cpuEngine(backend)}, for small demos.`,
      short: 'No GPU adapter: training on the CPU.',
      advice: `Check chrome://gpu, turn on hardware acceleration in the browser settings, or update the GPU driver. ${CPU_MEANWHILE}`,
    };
  }
  if (backend.isSoftware) {
    return {
      line: `Software WebGPU only (a CPU emulation): training runs on ${cpuEngine(backend)}, for small demos.`,
      short: 'Software WebGPU only: training on the CPU.',
      advice: `It is hundreds of times slower than a GPU: check chrome://gpu, turn on hardware acceleration in the browser settings, or update the GPU driver. ${CPU_MEANWHILE}`,
    };
  }
  const gpu = backend.kind === 'webgpu';
  return { line: gpu ? `Training on your GPU (${backend.adapter}) with WebGPU.` : `Training on ${cpuEngine(backend)} (WebGPU adapter: ${backend.adapter}).`, short: gpu ? 'Training on your GPU.' : 'Training on the CPU.', advice: '' };
}

function Progress({ store }: { store: AppStore }) {
  const snap = useStore(store, (s) => s.snapshot);
  const shown = useStore(store, (s) => s.storage.shown);
  if (!snap && shown) {
    return (
      <p className="progress" data-testid="restored-view" title="Saved in this browser (src/ui/persist/): the plots show this run's loss curve and metrics as they were saved">
        saved run {shown.run}: step <span data-testid="restored-step">{shown.step}</span> / {shown.steps}, {shown.status} · its plots are restored from this browser
      </p>
    );
  }
  return (
    <p className="progress">
      step <span data-testid="step-count">{snap?.step ?? 0}</span> / {snap?.steps || store.getState().draft.steps}
      {snap?.stage && (
        <span data-testid="stage" title="Boosting trains its stages one after another; stage j learns the residual the frozen stages before it leave">
          {' '}
          · stage {Math.min(snap.stage.index + 1, snap.stage.count)} of {snap.stage.count}
        </span>
      )}
      {snap && snap.tokensPerSecond > 0 && ` · ${fmt(snap.tokensPerSecond, 0)} tokens/s`}
    </p>
  );
}

/**
 * Shareable state: the draft experiment is written to the URL hash on change, with the inspector's latent
 * (`&latent=…`, issue #14); a hash edited by hand is read back, and its latent opened.
 */
function useHashSync(store: AppStore): void {
  useEffect(() => {
    let last = '';
    const target = (s: AppState): LatentLinkTarget | null =>
      s.inspection && s.selected !== null ? { member: s.inspection.scope.member, latent: s.selected } : s.linkedLatent;
    const write = () => {
      const s = store.getState();
      if (s.view === 'lab') return; // the lab writes its own hash (lab/LabView.tsx)
      // The user's own data travels as its id and fingerprint (src/ui/persist/): still asked for, or loaded.
      const { pending, current } = s.storage;
      const saved = savedOnScreen(s);
      const experiment = pending
        ? encodeHash({ ...s.draft, dataset: pending.id }, DEFAULT_DRAFT, pending.fingerprint ? `${pending.fingerprint.bytes}.${pending.fingerprint.sha256}` : null, saved)
        : encodeHash(s.draft, DEFAULT_DRAFT, current?.id === s.draft.dataset ? current.param : null, saved);
      const hash = withLatent(experiment, target(s));
      if (hash === last) return;
      last = hash;
      history.replaceState(null, '', `#${hash}`);
    };
    write();
    const unsubscribe = store.subscribe((s, prev) => {
      if (s.view === 'train' && prev.view === 'lab') last = ''; // back from the lab: the experiment's hash again
      if (
        s.draft !== prev.draft ||
        s.selected !== prev.selected ||
        s.inspection !== prev.inspection ||
        s.linkedLatent !== prev.linkedLatent ||
        s.view !== prev.view ||
        s.storage !== prev.storage ||
        s.snapshot?.run !== prev.snapshot?.run
      )
        write();
    });
    const onHash = () => {
      if (location.hash.replace(/^#/, '') === last) return;
      if (viewOfHash(location.hash) === 'lab') {
        // A lab link typed or pasted into this tab: the lab opens on it (a bad one shows why and the default lab).
        const { lab, error } = decodeLabHash(location.hash);
        store.setState({ view: 'lab', labError: error });
        void store.getState().labOpen(lab);
        return;
      }
      if (store.getState().view === 'lab') store.getState().setView('train');
      const { draft, error } = decodeHash(location.hash, DEFAULT_DRAFT);
      store.setState({ hashError: error });
      if (error) return;
      const before = store.getState().draft.dataset;
      store.getState().setDraft(draft);
      if (draft.dataset !== before) void store.getState().choose(draft.dataset);
      const link = latentOfHash(location.hash);
      const s = store.getState();
      if (link && s.inspection) void s.inspectLatent(link.member, link.latent);
      else if (link) s.setLinkedLatent(link);
    };
    window.addEventListener('hashchange', onHash);
    return () => {
      unsubscribe();
      window.removeEventListener('hashchange', onHash);
    };
  }, [store]);
}

/** The storage key of the run on screen when this browser keeps it (a link then points to it: `saved=`), else null. */
function savedOnScreen(s: AppState): string | null {
  if (!s.snapshot) return s.storage.shown?.key ?? null;
  const rec = s.runs.find((r) => r.run === s.snapshot!.run);
  const key = rec ? keyOf(s.storage.session, rec) : null;
  return key && s.storage.saved.some((x) => x.key === key) ? key : null;
}

/** One definition per metric, shown as a tooltip (definitions: src/core/sae/train.ts StepStats). */
const METRICS: { key: keyof Snapshot; label: string; formula: string; format: (v: number) => string }[] = [
  { key: 'loss', label: 'loss', formula: 'MSE + α·AuxK (+ λ·sparsity for relu/jumprelu)', format: (v) => fmt(v, 4) },
  { key: 'auxLoss', label: 'AuxK', formula: 'AuxK term before α: ‖e − ê_dead‖² of the top-kAux dead latents (topk, batchtopk)', format: (v) => fmt(v, 4) },
  { key: 'sparsityLoss', label: 'sparsity term', formula: 'λ·Σ_i f_i·‖W_dec,i‖ (relu) or λ·L0 (jumprelu); 0 for topk/batchtopk', format: (v) => fmt(v, 4) },
  { key: 'mse', label: 'MSE', formula: 'Σ_d (x − x̂)², mean over the batch', format: (v) => fmt(v, 4) },
  { key: 'explainedVariance', label: 'explained variance', formula: '1 − Σ‖x − x̂‖² / Σ‖x − μ_batch‖²', format: (v) => fmt(v, 3) },
  { key: 'l0', label: 'L0', formula: 'mean number of active latents per token', format: (v) => fmt(v, 2) },
  { key: 'deadFraction', label: 'dead fraction', formula: 'share of latents that did not fire within the dead window', format: (v) => fmt(v, 3) },
  { key: 'lr', label: 'learning rate', formula: 'linear warm-up, constant, linear decay to 0', format: (v) => (!Number.isFinite(v) ? '—' : Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(3)) },
];

function Metrics({ store }: { store: AppStore }) {
  const snap = useStore(store, (s) => s.snapshot);
  const dense = useStore(store, (s) => (s.density ? denseFraction(s.density.log10) : null));
  if (!snap || snap.step === 0) return null;
  const rows: ReactNode[] = METRICS.map((m) => (
    <tr key={m.key} title={m.formula}>
      <th>{m.label}</th>
      <td data-testid={`metric-${m.key}`}>{m.format(snap[m.key] as number)}</td>
    </tr>
  ));
  const deadAt = rows.findIndex((_, i) => METRICS[i]?.key === 'deadFraction');
  rows.splice(deadAt + 1, 0, (
    <tr key="denseFraction" title={DENSE_FORMULA}>
      <th>dense fraction</th>
      <td data-testid="metric-denseFraction">{dense === null ? '—' : fmt(dense, 3)}</td>
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
