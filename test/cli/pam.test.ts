// PAM-SGD through the CLI on data this project has never seen (generated here), checked independently: the
// decoder of the exported SAE is recomputed from its own encoder and the data by an f64 least-squares solve
// written in this test (normal equations, Gaussian elimination with partial pivoting — not src/core's
// Cholesky), and must equal the exported W_dec and b_dec: the decoder block is the exact minimiser
// (seed-papers §3.6, with μ_dec = 0 and a vanishing ridge). CPU reference, tiny shapes.

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forward, readSaeLensFolder, writeNpyF32 } from '../helpers/independent.ts';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
const dir = mkdtempSync(join(tmpdir(), 'sae-pam-'));

/** Sparse non-negative combinations of 20 seeded directions in 10 dims, plus an offset: rows × 10. */
function makeData(rows: number, dIn: number): Float64Array {
  let s = 987654321;
  const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const dirs = Array.from({ length: 20 }, () => Array.from({ length: dIn }, () => rand() * 2 - 1));
  const x = new Float64Array(rows * dIn);
  for (let t = 0; t < rows; t++) {
    for (let d = 0; d < dIn; d++) x[t * dIn + d] = 0.5 + 0.05 * (rand() - 0.5);
    for (const v of dirs) if (rand() < 0.15) for (let d = 0; d < dIn; d++) x[t * dIn + d] += (0.5 + rand()) * v[d];
  }
  return x;
}

/** Solves M·X = R in f64 (M: [n, n], R: [n, c]) by Gaussian elimination with partial pivoting. */
function solve(M: Float64Array, R: Float64Array, n: number, c: number): Float64Array {
  const a = Float64Array.from(M);
  const b = Float64Array.from(R);
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[p * n + col])) p = r;
    if (p !== col) {
      for (let j = 0; j < n; j++) [a[col * n + j], a[p * n + j]] = [a[p * n + j], a[col * n + j]];
      for (let j = 0; j < c; j++) [b[col * c + j], b[p * c + j]] = [b[p * c + j], b[col * c + j]];
    }
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / a[col * n + col];
      if (f === 0) continue;
      for (let j = col; j < n; j++) a[r * n + j] -= f * a[col * n + j];
      for (let j = 0; j < c; j++) b[r * c + j] -= f * b[col * c + j];
    }
  }
  const out = new Float64Array(n * c);
  for (let r = n - 1; r >= 0; r--) {
    for (let j = 0; j < c; j++) {
      let v = b[r * c + j];
      for (let k = r + 1; k < n; k++) v -= a[r * n + k] * out[k * c + j];
      out[r * c + j] = v / a[r * n + r];
    }
  }
  return out;
}

