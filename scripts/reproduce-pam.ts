// Reproduction report, second section: SplInterp's PAM-SGD claims (Budd et al.; seed-papers §3.6–3.10) at
// small scale. Runs `sae-workbench sweep` (runSweep, the CPU reference: deterministic up to the measured
// seconds) for: sample efficiency on builtin:digits and builtin:fashion-mnist (held-out test MSE vs
// training fraction, PAM-SGD vs untied and tied SGD, equal epochs and equal steps), PAM's updates per
// batch on digits, and sparser codes on builtin:stories-resid-3 with ReLU + L1 at equal λ. Writes each
// sweep's JSON and SVG to docs/reproduction-pam/ and the page docs/reproduction-pam.md with verdicts
// computed here from the numbers. Not part of `npm test`.
//
//   npx tsx scripts/reproduce-pam.ts              full run (≤ 10 min on 2 cores), writes docs/
//   npx tsx scripts/reproduce-pam.ts --quick      tiny settings (~30 s), writes to a temp folder
//   ... --report-only                             rebuild the page from the JSON files
//   ... --out DIR                                 write DIR/reproduction-pam.md and DIR/reproduction-pam/*
//
// Node only (a script, not part of the app). Imports src/cli and src/core; nothing imports it.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { enableRawImports } from '../src/cli/rawImports.ts';

enableRawImports();
const { parseFlags } = await import('../src/cli/args.ts');
const { SWEEP_FLAGS, runSweep } = await import('../src/cli/sweep.ts');

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// The experiments: each one `sae-workbench sweep` command line.

interface Experiment {
  id: string;
  title: string;
  args: string[];
}

const FRACTIONS = '1,5,10,25,50,100';
const DIGITS = ['--data', 'builtin:digits', '--eval-fraction', '0.2', '--arch', 'topk', '--latents', '64', '--k', '8', '--batch', '32', '--lr', '3e-3'];
const FASHION = ['--data', 'builtin:fashion-mnist', '--eval-fraction', '0.2', '--arch', 'topk', '--latents', '64', '--k', '8', '--batch', '128', '--lr', '3e-3'];
const STORIES = ['--data', 'builtin:stories-resid-3', '--eval-fraction', '0.2', '--arch', 'relu', '--latents', '128', '--batch', '256', '--lr', '1e-3'];
/** The LLM script's λ = 1e-5 on MSELoss (mean over dims) is dIn·1e-5 on our per-token summed MSE (config.ts). */
const SCRIPT_LAMBDA = 64 * 1e-5;
const STRONG_LAMBDA = 0.3;
const ALL3 = ['--trainer', 'sgd,pam-sgd,sgd-tied', '--seed', '0', '--curve-points', '5'];

function experiments(quick: boolean): Experiment[] {
  const fe = quick ? ['--epochs', '2'] : ['--epochs-rule', 'official'];
  const fashionEpochs = quick ? ['--epochs', '1'] : ['--epochs', '5'];
  const frac = quick ? '10,100' : FRACTIONS;
  const small = (a: string[]): string[] => (quick ? a.map((v, i) => (a[i - 1] === '--latents' ? '16' : v)) : a);
  return [
    { id: 'digits-equal-epochs', title: 'digits, equal epochs', args: [...small(DIGITS), ...ALL3, ...fe, '--fractions', frac, '--align', 'equal-epochs'] },
    { id: 'digits-equal-steps', title: 'digits, equal steps', args: [...small(DIGITS), ...ALL3, ...fe, '--fractions', frac, '--align', 'equal-steps'] },
    { id: 'digits-updates', title: 'digits, PAM-SGD updates per batch', args: [...small(DIGITS), '--trainer', 'sgd,pam-sgd', '--seed', '0', '--curve-points', '5', '--epochs', quick ? '2' : '10', '--updates', quick ? '1,3' : '1,3,5,10'] },
    { id: 'fashion-equal-epochs', title: 'Fashion-MNIST, equal epochs', args: [...small(FASHION), ...ALL3, ...fashionEpochs, '--fractions', frac, '--align', 'equal-epochs', ...(quick ? ['--eval-fraction', '0.9'] : [])] },
    { id: 'fashion-equal-steps', title: 'Fashion-MNIST, equal steps', args: [...small(FASHION), ...ALL3, ...fashionEpochs, '--fractions', frac, '--align', 'equal-steps', ...(quick ? ['--eval-fraction', '0.9'] : [])] },
    { id: 'stories-relu-script-lambda', title: `stories resid:3, ReLU, λ = ${SCRIPT_LAMBDA} (the LLM script's)`, args: [...small(STORIES), ...ALL3, '--epochs', quick ? '1' : '5', '--fractions', '100', '--l1', String(SCRIPT_LAMBDA)] },
    { id: 'stories-relu-strong-lambda', title: `stories resid:3, ReLU, λ = ${STRONG_LAMBDA}`, args: [...small(STORIES), ...ALL3, '--epochs', quick ? '1' : '5', '--fractions', '100', '--l1', String(STRONG_LAMBDA)] },
  ];
}

