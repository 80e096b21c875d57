// A saved ensemble (issue #6: "save and reload"): a folder or zip holding `ensemble.json` (the method, J,
// seeds, config) and one SAELens v6 folder per SAE, `member-<j>/` (j = 1..saes): cfg.json,
// sae_weights.safetensors, sparsity.safetensors. Each member folder loads on its own in SAELens
// (SAE.load_from_disk); the manifest says how they combine (bagging: mean, boosting: sequential sum).
// Imports only src/core: no Node, DOM or WebGPU (the CLI reads folders with node:fs and calls parse*).

import { InputError, formatError } from '../errors.ts';
import { unzipMember, unzipText, listZip } from './inflate.ts';
import type { SaeLensFolder } from './saelens.ts';
import { CFG_FILE, SPARSITY_FILE, WEIGHTS_FILE, fromSaeLens } from './saelens.ts';
import type { Sae } from '../sae/types.ts';
import { MAX_ENSEMBLE_MEMBERS } from '../sae/config.ts';
import type { EnsembleMethodName } from '../ensemble/ensemble.ts';
import { ENSEMBLE_METHOD_NAMES } from '../ensemble/ensemble.ts';
import type { ZipEntry } from './zip.ts';
import { writeZip } from './zip.ts';

export const ENSEMBLE_MANIFEST = 'ensemble.json';
export const ENSEMBLE_FORMAT = 'sae-workbench-ensemble';
export const ENSEMBLE_FORMAT_VERSION = 1;

/** 'single' and 'expanded' hold one SAE; bagging and boosting hold `saes` = J members. */
const METHODS: readonly EnsembleMethodName[] = ENSEMBLE_METHOD_NAMES;

export interface EnsembleManifest {
  format: typeof ENSEMBLE_FORMAT;
  version: number;
  method: EnsembleMethodName;
  /** J as trained (expanded: the latent multiplier of its one SAE). */
  members: number;
  /** Member folders, in ensemble order (boosting: stage order). */
  folders: string[];
  /** Init seed of each folder's SAE. */
  seeds: number[];
  /** What it was trained on, for provenance (a dataset id or path). */
  dataset: string;
  /** The training step of the weights (boosting: total over stages). */
  step: number;
  /** The resolved training config (informative; the weights carry their own shapes). */
  config: Record<string, unknown>;
}

/** member-1, member-2, … */
export const memberFolder = (j: number): string => `member-${j + 1}`;

export function manifestOf(m: Omit<EnsembleManifest, 'format' | 'version' | 'folders'> & { folders?: string[] }): EnsembleManifest {
  const saes = m.method === 'bagging' || m.method === 'boosting' ? m.seeds.length : 1;
  return { format: ENSEMBLE_FORMAT, version: ENSEMBLE_FORMAT_VERSION, ...m, folders: m.folders ?? Array.from({ length: saes }, (_, j) => memberFolder(j)) };
}

/** Parses and checks ensemble.json; every problem names the field, what was expected and the fix. */
export function parseEnsembleManifest(text: string, source: string): EnsembleManifest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${source}: not JSON (${e instanceof Error ? e.message : String(e)}): an ensemble's ${ENSEMBLE_MANIFEST} is written by exportEnsemble or \`sae-workbench ensemble --export\``);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw formatError(source, 'top level', 'a JSON object', Array.isArray(v) ? 'an array' : String(v));
  const o = v as Record<string, unknown>;
  if (o.format !== ENSEMBLE_FORMAT) throw formatError(source, 'format', `"${ENSEMBLE_FORMAT}"`, JSON.stringify(o.format));
  if (o.version !== ENSEMBLE_FORMAT_VERSION) throw formatError(source, 'version', String(ENSEMBLE_FORMAT_VERSION), `${JSON.stringify(o.version)}: written by a newer SAE Workbench? update this one`);
  if (!METHODS.includes(o.method as EnsembleMethodName)) throw formatError(source, 'method', METHODS.join(' | '), JSON.stringify(o.method));
  const method = o.method as EnsembleMethodName;
  if (!Number.isSafeInteger(o.members) || (o.members as number) < 1) throw formatError(source, 'members', 'an integer ≥ 1', JSON.stringify(o.members));
  const folders = o.folders;
  if (!Array.isArray(folders) || folders.length < 1 || folders.length > MAX_ENSEMBLE_MEMBERS || !folders.every((f) => typeof f === 'string' && /^[A-Za-z0-9._-]+$/.test(f))) {
    throw formatError(source, 'folders', `1..${MAX_ENSEMBLE_MEMBERS} folder names (letters, digits, . _ -)`, JSON.stringify(folders)?.slice(0, 120) ?? String(folders));
  }
  // A folder is a name inside the ensemble's own folder: "." would be the ensemble itself and ".." its
  // parent (a manifest must never send a reader outside the folder it came with); each member its own.
  (folders as string[]).forEach((f, j) => {
    if (f === '.' || f === '..') throw formatError(source, `folders[${j}]`, 'a folder name inside the ensemble (like "member-1")', `"${f}": re-export the ensemble`);
    if (folders.indexOf(f) !== j) throw formatError(source, `folders[${j}]`, 'a folder not named before (one per member)', `"${f}" again: re-export the ensemble`);
  });
  const single = method === 'single' || method === 'expanded';
  if (single && folders.length !== 1) throw formatError(source, 'folders', `one folder for method ${method}`, `${folders.length}`);
  if (method === 'bagging' && folders.length !== o.members) throw formatError(source, 'folders', `members = ${String(o.members)} folders for bagging`, `${folders.length}`);
  if (method === 'boosting' && folders.length > (o.members as number)) throw formatError(source, 'folders', `at most members = ${String(o.members)} stages`, `${folders.length}`);
  const seeds = o.seeds;
  if (!Array.isArray(seeds) || seeds.length !== folders.length || !seeds.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw formatError(source, 'seeds', `${folders.length} integers ≥ 0 (one per folder)`, JSON.stringify(seeds)?.slice(0, 120) ?? String(seeds));
  }
  const step = Number.isSafeInteger(o.step) && (o.step as number) >= 0 ? (o.step as number) : 0;
  const config = typeof o.config === 'object' && o.config !== null && !Array.isArray(o.config) ? (o.config as Record<string, unknown>) : {};
  return {
    format: ENSEMBLE_FORMAT,
    version: ENSEMBLE_FORMAT_VERSION,
    method,
    members: o.members as number,
    folders: folders as string[],
    seeds: seeds as number[],
    dataset: typeof o.dataset === 'string' ? o.dataset : '',
    step,
    config,
  };
}

