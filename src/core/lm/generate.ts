// Greedy generation from BOS with the stories260K reference forward pass (the golden test of the model:
// "Once upon a time, there was a little girl named Lily. ..."). Imports only src/core.

import type { ActivationHook } from './forward.ts';
import { createLmState, forwardToken } from './forward.ts';
import type { LmModel } from './model.ts';
import { BOS, EOS } from './model.ts';
import { decode } from './tokenizer.ts';

export interface GenerateOptions {
  /** Text to continue (encoded with the dummy prefix after BOS); default: none, start from BOS alone. */
  prompt?: Int32Array;
  /** Stop at EOS (default true; EOS is not included in the result). */
  stopAtEos?: boolean;
  /** Activations of every forward step (BOS, prompt and generated tokens, in order). */
  record?: ActivationHook;
  /** The logits each generated token was chosen from. step: 0-based; logits: [vocabSize] (a view; copy it). */
  onLogits?: (step: number, logits: Float32Array) => void;
}

export interface Generation {
  /** Generated token ids, without BOS, prompt or EOS. [n] */
  tokens: Int32Array;
  /** decode(prompt + tokens). */
  text: string;
  /** True when generation ended at EOS. */
  stoppedAtEos: boolean;
}

/** Index of the largest value, the lower index on ties.  x: [n] */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/**
 * Greedy decoding: feed BOS (then the prompt), repeatedly take the argmax of the logits as the next token,
 * up to `maxTokens` new tokens (bounded by the model's seqLen) or EOS.
 */
export function generateGreedy(model: LmModel, maxTokens: number, options: GenerateOptions = {}): Generation {
  const state = createLmState(model.config);
  const prompt = options.prompt ?? new Int32Array(0);
  const stopAtEos = options.stopAtEos ?? true;
  const limit = Math.max(0, Math.min(maxTokens, model.config.seqLen - 1 - prompt.length));
  const out: number[] = [];
  let stoppedAtEos = false;
  let logits: Float32Array | null = null;
  for (const t of [BOS, ...prompt]) logits = forwardToken(model, state, t, { record: options.record });
  for (let step = 0; step < limit; step++) {
    const l = logits as Float32Array;
    options.onLogits?.(step, l);
    const next = argmax(l);
    if (next === EOS && stopAtEos) {
      stoppedAtEos = true;
      break;
    }
    out.push(next);
    if (step + 1 < limit) logits = forwardToken(model, state, next, { record: options.record });
  }
  const tokens = Int32Array.from(out);
  const all = new Int32Array(prompt.length + tokens.length);
  all.set(prompt);
  all.set(tokens, prompt.length);
  return { tokens, text: decode(model.vocab, all), stoppedAtEos };
}
