// The datasets the Workbench can load: a registry of built-in ids (stories260K activations, Fashion-MNIST,
// digits, GloVe; fetched from a data folder), synthetic ground truth with its knobs, user uploads
// (.npy, .safetensors, CSV/TSV, IDX; optional labels file) and pasted text run through the LM. Each load
// applies the preprocessing options (drop BOS rows, seeded train/eval split, centring and expected-norm
// scaling with the train split's statistics) and computes a card.
// Parsing is src/core's; this file only fetches bytes (through an injected reader), picks the parser and
// keeps per-row labels/contexts for the inspector. Chunked uploads are upload.ts's. The LM runs on the
// CPU reference, or on WebGPU (lmGpu.ts) when the caller injects a device (options.lmDevice): where a
// device comes from is the workbench's business. No DOM, React, Comlink or Node imports; no WebGPU
// beyond lmGpu.ts.

import { DIGITS_SOURCE, csvDataset, parseLabels, readCsv, readDigits, withLabels } from '../../core/formats/csv.ts';
import type { DatasetSource, LabelledDataset } from '../../core/data/card.ts';
import { datasetCard, hasLabels } from '../../core/data/card.ts';
import { InputError } from '../../core/errors.ts';
import { GLOVE_SOURCE, readGloveZip } from '../../core/formats/glove.ts';
import { MARKED_BUILTINS, markImages } from '../../core/data/marked.ts';
import { FASHION_MNIST_SOURCE, idxImages, idxLabels, readFashionMnist, readIdx } from '../../core/formats/idx.ts';
import { MAX_TEXT_BYTES, namedReadError } from '../../core/formats/limits.ts';
import { expectedNormScale, rowMean } from '../../core/sae/init.ts';
import { maybeGunzip } from '../../core/formats/inflate.ts';
import type { LmActivations } from '../../core/lm/activations.ts';
import { activationLayout, activationsFromCache, buildContexts, collectActivations } from '../../core/lm/activations.ts';
import { parseSite } from '../../core/lm/forward.ts';
import type { LmModel } from '../../core/lm/model.ts';
import { parseLmModel } from '../../core/lm/model.ts';
import { tokenLabel } from '../../core/lm/tokenizer.ts';
import { parseNpy } from '../../core/formats/npy.ts';
import { DEFAULT_PREPROCESS, perRowFields, splitTrainEval, takeRows } from '../../core/data/preprocess.ts';
import { parseSafetensors } from '../../core/formats/safetensors.ts';
import type { SyntheticSpec } from '../../core/data/synthetic.ts';
import { SYNTHETIC_PRESETS, generateSynthetic, parseSyntheticSpec, syntheticName } from '../../core/data/synthetic.ts';
import type { Dataset } from '../../core/sae/types.ts';
import type { CatalogEntry, DatasetInfo, DatasetKind, DatasetProgress, DatasetRequest, PreprocessOptions, RowInfo, SyntheticKnobs, UploadFile } from '../api.ts';
import { collectActivationsGpu } from './lmGpu.ts';
import type { Received, StreamedFile, UploadStreams } from './upload.ts';
import { MAX_ELEMENTS, UPLOAD_CHUNK_BYTES, createUploadStreams } from './upload.ts';

export { MAX_ELEMENTS, UPLOAD_CHUNK_BYTES, createUploadStreams };
export type { StreamedFile, UploadStart, UploadStreams } from './upload.ts';

/** Reads one file of the shipped data folder (public/data/) by name; rejects with an InputError. */
export type DataReader = (file: string, onBytes?: (done: number, total: number) => void) => Promise<Uint8Array>;

/** Text tokens the `builtin:stories-*` sets read by default (~3 s on the CPU reference). */
export const DEFAULT_STORIES_TOKENS = 8192;
/** At most this many tokens of LM activations (the reference LM runs ~3k tokens/s on one core). */
export const MAX_STORIES_TOKENS = 100_000;
/** Longest pasted text, in characters (~250k tokens), checked before tokenising. */
export const MAX_TEXT_CHARS = 1_000_000;

/** What a load applies where its request leaves a preprocessing field out: defined once, in core/data/preprocess.ts. */
export { DEFAULT_PREPROCESS };

export const STORIES_SOURCE: DatasetSource = {
  source:
    'stories260K (Andrej Karpathy, tinyllamas / llama2.c), run in this page by src/core/lm over the opening of TinyStories (Eldan & Li 2023)',
  licence: 'model: MIT; text: CDLA-Sharing-1.0 (see public/data/NOTICE.md)',
};

