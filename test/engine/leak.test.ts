// No leak (issue #13, deliverable 5): hundreds of upload-run-export-inspect cycles through one in-thread
// Workbench on the CPU reference, and hundreds of Workbenches created and dropped, leave retained array-buffer memory
// flat. Before the fix every discarded run stayed reachable (a never-resolving promise shared by the CPU
// trainers held a handler per run): 500 cycles grew array buffers from 0.6 to 163 MB.
//
// Measured as process.memoryUsage().arrayBuffers after a full GC: typed arrays (datasets, weights, Adam
// state) live there, outside the JS heap. gc() is exposed at run time (v8 flag + a fresh context), so the
// test needs no --expose-gc in the runner's config.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Snapshot, Workbench } from '../../src/engine/api.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Retained array-buffer bytes after the event loop settles and two full collections. */
async function retained(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
  return process.memoryUsage().arrayBuffers;
}

/** A CSV of rows × dIn deterministic values (cycle-dependent, so no two uploads are the same file). */
function csv(rows: number, dIn: number, cycle: number): Uint8Array {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(Array.from({ length: dIn }, (_, d) => (Math.sin(i * 0.37 + d * 1.3 + cycle) * 2).toFixed(4)).join(','));
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

/** Resolves when the workbench sends a snapshot passing `test`. */
function waitFor(wb: Workbench, test: (s: Snapshot) => boolean): Promise<Snapshot> {
  return new Promise((resolve) => {
    void wb.onSnapshot((s) => {
      if (test(s)) resolve(s);
    });
  });
}

const CYCLES = 300;
const MB = 1e6;

describe('discarded runs, datasets and workbenches are freed', () => {
  it(`${CYCLES} upload-train-export cycles in one workbench: retained array buffers stay flat`, { timeout: 240_000 }, async () => {
    const wb = createWorkbench();
    // One cycle: a new 2000 × 32 upload (256 KB of f32, more as CSV), a run on it to done, an export, an inspection.
    const cycle = async (i: number): Promise<void> => {
      const info = await wb.loadDataset({ source: 'upload', file: { name: `cycle-${i}.csv`, bytes: csv(2000, 32, i) } });
      const done = waitFor(wb, (s) => s.status === 'done' || s.status === 'error');
      await wb.startRun({ dataset: info.id, config: { dSae: 64, k: 4, batch: 64, steps: 10, seed: i } });
      expect((await done).status).toBe('done');
      await wb.exportRun();
      await wb.inspectRun(); // its codes cache holds the last run's, never an old one's
    };
    for (let i = 0; i < 20; i++) await cycle(i); // warm-up: the registry fills to its limit, code paths allocate once
    const before = await retained();
    for (let i = 20; i < CYCLES; i++) await cycle(i);
    const after = await retained();
    // A leak of one dataset per cycle would be ≥ 280 × 256 KB = 72 MB; of one run's trainer, ≥ 280 × 60 KB = 17 MB.
    expect((after - before) / MB).toBeLessThan(5);
  });

  it(`${CYCLES} workbenches created, trained on and dropped: retained array buffers stay flat`, { timeout: 240_000 }, async () => {
    const once = async (i: number): Promise<void> => {
      const wb = createWorkbench();
      const done = waitFor(wb, (s) => s.status === 'done');
      await wb.startRun({ dataset: 'synthetic:small', config: { dSae: 64, k: 4, batch: 64, steps: 5, seed: i } });
      await done;
      await wb.onSnapshot(null);
    };
    for (let i = 0; i < 10; i++) await once(i);
    const before = await retained();
    for (let i = 10; i < CYCLES; i++) await once(i);
    const after = await retained();
    // synthetic:small is 8192 × 16 f32 (512 KB) per workbench: a leak of them would be ≥ 145 MB.
    expect((after - before) / MB).toBeLessThan(5);
  });
});
