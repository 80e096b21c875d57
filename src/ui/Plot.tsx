// A thin React wrapper around plotly: Plotly.react when the inputs change, Plotly.purge on unmount.
// No chart logic here: callers pass {data, layout}. Imports plotly (through plotlyLoader.ts, loaded on first use) and React only.

import type { PlotObject } from 'plotly.js-dist-min';
import { useEffect, useRef } from 'react';
import { purgePlot, reactPlot } from './plotlyLoader.ts';

export interface PlotProps {
  data: PlotObject[];
  layout: PlotObject;
  config?: PlotObject;
  testId?: string;
}

const DEFAULT_CONFIG: PlotObject = { displayModeBar: false, responsive: true };

export function Plot({ data, layout, config = DEFAULT_CONFIG, testId }: PlotProps) {
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (ref.current) void reactPlot(ref.current, data, layout, config);
  }, [data, layout, config]);

  useEffect(() => {
    const el = ref.current;
    return () => {
      if (el) purgePlot(el);
    };
  }, []);

  return <div ref={ref} data-testid={testId} className="plot" />;
}
