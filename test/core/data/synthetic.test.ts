// Synthetic ground-truth data: determinism, unit features, firing statistics (mean active, Zipf order,
// correlated firing), magnitudes, noise level, spec parsing. Tolerances are 5 standard errors of the
// estimate at the sample size used, so a correct generator fails with probability < 1e-6 per check
// (and every check is deterministic for its seed anyway).
import { describe, expect, it } from 'vitest';
import {
  SYNTHETIC_PRESETS,
  generateSynthetic,
  normalQuantile,
  parseSyntheticSpec,
  zipfFiringProbabilities,
  type SyntheticDataset,
  type SyntheticSpec,
} from '../../../src/core/data/synthetic.ts';
import { InputError } from '../../../src/core/errors.ts';

const small: SyntheticSpec = { ...SYNTHETIC_PRESETS.small, seed: 0 };

/** Empirical firing frequency per feature. → [nFeatures] */
function frequencies(ds: SyntheticDataset): Float64Array {
  const f = new Float64Array(ds.truth.nFeatures);
  for (const j of ds.codes.idx) f[j]++;
  return f.map((v) => v / ds.rows);
}

/** Per row: number of active features. → [rows] */
function activeCounts(ds: SyntheticDataset): Float64Array {
  const n = new Float64Array(ds.rows);
  for (let t = 0; t < ds.rows; t++) n[t] = ds.codes.offsets[t + 1] - ds.codes.offsets[t];
  return n;
}

const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
const variance = (a: Float64Array): number => {
  const m = mean(a);
  return a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1);
};

