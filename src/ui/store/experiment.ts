// The experiment the form edits (Draft: dataset id, every training-config field, seeds, ensemble method
// and J), the page's defaults for it, and the two ways between a Draft and the engine: the startRun
// request it makes and the Draft a RunInfo describes. Pure values and functions, shared by the store's
// slices, the panels and urlState.ts. Imports core/config defaults, engine types and ensembleDraft.ts only:
// never the store itself, so urlState.ts (which the store imports) does not import the store back.

import { DEFAULT_CONFIG, type TrainConfig } from '../../core/sae/config.ts';
import type { EnsembleSpec, RunInfo, StartRunRequest } from '../../engine/api.ts';
import { DEFAULT_ENSEMBLE, requestOf } from './ensembleDraft.ts';

/** The dataset the page opens on: real LM activations (stories260K residual stream after block 3). */
export const DEFAULT_DATASET = 'builtin:stories-resid-3';

/**
 * The experiment being edited: the dataset id, every training-config field, the seeds (null: seed, or
 * seed..seed+J−1 for bagging) and the ensemble (method and J; coherence rules: ensembleDraft.ts).
 */
export type Draft = TrainConfig & { dataset: string; seeds: number[] | null; ensemble: EnsembleSpec };

/** The page's defaults: DEFAULT_CONFIG with a wider SAE and a shorter run that fits the default dataset. */
export const DEFAULT_DRAFT: Draft = {
  ...DEFAULT_CONFIG,
  dataset: DEFAULT_DATASET,
  dSae: 256,
  k: 8,
  steps: 2000,
  batch: 128,
  seeds: null,
  ensemble: DEFAULT_ENSEMBLE,
};

/** The startRun request of a draft (explicit seeds for single/bagging; the ensemble unless it is 'single'). */
export function requestOfDraft(draft: Draft): StartRunRequest {
  return requestOf(draft);
}

/** The experiment a run's RunInfo describes (a loaded ensemble: what its file says), over the page's defaults. */
export function draftOfInfo(info: RunInfo): Draft {
  const { method, members } = info.ensemble;
  const c = info.config;
  // expanded: the resolved config has J·dSae latents and J·k; the form's fields are per J-th.
  const per = method === 'expanded' && members > 0 ? members : 1;
  return {
    ...DEFAULT_DRAFT,
    ...c,
    dSae: c.dSae / per,
    k: c.k / per,
    dataset: info.dataset,
    seeds: method === 'bagging' ? info.seeds : null,
    ensemble: { method, members },
  };
}
