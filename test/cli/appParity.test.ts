// The CLI and the app train the same SAEs: the same seed, data and config through `sae-workbench train` /
// `ensemble` (a child process, as a user runs it) and through the app's Workbench in-thread give
// bit-identical weights, because both run the one training layer (src/engine/training/). CPU reference,
// tiny shapes; on data this project generates here (never shipped).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/core/formats/npy.ts';
import { parseSafetensors } from '../../src/core/formats/safetensors.ts';
import { readEnsembleZip } from '../../src/core/formats/ensembleFile.ts';
import { fromSaeLens } from '../../src/core/formats/saelens.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';
import type { Snapshot, Workbench } from '../../src/engine/api.ts';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
const dir = mkdtempSync(join(tmpdir(), 'sae-parity-'));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Rows of a seeded, never-shipped distribution: sparse sums of 24 random directions in 12 dims. */
function makeData(rows: number, dIn: number): Float32Array {
  let s = 12345;
  const rand = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const dirs = Array.from({ length: 24 }, () => Array.from({ length: dIn }, () => rand() - 0.5));
  const x = new Float32Array(rows * dIn);
  for (let t = 0; t < rows; t++) for (const d of dirs) if (rand() < 0.1) for (let i = 0; i < dIn; i++) x[t * dIn + i] += (1 + rand()) * d[i];
  return x;
}

async function done(wb: Workbench): Promise<void> {
  await new Promise<void>((resolve) => void wb.onSnapshot((s: Snapshot) => s.status === 'done' && resolve()));
}

const weightsOf = (bytes: Uint8Array): Record<string, Float32Array> =>
  Object.fromEntries(Object.entries(parseSafetensors(bytes, 'weights').tensors).map(([k, t]) => [k, t.data]));

describe('the CLI and the app, side by side from one seed', () => {
  const npy = join(dir, 'acts.npy');
  const X = makeData(400, 12);
  writeFileSync(npy, writeNpy(X, [400, 12]));
  const config = { arch: 'topk' as const, dSae: 16, k: 3, steps: 40, batch: 32, seed: 7 };
  const flags = ['--data', npy, '--latents', '16', '--k', '3', '--steps', '40', '--batch', '32', '--seed', '7', '--backend', 'cpu', '--quiet'];

  it('train: one SAE, bit-identical weights', { timeout: 60_000 }, async () => {
    const out = join(dir, 'cli-train');
    const r = cli(['train', ...flags, '--export', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const wb = createWorkbench();
    const info = await wb.loadDataset({ source: 'upload', file: { name: 'acts.npy', bytes: new Uint8Array(readFileSync(npy)) } });
    const finished = done(wb);
    await wb.startRun({ dataset: info.id, config, backend: 'cpu' });
    await finished;
    const app = weightsOf((await wb.exportRun(0)).weights);
    const mine = weightsOf(new Uint8Array(readFileSync(join(out, 'sae_weights.safetensors'))));
    expect(Object.keys(mine).sort()).toEqual(Object.keys(app).sort());
    for (const k of Object.keys(app)) expect(mine[k], k).toEqual(app[k]);
  });

  it('ensemble: boosting stages, bit-identical member by member', { timeout: 60_000 }, async () => {
    const out = join(dir, 'cli-boost');
    const r = cli(['ensemble', ...flags, '--method', 'boosting', '--members', '2', '--export', out]);
    expect(r.code).toBe(0);
    const wb = createWorkbench();
    const info = await wb.loadDataset({ source: 'upload', file: { name: 'acts.npy', bytes: new Uint8Array(readFileSync(npy)) } });
    const finished = done(wb);
    await wb.startRun({ dataset: info.id, config, backend: 'cpu', ensemble: { method: 'boosting', members: 2 } });
    await finished;
    const { saes } = await readEnsembleZip((await wb.exportEnsemble()).bytes, 'app.zip');
    expect(saes).toHaveLength(2);
    saes.forEach((app, j) => {
      const folder = join(out, `member-${j + 1}`);
      const mine = fromSaeLens(readFileSync(join(folder, 'cfg.json'), 'utf8'), new Uint8Array(readFileSync(join(folder, 'sae_weights.safetensors'))), folder);
      for (const k of ['wEnc', 'bEnc', 'wDec', 'bDec'] as const) expect(mine[k], `member ${j + 1} ${k}`).toEqual(app[k]);
    });
  });
});
