// Random SAEs for tests: unit decoder rows, encoder = decoder + noise, small biases, thresholds for the
// architectures that have them. Seeded through the project's PRNG only.
import type { Rng } from '../../src/core/math/random.ts';
import type { Arch, Sae } from '../../src/core/sae/types.ts';
import { zeroSae } from '../../src/core/sae/types.ts';

export function randomSae(arch: Arch, dIn: number, dSae: number, k: number, inputScale: number, rng: Rng): Sae {
  const sae = zeroSae(arch, dIn, dSae, k);
  for (let i = 0; i < dSae; i++) {
    let norm = 0;
    for (let d = 0; d < dIn; d++) norm += (sae.wDec[i * dIn + d] = rng.normal()) ** 2;
    for (let d = 0; d < dIn; d++) {
      sae.wDec[i * dIn + d] /= Math.sqrt(norm);
      sae.wEnc[i * dIn + d] = sae.wDec[i * dIn + d] + 0.3 * rng.normal();
    }
    sae.bEnc[i] = 0.1 * rng.normal();
  }
  for (let d = 0; d < dIn; d++) sae.bDec[d] = 0.2 * rng.normal();
  if (arch === 'jumprelu') sae.logThreshold.fill(Math.log(0.3));
  if (arch === 'batchtopk') sae.batchThreshold = 0.4;
  sae.inputScale = inputScale;
  return sae;
}
