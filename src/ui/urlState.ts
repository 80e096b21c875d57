// The experiment in the URL hash (shareable state): the dataset id, every training-config field that
// differs from the page's defaults, the ensemble method and J, and the seeds, as
// `#dataset=…&dSae=…&method=bagging&J=4&seeds=0,1,2,3`, and the latent the inspector shows
// (`&latent=17`, with `&member=1` past member 0: issue #14, a URL per latent). Metrics never go here. decodeHash reports what is
// wrong with a hash and falls back to the defaults for the whole experiment (a half-applied link would not
// reproduce anything). A link from before methods existed (`seeds=0,1,2` alone) reads as bagging with J = 3.
// A link whose dataset is the user's own (an upload, pasted text) keeps every other setting and carries the
// data's fingerprint (`fp=<bytes>.<sha256>`, persist/fingerprint.ts) so that the data picked again is checked.
// `saved=<key>` points to a run saved in this browser (src/ui/persist/): opening the link opens that run again.
// Imports only core/config values, the Draft type (store/experiment.ts) and the ensemble draft rules
// (store/ensembleDraft.ts) and the fingerprint parameter's parser (persist/fingerprint.ts): never the store itself
// (store.ts imports this file).

import { CONFIG_CHOICES, DEFAULT_CONFIG, type TrainConfig } from '../core/sae/config.ts';
import type { EnsembleMethodName } from '../engine/api.ts';
import { ensembleProblems, METHODS } from './store/ensembleDraft.ts';
import type { Draft } from './store/experiment.ts';
import type { LabState } from '../core/lab/state.ts';
import { DEFAULT_LAB_STATE } from '../core/lab/state.ts';
import { LESSON_NAMES } from '../core/lab/lessons.ts';
import { decodeLab, encodeLab } from '../core/lab/url.ts';
import { parseFingerprintParam } from './persist/fingerprint.ts';

/** A link's dataset that only the machine that loaded it has: its id, and the fingerprint the link carries (null: none). */
export interface LocalDataset {
  id: string;
  fingerprint: { bytes: number; sha256: string } | null;
}

const NULLABLE: readonly (keyof TrainConfig)[] = ['l1WarmupSteps', 'lr', 'lrWarmupSteps', 'lrDecaySteps', 'kAux', 'deadWindowTokens'];
/** The string fields and their values: core's one list (a link with trainer=pam-sgd or pamOrder=… restores them). */
const CHOICES: Partial<Record<keyof TrainConfig, readonly string[]>> = CONFIG_CHOICES;
/** Dataset ids a link may name: the catalog's built-ins and synthetic presets (uploads stay on their machine). */
const SHAREABLE = /^(builtin|synthetic):[A-Za-z0-9._:-]+$/;
/** Dataset ids of the user's own data (uploads, pasted text): a link names them but cannot carry them. */
const LOCAL = /^(upload|text):.{1,300}$/;

/** The latent a link opens in the inspector: latent i of member (or boosting stage) j. */
export interface LatentLinkTarget {
  member: number;
  latent: number;
}

/** The keys of a latent link, read by latentOfHash (decodeHash checks them and leaves them to it). */
const LATENT_KEYS = ['latent', 'member'] as const;
const isIndex = (raw: string): boolean => /^\d{1,9}$/.test(raw);

