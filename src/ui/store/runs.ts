// The runs slice: every run of this session, oldest first, as the runs table shows it (its experiment,
// seeds, status and the metrics of its last snapshot; RunRecord is UI-side only), what startRun or
// loadEnsemble resolved each run to (runInfos), and restoring a run's experiment into the form. Records
// are made from snapshots (recordRun, called by snapshots.ts), replaced on status changes and at most
// ~2 Hz; a trainer comparison's runs are added whole when it finishes (abRecords). Imports the core dense
// fraction, engine types, and context/experiment/draft/dataset modules only.

import { denseFraction } from '../../core/sae/density.ts';
import type { AbTrainer, Alignment, RunInfo, RunStatus, Snapshot, TrainerComparison } from '../../engine/api.ts';
import type { GetState, RunBook, RunResumed, SetState } from './context.ts';
import type { DatasetSlice } from './dataset.ts';
import type { DraftSlice } from './draft.ts';
import type { Draft } from './experiment.ts';

/** A run's entry in `runs` is replaced at most this often while its status stays the same. */
const RUNS_UPDATE_MS = 500;

/**
 * A run's status as the runs table shows it: 'replaced' when a later run started while it was active;
 * 'interrupted' when it was saved while training or paused and the page closed (src/ui/persist/);
 * 'stopped' when it ended before its last step (Stop, Reset or Restart), which the engine reports as 'done'.
 */
export type RunRecordStatus = RunStatus | 'replaced' | 'interrupted' | 'stopped';

/** The record's status for snapshot `s`: a 'done' short of its planned steps was stopped; a replaced run stays 'replaced'. */
function recordStatus(s: Snapshot, old: RunRecord | undefined): RunRecordStatus {
  if (old?.status === 'replaced') return 'replaced';
  return s.status === 'done' && s.step < s.steps ? 'stopped' : s.status;
}

/** The metrics of a run's last snapshot (denseFraction: from its last density, null before the first). */
export interface RunMetrics {
  loss: number;
  mse: number;
  explainedVariance: number;
  l0: number;
  deadFraction: number;
  denseFraction: number | null;
}

/** One run of this session (UI-side only): its experiment and the metrics of its last snapshot. */
export interface RunRecord {
  run: number;
  /** The experiment it was started from (dataset, config with nulls for derived values, seeds). */
  draft: Draft;
  /** The members' seeds (RunInfo.seeds once startRun resolves; before that from the draft). */
  seeds: number[];
  status: RunRecordStatus;
  step: number;
  steps: number;
  backend: string;
  metrics: RunMetrics | null;
  /** A run of a trainer comparison (compare.ts): which trainer, at which training fraction and updates per batch; its metrics are its final held-out point. */
  ab?: RunAb;
  /** A run of an earlier page load, restored from this browser's storage (src/ui/persist/): its storage key, its run id then (its `run` here is negative) and when it was first saved (ms since 1970). */
  saved?: { key: string; run: number; savedAt: number };
  /** A run that continues a saved run's checkpoint (issue #13): the storage key it saves under (the saved run's, replacing it) and the step it resumed at. */
  resumed?: RunResumed;
}

export type { RunResumed };

/** Where an A/B run sits in its comparison. */
export interface RunAb {
  comparison: number;
  trainer: AbTrainer;
  align: Alignment;
  fractionPercent: number;
  rows: number;
  updatesPerBatch: number;
}

/** "A/B 2 · 10% (410 rows) · s=3 · equal-epochs": an A/B run in the runs table and on the Pareto plot. */
export const abLabel = (ab: RunAb): string => `A/B ${ab.comparison} · ${ab.fractionPercent}% (${ab.rows} rows) · s=${ab.updatesPerBatch} · ${ab.align}`;

/**
 * One record per run of comparison `c` (status 'done', backend cpu), numbered by the engine (c.runIds), with
 * the experiment form's `draft` as its experiment (its trainer, batch, steps and updates per batch as run) and
 * the metrics of its final held-out point (test MSE as MSE; loss — it has no training loss — NaN).
 */
export function abRecords(c: TrainerComparison, draft: Draft): RunRecord[] {
  return c.sweep.runs.map((r, i) => ({
    run: c.runIds[i]!,
    draft: { ...draft, trainer: r.trainer === 'pam-sgd' ? 'pam-sgd' : 'sgd', batch: r.batch, steps: r.steps, pamUpdatesPerBatch: r.setting.updatesPerBatch, seeds: null, ensemble: { method: 'single', members: 1 } },
    seeds: [draft.seed],
    status: 'done',
    step: r.steps,
    steps: r.steps,
    backend: 'cpu',
    metrics: { loss: NaN, mse: r.final.testMse, explainedVariance: r.final.explainedVariance, l0: r.final.l0, deadFraction: r.final.deadFraction, denseFraction: null },
    ab: { comparison: c.comparison, trainer: r.trainer, align: r.align, fractionPercent: r.setting.fractionPercent, rows: r.setting.rows, updatesPerBatch: r.setting.updatesPerBatch },
  }));
}

