// `sae-workbench lm` end to end, as a user runs it: greedy text (stdout and --json), activations written as
// .npy + .tokens.json that parse and line up, an SAE trained on them with `train`, and one-line errors (exit 2).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/core/formats/npy.ts';

const ROOT = join(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'sae-lm-'));

/** Runs the CLI from a temporary working directory, so the default model must be found from the code's location. */
function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/sae-workbench.js'), ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const TEXT = 'Lily found a shiny red ball in the park. She ran to show her mom.\n\nTim and Sue played with a big dog. The dog was happy.\n';

describe('sae-workbench lm', () => {
  it('generate prints the golden greedy text and writes --json', () => {
    const json = join(dir, 'gen.json');
    const r = cli(['lm', 'generate', '--tokens', '40', '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('Once upon a time, there was a little girl named Lily')).toBe(true);
    const res = JSON.parse(readFileSync(json, 'utf8'));
    expect(res.tokens).toHaveLength(40);
    expect(res.pieces).toHaveLength(40);
    expect(res.text).toBe(r.stdout.slice(0, -1));
  });

  it('activations: .npy rows = tokens, 64-d resid / 172-d mlp, sidecar lines up, and `train` runs on it', () => {
    const text = join(dir, 'story.txt');
    writeFileSync(text, TEXT);
    for (const [site, dIn] of [['resid:3', 64], ['mlp:2', 172]] as const) {
      const out = join(dir, `acts-${site.replace(':', '')}.npy`);
      const r = cli(['lm', 'activations', '--text', text, '--site', site, '--out', out, '--context', '16', '--quiet']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout);
      const { shape, data } = parseNpy(new Uint8Array(readFileSync(out)), 'acts.npy');
      const side = JSON.parse(readFileSync(out.replace(/\.npy$/, '.tokens.json'), 'utf8'));
      expect(shape).toEqual([side.tokens.length, dIn]);
      expect([summary.rows, summary.dIn, side.rows, side.dIn, side.site]).toEqual([shape[0], dIn, shape[0], dIn, site]);
      expect(data.every(Number.isFinite)).toBe(true);
      for (let row = 0; row < shape[0]; row++) {
        const c = side.contexts[side.context[row]];
        expect(c.tokens[side.position[row]]).toBe(side.tokenIds[row]);
        expect(side.vocab[side.tokenIds[row]]).toBe(side.tokens[row]);
        expect(c.tokens.length).toBeLessThanOrEqual(16);
      }
      expect(side.contexts.map((c: { doc: number }) => c.doc).at(-1)).toBe(1); // two paragraphs
    }

    const npy = join(dir, 'acts-resid3.npy');
    const t = cli(['train', '--data', npy, '--steps', '20', '--batch', '16', '--latents', '32', '--quiet']);
    expect(t.code).toBe(0);
    const res = JSON.parse(t.stdout);
    expect(res.training.final.step).toBe(20);
    expect([res.data.rows, res.data.dIn]).toEqual([JSON.parse(readFileSync(npy.replace(/\.npy$/, '.tokens.json'), 'utf8')).rows, 64]);
    expect(Number.isFinite(res.eval.explainedVariance)).toBe(true);

    const dropped = join(dir, 'acts-nobos.npy');
    const d = cli(['lm', 'activations', '--text', text, '--site', 'resid:0', '--out', dropped, '--drop-bos', '--quiet']);
    expect(d.code).toBe(0);
    const side = JSON.parse(readFileSync(dropped.replace(/\.npy$/, '.tokens.json'), 'utf8'));
    expect(side.position.includes(0)).toBe(false);
    expect(parseNpy(new Uint8Array(readFileSync(dropped)), 'x').shape[0]).toBe(side.rows);
  });

  it('bad input exits 2 with one line', () => {
    const trunc = join(dir, 'trunc.bin');
    writeFileSync(trunc, readFileSync(join(ROOT, 'public/data/stories260k.bin')).subarray(0, 500_000)); // inside the weights
    const cases: [string[], RegExp][] = [
      [['lm', 'activations', '--site', 'resid:9', '--out', join(dir, 'x.npy')], /site: expected resid:L/],
      [['lm', 'activations', '--site', 'resid:1', '--out', join(dir, 'x.txt')], /--out: expected a path ending in \.npy/],
      [['lm', 'activations', '--site', 'resid:1', '--out', join(dir, 'x.npy'), '--context', '600'], /context: expected an integer in 2\.\.512/],
      [['lm', 'generate', '--model', trunc], /trunc\.bin: weights: expected 260032 f32 values .* \(truncated file\)/],
      [['lm', 'generate', '--model', join(dir, 'missing.bin')], /missing\.bin: file not found/],
      [['lm', 'generate', '--tokens', 'many'], /--tokens: expected an integer/],
      [['lm', 'speak'], /lm: unknown subcommand "speak"/],
    ];
    for (const [args, re] of cases) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