const STORIES_PATTERN = /^builtin:stories-(resid|mlp)-(\d+)$/;
const LM_FILES = { model: 'stories260k.bin', text: 'tinystories.txt' };
/**
 * Activations shipped precomputed (issue #14: the first training step within 2 s; running the model over 8192
 * tokens takes seconds in a page): site → file, for the shipped text and DEFAULT_STORIES_TOKENS only. Each is the
 * CPU reference's output, bit for bit (test/engine/activationCache.test.ts); regenerate with
 * `sae-workbench lm activations --site SITE --max-tokens 8192 --out public/data/FILE`.
 */
export const CACHED_ACTIVATIONS: Readonly<Record<string, string>> = { 'resid:3': 'stories260k-resid-3-8192.npy' };

/** Every id loadDataset({source: 'builtin'}) accepts, besides `synthetic:PRESET[:SEED]`. */
export const BUILTINS: CatalogEntry[] = [
  ...[0, 1, 2, 3, 4, 5].map((l): CatalogEntry => ({
    id: `builtin:stories-resid-${l}`,
    kind: 'text',
    title: l === 0 ? 'stories260K residual stream after the embedding' : `stories260K residual stream after block ${l}`,
    shape: [DEFAULT_STORIES_TOKENS, 64],
  })),
  ...[1, 2, 3, 4, 5].map((l): CatalogEntry => ({ id: `builtin:stories-mlp-${l}`, kind: 'text', title: `stories260K MLP hidden of block ${l}`, shape: [DEFAULT_STORIES_TOKENS, 172] })),
  { id: 'builtin:fashion-mnist', kind: 'image', title: 'Fashion-MNIST test images (28×28, 10 classes)', shape: [10000, 784] },
  { id: 'builtin:digits', kind: 'image', title: 'scikit-learn digits (8×8, 10 classes)', shape: [1797, 64] },
  { id: 'builtin:digits-marked', kind: 'image', title: 'digits with a spurious corner marker on half the images (for SCR)', shape: [1797, 64] },
  { id: 'builtin:fashion-mnist-marked', kind: 'image', title: 'Fashion-MNIST with a spurious corner marker on half the images (for SCR)', shape: [10000, 784] },
  { id: 'builtin:glove-50d', kind: 'word', title: 'GloVe 6B 50-d vectors of the 10,000 most frequent words', shape: [10000, 50] },
  ...Object.entries(SYNTHETIC_PRESETS).map(([p, s]): CatalogEntry => ({
    id: `synthetic:${p}`,
    kind: 'synthetic',
    title: `synthetic ground truth: ${s.nFeatures} features in ${s.dIn} dims`,
    shape: [s.rows, s.dIn],
  })),
];

/** A loaded dataset: what runs train on, and what the inspector asks about. */
export interface LoadedDataset {
  info: DatasetInfo;
  /** Every row after preprocessing (BOS rows dropped, centred, scaled): [rows, dIn]. */
  all: Dataset;
  train: Dataset;
  eval: Dataset | null;
  /** Label of each row of `all` (a token, a word, a class name), or null. */
  label: ((row: number) => string) | null;
  /** Token context of each row of `all` (text only). */
  context: ((row: number) => RowInfo['context']) | null;
  /** Text from the language model: the model and the site read (the inspector's logit effects, issue #14). */
  lm?: { model: LmModel; site: string } | null;
}

/** What a parser produced, before preprocessing. */
interface Raw {
  id: string;
  kind: DatasetKind;
  data: Dataset;
  source: DatasetSource;
  files: string[];
  imageShape: [number, number] | null;
  /** Text: the activations (tokens, contexts) and the model, for labels and contexts. */
  lm: { acts: LmActivations; model: LmModel } | null;
  /** 1 where the row is a BOS position (text only). */
  bos: Uint8Array | null;
}

export type ProgressSink = (p: DatasetProgress) => void;

/** An upload's file: its bytes (one message), a finished chunked upload's handle (upload.ts), or a Blob (in-thread: read here in chunks). */
export type UploadSource = UploadFile | StreamedFile | { name: string; blob: Blob };
/** A DatasetRequest whose upload files may also be chunked uploads (until api.ts's DatasetRequest says so). */
export type LoadRequest =
  | Exclude<DatasetRequest, { source: 'upload' }>
  | { source: 'upload'; file: UploadSource; labels?: UploadSource; tensor?: string; preprocess?: PreprocessOptions };

