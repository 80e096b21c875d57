// The CPU comparison of `sae-workbench bench --cpu` (issue #15): per shape, the training step of the wasm
// engine (src/cpu), the CPU reference (src/core, the floor) and an independent PyTorch trainer of the same
// recipe (the peer, 1 and 2 threads), all from one run; plus the wasm encoder GEMM's rate as a fraction of
// this CPU's SIMD128 peak. Pure TypeScript: the peer and the clock come in from the CLI (src/cli/cpuBench.ts);
// imports src/core, src/cpu and the harness's timing only (no Node module).

import type { TrainConfig } from '../core/sae/config.ts';
import { createRng } from '../core/math/random.ts';
import { createTrainer } from '../core/sae/train.ts';
import type { Dataset } from '../core/sae/types.ts';
import { heapOf, instantiate } from '../cpu/saeStep.ts';
import { createWasmTrainer } from '../cpu/wasmTrainer.ts';
import type { Stats } from './harness.ts';
import { summarize } from './harness.ts';

/** One shape of the table: a dataset (by its CLI spec) and the SAE's size; batch 256 as the issue's table. */
export interface CpuShape {
  data: string;
  dSae: number;
  k: number;
  batch: number;
}

/** The issue's table: stories260K resid:3 (dIn 64) and Fashion-MNIST (dIn 784) at dSae/k 256/8 and 1024/16. */
export const CPU_SHAPES: readonly CpuShape[] = ['builtin:stories-resid-3', 'builtin:fashion-mnist'].flatMap((data) =>
  [
    [256, 8],
    [1024, 16],
  ].map(([dSae, k]) => ({ data, dSae, k, batch: 256 })),
);

/** What the PyTorch peer measured (scripts/torch-peer.py's JSON line), or why it did not run. */
export type PeerResult = { ok: true; threads: number; msPerStep: number; tokensPerS: number; cpuMsPerStep: number; torch: string } | { ok: false; threads: number; why: string };

/** Milliseconds of CPU time this process has used (Node: process.cpuUsage): a clock that other load on a shared machine does not advance. */
export type CpuClock = () => number;

/** Runs the peer on `data` with the resolved config (the CLI spawns /usr/bin/python3 scripts/torch-peer.py). */
export type PeerRunner = (data: Dataset, c: { dSae: number; k: number; batch: number; lr: number; kAux: number; auxkCoefficient: number; deadWindowTokens: number }, threads: number) => Promise<PeerResult>;

export interface CpuRow {
  shape: CpuShape;
  dIn: number;
  /** Median ms per step (wall, and CPU time of this process) and tokens per wall second / per CPU second. */
  wasm: Timed & { tokensPerS: number; tokensPerCpuS: number; loss: number };
  reference: Timed & { tokensPerS: number; tokensPerCpuS: number; loss: number };
  torch: PeerResult[];
  /**
   * The wasm encoder GEMM (pack + z = (x − bDec)·wEncᵀ + bEnc) alone: GFLOP/s on the wall clock and on this
   * process's CPU time, and the latter as a fraction of the one-thread SIMD128 peak.
   */
  gemm: Timed & { gflops: number; gflopsCpu: number; ofPeak: number };
}

export interface CpuPeak {
  /** e.g. "AMD EPYC" (lscpu / os.cpus model name). */
  model: string;
  clockGHz: number;
  cores: number;
  /** One thread's WebAssembly SIMD128 peak: 4 f32 lanes × 2 flops (a multiply and an add: wasm has no FMA) × 2 (issue width) × clock. */
  simd128GflopsPerThread: number;
  how: string;
}

/**
 * The peak the GEMM rate is a fraction of, for one thread: 4 f32 lanes × 2 flops (a multiply and an add; wasm
 * SIMD has no FMA) × 2 (a core issues two 128-bit multiplies and two 128-bit adds per cycle: Zen 2–4, Intel
 * since Skylake) × clock. Native code on the same core (torch with a tuned BLAS) has FMA and wider vectors.
 */
export function simd128Peak(model: string, clockGHz: number, cores: number): CpuPeak {
  const per = 4 * 2 * 2 * clockGHz;
  return {
    model,
    clockGHz,
    cores,
    simd128GflopsPerThread: per,
    how: `1 thread × 4 f32 lanes (SIMD128) × 2 flops (a multiply and an add: wasm SIMD has no FMA without relaxed-simd) × 2 (two 128-bit multiplies and two adds issued per cycle) × ${clockGHz.toFixed(2)} GHz = ${per.toFixed(1)} GFLOP/s (${cores} cores; the wasm engine runs on one)`,
  };
}

