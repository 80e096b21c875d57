// PAM-SGD presets: each is a valid config for its data, converts the scripts' coefficients to ours (a ridge on
// ZᵀZ divided by N, a stay-close weight on a per-element MSE multiplied by dIn), and unknown names are refused.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../../../src/core/sae/config.ts';
import { PAM_PRESETS, pamPreset } from '../../../src/core/sae/pamPresets.ts';

describe('pamPreset', () => {
  it('every preset is a valid pam-sgd config for small and large data', () => {
    for (const p of PAM_PRESETS) {
      for (const [rows, dIn] of [[300, 16], [60000, 784]]) {
        const c = { ...DEFAULT_CONFIG, dSae: 64, ...pamPreset(p, rows, dIn) };
        expect(c.trainer, p).toBe('pam-sgd');
        expect(validateConfig(c, dIn, rows), `${p} on [${rows}, ${dIn}]`).toEqual([]);
      }
    }
  });

  it("converts the scripts' coefficients to the per-row-mean convention", () => {
    expect(pamPreset('splinterp-mnist', 60000, 784)).toMatchObject({ pamSolve: 'uncentred', pamOrder: 'encoder-first', pamProxEnc: 0, pamRidge: 1e-6 / 60000, lr: 3e-3, batch: 128, gradClipNorm: 0 });
    expect(pamPreset('splinterp-llm', 9000, 2304)).toMatchObject({ pamOrder: 'decoder-first', pamProxEnc: 2304 * 1e-3, pamProxDec: 0, pamRidge: 1e-10 / 9000, gradClipNorm: 1, batch: 256 });
    expect(pamPreset('splinterp-llm', 100, 8).batch).toBe(100); // a batch never exceeds the rows
    expect(pamPreset('paper', 10, 4)).toMatchObject({ pamSolve: 'exact', pamProxEnc: 1e-3, pamProxDec: 1e-3, pamRidge: 1e-6 });
  });

  it('refuses unknown presets and impossible data sizes, naming them', () => {
    expect(() => pamPreset('official' as never, 10, 4)).toThrow(/preset "official" is unknown: use one of paper, splinterp-mnist, splinterp-llm/);
    expect(() => pamPreset('paper', 0, 4)).toThrow(/rows and dIn must be integers ≥ 1, got 0 and 4/);
  });
});
