// The cluster-layout folder (issue #12): a k-means / k-flats model round-trips exactly and computes the same
// function; what is not a valid folder is refused naming the file, the field, the expectation and what was
// found: wrong format or version, bad sizes (checked before any tensor), a missing or extra or misshaped tensor,
// a non-orthonormal basis, non-finite values; and SAELens export refuses the cluster families.
import { describe, expect, it } from 'vitest';
import { fromClusterFolder, isClusterCfg, toClusterFolder } from '../../../src/core/formats/clusterFolder.ts';
import { fromModelFolder, toModelFolder, weightsFileOf } from '../../../src/core/formats/modelFolder.ts';
import { toSaeLens } from '../../../src/core/formats/saelens.ts';
import { writeSafetensors } from '../../../src/core/formats/safetensors.ts';
import { clusterToSae, reconstruct, saeToCluster, zeroClusterModel } from '../../../src/core/cluster/model.ts';
import { fitKFlats } from '../../../src/core/cluster/kflats.ts';
import { fitKMeans } from '../../../src/core/cluster/kmeans.ts';
import { createRng } from '../../../src/core/math/random.ts';
import { evaluateSae } from '../../../src/core/sae/evaluate.ts';

const rng = createRng(5);
const x = Float32Array.from({ length: 60 * 5 }, () => rng.normal());
const kflats = clusterToSae(fitKFlats(x, 60, 5, 3, 2, 1).model);
const kmeans = clusterToSae(fitKMeans(x, 60, 5, 4, 1).model);
const cfgOf = (o: Record<string, unknown>): string => JSON.stringify({ format: 'sae-workbench-cluster', format_version: 1, architecture: 'kflats', d_in: 5, clusters: 3, rank: 2, dtype: 'float32', ...o });

describe('cluster folder', () => {
  it('round-trips k-means and k-flats exactly (same tensors, same reconstruction); the weights file is model.safetensors', () => {
    for (const sae of [kmeans, kflats]) {
      const f = toModelFolder(sae, { provenance: { seed: 1 } });
      expect(f.weightsFile).toBe('model.safetensors');
      expect(weightsFileOf(f.cfgJson)).toBe('model.safetensors');
      expect(isClusterCfg(f.cfgJson)).toBe(true);
      const back = fromModelFolder(f.cfgJson, f.weights, 'dir');
      expect(back).toEqual(sae);
      const m = saeToCluster(back);
      expect(Array.from(reconstruct(m, x, 60))).toEqual(Array.from(reconstruct(saeToCluster(sae), x, 60)));
    }
    expect(JSON.parse(toClusterFolder(kmeans).cfgJson)).toMatchObject({ architecture: 'kmeans', clusters: 4, rank: 0, d_in: 5 });
  });

  it('the evaluation reads the export (same metrics as the live model)', () => {
    const r = evaluateSae(kflats, { name: 'x', rows: 60, dIn: 5, x });
    const xHat = reconstruct(saeToCluster(kflats), x, 60);
    let sse = 0;
    for (let i = 0; i < x.length; i++) sse += (x[i] - xHat[i]) ** 2;
    expect(r.metrics.msePerToken).toBeCloseTo(sse / 60, 6);
    expect(r.metrics.l0).toBeGreaterThan(2.9);
    expect(r.metrics.l0).toBeLessThanOrEqual(3);
  });

  it('SAELens export refuses them, saying why and what to use', () => {
    expect(() => toSaeLens(kmeans)).toThrow(/a kmeans model has no SAELens architecture .*no cluster-assignment encoder.*cfg\.json \+ model\.safetensors/);
  });

  const weightsOf = (tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array => writeSafetensors(tensors);
  const good = saeToCluster(kflats);
  const goodTensors = { means: { shape: [3, 5], data: good.means }, bases: { shape: [3, 2, 5], data: good.bases } };

  it.each([
    ['another format', cfgOf({ format: 'x' }), /dir\/cfg\.json: format: expected "sae-workbench-cluster", got "x"/],
    ['another version', cfgOf({ format_version: 2 }), /format_version: expected 1 \(this build's\), got 2/],
    ['an unknown architecture', cfgOf({ architecture: 'gmm' }), /architecture: expected "kmeans" or "kflats", got "gmm"/],
    ['a fractional d_in', cfgOf({ d_in: 2.5 }), /d_in: expected an integer ≥ 1, got 2\.5/],
    ['kmeans with a rank', cfgOf({ architecture: 'kmeans', rank: 1 }), /rank: expected 0 for architecture "kmeans", got 1/],
    ['a rank past d_in', cfgOf({ rank: 6 }), /rank: expected at most d_in = 5, got 6/],
    ['a size bomb (checked before the tensors)', cfgOf({ clusters: 1e9 }), /clusters × \(2·rank \+ 1\) × d_in: expected at most 268435456 values/],
    ['not JSON', '{', /cfg\.json: JSON: expected valid JSON/],
  ])('refuses cfg.json with %s', (_, cfg, re) => {
    expect(() => fromClusterFolder(cfg, weightsOf(goodTensors), 'dir')).toThrow(re);
  });

  it('refuses a missing, extra or misshaped tensor, and a basis that is not orthonormal', () => {
    const cfg = cfgOf({});
    expect(() => fromClusterFolder(cfg, weightsOf({ means: goodTensors.means }), 'dir')).toThrow(/dir\/model\.safetensors: bases: expected present/);
    expect(() => fromClusterFolder(cfg, weightsOf({ ...goodTensors, extra: { shape: [1], data: new Float32Array(1) } }), 'dir')).toThrow(/tensors: expected exactly means, bases .*got extra extra/);
    expect(() => fromClusterFolder(cfg, weightsOf({ ...goodTensors, means: { shape: [5, 3], data: good.means } }), 'dir')).toThrow(/means\.shape: expected \[3, 5\] \(cfg\.json\), got \[5, 3\]/);
    const skew = good.bases.slice();
    skew[0] += 0.5;
    expect(() => fromClusterFolder(cfg, weightsOf({ ...goodTensors, bases: { shape: [3, 2, 5], data: skew } }), 'dir')).toThrow(/bases\[0\]: expected orthonormal rows .*numpy\.linalg\.qr/);
    const nan = good.means.slice();
    nan[7] = NaN;
    expect(() => fromClusterFolder(cfg, weightsOf({ ...goodTensors, means: { shape: [3, 5], data: nan } }), 'dir')).toThrow(/means\[1, 2\]/);
  });

  it('a rank-0 k-flats folder stores no bases', () => {
    const m = zeroClusterModel(5, 2, 0);
    m.means.set(x.subarray(0, 10));
    const f = toClusterFolder(clusterToSae(m, 'kflats'));
    expect(fromClusterFolder(f.cfgJson, f.weights, 'd')).toEqual(clusterToSae(m, 'kflats'));
  });
});
