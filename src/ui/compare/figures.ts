// The trainer comparison's figures as plain {data, layout} for plotly, from a TrainerComparison (core's
// AbSweep inside): held-out test MSE during training against what the alignment holds equal (epochs, Adam
// updates or seconds), one line per trainer with PAM-SGD's decoder solves as markers on its line; and a
// sweep's final test MSE or % non-zero codes against the training fraction (log x) or the updates per batch.
// Also the words: trainer names and one sentence per alignment. Pure; imports engine types only.

import type { PlotObject } from 'plotly.js-dist-min';
import type { AbPoint, AbRun, AbSetting, AbTrainer, Alignment, TrainerComparison } from '../../engine/api.ts';

export const TRAINER_COLORS: Record<AbTrainer, string> = { sgd: '#1f77b4', 'pam-sgd': '#d62728', 'sgd-tied': '#7f7f7f' };
export const TRAINER_LABELS: Record<AbTrainer, string> = { sgd: 'SGD (Adam, untied)', 'pam-sgd': 'PAM-SGD', 'sgd-tied': 'SGD, tied weights' };
const SYMBOLS: Record<AbTrainer, string> = { sgd: 'circle', 'pam-sgd': 'square', 'sgd-tied': 'triangle-up' };

/** What each alignment holds equal, in one sentence (seed-papers §3.10: the paper's claim is equal-epoch). */
export const ALIGN_HELP: Record<Alignment, { label: string; short: string; help: string }> = {
  'equal-epochs': {
    label: 'equal epochs (the paper’s)',
    short: 'equal epochs',
    help: 'Every trainer makes the same passes over its rows: at 1% of the data SGD gets a handful of Adam steps while PAM-SGD gets as many exact decoder solves, so this favours the closed form.',
  },
  'equal-steps': {
    label: 'equal optimiser steps',
    short: 'equal steps',
    help: 'Every trainer makes the same number of Adam updates, the budget of the epochs over all the training rows at every fraction, so less data is not also less training.',
  },
  'equal-time': {
    label: 'equal wall-clock',
    short: 'equal time',
    help: 'Every trainer trains for the seconds the first one takes for its equal-epochs plan, measured here on the CPU reference, so a decoder solve costs what it costs.',
  },
};

/** The curves' x under each alignment: the quantity it holds equal. */
const CURVE_X: Record<Alignment, { key: 'epoch' | 'updates' | 'seconds'; title: string }> = {
  'equal-epochs': { key: 'epoch', title: 'epochs over the run’s rows' },
  'equal-steps': { key: 'updates', title: 'Adam updates' },
  'equal-time': { key: 'seconds', title: 'training seconds (CPU)' },
};

/** "10% (410 rows)" or "s = 3": a setting as the sweep varies it. */
export function settingLabel(c: TrainerComparison, s: AbSetting): string {
  return c.sweep.kind === 'updates' ? `s = ${s.updatesPerBatch} updates per batch` : `${s.fractionPercent}% (${s.rows} rows)`;
}

const sameSetting = (a: AbSetting, b: AbSetting): boolean => a.fractionPercent === b.fractionPercent && a.updatesPerBatch === b.updatesPerBatch;
/** The runs of one setting, in the order of the trainers. */
export const runsAt = (c: TrainerComparison, s: AbSetting): AbRun[] => c.sweep.runs.filter((r) => sameSetting(r.setting, s));

/** `key` of the curve at batch `step`, linear between its points, from an implicit start (step 0, 0 s, the first test MSE). */
function at(curve: AbPoint[], step: number, key: 'seconds' | 'testMse'): number {
  let prev = { steps: 0, v: key === 'seconds' ? 0 : (curve[0]?.testMse ?? NaN) };
  for (const p of curve) {
    if (p.steps >= step) return p.steps === prev.steps ? p[key] : prev.v + ((p[key] - prev.v) * (step - prev.steps)) / (p.steps - prev.steps);
    prev = { steps: p.steps, v: p[key] };
  }
  return prev.v;
}

/** The x of batch `step` of run `r`: epochs and updates exactly, seconds interpolated along its curve. */
function xOfStep(r: AbRun, step: number, key: 'epoch' | 'updates' | 'seconds'): number {
  if (key === 'epoch') return step / Math.ceil(r.setting.rows / r.batch);
  if (key === 'updates') return r.trainer === 'pam-sgd' ? step * r.setting.updatesPerBatch : step;
  return at(r.curve, step, 'seconds');
}

