// SAELens v6 export/import: the exported folder (read with SAELens' own forward semantics) and the
// re-imported SAE compute the same function of the raw input as the original; cfg.json fields and
// tensor key sets are exact; malformed folders are rejected with messages naming file and field.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.ts';
import type { Rng } from '../../../src/core/math/random.ts';
import { createRng } from '../../../src/core/math/random.ts';
import {
  CFG_FILE,
  SAE_LENS_VERSION,
  SPARSITY_FILE,
  WEIGHTS_FILE,
  fromSaeLens,
  parseSparsity,
  toSaeLens,
} from '../../../src/core/formats/saelens.ts';
import type { Tensor } from '../../../src/core/formats/safetensors.ts';
import { parseSafetensors, writeSafetensors } from '../../../src/core/formats/safetensors.ts';
import type { Arch, Sae, SaeArch } from '../../../src/core/sae/types.ts';
import { SAE_ARCHS as ARCHS, zeroSae } from '../../../src/core/sae/types.ts';
import { exportForm } from '../../../src/core/sae/evaluate.ts';

const D_IN = 5;
const D_SAE = 7;
const K = 2;
const SCALE = 1.7;

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

/** A random SAE; decoder rows unit-norm unless `decNorms` gives per-row norms. */
function randomSae(arch: Arch, seed: number, opts: { inputScale?: number; decNorms?: number[] } = {}): Sae {
  const rng = createRng(seed);
  const wDec = randn(rng, D_SAE * D_IN);
  for (let i = 0; i < D_SAE; i++) {
    const row = wDec.subarray(i * D_IN, (i + 1) * D_IN);
    const n = Math.hypot(...row);
    const target = opts.decNorms ? opts.decNorms[i] : 1;
    for (let d = 0; d < D_IN; d++) row[d] = (row[d] / n) * target;
  }
  return {
    arch,
    dIn: D_IN,
    dSae: D_SAE,
    k: arch === 'topk' || arch === 'batchtopk' ? K : 0,
    wEnc: randn(rng, D_SAE * D_IN, 0.5),
    bEnc: randn(rng, D_SAE, 0.2),
    wDec,
    bDec: randn(rng, D_IN, 0.3),
    logThreshold: arch === 'jumprelu' ? Float32Array.from({ length: D_SAE }, () => Math.log(0.1 + 0.4 * rng.uniform())) : new Float32Array(0),
    batchThreshold: arch === 'batchtopk' ? 0.3 : 0,
    inputScale: opts.inputScale ?? SCALE,
  };
}

/** Indices of the k largest entries, ties to the lower index. */
function topIdx(z: ArrayLike<number>, k: number): Set<number> {
  const order = Array.from(z, (_, i) => i).sort((a, b) => z[b] - z[a] || a - b);
  return new Set(order.slice(0, k));
}

/**
 * Our forward pass on one raw input x (f64), in raw units:
 *   z = wEnc(s·x − bDec) + bEnc;  f = act(z);  x̂ = (Σ f_i·wDec[i] + bDec) / s.
 */
function ours(sae: Sae, x: Float64Array): { z: Float64Array; f: Float64Array; xHat: Float64Array } {
  const { dIn, dSae } = sae;
  const s = sae.inputScale;
  const z = new Float64Array(dSae);
  for (let i = 0; i < dSae; i++) {
    let acc = sae.bEnc[i];
    for (let d = 0; d < dIn; d++) acc += sae.wEnc[i * dIn + d] * (s * x[d] - sae.bDec[d]);
    z[i] = acc;
  }
  const f = new Float64Array(dSae);
  const top = sae.arch === 'topk' ? topIdx(z, sae.k) : null;
  for (let i = 0; i < dSae; i++) {
    const relu = Math.max(0, z[i]);
    if (sae.arch === 'topk') f[i] = top!.has(i) ? relu : 0;
    else if (sae.arch === 'relu') f[i] = relu;
    else if (sae.arch === 'jumprelu') f[i] = z[i] > Math.exp(sae.logThreshold[i]) ? relu : 0;
    else f[i] = z[i] > sae.batchThreshold ? relu : 0; // batchtopk at inference: a global threshold
  }
  const xHat = new Float64Array(dIn);
  for (let d = 0; d < dIn; d++) {
    let acc = sae.bDec[d];
    for (let i = 0; i < dSae; i++) acc += f[i] * sae.wDec[i * dIn + d];
    xHat[d] = acc / s;
  }
  return { z, f, xHat };
}

