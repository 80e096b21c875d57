// Resumable runs through the Workbench on the CPU reference: checkpointRun at step 30, startRun({ resumeFrom })
// in a fresh workbench, 30 more steps == 60 uninterrupted steps, byte for byte in the exported SAE (single and
// bagging); refusals name the file and the fix. The WGSL engine's resume is not wired yet (see webgpuTrainer.ts).

import { describe, expect, it } from 'vitest';
import type { StartRunRequest, Workbench } from '../../src/engine/api.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';

const BASE: StartRunRequest = { dataset: 'synthetic:small:3', config: { dSae: 32, k: 4, batch: 32, steps: 60, seed: 2 }, backend: 'cpu', paused: true };

/** The exported SAE files of every member. */
async function exported(wb: Workbench, members: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let j = 0; j < members; j++) {
    const e = await wb.exportRun(j);
    out.push(e.weights, e.sparsity);
  }
  return out;
}

describe('checkpointRun → startRun({ resumeFrom })', () => {
  it.each([
    ['single', {}, 1],
    ['bagging', { ensemble: { method: 'bagging', members: 2 } }, 2],
  ] as const)('%s: 30 steps, checkpoint, resume in a fresh workbench, 30 more == 60 uninterrupted', { timeout: 30_000 }, async (_name, extra, members) => {
    const whole = createWorkbench();
    await whole.startRun({ ...BASE, ...extra });
    await whole.step(60);
    const want = await exported(whole, members);

    const first = createWorkbench();
    await first.startRun({ ...BASE, ...extra });
    await first.step(30);
    const ckpt = await first.checkpointRun();
    expect(ckpt.step).toBe(30);
    expect(ckpt.fileName).toMatch(/^run-1-step-30\.ckpt\.safetensors$/);

    const second = createWorkbench();
    const info = await second.startRun({ dataset: BASE.dataset, config: {}, backend: 'cpu', paused: true, resumeFrom: { file: ckpt.bytes, name: ckpt.fileName } });
    expect(info.resumedFrom).toEqual({ fileName: ckpt.fileName, step: 30 });
    expect(info.seeds).toHaveLength(members);
    await second.step(30);
    const got = await exported(second, members);
    got.forEach((g, i) => expect(Buffer.from(g).equals(Buffer.from(want[i]))).toBe(true));
  });

  it('refuses other data, a changed config, PAM-SGD and boosting, naming the fix', { timeout: 30_000 }, async () => {
    const wb = createWorkbench();
    await wb.startRun(BASE);
    await wb.step(5);
    const { bytes } = await wb.checkpointRun();
    const resume = (req: Partial<StartRunRequest>) => wb.startRun({ ...BASE, config: {}, ...req, resumeFrom: { file: bytes, name: 'a.ckpt' } });
    await expect(resume({ dataset: 'synthetic:medium' })).rejects.toThrow(/a\.ckpt: data: the checkpoint was saved on \[\d+, \d+\].*resume with the data it trained on/);
    await expect(resume({ config: { dSae: 64 } })).rejects.toThrow(/a\.ckpt: config\.dSae: the checkpoint trains with 32, got 64/);
    await expect(wb.startRun({ ...BASE, config: {}, resumeFrom: { file: new Uint8Array(16), name: 'junk.bin' } })).rejects.toThrow(/junk\.bin/);

    await wb.startRun({ ...BASE, config: { ...BASE.config, trainer: 'pam-sgd' } });
    await wb.step(2);
    await expect(wb.checkpointRun()).rejects.toThrow(/resume is SGD-only so far/);
    await wb.startRun({ ...BASE, ensemble: { method: 'boosting', members: 2 } });
    await wb.step(2);
    await expect(wb.checkpointRun()).rejects.toThrow(/boosting runs are not checkpointed yet/);
  });
});