export interface CpuPlan {
  /** Untimed steps first (V8 tiers the wasm up from its baseline compiler; first-touch allocation). */
  warmup: number;
  reps: number;
  /** The reference is ~20–40× slower: fewer steps. */
  refWarmup: number;
  refReps: number;
}

export const cpuPlan = (quick: boolean): CpuPlan => (quick ? { warmup: 3, reps: 5, refWarmup: 1, refReps: 1 } : { warmup: 10, reps: 20, refWarmup: 1, refReps: 3 });

/** Wall-clock and CPU-time statistics of the same samples. */
export interface Timed {
  stats: Stats;
  cpuStats: Stats;
}

/** Times `reps` single steps after `warmup` on both clocks; returns the stats and the last step's loss. */
function timeSteps(step: () => { loss: number }, warmup: number, reps: number, cpu: CpuClock): Timed & { loss: number } {
  let loss = NaN;
  for (let i = 0; i < warmup; i++) loss = step().loss;
  const wall: number[] = [];
  const used: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = cpu();
    const t0 = performance.now();
    loss = step().loss;
    wall.push(performance.now() - t0);
    used.push(cpu() - c0);
  }
  return { stats: summarize(wall), cpuStats: summarize(used), loss };
}

/** The wasm encoder GEMM alone on this shape (random operands): the dense product the step is built around. */
function timeGemm(module: WebAssembly.Module, batch: number, dIn: number, dSae: number, plan: CpuPlan, cpu: CpuClock): Timed {
  const w = instantiate(module);
  const heap = heapOf(w);
  const r = createRng(7);
  const rnd = (n: number) => Float32Array.from({ length: n }, () => r.normal());
  const x = heap.put(rnd(batch * dIn)), bDec = heap.put(rnd(dIn)), wEnc = heap.put(rnd(dSae * dIn)), bEnc = heap.put(rnd(dSae));
  const packed = heap.alloc(w.wb_packed_len(dSae, dIn) * 4), xc = heap.alloc(batch * dIn * 4), z = heap.alloc(batch * dSae * 4);
  return timeSteps(
    () => {
      w.wb_pack_enc(wEnc, dSae, dIn, packed);
      w.wb_encode(x, bDec, packed, bEnc, batch, dIn, dSae, xc, z);
      return { loss: 0 };
    },
    plan.warmup,
    plan.reps,
    cpu,
  );
}

/** One row: wasm, reference, GEMM, then the peer at each thread count (interleaved per shape, so drift hits all). */
export async function benchCpuShape(
  module: WebAssembly.Module,
  data: Dataset,
  shape: CpuShape,
  peak: CpuPeak,
  plan: CpuPlan,
  peer: PeerRunner | null,
  threads: readonly number[],
  cpu: CpuClock,
): Promise<CpuRow> {
  const config: Partial<TrainConfig> = { arch: 'topk', dSae: shape.dSae, k: shape.k, batch: shape.batch, steps: 100_000, seed: 0 };
  const ours = createWasmTrainer(module, data, config);
  const wasm = timeSteps(() => ours.trainStep(), plan.warmup, plan.reps, cpu);
  const ref = createTrainer(data, config);
  const reference = timeSteps(() => ref.trainStep(), plan.refWarmup, plan.refReps, cpu);
  const gemm = timeGemm(module, shape.batch, data.dIn, shape.dSae, plan, cpu);
  const flop = 2 * shape.batch * data.dIn * shape.dSae;
  const gflops = flop / (gemm.stats.medianMs * 1e6);
  const gflopsCpu = flop / (Math.max(gemm.cpuStats.medianMs, 1e-3) * 1e6);
  const c = ref.config;
  const torch: PeerResult[] = [];
  for (const t of threads) torch.push(peer ? await peer(data, { dSae: c.dSae, k: c.k, batch: c.batch, lr: c.lr, kAux: c.kAux, auxkCoefficient: c.auxkCoefficient, deadWindowTokens: c.deadWindowTokens }, t) : { ok: false, threads: t, why: 'no peer' });
  const tps = (s: Stats) => (shape.batch / Math.max(s.medianMs, 1e-3)) * 1000;
  return {
    shape,
    dIn: data.dIn,
    wasm: { ...wasm, tokensPerS: tps(wasm.stats), tokensPerCpuS: tps(wasm.cpuStats) },
    reference: { ...reference, tokensPerS: tps(reference.stats), tokensPerCpuS: tps(reference.cpuStats) },
    torch,
    gemm: { ...gemm, gflops, gflopsCpu, ofPeak: gflopsCpu / peak.simd128GflopsPerThread },
  };
}