/** Checks that the members fit together: the same dIn everywhere. */
export function checkEnsembleMembers(saes: readonly Sae[], source: string): void {
  saes.forEach((s, j) => {
    if (s.dIn !== saes[0].dIn) throw formatError(source, `member ${j + 1}: d_in`, `${saes[0].dIn} (member 1's)`, `${s.dIn}: the folders are not one ensemble`);
  });
}

/** One zip: ensemble.json at the top, then `<folder>/cfg.json`, `<folder>/sae_weights.safetensors`, `<folder>/sparsity.safetensors`. */
export function writeEnsembleZip(manifest: EnsembleManifest, folders: readonly SaeLensFolder[]): Uint8Array {
  if (folders.length !== manifest.folders.length) throw new InputError(`writeEnsembleZip: ${folders.length} SAE folders for a manifest naming ${manifest.folders.length}`);
  const enc = new TextEncoder();
  const entries: ZipEntry[] = [{ name: ENSEMBLE_MANIFEST, data: enc.encode(JSON.stringify(manifest, null, 2) + '\n') }];
  folders.forEach((f, j) => {
    const dir = manifest.folders[j];
    entries.push({ name: `${dir}/${CFG_FILE}`, data: enc.encode(f.cfgJson) }, { name: `${dir}/${WEIGHTS_FILE}`, data: f.weights });
    if (f.sparsity) entries.push({ name: `${dir}/${SPARSITY_FILE}`, data: f.sparsity });
  });
  return writeZip(entries);
}

/**
 * Reads a saved ensemble zip. The manifest may sit at the top or inside one folder (a zipped export
 * directory: `DIR/ensemble.json`, `DIR/member-1/…`). Rejects a hostile or partial file naming what is missing.
 */
export async function readEnsembleZip(zip: Uint8Array, source: string): Promise<{ manifest: EnsembleManifest; saes: Sae[] }> {
  const names = listZip(zip, source)
    .map((m) => m.name)
    .filter((n) => !n.endsWith('/'));
  const manifestName = names.find((n) => n === ENSEMBLE_MANIFEST) ?? names.find((n) => n.split('/').length === 2 && n.endsWith(`/${ENSEMBLE_MANIFEST}`));
  if (!manifestName) {
    throw formatError(source, 'members', `an ${ENSEMBLE_MANIFEST} (a saved ensemble: exportEnsemble, or \`sae-workbench ensemble --export DIR\` zipped)`, names.slice(0, 6).join(', ') || 'nothing');
  }
  const prefix = manifestName.slice(0, manifestName.length - ENSEMBLE_MANIFEST.length);
  const text = await unzipText(zip, source, manifestName);
  const manifest = parseEnsembleManifest(text, `${source}: ${manifestName}`);
  const saes: Sae[] = [];
  for (const dir of manifest.folders) {
    const cfg = `${prefix}${dir}/${CFG_FILE}`;
    const weights = `${prefix}${dir}/${WEIGHTS_FILE}`;
    for (const n of [cfg, weights]) if (!names.includes(n)) throw formatError(source, 'members', `"${n}" (named by ${ENSEMBLE_MANIFEST})`, 'missing: the zip is incomplete');
    const cfgText = await unzipText(zip, source, cfg);
    saes.push(fromSaeLens(cfgText, await unzipMember(zip, source, weights), `${source}: ${prefix}${dir}`));
  }
  checkEnsembleMembers(saes, source);
  return { manifest, saes };
}
