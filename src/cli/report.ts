// The JSON form of an evaluation report: scalar metrics under their names, density summarised.

import type { EvalReport } from '../core/sae/evaluate.ts';

export function evalReportJson(r: EvalReport): Record<string, unknown> {
  return {
    tokens: r.tokens,
    ...r.metrics,
    ...(r.recovery ? { mcc: r.recovery.mcc, uniqueness: r.recovery.uniqueness } : {}),
  };
}
