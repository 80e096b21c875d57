// The shipped activation caches (issue #14: the default dataset without running the LM in the page):
// each file in CACHED_ACTIVATIONS is the CPU reference's output for the shipped text, bit for bit; a load
// that reads the cache gives the same dataset (rows, values, labels, contexts) as one that runs the model;
// a missing or stale cache falls back to the forward pass; other token counts never read it.

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { collectActivations } from '../../src/core/lm/activations.ts';
import { parseLmModel } from '../../src/core/lm/model.ts';
import { parseNpy, writeNpy } from '../../src/core/formats/npy.ts';
import type { DatasetProgress } from '../../src/engine/api.ts';
import type { DataReader, LoadedDataset } from '../../src/engine/data/datasets.ts';
import { CACHED_ACTIVATIONS, DEFAULT_STORIES_TOKENS, loadDatasetFrom } from '../../src/engine/data/datasets.ts';

const DATA_DIR = new URL('../../public/data/', import.meta.url);
const readData: DataReader = async (file) => new Uint8Array(await readFile(new URL(file, DATA_DIR)));
/** public/data without the caches (a deployment that lacks them). */
const withoutCache: DataReader = (file, onProgress) =>
  Object.values(CACHED_ACTIVATIONS).includes(file) ? Promise.reject(new Error(`404 ${file}`)) : readData(file, onProgress);

async function load(read: DataReader, id: string, maxTokens?: number): Promise<{ d: LoadedDataset; phases: string[] }> {
  const phases: string[] = [];
  const d = await loadDatasetFrom({ source: 'builtin', id, maxTokens }, read, (p: DatasetProgress) => phases.push(p.phase));
  return { d, phases };
}

describe('shipped activation caches', () => {
  it('each cache equals the CPU reference forward pass over the shipped text, bit for bit', { timeout: 60_000 }, async () => {
    expect(Object.keys(CACHED_ACTIVATIONS).length).toBeGreaterThan(0);
    const model = parseLmModel(await readData('stories260k.bin'), 'stories260k.bin');
    const text = new TextDecoder().decode(await readData('tinystories.txt'));
    for (const [site, file] of Object.entries(CACHED_ACTIVATIONS)) {
      const acts = collectActivations(model, text, { site, maxTokens: DEFAULT_STORIES_TOKENS });
      const npy = parseNpy(await readData(file), file);
      expect(npy.shape, file).toEqual([acts.rows, acts.dIn]);
      expect(Buffer.from(npy.data.buffer, npy.data.byteOffset, npy.data.byteLength).equals(Buffer.from(acts.x.buffer)), `${file} differs from the forward pass: regenerate it`).toBe(true);
    }
  });

  it('the default dataset read from the cache equals the one computed, and says where it came from', { timeout: 60_000 }, async () => {
    const cached = await load(readData, 'builtin:stories-resid-3');
    const computed = await load(withoutCache, 'builtin:stories-resid-3');
    expect(cached.phases.some((p) => /running stories260K/.test(p))).toBe(false);
    expect(computed.phases.some((p) => /running stories260K \(resid:3\) on the CPU/.test(p))).toBe(true);
    expect(cached.d.info.card.source).toMatch(/read from stories260k-resid-3-8192\.npy/);
    expect(computed.d.info.card.source).toMatch(/run on the CPU/);
    expect(cached.d.all.rows).toBe(computed.d.all.rows);
    expect(Buffer.from(cached.d.all.x.buffer).equals(Buffer.from(computed.d.all.x.buffer))).toBe(true);
    expect(Buffer.from(cached.d.train.x.buffer).equals(Buffer.from(computed.d.train.x.buffer))).toBe(true);
    for (const r of [0, 1, 777, cached.d.all.rows - 1]) {
      expect(cached.d.label?.(r)).toBe(computed.d.label?.(r));
      expect(cached.d.context?.(r)).toEqual(computed.d.context?.(r));
    }
  });

  it('a stale cache (wrong size) is ignored and the model runs; another token count never reads it', { timeout: 60_000 }, async () => {
    const stale: DataReader = (file, onProgress) =>
      file === CACHED_ACTIVATIONS['resid:3'] ? Promise.resolve(writeNpy(new Float32Array(64 * 10), [10, 64])) : readData(file, onProgress);
    const { d, phases } = await load(stale, 'builtin:stories-resid-3');
    expect(phases.some((p) => /running stories260K \(resid:3\)/.test(p))).toBe(true);
    expect(d.info.card.source).toMatch(/run on the CPU/);
    const fetched: string[] = [];
    const spy: DataReader = (file, onProgress) => (fetched.push(file), readData(file, onProgress));
    await load(spy, 'builtin:stories-resid-3', 300);
    expect(fetched).not.toContain(CACHED_ACTIVATIONS['resid:3']);
  });
});
