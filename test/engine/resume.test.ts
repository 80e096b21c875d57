// Resumable runs through the Workbench on the CPU reference: checkpointRun at step 30, startRun({ resumeFrom })
// in a fresh workbench, 30 more steps == 60 uninterrupted steps, byte for byte in the exported SAE (single and
// bagging); refusals name the file and the fix. On the WGSL engine (Dawn; SwiftShader here): 4 steps, checkpoint
// through the file, a fresh GPU trainer from it, 4 more == 8 uninterrupted GPU steps and the CPU reference's 8,
// within test/engine/parity.test.ts's tolerances, on every architecture; and a CPU checkpoint resumed on the GPU.

import { describe, expect, it } from 'vitest';
import type { StartRunRequest, Workbench } from '../../src/engine/api.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';
import type { TrainConfig } from '../../src/core/sae/config.ts';
import { generateSynthetic } from '../../src/core/data/synthetic.ts';
import type { Checkpoint } from '../../src/core/sae/checkpoint.ts';
import { CHECKPOINT_VERSION, checkpointOf, memberState, readCheckpoint, writeCheckpoint } from '../../src/core/sae/checkpoint.ts';
import { createTrainer } from '../../src/core/sae/train.ts';
import type { Arch } from '../../src/core/sae/types.ts';
import type { GpuTrainer } from '../../src/engine/training/gpuTrainer.ts';
import { createGpuTrainer } from '../../src/engine/training/gpuTrainer.ts';
import { expectClose } from '../helpers/close.ts';
import { useGpu, withErrorScope } from '../helpers/gpu.ts';
import { parseSafetensors } from '../../src/core/formats/safetensors.ts';

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
    await expect(resume({ seeds: [9] })).rejects.toThrow(/a\.ckpt: seeds: the checkpoint's are \[2\], got \[9\]: drop seeds to resume/);
    await expect(wb.startRun({ ...BASE, config: {}, resumeFrom: { file: new Uint8Array(16), name: 'junk.bin' } })).rejects.toThrow(/junk\.bin/);

    await wb.startRun({ ...BASE, config: { ...BASE.config, trainer: 'pam-sgd' } });
    await wb.step(2);
    await expect(wb.checkpointRun()).rejects.toThrow(/resume is SGD-only so far/);
    await wb.startRun({ ...BASE, ensemble: { method: 'boosting', members: 2 } });
    await wb.step(2);
    await expect(wb.checkpointRun()).rejects.toThrow(/boosting runs are not checkpointed yet/);
  });
});

// ---- the WGSL engine ----
/** test/engine/parity.test.ts's PARITY_TOL (copied: importing a test file would run its tests here). */
const PARITY_TOL = { loss: { atol: 1e-6, rtol: 2e-4 }, weights: { atol: 2e-4, rtol: 2e-3 }, biases: { atol: 2e-4, rtol: 2e-3 } };
const gpu = useGpu();
const data = generateSynthetic({ nFeatures: 24, dIn: 12, rows: 100, meanActive: 3, zipfExponent: 0.6, magnitudeMean: 1, magnitudeStd: 0.25, correlation: 0, noiseStd: 0.01, seed: 4 });
// parity.test.ts's config (AuxK engaged: dead window of 2 batches), with 100 rows so the checkpoint falls mid-epoch.
const GPU_CFG: Partial<TrainConfig> = { dSae: 40, k: 3, batch: 32, steps: 8, lr: 3e-3, lrWarmupSteps: 2, lrDecaySteps: 3, deadWindowTokens: 64, kAux: 6, auxkCoefficient: 0.5, l1Coefficient: 0.05, l1WarmupSteps: 3 };
const SEEDS = [7, 8];

/** The GPU trainer's state as a checkpoint, through the file format. */
async function gpuCheckpoint(g: GpuTrainer): Promise<Checkpoint> {
  const s = await g.readState();
  const c: Checkpoint = {
    version: CHECKPOINT_VERSION,
    config: g.config,
    step: s.step,
    order: s.order,
    data: { name: data.name, rows: data.rows, dIn: data.dIn },
    ensemble: { method: 'bagging', members: SEEDS.length },
    members: s.members.map((m, j) => ({ seed: SEEDS[j], ...m })),
  };
  return readCheckpoint(writeCheckpoint(c), 'gpu.ckpt');
}