describe('generateSynthetic', () => {
  const ds = generateSynthetic(small);

  it('has the declared shapes and name', () => {
    expect(ds.rows).toBe(8192);
    expect(ds.dIn).toBe(16);
    expect(ds.x.length).toBe(8192 * 16);
    expect(ds.truth.nFeatures).toBe(32);
    expect(ds.truth.features.length).toBe(32 * 16);
    expect(ds.name).toBe('synthetic:small:0');
    expect(ds.codes.offsets.length).toBe(8193);
    expect(ds.codes.offsets[8192]).toBe(ds.codes.idx.length);
  });

  it('is deterministic for a seed and changes with it', () => {
    const again = generateSynthetic(small);
    expect(again.x).toEqual(ds.x);
    expect(again.truth.features).toEqual(ds.truth.features);
    expect(again.codes.idx).toEqual(ds.codes.idx);
    const other = generateSynthetic({ ...small, seed: 1 });
    expect(other.x).not.toEqual(ds.x);
    expect(other.truth.features).not.toEqual(ds.truth.features);
  });

  it('features are unit vectors', () => {
    for (let j = 0; j < 32; j++) {
      let s = 0;
      for (let d = 0; d < 16; d++) s += ds.truth.features[j * 16 + d] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 6);
    }
  });

  it('mean number of active features ≈ meanActive (5 standard errors)', () => {
    // rows are independent and, with correlation 0, the count has variance Σ p_j(1 − p_j)
    const p = ds.firingProb;
    const v = p.reduce((s, pj) => s + pj * (1 - pj), 0);
    expect(Math.abs(mean(activeCounts(ds)) - 3)).toBeLessThan(5 * Math.sqrt(v / ds.rows));
  });

  it('empirical frequencies follow the Zipf probabilities and their order', () => {
    const f = frequencies(ds);
    const p = ds.firingProb;
    for (let j = 0; j < 32; j++) expect(Math.abs(f[j] - p[j])).toBeLessThan(5 * Math.sqrt((p[j] * (1 - p[j])) / ds.rows));
    // blocks of 8 features: strictly decreasing mean frequency
    const block = (b: number): number => mean(f.subarray(b * 8, b * 8 + 8));
    for (let b = 1; b < 4; b++) expect(block(b)).toBeLessThan(block(b - 1));
    // small is learnable: the rarest feature still fires in ≥ 1% of rows
    expect(Math.min(...p)).toBeGreaterThan(0.01);
  });

  it('magnitudes are positive with mean ≈ magnitudeMean', () => {
    const val = ds.codes.val;
    expect(Math.min(...val)).toBeGreaterThan(0);
    // N(1, 0.25²) truncated at 0 (a 4σ cut): mean 1 within 5·0.25/√n
    expect(Math.abs(mean(Float64Array.from(val)) - 1)).toBeLessThan((5 * 0.25) / Math.sqrt(val.length));
  });

  it('x = Σ a_j g_j + noise with noise std ≈ noiseStd', () => {
    const spec: SyntheticSpec = { ...small, rows: 4096, noiseStd: 0.1, seed: 5 };
    const d = generateSynthetic(spec);
    let s2 = 0;
    for (let t = 0; t < d.rows; t++) {
      const clean = new Float64Array(16);
      for (let k = d.codes.offsets[t]; k < d.codes.offsets[t + 1]; k++) {
        for (let i = 0; i < 16; i++) clean[i] += d.codes.val[k] * d.truth.features[d.codes.idx[k] * 16 + i];
      }
      for (let i = 0; i < 16; i++) s2 += (d.x[t * 16 + i] - clean[i]) ** 2;
    }
    const n = d.rows * 16;
    // the sample std of n Gaussians has relative standard error ≈ 1/√(2n)
    expect(Math.abs(Math.sqrt(s2 / n) / 0.1 - 1)).toBeLessThan(5 / Math.sqrt(2 * n));
    // without noise the residual is f32 rounding only
    const quiet = generateSynthetic({ ...spec, noiseStd: 0 });
    let maxResidual = 0;
    for (let t = 0; t < 64; t++) {
      for (let i = 0; i < 16; i++) {
        let c = 0;
        for (let k = quiet.codes.offsets[t]; k < quiet.codes.offsets[t + 1]; k++) c += quiet.codes.val[k] * quiet.truth.features[quiet.codes.idx[k] * 16 + i];
        maxResidual = Math.max(maxResidual, Math.abs(quiet.x[t * 16 + i] - c));
      }
    }
    expect(maxResidual).toBeLessThan(1e-5);
  });

  it('correlation > 0 increases co-firing and keeps the marginals', () => {
    // 16 features, p_j = 2/16 each (zipf 0). Independent: E[#co-firing pairs per row] = C(16,2)·p² = 1.875
    const base: SyntheticSpec = { ...small, nFeatures: 16, dIn: 8, rows: 20000, meanActive: 2, zipfExponent: 0, seed: 7 };
    const pairs = (d: SyntheticDataset): Float64Array => activeCounts(d).map((n) => (n * (n - 1)) / 2);
    const ind = generateSynthetic({ ...base, correlation: 0 });
    const cor = generateSynthetic({ ...base, correlation: 0.5 });
    const pi = pairs(ind);
    const pc = pairs(cor);
    expect(Math.abs(mean(pi) - 1.875)).toBeLessThan(5 * Math.sqrt(variance(pi) / pi.length));
    expect(mean(pc)).toBeGreaterThan(1.5 * mean(pi));
    // marginals: still p_j = 0.125 per feature (copula), mean active ≈ 2
    const nc = activeCounts(cor);
    expect(Math.abs(mean(nc) - 2)).toBeLessThan(5 * Math.sqrt(variance(nc) / nc.length));
    const f = frequencies(cor);
    // correlated rows inflate the variance of a per-feature frequency only through rows, which stay independent
    for (const fj of f) expect(Math.abs(fj - 0.125)).toBeLessThan(5 * Math.sqrt((0.125 * 0.875) / base.rows));
  });

  it('rejects bad specs with InputError', () => {
    expect(() => generateSynthetic({ ...small, correlation: 1 })).toThrow(InputError);
    expect(() => generateSynthetic({ ...small, meanActive: 40 })).toThrow(InputError);
    expect(() => generateSynthetic({ ...small, rows: 0 })).toThrow(InputError);
    expect(() => generateSynthetic({ ...small, magnitudeMean: 0 })).toThrow(InputError);
    expect(() => generateSynthetic({ ...small, seed: -1 })).toThrow(InputError);
  });

  it('names a custom spec by its fields', () => {
    const d = generateSynthetic({ ...small, rows: 10, seed: 3 });
    expect(d.name.startsWith('synthetic:custom:')).toBe(true);
    expect(d.name).toContain('rows=10');
    expect(d.name).toContain('seed=3');
  });
});

