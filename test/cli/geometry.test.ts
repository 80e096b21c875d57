// `sae-workbench geometry` end to end, as a user runs it: train and export small SAEs with the CLI, draw their
// regions on a grid, and recompute every grid point's label independently from the exported SAELens files
// (test/helpers/independent.ts: its own safetensors reader and f64 forward pass, no src/ imports) and from the
// coordinates and plane the JSON reports. Labels may differ only where the independent pass finds a decision
// within 1e-6·(1 + |z|) of flipping (f32 in the CLI vs f64 here: z is O(1), f32 rounds it at ~1e-7); the test
// counts those and requires them to be under 1 % of the points.
// k-means / k-flats exports (--model) are recomputed the same way from model.safetensors. Bad input: exit code 2
// with a one-line reason.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { forward, readSaeLensFolder, readSafetensorsF32, writeNpyF32, type SaeLensMember } from '../helpers/independent.ts';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
/** A decision within EPS·(1 + |z|) of flipping is a near tie (forward's rule). */
const EPS = 1e-6;
const dir = mkdtempSync(join(tmpdir(), 'sae-geometry-'));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A hand-written .npy reader for '<f4' C-order arrays of any rank. */
function readNpyF32(path: string): { shape: number[]; data: Float32Array } {
  const b = new Uint8Array(readFileSync(path));
  const headerLen = b[8] | (b[9] << 8);
  const header = String.fromCharCode(...b.subarray(10, 10 + headerLen));
  expect(header).toMatch(/'descr': '<f4', 'fortran_order': False/);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').filter((t) => t.trim() !== '').map(Number);
  const count = shape.reduce((a, c) => a * c, 1);
  const view = new DataView(b.buffer, b.byteOffset + 10 + headerLen, count * 4);
  return { shape, data: Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true)) };
}

/** A hand-written .npy reader for '<i4' and '|u1' C-order arrays of any rank. */
function readNpyInt(path: string): { shape: number[]; data: Int32Array | Uint8Array } {
  const b = new Uint8Array(readFileSync(path));
  const headerLen = b[8] | (b[9] << 8);
  const header = String.fromCharCode(...b.subarray(10, 10 + headerLen));
  const descr = /'descr': '([^']+)'/.exec(header)?.[1];
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').filter((s) => s.trim() !== '').map(Number);
  expect(header).toMatch(/'fortran_order': False/);
  const count = shape.reduce((a, c) => a * c, 1);
  const start = 10 + headerLen;
  if (descr === '|u1') return { shape, data: b.slice(start, start + count) };
  expect(descr).toBe('<i4');
  const view = new DataView(b.buffer, b.byteOffset + start, count * 4);
  return { shape, data: Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true)) };
}

interface GeometryJson {
  labels: { shape: number[]; dtype: string; regions: number };
  u: number[];
  v: number[];
  plane: { origin: number[]; e1: number[]; e2: number[] };
}