export interface LoadOptions {
  /**
   * A WebGPU device for the LM forward pass, or null for the CPU reference. The workbench gives one only
   * for a hardware adapter (on a software adapter the CPU reference is ~11× faster). Asked once per LM load.
   */
  lmDevice?: () => Promise<GPUDevice | null>;
  /** Where chunked uploads (beginUpload/uploadChunk) wait for the loadDataset that names them. */
  uploads?: UploadStreams;
}

/** Loads a dataset: fetch/parse (Raw), then preprocess and card. Throws InputError with the reader's message. */
export async function loadDatasetFrom(req: LoadRequest, read: DataReader, progress: ProgressSink, options: LoadOptions = {}): Promise<LoadedDataset> {
  const pre = resolvePreprocess(req.preprocess);
  const raw = await loadRaw(req, read, progress, options);
  checkSize(raw.data);
  progress({ id: raw.id, phase: 'preprocessing', done: 0, total: 1, unit: 'steps' });
  return preprocess(raw, pre);
}

export function resolvePreprocess(p: PreprocessOptions = {}): Required<PreprocessOptions> {
  const r = { ...DEFAULT_PREPROCESS, ...p };
  if (typeof r.centre !== 'boolean') throw new InputError(`preprocess.centre: expected true or false, got ${String(r.centre)}`);
  if (r.scale !== 'none' && r.scale !== 'expected-norm') throw new InputError(`preprocess.scale: expected 'none' or 'expected-norm', got ${JSON.stringify(r.scale)}`);
  if (typeof r.dropBos !== 'boolean') throw new InputError(`preprocess.dropBos: expected true or false, got ${String(r.dropBos)}`);
  if (!(r.evalFraction >= 0 && r.evalFraction < 1))
    throw new InputError(`preprocess.evalFraction: expected a number in [0, 1) (0 = no eval split; 0.1 holds out 10% of rows), got ${r.evalFraction}`);
  if (!Number.isSafeInteger(r.splitSeed) || r.splitSeed < 0 || r.splitSeed > 0xffffffff)
    throw new InputError(`preprocess.splitSeed: expected an integer in [0, 4294967295], got ${r.splitSeed}`);
  return r;
}

function checkSize(d: Dataset): void {
  if (d.rows < 1 || d.dIn < 1) throw new InputError(`${d.name}: shape: expected at least 1 row and 1 column, got [${d.rows}, ${d.dIn}]`);
  if (d.rows * d.dIn > MAX_ELEMENTS)
    throw new InputError(`${d.name}: shape [${d.rows}, ${d.dIn}]: expected at most ${MAX_ELEMENTS} values (1 GiB of f32): use fewer rows`);
}

async function loadRaw(req: LoadRequest, read: DataReader, progress: ProgressSink, options: LoadOptions): Promise<Raw> {
  switch (req.source) {
    case 'builtin':
      return loadBuiltin(req.id, req.maxTokens ?? DEFAULT_STORIES_TOKENS, read, progress, options);
    case 'synthetic':
      return loadSynthetic(syntheticSpecOf(req.knobs));
    case 'upload':
      return loadUpload(await received(req.file, 'data', options, progress), req.labels ? await received(req.labels, 'labels', options, progress) : null, req.tensor, progress);
    case 'text':
      return loadText(req, read, progress, options);
    default: {
      const bad: never = req;
      throw new InputError(`dataset request: source: expected 'builtin', 'synthetic', 'upload' or 'text', got ${JSON.stringify((bad as { source: unknown }).source)}`);
    }
  }
}

/** The full SyntheticSpec of the app's knobs (magnitudes as the presets have them), checked for size. */
export function syntheticSpecOf(k: SyntheticKnobs | string): SyntheticSpec {
  if (typeof k === 'string') return parseSyntheticSpec(k);
  const spec: SyntheticSpec = { magnitudeMean: 1, magnitudeStd: 0.25, ...k };
  if (spec.nFeatures * spec.dIn > MAX_ELEMENTS) throw new InputError(`synthetic data: nFeatures·dIn: expected at most ${MAX_ELEMENTS}, got ${spec.nFeatures * spec.dIn}: use fewer features or dims`);
  if (spec.rows * spec.dIn > MAX_ELEMENTS) throw new InputError(`synthetic data: rows·dIn: expected at most ${MAX_ELEMENTS}, got ${spec.rows * spec.dIn}: use fewer rows`);
  return spec;
}

