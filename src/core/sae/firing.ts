// Firing statistics of one training step (sae-libraries §3.4): per-latent fire counts, tokens since each
// latent last fired, and the dead mask AuxK reads on the next step. The CPU twin of shaders/firing.wgsl,
// extracted from the loop of train.ts. Imports nothing (plain typed arrays).

/**
 * Adds one step's codes f ([batch, dSae], fired = f > 0) to the counters of one SAE (one ensemble member):
 * firingCounts[i] += n_i; tokensSinceFired[i] = n_i > 0 ? 0 : tokensSinceFired[i] + batch.
 * Float64 counters are exact to 2⁵³ tokens. Returns Σ_i n_i (the step's active latents, for L0).
 */
export function updateFiring(f: Float32Array, batch: number, dSae: number, firingCounts: Float64Array, tokensSinceFired: Float64Array): number {
  if (f.length < batch * dSae) throw new Error(`updateFiring: f has ${f.length} values, needs batch·dSae = ${batch}·${dSae} = ${batch * dSae}`);
  let active = 0;
  for (let i = 0; i < dSae; i++) {
    let n = 0;
    for (let t = 0; t < batch; t++) if (f[t * dSae + i] > 0) n++;
    active += n;
    firingCounts[i] += n;
    tokensSinceFired[i] = n > 0 ? 0 : tokensSinceFired[i] + batch;
  }
  return active;
}

/** dead[i] = 1 when latent i has not fired for deadWindowTokens tokens, else 0; returns how many are dead. */
export function deadMask(tokensSinceFired: Float64Array, deadWindowTokens: number, dead: Uint8Array): number {
  let nDead = 0;
  for (let i = 0; i < tokensSinceFired.length; i++) {
    dead[i] = tokensSinceFired[i] >= deadWindowTokens ? 1 : 0;
    nDead += dead[i];
  }
  return nDead;
}