/** Runs geometry, then compares every grid point with the independent forward pass; returns [points, near-tie points]. */
function checkAllPoints(m: SaeLensMember, out: string, json: GeometryJson, mode: 'topk-active' | 'topk-power' | 'pattern', errorFile?: string): [number, number] {
  const { shape, data } = readNpyInt(out);
  const errors = errorFile ? readNpyF32(errorFile) : null;
  if (errors) expect(errors.shape).toEqual([json.u.length, json.u.length]);
  expect(shape).toEqual(json.labels.shape);
  const n = json.u.length;
  const { origin, e1, e2 } = json.plane;
  let near = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const x = Float64Array.from(origin, (o, d) => o + json.u[c] * e1[d] + json.v[r] * e2[d]);
      let want: number[];
      let nearTie: boolean;
      if (mode === 'topk-power') {
        // the k largest pre-activations, before the ReLU: forward() of a ReLU-free copy (threshold −∞)
        const z = forward({ ...m, architecture: 'jumprelu', threshold: new Float64Array(m.dSae).fill(-1e300) }, x, 1, 0).codes;
        const order = Array.from({ length: m.dSae }, (_, i) => i).sort((a, b) => z[b] - z[a] || a - b);
        want = order.slice(0, m.k ?? 0).sort((a, b) => a - b);
        nearTie = z[order[(m.k ?? 0) - 1]] - z[order[m.k ?? 0]] < EPS;
      } else {
        const fw = forward(m, x, 1, EPS);
        const active = [...fw.codes.keys()].filter((i) => fw.codes[i] !== 0);
        nearTie = fw.nearTies > 0;
        want = mode === 'pattern' ? Array.from({ length: m.dSae }, (_, i) => (active.includes(i) ? 1 : 0)) : [...active, ...Array(shape[2] - active.length).fill(-1)];
      }
      const width = shape[2];
      const got = Array.from(data.subarray((r * n + c) * width, (r * n + c + 1) * width));
      if (nearTie) near++;
      else expect(got, `grid point [${r}, ${c}]`).toEqual(want);
      if (errors && !nearTie) {
        // ‖x − x̂‖² from the independent forward pass's reconstruction
        const xHat = forward(m, x, 1, EPS).xHat;
        const e = x.reduce((a, xd, d) => a + (xd - xHat[d]) ** 2, 0);
        expect(Math.abs(errors.data[r * n + c] - e), `error at [${r}, ${c}]: ${errors.data[r * n + c]} vs ${e}`).toBeLessThanOrEqual(1e-4 * (1 + e));
      }
    }
  }
  return [n * n, near];
}

beforeAll(() => {
  // 2-D toy: three clusters (seed-papers §3.3's toy); 5-D: Gaussian rows. Written by hand, not by the project.
  let s = 12345;
  const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const centres = [[-1.5, 0], [1, 1], [0.5, -1.5]];
  writeNpyF32(join(dir, 'toy.npy'), 300, 2, Array.from({ length: 600 }, (_, i) => centres[Math.floor(i / 2) % 3][i % 2] + 0.4 * rand()));
  writeNpyF32(join(dir, 'd5.npy'), 200, 5, Array.from({ length: 1000 }, () => rand()));
  const train = (args: string[]): void => {
    const r = cli(['train', '--backend', 'cpu', '--steps', '150', '--batch', '32', '--lr', '3e-3', '--seed', '1', ...args]);
    expect(r.code, r.stderr).toBe(0);
  };
  train(['--data', join(dir, 'toy.npy'), '--arch', 'topk', '--latents', '12', '--k', '3', '--export', join(dir, 'topk2')]);
  train(['--data', join(dir, 'd5.npy'), '--arch', 'relu', '--latents', '10', '--l1', '0.05', '--export', join(dir, 'relu5')]);
  train(['--data', join(dir, 'd5.npy'), '--arch', 'jumprelu', '--latents', '10', '--l1', '0.05', '--export', join(dir, 'jump5')]);
  const cluster = (args: string[]): void => {
    const r = cli(['train', '--backend', 'cpu', '--steps', '10', '--batch', '64', '--seed', '2', '--data', join(dir, 'd5.npy'), '--latents', '6', ...args]);
    expect(r.code, r.stderr).toBe(0);
  };
  cluster(['--arch', 'kmeans', '--export', join(dir, 'kmeans5')]);
  cluster(['--arch', 'kflats', '--rank', '2', '--export', join(dir, 'kflats5')]);
}, 120_000);

/**
 * The cell of every grid point from the exported model.safetensors, by plain loops in f64: the smallest
 * ‖(I − UᵀU)(x − μ_j)‖² (k-means: ‖x − μ_j‖²), ties to the lower j; near ties (second − best < EPS·(1 + best)) skipped.
 */
