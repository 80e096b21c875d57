// Checkpoints of an SGD run: every member's parameters, Adam moments and step count, firing statistics,
// BatchTopK's threshold state, the step and the batch order's position, so that a restored trainer
// continues bit-identically (N steps, save, restore, M steps == N+M steps). The file is a safetensors file:
// the float tensors as F32 (exact: the trainer keeps them in f32), everything else — the format's name and
// version, the config, the per-latent f64 firing statistics (integers beyond f32's 2^24) — as JSON in
// `__metadata__`. The reader is strict: every field checked, errors name the file, the field and the fix.
// Imports only src/core.

import type { ResolvedConfig, TrainConfig } from './config.ts';
import { DEFAULT_CONFIG, resolveConfig } from './config.ts';
import { InputError, formatError } from '../errors.ts';
import { parseSafetensors, writeSafetensors } from '../formats/safetensors.ts';
import type { AdamState } from './optim.ts';
import type { BatchOrderState, ResumableTrainer, TrainerOptions, TrainerState } from './train.ts';
import { createTrainer } from './train.ts';
import type { Dataset, Sae } from './types.ts';
import { ARCHS } from './types.ts';

/** The `format` metadata value: what this file is. */
export const CHECKPOINT_FORMAT = 'sae-workbench-checkpoint';
/** Bumped when the layout changes; the reader refuses other versions by name. */
export const CHECKPOINT_VERSION = 1;
/** The tensors of one member, in optim.ts paramList order (Adam's moments follow the same order). */
const PARAMS = ['wEnc', 'bEnc', 'wDec', 'bDec', 'logThreshold'] as const;

/** One SAE's state (one member of a bagging run; the only one of a single run). */
export interface MemberState {
  /** The member's init seed. */
  seed: number;
  sae: Sae;
  adam: AdamState;
  firingCounts: Float64Array;
  tokensSinceFired: Float64Array;
  thresholdStarted: boolean;
}

/** A run's training state at one step: members share the config (but their seed), the step and the batch order. */
export interface Checkpoint {
  version: number;
  /** Member 0's resolved config (members differ only in seed). */
  config: ResolvedConfig;
  step: number;
  order: BatchOrderState;
  /** The data it trained on: restoring on other data is refused by shape. */
  data: { name: string; rows: number; dIn: number };
  /** How the run was planned (the engine's ensemble method and J; expanded: J members in one SAE). Boosting is not checkpointed yet. */
  ensemble: { method: string; members: number };
  members: MemberState[];
}

/** The state of core trainers that share one batch order (cpuTrainer.ts: one per member), as a Checkpoint. */
export function checkpointOf(trainers: readonly ResumableTrainer[], seeds: readonly number[], data: Dataset, method = 'single'): Checkpoint {
  if (trainers.length === 0 || trainers.length !== seeds.length) throw new Error(`checkpointOf: ${trainers.length} trainers for ${seeds.length} seeds`);
  if (trainers[0].config.trainer !== 'sgd') throw new InputError(`checkpoint: trainer ${trainers[0].config.trainer}: resume is SGD-only so far: train with trainer 'sgd' to checkpoint`);
  const states: TrainerState[] = trainers.map((t) => t.state());
  return {
    version: CHECKPOINT_VERSION,
    config: trainers[0].config,
    step: states[0].step,
    order: states[0].order,
    data: { name: data.name, rows: data.rows, dIn: data.dIn },
    ensemble: { method, members: trainers.length },
    members: states.map((s, j) => ({ seed: seeds[j], sae: s.sae, adam: s.adam, firingCounts: s.firingCounts, tokensSinceFired: s.tokensSinceFired, thresholdStarted: s.thresholdStarted })),
  };
}

/** Member j's TrainerState (the shape createTrainer's resumeFrom takes). */
export function memberState(c: Checkpoint, j: number): TrainerState {
  const m = c.members[j];
  return { step: c.step, order: c.order, sae: m.sae, adam: m.adam, firingCounts: m.firingCounts, tokensSinceFired: m.tokensSinceFired, thresholdStarted: m.thresholdStarted };
}

/** The file's bytes. */
export function writeCheckpoint(c: Checkpoint): Uint8Array {
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  c.members.forEach((m, j) => {
    PARAMS.forEach((name, i) => {
      const p = m.sae[name];
      const shape = name === 'wEnc' || name === 'wDec' ? [m.sae.dSae, m.sae.dIn] : [p.length];
      tensors[`m${j}.${name}`] = { shape, data: p };
      tensors[`m${j}.adam_m.${name}`] = { shape, data: m.adam.m[i] };
      tensors[`m${j}.adam_v.${name}`] = { shape, data: m.adam.v[i] };
    });
  });
  const state = {
    config: c.config,
    step: c.step,
    order: c.order,
    data: c.data,
    ensemble: c.ensemble,
    members: c.members.map((m) => ({
      seed: m.seed,
      arch: m.sae.arch,
      dIn: m.sae.dIn,
      dSae: m.sae.dSae,
      k: m.sae.k,
      batchThreshold: m.sae.batchThreshold,
      inputScale: m.sae.inputScale,
      adamT: m.adam.t,
      thresholdStarted: m.thresholdStarted,
      // f64 integers (token counts): JSON numbers round-trip exactly.
      firingCounts: Array.from(m.firingCounts),
      tokensSinceFired: Array.from(m.tokensSinceFired),
    })),
  };
  return writeSafetensors(tensors, { format: CHECKPOINT_FORMAT, version: String(CHECKPOINT_VERSION), state: JSON.stringify(state) });
}