function loadSynthetic(spec: SyntheticSpec): Raw {
  const id = syntheticName(spec);
  const data = { ...generateSynthetic(spec), name: id };
  const source = {
    source: `generated in this page: ${spec.nFeatures} unit features in ${spec.dIn} dims, ~${spec.meanActive} active per row (Zipf ${spec.zipfExponent}, correlation ${spec.correlation}, noise ${spec.noiseStd}), seed ${spec.seed}`,
    licence: 'none needed (generated data)',
  };
  return { id, kind: 'synthetic', data, source, files: [], imageShape: null, lm: null, bos: null };
}

async function loadBuiltin(id: string, maxTokens: number, read: DataReader, progress: ProgressSink, options: LoadOptions): Promise<Raw> {
  if (id.startsWith('synthetic:')) return loadSynthetic(parseSyntheticSpec(id));
  const stories = STORIES_PATTERN.exec(id);
  if (stories) {
    if (!Number.isSafeInteger(maxTokens) || maxTokens < 1 || maxTokens > MAX_STORIES_TOKENS)
      throw new InputError(`${id}: maxTokens: expected an integer in [1, ${MAX_STORIES_TOKENS}], got ${maxTokens}`);
    const model = await readModel(read, progress, id);
    const text = new TextDecoder().decode(await fetchFile(read, LM_FILES.text, id, progress));
    const site = `${stories[1]}:${stories[2]}`;
    const cache = maxTokens === DEFAULT_STORIES_TOKENS ? CACHED_ACTIVATIONS[site] : undefined;
    return lmRaw(id, model, text, site, maxTokens, progress, [LM_FILES.model, LM_FILES.text], STORIES_SOURCE, { ...options, cache: cache === undefined ? undefined : { file: cache, read } });
  }
  switch (id) {
    case 'builtin:fashion-mnist': {
      const files = ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
      const [images, labels] = [await fetchFile(read, files[0], id, progress), await fetchFile(read, files[1], id, progress)];
      progress({ id, phase: 'decoding images', done: 0, total: 1, unit: 'steps' });
      const data = await readFashionMnist(images, labels, id);
      return { id, kind: 'image', data, source: FASHION_MNIST_SOURCE, files, imageShape: [28, 28], lm: null, bos: null };
    }
    case 'builtin:digits': {
      const data = await readDigits(await fetchFile(read, 'digits.csv.gz', id, progress), 'digits.csv.gz', id);
      return { id, kind: 'image', data, source: DIGITS_SOURCE, files: ['digits.csv.gz'], imageShape: [8, 8], lm: null, bos: null };
    }
    case 'builtin:digits-marked':
    case 'builtin:fashion-mnist-marked': {
      // The plain images with the corner marker on a seeded half (src/core/data/marked.ts), the same rows as the CLI's.
      const name = id.replace(/^builtin:/, '');
      const m = MARKED_BUILTINS[name];
      const base = await loadBuiltin(`builtin:${m.base}`, maxTokens, read, progress, options);
      if (!hasLabels(base.data)) throw new Error(`${id}: the ${m.base} images came without labels`);
      const data = markImages(base.data, m.shape, id);
      const source = { ...base.source, source: `${base.source.source}; a bright 3×3 corner marker added to a seeded half of the images (spurious-correlation removal)` };
      return { ...base, id, data, source };
    }
    case 'builtin:glove-50d': {
      const zip = await fetchFile(read, 'glove.6B.50d.10k.zip', id, progress);
      progress({ id, phase: 'parsing word vectors', done: 0, total: 1, unit: 'steps' });
      const data = await readGloveZip(zip, 'glove.6B.50d.10k.zip', id);
      return { id, kind: 'word', data, source: GLOVE_SOURCE, files: ['glove.6B.50d.10k.zip'], imageShape: null, lm: null, bos: null };
    }
    default:
      throw new InputError(
        `dataset "${id}" is not a built-in: use one of ${BUILTINS.map((b) => b.id).join(', ')} (or synthetic:PRESET[:SEED]), or upload a file`,
      );
  }
}

async function fetchFile(read: DataReader, file: string, id: string, progress: ProgressSink): Promise<Uint8Array> {
  progress({ id, phase: `fetching ${file}`, done: 0, total: 0, unit: 'bytes' });
  return read(file, (done, total) => progress({ id, phase: `fetching ${file}`, done, total, unit: 'bytes' }));
}

/** The model is parsed once per workbench (1 MB; every stories set and pasted text share it). */
let modelCache: { read: DataReader; model: Promise<LmModel> } | null = null;
function readModel(read: DataReader, progress: ProgressSink, id: string): Promise<LmModel> {
  if (modelCache?.read !== read) {
    const model = fetchFile(read, LM_FILES.model, id, progress).then((b) => parseLmModel(b, LM_FILES.model));
    modelCache = { read, model };
    model.catch(() => (modelCache = null));
  }
  return modelCache.model;
}

