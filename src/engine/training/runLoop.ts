// The run loop, once for the app and the CLI: chunks of steps on an EnsembleTrainer until a target step,
// boosting stages advanced between chunks, a yield to the event loop between chunks so pause, stop and
// messages get through. What happens around each chunk (snapshots, progress lines, weight readbacks) is the
// caller's, through hooks. Imports engine types only.

import type { StepStats } from '../../core/sae/train.ts';
import type { EnsembleTrainer } from './ensembleTrainer.ts';

/** Work per chunk before yielding: long enough to amortise setTimeout's ~4 ms clamp, short enough for pause. */
export const CHUNK_MS = 25;

export interface LoopHooks {
  /** False stops the loop before its next chunk (paused, stopped, replaced). Checked after every await. */
  running(): boolean;
  /** After each chunk: its stats [SAE of the live trainer][step] and how long it took. */
  onChunk(stats: StepStats[][], ms: number): Promise<void> | void;
  /** Boosting: before the live stage is frozen, and after the next one is made. */
  beforeStage?(): Promise<void> | void;
  afterStage?(): Promise<void> | void;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Trains `t` until its global step reaches `until` (≤ t.steps) or hooks.running() turns false. Throws what the trainer throws. */
export async function trainUntil(t: EnsembleTrainer, until: number, hooks: LoopHooks, chunkMs = CHUNK_MS): Promise<void> {
  while (hooks.running() && t.step < until) {
    if (t.stageComplete) {
      await hooks.beforeStage?.();
      await t.nextStage();
      await hooks.afterStage?.();
      continue;
    }
    const t0 = performance.now();
    const stats = await t.trainChunk(until - t.step, chunkMs);
    await hooks.onChunk(stats, performance.now() - t0);
    if (!hooks.running()) break;
    await yieldToEventLoop();
  }
}
