// PAM-SGD's decoder solve on a chosen fraction of the training rows (issue #11: "the training rows, or a chosen
// fraction"): a seeded subset fixed for the run, its size round(f·N); f = 1 streams every row as before; the
// setting is validated with the singular-solve check on the solve rows; the WGSL engine leaves it to the CPU.
import { describe, expect, it } from 'vitest';
import { generateSynthetic, parseSyntheticSpec } from '../../../src/core/data/synthetic.ts';
import { DEFAULT_CONFIG, pamSolveRows, validateConfig } from '../../../src/core/sae/config.ts';
import { createPamTrainer } from '../../../src/core/sae/pamTrain.ts';

const data = generateSynthetic({ ...parseSyntheticSpec('synthetic:small:4'), rows: 600 });
const base = { trainer: 'pam-sgd' as const, dSae: 16, k: 2, batch: 50, steps: 24, seed: 3 };

describe('pamSolveFraction', () => {
  it('solves on round(f·N) rows of a fixed seeded subset; f = 1 is every row', () => {
    expect([pamSolveRows(600, 1), pamSolveRows(600, 0.25), pamSolveRows(600, 1e-9)]).toEqual([600, 150, 1]);
    const run = (f: number) => {
      const t = createPamTrainer(data, { ...base, pamSolveFraction: f });
      for (let i = 0; i < 24; i++) t.trainStep();
      return t;
    };
    const full = run(1);
    const quarter = run(0.25);
    expect(full.solves.map((s) => [s.step, s.rows])).toEqual([[12, 600], [24, 600]]);
    expect(quarter.solves.map((s) => [s.step, s.rows])).toEqual([[12, 150], [24, 150]]);
    for (const s of quarter.solves) expect(s.objectiveAfter).toBeLessThanOrEqual(s.objectiveBefore + 1e-12);
    expect(quarter.sae.wDec).not.toEqual(full.sae.wDec); // another system of equations
    expect(run(0.25).sae.wDec).toEqual(quarter.sae.wDec); // the same subset every time: deterministic
  });

  it('is validated, and the singular check counts the solve rows', () => {
    expect(validateConfig({ ...DEFAULT_CONFIG, ...base, pamSolveFraction: 0 }, 16, 600).join()).toMatch(/pamSolveFraction must be in \(0, 1\]/);
    const singular = validateConfig({ ...DEFAULT_CONFIG, ...base, pamRidge: 0, pamProxDec: 0, pamSolveFraction: 0.01 }, 16, 600).join();
    expect(singular).toMatch(/fewer solve rows \(6 of 600 training rows\) than latents \(dSae=16\)/);
  });
});
