// The CLI's k-means / k-flats (issue #12): `train --arch kmeans|kflats [--rank r] --export DIR` writes the
// cluster-layout folder, `eval --sae DIR` reads it back and reports the metrics train reported for it; the
// trainer defaults to lloyd for them; what does not apply is refused with exit 2 and one line. CPU reference.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
const dir = mkdtempSync(join(tmpdir(), 'sae-cluster-'));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('sae-workbench train/eval --arch kmeans|kflats', () => {
  const cases: [string, string[]][] = [['kmeans', []], ['kflats', ['--rank', '2']], ['kflats', ['--rank', '1', '--trainer', 'kmeans-then-pca']]];
  for (const [arch, extra] of cases) {
    it(`${arch} ${extra.join(' ')}: --export writes cfg.json + model.safetensors, eval on it gives train's eval`, { timeout: 60_000 }, () => {
      const out = join(dir, `${arch}-${extra.length}`);
      const t = cli(['train', '--data', 'synthetic:small', '--arch', arch, ...extra, '--latents', '6', '--steps', '3', '--backend', 'cpu', '--quiet', '--export', out]);
      expect(t.stderr).toBe('');
      expect(t.code).toBe(0);
      const trained = JSON.parse(t.stdout);
      expect(trained.config).toMatchObject({ arch, trainer: extra.includes('kmeans-then-pca') ? 'kmeans-then-pca' : 'lloyd', dSae: 6, batch: 8192 });
      expect(trained.backend.note).toMatch(/CPU reference/);
      for (const f of ['cfg.json', 'model.safetensors', 'sparsity.safetensors']) expect(existsSync(join(out, f))).toBe(true);
      expect(JSON.parse(readFileSync(join(out, 'cfg.json'), 'utf8'))).toMatchObject({ architecture: arch, clusters: 6, rank: arch === 'kmeans' ? 0 : Number(extra[1]) });
      const e = cli(['eval', '--sae', out, '--data', 'synthetic:small']);
      expect(e.code).toBe(0);
      const evaluated = JSON.parse(e.stdout);
      expect(evaluated.sae.arch).toBe(arch);
      expect(evaluated.eval.msePerToken).toBeCloseTo(trained.eval.msePerToken, 10);
      expect(evaluated.eval.l0).toBe(trained.eval.l0);
    });
  }

  it('refuses a trainer of another family, exit 2 and one line', () => {
    const r = cli(['train', '--data', 'synthetic:small', '--arch', 'kflats', '--trainer', 'sgd', '--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/trainer sgd does not train kflats models: use one of lloyd, kmeans-then-pca/);
  });
});
