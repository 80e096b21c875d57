// The spurious-marker built-ins (issue #6, spurious correlation removal; seed-papers.md §2.7 SCR):
// `builtin:digits-marked` and `builtin:fashion-mnist-marked` are the shipped labelled images with a
// bright 3×3 corner patch (imageMarker, value = the set's brightest pixel) added to a seeded half of the
// images, independent of the class. An SAE trained on them can learn the marker; SCR then builds a
// perfectly biased probe set from them (downstream.ts). Imports only src/core.

import type { LabelledDataset } from './card.ts';
import type { MarkedDataset } from '../ensemble/downstream.ts';
import { imageMarker, markRows } from '../ensemble/downstream.ts';

/** Which images carry the marker is fixed by this seed (the same rows in the app and the CLI). */
export const MARK_SEED = 20251121;
/** Share of images marked. */
export const MARK_FRACTION = 0.5;

/** The built-ins with a marker, and the plain built-in each is made from (with its image shape). */
export const MARKED_BUILTINS: Record<string, { base: string; shape: [number, number] }> = {
  'digits-marked': { base: 'digits', shape: [8, 8] },
  'fashion-mnist-marked': { base: 'fashion-mnist', shape: [28, 28] },
};

/** `d` (images [rows, height·width]) with the corner marker on a seeded half of the rows. */
export function markImages(d: LabelledDataset, shape: [number, number], name: string): MarkedDataset {
  let max = 0;
  for (let i = 0; i < d.x.length; i++) if (d.x[i] > max) max = d.x[i];
  const out = markRows(d, { seed: MARK_SEED, fraction: MARK_FRACTION, marker: imageMarker(shape[0], shape[1], max > 0 ? max : 1) });
  return { ...out, name };
}
