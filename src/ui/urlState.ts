// The experiment in the URL hash (shareable state): the dataset id, every training-config field that
// differs from the page's defaults, and the ensemble seeds, as `#dataset=…&dSae=…&seeds=0,1`. Metrics never
// go here. decodeHash reports what is wrong with a hash and falls back to the defaults for the whole
// experiment (a half-applied link would not reproduce anything). Imports only core/config values.

import { DEFAULT_CONFIG, type TrainConfig } from '../core/config.ts';
import { ARCHS } from '../core/types.ts';
import type { Draft } from './store.ts';

const NULLABLE: readonly (keyof TrainConfig)[] = ['l1WarmupSteps', 'lr', 'lrWarmupSteps', 'lrDecaySteps', 'kAux', 'deadWindowTokens'];
const CHOICES: Partial<Record<keyof TrainConfig, readonly string[]>> = {
  arch: ARCHS,
  bDecInit: ['geometric-median', 'mean', 'zeros'],
  inputScaling: ['none', 'expected-norm'],
};
/** Dataset ids a link may name: the catalog's built-ins and synthetic presets (uploads stay on their machine). */
const SHAREABLE = /^(builtin|synthetic):[A-Za-z0-9._:-]+$/;

export function encodeHash(draft: Draft, defaults: Draft): string {
  const p = new URLSearchParams();
  p.set('dataset', draft.dataset);
  for (const key of Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[]) {
    const v = draft[key];
    if (v !== defaults[key]) p.set(key, v === null ? 'auto' : String(v));
  }
  if (draft.seeds && draft.seeds.length > 0) p.set('seeds', draft.seeds.join(','));
  return p.toString();
}

/** The draft a hash describes (over `defaults`), or the defaults and what was wrong. An empty hash is no error. */
export function decodeHash(hash: string, defaults: Draft): { draft: Draft; error: string | null } {
  const text = hash.replace(/^#/, '');
  if (text === '') return { draft: defaults, error: null };
  const problems: string[] = [];
  const draft: Record<string, unknown> = { ...defaults };
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(text);
  } catch (e) {
    return { draft: defaults, error: `the link's experiment (URL hash) could not be read (${String(e)}); using the defaults` };
  }
  for (const [key, raw] of params) {
    if (key === 'dataset') {
      if (SHAREABLE.test(raw)) draft.dataset = raw;
      else problems.push(`dataset "${raw}" is not a built-in or synthetic id`);
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
  if (problems.length > 0) return { draft: defaults, error: `the link's experiment (URL hash) is not valid: ${problems.join('; ')}. Using the defaults.` };
  return { draft: draft as unknown as Draft, error: null };
}