function checkClusterCells(modelDir: string, out: string, json: GeometryJson): [number, number] {
  const t = readSafetensorsF32(new Uint8Array(readFileSync(join(modelDir, 'model.safetensors'))), modelDir);
  const means = (t.centroids ?? t.means).data;
  const [clusters, dIn] = (t.centroids ?? t.means).shape;
  const rank = t.bases ? t.bases.shape[1] : 0;
  const { shape, data } = readNpyInt(out);
  expect(shape).toEqual([json.u.length, json.u.length]);
  const n = json.u.length;
  const { origin, e1, e2 } = json.plane;
  let near = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const x = Float64Array.from(origin, (o, d) => o + json.u[c] * e1[d] + json.v[r] * e2[d]);
      const res = Array.from({ length: clusters }, (_, j) => {
        const y = Float64Array.from(x, (xd, d) => xd - means[j * dIn + d]);
        for (let q = 0; q < rank; q++) {
          const b = t.bases.data.subarray((j * rank + q) * dIn, (j * rank + q + 1) * dIn);
          const p = y.reduce((a, yd, d) => a + yd * b[d], 0);
          y.forEach((_, d) => (y[d] -= p * b[d]));
        }
        return y.reduce((a, yd) => a + yd * yd, 0);
      });
      const best = res.indexOf(Math.min(...res));
      const second = Math.min(...res.filter((_, j) => j !== best));
      if (second - res[best] < EPS * (1 + res[best])) near++;
      else expect(data[r * n + c], `grid point [${r}, ${c}]`).toBe(best);
    }
  }
  return [n * n, near];
}

describe('sae-workbench geometry, recomputed independently', () => {
  it('TopK on a 2-D toy (its input space over the data range): the active set and --error ‖x − x̂‖² at all 40×40 grid points', () => {
    const out = join(dir, 'topk2.npy');
    const r = cli(['geometry', '--sae', join(dir, 'topk2'), '--data', join(dir, 'toy.npy'), '--grid', '40', '--out', out, '--json', join(dir, 'topk2.json'), '--error', join(dir, 'topk2-error.npy')]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(dir, 'topk2.json'), 'utf8')) as GeometryJson;
    expect(json).toEqual(JSON.parse(r.stdout));
    expect(json.labels.shape).toEqual([40, 40, 3]);
    expect(json.labels.regions).toBeGreaterThan(4);
    // the range covers the data: min/max of the toy's columns lie inside [u0, u1] × [v0, v1]
    expect(json.u[0]).toBeLessThan(-1.9);
    expect(json.u[39]).toBeGreaterThan(1.4);
    expect(json.v[0]).toBeGreaterThan(json.v[39]); // row 0 at the top
    const [points, near] = checkAllPoints(readSaeLensFolder(join(dir, 'topk2')), out, json, 'topk-active', join(dir, 'topk2-error.npy'));
    expect(points).toBe(1600);
    expect(near).toBeLessThanOrEqual(16); // 1 %
  });

  it('TopK --cells power: the k largest pre-activations (order-k power cell) at every point, never −1', () => {
    const out = join(dir, 'power2.npy');
    const r = cli(['geometry', '--sae', join(dir, 'topk2'), '--range', '-3,3,-2.5,2.5', '--grid', '33', '--cells', 'power', '--out', out, '--json', join(dir, 'power2.json')]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as GeometryJson & { powerDiagram: { sites: number[]; radii: number[] } };
    expect(json.powerDiagram.sites).toHaveLength(24);
    expect(Math.min(...json.powerDiagram.radii)).toBe(0);
    expect(Array.from(readNpyInt(out).data).every((i) => i >= 0 && i < 12)).toBe(true);
    const [, near] = checkAllPoints(readSaeLensFolder(join(dir, 'topk2')), out, json, 'topk-power');
    expect(near).toBeLessThanOrEqual(10); // 1 %
  });

  for (const name of ['relu5', 'jump5']) {
    it(`${name === 'relu5' ? 'ReLU' : 'JumpReLU'} in 5-D on the plane through data rows 3, 50, 120: the uint8 pattern and --error at all 36×36 points`, () => {
      const out = join(dir, `${name}.npy`);
      const r = cli(['geometry', '--sae', join(dir, name), '--data', join(dir, 'd5.npy'), '--plane', '3,50,120', '--grid', '36', '--out', out, '--error', join(dir, `${name}-error.npy`)]);
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout) as GeometryJson & { labels: { dtype: string }; plane: { rowsUv: number[] } };
      expect(json.labels.dtype).toBe('uint8');
      expect(json.labels.shape).toEqual([36, 36, 10]);
      expect(json.plane.rowsUv.slice(0, 2)).toEqual([0, 0]); // row 3 is the origin
      expect(json.labels.regions).toBeGreaterThan(3);
      const [, near] = checkAllPoints(readSaeLensFolder(join(dir, name)), out, json, 'pattern', join(dir, `${name}-error.npy`));
      expect(near).toBeLessThanOrEqual(13); // 1 %
    });
  }
});