type Obj = Record<string, unknown>;

/** Parses and checks a checkpoint file. source: its name, for the messages. */
export function readCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  const { tensors, metadata } = parseSafetensors(bytes, source);
  const fix = 'save it again with --checkpoint (sae-workbench train) or checkpointRun (the app)';
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw formatError(source, '__metadata__.format', `"${CHECKPOINT_FORMAT}" (a training checkpoint, not an SAE: to load a trained SAE use its SAELens folder)`, JSON.stringify(metadata.format ?? null));
  }
  if (metadata.version !== String(CHECKPOINT_VERSION)) {
    throw formatError(source, '__metadata__.version', `${CHECKPOINT_VERSION} (this build's checkpoint format; ${fix} with this build)`, JSON.stringify(metadata.version ?? null));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(metadata.state ?? '');
  } catch (e) {
    throw formatError(source, '__metadata__.state', 'JSON', `unparseable (${(e as Error).message}): ${fix}`);
  }
  const obj = (v: unknown, field: string): Obj => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw formatError(source, field, 'an object', JSON.stringify(v) ?? 'nothing');
    return v as Obj;
  };
  const int = (o: Obj, key: string, field: string, min = 0): number => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw formatError(source, `${field}.${key}`, `an integer ≥ ${min}`, JSON.stringify(v) ?? 'nothing');
    return v;
  };
  const finite = (o: Obj, key: string, field: string): number => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw formatError(source, `${field}.${key}`, 'a finite number', JSON.stringify(v) ?? 'nothing');
    return v;
  };
  const s = obj(raw, '__metadata__.state');
  const cfgRaw = obj(s.config, 'state.config');
  // Every key of a config and nothing else: a config from another build fails here, by name.
  for (const key of Object.keys(DEFAULT_CONFIG)) if (!Object.hasOwn(cfgRaw, key)) throw formatError(source, `state.config.${key}`, 'a value', `nothing: ${fix}`);
  for (const key of Object.keys(cfgRaw)) if (!Object.hasOwn(DEFAULT_CONFIG, key)) throw formatError(source, `state.config.${key}`, 'no such key (not a config field of this build)', JSON.stringify(cfgRaw[key]));
  const config = cfgRaw as unknown as ResolvedConfig;
  if (config.trainer !== 'sgd') throw formatError(source, 'state.config.trainer', `"sgd" (resume is SGD-only so far)`, JSON.stringify(config.trainer));
  if (!ARCHS.includes(config.arch)) throw formatError(source, 'state.config.arch', ARCHS.join('|'), JSON.stringify(config.arch));
  const step = int(s, 'step', 'state');
  const o = obj(s.order, 'state.order');
  const order: BatchOrderState = { rows: int(o, 'rows', 'state.order', 1), batch: int(o, 'batch', 'state.order', 1), seed: int(o, 'seed', 'state.order', -(2 ** 31)), epochs: int(o, 'epochs', 'state.order', 1), pos: int(o, 'pos', 'state.order') };
  if (order.pos > order.rows) throw formatError(source, 'state.order.pos', `at most rows = ${order.rows}`, String(order.pos));
  const d = obj(s.data, 'state.data');
  const data = { name: typeof d.name === 'string' ? d.name : '', rows: int(d, 'rows', 'state.data', 1), dIn: int(d, 'dIn', 'state.data', 1) };
  const e = obj(s.ensemble, 'state.ensemble');
  if (typeof e.method !== 'string') throw formatError(source, 'state.ensemble.method', 'a string', JSON.stringify(e.method) ?? 'nothing');
  const ensemble = { method: e.method, members: int(e, 'members', 'state.ensemble', 1) };
  if (!Array.isArray(s.members) || s.members.length === 0) {
    throw formatError(source, 'state.members', 'a non-empty array (one entry per SAE)', JSON.stringify(s.members) ?? 'nothing');
  }
  const used = new Set<string>();
  const tensor = (name: string, length: number): Float32Array => {
    const t = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
    if (!t) throw formatError(source, `tensor ${name}`, `present (${length} values)`, `nothing: ${fix}`);
    if (t.data.length !== length) throw formatError(source, `tensor ${name}`, `${length} values`, `${t.data.length} (shape [${t.shape.join(', ')}])`);
    used.add(name);
    return t.data;
  };
  const f64 = (v: unknown, field: string, length: number): Float64Array => {
    if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
      throw formatError(source, field, `${length} non-negative numbers`, Array.isArray(v) ? `${v.length} values (or a bad one)` : JSON.stringify(v) ?? 'nothing');
    }
    return Float64Array.from(v as number[]);
  };
  const members: MemberState[] = s.members.map((mr: unknown, j: number): MemberState => {
    const f = `state.members[${j}]`;
    const m = obj(mr, f);
    if (m.arch !== config.arch) throw formatError(source, `${f}.arch`, JSON.stringify(config.arch), JSON.stringify(m.arch));
    const dIn = int(m, 'dIn', f, 1);
    const dSae = int(m, 'dSae', f, 1);
    if (dIn !== data.dIn) throw formatError(source, `${f}.dIn`, `${data.dIn} (state.data.dIn)`, String(dIn));
    if (dSae !== config.dSae) throw formatError(source, `${f}.dSae`, `${config.dSae} (state.config.dSae)`, String(dSae));
    const sizes = [dSae * dIn, dSae, dSae * dIn, dIn, config.arch === 'jumprelu' ? dSae : 0];
    const p = PARAMS.map((name, i) => tensor(`m${j}.${name}`, sizes[i]));
    const sae: Sae = {
      arch: config.arch,
      dIn,
      dSae,
      k: int(m, 'k', f),
      wEnc: p[0],
      bEnc: p[1],
      wDec: p[2],
      bDec: p[3],
      logThreshold: p[4],
      batchThreshold: finite(m, 'batchThreshold', f),
      inputScale: finite(m, 'inputScale', f),
    };
    const adam: AdamState = {
      m: PARAMS.map((name, i) => tensor(`m${j}.adam_m.${name}`, sizes[i])),
      v: PARAMS.map((name, i) => tensor(`m${j}.adam_v.${name}`, sizes[i])),
      t: int(m, 'adamT', f),
    };
    if (typeof m.thresholdStarted !== 'boolean') throw formatError(source, `${f}.thresholdStarted`, 'true or false', JSON.stringify(m.thresholdStarted) ?? 'nothing');
    return {
      seed: int(m, 'seed', f, -(2 ** 31)),
      sae,
      adam,
      firingCounts: f64(m.firingCounts, `${f}.firingCounts`, dSae),
      tokensSinceFired: f64(m.tokensSinceFired, `${f}.tokensSinceFired`, dSae),
      thresholdStarted: m.thresholdStarted,
    };
  });
  for (const name of Object.keys(tensors)) if (!used.has(name)) throw formatError(source, `tensor ${name}`, 'no such tensor in a checkpoint', `an extra tensor: ${fix}`);
  if (order.rows !== data.rows || order.batch !== config.batch) {
    throw formatError(source, 'state.order', `rows ${data.rows}, batch ${config.batch} (state.data, state.config)`, `rows ${order.rows}, batch ${order.batch}`);
  }
  if (order.seed !== members[0].seed) throw formatError(source, 'state.order.seed', `${members[0].seed} (member 0's seed: members share its batch order)`, String(order.seed));
  if (step > config.steps) throw formatError(source, 'state.step', `at most state.config.steps = ${config.steps}`, String(step));
  return { version: CHECKPOINT_VERSION, config, step, order, data, ensemble, members };
}

