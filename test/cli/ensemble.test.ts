// `sae-workbench ensemble` end to end, as a user runs it (the real CLI in a child process, CPU backend,
// tiny shapes): metrics for every J' = 1..J, boosting's explained variance rising with J, the expanded
// baseline, stability across repeats, the exported SAELens folders, and bad input (exit 2, one line).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromSaeLens } from '../../src/core/formats/saelens.ts';
import type { Sae } from '../../src/core/sae/types.ts';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
const dir = mkdtempSync(join(tmpdir(), 'sae-ensemble-'));
const TINY = ['--data', 'synthetic:small', '--steps', '40', '--batch', '64', '--latents', '16', '--k', '2', '--backend', 'cpu', '--quiet'];

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'ensemble', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Metrics {
  msePerToken: number;
  explainedVariance: number;
  explainedVariancePerDim: number;
  l0: number;
  diversity: { count: number; fraction: number };
  connectivity: number;
  mcc?: number;
}
interface Result {
  method: string;
  members: number;
  repeats: number;
  config: { dSae: number; k: number };
  expanded?: { latents: number; k: number; note: string };
  backend: { kind: string };
  perJ: { members: number; latents: number; metrics: Metrics[]; mean: Metrics; stability: { relaxed: number[]; mean: number; exact: number } | null; pwMcc: { mean: number } | null; sharedFraction?: { thresholds: number[]; repeat0VsRepeat1: number[] } | null }[];
  export: { dir: string; folders: string[] } | null;
  wallSeconds: number;
}

/** Parses an exported folder with src/core/formats/saelens.ts. A plain Uint8Array: Node's Buffer.slice shares memory. */
function readFolder(d: string): Sae {
  return fromSaeLens(readFileSync(join(d, 'cfg.json'), 'utf8'), new Uint8Array(readFileSync(join(d, 'sae_weights.safetensors'))), d);
}

