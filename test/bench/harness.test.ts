// The bench harness without a GPU: statistics, FLOP and rate helpers, shape scaling, the repetition
// counts of timeIt, ratios and the Markdown report. No timing assertions.

import { describe, expect, it } from 'vitest';
import {
  benchShapes,
  denseStepFlops,
  gemmFlops,
  gflops,
  largestBufferBytes,
  REAL_SHAPE,
  summarize,
  timeIt,
  tokensPerSecond,
} from '../../src/bench/harness.ts';
import { OURS } from '../../src/bench/ours.ts';
import type { BenchReport } from '../../src/bench/report.ts';
import { measured, missing, ratiosOf, reportMarkdown } from '../../src/bench/report.ts';

describe('summarize', () => {
  it('gives the median of an odd count, the mean of the middle two of an even count', () => {
    expect(summarize([5, 1, 3]).medianMs).toBe(3);
    expect(summarize([4, 1, 3, 2]).medianMs).toBe(2.5);
  });
  it('gives min, mean and the sample standard deviation, and keeps the samples in order', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.minMs).toBe(2);
    expect(s.meanMs).toBe(5);
    expect(s.stdMs).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.samplesMs).toEqual([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(summarize([3]).stdMs).toBe(0);
  });
  it('rejects an empty sample', () => {
    expect(() => summarize([])).toThrow(/no samples/);
  });
});

describe('timeIt', () => {
  it('calls fn (warmup + reps)·inner times and done once per sample', async () => {
    let calls = 0;
    let dones = 0;
    const s = await timeIt(
      () => {
        calls++;
      },
      { warmup: 2, reps: 5, inner: 3 },
      async () => {
        dones++;
      },
    );
    expect(calls).toBe(21);
    expect(dones).toBe(7);
    expect(s.samplesMs).toHaveLength(5);
  });
  it('rejects reps < 1 with the numbers', async () => {
    await expect(timeIt(() => {}, { warmup: 0, reps: 0 })).rejects.toThrow(/reps 0/);
  });
});

describe('FLOPs and rates', () => {
  it('counts 2·batch·dSae·dIn for the GEMM and 12·batch·dSae·dIn for a dense step', () => {
    const s = { batch: 4096, dIn: 768, dSae: 16384, k: 32 };
    expect(gemmFlops(s)).toBe(2 * 4096 * 768 * 16384);
    expect(denseStepFlops(s)).toBe(6 * gemmFlops(s));
  });
  it('converts to GFLOP/s and tokens/s', () => {
    expect(gflops(2e9, 1000)).toBe(2);
    expect(gflops(1e6, 1)).toBe(1);
    expect(tokensPerSecond(4096, 2)).toBe(2048000);
    expect(() => gflops(1, 0)).toThrow(/> 0 ms, got 0/);
  });
});

describe('benchShapes', () => {
  it('uses the real SAE shape on a GPU and sweeps dSae at fixed batch, dIn, k', () => {
    const p = benchShapes(false);
    expect(p.step).toEqual([REAL_SHAPE]);
    expect(p.gemm).toContainEqual({ batch: 4096, dIn: 768, dSae: 16384, k: 32 });
    const ds = p.sweep.map((s) => s.dSae);
    expect(ds).toEqual([...ds].sort((a, b) => a - b));
    expect(new Set(p.sweep.map((s) => `${s.batch},${s.dIn},${s.k}`)).size).toBe(1);
    expect(largestBufferBytes(p)).toBe(4 * 4096 * 32768);
  });
  it('scales down on a software adapter: every dense step ≤ 2²⁷ FLOP (≈ 1 s), k < dSae, quick is smaller', () => {
    for (const quick of [false, true]) {
      const p = benchShapes(true, quick);
      for (const s of [...p.gemm, ...p.topk, ...p.step, ...p.sweep]) {
        expect(denseStepFlops(s)).toBeLessThanOrEqual(2 ** 27);
        expect(s.k).toBeLessThan(s.dSae);
      }
      expect(p.sweep.length).toBeGreaterThanOrEqual(2);
    }
    const full = benchShapes(true);
    const quick = benchShapes(true, true);
    expect(quick.sweep.length).toBeLessThan(full.sweep.length);
    expect(quick.reps).toBeLessThan(full.reps);
    expect(largestBufferBytes(full)).toBeLessThan(128 << 20); // fits WebGPU's default binding limit
  });
});

describe('report', () => {
  const shape = { batch: 8, dIn: 4, dSae: 16, k: 2 };
  const stats = (ms: number) => summarize([ms, ms, ms]);
  const ms = [
    measured('gemm', 'ours', shape, stats(2)),
    measured('gemm', 'tfjs', shape, stats(6)),
    missing('step', 'ours', shape, 'not-implemented', 'not yet implemented'),
    measured('step', 'tfjs', shape, stats(10)),
    missing('step', 'ours', { ...shape, dSae: 32 }, 'not-implemented', 'not yet implemented', true),
    measured('step', 'tfjs', { ...shape, dSae: 32 }, stats(20), true),
  ];
  it('derives GFLOP/s for the GEMM and tokens/s for a step', () => {
    expect(ms[0].gflops).toBeCloseTo(gemmFlops(shape) / 2 / 1e6, 12);
    expect(ms[3].tokensPerS).toBe(800);
  });
  it('pairs only measurements that both sides completed; speedup = tfjs / ours', () => {
    expect(ratiosOf(ms)).toEqual([{ kind: 'gemm', shape, sweep: false, oursMs: 2, tfjsMs: 6, speedup: 3 }]);
  });
  it('writes the side-by-side table and the dSae sweep, naming what is not yet implemented', () => {
    const r: BenchReport = {
      tool: 'sae-workbench bench',
      date: '2026-01-01T00:00:00.000Z',
      adapter: { name: 'test adapter', isSoftware: true, driver: 'none', info: {} },
      runtime: { node: '20', platform: 'linux-x64', tfjs: '4.22.0', tfjsFlags: {} },
      plan: { warmup: 1, reps: 3, inner: 1, quick: false },
      measurements: ms,
      ratios: ratiosOf(ms),
      wallS: 1,
    };
    const md = reportMarkdown(r);
    expect(md).toContain('### test adapter (software adapter: shapes scaled down)');
    expect(md).toMatch(/\| gemm \| 8×4→16 k2 \| 2 ms \(min 2\) \| 6 ms \(min 6\) \| .* GFLOP\/s \| .* \| 3× \|/);
    expect(md).toMatch(/\| step \| 8×4→16 k2 \| not yet implemented \| 10 ms/);
    expect(md).toMatch(/Step time vs dSae at batch 8, dIn 4, k 2/);
    expect(md).toMatch(/\| 32 \| not yet implemented \| 20 ms \(min 20\) \| — \|/);
  });
});

describe('our registry', () => {
  it('has an entry (a function, or null = not yet implemented) for every kind', () => {
    expect(Object.keys(OURS).sort()).toEqual(['gemm', 'step', 'topk']);
    for (const v of Object.values(OURS)) expect(v === null || typeof v === 'function').toBe(true);
  });
});