/** The latent a hash names (`latent=i`, optional `member=j`), or null when it names none or a malformed one (decodeHash says what). */
export function latentOfHash(hash: string): LatentLinkTarget | null {
  let p: URLSearchParams;
  try {
    p = new URLSearchParams(hash.replace(/^#/, ''));
  } catch {
    return null;
  }
  const latent = p.get('latent');
  const member = p.get('member') ?? '0';
  return latent !== null && isIndex(latent) && isIndex(member) ? { latent: Number(latent), member: Number(member) } : null;
}

/** encodeHash's experiment with the inspector's latent appended (member only past 0), or without one. */
export function withLatent(hash: string, target: LatentLinkTarget | null): string {
  if (!target) return hash;
  const tail = `latent=${target.latent}${target.member > 0 ? `&member=${target.member}` : ''}`;
  return hash === '' ? tail : `${hash}&${tail}`;
}

/** A saved run's storage key (src/ui/persist/slice.ts keyOf: `${session}-${run}`). */
const SAVED_KEY = /^[0-9a-z]{1,16}-\d{1,9}$/;

/**
 * `fingerprint`: the fingerprint parameter of draft.dataset when it is an upload or pasted text (fingerprintParam);
 * `saved`: the storage key of the run on screen, when it is saved in this browser.
 */
export function encodeHash(draft: Draft, defaults: Draft, fingerprint?: string | null, saved?: string | null): string {
  const p = new URLSearchParams();
  p.set('dataset', draft.dataset);
  if (fingerprint && LOCAL.test(draft.dataset)) p.set('fp', fingerprint);
  if (saved && SAVED_KEY.test(saved)) p.set('saved', saved);
  for (const key of Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[]) {
    const v = draft[key];
    if (v !== defaults[key]) p.set(key, v === null ? 'auto' : String(v));
  }
  const e = draft.ensemble;
  if (e.method !== defaults.ensemble.method || e.members !== defaults.ensemble.members) {
    p.set('method', e.method);
    p.set('J', String(e.members));
  }
  if (draft.seeds && draft.seeds.length > 0) p.set('seeds', draft.seeds.join(','));
  return p.toString();
}

/** The draft a hash describes (over `defaults`), or the defaults and what was wrong. An empty hash is no error. */
export function decodeHash(hash: string, defaults: Draft): { draft: Draft; error: string | null; local?: LocalDataset; saved?: string } {
  const text = hash.replace(/^#/, '');
  if (text === '') return { draft: defaults, error: null };
  const problems: string[] = [];
  const draft: Record<string, unknown> = { ...defaults };
  let method: EnsembleMethodName | null = null;
  let members: number | null = null;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(text);
  } catch (e) {
    return { draft: defaults, error: `the link's experiment (URL hash) could not be read (${String(e)}); using the defaults` };
  }
  /** A dataset only the machine that loaded it has (an upload, pasted text): the other settings still apply. */
  let local: string | null = null;
  let fingerprint: LocalDataset['fingerprint'] = null;
  let saved: string | null = null;
  for (const [key, raw] of params) {
    if ((LATENT_KEYS as readonly string[]).includes(key)) {
      if (!isIndex(raw)) problems.push(`${key} "${raw}" is not a latent${key === 'member' ? ' member' : ''} index (an integer ≥ 0)`);
    } else if (key === 'saved') {
      if (SAVED_KEY.test(raw)) saved = raw;
      else problems.push(`saved "${raw.slice(0, 40)}" is not a saved run's key (like "m3k2x9-4")`);
    } else if (key === 'fp') {
      fingerprint = parseFingerprintParam(raw);
      if (!fingerprint) problems.push(`fp "${raw.slice(0, 40)}" is not <bytes>.<64 hex digits of SHA-256>`);
    } else if (key === 'dataset') {
      if (SHAREABLE.test(raw)) draft.dataset = raw;
      else if (LOCAL.test(raw)) local = raw;
      else problems.push(`dataset "${raw}" is not a built-in or synthetic id`);
    } else if (key === 'method') {
      if ((METHODS as readonly string[]).includes(raw)) method = raw as EnsembleMethodName;
      else problems.push(`method "${raw}" is not one of ${METHODS.join(', ')}`);
    } else if (key === 'J') {
      const j = Number(raw);
      if (raw.trim() !== '' && Number.isSafeInteger(j)) members = j;
      else problems.push(`J "${raw}" is not an integer`);
    } else if (key === 'seeds') {
      const seeds = raw.split(',').map((x) => Number(x.trim()));
      if (raw.trim() === '' || seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) problems.push(`seeds "${raw}" must be integers ≥ 0, comma-separated`);
      else draft.seeds = seeds;
    } else if (key in DEFAULT_CONFIG) {
      const k = key as keyof TrainConfig;
      const choices = CHOICES[k];
      if (choices) {
        if (choices.includes(raw)) draft[k] = raw;
        else problems.push(`${k} "${raw}" is not one of ${choices.join(', ')}`);
      } else if (raw === 'auto' && NULLABLE.includes(k)) draft[k] = null;
      else if (raw.trim() !== '' && Number.isFinite(Number(raw))) draft[k] = Number(raw);
      else problems.push(`${k} "${raw}" is not a number${NULLABLE.includes(k) ? ' or auto' : ''}`);
    } else problems.push(`"${key}" is not an experiment field`);
  }
  const seeds = draft.seeds as number[] | null;
  if (method === null && members === null) {
    // No method named: the seeds say it (2+ seeds = bagging, as before methods existed).
    if (seeds && params.has('seeds')) draft.ensemble = seeds.length >= 2 ? { method: 'bagging', members: seeds.length } : { method: 'single', members: 1 };
  } else if (method === null) problems.push(`J is given (${members}) but no method: add method=bagging, boosting or expanded`);
  else if (members === null && method !== 'single') problems.push(`method ${method} needs J (its number of members): add J=…`);
  else draft.ensemble = { method, members: members ?? 1 };
  if (problems.length === 0) problems.push(...ensembleProblems(draft as unknown as Draft));
  if (problems.length > 0) return { draft: defaults, error: `the link's experiment (URL hash) is not valid: ${problems.join('; ')}. Using the defaults.` };
  if (local) {
    const what = local.startsWith('upload:') ? `the file ${local.slice('upload:'.length).replace(/#.*/, '')}` : 'pasted text';
    return { draft: draft as unknown as Draft, error: `the link's dataset was ${what}, which stays on the machine that loaded it: load it again (Dataset → upload or text). Every other setting of the link is applied.`, local: { id: local, fingerprint }, ...(saved ? { saved } : {}) };
  }
  return { draft: draft as unknown as Draft, error: null, ...(saved ? { saved } : {}) };
}

// ---- the geometry lab's links (issue #12 §3): #lab&<lab state> (core/lab/url.ts), beside the experiment's ----

/** Which view a hash opens: the lab for `#lab` and `#lab&…`, else the training page. */
export const viewOfHash = (hash: string): 'train' | 'lab' => (/^#?lab(&|$)/.test(hash) ? 'lab' : 'train');

export const encodeLabHash = (state: LabState): string => `lab&${encodeLab(state)}`;

/** The lab state a `#lab&…` hash describes, or the defaults and what was wrong (a bad link never throws). */
export function decodeLabHash(hash: string): { lab: LabState; error: string | null } {
  const text = hash.replace(/^#?lab&?/, '');
  if (text === '') return { lab: DEFAULT_LAB_STATE, error: null };
  const r = decodeLab(text, LESSON_NAMES);
  return r.state ? { lab: r.state, error: null } : { lab: DEFAULT_LAB_STATE, error: `${r.error}. Showing the default lab.` };
}