export interface CpuBenchReport {
  tool: 'sae-workbench bench --cpu';
  date: string;
  cpu: CpuPeak;
  runtime: { node: string; platform: string; torch: string | null; torchNote: string };
  plan: CpuPlan & { quick: boolean };
  rows: CpuRow[];
  wallS: number;
}

const f3 = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(3)).toLocaleString('en-US') : '—');
const dataLabel = (spec: string): string => spec.replace(/^builtin:/, '').replace('stories-resid-3', 'stories260K resid:3');

/** The report as Markdown (a section of BENCHMARKS.md for this CPU). */
export function cpuReportMarkdown(r: CpuBenchReport): string {
  const threads = r.rows[0]?.torch.map((t) => t.threads) ?? [];
  const peerCell = (p: PeerResult | undefined): string => (!p ? '—' : p.ok ? f3(p.tokensPerS) : `absent (${p.why.split('\n')[0].slice(0, 60)})`);
  const ratio = (ours: number, p: PeerResult | undefined): string => (p?.ok ? `${f3(ours / p.tokensPerS)}×` : '—');
  const lines = [
    `### CPU: ${r.cpu.model} (${r.cpu.cores} cores, ${r.cpu.clockGHz.toFixed(2)} GHz)`,
    '',
    `${r.date} · Node ${r.runtime.node} (${r.runtime.platform}) · PyTorch ${r.runtime.torch ?? 'absent'} · ${r.runtime.torchNote} · ` +
      `wasm: warm-up ${r.plan.warmup}, median of ${r.plan.reps} steps; reference: warm-up ${r.plan.refWarmup}, median of ${r.plan.refReps}${r.plan.quick ? ' (--quick)' : ''} · total ${f3(r.wallS)} s`,
    '',
    'Training tokens/s of one TopK SGD step (AuxK, Adam, projection, clip, renormalisation, statistics), batch 256, one run; ratios = wasm / other.',
    '',
    `| data, dSae/k | wasm (ours, 1 thread) | reference | ${threads.map((t) => `torch ${t} thread${t === 1 ? '' : 's'}`).join(' | ')} | wasm / reference | ${threads.map((t) => `wasm / torch ${t}t`).join(' | ')} | wasm GEMM GFLOP/s (wall) |`,
    `| --- | --- | --- | ${threads.map(() => '---').join(' | ')} | --- | ${threads.map(() => '---').join(' | ')} | --- |`,
  ];
  for (const row of r.rows) {
    const w = row.wasm.tokensPerS;
    lines.push(
      `| ${dataLabel(row.shape.data)} (dIn ${row.dIn}), ${row.shape.dSae}/${row.shape.k} | ${f3(w)} | ${f3(row.reference.tokensPerS)} | ${row.torch.map(peerCell).join(' | ')} | ${f3(w / row.reference.tokensPerS)}× | ${threads.map((_, j) => ratio(w, row.torch[j])).join(' | ')} | ${f3(row.gemm.gflops)} |`,
    );
  }
  lines.push(
    '',
    'The same steps per second of CPU time this process used (one thread each: robust to other load on a shared machine; torch 1 thread measured by its time.process_time):',
    '',
    '| data, dSae/k | wasm | reference | torch 1 thread | wasm / reference | wasm / torch 1t | wasm GEMM GFLOP/s on CPU time |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const row of r.rows) {
    const w = row.wasm.tokensPerCpuS;
    const t1 = row.torch.find((p) => p.threads === 1);
    const t1cpu = t1?.ok ? (row.shape.batch / t1.cpuMsPerStep) * 1000 : NaN;
    lines.push(
      `| ${dataLabel(row.shape.data)}, ${row.shape.dSae}/${row.shape.k} | ${f3(w)} | ${f3(row.reference.tokensPerCpuS)} | ${t1?.ok ? f3(t1cpu) : 'absent'} | ${f3(w / row.reference.tokensPerCpuS)}× | ${t1?.ok ? `${f3(w / t1cpu)}×` : '—'} | ${f3(row.gemm.gflopsCpu)} (${(100 * row.gemm.ofPeak).toFixed(0)}% of peak) |`,
    );
  }
  lines.push('', `Peak: ${r.cpu.how}.`);
  return `${lines.join('\n')}\n`;
}
