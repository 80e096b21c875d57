// Boosting's residual dataset on the GPU (src/engine/training/residual.ts:computeResidualData) against its CPU twin
// (src/core/ensemble/boosting.ts:boostingResidual): dIn 1 / 7 / 16 (scalar and vec4 encoder paths), 1–3 TopK
// stages with inputScale ≠ 1, rows not a multiple of the chunk, a ReLU stage between TopK stages (CPU
// fallback), exact ties, several staging buffers, the default chunk size and its tail. Grids past 65,535
// workgroups are the kernels' own (encode, topk, decode fold them; their tests in test/gpu/ cover it): a
// 65,537-row chunk here took 5–16 s on SwiftShader for nothing this file adds.
// Imports src/core, src/engine and the test helpers; Node + Dawn (SwiftShader) only.
//
// Tolerance: a per-run bound propagated through the stages along the twin's own path (errorBound below).
// With ε = 2⁻²⁴, Σ|terms| the twin run on absolute values and δr the bound on the incoming residual:
//   z:  δz_i = (2·dIn + 8)·ε·(Σ_d |s·wEnc_id|·(|r_d| + |bDec_d/s|) + |bEnc_i|) + Σ_d |s·wEnc_id|·δr_d
//       (GPU: bEff and the GEMM, dIn f32 sums each; the +8 covers the folding roundings of s·wEnc and
//       bDec/s and the twin's own roundings of s·r and z);
//   x̂:  δx̂_d = (k + 8)·ε·(Σ_{i∈S} |val_i·wDec_id/s| + |bDec_d/s|) + Σ_{i∈S} δz_i·|wDec_id/s|
//       (k + 1 f32 sums on the GPU; ReLU after selection is 1-Lipschitz so δval ≤ δz);
//   r′: δr′_d = δr_d + δx̂_d + ε·|r′_d|  (one rounding of r − x̂).
// The check uses 2× the bound. It holds only while the GPU selects the same latents: errorBound fails
// the test (instead of a flaky mismatch) when the k-th and (k+1)-th z of a row are closer than 2·δz,
// except for exact ties, which both sides compute bit-identically and break to the lower index.

import { describe, expect, it } from 'vitest';
import { boostingResidual } from '../../src/core/ensemble/boosting.ts';
import { createRng, type Rng } from '../../src/core/math/random.ts';
import { encodePre, scaleInput, topkRow } from '../../src/core/sae/sae.ts';
import { zeroSae, type Dataset, type Sae } from '../../src/core/sae/types.ts';
import { computeResidualData, type ResidualOptions } from '../../src/engine/training/residual.ts';
import { useGpu, withErrorScope } from '../helpers/gpu.ts';

const gpu = useGpu();
const EPS = 2 ** -24;

/** A random stage: unit decoder rows, encoder = decoder + noise, small biases. */
function randomStage(arch: 'topk' | 'relu', dIn: number, dSae: number, k: number, inputScale: number, rng: Rng): Sae {
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
  sae.inputScale = inputScale;
  return sae;
}

function randomData(rows: number, dIn: number, rng: Rng): Dataset {
  return { name: 'rand', rows, dIn, x: Float32Array.from({ length: rows * dIn }, () => rng.normal()) };
}

