// `sae-workbench eval`: evaluates any SAELens folder (ours or not) on a dataset and reports JSON. Node only.

import { InputError } from '../core/errors.ts';
import { evaluateRaw } from '../core/sae/evaluate.ts';
import type { FlagSpec, Flags } from './args.ts';
import { str } from './args.ts';
import { loadData } from './data.ts';
import { readSaeFolder } from './folder.ts';
import { evalReportJson } from './report.ts';

export const EVAL_FLAGS: Record<string, FlagSpec> = {
  sae: { kind: 'value', help: 'a SAELens folder (cfg.json + sae_weights.safetensors)' },
  data: { kind: 'value', help: 'FILE.npy | FILE.safetensors | FILE.f32 | synthetic:PRESET[:SEED]' },
  tensor: { kind: 'value', help: 'tensor name in a .safetensors --data' },
  shape: { kind: 'value', help: 'ROWS,DIN of a raw f32 --data' },
  json: { kind: 'value', help: 'also write the JSON results to this file' },
};

export async function runEval(f: Flags): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const dir = str(f, 'sae');
  const spec = str(f, 'data');
  if (!dir) throw new InputError('eval: --sae DIR is required (a SAELens folder)');
  if (!spec) throw new InputError('eval: --data SPEC is required');
  const sae = readSaeFolder(dir);
  const data = await loadData(spec, { tensor: str(f, 'tensor'), shape: str(f, 'shape') });
  if (data.dIn !== sae.dIn) throw new InputError(`${spec}: dIn: expected ${sae.dIn} (the SAE's d_in), got ${data.dIn}`);
  const report = evaluateRaw(sae, data);
  return {
    command: 'eval',
    sae: { dir, arch: sae.arch, dIn: sae.dIn, dSae: sae.dSae, k: sae.k },
    data: { spec, rows: data.rows, dIn: data.dIn },
    backend: { kind: 'cpu', adapter: null },
    eval: evalReportJson(report),
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
