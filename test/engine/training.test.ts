// The training layer (src/engine/training/) on its own, CPU reference: the one backend policy as a table
// over every request and adapter kind, the trainer factory's refusals, the ensemble trainer's boosting
// stages against src/core run by hand, the run loop's stop, and device-loss listeners that a finished run
// no longer holds. The Workbench and the CLI are tested driving it elsewhere (workbench, ensembleRun, cli).

import { describe, expect, it } from 'vitest';
import { boostingResidual } from '../../src/core/ensemble/boosting.ts';
import { generateSynthetic, parseSyntheticSpec } from '../../src/core/data/synthetic.ts';
import { createPamTrainer } from '../../src/core/sae/pamTrain.ts';
import { createTrainer } from '../../src/core/sae/train.ts';
import type { Arch, Sae } from '../../src/core/sae/types.ts';
import type { Probe } from '../../src/engine/training/backend.ts';
import { chooseBackend } from '../../src/engine/training/backend.ts';
import { planEnsemble } from '../../src/engine/training/ensemblePlan.ts';
import { checkPlan } from '../../src/engine/training/ensemblePlan.ts';
import { createEnsembleTrainer } from '../../src/engine/training/ensembleTrainer.ts';
import { createTrainerFactory, familyOf, gpuArchsFor, gpuRefusal } from '../../src/engine/training/factory.ts';
import { trainUntil } from '../../src/engine/training/runLoop.ts';

const adapter = {} as GPUAdapter; // chooseBackend only asks whether there is one
const hardware: Probe = { adapter, name: 'acme gpu', isSoftware: false, why: '' };
const software: Probe = { adapter, name: 'google swiftshader', isSoftware: true, why: '' };
const none: Probe = { adapter: null, name: null, isSoftware: null, why: 'WebGPU found no adapter' };
const ALL: readonly Arch[] = ['topk', 'batchtopk', 'relu', 'jumprelu'];

describe('chooseBackend: one policy for the app and the CLI', () => {
  it.each([
    ['auto', hardware, 'webgpu', /^the WGSL engine on acme gpu$/],
    ['auto', software, 'cpu', /only adapter is a software one \(google swiftshader\).*backend 'webgpu' forces it/],
    ['auto', none, 'cpu', /^the CPU reference: WebGPU found no adapter$/],
    ['cpu', hardware, 'cpu', /as requested/],
    ['webgpu', hardware, 'webgpu', /as requested$/],
    ['webgpu', software, 'webgpu', /as requested \(a software adapter: correct but slower than the CPU reference\)/],
  ] as const)('%s on %o → %s', (requested, probe, kind, why) => {
    const b = chooseBackend(requested, 'topk', probe, ALL);
    expect(b.kind).toBe(kind);
    expect(b.why).toMatch(why);
    expect(b.adapter).toBe(probe.name);
    expect(b.isSoftware).toBe(probe.isSoftware);
  });

  it("refuses 'webgpu' without an adapter or for an architecture the WGSL engine lacks, and unknown requests, naming the fix", () => {
    expect(() => chooseBackend('webgpu', 'topk', none, ALL)).toThrow(/backend 'webgpu' was requested but WebGPU found no adapter: use backend 'cpu' or 'auto'/);
    expect(() => chooseBackend('webgpu', 'relu', hardware, ['topk'])).toThrow(/trains topk so far; relu runs on backend 'cpu' or 'auto'/);
    expect(chooseBackend('auto', 'relu', hardware, ['topk'])).toMatchObject({ kind: 'cpu', why: expect.stringMatching(/trains topk so far \(relu runs on the CPU\)/) });
    expect(() => chooseBackend('gpu' as never, 'topk', hardware, ALL)).toThrow(/backend: expected one of auto, webgpu, wasm, cpu, got "gpu"/);
  });

  it.each([
    ['auto', none, null, 'wasm', /^the wasm engine \(WebAssembly SIMD on the CPU, one thread\): WebGPU found no adapter$/],
    ['auto', software, null, 'wasm', /^the wasm engine .*: the only adapter is a software one \(google swiftshader\).*backend 'webgpu' forces it/],
    ['auto', hardware, null, 'webgpu', /^the WGSL engine on acme gpu$/],
    ['auto', none, 'trains topk only so far (relu runs on the reference)', 'cpu', /^the CPU reference: WebGPU found no adapter; the wasm engine trains topk only so far/],
    ['wasm', hardware, null, 'wasm', /^the wasm engine .*, as requested$/],
    ['cpu', none, null, 'cpu', /as requested/],
  ] as const)('with the wasm engine offered: %s on %o, wasm refusal %s → %s (issue #15)', (requested, probe, wasmNote, kind, why) => {
    const b = chooseBackend(requested, 'topk', probe, ALL, 'sgd', undefined, wasmNote);
    expect(b.kind).toBe(kind);
    expect(b.why).toMatch(why);
  });

  it("auto falls back to the wasm engine for a config the WGSL engine lacks; 'wasm' is refused with the fix where it cannot run", () => {
    expect(chooseBackend('auto', 'relu', hardware, ['topk'], 'sgd', undefined, null)).toMatchObject({ kind: 'wasm', why: expect.stringMatching(/trains topk so far \(relu runs on the CPU\)/) as unknown });
    expect(() => chooseBackend('wasm', 'relu', none, ALL, 'sgd', undefined, 'trains topk only so far (relu runs on the reference)')).toThrow(/backend 'wasm': the wasm engine trains topk only so far .*: use backend 'cpu' or 'auto'/);
  });
});