// ---------------------------------------------------------------------------------------------
// The JSON the sweep writes (the parts read here)

interface Row {
  fractionPercent: number;
  rows: number;
  updatesPerBatch: number;
  trainer: 'sgd' | 'pam-sgd' | 'sgd-tied';
  steps: number;
  updates: number;
  epochs: number;
  seconds: number;
  testMse: number;
  explainedVariance: number;
  nonZeroPercent: number;
  solves: number;
}

interface SweepJson {
  kind: string;
  align: string;
  data: { spec: string; rows: number; dIn: number };
  split: { trainRows: number; testRows: number; how: string };
  config: Record<string, unknown>;
  epochs: number;
  epochsRule: string;
  summary: Row[];
  wallSeconds: number;
}

const find = (j: SweepJson, trainer: Row['trainer'], pick: (r: Row) => boolean = () => true): Row | undefined => j.summary.find((r) => r.trainer === trainer && pick(r));

// ---------------------------------------------------------------------------------------------
// Verdicts, from the numbers

type Verdict = 'reproduced' | 'partly reproduced' | 'not reproduced';
const ICON: Record<Verdict, string> = { reproduced: '✅', 'partly reproduced': '🟡', 'not reproduced': '❌' };
/** A relative difference below this is a tie (seed noise at this scale is of this order). */
const TIE = 0.02;
const rel = (a: number, b: number): number => (a - b) / b;

interface Check {
  claim: string;
  verdict: Verdict;
  detail: string;
}

/**
 * "PAM-SGD is more sample-efficient, most of all with little data" against one baseline: PAM's test MSE
 * below the baseline's (by more than TIE) at every fraction ≤ 10% → reproduced, if also its relative
 * advantage at the smallest fraction exceeds the one at 100%; at some fraction ≤ 10% → partly; else not
 * (winning only with more data is not the claim).
 */
function sampleEfficiency(j: SweepJson, baseline: Row['trainer']): { verdict: Verdict; detail: string } {
  const fr = [...new Set(j.summary.map((r) => r.fractionPercent))].sort((a, b) => a - b);
  const gap = (p: number): number => {
    const pam = find(j, 'pam-sgd', (r) => r.fractionPercent === p);
    const b = find(j, baseline, (r) => r.fractionPercent === p);
    return pam && b ? rel(pam.testMse, b.testMse) : NaN;
  };
  const low = fr.filter((p) => p <= 10);
  const wins = low.filter((p) => gap(p) < -TIE);
  const growsWithLessData = gap(fr[0]) < gap(fr[fr.length - 1]);
  const detail = fr.map((p) => `${p}%: ${fmtPct(gap(p))}`).join(', ');
  if (wins.length === low.length && low.length > 0 && growsWithLessData) return { verdict: 'reproduced', detail };
  if (wins.length > 0) return { verdict: 'partly reproduced', detail };
  return { verdict: 'not reproduced', detail };
}

