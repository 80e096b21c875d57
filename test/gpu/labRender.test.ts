// The lab's partition drawing on the GPU path (src/engine/lab/render.ts with geometry's WGSL kernel through
// partitionGpu.ts), on SwiftShader: each panel's model (SAE, k-means, k-flats) drawn at the canvas's full
// resolution says 'webgpu', and its ids equal geometry's CPU twin on the same grid except at pixels within f32
// rounding of a boundary (trained floats, not dyadic: at most 1% here); a job the kernel refuses (TopK k above
// its limit) falls back to the CPU and the note says why. Node + Dawn only.
import { describe, expect, it } from 'vitest';
import { regionIds } from '../../src/core/geometry/regions.ts';
import { createKFlatsModel, createKMeansModel } from '../../src/core/lab/clusterModel.ts';
import { presetPoints, viewOf } from '../../src/core/lab/datasets.ts';
import type { LabModel } from '../../src/core/lab/model.ts';
import { createSaeModel } from '../../src/core/lab/saeModel.ts';
import { DEFAULT_LAB_STATE, type LabState } from '../../src/core/lab/state.ts';
import { createPartitionGpu } from '../../src/engine/geometry/partitionGpu.ts';
import { createLabRenderer } from '../../src/engine/lab/render.ts';
import { PARTITION_KMAX } from '../../src/gpu/kernels/partition.ts';
import { useGpu } from '../helpers/gpu.ts';

const gpu = useGpu();
const toy = presetPoints({ preset: 'toy', points: 100, seed: 0, features: 5 });
const view = viewOf(toy);
const state = (patch: Partial<LabState> = {}): LabState => ({ ...DEFAULT_LAB_STATE, ...patch });

async function renderer() {
  const p = await createPartitionGpu(gpu().device);
  return createLabRenderer(() => Promise.resolve(p), () => 'unused');
}

const trained = (m: LabModel, steps: number): LabModel => {
  for (let i = 0; i < steps; i++) m.step();
  return m;
};

describe('lab render on the GPU path', () => {
  it('SAE, k-means and k-flats panels: full resolution, the twin’s ids up to f32 boundary pixels', async () => {
    const r = await renderer();
    const models: LabModel[] = [
      trained(createSaeModel(toy, state({ dSae: 16, k: 3 })), 40),
      trained(createSaeModel(toy, state({ arch: 'relu', dSae: 6 })), 40),
      trained(createKMeansModel(toy, state({ clusters: 4 })), 5),
      trained(createKFlatsModel(toy, state({ clusters: 3, rank: 1 })), 5),
    ];
    for (const m of models) {
      const img = await r.render(m, { panel: m.panel, width: 37, height: 37 }, view);
      expect(img.computedBy, m.panel).toBe('webgpu');
      expect([img.width, img.height]).toEqual([37, 37]);
      expect(img.note).toMatch(/^GPU \(WGSL partition kernel\) at 37 × 37/);
      const cpu = regionIds(m.scores(), { width: 37, height: 37, ...view });
      let differ = 0;
      for (let p = 0; p < cpu.length; p++) if (cpu[p] !== img.ids[p]) differ++;
      expect(differ / cpu.length, m.panel).toBeLessThanOrEqual(0.01);
      expect(new Set(img.ids).size).toBe(img.regions.length);
    }
  });

  it(`a TopK k above the kernel's ${PARTITION_KMAX} falls back to the CPU, saying why`, async () => {
    const r = await renderer();
    const m = createSaeModel(toy, state({ dSae: PARTITION_KMAX + 8, k: PARTITION_KMAX + 1 }));
    const img = await r.render(m, { panel: 'sae', width: 24, height: 24 }, view);
    expect(img.computedBy).toBe('cpu');
    expect(img.note).toMatch(/^CPU \(.*\d+.*\) at \d+ × \d+/);
    expect(Array.from(img.ids)).toEqual(Array.from(regionIds(m.scores(), { width: img.width, height: img.height, ...view })));
  });
});
