// What the store's slices share besides the state itself: the injected Workbench, the queue of dataset
// loads (training waits for the load in flight), and the run book (the experiment each run was started
// from, the runs the user reset, how recently each run's record was replaced). Also the slices' view
// types of zustand's set/get. Imports engine types and experiment.ts only: no slice, no zustand value.

import type { Workbench } from '../../engine/api.ts';
import type { Draft } from './experiment.ts';

/** A slice's writer: merges a patch of the fields it may write (zustand's setState, narrowed). */
export type SetState<S> = (patch: Partial<S>) => void;
/** A slice's reader: its own fields and those it reads of the slices below it. */
export type GetState<S> = () => S;

/** Tasks run one at a time, in the order they were queued. Tasks catch their own errors. */
export interface Serial {
  run(task: () => Promise<void>): Promise<void>;
  /** Resolves when every task queued so far has settled. */
  settled(): Promise<void>;
}

export function serial(): Serial {
  let last: Promise<void> = Promise.resolve();
  return {
    run(task) {
      const next = last.then(task);
      last = next.then(
        () => undefined,
        () => undefined,
      );
      return next;
    },
    settled: () => last,
  };
}

/** Where a resumed run came from (issue #13): its saved run's storage key (src/ui/persist/), which it saves under, and the checkpoint's step. */
export interface RunResumed {
  key: string;
  fromStep: number;
}

/** The runs this store started or loaded, by id (not state: nothing renders from it). */
export interface RunBook {
  /** The experiment of each run (by run id). */
  experiments: Map<number, Draft>;
  /** The experiment of the startRun in flight (its first snapshot may come before startRun resolves). */
  launching: Draft | null;
  /** Snapshots of runs up to this id are dropped (reset cleared them). */
  cleared: number;
  /** Last time each run's record was replaced (ms, performance.now()): hot updates are throttled. */
  recordTimes: Map<number, number>;
  /** The runs that continue a saved checkpoint (by run id): their records keep saying so. */
  resumes: Map<number, RunResumed>;
  /** Where the startRun in flight resumes from (with `launching`), for its first snapshot's record. */
  launchingResumed: RunResumed | null;
}

export interface StoreContext {
  workbench: Workbench;
  /** Dataset loads, in order; training and loading an ensemble wait for them to settle. */
  loads: Serial;
  book: RunBook;
}

export function createContext(workbench: Workbench): StoreContext {
  return { workbench, loads: serial(), book: { experiments: new Map(), launching: null, cleared: 0, recordTimes: new Map(), resumes: new Map(), launchingResumed: null } };
}

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
