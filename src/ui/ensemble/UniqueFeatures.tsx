// Features unique to one member: latents whose best signed decoder cosine in every other member is ≤ τ
// (seed-papers.md §2.7 "found only in the base SAE", τ = 0.6 by default), per member with the fraction
// and the mean best cosine; each latent opens in the inspector. τ can be changed (the views are
// recomputed). Imports React and the store.

import { useState } from 'react';
import { useStore } from 'zustand';
import type { EnsembleViews } from '../../engine/api.ts';
import type { AppStore } from '../store.ts';
import { LatentLink } from './LatentLink.tsx';
import { fmt, memberColor } from './style.ts';

/** Latents listed per member at most. */
const MAX_LISTED = 120;
const UNIQUE_FORMULA = 'latent i of member j is unique when max over the other members q of max_i′ cos(wDec⁽ʲ⁾_i, wDec⁽q⁾_i′) ≤ τ';

export function UniqueFeatures({ store, views, noun }: { store: AppStore; views: EnsembleViews; noun: string }) {
  const busy = useStore(store, (s) => s.ensembleBusy.views !== undefined);
  const [tau, setTau] = useState(String(views.unique.tau));
  const tauValue = Number(tau);
  const tauOk = tau.trim() !== '' && tauValue >= -1 && tauValue <= 1;
  return (
    <div className="unique-features" data-testid="unique-features">
      <h4 title={UNIQUE_FORMULA}>features unique to one {noun} (τ = {views.unique.tau})</h4>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (tauOk) void store.getState().loadViews(undefined, undefined, tauValue);
        }}
      >
        <label className="inline" title={`${UNIQUE_FORMULA}; in [−1, 1], default 0.6 (the paper's)`}>
          τ <input type="number" step={0.05} min={-1} max={1} value={tau} onChange={(e) => setTau(e.currentTarget.value)} data-testid="unique-tau" />
        </label>{' '}
        <button type="submit" disabled={!tauOk || busy}>
          Apply
        </button>
        {!tauOk && <span className="error-text"> τ must be a number in [−1, 1]</span>}
      </form>
      <ul className="unique-list">
        {views.unique.perMember.map((u, j) => (
          <li key={j} data-testid={`unique-member-${j}`}>
            <strong style={{ color: memberColor(j) }}>
              {noun} {j}
            </strong>
            : <span title="count and share of this member's latents that are unique">{u.latents.length} unique ({fmt(u.fraction * 100, 1)}%)</span> ·{' '}
            <span title="mean over this member's latents of their best cosine in any other member (the paper's 'average max cosine')">mean best cos elsewhere {fmt(u.meanMaxCos, 3)}</span>
            <div className="latent-links">
              {u.latents.slice(0, MAX_LISTED).map((i) => (
                <LatentLink key={i} store={store} member={j} latent={i} noun={noun} />
              ))}
              {u.latents.length > MAX_LISTED && <span className="muted"> … and {u.latents.length - MAX_LISTED} more</span>}
              {u.latents.length === 0 && <span className="muted">none: every latent has a match above τ in another {noun}</span>}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
