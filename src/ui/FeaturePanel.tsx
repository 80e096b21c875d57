// The feature inspector: a searchable, sortable table of the run's latents (feature/FeatureTable.tsx,
// data-testid feature-table) and the selected latent's page (feature/FeatureInspector.tsx,
// feature-inspector: peak, logit effects, top inputs, quantile bands, histogram, decoder, nearest latents).
// Each latent has a URL: `#…&latent=i(&member=j)` (urlState.ts), opened when the run is inspected.
// With 2 or more SAEs in the run (bagging members, boosting stages) a member picker chooses which one is
// read (store.inspectMember; the ensemble views open any member's latent here); a boosting stage j is
// read on its residual r⁽ʲ⁾, the input it codes in the ensemble (seed-papers.md §2.4).
// Reads the store; refreshes when a run pauses or finishes (store/snapshots.ts) or on the Refresh button.
// Must not import engine, gpu or core values (types only).

import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { RunInspection } from '../engine/api.ts';
import { FeatureInspector } from './feature/FeatureInspector.tsx';
import { FeatureTable } from './feature/FeatureTable.tsx';
import type { AppStore } from './store.ts';

export function FeaturePanel({ store }: { store: AppStore }) {
  const [inspection, inspecting, inspectError, refresh, status, snapshot] = useStore(
    store,
    useShallow((s) => [s.inspection, s.inspecting, s.inspectError, s.refreshInspection, s.status, s.snapshot] as const),
  );
  const linked = useStore(store, (s) => s.linkedLatent);
  const pending = linked && (
    <p className="note" data-testid="latent-link-pending">
      This link opens latent {linked.latent}
      {linked.member > 0 ? ` of member ${linked.member}` : ''} once a run of its experiment has trained: press Train (the settings above are the link's).
    </p>
  );
  if (!snapshot)
    return pending ? (
      <section className="feature-panel">
        <h2>Features</h2>
        {pending}
      </section>
    ) : null;
  const stale = inspection && snapshot.run === inspection.scope.run && snapshot.step !== inspection.scope.step;
  return (
    <section className="feature-panel">
      <h2>Features</h2>
      <MemberPicker store={store} />
      {pending}
      <p className="muted">
        <button data-testid="inspect-refresh" onClick={() => void refresh()} disabled={inspecting}>
          {inspection ? 'Refresh' : 'Inspect'}
        </button>{' '}
        {inspecting ? 'reading…' : inspection ? scopeLine(inspection) : status === 'training' ? 'The table fills in when training pauses or finishes, or press Inspect.' : ''}
        {stale && !inspecting ? ` (training is at step ${snapshot.step}: Refresh to update)` : ''}
      </p>
      {inspectError && (
        <p role="alert" className="error" data-testid="inspect-error">
          {inspectError}
        </p>
      )}
      {inspection && (
        <div className="feature-grid">
          <FeatureTable store={store} inspection={inspection} />
          <FeatureInspector store={store} inspection={inspection} />
        </div>
      )}
    </section>
  );
}

/** Which SAE of the run the inspector reads: shown when the run has 2 or more (bagging members, boosting stages). */
function MemberPicker({ store }: { store: AppStore }) {
  const [run, saes, method, stage, member, setMember, inspecting] = useStore(
    store,
    useShallow((s) => {
      const run = s.snapshot?.run ?? 0;
      const info = s.runInfos[run];
      return [run, info?.ensemble.saes ?? s.snapshot?.members.length ?? 1, info?.ensemble.method ?? (s.snapshot?.stage ? 'boosting' : 'bagging'), s.snapshot?.stage?.index ?? null, s.inspectMember, s.setInspectMember, s.inspecting] as const;
    }),
  );
  if (run === 0 || saes < 2) return null;
  const boosting = method === 'boosting';
  const noun = boosting ? 'stage' : 'member';
  return (
    <div className="member-picker">
      <label title={boosting ? 'Boosting stage j (0-based) learned the residual the frozen stages before it leave; it is read here on that residual' : 'The ensemble members (one SAE per seed): pick which one the table and the inspector read'}>
        {noun}
        <select data-testid="inspect-member" value={member} disabled={inspecting} onChange={(e) => void setMember(Number(e.currentTarget.value))}>
          {Array.from({ length: saes }, (_, j) => (
            <option key={j} value={j}>
              {noun} {j}
              {boosting && stage !== null && j > stage ? ' (not trained yet)' : boosting && stage === j ? ' (training)' : ''}
            </option>
          ))}
        </select>
      </label>
      <p className="muted" data-testid="member-note">
        {boosting
          ? member === 0
            ? `Stage 0 is read on the input x itself. Stage j > 0 is read on its residual r⁽ʲ⁾ = x − Σ_{l<j} g_l(r⁽ˡ⁾), the part of x the ${saes - 1 > 1 ? 'earlier stages' : 'first stage'} did not reconstruct.`
            : `Stage ${member} is read on its residual r⁽${member}⁾: x minus what stages 0..${member - 1} reconstruct (the input it learned to code), so its activations are the ensemble's sequential codes.`
          : `Member ${member} of ${saes}: each member is a whole SAE on the same inputs (bagging); latent i of member j is latent j·dSae + i of the ensemble.`}
      </p>
    </div>
  );
}

function scopeLine(i: RunInspection): string {
  const s = i.scope;
  const rows = `${s.rowsScanned.toLocaleString('en-US')} ${s.split} rows${s.capped ? ` (the first ${s.maxRows.toLocaleString('en-US')} of ${s.splitRows.toLocaleString('en-US')})` : ''}`;
  return `${i.table.length} latents of run ${s.run}, member ${s.member}, step ${s.step} (${s.weightsSource} weights), over ${rows} of ${s.dataset}.`;
}
