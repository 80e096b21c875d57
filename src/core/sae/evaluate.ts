// Evaluation of an SAE on a dataset: every metric of metrics.ts in input units, plus ground-truth
// recovery when the data has it. It evaluates the SAE exactly as exported (input scale and decoder
// norms folded, f32 SAELens tensors), so a reader of the export recomputes the same numbers.
// Imports only src/core.

import type { Dataset, Sae } from './types.ts';
import { cloneSae } from './types.ts';
import type { EvalMetrics } from './metrics.ts';
import { createMetricAccumulator, meanRow } from './metrics.ts';
import { featureRecovery } from './recovery.ts';
import { decode, encode } from './sae.ts';
import { fromModelFolder, toModelFolder } from '../formats/modelFolder.ts';

/** The scalar metrics (density arrays are reported separately). */
export type ScalarEvalMetrics = Omit<EvalMetrics, 'density' | 'logDensity'>;

export interface EvalReport {
  /** Tokens evaluated. */
  tokens: number;
  metrics: ScalarEvalMetrics;
  /** Against the true features (synthetic data only). */
  recovery: { mcc: number; uniqueness: number } | null;
  density: Float32Array; // [dSae]
  logDensity: Float32Array; // [dSae] log10(density + 1e-10)
}

/**
 * The SAE as it is exported: raw input units (inputScale 1), folded, through the SAELens f32 tensors (a
 * k-means / k-flats model: through its cluster-layout tensors).
 * Signed top-K (sae.topkSigned) has no SAELens form (saelens.ts refuses it): only the input scale is
 * folded (wEnc·s, wDec/s, bDec/s), so it is still evaluated in input units.
 */
export function exportForm(sae: Sae): Sae {
  if (sae.topkSigned === true) {
    const s = sae.inputScale;
    return { ...cloneSae(sae), inputScale: 1, wEnc: sae.wEnc.map((v) => v * s), wDec: sae.wDec.map((v) => v / s), bDec: sae.bDec.map((v) => v / s) };
  }
  // The family's own format: SAELens for SAEs, the cluster layout for kmeans / kflats (formats/modelFolder.ts).
  const folder = toModelFolder(sae);
  return fromModelFolder(folder.cfgJson, folder.weights, 'exported SAE');
}

/** Evaluates a trained SAE as exported (see exportForm) on every row of `data`, chunkRows rows at a time. */
export function evaluateSae(sae: Sae, data: Dataset, chunkRows = 1024): EvalReport {
  return evaluateRaw(exportForm(sae), data, chunkRows);
}

/** Evaluates an SAE as it is (inputScale must be 1, e.g. one read from a SAELens folder). */
export function evaluateRaw(sae: Sae, data: Dataset, chunkRows = 1024): EvalReport {
  if (sae.inputScale !== 1) throw new Error(`evaluateRaw: inputScale must be 1 (fold it first), got ${sae.inputScale}`);
  const { dIn } = data;
  const mean = meanRow(data.x, data.rows, dIn);
  const acc = createMetricAccumulator(dIn, sae.dSae, mean);
  for (let start = 0; start < data.rows; start += chunkRows) {
    const rows = Math.min(chunkRows, data.rows - start);
    const x = data.x.subarray(start * dIn, (start + rows) * dIn);
    const { f } = encode(sae, x, rows);
    acc.add(x, decode(sae, f, rows), f, rows);
  }
  const { density, logDensity, ...metrics } = acc.finish(sae.wDec);
  const recovery = data.truth ? featureRecovery(sae.wDec, sae.dSae, data.truth, dIn) : null;
  return {
    tokens: data.rows,
    metrics,
    recovery: recovery ? { mcc: recovery.mcc, uniqueness: recovery.uniqueness } : null,
    density,
    logDensity,
  };
}
