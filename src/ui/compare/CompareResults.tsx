// A finished trainer comparison: the held-out test-MSE curves of one setting (picked; the largest by
// default) against what the alignment holds equal, PAM-SGD's decoder solves marked; for a sweep, the final
// test MSE against the training fraction (log x) or the updates per batch, and % non-zero codes for ReLU
// and JumpReLU (TopK's is k/dSae by construction); and a table of every run with what it was given
// (batches, Adam updates, epochs, seconds, solves) beside what it reached. Figures are memoised on the
// comparison, so nothing here re-renders on a training snapshot. Imports plotly (through EnsemblePlot),
// React and engine types.

import { useMemo, useState } from 'react';
import type { TrainerComparison } from '../../engine/api.ts';
import { EnsemblePlot } from '../ensemble/EnsemblePlot.tsx';
import { fmt } from '../ensemble/style.ts';
import { curvesFigure, settingLabel, sweepFigure, TRAINER_LABELS } from './figures.ts';

export function CompareResults({ c }: { c: TrainerComparison }) {
  const settings = c.sweep.settings;
  const [pick, setPick] = useState<{ comparison: number; index: number } | null>(null);
  // A new comparison shows its largest setting (100% of the rows, or the largest s) until one is picked.
  const index = pick?.comparison === c.comparison ? pick.index : settings.length - 1;
  const setting = settings[index] ?? settings[settings.length - 1]!;
  const curves = useMemo(() => curvesFigure(c, setting), [c, setting]);
  const sweep = useMemo(() => (c.kind === 'compare' ? null : sweepFigure(c, 'testMse')), [c]);
  const arch = c.config.arch ?? 'topk';
  const sparse = arch === 'relu' || arch === 'jumprelu';
  const nonZero = useMemo(() => (c.kind === 'compare' || !sparse ? null : sweepFigure(c, 'nonZeroPercent')), [c, sparse]);
  return (
    <div className="compare-results" data-testid="compare-results">
      <p className="muted compare-summary" data-testid="compare-summary">
        Comparison {c.comparison} on {c.dataset}: {c.split.trainRows} training rows, {c.split.testRows} test rows ({c.split.how}). {c.capped.length > 0 ? `Capped to stay interactive: ${c.capped.join('; ')}. ` : ''}
        {c.sweep.runs.length} runs in {c.wallSeconds.toFixed(1)} s on {c.backend}.
      </p>
      {settings.length > 1 && (
        <label className="inline">
          curves at
          <select data-testid="compare-setting" value={index} onChange={(e) => setPick({ comparison: c.comparison, index: Number(e.currentTarget.value) })}>
            {settings.map((s, i) => (
              <option key={i} value={i}>
                {settingLabel(c, s)}
              </option>
            ))}
          </select>
        </label>
      )}
      <div className="compare-grid">
        <EnsemblePlot testId="compare-curves" className="compare-wide" data={curves.data} layout={curves.layout} />
        {sweep && <EnsemblePlot testId="compare-sweep" className={nonZero ? '' : 'compare-wide'} data={sweep.data} layout={sweep.layout} />}
        {nonZero && <EnsemblePlot testId="compare-nonzero" data={nonZero.data} layout={nonZero.layout} />}
      </div>
      <RunTable c={c} />
    </div>
  );
}

/** Every run: what it was given and what it reached on the test rows. */
function RunTable({ c }: { c: TrainerComparison }) {
  return (
    <div className="table-scroll short">
      <table className="ensemble-table" data-testid="compare-table">
        <thead>
          <tr>
            <th title="Its number in the runs table">run</th>
            <th>{c.sweep.kind === 'updates' ? 'updates per batch' : 'training fraction'}</th>
            <th>trainer</th>
            <th title="Batches trained (PAM-SGD: s Adam updates on each)">batches</th>
            <th title="Adam updates of the encoder (and of the decoder, for SGD)">Adam updates</th>
            <th title="Passes over the run's training rows">epochs</th>
            <th title="Measured training seconds (evaluation excluded), CPU reference">seconds</th>
            <th title="PAM-SGD: exact closed-form decoder solves">solves</th>
            <th title="(1/T) Σ_t ‖x_t − x̂_t‖² over the T test rows">test MSE</th>
            <th title="1 − Σ‖x − x̂‖² / Σ‖x − μ‖² on the test rows">expl. var.</th>
            <th title="Mean active latents per test row, as a % of dSae">% non-zero</th>
          </tr>
        </thead>
        <tbody>
          {c.sweep.runs.map((r, i) => (
            <tr key={i} data-testid="compare-row">
              <td className="num">#{c.runIds[i]}</td>
              <td>{settingLabel(c, r.setting)}</td>
              <td>{TRAINER_LABELS[r.trainer]}</td>
              <td className="num">{r.steps}</td>
              <td className="num">{r.updates}</td>
              <td className="num">{fmt(r.epochs, 1)}</td>
              <td className="num">{fmt(r.seconds, 2)}</td>
              <td className="num">{r.solves.length}</td>
              <td className="num">{fmt(r.final.testMse, 4)}</td>
              <td className="num">{fmt(r.final.explainedVariance, 3)}</td>
              <td className="num">{fmt(r.final.nonZeroPercent, 1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
