#!/usr/bin/env node
// Smoke check of the app in headless Debian chromium (not part of `npm test`): serve the page with
// Vite on 127.0.0.1, load it, wait for the default dataset (stories260K activations) and its card,
// press Train, see the step count advance, pause and resume, wait for the run to finish, save a
// screenshot; open the feature inspector (the table fills in at the end of the run), select a latent
// with the keyboard, check its top inputs (highlighted token contexts), histogram and nearest latents,
// follow a nearest latent, save a screenshot of the inspector (-inspector.png); then pick digits from the dataset picker, upload a malformed .npy (its error shows and
// digits stays loaded), save a second screenshot, and fail on any console error or page error.
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

  // Records every text the dataset progress line shows, to check that it advances while loading.
  await page.addInitScript(() => {
    window.__progress = [];
    new MutationObserver(() => {
      const t = document.querySelector('[data-testid=dataset-progress]')?.textContent;
      if (t && window.__progress.at(-1) !== t) window.__progress.push(t);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(url);
  log(`loaded ${url}`);
  log(`note: ${await page.getByTestId('backend-note').innerText()}`);
  log(`navigator.gpu: ${await page.evaluate(() => ('gpu' in navigator ? 'present' : 'missing'))}`);

  const datasetName = () => page.getByTestId('dataset-name').innerText();
  try {
    await page.getByTestId('dataset-progress').waitFor({ timeout: 10_000 });
    log(`progress line: ${await page.getByTestId('dataset-progress').innerText()}`);
  } catch {
    problems.push('no progress line while the default dataset loaded');
  }
  await page.waitForFunction(() => document.querySelector('[data-testid=dataset-name]')?.textContent === 'builtin:stories-resid-3', null, { timeout: 60_000 });
  const progressTexts = await page.evaluate(() => window.__progress);
  log(`progress line showed ${progressTexts.length} states, last: ${progressTexts.at(-1)}`);
  if (progressTexts.length < 3) problems.push(`the progress line did not advance: ${JSON.stringify(progressTexts)}`);
  log(`default dataset loaded: ${(await page.getByTestId('dataset-card').innerText()).split('\n').slice(0, 3).join(' | ')}`);
  if ((await page.locator('[data-testid=dataset-norm-plot] .barlayer .trace').count()) < 1) problems.push('the dataset card has no norm histogram');

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

  // Export: the SAELens zip downloads (built in the worker), and the metrics CSV.
  const [zipDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-saelens').click()]);
  const zipPath = await zipDownload.path();
  const zipBytes = zipPath ? (await import('node:fs')).readFileSync(zipPath) : Buffer.alloc(0);
  log(`export: ${zipDownload.suggestedFilename()} (${zipBytes.length} bytes)`);
  if (!/\.zip$/.test(zipDownload.suggestedFilename()) || zipBytes.readUInt32LE(0) !== 0x04034b50) problems.push(`the export is not a zip: ${zipDownload.suggestedFilename()}`);
  for (const f of ['cfg.json', 'sae_weights.safetensors', 'sparsity.safetensors']) if (!zipBytes.includes(Buffer.from(`/${f}`))) problems.push(`the export zip has no ${f}`);
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const csvPath = await csvDownload.path();
  const csvLines = csvPath ? (await import('node:fs')).readFileSync(csvPath, 'utf8').trim().split('\n') : [];
  log(`metrics CSV: ${csvLines.length - 1} rows, columns ${csvLines[0]}`);
  if (csvLines.length < 3 || !csvLines[0].startsWith('step,loss')) problems.push('the metrics CSV is empty or malformed');
  if (!(await page.getByTestId('python-snippet').innerText()).includes('SAE.load_from_disk("sae-')) problems.push('the Python snippet does not name the export folder');
  if ((await page.locator('[data-testid=density-plot] .barlayer .trace').count()) < 1) problems.push('the density histogram has no bars');
  if (!(await page.evaluate(() => location.hash)).includes('dataset=')) problems.push('the experiment is not in the URL hash');

  // The feature inspector: the table fills in when the run finishes; select a latent with the keyboard.
  await page.locator('[data-testid=feature-table] tbody tr').first().waitFor({ timeout: 60_000 });
  const latents = await page.locator('[data-testid=feature-table] tbody tr').count();
  log(`feature table: ${latents} rows; ${await page.locator('.feature-panel > p.muted').first().innerText()}`);
  const firstRow = page.locator('[data-testid=feature-table] tbody tr').first();
  const firstLatent = (await firstRow.locator('td').first().innerText()).trim();
  await firstRow.focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=feature-inspector] [data-testid=top-inputs] li').first().waitFor({ timeout: 60_000 });
  const tops = await page.locator('[data-testid=top-inputs] li').count();
  const focusTokens = await page.locator('[data-testid=top-inputs] .tok.focus').count();
  log(`latent ${firstLatent}: ${tops} top inputs, ${focusTokens} outlined tokens; first: ${(await page.locator('[data-testid=top-inputs] li').first().innerText()).replace(/\s+/g, ' ')}`);
  if (tops < 1) problems.push(`latent ${firstLatent} shows no top inputs`);
  if (focusTokens !== tops) problems.push(`expected one outlined (max) token per top input, got ${focusTokens} for ${tops}`);
  if ((await page.locator('[data-testid=feature-histogram] .barlayer .trace').count()) < 1) problems.push('the latent has no activation histogram');
  if ((await page.locator('[data-testid=nearest-latents] button').count()) < 1) problems.push('the latent lists no nearest latents');
  const nearestLatent = await page.locator('[data-testid=nearest-latents] button').first().innerText();
  await page.locator('[data-testid=nearest-latents] button').first().click();
  await page.waitForFunction((l) => document.querySelector('[data-testid=feature-inspector] h3')?.textContent?.startsWith(`latent ${l}`) === false, firstLatent);
  await page.locator('[data-testid=top-inputs] li, [data-testid=feature-inspector] p.muted').first().waitFor();
  log(`clicked a nearest latent: now ${(await page.locator('[data-testid=feature-inspector] h3').innerText()).split('·')[0].trim()} (was ${firstLatent}, nearest listed first ${nearestLatent})`);
  await firstRow.focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=top-inputs] li').first().waitFor();
  const inspectorShot = args.screenshot.replace(/(\.png)?$/, '-inspector.png');
  await page.locator('.feature-panel').screenshot({ path: inspectorShot });
  log(`screenshot: ${inspectorShot}`);

  await page.getByTestId('dataset-select').selectOption('builtin:digits');
  await page.waitForFunction(() => document.querySelector('[data-testid=dataset-name]')?.textContent === 'builtin:digits');
  log(`picked digits: ${await datasetName()}`);
  await page.getByTestId('dataset-select').selectOption('upload');
  await page.getByTestId('upload-file').setInputFiles({ name: 'broken.npy', mimeType: 'application/octet-stream', buffer: Buffer.from('not a numpy file') });
  await page.getByTestId('dataset-load').click();
  await page.getByTestId('dataset-error').waitFor();
  const uploadError = await page.getByTestId('dataset-error').innerText();
  log(`malformed upload: ${uploadError}`);
  if (!/broken\.npy: magic: expected 93 4e 55 4d 50 59/.test(uploadError)) problems.push(`unexpected upload error: ${uploadError}`);
  if ((await datasetName()) !== 'builtin:digits') problems.push(`the malformed upload replaced the loaded dataset (now ${await datasetName()})`);

  // Images: a short run on digits, then the inspector shows thumbnails and the decoder as an image.
  await page.locator('[data-testid=cfg-steps] input').fill('300');
  await page.getByTestId('train-start').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=train-status]')?.textContent === 'done', null, { timeout: 120_000 });
  await page.waitForFunction(() => /over .* of builtin:digits/.test(document.querySelector('.feature-panel > p.muted')?.textContent ?? ''), null, { timeout: 60_000 });
  await page.locator('[data-testid=feature-table] tbody tr').first().click();
  await page.locator('[data-testid=top-inputs] canvas').first().waitFor();
  const thumbs = await page.locator('[data-testid=top-inputs] canvas').count();
  log(`digits: ${thumbs} thumbnails, decoder image: ${await page.getByTestId('decoder-image').count()}`);
  if (thumbs < 1 || (await page.getByTestId('decoder-image').count()) !== 1) problems.push('the digits inspector shows no thumbnails or no decoder image');
  const shot2 = args.screenshot.replace(/(\.png)?$/, '-datasets.png');
  await page.screenshot({ path: shot2, fullPage: true });
  log(`screenshot: ${shot2}`);
} finally {
  await browser.close();
  await stop();
}

if (problems.length > 0) {
  console.error(`smoke-app: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
log('ok');