describe('zipfFiringProbabilities', () => {
  it('sums to meanActive, decreases, and follows (j+1)^−s below the cap', () => {
    const p = zipfFiringProbabilities(32, 3, 0.5);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(3, 12);
    for (let j = 1; j < 32; j++) expect(p[j]).toBeLessThan(p[j - 1]);
    expect(p[3] / p[0]).toBeCloseTo(0.5, 12); // (4/1)^−0.5
  });

  it('caps at 1 and redistributes (water-filling)', () => {
    // weights 1, 1/4, 1/9, 1/16 with Σp = 3: p0 would be > 1 → capped; the rest share 2
    const p = zipfFiringProbabilities(4, 3, 2);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(3, 12);
    for (const v of p) expect(v).toBeLessThanOrEqual(1);
    expect(p[0]).toBe(1);
    expect(Array.from(zipfFiringProbabilities(3, 3, 1))).toEqual([1, 1, 1]);
  });
});

describe('normalQuantile', () => {
  it('matches known quantiles', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    // reference values from Python's statistics.NormalDist().inv_cdf; the approximation is good to 2e-7
    expect(Math.abs(normalQuantile(0.975) - 1.9599639845400536)).toBeLessThan(2e-7);
    expect(Math.abs(normalQuantile(0.03) + 1.8807936081512509)).toBeLessThan(2e-7);
    expect(Math.abs(normalQuantile(0.01) + 2.3263478740408408)).toBeLessThan(1e-8);
    expect(Math.abs(normalQuantile(1e-5) + 4.2648907939228256)).toBeLessThan(1e-8);
    expect(Math.abs(normalQuantile(0.9) - 1.2815515655446008)).toBeLessThan(1e-8);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
  });
});

describe('parseSyntheticSpec', () => {
  it('parses presets with and without a seed', () => {
    expect(parseSyntheticSpec('synthetic:small')).toEqual({ ...SYNTHETIC_PRESETS.small, seed: 0 });
    expect(parseSyntheticSpec('synthetic:medium:42')).toEqual({ ...SYNTHETIC_PRESETS.medium, seed: 42 });
    expect(parseSyntheticSpec('synthetic:large:7').nFeatures).toBe(2048);
  });

  it('round-trips through the dataset name', () => {
    const spec = parseSyntheticSpec('synthetic:small:7');
    expect(generateSynthetic({ ...spec, rows: spec.rows }).name).toBe('synthetic:small:7');
  });

  it('rejects unknown presets (listing the known ones) and bad seeds', () => {
    expect(() => parseSyntheticSpec('synthetic:huge')).toThrow(/small, medium, large/);
    expect(() => parseSyntheticSpec('synthetic:huge')).toThrow(InputError);
    expect(() => parseSyntheticSpec('synthetic:toString')).toThrow(InputError);
    for (const bad of ['synthetic:small:abc', 'synthetic:small:-1', 'synthetic:small:1.5', 'synthetic:small:', 'synthetic:small:99999999999']) {
      expect(() => parseSyntheticSpec(bad)).toThrow(InputError);
    }
    expect(() => parseSyntheticSpec('glove:small')).toThrow(InputError);
    expect(() => parseSyntheticSpec('synthetic')).toThrow(InputError);
  });

  it('presets have the documented shapes', () => {
    expect(SYNTHETIC_PRESETS.small).toMatchObject({ dIn: 16, nFeatures: 32, rows: 8192, meanActive: 3, zipfExponent: 0.5, magnitudeMean: 1, magnitudeStd: 0.25, correlation: 0, noiseStd: 0.01 });
    expect(SYNTHETIC_PRESETS.medium).toMatchObject({ dIn: 64, nFeatures: 256, rows: 32768, meanActive: 8, zipfExponent: 0.8, correlation: 0.1 });
    expect(SYNTHETIC_PRESETS.large).toMatchObject({ dIn: 256, nFeatures: 2048, rows: 65536, meanActive: 16, zipfExponent: 1 });
  });
});
