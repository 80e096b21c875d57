// SAELens v6 folder format (cfg.json + sae_weights.safetensors [+ sparsity.safetensors]): export with
// the input scale and decoder norms folded in so SAELens computes the same function of the raw input,
// and strict import of v6 and pre-6 cfgs (sae-libraries.md §2.2–2.3). Imports only src/core.
// The only file where SAELens spellings (W_enc [d_in, d_sae], d_sae) meet ours (wEnc [dSae, dIn]).

import type { Sae, SaeArch } from '../sae/types.ts';
import { isClusterArch } from '../sae/types.ts';
import { assertFinite, formatError, InputError } from '../errors.ts';
import { parseSafetensors, writeSafetensors } from './safetensors.ts';
import type { Tensor } from './safetensors.ts';

/** The SAELens version we write as metadata.sae_lens_version (a real release ≥ 6, parsed by SAELens). */
export const SAE_LENS_VERSION = '6.18.0';
/** Default metadata.trainer: our provenance, never put into sae_lens_version. */
export const TRAINER = 'sae-workbench 0.1.0';
export const CFG_FILE = 'cfg.json';
export const WEIGHTS_FILE = 'sae_weights.safetensors';
export const SPARSITY_FILE = 'sparsity.safetensors';

export type SaeLensArchitecture = 'standard' | 'topk' | 'jumprelu';
/** Our arch → SAELens `architecture`. BatchTopK is saved as JumpReLU with a constant threshold, as SAELens does. */
export const SAE_LENS_ARCHITECTURE: Record<SaeArch, SaeLensArchitecture> = {
  topk: 'topk',
  batchtopk: 'jumprelu',
  relu: 'standard',
  jumprelu: 'jumprelu',
};
/** Our arch → metadata.training_architecture (SAELens training-class names). */
const TRAINING_ARCHITECTURE: Record<SaeArch, string> = { topk: 'topk', batchtopk: 'batchtopk', relu: 'standard', jumprelu: 'jumprelu' };

/** The files of one SAELens SAE folder. */
export interface SaeLensFolder {
  cfgJson: string; // cfg.json
  weights: Uint8Array; // sae_weights.safetensors
  sparsity?: Uint8Array; // sparsity.safetensors
}

export type Provenance = Record<string, string | number | boolean | null>;

/** metadata keys we compute ourselves; provenance may not set them. */
const RESERVED_METADATA = ['sae_lens_version', 'sae_lens_training_version', 'input_scale_folded', 'decoder_norms_folded'];
/** TopK decoder norms are folded only when they agree within this relative tolerance (else ranking would change). */
const TOPK_FOLD_RTOL = 1e-5;

// ---------------------------------------------------------------------------------------------------
// Export

/**
 * Signed top-K (Sae.topkSigned; seed-papers §3.6 "Sparsifier") has no SAELens form: SAELens' TopK keeps the
 * k largest pre-activations and applies ReLU, so the folder would compute another function of x.
 */
export function signedTopkRefusal(sae: Sae): InputError {
  return new InputError(
    `toSaeLens: this SAE uses signed top-K (topkSelect abs-signed: the k = ${sae.k} largest |z| of ${sae.dSae} latents, signs kept, no ReLU; the SplInterp scripts' sparsifier), ` +
      `but SAELens' TopK keeps the k largest z and applies ReLU, so the export would compute another function: evaluate it here, or retrain with topkSelect relu (--topk-select relu) to export`,
  );
}

/**
 * The cluster families (k-means, k-flats; issue #12) have no SAELens form: SAELens' encoders are an affine map
 * followed by an activation, with no cluster-assignment (nearest-centroid / smallest-residual) encoder.
 */
export function clusterRefusal(sae: Sae): InputError {
  return new InputError(
    `toSaeLens: a ${sae.arch} model has no SAELens architecture (SAELens encoders are affine + an activation; there is no cluster-assignment encoder): ` +
      `export it in the cluster layout instead (src/core/formats/clusterFolder.ts: cfg.json + model.safetensors; the app's export and the CLI's --export do this for ${sae.arch} runs)`,
  );
}

