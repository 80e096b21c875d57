// The dense fraction: the share of latents that fire on more than one token in ten. A health metric
// beside the dead fraction (an SAE whose latents fire everywhere is not sparse in the way that matters
// for interpretability). It reads the log10 firing densities the engine already has for every latent
// (Snapshot.density.log10, sparsity.safetensors), so the UI shows it without another engine call.
// Imports nothing: src/core only.

/** A latent is dense when its log10 firing density exceeds this (density > 0.1). */
export const DENSE_LOG10 = -1;

/** The tooltip of every place the dense fraction is shown (runs table, metrics, live plot). */
export const DENSE_FORMULA = 'share of latents with firing density > 0.1, i.e. log10(n_i / tokens) > −1 (from the training firing counts)';

/**
 * Share of latents i with log10Density[i] > DENSE_LOG10 (strictly: a density of exactly 0.1 is not dense),
 * in [0, 1]; 0 for no latents. NaN entries count as not dense. log10Density: [dSae], log10(n_i / tokens + ε).
 */
export function denseFraction(log10Density: ArrayLike<number>): number {
  const n = log10Density.length;
  if (n === 0) return 0;
  let dense = 0;
  for (let i = 0; i < n; i++) if (log10Density[i] > DENSE_LOG10) dense++;
  return dense / n;
}
