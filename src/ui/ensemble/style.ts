// Shared look of the ensemble views: one colour per method and per member, number formatting, small
// plot layouts. Plain constants and functions; imports only types.

import type { PlotObject } from 'plotly.js-dist-min';
import type { EnsembleMethodName } from '../../engine/api.ts';

/** One colour per method, the same in every curve, bar and table of the panel. */
export const METHOD_COLORS: Record<EnsembleMethodName, string> = { single: '#5f6a7a', expanded: '#8a5cc2', bagging: '#2f5fd0', boosting: '#d6773b' };

/** Members on the decoder map and stability histogram (cycled past 10). */
export const MEMBER_COLORS = ['#2f5fd0', '#d6773b', '#2e9e5b', '#c2417a', '#8a5cc2', '#b8922a', '#1f9bb5', '#7a4f2a', '#5d6b7c', '#c0392b'];
export const memberColor = (j: number): string => MEMBER_COLORS[j % MEMBER_COLORS.length]!;

/** Dash patterns that tell apart several runs of one method. */
export const DASHES = ['solid', 'dash', 'dot', 'dashdot', 'longdash'];

/** A number for tables: fixed digits, exponent for tiny values, '—' for non-finite or missing. */
export function fmt(v: number | null | undefined, digits: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(1) : v.toFixed(digits);
}

/** A small plot's layout: title, axis titles, tight margins. */
export function smallLayout(title: string, xTitle: string, yTitle: string, extra: PlotObject = {}): PlotObject {
  return {
    height: 220,
    margin: { l: 52, r: 10, t: 28, b: 40 },
    title: { text: title, font: { size: 13 } },
    xaxis: { title: { text: xTitle } },
    yaxis: { title: { text: yTitle } },
    showlegend: false,
    ...extra,
  };
}
