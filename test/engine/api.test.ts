// The boundary test: the real engine (createWorkbench with Node's WebGPU, SwiftShader here) exposed
// through Comlink on port1 of a MessageChannel and driven from port2, as the page drives the worker.
// Snapshots are plain data and throttled, pause/resume/stop work, bad input rejects with the engine's
// message, exports parse as SAELens folders, and a lost device leaves status 'lost' with the last good
// weights exportable. Shapes are tiny: SwiftShader emulates the GPU on the CPU.

import * as Comlink from 'comlink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromSaeLens, parseSparsity } from '../../src/core/formats/saelens.ts';
import type { RunExport, Snapshot, StartRunRequest, Workbench } from '../../src/engine/api.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';
import { createNodeGpu } from '../../src/gpu/node.ts';

/** dIn 16 (synthetic:small), dSae 32, batch 32: a step is a few ms on SwiftShader. */
const TINY: StartRunRequest = { dataset: 'synthetic:small', config: { dSae: 32, k: 4, batch: 32, steps: 16, seed: 1 }, backend: 'webgpu' };
const LONG = { ...TINY, config: { ...TINY.config, steps: 100_000 } };
const SNAPSHOT_INTERVAL_MS = 1000 / 15;

/**
 * Node's GPU, with every device it hands out remembered, so a test can take the engine's device away
 * (device.destroy()) the way a driver reset does. The engine itself is unchanged: it gets real Dawn
 * adapters and devices.
 */
function recordingGpu(real: GPU): { gpu: GPU; devices: GPUDevice[] } {
  const devices: GPUDevice[] = [];
  const gpu = {
    requestAdapter: async (options?: GPURequestAdapterOptions) => {
      const adapter = await real.requestAdapter(options);
      if (adapter) {
        const requestDevice = adapter.requestDevice.bind(adapter);
        adapter.requestDevice = async (descriptor?: GPUDeviceDescriptor) => {
          const device = await requestDevice(descriptor);
          devices.push(device);
          return device;
        };
      }
      return adapter;
    },
    getPreferredCanvasFormat: () => real.getPreferredCanvasFormat(),
    wgslLanguageFeatures: real.wgslLanguageFeatures,
  } as GPU;
  return { gpu, devices };
}

interface Connection {
  remote: Comlink.Remote<Workbench>;
  /** Every snapshot with its arrival time (ms). */
  seen: { s: Snapshot; atMs: number }[];
  until(test: (s: Snapshot) => boolean, what: string, timeoutMs?: number): Promise<Snapshot>;
  close(): void;
}