async function expectSaesClose(g: GpuTrainer, want: { wEnc: Float32Array; wDec: Float32Array; bEnc: Float32Array; bDec: Float32Array; batchThreshold: number }[], what: string): Promise<void> {
  const saes = await g.readSaes();
  saes.forEach((sae, j) => {
    expectClose(sae.wEnc, want[j].wEnc, PARITY_TOL.weights, `${what} member ${j} wEnc`);
    expectClose(sae.wDec, want[j].wDec, PARITY_TOL.weights, `${what} member ${j} wDec`);
    expectClose(sae.bEnc, want[j].bEnc, PARITY_TOL.biases, `${what} member ${j} bEnc`);
    expectClose(sae.bDec, want[j].bDec, PARITY_TOL.biases, `${what} member ${j} bDec`);
    expectClose([sae.batchThreshold], [want[j].batchThreshold], PARITY_TOL.biases, `${what} member ${j} batchThreshold`);
  });
}

describe('resume on the WGSL engine', () => {
  it.each(['topk', 'batchtopk', 'relu', 'jumprelu'] as Arch[])('%s: 4 GPU steps, checkpoint, a fresh GPU trainer, 4 more ≈ 8 uninterrupted (GPU and CPU)', async (arch) => {
    const { device, isSoftware } = gpu();
    await withErrorScope(device, async () => {
      const cfg = { ...GPU_CFG, arch };
      const opts = { seeds: SEEDS, batchOrderSeed: SEEDS[0], isSoftware };
      const whole = await createGpuTrainer(device, data, cfg, opts);
      whole.trainSteps(8);
      const wholeStats = await whole.readStats();
      const wholeSaes = await whole.readSaes();
      whole.destroy();

      const first = await createGpuTrainer(device, data, cfg, opts);
      first.trainSteps(4);
      const c = await gpuCheckpoint(first);
      first.destroy();
      expect(c.step).toBe(4);
      const resumed = await createGpuTrainer(device, data, c.config, { ...opts, resumeFrom: SEEDS.map((_, j) => memberState(c, j)) });
      expect(resumed.step).toBe(4);
      resumed.trainSteps(4);
      const stats = await resumed.readStats();
      expect(stats[0].map((s) => s.step)).toEqual([5, 6, 7, 8]);
      SEEDS.forEach((_, j) => expectClose(stats[j].map((s) => s.loss), wholeStats[j].slice(4).map((s) => s.loss), PARITY_TOL.loss, `member ${j} loss`));
      await expectSaesClose(resumed, wholeSaes, 'GPU resumed vs GPU whole');
      const cpu = SEEDS.map((seed) => createTrainer(data, { ...cfg, seed }, { batchOrderSeed: SEEDS[0] }));
      for (let t = 0; t < 8; t++) cpu.forEach((x) => x.trainStep());
      await expectSaesClose(resumed, cpu.map((x) => x.sae), 'GPU resumed vs CPU');
      const firing = await resumed.readFiring();
      SEEDS.forEach((_, j) => expect(Array.from(firing.firingCounts[j])).toEqual(Array.from(cpu[j].firingCounts)));
      resumed.destroy();
    }, 'resume');
  });

  it('a CPU checkpoint continues on the GPU (Adam, firing and order carried across backends)', async () => {
    const { device, isSoftware } = gpu();
    await withErrorScope(device, async () => {
      const cfg = { ...GPU_CFG, arch: 'topk' as const };
      const cpu = SEEDS.map((seed) => createTrainer(data, { ...cfg, seed }, { batchOrderSeed: SEEDS[0] }));
      for (let t = 0; t < 5; t++) cpu.forEach((x) => x.trainStep());
      const c = readCheckpoint(writeCheckpoint(checkpointOf(cpu, SEEDS, data, 'bagging')), 'cpu.ckpt');
      const g = await createGpuTrainer(device, data, c.config, { seeds: SEEDS, batchOrderSeed: SEEDS[0], isSoftware, resumeFrom: SEEDS.map((_, j) => memberState(c, j)) });
      g.trainSteps(3);
      for (let t = 0; t < 3; t++) cpu.forEach((x) => x.trainStep());
      await expectSaesClose(g, cpu.map((x) => x.sae), 'GPU from a CPU checkpoint vs CPU');
      g.destroy();
    }, 'cpu → gpu');
  });
});

/**
 * Node's GPU whose devices can be lost the way a driver reset loses them (reason 'unknown', then unusable):
 * device.lost is replaced by a promise the test resolves before destroying the real device.
 */
