// The geometry lab's state (issue #12 §2–3): the data (a preset, painted points, or a loaded dataset's 2-D
// projection), the three panels' settings (k-means | local PCA | SAE), the speed, the overlays, the steps
// trained and the lesson shown. Everything a URL restores (url.ts) and the engine's lab session starts
// from. Plain data and its validation; imports only src/core.

import { FAMILY_TRAINERS } from '../sae/config.ts';
import type { SaeArch } from '../sae/types.ts';
import { SAE_ARCHS } from '../sae/types.ts';
import { LAB_MAX_POINTS, LAB_MIN_POINTS, presetProblems, type LabPreset } from './datasets.ts';

/** The SAE panel's trainers (config.ts FAMILY_TRAINERS.sae: SGD and PAM-SGD). */
export const LAB_SAE_TRAINERS = FAMILY_TRAINERS.sae as readonly ('sgd' | 'pam-sgd')[];
export type LabSaeTrainer = 'sgd' | 'pam-sgd';

/** The three panels, left to right. */
export const LAB_PANELS = ['kmeans', 'kflats', 'sae'] as const;
export type LabPanel = (typeof LAB_PANELS)[number];
export const PANEL_TITLES: Record<LabPanel, string> = { kmeans: 'k-means', kflats: 'local PCA (k-flats)', sae: 'SAE' };

/** The local-PCA panel: the exact k-flats alternation, or the SplInterp toy's k-means-then-PCA-per-cluster (seed-papers §3.4). */
export const FLATS_VARIANTS = ['kflats', 'kmeans-pca'] as const;
export type FlatsVariant = (typeof FLATS_VARIANTS)[number];

/** What is drawn over the partition. */
export const LAB_OVERLAYS = ['points', 'sites', 'circles', 'arrows', 'boundaries', 'error'] as const;
export type LabOverlay = (typeof LAB_OVERLAYS)[number];

/** How a loaded dataset becomes 2-D: its top two principal components, or two chosen dimensions. */
export type ProjectionHow = { kind: 'pca' } | { kind: 'dims'; a: number; b: number };

export type LabData =
  | { source: 'preset'; preset: LabPreset; points: number; seed: number; features: number }
  /** xy [n, 2] flattened, data units (the URL keeps 3 decimals). */
  | { source: 'painted'; xy: number[] }
  /** A loaded (built-in or synthetic) dataset: its first `rows` rows, projected. */
  | { source: 'projection'; dataset: string; how: ProjectionHow; rows: number };

export interface LabState {
  data: LabData;
  /** k-means and k-flats: the number of regions (centroids / flats). */
  clusters: number;
  /** k-flats: the rank r of each local affine piece (0 = k-means; 1 = a line per region in 2-D). */
  rank: number;
  flats: FlatsVariant;
  /** The SAE panel: architecture, trainer, latents, TopK's k, learning rate, sparsity λ (relu/jumprelu), AuxK on/off. */
  arch: SaeArch;
  trainer: LabSaeTrainer;
  dSae: number;
  k: number;
  lr: number;
  l1: number;
  auxk: boolean;
  /** Seeds every model's init (and k-means++). */
  seed: number;
  /** Steps per animation frame while playing. */
  speed: number;
  /** Steps trained: a URL retrains to it (every model is deterministic from its seed). */
  steps: number;
  overlays: LabOverlay[];
  /** The lesson whose caption is shown (lessons.ts), or null. */
  lesson: string | null;
}

export const LAB_MAX_CLUSTERS = 32;
export const LAB_MAX_LATENTS = 256;
export const LAB_MAX_SPEED = 200;
/** A URL retrains at most this many steps on opening (a few seconds on the CPU reference at 2-D). */
export const LAB_MAX_STEPS = 20000;

/**
 * Most work a state may ask for on opening: steps × points × (latents + regions) ≤ this (about 10 s on the CPU
 * reference), so a link cannot freeze the engine with 20,000 steps of 256 latents on 2,000 points.
 */
export const LAB_MAX_OPEN_WORK = 4e8;

/** The number of points a state's data has (a projection's requested rows; the dataset may have fewer). */
export function pointsOf(d: LabData): number {
  return d.source === 'preset' ? d.points : d.source === 'painted' ? d.xy.length / 2 : d.rows;
}

/** The most steps a state of this size may have (so a link made by playing always reopens). */
export function maxStepsOf(s: LabState): number {
  return Math.min(LAB_MAX_STEPS, Math.floor(LAB_MAX_OPEN_WORK / Math.max(1, pointsOf(s.data) * (s.dSae + s.clusters))));
}

export const DEFAULT_LAB_STATE: LabState = {
  data: { source: 'preset', preset: 'toy', points: 100, seed: 0, features: 5 },
  clusters: 3,
  rank: 1,
  flats: 'kflats',
  arch: 'topk',
  trainer: 'sgd',
  dSae: 8,
  k: 1,
  lr: 0.01,
  l1: 0.01,
  auxk: true,
  seed: 0,
  speed: 5,
  steps: 0,
  overlays: ['points', 'sites', 'circles', 'arrows', 'boundaries'],
  lesson: null,
};

const isInt = (v: number, lo: number, hi: number): boolean => Number.isSafeInteger(v) && v >= lo && v <= hi;