/** Pasted text: checked for size before tokenising and before the forward pass (never cut silently). */
async function loadText(req: Extract<LoadRequest, { source: 'text' }>, read: DataReader, progress: ProgressSink, options: LoadOptions): Promise<Raw> {
  const id = `text:${String(req.site)}`;
  if (typeof req.text !== 'string') throw new InputError(`${id}: text: expected a string of text to run the language model over, got ${typeof req.text}`);
  if (req.text.trim() === '') throw new InputError(`${id}: text: expected some text to run the language model over, got an empty text: paste a few sentences`);
  if (req.text.length > MAX_TEXT_CHARS)
    throw new InputError(`${id}: text: expected at most ${MAX_TEXT_CHARS} characters, got ${req.text.length}: paste a shorter text (the model reads at most ${MAX_STORIES_TOKENS} tokens)`);
  const maxTokens = req.maxTokens ?? MAX_STORIES_TOKENS;
  if (!Number.isSafeInteger(maxTokens) || maxTokens < 1 || maxTokens > MAX_STORIES_TOKENS)
    throw new InputError(`${id}: maxTokens: expected an integer in [1, ${MAX_STORIES_TOKENS}], got ${maxTokens}`);
  const model = await readModel(read, progress, id);
  parseSite(req.site, model.config); // the site's own message on a bad layer
  if (req.maxTokens === undefined) {
    const tokens = buildContexts(model, req.text).reduce((n, c) => n + c.tokens.length - 1, 0);
    if (tokens > MAX_STORIES_TOKENS)
      throw new InputError(
        `${id}: text: expected at most ${MAX_STORIES_TOKENS} tokens (the language model runs ~3k tokens/s on the CPU), got ${tokens}: paste a shorter text, or pass maxTokens to use only its first tokens`,
      );
  }
  const source = { source: `${STORIES_SOURCE.source.replace(/ over the opening of TinyStories.*$/, '')} over text pasted by the user`, licence: 'model: MIT; text: the user’s own' };
  return lmRaw(id, model, req.text, req.site, maxTokens, progress, [LM_FILES.model], source, options);
}

/** The LM's activations read from a shipped file (CACHED_ACTIVATIONS) instead of running the model. */
interface ActivationCache {
  file: string;
  read: DataReader;
}

/** Cached activations for this text, or null where the file cannot be read or does not fit (the model then runs). */
async function readCache(cache: ActivationCache, id: string, model: LmModel, text: string, opts: { site: string; maxTokens: number }, progress: ProgressSink): Promise<LmActivations | null> {
  try {
    const bytes = await fetchFile(cache.read, cache.file, id, progress);
    return activationsFromCache(activationLayout(model, text, opts), parseNpy(bytes, cache.file).data, cache.file);
  } catch {
    return null; // a deployment without the file, or a stale one: the forward pass gives the same rows
  }
}

async function lmRaw(
  id: string,
  model: LmModel,
  text: string,
  site: string,
  maxTokens: number,
  progress: ProgressSink,
  files: string[],
  base: DatasetSource,
  options: LoadOptions & { cache?: ActivationCache },
): Promise<Raw> {
  parseSite(site, model.config); // the site's own message on a bad layer
  if (text.trim() === '') throw new InputError(`${id}: text: expected some text to run the language model over, got an empty text`);
  const cached = options.cache ? await readCache(options.cache, id, model, text, { site, maxTokens }, progress) : null;
  if (cached) return lmRawOf(id, model, cached, [...files, options.cache!.file], base, `read from ${options.cache!.file}, the CPU reference's output`);
  const device = options.lmDevice ? await options.lmDevice().catch(() => null) : null;
  const where = device ? 'WebGPU' : 'the CPU';
  const phase = `running stories260K (${site}) on ${where}`;
  progress({ id, phase, done: 0, total: maxTokens, unit: 'tokens' });
  const opts = {
    site,
    dropBos: false, // BOS rows are dropped by preprocessing, so the option shows in the card
    maxTokens,
    onProgress: (done: number, total: number) => progress({ id, phase, done, total, unit: 'tokens' }),
  };
  let acts: LmActivations;
  let ran = where;
  if (device) {
    try {
      acts = await collectActivationsGpu(device, model, text, opts);
    } catch (e) {
      if (e instanceof InputError) throw e;
      // A lost or failing device: the CPU reference gives the same activations, only slower.
      ran = 'the CPU';
      progress({ id, phase: `WebGPU failed (${e instanceof Error ? e.message : String(e)}); running stories260K (${site}) on the CPU`, done: 0, total: maxTokens, unit: 'tokens' });
      acts = collectActivations(model, text, { ...opts, onProgress: (done, total) => progress({ id, phase: `running stories260K (${site}) on the CPU`, done, total, unit: 'tokens' }) });
    }
  } else {
    acts = collectActivations(model, text, opts);
  }
  return lmRawOf(id, model, acts, files, base, `run on ${ran}`);
}