describe('the trainer factory', () => {
  it('maps every SAE architecture to the SAE family, which the WGSL engine trains with sgd; kmeans and kflats are families of their own', () => {
    for (const arch of ALL) expect(familyOf(arch)).toBe('sae');
    expect(familyOf('kmeans')).toBe('kmeans');
    expect(familyOf('kflats')).toBe('kflats');
    expect([...gpuArchsFor({ trainer: 'sgd' })].sort()).toEqual([...ALL].sort());
    expect(gpuArchsFor({ arch: 'kmeans', trainer: 'lloyd' })).toEqual([]);
    expect(() => familyOf('gmm' as Arch)).toThrow(/arch "gmm" is unknown: use one of topk, batchtopk, relu, jumprelu, kmeans, kflats/);
    expect(() => gpuArchsFor({ trainer: 'adagrad' as never })).toThrow(/trainer adagrad does not train topk SAEs: use one of sgd, pam-sgd/);
  });

  it('pam-sgd: a second trainer is one table entry; the CPU reference trains it and says why not WebGPU', async () => {
    // The WGSL engine runs PAM-SGD for TopK (webgpuPamTrainer.ts; parity in test/engine/pamParity.test.ts); ReLU stays on the CPU.
    expect(gpuArchsFor({ trainer: 'pam-sgd' })).toEqual(['topk']);
    expect(chooseBackend('auto', 'relu', hardware, gpuArchsFor({ trainer: 'pam-sgd' }), 'pam-sgd')).toMatchObject({ kind: 'cpu', why: 'the CPU reference: the WGSL engine trains topk with pam-sgd so far (relu runs on the CPU)' });
    expect(() => chooseBackend('webgpu', 'relu', hardware, gpuArchsFor({ trainer: 'pam-sgd' }), 'pam-sgd')).toThrow(/the WGSL engine trains topk with pam-sgd so far; relu runs on backend 'cpu' or 'auto'/);
    // A solve on a fraction of the rows is the CPU reference's (the GPU solve streams every row).
    expect(gpuRefusal({ trainer: 'pam-sgd', pamSolveFraction: 0.5 })).toMatch(/every training row only \(pamSolveFraction 0.5 runs on the CPU reference\)/);
    expect(gpuRefusal({ trainer: 'pam-sgd', pamSolveFraction: 1 })).toBeNull();
    // One SAE at a time on the GPU: a bagging run of PAM-SGD falls back to the reference, saying why.
    expect(chooseBackend('auto', 'topk', hardware, [], 'pam-sgd', 'trains pam-sgd one SAE at a time (this run trains 3 together)')).toMatchObject({
      kind: 'cpu',
      why: 'the CPU reference: the WGSL engine trains pam-sgd one SAE at a time (this run trains 3 together) (topk runs on the CPU)',
    });
    const data = generateSynthetic(parseSyntheticSpec('synthetic:small:2'));
    // 70 steps of batch 64: epochs of 128 steps (8192 rows), so only the final re-solve runs.
    const plan = planEnsemble({ dataset: 'd', config: { trainer: 'pam-sgd', dSae: 16, k: 2, steps: 70, batch: 64, seed: 3, pamProxDec: 0 } });
    const t = await createEnsembleTrainer(plan, data, createTrainerFactory(null), 'cpu');
    await trainUntil(t, t.steps, { running: () => true, onChunk: () => undefined });
    // finish(): the decoder is re-solved for the final encoder, so another solve now changes nothing.
    const final = t.runWeights(await t.readLive()).saes[0];
    const core = createPamTrainer(data, { ...plan.config, seed: 3 }, { batchOrderSeed: 3 });
    for (let i = 0; i < 70; i++) core.trainStep();
    expect(core.solves.at(-1)?.step).not.toBe(70); // 70 is not an epoch boundary: core alone leaves the decoder stale
    core.solveDecoderNow();
    expect(final.wDec).toEqual(core.sae.wDec);
    expect(final.bDec).toEqual(core.sae.bDec);
    core.solveDecoderNow(); // with pamProxDec 0 the solve is the exact minimiser: solving again is a fixed point
    for (let i = 0; i < final.wDec.length; i += 7) expect(Math.abs(core.sae.wDec[i] - final.wDec[i])).toBeLessThan(1e-5);
  });

  it('without a GPU: the backend is the wasm engine for topk, the CPU reference otherwise, with the reason given, and webgpu trainers are refused', async () => {
    const f = createTrainerFactory(null, 'no Dawn here');
    expect(await f.backend('auto', {})).toEqual({ kind: 'wasm', adapter: null, isSoftware: null, why: 'the wasm engine (WebAssembly SIMD on the CPU, one thread): no Dawn here' });
    expect(await f.backend('auto', { arch: 'relu' })).toEqual({ kind: 'cpu', adapter: null, isSoftware: null, why: 'the CPU reference: no Dawn here; the wasm engine trains topk only so far (relu runs on the reference)' });
    expect(await f.backend('cpu', {})).toMatchObject({ kind: 'cpu' });
    await expect(f.backend('wasm', { trainer: 'pam-sgd' })).rejects.toThrow(/backend 'wasm': the wasm engine trains trainer sgd only so far/);
    const data = generateSynthetic(parseSyntheticSpec('synthetic:small'));
    const t = await f.memberTrainer('wasm', { data, config: { steps: 2, batch: 8, dSae: 8, k: 2 }, seeds: [0, 1] });
    expect(t.kind).toBe('wasm');
    const stats = await t.trainChunk(2, 10_000);
    expect(stats.map((m) => m.length)).toEqual([2, 2]);
    expect((await t.readWeights()).saes[1].wEnc).not.toEqual((await t.readWeights()).saes[0].wEnc);
    await expect(f.memberTrainer('wasm', { data, config: { arch: 'relu' }, seeds: [0] })).rejects.toThrow(/backend 'wasm': the wasm engine trains topk only so far .*use backend 'cpu' or 'auto'/);
    await expect(f.memberTrainer('webgpu', { data, config: { steps: 2, batch: 8 }, seeds: [0] })).rejects.toThrow(/backend 'webgpu': no Dawn here: use backend 'cpu' or 'auto'/);
    expect(await f.hardwareDevice()).toBeNull();
  });

  it("signed top-K (topkSelect abs-signed) is CPU-only: auto falls back saying why, webgpu is refused with the fix", async () => {
    for (const trainer of ['sgd', 'pam-sgd'] as const) {
      const config = { trainer, topkSelect: 'abs-signed' as const };
      expect(gpuArchsFor(config)).toEqual([]);
      expect(gpuArchsFor({ ...config, arch: 'relu' })).not.toEqual([]); // other archs ignore the setting
      const note = gpuRefusal(config) ?? '';
      expect(chooseBackend('auto', 'topk', hardware, gpuArchsFor(config), trainer, note)).toMatchObject({ kind: 'cpu', why: expect.stringMatching(/does not run signed top-K \(topkSelect abs-signed.*set topkSelect relu for the GPU/) as unknown });
      expect(() => chooseBackend('webgpu', 'topk', hardware, gpuArchsFor(config), trainer, note)).toThrow(/signed top-K.*topk runs on backend 'cpu' or 'auto'/);
    }
    const data = generateSynthetic(parseSyntheticSpec('synthetic:small'));
    await expect(createTrainerFactory(null).memberTrainer('webgpu', { data, config: { topkSelect: 'abs-signed' }, seeds: [0] })).rejects.toThrow(/backend 'webgpu': the WGSL engine does not run signed top-K.*use backend 'cpu' or 'auto'/);
  });

  it('pam-sgd on the CPU reference: a chunk runs the decoder solve in pieces between steps, with the one-piece result', async () => {
    const data = generateSynthetic(parseSyntheticSpec('synthetic:small:2'));
    const plan = planEnsemble({ dataset: 'd', config: { trainer: 'pam-sgd', dSae: 16, k: 2, steps: 130, batch: 128, seed: 3 } });
    const t = await createEnsembleTrainer(plan, data, createTrainerFactory(null), 'cpu');
    // A 0 ms budget: one piece (one step, or one 1024-row chunk of a due solve) per chunk.
    let chunks = 0;
    while (t.step < 130) {
      await t.trainChunk(130 - t.step, 0);
      chunks++;
    }
    // 130 steps; solves after 64 and 128 in 9 pieces each (8 chunks of 1024 rows, then the Cholesky); the final one in finish().
    expect(chunks).toBe(130 + 2 * 9);
    const core = createPamTrainer(data, { ...plan.config, seed: 3 }, { batchOrderSeed: 3 });
    for (let i = 0; i < 130; i++) core.trainStep();
    core.solveDecoderNow();
    const live = t.runWeights(await t.readLive()).saes[0];
    expect(live.wDec).toEqual(core.sae.wDec);
    expect(live.wEnc).toEqual(core.sae.wEnc);
  });

  it('rejects a config with an unknown trainer before anything trains, naming the allowed ones', () => {
    const plan = planEnsemble({ dataset: 'x', config: { trainer: 'pam' as never } });
    expect(() => checkPlan(plan, 16, 100)).toThrow(/trainer "pam" is unknown: use one of sgd/);
  });
});

describe('the ensemble trainer and the run loop (CPU reference)', () => {
  const data = generateSynthetic(parseSyntheticSpec('synthetic:small:3'));
  const config = { dSae: 16, k: 2, steps: 30, batch: 32, seed: 5 };

  it('boosting: J stages in turn, each the core trainer on the residual of the frozen ones; steps are global', async () => {
    const plan = planEnsemble({ dataset: 'd', config, ensemble: { method: 'boosting', members: 3 } });
    const t = await createEnsembleTrainer(plan, data, createTrainerFactory(null), 'cpu');
    expect([t.steps, t.stageSteps, t.liveSaes]).toEqual([90, 30, 1]);
    const stageStarts: number[] = [];
    await trainUntil(t, t.steps, { running: () => true, onChunk: () => undefined, afterStage: () => void stageStarts.push(t.step) }, 1);
    expect(stageStarts).toEqual([30, 60]);
    expect([t.step, t.boosting?.stage, t.boosting?.frozenLast.map((s) => s.step)]).toEqual([90, 2, [30, 30]]);
    const w = t.runWeights(await t.readLive());
    expect(w.step).toBe(90);
    // By hand: stage j is createTrainer on the residual of stages < j, seed 5 + j, its own batch order.
    const byHand: Sae[] = [];
    for (let j = 0; j < 3; j++) {
      const tr = createTrainer(j === 0 ? data : boostingResidual(byHand, data), { ...config, seed: 5 + j }, { batchOrderSeed: 5 + j });
      for (let i = 0; i < 30; i++) tr.trainStep();
      byHand.push(tr.sae);
    }
    w.saes.forEach((sae, j) => expect(sae.wDec, `stage ${j}`).toEqual(byHand[j].wDec));
    t.free();
    expect(t.live).toBeNull();
    await expect(t.readLive()).rejects.toThrow(/freed/);
  });

  it('the loop stops when running() turns false, mid-plan, and resumes where it stopped', async () => {
    const plan = planEnsemble({ dataset: 'd', config, seeds: [1, 2] });
    expect(plan.method).toBe('bagging');
    const t = await createEnsembleTrainer(plan, data, createTrainerFactory(null), 'cpu');
    let chunks = 0;
    await trainUntil(t, t.steps, { running: () => chunks < 3, onChunk: () => void chunks++ }, 0);
    expect(chunks).toBe(3);
    expect(t.step).toBe(3); // a 0 ms budget: one step per chunk
    await trainUntil(t, 20, { running: () => true, onChunk: () => undefined });
    expect(t.step).toBe(20);
    const w = t.runWeights(await t.readLive());
    expect(w.saes).toHaveLength(2);
    expect(w.tokens).toEqual([20 * 32, 20 * 32]);
  });
});
