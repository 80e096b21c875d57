// The export check of the e2e test: unzip a SAELens zip the app downloaded into a folder (with this
// project's own zip reader), write a .npy of the SAE's width, and run the CLI's `eval` on the two, as a
// user would. Throws with the reason (bad zip, no cfg.json, eval's exit code and stderr) on failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listZip, unzipMember } from '../../src/core/formats/inflate.ts';
import { writeNpy } from '../../src/core/formats/npy.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/sae-workbench.js');

export interface ExportCheck {
  /** The zip's file members. */
  members: string[];
  /** The folder holding cfg.json (what `eval --sae` got). */
  saeDir: string;
  dIn: number;
  /** `eval`'s JSON result. */
  result: Record<string, unknown>;
}

export async function evalExportZip(zipPath: string, workDir: string): Promise<ExportCheck> {
  const zip = new Uint8Array(readFileSync(zipPath));
  const files = listZip(zip, zipPath).filter((m) => !m.name.endsWith('/'));
  const members = files.map((m) => m.name);
  const folder = join(workDir, 'export');
  for (const m of files) {
    const rel = normalize(m.name);
    if (rel.startsWith('..') || rel.startsWith('/')) throw new Error(`${zipPath}: member "${m.name}" points outside the folder it unzips to`);
    const out = join(folder, rel);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, await unzipMember(zip, zipPath, m.name));
  }
  const cfgName = members.find((n) => n === 'cfg.json' || n.endsWith('/cfg.json'));
  if (!cfgName) throw new Error(`${zipPath}: no SAELens cfg.json among its members (${members.join(', ') || 'none'})`);
  const saeDir = dirname(join(folder, cfgName));
  const cfg = JSON.parse(readFileSync(join(saeDir, 'cfg.json'), 'utf8')) as { d_in?: unknown };
  const dIn = Number(cfg.d_in);
  if (!Number.isInteger(dIn) || dIn < 1) throw new Error(`${zipPath}: ${cfgName}: d_in: expected a positive integer, got ${JSON.stringify(cfg.d_in)}`);

  const rows = 64;
  const data = new Float32Array(rows * dIn);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) + 0.1 * Math.cos(i * 1.3);
  const npy = join(workDir, 'eval.npy');
  writeFileSync(npy, writeNpy(data, [rows, dIn]));
  const r = spawnSync(process.execPath, [BIN, 'eval', '--sae', saeDir, '--data', npy], { encoding: 'utf8', cwd: ROOT, timeout: 90_000 });
  if (r.status !== 0) {
    throw new Error(`sae-workbench eval --sae ${saeDir} --data ${npy} (an export of the app, members: ${members.join(', ')}) exited ${r.status ?? r.signal}:\n${r.stderr}`);
  }
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`sae-workbench eval exited 0 but printed no JSON: ${r.stdout.slice(0, 300)}`);
  }
  return { members, saeDir, dIn, result };
}
