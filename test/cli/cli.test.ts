// The CLI end to end, as a user runs it: train on a .npy file this project never produced, export a
// SAELens folder, and recompute the reported eval metrics from the exported files with an independent
// reader written here (its own safetensors parser and forward pass, no src/ imports). Then `eval`, and
// bad input: exit code 2 with a one-line reason.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
const dir = mkdtempSync(join(tmpdir(), 'sae-cli-'));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// ---- an independent reader: .npy writer, safetensors parser and SAELens forward pass, in f64 ----

/** Writes a C-order '<f4' .npy by hand (header per the NumPy format spec, padded to 64 bytes). */
function writeNpyF32(path: string, rows: number, cols: number, data: number[]): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const buf = Buffer.alloc(10 + header.length + rows * cols * 4);
  buf.write('\x93NUMPY', 0, 'latin1');
  buf[6] = 1;
  buf[7] = 0;
  buf.writeUInt16LE(header.length, 8);
  buf.write(header, 10, 'latin1');
  data.forEach((v, i) => buf.writeFloatLE(v, 10 + header.length + 4 * i));
  writeFileSync(path, buf);
}

function readSafetensors(path: string): Record<string, { shape: number[]; data: Float64Array }> {
  const b = readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out: Record<string, { shape: number[]; data: Float64Array }> = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    expect(t.dtype).toBe('F32');
    const [s, e] = t.data_offsets;
    const data = new Float64Array((e - s) / 4);
    for (let i = 0; i < data.length; i++) data[i] = b.readFloatLE(8 + n + s + 4 * i);
    out[name] = { shape: t.shape, data };
  }
  return out;
}

interface Recomputed {
  msePerToken: number;
  explainedVariance: number;
  explainedVariancePerDim: number;
  cosine: number;
  l0: number;
  l1: number;
  deadFraction: number;
}

/** SAELens v6 forward (topk / standard / jumprelu, apply_b_dec_to_input) and the metric definitions of the README. */
function recompute(folder: string, x: number[][]): Recomputed {
  const cfg = JSON.parse(readFileSync(join(folder, 'cfg.json'), 'utf8'));
  const w = readSafetensors(join(folder, 'sae_weights.safetensors'));
  const dIn: number = cfg.d_in;
  const dSae: number = cfg.d_sae;
  const T = x.length;
  const mu = new Array(dIn).fill(0);
  for (const r of x) r.forEach((v, d) => (mu[d] += v / T));
  let sse = 0, tv = 0, cos = 0, l0 = 0, l1 = 0;
  const sseD = new Array(dIn).fill(0), tvD = new Array(dIn).fill(0);
  const fired = new Array(dSae).fill(false);
  for (const r of x) {
    const pre = new Array(dSae).fill(0);
    for (let i = 0; i < dSae; i++) {
      let a = w.b_enc.data[i];
      for (let d = 0; d < dIn; d++) a += (r[d] - w.b_dec.data[d]) * w.W_enc.data[d * dSae + i];
      pre[i] = a;
    }
    const f = new Array(dSae).fill(0);
    if (cfg.architecture === 'topk') {
      const order = pre.map((v, i) => [v, i]).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
      for (let j = 0; j < cfg.k; j++) f[order[j][1]] = Math.max(0, order[j][0]);
    } else if (cfg.architecture === 'jumprelu') {
      for (let i = 0; i < dSae; i++) f[i] = pre[i] > w.threshold.data[i] ? Math.max(0, pre[i]) : 0;
    } else {
      for (let i = 0; i < dSae; i++) f[i] = Math.max(0, pre[i]);
    }
    const xh = Array.from(w.b_dec.data);
    for (let i = 0; i < dSae; i++) {
      if (f[i] > 0) {
        l0++;
        l1 += f[i];
        fired[i] = true;
      }
      for (let d = 0; d < dIn; d++) xh[d] += f[i] * w.W_dec.data[i * dIn + d];
    }
    let dot = 0, nx = 0, nh = 0;
    for (let d = 0; d < dIn; d++) {
      const e = (r[d] - xh[d]) ** 2;
      sse += e;
      sseD[d] += e;
      tv += (r[d] - mu[d]) ** 2;
      tvD[d] += (r[d] - mu[d]) ** 2;
      dot += r[d] * xh[d];
      nx += r[d] ** 2;
      nh += xh[d] ** 2;
    }
    cos += nh > 0 ? dot / Math.sqrt(nx * nh) : 0;
  }
  let evd = 0;
  for (let d = 0; d < dIn; d++) evd += 1 - sseD[d] / tvD[d];
  return {
    msePerToken: sse / T,
    explainedVariance: 1 - sse / tv,
    explainedVariancePerDim: evd / dIn,
    cosine: cos / T,
    l0: l0 / T,
    l1: l1 / T,
    deadFraction: fired.filter((v) => !v).length / dSae,
  };
}

