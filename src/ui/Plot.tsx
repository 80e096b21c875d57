// A thin React wrapper around plotly: Plotly.react when the inputs change, Plotly.purge on unmount.
// No chart logic here: callers pass {data, layout}. Imports plotly and React only.

import Plotly, { type PlotObject } from 'plotly.js-dist-min';
import { useEffect, useRef } from 'react';

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
    if (ref.current) void Plotly.react(ref.current, data, layout, config);
  }, [data, layout, config]);

  useEffect(() => {
    const el = ref.current;
    return () => {
      if (el) Plotly.purge(el);
    };
  }, []);

  return <div ref={ref} data-testid={testId} className="plot" />;
}