export interface Figure {
  data: PlotObject[];
  layout: PlotObject;
}

const baseLayout = (title: string, xTitle: string, yTitle: string, extra: PlotObject = {}): PlotObject => ({
  height: 300,
  margin: { l: 58, r: 12, t: 30, b: 80 },
  title: { text: title, font: { size: 13 } },
  xaxis: { title: { text: xTitle } },
  yaxis: { title: { text: yTitle } },
  showlegend: true,
  legend: { orientation: 'h', y: -0.3, font: { size: 11 } },
  ...extra,
});

/** Held-out test MSE during training at setting `s`, one line per trainer, PAM's decoder solves as markers. */
export function curvesFigure(c: TrainerComparison, s: AbSetting): Figure {
  const x = CURVE_X[c.sweep.align];
  const runs = runsAt(c, s);
  const data: PlotObject[] = runs.map((r) => ({
    x: r.curve.map((p) => p[x.key]),
    y: r.curve.map((p) => p.testMse),
    name: TRAINER_LABELS[r.trainer],
    type: 'scatter',
    mode: 'lines+markers',
    line: { color: TRAINER_COLORS[r.trainer], width: 2 },
    marker: { size: 5, symbol: SYMBOLS[r.trainer] },
    hovertemplate: `${TRAINER_LABELS[r.trainer]}: test MSE %{y:.4g} at %{x:.3g}<extra></extra>`,
  }));
  for (const r of runs) {
    if (r.solves.length === 0) continue;
    data.push({
      x: r.solves.map((v) => xOfStep(r, v.step, x.key)),
      y: r.solves.map((v) => at(r.curve, v.step, 'testMse')),
      customdata: r.solves.map((v) => [v.step, v.mseBefore, v.mseAfter]),
      name: `${TRAINER_LABELS[r.trainer]} decoder solve`,
      type: 'scatter',
      mode: 'markers',
      marker: { symbol: 'triangle-down', size: 10, color: '#d6773b', line: { color: '#7a3b12', width: 1 } },
      hovertemplate: 'decoder solved in closed form after batch %{customdata[0]}<br>training MSE %{customdata[1]:.4g} → %{customdata[2]:.4g}<extra></extra>',
    });
  }
  return { data, layout: baseLayout(`held-out test MSE · ${settingLabel(c, s)}`, x.title, 'test MSE (log)', { yaxis: { title: { text: 'test MSE (log)' }, type: 'log' } }) };
}

/** A sweep's final held-out value per setting, one line per trainer: against the fraction (log x) or s. */
export function sweepFigure(c: TrainerComparison, what: 'testMse' | 'nonZeroPercent'): Figure {
  const fraction = c.sweep.kind === 'fraction';
  const data: PlotObject[] = c.sweep.trainers.map((t) => {
    const runs = c.sweep.runs.filter((r) => r.trainer === t);
    return {
      x: runs.map((r) => (fraction ? r.setting.fractionPercent : r.setting.updatesPerBatch)),
      y: runs.map((r) => r.final[what]),
      name: TRAINER_LABELS[t],
      type: 'scatter',
      mode: 'lines+markers',
      line: { color: TRAINER_COLORS[t], width: 2 },
      marker: { size: 8, symbol: SYMBOLS[t] },
    };
  });
  const xTitle = fraction ? 'training fraction (%, log)' : 'PAM-SGD updates per batch (s)';
  const ticks = [...new Set(c.sweep.settings.map((s) => (fraction ? s.fractionPercent : s.updatesPerBatch)))].sort((a, b) => a - b);
  const xaxis: PlotObject = { title: { text: xTitle }, tickvals: ticks, ticktext: ticks.map(String), ...(fraction ? { type: 'log' } : {}) };
  if (what === 'testMse') return { data, layout: baseLayout(`final test MSE · ${ALIGN_HELP[c.sweep.align].short}`, xTitle, 'test MSE (log)', { xaxis, yaxis: { title: { text: 'test MSE (log)' }, type: 'log' } }) };
  return { data, layout: baseLayout('% non-zero codes (lower: sparser)', xTitle, '% of latents active per row', { xaxis }) };
}
