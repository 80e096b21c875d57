// `sae-workbench bench`: on whatever adapter is present (SwiftShader when there is no GPU), times our
// encoder GEMM, TopK and training step (src/bench/ours.ts) and the same work in TensorFlow.js's WebGPU
// backend on the same GPUDevice (src/bench/tfjsPeer.ts), and reports both with our/their ratios and step
// time vs dSae. Results: JSON on stdout (and --json FILE), Markdown on stderr (and --markdown FILE).
// --cpu: the CPU comparison instead (src/cli/cpuBench.ts: the wasm engine, the reference, PyTorch).
// Node only; imports src/gpu, src/bench and the CLI helpers; no engine or UI code.

import { writeFileSync } from 'node:fs';
import { describeAdapter, isSoftwareAdapter, requestDeviceWithLimits, type GpuDevice, type NeededLimits } from '../gpu/device.ts';
import { createNodeGpu } from '../gpu/node.ts';
import type { BenchShape, Runner } from '../bench/harness.ts';
import { benchShapes, largestBufferBytes, shapeLabel, timeRunner } from '../bench/harness.ts';
import { OURS } from '../bench/ours.ts';
import type { BenchKind, BenchReport, Measurement, Side } from '../bench/report.ts';
import { measured, missing, ratiosOf, reportMarkdown } from '../bench/report.ts';
import type { TfjsPeer } from '../bench/tfjsPeer.ts';
import { createTfjsPeer } from '../bench/tfjsPeer.ts';
import type { FlagSpec, Flags } from './args.ts';
import { str } from './args.ts';
import { runSoak } from './soak.ts';
import { runCpuBench } from './cpuBench.ts';

export const BENCH_FLAGS: Record<string, FlagSpec> = {
  json: { kind: 'value', help: 'also write the JSON report to this file' },
  markdown: { kind: 'value', help: 'also write the Markdown tables (for BENCHMARKS.md) to this file' },
  quick: { kind: 'switch', help: 'fewer shapes and repetitions (a smoke run)' },
  'no-tfjs': { kind: 'switch', help: 'skip the TensorFlow.js side' },
  cpu: { kind: 'switch', help: 'instead of the WebGPU kernels, the CPU comparison (issue #15): the wasm engine vs the CPU reference vs PyTorch (1 and 2 threads, /usr/bin/python3 scripts/torch-peer.py) on stories260K resid:3 and Fashion-MNIST, dSae/k 256/8 and 1024/16, batch 256, with the wasm GEMM as a fraction of this CPU\'s peak' },
  'no-torch': { kind: 'switch', help: 'with --cpu: skip the PyTorch peer' },
  quiet: { kind: 'switch', help: 'no progress or Markdown on stderr' },
  soak: { kind: 'value', help: 'MINUTES: instead of timing kernels, the memory soak: train, pause, resume, stop, export, inspect, discard runs and reload datasets in a loop, sampling memory (run with NODE_OPTIONS=--expose-gc for GC-settled samples)' },
};

/** The limits TF.js's own backend registration asks for (the adapter's maxima), so it runs as it would alone. */
const TFJS_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