// ---- a dataset the project has never seen: 3 clusters along random directions plus noise, 12-d ----
const rows = 600;
const dIn = 12;
const X: number[][] = [];
let seed = 12345;
const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const dirs = Array.from({ length: 20 }, () => Array.from({ length: dIn }, () => rand() - 0.5));
for (let t = 0; t < rows; t++) {
  const r = Array.from({ length: dIn }, () => 0.05 * (rand() - 0.5) + 0.3);
  for (let j = 0; j < 20; j++) if (rand() < 0.12) { const a = 0.5 + rand(); dirs[j].forEach((v, d) => (r[d] += a * v)); }
  X.push(r.map((v) => Math.fround(v)));
}
const npy = join(dir, 'acts.npy');
const evalNpy = join(dir, 'held-out.npy');

beforeAll(() => {
  writeNpyF32(npy, 500, dIn, X.slice(0, 500).flat());
  writeNpyF32(evalNpy, 100, dIn, X.slice(500).flat());
});

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('sae-workbench train → export → independent recomputation', () => {
  it.each([
    ['topk', ['--k', '3']],
    ['batchtopk', ['--k', '3']],
    ['relu', ['--l1', '0.05']],
    ['jumprelu', ['--l1', '0.01']],
  ])('%s', (arch, extra) => {
    const out = join(dir, `sae-${arch}`);
    const json = join(dir, `${arch}.json`);
    const r = cli(['train', '--data', npy, '--eval-data', evalNpy, '--arch', arch, '--latents', '24', '--steps', '150', '--batch', '64', '--seed', '3', '--input-scaling', 'expected-norm', '--export', out, '--json', json, '--quiet', '--backend', 'webgpu', ...extra]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const res = JSON.parse(readFileSync(json, 'utf8'));
    expect(JSON.parse(r.stdout)).toEqual(res);
    expect(res.config.arch).toBe(arch);
    expect(res.backend.kind).toBe('webgpu'); // asked for: the default on SwiftShader is the CPU reference (below)
    expect(res.backend.adapter).toMatch(/\S/);
    expect(res.eval.tokens).toBe(100);
    expect(res.training.final.step).toBe(150);
    expect(res.wallSeconds).toBeGreaterThan(0);

    // SAELens loading rules (sae-libraries.md §2): architecture, exact key set, shapes, version ≥ 6.
    const cfg = JSON.parse(readFileSync(join(out, 'cfg.json'), 'utf8'));
    const expectedArch = { topk: 'topk', batchtopk: 'jumprelu', relu: 'standard', jumprelu: 'jumprelu' }[arch];
    expect(cfg.architecture).toBe(expectedArch);
    expect([cfg.d_in, cfg.d_sae, cfg.dtype, cfg.apply_b_dec_to_input, cfg.normalize_activations]).toEqual([dIn, 24, 'float32', true, 'none']);
    const [major] = String(cfg.metadata.sae_lens_version).split('.').map(Number);
    expect(major).toBeGreaterThanOrEqual(6);
    const w = readSafetensors(join(out, 'sae_weights.safetensors'));
    const keys = expectedArch === 'jumprelu' ? ['W_dec', 'W_enc', 'b_dec', 'b_enc', 'threshold'] : ['W_dec', 'W_enc', 'b_dec', 'b_enc'];
    expect(Object.keys(w).sort()).toEqual(keys);
    expect(w.W_enc.shape).toEqual([dIn, 24]);
    expect(w.W_dec.shape).toEqual([24, dIn]);
    expect(w.b_enc.shape).toEqual([24]);
    expect(w.b_dec.shape).toEqual([dIn]);
    const sp = readSafetensors(join(out, 'sparsity.safetensors'));
    expect(sp.sparsity.shape).toEqual([24]);

    // The reported eval metrics, recomputed from the exported files alone.
    const mine = recompute(out, X.slice(500));
    for (const key of Object.keys(mine) as (keyof Recomputed)[]) {
      const reported = res.eval[key] as number;
      if (key === 'deadFraction' || Math.abs(mine[key]) < 1e-9) expect(Math.abs(reported - mine[key]), key).toBeLessThanOrEqual(1e-9);
      else expect(rel(reported, mine[key]), `${key}: reported ${reported}, recomputed ${mine[key]}`).toBeLessThanOrEqual(1e-4);
    }

    // `eval` on the exported folder reports the same numbers.
    const e = cli(['eval', '--sae', out, '--data', evalNpy]);
    expect(e.code).toBe(0);
    const ev = JSON.parse(e.stdout);
    for (const key of Object.keys(mine)) expect(rel(ev.eval[key], res.eval[key]) <= 1e-6 || Math.abs(ev.eval[key] - res.eval[key]) < 1e-9, key).toBe(true);
  });

  it('shows progress on stderr (steps/s, loss, L0, dead %)', () => {
    const r = cli(['train', '--data', 'synthetic:small:4', '--steps', '20', '--batch', '32', '--latents', '16']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/step 20\/20 .*steps\/s .*loss .*L0 .*dead/);
    expect(JSON.parse(r.stdout).eval.mcc).toBeGreaterThan(0);
  });
});

describe('sae-workbench train --backend webgpu (WGSL on SwiftShader here)', () => {
  it('trains on never-seen .npy data and its export matches a --backend cpu run from the same seed', () => {
    const common = ['train', '--data', npy, '--eval-data', evalNpy, '--arch', 'topk', '--latents', '24', '--k', '3', '--steps', '30', '--batch', '32', '--seed', '5', '--input-scaling', 'expected-norm', '--dead-window', '96', '--quiet'];
    const outGpu = join(dir, 'sae-webgpu');
    const outCpu = join(dir, 'sae-cpu');
    const g = cli([...common, '--backend', 'webgpu', '--export', outGpu]);
    expect(g.stderr).toBe('');
    expect(g.code).toBe(0);
    const c = cli([...common, '--backend', 'cpu', '--export', outCpu]);
    expect(c.code).toBe(0);
    const rg = JSON.parse(g.stdout);
    const rc = JSON.parse(c.stdout);
    expect(rg.backend.kind).toBe('webgpu');
    expect(rg.backend.adapter).toMatch(/\S/);
    expect(rc.backend.kind).toBe('cpu');
    // the same SAE, up to f32 summation order compounded over 30 Adam steps (test/engine/parity.test.ts)
    const wg = readSafetensors(join(outGpu, 'sae_weights.safetensors'));
    const wc = readSafetensors(join(outCpu, 'sae_weights.safetensors'));
    for (const name of ['W_enc', 'b_enc', 'W_dec', 'b_dec']) {
      const a = wg[name].data;
      const b = wc[name].data;
      let worst = 0;
      for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (2e-3 + Math.abs(b[i])));
      expect(worst, name).toBeLessThan(5e-3);
    }
    for (const key of ['msePerToken', 'explainedVariance', 'cosine', 'l0']) expect(rel(rg.eval[key], rc.eval[key]), key).toBeLessThan(1e-3);
    // and an independent reader recomputes the GPU run's reported metrics from its export
    const mine = recompute(outGpu, X.slice(500));
    for (const key of ['msePerToken', 'explainedVariance', 'cosine', 'l0'] as const) expect(rel(rg.eval[key], mine[key]), key).toBeLessThanOrEqual(1e-4);
  });
});

