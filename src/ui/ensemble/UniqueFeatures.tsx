// Features unique to one member: latents whose best signed decoder cosine in every other member is ≤ τ
// (seed-papers.md §2.7 "found only in the base SAE", τ = 0.6 by default), per member with the fraction
// and the mean best cosine, then one sortable table of them all (issue #14: it was a wall of buttons, 192
// for boosting): member, latent, its best cosine elsewhere and where, its stability score. The table is one
// Tab stop (↑/↓ move, Enter opens the latent in the inspector). τ can be changed (the views are
// recomputed). Imports React and the store.

import { useMemo, useState, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import type { EnsembleViews } from '../../engine/api.ts';
import type { AppStore } from '../store.ts';
import { openLatent } from './LatentLink.tsx';
import { fmt, memberColor } from './style.ts';

/** Table rows drawn at most (sorted first). */
const MAX_LISTED = 300;
/** One unique latent: member j, latent i, its best cosine in any other member (and which), its stability score. */
interface UniqueRow {
  member: number;
  latent: number;
  bestCos: number;
  bestMember: number;
  bestLatent: number;
  score: number;
}
type SortKey = 'member' | 'latent' | 'bestCos' | 'score';
const SORT_HELP: Record<SortKey, string> = {
  member: 'the member (or stage) j the latent belongs to',
  latent: 'latent index i within its member',
  bestCos: 'max over the other members q of max_i′ cos(wDec⁽ʲ⁾_i, wDec⁽q⁾_i′): its closest direction anywhere else (≤ τ, so it is unique)',
  score: 's_i: the mean over the other members of its best cosine there (per-latent stability)',
};

/** The unique latents of every member as table rows, from the views' stability matches ([J, dSae] member-major). */
function uniqueRows(views: EnsembleViews): UniqueRow[] {
  const out: UniqueRow[] = [];
  views.unique.perMember.forEach((u, j) => {
    const p = views.stability.perMember[j];
    for (const i of u.latents) {
      let bestCos = -Infinity;
      let bestMember = -1;
      let bestLatent = -1;
      if (p) {
        const n = p.score.length;
        for (let q = 0; q < views.stability.perMember.length; q++) {
          if (q === j) continue;
          const c = p.bestCos[q * n + i]!;
          if (c > bestCos) [bestCos, bestMember, bestLatent] = [c, q, p.bestLatent[q * n + i]!];
        }
      }
      out.push({ member: j, latent: i, bestCos, bestMember, bestLatent, score: p ? p.score[i]! : NaN });
    }
  });
  return out;
}
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
          </li>
        ))}
      </ul>
      <UniqueTable store={store} views={views} noun={noun} />
    </div>
  );
}

/** Every unique latent in one sortable table; the active row alone is in the Tab order. */
function UniqueTable({ store, views, noun }: { store: AppStore; views: EnsembleViews; noun: string }) {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'bestCos', desc: false });
  const [active, setActive] = useState(0);
  const rows = useMemo(() => {
    const all = uniqueRows(views);
    const { key, desc } = sort;
    return all.sort((a, b) => (desc ? -1 : 1) * (a[key] - b[key]) || a.member - b.member || a.latent - b.latent);
  }, [views, sort]);
  if (rows.length === 0) return <p className="muted">No unique latents: every latent has a match above τ in another {noun}.</p>;
  const shown = rows.slice(0, MAX_LISTED);
  const at = Math.min(active, shown.length - 1);
  const header = (key: SortKey, label: string) => (
    <th key={key} title={SORT_HELP[key]} aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
      <button className="sort" data-testid={`unique-sort-${key}`} onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : key === 'bestCos' ? false : true })}>
        {label}
        {sort.key === key ? (sort.desc ? ' ▾' : ' ▴') : ''}
      </button>
    </th>
  );
  const open = (r: UniqueRow) => openLatent(store, r.member, r.latent, 'the unique features');
  const onKey = (e: KeyboardEvent<HTMLTableSectionElement>) => {
    const moves: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, PageDown: at + 10, PageUp: at - 10, Home: 0, End: shown.length - 1 };
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open(shown[at]!);
      return;
    }
    if (!(e.key in moves)) return;
    e.preventDefault();
    const next = Math.max(0, Math.min(shown.length - 1, moves[e.key]!));
    setActive(next);
    (e.currentTarget.children[next] as HTMLElement | undefined)?.focus();
  };
  return (
    <>
      <div className="table-scroll short">
        <table className="ensemble-table" data-testid="unique-table" role="grid" aria-label={`unique latents: ↑ ↓ to move, Enter to open in the inspector`}>
          <thead>
            <tr>
              {header('member', noun)}
              {header('latent', 'latent')}
              {header('bestCos', 'best cos elsewhere')}
              {header('score', 'stability')}
            </tr>
          </thead>
          <tbody onKeyDown={onKey}>
            {shown.map((r, k) => (
              <tr key={`${r.member}:${r.latent}`} tabIndex={k === at ? 0 : -1} data-member={r.member} data-latent={r.latent} onClick={() => open(r)} onFocus={() => setActive(k)} title={`Open ${noun} ${r.member}'s latent ${r.latent} in the feature inspector`}>
                <td>
                  <span style={{ color: memberColor(r.member) }}>■</span> {r.member}
                </td>
                <td className="num">{r.latent}</td>
                <td className="num">
                  {fmt(r.bestCos, 3)} {r.bestMember >= 0 && <span className="muted">({noun} {r.bestMember} · {r.bestLatent})</span>}
                </td>
                <td className="num">{fmt(r.score, 3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted">
        {rows.length > MAX_LISTED ? `Showing ${MAX_LISTED} of ${rows.length} unique latents (sort to see others). ` : `${rows.length} unique latents. `}
        Click a row, or Tab to the table, move with ↑ ↓ and press Enter, to open it in the inspector.
      </p>
    </>
  );
}
