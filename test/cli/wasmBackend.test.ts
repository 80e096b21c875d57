// The CLI's --backend wasm (issue #15): it trains on the wasm engine and says so in the log line and the
// JSON, gives the reference's SAE within the parity tolerance, and refuses what the wasm engine does not
// train with one line naming the fix. Node only (the wasm engine never loads WebGPU).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(__dirname, '../../bin/sae-workbench.js');

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 90_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface TrainJson {
  backend: { kind: string; note: string };
  training: { final: { loss: number } };
}

describe('sae-workbench train --backend wasm', () => {
  it('trains on the wasm engine, saying so, and ends where the reference ends', () => {
    const args = ['train', '--data', 'synthetic:small', '--latents', '32', '--k', '4', '--steps', '60', '--batch', '64', '--seed', '3'];
    const wasm = cli([...args, '--backend', 'wasm']);
    expect(wasm.code, wasm.stderr).toBe(0);
    expect(wasm.stderr).toMatch(/the wasm engine \(WebAssembly SIMD on the CPU, one thread\), as requested/);
    const ref = cli([...args, '--backend', 'cpu']);
    expect(ref.code, ref.stderr).toBe(0);
    const a = JSON.parse(wasm.stdout) as TrainJson;
    const b = JSON.parse(ref.stdout) as TrainJson;
    expect(a.backend).toMatchObject({ kind: 'wasm' });
    expect(b.backend).toMatchObject({ kind: 'cpu' });
    expect(Math.abs(a.training.final.loss - b.training.final.loss)).toBeLessThan(2e-4 * b.training.final.loss + 1e-6);
  });

  it('refuses an architecture it does not train, in one line with the fix', () => {
    const r = cli(['train', '--data', 'synthetic:small', '--arch', 'relu', '--steps', '5', '--backend', 'wasm']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(/backend 'wasm': the wasm engine trains topk only so far \(relu runs on the reference\): use backend 'cpu' or 'auto'/);
  });
});
