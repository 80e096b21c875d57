// A plotly div for the ensemble views, like Plot.tsx (Plotly.react when the figure changes, purge on
// unmount) plus an optional click handler on points (plotly_click), so a point on the decoder map can open
// its latent in the inspector. Callers memoise {data, layout}: React re-renders this only when they change,
// never on a training snapshot. Imports plotly and React only.

import type { PlotObject } from 'plotly.js-dist-min';
import { purgePlot, reactPlot } from '../plotlyLoader.ts';
import { useEffect, useRef } from 'react';

/** What plotly_click reports of the clicked point (the fields we read). */
export interface ClickedPoint {
  curveNumber: number;
  pointNumber: number;
  customdata?: unknown;
}

/** The graph div after Plotly.react: plotly adds an event emitter to it. */
type GraphDiv = HTMLDivElement & { on?: (event: string, fn: (e: { points?: ClickedPoint[] }) => void) => void; removeAllListeners?: (event: string) => void };

const CONFIG: PlotObject = { displayModeBar: false, responsive: true };

export function EnsemblePlot({ data, layout, testId, onClick, className }: { data: PlotObject[]; layout: PlotObject; testId?: string; onClick?: (p: ClickedPoint) => void; className?: string }) {
  const ref = useRef<GraphDiv>(null);
  const clickRef = useRef(onClick);
  useEffect(() => {
    clickRef.current = onClick;
  }, [onClick]);
  const clickable = onClick !== undefined;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let live = true;
    void reactPlot(el, data, layout, CONFIG).then(() => {
      if (!live || !clickable || !el.on) return;
      el.removeAllListeners?.('plotly_click');
      el.on('plotly_click', (e) => {
        const p = e.points?.[0];
        if (p) clickRef.current?.(p);
      });
    });
    return () => {
      live = false;
    };
  }, [data, layout, clickable]);
  useEffect(() => {
    const el = ref.current;
    return () => {
      if (el) purgePlot(el);
    };
  }, []);
  return <div ref={ref} data-testid={testId} className={`plot ${className ?? ''}`} />;
}