function lmRawOf(id: string, model: LmModel, acts: LmActivations, files: string[], base: DatasetSource, how: string): Raw {
  const bos = Uint8Array.from(acts.position, (p) => (p === 0 ? 1 : 0));
  const data: LabelledDataset = {
    name: id,
    rows: acts.rows,
    dIn: acts.dIn,
    x: acts.x,
    labels: Array.from(acts.tokens, (t) => tokenLabel(model.vocab, t)),
    labelNames: [],
  };
  const tokens = acts.rows - acts.contexts.length;
  const source = { ...base, source: `${base.source}: ${acts.site} over ${tokens} tokens in ${acts.contexts.length} contexts (${how})` };
  return { id, kind: 'text', data, source, files, imageShape: null, lm: { acts, model }, bos };
}

/** A whole uploaded file's bytes (a saved ensemble zip): its chunks assembled, never parsed as a table. */
export async function uploadedBytes(file: UploadSource, options: LoadOptions, progress: ProgressSink): Promise<{ name: string; bytes: Uint8Array }> {
  const r = await received(file, 'labels', options, progress);
  if (!r.bytes) throw new InputError(`${r.name}: expected a zip file (a saved ensemble), got a text table: pick the .zip that exportEnsemble saved`);
  return { name: r.name, bytes: r.bytes };
}

/** An upload's bytes, what its chunked upload received (handed over once), or a Blob read in chunks. */
async function received(file: UploadSource, role: 'data' | 'labels', options: LoadOptions, progress: ProgressSink): Promise<Received> {
  if (file === null || typeof file !== 'object') throw new InputError(`upload: file: expected {name, bytes} or {name, upload}, got ${file === null ? 'null' : typeof file}`);
  if ('upload' in file && typeof file.upload === 'string') {
    if (!options.uploads) throw new InputError(`${file.name}: upload "${file.upload}": this workbench takes no chunked uploads: send the file’s bytes instead`);
    return options.uploads.take(file);
  }
  if ('blob' in file && typeof Blob !== 'undefined' && file.blob instanceof Blob) {
    const { blob, name } = file;
    const streams = createUploadStreams(progress);
    const upload = streams.begin({ name, size: blob.size, role });
    for (let o = 0; o < blob.size; o += UPLOAD_CHUNK_BYTES) streams.push(upload, new Uint8Array(await blob.slice(o, o + UPLOAD_CHUNK_BYTES).arrayBuffer()));
    return streams.take({ name, upload });
  }
  const f = file as UploadFile;
  const name = f.name;
  if (typeof name !== 'string' || name === '') throw new InputError('upload: file name: expected the uploaded file’s name (it picks the parser), got none');
  if (!(f.bytes instanceof Uint8Array)) throw new InputError(`${name}: bytes: expected a Uint8Array of the file’s contents`);
  return { name, bytes: f.bytes };
}

const IDX_NAME = /(\.idx\d?|-ubyte)$/;

/** An uploaded file, parsed by its name (.gz allowed for CSV/TSV and IDX). Every refusal names the file. */
async function loadUpload(file: Received, labels: Received | null, tensor: string | undefined, progress: ProgressSink): Promise<Raw> {
  try {
    return await parseUpload(file, labels, tensor, progress);
  } catch (e) {
    throw namedReadError(file.name, e); // the labels file's own errors are named by attachLabels's caller
  }
}