/** The engine on port1, Comlink's client on port2, and one proxied listener (as src/client.ts does). */
async function connect(gpu: GPU | undefined): Promise<Connection> {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(createWorkbench(gpu), port1);
  const remote = Comlink.wrap<Workbench>(port2);
  const seen: Connection['seen'] = [];
  let waiters: { test: (s: Snapshot) => boolean; resolve: (s: Snapshot) => void }[] = [];
  await remote.onSnapshot(
    Comlink.proxy((s: Snapshot) => {
      seen.push({ s, atMs: performance.now() });
      waiters = waiters.filter((w) => (w.test(s) ? (w.resolve(s), false) : true));
    }),
  );
  const until = (test: (s: Snapshot) => boolean, what: string, timeoutMs = 60_000): Promise<Snapshot> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no snapshot ${what} within ${timeoutMs} ms; last: ${JSON.stringify(seen.at(-1)?.s)}`)), timeoutMs);
      waiters.push({
        test,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
      });
    });
  return {
    remote,
    seen,
    until,
    close: () => {
      remote[Comlink.releaseProxy]();
      port1.close();
      port2.close();
    },
  };
}

function parseExport(e: RunExport) {
  const sae = fromSaeLens(e.cfgJson, e.weights, `run${e.run}/member${e.member}`);
  const logDensity = parseSparsity(e.sparsity, `run${e.run}/member${e.member}/sparsity.safetensors`);
  return { sae, logDensity, cfg: JSON.parse(e.cfgJson) as { metadata: Record<string, unknown> } };
}

let real: GPU;
let isSoftware = false;
/** One engine for the tests below, in order: its device (and compiled pipelines) carries over between runs. */
let main: Connection;
/** The devices main's engine got, latest last. */
let devices: GPUDevice[];
const open: Connection[] = [];
/** A connection to a fresh engine on `gpu` (undefined: none, as in a browser without WebGPU). */
const connectGpu = async (gpu: GPU | undefined): Promise<Connection> => {
  const c = await connect(gpu);
  open.push(c);
  return c;
};

beforeAll(async () => {
  const node = await createNodeGpu();
  real = node.gpu;
  isSoftware = node.isSoftware;
  const recording = recordingGpu(real);
  devices = recording.devices;
  main = await connectGpu(recording.gpu);
});
afterAll(() => {
  for (const c of open) c.close();
});

describe('Workbench through Comlink over a MessageChannel', () => {
  it('reports the backend: the adapter, whether it is software, and why auto picks what it picks', async () => {
    const { remote } = main;
    const b = await remote.backend();
    expect(structuredClone(b)).toEqual(b);
    expect(b.adapter).toEqual(expect.any(String));
    expect(b.isSoftware).toBe(isSoftware);
    // auto on a software adapter keeps to the CPU (the wasm engine for the default topk: issue #15), as the CLI does
    expect(b.kind).toBe(isSoftware ? 'wasm' : 'webgpu');
    expect(b.why.length).toBeGreaterThan(10);
    const none = await (await connectGpu(undefined)).remote.backend();
    expect(none).toEqual({ kind: 'wasm', adapter: null, isSoftware: null, why: 'the wasm engine (WebAssembly SIMD on the CPU, one thread): WebGPU is not available here (navigator.gpu is undefined)' });
  });

  it('trains a 2-member ensemble on webgpu to done: plain-data, throttled snapshots that miss no step, and the same losses as the CPU reference', async () => {
    const { remote, seen, until } = main;
    const req: StartRunRequest = { ...TINY, seeds: [1, 2] };
    const t0 = performance.now();
    const info = await remote.startRun(req);
    expect(info.backend.kind).toBe('webgpu');
    expect(info.seeds).toEqual([1, 2]);
    const done = await until((s) => s.run === info.run && s.status === 'done', 'done');
    const elapsedMs = performance.now() - t0;
    expect(done).toMatchObject({ step: 16, steps: 16, backend: 'webgpu', weightsStep: 16 });
    expect(done.members.map((m) => m.seed)).toEqual([1, 2]);

    const mine = seen.map((x) => x.s).filter((s) => s.run === info.run);
    for (const s of mine) expect(structuredClone(s)).toEqual(s);
    // every step exactly once across the snapshots, with each member's loss at it
    expect(mine.flatMap((s) => s.recentLoss.steps)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    for (const s of mine) for (const m of s.members) expect(m.recentLoss.length).toBe(s.recentLoss.steps.length);
    // ≤ ~15 Hz: status changes (training, done) go at once, the rest at most one per interval
    expect(mine.length).toBeLessThanOrEqual(2 + Math.ceil(elapsedMs / SNAPSHOT_INTERVAL_MS));
    const gpuLoss = [0, 1].map((j) => mine.flatMap((s) => s.members[j].recentLoss));

    // The CPU reference from the same seeds and shared batch order: same losses per member and step.
    const cpuInfo = await remote.startRun({ ...req, backend: 'cpu' });
    expect(cpuInfo.backend.kind).toBe('cpu');
    await until((s) => s.run === cpuInfo.run && s.status === 'done', 'done on the CPU');
    const cpu = seen.map((x) => x.s).filter((s) => s.run === cpuInfo.run);
    const cpuLoss = [0, 1].map((j) => cpu.flatMap((s) => s.members[j].recentLoss));
    for (let j = 0; j < 2; j++) {
      expect(gpuLoss[j]).toHaveLength(16);
      gpuLoss[j].forEach((l, t) => expect(Math.abs(l - cpuLoss[j][t])).toBeLessThanOrEqual(1e-5 + 2e-3 * Math.abs(cpuLoss[j][t])));
    }
    expect(gpuLoss[0]).not.toEqual(gpuLoss[1]); // the members really differ
  });

  it('pause freezes the step count, resume continues, stop ends the run; exports parse as SAELens folders', async () => {
    const { remote, seen, until } = main;
    const info = await remote.startRun(LONG);
    await until((s) => s.run === info.run && s.step > 0, 'with a step');
    const pausedAt = until((s) => s.status === 'paused', 'paused');
    await remote.pause();
    const paused = await pausedAt;
    expect(paused.weightsStep).toBe(paused.step);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.at(-1)?.s).toMatchObject({ status: 'paused', step: paused.step });
    const live = await remote.exportRun();
    expect(live).toMatchObject({ run: info.run, member: 0, seed: 1, step: paused.step, weightsSource: 'live' });
    const { sae, logDensity, cfg } = parseExport(live);
    expect(sae).toMatchObject({ arch: 'topk', dIn: 16, dSae: 32, k: 4 });
    expect(logDensity).toHaveLength(32);
    expect(cfg.metadata).toMatchObject({ backend: 'webgpu', seed: 1, steps: paused.step, dataset_path: 'synthetic:small' });

    const moved = until((s) => s.status === 'training' && s.step > paused.step, 'past the pause');
    await remote.resume();
    const resumed = await moved;
    const stoppedAt = until((s) => s.status === 'done', 'done after stop');
    await remote.stop();
    const stopped = await stoppedAt;
    expect(stopped.step).toBeGreaterThanOrEqual(resumed.step);
    expect(stopped.step).toBeLessThan(100_000);
    const final = await remote.exportRun();
    expect(final.step).toBe(stopped.step);
    expect(parseExport(final).sae.dSae).toBe(32);
  });

  it('rejects bad input with the engine’s message, without starting', async () => {
    const { remote } = await connectGpu(real); // a fresh engine: 'no run yet' must hold
    await expect(remote.startRun({ dataset: 'synthetic:small', config: { k: 999, dSae: 8 } })).rejects.toThrow(/k must be an integer in \[1, dSae=8\], got 999/);
    await expect(remote.startRun({ ...TINY, config: { ...TINY.config, lr: 5 } })).rejects.toThrow(/lr must be in \(0, 1\), got 5/);
    await expect(remote.startRun({ ...TINY, seeds: [] })).rejects.toThrow(/seeds: expected 1 to 16 seeds/);
    await expect(remote.startRun({ ...TINY, dataset: 'mnist' })).rejects.toThrow(/use synthetic:small/);
    await expect(remote.exportRun()).rejects.toThrow(/no run yet/);
    const info = await remote.startRun({ ...TINY, backend: 'cpu', seeds: [3, 4] });
    await expect(remote.exportRun(2)).rejects.toThrow(/member must be an integer in \[0, 1\].*got 2/);
    expect(info.seeds).toEqual([3, 4]);
  });

  it('a lost device leaves status lost with a clear message, and exportRun returns the last good weights', async () => {
    const { remote, seen, until } = main;

    // Pause, export (a live readback), resume, and take the device away while the loop is training.
    const info = await remote.startRun({ ...LONG, seeds: [5, 6] });
    await until((s) => s.run === info.run && s.step > 0, 'with a step');
    const pausedAt = until((s) => s.status === 'paused', 'paused');
    await remote.pause();
    const paused = await pausedAt;
    const before = await remote.exportRun(1);
    expect(before).toMatchObject({ member: 1, seed: 6, step: paused.step, weightsSource: 'live' });
    const moved = until((s) => s.status === 'training' && s.step > paused.step, 'past the pause');
    await remote.resume();
    await moved;
    const lostAt = until((s) => s.status === 'lost', 'lost');
    devices.at(-1)?.destroy(); // taken away from the engine, as a driver reset would
    const lost = await lostAt;
    expect(lost.run).toBe(info.run);
    expect(lost.weightsStep).toBeGreaterThanOrEqual(paused.step);
    expect(lost.error).toMatch(new RegExp(`device was lost at step ${lost.step} .*last good weights \\(step ${lost.weightsStep}\\) can still be exported.*A new run asks for a new device`));
    expect(seen.some((x) => x.s.run === info.run && x.s.status === 'error')).toBe(false); // a loss, not an error
    await remote.resume(); // nothing to resume: a lost run stays lost
    expect(seen.at(-1)?.s.status).toBe('lost');

    const kept = await remote.exportRun(1);
    expect(kept).toMatchObject({ member: 1, seed: 6, step: lost.weightsStep, weightsSource: 'last-good' });
    expect(parseExport(kept).sae.dSae).toBe(32);
    // Weights are read back at most once a second while training: usually none happened since the pause.
    if (lost.weightsStep === paused.step) {
      expect(kept.weights).toEqual(before.weights);
      expect(kept.cfgJson).toEqual(before.cfgJson);
    }

    // The workbench itself lives on: a CPU run after the loss trains.
    const cpu = await remote.startRun({ ...TINY, backend: 'cpu' });
    await until((s) => s.run === cpu.run && s.status === 'done', 'a CPU run after the loss');
  });
});
