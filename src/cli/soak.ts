// `sae-workbench bench --soak MINUTES`: the memory soak of issue #13 (deliverable 7). One in-thread Workbench
// (the app's engine, CPU reference) trains, pauses, resumes, stops, exports, inspects and discards runs, and
// loads datasets (built-in synthetic presets and generated .npy uploads) again and again, in a loop; every
// few seconds it samples the process's memory (after a full GC when Node runs with --expose-gc). The report
// says whether retained memory stayed flat: the growth over the second half of the soak, in MB per minute.
// Node only; a client of the engine (createWorkbench), like the rest of the CLI.

import { writeFileSync } from 'node:fs';
import { InputError } from '../core/errors.ts';
import { writeNpy } from '../core/formats/npy.ts';
import type { Snapshot } from '../engine/api.ts';
import { createWorkbench } from '../engine/workbench.ts';
import type { Flags } from './args.ts';
import { num, str } from './args.ts';
import { readShipped } from './builtin.ts';

/** One memory sample: minutes since the start, cycles done, and the process's memory in MB. */
export interface SoakSample {
  minutes: number;
  cycles: number;
  rssMb: number;
  heapUsedMb: number;
  arrayBuffersMb: number;
}

export interface SoakReport {
  command: 'bench --soak';
  minutes: number;
  cycles: number;
  runs: number;
  uploads: number;
  gc: boolean;
  samples: SoakSample[];
  /** Least-squares slope of each figure over the second half of the samples, MB per minute. */
  slopeMbPerMinute: { rss: number; heapUsed: number; arrayBuffers: number };
  verdict: string;
}

const MB = 1024 * 1024;
/** A figure growing slower than this over the second half counts as flat (noise of a GC'd heap). */
const FLAT_MB_PER_MINUTE = 1;

function sample(t0: number, cycles: number): SoakSample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { minutes: (performance.now() - t0) / 60_000, cycles, rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB, arrayBuffersMb: m.arrayBuffers / MB };
}

/** Least-squares slope of y against x. */
function slope(x: number[], y: number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/** A seeded [rows, dIn] .npy of sparse sums of directions: an upload the soak makes itself. */
function uploadBytes(seed: number, rows: number, dIn: number): Uint8Array {
  let s = seed * 2654435761 + 1;
  const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const x = new Float32Array(rows * dIn);
  for (let i = 0; i < x.length; i++) x[i] = rand() < 0.2 ? rand() : 0;
  return writeNpy(x, [rows, dIn]);
}

export async function runSoak(f: Flags): Promise<string> {
  const minutes = num(f, 'soak');
  if (minutes === undefined || !(minutes > 0 && minutes <= 24 * 60)) throw new InputError(`--soak: expected minutes in (0, 1440], got ${String(minutes)}`);
  const log = f.get('quiet') === true ? () => {} : (line: string) => process.stderr.write(`soak: ${line}\n`);
  const wb = createWorkbench(undefined, { readData: readShipped });
  let last: Snapshot | null = null;
  await wb.onSnapshot((snap) => {
    last = snap;
  });
  const until = async (ok: (s: Snapshot) => boolean, ms: number): Promise<void> => {
    const t = performance.now();
    while (!(last && ok(last)) && performance.now() - t < ms) await new Promise((r) => setTimeout(r, 5));
  };
  const t0 = performance.now();
  const end = t0 + minutes * 60_000;
  const samples: SoakSample[] = [sample(t0, 0)];
  let nextSample = t0 + 5_000;
  let cycles = 0;
  let runs = 0;
  let uploads = 0;
  while (performance.now() < end) {
    // A dataset: a synthetic preset again (the registry keeps ≤ 6), or a fresh upload every third cycle.
    let dataset = `synthetic:small:${cycles % 7}`;
    if (cycles % 3 === 2) {
      const info = await wb.loadDataset({ source: 'upload', file: { name: `soak-${cycles}.npy`, bytes: uploadBytes(cycles, 2000, 24) } });
      dataset = info.id;
      uploads++;
    } else await wb.loadDataset({ source: 'builtin', id: dataset });
    // A run: train, pause, resume, stop before the end (or let it finish), export, inspect now and then.
    const info = await wb.startRun({ dataset, config: { dSae: 64, k: 4, steps: 400, batch: 64, seed: cycles }, backend: 'cpu' });
    runs++;
    await until((s) => s.run === info.run && s.step >= 50, 10_000);
    await wb.pause();
    await wb.resume();
    if (cycles % 2 === 0) await wb.stop();
    else await until((s) => s.run === info.run && s.status === 'done', 30_000);
    await wb.exportZip(0);
    if (cycles % 4 === 0) await wb.inspectRun({ topN: 5 });
    cycles++;
    if (performance.now() >= nextSample) {
      samples.push(sample(t0, cycles));
      nextSample += 5_000;
      const s = samples[samples.length - 1];
      log(`${s.minutes.toFixed(1)} min, ${cycles} cycles: rss ${s.rssMb.toFixed(0)} MB, heap ${s.heapUsedMb.toFixed(1)} MB, array buffers ${s.arrayBuffersMb.toFixed(1)} MB`);
    }
  }
  await wb.stop();
  samples.push(sample(t0, cycles));
  const half = samples.slice(Math.floor(samples.length / 2));
  const x = half.map((s) => s.minutes);
  const slopes = { rss: slope(x, half.map((s) => s.rssMb)), heapUsed: slope(x, half.map((s) => s.heapUsedMb)), arrayBuffers: slope(x, half.map((s) => s.arrayBuffersMb)) };
  const gc = typeof (globalThis as { gc?: unknown }).gc === 'function';
  const flat = slopes.heapUsed < FLAT_MB_PER_MINUTE && slopes.arrayBuffers < FLAT_MB_PER_MINUTE;
  const verdict = flat
    ? `flat: heap ${slopes.heapUsed.toFixed(2)} and array buffers ${slopes.arrayBuffers.toFixed(2)} MB/min over the second half (< ${FLAT_MB_PER_MINUTE})`
    : `GROWING: heap ${slopes.heapUsed.toFixed(2)} and array buffers ${slopes.arrayBuffers.toFixed(2)} MB/min over the second half`;
  const report: SoakReport = { command: 'bench --soak', minutes, cycles, runs, uploads, gc, samples, slopeMbPerMinute: slopes, verdict };
  const md = soakMarkdown(report);
  const mdFile = str(f, 'markdown');
  if (mdFile) writeFileSync(mdFile, md);
  const text = JSON.stringify(report, null, 2) + '\n';
  const jsonFile = str(f, 'json');
  if (jsonFile) writeFileSync(jsonFile, text);
  log(verdict);
  return text;
}

/** The soak as a Markdown table: one row per ~10% of the samples. */
export function soakMarkdown(r: SoakReport): string {
  const every = Math.max(1, Math.floor(r.samples.length / 10));
  const rows = r.samples.filter((_, i) => i % every === 0 || i === r.samples.length - 1);
  return [
    `Soak: ${r.minutes} min, ${r.cycles} cycles (${r.runs} runs trained/paused/resumed/stopped or finished/exported, ${r.uploads} uploads; GC ${r.gc ? 'forced before each sample' : 'not exposed'}). ${r.verdict}.`,
    '',
    '| minutes | cycles | rss MB | heap used MB | array buffers MB |',
    '|---|---|---|---|---|',
    ...rows.map((s) => `| ${s.minutes.toFixed(1)} | ${s.cycles} | ${s.rssMb.toFixed(0)} | ${s.heapUsedMb.toFixed(1)} | ${s.arrayBuffersMb.toFixed(1)} |`),
    '',
  ].join('\n');
}
