// The k-means and k-flats families through the engine (issue #12): the factory has one row per (family, trainer)
// that core's FAMILY_TRAINERS lists; a Workbench run of each trains on the CPU reference with the SAE pipeline's
// snapshots and metrics; its export is the cluster-layout folder and reads back to the same model; what does
// not apply (ensembles, a trainer of another family, SAE-only settings) is refused with the field and the fix.
import { describe, expect, it } from 'vitest';
import { FAMILY_TRAINERS } from '../../src/core/sae/config.ts';
import type { ModelFamily } from '../../src/core/sae/config.ts';
import { trainerRows } from '../../src/engine/training/factory.ts';
import { createTrainerFactory } from '../../src/engine/training/factory.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';
import type { Snapshot, Workbench } from '../../src/engine/api.ts';
import { fromModelFolder } from '../../src/core/formats/modelFolder.ts';
import { saeToCluster, objective } from '../../src/core/cluster/model.ts';
import { generateSynthetic, parseSyntheticSpec } from '../../src/core/data/synthetic.ts';
import { createClusterTrainer } from '../../src/core/cluster/trainer.ts';
import { parseSparsity } from '../../src/core/formats/saelens.ts';

function until(wb: Workbench, test: (s: Snapshot) => boolean): Promise<Snapshot> {
  return new Promise((resolve) => void wb.onSnapshot((s) => test(s) && resolve(s)));
}

describe('the cluster families in the engine', () => {
  it("the factory's rows are exactly core's FAMILY_TRAINERS", () => {
    const rows = trainerRows();
    for (const family of Object.keys(FAMILY_TRAINERS) as ModelFamily[])
      expect(rows.filter((r) => r.family === family).map((r) => r.trainer).sort()).toEqual([...FAMILY_TRAINERS[family]].sort());
    expect(rows).toHaveLength(Object.values(FAMILY_TRAINERS).flat().length);
  });

  it('the backend line says the WGSL engine does not train them', async () => {
    const f = createTrainerFactory(null);
    expect((await f.backend('cpu', { arch: 'kmeans', trainer: 'lloyd' })).kind).toBe('cpu');
    await expect(f.backend('webgpu', { arch: 'kflats', trainer: 'lloyd' })).rejects.toThrow(/backend 'webgpu'/);
  });

  for (const [arch, trainer, rank] of [['kmeans', 'lloyd', 0], ['kmeans', 'sgd', 0], ['kflats', 'lloyd', 2], ['kflats', 'kmeans-then-pca', 1]] as const) {
    it(`${arch} · ${trainer}: trains to done, snapshots carry its metrics, the export reads back to the trained model`, { timeout: 30_000 }, async () => {
      const wb = createWorkbench();
      const steps = trainer === 'sgd' ? 60 : 4;
      const config = { arch, trainer, rank, dSae: 6, steps, batch: 64, seed: 3, lr: 0.01 };
      const done = until(wb, (s) => s.status === 'done');
      const info = await wb.startRun({ dataset: 'synthetic:small', config });
      expect(info.backend.kind).toBe('cpu');
      const last = await done;
      expect(last.step).toBe(steps);
      expect(last.l0).toBeCloseTo(rank + 1, 1);
      expect(last.explainedVariance).toBeGreaterThan(0);
      const e = await wb.exportRun();
      expect(e.weightsFile).toBe('model.safetensors');
      expect(JSON.parse(e.cfgJson)).toMatchObject({ format: 'sae-workbench-cluster', architecture: arch, clusters: 6, rank });
      const back = saeToCluster(fromModelFolder(e.cfgJson, e.weights, 'export'));
      // The same model as the core trainer of the same config trains (the engine adds nothing).
      const data = generateSynthetic(parseSyntheticSpec('synthetic:small'));
      const t = createClusterTrainer(data, config, { batchOrderSeed: 3 });
      for (let s = 0; s < steps; s++) t.trainStep();
      const ref = saeToCluster(t.sae);
      expect(Array.from(back.means)).toEqual(Array.from(ref.means));
      expect(Array.from(back.bases)).toEqual(Array.from(ref.bases));
      expect(parseSparsity(e.sparsity, 'sparsity').length).toBe(6);
      const zip = await wb.exportZip();
      expect(zip.fileName).toMatch(new RegExp(`^${arch}-`));
      expect(objective(back, data.x, data.rows)).toBeGreaterThan(0);
    });
  }

  it('the inspector reads a k-flats run as latents: each cluster indicator fires with value 1, each ±u pair splits its rows', { timeout: 30_000 }, async () => {
    const wb = createWorkbench();
    const done = until(wb, (s) => s.status === 'done');
    await wb.startRun({ dataset: 'synthetic:small', config: { arch: 'kflats', trainer: 'lloyd', rank: 1, dSae: 4, steps: 2 } });
    await done;
    const ins = await wb.inspectRun!();
    expect(ins.table).toHaveLength(4 * 3);
    const byLatent = new Map(ins.table.map((r) => [r.latent, r]));
    let indicatorRows = 0;
    for (let j = 0; j < 4; j++) {
      const ind = byLatent.get(j * 3)!;
      expect([ind.meanActivation, ind.maxActivation]).toEqual([1, 1]);
      // the pair (+u, −u) of the cluster's one direction: every row of the cluster fires exactly one side (or neither at 0)
      expect(byLatent.get(j * 3 + 1)!.fireCount + byLatent.get(j * 3 + 2)!.fireCount).toBeLessThanOrEqual(ind.fireCount);
      expect(byLatent.get(j * 3 + 1)!.fireCount + byLatent.get(j * 3 + 2)!.fireCount).toBeGreaterThan(ind.fireCount - 2);
      indicatorRows += ind.fireCount;
    }
    expect(indicatorRows).toBe(ins.scope.rowsScanned);
  });

  it('refuses an ensemble, a trainer of another family, SAE-only input scaling, a rank past dIn and more clusters than rows', async () => {
    const wb = createWorkbench();
    await expect(wb.startRun({ dataset: 'synthetic:small', config: { arch: 'kmeans', trainer: 'lloyd', dSae: 4 }, ensemble: { method: 'bagging', members: 2 } })).rejects.toThrow(
      /ensemble bagging \(J = 2\) trains SAEs only: a kmeans run is one model/,
    );
    await expect(wb.startRun({ dataset: 'synthetic:small', config: { arch: 'kflats', trainer: 'sgd', dSae: 4 } })).rejects.toThrow(/trainer sgd does not train kflats models: use one of lloyd, kmeans-then-pca/);
    await expect(wb.startRun({ dataset: 'synthetic:small', config: { arch: 'topk', trainer: 'lloyd' } })).rejects.toThrow(/trainer lloyd does not train topk SAEs: use one of sgd, pam-sgd/);
    await expect(wb.startRun({ dataset: 'synthetic:small', config: { arch: 'kmeans', trainer: 'lloyd', inputScaling: 'expected-norm' } })).rejects.toThrow(/inputScaling expected-norm is for SAEs/);
    await expect(wb.startRun({ dataset: 'synthetic:small', config: { arch: 'kflats', trainer: 'lloyd', rank: 17 } })).rejects.toThrow(/rank must be an integer in \[0, dIn=16\]/);
    await expect(wb.startRun({ dataset: 'synthetic:small', config: { arch: 'kmeans', trainer: 'lloyd', dSae: 9000, batch: 64 } })).rejects.toThrow(/is more than the dataset's 8192 rows: lower --latents to at most 8192/);
  });
});
