#!/usr/bin/env node
// Smoke check of the app in headless Debian chromium (not part of `npm test`): serve the page with
// Vite on 127.0.0.1, load it, press Train, see the step count advance, pause and resume, wait for the
// run to finish, save a screenshot, and fail on any console error or page error.
// Usage: node scripts/smoke-app.mjs [--url http://127.0.0.1:5173/] [--screenshot /tmp/app.png]
// Needs Debian's chromium (/usr/bin/chromium, or set CHROMIUM); never `npx playwright install`.

import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { url: { type: 'string' }, screenshot: { type: 'string', default: '/tmp/app.png' } },
});
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const flags = ['--enable-unsafe-webgpu', '--no-sandbox', '--headless', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const t0 = Date.now();
const log = (msg) => console.log(`[smoke ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

/** Starts Vite unless --url names a running server; returns the URL and a stop function. */
async function serve() {
  if (args.url) return { url: args.url, stop: async () => {} };
  const server = await createServer({ server: { host: '127.0.0.1', port: 5173 }, logLevel: 'warn', clearScreen: false });
  await server.listen();
  const url = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/';
  return { url, stop: () => server.close() };
}

const { url, stop } = await serve();
const browser = await chromium.launch({ executablePath, args: flags, headless: true });
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1100 } });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.setDefaultTimeout(30_000);

  await page.goto(url);
  log(`loaded ${url}`);
  log(`note: ${await page.getByTestId('backend-note').innerText()}`);
  log(`navigator.gpu: ${await page.evaluate(() => ('gpu' in navigator ? 'present' : 'missing'))}`);

  const stepCount = async () => Number(await page.getByTestId('step-count').innerText());
  await page.getByTestId('train-start').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=step-count]')?.textContent) > 0);
  const first = await stepCount();
  await page.waitForTimeout(500);
  const second = await stepCount();
  log(`step count advanced: ${first} → ${second}`);
  if (!(second > first)) problems.push(`step count did not advance (${first} → ${second})`);

  await page.getByTestId('train-pause').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=train-status]')?.textContent === 'paused');
  const paused = await stepCount();
  await page.waitForTimeout(400);
  if ((await stepCount()) !== paused) problems.push('step count moved while paused');
  log(`paused at step ${paused}`);
  await page.getByTestId('train-pause').click(); // resume

  await page.waitForFunction(() => document.querySelector('[data-testid=train-status]')?.textContent === 'done', null, { timeout: 120_000 });
  log(`done at step ${await stepCount()}; final loss ${await page.getByTestId('metric-loss').innerText()}`);
  const traces = await page.locator('[data-testid=loss-plot] .scatterlayer .trace').count();
  if (traces < 1) problems.push('the loss plot has no trace');
  await page.screenshot({ path: args.screenshot, fullPage: true });
  log(`screenshot: ${args.screenshot}`);
} finally {
  await browser.close();
  await stop();
}

if (problems.length > 0) {
  console.error(`smoke-app: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
log('ok');
