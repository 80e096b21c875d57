// `sae-workbench bench --cpu` (issue #15): the CPU comparison of src/bench/cpuBench.ts run in Node — loads the
// issue's data sets, spawns the PyTorch peer (scripts/torch-peer.py under /usr/bin/python3, when
// `import torch` works there; otherwise the report says the peer is absent), reads the clock and model of
// this CPU, and writes JSON (stdout, --json) and Markdown (stderr, --markdown). Node only.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../core/sae/types.ts';
import { loadSaeStepModule } from '../cpu/saeStep.ts';
import type { CpuBenchReport, CpuRow, PeerResult, PeerRunner } from '../bench/cpuBench.ts';
import { benchCpuShape, CPU_SHAPES, cpuPlan, cpuReportMarkdown, simd128Peak } from '../bench/cpuBench.ts';
import type { Flags } from './args.ts';
import { str } from './args.ts';
import { loadBuiltin } from './builtin.ts';

/** Debian's python3-torch lives in the system Python, not in a pyenv/venv python3 that may come first on PATH. */
const PYTHON = '/usr/bin/python3';
const PEER_SCRIPT = fileURLToPath(new URL('../../scripts/torch-peer.py', import.meta.url));

/** The torch version and its BLAS, or why the peer cannot run here. */
function probeTorch(): { version: string; note: string } | { why: string } {
  const r = spawnSync(PYTHON, ['-c', 'import torch, json; print(json.dumps([torch.__version__, torch.__config__.show()]))'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { why: `${PYTHON} -c "import torch" failed: ${(r.error?.message ?? r.stderr).trim().split('\n').at(-1)}` };
  const [version, config] = JSON.parse(r.stdout) as [string, string];
  // BLAS_INFO=generic is the reference (netlib) BLAS: torch's GEMMs are then far from this CPU's peak.
  const blas = /BLAS_INFO=(\w+)/.exec(config)?.[1] ?? 'unknown';
  const simd = /CPU capability usage: (\w+)/.exec(config)?.[1] ?? 'unknown';
  return { version, note: `torch BLAS_INFO=${blas}, CPU capability ${simd}` };
}

/** The peer: the data written once per data set as raw f32, one python process per (shape, threads). */
function torchPeer(dir: string, quick: boolean): PeerRunner {
  const files = new Map<Dataset, string>();
  return (data, c, threads) => {
    let file = files.get(data);
    if (!file) {
      file = join(dir, `data-${files.size}.f32`);
      writeFileSync(file, new Uint8Array(data.x.buffer, data.x.byteOffset, data.x.byteLength));
      files.set(data, file);
    }
    const args = [PEER_SCRIPT, '--data', file, '--rows', String(data.rows), '--din', String(data.dIn), '--dsae', String(c.dSae), '--k', String(c.k), '--batch', String(c.batch), '--threads', String(threads), '--lr', String(c.lr), '--kaux', String(c.kAux), '--auxk', String(c.auxkCoefficient), '--dead-window', String(c.deadWindowTokens), '--warmup', quick ? '2' : '3', '--steps', quick ? '3' : '7'];
    const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.error || r.status !== 0) return Promise.resolve({ ok: false, threads, why: (r.error?.message ?? r.stderr).trim().split('\n').at(-1) ?? 'failed' });
    const j = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { msPerStep: number; tokensPerS: number; cpuMsPerStep: number; torch: string };
    return Promise.resolve({ ok: true, threads, msPerStep: j.msPerStep, tokensPerS: j.tokensPerS, cpuMsPerStep: j.cpuMsPerStep, torch: j.torch } satisfies PeerResult);
  };
}

/** os.cpus()'s MHz, else /proc/cpuinfo's "cpu MHz" (a VM may report 0 to the first): the clock the peak uses. */
function clockMHz(fromOs: number): number {
  if (fromOs > 0) return fromOs;
  try {
    return Number(/cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** This process's CPU time in ms (user + system). */
const cpuClock = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs the CPU comparison; returns the JSON report text after writing --json / --markdown. */
export async function runCpuBench(f: Flags): Promise<string> {
  const t0 = performance.now();
  const quick = f.get('quick') === true;
  const log = f.get('quiet') === true ? () => {} : (line: string) => process.stderr.write(`bench --cpu: ${line}\n`);
  const plan = cpuPlan(quick);
  const info = cpus();
  const peak = simd128Peak(info[0]?.model.trim() || 'unknown CPU', clockMHz(info[0]?.speed ?? 0) / 1000, info.length);
  const torch = f.get('no-torch') === true ? { why: 'skipped (--no-torch)' } : probeTorch();
  const threads = [1, 2];
  log(`${peak.model}, ${peak.cores} cores at ${peak.clockGHz.toFixed(2)} GHz; peer: ${'version' in torch ? `PyTorch ${torch.version} (${torch.note})` : `absent: ${torch.why}`}`);
  const module = await loadSaeStepModule();
  const dir = mkdtempSync(join(tmpdir(), 'sae-bench-cpu-'));
  const peer: PeerRunner = 'version' in torch ? torchPeer(dir, quick) : (_d, _c, t) => Promise.resolve({ ok: false, threads: t, why: torch.why });
  const rows: CpuRow[] = [];
  const shapes = quick ? CPU_SHAPES.filter((s) => s.dSae === 256) : CPU_SHAPES;
  try {
    const loaded = new Map<string, Dataset>();
    for (const shape of shapes) {
      let data = loaded.get(shape.data);
      if (!data) {
        data = (await loadBuiltin(shape.data)).all;
        loaded.set(shape.data, data);
      }
      const row = await benchCpuShape(module, data, shape, peak, plan, peer, threads, cpuClock);
      rows.push(row);
      log(`${shape.data} dSae ${shape.dSae} k ${shape.k}: wasm ${row.wasm.tokensPerS.toFixed(0)} tok/s, reference ${row.reference.tokensPerS.toFixed(0)}, ${row.torch.map((p) => `torch ${p.threads}t ${p.ok ? p.tokensPerS.toFixed(0) : 'absent'}`).join(', ')}; GEMM ${row.gemm.gflops.toFixed(2)} GFLOP/s wall, ${row.gemm.gflopsCpu.toFixed(2)} on CPU time (${(100 * row.gemm.ofPeak).toFixed(0)}% of peak)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report: CpuBenchReport = {
    tool: 'sae-workbench bench --cpu',
    date: new Date().toISOString(),
    cpu: peak,
    runtime: { node: process.versions.node, platform: `${process.platform}-${process.arch}`, torch: 'version' in torch ? torch.version : null, torchNote: 'version' in torch ? torch.note : torch.why },
    plan: { ...plan, quick },
    rows,
    wallS: (performance.now() - t0) / 1000,
  };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const md = cpuReportMarkdown(report);
  const jsonFile = str(f, 'json');
  const mdFile = str(f, 'markdown');
  if (jsonFile) writeFileSync(jsonFile, json);
  if (mdFile) writeFileSync(mdFile, md);
  if (f.get('quiet') !== true) process.stderr.write(`\n${md}\n`);
  return json;
}