/** Every problem of a lab state, each naming the field, the value and the allowed range (empty when fine). */
export function labStateProblems(s: LabState): string[] {
  const e: string[] = [];
  const d = s.data;
  if (d.source === 'preset') e.push(...presetProblems(d));
  else if (d.source === 'painted') {
    const n = d.xy.length / 2;
    if (!Number.isInteger(n) || n < LAB_MIN_POINTS || n > LAB_MAX_POINTS) e.push(`painted points: need ${LAB_MIN_POINTS} to ${LAB_MAX_POINTS} (x, y) pairs, got ${d.xy.length} numbers`);
    else if (d.xy.some((v) => !Number.isFinite(v) || Math.abs(v) > 1e6)) e.push('painted points: every coordinate must be a finite number of magnitude ≤ 1e6');
  } else if (d.source === 'projection') {
    if (!/^(builtin|synthetic):[A-Za-z0-9._:-]+$/.test(d.dataset)) e.push(`projection: dataset "${d.dataset}" is not a built-in or synthetic id`);
    if (!isInt(d.rows, LAB_MIN_POINTS, LAB_MAX_POINTS)) e.push(`projection: rows must be an integer in [${LAB_MIN_POINTS}, ${LAB_MAX_POINTS}], got ${d.rows}`);
    if (d.how.kind === 'dims' && (!isInt(d.how.a, 0, 1 << 20) || !isInt(d.how.b, 0, 1 << 20) || d.how.a === d.how.b))
      e.push(`projection: dims must be two different column indices ≥ 0, got ${d.how.a}, ${d.how.b}`);
  } else e.push(`data source "${String((d as { source: unknown }).source)}" is unknown: use preset, painted or projection`);
  if (!isInt(s.clusters, 1, LAB_MAX_CLUSTERS)) e.push(`clusters must be an integer in [1, ${LAB_MAX_CLUSTERS}], got ${s.clusters}`);
  if (!isInt(s.rank, 0, 1)) e.push(`rank must be 0 or 1 in the 2-D lab (a rank-2 flat reconstructs every point exactly), got ${s.rank}`);
  if (!(FLATS_VARIANTS as readonly string[]).includes(s.flats)) e.push(`flats "${String(s.flats)}" is unknown: use ${FLATS_VARIANTS.join(' or ')}`);
  if (!SAE_ARCHS.includes(s.arch)) e.push(`arch "${String(s.arch)}" is unknown for the SAE panel: use one of ${SAE_ARCHS.join(', ')} (k-means and k-flats have panels of their own)`);
  if (!(LAB_SAE_TRAINERS as readonly string[]).includes(s.trainer)) e.push(`trainer "${String(s.trainer)}" is unknown for the SAE panel: use one of ${LAB_SAE_TRAINERS.join(', ')}`);
  if (!isInt(s.dSae, 1, LAB_MAX_LATENTS)) e.push(`dSae must be an integer in [1, ${LAB_MAX_LATENTS}], got ${s.dSae}`);
  else if (!isInt(s.k, 1, s.dSae)) e.push(`k must be an integer in [1, dSae=${s.dSae}], got ${s.k}`);
  if (!(s.lr > 0 && s.lr < 1)) e.push(`lr must be in (0, 1), got ${s.lr}`);
  if (!(s.l1 >= 0 && s.l1 <= 10)) e.push(`l1 must be in [0, 10], got ${s.l1}`);
  if (typeof s.auxk !== 'boolean') e.push(`auxk must be true or false, got ${String(s.auxk)}`);
  if (!isInt(s.seed, 0, 0xffffffff)) e.push(`seed must be an integer in [0, 2^32), got ${s.seed}`);
  if (!isInt(s.speed, 1, LAB_MAX_SPEED)) e.push(`speed must be an integer in [1, ${LAB_MAX_SPEED}] steps per frame, got ${s.speed}`);
  if (!isInt(s.steps, 0, LAB_MAX_STEPS)) e.push(`steps must be an integer in [0, ${LAB_MAX_STEPS}], got ${s.steps}`);
  else {
    const work = s.steps * pointsOf(s.data) * ((Number.isFinite(s.dSae) ? s.dSae : 0) + (Number.isFinite(s.clusters) ? s.clusters : 0));
    if (work > LAB_MAX_OPEN_WORK)
      e.push(`steps × points × (dSae + clusters) = ${s.steps} × ${pointsOf(s.data)} × ${s.dSae + s.clusters} is over the ${LAB_MAX_OPEN_WORK.toExponential(0)} a lab opens with: lower steps (at most ${maxStepsOf(s)} here), points or latents`);
  }
  if (!Array.isArray(s.overlays) || s.overlays.some((o) => !(LAB_OVERLAYS as readonly string[]).includes(o)))
    e.push(`overlays must be some of ${LAB_OVERLAYS.join(', ')}, got ${String(s.overlays)}`);
  return e;
}

/** The panels' models are retrained from scratch when one of these differs (the rest — speed, overlays, lesson — only changes the view). */
export function sameModels(a: LabState, b: LabState): boolean {
  const keys: (keyof LabState)[] = ['clusters', 'rank', 'flats', 'arch', 'trainer', 'dSae', 'k', 'lr', 'l1', 'auxk', 'seed'];
  return keys.every((key) => a[key] === b[key]) && JSON.stringify(a.data) === JSON.stringify(b.data);
}
