// Checkpoints (src/core/sae/checkpoint.ts): N steps, save, restore in a fresh trainer, M more steps ==
// N+M uninterrupted, bit for bit, on every architecture and across epoch ends; the strict reader.
import { describe, expect, it } from 'vitest';
import { createBatchOrder, createTrainer } from '../../../src/core/sae/train.ts';
import { checkpointOf, readCheckpoint, restoreTrainers, resumeConfig, writeCheckpoint } from '../../../src/core/sae/checkpoint.ts';
import { generateSynthetic, parseSyntheticSpec } from '../../../src/core/data/synthetic.ts';
import { writeSafetensors } from '../../../src/core/formats/safetensors.ts';
import type { Arch } from '../../../src/core/sae/types.ts';
import { SAE_ARCHS as ARCHS } from '../../../src/core/sae/types.ts';

const small = generateSynthetic(parseSyntheticSpec('synthetic:small:1'));
// 300 rows with batch 64: an epoch ends every ~4.7 steps, so the saved order is mid-permutation.
const tiny = { ...small, name: 'tiny', rows: 300, x: small.x.slice(0, 300 * small.dIn) };

const bits = (a: Float32Array | Float64Array): number[] => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));

describe('createBatchOrder state', () => {
  it('a restored order continues the same sequence', () => {
    const a = createBatchOrder(10, 4, 3);
    for (let i = 0; i < 7; i++) a.next();
    const b = createBatchOrder(10, 4, 3, a.state());
    for (let i = 0; i < 9; i++) expect(Array.from(b.next())).toEqual(Array.from(a.next()));
  });
});

describe('checkpoint → restore', () => {
  it.each(ARCHS)('%s: 23 steps, save, restore, 17 more == 40 uninterrupted (bit for bit)', (arch: Arch) => {
    const cfg = { arch, dSae: 32, k: 3, steps: 40, batch: 64, seed: 5, l1Coefficient: 0.01, deadWindowTokens: 256 };
    const whole = createTrainer(tiny, cfg);
    const half = createTrainer(tiny, cfg);
    for (let i = 0; i < 23; i++) {
      whole.trainStep();
      half.trainStep();
    }
    const file = writeCheckpoint(checkpointOf([half], [5], tiny));
    const c = readCheckpoint(file, 'run.ckpt');
    const [resumed] = restoreTrainers(tiny, c, resumeConfig(c, tiny, cfg, 'run.ckpt'));
    expect(resumed.step).toBe(23);
    for (let i = 0; i < 17; i++) expect(resumed.trainStep().loss).toBe(whole.trainStep().loss);
    for (const key of ['wEnc', 'bEnc', 'wDec', 'bDec', 'logThreshold'] as const) expect(bits(resumed.sae[key])).toEqual(bits(whole.sae[key]));
    expect(resumed.sae.batchThreshold).toBe(whole.sae.batchThreshold);
    expect(Array.from(resumed.firingCounts)).toEqual(Array.from(whole.firingCounts));
    expect(Array.from(resumed.tokensSinceFired)).toEqual(Array.from(whole.tokensSinceFired));
  });

  it('bagging members share the order and restore together; expanded steps keep going', () => {
    const cfg = { dSae: 16, k: 2, steps: 30, batch: 32, seed: 1 };
    const seeds = [1, 2];
    const mk = () => seeds.map((seed) => createTrainer(tiny, { ...cfg, seed }, { batchOrderSeed: 1 }));
    const whole = mk();
    const part = mk();
    for (let i = 0; i < 10; i++) [...whole, ...part].forEach((t) => t.trainStep());
    const c = readCheckpoint(writeCheckpoint(checkpointOf(part, seeds, tiny, 'bagging')), 'b.ckpt');
    expect(c.ensemble).toEqual({ method: 'bagging', members: 2 });
    const resumed = restoreTrainers(tiny, c);
    for (let i = 0; i < 20; i++) resumed.forEach((t, j) => expect(t.trainStep().loss).toBe(whole[j].trainStep().loss));
    // More steps than planned: allowed, the schedule's lengths stay the checkpoint's.
    expect(resumeConfig(c, tiny, { steps: 50 }, 'b.ckpt').steps).toBe(50);
  });
});

describe('readCheckpoint refuses, naming the file and the field', () => {
  const t = createTrainer(tiny, { dSae: 16, k: 2, steps: 20, batch: 32 });
  t.trainStep();
  const good = writeCheckpoint(checkpointOf([t], [0], tiny));
  const c = readCheckpoint(good, 'ok.ckpt');

  it('an SAE file, not a checkpoint', () => {
    const sae = writeSafetensors({ W_enc: { shape: [2], data: new Float32Array(2) } });
    expect(() => readCheckpoint(sae, 'sae.safetensors')).toThrow(/sae\.safetensors: __metadata__\.format: expected "sae-workbench-checkpoint"/);
  });
  it('another version', () => {
    const bad = writeSafetensors({ x: { shape: [1], data: new Float32Array(1) } }, { format: 'sae-workbench-checkpoint', version: '9', state: '{}' });
    expect(() => readCheckpoint(bad, 'v9.ckpt')).toThrow(/v9\.ckpt: __metadata__\.version: expected 1/);
  });
  it('other data or config', () => {
    expect(() => resumeConfig(c, { rows: 301, dIn: tiny.dIn }, {}, 'ok.ckpt')).toThrow(/ok\.ckpt: data: the checkpoint was saved on \[300, 16\].*got \[301, 16\]/);
    expect(() => resumeConfig(c, tiny, { dSae: 32 }, 'ok.ckpt')).toThrow(/ok\.ckpt: config\.dSae: the checkpoint trains with 16, got 32/);
    expect(() => resumeConfig(c, tiny, { steps: 0 }, 'ok.ckpt')).toThrow(/steps: expected at least 1/);
  });
  it('a truncated file and a missing tensor', () => {
    expect(() => readCheckpoint(good.subarray(0, good.length - 4), 'cut.ckpt')).toThrow(/cut\.ckpt/);
    const { metadata } = { metadata: { format: 'sae-workbench-checkpoint', version: '1', state: new TextDecoder().decode(good).match(/"state":"((?:[^"\\]|\\.)*)"/)![1] } };
    const state = JSON.parse(`"${metadata.state}"`) as string;
    const noTensors = writeSafetensors({ 'm0.wEnc': { shape: [16, tiny.dIn], data: new Float32Array(16 * tiny.dIn) } }, { ...metadata, state });
    expect(() => readCheckpoint(noTensors, 'few.ckpt')).toThrow(/few\.ckpt: tensor m0\.bEnc: expected present/);
  });
  it('PAM-SGD: resume is SGD-only so far', () => {
    expect(() => checkpointOf([{ ...t, config: { ...t.config, trainer: 'pam-sgd' } }], [0], tiny)).toThrow(/resume is SGD-only so far/);
  });
});
