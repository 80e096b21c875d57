// What leaves the engine as files: one SAE as a SAELens folder (and its zip), a run's ensemble as a zip of
// folders plus ensemble.json, each with the same provenance block (provenanceOf) whether the app or the CLI
// exports it. Imports src/core and engine types only.

import { manifestOf, writeEnsembleZip } from '../core/formats/ensembleFile.ts';
import type { Provenance } from '../core/formats/saelens.ts';
import type { ModelFolder } from '../core/formats/modelFolder.ts';
import { toModelFolder } from '../core/formats/modelFolder.ts';
import { writeZip } from '../core/formats/zip.ts';
import type { ResolvedConfig, TrainerName } from '../core/sae/config.ts';
import { logDensityOf } from '../core/sae/metrics.ts';
import type { Sae } from '../core/sae/types.ts';
import { isClusterArch } from '../core/sae/types.ts';
import { InputError } from '../core/errors.ts';
import type { BackendKind, EnsembleMethodName, EnsembleZip, RunExport, RunInfo, RunZip } from './api.ts';
import type { RunWeights } from './training/ensemblePlan.ts';

/** Where an exported SAE came from: the metadata block of its cfg.json (SAELens keeps unknown keys). */
export interface ProvenanceInput {
  /** The dataset id or CLI data spec it trained on. */
  dataset: string;
  /** How it was fitted (config.trainer: 'sgd', 'pam-sgd'). */
  trainer: TrainerName;
  seed: number;
  /** Steps trained (boosting: global, over the stages so far). */
  steps: number;
  batch: number;
  backend: BackendKind;
  ensemble: { method: EnsembleMethodName; members: number; /** 1-based. */ member: number; /** CLI --repeats: which repeat (0-based). */ repeat?: number };
  /** What sparsity.safetensors measured (training firing counts, or eval rows). */
  sparsitySource: string;
}

/** The one provenance block every export writes. */
export function provenanceOf(p: ProvenanceInput): Provenance {
  return {
    dataset_path: p.dataset,
    // `trainer` is the exporter's own key (the tool and its version), so the fitting method gets its own.
    training_algorithm: p.trainer,
    seed: p.seed,
    steps: p.steps,
    batch: p.batch,
    backend: p.backend,
    ensemble_method: p.ensemble.method,
    ensemble_members: p.ensemble.members,
    ensemble_member: p.ensemble.member,
    ...(p.ensemble.repeat !== undefined ? { ensemble_repeat: p.ensemble.repeat } : {}),
    sparsity_source: p.sparsitySource,
  };
}

/** SAE j of a run as its family's folder (SAELens, or the cluster layout for k-means / k-flats) with its training firing density. */
export function runFolder(info: RunInfo, dataset: string, w: RunWeights, j: number): ModelFolder {
  return toModelFolder(w.saes[j], {
    provenance: provenanceOf({
      dataset,
      trainer: info.config.trainer,
      seed: info.seeds[j],
      steps: w.step,
      batch: info.config.batch,
      backend: info.backend.kind,
      ensemble: { method: info.ensemble.method, members: info.ensemble.members, member: j + 1 },
      sparsitySource: `training firing counts over ${w.tokens[j]} tokens`,
    }),
    logDensity: logDensityOf(w.firingCounts[j], w.tokens[j]),
  });
}

/** One SAE of the run as a SAELens folder (RunExport). */
export function runExport(info: RunInfo, dataset: string, w: RunWeights, member: number, source: RunExport['weightsSource']): RunExport {
  const folder = runFolder(info, dataset, w, member);
  if (!folder.sparsity) throw new Error('toModelFolder wrote no sparsity.safetensors although logDensity was given');
  return { run: info.run, member, seed: info.seeds[member], step: w.step, weightsSource: source, cfgJson: folder.cfgJson, weights: folder.weights, weightsFile: folder.weightsFile, sparsity: folder.sparsity };
}

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-+/g, '-');

/** runExport zipped: `<folder>/cfg.json`, `<folder>/<weightsFile>`, `<folder>/sparsity.safetensors` (a k-means / k-flats folder is named after its arch). */
export function runZip(info: RunInfo, dataset: string, e: RunExport): RunZip {
  const c: ResolvedConfig = info.config;
  const folder = safeName(`${isClusterArch(c.arch) ? c.arch : 'sae'}-${[dataset || 'data', c.arch, `${c.dSae}`, `seed${e.seed}`, `step${e.step}`].filter(Boolean).join('-')}`);
  const enc = new TextEncoder();
  const bytes = writeZip([
    { name: `${folder}/cfg.json`, data: enc.encode(e.cfgJson) },
    { name: `${folder}/${e.weightsFile}`, data: e.weights },
    { name: `${folder}/sparsity.safetensors`, data: e.sparsity },
  ]);
  return { run: e.run, member: e.member, seed: e.seed, step: e.step, weightsSource: e.weightsSource, folder, fileName: `${folder}.zip`, bytes };
}

/** The manifest of a run's ensemble (src/core/formats/ensembleFile.ts). */
export function runManifest(info: RunInfo, dataset: string, step: number, saes: readonly Sae[]) {
  return manifestOf({
    method: info.ensemble.method,
    members: info.ensemble.members,
    seeds: info.seeds.slice(0, saes.length),
    dataset,
    step,
    config: { ...info.config },
  });
}

/** Every SAE of the run as SAELens folders plus ensemble.json, zipped. */
export function ensembleZip(info: RunInfo, dataset: string, w: RunWeights): EnsembleZip {
  if (isClusterArch(info.config.arch)) throw new InputError(`ensemble zip: run ${info.run} is a ${info.config.arch} model, not an ensemble of SAEs: export it with exportRun / exportZip (its cluster-layout folder)`);
  const folders = w.saes.map((_, j) => runFolder(info, dataset, w, j));
  const c = info.config;
  const name = safeName(`ensemble-${info.ensemble.method}-J${info.ensemble.members}-${dataset}-${c.arch}-${info.ensemble.latentsPerSae}-step${w.step}`);
  return { run: info.run, method: info.ensemble.method, members: info.ensemble.members, step: w.step, fileName: `${name}.zip`, bytes: writeEnsembleZip(runManifest(info, dataset, w.step, w.saes), folders) };
}
