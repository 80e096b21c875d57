// `sae-workbench eval`: evaluates any SAELens folder (ours or not), or a k-means / k-flats folder of ours, on a
// dataset and reports JSON. Node only.
// Every metric is finite by definition (0 where undefined), so one that is not (or is past float32's range)
// is an overflow of the file's weights or the data: refused (exit 2) naming the file and the largest values,
// never reported as null.

import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { WEIGHTS_FILE } from '../core/formats/saelens.ts';
import type { EvalReport } from '../core/sae/evaluate.ts';
import { evaluateRaw } from '../core/sae/evaluate.ts';
import type { Sae } from '../core/sae/types.ts';
import { isClusterArch } from '../core/sae/types.ts';
import { CLUSTER_WEIGHTS_FILE } from '../core/formats/clusterFolder.ts';
import type { FlagSpec, Flags } from './args.ts';
import { str } from './args.ts';
import { loadData } from './data.ts';
import { readSaeFolder } from './folder.ts';
import { evalReportJson } from './report.ts';

export const EVAL_FLAGS: Record<string, FlagSpec> = {
  sae: { kind: 'value', help: 'a SAELens folder (cfg.json + sae_weights.safetensors), or a kmeans / kflats folder of ours (cfg.json + model.safetensors)' },
  data: { kind: 'value', help: 'FILE.npy | FILE.safetensors | FILE.f32 | synthetic:PRESET[:SEED]' },
  tensor: { kind: 'value', help: 'tensor name in a .safetensors --data' },
  shape: { kind: 'value', help: 'ROWS,DIN of a raw f32 --data' },
  json: { kind: 'value', help: 'also write the JSON results to this file' },
};

export async function runEval(f: Flags): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const dir = str(f, 'sae');
  const spec = str(f, 'data');
  if (!dir) throw new InputError('eval: --sae DIR is required (a SAELens folder, or a kmeans / kflats folder)');
  if (!spec) throw new InputError('eval: --data SPEC is required');
  const sae = readSaeFolder(dir);
  const data = await loadData(spec, { tensor: str(f, 'tensor'), shape: str(f, 'shape') });
  if (data.dIn !== sae.dIn) throw new InputError(`${spec}: dIn: expected ${sae.dIn} (the SAE's d_in), got ${data.dIn}`);
  const report = evaluateRaw(sae, data);
  checkFinite(report, sae, data.x, join(dir, isClusterArch(sae.arch) ? CLUSTER_WEIGHTS_FILE : WEIGHTS_FILE), spec);
  return {
    command: 'eval',
    sae: { dir, arch: sae.arch, dIn: sae.dIn, dSae: sae.dSae, k: sae.k },
    data: { spec, rows: data.rows, dIn: data.dIn },
    backend: { kind: 'cpu', adapter: null },
    eval: evalReportJson(report),
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Refuses a report with a non-finite metric: names the weights file, the metrics, and the largest weight and input. */
function checkFinite(report: EvalReport, sae: Sae, x: Float32Array, file: string, spec: string): void {
  const scalars: Record<string, number> = { ...report.metrics, ...(report.recovery ?? {}) };
  // Past float32's range counts too: the tensors are f32, so such a metric is an overflow summed in f64.
  const bad = Object.keys(scalars).filter((k) => !Number.isFinite(Math.fround(scalars[k])));
  if (bad.length === 0) return;
  // SAELens names, as in the file.
  const tensors: [string, Float32Array][] = [['W_enc', sae.wEnc], ['b_enc', sae.bEnc], ['W_dec', sae.wDec], ['b_dec', sae.bDec], ['log threshold', sae.logThreshold]];
  const [name, largest] = tensors.map(([n, a]): [string, number] => [n, maxAbs(a)]).reduce((a, b) => (b[1] > a[1] ? b : a));
  throw new InputError(
    `${file}: evaluating it on ${spec} overflows float32 (${bad.join(', ')} not finite in float32): its largest weight is |${name}| = ${largest.toExponential(2)} ` +
      `and the data's largest |x| is ${maxAbs(x).toExponential(2)} (float32 ends at 3.4e38): check that the file holds a trained SAE, or rescale the data`,
  );
}