function checkSae(sae: Sae): asserts sae is Sae & { arch: SaeArch } {
  const src = 'toSaeLens';
  if (isClusterArch(sae.arch)) throw clusterRefusal(sae);
  const { dIn, dSae } = sae;
  if (!Number.isSafeInteger(dIn) || dIn <= 0) throw formatError(src, 'dIn', 'a positive integer', String(dIn));
  if (!Number.isSafeInteger(dSae) || dSae <= 0) throw formatError(src, 'dSae', 'a positive integer', String(dSae));
  const lengths: [string, ArrayLike<number>, number][] = [
    ['wEnc', sae.wEnc, dSae * dIn],
    ['bEnc', sae.bEnc, dSae],
    ['wDec', sae.wDec, dSae * dIn],
    ['bDec', sae.bDec, dIn],
    ['logThreshold', sae.logThreshold, sae.arch === 'jumprelu' ? dSae : 0],
  ];
  for (const [name, a, n] of lengths) {
    if (a.length !== n) throw formatError(src, `${name}.length`, String(n), String(a.length));
    assertFinite(a, src, name, name === 'wEnc' || name === 'wDec' ? dIn : undefined);
  }
  if (!(Number.isFinite(sae.inputScale) && sae.inputScale > 0)) {
    throw formatError(src, 'inputScale', 'a finite number > 0', String(sae.inputScale));
  }
  if (sae.arch === 'topk' && !(Number.isSafeInteger(sae.k) && sae.k >= 1 && sae.k <= dSae)) {
    throw formatError(src, 'k', `an integer in [1, ${dSae}]`, String(sae.k));
  }
  if (sae.arch === 'batchtopk' && !(Number.isFinite(sae.batchThreshold) && sae.batchThreshold >= 0)) {
    throw formatError(src, 'batchThreshold', 'a finite number ≥ 0', String(sae.batchThreshold));
  }
}

/**
 * Converts our SAE to a SAELens v6 folder computing the same function of the raw input x:
 * SAELens f_i = ours f_i·n_i and x̂_SAELens = x̂'/s, where n_i is the folded decoder-row norm
 * (1 where no norm is folded). See the file comment of types.ts for our forward pass.
 * logDensity: [dSae] log10(density + 1e-10), written as sparsity.safetensors.
 */