interface Cfg {
  architecture: string;
  d_in: number;
  d_sae: number;
  k?: number;
  apply_b_dec_to_input?: boolean;
  rescale_acts_by_decoder_norm?: boolean;
  [key: string]: unknown;
}

/**
 * SAELens' forward pass read straight off the files (sae-libraries.md §2.2):
 *   pre = (x − b_dec·a) @ W_enc + b_enc  [· ‖W_dec_i‖ if rescale];  f = act(pre);
 *   x̂ = (f [/ ‖W_dec_i‖ if rescale]) @ W_dec + b_dec.
 */
function saeLens(cfg: Cfg, t: Record<string, Tensor>, x: Float64Array): { pre: Float64Array; f: Float64Array; xHat: Float64Array } {
  const dIn = cfg.d_in;
  const dSae = cfg.d_sae;
  const a = cfg.apply_b_dec_to_input === false ? 0 : 1;
  const rescale = cfg.architecture === 'topk' && cfg.rescale_acts_by_decoder_norm === true;
  const W_enc = t.W_enc.data;
  const W_dec = t.W_dec.data;
  const norms = Array.from({ length: dSae }, (_, i) => Math.hypot(...W_dec.subarray(i * dIn, (i + 1) * dIn)));
  const pre = new Float64Array(dSae);
  for (let i = 0; i < dSae; i++) {
    let acc = t.b_enc.data[i];
    for (let d = 0; d < dIn; d++) acc += (x[d] - a * t.b_dec.data[d]) * W_enc[d * dSae + i];
    pre[i] = rescale ? acc * norms[i] : acc;
  }
  const f = new Float64Array(dSae);
  const top = cfg.architecture === 'topk' ? topIdx(pre, cfg.k ?? 100) : null;
  for (let i = 0; i < dSae; i++) {
    const relu = Math.max(0, pre[i]);
    if (cfg.architecture === 'topk') f[i] = top!.has(i) ? relu : 0;
    else if (cfg.architecture === 'standard') f[i] = relu;
    else f[i] = pre[i] > t.threshold.data[i] ? relu : 0;
  }
  const xHat = new Float64Array(dIn);
  for (let d = 0; d < dIn; d++) {
    let acc = t.b_dec.data[d];
    for (let i = 0; i < dSae; i++) acc += (rescale ? f[i] / norms[i] : f[i]) * W_dec[i * dIn + d];
    xHat[d] = acc;
  }
  return { pre, f, xHat };
}

function inputs(seed: number, n = 64): Float64Array[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Float64Array.from({ length: D_IN }, () => rng.normal()));
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-4): void {
  expect(got.length, what).toBe(want.length);
  let scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) > rtol * scale) {
      expect.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
    }
  }
}

function active(f: ArrayLike<number>): number[] {
  return Array.from(f, (v, i) => (v !== 0 ? i : -1)).filter((i) => i >= 0);
}

/** ‖wDec[i]‖ / s: the factor the export folds into latent i (the decoder-row norm in raw units). */
function rawDecNorms(sae: Sae): number[] {
  return Array.from({ length: sae.dSae }, (_, i) => Math.hypot(...sae.wDec.subarray(i * sae.dIn, (i + 1) * sae.dIn)) / sae.inputScale);
}

const EXPECTED_ARCH: Record<SaeArch, string> = { topk: 'topk', batchtopk: 'jumprelu', relu: 'standard', jumprelu: 'jumprelu' };

