// `sae-workbench bench --soak MINUTES` (issue #13, deliverable 7), briefly: the loop trains, stops, exports and
// reloads in a real child process and reports memory samples, slopes and a verdict; a bad duration exits 2.
// The 30-minute figures are in BENCHMARKS.md (a benchmark, not a timed test).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(__dirname, '../../bin/sae-workbench.js');

describe('sae-workbench bench --soak', () => {
  it('runs the loop and reports memory over time with a verdict', { timeout: 60_000 }, () => {
    const r = spawnSync(process.execPath, ['--expose-gc', BIN, 'bench', '--soak', '0.1', '--quiet'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.cycles).toBeGreaterThan(3);
    expect(rep.runs).toBe(rep.cycles);
    expect(rep.uploads).toBe(Math.floor(rep.cycles / 3)); // cycles 2, 5, 8, … upload
    expect(rep.gc).toBe(true);
    expect(rep.samples.length).toBeGreaterThanOrEqual(2);
    for (const s of rep.samples) expect(s.rssMb).toBeGreaterThan(10);
    expect(rep.verdict).toMatch(/^(flat|GROWING): heap -?[\d.]+ and array buffers -?[\d.]+ MB\/min/);
  });

  it('refuses a duration that is not a positive number of minutes', () => {
    const r = spawnSync(process.execPath, [BIN, 'bench', '--soak', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--soak: expected minutes in \(0, 1440\], got 0/);
  });
});