function run(args: string[]): Result {
  const r = cli([...TINY, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Result;
}

function finiteMetrics(m: Metrics): void {
  for (const v of [m.msePerToken, m.explainedVariance, m.explainedVariancePerDim, m.l0, m.connectivity, m.diversity.fraction]) expect(Number.isFinite(v)).toBe(true);
}

describe('sae-workbench ensemble', () => {
  it('bagging: metrics for J = 1, 2, 3; every member exported as a SAELens folder; --json writes the same', () => {
    const out = join(dir, 'bag');
    const json = join(dir, 'bag.json');
    const r = run(['--method', 'bagging', '--members', '3', '--export', out, '--json', json]);
    expect(r.method).toBe('bagging');
    expect(r.backend.kind).toBe('cpu');
    expect(r.perJ.map((p) => [p.members, p.latents])).toEqual([
      [1, 16],
      [2, 32],
      [3, 48],
    ]);
    for (const p of r.perJ) {
      expect(p.metrics).toHaveLength(1);
      finiteMetrics(p.metrics[0]);
      expect(p.metrics[0].l0).toBeCloseTo(2 * p.members, 6); // TopK: k per member, aggregated
      expect(p.stability).toBeNull();
    }
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual(r);
    for (let j = 1; j <= 3; j++) {
      const d = join(out, `member-${j}`);
      const sae = readFolder(d);
      expect([sae.dIn, sae.dSae, sae.k]).toEqual([16, 16, 2]);
      expect(existsSync(join(d, 'sparsity.safetensors'))).toBe(true);
    }
    // Refuses to overwrite, before training, with one line.
    const again = cli([...TINY, '--method', 'bagging', '--members', '3', '--export', out]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/already holds an SAE/);
  });

  it('boosting: explained variance rises with J; the export reloads with --from and reports the same metrics', () => {
    const out = join(dir, 'boost');
    const r = run(['--method', 'boosting', '--members', '3', '--export', out]);
    expect(r.perJ).toHaveLength(3);
    const ev = r.perJ.map((p) => p.metrics[0].explainedVariance);
    for (let j = 1; j < ev.length; j++) expect(ev[j]).toBeGreaterThan(ev[j - 1]);
    const manifest = JSON.parse(readFileSync(join(out, 'ensemble.json'), 'utf8')) as { method: string; folders: string[]; seeds: number[] };
    expect(manifest).toMatchObject({ method: 'boosting', folders: ['member-1', 'member-2', 'member-3'], seeds: [0, 1, 2] });
    const back = cli(['--from', out, '--data', 'synthetic:small', '--quiet']);
    expect(back.stderr).toBe('');
    const again = JSON.parse(back.stdout) as Result;
    expect(again.method).toBe('boosting');
    expect(again.perJ.map((p) => p.metrics[0])).toEqual(r.perJ.map((p) => p.metrics[0]));
    // --from brings its own method: training flags are refused, naming the flag.
    const bad = cli(['--from', out, '--data', 'synthetic:small', '--method', 'bagging']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--method cannot be combined with --from/);
    const missing = cli(['--from', join(dir, 'nope'), '--data', 'synthetic:small']);
    expect(missing.stderr).toMatch(/no such file or folder/);
  });

  it('expanded: one entry, one SAE with 3·16 latents and k scaled to 3·2', () => {
    const out = join(dir, 'exp');
    const r = run(['--method', 'expanded', '--members', '3', '--export', out]);
    expect(r.perJ).toHaveLength(1);
    expect(r.perJ[0].members).toBe(3);
    expect(r.perJ[0].latents).toBe(48);
    expect(r.config.dSae).toBe(48);
    expect(r.expanded).toMatchObject({ latents: 48, k: 6 });
    expect(r.expanded?.note).toMatch(/k scaled/);
    finiteMetrics(r.perJ[0].metrics[0]);
    const d = join(out, 'member-1');
    const sae = readFolder(d);
    expect([sae.dSae, sae.k]).toEqual([48, 6]);
    expect(existsSync(join(out, 'member-2'))).toBe(false);
  });

  it('--repeats 2: stability and PW-MCC per J, every repeat exported', () => {
    const out = join(dir, 'rep');
    const r = run(['--method', 'bagging', '--members', '2', '--repeats', '2', '--export', out]);
    expect(r.repeats).toBe(2);
    expect(r.perJ).toHaveLength(2);
    for (const p of r.perJ) {
      expect(p.metrics).toHaveLength(2);
      const s = p.stability;
      expect(s).not.toBeNull();
      for (const v of [...(s?.relaxed ?? []), s?.mean ?? NaN, s?.exact ?? NaN]) {
        expect(v).toBeGreaterThanOrEqual(-1);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(p.pwMcc?.mean).toBeGreaterThanOrEqual(0);
      expect(p.pwMcc?.mean).toBeLessThanOrEqual(1);
      // The shared-fraction curve can only fall as the threshold rises.
      const curve = p.sharedFraction?.repeat0VsRepeat1 ?? [];
      expect(curve).toHaveLength(p.sharedFraction?.thresholds.length ?? -1);
      for (let i = 1; i < curve.length; i++) expect(curve[i]).toBeLessThanOrEqual(curve[i - 1]);
    }
    expect(r.export?.folders).toHaveLength(4);
    for (const d of [join(out, 'member-1'), join(out, 'member-2'), join(out, 'repeat-1', 'member-1'), join(out, 'repeat-1', 'member-2')]) {
      const sae = readFolder(d);
      expect(sae.dSae).toBe(16);
    }
  });

  it('--downstream on builtin:digits-marked with --eval-fraction: probing per kp and SCR per N on the held-out rows', () => {
    const r = cli(['--data', 'builtin:digits-marked', '--eval-fraction', '0.3', '--method', 'boosting', '--members', '2', '--latents', '16', '--k', '2', '--steps', '60', '--batch', '64', '--backend', 'cpu', '--quiet', '--downstream']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Result & {
      evalData: { rows: number; trainRows: number };
      downstream: { probing: { kp: number; accuracy: number; inputBaseline: number }[]; scr: { perN: { n: number; shift: number | null }[]; nameA: string }; why: string[] };
    };
    expect(out.evalData).toMatchObject({ rows: 539, trainRows: 1258 }); // round(0.3·1797) held out
    expect(out.downstream.why).toEqual([]);
    expect(out.downstream.probing.map((p) => p.kp)).toEqual([1, 2, 5]);
    for (const p of out.downstream.probing) for (const a of [p.accuracy, p.inputBaseline]) expect(a).toBeGreaterThan(0.5);
    expect(out.downstream.scr.perN.map((p) => p.n)).toEqual([1, 2, 5, 10, 20]);
    // Unlabelled data: the tasks are skipped with the reason, the metrics still come.
    const plain = run(['--method', 'bagging', '--members', '1', '--downstream']) as Result & { downstream: { probing: null; why: string[] } };
    expect(plain.downstream.probing).toBeNull();
    expect(plain.downstream.why[0]).toMatch(/needs class labels/);
  });

  it.each([
    [['--method', 'bagging', '--members', '2', '--eval-fraction', '1.5'], /--eval-fraction: expected a number strictly between 0 and 1/],
    [['--method', 'bagging', '--members', '0'], /--members/],
    [['--method', 'foo', '--members', '2'], /--method/],
    [['--members', '2'], /--method is required/],
    [['--method', 'bagging'], /--members is required/],
    [['--method', 'bagging', '--members', '2', '--repeats', '0'], /--repeats/],
    [['--method', 'bagging', '--members', '2', '--input-scaling', 'none'], /unknown flag --input-scaling/],
  ])('bad input %j: exit 2 with one line', (args, why) => {
    const r = cli(['--data', 'synthetic:small', '--backend', 'cpu', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(why);
  });
});
