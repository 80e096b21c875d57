// The app's zustand store with an in-thread engine injected (no worker, no DOM, nothing mocked): it
// loads the default dataset, trains, records the run, exports a zip that reads back, and resets.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { listZip, unzipMember } from '../../src/core/formats/inflate.ts';
import type { DataReader } from '../../src/engine/data/datasets.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';
import { createAppStore } from '../../src/ui/store.ts';
import { DEFAULT_DRAFT } from '../../src/ui/store/experiment.ts';
import { decodeHash, encodeHash } from '../../src/ui/urlState.ts';

const DATA_DIR = new URL('../../public/data/', import.meta.url);
const readData: DataReader = async (file) => new Uint8Array(await readFile(new URL(file, DATA_DIR)));

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('createAppStore(workbench) with the engine in-thread', () => {
  it('loads the default data, trains, records the run, exports and resets', async () => {
    const store = createAppStore(createWorkbench(undefined, { readData }), { ...DEFAULT_DRAFT, dSae: 16, k: 2, steps: 30, batch: 32, seed: 3 });
    await until('the default dataset', () => store.getState().dataset !== null);
    expect(store.getState().dataset?.id).toBe('builtin:stories-resid-3');
    expect(store.getState().datasetError).toBeNull();

    await store.getState().train();
    await until('the run to finish', () => store.getState().status === 'done');
    const s = store.getState();
    expect(s.error).toBeNull();
    expect(s.loss.steps.length).toBe(30); // every step reaches the loss series
    expect(s.loss.steps[29]).toBe(30);
    await until('the run record', () => store.getState().runs[0]?.metrics !== null && store.getState().runs[0]?.status === 'done');
    const [run] = store.getState().runs;
    expect(run.draft.dSae).toBe(16);
    expect(run.metrics?.l0).toBeGreaterThan(0);
    expect(run.metrics?.explainedVariance).toBeLessThanOrEqual(1);

    const zip = await store.getState().exportZip();
    expect(zip).not.toBeNull();
    const names = listZip(zip!.bytes, 'export.zip').map((m) => m.name.split('/').pop());
    expect(names).toEqual(['cfg.json', 'sae_weights.safetensors', 'sparsity.safetensors']);

    await store.getState().reset();
    expect(store.getState().loss.steps.length).toBe(0);
  });

  it('refuses to train on a config the engine would reject, saying why, before anything runs', async () => {
    const store = createAppStore(createWorkbench(undefined, { readData }), { ...DEFAULT_DRAFT, dSae: 8, k: 99, steps: 5, batch: 16 });
    await until('the default dataset', () => store.getState().dataset !== null);
    await store.getState().train();
    expect(store.getState().runs.length).toBe(0);
    expect(`${store.getState().error ?? ''}`).toMatch(/k must be an integer in \[1, dSae=8\], got 99/);
  });

  it('trains with pam-sgd when the trainer is picked: the run records its trainer, the export says how it was fitted, the link keeps it', async () => {
    const draft = { ...DEFAULT_DRAFT, trainer: 'pam-sgd' as const, dSae: 16, k: 2, steps: 24, batch: 64, seed: 5, pamUpdatesPerBatch: 2 };
    const store = createAppStore(createWorkbench(undefined, { readData }), draft);
    await until('the default dataset', () => store.getState().dataset !== null);
    await store.getState().train();
    await until('the run to finish', () => store.getState().status === 'done');
    expect(store.getState().error).toBeNull();
    await until('the run record', () => store.getState().runs[0]?.status === 'done');
    expect(store.getState().runs[0].draft).toMatchObject({ trainer: 'pam-sgd', pamUpdatesPerBatch: 2 });
    const zip = await store.getState().exportZip();
    const cfgName = listZip(zip!.bytes, 'export.zip').find((m) => m.name.endsWith('cfg.json'))?.name;
    const cfg = JSON.parse(new TextDecoder().decode(await unzipMember(zip!.bytes, 'export.zip', cfgName)));
    expect(cfg.metadata).toMatchObject({ training_algorithm: 'pam-sgd', steps: 24 });
    const hash = encodeHash(store.getState().draft, DEFAULT_DRAFT);
    expect(hash).toMatch(/trainer=pam-sgd/);
    expect(decodeHash(hash, DEFAULT_DRAFT)).toMatchObject({ draft: { trainer: 'pam-sgd', pamUpdatesPerBatch: 2 }, error: null });
  });
});
