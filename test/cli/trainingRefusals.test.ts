// The CLI refuses what the engine refuses, with the same line and exit 2 (issue #13, deliverable 4): a
// config too large for memory before anything is allocated, a divergence at its first non-finite step
// instead of training on at NaN and failing at export, an SAE that ends with every latent dead, and an
// eval whose metrics overflow float32 (finite 1e38 weights) instead of exit 0 with null metrics.
// CPU reference only (--backend cpu).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CFG_FILE, WEIGHTS_FILE, toSaeLens } from '../../src/core/formats/saelens.ts';
import { zeroSae } from '../../src/core/sae/types.ts';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
const dir = mkdtempSync(join(tmpdir(), 'sae-refusals-'));

/** eval has no --backend (it runs on the CPU); train and ensemble get --backend cpu. */
function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, ...(args[0] === 'eval' ? [] : ['--backend', 'cpu'])], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A one-line refusal: exit 2, nothing on stdout, one stderr line matching `re`. */
function refused(r: { code: number; stdout: string; stderr: string }, re: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(re);
}

/** rows × dIn values of magnitude 1e20, as CSV. */
function hugeCsv(): string {
  const file = join(dir, 'huge.csv');
  const lines = Array.from({ length: 200 }, (_, i) => Array.from({ length: 8 }, (_, d) => (1e20 * (1 + ((i * 7 + d * 3) % 11))).toExponential(3)).join(','));
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const FIX = 'lower the learning rate, scale inputs (input scaling expected-norm) or check the data for huge values';

describe('training refusals: exit 2 with one line, nothing trained or written', () => {
  it('--latents 2e7: refused before any allocation, naming the numbers, the limit and the largest that fits', { timeout: 60_000 }, () => {
    const t0 = performance.now();
    refused(cli(['train', '--data', 'synthetic:small', '--latents', '2e7', '--quiet']), /^sae-workbench: invalid training config: latents × dIn = 20000000 × 16 = 320000000 weights per matrix is over the limit of 67108864 .*lower --latents \(dSae\) to at most \d+$/);
    refused(cli(['ensemble', '--method', 'bagging', '--members', '16', '--data', 'synthetic:small', '--latents', String(1 << 19), '--quiet']), /training needs about [\d.]+ GiB \(16 SAEs × .* over the limit of 4\.0 GiB/);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it('data of magnitude 1e20: train and ensemble stop at step 1 with the cause and write nothing', { timeout: 60_000 }, () => {
    const data = hugeCsv();
    const out = join(dir, 'never');
    const train = cli(['train', '--data', data, '--latents', '16', '--k', '2', '--batch', '16', '--steps', '200', '--export', out, '--quiet']);
    refused(train, /^sae-workbench: diverged at step 1: loss \S+ \(gradient norm \S+, lr \S+\) — /);
    expect(train.stderr).toContain(FIX);
    expect(existsSync(out)).toBe(false);
    const ens = cli(['ensemble', '--method', 'boosting', '--members', '2', '--data', data, '--latents', '16', '--k', '2', '--batch', '16', '--steps', '50', '--quiet']);
    refused(ens, /^sae-workbench: diverged at step 1 \(SAE 0\): .* \(no weights written\)$/);
  });

  it('a ReLU run with an absurd L1 is refused saying every latent is dead and how to fix it; a sane one reports JSON', { timeout: 60_000 }, () => {
    const base = ['train', '--data', 'synthetic:small', '--arch', 'relu', '--latents', '32', '--batch', '32', '--steps', '300', '--quiet'];
    refused(cli([...base, '--l1', '1000']), /^sae-workbench: every latent of the SAE is dead or nearly at the end \(mean L0 \S+ over the last tenth of steps, below 0\.1; .*lower the l1 coefficient \(now 1000\)/);
    const ok = cli([...base, '--l1', '1e-3']);
    expect(ok.code).toBe(0);
    const json = JSON.parse(ok.stdout) as { training: { lastTenthMean: Record<string, number> } };
    expect(Object.keys(json.training.lastTenthMean)).toEqual(['loss', 'mse', 'explainedVariance', 'l0', 'deadFraction']);
    expect(json.training.lastTenthMean.l0).toBeGreaterThan(1);
  });

  it.each([
    ['metrics that overflow to Infinity (JSON null before)', 0],
    ['metrics past float32 (1e77, summed in f64)', 1e38],
  ])('eval of a SAELens folder with finite 1e38 weights, %s: exit 2 naming the weights file and the overflow', { timeout: 60_000 }, (_name, bDec) => {
    const sae = zeroSae('relu', 16, 8, 0);
    sae.wEnc.fill(1e38);
    sae.bDec.fill(bDec);
    for (let i = 0; i < 8; i++) sae.wDec[i * 16 + i] = 1; // unit rows: the export folds their norms into W_enc
    const folder = toSaeLens(sae);
    const saeDir = join(dir, `overflow-${bDec}`);
    mkdirSync(saeDir);
    writeFileSync(join(saeDir, CFG_FILE), folder.cfgJson);
    writeFileSync(join(saeDir, WEIGHTS_FILE), folder.weights);
    const file = join(saeDir, WEIGHTS_FILE).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    refused(cli(['eval', '--sae', saeDir, '--data', 'synthetic:small']), new RegExp(`^sae-workbench: ${file}: evaluating it on synthetic:small overflows float32 \\(msePerToken, .* not finite in float32\\): its largest weight is \\|W_enc\\| = 1\\.00e\\+38`));
  });
});
