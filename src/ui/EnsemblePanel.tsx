// The ensembles panel (Gadgil, Lin, Lee, "Ensembling Sparse Autoencoders"; seed-papers.md §2): what the
// current run is (method, SAEs, latents, trained or loaded), and three actions with their results —
// "Evaluate ensemble" (metric-vs-J curves of every run evaluated this session, ensemble/MetricCurves),
// "Compare members" (≥ 2 SAEs: cosine heatmap, matched pairs, per-latent stability, unique features,
// decoder map; any latent opens in the feature inspector with its member), "Run downstream tasks"
// (concept detection and spurious-correlation removal, side by side across runs). Each action shows its
// progress and its error (role=alert) and keeps what was shown. Subscribes only to what changes on
// these actions and on status changes, never to every snapshot. Reads the store; imports React only.

import { useState } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { EnsembleViews, RunInfo } from '../engine/api.ts';
import { CosineHeatmap } from './ensemble/CosineHeatmap.tsx';
import { DecoderMap } from './ensemble/DecoderMap.tsx';
import { Downstream } from './ensemble/Downstream.tsx';
import { METHOD_HELP, methodLabel } from './store/ensembleDraft.ts';
import { LatentStability } from './ensemble/LatentStability.tsx';
import { MatchedPairs } from './ensemble/MatchedPairs.tsx';
import { MetricCurves } from './ensemble/MetricCurves.tsx';
import { UniqueFeatures } from './ensemble/UniqueFeatures.tsx';
import type { AppStore } from './store.ts';
import type { EnsembleTask } from './store/ensemble.ts';

const TASK_LABELS: Record<EnsembleTask, string> = { evaluate: 'evaluate', views: 'compare members', downstream: 'downstream tasks', export: 'export', load: 'load' };

export function EnsemblePanel({ store }: { store: AppStore }) {
  const [run, status, info, busy, errors] = useStore(
    store,
    useShallow((s) => {
      const run = s.snapshot?.run ?? 0;
      return [run, s.status, s.runInfos[run], s.ensembleBusy, s.ensembleErrors] as const;
    }),
  );
  const [evaluate, runDownstream, loadViews] = useStore(store, useShallow((s) => [s.evaluate, s.runDownstream, s.loadViews] as const));
  const saes = useStore(store, (s) => s.runInfos[run]?.ensemble.saes ?? s.snapshot?.members.length ?? 0);
  const noRun = run === 0;
  const why = noRun ? 'train a run (or load a saved ensemble under Export) first' : null;
  return (
    <section className="ensemble-panel" aria-label="Ensembles">
      <h2>Ensembles</h2>
      <p className="lede-small">
        An ensemble is several SAEs used as one: its features are all the members' decoder directions together (Prop. 3.1). <strong>Bagging</strong> trains J SAEs that differ only
        in their init and averages their reconstructions; <strong>boosting</strong> trains each stage on what the earlier ones missed and sums them; the <strong>expanded</strong> SAE is one
        SAE with as many latents, the baseline. Pick the method and J in the form above, train, then evaluate here; every run you evaluate stays on the plots, so methods compare side by side.
      </p>
      <RunLine store={store} run={run} info={info} status={status} />
      <div className="controls">
        <button data-testid="ensemble-evaluate" disabled={noRun || busy.evaluate !== undefined} title={why ?? 'Ensemble metrics of the first J′ members, J′ = 1..J, on the held-out rows'} onClick={() => void evaluate()}>
          {busy.evaluate !== undefined ? 'Evaluating…' : 'Evaluate ensemble'}
        </button>
        {/* Comparing members applies only to a run of 2 or more SAEs: a single SAE gets no such button. */}
        {(noRun || saes >= 2) && (
          <button
            data-testid="ensemble-views"
            disabled={noRun || busy.views !== undefined}
            title={noRun ? why! : 'How the members differ: decoder cosines, matched pairs, stability, unique features, a 2-D map'}
            onClick={() => void loadViews()}
          >
            {busy.views !== undefined ? 'Comparing…' : 'Compare members'}
          </button>
        )}
        <button data-testid="ensemble-downstream" disabled={noRun || busy.downstream !== undefined} title={why ?? 'Concept detection (sparse probing) and spurious-correlation removal; need a labelled (and for SCR a marked) dataset'} onClick={() => void runDownstream()}>
          {busy.downstream !== undefined ? 'Running…' : 'Run downstream tasks'}
        </button>
      </div>
      <p className="muted" data-testid="ensemble-status" aria-live="polite">
        {Object.values(busy).join(' · ')}
      </p>
      {(Object.keys(errors) as EnsembleTask[])
        .filter((t) => t !== 'export' && t !== 'load')
        .map((t) => (
          <p key={t} role="alert" className="error" data-testid={`ensemble-error-${t}`}>
            {TASK_LABELS[t]}: {errors[t]}
          </p>
        ))}
      <Staleness store={store} run={run} />
      <MetricCurves store={store} />
      <Views store={store} run={run} />
      <Downstream store={store} />
    </section>
  );
}

