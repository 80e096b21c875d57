// The feature page of one latent (data-testid feature-inspector; issue #14 "a feature page worth sharing"):
// its URL (the page's hash carries `latent=`, App.tsx), the token or row at its peak, its logit effects
// through stories260K for resid:L sites, the top-activating inputs (whole-word contexts, value per token),
// samples from quantile bands across the activation range, the activation histogram and decoder direction
// (each with a text summary), and its nearest latents in this and (after Compare members) the other
// members. After a jump from an ensemble view, a button goes back there. Reads the store; must not import
// engine, gpu or core values (types only).

import { useMemo } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { InputView, LatentDetail, LogitEffectsView, QuantileBand, RunInspection } from '../../engine/api.ts';
import { Plot } from '../Plot.tsx';
import type { AppStore } from '../store.ts';
import { TRUE_COLUMN } from './FeatureTable.tsx';
import { fmt, showToken } from './format.ts';
import { InputRow, Pixels, scaleFor } from './inputs.tsx';
import { CopyLink } from '../CopyLink.tsx';

export function FeatureInspector({ store, inspection }: { store: AppStore; inspection: RunInspection }) {
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
        <BackButton store={store} />
        <p className="muted">Select a latent in the table to see what activates it.</p>
      </div>
    );
  const row = inspection.table[selected];
  const d = detail && detail.latent === selected && detail.scope.member === inspection.scope.member ? detail : null;
  return (
    <div className="feature-inspector" data-testid="feature-inspector">
      <BackButton store={store} />
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
        )}{' '}
        <CopyLink testId="latent-copy-link" title="The address bar names this latent (…&latent=i): copy it to share this page; it reopens here after the run trains" />
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
          <Peak detail={d} />
          {/* Only text has a language model to read logits through; other data gets no note (it would be noise). */}
          {inspection.kind === 'text' && <LogitEffects logits={d.logits} />}
          <h4 title="f_t,i of the rows where it fires (f > 0), value desc">top-activating inputs</h4>
          <TopInputs detail={d} />
          <h4 title="The firing rows sorted by f and cut by rank: each band shows a few rows spread over it (as Neuronpedia's interval groups)">samples across the activation range</h4>
          <Bands detail={d} />
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
          <OtherMembers store={store} member={inspection.scope.member} latent={selected} noun={noun ?? 'member'} />
        </>
      )}
    </div>
  );
}

/** "← back to …" after a jump from an ensemble view: restores the page's scroll there (issue #14). */
function BackButton({ store }: { store: AppStore }) {
  const [returnTo, setReturnTo] = useStore(store, useShallow((s) => [s.returnTo, s.setReturnTo] as const));
  if (!returnTo) return null;
  return (
    <p className="back-line">
      <button
        data-testid="latent-back"
        onClick={() => {
          window.scrollTo({ top: returnTo.scrollY });
          setReturnTo(null);
        }}
      >
        ← back to {returnTo.label}
      </button>
    </p>
  );
}

/** What the latent fires on most: the token (text), word, image row or row of its top activation. */
function Peak({ detail }: { detail: LatentDetail }) {
  const top = detail.top[0];
  if (!top) return null;
  const what = peakName(top);
  return (
    <p className="peak" data-testid="peak-token" title="The input of the latent's largest activation over the rows scanned">
      peak: <strong className="peak-name">{what}</strong> <span className="muted">f = {fmt(top.value, 3)} on row {top.row}</span>
    </p>
  );
}

function peakName(v: InputView): string {
  switch (v.kind) {
    case 'token':
      return `token “${showToken(v.token)}”`;
    case 'word':
      return `word “${v.word}”`;
    case 'image':
      return `image #${v.row}${v.label ? ` (${v.label})` : ''}`;
    default:
      return `row ${v.row}${v.label ? ` (${v.label})` : ''}`;
  }
}

/** The tokens the decoder direction promotes and suppresses through the unembedding, or why none. */
function LogitEffects({ logits }: { logits: LogitEffectsView }) {
  const FORMULA =
    'e_v = W_U[v] · (γ ⊙ wDec_i): the decoder row through the final RMSNorm weight γ and the tied unembedding W_U (the norm’s 1/rms scales every token alike and is left out, as TransformerLens’s fold_ln); the direct path only';
  if (logits.kind === 'none')
    return (
      <p className="muted" data-testid="logit-effects-none">
        No logit effects: {logits.reason}.
      </p>
    );
  const list = (items: { token: number; text: string; value: number }[], sign: 'up' | 'down') => (
    <ol className={`logit-list ${sign}`}>
      {items.map((t) => (
        <li key={t.token}>
          <span className="logit-tok">{showToken(t.text)}</span> <span className="num">{fmt(t.value, 3)}</span>
        </li>
      ))}
    </ol>
  );
  return (
    <div className="logit-effects" data-testid="logit-effects" title={FORMULA}>
      <h4 title={FORMULA}>logit effects through stories260K ({logits.site}, direct path)</h4>
      <div className="logit-cols">
        <div data-testid="logit-promoted">
          <p className="muted">promoted</p>
          {list(logits.promoted, 'up')}
        </div>
        <div data-testid="logit-suppressed">
          <p className="muted">suppressed</p>
          {list(logits.suppressed, 'down')}
        </div>
      </div>
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
          <InputRow view={t} max={max} />
        </li>
      ))}
    </ol>
  );
}

const pct = (f: number): string => `${Math.round(f * 100)}%`;
const bandName = (b: QuantileBand): string => (b.from === 0 ? `lowest non-zero (0–${pct(b.to)})` : b.to === 1 ? `top ${pct(1 - b.from)}` : `${pct(b.from)}–${pct(b.to)}`);