/** max_d of the propagated bound on |gpu − twin| after all stages (see the file comment). */
function errorBound(stages: readonly Sae[], data: Dataset, allowTies = false): number {
  const { rows, dIn } = data;
  let r = data.x;
  let dr = new Float64Array(rows * dIn);
  stages.forEach((stage, j) => {
    const { dSae, k, inputScale: s } = stage;
    const z = encodePre(stage, scaleInput(r, s), rows); // [rows, dSae], the twin's selection values
    const next = boostingResidual([stage], { ...data, x: r }).x;
    const dNext = new Float64Array(rows * dIn);
    for (let t = 0; t < rows; t++) {
      const dz = new Float64Array(dSae);
      for (let i = 0; i < dSae; i++) {
        let abs = Math.abs(stage.bEnc[i]);
        let prop = 0;
        for (let d = 0; d < dIn; d++) {
          const w = Math.abs(s * stage.wEnc[i * dIn + d]);
          abs += w * (Math.abs(r[t * dIn + d]) + Math.abs(stage.bDec[d] / s));
          prop += w * dr[t * dIn + d];
        }
        dz[i] = (2 * dIn + 8) * EPS * abs + prop;
      }
      let sel: number[];
      if (stage.arch === 'topk') {
        sel = topkRow(z, t * dSae, dSae, k);
        const rest = topkRow(z, t * dSae, dSae, Math.min(k + 1, dSae));
        if (rest.length > k) {
          const [a, b] = [sel[k - 1], rest[k]];
          const gap = z[t * dSae + a] - z[t * dSae + b];
          if (!(gap > 2 * (dz[a] + dz[b])) && !(allowTies && gap === 0)) {
            throw new Error(`stage ${j} row ${t}: k-th and (k+1)-th z differ by ${gap}, within the error bound ${2 * (dz[a] + dz[b])}; pick another seed`);
          }
        }
      } else {
        sel = Array.from({ length: dSae }, (_, i) => i); // continuous codes: every latent may move
      }
      for (let d = 0; d < dIn; d++) {
        let abs = Math.abs(stage.bDec[d] / s);
        let prop = 0;
        for (const i of sel) {
          const w = Math.abs(stage.wDec[i * dIn + d] / s);
          abs += Math.max(0, Math.abs(z[t * dSae + i])) * w;
          prop += dz[i] * w;
        }
        const q = t * dIn + d;
        dNext[q] = dr[q] + (sel.length + 8) * EPS * abs + prop + EPS * Math.abs(next[q]);
      }
    }
    r = next;
    dr = dNext;
  });
  return dr.reduce((m, v) => Math.max(m, v), 0);
}

async function compare(stages: readonly Sae[], data: Dataset, opts: ResidualOptions = {}, allowTies = false): Promise<number> {
  const { device, isSoftware } = gpu();
  const got = await withErrorScope(device, () => computeResidualData(device, stages, data, { isSoftware, ...opts }), 'computeResidualData');
  const want = boostingResidual(stages, data);
  expect(got.rows).toBe(data.rows);
  expect(got.dIn).toBe(data.dIn);
  expect(got.name).toBe(want.name);
  const tol = 2 * errorBound(stages, data, allowTies);
  let worst = 0;
  let bad = '';
  for (let i = 0; i < want.x.length; i++) {
    const err = Math.abs(got.x[i] - want.x[i]);
    if (!(err <= tol) && !bad) bad = `[row ${Math.floor(i / data.dIn)}, d ${i % data.dIn}] gpu ${got.x[i]}, twin ${want.x[i]}`;
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
  }
  expect(bad, `max |gpu − twin| ${worst}, bound ${tol}`).toBe('');
  return worst;
}