describe('toSaeLens → SAELens semantics → fromSaeLens preserves the function of the raw input', () => {
  it.each(ARCHS.map((a) => [a]))('%s', (arch) => {
    const sae = randomSae(arch, 10 + ARCHS.indexOf(arch));
    const folder = toSaeLens(sae, { provenance: { seed: 3, dataset: 'glove-50d', training_architecture: arch } });
    const cfg = JSON.parse(folder.cfgJson) as Cfg;
    const { tensors, metadata } = parseSafetensors(folder.weights, 'w');
    expect(metadata).toEqual({});
    const isJump = EXPECTED_ARCH[arch] === 'jumprelu';
    expect(Object.keys(tensors)).toEqual(isJump ? ['W_enc', 'b_enc', 'W_dec', 'b_dec', 'threshold'] : ['W_enc', 'b_enc', 'W_dec', 'b_dec']);
    expect(tensors.W_enc.shape).toEqual([D_IN, D_SAE]);
    expect(tensors.W_dec.shape).toEqual([D_SAE, D_IN]);
    expect(tensors.b_enc.shape).toEqual([D_SAE]);
    expect(tensors.b_dec.shape).toEqual([D_IN]);
    if (isJump) expect(tensors.threshold.shape).toEqual([D_SAE]);
    // Decoder rows come out unit-norm (for topk: the rows all have norm 1/s, a common factor).
    for (let i = 0; i < D_SAE; i++) expect(Math.hypot(...tensors.W_dec.data.subarray(i * D_IN, (i + 1) * D_IN))).toBeCloseTo(1, 5);

    const n = rawDecNorms(sae);
    const back = fromSaeLens(folder.cfgJson, folder.weights, 'sae');
    expect(back.arch).toBe(arch === 'relu' ? 'relu' : arch === 'topk' ? 'topk' : 'jumprelu');
    expect(back.inputScale).toBe(1);
    expect(back.batchThreshold).toBe(0);
    expect(back.k).toBe(arch === 'topk' ? K : 0);
    let fired = 0;
    for (const [r, x] of inputs(99).entries()) {
      const want = ours(sae, x);
      const viaFile = saeLens(cfg, tensors, x);
      const viaImport = ours(back, x);
      // Pre-activations in raw units: latent i of the export is latent i of ours times ‖wDec[i]‖/s.
      const zRaw = want.z.map((v, i) => v * n[i]);
      expectClose(viaFile.pre, zRaw, `row ${r} SAELens pre`);
      expectClose(viaImport.z, zRaw, `row ${r} imported z`);
      expect(active(viaFile.f), `row ${r} SAELens active set`).toEqual(active(want.f));
      expect(active(viaImport.f), `row ${r} imported active set`).toEqual(active(want.f));
      expectClose(viaFile.xHat, want.xHat, `row ${r} SAELens x̂`);
      expectClose(viaImport.xHat, want.xHat, `row ${r} imported x̂`);
      fired += active(want.f).length;
    }
    expect(fired).toBeGreaterThan(10); // the check exercised active latents, not just b_dec
  });

  it('writes the SAELens v6 cfg.json with our provenance under separate metadata keys', () => {
    for (const arch of ARCHS) {
      const sae = randomSae(arch, 20);
      const cfg = JSON.parse(toSaeLens(sae, { provenance: { seed: 7, hook_name: 'blocks.0.hook_resid_post', model_name: 'stories260K' } }).cfgJson);
      const isTopk = arch === 'topk';
      expect(Object.keys(cfg)).toEqual([
        'architecture',
        'd_in',
        'd_sae',
        ...(isTopk ? ['k'] : []),
        'dtype',
        'device',
        'apply_b_dec_to_input',
        'normalize_activations',
        'reshape_activations',
        ...(isTopk ? ['rescale_acts_by_decoder_norm'] : []),
        'metadata',
      ]);
      expect(cfg).toMatchObject({
        architecture: EXPECTED_ARCH[arch],
        d_in: D_IN,
        d_sae: D_SAE,
        dtype: 'float32',
        device: 'cpu',
        apply_b_dec_to_input: true,
        normalize_activations: 'none',
        reshape_activations: 'none',
      });
      if (isTopk) expect(cfg).toMatchObject({ k: K, rescale_acts_by_decoder_norm: false });
      expect(cfg.metadata).toMatchObject({
        sae_lens_version: '6.18.0',
        sae_lens_training_version: '6.18.0',
        hook_name: 'blocks.0.hook_resid_post',
        hook_head_index: null,
        model_name: 'stories260K',
        context_size: null,
        prepend_bos: null,
        dataset_path: null,
        trainer: 'sae-workbench 0.1.0',
        training_architecture: { topk: 'topk', batchtopk: 'batchtopk', relu: 'standard', jumprelu: 'jumprelu' }[arch],
        seed: 7,
        input_scale_folded: SCALE,
        decoder_norms_folded: true,
      });
      expect(SAE_LENS_VERSION).toBe('6.18.0');
    }
  });

  it('exports BatchTopK as JumpReLU with threshold = θ·‖wDec[i]‖/s, and JumpReLU with exp(logThreshold) folded the same way', () => {
    const b = randomSae('batchtopk', 30, { decNorms: [1, 2, 0.5, 1, 1, 3, 1] });
    const t = parseSafetensors(toSaeLens(b).weights, 'w').tensors;
    const n = rawDecNorms(b);
    expectClose(t.threshold.data, n.map((v) => 0.3 * v), 'batchtopk threshold', 1e-6);
    const j = randomSae('jumprelu', 31, { inputScale: 1 });
    const tj = parseSafetensors(toSaeLens(j).weights, 'w').tensors;
    expectClose(tj.threshold.data, Array.from(j.logThreshold, Math.exp), 'jumprelu threshold', 1e-6);
  });

  it('leaves TopK decoder norms unfolded when they differ (folding would change the ranking), exactly', () => {
    const sae = randomSae('topk', 40, { decNorms: [1, 2, 0.5, 1, 1, 3, 0.7] });
    const folder = toSaeLens(sae);
    const cfg = JSON.parse(folder.cfgJson) as Cfg;
    expect((cfg.metadata as Record<string, unknown>).decoder_norms_folded).toBe(false);
    const { tensors } = parseSafetensors(folder.weights, 'w');
    expectClose(tensors.W_dec.data, Array.from(sae.wDec, (v) => v / SCALE), 'W_dec', 1e-6);
    const back = fromSaeLens(folder.cfgJson, folder.weights, 'sae');
    for (const x of inputs(5)) {
      const want = ours(sae, x);
      const got = ours(back, x);
      expectClose(got.z, want.z, 'z');
      expect(active(got.f)).toEqual(active(want.f));
      expectClose(got.xHat, want.xHat, 'x̂');
    }
  });

  it('keeps zero decoder rows as they are', () => {
    const sae = randomSae('relu', 41, { inputScale: 1, decNorms: [1, 0, 1, 1, 1, 1, 1] });
    const t = parseSafetensors(toSaeLens(sae).weights, 'w').tensors;
    expect(Array.from(t.b_enc.data)[1]).toBe(sae.bEnc[1]);
    expect(t.W_dec.data.subarray(D_IN, 2 * D_IN).every((v) => v === 0)).toBe(true);
  });

  it('writes sparsity.safetensors and reads it back; round-trips bytes', () => {
    const sae = randomSae('topk', 42);
    const logDensity = Float32Array.from([-1, -2, -3, -10, -0.5, -4, -2.5]);
    const folder = toSaeLens(sae, { logDensity });
    expect(folder.sparsity).toBeDefined();
    expect(Array.from(parseSparsity(folder.sparsity!, SPARSITY_FILE))).toEqual(Array.from(logDensity));
    expect(Object.keys(parseSafetensors(folder.sparsity!, SPARSITY_FILE).tensors)).toEqual(['sparsity']);
    expect(toSaeLens(sae).sparsity).toBeUndefined();
    // Export → import → export gives the same weights bytes when nothing is left to fold.
    const back = fromSaeLens(folder.cfgJson, folder.weights, 'sae');
    expect(toSaeLens(back).weights).toEqual(toSaeLens(fromSaeLens(toSaeLens(back).cfgJson, toSaeLens(back).weights, 's')).weights);
    expect([CFG_FILE, WEIGHTS_FILE, SPARSITY_FILE]).toEqual(['cfg.json', 'sae_weights.safetensors', 'sparsity.safetensors']);
  });

  it('rejects reserved provenance keys, bad logDensity and a non-finite SAE', () => {
    const sae = randomSae('topk', 43);
    expect(() => toSaeLens(sae, { provenance: { sae_lens_version: 'webgpu-0.1' } })).toThrow(
      /toSaeLens: provenance\.sae_lens_version: expected absent \(reserved/,
    );
    expect(() => toSaeLens(sae, { logDensity: new Float32Array(3) })).toThrow(/toSaeLens: logDensity\.length: expected 7 \(dSae\), got 3/);
    const bad = { ...sae, bEnc: sae.bEnc.slice() };
    bad.bEnc[4] = NaN;
    expect(() => toSaeLens(bad)).toThrow(/toSaeLens: bEnc\[4\]: expected a finite number, got NaN/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Import of hand-built folders

function rngTensors(seed: number, arch: string): Record<string, { shape: number[]; data: Float32Array }> {
  const rng = createRng(seed);
  const t: Record<string, { shape: number[]; data: Float32Array }> = {
    W_enc: { shape: [D_IN, D_SAE], data: randn(rng, D_IN * D_SAE, 0.5) },
    b_enc: { shape: [D_SAE], data: randn(rng, D_SAE, 0.2) },
    W_dec: { shape: [D_SAE, D_IN], data: randn(rng, D_SAE * D_IN, 0.6) }, // rows not unit-norm
    b_dec: { shape: [D_IN], data: randn(rng, D_IN, 0.3) },
  };
  if (arch === 'jumprelu') t.threshold = { shape: [D_SAE], data: Float32Array.from({ length: D_SAE }, () => 0.05 + 0.3 * rng.uniform()) };
  return t;
}

function v6Cfg(arch: string, extra: Record<string, unknown> = {}): Cfg {
  return {
    architecture: arch,
    d_in: D_IN,
    d_sae: D_SAE,
    ...(arch === 'topk' ? { k: K, rescale_acts_by_decoder_norm: false } : {}),
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: true,
    normalize_activations: 'none',
    reshape_activations: 'none',
    metadata: { sae_lens_version: '6.18.0', hook_name: 'blocks.0.hook_resid_pre' },
    ...extra,
  };
}

/** Import, then compare ours(imported) against SAELens semantics on the file for random inputs. */
function expectSameFunction(cfg: Cfg, t: Record<string, { shape: number[]; data: Float32Array }>, semanticsCfg: Cfg = cfg): Sae {
  const bytes = writeSafetensors(t);
  const sae = fromSaeLens(JSON.stringify(cfg), bytes, 'sae');
  const tensors = parseSafetensors(bytes, 'w').tensors;
  for (const x of inputs(7)) {
    const want = saeLens(semanticsCfg, tensors, x);
    const got = ours(sae, x);
    expect(active(got.f)).toEqual(active(want.f));
    expectClose(got.xHat, want.xHat, 'x̂');
  }
  return sae;
}

describe('fromSaeLens reads v6 and pre-6 folders exactly', () => {
  it('v6 standard / topk / jumprelu; unknown keys ignored; torch dtype strings accepted', () => {
    for (const arch of ['standard', 'topk', 'jumprelu']) {
      const cfg = v6Cfg(arch, { dtype: 'torch.float32', l0_coefficient: 5, jumprelu_bandwidth: 0.001, decoder_init_norm: 0.1 });
      const sae = expectSameFunction(cfg, rngTensors(50, arch));
      expect(sae.arch).toBe({ standard: 'relu', topk: 'topk', jumprelu: 'jumprelu' }[arch]);
    }
  });

  it('apply_b_dec_to_input = false is folded into b_enc', () => {
    for (const arch of ['standard', 'topk', 'jumprelu']) expectSameFunction(v6Cfg(arch, { apply_b_dec_to_input: false }), rngTensors(51, arch));
  });

  it('topk rescale_acts_by_decoder_norm = true is folded into the weights (also with b_dec off the input)', () => {
    expectSameFunction(v6Cfg('topk', { rescale_acts_by_decoder_norm: true }), rngTensors(52, 'topk'));
    expectSameFunction(v6Cfg('topk', { rescale_acts_by_decoder_norm: true, apply_b_dec_to_input: false }), rngTensors(53, 'topk'));
  });

  it('pre-6 flat cfg: activation_fn_str "topk" + activation_fn_kwargs.k → topk', () => {
    const cfg: Cfg = {
      architecture: 'standard',
      d_in: D_IN,
      d_sae: D_SAE,
      dtype: 'torch.float32',
      hook_name: 'blocks.0.hook_attn_out',
      hook_layer: 0,
      activation_fn_str: 'topk',
      activation_fn_kwargs: { k: 3 },
      normalize_activations: 'none',
      sae_lens_training_version: '3.2.1',
    };
    const sae = expectSameFunction(cfg, rngTensors(54, 'topk'), { ...cfg, architecture: 'topk', k: 3 });
    expect(sae.arch).toBe('topk');
    expect(sae.k).toBe(3);
  });

  it('pre-6 "standard" + relu → relu; a version < 6 is pre-6; missing architecture means standard', () => {
    const base = { d_in: D_IN, d_sae: D_SAE, dtype: 'float32', apply_b_dec_to_input: true };
    expect(fromSaeLens(JSON.stringify({ ...base, architecture: 'standard', activation_fn: 'relu', sae_lens_version: '5.9.1' }), writeSafetensors(rngTensors(55, 'standard')), 's').arch).toBe('relu');
    expect(fromSaeLens(JSON.stringify({ ...base, activation_fn_str: 'relu' }), writeSafetensors(rngTensors(55, 'standard')), 's').arch).toBe('relu');
  });

  it('drops an all-ones legacy scaling_factor; maps an all-zero JumpReLU threshold to relu', () => {
    const t = rngTensors(56, 'standard');
    t.scaling_factor = { shape: [D_SAE], data: new Float32Array(D_SAE).fill(1) };
    expect(fromSaeLens(JSON.stringify(v6Cfg('standard')), writeSafetensors(t), 's').arch).toBe('relu');
    const j = rngTensors(57, 'jumprelu');
    j.threshold.data.fill(0);
    const sae = expectSameFunction(v6Cfg('jumprelu'), j);
    expect(sae.arch).toBe('relu');
  });

  it('imports jumprelu thresholds as logThreshold = log θ', () => {
    const t = rngTensors(58, 'jumprelu');
    const sae = fromSaeLens(JSON.stringify(v6Cfg('jumprelu')), writeSafetensors(t), 's');
    expectClose(Array.from(sae.logThreshold, Math.exp), t.threshold.data, 'θ', 1e-6);
  });
});

describe('fromSaeLens rejects malformed folders, naming the file and field', () => {
  type Case = [string, () => [unknown, Record<string, { shape: number[]; data: Float32Array }>], RegExp];
  const t = (arch = 'standard') => rngTensors(60, arch);
  const without = (arch: string, name: string) => {
    const x = t(arch);
    delete x[name];
    return x;
  };
  const cases: Case[] = [
    ['cfg not JSON', () => ['{"architecture": ', t()], /^sae\/cfg\.json: cfg: expected JSON, got unparseable/],
    ['cfg a JSON array', () => [[1], t()], /^sae\/cfg\.json: cfg: expected a JSON object, got \[1\]/],
    ['gated architecture', () => [v6Cfg('gated'), t()], /^sae\/cfg\.json: architecture: expected "standard", "topk" or "jumprelu" \(gated, transcoder .*not supported\), got "gated"/],
    ['transcoder architecture', () => [v6Cfg('jumprelu_transcoder'), t()], /^sae\/cfg\.json: architecture: expected .*got "jumprelu_transcoder"/],
    ['sae_lens_version a number', () => [{ ...v6Cfg('standard'), metadata: { sae_lens_version: 6 } }, t()], /^sae\/cfg\.json: metadata\.sae_lens_version: expected a SAELens version string like "6\.18\.0".*got 6$/],
    ['sae_lens_version not a version', () => [{ ...v6Cfg('standard'), metadata: { sae_lens_version: 'webgpu-0.1' } }, t()], /^sae\/cfg\.json: metadata\.sae_lens_version: expected a SAELens version string.*got "webgpu-0\.1"/],
    ['top-level sae_lens_version bad', () => [v6Cfg('standard', { sae_lens_version: true }), t()], /^sae\/cfg\.json: sae_lens_version: expected a SAELens version string.*got true/],
    ['metadata not an object', () => [v6Cfg('standard', { metadata: 'x' }), t()], /^sae\/cfg\.json: metadata: expected an object, got "x"/],
    ['d_in a string', () => [v6Cfg('standard', { d_in: '5' }), t()], /^sae\/cfg\.json: d_in: expected a positive integer, got "5"/],
    ['d_sae missing', () => [v6Cfg('standard', { d_sae: undefined }), t()], /^sae\/cfg\.json: d_sae: expected a positive integer, got undefined/],
    ['unknown dtype', () => [v6Cfg('standard', { dtype: 'int8' }), t()], /^sae\/cfg\.json: dtype: expected "float32", "float16", "bfloat16" or "float64".*got "int8"/],
    ['normalize_activations expected_average_only_in', () => [v6Cfg('standard', { normalize_activations: 'expected_average_only_in' }), t()], /^sae\/cfg\.json: normalize_activations: expected "none" \(fold the activation scaling factor into the weights.*got "expected_average_only_in"/],
    ['normalize_activations layer_norm', () => [v6Cfg('topk', { normalize_activations: 'layer_norm' }), t('topk')], /^sae\/cfg\.json: normalize_activations: expected "none" \(this SAE layer-normalises.*got "layer_norm"/],
    ['reshape_activations unknown', () => [v6Cfg('standard', { reshape_activations: 'flatten' }), t()], /^sae\/cfg\.json: reshape_activations: expected "none" or "hook_z", got "flatten"/],
    ['apply_b_dec_to_input a string', () => [v6Cfg('standard', { apply_b_dec_to_input: 'yes' }), t()], /^sae\/cfg\.json: apply_b_dec_to_input: expected true or false, got "yes"/],
    ['k larger than d_sae', () => [v6Cfg('topk', { k: 8 }), t('topk')], /^sae\/cfg\.json: k: expected an integer in \[1, 7\] \(d_sae\), got 8/],
    ['k missing defaults to 100 > d_sae', () => [v6Cfg('topk', { k: undefined }), t('topk')], /^sae\/cfg\.json: k: expected an integer in \[1, 7\] \(d_sae\), got 100/],
    ['pre-6 topk without k', () => [{ architecture: 'standard', d_in: D_IN, d_sae: D_SAE, activation_fn_str: 'topk' }, t('topk')], /^sae\/cfg\.json: activation_fn_kwargs\.k: expected a positive integer \(activation "topk"\), got undefined/],
    ['pre-6 other activation', () => [{ architecture: 'standard', d_in: D_IN, d_sae: D_SAE, activation_fn_str: 'tanh-relu' }, t()], /^sae\/cfg\.json: activation_fn_str: expected "relu" or "topk" for architecture "standard", got "tanh-relu"/],
    ['W_enc transposed', () => [v6Cfg('standard'), { ...t(), W_enc: { shape: [D_SAE, D_IN], data: new Float32Array(35) } }], /^sae\/sae_weights\.safetensors: W_enc\.shape: expected \[5, 7\] \(d_in 5, d_sae 7 from cfg\.json\), got \[7, 5\] \(transposed\?\)/],
    ['b_dec wrong length', () => [v6Cfg('standard'), { ...t(), b_dec: { shape: [4], data: new Float32Array(4) } }], /^sae\/sae_weights\.safetensors: b_dec\.shape: expected \[5\] .*got \[4\]/],
    ['W_dec shape vs cfg d_sae', () => [v6Cfg('standard', { d_sae: 8 }), t()], /^sae\/sae_weights\.safetensors: W_enc\.shape: expected \[5, 8\] \(d_in 5, d_sae 8 from cfg\.json\), got \[5, 7\]/],
    ['missing threshold', () => [v6Cfg('jumprelu'), without('jumprelu', 'threshold')], /^sae\/sae_weights\.safetensors: threshold: expected present \(architecture "jumprelu" needs W_enc, b_enc, W_dec, b_dec, threshold\), got missing/],
    ['missing b_enc', () => [v6Cfg('topk'), without('topk', 'b_enc')], /^sae\/sae_weights\.safetensors: b_enc: expected present .*got missing/],
    ['extra tensor', () => [v6Cfg('standard'), { ...t(), b_gate: { shape: [D_SAE], data: new Float32Array(D_SAE) } }], /^sae\/sae_weights\.safetensors: tensors: expected exactly W_enc, b_enc, W_dec, b_dec for architecture "standard" \(SAELens loads state dicts strictly\), got extra b_gate/],
    ['threshold on a standard SAE', () => [v6Cfg('standard'), t('jumprelu')], /^sae\/sae_weights\.safetensors: tensors: expected exactly .*got extra threshold/],
    ['scaling_factor not ones', () => [v6Cfg('standard'), { ...t(), scaling_factor: { shape: [D_SAE], data: new Float32Array(D_SAE).fill(2) } }], /^sae\/sae_weights\.safetensors: scaling_factor\[0\]: expected 1 .*got 2/],
    [
      'non-positive threshold',
      () => {
        const x = t('jumprelu');
        x.threshold.data[3] = -0.5;
        return [v6Cfg('jumprelu'), x];
      },
      /^sae\/sae_weights\.safetensors: threshold\[3\]: expected > 0 \(a JumpReLU threshold; we store log θ\), got -0\.5/,
    ],
  ];
  it.each(cases)('%s', (_name, make, re) => {
    const [cfg, tensors] = make();
    const cfgText = typeof cfg === 'string' ? cfg : JSON.stringify(cfg);
    let err: unknown;
    try {
      fromSaeLens(cfgText, writeSafetensors(tensors), 'sae');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(re);
  });

  it('rejects NaN and truncation in the weights file', () => {
    const bytes = writeSafetensors(t());
    expect(() => fromSaeLens(JSON.stringify(v6Cfg('standard')), bytes.subarray(0, bytes.length - 4), 'sae')).toThrow(
      /^sae\/sae_weights\.safetensors: b_dec\.data_offsets: expected within the data section/,
    );
    const nan = t();
    nan.W_dec.data[2 * D_IN + 1] = NaN;
    // writeSafetensors refuses NaN, so patch the bytes: W_dec starts after W_enc and b_enc.
    const good = writeSafetensors({ ...nan, W_dec: { shape: [D_SAE, D_IN], data: new Float32Array(D_SAE * D_IN) } });
    const n = new DataView(good.buffer).getUint32(0, true);
    new DataView(good.buffer).setFloat32(8 + n + (D_IN * D_SAE + D_SAE + 2 * D_IN + 1) * 4, NaN, true);
    expect(() => fromSaeLens(JSON.stringify(v6Cfg('standard')), good, 'sae')).toThrow(
      /^sae\/sae_weights\.safetensors: W_dec\[2, 1\]: expected a finite number, got NaN/,
    );
  });

  it('parseSparsity names a missing or mis-shaped sparsity tensor', () => {
    expect(() => parseSparsity(writeSafetensors({ density: { shape: [3], data: new Float32Array(3) } }), 'sparsity.safetensors')).toThrow(
      /^sparsity\.safetensors: sparsity: expected a tensor named "sparsity", got tensors density/,
    );
    expect(() => parseSparsity(writeSafetensors({ sparsity: { shape: [1, 3], data: new Float32Array(3) } }), 'sparsity.safetensors')).toThrow(
      /^sparsity\.safetensors: sparsity\.shape: expected \[d_sae\], got \[1, 3\]/,
    );
  });
});

describe('toSaeLens refuses signed top-K (seed-papers §3.6 "Sparsifier")', () => {
  it('names the setting, why (SAELens TopK applies ReLU) and the fix; the SAE is still evaluated here', () => {
    const sae = zeroSae('topk', 4, 6, 2);
    sae.topkSigned = true;
    sae.inputScale = 2;
    expect(() => toSaeLens(sae)).toThrow(InputError);
    expect(() => toSaeLens(sae)).toThrow(/signed top-K \(topkSelect abs-signed: the k = 2 largest \|z\| of 6 latents.*SAELens' TopK keeps the k largest z and applies ReLU.*retrain with topkSelect relu \(--topk-select relu\) to export/);
    const raw = exportForm(sae); // the input scale folded, the signed selection kept
    expect(raw.inputScale).toBe(1);
    expect(raw.topkSigned).toBe(true);
  });
});