export interface RunsSlice {
  /** Every run of this session, oldest first; a run's entry is replaced on its status changes and at most ~2 Hz. */
  runs: RunRecord[];
  /** What startRun or loadEnsemble resolved each run of this session to (method, SAEs, origin), by run id. */
  runInfos: Record<number, RunInfo>;
  /** Puts run `run`'s experiment (dataset, config, seeds) back into the form (and so the URL hash). */
  restoreRun(run: number): Promise<void>;
}

type Reads = RunsSlice & DraftSlice & Pick<DatasetSlice, 'choose' | 'datasetError'>;

export const createRunsSlice = () =>
  (set: SetState<Reads>, get: GetState<Reads>): RunsSlice => ({
    runs: [],
    runInfos: {},
    restoreRun: async (run) => {
      const rec = get().runs.find((r) => r.run === run);
      if (!rec) return;
      const { dataset, ...rest } = rec.draft;
      const before = get().draft.dataset;
      set({ draft: { ...get().draft, ...rest, dataset: before } });
      if (dataset === before) return;
      if (/^(builtin|synthetic):/.test(dataset)) {
        set({ draft: { ...get().draft, dataset } });
        await get().choose(dataset);
      } else set({ datasetError: `run ${run} trained on ${dataset} (an upload or pasted text): its settings are restored, load that data again above to train on it` });
    },
  });

/**
 * The runs and runInfos once run `info.run` (from startRun or loadEnsemble) is known to be experiment
 * `draft`, which the book remembers. Its record, if a snapshot already made one, takes the seeds and backend.
 */
export function withRunInfo(book: RunBook, s: Pick<RunsSlice, 'runs' | 'runInfos'>, info: RunInfo, draft: Draft): Pick<RunsSlice, 'runs' | 'runInfos'> {
  book.experiments.set(info.run, draft);
  const i = s.runs.findIndex((r) => r.run === info.run);
  const runs = i < 0 ? s.runs : s.runs.map((r, j) => (j === i ? { ...r, draft, seeds: info.seeds, backend: info.backend.kind } : r));
  return { runInfos: { ...s.runInfos, [info.run]: info }, runs };
}

/**
 * The runs with snapshot `s` recorded (created on its run's first snapshot; earlier active runs become
 * 'replaced'), or null when the record is unchanged in status and was replaced under RUNS_UPDATE_MS ago.
 * `draft`: the form's experiment, for a run the book does not know yet. `nowMs`: performance.now().
 */
export function recordRun(book: RunBook, runs: RunRecord[], s: Snapshot, draft: Draft, nowMs: number): RunRecord[] | null {
  const i = runs.findIndex((r) => r.run === s.run);
  const old = i >= 0 ? runs[i] : undefined;
  const status = recordStatus(s, old);
  if (old && old.status === status && nowMs - (book.recordTimes.get(s.run) ?? 0) < RUNS_UPDATE_MS) return null;
  book.recordTimes.set(s.run, nowMs);
  const d = old?.draft ?? book.experiments.get(s.run) ?? book.launching ?? draft;
  const dense = s.density ? denseFraction(s.density.log10) : (old?.metrics?.denseFraction ?? null);
  const metrics: RunMetrics | null = s.step > 0 ? { loss: s.loss, mse: s.mse, explainedVariance: s.explainedVariance, l0: s.l0, deadFraction: s.deadFraction, denseFraction: dense } : (old?.metrics ?? null);
  const rec: RunRecord = {
    run: s.run,
    draft: d,
    seeds: old?.seeds ?? (s.members.length > 0 ? s.members.map((m) => m.seed) : d.seeds && d.seeds.length > 0 ? d.seeds : [d.seed]),
    status,
    step: s.step,
    steps: s.steps,
    backend: s.backend,
    metrics,
  };
  const resumed = old?.resumed ?? book.resumes.get(s.run) ?? (old ? undefined : (book.launchingResumed ?? undefined));
  if (resumed) rec.resumed = resumed;
  // A new run replaces any still-active one in the engine: those stop where they were.
  const next = runs.map((r) => (r.run < s.run && (r.status === 'training' || r.status === 'paused') ? { ...r, status: 'replaced' as const } : r));
  if (i >= 0) next[i] = rec;
  else next.push(rec);
  next.sort((a, b) => a.run - b.run);
  return next;
}
