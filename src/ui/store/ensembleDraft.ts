// The ensemble part of the experiment form (Draft.ensemble: method + J) and the rules that keep it
// coherent with the seeds field: bagging trains J SAEs with seeds seed..seed+J−1 unless explicit seeds are
// given (then J = their count); single trains one; boosting's stage j and expanded use seed + j / seed and
// take no seed list. Pure functions over the draft (seed-papers.md §2.3–2.4, api.ts EnsembleSpec): the
// ensemble slice's rules, shared by the store (experiment.ts, run.ts), TrainPanel.tsx and urlState.ts.
// Imports core's method names and member limit, engine types only, and no other store module (urlState.ts imports it).

import { ENSEMBLE_METHOD_NAMES } from '../../core/ensemble/ensemble.ts';
import type { TrainConfig } from '../../core/sae/config.ts';
import { MAX_ENSEMBLE_MEMBERS } from '../../core/sae/config.ts';
import type { EnsembleMethodName, EnsembleSpec, StartRunRequest } from '../../engine/api.ts';
import { isClusterArch } from '../../core/sae/types.ts';

/** The experiment fields these rules read (experiment.ts Draft has them all). */
export type EnsembleDraftFields = Pick<TrainConfig, 'seed' | 'dSae' | 'k' | 'arch' | 'steps' | 'rank'> & { seeds: number[] | null; ensemble: EnsembleSpec };

export const METHODS: readonly EnsembleMethodName[] = ENSEMBLE_METHOD_NAMES;
/** J's range: the engine's (core config), so the form never offers what startRun refuses. */
export const MAX_J = MAX_ENSEMBLE_MEMBERS;
/** J a method gets when picked from 'single' (J = 1). */
export const DEFAULT_J = 4;
export const DEFAULT_ENSEMBLE: EnsembleSpec = { method: 'single', members: 1 };

/** One line per method for a new user (seed-papers.md §2.2–2.4; the expanded baseline is v2's). */
export const METHOD_HELP: Record<EnsembleMethodName, string> = {
  single: 'one SAE',
  bagging: 'naive bagging: J SAEs that differ only in their init seed, trained together on the same batches; the ensemble reconstructs with the mean of the members, x̂ = (1/J) Σ_j g_j(x)',
  boosting: 'boosting: J stages trained one after another; stage j learns the residual r⁽ʲ⁾ the frozen earlier stages leave (r⁽¹⁾ = x), and the ensemble reconstructs with the sum, x̂ = Σ_j g_j(r⁽ʲ⁾)',
  expanded: 'the expanded-SAE baseline: one SAE with J times the latents (and J·k for topk/batchtopk), the same total latents as a J-member ensemble',
};

const isSparseK = (arch: string): boolean => arch === 'topk' || arch === 'batchtopk';

/** The seeds a draft trains, one per SAE (boosting: per stage; expanded and single: one). */
export function seedsOf(d: EnsembleDraftFields): number[] {
  const { method, members } = d.ensemble;
  if ((method === 'single' || method === 'bagging') && d.seeds && d.seeds.length > 0) return d.seeds;
  if (method === 'bagging' || method === 'boosting') return Array.from({ length: Math.max(1, members) }, (_, j) => d.seed + j);
  return [d.seed];
}

/** What the draft will train, in words: the SAEs, their latents, the steps (TrainPanel's explanation line). */
export function describeEnsemble(d: EnsembleDraftFields): string {
  const { method, members: J } = d.ensemble;
  const k = isSparseK(d.arch) ? `, k = ${d.k}` : '';
  const seeds = seedsOf(d);
  const seedText = seeds.length > 1 ? `seeds ${seeds.length > 4 ? `${seeds[0]}…${seeds.at(-1)}` : seeds.join(', ')}` : `seed ${seeds[0]}`;
  if (method === 'single' && isClusterArch(d.arch)) {
    const what = d.arch === 'kmeans' ? `a k-means autoencoder of ${d.dSae} centroids` : `k-flats: ${d.dSae} affine pieces of rank ${d.rank}`;
    return `One model, ${what}, ${seedText}, ${d.steps} steps.`;
  }
  switch (method) {
    case 'single':
      return `One SAE of ${d.dSae} latents${k}, ${seedText}, ${d.steps} steps.`;
    case 'bagging':
      return `${J} SAEs of ${d.dSae} latents${k} (${seedText}), ${d.steps} steps on the same batches: ${J * d.dSae} latents in the ensemble, reconstruction = their mean.`;
    case 'boosting':
      return `${J} stages of ${d.dSae} latents${k} (${seedText}), ${d.steps} steps each (${J * d.steps} in all), stage j on the residual of stages before it: ${J * d.dSae} latents, reconstruction = their sum.`;
    case 'expanded':
      return `One SAE of ${J} × ${d.dSae} = ${J * d.dSae} latents${isSparseK(d.arch) ? `, k = ${J} × ${d.k} = ${J * d.k}` : ''}, ${seedText}, ${d.steps} steps: the baseline for a ${J}-member ensemble.`;
  }
}