export function toSaeLens(sae: Sae, opts: { provenance?: Provenance; logDensity?: Float32Array } = {}): SaeLensFolder {
  checkSae(sae);
  if (sae.topkSigned === true) throw signedTopkRefusal(sae);
  const { dIn, dSae } = sae;
  const s = sae.inputScale;
  const arch = SAE_LENS_ARCHITECTURE[sae.arch];

  // (a) fold the input scale: our SAE sees s·x.
  const wEnc = Float64Array.from(sae.wEnc, (v) => v * s); // [dSae, dIn]
  const wDec = Float64Array.from(sae.wDec, (v) => v / s); // [dSae, dIn]
  const bEnc = Float64Array.from(sae.bEnc); // [dSae]
  const bDec = Float64Array.from(sae.bDec, (v) => v / s); // [dIn]
  let threshold: Float64Array | null = null; // [dSae]
  if (sae.arch === 'jumprelu') threshold = Float64Array.from(sae.logThreshold, (v) => Math.exp(v));
  if (sae.arch === 'batchtopk') threshold = new Float64Array(dSae).fill(sae.batchThreshold);

  // (b) unit-norm decoder rows: f_i·W_dec[i] = (n_i f_i)·(W_dec[i]/n_i), and n_i f_i is what the
  // encoder computes after scaling row i of W_enc, b_enc and the threshold by n_i (ReLU and the jump
  // are positively homogeneous). TopK only when all norms agree (one common factor keeps the ranking).
  const norms = new Float64Array(dSae);
  for (let i = 0; i < dSae; i++) {
    let ss = 0;
    for (let d = 0; d < dIn; d++) ss += wDec[i * dIn + d] ** 2;
    norms[i] = Math.sqrt(ss);
  }
  const factor = new Float64Array(dSae).fill(1);
  let folded = false;
  if (arch !== 'topk') {
    for (let i = 0; i < dSae; i++) if (norms[i] > 0) factor[i] = norms[i];
    folded = true;
  } else {
    let min = Infinity;
    let max = 0;
    let sum = 0;
    for (const n of norms) {
      min = Math.min(min, n);
      max = Math.max(max, n);
      sum += n;
    }
    if (max > 0 && max - min <= TOPK_FOLD_RTOL * max) {
      factor.fill(sum / dSae);
      folded = true;
    }
  }
  for (let i = 0; i < dSae; i++) {
    const n = factor[i];
    for (let d = 0; d < dIn; d++) {
      wEnc[i * dIn + d] *= n;
      wDec[i * dIn + d] /= n;
    }
    bEnc[i] *= n;
    if (threshold) threshold[i] *= n;
  }

  // (c) transpose the encoder to SAELens orientation.
  const W_enc = new Float32Array(dIn * dSae); // [d_in, d_sae]
  for (let i = 0; i < dSae; i++) for (let d = 0; d < dIn; d++) W_enc[d * dSae + i] = wEnc[i * dIn + d];
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {
    W_enc: { shape: [dIn, dSae], data: W_enc },
    b_enc: { shape: [dSae], data: Float32Array.from(bEnc) },
    W_dec: { shape: [dSae, dIn], data: Float32Array.from(wDec) }, // [d_sae, d_in]: already latent-major
    b_dec: { shape: [dIn], data: Float32Array.from(bDec) },
  };
  if (threshold) tensors.threshold = { shape: [dSae], data: Float32Array.from(threshold) };
  for (const [name, t] of Object.entries(tensors)) {
    assertFinite(t.data, 'toSaeLens', `${name} (after folding inputScale ${s})`, t.shape.length === 2 ? t.shape[1] : undefined);
  }

  const provenance = opts.provenance ?? {};
  for (const [key, v] of Object.entries(provenance)) {
    if (RESERVED_METADATA.includes(key)) {
      throw formatError('toSaeLens', `provenance.${key}`, 'absent (reserved: written by the exporter)', JSON.stringify(v));
    }
    if (typeof v === 'number' && !Number.isFinite(v)) {
      throw formatError('toSaeLens', `provenance.${key}`, 'a finite number', String(v));
    }
  }
  const metadata: Record<string, unknown> = {
    sae_lens_version: SAE_LENS_VERSION,
    sae_lens_training_version: SAE_LENS_VERSION,
    model_name: null,
    hook_name: null,
    hook_head_index: null,
    context_size: null,
    prepend_bos: null,
    dataset_path: null,
    trainer: TRAINER,
    training_architecture: TRAINING_ARCHITECTURE[sae.arch],
    ...(sae.arch === 'batchtopk' ? { batchtopk_k: sae.k, batchtopk_threshold: sae.batchThreshold } : {}),
    ...provenance,
    input_scale_folded: s,
    decoder_norms_folded: folded,
  };
  const cfg: Record<string, unknown> = {
    architecture: arch,
    d_in: dIn,
    d_sae: dSae,
    ...(arch === 'topk' ? { k: sae.k } : {}),
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: true,
    normalize_activations: 'none',
    reshape_activations: 'none',
    ...(arch === 'topk' ? { rescale_acts_by_decoder_norm: false } : {}),
    metadata,
  };

  const folder: SaeLensFolder = { cfgJson: `${JSON.stringify(cfg, null, 2)}\n`, weights: writeSafetensors(tensors) };
  if (opts.logDensity) {
    if (opts.logDensity.length !== dSae) {
      throw formatError('toSaeLens', 'logDensity.length', `${dSae} (dSae)`, String(opts.logDensity.length));
    }
    assertFinite(opts.logDensity, 'toSaeLens', 'logDensity');
    folder.sparsity = writeSafetensors({ sparsity: { shape: [dSae], data: opts.logDensity.slice() } });
  }
  return folder;
}

// ---------------------------------------------------------------------------------------------------
// Import