/** "PAM-SGD gives sparser ReLU codes" at equal λ: its % non-zero below untied SGD's by more than TIE (relative). */
function sparser(j: SweepJson): { verdict: Verdict; detail: string; pam: Row; sgd: Row; tied?: Row } {
  const pam = find(j, 'pam-sgd');
  const sgd = find(j, 'sgd');
  if (!pam || !sgd) throw new Error('sparser-codes sweep without pam-sgd and sgd');
  const d = rel(pam.nonZeroPercent, sgd.nonZeroPercent);
  const verdict: Verdict = d < -TIE ? 'reproduced' : 'not reproduced';
  return { verdict, detail: `% non-zero ${pam.nonZeroPercent.toFixed(1)} vs ${sgd.nonZeroPercent.toFixed(1)} (${fmtPct(d)}), test MSE ${fmt(pam.testMse)} vs ${fmt(sgd.testMse)}`, pam, sgd, tied: find(j, 'sgd-tied') };
}

const combine = (vs: Verdict[]): Verdict => (vs.every((v) => v === 'reproduced') ? 'reproduced' : vs.every((v) => v === 'not reproduced') ? 'not reproduced' : 'partly reproduced');

// ---------------------------------------------------------------------------------------------
// Formatting

const fmt = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4)) : '–');
const fmtPct = (v: number): string => (Number.isFinite(v) ? `${v > 0 ? '+' : ''}${(100 * v).toFixed(1)}%` : '–');

function fractionTable(j: SweepJson): string {
  const fr = [...new Set(j.summary.map((r) => r.fractionPercent))].sort((a, b) => a - b);
  const head = '| fraction | train rows | Adam updates (SGD / PAM) | epochs (SGD / PAM) | untied SGD | tied SGD | PAM-SGD | PAM vs untied | PAM vs tied |\n|---|---|---|---|---|---|---|---|---|';
  const lines = fr.map((p) => {
    const at = (t: Row['trainer']): Row | undefined => find(j, t, (r) => r.fractionPercent === p);
    const s = at('sgd');
    const pm = at('pam-sgd');
    const t = at('sgd-tied');
    const m = (r?: Row): string => (r ? fmt(r.testMse) : '–');
    const g = (b?: Row): string => (pm && b ? fmtPct(rel(pm.testMse, b.testMse)) : '–');
    return `| ${p}% | ${s?.rows ?? pm?.rows} | ${s?.updates ?? '–'} / ${pm?.updates ?? '–'} | ${s ? fmt(s.epochs) : '–'} / ${pm ? fmt(pm.epochs) : '–'} | ${m(s)} | ${m(t)} | ${m(pm)} | ${g(s)} | ${g(t)} |`;
  });
  return [head, ...lines].join('\n');
}

function updatesTable(j: SweepJson): string {
  const us = [...new Set(j.summary.map((r) => r.updatesPerBatch))].sort((a, b) => a - b);
  const head = '| updates per batch s | PAM-SGD Adam updates | PAM-SGD test MSE | untied SGD test MSE (s does not apply) | PAM vs SGD | PAM seconds | SGD seconds |\n|---|---|---|---|---|---|---|';
  const lines = us.map((s) => {
    const pm = find(j, 'pam-sgd', (r) => r.updatesPerBatch === s);
    const sg = find(j, 'sgd', (r) => r.updatesPerBatch === s);
    return `| ${s} | ${pm?.updates ?? '–'} | ${pm ? fmt(pm.testMse) : '–'} | ${sg ? fmt(sg.testMse) : '–'} | ${pm && sg ? fmtPct(rel(pm.testMse, sg.testMse)) : '–'} | ${pm ? pm.seconds.toFixed(1) : '–'} | ${sg ? sg.seconds.toFixed(1) : '–'} |`;
  });
  return [head, ...lines].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, 'report-only': { type: 'boolean' }, out: { type: 'string' } } });
  const quick = values.quick === true;
  const outDir = values.out ?? (quick ? mkdtempSync(join(tmpdir(), 'repro-pam-')) : join(ROOT, 'docs'));
  const dataDir = join(outDir, 'reproduction-pam');
  mkdirSync(dataDir, { recursive: true });
  const exps = experiments(quick);
  const t0 = performance.now();
  const results = new Map<string, SweepJson>();
  for (const e of exps) {
    const json = join(dataDir, `${e.id}.json`);
    if (values['report-only']) {
      results.set(e.id, JSON.parse(readFileSync(json, 'utf8')) as SweepJson);
      continue;
    }
    process.stderr.write(`\n== ${e.title}: sae-workbench sweep ${e.args.join(' ')}\n`);
    const args = [...e.args, '--quiet', '--svg', join(dataDir, `${e.id}.svg`)];
    const r = await runSweep(parseFlags(args, SWEEP_FLAGS, 'sweep'));
    writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
    results.set(e.id, r as unknown as SweepJson);
    process.stderr.write(`   ${((r.wallSeconds as number) / 1).toFixed(1)} s\n`);
  }
  const totalMin = values['report-only'] ? [...results.values()].reduce((a, j) => a + j.wallSeconds, 0) / 60 : (performance.now() - t0) / 60000;
  const page = report(exps, results, totalMin, quick);
  writeFileSync(join(outDir, 'reproduction-pam.md'), page);
  process.stderr.write(`\nwrote ${join(outDir, 'reproduction-pam.md')} (${totalMin.toFixed(1)} min)\n`);
}