/** What is wrong with the draft's method, J and seeds (empty when it can train); each message says the fix. */
export function ensembleProblems(d: EnsembleDraftFields): string[] {
  const p: string[] = [];
  const { method, members: J } = d.ensemble;
  if (!METHODS.includes(method)) p.push(`method "${String(method)}" is unknown: use one of ${METHODS.join(', ')}`);
  if (!Number.isSafeInteger(J) || J < 1 || J > MAX_J) p.push(`J (members) must be an integer in [1, ${MAX_J}], got ${J}`);
  else if (method === 'single' && J !== 1) p.push(`single trains one SAE, so J must be 1, got ${J}: pick bagging, boosting or expanded for more`);
  // The engine's checkPlan says the same: the ensemble methods are for SAEs (issue #12).
  if (method !== 'single' && isClusterArch(d.arch)) p.push(`${method} trains SAEs only: a ${d.arch} run is one model: pick the method single`);
  const seeds = d.seeds;
  if (seeds) {
    if (seeds.length > MAX_J || seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) p.push(`ensemble seeds must be 1 to ${MAX_J} integers ≥ 0, comma-separated`);
    else if (method === 'boosting' || method === 'expanded') p.push(`${method} takes no seed list (${method === 'boosting' ? 'stage j uses seed + j' : 'it is one SAE with the seed above'}): clear the seeds field`);
    else if (method === 'bagging' && seeds.length !== J) p.push(`bagging with J = ${J} needs ${J} seeds, got ${seeds.length} (${seeds.join(',')}): give ${J} seeds or clear the field to use seed..seed+${J - 1}`);
    else if (method === 'single' && seeds.length !== 1) p.push(`single trains one SAE but ${seeds.length} seeds are given: pick bagging, or give one seed`);
  }
  return p;
}

/**
 * The draft with the method and/or J changed, the seeds kept only where they still fit: single → J = 1;
 * leaving single for another method → J = DEFAULT_J unless J is given; bagging keeps explicit seeds whose count is J.
 */
export function withEnsemble<D extends EnsembleDraftFields>(d: D, patch: Partial<EnsembleSpec>): D {
  const method = patch.method ?? d.ensemble.method;
  let members = patch.members ?? d.ensemble.members;
  if (method === 'single') members = 1;
  else if (patch.method !== undefined && patch.members === undefined && d.ensemble.method === 'single' && members <= 1) members = DEFAULT_J;
  let seeds = d.seeds;
  if (method === 'single') seeds = seeds && seeds.length === 1 ? seeds : null;
  else if (method === 'bagging') seeds = seeds && seeds.length === members ? seeds : null;
  else seeds = null;
  return { ...d, ensemble: { method, members }, seeds };
}

/** The draft with the seeds field changed: for single/bagging, two or more seeds make it bagging with J = their count, one seed single. */
export function withSeeds<D extends EnsembleDraftFields>(d: D, seeds: number[] | null): D {
  const method = d.ensemble.method;
  if (seeds === null || seeds.length === 0 || (method !== 'single' && method !== 'bagging')) return { ...d, seeds: seeds && seeds.length > 0 ? seeds : null };
  return { ...d, seeds, ensemble: seeds.length >= 2 ? { method: 'bagging', members: seeds.length } : { method: 'single', members: 1 } };
}

/** The startRun request of a draft: config overrides, explicit seeds (single/bagging only), the ensemble when it is not 'single'. */
export function requestOf(d: EnsembleDraftFields & TrainConfig & { dataset: string }): StartRunRequest {
  const { dataset, seeds, ensemble, ...config } = d;
  const explicit = seeds && seeds.length > 0 && (ensemble.method === 'single' || ensemble.method === 'bagging') ? { seeds } : {};
  return { dataset, config, ...explicit, ...(ensemble.method !== 'single' ? { ensemble: { method: ensemble.method, members: ensemble.members } } : {}) };
}

/** "bagging J=4", "single", "expanded ×4": how a run's method is named in legends and tables. */
export function methodLabel(method: EnsembleMethodName, members: number): string {
  if (method === 'single') return 'single';
  if (method === 'expanded') return `expanded ×${members}`;
  return `${method} J=${members}`;
}
