// The trainer A/B panel (issue #11; SplInterp, seed-papers §3.6–3.10): SGD and PAM-SGD (and the scripts'
// tied SGD) trained side by side from one init on the same rows, scored on held-out rows. The form picks
// what runs (one comparison, a training-fraction sweep or an updates-per-batch sweep), what is held equal
// (epochs, Adam updates or seconds, each explained in one sentence), the trainers and the epochs; the
// config is the experiment form's. One click runs it all with progress; the results (compare/) stay until
// the next one, and every run joins the runs table and its Pareto plot. Subscribes to the form, the
// progress and the result, never to training snapshots. Reads the store; imports React only.

import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { AbTrainer, Alignment, CompareKind } from '../engine/api.ts';
import { CompareResults } from './compare/CompareResults.tsx';
import { ALIGN_HELP, TRAINER_LABELS } from './compare/figures.ts';
import type { AppStore } from './store.ts';

const KINDS: { kind: CompareKind; label: string; settings: number }[] = [
  { kind: 'compare', label: 'one comparison, all training rows', settings: 1 },
  { kind: 'fraction', label: 'fraction sweep: 1, 5, 10, 25, 50, 100%', settings: 6 },
  { kind: 'updates', label: 'updates-per-batch sweep: 1, 3, 5, 10', settings: 4 },
];
const ALIGNS: Alignment[] = ['equal-epochs', 'equal-steps', 'equal-time'];
const TRAINERS: { trainer: AbTrainer; help: string }[] = [
  { trainer: 'sgd', help: 'Our recipe: Adam on encoder and decoder, untied, unit-norm decoder rows' },
  { trainer: 'pam-sgd', help: 'Adam on the encoder (s updates per batch, stay-close term), then the decoder solved exactly in closed form each epoch' },
  { trainer: 'sgd-tied', help: 'The SplInterp scripts’ baseline: one shared matrix, decoder = encoderᵀ' },
];

export function ComparePanel({ store }: { store: AppStore }) {
  const [form, busy, error, comparison, training, hasData, arch] = useStore(
    store,
    useShallow((s) => [s.compareForm, s.compareBusy, s.compareError, s.comparison, s.status === 'training', s.dataset !== null, s.draft.arch] as const),
  );
  const [setForm, compare] = useStore(store, useShallow((s) => [s.setCompareForm, s.compare] as const));
  const toggle = (t: AbTrainer, on: boolean) => setForm({ trainers: TRAINERS.map((x) => x.trainer).filter((x) => (x === t ? on : form.trainers.includes(x))) });
  const why = !hasData ? 'load a dataset above first' : training ? 'a run is training: pause or stop it first (the A/B would share this engine with it, and equal-time would measure both)' : form.trainers.length === 0 ? 'pick at least one trainer' : null;
  const runs = (KINDS.find((k) => k.kind === form.kind)?.settings ?? 1) * form.trainers.length;
  return (
    <section className="compare-panel" aria-label="SGD vs PAM-SGD" data-testid="compare-panel">
      <h2>SGD vs PAM-SGD, side by side</h2>
      <p className="lede-small">
        PAM-SGD (Budd et al., SplInterp) alternates Adam steps on the encoder with an exact closed-form solve of the decoder. Here it and SGD start from the same weights, see the same
        rows in the same order, and are scored on held-out rows; what a fair race is depends on what you hold equal. The SAE’s config (arch, dSae, k or λ, batch, seed, PAM-SGD’s
        settings) is the experiment form’s above.
      </p>
      <fieldset className="compare-form">
        <legend>Comparison</legend>
        <label title="One comparison on every training row, or a sweep (one action: every setting × every trainer)">
          what
          <select data-testid="compare-kind" className="compare-kind" value={form.kind} onChange={(e) => setForm({ kind: e.currentTarget.value as CompareKind })}>
            {KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label title="What every trainer gets the same amount of">
          hold equal
          <select data-testid="compare-align" value={form.align} onChange={(e) => setForm({ align: e.currentTarget.value as Alignment })}>
            {ALIGNS.map((a) => (
              <option key={a} value={a}>
                {ALIGN_HELP[a].label}
              </option>
            ))}
          </select>
        </label>
        <label title="Passes over the training rows in the equal-epochs plan (equal steps and equal time derive their budgets from it); 1 to 20 here">
          epochs
          <input data-testid="compare-epochs" type="number" min={1} max={20} step={1} value={form.epochs} onChange={(e) => setForm({ epochs: Number(e.currentTarget.value) })} />
        </label>
        <div className="compare-trainers" data-testid="compare-trainers" role="group" aria-label="trainers">
          {TRAINERS.map(({ trainer, help }) => (
            <label key={trainer} className="check" title={help}>
              <input type="checkbox" data-trainer={trainer} checked={form.trainers.includes(trainer)} onChange={(e) => toggle(trainer, e.currentTarget.checked)} />
              {TRAINER_LABELS[trainer]}
            </label>
          ))}
        </div>
        <ul className="align-help" data-testid="compare-align-help">
          {ALIGNS.map((a) => (
            <li key={a} className={a === form.align ? 'current' : ''}>
              <strong>{ALIGN_HELP[a].label}:</strong> {ALIGN_HELP[a].help}
            </li>
          ))}
        </ul>
      </fieldset>
      <div className="controls">
        <button data-testid="compare-run" className="primary" disabled={busy || why !== null} title={why ?? `Train ${runs} runs on the CPU reference, one after another, and score each on the test rows`} onClick={() => void compare()}>
          {busy ? 'Comparing…' : `Compare (${runs} run${runs === 1 ? '' : 's'})`}
        </button>
        {why && !busy && <span className="muted">{why}</span>}
      </div>
      <Progress store={store} />
      {error && (
        <p role="alert" className="error" data-testid="compare-error">
          {error}
        </p>
      )}
      {comparison && <CompareResults c={comparison} />}
      {comparison && arch !== (comparison.config.arch ?? 'topk') && <p className="muted">The results above are for {comparison.config.arch ?? 'topk'}; the form now says {arch}.</p>}
    </section>
  );
}

/** Runs done of all, and what trains now (Snapshot.comparing); empty when nothing runs. */
function Progress({ store }: { store: AppStore }) {
  const [p, busy] = useStore(store, useShallow((s) => [s.comparing, s.compareBusy] as const));
  return (
    <div className="compare-progress" data-testid="compare-progress" aria-live="polite">
      {p && p.runs > 0 ? (
        <>
          <progress max={p.runs} value={p.done} /> {p.done} of {p.runs} runs · {p.phase}
        </>
      ) : busy ? (
        'starting…'
      ) : null}
    </div>
  );
}
