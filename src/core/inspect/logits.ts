// A latent's direct logit effects (sae_vis / SAEDashboard / Neuronpedia "logit effects", sae-libraries.md §5):
// which tokens its decoder direction d_i promotes and suppresses when read straight through a language
// model's unembedding, the top and bottom of e = W_U · (γ ⊙ d_i). Pure loops over typed arrays; imports only
// src/core (the LM weights' type), never the DOM, WebGPU, Node, React or the engine.
//
// The final norm (issue #14): stories260K ends in RMSNorm, y = γ ⊙ r / rms(r), then the tied unembedding W_U
// (the token embedding, [vocab, dim]). As TransformerLens's fold_ln (which SAELens / SAEDashboard load models
// with) we fold the per-dimension weight γ into W_U and leave out the 1/rms(r) factor: it is one positive
// number per token position, set by the whole residual, not by this latent, so it scales every logit alike
// and never changes which tokens are promoted. Then e·(1/rms(d_i)) is exactly the logits the model would
// give a residual equal to d_i (logitsFromResidual), which the test checks. The effect is the direct path
// only: a resid:L site with L < nLayers still passes the blocks after L, which this ignores (as the
// dashboards do). An mlp:L site is not in the residual stream at all (its direction enters through w2 and
// later blocks), so the inspector shows no logit effects there.

import { InputError } from '../errors.ts';
import type { LmConfig, LmWeights } from '../lm/model.ts';
import { checkInt } from './checks.ts';

/** One token's logit effect: e_v = Σ_d W_U[v, d] · γ_d · d_i[d]. */
export interface TokenEffect {
  token: number;
  value: number;
}

export interface LogitEffects {
  /** The k tokens with the largest e_v, value desc, ties to the lower token id. */
  promoted: TokenEffect[];
  /** The k tokens with the smallest e_v, value asc, ties to the lower token id. */
  suppressed: TokenEffect[];
}

/** e = W_U · (γ ⊙ direction) for every token: direction [dim] → [vocabSize] (f64 sums). */
export function logitEffectVector(lm: { config: Pick<LmConfig, 'dim' | 'vocabSize'>; weights: Pick<LmWeights, 'tokenEmbedding' | 'rmsFinal'> }, direction: ArrayLike<number>): Float64Array {
  const { dim, vocabSize } = lm.config;
  const { tokenEmbedding, rmsFinal } = lm.weights;
  if (direction.length !== dim)
    throw new InputError(`logit effects: the decoder direction has ${direction.length} values but the model's residual stream has ${dim}: logit effects need an SAE trained on a resid:L site of this model`);
  if (tokenEmbedding.length !== vocabSize * dim || rmsFinal.length !== dim)
    throw new InputError(`logit effects: weights: expected tokenEmbedding [${vocabSize}, ${dim}] and rmsFinal [${dim}], got ${tokenEmbedding.length} and ${rmsFinal.length} values`);
  const g = new Float64Array(dim); // [dim] γ ⊙ d
  for (let d = 0; d < dim; d++) g[d] = rmsFinal[d] * direction[d];
  const e = new Float64Array(vocabSize); // [vocabSize]
  for (let v = 0; v < vocabSize; v++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += tokenEmbedding[v * dim + d] * g[d];
    e[v] = s;
  }
  return e;
}

/** The k most promoted and k most suppressed tokens of logitEffectVector (k clipped to vocabSize). */
export function logitEffects(lm: Parameters<typeof logitEffectVector>[0], direction: ArrayLike<number>, k: number): LogitEffects {
  checkInt('logit effects', 'k', k, 0);
  const e = logitEffectVector(lm, direction);
  const ids = Array.from(e, (_, v) => v);
  const n = Math.min(k, e.length);
  const promoted = [...ids].sort((a, b) => e[b] - e[a] || a - b).slice(0, n);
  const suppressed = [...ids].sort((a, b) => e[a] - e[b] || a - b).slice(0, n);
  return { promoted: promoted.map((v) => ({ token: v, value: e[v] })), suppressed: suppressed.map((v) => ({ token: v, value: e[v] })) };
}
