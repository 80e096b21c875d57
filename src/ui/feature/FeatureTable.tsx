// The feature page's latent table (data-testid feature-table): every latent of the inspected SAE with its
// statistics, searchable and sortable. One Tab stop (issue #14, accessibility): the table is a grid whose
// active row alone has tabIndex 0; ↑/↓, PgUp/PgDn, Home/End move through the rows and select as they go,
// Enter or a click selects. Must not import engine, gpu or core values (types only).

import { useMemo, useState, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { LatentRow } from '../../core/inspect/inspect.ts';
import type { RunInspection } from '../../engine/api.ts';
import type { AppStore } from '../store.ts';
import { fmt } from './format.ts';

/** Table columns: the formula of each is its tooltip (definitions: src/engine/api/inspect.ts, src/core/inspect/inspect.ts). */
const COLUMNS: { key: keyof LatentRow; label: string; formula: string; format: (r: LatentRow) => string }[] = [
  { key: 'latent', label: 'latent', formula: 'latent index i', format: (r) => String(r.latent) },
  { key: 'density', label: 'density', formula: 'p_i = n_i / T, n_i = #{t : f_t,i > 0} over the T rows scanned', format: (r) => fmt(r.density, 4) },
  { key: 'meanActivation', label: 'mean act', formula: '(1/n_i) Σ_{t : f_t,i > 0} f_t,i (mean over firing rows; 0 if it never fires)', format: (r) => fmt(r.meanActivation, 3) },
  { key: 'maxActivation', label: 'max act', formula: 'max_t f_t,i (0 if it never fires)', format: (r) => fmt(r.maxActivation, 3) },
  { key: 'encoderDecoderCosine', label: 'enc–dec cos', formula: 'cos(wEnc_i, wDec_i)', format: (r) => fmt(r.encoderDecoderCosine, 3) },
  { key: 'maxCos', label: 'nearest (cos)', formula: 'argmax_{j≠i} cos(wDec_i, wDec_j), and that cosine', format: (r) => (r.nearest < 0 ? '—' : `${r.nearest} (${fmt(r.maxCos, 2)})`) },
];
export const TRUE_COLUMN = { key: 'trueCos' as const, label: 'true feature (|cos|)', formula: 'argmax_j |cos(wDec_i, g_j)| over the true features g, and that |cos|' };
/** Rows drawn at once (after search and sort); the rest are a scroll of the search away. */
const MAX_ROWS = 300;
/** Rows a PgUp / PgDn moves. */
const PAGE = 10;

export function FeatureTable({ store, inspection }: { store: AppStore; inspection: RunInspection }) {
  const [selected, select] = useStore(store, useShallow((s) => [s.selected, s.selectLatent] as const));
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<{ key: keyof LatentRow; desc: boolean }>({ key: 'density', desc: true });
  const synthetic = inspection.table.some((r) => r.trueFeature !== undefined);
  const rows = useMemo(() => {
    const q = query.trim();
    const match = (r: LatentRow): boolean => q === '' || String(r.latent).startsWith(q) || (q.startsWith('~') && String(r.nearest) === q.slice(1));
    const key = sort.key;
    return inspection.table.filter(match).sort((a, b) => {
      const d = ((a[key] as number | undefined) ?? -Infinity) - ((b[key] as number | undefined) ?? -Infinity);
      return (sort.desc ? -d : d) || a.latent - b.latent;
    });
  }, [inspection, query, sort]);
  const shown = rows.slice(0, MAX_ROWS);
  // The one row in the Tab order: the selected latent when it is shown, else the first row.
  const active = shown.some((r) => r.latent === selected) ? selected : (shown[0]?.latent ?? null);
  const header = (key: keyof LatentRow, label: string, formula: string) => (
    <th key={key} title={formula} aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
      <button className="sort" onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : true })}>
        {label}
        {sort.key === key ? (sort.desc ? ' ▾' : ' ▴') : ''}
      </button>
    </th>
  );
  const onKey = (e: KeyboardEvent<HTMLTableSectionElement>) => {
    const at = shown.findIndex((r) => r.latent === active);
    const moves: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, PageDown: at + PAGE, PageUp: at - PAGE, Home: 0, End: shown.length - 1 };
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (active !== null) void select(active);
      return;
    }
    if (!(e.key in moves) || shown.length === 0) return;
    e.preventDefault();
    const next = shown[Math.max(0, Math.min(shown.length - 1, moves[e.key]))];
    void select(next.latent);
    (e.currentTarget.querySelector(`[data-latent="${next.latent}"]`) as HTMLElement | null)?.focus();
  };
  return (
    <div className="feature-table-wrap">
      <label className="search">
        search
        <input type="search" placeholder="latent #, or ~N: nearest is N" value={query} onChange={(e) => setQuery(e.currentTarget.value)} data-testid="feature-search" />
      </label>
      <div className="feature-scroll">
        <table className="feature-table" data-testid="feature-table" role="grid" aria-label="latents: ↑ ↓ to move, Enter to open">
          <thead>
            <tr>
              {COLUMNS.map((c) => header(c.key, c.label, c.formula))}
              {synthetic && header(TRUE_COLUMN.key, TRUE_COLUMN.label, TRUE_COLUMN.formula)}
            </tr>
          </thead>
          <tbody onKeyDown={onKey}>
            {shown.map((r) => (
              <tr
                key={r.latent}
                tabIndex={r.latent === active ? 0 : -1}
                aria-selected={r.latent === selected}
                className={r.latent === selected ? 'selected' : r.fireCount === 0 ? 'dead' : undefined}
                data-testid={`feature-row-${r.latent}`}
                data-latent={r.latent}
                onClick={() => void select(r.latent)}
              >
                {COLUMNS.map((c) => (
                  <td key={c.key} title={c.formula}>
                    {c.format(r)}
                  </td>
                ))}
                {synthetic && <td title={TRUE_COLUMN.formula}>{r.trueFeature === undefined || r.trueFeature < 0 ? '—' : `${r.trueFeature} (${fmt(r.trueCos ?? 0, 2)})`}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted">
        {rows.length > MAX_ROWS ? `showing ${MAX_ROWS} of ${rows.length} matching latents: search to narrow. ` : `${rows.length} latents. `}
        Click a row, or Tab to the table and move with ↑ ↓ (Home, End, PgUp, PgDn). Hover a column for its formula.
      </p>
    </div>
  );
}
