// The CPU comparison's pure parts (src/bench/cpuBench.ts): the peak it divides by, one row measured on a
// tiny synthetic shape with a stand-in peer (the real peer is PyTorch in a child process: the CLI's), and
// the Markdown table with the peer present and absent.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../src/core/data/synthetic.ts';
import { loadSaeStepModule } from '../../src/cpu/saeStep.ts';
import type { CpuBenchReport, PeerRunner } from '../../src/bench/cpuBench.ts';
import { benchCpuShape, CPU_SHAPES, cpuPlan, cpuReportMarkdown, simd128Peak } from '../../src/bench/cpuBench.ts';

let module: WebAssembly.Module;
beforeAll(async () => {
  module = await loadSaeStepModule();
});

describe('the CPU comparison', () => {
  it("covers the issue's table and derives the SIMD128 peak from the clock", () => {
    expect(CPU_SHAPES.map((s) => `${s.data} ${s.dSae}/${s.k} b${s.batch}`)).toEqual([
      'builtin:stories-resid-3 256/8 b256',
      'builtin:stories-resid-3 1024/16 b256',
      'builtin:fashion-mnist 256/8 b256',
      'builtin:fashion-mnist 1024/16 b256',
    ]);
    const p = simd128Peak('Test CPU', 2.5, 2);
    expect(p.simd128GflopsPerThread).toBe(40); // 4 lanes × 2 flops × 2 issued × 2.5 GHz
    expect(p.how).toMatch(/4 f32 lanes .* 2\.50 GHz = 40\.0 GFLOP\/s/);
  });

  it('measures a row: wasm, reference, GEMM and the peer at each thread count, then renders it', async () => {
    const data = generateSynthetic({ nFeatures: 32, dIn: 16, rows: 600, meanActive: 3, zipfExponent: 0.6, magnitudeMean: 1, magnitudeStd: 0.25, correlation: 0, noiseStd: 0.01, seed: 1 });
    const asked: number[] = [];
    const peer: PeerRunner = (d, c, threads) => {
      asked.push(threads);
      expect([d.dIn, c.dSae, c.k, c.batch, c.kAux]).toEqual([16, 24, 3, 32, 8]);
      return Promise.resolve(threads === 1 ? { ok: true, threads, msPerStep: 2, tokensPerS: 16_000, cpuMsPerStep: 2, torch: 'stand-in' } : { ok: false, threads, why: 'not here' });
    };
    const peak = simd128Peak('Test CPU', 2, 2);
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const row = await benchCpuShape(module, data, { data: 'synthetic', dSae: 24, k: 3, batch: 32 }, peak, cpuPlan(true), peer, [1, 2], cpu);
    expect(asked).toEqual([1, 2]);
    expect(row.wasm.tokensPerS).toBeGreaterThan(0);
    expect(row.reference.tokensPerS).toBeGreaterThan(0);
    expect(Number.isFinite(row.wasm.loss) && Number.isFinite(row.reference.loss)).toBe(true);
    expect(row.gemm.gflops).toBeCloseTo((2 * 32 * 16 * 24) / (row.gemm.stats.medianMs * 1e6), 6);
    expect(row.gemm.ofPeak).toBeCloseTo(row.gemm.gflopsCpu / 32, 6); // peak 4 × 2 × 2 × 2 GHz
    expect(row.wasm.tokensPerCpuS).toBeGreaterThan(0);
    const report: CpuBenchReport = { tool: 'sae-workbench bench --cpu', date: 'd', cpu: peak, runtime: { node: '20', platform: 'linux-x64', torch: 'stand-in', torchNote: 'n' }, plan: { ...cpuPlan(true), quick: true }, rows: [row], wallS: 1 };
    const md = cpuReportMarkdown(report);
    expect(md).toMatch(/^### CPU: Test CPU \(2 cores, 2\.00 GHz\)/);
    expect(md).toMatch(/\| torch 1 thread \| torch 2 threads \|/);
    expect(md).toContain('| 16,000 | absent (not here) |');
    expect(md).toMatch(/per CPU-second|of CPU time/);
    expect(md.match(/\| 16,000 \|/g)).toHaveLength(2); // torch 1 thread: 32 tokens per 2 ms, wall and CPU time
    expect(md).toContain(`${Number((row.wasm.tokensPerS / 16_000).toPrecision(3)).toLocaleString('en-US')}×`);
  });
});
