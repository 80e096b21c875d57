// The feature inspector: a searchable, sortable table of the run's latents (data-testid feature-table)
// and the selected latent (feature-inspector): its activation histogram, top-activating inputs
// (highlighted token contexts, greyscale thumbnails, words or rows), decoder direction (an image for
// image data, else a bar chart), nearest latents by decoder cosine (clickable) and best true feature.
// With 2 or more SAEs in the run (bagging members, boosting stages) a member picker chooses which one is
// read (store.inspectMember; the ensemble views open any member's latent here); a boosting stage j is
// read on its residual r⁽ʲ⁾, the input it codes in the ensemble (seed-papers.md §2.4).
// Reads the store; refreshes when a run pauses or finishes (store/snapshots.ts) or on the Refresh button.
// Must not import engine, gpu or core values (types only).

import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { LatentRow } from '../core/inspect/inspect.ts';
import type { InputView, LatentDetail, RunInspection } from '../engine/api.ts';
import { Plot } from './Plot.tsx';
import type { AppStore } from './store.ts';

/** Table columns: the formula of each is its tooltip (definitions: src/engine/api.ts, src/core/inspect/inspect.ts). */
const COLUMNS: { key: keyof LatentRow; label: string; formula: string; format: (r: LatentRow) => string }[] = [
  { key: 'latent', label: 'latent', formula: 'latent index i', format: (r) => String(r.latent) },
  { key: 'density', label: 'density', formula: 'p_i = n_i / T, n_i = #{t : f_t,i > 0} over the T rows scanned', format: (r) => fmt(r.density, 4) },
  { key: 'meanActivation', label: 'mean act', formula: '(1/n_i) Σ_{t : f_t,i > 0} f_t,i (mean over firing rows; 0 if it never fires)', format: (r) => fmt(r.meanActivation, 3) },
  { key: 'maxActivation', label: 'max act', formula: 'max_t f_t,i (0 if it never fires)', format: (r) => fmt(r.maxActivation, 3) },
  { key: 'encoderDecoderCosine', label: 'enc–dec cos', formula: 'cos(wEnc_i, wDec_i)', format: (r) => fmt(r.encoderDecoderCosine, 3) },
  { key: 'maxCos', label: 'nearest (cos)', formula: 'argmax_{j≠i} cos(wDec_i, wDec_j), and that cosine', format: (r) => (r.nearest < 0 ? '—' : `${r.nearest} (${fmt(r.maxCos, 2)})`) },
];
const TRUE_COLUMN = { key: 'trueCos' as const, label: 'true feature (|cos|)', formula: 'argmax_j |cos(wDec_i, g_j)| over the true features g, and that |cos|' };
/** Rows drawn at once (after search and sort); the rest are a scroll of the search away. */
const MAX_ROWS = 300;

export function FeaturePanel({ store }: { store: AppStore }) {
  const [inspection, inspecting, inspectError, refresh, status, snapshot] = useStore(
    store,
    useShallow((s) => [s.inspection, s.inspecting, s.inspectError, s.refreshInspection, s.status, s.snapshot] as const),
  );
  if (!snapshot) return null;
  const stale = inspection && snapshot.run === inspection.scope.run && snapshot.step !== inspection.scope.step;
  return (
    <section className="feature-panel">
      <h2>Features</h2>
      <MemberPicker store={store} />
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

function FeatureTable({ store, inspection }: { store: AppStore; inspection: RunInspection }) {
  const [selected, select] = useStore(store, useShallow((s) => [s.selected, s.selectLatent] as const));
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<{ key: keyof LatentRow; desc: boolean }>({ key: 'density', desc: true });
  const synthetic = inspection.table.some((r) => r.trueFeature !== undefined);
  const rows = useMemo(() => {
    const q = query.trim();
    const match = (r: LatentRow): boolean => q === '' || String(r.latent).startsWith(q) || (q.startsWith('~') && String(r.nearest) === q.slice(1));
    const key = sort.key;
    const sorted = inspection.table.filter(match).sort((a, b) => {
      const d = ((a[key] as number | undefined) ?? -Infinity) - ((b[key] as number | undefined) ?? -Infinity);
      return (sort.desc ? -d : d) || a.latent - b.latent;
    });
    return sorted;
  }, [inspection, query, sort]);
  const header = (key: keyof LatentRow, label: string, formula: string) => (
    <th key={key} title={formula} aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
      <button className="sort" onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : true })}>
        {label}
        {sort.key === key ? (sort.desc ? ' ▾' : ' ▴') : ''}
      </button>
    </th>
  );
  const onKey = (e: KeyboardEvent<HTMLTableRowElement>, latent: number) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      void select(latent);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = (e.key === 'ArrowDown' ? e.currentTarget.nextElementSibling : e.currentTarget.previousElementSibling) as HTMLElement | null;
      next?.focus();
    }
  };
  return (
    <div className="feature-table-wrap">
      <label className="search">
        search
        <input type="search" placeholder="latent #, or ~N: nearest is N" value={query} onChange={(e) => setQuery(e.currentTarget.value)} data-testid="feature-search" />
      </label>
      <div className="feature-scroll">
        <table className="feature-table" data-testid="feature-table">
          <thead>
            <tr>
              {COLUMNS.map((c) => header(c.key, c.label, c.formula))}
              {synthetic && header(TRUE_COLUMN.key, TRUE_COLUMN.label, TRUE_COLUMN.formula)}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, MAX_ROWS).map((r) => (
              <tr
                key={r.latent}
                tabIndex={0}
                aria-selected={r.latent === selected}
                className={r.latent === selected ? 'selected' : r.fireCount === 0 ? 'dead' : undefined}
                data-testid={`feature-row-${r.latent}`}
                onClick={() => void select(r.latent)}
                onKeyDown={(e) => onKey(e, r.latent)}
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
        Click a row, or focus it and press Enter. Hover a column for its formula.
      </p>
    </div>
  );
}