describe('sae-workbench geometry --model (k-means, k-flats), recomputed independently', () => {
  for (const name of ['kmeans5', 'kflats5']) {
    it(`${name === 'kmeans5' ? 'k-means (6 clusters)' : 'k-flats (6 clusters, rank 2)'} in 5-D on the plane through rows 0, 1, 2: the cell at all 40×40 points`, () => {
      const out = join(dir, `${name}.npy`);
      const r = cli(['geometry', '--model', join(dir, name), '--data', join(dir, 'd5.npy'), '--plane', '0,1,2', '--grid', '40', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout) as GeometryJson & { model: { clusters: number; meansUv: number[] } };
      expect(json.labels.dtype).toBe('int32');
      expect(json.model.meansUv).toHaveLength(12);
      expect(json.labels.regions).toBeGreaterThan(1);
      const [, near] = checkClusterCells(join(dir, name), out, json);
      expect(near).toBeLessThanOrEqual(16); // 1 %
    });
  }
});

describe('sae-workbench geometry refuses bad input with exit code 2 and the reason', () => {
  const cases: [string, string[], RegExp][] = [
    ['--model on a SAELens SAE', ['--model', 'topk2', '--range', '0,1,0,1', '--grid', '8', '--out', 'o.npy'], /--model is for k-means \/ k-flats folders, this one holds a topk SAE: use --sae/],
    ['both --sae and --model', ['--sae', 'topk2', '--model', 'topk2', '--grid', '8', '--out', 'o.npy'], /one of --sae DIR .* and --model DIR/],
    ['a 5-d SAE without --plane', ['--sae', 'relu5', '--grid', '8', '--out', 'o.npy'], /reads 5-d inputs: give --plane i,j,k and --data/],
    ['--plane without --data', ['--sae', 'relu5', '--plane', '1,2,3', '--grid', '8', '--out', 'o.npy'], /give --data SPEC too/],
    ['a row past the data', ['--sae', 'relu5', '--data', 'd5.npy', '--plane', '1,2,999', '--grid', '8', '--out', 'o.npy'], /row 999 is not in the data \(rows 0\.\.199\)/],
    ['collinear rows', ['--sae', 'relu5', '--data', 'd5.npy', '--plane', '1,1,2', '--grid', '8', '--out', 'o.npy'], /p1 equals p0/],
    ['no --grid', ['--sae', 'topk2', '--data', 'toy.npy', '--out', 'o.npy'], /--grid N is required, an integer in 1\.\.2048/],
    ['a 2-D SAE with no range', ['--sae', 'topk2', '--grid', '8', '--out', 'o.npy'], /--range u0,u1,v0,v1/],
    ['an inverted range', ['--sae', 'topk2', '--range', '1,0,0,1', '--grid', '8', '--out', 'o.npy'], /u1 > u0/],
    ['power cells of a ReLU SAE', ['--sae', 'relu5', '--data', 'd5.npy', '--plane', '1,2,3', '--cells', 'power', '--grid', '8', '--out', 'o.npy'], /TopK SAEs, this SAE is relu/],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const r = cli(['geometry', ...args.map((a) => (['relu5', 'topk2', 'd5.npy', 'toy.npy', 'o.npy'].includes(a) ? join(dir, a) : a))]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }
});
