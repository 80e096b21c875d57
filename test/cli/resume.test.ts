// `sae-workbench train --checkpoint FILE --checkpoint-every N` and `--resume FILE`, end to end on the CPU
// reference: 60 steps with a checkpoint at 30, resumed to 60, exports the same SAELens files byte for byte
// as an uninterrupted 60-step run; a resume on other data or with a changed flag exits 2 naming the file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
const dir = mkdtempSync(join(tmpdir(), 'sae-resume-'));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const TRAIN = ['train', '--data', 'synthetic:small:4', '--latents', '32', '--k', '3', '--batch', '64', '--steps', '60', '--seed', '7', '--backend', 'cpu', '--quiet'];
const files = (d: string): Buffer[] => ['sae_weights.safetensors', 'cfg.json'].map((f) => readFileSync(join(d, f)));

describe('train --checkpoint / --resume', () => {
  it('60 steps with a checkpoint at 30, resumed to 60 == 60 uninterrupted, byte for byte', { timeout: 60_000 }, () => {
    const whole = cli([...TRAIN, '--export', join(dir, 'whole')]);
    expect(whole.code, whole.stderr).toBe(0);

    const ck = join(dir, 'run-{step}.ckpt');
    const first = cli([...TRAIN, '--checkpoint', ck, '--checkpoint-every', '30', '--export', join(dir, 'first')]);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as { checkpoints: { file: string; step: number }[] };
    expect(report.checkpoints.map((c) => c.step)).toEqual([30, 60]);
    expect(existsSync(join(dir, 'run-30.ckpt'))).toBe(true);
    expect(files(join(dir, 'first'))).toEqual(files(join(dir, 'whole')));

    const resumed = cli(['train', '--data', 'synthetic:small:4', '--resume', join(dir, 'run-30.ckpt'), '--backend', 'cpu', '--quiet', '--export', join(dir, 'resumed')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumedFrom: { step: 30 }, config: { steps: 60, seed: 7, dSae: 32 } });
    const [w, cfg] = files(join(dir, 'resumed'));
    const [ww, wcfg] = files(join(dir, 'whole'));
    expect(w.equals(ww)).toBe(true);
    expect(cfg.toString()).toBe(wcfg.toString());
  });

  it('refuses other data, a changed flag and a file that is not a checkpoint (exit 2, the file named)', { timeout: 60_000 }, () => {
    const ck = join(dir, 'r.ckpt');
    expect(cli([...TRAIN, '--steps', '10', '--checkpoint', ck]).code).toBe(0);
    const other = cli(['train', '--data', 'synthetic:medium', '--resume', ck, '--backend', 'cpu', '--quiet']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/r\.ckpt: data: the checkpoint was saved on/);
    const changed = cli(['train', '--data', 'synthetic:small:4', '--resume', ck, '--latents', '64', '--backend', 'cpu', '--quiet']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/r\.ckpt: config\.dSae: the checkpoint trains with 32, got 64/);
    const notCk = cli(['train', '--data', 'synthetic:small:4', '--resume', join(dir, 'whole', 'sae_weights.safetensors'), '--backend', 'cpu', '--quiet']);
    expect(notCk.code).toBe(2);
    expect(notCk.stderr).toMatch(/sae_weights\.safetensors: __metadata__\.format: expected "sae-workbench-checkpoint"/);
  });
});