async function parseUpload(file: Received, labels: Received | null, tensor: string | undefined, progress: ProgressSink): Promise<Raw> {
  const name = file.name;
  const id = `upload:${name}${tensor ? `#${tensor}` : ''}`;
  const plain = name.toLowerCase().replace(/\.gz$/, '');
  let data: Dataset;
  let kind: DatasetKind = 'table';
  let imageShape: [number, number] | null = null;
  if (file.bytes) progress({ id, phase: `parsing ${name}`, done: 0, total: file.bytes.length, unit: 'bytes' });
  if (file.table) {
    data = csvDataset(file.table, id); // parsed chunk by chunk as it arrived
  } else if (/\.(csv|tsv|tab|txt)$/.test(plain)) {
    data = csvDataset(
      await readCsv(file.bytes, name, { onProgress: (done, total) => progress({ id, phase: `parsing ${name}`, done, total, unit: 'bytes' }) }),
      id,
    );
  } else if (IDX_NAME.test(plain)) {
    const idx = await readIdx(file.bytes, name);
    data = idxImages(idx, name, id);
    kind = 'image';
    if (idx.dims.length === 3) imageShape = [idx.dims[1], idx.dims[2]];
  } else if (plain.endsWith('.npy')) {
    const { shape, data: x } = parseNpy(file.bytes, name);
    data = { name: id, rows: shape[0], dIn: shape[1], x };
  } else if (plain.endsWith('.safetensors')) {
    const { tensors } = parseSafetensors(file.bytes, name);
    const names = Object.keys(tensors);
    const pick = tensor || (names.length === 1 ? names[0] : undefined);
    if (pick === undefined) throw new InputError(`${name}: holds ${names.length} tensors (${names.join(', ') || 'none'}): give the tensor name to use`);
    const t = Object.hasOwn(tensors, pick) ? tensors[pick] : undefined;
    if (!t) throw new InputError(`${name}: tensor "${pick}" not found: it holds ${names.join(', ') || 'no tensors'}`);
    if (t.shape.length !== 2) throw new InputError(`${name}: ${pick}.shape: expected 2 dimensions [rows, dIn], got [${t.shape.join(', ')}]: reshape it before saving`);
    data = { name: `upload:${name}#${pick}`, rows: t.shape[0], dIn: t.shape[1], x: t.data };
  } else {
    throw new InputError(
      `${name}: file type: expected .npy, .safetensors (with a tensor name), .csv/.tsv of numbers or an IDX file (.idx, *-ubyte; .gz ok), got "${name}": convert it to .npy (numpy.save) and upload that`,
    );
  }
  checkSize(data);
  if (labels) {
    const l = labels;
    data = await attachLabels(data, l).catch((e: unknown) => Promise.reject(namedReadError(l.name || 'labels', e)));
  }
  return { id: data.name, kind, data, source: { source: `uploaded file ${name}${labels ? ` with labels from ${labels.name}` : ''}`, licence: 'as the uploader’s' }, files: labels ? [name, labels.name] : [name], imageShape, lm: null, bos: null };
}

/** Labels: an IDX labels file (class ids) or UTF-8 text, one label or context per line. */
async function attachLabels(d: Dataset, labels: Received): Promise<LabelledDataset> {
  const name = labels.name || 'labels';
  if (!labels.bytes) throw new InputError(`${name}: labels: expected the labels file’s bytes (begin its upload with role 'labels')`);
  if (IDX_NAME.test(name.toLowerCase().replace(/\.gz$/, ''))) {
    const l = idxLabels(await readIdx(labels.bytes, name), name);
    if (l.length !== d.rows) throw new InputError(`${name}: count: expected ${d.rows} labels (one per row of ${d.name}), got ${l.length}: pair the data with its own labels file`);
    let max = 0;
    for (let i = 0; i < l.length; i++) {
      if (l[i] < 0) throw new InputError(`${name}: label[${i}]: expected a class id ≥ 0, got ${l[i]}`);
      max = Math.max(max, l[i]);
    }
    return { ...d, labels: l, labelNames: Array.from({ length: max + 1 }, (_, c) => String(c)) };
  }
  return withLabels(d, parseLabels(await maybeGunzip(labels.bytes, name, MAX_TEXT_BYTES), name, d.rows), name);
}

