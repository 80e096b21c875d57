// The lab state's URL codec (issue #12 §3: "every lesson and lab state has a URL that restores it
// exactly"): LabState ⇄ URLSearchParams text. Every field is written (not only those that differ from
// today's defaults), so a link keeps meaning the same state when defaults change. A hostile or broken text
// is refused with every problem named; nothing throws. Imports only src/core.

import { LAB_MAX_POINTS, LAB_PRESETS, type LabPreset } from './datasets.ts';
import type { LabData, LabOverlay, LabState, ProjectionHow } from './state.ts';
import { DEFAULT_LAB_STATE, labStateProblems, LAB_OVERLAYS } from './state.ts';

/** Longest text decodeLab reads (a full painted set is ~30 kB); longer is refused before parsing. */
export const LAB_URL_MAX_CHARS = 64 * 1024;

/** Painted coordinates keep 3 decimals in a URL (state made from a URL is already rounded, so it round-trips). */
export const roundCoord = (v: number): number => Math.round(v * 1000) / 1000;

export function encodeLab(s: LabState): string {
  const p = new URLSearchParams();
  const d = s.data;
  if (d.source === 'preset') {
    p.set('data', d.preset);
    p.set('points', String(d.points));
    p.set('dataSeed', String(d.seed));
    p.set('features', String(d.features));
  } else if (d.source === 'painted') {
    p.set('data', 'painted');
    const pairs: string[] = [];
    for (let i = 0; i + 1 < d.xy.length; i += 2) pairs.push(`${roundCoord(d.xy[i])},${roundCoord(d.xy[i + 1])}`);
    p.set('xy', pairs.join(';'));
  } else {
    p.set('data', 'projection');
    p.set('dataset', d.dataset);
    p.set('project', d.how.kind === 'pca' ? 'pca' : `${d.how.a},${d.how.b}`);
    p.set('rows', String(d.rows));
  }
  p.set('clusters', String(s.clusters));
  p.set('rank', String(s.rank));
  p.set('flats', s.flats);
  p.set('arch', s.arch);
  p.set('trainer', s.trainer);
  p.set('dSae', String(s.dSae));
  p.set('k', String(s.k));
  p.set('lr', String(s.lr));
  p.set('l1', String(s.l1));
  p.set('auxk', s.auxk ? '1' : '0');
  p.set('seed', String(s.seed));
  p.set('speed', String(s.speed));
  p.set('steps', String(s.steps));
  p.set('overlays', s.overlays.join(','));
  if (s.lesson) p.set('lesson', s.lesson);
  return p.toString();
}

const NUMBER_KEYS = ['points', 'dataSeed', 'features', 'rows', 'clusters', 'rank', 'dSae', 'k', 'lr', 'l1', 'seed', 'speed', 'steps'] as const;
const TEXT_KEYS = ['data', 'xy', 'dataset', 'project', 'flats', 'arch', 'trainer', 'auxk', 'overlays', 'lesson'] as const;
const KNOWN = new Set<string>([...NUMBER_KEYS, ...TEXT_KEYS]);

/**
 * The state a text describes, fields missing from it taken from `defaults`; or null and every problem
 * (unknown keys, non-numbers, values out of range, a lesson not in `lessons`). Never throws.
 */