function FeatureInspector({ store, inspection }: { store: AppStore; inspection: RunInspection }) {
  const [selected, detail, select] = useStore(store, useShallow((s) => [s.selected, s.detail, s.selectLatent] as const));
  /** 'member' or 'stage' when the run has 2 or more SAEs (the heading then names which one), else null. */
  const noun = useStore(store, (s) => {
    const info = s.runInfos[s.snapshot?.run ?? 0];
    const saes = info?.ensemble.saes ?? s.snapshot?.members.length ?? 1;
    return saes < 2 ? null : info?.ensemble.method === 'boosting' || s.snapshot?.stage ? 'stage' : 'member';
  });
  if (selected === null)
    return (
      <div className="feature-inspector" data-testid="feature-inspector">
        <p className="muted">Select a latent in the table to see what activates it.</p>
      </div>
    );
  const row = inspection.table[selected];
  const d = detail && detail.latent === selected && detail.scope.member === inspection.scope.member ? detail : null;
  return (
    <div className="feature-inspector" data-testid="feature-inspector">
      <h3>
        {noun && (
          <span data-testid="inspector-member">
            {noun} {inspection.scope.member} ·{' '}
          </span>
        )}
        latent {selected}
        {row && (
          <span className="muted" title="density p_i = n_i / T; max act = max_t f_t,i">
            {' '}
            · fires on {fmt(row.density * 100, 2)}% of rows · max {fmt(row.maxActivation, 3)}
          </span>
        )}
      </h3>
      {row?.trueFeature !== undefined && (
        <p data-testid="true-feature" title={TRUE_COLUMN.formula}>
          best-matching true feature: {row.trueFeature < 0 ? 'none' : `${row.trueFeature} (|cos| ${fmt(row.trueCos ?? 0, 3)})`}
        </p>
      )}
      {!d ? (
        <p className="muted">reading latent {selected}…</p>
      ) : (
        <>
          <h4 title="f_t,i of the rows where it fires (f > 0), value desc">top-activating inputs</h4>
          <TopInputs detail={d} />
          <h4 title="40 equal-width bins over [min, max] of the firing values f_t,i > 0">activation histogram</h4>
          <Histogram detail={d} />
          <h4 title="wDec_i: the direction this latent adds to the reconstruction, per input dimension">decoder direction</h4>
          <Decoder detail={d} />
          <h4 title="the 5 latents j ≠ i with the largest cos(wDec_i, wDec_j)">nearest latents</h4>
          <ul className="nearest" data-testid="nearest-latents">
            {d.nearest.map((n) => (
              <li key={n.latent}>
                <button onClick={() => void select(n.latent)} title={`cos(wDec_${selected}, wDec_${n.latent}) = ${n.cos}`}>
                  {n.latent}
                </button>{' '}
                <span className="muted">cos {fmt(n.cos, 3)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function TopInputs({ detail }: { detail: LatentDetail }) {
  if (detail.top.length === 0) return <p className="muted">This latent did not fire on any of the rows scanned.</p>;
  const max = detail.top[0].value;
  return (
    <ol className="top-inputs" data-testid="top-inputs">
      {detail.top.map((t) => (
        <li key={t.row} className={`top-input top-${t.kind}`}>
          <TopInput view={t} max={max} />
        </li>
      ))}
    </ol>
  );
}

function TopInput({ view, max }: { view: InputView; max: number }) {
  const value = (
    <span className="act" title={`f = ${view.value} on row ${view.row}`}>
      {fmt(view.value, 3)}
    </span>
  );
  switch (view.kind) {
    case 'token':
      return (
        <span className="token-context">
          {value}{' '}
          {view.tokens.map((tok) => (
            <span
              key={tok.row}
              className={tok.focus ? 'tok focus' : 'tok'}
              style={{ background: `rgba(255, 140, 0, ${Math.max(0, Math.min(1, tok.value / (max || 1))).toFixed(3)})` }}
              title={`row ${tok.row}, position ${tok.position}: f = ${fmt(tok.value, 4)}`}
            >
              {tok.text.replace(/\n/g, '⏎')}
            </span>
          ))}
        </span>
      );
    case 'image':
      return (
        <span className="thumb" title={`row ${view.row}${view.label ? `, ${view.label}` : ''}: f = ${view.value}`}>
          <Pixels values={view.pixels} width={view.width} height={view.height} scale={3} mode="grey" />
          <span className="muted">{view.label ?? `#${view.row}`}</span>
          {value}
        </span>
      );
    case 'word':
      return (
        <span>
          {value} <span className="word">{view.word}</span>
        </span>
      );
    default:
      return (
        <span>
          {value} row {view.row}
          {view.label ? ` (${view.label})` : ''}
        </span>
      );
  }
}

/** A canvas of [height·width] values: 'grey' maps [min, max] to black..white; 'diverging' maps ±max|v| to blue..white..red. */
function Pixels({ values, width, height, scale, mode }: { values: Float32Array; width: number; height: number; scale: number; mode: 'grey' | 'diverging' }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(width, height);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    for (let i = 0; i < width * height; i++) {
      const v = values[i];
      let r: number, g: number, b: number;
      if (mode === 'grey') {
        r = g = b = hi > lo ? Math.round((255 * (v - lo)) / (hi - lo)) : 0;
      } else {
        const a = Math.min(1, Math.abs(v) / m);
        r = v >= 0 ? 255 : Math.round(255 * (1 - a));
        b = v <= 0 ? 255 : Math.round(255 * (1 - a));
        g = Math.round(255 * (1 - a));
      }
      img.data.set([r, g, b, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
  }, [values, width, height, mode]);
  return <canvas ref={ref} width={width} height={height} style={{ width: width * scale, height: height * scale, imageRendering: 'pixelated' }} />;
}

function Histogram({ detail }: { detail: LatentDetail }) {
  const h = detail.histogram;
  const data = useMemo(() => {
    const mids = h.counts.map((_, b) => (h.edges[b] + h.edges[b + 1]) / 2);
    return [{ x: mids, y: h.counts, type: 'bar', marker: { color: '#e08a1e' }, hovertemplate: 'f ≈ %{x:.3g}: %{y} rows<extra></extra>' }];
  }, [h]);
  if (h.firing === 0) return <p className="muted">never fires on the rows scanned</p>;
  return <Plot data={data} layout={HIST_LAYOUT} testId="feature-histogram" />;
}

const HIST_LAYOUT = { height: 180, margin: { l: 48, r: 12, t: 8, b: 36 }, bargap: 0.05, xaxis: { title: { text: 'activation f' } }, yaxis: { title: { text: 'rows' } } };
const DEC_LAYOUT = { height: 160, margin: { l: 48, r: 12, t: 8, b: 32 }, xaxis: { title: { text: 'input dimension' } }, yaxis: { title: { text: 'wDec' } } };

function Decoder({ detail }: { detail: LatentDetail }) {
  const data = useMemo(() => [{ x: Array.from(detail.decoder, (_, d) => d), y: Array.from(detail.decoder), type: 'bar', marker: { color: '#5b7fd6' } }], [detail]);
  if (detail.imageShape) {
    const [height, width] = detail.imageShape;
    return (
      <div className="decoder-image" title="red: positive, blue: negative, white: 0" data-testid="decoder-image">
        <Pixels values={detail.decoder} width={width} height={height} scale={Math.max(2, Math.floor(140 / width))} mode="diverging" />
      </div>
    );
  }
  return <Plot data={data} layout={DEC_LAYOUT} testId="decoder-plot" />;
}

function fmt(v: number, digits: number): string {
  if (!Number.isFinite(v)) return '—';
  return Math.abs(v) !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(1) : v.toFixed(digits);
}