type Json = Record<string, unknown>;

function fmt(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Major version of a PEP 440 version string, or null when SAELens (packaging.Version) would reject it. */
function versionMajor(v: string): number | null {
  const m =
    /^\s*v?(?:\d+!)?(\d+)(?:\.\d+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?(?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?(?:[-_.]?dev[-_.]?\d*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$/i.exec(
      v,
    );
  return m ? Number(m[1]) : null;
}

function positiveInt(cfg: Json, key: string, src: string): number {
  const v = cfg[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw formatError(src, key, 'a positive integer', fmt(v));
  return v;
}

function optionalBool(cfg: Json, key: string, dflt: boolean, src: string): boolean {
  const v = cfg[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw formatError(src, key, 'true or false', fmt(v));
  return v;
}

const DTYPES = /^(torch\.)?(float32|float|float16|half|bfloat16|float64|double)$/;

/** The cfg fields that decide the forward pass, from a v6 (metadata nested) or pre-6 (flat) cfg.json. */
interface ParsedCfg {
  architecture: SaeLensArchitecture;
  dIn: number;
  dSae: number;
  k: number;
  applyBDecToInput: boolean;
  rescaleActsByDecoderNorm: boolean;
}

function parseCfg(cfgText: string, src: string): ParsedCfg {
  let cfg: unknown;
  try {
    cfg = JSON.parse(cfgText);
  } catch (e) {
    throw formatError(src, 'cfg', 'JSON', `unparseable (${(e as Error).message})`);
  }
  if (!isObject(cfg)) throw formatError(src, 'cfg', 'a JSON object', fmt(cfg));
  const meta = cfg.metadata;
  if (meta !== undefined && meta !== null && !isObject(meta)) throw formatError(src, 'metadata', 'an object', fmt(meta));

  // SAELens reads sae_lens_version at the top level first, then in metadata; missing or < 6 → pre-6 layout.
  const versionKey = cfg.sae_lens_version !== undefined ? 'sae_lens_version' : 'metadata.sae_lens_version';
  const version = cfg.sae_lens_version !== undefined ? cfg.sae_lens_version : isObject(meta) ? meta.sae_lens_version : undefined;
  let pre6 = true;
  if (version !== undefined && version !== null) {
    const major = typeof version === 'string' ? versionMajor(version) : null;
    if (major === null) {
      throw formatError(src, versionKey, 'a SAELens version string like "6.18.0" (SAELens parses it with packaging.Version)', fmt(version));
    }
    pre6 = major < 6;
  }

  let architecture: unknown = cfg.architecture;
  let k: unknown = cfg.k;
  if (pre6) {
    if (architecture === undefined || architecture === null) architecture = 'standard';
    const actKey = cfg.activation_fn !== undefined ? 'activation_fn' : 'activation_fn_str';
    const act = cfg[actKey];
    if (architecture === 'standard' && act !== undefined && act !== null) {
      if (act === 'topk') {
        const kwargs = cfg.activation_fn_kwargs;
        architecture = 'topk';
        k = isObject(kwargs) ? kwargs.k : undefined;
        if (typeof k !== 'number' || !Number.isSafeInteger(k) || k <= 0) {
          throw formatError(src, 'activation_fn_kwargs.k', 'a positive integer (activation "topk")', fmt(k));
        }
      } else if (act !== 'relu') {
        throw formatError(src, actKey, '"relu" or "topk" for architecture "standard"', fmt(act));
      }
    }
  }
  if (architecture !== 'standard' && architecture !== 'topk' && architecture !== 'jumprelu') {
    throw formatError(
      src,
      'architecture',
      '"standard", "topk" or "jumprelu" (gated, transcoder and other SAELens architectures are not supported)',
      fmt(architecture),
    );
  }
  const dIn = positiveInt(cfg, 'd_in', src);
  const dSae = positiveInt(cfg, 'd_sae', src);

  const dtype = cfg.dtype;
  if (dtype !== undefined && dtype !== null && (typeof dtype !== 'string' || !DTYPES.test(dtype))) {
    throw formatError(src, 'dtype', '"float32", "float16", "bfloat16" or "float64" (optionally "torch."-prefixed)', fmt(dtype));
  }
  const normalize = cfg.normalize_activations;
  if (normalize !== undefined && normalize !== null && normalize !== 'none') {
    const why =
      normalize === 'layer_norm'
        ? 'this SAE layer-normalises each input, which cannot be folded into the weights'
        : 'fold the activation scaling factor into the weights first, e.g. SAELens fold_activation_norm_scaling_factor, and save with "none"';
    throw formatError(src, 'normalize_activations', `"none" (${why})`, fmt(normalize));
  }
  const reshape = cfg.reshape_activations;
  if (reshape !== undefined && reshape !== null && reshape !== 'none' && reshape !== 'hook_z') {
    throw formatError(src, 'reshape_activations', '"none" or "hook_z"', fmt(reshape));
  }
  const applyBDecToInput = optionalBool(cfg, 'apply_b_dec_to_input', true, src);

  let kOut = 0;
  let rescaleActsByDecoderNorm = false;
  if (architecture === 'topk') {
    if (k === undefined || k === null) k = 100; // SAELens TopKSAEConfig default
    if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1 || k > dSae) {
      throw formatError(src, 'k', `an integer in [1, ${dSae}] (d_sae)`, fmt(k));
    }
    kOut = k;
    rescaleActsByDecoderNorm = optionalBool(cfg, 'rescale_acts_by_decoder_norm', false, src);
  }
  return { architecture, dIn, dSae, k: kOut, applyBDecToInput, rescaleActsByDecoderNorm };
}

function shapeString(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Reads a SAELens SAE folder (cfg.json text + sae_weights.safetensors bytes) into our layout, converting
 * apply_b_dec_to_input=false and rescale_acts_by_decoder_norm=true exactly. `source` names the folder;
 * messages name `${source}/cfg.json` or `${source}/sae_weights.safetensors`.
 * Result: inputScale 1, batchThreshold 0; standard → relu, topk → topk, jumprelu → jumprelu
 * (a jumprelu whose thresholds are all 0 is a ReLU SAE and comes in as relu).
 */
export function fromSaeLens(cfgText: string, weights: Uint8Array, source: string): Sae {
  const cfgSrc = `${source}/${CFG_FILE}`;
  const wSrc = `${source}/${WEIGHTS_FILE}`;
  const cfg = parseCfg(cfgText, cfgSrc);
  const { dIn, dSae, architecture } = cfg;
  const { tensors } = parseSafetensors(weights, wSrc);

  // Legacy all-ones scaling_factor: dropped, as SAELens does.
  const sf = tensors.scaling_factor;
  if (sf) {
    const bad = sf.data.findIndex((v) => v !== 1);
    if (bad >= 0) {
      throw formatError(wSrc, `scaling_factor[${bad}]`, '1 (only an all-ones legacy scaling_factor can be dropped; fold it into W_dec first)', String(sf.data[bad]));
    }
    delete tensors.scaling_factor;
  }
  const expected: [string, number[]][] = [
    ['W_enc', [dIn, dSae]],
    ['b_enc', [dSae]],
    ['W_dec', [dSae, dIn]],
    ['b_dec', [dIn]],
  ];
  if (architecture === 'jumprelu') expected.push(['threshold', [dSae]]);
  const names = expected.map(([n]) => n);
  for (const name of names) {
    if (!(name in tensors)) {
      throw formatError(wSrc, name, `present (architecture "${architecture}" needs ${names.join(', ')})`, 'missing');
    }
  }
  const extra = Object.keys(tensors).filter((n) => !names.includes(n));
  if (extra.length > 0) {
    throw formatError(
      wSrc,
      'tensors',
      `exactly ${names.join(', ')} for architecture "${architecture}" (SAELens loads state dicts strictly)`,
      `extra ${extra.join(', ')}`,
    );
  }
  const get = (name: string): Tensor => tensors[name];
  for (const [name, shape] of expected) {
    const got = get(name).shape;
    if (got.length !== shape.length || got.some((v, i) => v !== shape[i])) {
      const hint = name === 'W_enc' && got.length === 2 && got[0] === dSae && got[1] === dIn ? ' (transposed?)' : '';
      throw formatError(wSrc, `${name}.shape`, `${shapeString(shape)} (d_in ${dIn}, d_sae ${dSae} from cfg.json)`, `${shapeString(got)}${hint}`);
    }
  }

  const W_enc = get('W_enc').data; // [d_in, d_sae]
  const wEnc = new Float64Array(dSae * dIn); // [dSae, dIn]
  for (let d = 0; d < dIn; d++) for (let i = 0; i < dSae; i++) wEnc[i * dIn + d] = W_enc[d * dSae + i];
  const bEnc = Float64Array.from(get('b_enc').data); // [dSae]
  const wDec = Float64Array.from(get('W_dec').data); // [dSae, dIn]
  const bDec = get('b_dec').data; // [dIn]

  // SAELens without b_dec on the input: pre = x·W_enc + b_enc = wEnc(x − bDec) + (b_enc + wEnc·bDec).
  if (!cfg.applyBDecToInput) {
    for (let i = 0; i < dSae; i++) {
      let acc = 0;
      for (let d = 0; d < dIn; d++) acc += wEnc[i * dIn + d] * bDec[d];
      bEnc[i] += acc;
    }
  }
  // TopK with rescale_acts_by_decoder_norm: pre_i ← pre_i·n_i, decode with W_dec[i]/n_i: fold it in.
  if (cfg.rescaleActsByDecoderNorm) {
    for (let i = 0; i < dSae; i++) {
      let ss = 0;
      for (let d = 0; d < dIn; d++) ss += wDec[i * dIn + d] ** 2;
      const n = Math.sqrt(ss);
      for (let d = 0; d < dIn; d++) {
        wEnc[i * dIn + d] *= n;
        if (n > 0) wDec[i * dIn + d] /= n;
      }
      bEnc[i] *= n;
    }
  }

  let arch: SaeArch = architecture === 'standard' ? 'relu' : architecture;
  let logThreshold = new Float32Array(0);
  if (architecture === 'jumprelu') {
    const threshold = get('threshold').data;
    if (threshold.every((v) => v === 0)) {
      arch = 'relu'; // ReLU(z)·[z > 0] = ReLU(z)
    } else {
      const bad = threshold.findIndex((v) => !(v > 0));
      if (bad >= 0) {
        throw formatError(wSrc, `threshold[${bad}]`, '> 0 (a JumpReLU threshold; we store log θ)', String(threshold[bad]));
      }
      logThreshold = Float32Array.from(threshold, (v) => Math.log(v));
    }
  }

  const sae: Sae = {
    arch,
    dIn,
    dSae,
    k: arch === 'topk' ? cfg.k : 0,
    wEnc: Float32Array.from(wEnc),
    bEnc: Float32Array.from(bEnc),
    wDec: Float32Array.from(wDec),
    bDec: Float32Array.from(bDec),
    logThreshold,
    batchThreshold: 0,
    inputScale: 1,
  };
  assertFinite(sae.wEnc, wSrc, 'wEnc (after folding b_dec/decoder norms)', dIn);
  assertFinite(sae.bEnc, wSrc, 'bEnc (after folding b_dec/decoder norms)');
  assertFinite(sae.wDec, wSrc, 'wDec (after folding decoder norms)', dIn);
  return sae;
}

/** Reads sparsity.safetensors: {"sparsity": f32[d_sae]} = log10(feature density + 1e-10). */
export function parseSparsity(bytes: Uint8Array, source: string): Float32Array {
  const { tensors } = parseSafetensors(bytes, source);
  const t = tensors.sparsity;
  if (!t) {
    const got = Object.keys(tensors);
    throw formatError(source, 'sparsity', 'a tensor named "sparsity"', got.length ? `tensors ${got.join(', ')}` : 'no tensors');
  }
  if (t.shape.length !== 1) throw formatError(source, 'sparsity.shape', '[d_sae]', shapeString(t.shape));
  return t.data;
}