function report(exps: Experiment[], res: Map<string, SweepJson>, totalMin: number, quick: boolean): string {
  const get = (id: string): SweepJson => {
    const j = res.get(id);
    if (!j) throw new Error(`missing result ${id}`);
    return j;
  };
  const checks: Check[] = [];
  const eff: { id: string; base: Row['trainer']; res: { verdict: Verdict; detail: string } }[] = [];
  for (const ds of ['digits', 'fashion']) {
    for (const al of ['equal-epochs', 'equal-steps']) {
      const j = get(`${ds}-${al}`);
      for (const base of ['sgd-tied', 'sgd'] as const) eff.push({ id: `${ds}-${al}`, base, res: sampleEfficiency(j, base) });
    }
  }
  const effRow = (base: Row['trainer'], al: string, claim: string): void => {
    const rs = eff.filter((e) => e.base === base && e.id.endsWith(al));
    checks.push({ claim, verdict: combine(rs.map((r) => r.res.verdict)), detail: rs.map((r) => `${r.id.split('-')[0]}: ${r.res.verdict} (PAM vs ${base === 'sgd' ? 'untied' : 'tied'} SGD, test MSE ${r.res.detail})`).join('; ') });
  };
  effRow('sgd-tied', 'equal-epochs', '1a. Sample efficiency vs the scripts\' tied SGD, equal epochs (the paper\'s comparison)');
  effRow('sgd', 'equal-epochs', '1b. Sample efficiency vs untied SGD (our recipe), equal epochs');
  effRow('sgd-tied', 'equal-steps', '1c. Sample efficiency vs tied SGD, equal Adam updates');
  effRow('sgd', 'equal-steps', '1d. Sample efficiency vs untied SGD, equal Adam updates');
  const sp = ['stories-relu-script-lambda', 'stories-relu-strong-lambda'].map((id) => ({ id, ...sparser(get(id)) }));
  checks.push({ claim: '2. Sparser codes with ReLU + L1 at equal λ (LLM activations)', verdict: combine(sp.map((s) => s.verdict)), detail: sp.map((s) => `λ = ${s.id.includes('script') ? SCRIPT_LAMBDA : STRONG_LAMBDA}: ${s.verdict} (${s.detail})`).join('; ') });

  const L: string[] = [];
  L.push('# Reproducing SplInterp\'s PAM-SGD claims at small scale');
  L.push('');
  L.push(`Generated by \`npx tsx scripts/reproduce-pam.ts\`${quick ? ' **--quick (tiny settings: not the report)**' : ''} — do not edit by hand; rerun the script (or \`--report-only\` to rebuild this page from the JSON). Every number comes from \`sae-workbench sweep\` (one JSON and one SVG per sweep in [\`reproduction-pam/\`](reproduction-pam/)); the verdicts are computed by the script from those numbers. Paper: Budd, Ideami, Rynne, Duggar, Balestriero, *SplInterp* (arXiv 2505.11836); its method, the official scripts' settings and quirks are in the project's seed-papers notes §3.6–3.10. The paper's own numbers could not be retrieved (§3.9), so each claim is checked for its direction, not its size. First section: [ensembles](reproduction.md). Total runtime: ${totalMin.toFixed(1)} min on the CPU reference (2 shared cores).`);
  L.push('');
  L.push('## Summary');
  L.push('');
  L.push('| claim | verdict | details |');
  L.push('|---|---|---|');
  for (const c of checks) L.push(`| ${c.claim} | ${ICON[c.verdict]} ${c.verdict} | ${c.detail} |`);
  L.push('');
  L.push(`A difference under ${100 * TIE}% (relative) counts as a tie. Sample efficiency is "reproduced" when PAM-SGD's held-out MSE is lower at every fraction ≤ 10% and its advantage is larger at the smallest fraction than on all the data (the README's "largest in low-data settings"); "partly" when it is lower at some fraction ≤ 10%; "not reproduced" otherwise (a win with more data only is not the claim; the details list every fraction).`);
  L.push('');
  L.push('## Setup');
  L.push('');
  L.push('| sweep | data | dIn | train rows | test rows | held out | alignment | epochs |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const e of exps) {
    const j = get(e.id);
    L.push(`| [${e.title}](reproduction-pam/${e.id}.svg) | \`${j.data.spec}\` | ${j.data.dIn} | ${j.split.trainRows} | ${j.split.testRows} | ${j.split.how} | ${j.align} | ${j.epochsRule === 'official' ? 'min(20, max(10, ⌊20·fraction⌋)) (the MNIST script)' : j.epochs} |`);
  }
  L.push('');
  L.push('- **Trainers** (all on the deterministic CPU reference, same seed 0, so all three start from the same weights and batch order): *untied SGD* = our recipe (Adam, AuxK for TopK, decoder rows renormalised, lr warm-up and decay); *PAM-SGD* = Adam on the encoder with the stay-close term μ_enc = 1e-3, the decoder solved exactly (§3.6, ridge 1e-6, μ_dec = 1e-3) after each epoch\'s encoder pass (encoder-first, the MNIST script\'s order), updates per batch 1 unless swept; *tied SGD* = the scripts\' baseline, decoder = encoderᵀ (no AuxK, no renormalisation). TopK here is ReLU-TopK, not the scripts\' signed top-|z|.');
  L.push('- **Scale** (vs the paper, §3.7): digits 64-d and Fashion-MNIST 784-d (the shipped 10k test images; the paper uses MNIST\'s 60k train images) with 64 latents, k = 8 (paper: 256 latents, K = 15); stories260K resid:3 activations (64-d, 16,384 tokens; the paper: Gemma-2-2B, 2304-d, 4096 latents) with 128 ReLU latents.');
  L.push('- **Alignments** (§3.10): *equal epochs* = the same passes over each run\'s own rows (the paper\'s; at 1% SGD gets a handful of Adam steps); *equal steps* = every run makes the Adam updates PAM-SGD makes in the full-data plan, at every fraction, so a small fraction is less data but not less training. The test rows never change with the fraction; test MSE is per token, summed over dimensions, on every held-out row.');
  L.push(`- **Sparser codes**: ReLU with the paper's plain L1 λ·mean‖z‖₁ for all three trainers at equal λ: λ = ${SCRIPT_LAMBDA} (the LLM script's 1e-5 on a per-element MSE, times dIn = 64) and a stronger λ = ${STRONG_LAMBDA}. "% non-zero" = mean active latents per row / latents, over the whole test set (the script measures one test batch).`);
  L.push('');
  for (const ds of ['digits', 'fashion']) {
    L.push(`## Sample efficiency: ${ds === 'digits' ? 'digits' : 'Fashion-MNIST'}`);
    L.push('');
    for (const al of ['equal-epochs', 'equal-steps']) {
      const id = `${ds}-${al}`;
      L.push(`### ${al === 'equal-epochs' ? 'Equal epochs' : 'Equal Adam updates'} — held-out test MSE`);
      L.push('');
      L.push(fractionTable(get(id)));
      L.push('');
      L.push(`![${id}](reproduction-pam/${id}.svg)`);
      L.push('');
    }
  }
  L.push('## PAM-SGD updates per batch (digits, all training rows, equal epochs)');
  L.push('');
  L.push(updatesTable(get('digits-updates')));
  L.push('');
  L.push('![digits-updates](reproduction-pam/digits-updates.svg)');
  L.push('');
  L.push('## Sparser codes: stories260K resid:3, ReLU + L1');
  L.push('');
  L.push('| λ | trainer | % non-zero codes | L0 | test MSE | EV | seconds |');
  L.push('|---|---|---|---|---|---|---|');
  for (const s of sp) {
    const j = get(s.id);
    const lam = s.id.includes('script') ? SCRIPT_LAMBDA : STRONG_LAMBDA;
    const dSae = Number(j.config.dSae);
    for (const r of j.summary) L.push(`| ${lam} | ${r.trainer} | ${r.nonZeroPercent.toFixed(1)} | ${((r.nonZeroPercent * dSae) / 100).toFixed(1)} | ${fmt(r.testMse)} | ${r.explainedVariance.toFixed(3)} | ${r.seconds.toFixed(1)} |`);
  }
  L.push('');
  L.push(...sp.map((s) => `![${s.id}](reproduction-pam/${s.id}.svg)`));
  L.push('');
  L.push('## What we fail to reproduce, and the likely reasons');
  L.push('');
  L.push(...reasons(['digits-equal-epochs', 'digits-equal-steps', 'fashion-equal-epochs', 'fashion-equal-steps'].map((id) => ({ id, j: get(id) })), eff, sp));
  L.push('');
  return L.join('\n') + '\n';
}

