// What a training config costs in memory, estimated from its shape before anything is allocated (issue #13:
// hostile input costs nothing). validateConfig (config.ts) checks the estimate against MAX_TRAINING_BYTES,
// so `--latents 2e7` is one line of refusal instead of 13 GB and a dead process. Imports only src/core.
//
// The estimate is what every backend allocates for one SAE (the WGSL engine and the CPU reference alike):
//   parameters P = 2·dSae·dIn + dSae + dIn (+ dSae thresholds for jumprelu), each held 4 times in f32:
//     the weights, Adam's m and v, the gradient                                   16·P bytes
//   the dense batch buffers: pre-activations z and codes [batch, dSae], the rows and x̂ [batch, dIn]
//                                                                                  8·batch·(dSae + dIn)
//   pam-sgd's decoder solve: the Gram matrix and its factor, [dSae, dSae]         8·dSae²
// times the SAEs a run holds at once (bagging members; the expanded SAE's dSae is already J·dSae). The
// CPU reference adds transient f64 gradients on top; the limit leaves room for them.

import type { Arch } from './types.ts';

/** The fields of a config the estimate reads (a structural type, so config.ts can import this file). */
export interface MemoryShape {
  arch: Arch;
  trainer: string;
  dSae: number;
  batch: number;
}

/** Bytes a run of `c` on data of width dIn needs for `members` SAEs held at once (see the header). */
export function configBytes(c: MemoryShape, dIn: number, members = 1): number {
  const L = c.dSae;
  const params = 2 * L * dIn + L + dIn + (c.arch === 'jumprelu' ? L : 0);
  const batch = 8 * c.batch * (L + dIn);
  const pam = c.trainer === 'pam-sgd' ? 8 * L * L : 0;
  return members * (16 * params + batch + pam);
}

/**
 * The largest dSae whose configBytes fits `limitBytes` with every other field of `c` as given (0 when even
 * one latent does not fit): the number a refusal suggests. configBytes grows with dSae, so a bisection.
 */
export function largestDSaeWithin(c: MemoryShape, dIn: number, members: number, limitBytes: number): number {
  let lo = 0;
  let hi = 1;
  while (configBytes({ ...c, dSae: hi }, dIn, members) <= limitBytes && hi < 2 ** 40) hi *= 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (configBytes({ ...c, dSae: mid }, dIn, members) <= limitBytes) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Bytes as a short human number: 13.1 GiB, 512.0 MiB. */
export function formatBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(1)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  return `${(b / 2 ** 10).toFixed(1)} KiB`;
}
