// Pasted-text LM activations on WebGPU: loadDatasetFrom with an injected device (options.lmDevice, as the
// workbench passes for a hardware adapter) runs collectActivationsGpu, forced here on SwiftShader, and
// gives the CPU path's dataset: same rows, labels, contexts, and values within lmGpu.test.ts's tolerance
// (|gpu − cpu| ≤ 1e-4 · max|cpu|, see its header). A null device, or one that fails, means the CPU path.
// Node + Dawn (SwiftShader) only.

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { DatasetProgress } from '../../src/engine/api.ts';
import type { DataReader } from '../../src/engine/data/datasets.ts';
import { describeRows, loadDatasetFrom } from '../../src/engine/data/datasets.ts';
import { expectClose } from '../helpers/close.ts';
import { useGpu, withErrorScope } from '../helpers/gpu.ts';

const DATA_DIR = new URL('../../public/data/', import.meta.url);
const readData: DataReader = async (file) => new Uint8Array(await readFile(new URL(file, DATA_DIR)));
const gpu = useGpu();
/** lmGpu.test.ts's tolerance, relative to the largest |value| of the site. */
const REL_TOL = 1e-4;
const TEXT = 'Once upon a time, there was a little girl named Lily.\n\nShe loved to play outside in the park with her ball.';

describe('pasted text on WebGPU', () => {
  for (const site of ['resid:3', 'mlp:2']) {
    it(`${site}: an injected device gives the CPU path's dataset`, { timeout: 60_000 }, async () => {
      const req = { source: 'text', text: TEXT, site } as const;
      const cpu = await loadDatasetFrom(req, readData, () => undefined, { lmDevice: () => Promise.resolve(null) });
      const seen: DatasetProgress[] = [];
      const { device } = gpu();
      const onGpu = await withErrorScope(device, () => loadDatasetFrom(req, readData, (p) => seen.push(p), { lmDevice: () => Promise.resolve(device) }), 'lm activations');
      expect(seen.some((p) => p.phase === `running stories260K (${site}) on WebGPU`)).toBe(true);
      expect(onGpu.info.card.source).toMatch(/run on WebGPU\)$/);
      expect(cpu.info.card.source).toMatch(/run on the CPU\)$/);
      const { card: c1, ...i1 } = onGpu.info;
      const { card: c2, ...i2 } = cpu.info;
      expect(i1).toEqual(i2);
      expect(c1.shape).toEqual(c2.shape);
      const rows = Array.from({ length: cpu.info.rows }, (_, r) => r);
      expect(describeRows(onGpu, rows)).toEqual(describeRows(cpu, rows));
      const scale = cpu.all.x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectClose(onGpu.all.x, cpu.all.x, { atol: REL_TOL * scale, rtol: 0 }, `${site} (max|x| ${scale.toFixed(3)})`);
    });
  }

  it('a device that fails to come, or fails mid-run, leaves the CPU path', { timeout: 60_000 }, async () => {
    const req = { source: 'text', text: TEXT, site: 'resid:1' } as const;
    const cpu = await loadDatasetFrom(req, readData, () => undefined);
    const noDevice = await loadDatasetFrom(req, readData, () => undefined, { lmDevice: () => Promise.reject(new Error('no adapter')) });
    expect(noDevice.all.x).toEqual(cpu.all.x);
    const broken = { createBuffer: () => { throw new Error('device lost'); } } as unknown as GPUDevice; // prettier-ignore
    const seen: DatasetProgress[] = [];
    const fellBack = await loadDatasetFrom(req, readData, (p) => seen.push(p), { lmDevice: () => Promise.resolve(broken) });
    expect(fellBack.all.x).toEqual(cpu.all.x);
    expect(seen.some((p) => /^WebGPU failed \(.*\); running stories260K \(resid:1\) on the CPU$/.test(p.phase))).toBe(true);
    expect(fellBack.info.card.source).toMatch(/run on the CPU\)$/);
  });
});