describe('the backend policy: the CLI chooses as the app does (src/engine/training/backend.ts)', () => {
  it('without --backend, a software adapter (SwiftShader here) gives the CPU (the wasm engine for topk) and says why; --backend cpu skips WebGPU', () => {
    const r = cli(['train', '--data', 'synthetic:small', '--steps', '3', '--batch', '16', '--latents', '8', '--k', '2', '--quiet']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.backend.kind).toBe('wasm');
    expect(res.backend.isSoftware).toBe(true);
    expect(res.backend.adapter).toMatch(/swiftshader/i);
    expect(res.backend.note).toMatch(/software one .*slower than the reference; backend 'webgpu' forces it/);
    const c = JSON.parse(cli(['train', '--data', 'synthetic:small', '--steps', '3', '--batch', '16', '--latents', '8', '--k', '2', '--quiet', '--backend', 'cpu']).stdout);
    expect(c.backend).toMatchObject({ kind: 'cpu', adapter: null, note: 'the CPU reference (src/core), as requested' });
  });
});

describe('an explicit VK_ICD_FILENAMES (src/gpu/node.ts)', () => {
  it('still finds a Vulkan loader where the system has none (Chromium\'s), and trains on that driver', () => {
    const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
    const r = spawnSync(process.execPath, [BIN, 'train', '--data', 'synthetic:small', '--steps', '2', '--batch', '8', '--latents', '8', '--k', '2', '--backend', 'webgpu', '--quiet'], {
      encoding: 'utf8',
      env: { ...process.env, VK_ICD_FILENAMES: icd },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).backend).toMatchObject({ kind: 'webgpu', adapter: expect.stringMatching(/swiftshader/i) });
  });
});

