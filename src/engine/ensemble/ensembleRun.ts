// The ensemble half of the Workbench (issue #6; Gadgil, Lin, Lee, seed-papers.md §2): the plain-data answers of evaluateEnsemble / ensembleViews / downstream
// over a run's SAEs and its loaded dataset. Every number is src/core's (ensemble.ts, ensembleViews.ts,
// downstream.ts); this file picks the rows, caps their number and shapes api.ts's DTOs.
// Imports src/core and engine types only: no DOM, React, Comlink, Node or WebGPU.

import { hasLabels } from '../../core/data/card.ts';
import { scrClassPair, sparseProbing, spuriousCorrelationRemoval } from '../../core/ensemble/downstream.ts';
import { combinationOf, concatenatedView, metricsPerJ, proposition31Gap } from '../../core/ensemble/ensemble.ts';
import { UNIQUE_TAU, crossMemberCosines, latentStability, matchedPairs, pcaMap, uniqueFeatures } from '../../core/ensemble/ensembleViews.ts';
import { InputError } from '../../core/errors.ts';
import { perRowFields, takeRows } from '../../core/data/preprocess.ts';
import type { Dataset, Sae } from '../../core/sae/types.ts';
import type {
  DownstreamReport,
  DownstreamRequest,
  EnsembleEvaluation,
  EnsembleMethodName,
  EnsembleViews,
  EnsembleViewsRequest,
  ProbingResultDto,
  RunInfo,
  ScrResultDto,
} from '../api.ts';
import type { LoadedDataset } from '../data/datasets.ts';
import type { RunWeights } from '../training/ensemblePlan.ts';

// ---- evaluation ------------------------------------------------------------------------------------

/** Rows the ensemble metrics, views and downstream tasks read at most (the first of the split): bounds their time. */
export const ENSEMBLE_EVAL_MAX_ROWS = 4096;

/** The held-out rows ensemble answers are computed on: the eval split (else the train rows), first ≤ maxRows. */
export function ensembleRows(d: LoadedDataset, maxRows = ENSEMBLE_EVAL_MAX_ROWS): { data: Dataset; split: 'eval' | 'train' } {
  const split = d.eval ? 'eval' : 'train';
  const src = d.eval ?? d.train;
  if (src.rows <= maxRows) return { data: src, split };
  return { data: takeRows(src, Int32Array.from({ length: maxRows }, (_, i) => i), src.name, perRowFields(src)), split };
}


/**
 * The metrics of the first J' SAEs for J' = 1..(SAEs trained so far) — for single/expanded the one SAE at
 * its J — and Prop. 3.1's gap on the same rows.
 */
export function evaluateRunEnsemble(info: RunInfo, w: RunWeights, d: LoadedDataset): EnsembleEvaluation {
  const { data, split } = ensembleRows(d);
  const n = w.saes.length;
  const perJ = metricsPerJ(info.ensemble.method, info.ensemble.members, w.saes, data);
  return {
    run: info.run,
    method: info.ensemble.method,
    members: info.ensemble.members,
    step: w.step,
    trainedSaes: n,
    dataset: d.info.id,
    split,
    rows: data.rows,
    perJ,
    prop31Gap: data.rows > 0 ? proposition31Gap(combinationOf(info.ensemble.method), w.saes, data.x, data.rows) : 0,
  };
}

// ---- views -----------------------------------------------------------------------------------------

