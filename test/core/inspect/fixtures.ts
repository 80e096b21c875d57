// The hand-worked SAE and rows the inspector's core tests share (values worked out in the comments).
import type { Arch, Dataset, Sae } from '../../../src/core/sae/types.ts';
import { zeroSae } from '../../../src/core/sae/types.ts';

export const f32 = (a: number[]): Float32Array => Float32Array.from(a);

/**
 * dIn = 2, dSae = 3, bEnc = bDec = 0:
 *   wEnc: e0 = (1,0), e1 = (0,1), e2 = (−1,−1)   → for x ≥ 0: f0 = x0, f1 = x1, f2 = 0 (never fires)
 *   wDec: d0 = (1,0), d1 = (0.6,0.8), d2 = (0,1)
 */
export function tinySae(arch: Arch = 'relu', k = 0): Sae {
  const s = zeroSae(arch, 2, 3, k);
  s.wEnc.set([1, 0, 0, 1, -1, -1]);
  s.wDec.set([1, 0, 0.6, 0.8, 0, 1]);
  return s;
}

/** Rows (x0, x1): f0 = 2,1,0,3,0 and f1 = 0,3,1,3,0 under the relu tinySae. */
export const tinyData: Dataset = { name: 'tiny', rows: 5, dIn: 2, x: f32([2, 0, 1, 3, 0, 1, 3, 3, 0, 0]) };
