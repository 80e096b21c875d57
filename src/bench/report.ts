// The report of `sae-workbench bench`: one record per measurement (ours or TensorFlow.js's), our/their
// ratios, the step-time-vs-dSae table, as JSON (for --json and BENCHMARKS.md tooling) and Markdown.
// Pure TypeScript: imports no Node module, no TensorFlow.js, no engine or UI code.

import type { BenchShape, Stats } from './harness.ts';
import { gemmFlops, gflops, shapeLabel, tokensPerSecond } from './harness.ts';

/** gemm: z = x·wEncᵀ + bEff; topk: per-row TopK of z [batch, dSae]; step: one full TopK training step. */
export type BenchKind = 'gemm' | 'topk' | 'step';
export type Side = 'ours' | 'tfjs';

export interface Measurement {
  kind: BenchKind;
  side: Side;
  shape: BenchShape;
  /** Part of the dSae sweep (step time vs dSae at fixed k). */
  sweep: boolean;
  /** ok: timed; not-implemented: that side has no such kernel yet; error: it threw (see note). */
  status: 'ok' | 'not-implemented' | 'error';
  stats: Stats | null;
  /** gemm only: 2·batch·dSae·dIn / median time. */
  gflops?: number;
  /** step only: batch / median time. */
  tokensPerS?: number;
  note?: string;
}

export interface BenchReport {
  tool: 'sae-workbench bench';
  date: string;
  adapter: { name: string; isSoftware: boolean; driver: string; info: Record<string, string | boolean> };
  runtime: { node: string; platform: string; tfjs: string | null; tfjsFlags: Record<string, unknown> };
  plan: { warmup: number; reps: number; inner: number; quick: boolean };
  measurements: Measurement[];
  /** speedup = tfjs median / ours median (> 1: we are faster), per kind and shape where both sides ran. */
  ratios: { kind: BenchKind; shape: BenchShape; sweep: boolean; oursMs: number; tfjsMs: number; speedup: number }[];
  /** Seconds the whole bench took, compilation and warm-up included. */
  wallS: number;
}

/** A Measurement from a timing (derived rates filled in by kind). */
export function measured(kind: BenchKind, side: Side, shape: BenchShape, stats: Stats, sweep = false, note?: string): Measurement {
  const m: Measurement = { kind, side, shape, sweep, status: 'ok', stats, note };
  if (kind === 'gemm') m.gflops = gflops(gemmFlops(shape), stats.medianMs);
  if (kind === 'step') m.tokensPerS = tokensPerSecond(shape.batch, stats.medianMs);
  return m;
}

/** A Measurement that has no number: not implemented on that side yet, or failed with `note`. */
export function missing(kind: BenchKind, side: Side, shape: BenchShape, status: 'not-implemented' | 'error', note: string, sweep = false): Measurement {
  return { kind, side, shape, sweep, status, stats: null, note };
}

const sameShape = (a: BenchShape, b: BenchShape): boolean => a.batch === b.batch && a.dIn === b.dIn && a.dSae === b.dSae && a.k === b.k;

/** Pairs each ok "ours" measurement with the ok "tfjs" one of the same kind, shape and sweep flag. */
export function ratiosOf(ms: readonly Measurement[]): BenchReport['ratios'] {
  const out: BenchReport['ratios'] = [];
  for (const o of ms) {
    if (o.side !== 'ours' || o.status !== 'ok' || !o.stats) continue;
    const t = ms.find((m) => m.side === 'tfjs' && m.kind === o.kind && m.sweep === o.sweep && m.status === 'ok' && m.stats && sameShape(m.shape, o.shape));
    if (!t?.stats) continue;
    out.push({ kind: o.kind, shape: o.shape, sweep: o.sweep, oursMs: o.stats.medianMs, tfjsMs: t.stats.medianMs, speedup: t.stats.medianMs / o.stats.medianMs });
  }
  return out;
}

const fmt = (x: number | undefined, digits = 3): string => (x === undefined || !Number.isFinite(x) ? '—' : Number(x.toPrecision(digits)).toString());