function losableGpu(real: GPU): { gpu: GPU; loseLatest(): void } {
  const losers: (() => void)[] = [];
  const gpu = {
    requestAdapter: async (options?: GPURequestAdapterOptions) => {
      const adapter = await real.requestAdapter(options);
      if (adapter) {
        const requestDevice = adapter.requestDevice.bind(adapter);
        adapter.requestDevice = async (descriptor?: GPUDeviceDescriptor) => {
          const device = await requestDevice(descriptor);
          let lose: (info: GPUDeviceLostInfo) => void = () => undefined;
          const lost = new Promise<GPUDeviceLostInfo>((resolve) => (lose = resolve));
          void device.lost.then((info) => lose(info));
          Object.defineProperty(device, 'lost', { value: lost });
          losers.push(() => {
            lose({ reason: 'unknown', message: 'simulated driver reset' } as GPUDeviceLostInfo);
            device.destroy();
          });
          return device;
        };
      }
      return adapter;
    },
    getPreferredCanvasFormat: () => real.getPreferredCanvasFormat(),
    wgslLanguageFeatures: real.wgslLanguageFeatures,
  } as GPU;
  return { gpu, loseLatest: () => losers.at(-1)?.() };
}

describe('a lost device is re-created and the run continues from its last checkpoint', () => {
  it('lost at step 10 (paused): a new device, the snapshot says so, 30 more steps ≈ 40 uninterrupted', async () => {
    const { gpu: real } = gpu();
    const { gpu: losable, loseLatest } = losableGpu(real);
    const wb = createWorkbench(losable);
    const snaps: { status: string; step: number; error?: string }[] = [];
    await wb.onSnapshot((s) => void snaps.push({ status: s.status, step: s.step, ...(s.error ? { error: s.error } : {}) }));
    const req: StartRunRequest = { dataset: 'synthetic:small:3', config: { dSae: 32, k: 4, batch: 32, steps: 40, seed: 2 }, backend: 'webgpu', paused: true };

    await wb.startRun(req);
    await wb.step(40);
    const want = parseSafetensors((await wb.exportRun()).weights, 'whole').tensors;

    await wb.startRun(req);
    await wb.step(10); // paused at 10: its checkpoint is read back with the weights
    loseLatest();
    for (let i = 0; i < 1500 && !snaps.some((s) => s.error?.includes('continues on a new device')); i++) await new Promise((r) => setTimeout(r, 20));
    const note = snaps.find((s) => s.error?.includes('continues on a new device'));
    expect(note?.error).toMatch(/device was lost at step 10 \(unknown: simulated driver reset\); training continues on a new device from step 10, its last checkpoint/);
    expect(note?.status).toBe('paused');
    await wb.step(30);
    expect(snaps.at(-1)).toMatchObject({ status: 'done', step: 40 });
    expect(snaps.some((s) => s.status === 'lost' || s.status === 'error')).toBe(false);
    const got = parseSafetensors((await wb.exportRun()).weights, 'resumed').tensors;
    for (const name of Object.keys(want)) expectClose(got[name].data, want[name].data, name.startsWith('W_') ? PARITY_TOL.weights : PARITY_TOL.biases, name);
  });

  it('lost while training: the chunk in flight fails quietly, the run goes on to done on a new device', async () => {
    const { gpu: real } = gpu();
    const { gpu: losable, loseLatest } = losableGpu(real);
    const wb = createWorkbench(losable);
    const snaps: { status: string; step: number; error?: string }[] = [];
    await wb.onSnapshot((s) => void snaps.push({ status: s.status, step: s.step, ...(s.error ? { error: s.error } : {}) }));
    await wb.startRun({ dataset: 'synthetic:small:3', config: { dSae: 32, k: 4, batch: 32, steps: 120, seed: 2 }, backend: 'webgpu' });
    for (let i = 0; i < 500 && !snaps.some((s) => s.step >= 20); i++) await new Promise((r) => setTimeout(r, 20));
    loseLatest();
    for (let i = 0; i < 3000 && !['done', 'lost', 'error'].includes(snaps.at(-1)?.status ?? ''); i++) await new Promise((r) => setTimeout(r, 20));
    expect(snaps.at(-1)).toMatchObject({ status: 'done', step: 120 });
    expect(snaps.at(-1)?.error).toMatch(/training continues on a new device from step \d+, its last checkpoint \(recovery 1 of at most 3\)/);
    expect(snaps.some((s) => s.status === 'lost' || s.status === 'error')).toBe(false);
    expect((await wb.exportRun()).step).toBe(120);
  });
});
