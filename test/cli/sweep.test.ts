// `sae-workbench sweep` end to end as a child process (tiny shapes, CPU reference): a training-fraction
// sweep with the three trainers writes one JSON (stdout = --json) and an SVG, with the stated rows, steps
// and held-out split; an updates-per-batch sweep under equal steps gives every run the same Adam updates;
// bad input exits 2 with one line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
const dir = mkdtempSync(join(tmpdir(), 'sae-sweep-'));
const TINY = ['--data', 'synthetic:small:2', '--latents', '12', '--k', '2', '--batch', '128', '--epochs', '2', '--backend', 'cpu'];

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'sweep', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Row {
  fractionPercent: number;
  rows: number;
  updatesPerBatch: number;
  trainer: string;
  steps: number;
  updates: number;
  epochs: number;
  testMse: number;
  solves: number;
}

describe('sae-workbench sweep', () => {
  it('training fractions: SGD, PAM-SGD and tied SGD on the same held-out rows; JSON and SVG', () => {
    const json = join(dir, 'f.json');
    const svg = join(dir, 'f.svg');
    const r = cli([...TINY, '--trainer', 'sgd,pam-sgd,sgd-tied', '--fractions', '5,100', '--eval-fraction', '0.2', '--json', json, '--svg', svg]);
    expect(r.stderr).toMatch(/sgd vs pam-sgd vs sgd-tied, equal-epochs.*6554 train rows, 1638 test rows/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { split: { trainRows: number; testRows: number }; summary: Row[]; align: string };
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual({ ...out, wallSeconds: expect.any(Number) });
    expect(out.split).toMatchObject({ trainRows: 6554, testRows: 1638 });
    expect(out.summary.map((s) => [s.fractionPercent, s.rows, s.trainer])).toEqual([
      [5, 328, 'sgd'], [5, 328, 'pam-sgd'], [5, 328, 'sgd-tied'],
      [100, 6554, 'sgd'], [100, 6554, 'pam-sgd'], [100, 6554, 'sgd-tied'],
    ]);
    for (const s of out.summary) {
      expect(s.steps).toBe(2 * Math.ceil(s.rows / 128));
      expect(s.solves).toBe(s.trainer === 'pam-sgd' ? 2 : 0);
      expect(s.testMse).toBeGreaterThan(0);
    }
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text).toContain('training fraction (%, log scale)');
    expect(text).toContain('sgd-tied');
  }, 60_000);

  it('updates per batch under equal steps: every run makes the same Adam updates', () => {
    const r = cli([...TINY, '--updates', '1,3', '--align', 'equal-steps', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { kind: string; summary: Row[] };
    expect(out.kind).toBe('updates');
    const spe = Math.ceil(Math.round(0.9 * 8192) / 128);
    expect(out.summary.map((s) => [s.trainer, s.updatesPerBatch, s.updates, s.steps])).toEqual([
      ['sgd', 1, 2 * spe, 2 * spe], ['pam-sgd', 1, 2 * spe, 2 * spe],
      ['sgd', 3, 6 * spe, 6 * spe], ['pam-sgd', 3, 6 * spe, 2 * spe],
    ]);
  }, 60_000);

  it.each([
    [['--fractions', '5', '--updates', '1'], /--fractions and --updates are two sweeps/],
    [['--backend', 'webgpu'], /--backend webgpu: the A\/B trains every trainer on the CPU reference/],
    [['--fractions', '0,5'], /percent in \(0, 100\], got 0/],
    [['--trainer', 'sgd,adam'], /--trainer: expected a comma list of sgd, pam-sgd, sgd-tied, got "adam"/],
    [['--steps', '10'], /unknown flag --steps/],
    [['--time', '3'], /--time is the equal-time budget/],
  ])('refuses %j with exit 2 and one line', (extra, message) => {
    const r = cli([...TINY.filter((a) => a !== 'cpu' && a !== '--backend'), ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
