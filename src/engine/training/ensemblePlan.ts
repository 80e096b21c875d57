// What a run trains (issue #6; Gadgil, Lin, Lee, seed-papers.md §2): a StartRunRequest's `ensemble` resolved
// to a method, J, the SAEs' config and one seed per SAE — the one plan the Workbench and the CLI train from.
// Imports src/core and engine types only.

import type { TrainConfig } from '../../core/sae/config.ts';
import { DEFAULT_CONFIG, MAX_ENSEMBLE_MEMBERS, familyOfArch, validateConfig } from '../../core/sae/config.ts';
import { InputError } from '../../core/errors.ts';
import type { Sae } from '../../core/sae/types.ts';
import type { EnsembleMethodName } from '../../core/ensemble/ensemble.ts';
import { ENSEMBLE_METHOD_NAMES } from '../../core/ensemble/ensemble.ts';
import type { StartRunRequest } from '../api.ts';

/** Every SAE of a run at one step: boosting's frozen stages first. tokens[j]: training tokens SAE j saw. */
export interface RunWeights {
  step: number;
  saes: Sae[];
  firingCounts: Float64Array[];
  tokens: number[];
}

export interface EnsemblePlan {
  method: EnsembleMethodName;
  /** J as asked. */
  members: number;
  /** The SAEs' config (expanded: J·dSae latents, J·k for topk/batchtopk). */
  config: Partial<TrainConfig>;
  /** One init seed per SAE the run holds (boosting: per stage). */
  seeds: number[];
}

const METHODS: readonly EnsembleMethodName[] = ENSEMBLE_METHOD_NAMES;

/**
 * What a run request trains. Without `ensemble`: the seeds given (default [config.seed]), bagging when
 * there are several (the engine's behaviour before ensembles were named). bagging/boosting: seeds
 * config.seed + j for j < J unless `seeds` lists J of them; expanded: one SAE with J× latents (and J·k).
 */
export function planEnsemble(req: StartRunRequest): EnsemblePlan {
  const config: Partial<TrainConfig> = { ...req.config };
  const seed = config.seed ?? DEFAULT_CONFIG.seed;
  const spec = req.ensemble;
  if (spec === undefined) {
    const seeds = req.seeds ? [...req.seeds] : [seed];
    return { method: seeds.length > 1 ? 'bagging' : 'single', members: seeds.length, config, seeds };
  }
  if (typeof spec !== 'object' || spec === null || !METHODS.includes(spec.method)) {
    throw new InputError(`ensemble.method: expected one of ${METHODS.join(', ')}, got ${JSON.stringify((spec as { method?: unknown } | null)?.method ?? spec)}`);
  }
  const J = spec.members;
  if (!Number.isSafeInteger(J) || J < 1 || J > MAX_ENSEMBLE_MEMBERS) {
    throw new InputError(`ensemble.members: expected an integer in 1..${MAX_ENSEMBLE_MEMBERS} (J, the members), got ${String(J)}`);
  }
  if (spec.method === 'single' && J !== 1) throw new InputError(`ensemble.members: a 'single' SAE has 1 member, got ${J}: pick bagging, boosting or expanded for J > 1`);
  const defaultSeeds = Array.from({ length: J }, (_, j) => seed + j);
  switch (spec.method) {
    case 'single':
      return { method: 'single', members: 1, config, seeds: req.seeds && req.seeds.length === 1 ? [...req.seeds] : [seed] };
    case 'expanded': {
      const arch = config.arch ?? DEFAULT_CONFIG.arch;
      const dSae = config.dSae ?? DEFAULT_CONFIG.dSae;
      const k = config.k ?? DEFAULT_CONFIG.k;
      const usesK = arch === 'topk' || arch === 'batchtopk';
      return { method: 'expanded', members: J, config: { ...config, dSae: J * dSae, ...(usesK ? { k: J * k } : {}) }, seeds: [seed] };
    }
    case 'bagging':
    case 'boosting': {
      if (req.seeds && req.seeds.length !== J) {
        throw new InputError(`seeds: ${spec.method} with J = ${J} members needs ${J} seeds (one per member), got ${req.seeds.length}: drop seeds to use ${seed}..${seed + J - 1}`);
      }
      return { method: spec.method, members: J, config, seeds: req.seeds ? [...req.seeds] : defaultSeeds };
    }
  }
}

/**
 * Every problem with a plan for data of width dIn and `rows` rows, thrown as one InputError before anything
 * trains or anything running is touched (the config's own checks, the memory its SAEs need, then the seeds).
 * Returns the full config the trainers resolve.
 */
export function checkPlan(plan: EnsemblePlan, dIn: number, rows: number): TrainConfig {
  const full: TrainConfig = { ...DEFAULT_CONFIG, ...plan.config };
  // Memory counts every SAE the run holds at once: bagging's members (boosting's frozen stages are smaller
  // than a live one's training state, so J full members bound it too; expanded's dSae is already J·dSae).
  const saes = Array.isArray(plan.seeds) ? Math.max(1, Math.min(plan.seeds.length, MAX_ENSEMBLE_MEMBERS)) : 1;
  const problems = validateConfig(full, dIn, rows, saes);
  // The ensemble methods (mean or summed reconstructions of SAEs, seed-papers §2) are defined for SAEs; a
  // k-means / k-flats run is one model (issue #12): bagging them would average cluster centres, not a paper's method.
  if (plan.method !== 'single' && familyOfArch(full.arch) !== 'sae')
    problems.push(`ensemble ${plan.method} (J = ${plan.members}) trains SAEs only: a ${full.arch} run is one model: train it as a single run (ensemble method single)`);
  const usesK = full.arch === 'topk' || full.arch === 'batchtopk';
  if (problems.length > 0) throw new InputError(`invalid training config${plan.method === 'expanded' ? ` (expanded: ${plan.members}× latents${usesK ? ' and k' : ''})` : ''}: ${problems.join('; ')}`);
  const seeds = plan.seeds;
  if (!Array.isArray(seeds) || seeds.length < 1 || seeds.length > MAX_ENSEMBLE_MEMBERS)
    throw new InputError(`seeds: expected 1 to ${MAX_ENSEMBLE_MEMBERS} seeds (one per ensemble member), got ${Array.isArray(seeds) ? seeds.length : String(seeds)}`);
  const bad = seeds.findIndex((s) => !Number.isSafeInteger(s) || s < 0);
  if (bad >= 0) throw new InputError(`seeds[${bad}]: expected an integer ≥ 0, got ${seeds[bad]}`);
  return full;
}