describe('bad input: exit code 2 and a one-line reason', () => {
  const bad = join(dir, 'bad.npy');
  beforeAll(() => writeFileSync(bad, Buffer.from('\x93NUMPY\x01\x00\xff\x7f{', 'latin1')));
  it.each([
    [['train', '--data', join(dir, 'missing.npy')], /missing\.npy: file not found/],
    [['train', '--data', 'PLACEHOLDER_BAD'], /bad\.npy: /],
    [['train', '--data', 'synthetic:nope'], /preset: expected one of small, medium, large/],
    [['train', '--data', 'synthetic:small', '--k', '99', '--latents', '8'], /k must be an integer in \[1, dSae=8\], got 99/],
    [['train', '--data', 'synthetic:small', '--steps', 'many'], /--steps: expected an integer, got "many"/],
    [['train', '--data', 'synthetic:small', '--frobnicate', '1'], /unknown flag --frobnicate/],
    [['train', '--data', 'synthetic:small', '--backend', 'webgpu', '--k', '9', '--latents', '8'], /k must be an integer in \[1, dSae=8\], got 9/],
    [['train', '--data', 'data.xyz'], /unknown data spec/],
    [['eval', '--sae', '/nonexistent-dir', '--data', 'synthetic:small'], /not a SAELens folder/],
    [['frob'], /unknown command "frob"/],
  ])('%j', (args, msg) => {
    const r = cli(args.map((a) => (a === 'PLACEHOLDER_BAD' ? bad : a)));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
  });

  it('refuses to overwrite an exported SAE without --force, keeping the old files', () => {
    const out = join(dir, 'keep');
    expect(cli(['train', '--data', 'synthetic:small', '--steps', '5', '--export', out, '--quiet']).code).toBe(0);
    const before = readFileSync(join(out, 'sae_weights.safetensors'));
    const r = cli(['train', '--data', 'synthetic:small', '--steps', '5', '--seed', '9', '--export', out, '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already holds an SAE.*--force/);
    expect(readFileSync(join(out, 'sae_weights.safetensors')).equals(before)).toBe(true);
    expect(existsSync(join(out, 'cfg.json'))).toBe(true);
  });

  it('eval rejects data of the wrong width, naming both widths', () => {
    const r = cli(['eval', '--sae', join(dir, 'keep'), '--data', npy]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dIn: expected 16 \(the SAE's d_in\), got 12/);
  });
});