/** What the current run is, in one line. */
function RunLine({ store, run, info, status }: { store: AppStore; run: number; info: RunInfo | undefined; status: string }) {
  const loaded = useStore(store, (s) => s.ensembleLoaded);
  if (run === 0) return <p className="muted">No run yet.</p>;
  if (!info) return <p data-testid="ensemble-run">Run {run} ({status}).</p>;
  const e = info.ensemble;
  const from = info.origin === 'loaded' ? ` · loaded${loaded?.info.run === run ? ` from ${loaded.fileName}` : ' from a file'}` : '';
  return (
    <p data-testid="ensemble-run" title={METHOD_HELP[e.method]}>
      Run {run}: <strong>{methodLabel(e.method, e.members)}</strong> · {e.saes} SAE{e.saes > 1 ? 's' : ''} of {e.latentsPerSae} latents ({e.saes * e.latentsPerSae} in all) · {info.dataset} · {status}
      {from}
    </p>
  );
}

/** Says when the shown evaluation is older than the run's weights. */
function Staleness({ store, run }: { store: AppStore; run: number }) {
  const evStep = useStore(store, (s) => s.evaluations[run]?.step ?? null);
  const status = useStore(store, (s) => s.status);
  const step = useStore(store, (s) => (s.status === 'training' ? null : (s.snapshot?.weightsStep ?? null)));
  if (evStep === null || step === null || step === evStep || status === 'training') return null;
  return <p className="muted">Run {run} was evaluated at step {evStep}; its weights are now at step {step}: evaluate again to update its curves.</p>;
}

/** The member views of the current run, or of the last run viewed (then read-only: the inspector reads the current run). */
function Views({ store, run }: { store: AppStore; run: number }) {
  const views = useStore(store, (s) => s.views[run] ?? latest(s.views));
  if (!views) return null;
  // A boosting run's SAEs are stages (stage j codes the residual of the stages before it).
  const noun = views.method === 'boosting' ? 'stage' : 'member';
  const live = views.run === run;
  return (
    <div className="ensemble-views" data-testid="ensemble-views-panel">
      <h3>
        How the {noun}s differ · {methodLabel(views.method, views.latentsPerMember.length)} · run {views.run}, step {views.step}
      </h3>
      {!live && <p className="note">These are the views of run {views.run}, which a later run replaced: its latents can no longer be opened in the inspector. Press Compare members for the current run.</p>}
      <ViewsBody store={store} views={views} noun={noun} live={live} />
    </div>
  );
}

/** The views themselves; a replaced run's are folded away (drawn when opened) and cannot open latents. */
function ViewsBody({ store, views, noun, live }: { store: AppStore; views: EnsembleViews; noun: string; live: boolean }) {
  const [open, setOpen] = useState(false);
  const body = (
    <fieldset className="views-body" disabled={!live}>
      <MemberPickers store={store} views={views} noun={noun} />
      <div className="views-grid">
        <CosineHeatmap views={views} noun={noun} />
        <MatchedPairs store={store} views={views} noun={noun} />
      </div>
      <div className="views-grid">
        <LatentStability key={`s${views.run}`} store={store} views={views} noun={noun} />
        <UniqueFeatures key={`u${views.run}:${views.unique.tau}`} store={store} views={views} noun={noun} />
      </div>
      {live ? <DecoderMap store={store} views={views} noun={noun} /> : null}
    </fieldset>
  );
  if (live) return body;
  // Plots are drawn only while open: plotly cannot size a chart inside a closed <details>.
  return (
    <details className="stale-views" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>show run {views.run}'s views</summary>
      {open && body}
    </details>
  );
}

const latest = (views: Record<number, EnsembleViews>): EnsembleViews | undefined => {
  const runs = Object.keys(views).map(Number);
  return runs.length > 0 ? views[Math.max(...runs)] : undefined;
};

/** Members a and b of the heatmap and the matched pairs. */
function MemberPickers({ store, views, noun }: { store: AppStore; views: EnsembleViews; noun: string }) {
  const busy = useStore(store, (s) => s.ensembleBusy.views !== undefined);
  const J = views.latentsPerMember.length;
  const { a, b } = views.heatmap;
  const pick = (which: 'a' | 'b', v: number) => void (which === 'a' ? store.getState().loadViews(v, v === b ? a : b) : store.getState().loadViews(v === a ? b : a, v));
  const select = (which: 'a' | 'b', value: number) => (
    <label className="inline" title={`The ${which === 'a' ? 'rows' : 'columns'} of the heatmap and the ${which === 'a' ? 'first' : 'second'} column of the matched pairs`}>
      {noun} {which}{' '}
      <select data-testid={`views-${which}`} value={value} disabled={busy} onChange={(e) => pick(which, Number(e.currentTarget.value))}>
        {Array.from({ length: J }, (_, j) => (
          <option key={j} value={j}>
            {j}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <p className="member-pickers">
      {select('a', a)} {select('b', b)}
      <span className="muted"> {J} {noun}s of {views.latentsPerMember.join(' / ')} latents</span>
    </p>
  );
}
