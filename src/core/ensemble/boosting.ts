// Boosting's residual datasets (Gadgil et al., seed-papers.md §2.4): stage j trains on what the frozen
// stages 1..j−1 leave of x. This is the CPU twin of src/engine/training/residual.ts:computeResidualData: plain
// loops over encode/decode of sae.ts, any architecture. Imports only src/core.
//
// Legend: rows = tokens, dIn = input width; every stage works in RAW input units here:
//   g(r; θ) = x̂'(s·r) / s   with s = the stage's inputScale and x̂' its forward pass in scaled space
//   r⁽¹⁾ = x,  r⁽ʲ⁺¹⁾ = r⁽ʲ⁾ − g(r⁽ʲ⁾; θ⁽ʲ⁾)      all [rows, dIn]
// so x − Σ_j g(r⁽ʲ⁾) = r⁽ᴶ⁺¹⁾ (the boosted reconstruction's error is the last residual).

import { decode, encode, scaleInput } from '../sae/sae.ts';
import type { Dataset, Sae } from '../sae/types.ts';

/** Rows per encode/decode call: bounds the [rows, dSae] code arrays, not the result. */
const CHUNK_ROWS = 1024;

function checkStage(stage: Sae, j: number, dIn: number): void {
  if (stage.dIn !== dIn) throw new Error(`boosting stage ${j}: dIn ${stage.dIn} does not match the data's dIn ${dIn}`);
  if (!(Number.isFinite(stage.inputScale) && stage.inputScale > 0)) {
    throw new Error(`boosting stage ${j}: inputScale ${stage.inputScale} must be a finite number > 0`);
  }
}

/**
 * One stage's reconstruction in raw units: g(r) = decode(encode(s·r)) / s (codes at inference: TopK,
 * ReLU, JumpReLU, BatchTopK by its learned threshold). r: [rows, dIn] → [rows, dIn].
 */
export function stageReconstruction(stage: Sae, r: Float32Array, rows: number): Float32Array {
  const { dIn, inputScale: s } = stage;
  if (r.length !== rows * dIn) throw new Error(`stageReconstruction: r has ${r.length} values, [rows ${rows}, dIn ${dIn}] needs ${rows * dIn}`);
  const out = new Float32Array(rows * dIn);
  for (let start = 0; start < rows; start += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, rows - start);
    const x = r.subarray(start * dIn, (start + n) * dIn);
    const xs = s === 1 ? x : scaleInput(x, s); // [n, dIn] in the stage's scaled space
    const xHatScaled = decode(stage, encode(stage, xs, n).f, n); // [n, dIn] x̂'
    for (let i = 0; i < n * dIn; i++) out[start * dIn + i] = xHatScaled[i] / s;
  }
  return out;
}

/**
 * The residual left by the frozen `stages` (in order) on `data`: r⁽ᴶ⁺¹⁾ [rows, dIn], where J =
 * stages.length; each step r ← r − g(r) is computed in f64 from the f32 r and g(r) and rounded once.
 * No stages: a copy of x. The result keeps data's ground truth (the generating features of x).
 */
export function boostingResidual(stages: readonly Sae[], data: Dataset): Dataset {
  const { rows, dIn } = data;
  if (data.x.length !== rows * dIn) throw new Error(`boostingResidual: x has ${data.x.length} values, [rows ${rows}, dIn ${dIn}] needs ${rows * dIn}`);
  stages.forEach((stage, j) => checkStage(stage, j, dIn));
  const r = data.x.slice(); // [rows, dIn]
  for (const stage of stages) {
    const g = stageReconstruction(stage, r, rows);
    for (let i = 0; i < r.length; i++) r[i] = r[i] - g[i];
  }
  return { ...data, name: residualName(data.name, stages.length), x: r };
}

/** The name of a residual dataset: `name` itself for no stages, else `name − J stages`. */
export function residualName(name: string, stages: number): string {
  return stages === 0 ? name : `${name} − ${stages} stage${stages === 1 ? '' : 's'}`;
}

/**
 * The same SAE with its input scale folded into the weights (inputScale 1), computing the same g(r)
 * in raw units: wEnc·s, bDec/s, wDec/s (bEnc, thresholds and codes unchanged, since
 * wEnc·(s·r − bDec) = (s·wEnc)·(r − bDec/s)). Products in f64, rounded once to f32.
 */
export function foldInputScale(sae: Sae): Sae {
  const s = sae.inputScale;
  if (!(Number.isFinite(s) && s > 0)) throw new Error(`foldInputScale: inputScale ${s} must be a finite number > 0`);
  return {
    ...sae,
    wEnc: Float32Array.from(sae.wEnc, (v) => v * s),
    bEnc: sae.bEnc.slice(),
    wDec: Float32Array.from(sae.wDec, (v) => v / s),
    bDec: Float32Array.from(sae.bDec, (v) => v / s),
    logThreshold: sae.logThreshold.slice(),
    inputScale: 1,
  };
}