/** One bullet per claim not fully reproduced, its likely reason chosen from what the numbers show. */
function reasons(sweeps: { id: string; j: SweepJson }[], eff: { id: string; base: Row['trainer']; res: { verdict: Verdict } }[], sp: { verdict: Verdict; pam: Row; sgd: Row; tied?: Row }[]): string[] {
  const out: string[] = [];
  const v = (base: Row['trainer'], al: string): Verdict[] => eff.filter((e) => e.base === base && e.id.endsWith(al)).map((e) => e.res.verdict);
  const tiedEp = combine(v('sgd-tied', 'equal-epochs'));
  const untiedEp = combine(v('sgd', 'equal-epochs'));
  const untiedSt = combine(v('sgd', 'equal-steps'));
  const tiedSt = combine(v('sgd-tied', 'equal-steps'));
  if (untiedEp !== 'reproduced') {
    out.push(
      `- **Sample efficiency against untied SGD (equal epochs): ${untiedEp}.** ${tiedEp !== 'not reproduced' && tiedEp !== untiedEp ? `Against the scripts' tied baseline the claim ${tiedEp === 'reproduced' ? 'holds' : 'partly holds'}, so much of the paper's gap is likely the baseline: a tied decoder (Eᵀ) is a weaker model than PAM-SGD's free decoder (§3.6 "SGD baseline", §3.10). ` : `The scripts' tied baseline fares the same (${tiedEp}), so the baseline is not what decides it here. `}Our untied recipe (AuxK, unit-norm decoder rows, lr warm-up and decay) is a stronger SGD than the scripts', and at this scale (64 latents, 64- and 784-d data) an exact decoder solve has less to gain over a few hundred Adam steps.`,
    );
  }
  if (untiedSt !== 'reproduced' || tiedSt !== 'reproduced') {
    out.push(
      `- **With equal Adam updates: vs untied SGD ${untiedSt}, vs tied SGD ${tiedSt}.** Under equal epochs a 1% subset is also a 1% training budget: SGD gets a handful of steps while PAM-SGD's decoder solve is exact however few the rows (§3.10). Giving every run the full-data budget separates "less data" from "less training"; where PAM-SGD's advantage shrinks or vanishes here, the low-data gap of the paper is likely due to under-trained SGD rather than to sample efficiency.`,
    );
  }
  // Where PAM-SGD loses to untied SGD (by more than TIE), and how many training rows each latent had there.
  const losses = sweeps.flatMap(({ id, j }) => {
    const dSae = Number(j.config.dSae);
    return j.summary
      .filter((r) => r.trainer === 'pam-sgd')
      .filter((r) => {
        const b = find(j, 'sgd', (x) => x.fractionPercent === r.fractionPercent);
        return b !== undefined && rel(r.testMse, b.testMse) > TIE;
      })
      .map((r) => ({ id, fraction: r.fractionPercent, rows: r.rows, perLatent: r.rows / dSae, dSae }));
  });
  if (losses.length > 0) {
    const list = (ls: typeof losses): string => ls.map((l) => `${l.id} ${l.fraction}% (${l.rows} rows, ${l.dSae} latents)`).join('; ');
    const few = losses.filter((l) => l.id.endsWith('equal-epochs') && l.perLatent < 4);
    const many = losses.filter((l) => l.id.endsWith('equal-epochs') && l.perLatent >= 4);
    const steps = losses.filter((l) => l.id.endsWith('equal-steps'));
    out.push(`- **PAM-SGD is worse than untied SGD (by more than ${100 * TIE}%) at ${losses.length} setting${losses.length === 1 ? '' : 's'}.**`);
    if (few.length > 0) out.push(`  - Equal epochs with fewer than 4 training rows per latent — ${list(few)}: the exact decoder solve (ridge 1e-6) nearly interpolates so few rows and generalises worse to the held-out rows, while SGD's few Adam steps stay near the initialisation. The paper's smallest MNIST fraction still has 600 rows for 256 latents; a larger \`--ridge\` would regularise the solve (not swept here).`);
    if (many.length > 0) out.push(`  - Equal epochs with enough rows — ${list(many)}: these runs have only a few epochs, i.e. only as many decoder solves, and the encoder trains for a whole epoch against a frozen decoder; SGD adapts both every step. More epochs (the paper's 50) give the alternation more outer iterations.`);
    if (steps.length > 0) out.push(`  - Equal Adam updates — ${list(steps)}: with the full-data budget at every fraction, SGD's decoder gets as many updates as its encoder, while PAM-SGD's gets one solve per epoch; once SGD is not starved of steps it fits as well or better, so the equal-epoch advantage at small fractions is a budget effect (§3.10).`);
  }
  const spV = combine(sp.map((s) => s.verdict));
  if (spV !== 'reproduced') {
    const dense = sp.some((s) => s.sgd.nonZeroPercent > 50);
    out.push(
      `- **Sparser ReLU codes: ${spV}.** ${dense ? "At the script's λ (1e-5 per element) the L1 term is tiny against the reconstruction term, so every trainer's ReLU codes stay dense and the comparison is decided by how each fits, not by sparsity. " : ''}Other likely reasons: the scale (128 latents on 64-d stories260K activations, not 4096 on 2304-d Gemma-2-2B last-token vectors); the script measures "% non-zero" on one test batch of 256 rows and, in its training-size ablation, trains SGD with λ = 0.01 against PAM's 1e-5 (§3.10), which makes SGD's codes sparser than at equal λ — equal λ is what is compared here.`,
    );
  }
  if (out.length === 0) out.push('- Every claim checked here reproduces in direction at this scale (sizes cannot be compared: the paper\'s numbers are not available, §3.9).');
  out.push('- Not checked: the paper\'s absolute numbers (unavailable, §3.9), Gemma-2-2B scale, the scripts\' signed top-|z| sparsifier and uncentred solve (available as `--pam-solve uncentred`, not swept here), and the equal-time alignment (`sae-workbench sweep --align equal-time`; wall-clock on 2 shared cores is too noisy for a verdict).');
  return out;
}

await main();
