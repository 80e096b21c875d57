// The shared vocabulary of every layer: architectures, the SAE's parameters, datasets.
// Pure types and tiny constructors; imports nothing.
//
// Layout rule (shared/DESIGN.md): weights are latent-major, wEnc and wDec are [dSae, dIn] row-major,
// row i = latent i. SAELens spellings (W_enc [d_in, d_sae]) appear only in saelens.ts.

/** SAE architectures the reference trains. BatchTopK is exported to SAELens as `jumprelu`. */
export type SaeArch = 'topk' | 'batchtopk' | 'relu' | 'jumprelu';
export const SAE_ARCHS: readonly SaeArch[] = ['topk', 'batchtopk', 'relu', 'jumprelu'];
/**
 * The cluster model families (issue #12, seed-papers §3.3–3.4): the k-means autoencoder and k-means + local PCA
 * (k-flats). They are held in the SAE's parameter layout (src/core/cluster/model.ts says how) and their
 * forward pass, fit and export live in src/core/cluster/.
 */
export type ClusterArch = 'kmeans' | 'kflats';
export const CLUSTER_ARCHS: readonly ClusterArch[] = ['kmeans', 'kflats'];
/** Every model a run trains: the option list of the app's select, the CLI's --arch and the URL. */
export type Arch = SaeArch | ClusterArch;
export const ARCHS: readonly Arch[] = [...SAE_ARCHS, ...CLUSTER_ARCHS];
export const isClusterArch = (a: string): a is ClusterArch => (CLUSTER_ARCHS as readonly string[]).includes(a);

/**
 * A sparse autoencoder, in the SAE's own (possibly scaled) input space.
 * The SAE sees x' = inputScale · x; export folds inputScale into the weights (sae-libraries §2.3).
 *   z    = wEnc·(x' − bDec) + bEnc          // [dSae] pre-activations
 *   f    = activation(z)                     // arch-specific, see sae.ts
 *   x̂'   = Σ_i f_i·wDec[i] + bDec            // reconstruction in scaled space; x̂ = x̂' / inputScale
 */
export interface Sae {
  arch: Arch;
  dIn: number;
  dSae: number;
  /** topk: latents kept per token; batchtopk: mean latents per token in training (batch·k kept per batch). Unused by relu/jumprelu (0). */
  k: number;
  wEnc: Float32Array; // [dSae, dIn]
  bEnc: Float32Array; // [dSae]
  wDec: Float32Array; // [dSae, dIn], rows unit-norm while training
  bDec: Float32Array; // [dIn]
  /** jumprelu: learned log-threshold per latent, θ_i = exp(logThreshold_i). Length 0 for other archs. */
  logThreshold: Float32Array; // [dSae] or [0]
  /** batchtopk: inference threshold θ (EMA of the smallest kept activation per batch); 0 for other archs. */
  batchThreshold: number;
  /** s in x' = s·x; 1 when input scaling is off. */
  inputScale: number;
  /**
   * topk only: true = the SplInterp scripts' signed top-K (the k largest |z|, signs kept, no ReLU; seed-papers
   * §3.6 "Sparsifier", config topkSelect 'abs-signed'). Absent or false = the k largest z, then ReLU.
   */
  topkSigned?: boolean;
}

/** Ground-truth features of a synthetic dataset (for MCC / uniqueness). */
export interface GroundTruth {
  nFeatures: number;
  features: Float32Array; // [nFeatures, dIn], unit rows
}

/** Activations in memory. */
export interface Dataset {
  name: string;
  rows: number;
  dIn: number;
  x: Float32Array; // [rows, dIn] row-major
  truth?: GroundTruth;
}

/** Allocates a zero SAE of the given shape (no init: see init.ts). */
export function zeroSae(arch: Arch, dIn: number, dSae: number, k: number): Sae {
  return {
    arch,
    dIn,
    dSae,
    k: arch === 'topk' || arch === 'batchtopk' ? k : 0,
    wEnc: new Float32Array(dSae * dIn),
    bEnc: new Float32Array(dSae),
    wDec: new Float32Array(dSae * dIn),
    bDec: new Float32Array(dIn),
    logThreshold: new Float32Array(arch === 'jumprelu' ? dSae : 0),
    batchThreshold: 0,
    inputScale: 1,
  };
}

/** Deep copy (typed arrays copied). */
export function cloneSae(s: Sae): Sae {
  return {
    ...s,
    wEnc: s.wEnc.slice(),
    bEnc: s.bEnc.slice(),
    wDec: s.wDec.slice(),
    bDec: s.bDec.slice(),
    logThreshold: s.logThreshold.slice(),
  };
}
