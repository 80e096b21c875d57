// The Hungarian-matched latent pairs of members a and b (the one-to-one matching that maximises Σ cos of
// decoder rows) with their cosines, sortable; each latent opens in the inspector with the right member.
// Imports React and the store (through LatentLink).

import { useMemo, useState } from 'react';
import type { EnsembleViews } from '../../engine/api.ts';
import type { AppStore } from '../store.ts';
import { LatentLink } from './LatentLink.tsx';
import { fmt } from './style.ts';

/** Rows drawn at once; the rest are a sort away. */
const MAX_ROWS = 200;

type SortKey = 'cos' | 'a' | 'b';

export function MatchedPairs({ store, views, noun }: { store: AppStore; views: EnsembleViews; noun: string }) {
  const { a, b } = views.heatmap;
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'cos', desc: true });
  const rows = useMemo(() => {
    const out = views.pairs.slice();
    out.sort((p, q) => (sort.desc ? -1 : 1) * (p[sort.key] - q[sort.key]) || p.a - q.a);
    return out;
  }, [views, sort]);
  const header = (key: SortKey, label: string, title: string) => (
    <th title={title} aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
      <button className="sort" data-testid={`pairs-sort-${key}`} onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : key === 'cos' }))}>
        {label}
        {sort.key === key ? (sort.desc ? ' ▾' : ' ▴') : ''}
      </button>
    </th>
  );
  return (
    <div className="matched-pairs">
      <h4 title="Hungarian matching: the one-to-one pairing of member a's and member b's latents that maximises the sum of signed cos(wDec⁽ᵃ⁾_i, wDec⁽ᵇ⁾_j)">
        matched pairs · mean cos {fmt(views.meanPairCos, 3)}
      </h4>
      <div className="table-scroll short">
        <table className="ensemble-table" data-testid="matched-pairs">
          <thead>
            <tr>
              {header('a', `${noun} ${a} latent`, `latent i of ${noun} ${a}: click to inspect it`)}
              {header('b', `${noun} ${b} latent`, `its Hungarian match j in ${noun} ${b}: click to inspect it`)}
              {header('cos', 'cos', 'signed cos(wDec⁽ᵃ⁾_i, wDec⁽ᵇ⁾_j) of the pair: 1 = the same direction')}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, MAX_ROWS).map((p) => (
              <tr key={p.a} data-testid="pair-row">
                <td>
                  <LatentLink store={store} member={a} latent={p.a} noun={noun} from="the matched pairs" />
                </td>
                <td>
                  <LatentLink store={store} member={b} latent={p.b} noun={noun} from="the matched pairs" />
                </td>
                <td className="num">{fmt(p.cos, 3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted">
        {rows.length > MAX_ROWS ? `Showing ${MAX_ROWS} of ${rows.length} pairs (sort to see the others). ` : `${rows.length} pairs. `}
        Click a latent to open it in the inspector.
      </p>
    </div>
  );
}