export function decodeLab(text: string, lessons: readonly string[], defaults: LabState = DEFAULT_LAB_STATE): { state: LabState; error: null } | { state: null; error: string } {
  const fail = (problems: string[]) => ({ state: null, error: `the lab link is not valid: ${problems.join('; ')}` }) as const;
  if (typeof text !== 'string') return fail([`expected text, got ${typeof text}`]);
  if (text.length > LAB_URL_MAX_CHARS) return fail([`it is ${text.length} characters long, over the ${LAB_URL_MAX_CHARS} a lab state can need`]);
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(text.replace(/^[#?]/, ''));
  } catch (e) {
    return fail([`it could not be read (${String(e)})`]);
  }
  const problems: string[] = [];
  const num: Partial<Record<(typeof NUMBER_KEYS)[number], number>> = {};
  const txt: Partial<Record<(typeof TEXT_KEYS)[number], string>> = {};
  const seen = new Set<string>();
  for (const [key, raw] of params) {
    if (!KNOWN.has(key)) {
      problems.push(`"${key.slice(0, 40)}" is not a lab field`);
      continue;
    }
    if (seen.has(key)) problems.push(`${key} is given twice`);
    seen.add(key);
    if ((NUMBER_KEYS as readonly string[]).includes(key)) {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) problems.push(`${key} "${raw.slice(0, 40)}" is not a number`);
      else num[key as (typeof NUMBER_KEYS)[number]] = v;
    } else txt[key as (typeof TEXT_KEYS)[number]] = raw;
  }
  const data = dataOf(txt, num, defaults.data, problems);
  const overlays = txt.overlays === undefined ? defaults.overlays : txt.overlays === '' ? [] : txt.overlays.split(',');
  const bad = overlays.filter((o) => !(LAB_OVERLAYS as readonly string[]).includes(o));
  if (bad.length > 0) problems.push(`overlays: ${bad.map((o) => `"${o.slice(0, 20)}"`).join(', ')} not one of ${LAB_OVERLAYS.join(', ')}`);
  if (txt.auxk !== undefined && txt.auxk !== '0' && txt.auxk !== '1') problems.push(`auxk "${txt.auxk.slice(0, 20)}" must be 0 or 1`);
  if (txt.lesson !== undefined && !lessons.includes(txt.lesson)) problems.push(`lesson "${txt.lesson.slice(0, 40)}" is not one of ${lessons.join(', ')}`);
  if (problems.length > 0 || !data) return fail(problems);
  const state: LabState = {
    data,
    clusters: num.clusters ?? defaults.clusters,
    rank: num.rank ?? defaults.rank,
    flats: (txt.flats ?? defaults.flats) as LabState['flats'],
    arch: (txt.arch ?? defaults.arch) as LabState['arch'],
    trainer: (txt.trainer ?? defaults.trainer) as LabState['trainer'],
    dSae: num.dSae ?? defaults.dSae,
    k: num.k ?? defaults.k,
    lr: num.lr ?? defaults.lr,
    l1: num.l1 ?? defaults.l1,
    auxk: txt.auxk === undefined ? defaults.auxk : txt.auxk === '1',
    seed: num.seed ?? defaults.seed,
    speed: num.speed ?? defaults.speed,
    steps: num.steps ?? defaults.steps,
    overlays: [...new Set(overlays)] as LabOverlay[],
    lesson: txt.lesson ?? null,
  };
  const wrong = labStateProblems(state);
  return wrong.length > 0 ? fail(wrong) : { state, error: null };
}

function dataOf(txt: Partial<Record<string, string>>, num: Partial<Record<string, number>>, fallback: LabData, problems: string[]): LabData | null {
  const kind = txt.data;
  if (kind === undefined) return fallback;
  if ((LAB_PRESETS as readonly string[]).includes(kind)) {
    const base = fallback.source === 'preset' ? fallback : (DEFAULT_LAB_STATE.data as Extract<LabData, { source: 'preset' }>);
    return { source: 'preset', preset: kind as LabPreset, points: num.points ?? base.points, seed: num.dataSeed ?? base.seed, features: num.features ?? base.features };
  }
  if (kind === 'painted') {
    const text = txt.xy ?? '';
    const pairs = text === '' ? [] : text.split(';');
    if (pairs.length > LAB_MAX_POINTS) {
      problems.push(`xy has ${pairs.length} points, over the lab's ${LAB_MAX_POINTS}`);
      return null;
    }
    const xy: number[] = [];
    for (const [i, pair] of pairs.entries()) {
      const parts = pair.split(',');
      const [x, y] = parts.map(Number);
      if (parts.length !== 2 || parts.some((q) => q.trim() === '') || !Number.isFinite(x) || !Number.isFinite(y)) {
        problems.push(`xy: point ${i} "${pair.slice(0, 30)}" is not "x,y"`);
        return null;
      }
      xy.push(roundCoord(x), roundCoord(y));
    }
    return { source: 'painted', xy };
  }
  if (kind === 'projection') {
    const project = txt.project ?? 'pca';
    let how: ProjectionHow;
    if (project === 'pca') how = { kind: 'pca' };
    else {
      const m = /^(\d{1,7}),(\d{1,7})$/.exec(project);
      if (!m) {
        problems.push(`project "${project.slice(0, 30)}" must be pca or two column indices "a,b"`);
        return null;
      }
      how = { kind: 'dims', a: Number(m[1]), b: Number(m[2]) };
    }
    if (txt.dataset === undefined) {
      problems.push('data=projection needs dataset=… (a built-in or synthetic id)');
      return null;
    }
    return { source: 'projection', dataset: txt.dataset, how, rows: num.rows ?? 500 };
  }
  problems.push(`data "${kind.slice(0, 30)}" is not one of ${[...LAB_PRESETS, 'painted', 'projection'].join(', ')}`);
  return null;
}