/** The bands of firing rows by rank, highest first, each with its activation range and a few rows. */
function Bands({ detail }: { detail: LatentDetail }) {
  if (detail.bands.length === 0) return <p className="muted">It never fires on the rows scanned.</p>;
  const max = detail.top[0]?.value ?? 1;
  return (
    <div className="quantile-bands" data-testid="quantile-bands">
      {[...detail.bands].reverse().map((b) => (
        <section key={b.from} className="band" data-testid="quantile-band">
          <p className="band-head">
            <strong>{bandName(b)}</strong>{' '}
            <span className="muted">
              of firing rows · f {fmt(b.lo, 3)}–{fmt(b.hi, 3)} · {Math.round(b.contains * detail.histogram.firing)} rows
            </span>
          </p>
          {b.samples.length === 0 ? (
            <p className="muted">no rows</p>
          ) : (
            <ul className="top-inputs band-samples">
              {b.samples.map((t) => (
                <li key={t.row} className={`top-input top-${t.kind}`}>
                  <InputRow view={t} max={max} />
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
    </div>
  );
}

function Histogram({ detail }: { detail: LatentDetail }) {
  const h = detail.histogram;
  const data = useMemo(() => {
    const mids = h.counts.map((_, b) => (h.edges[b] + h.edges[b + 1]) / 2);
    return [{ x: mids, y: h.counts, type: 'bar', marker: { color: '#e08a1e' }, hovertemplate: 'f ≈ %{x:.3g}: %{y} rows<extra></extra>' }];
  }, [h]);
  if (h.firing === 0) return <p className="muted">never fires on the rows scanned</p>;
  const mode = h.counts.indexOf(Math.max(...h.counts));
  return (
    <figure className="plot-figure">
      <Plot data={data} layout={HIST_LAYOUT} testId="feature-histogram" />
      <figcaption className="muted plot-summary" data-testid="histogram-summary">
        {h.firing} firing rows, f from {fmt(h.edges[0], 3)} to {fmt(h.edges[h.edges.length - 1], 3)}; the fullest bin is {fmt(h.edges[mode], 3)}–{fmt(h.edges[mode + 1], 3)} ({h.counts[mode]} rows).
      </figcaption>
    </figure>
  );
}

const HIST_LAYOUT = { height: 180, margin: { l: 48, r: 12, t: 8, b: 36 }, bargap: 0.05, xaxis: { title: { text: 'activation f' } }, yaxis: { title: { text: 'rows' } } };
const DEC_LAYOUT = { height: 160, margin: { l: 48, r: 12, t: 8, b: 32 }, xaxis: { title: { text: 'input dimension' } }, yaxis: { title: { text: 'wDec' } } };

function Decoder({ detail }: { detail: LatentDetail }) {
  const data = useMemo(() => [{ x: Array.from(detail.decoder, (_, d) => d), y: Array.from(detail.decoder), type: 'bar', marker: { color: '#5b7fd6' } }], [detail]);
  const summary = useMemo(() => {
    const byMag = Array.from(detail.decoder, (v, d) => ({ d, v })).sort((a, b) => Math.abs(b.v) - Math.abs(a.v) || a.d - b.d);
    return `largest |wDec| at dimension${byMag.length > 1 ? 's' : ''} ${byMag
      .slice(0, 3)
      .map((e) => `${e.d} (${fmt(e.v, 3)})`)
      .join(', ')}`;
  }, [detail]);
  if (detail.imageShape) {
    const [height, width] = detail.imageShape;
    return (
      <figure className="decoder-image" title="red: positive, blue: negative, white: 0" data-testid="decoder-image">
        <Pixels values={detail.decoder} width={width} height={height} scale={scaleFor(width, 168)} mode="diverging" />
        <figcaption className="muted plot-summary">Red pixels push the reconstruction up, blue down; {summary}.</figcaption>
      </figure>
    );
  }
  return (
    <figure className="plot-figure">
      <Plot data={data} layout={DEC_LAYOUT} testId="decoder-plot" />
      <figcaption className="muted plot-summary" data-testid="decoder-summary">
        {detail.decoder.length} dimensions; {summary}.
      </figcaption>
    </figure>
  );
}

/** The latent's best match in every other member, from the last Compare members of this run (ensemble views). */
function OtherMembers({ store, member, latent, noun }: { store: AppStore; member: number; latent: number; noun: string }) {
  const [views, run, inspectLatent] = useStore(store, useShallow((s) => [s.views[s.snapshot?.run ?? 0], s.snapshot?.run ?? 0, s.inspectLatent] as const));
  if (!views || views.run !== run) return null;
  const p = views.stability.perMember[member];
  if (!p || latent >= p.score.length) return null;
  const J = views.stability.perMember.length;
  const others = Array.from({ length: J }, (_, q) => q).filter((q) => q !== member);
  return (
    <p className="nearest-other" data-testid="nearest-other-members" title="argmax_i′ cos(wDec⁽ʲ⁾_i, wDec⁽q⁾_i′): the best match in each other member, from Compare members">
      in the other {noun}s:{' '}
      {others.map((q) => {
        const at = q * p.score.length + latent;
        const best = p.bestLatent[at]!;
        return best < 0 ? null : (
          <span key={q}>
            <button onClick={() => void inspectLatent(q, best)}>
              {noun} {q} · {best}
            </button>{' '}
            <span className="muted">cos {fmt(p.bestCos[at]!, 3)}</span>{' '}
          </span>
        );
      })}
    </p>
  );
}
