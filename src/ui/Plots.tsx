// Live training plots. Each chart subscribes to the store outside React's render path (store.subscribe)
// and redraws its own div through one scheduler (one Plotly.react per animation frame, each plot at most
// every PLOT_INTERVAL_MS); React renders the divs once.
// Charts: loss and its parts (loss-plot), explained variance, L0, dead and dense fractions, learning rate, and the
// feature-density histogram (log10). Plus the throughput and adapter line. Before a run's first step there are
// no charts, only a few lines on what will appear (plots-placeholder): empty axes say nothing. Imports plotly, React, the store.

import type { PlotObject } from 'plotly.js-dist-min';
import { useEffect, useRef } from 'react';
import { useStore } from 'zustand';
import { decimate } from './decimate.ts';
import { loadPlotly, purgePlot, reactPlot } from './plotlyLoader.ts';
import { DENSE_FORMULA } from '../core/sae/density.ts';
import type { AppState, AppStore } from './store.ts';
import type { LossSeries } from './store/series.ts';

/** pick's values are compared by identity, or element by element when pick returns an array. */
const same = (a: unknown, b: unknown): boolean => a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]));

const CONFIG: PlotObject = { displayModeBar: false, responsive: true };

const layout = (title: string, yTitle: string, extra: PlotObject = {}): PlotObject => ({
  height: 220,
  margin: { l: 56, r: 12, t: 28, b: 36 },
  title: { text: title, font: { size: 13 } },
  xaxis: { title: { text: 'step' } },
  yaxis: { title: { text: yTitle } },
  showlegend: false,
  ...extra,
});

/**
 * Every live plot's redraws go through one scheduler: at most one Plotly.react per animation frame, and each plot
 * at most once per PLOT_INTERVAL_MS. Issue #14: six Plotly.react calls in the frame after each snapshot (15 Hz) made
 * one main-thread task of 50–140 ms; one draw per frame keeps each task near a single plot's cost, and the interval
 * keeps plotting to a fraction of the main thread while training.
 */
export const PLOT_INTERVAL_MS = 400;

interface Pending {
  draw: () => void;
  /** performance.now() of this plot's last draw. */
  last: number;
}

function createDrawScheduler(intervalMs: number) {
  const pending = new Set<Pending>();
  let frame = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = (): void => {
    frame = 0;
    timer = undefined;
    const now = performance.now();
    let wait = Infinity;
    for (const p of pending) {
      const ready = p.last + intervalMs - now;
      if (ready <= 0) {
        pending.delete(p);
        p.last = now;
        p.draw();
        wait = 0;
        break;
      }
      wait = Math.min(wait, ready);
    }
    if (pending.size === 0) return;
    if (wait === 0) frame = requestAnimationFrame(tick);
    else timer = setTimeout(() => (frame = requestAnimationFrame(tick)), wait);
  };
  return {
    request(p: Pending): void {
      pending.add(p);
      if (!frame && timer === undefined) frame = requestAnimationFrame(tick);
    },
    cancel(p: Pending): void {
      pending.delete(p);
    },
  };
}

const scheduler = createDrawScheduler(PLOT_INTERVAL_MS);

/** A plotly div fed from the store: `build` runs (through the scheduler) when `pick`'s value changes. */
function LivePlot<T>({ store, pick, build, testId, className }: { store: AppStore; pick: (s: AppState) => T; build: (v: T) => { data: PlotObject[]; layout: PlotObject }; testId?: string; className?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const pickRef = useRef(pick);
  const buildRef = useRef(build);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let drawn: T | undefined;
    const entry: Pending = {
      last: -Infinity,
      draw: () => {
        const v = pickRef.current(store.getState());
        if (drawn !== undefined && same(v, drawn)) return;
        drawn = v;
        const fig = buildRef.current(v);
        void reactPlot(el, fig.data, fig.layout, CONFIG);
      },
    };
    scheduler.request(entry); // on mount: the series so far, in the next free frame
    const unsubscribe = store.subscribe((s) => {
      if (drawn === undefined || !same(pickRef.current(s), drawn)) scheduler.request(entry);
    });
    return () => {
      unsubscribe();
      scheduler.cancel(entry);
      purgePlot(el);
    };
  }, [store]);
  return <div ref={ref} data-testid={testId} className={`plot ${className ?? ''}`} />;
}

/** A line trace, thinned to at most 2000 points (decimate.ts: a long run's 10⁵-point curve froze plotly). */
const line = (x: number[], y: number[], name: string, extra: PlotObject = {}): PlotObject => ({ ...decimate(x, y), name, type: 'scatter', mode: 'lines', line: { width: 1.5 }, ...extra });

/** PAM-SGD's decoder solves as markers on the loss curve, at the loss of the step each solve followed (step 0: the first loss). */
function solveMarkers(loss: LossSeries): PlotObject {
  const at = new Map(loss.steps.map((step, i) => [step, loss.loss[i]]));
  const y = loss.solves.map((step) => at.get(step) ?? at.get(step + 1) ?? loss.loss[0] ?? 1);
  return {
    x: loss.solves,
    y,
    name: 'decoder solve',
    type: 'scatter',
    mode: 'markers',
    marker: { symbol: 'triangle-down', size: 9, color: '#d6773b' },
    hovertemplate: 'decoder solved in closed form after step %{x}<extra></extra>',
  };
}

export function LivePlots({ store }: { store: AppStore }) {
  const hasData = useStore(store, (s) => s.loss.steps.length > 0 || s.history.step.length > 0);
  return (
    <section className="live-plots" aria-label="Training plots">
      <Throughput store={store} />
      {hasData ? <PlotGrid store={store} /> : <PlotsPlaceholder store={store} />}
    </section>
  );
}

