// The one push channel of snapshots: a listener set by onSnapshot, throttled to ~15 Hz (status changes are
// sent at once), never awaited — a closed page or a throwing listener must not break training.
// Imports engine types only.

import type { Snapshot, SnapshotListener } from '../api.ts';

/** At most ~15 snapshots per second; status changes are always sent at once. */
export const SNAPSHOT_INTERVAL_MS = 1000 / 15;

export interface SnapshotChannel {
  listen(next: SnapshotListener | null): void;
  readonly listening: boolean;
  /** Sends now (the caller decided); records the time for the throttle. */
  send(snap: Snapshot): void;
  /** The throttle interval has passed since the last send. */
  due(): boolean;
}

export function createSnapshotChannel(): SnapshotChannel {
  let listener: SnapshotListener | null = null;
  let lastEmitMs = -Infinity;
  return {
    listen(next) {
      listener = next;
    },
    get listening() {
      return listener !== null;
    },
    send(snap) {
      const l = listener;
      if (!l) return;
      lastEmitMs = performance.now();
      try {
        // Through Comlink the listener returns a promise; a closed page must not break training.
        void Promise.resolve(l(snap) as unknown).catch(() => undefined);
      } catch {
        // An in-thread listener that throws is the caller's bug; training goes on.
      }
    },
    due: () => performance.now() - lastEmitMs >= SNAPSHOT_INTERVAL_MS,
  };
}