describe('sae-workbench train --trainer pam-sgd', () => {
  it('exports a decoder that is the exact least-squares decoder of its own encoder on the data', { timeout: 60_000 }, () => {
    const rows = 600;
    const dIn = 10;
    const x = makeData(rows, dIn);
    const npy = join(dir, 'acts.npy');
    writeNpyF32(npy, rows, dIn, x);
    const out = join(dir, 'sae');
    // 40 steps of 50 rows over 600 rows: epochs of 12 steps, the last one partial (the final re-solve matters).
    const r = spawnSync(process.execPath, [BIN, 'train', '--data', npy, '--trainer', 'pam-sgd', '--latents', '12', '--k', '3', '--steps', '40', '--batch', '50',
      '--prox-dec', '0', '--ridge', '1e-9', '--updates-per-batch', '2', '--seed', '4', '--backend', 'cpu', '--quiet', '--export', out], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.config).toMatchObject({ trainer: 'pam-sgd', pamProxDec: 0, pamRidge: 1e-9, pamUpdatesPerBatch: 2 });
    const m = readSaeLensFolder(out);
    expect(m.cfg.metadata).toMatchObject({ training_algorithm: 'pam-sgd' });

    // The codes of the exported SAE (its encoder, b_dec applied to the input as SAELens does).
    const f = forward(m, x, rows, 1e-6);
    expect(f.nearTies).toBe(0); // no TopK decision within f32 noise of flipping
    const n = m.dSae + 1; // [z, 1]: the decoder rows and b_dec
    const M = new Float64Array(n * n);
    const R = new Float64Array(n * dIn);
    for (let t = 0; t < rows; t++) {
      const zt = [...f.codes.subarray(t * m.dSae, (t + 1) * m.dSae), 1];
      for (let i = 0; i < n; i++) {
        if (zt[i] === 0) continue;
        for (let j = 0; j < n; j++) M[i * n + j] += (zt[i] * zt[j]) / rows;
        for (let d = 0; d < dIn; d++) R[i * dIn + d] += (zt[i] * x[t * dIn + d]) / rows;
      }
    }
    const live: number[] = [];
    for (let i = 0; i < m.dSae; i++) if (M[i * n + i] > 0) live.push(i);
    expect(live.length).toBeGreaterThanOrEqual(8);
    for (let i = 0; i < n; i++) M[i * n + i] += 1e-9 + (i < m.dSae && M[i * n + i] === 0 ? 1 : 0); // dead latents: any value
    const sol = solve(M, R, n, dIn);
    const scale = Math.max(...Array.from(m.wDec, Math.abs), ...Array.from(m.bDec, Math.abs));
    let worst = 0;
    for (const i of live) for (let d = 0; d < dIn; d++) worst = Math.max(worst, Math.abs(sol[i * dIn + d] - m.wDec[i * dIn + d]));
    for (let d = 0; d < dIn; d++) worst = Math.max(worst, Math.abs(sol[m.dSae * dIn + d] - m.bDec[d]));
    expect(worst / scale).toBeLessThan(2e-3);
    // And not by accident: the decoder an SGD run of the same seed exports is not this minimiser.
    const sgdOut = join(dir, 'sgd');
    const g = spawnSync(process.execPath, [BIN, 'train', '--data', npy, '--latents', '12', '--k', '3', '--steps', '40', '--batch', '50', '--seed', '4', '--backend', 'cpu', '--quiet', '--export', sgdOut], { encoding: 'utf8' });
    expect(g.status).toBe(0);
    const sgd = readSaeLensFolder(sgdOut);
    const fs = forward(sgd, x, rows, 1e-6);
    const Ms = new Float64Array(n * n);
    const Rs = new Float64Array(n * dIn);
    for (let t = 0; t < rows; t++) {
      const zt = [...fs.codes.subarray(t * m.dSae, (t + 1) * m.dSae), 1];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) Ms[i * n + j] += (zt[i] * zt[j]) / rows;
        for (let d = 0; d < dIn; d++) Rs[i * dIn + d] += (zt[i] * x[t * dIn + d]) / rows;
      }
    }
    for (let i = 0; i < n; i++) Ms[i * n + i] += 1e-6;
    const solS = solve(Ms, Rs, n, dIn);
    let gap = 0;
    for (let d = 0; d < dIn; d++) gap = Math.max(gap, Math.abs(solS[m.dSae * dIn + d] - sgd.bDec[d]));
    expect(gap / scale).toBeGreaterThan(1e-2);
  });

  it('--preset applies a script\'s settings converted to this data, explicit flags win, and the JSON names the preset', () => {
    const r = spawnSync(process.execPath, [BIN, 'train', '--data', 'synthetic:small', '--preset', 'splinterp-llm', '--batch', '64', '--steps', '10', '--latents', '16', '--k', '2', '--backend', 'cpu', '--quiet'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.preset).toBe('splinterp-llm');
    // synthetic:small is 8192 rows of 16 dims: μ_enc = 16·1e-3, ridge 1e-10 / 8192; --batch 64 beats the preset's 256.
    expect(res.config).toMatchObject({ trainer: 'pam-sgd', pamOrder: 'decoder-first', pamSolve: 'uncentred', pamProxEnc: 0.016, pamRidge: 1e-10 / 8192, lr: 1e-3, gradClipNorm: 1, batch: 64 });
    const bad = spawnSync(process.execPath, [BIN, 'train', '--data', 'synthetic:small', '--preset', 'official', '--quiet'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--preset: expected one of paper, splinterp-mnist, splinterp-llm, got "official"/);
  });

  it('--init and --topk-select reach the config; a signed top-K SAE trains and evaluates but --export is refused before training', () => {
    const args = ['train', '--data', 'synthetic:small', '--topk-select', 'abs-signed', '--init', 'splinterp-llm', '--steps', '5', '--batch', '32', '--latents', '16', '--k', '2', '--backend', 'cpu', '--quiet'];
    const ok = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    const res = JSON.parse(ok.stdout);
    expect(res.config).toMatchObject({ topkSelect: 'abs-signed', init: 'splinterp-llm' });
    expect(Number.isFinite(res.eval.msePerToken)).toBe(true);
    const t0 = Date.now();
    const bad = spawnSync(process.execPath, [BIN, ...args.map((a) => (a === '5' ? '100000' : a)), '--export', join(dir, 'signed')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--export: topkSelect abs-signed .* has no SAELens form/);
    expect(Date.now() - t0).toBeLessThan(20_000); // refused before 100,000 steps, not after
  });
});