/** Drop BOS rows, split, centre and scale with the train split's statistics, card: the LoadedDataset. */
function preprocess(raw: Raw, pre: Required<PreprocessOptions>): LoadedDataset {
  let rowsOf: Int32Array | null = null; // row of `all` → row of raw.data (only when rows were dropped)
  let data = raw.data;
  const dropBos = pre.dropBos && raw.bos !== null;
  if (dropBos && raw.bos) {
    const keep: number[] = [];
    raw.bos.forEach((b, t) => {
      if (!b) keep.push(t);
    });
    if (keep.length === 0) throw new InputError(`${raw.id}: rows: expected at least 1 row after dropping BOS rows, got 0: use a longer text or keep BOS rows`);
    data = takeRows(data, keep);
    rowsOf = Int32Array.from(keep);
  }
  // Per-row fields beyond labels (the spurious marker's `marked` flags) follow their rows into the splits.
  const perRow = perRowFields(data);
  const split = pre.evalFraction > 0 && data.rows >= 2 ? splitTrainEval(data, pre.evalFraction, pre.splitSeed, perRow) : null;
  const stats = split ? split.train : data;
  const mean = pre.centre ? rowMean(stats.x, stats.rows, stats.dIn) : null;
  let scale = 1;
  if (pre.scale === 'expected-norm') {
    const centred = mean ? shifted(stats, mean) : stats;
    scale = expectedNormScale(centred.x, centred.rows, centred.dIn);
    if (!(Number.isFinite(scale) && scale > 0))
      throw new InputError(`${raw.id}: expected-norm scale: expected a finite number > 0, got ${scale}: the rows are all zero (after centring?); turn scaling off`);
  }
  if (mean || scale !== 1) data = { ...data, x: transform(data.x, data.dIn, mean, scale) };
  const train = split ? takeRows(data, split.trainIdx, `${raw.id} (train)`, perRow) : data;
  const evalSet = split ? takeRows(data, split.evalIdx, `${raw.id} (eval)`, perRow) : null;
  const card = datasetCard(data, raw.source);
  const labelled = hasLabels(data) ? data : null;
  const label = labelled
    ? (row: number): string => {
        const l = labelled.labels[row];
        return typeof l === 'number' ? (labelled.labelNames[l] ?? String(l)) : l;
      }
    : null;
  const info: DatasetInfo = {
    id: raw.id,
    name: raw.id,
    kind: raw.kind,
    rows: data.rows,
    dIn: data.dIn,
    trainRows: train.rows,
    evalRows: evalSet?.rows ?? 0,
    card,
    hasLabels: labelled !== null,
    hasContexts: raw.lm !== null,
    hasGroundTruth: data.truth !== undefined,
    imageShape: raw.imageShape,
    files: raw.files,
    preprocess: { ...pre, dropBos },
    inputScale: scale,
  };
  let context: LoadedDataset['context'] = null;
  if (raw.lm) {
    const { acts, model } = raw.lm;
    context = (row) => {
      const r = rowsOf ? rowsOf[row] : row;
      const c = acts.contexts[acts.context[r]];
      return { tokens: Array.from(c.tokens, (t) => tokenLabel(model.vocab, t)), position: acts.position[r], doc: c.doc };
    };
  }
  return { info, all: data, train, eval: evalSet, label, context, lm: raw.lm ? { model: raw.lm.model, site: raw.lm.acts.site } : null };
}

function shifted(d: Dataset, mean: Float64Array): Dataset {
  return { ...d, x: transform(d.x, d.dIn, mean, 1) };
}

/** (x − mean)·scale, row by row: [rows, dIn] → new array. */
function transform(x: Float32Array, dIn: number, mean: Float64Array | null, scale: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - (mean ? mean[i % dIn] : 0)) * scale;
  return out;
}

/** Labels and contexts of `rows` of a loaded dataset (rows index its preprocessed `all`). */
export function describeRows(d: LoadedDataset, rows: number[]): RowInfo[] {
  if (!Array.isArray(rows) || rows.length > 10_000) throw new InputError(`datasetRows: rows: expected an array of at most 10000 row indices, got ${Array.isArray(rows) ? rows.length : typeof rows}`);
  return rows.map((row) => {
    if (!Number.isSafeInteger(row) || row < 0 || row >= d.info.rows) throw new InputError(`datasetRows: row ${row}: expected an integer in [0, ${d.info.rows - 1}] (${d.info.id} has ${d.info.rows} rows)`);
    const out: RowInfo = { row, label: d.label ? d.label(row) : null };
    if (d.context) out.context = d.context(row);
    return out;
  });
}

/**
 * A DataReader over fetch() relative to `base` (the page's /data/ folder), streaming the body so
 * progress can be reported; HTTP errors become InputErrors naming the URL and the fix.
 */
export function fetchReader(base: string): DataReader {
  return async (file, onBytes) => {
    const url = new URL(file, base).href;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new InputError(`${url}: fetch failed (${e instanceof Error ? e.message : String(e)}): is the page's server still running?`);
    }
    if (!res.ok) throw new InputError(`${url}: HTTP ${res.status} ${res.statusText}: the shipped data lives in public/data/; restore it (git checkout public/data) and reload`);
    const total = Number(res.headers.get('content-length') ?? 0);
    if (!res.body || !onBytes) return new Uint8Array(await res.arrayBuffer());
    const parts: Uint8Array[] = [];
    let done = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      parts.push(value);
      done += value.length;
      onBytes(done, total);
    }
    const out = new Uint8Array(done);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
}
