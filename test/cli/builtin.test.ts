// Built-in datasets and the new file types through the real CLI, as a user runs it: `--data builtin:NAME`
// from any working directory, a CSV and a gzipped IDX file of our own, and bad specs (exit 2, one line).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DATA_DIR, loadBuiltin } from '../../src/cli/builtin.ts';
import { DIGITS_SOURCE } from '../../src/core/formats/csv.ts';
import { InputError } from '../../src/core/errors.ts';
import { GLOVE_SOURCE } from '../../src/core/formats/glove.ts';
import { FASHION_MNIST_SOURCE } from '../../src/core/formats/idx.ts';
import { BUILTINS } from '../../src/engine/data/datasets.ts';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
const dir = mkdtempSync(join(tmpdir(), 'sae-builtin-'));
const TINY = ['--steps', '10', '--batch', '16', '--latents', '8', '--k', '2', '--quiet'];

/** Runs the CLI from `cwd` (default: a temporary folder, so nothing may depend on the working directory). */
function cli(args: string[], cwd = dir): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('sae-workbench train --data builtin:NAME', () => {
  it.each([
    ['builtin:digits', 1797, 64],
    ['builtin:fashion-mnist', 10000, 784],
    ['builtin:glove-50d', 10000, 50],
    ['builtin:stories-mlp-1', 16384, 172], // 16,384 text tokens (BOS rows dropped)
  ])('%s trains (rows %i, dIn %i), run from another folder', (spec, rows, dIn) => {
    const r = cli(['train', '--data', spec, ...TINY]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { data: { spec: string; rows: number; dIn: number }; config: { steps: number } };
    expect(out.data).toEqual({ spec, rows, dIn });
    expect(out.config.steps).toBe(10);
  });

  it('an unknown builtin exits 2 naming the ones there are', () => {
    const r = cli(['train', '--data', 'builtin:mnist', ...TINY]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/builtin:mnist: name: expected one of builtin:fashion-mnist, builtin:digits, builtin:digits-marked, builtin:fashion-mnist-marked, builtin:glove-50d, builtin:stories-resid-L \(L = 0..5\), builtin:stories-mlp-L \(L = 1..5\), got "mnist"/);
  });
});

describe('CSV and IDX files as --data', () => {
  it('a CSV with a header', () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 2}`);
    const path = join(dir, 'acts.csv');
    writeFileSync(path, ['a,b,c', ...rows].join('\n') + '\n');
    const r = cli(['train', '--data', path, ...TINY]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { data: { rows: number; dIn: number } }).data).toMatchObject({ rows: 40, dIn: 3 });
  });

  it('a gzipped IDX file (MNIST naming), and a malformed one exits 2', () => {
    const n = 20;
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, n, 0, 0, 0, 2, 0, 0, 0, 2]);
    const pixels = Buffer.from(Array.from({ length: n * 4 }, (_, i) => (i * 37) % 256));
    const path = join(dir, 'mine-images-idx3-ubyte.gz');
    writeFileSync(path, gzipSync(Buffer.concat([header, pixels])));
    const ok = cli(['train', '--data', path, ...TINY]);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { data: { rows: number; dIn: number } }).data).toMatchObject({ rows: n, dIn: 4 });

    const bad = join(dir, 'bad.idx');
    writeFileSync(bad, Buffer.concat([header, pixels.subarray(1)]));
    const r = cli(['train', '--data', bad, ...TINY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.idx: dims \[20, 2, 2\]: expected 16 \+ 20·2·2·1 = 96 bytes \(u8\), got 95 bytes: the file is truncated/);
  });

  it('a CSV with a NaN exits 2 naming the line and column', () => {
    const path = join(dir, 'nan.tsv');
    writeFileSync(path, '1\t2\n3\tNaN\n');
    const r = cli(['train', '--data', path, ...TINY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nan\.tsv: line 2, column 2: expected a finite number, got "NaN"/);
  });
});

describe('loadBuiltin (the engine\'s loader, reading public/data/ next to the CLI\'s source)', () => {
  it('finds public/data relative to its own source file: every shipped built-in loads with the catalogue\'s shape', async () => {
    for (const b of BUILTINS.filter((x) => x.id.startsWith('builtin:') && !x.id.startsWith('builtin:stories-'))) {
      const d = await loadBuiltin(b.id);
      expect([d.all.rows, d.all.dIn], b.id).toEqual([...b.shape]);
      for (const f of d.info.files) expect(existsSync(join(BUILTIN_DATA_DIR, f)), f).toBe(true);
    }
  });

  it('returns labelled data with source and licence metadata', async () => {
    const d = await loadBuiltin('builtin:digits');
    expect([d.all.rows, d.all.dIn, (d.all as { labels?: unknown[] }).labels?.length]).toEqual([1797, 64, 1797]);
    expect(d.info.card.licence).toMatch(/BSD-3-Clause/);
    expect(DIGITS_SOURCE.licence).toMatch(/BSD-3-Clause/);
    expect(FASHION_MNIST_SOURCE.licence).toMatch(/MIT/);
    expect(GLOVE_SOURCE.licence).toMatch(/PDDL/);
    await expect(loadBuiltin('builtin:toString')).rejects.toThrow(InputError);
  });
});
