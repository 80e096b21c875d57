// The feature page as a user meets it (issue #14, deliverable 4), in headless chromium (harness.ts), on the
// default stories260K resid:3 data with a tiny run: the latent table is one Tab stop and ↓ moves the
// selection; the picked latent's page names the token at its peak, lists logit effects through stories260K
// (10 promoted, 10 suppressed tokens), shows the 5 quantile bands with samples, the histogram's text
// summary, and whole-word contexts; the URL names the latent (`latent=N`), and opening that URL on a fresh
// page says the link waits for a run, then opens latent N once the run has trained. At 390×844 the page
// fits the screen. On builtin:digits, thumbnails and the decoder image are ≥ 112 px with row numbers and
// labels, and no logit effects. No console error, page error or outside request. Saves docs/screenshots/feature-page.png
// feature-page-phone.png and feature-page-images.png.
// Needs /usr/bin/chromium (or CHROMIUM=path); never `npx playwright install`.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOTS, startApp, type AppSession } from './harness.ts';

let app: AppSession | undefined;
let page: Page;
const problems: string[] = [];
let phase = 'load';
const t0 = Date.now();
const log = (msg: string): void => console.log(`[feature-e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
let setupError: Error | null = null;
function ready(): void {
  if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
}
const waitFor = (what: string, fn: string, timeout: number): Promise<void> => (app ? app.waitFor(what, fn, timeout) : Promise.reject(new Error('e2e: the app is not started')));
/** A tiny run on the default data: trains in seconds on the CPU reference. */
const SHAPE = 'dSae=32&steps=40&batch=64';
const INSPECTOR_READY = (latent: string) =>
  `(document.querySelector('[data-testid=feature-inspector] h3')?.textContent ?? '').includes('latent ${latent}') && !!document.querySelector('[data-testid=feature-inspector] [data-testid=peak-token]')`;
let latent = '';

async function trainToDone(): Promise<void> {
  await waitFor('the default dataset loads and Train is enabled', `!!document.querySelector('[data-testid=dataset-name]') && !document.querySelector('[data-testid=train-start]')?.disabled`, 90_000);
  await page.getByTestId('train-start').click();
  await waitFor('the run finishes', `document.querySelector('[data-testid=train-status]')?.textContent === 'done'`, 120_000);
  await waitFor('the feature table fills in', `document.querySelectorAll('[data-testid=feature-table] tbody tr').length > 0`, 60_000);
}

describe('the feature page', () => {
  beforeAll(async () => {
    try {
      app = await startApp({ width: 1440, height: 900 }, log, problems, () => phase);
      page = app.page;
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it('names the peak token, lists logit effects and quantile bands, and puts the latent in the URL', async () => {
    ready();
    phase = 'train';
    await page.goto(`${app!.url}#dataset=builtin:stories-resid-3&${SHAPE}`);
    await trainToDone();
    phase = 'table';
    // One Tab stop: exactly one row is in the Tab order; ↓ from it selects the next row.
    expect(await page.locator('[data-testid=feature-table] tbody tr[tabindex="0"]').count(), 'rows in the Tab order').toBe(1);
    const rows = page.locator('[data-testid=feature-table] tbody tr');
    const first = await rows.nth(0).getAttribute('data-latent');
    const second = await rows.nth(1).getAttribute('data-latent');
    await rows.nth(0).focus();
    await page.keyboard.press('ArrowDown');
    await waitFor('↓ selects the second row', `document.querySelector('[data-testid=feature-table] tbody tr[aria-selected=true]')?.getAttribute('data-latent') === '${second}'`, 10_000);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-latent')), 'focus moved with the selection').toBe(second);
    await page.keyboard.press('ArrowUp');
    latent = first!; // the densest latent (the table sorts by density): it fires, so every band has rows
    await waitFor(`latent ${latent}'s page is drawn`, INSPECTOR_READY(latent), 60_000);
    phase = 'page';
    const peak = await page.getByTestId('peak-token').innerText();
    log(`peak: ${peak}`);
    expect(peak, 'the peak names a token').toMatch(/peak: token “.+” f = [\d.]+ on row \d+/);
    expect(await page.locator('[data-testid=logit-promoted] li').count(), 'promoted tokens').toBe(10);
    expect(await page.locator('[data-testid=logit-suppressed] li').count(), 'suppressed tokens').toBe(10);
    expect(await page.getByTestId('logit-effects').innerText()).toContain('resid:3');
    const bands = await page.locator('[data-testid=quantile-band]').allInnerTexts();
    log(`bands: ${bands.map((b) => b.split('\n')[0]).join(' | ')}`);
    expect(bands, 'five quantile bands').toHaveLength(5);
    expect(bands[0]).toMatch(/^top 10%/);
    expect(bands[4]).toMatch(/^lowest non-zero/);
    expect(await page.locator('[data-testid=quantile-band] li').count(), 'band samples').toBeGreaterThanOrEqual(5);
    expect(await page.getByTestId('histogram-summary').innerText()).toMatch(/\d+ firing rows, f from/);
    // Whole words: no context starts with a word piece (every first token starts with a space, or is the context's start).
    const starts = await page.locator('[data-testid=top-inputs] .token-context').evaluateAll((els) => els.map((e) => ({ text: e.querySelector('.tok')?.textContent ?? '', title: e.querySelector('.tok')?.getAttribute('title') ?? '' })));
    expect(starts.length).toBeGreaterThan(0);
    log(`context starts: ${starts.map((s) => JSON.stringify(s.text)).join(' ')}`);
    for (const s of starts) expect(/^[\s⏎]|^[^\p{L}\p{N}]/u.test(s.text) || /position [01]:/.test(s.title), `a context starts on a word: ${JSON.stringify(s)}`).toBe(true);
    // The URL names the latent.
    await waitFor('the URL names the latent', `location.hash.includes('latent=${latent}')`, 5_000);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByTestId('feature-inspector').screenshot({ path: join(SHOTS, 'feature-page.png') });
    phase = 'phone';
    await page.setViewportSize({ width: 390, height: 844 });
    await waitFor('the page fits the phone', 'document.documentElement.scrollWidth <= 390', 10_000);
    await page.getByTestId('feature-inspector').screenshot({ path: join(SHOTS, 'feature-page-phone.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(problems, 'console errors, page errors or outside requests').toEqual([]);
  }, 200_000);

  it('a latent link waits for the run, then opens that latent', async () => {
    ready();
    phase = 'link';
    const link = await page.evaluate(() => location.href);
    expect(link).toContain(`latent=${latent}`);
    // A fresh page on the link (as whoever it was shared with opens it): nothing of the first run survives.
    await page.goto('about:blank');
    await page.goto(link);
    await waitFor('the link says it waits for a run', `!!document.querySelector('[data-testid=latent-link-pending]')`, 60_000);
    expect(await page.getByTestId('latent-link-pending').innerText()).toContain(`latent ${latent}`);
    await trainToDone();
    await waitFor(`the link opens latent ${latent}`, INSPECTOR_READY(latent), 60_000);
    expect(await page.locator('[data-testid=feature-table] tbody tr[aria-selected=true]').getAttribute('data-latent')).toBe(latent);
    expect(await page.getByTestId('latent-link-pending').count(), 'the note goes once the latent is open').toBe(0);
    expect(problems, 'console errors, page errors or outside requests').toEqual([]);
  }, 200_000);

  it('images: thumbnails and the decoder image at least 112 px, with row numbers and labels; no logit effects', async () => {
    ready();
    phase = 'images';
    await page.goto('about:blank');
    await page.goto(`${app!.url}#dataset=builtin:digits&${SHAPE}`);
    await trainToDone();
    const latent = await page.locator('[data-testid=feature-table] tbody tr').first().getAttribute('data-latent');
    await page.locator('[data-testid=feature-table] tbody tr').first().click();
    await waitFor(`latent ${latent}'s page is drawn`, INSPECTOR_READY(latent!), 60_000);
    expect(await page.getByTestId('peak-token').innerText()).toMatch(/peak: image #\d+ \(\d\)/);
    const widths = await page.locator('[data-testid=top-inputs] canvas').evaluateAll((cs) => cs.map((c) => c.getBoundingClientRect().width));
    expect(widths.length).toBeGreaterThan(0);
    for (const w of widths) expect(w, 'thumbnail width (px)').toBeGreaterThanOrEqual(112);
    const dec = await page.locator('[data-testid=decoder-image] canvas').evaluate((c) => c.getBoundingClientRect().width);
    expect(dec, 'decoder image width (px)').toBeGreaterThanOrEqual(112);
    expect(await page.locator('[data-testid=top-inputs] [data-testid=thumb-caption]').first().innerText()).toMatch(/^#\d+ · \d$/);
    expect(await page.locator('[data-testid=logit-effects], [data-testid=logit-effects-none]').count(), 'no logit effects (nor a note) for images').toBe(0);
    await page.getByTestId('feature-inspector').screenshot({ path: join(SHOTS, 'feature-page-images.png') });
    expect(problems, 'console errors, page errors or outside requests').toEqual([]);
  }, 200_000);
});