/** Runs the bench; returns the JSON report text (for stdout) after writing --json / --markdown. */
export async function runBench(f: Flags): Promise<string> {
  if (f.has('soak')) return runSoak(f);
  if (f.get('cpu') === true) return runCpuBench(f);
  const t0 = performance.now();
  const quick = f.get('quick') === true;
  const log = f.get('quiet') === true ? () => {} : (line: string) => process.stderr.write(`bench: ${line}\n`);

  const node = await createNodeGpu();
  const adapter = await node.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(`bench: no WebGPU adapter (Vulkan driver: ${node.driver})`);
  const isSoftware = isSoftwareAdapter(adapter.info);
  const plan = benchShapes(isSoftware, quick);
  const needBytes = largestBufferBytes(plan);
  const limits = adapter.limits as unknown as Record<string, number>;
  if (needBytes > limits.maxStorageBufferBindingSize) {
    throw new Error(`bench: the largest tensor needs ${needBytes} bytes but adapter "${describeAdapter(adapter.info)}" binds at most ${limits.maxStorageBufferBindingSize}; run with --quick`);
  }
  const needed: NeededLimits = {};
  for (const key of TFJS_LIMITS) needed[key] = limits[key];
  const device = await requestDeviceWithLimits(adapter, needed, 'sae-workbench bench');
  device.addEventListener('uncapturederror', (e) => log(`WebGPU uncaptured error: ${(e as GPUUncapturedErrorEvent).error.message}`));
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') log(`device lost (${info.reason}): ${info.message}; results after this point are invalid`);
  });
  const gpu: GpuDevice = { adapter, device, adapterName: describeAdapter(adapter.info), isSoftware };
  log(`adapter ${gpu.adapterName}${isSoftware ? ' (software: shapes scaled down)' : ''}, driver ${node.driver}`);

  let tfjs: TfjsPeer | null = null;
  let tfjsError = f.get('no-tfjs') === true ? 'skipped (--no-tfjs)' : '';
  if (!tfjsError) {
    try {
      tfjs = await createTfjsPeer(node.gpu, device, adapter.info);
      log(`TensorFlow.js ${tfjs.version} on the same GPUDevice`);
    } catch (e) {
      tfjsError = (e as Error).message;
      log(tfjsError);
    }
  }

  const measurements: Measurement[] = [];
  const measure = async (side: Side, kind: BenchKind, shape: BenchShape, sweep: boolean): Promise<void> => {
    const ours = OURS[kind];
    const peer = tfjs;
    let make: (() => Promise<Runner>) | null = null;
    if (side === 'ours' && ours) make = () => ours(gpu, shape);
    if (side === 'tfjs' && peer) make = async () => peer[kind](shape);
    let m: Measurement;
    if (!make) {
      m = side === 'ours' ? missing(kind, side, shape, 'not-implemented', 'not yet implemented', sweep) : missing(kind, side, shape, 'error', tfjsError, sweep);
    } else {
      m = await timeOne(device, make, side, kind, shape, sweep, kind === 'step' ? { ...plan, inner: 1 } : plan);
    }
    measurements.push(m);
    const s = m.stats;
    const rate = m.gflops !== undefined ? ` (${m.gflops.toPrecision(3)} GFLOP/s)` : m.tokensPerS !== undefined ? ` (${m.tokensPerS.toPrecision(3)} tokens/s)` : '';
    log(`${side.padEnd(4)} ${kind.padEnd(4)} ${shapeLabel(shape)}: ${s ? `${s.medianMs.toPrecision(3)} ms median${rate}` : `${m.status}${m.status === 'error' ? `: ${m.note}` : ''}`}`);
  };

  try {
    // Interleaved per shape (ours, then TF.js) so slow drift affects both sides alike.
    for (const kind of ['gemm', 'topk', 'step'] as const) {
      for (const shape of plan[kind]) for (const side of ['ours', 'tfjs'] as const) await measure(side, kind, shape, false);
    }
    for (const shape of plan.sweep) for (const side of ['ours', 'tfjs'] as const) await measure(side, 'step', shape, true);
  } finally {
    tfjs?.dispose();
    await device.queue.onSubmittedWorkDone();
    device.destroy();
  }

  const info = adapter.info as unknown as Record<string, unknown>;
  const report: BenchReport = {
    tool: 'sae-workbench bench',
    date: new Date().toISOString(),
    adapter: {
      name: gpu.adapterName,
      isSoftware,
      driver: node.driver,
      info: Object.fromEntries(['vendor', 'architecture', 'device', 'description', 'isFallbackAdapter'].filter((k) => info[k] !== undefined).map((k) => [k, info[k] as string | boolean])),
    },
    runtime: { node: process.versions.node, platform: `${process.platform}-${process.arch}`, tfjs: tfjs?.version ?? null, tfjsFlags: tfjs?.flags ?? {} },
    plan: { warmup: plan.warmup, reps: plan.reps, inner: plan.inner, quick },
    measurements,
    ratios: ratiosOf(measurements),
    wallS: (performance.now() - t0) / 1000,
  };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const md = reportMarkdown(report);
  const jsonFile = str(f, 'json');
  const mdFile = str(f, 'markdown');
  if (jsonFile) writeFileSync(jsonFile, json);
  if (mdFile) writeFileSync(mdFile, md);
  if (f.get('quiet') !== true) process.stderr.write(`\n${md}\n`);
  return json;
}

/** Prepares, times and disposes one Runner inside GPU error scopes; any failure becomes an 'error' row. */
async function timeOne(
  device: GPUDevice,
  make: () => Promise<Runner>,
  side: Side,
  kind: BenchKind,
  shape: BenchShape,
  sweep: boolean,
  opts: { warmup: number; reps: number; inner: number },
): Promise<Measurement> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let runner: Runner | null = null;
  let result: Measurement;
  try {
    runner = await make();
    const stats = await timeRunner(device, runner, opts);
    const loss = runner.lastLoss ? `loss ${(await runner.lastLoss()).toPrecision(4)} after ${opts.warmup + opts.reps} steps` : '';
    result = measured(kind, side, shape, stats, sweep, [runner.note, loss].filter(Boolean).join('; ') || undefined);
  } catch (e) {
    result = missing(kind, side, shape, 'error', (e as Error).message, sweep);
  }
  try {
    runner?.dispose();
  } catch (e) {
    result = missing(kind, side, shape, 'error', `dispose: ${(e as Error).message}`, sweep);
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  const gpuError = validation ?? oom;
  if (gpuError) result = missing(kind, side, shape, 'error', `WebGPU ${validation ? 'validation' : 'out-of-memory'} error: ${gpuError.message}`, sweep);
  return result;
}
