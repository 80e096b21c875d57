#!/usr/bin/env node
// The page's own benchmark (issue #14, not part of `npm test`): builds the app (`vite build`), serves the
// build with `vite preview` on 127.0.0.1, and measures in headless Debian chromium what a user waits for:
//   - the initial script: every JS file the built index.html loads before any click, gzipped (target < 500 kB);
//   - Train enabled: navigation start → the Train button enabled on the default dataset;
//   - first step: Train clicked → the step count > 0, and navigation → first step (target ≤ 2 s);
//   - long tasks while training (PerformanceObserver 'longtask': main-thread tasks > 50 ms; target none);
//   - Pause and Stop: click → the status shows it (target < 100 ms).
// Median over --runs fresh pages (default 3). Prints a markdown table (paste into BENCHMARKS.md) and writes
// --json FILE when given. Usage: node scripts/bench-page.mjs [--runs 3] [--train-seconds 5] [--click-delay SECONDS]
// [--json out.json]; --click-delay: how long the user reads after Train is enabled (default 0: clicks at once).
// Needs Debian's chromium (/usr/bin/chromium, or CHROMIUM=path); never `npx playwright install`.

import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, 'train-seconds': { type: 'string', default: '5' }, 'click-delay': { type: 'string', default: '0' }, json: { type: 'string' } },
});
const runs = Number(args.runs);
const trainMs = Number(args['train-seconds']) * 1000;
/** How long the user reads after Train is enabled before clicking it (0: at once, the worst case). */
const clickDelayMs = Number(args['click-delay']) * 1000;
if (!(Number.isInteger(runs) && runs >= 1) || !(trainMs > 0)) throw new Error('--runs: a positive integer; --train-seconds: a positive number');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const flags = ['--enable-unsafe-webgpu', '--no-sandbox', '--headless', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const log = (m) => process.stderr.write(`[bench-page] ${m}\n`);

/** The JS the built index.html loads up front (entry + modulepreload), each gzipped at level 9. */
function initialScript(outDir) {
  const html = readFileSync(join(outDir, 'index.html'), 'utf8');
  const files = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\/?([^"]+\.js)"/g)].map((m) => m[1]);
  const sizes = files.map((f) => {
    const bytes = readFileSync(join(outDir, f));
    return { file: f, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  });
  return { files: sizes, bytes: sizes.reduce((s, f) => s + f.bytes, 0), gzipBytes: sizes.reduce((s, f) => s + f.gzipBytes, 0) };
}

/** One fresh page: the timings of one user session (ms). */
async function measure(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  // The default experiment with steps enough to still be training when Pause and Stop are clicked (the wasm
  // engine trains the default 2000 steps in a few seconds).
  await page.goto(`${url}#dataset=builtin:stories-resid-3&steps=1000000`);
  await page.waitForFunction(() => document.querySelector('[data-testid=train-start]')?.disabled === false, null, { timeout: 120_000 });
  const trainEnabledMs = await page.evaluate(() => performance.now());
  if (clickDelayMs > 0) await page.waitForTimeout(clickDelayMs);
  // Click and watch in the page, so the timings exclude the driver's round trips.
  const clickUntil = (testid, until) =>
    page.evaluate(
      ([id, fn]) =>
        new Promise((resolve) => {
          const done = new Function(`return (${fn})()`);
          const t0 = performance.now();
          document.querySelector(`[data-testid=${id}]`).click();
          const check = () => (done() ? resolve({ at: t0, ms: performance.now() - t0 }) : performance.now() - t0 > 15_000 ? resolve({ at: t0, ms: null }) : requestAnimationFrame(check));
          check();
        }),
      [testid, until.toString()],
    );
  const first = await clickUntil('train-start', () => Number(document.querySelector('[data-testid=step-count]')?.textContent) > 0);
  const trainStart = first.at;
  await page.waitForTimeout(trainMs);
  const pause = await clickUntil('train-pause', () => document.querySelector('[data-testid=train-status]')?.textContent === 'paused');
  await page.waitForTimeout(300);
  const resume = await clickUntil('train-pause', () => document.querySelector('[data-testid=train-status]')?.textContent === 'training');
  await page.waitForTimeout(300);
  const stopId = (await page.locator('[data-testid=train-stop]').count()) > 0 ? 'train-stop' : null;
  const stop = stopId ? await clickUntil(stopId, () => /stopped|done/.test(document.querySelector('[data-testid=train-status]')?.textContent ?? '')) : null;
  const steps = Number(await page.getByTestId('step-count').innerText());
  const long = await page.evaluate((t) => window.__longTasks.filter((e) => e.start >= t), trainStart);
  const plotly = await page.evaluate(() => performance.getEntriesByType('resource').find((e) => /plotly/.test(e.name))?.responseEnd ?? null);
  if (process.env.BENCH_PAGE_DEBUG) log(`long tasks (ms after Train): ${long.map((e) => `${(e.start - trainStart).toFixed(0)}+${e.ms.toFixed(0)}`).join(' ')}; plotly fetched at ${plotly === null ? '—' : (plotly - trainStart).toFixed(0)}`);
  await page.close();
  return {
    trainEnabledMs,
    firstStepAfterClickMs: first.ms,
    firstStepFromNavigationMs: first.ms === null ? null : trainStart + first.ms,
    steps,
    longTasksWhileTraining: long.length,
    longestTaskMs: long.reduce((m, e) => Math.max(m, e.ms), 0),
    pauseMs: pause.ms,
    resumeMs: resume.ms,
    stopMs: stop?.ms ?? null,
    problems,
  };
}

const median = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return s.length ? s[(s.length - 1) >> 1] : null;
};

const outDir = mkdtempSync(join(tmpdir(), 'bench-page-'));
try {
  log('vite build …');
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const script = initialScript(outDir);
  const server = await preview({ logLevel: 'warn', preview: { host: '127.0.0.1', port: 0 }, build: { outDir } });
  const url = server.resolvedUrls?.local[0];
  const browser = await chromium.launch({ executablePath, args: flags, headless: true });
  const results = [];
  try {
    for (let r = 0; r < runs; r++) {
      results.push(await measure(browser, url));
      log(`run ${r + 1}/${runs}: ${JSON.stringify(results.at(-1))}`);
    }
  } finally {
    await browser.close();
    server.httpServer.close();
  }
  const keys = ['trainEnabledMs', 'firstStepAfterClickMs', 'firstStepFromNavigationMs', 'longTasksWhileTraining', 'longestTaskMs', 'pauseMs', 'resumeMs', 'stopMs'];
  const med = Object.fromEntries(keys.map((k) => [k, median(results.map((x) => x[k]))]));
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}`,
    chromium: browser.version(),
    runs,
    trainSeconds: trainMs / 1000,
    clickDelaySeconds: clickDelayMs / 1000,
    initialScript: script,
    median: med,
    results,
  };
  if (args.json) (await import('node:fs')).writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
  const f = (x, d = 0) => (x === null ? '—' : x.toFixed(d));
  console.log(`${report.date} · ${report.machine} · Chromium ${report.chromium} · median of ${runs} fresh pages, Train clicked ${clickDelayMs / 1000} s after it is enabled, ${trainMs / 1000} s of training each

| what | measured | target |
|---|---|---|
| initial script (${script.files.length} file${script.files.length === 1 ? '' : 's'}, gzipped) | ${f(script.gzipBytes / 1024)} kB (${f(script.bytes / 1024)} kB raw) | < 500 kB |
| navigation → Train enabled | ${f(med.trainEnabledMs)} ms | |
| Train clicked → first step | ${f(med.firstStepAfterClickMs)} ms | |
| navigation → first step (Train clicked when enabled) | ${f(med.firstStepFromNavigationMs)} ms | ≤ 2000 ms |
| long tasks (> 50 ms) while training | ${f(med.longTasksWhileTraining)} (longest ${f(med.longestTaskMs)} ms) | 0 |
| Pause clicked → "paused" shown | ${f(med.pauseMs)} ms | < 100 ms |
| Resume clicked → "training" shown | ${f(med.resumeMs)} ms | < 100 ms |
| Stop clicked → "stopped" shown | ${f(med.stopMs)} ms | < 100 ms |`);
  const problems = results.flatMap((x) => x.problems);
  if (problems.length) log(`page errors: ${problems.join('; ')}`);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