function cell(m: Measurement | undefined): string {
  if (!m) return '—';
  if (m.status === 'not-implemented') return 'not yet implemented';
  if (m.status === 'error') return `error: ${(m.note ?? '').split('\n')[0].slice(0, 80)}`;
  const s = m.stats as Stats;
  return `${fmt(s.medianMs)} ms (min ${fmt(s.minMs)})`;
}

function rate(m: Measurement | undefined): string {
  if (!m || m.status !== 'ok') return '—';
  if (m.gflops !== undefined) return `${fmt(m.gflops)} GFLOP/s`;
  if (m.tokensPerS !== undefined) return `${fmt(m.tokensPerS)} tok/s`;
  return '—';
}

/** The report as Markdown: header, the side-by-side table, the dSae sweep; ready for BENCHMARKS.md. */
export function reportMarkdown(r: BenchReport): string {
  const find = (ms: Measurement[], side: Side, kind: BenchKind, shape: BenchShape, sweep: boolean) =>
    ms.find((m) => m.side === side && m.kind === kind && m.sweep === sweep && sameShape(m.shape, shape));
  const speed = (o?: Measurement, t?: Measurement): string =>
    o?.status === 'ok' && t?.status === 'ok' && o.stats && t.stats ? `${fmt(t.stats.medianMs / o.stats.medianMs)}×` : '—';
  const keys = (sweep: boolean) => {
    const seen: { kind: BenchKind; shape: BenchShape }[] = [];
    for (const m of r.measurements) if (m.sweep === sweep && !seen.some((s) => s.kind === m.kind && sameShape(s.shape, m.shape))) seen.push({ kind: m.kind, shape: m.shape });
    return seen;
  };
  const lines = [
    `### ${r.adapter.name}${r.adapter.isSoftware ? ' (software adapter: shapes scaled down)' : ''}`,
    '',
    `${r.date} · Node ${r.runtime.node} (${r.runtime.platform}) · Vulkan driver ${r.adapter.driver} · TensorFlow.js ${r.runtime.tfjs ?? 'not available'} · ` +
      `warm-up ${r.plan.warmup}, median of ${r.plan.reps}${r.plan.inner > 1 ? ` × ${r.plan.inner}` : ''}${r.plan.quick ? ' (--quick)' : ''} · total ${fmt(r.wallS)} s`,
    '',
    'Wall time from submit to `queue.onSubmittedWorkDone`, both sides on one GPUDevice. speedup = TF.js time / our time (> 1: we are faster).',
    '',
    '| what | shape (batch×dIn→dSae k) | ours | TF.js | ours rate | TF.js rate | speedup |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { kind, shape } of keys(false)) {
    const o = find(r.measurements, 'ours', kind, shape, false);
    const t = find(r.measurements, 'tfjs', kind, shape, false);
    lines.push(`| ${kind} | ${shapeLabel(shape)} | ${cell(o)} | ${cell(t)} | ${rate(o)} | ${rate(t)} | ${speed(o, t)} |`);
  }
  const sweep = keys(true);
  if (sweep.length > 0) {
    const s0 = sweep[0].shape;
    lines.push('', `Step time vs dSae at batch ${s0.batch}, dIn ${s0.dIn}, k ${s0.k}:`, '', '| dSae | ours step | TF.js step | speedup |', '| --- | --- | --- | --- |');
    for (const { kind, shape } of sweep) {
      const o = find(r.measurements, 'ours', kind, shape, true);
      const t = find(r.measurements, 'tfjs', kind, shape, true);
      lines.push(`| ${shape.dSae} | ${cell(o)} | ${cell(t)} | ${speed(o, t)} |`);
    }
  }
  const notes = r.measurements.filter((m) => m.note && m.status === 'ok');
  if (notes.length > 0) lines.push('', ...notes.map((m) => `- ${m.side} ${m.kind} ${shapeLabel(m.shape)}: ${m.note}`));
  return `${lines.join('\n')}\n`;
}
