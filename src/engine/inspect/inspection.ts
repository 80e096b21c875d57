// Inspection of the current run for the Workbench: which SAE, over which rows (a boosting stage j > 0 reads
// the residual its frozen stages leave, its input in the ensemble, seed-papers §2.4), with the codes of the
// last inspectRun cached for latentDetail on the same weights. The numbers are inspectRun.ts's (core's).
// Imports src/core and engine only.

import { boostingResidual } from '../../core/ensemble/boosting.ts';
import { InputError } from '../../core/errors.ts';
import type { InspectRunRequest, InspectScope, LatentDetail, LatentDetailRequest, RunInspection } from '../api.ts';
import type { LoadedDataset } from '../data/datasets.ts';
import type { CodesCache } from './inspectRun.ts';
import { DEFAULT_TOP_N, inspectMember, latentDetailOf } from './inspectRun.ts';
import type { RunController } from '../run/controller.ts';

export interface Inspection {
  inspectRun(req?: InspectRunRequest): Promise<RunInspection>;
  latentDetail(req: LatentDetailRequest): Promise<LatentDetail>;
}

export function createInspection(runs: RunController, datasetOf: (id: string) => LoadedDataset | undefined): Inspection {
  /** The codes of the last inspectRun, reused by latentDetail on the same weights. */
  let codesCache: CodesCache | null = null;
  /** Boosting stages' inputs: the residual the frozen stages leave of the scanned split. */
  let residualCache: { key: string; d: LoadedDataset } | null = null;

  const inspected = async (what: string, member: number) => {
    const r = runs.current();
    if (!r) throw new InputError(`${what}: there is no run yet: start one with startRun, then inspect it`);
    const M = r.info.seeds.length;
    if (!Number.isSafeInteger(member) || member < 0 || member >= M)
      throw new InputError(`${what}: member must be an integer in [0, ${M - 1}] (the run has ${M} member${M === 1 ? '' : 's'}), got ${member}`);
    const { w, live } = await runs.inspectedWeights(r, what);
    if (member >= w.saes.length) throw new InputError(`${what}: boosting stage ${member} of run ${r.id} is not trained yet (stages 0..${w.saes.length - 1} are)`);
    let d = datasetOf(r.datasetId);
    if (!d) throw new InputError(`${what}: the run's dataset "${r.datasetId}" is no longer loaded: load it again (loadDataset) or start a new run`);
    const key = `${r.id}/${member}/${w.step}/${d.info.id}/${d.all.rows}`;
    if (r.info.ensemble.method === 'boosting' && member > 0) {
      if (residualCache?.key !== key) {
        const frozen = w.saes.slice(0, member);
        const base = d;
        // Only the split the inspector scans (inspectRun.ts scannedRows: eval, else train) is coded.
        residualCache = { key, d: base.eval ? { ...base, eval: boostingResidual(frozen, base.eval) } : { ...base, train: boostingResidual(frozen, base.train) } };
      }
      d = residualCache.d;
    }
    const scope: Omit<InspectScope, 'split' | 'rowsScanned' | 'splitRows' | 'capped' | 'maxRows'> = {
      run: r.id,
      member,
      step: w.step,
      weightsSource: live || r.info.origin === 'loaded' ? 'live' : 'read-back',
      dataset: d.info.id,
    };
    return { sae: w.saes[member], d, scope, key };
  };

  return {
    async inspectRun(req = {}) {
      const { sae, d, scope, key } = await inspected('inspectRun', req.member ?? 0);
      const { result, codes } = inspectMember(sae, d, scope, req.topN ?? DEFAULT_TOP_N);
      codesCache = codes ? { key, f: codes } : null;
      return result;
    },
    async latentDetail(req) {
      if (typeof req !== 'object' || req === null) throw new InputError(`latentDetail: expected { latent, member?, topN? }, got ${String(req)}`);
      const { sae, d, scope, key } = await inspected('latentDetail', req.member ?? 0);
      const codes = codesCache?.key === key ? codesCache.f : null;
      return latentDetailOf(sae, d, scope, req.latent, req.topN ?? DEFAULT_TOP_N, codes);
    },
  };
}
