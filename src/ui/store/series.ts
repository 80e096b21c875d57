// The current run's series, grown snapshot by snapshot: the loss curve (every step, thinned past LOSS_POINTS_MAX), the metric history
// (one row per snapshot that advanced the step; plots and CSV/JSON export), member 0's log10 feature
// density (kept across snapshots that do not refresh it) and the dense fraction at each density refresh.
// Every series is replaced, never mutated, so plots can compare by identity. Pure: imports the core dense
// fraction and engine types only.

import { denseFraction } from '../../core/sae/density.ts';
import type { Snapshot } from '../../engine/api.ts';

/** The columns of the metric history, in export order. */
export const HISTORY_KEYS = ['step', 'loss', 'mse', 'auxLoss', 'sparsityLoss', 'l0', 'deadFraction', 'explainedVariance', 'lr', 'tokensPerSecond'] as const;
export type HistoryKey = (typeof HISTORY_KEYS)[number];
/** Column-wise: history[k][i] is column k of row i. */
export type MetricHistory = Record<HistoryKey, number[]>;
export const emptyHistory = (): MetricHistory => Object.fromEntries(HISTORY_KEYS.map((k) => [k, []])) as unknown as MetricHistory;

/** The dense fraction over the run's density snapshots: dense.step[i] ↔ dense.fraction[i]. */
export interface DenseSeries {
  step: number[];
  fraction: number[];
}

/**
 * Points the loss curve keeps: past it, every other point is dropped (the first and the last stay; each kept
 * point keeps its exact step), so a fast engine (the wasm engine trains small shapes at thousands of steps a
 * second, issue #15) cannot grow the plot and the per-snapshot copy without bound.
 */
export const LOSS_POINTS_MAX = 4_096;

/** Every other entry of `a` (indices 0, 2, 4, … and the last). */
const halve = (a: number[]): number[] => a.filter((_, i) => i % 2 === 0 || i === a.length - 1);

/**
 * The whole run's loss curve: steps[i] ↔ loss[i], one entry per step up to LOSS_POINTS_MAX, then thinned by
 * halves; and the steps of decoder solves (PAM-SGD).
 */
export interface LossSeries {
  steps: number[];
  loss: number[];
  solves: number[];
}

export interface RunSeries {
  loss: LossSeries;
  history: MetricHistory;
  /** Member 0's log10 feature density (Snapshot.density), kept across snapshots that do not refresh it. */
  density: Snapshot['density'];
  /** denseFraction(density) at each density refresh of the current run. */
  dense: DenseSeries;
}

/** The series of a run with no snapshot yet (a new run, or after reset). */
export const emptySeries = (): RunSeries => ({ loss: { steps: [], loss: [], solves: [] }, history: emptyHistory(), density: null, dense: { step: [], fraction: [] } });

/** The series `old` of s.run (emptySeries() for a new run) with snapshot `s` added; unchanged series keep their identity. */
export function seriesAfter(old: RunSeries, s: Snapshot): RunSeries {
  const grew = s.recentLoss.steps.length > 0 || s.recentSolves.length > 0;
  let loss = grew ? { steps: old.loss.steps.concat(s.recentLoss.steps), loss: old.loss.loss.concat(s.recentLoss.loss), solves: old.loss.solves.concat(s.recentSolves) } : old.loss;
  while (loss.steps.length > LOSS_POINTS_MAX) loss = { steps: halve(loss.steps), loss: halve(loss.loss), solves: loss.solves };
  const advanced = s.step > 0 && s.step !== old.history.step.at(-1);
  const history = advanced ? (Object.fromEntries(HISTORY_KEYS.map((k) => [k, old.history[k].concat(s[k])])) as unknown as MetricHistory) : old.history;
  const density = s.density && s.density.step !== old.density?.step ? s.density : old.density;
  const refreshed = density && density !== old.density && density.step !== old.dense.step.at(-1);
  const dense = refreshed ? { step: old.dense.step.concat(density.step), fraction: old.dense.fraction.concat(denseFraction(density.log10)) } : old.dense;
  return { loss, history, density, dense };
}