/** What the members share and where they differ (src/core/ensemble/ensembleViews.ts), for members a and b of the heatmap. */
export function runEnsembleViews(info: RunInfo, w: RunWeights, req: EnsembleViewsRequest = {}): EnsembleViews {
  if (typeof req !== 'object' || req === null) throw new InputError(`ensembleViews: expected { a?, b?, uniqueTau? }, got ${String(req)}`);
  const J = w.saes.length;
  if (J < 2) {
    throw new InputError(
      `ensembleViews: run ${info.run} has ${J} SAE${J === 1 ? '' : 's'} (${info.ensemble.method}${info.ensemble.method === 'boosting' ? ', stages trained so far' : ''}): cross-member views need at least 2 — train bagging or boosting with J ≥ 2`,
    );
  }
  const a = req.a ?? 0;
  const b = req.b ?? 1;
  for (const [name, v] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0 || v >= J) throw new InputError(`ensembleViews: ${name} must be a member in [0, ${J - 1}], got ${String(v)}`);
  }
  const tau = req.uniqueTau ?? UNIQUE_TAU;
  if (!(typeof tau === 'number' && tau >= -1 && tau <= 1)) throw new InputError(`ensembleViews: uniqueTau must be a cosine in [−1, 1], got ${String(tau)}`);
  const dIn = w.saes[0].dIn;
  const dicts = w.saes.map((s) => s.wDec);
  const sizes = w.saes.map((s) => s.dSae);
  const offsets = [0];
  for (const n of sizes) offsets.push(offsets[offsets.length - 1] + n);
  const heat = crossMemberCosines(dicts[a], sizes[a], dicts[b], sizes[b], dIn);
  const pairs = matchedPairs(dicts[a], sizes[a], dicts[b], sizes[b], dIn);
  const stab = latentStability(dicts, dIn);
  const unique = uniqueFeatures(dicts, dIn, tau);
  const view = concatenatedView(combinationOf(info.ensemble.method), w.saes);
  const map = pcaMap(view.dictionary, view.latents, dIn, view.member);
  const latent = Int32Array.from(view.member, (j, i) => i - offsets[j]);
  return {
    run: info.run,
    step: w.step,
    method: info.ensemble.method,
    latentsPerMember: sizes,
    offsets,
    heatmap: { a, b, rows: heat.nA, cols: heat.nB, cos: heat.reordered, rowLatents: heat.order.rows, colLatents: heat.order.cols },
    pairs: pairs.pairs,
    meanPairCos: pairs.meanCos,
    stability: { perMember: stab.perMember.map((m) => ({ score: m.score, bestLatent: m.bestLatent, bestCos: m.bestCos })), mean: stab.mean },
    unique: { tau: unique.tau, perMember: unique.perMember.map((m) => ({ latents: m.latents, fraction: m.fraction, meanMaxCos: m.meanMaxCos })) },
    map: { x: map.x, y: map.y, member: map.member, latent, explained: map.explained },
  };
}

// ---- downstream tasks ------------------------------------------------------------------------------

/**
 * Concept detection (sparse probing) and spurious-correlation removal (SCR) of an ensemble on labelled rows
 * (src/core/ensemble/downstream.ts; seed-papers.md §2.7). Probing needs class-id labels; SCR needs the marker flags
 * of a *-marked built-in. What cannot run is null, with the reason in `why`. Shared by the engine and the CLI.
 */
export function downstreamOf(
  method: EnsembleMethodName,
  saes: readonly Sae[],
  data: Dataset,
  req: DownstreamRequest = {},
): Omit<DownstreamReport, 'run' | 'members' | 'dataset'> {
  if (typeof req !== 'object' || req === null) throw new InputError(`downstream: expected { kps?, scrClasses?, ns? }, got ${String(req)}`);
  const why: string[] = [];
  const m = combinationOf(method);
  const classIds = hasLabels(data) && data.labels instanceof Int32Array ? data : null;
  let probing: ProbingResultDto[] | null = null;
  if (!classIds) {
    why.push(`concept detection needs class labels (one class id per row): ${data.name} has ${hasLabels(data) ? 'text labels (tokens or words), not classes' : 'no labels'} — use builtin:digits, builtin:fashion-mnist or upload data with an IDX labels file`);
  } else {
    const p = sparseProbing(m, saes, classIds, { ...(req.kps ? { kps: req.kps } : {}) });
    probing = p.perKp.map((k, i) => ({
      kp: k.kp,
      accuracy: k.meanAccuracy ?? NaN,
      inputBaseline: p.inputBaseline.perKp[i]?.meanAccuracy ?? NaN,
      perClass: k.classes.map((c) => ({ cls: c.class, name: c.name, accuracy: c.accuracy, latents: c.latents })),
    }));
    if (p.skipped.length > 0) why.push(`concept detection skipped ${p.skipped.map((s) => `class ${s.name} (${s.reason})`).join('; ')}`);
  }
  let scr: ScrResultDto | null = null;
  const marked = (data as Partial<{ marked: Uint8Array }>).marked;
  if (!classIds || !(marked instanceof Uint8Array)) {
    why.push(`spurious-correlation removal needs class labels and a spurious marker: ${data.name} has ${marked instanceof Uint8Array ? 'no class labels' : 'no marker'} — use builtin:digits-marked or builtin:fashion-mnist-marked`);
  } else {
    const withMarks = { ...classIds, marked };
    const pair = scrClassPair(withMarks, req.scrClasses);
    const s = spuriousCorrelationRemoval(m, saes, withMarks, { ...pair, ...(req.ns ? { ns: req.ns } : {}) });
    scr = {
      classA: s.classA,
      classB: s.classB,
      nameA: s.names[0],
      nameB: s.names[1],
      direction: s.direction,
      aBase: s.aBase,
      aOracle: s.aOracle,
      perN: s.perN.map((a) => ({ n: a.n, aAbl: a.aAbl, shift: a.shift, latents: a.latents })),
      ...(s.note ? { note: s.note } : {}),
    };
  }
  return { method, rows: data.rows, probing, scr, why };
}