/**
 * What the charts will show, in place of empty axes before the first step. While it shows, plotly loads when the
 * page is idle: its first evaluation is one long main-thread task (~0.3–1.8 s here), better spent before Train
 * than in the first second of training (issue #14).
 */
function PlotsPlaceholder({ store }: { store: AppStore }) {
  const ready = useStore(store, (s) => s.loading === null && s.dataset !== null);
  useEffect(() => {
    if (!ready) return; // not while the first screen is still loading its dataset
    const w = window as Window & { requestIdleCallback?: (f: () => void, o?: { timeout: number }) => number; cancelIdleCallback?: (id: number) => void };
    if (w.requestIdleCallback && w.cancelIdleCallback) {
      const id = w.requestIdleCallback(() => void loadPlotly(), { timeout: 3000 });
      return () => w.cancelIdleCallback?.(id);
    }
    const t = setTimeout(() => void loadPlotly(), 1500); // Safari before 18: no requestIdleCallback
    return () => clearTimeout(t);
  }, [ready]);
  return (
    <div className="plots-placeholder" data-testid="plots-placeholder">
      <p>
        <strong>Press Train</strong> and the charts appear here with the first step: the loss and its parts (MSE, AuxK), explained variance, L0 (active latents per token), the
        dead and dense fractions, the learning rate and the feature-density histogram.
      </p>
    </div>
  );
}

/** The six live charts (mounted with the first step; each draws the store's current series on mount). */
function PlotGrid({ store }: { store: AppStore }) {
  return (
    <div className="plot-grid">
        <LivePlot
          store={store}
          testId="loss-plot"
          className="wide-plot"
          pick={(s) => s.history}
          build={(h) => {
            const loss = store.getState().loss;
            const alpha = store.getState().draft.auxkCoefficient;
            const data = [line(loss.steps, loss.loss, 'loss (every step)'), line(h.step, h.mse, 'MSE', { line: { width: 1.2, dash: 'dot' } })];
            if (loss.solves.length > 0) data.push(solveMarkers(loss));
            if (h.auxLoss.some((v) => v > 0)) data.push(line(h.step, h.auxLoss.map((v) => alpha * v), 'α·AuxK', { line: { width: 1.2, dash: 'dash' } }));
            if (h.sparsityLoss.some((v) => v > 0)) data.push(line(h.step, h.sparsityLoss, 'sparsity term', { line: { width: 1.2, dash: 'dash' } }));
            return { data, layout: layout('loss and its parts', 'loss', { height: 260, yaxis: { title: { text: 'loss' }, type: 'log' }, showlegend: true, legend: { orientation: 'h', y: -0.25 }, margin: { l: 56, r: 12, t: 28, b: 64 } }) };
          }}
        />
        <LivePlot store={store} testId="ev-plot" pick={(s) => s.history} build={(h) => ({ data: [line(h.step, h.explainedVariance, 'explained variance')], layout: layout('explained variance', '1 − ‖x−x̂‖²/‖x−μ‖²') })} />
        <LivePlot store={store} testId="l0-plot" pick={(s) => s.history} build={(h) => ({ data: [line(h.step, h.l0, 'L0')], layout: layout('L0', 'active latents / token') })} />
        <LivePlot
          store={store}
          testId="dead-plot"
          pick={(s) => [s.history, s.dense] as const}
          build={([h, d]) => ({
            data: [
              line(h.step, h.deadFraction, 'dead fraction', { hovertemplate: 'dead fraction %{y:.3f} at step %{x}<br>share of latents that did not fire within the dead window<extra></extra>' }),
              line(d.step, d.fraction, 'dense fraction', { mode: 'lines+markers', marker: { size: 4 }, line: { width: 1.5, dash: 'dash' }, hovertemplate: `dense fraction %{y:.3f} at step %{x}<br>${DENSE_FORMULA}<extra></extra>` }),
            ],
            layout: layout('dead and dense fractions', 'share of latents', { yaxis: { title: { text: 'share of latents' }, range: [0, 1] }, height: 240, showlegend: true, legend: { orientation: 'h', y: -0.45, font: { size: 11 } }, margin: { l: 56, r: 12, t: 28, b: 72 } }),
          })}
        />
        <LivePlot store={store} testId="lr-plot" pick={(s) => s.history} build={(h) => ({ data: [line(h.step, h.lr, 'learning rate')], layout: layout('learning rate', 'lr') })} />
        <LivePlot
          store={store}
          testId="density-plot"
          pick={(s) => s.density}
          build={(d) => ({
            data: [{ x: d ? Array.from(d.log10) : [], type: 'histogram', nbinsx: 40, marker: { color: '#5b7fd6' }, name: 'latents' }],
            layout: layout(d ? `feature density (log10), step ${d.step}` : 'feature density (log10)', 'latents', { xaxis: { title: { text: 'log10 firing density (−10 = never fired)' } } }),
          })}
        />
    </div>
  );
}

function Throughput({ store }: { store: AppStore }) {
  const tps = useStore(store, (s) => (s.snapshot ? Math.round(s.snapshot.tokensPerSecond / 100) * 100 : 0));
  const kind = useStore(store, (s) => s.snapshot?.backend ?? null);
  const backend = useStore(store, (s) => s.backend);
  return (
    <p className="throughput muted" data-testid="throughput">
      {tps > 0 ? `${tps.toLocaleString('en-US')} tokens/s` : 'tokens/s: —'} · engine: {kind === 'webgpu' ? 'WGSL on WebGPU' : kind === 'wasm' ? 'wasm SIMD on the CPU' : kind === 'cpu' ? 'CPU reference' : '—'} · adapter:{' '}
      <span data-testid="adapter-name">{backend?.adapter ?? 'none'}</span>
      {backend?.isSoftware ? ' (software)' : ''}
    </p>
  );
}
