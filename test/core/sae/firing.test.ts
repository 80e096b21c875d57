// The firing-statistics twin (src/core/sae/firing.ts): counts, tokens since fired and the dead mask on a
// hand-checked example; it is the same loop train.ts runs. Imports src/core and vitest only.

import { describe, expect, it } from 'vitest';
import { deadMask, updateFiring } from '../../../src/core/sae/firing.ts';

describe('updateFiring / deadMask', () => {
  it('counts fires, resets and ages tokensSinceFired, and marks the dead', () => {
    // f [batch 3, dSae 4]: latent 0 fires twice, 1 never (a zero is not a fire), 2 once, 3 never (negative)
    const f = Float32Array.from([1, 0, 0, -1, 2, 0, 0, 0, 0, 0, 0.5, -2]);
    const counts = Float64Array.from([10, 0, 5, 7]);
    const since = Float64Array.from([6, 6, 6, 0]);
    expect(updateFiring(f, 3, 4, counts, since)).toBe(3);
    expect(Array.from(counts)).toEqual([12, 0, 6, 7]);
    expect(Array.from(since)).toEqual([0, 9, 0, 3]);
    const dead = new Uint8Array(4);
    expect(deadMask(since, 3, dead)).toBe(2);
    expect(Array.from(dead)).toEqual([0, 1, 0, 1]);
  });

  it('names the sizes when f is too short', () => {
    expect(() => updateFiring(new Float32Array(5), 2, 3, new Float64Array(3), new Float64Array(3))).toThrow('needs batch·dSae = 2·3 = 6');
  });
});
