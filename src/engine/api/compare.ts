// The Workbench contract — the SGD vs PAM-SGD A/B (SplInterp; seed-papers.md §3.6–3.10).
// Re-exported by src/engine/api.ts. Types and plain-data DTOs only (they survive structuredClone through
// Comlink); imports only types, from src/core and the other api/ files.

import type { AbSweep, AbTrainer, Alignment } from '../../core/sae/abTest.ts';
import type { TrainConfig } from '../../core/sae/config.ts';

// ---- the SGD vs PAM-SGD A/B (SplInterp, Budd et al.; seed-papers.md §3.6–3.10) -------------------------
// The computation is core's (src/core/sae/abTest.ts: alignments, sweeps, per-epoch held-out points, PAM's
// solves); its result types are core's own, re-exported here rather than mirrored.

export type { AbPoint, AbRun, AbSetting, AbSolve, AbSweep, AbTrainer, Alignment } from '../../core/sae/abTest.ts';
/** 'compare': one side-by-side A/B on every training row (a fraction sweep at [100]); 'fraction' / 'updates': the sweeps. */
export type CompareKind = 'compare' | 'fraction' | 'updates';

export interface CompareRequest {
  /** A loaded (or built-in) dataset: its eval split is the test rows; without one, a seeded 20% of its train rows is held out. */
  dataset: string;
  /** The shared training config (the form's); trainer, steps and batch are set per run by the alignment. */
  config: Partial<TrainConfig>;
  kind: CompareKind;
  align: Alignment;
  /** Each at most once, e.g. ['sgd', 'pam-sgd'] (+ 'sgd-tied', the scripts' tied-weights baseline). */
  trainers: AbTrainer[];
  /** Epochs of the equal-epochs plan (equal-steps and equal-time derive their budgets from it); 1..COMPARE_MAX_EPOCHS. */
  epochs: number;
  /** fraction: percents (default 1, 5, 10, 25, 50, 100); updates: PAM updates per batch (default 1, 3, 5, 10); compare: ignored. */
  values?: number[];
}

/** What compareTrainers is doing now (Snapshot.comparing). */
export interface CompareProgress {
  done: number;
  runs: number;
  /** e.g. "pam-sgd at 10% (410 rows): epoch 3.0 of 5, test MSE 0.412". */
  phase: string;
}

/** compareTrainers' answer: core's sweep plus where its rows came from, what was capped, and the run ids the runs table shows. */
export interface TrainerComparison {
  /** 1, 2, … within this session. */
  comparison: number;
  kind: CompareKind;
  dataset: string;
  epochs: number;
  /** The config every run started from (before the per-run trainer, steps and batch). */
  config: Partial<TrainConfig>;
  sweep: AbSweep;
  /** runIds[i] is sweep.runs[i]'s number in the session's run numbering (startRun's), so each run is a row of the runs table. */
  runIds: number[];
  split: { source: 'eval' | 'held-out'; trainRows: number; testRows: number; how: string };
  /** The size limits that kept it interactive, said plainly, and what they cut here (empty when nothing). */
  limits: string;
  capped: string[];
  /** Every trainer runs on core's CPU reference (equal-time compares measured seconds on one backend; tied SGD exists only there). */
  backend: string;
  wallSeconds: number;
}

/** Every method is async so the same interface works in-thread and through Comlink (Remote<Workbench>). */
