// Acceptance test of the Ensembles issue: ensembles trained by the real CLI (`sae-workbench ensemble`,
// child process, --backend cpu, tiny shapes) on data this project has never seen (generated here with
// our own PRNG, written as hand-made .npy files), and every reported metric recomputed from the exported
// SAELens member folders by an independent implementation (test/helpers/independent.ts: its own
// safetensors reader, SAELens forward pass, bagging/boosting reconstructions, metrics and Hungarian;
// seed-papers.md §2.3, §2.4, §2.7). Nothing from src/ is imported.
//
// Tolerances: the members are f32 and both sides sum in f64, but the CLI rounds codes, reconstructions
// and boosting residuals to f32 on the way, so MSE/EV agree to f32 relative rounding: rtol 1e-4,
// atol 1e-5. Cosine-based numbers (diversity, stability, PW-MCC) are f64 functions of the same f32
// weights on both sides: atol 1e-9. Counts (L0, connectivity, diversity) are exact unless a firing
// decision is within float noise (NEAR_EPS·(1 + |z|)) or a best cosine within 1e-6 of τ; then they
// may differ by at most what those decisions can change, and the test says so in its log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNear } from '../helpers/close.ts';
import type { Recomputed, SaeLensMember } from '../helpers/independent.ts';
import { acrossRepeats, concatDictionary, cosineMatrix, ensembleMetrics, forward, maxAssignment, readSaeLensFolder, writeNpyF32 } from '../helpers/independent.ts';

const BIN = join(__dirname, '../../bin/sae-workbench.js');
const dir = mkdtempSync(join(tmpdir(), 'sae-ens-recompute-'));

/** A firing decision closer than NEAR_EPS·(1 + |z|) to flipping may differ between f32 (CLI) and f64 (here). */
const NEAR_EPS = 1e-5;
const RECON_TOL = { rtol: 1e-4, atol: 1e-5 };
const COS_TOL = { rtol: 0, atol: 1e-9 };

// ---- never-seen data: sparse non-negative combinations of 20 random unit directions in 12-d, plus noise ----

/** mulberry32: a 32-bit PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const D_IN = 12;
const TRAIN_ROWS = 600;
const EVAL_ROWS = 300;
const rand = prng(20250611);
const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const directions = Array.from({ length: 20 }, () => {
  const v = Array.from({ length: D_IN }, gauss);
  const n = Math.hypot(...v);
  return v.map((a) => a / n);
});
/** [rows, D_IN] f32 values (held in f64): each direction on with probability 0.15, weight U(0.5, 1.5), noise σ = 0.02. */
function sample(rows: number): Float64Array {
  const x = new Float64Array(rows * D_IN);
  for (let t = 0; t < rows; t++) {
    const row = Array.from({ length: D_IN }, () => 0.02 * gauss());
    for (const dirJ of directions) {
      if (rand() >= 0.15) continue;
      const a = 0.5 + rand();
      dirJ.forEach((v, d) => (row[d] += a * v));
    }
    row.forEach((v, d) => (x[t * D_IN + d] = Math.fround(v)));
  }
  return x;
}
const trainX = sample(TRAIN_ROWS);
const evalX = sample(EVAL_ROWS);
const trainNpy = join(dir, 'train.npy');
const evalNpy = join(dir, 'eval.npy');

beforeAll(() => {
  writeNpyF32(trainNpy, TRAIN_ROWS, D_IN, trainX);
  writeNpyF32(evalNpy, EVAL_ROWS, D_IN, evalX);
});

// ---- the CLI's JSON (src/cli/ensemble.ts), as far as this test reads it ----

