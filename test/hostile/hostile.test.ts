// The hostile-file corpus (corpus.ts, generated into a temp folder) through both homes of the readers:
// (a) the CLI as a child process: exit code 2, one stderr line naming the file, peak RSS under a ceiling
//     (measured in the child by rss.mjs);
// (b) the engine's upload path in-thread (loadDataset / loadEnsemble on createWorkbench()): an InputError
//     whose message starts with the file's name, while a dataset loaded before stays listed and a run
//     started beside it still reaches 'done'.
// CLI children run two at a time (2 cores); the whole file takes well under a minute.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import type { Snapshot } from '../../src/engine/api.ts';
import { createWorkbench } from '../../src/engine/workbench.ts';
import type { HostileFile } from './corpus.ts';
import { hostileCorpus, writeCorpus } from './corpus.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TRAIN = ['train', '--data', 'FILE', '--steps', '2', '--batch', '4', '--latents', '4', '--k', '1', '--backend', 'cpu', '--quiet'];
const DEFAULT_MAX_RSS_MB = 300; // measured: 95-140 MB (a plain CLI start is ~95 MB)

const corpus = hostileCorpus();
const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
const paths = writeCorpus(dir, corpus);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface CliResult {
  code: number | null;
  stderr: string;
  stdout: string;
  rssMb: number;
}

function runCli(f: HostileFile, path: string, i: number): Promise<CliResult> {
  const rssOut = join(dir, `rss-${i}.txt`);
  const args = (f.cli ?? TRAIN).map((a) => (a === 'FILE' ? path : a));
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', join(ROOT, 'test/hostile/rss.mjs'), join(ROOT, 'bin/sae-workbench.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, HOSTILE_RSS_OUT: rssOut },
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('close', (code) => {
      let kb = NaN;
      try {
        kb = Number(readFileSync(rssOut, 'utf8'));
      } catch {
        // no report: the child died before its exit handler (the assertion on the code says so)
      }
      done({ code, stderr, stdout, rssMb: kb / 1024 });
    });
  });
}

/** Runs every file through the CLI, `width` children at a time; results in corpus order. */
function runAll(width: number): Promise<CliResult>[] {
  const results: Promise<CliResult>[] = [];
  let chain: Promise<unknown>[] = Array.from({ length: width }, () => Promise.resolve());
  corpus.forEach((f, i) => {
    const lane = i % width;
    const p = chain[lane].then(() => runCli(f, paths[i], i));
    chain[lane] = p;
    results.push(p);
  });
  chain = [];
  return results;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('hostile files through the CLI (exit 2, one line naming the file, bounded memory)', () => {
  let results: Promise<CliResult>[] = [];
  beforeAll(() => {
    results = runAll(2);
  });
  afterAll(async () => {
    // The figures behind the ceilings: the five largest peaks (a plain CLI start is ~150-200 MB).
    const peaks = (await Promise.all(results)).map((r, i) => `${corpus[i].name} ${r.rssMb.toFixed(0)} MB`);
    const top = peaks.sort((a, b) => Number(b.split(' ').at(-2)) - Number(a.split(' ').at(-2))).slice(0, 5);
    console.info(`hostile corpus: CLI peak RSS, largest first: ${top.join(', ')}`);
  });

  it(`the corpus has at least 25 files (${corpus.length})`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(25);
    expect(new Set(corpus.map((f) => f.name)).size).toBe(corpus.length);
  });

  corpus.forEach((f, i) => {
    it(f.name, { timeout: 60_000 }, async () => {
      const r = await results[i];
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^sae-workbench: \\S*${escape(f.name)}: `));
      expect(lines[0]).toMatch(f.message);
      expect(lines[0]).not.toMatch(/internal error/);
      expect(r.code).toBe(2);
      expect(r.rssMb).toBeLessThan(f.maxRssMb ?? DEFAULT_MAX_RSS_MB);
    });
  });
});

describe('hostile files through the engine (InputError naming the file; loaded data and a running run unaffected)', () => {
  const wb = createWorkbench();
  const snapshots: Snapshot[] = [];
  let datasetId = '';

  beforeAll(async () => {
    void wb.onSnapshot((s) => void snapshots.push(s));
    datasetId = (await wb.loadDataset({ source: 'synthetic', knobs: { nFeatures: 24, dIn: 8, meanActive: 2, zipfExponent: 0.5, correlation: 0, noiseStd: 0.01, rows: 256, seed: 3 } })).id;
    await wb.startRun({ dataset: datasetId, config: { dSae: 16, k: 2, batch: 16, steps: 4000, seed: 1 } });
  });

  corpus.forEach((f) => {
    it(f.name, { timeout: 60_000 }, async () => {
      const file = { name: f.name, bytes: f.bytes };
      const engine = f.engine ?? { kind: 'upload' };
      const loading = engine.kind === 'ensemble' ? wb.loadEnsemble({ file, dataset: datasetId }) : wb.loadDataset({ source: 'upload', file, ...(engine.tensor ? { tensor: engine.tensor } : {}) });
      const err = await loading.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(new RegExp(`^${escape(f.name)}: `));
      expect((err as Error).message).toMatch(f.message);
    });
  });

  it('the dataset loaded before is still listed and the run beside them reaches done', { timeout: 60_000 }, async () => {
    expect((await wb.listDatasets()).map((d) => d.id)).toContain(datasetId);
    const deadline = Date.now() + 50_000;
    while (snapshots.at(-1)?.status !== 'done' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const last = snapshots.at(-1);
    expect(last?.status).toBe('done');
    expect(last?.step).toBe(4000);
    expect(Number.isFinite(last?.loss)).toBe(true);
  });
});
