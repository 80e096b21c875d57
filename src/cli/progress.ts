// Training progress on stderr: at most ~2 lines a second on a terminal, about 10 lines in all when
// stderr is a file or pipe (CI logs), plus the last step. Node only.

import type { StepStats } from '../core/sae/train.ts';

export function createProgress(totalSteps: number, quiet: boolean): (s: StepStats) => void {
  const t0 = performance.now();
  let lastPrint = 0;
  const tty = process.stderr.isTTY === true;
  const every = Math.max(1, Math.floor(totalSteps / 10));
  return (s) => {
    if (quiet) return;
    const now = performance.now();
    const due = s.step === totalSteps || (tty ? now - lastPrint > 500 : s.step % every === 0);
    if (!due) return;
    lastPrint = now;
    const sps = s.step / Math.max((now - t0) / 1000, 1e-9);
    const line =
      `step ${String(s.step).padStart(String(totalSteps).length)}/${totalSteps}  ${sps.toFixed(1)} steps/s  ` +
      `loss ${s.loss.toPrecision(4)}  mse ${s.mse.toPrecision(4)}  EV ${s.explainedVariance.toFixed(3)}  ` +
      `L0 ${s.l0.toFixed(2)}  dead ${(100 * s.deadFraction).toFixed(1)}%  lr ${s.lr.toExponential(2)}`;
    process.stderr.write(tty ? `\r${line}${s.step === totalSteps ? '\n' : ''}` : `${line}\n`);
  };
}
