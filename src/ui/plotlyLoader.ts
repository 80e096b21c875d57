// plotly.js, loaded on first use as a chunk of its own (~4.6 MB of the bundle), so the page's first script
// is small and the first screen is usable while the plotting library arrives (issue #14: one 4.97 MB
// script). Every plot draws through reactPlot (which also labels it for screen readers) and frees through purgePlot.
// Imports plotly (dynamically) and plotSummary.ts only.
//
// Draws of one div run one after another (each waits for the one before: a burst of draws queued while
// plotly loads must not overlap), and a purge cancels the draws queued before it, not the ones after (React's
// strict mode unmounts and mounts the same div again).

import type PlotlyModule from 'plotly.js-dist-min';
import type { PlotObject } from 'plotly.js-dist-min';

import { describePlot } from './plotSummary.ts';

type Plotly = typeof PlotlyModule;

let loading: Promise<Plotly> | null = null;
let loaded: Plotly | null = null;
/** Per div: the last draw queued (the next one waits for it) and how many purges it has seen. */
const chains = new WeakMap<HTMLElement, Promise<void>>();
const purges = new WeakMap<HTMLElement, number>();

/** plotly, imported once. */
export function loadPlotly(): Promise<Plotly> {
  loading ??= import('plotly.js-dist-min').then((m) => (loaded = m.default));
  return loading;
}

/**
 * Plotly.react on `el`, after plotly has loaded and the div's earlier draws are done; skipped if `el` is purged
 * meanwhile. The div gets the figure's text alternative at once (role="img", aria-label: plotSummary.ts).
 */
export function reactPlot(el: HTMLElement, data: PlotObject[], layout: PlotObject, config: PlotObject): Promise<void> {
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', describePlot(data, layout));
  const purgesNow = purges.get(el) ?? 0;
  const draw = async (): Promise<void> => {
    const P = loaded ?? (await loadPlotly());
    if ((purges.get(el) ?? 0) !== purgesNow) return;
    await P.react(el, data, layout, config);
  };
  const next = (chains.get(el) ?? Promise.resolve()).then(draw, draw);
  chains.set(el, next.catch(() => undefined));
  return next;
}

/** Plotly.purge on `el` (its listeners and data) once its queued draws are done; those not started are cancelled. */
export function purgePlot(el: HTMLElement): void {
  purges.set(el, (purges.get(el) ?? 0) + 1);
  const purge = (): void => loaded?.purge(el);
  chains.set(el, (chains.get(el) ?? Promise.resolve()).then(purge, purge));
}