interface Metrics {
  msePerToken: number;
  explainedVariance: number;
  explainedVariancePerDim: number;
  l0: number;
  diversity: { count: number; fraction: number };
  connectivity: number;
  mcc?: number;
}
interface Result {
  method: string;
  members: number;
  repeats: number;
  config: { arch: string; dSae: number; k: number };
  expanded?: { latents: number; k: number | null };
  seeds: number[][];
  evalData: { rows: number; dIn: number };
  perJ: { members: number; latents: number; metrics: Metrics[]; mean: Metrics; stability: { relaxed: number[]; mean: number; exact: number } | null; pwMcc: { mean: number; pairs: number[] } | null; sharedFraction?: { thresholds: number[]; repeat0VsRepeat1: number[] } | null }[];
  export: { dir: string; folders: string[] } | null;
}

const TINY = ['--latents', '8', '--steps', '60', '--batch', '32', '--backend', 'cpu', '--seed', '7', '--quiet'];

function runCli(name: string, args: string[]): { result: Result; out: string } {
  const out = join(dir, name);
  const json = join(dir, `${name}.json`);
  const r = spawnSync(process.execPath, [BIN, 'ensemble', '--data', trainNpy, '--eval-data', evalNpy, ...TINY, ...args, '--export', out, '--json', json], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const result = JSON.parse(readFileSync(json, 'utf8')) as Result;
  expect(JSON.parse(r.stdout)).toEqual(result);
  return { result, out };
}

/** The exported folders of repeat r: DIR/member-<j>/ for r = 0, DIR/repeat-<r>/member-<j>/ after. */
function readRepeat(out: string, r: number, members: number): SaeLensMember[] {
  const base = r === 0 ? out : join(out, `repeat-${r}`);
  expect(existsSync(join(base, `member-${members + 1}`)), `${base}: no member-${members + 1}`).toBe(false);
  return Array.from({ length: members }, (_, j) => readSaeLensFolder(join(base, `member-${j + 1}`)));
}

/** Compares one reported metrics object with ours; returns a log line. */
function compareMetrics(got: Metrics, want: Recomputed, M: number, label: string): string {
  expectNear(got.msePerToken, want.msePerToken, RECON_TOL, `${label} msePerToken`);
  expectNear(got.explainedVariance, want.explainedVariance, RECON_TOL, `${label} explainedVariance`);
  expectNear(got.explainedVariancePerDim, want.explainedVariancePerDim, RECON_TOL, `${label} explainedVariancePerDim`);
  // Counts: exact, unless a decision sits within float noise (then bounded by what those decisions can move).
  const slackL0 = want.nearTies / EVAL_ROWS;
  const slackConn = (want.nearTies * (2 * M - 1)) / (M * M);
  if (want.nearTies === 0) {
    expect(got.l0, `${label} l0`).toBe(want.l0);
    expect(got.connectivity, `${label} connectivity`).toBe(want.connectivity);
  } else {
    expect(Math.abs(got.l0 - want.l0), `${label} l0 (${want.nearTies} decisions within float noise)`).toBeLessThanOrEqual(slackL0);
    expect(Math.abs(got.connectivity - want.connectivity), `${label} connectivity (${want.nearTies} near decisions)`).toBeLessThanOrEqual(slackConn);
  }
  if (want.diversityNearTau === 0) {
    expect(got.diversity.count, `${label} diversity.count`).toBe(want.diversity.count);
    expect(got.diversity.fraction, `${label} diversity.fraction`).toBe(want.diversity.fraction);
  } else {
    expect(Math.abs(got.diversity.count - want.diversity.count), `${label} diversity.count (${want.diversityNearTau} cosines within 1e-6 of τ)`).toBeLessThanOrEqual(want.diversityNearTau);
  }
  expect(got.mcc, `${label}: no ground truth for .npy data, so no MCC`).toBeUndefined();
  const sameCounts = got.l0 === want.l0 && got.connectivity === want.connectivity && got.diversity.count === want.diversity.count;
  const rel = (a: number, b: number): string => (Math.abs(a - b) / Math.max(1e-30, Math.abs(b))).toExponential(1);
  return `${label}: mse ${want.msePerToken.toFixed(5)} (rel Δ ${rel(got.msePerToken, want.msePerToken)}), EV ${want.explainedVariance.toFixed(4)}, l0 ${want.l0}, div ${want.diversity.count}/${M}, conn ${want.connectivity.toFixed(4)}, near ties ${want.nearTies}${want.nearTies + want.diversityNearTau > 0 ? ` (counts ${sameCounts ? 'equal anyway' : 'differ within the slack'})` : ''}, min margin ${want.minMargin.toExponential(1)}`;
}

const avg = (a: number[]): number => a.reduce((p, q) => p + q, 0) / a.length;

/**
 * Checks every perJ entry of a run against the exported members: metrics of each repeat, their mean,
 * stability (relaxed, mean, exact) and PW-MCC. folders: member folders per repeat (expanded: 1, the one
 * SAE, evaluated as a 1-member bagging ensemble as the CLI does; else J, the first J' used per entry).
 */
function checkRun(result: Result, out: string, method: 'bagging' | 'boosting', folders: number, name: string): void {
  const R = result.repeats;
  const repeats = Array.from({ length: R }, (_, r) => readRepeat(out, r, folders));
  expect(result.export?.folders).toHaveLength(R * folders);
  expect(result.evalData).toMatchObject({ rows: EVAL_ROWS, dIn: D_IN });
  // Provenance in each cfg.json agrees with the JSON's seeds.
  repeats.forEach((members, r) =>
    members.forEach((m, j) => expect(m.cfg.metadata, `${name} repeat ${r} member ${j + 1}`).toMatchObject({ ensemble_member: j + 1, ensemble_repeat: r, seed: result.seeds[r][j] })),
  );
  const log: string[] = [];
  for (const entry of result.perJ) {
    const n = method === 'boosting' || result.method === 'bagging' ? entry.members : 1;
    const sets = repeats.map((members) => members.slice(0, n));
    const M = sets[0].reduce((a, m) => a + m.dSae, 0);
    expect(entry.latents).toBe(M);
    expect(entry.metrics).toHaveLength(R);
    const mine = sets.map((set) => ensembleMetrics(method, set, evalX, EVAL_ROWS, NEAR_EPS));
    mine.forEach((want, r) => log.push(compareMetrics(entry.metrics[r], want, M, `${name} J'=${entry.members} repeat ${r}`)));
    // mean over repeats (an average of the numbers just checked)
    const exactCounts = mine.every((w) => w.nearTies === 0 && w.diversityNearTau === 0);
    expectNear(entry.mean.msePerToken, avg(mine.map((w) => w.msePerToken)), RECON_TOL, `${name} J'=${entry.members} mean msePerToken`);
    expectNear(entry.mean.explainedVariance, avg(mine.map((w) => w.explainedVariance)), RECON_TOL, `${name} J'=${entry.members} mean EV`);
    expectNear(entry.mean.explainedVariancePerDim, avg(mine.map((w) => w.explainedVariancePerDim)), RECON_TOL, `${name} J'=${entry.members} mean EV per dim`);
    if (exactCounts) {
      const countTol = { rtol: 0, atol: 1e-12 }; // an average of two exact values: f64 rounding only
      expectNear(entry.mean.l0, avg(mine.map((w) => w.l0)), countTol, `${name} J'=${entry.members} mean l0`);
      expectNear(entry.mean.connectivity, avg(mine.map((w) => w.connectivity)), countTol, `${name} J'=${entry.members} mean connectivity`);
      expectNear(entry.mean.diversity.count, avg(mine.map((w) => w.diversity.count)), countTol, `${name} J'=${entry.members} mean diversity.count`);
      expectNear(entry.mean.diversity.fraction, avg(mine.map((w) => w.diversity.fraction)), countTol, `${name} J'=${entry.members} mean diversity.fraction`);
    }
    // across repeats: stability (relaxed per run, mean, exact) and PW-MCC, from the concatenated dictionaries
    expect(R).toBeGreaterThanOrEqual(2);
    const across = acrossRepeats(sets.map(concatDictionary), D_IN);
    const s = entry.stability;
    expect(s, `${name} J'=${entry.members}: stability with R = ${R}`).not.toBeNull();
    expect(s?.relaxed).toHaveLength(R);
    across.relaxed.forEach((v, r) => expectNear(s?.relaxed[r] ?? NaN, v, COS_TOL, `${name} J'=${entry.members} stability.relaxed[${r}]`));
    expectNear(s?.mean ?? NaN, across.mean, COS_TOL, `${name} J'=${entry.members} stability.mean`);
    expectNear(s?.exact ?? NaN, across.exact, COS_TOL, `${name} J'=${entry.members} stability.exact`);
    expect(entry.pwMcc?.pairs).toHaveLength((R * (R - 1)) / 2);
    across.pwMcc.forEach((v, p) => expectNear(entry.pwMcc?.pairs[p] ?? NaN, v, COS_TOL, `${name} J'=${entry.members} pwMcc.pairs[${p}]`));
    expectNear(entry.pwMcc?.mean ?? NaN, avg(across.pwMcc), COS_TOL, `${name} J'=${entry.members} pwMcc.mean`);
    // shared fraction (repeat 0's features that repeat 1 has at signed cos ≥ τ), from the same dictionaries
    const [d0, d1] = sets.slice(0, 2).map(concatDictionary);
    const n0 = d0.length / D_IN;
    const n1 = d1.length / D_IN;
    const c01 = cosineMatrix(d0, n0, d1, n1, D_IN);
    const best = Array.from({ length: n0 }, (_, i) => Math.max(...Array.from({ length: n1 }, (_, j) => c01[i * n1 + j])));
    const shared = entry.sharedFraction;
    expect(shared, `${name} J'=${entry.members}: sharedFraction with R = ${R}`).toBeTruthy();
    shared?.thresholds.forEach((tau, t) => {
      const near = best.some((b) => Math.abs(b - tau) < 1e-6); // a cosine on the threshold may round either way
      const want = best.filter((b) => b >= tau).length / n0;
      expectNear(shared.repeat0VsRepeat1[t], want, { atol: near ? 1 / n0 : 1e-12, rtol: 0 }, `${name} J'=${entry.members} sharedFraction at τ = ${tau}`);
    });
    log.push(`${name} J'=${entry.members}: stability relaxed [${across.relaxed.map((v) => v.toFixed(4)).join(', ')}], exact ${across.exact.toFixed(4)}, PW-MCC ${avg(across.pwMcc).toFixed(4)}`);
  }
  console.log(log.join('\n'));
}

describe('independent implementation: hand-worked checks', () => {
  it('Hungarian: beats greedy on a 2×2, equals brute force on random 6×6 and 4×7', () => {
    // greedy takes 0.9 then 0.1 (1.0); the optimum is 0.8 + 0.85 = 1.65
    expect(maxAssignment(Float64Array.from([0.9, 0.8, 0.85, 0.1]), 2, 2)).toEqual([1, 0]);
    const r = prng(99);
    for (const [n, m] of [
      [6, 6],
      [4, 7],
    ]) {
      const w = Float64Array.from({ length: n * m }, () => 2 * r() - 1);
      const col = maxAssignment(w, n, m);
      expect(new Set(col).size).toBe(n);
      const value = col.reduce((s, j, i) => s + w[i * m + j], 0);
      let best = -Infinity;
      const pick = (i: number, used: Set<number>, s: number): void => {
        if (i === n) {
          best = Math.max(best, s);
          return;
        }
        for (let j = 0; j < m; j++) if (!used.has(j)) pick(i + 1, new Set([...used, j]), s + w[i * m + j]);
      };
      pick(0, new Set(), 0);
      expectNear(value, best, { rtol: 0, atol: 1e-12 }, `${n}×${m} assignment value`);
    }
  });

  it('forward pass: TopK ties to the lower index then ReLU; standard ReLU; JumpReLU z·1[z > θ]', () => {
    // dIn 2, dSae 3, W_enc [2, 3] = [[1, 1, 0], [0, 0, 1]], b_dec = 0, b_enc = [0, 0, −0.5]: z = (x0, x0, x1 − 0.5)
    const base = { dIn: 2, dSae: 3, wEnc: Float64Array.from([1, 1, 0, 0, 0, 1]), bEnc: Float64Array.from([0, 0, -0.5]), wDec: Float64Array.from([1, 0, 2, 0, 0, 1]), bDec: Float64Array.from([0, 0]), cfg: {} };
    const x = Float64Array.from([0.3, 2, -1, 0.25]); // z rows: (0.3, 0.3, 1.5), (−1, −1, −0.25)
    const topk = forward({ ...base, architecture: 'topk', k: 2, threshold: null }, x, 2, 1e-9);
    expect(Array.from(topk.codes)).toEqual([0.3, 0, 1.5, 0, 0, 0]); // tie 0.3/0.3 → latent 0; row 2: ReLU zeroes the top 2
    expect(topk.nearTies).toBe(2); // the exact 0.3/0.3 and −1/−1 ties at the k-th place are flagged (row 2's is harmless after ReLU)
    expect(Array.from(topk.xHat)).toEqual([0.3, 1.5, 0, 0]);
    const relu = forward({ ...base, architecture: 'standard', k: null, threshold: null }, x, 2, 1e-9);
    expect(Array.from(relu.codes)).toEqual([0.3, 0.3, 1.5, 0, 0, 0]);
    expectNear(relu.xHat[0], 0.3 + 0.6, { rtol: 0, atol: 1e-15 }, 'relu xHat[0]');
    const jump = forward({ ...base, architecture: 'jumprelu', k: null, threshold: Float64Array.from([0.3, 0.2, 2]) }, x, 2, 1e-9);
    expect(Array.from(jump.codes)).toEqual([0, 0.3, 0, 0, 0, 0]); // 0.3 > 0.3 is false; 1.5 ≤ 2
  });

  it('metrics: boosting sums stage reconstructions over residuals; bagging averages; counts; signed vs |cos| matching', () => {
    // 1-latent standard (ReLU) members in 2-d; wEnc [2, 1] picks a coordinate, wDec [1, 2] writes a direction.
    const one = (w: number[], dec: number[]): SaeLensMember => ({ architecture: 'standard', dIn: 2, dSae: 1, k: null, wEnc: Float64Array.from(w), bEnc: Float64Array.from([0]), wDec: Float64Array.from(dec), bDec: Float64Array.from([0, 0]), threshold: null, cfg: {} });
    const a = one([1, 0], [1, 0]);
    const b = one([0, 1], [0, 1]);
    const a2 = one([1, 0], [2, 0]); // A's direction again, twice as long
    const x = Float64Array.from([1, 0, 0, 2]); // rows (1, 0), (0, 2); μ = (0.5, 1), Σ‖x − μ‖² = 2.5
    const boost = ensembleMetrics('boosting', [a, b], x, 2, 1e-9);
    expect([boost.msePerToken, boost.explainedVariance, boost.explainedVariancePerDim]).toEqual([0, 1, 1]); // A takes x0, B the residual's x1
    expect([boost.l0, boost.connectivity]).toEqual([1, 1 - 2 / 4]); // one latent per row; only (A,A) and (B,B) co-fire
    expect(boost.diversity).toEqual({ count: 2, fraction: 1 }); // cos(e0, e1) = 0 < τ
    // bagging of A, B, A2: row 1 → ((1,0) + 0 + (2,0))/3 = (1, 0); row 2 → (0, 2/3); Σ err² = 16/9
    const bag = ensembleMetrics('bagging', [a, b, a2], x, 2, 1e-9);
    expectNear(bag.msePerToken, 8 / 9, { rtol: 0, atol: 1e-15 }, 'bagging mse');
    expectNear(bag.explainedVariance, 1 - 16 / 9 / 2.5, { rtol: 0, atol: 1e-15 }, 'bagging pooled EV');
    expectNear(bag.explainedVariancePerDim, (1 + (1 - 16 / 9 / 2)) / 2, { rtol: 0, atol: 1e-15 }, 'bagging per-dim EV'); // dim 0 exact, dim 1 err 16/9 over var 2
    expect([bag.l0, bag.connectivity]).toEqual([3 / 2, 1 - 5 / 9]); // (A,A),(A,A2),(A2,A),(A2,A2),(B,B)
    expect(bag.diversity).toEqual({ count: 1, fraction: 1 / 3 }); // A and A2 are duplicates (cos 1)
    // Stability: [e0, e1] vs [e1, −e0]. Relaxed: each run has one row matched at cos 1 and one at best 0 → 0.5.
    // Exact (signed) matching: both matchings sum to 0. PW-MCC (|cos|): e0 ↔ −e0 and e1 ↔ e1 → 1.
    const s = acrossRepeats([Float64Array.from([1, 0, 0, 1]), Float64Array.from([0, 1, -1, 0])], 2);
    expect(s.relaxed).toEqual([0.5, 0.5]);
    expect([s.mean, s.exact, s.pwMcc[0]]).toEqual([0.5, 0, 1]);
  });
});

describe('sae-workbench ensemble on never-seen data: every reported metric recomputed from the exported members', () => {
  it('bagging, TopK, J = 3, R = 2', () => {
    const { result, out } = runCli('bag', ['--method', 'bagging', '--members', '3', '--repeats', '2', '--k', '2']);
    expect(result.perJ.map((p) => [p.members, p.latents])).toEqual([
      [1, 8],
      [2, 16],
      [3, 24],
    ]);
    checkRun(result, out, 'bagging', 3, 'bagging');
  }, 30_000);

  it('boosting, TopK, J = 3, R = 2', () => {
    const { result, out } = runCli('boost', ['--method', 'boosting', '--members', '3', '--repeats', '2', '--k', '2']);
    expect(result.perJ.map((p) => p.members)).toEqual([1, 2, 3]);
    checkRun(result, out, 'boosting', 3, 'boosting');
  }, 30_000);

  it('expanded, TopK, J = 2, R = 2: one SAE of members·latents latents with k·members', () => {
    const { result, out } = runCli('expanded', ['--method', 'expanded', '--members', '2', '--repeats', '2', '--k', '2']);
    expect(result.perJ).toHaveLength(1);
    expect(result.perJ[0].members).toBe(2);
    expect(result.expanded).toMatchObject({ latents: 16, k: 4 });
    for (let r = 0; r < 2; r++) {
      const [sae] = readRepeat(out, r, 1);
      expect([sae.architecture, sae.dSae, sae.k]).toEqual(['topk', 2 * 8, 2 * 2]);
    }
    checkRun(result, out, 'bagging', 1, 'expanded');
  }, 30_000);

  it.each([
    ['relu', 'standard', '0.01'],
    ['jumprelu', 'jumprelu', '0.01'],
  ])('bagging, %s (a non-TopK forward pass), J = 2, R = 2', (arch, saeLens, l1) => {
    const { result, out } = runCli(`bag-${arch}`, ['--method', 'bagging', '--members', '2', '--repeats', '2', '--arch', arch, '--l1', l1]);
    expect(result.config.arch).toBe(arch);
    expect(readRepeat(out, 0, 2).map((m) => m.architecture)).toEqual([saeLens, saeLens]);
    checkRun(result, out, 'bagging', 2, `bagging-${arch}`);
  }, 30_000);
});