describe('computeResidualData matches boostingResidual', () => {
  it('dIn 1, one stage, one row', async () => {
    const rng = createRng(11);
    await compare([randomStage('topk', 1, 3, 1, 1, rng)], randomData(1, 1, rng));
  });

  it('dIn 7 (scalar encoder), two stages with inputScale 1 and 0.37, 13 rows in chunks of 5', async () => {
    const rng = createRng(12);
    const stages = [randomStage('topk', 7, 9, 2, 1, rng), randomStage('topk', 7, 13, 3, 0.37, rng)];
    await compare(stages, randomData(13, 7, rng), { chunkRows: 5 });
  });

  it('dIn 16 (vec4 encoder), three stages of dSae 33 / 32 / 31 with inputScale 2, 0.5, 1.3; 37 rows in chunks of 16', async () => {
    const rng = createRng(13);
    const stages = [randomStage('topk', 16, 33, 4, 2, rng), randomStage('topk', 16, 32, 1, 0.5, rng), randomStage('topk', 16, 31, 5, 1.3, rng)];
    const data = randomData(37, 16, rng);
    const worst = await compare(stages, data, { chunkRows: 16 });
    expect(worst).toBeLessThan(1e-4); // sanity: the bound is not hiding a gross error
    // The real-GPU choices (radix TopK at WG 256, the T64 encoder tile) on its first 9 rows in chunks of 8
    // (a radix workgroup of 256 costs ~0.1 s on SwiftShader: few rows).
    await compare(stages, { ...data, rows: 9, x: data.x.slice(0, 9 * 16) }, { chunkRows: 8, isSoftware: false });
  });

  it('a ReLU stage between TopK stages runs on the CPU twin; several staging buffers', async () => {
    const rng = createRng(14);
    const stages = [randomStage('topk', 7, 8, 2, 1.5, rng), randomStage('relu', 7, 6, 0, 0.8, rng), randomStage('topk', 7, 8, 3, 1, rng)];
    // stagingBytes of 4 rows: two chunks of 2 rows per staging buffer → 3 staging buffers (4, 4, 2 rows) for 10 rows
    await compare(stages, randomData(10, 7, rng), { chunkRows: 2, stagingBytes: 4 * 7 * 4 });
  });

  it.each([1, 3])('exact ties (encoder rows duplicated in pairs, distinct decoder rows) break to the lower index, k %i', async (k) => {
    const rng = createRng(15 + k);
    const stage = randomStage('topk', 4, 6, k, 1, rng);
    stage.wEnc.copyWithin(3 * 4, 0, 3 * 4); // latent i + 3 has latent i's encoder row and bias: z ties exactly
    stage.bEnc.copyWithin(3, 0, 3);
    const data = randomData(9, 4, rng);
    await compare([stage], data, {}, true);
    // The ties decide: the higher index of each pair (decoder rows swapped) gives another residual — in every
    // row for k = 1 (the winner is always a tied pair), in some row for k = 3 (a pair straddles the k-th place).
    const swapped = { ...stage, wDec: stage.wDec.slice() };
    swapped.wDec.set(stage.wDec.subarray(3 * 4, 6 * 4), 0);
    swapped.wDec.set(stage.wDec.subarray(0, 3 * 4), 3 * 4);
    const [a, b] = [boostingResidual([stage], data).x, boostingResidual([swapped], data).x];
    let rowsDiffering = 0;
    for (let t = 0; t < data.rows; t++) if (a.subarray(t * 4, t * 4 + 4).some((v, d) => v !== b[t * 4 + d])) rowsDiffering++;
    expect(rowsDiffering).toBeGreaterThanOrEqual(k === 1 ? data.rows : 1);
  });

  it('no stages: a copy of x', async () => {
    const rng = createRng(16);
    const data = randomData(3, 5, rng);
    const got = await computeResidualData(gpu().device, [], data);
    expect(Array.from(got.x)).toEqual(Array.from(data.x));
    expect(got.x).not.toBe(data.x);
  });

  it('default chunking: 4,097 rows = one default chunk of 4,096 and a tail of 1', async () => {
    const rng = createRng(17);
    await compare([randomStage('topk', 1, 2, 1, 0.75, rng)], randomData(4097, 1, rng));
  });

  it('says what is wrong with a stage or an option', async () => {
    const rng = createRng(18);
    const data = randomData(4, 3, rng);
    const { device } = gpu();
    await expect(computeResidualData(device, [randomStage('topk', 5, 4, 1, 1, rng)], data)).rejects.toThrow("boosting stage 0: dIn 5 does not match the data's dIn 3");
    await expect(computeResidualData(device, [randomStage('topk', 3, 4, 5, 1, rng)], data)).rejects.toThrow('boosting stage 0: TopK k = 5 must be an integer in 1..dSae = 4');
    await expect(computeResidualData(device, [randomStage('topk', 3, 4, 1, 1, rng)], data, { chunkRows: 0 })).rejects.toThrow('chunkRows 0 must be a positive integer');
  });
});