/**
 * The config a resumed run trains with: the checkpoint's, with `steps` from `requested` when given (a
 * longer run; the schedule's other lengths stay the checkpoint's). Every other field `requested` sets must
 * equal the checkpoint's, and `data` must have its shape; the errors name the field and both values.
 */
export function resumeConfig(c: Checkpoint, data: { rows: number; dIn: number }, requested: Partial<TrainConfig>, source: string): ResolvedConfig {
  if (data.rows !== c.data.rows || data.dIn !== c.data.dIn) {
    throw new InputError(
      `${source}: data: the checkpoint was saved on [${c.data.rows}, ${c.data.dIn}] (${c.data.name}), got [${data.rows}, ${data.dIn}]: resume with the data it trained on`,
    );
  }
  for (const [key, v] of Object.entries(requested) as [keyof TrainConfig, unknown][]) {
    if (v === undefined || key === 'steps') continue;
    if (key === 'seed' && v === c.members[0].seed) continue;
    if (v !== null && v !== c.config[key]) {
      throw new InputError(`${source}: config.${key}: the checkpoint trains with ${JSON.stringify(c.config[key])}, got ${JSON.stringify(v)}: drop the setting to resume, or start a fresh run`);
    }
  }
  const steps = requested.steps ?? c.config.steps;
  if (!Number.isSafeInteger(steps) || steps < c.step) throw new InputError(`${source}: steps: expected at least ${c.step} (the checkpoint's step), got ${steps}: ask for as many steps or more`);
  return resolveConfig({ ...c.config, steps }, data.dIn);
}

/**
 * Core trainers that continue the checkpoint on `data` (one per member, sharing member 0's batch order).
 * make: the trainer (createTrainer's signature); the wasm engine (src/cpu/wasmTrainer.ts) passes its own.
 */
export function restoreTrainers(
  data: Dataset,
  c: Checkpoint,
  config: ResolvedConfig = c.config,
  make: (data: Dataset, config: Partial<TrainConfig>, opts: TrainerOptions) => ResumableTrainer = createTrainer,
): ResumableTrainer[] {
  return c.members.map((m, j) => make(data, { ...config, seed: m.seed }, { batchOrderSeed: c.members[0].seed, resumeFrom: memberState(c, j) }));
}
