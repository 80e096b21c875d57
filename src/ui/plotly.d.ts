// Types for the part of plotly.js-dist-min we use (the package ships none). plotlyLoader.ts loads it; the plots draw through it.
declare module 'plotly.js-dist-min' {
  /** A trace or layout: plotly's schema is large; keep the objects plain. */
  export type PlotObject = Record<string, unknown>;
  const Plotly: {
    react(el: HTMLElement, data: PlotObject[], layout?: PlotObject, config?: PlotObject): Promise<unknown>;
    purge(el: HTMLElement): void;
  };
  export default Plotly;
}
