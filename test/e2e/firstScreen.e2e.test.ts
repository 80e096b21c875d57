// The first screen as a new user meets it (issue #14), in headless chromium (harness.ts): at 1440×900 and
// 1024×768 the dataset picker, the main settings (cfg-dSae), Train and the loss plot (or, before a run, the
// placeholder saying what will appear) are in the viewport without scrolling, and the backend note is one
// line; a run cut short by Reset reads 'stopped'; a second upload starts without the first one's labels;
// at 390×844 the page is never wider than the screen (scrollWidth and every element, after a run and on a
// fresh page), the note is one line and Train within two screens; a long custom synthetic dataset id widens
// nothing (phone and 1024×768); the runs table scrolls inside its box; token contexts wrap on the phone. No console error, page error or
// outside request at any point. Saves docs/screenshots/first-screen-{desktop,laptop,phone}.png and
// inspector-phone.png.
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
const log = (msg: string): void => console.log(`[first-screen-e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
let setupError: Error | null = null;
function ready(): void {
  if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
}
const waitFor = (what: string, fn: string, timeout: number): Promise<void> => (app ? app.waitFor(what, fn, timeout) : Promise.reject(new Error('e2e: the app is not started')));

/** Where an element sits in the viewport (page scrolled to the top), or null when it is not rendered. */
const boxOf = (selector: string) =>
  page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height, vw: window.innerWidth, vh: window.innerHeight };
  }, selector);

/** Elements reaching past the viewport's right edge, except inside a box that scrolls (or clips) horizontally and itself fits. */
const tooWide = () =>
  page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const clipped = (el: Element): boolean => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return p.getBoundingClientRect().right <= vw + 1;
      }
      return false;
    };
    const out: string[] = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.right > vw + 1 && !clipped(el)) out.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}${el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : ''} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, vw, out: out.slice(0, 12), count: out.length };
  });

const FIRST_SCREEN = ['[data-testid=dataset-select]', '[data-testid=cfg-dSae]', '[data-testid=train-start]'];

async function expectFirstScreen(size: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  const plot = (await page.getByTestId('loss-plot').count()) > 0 ? '[data-testid=loss-plot]' : '[data-testid=plots-placeholder]';
  for (const sel of [...FIRST_SCREEN, plot]) {
    const b = await boxOf(sel);
    expect(b, `${size}: ${sel} is on the page`).not.toBeNull();
    log(`${size}: ${sel} at ${Math.round(b!.top)}..${Math.round(b!.bottom)} of ${b!.vh}`);
    expect(b!.top, `${size}: ${sel} starts in the viewport`).toBeGreaterThanOrEqual(0);
    // The loss plot only needs to start on the first screen with most of it in view; the rest whole.
    const limit = sel === plot && plot.includes('loss-plot') ? b!.vh + b!.height / 3 : b!.vh;
    expect(b!.bottom, `${size}: ${sel} ends in the viewport without scrolling`).toBeLessThanOrEqual(limit);
    expect(b!.right, `${size}: ${sel} is not cut off on the right`).toBeLessThanOrEqual(b!.vw);
  }
  const note = await boxOf('[data-testid=backend-note]');
  expect(note!.height, `${size}: the backend note is one line`).toBeLessThan(40);
}

describe('the first screen at desktop, laptop and phone sizes', () => {
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

  it('shows the dataset, the main settings, Train and the plots placeholder without scrolling at 1440×900 and 1024×768', async () => {
    ready();
    await page.goto(app!.url);
    await waitFor('the default dataset loads and Train is enabled', `!!document.querySelector('[data-testid=dataset-name]') && !document.querySelector('[data-testid=train-start]')?.disabled`, 90_000);
    await waitFor('the engine starts (backend note names it)', `/Engine:/.test(document.querySelector('[data-testid=backend-note]')?.textContent ?? '')`, 30_000);
    const note = await page.getByTestId('backend-note').innerText();
    log(`backend note: ${note}`);
    expect(note, 'one message, not "available" and "no adapter" at once').not.toMatch(/WebGPU is available[\s\S]*no adapter/i);
    expect(await page.getByTestId('plots-placeholder').count(), 'no empty plots before a run: the placeholder instead').toBe(1);
    expect(await page.getByTestId('loss-plot').count()).toBe(0);
    await expectFirstScreen('1440×900');
    await page.screenshot({ path: join(SHOTS, 'first-screen-desktop.png') });
    await page.setViewportSize({ width: 1024, height: 768 });
    await expectFirstScreen('1024×768');
    await page.screenshot({ path: join(SHOTS, 'first-screen-laptop.png') });
    expect(problems, 'console errors, page errors or outside requests').toEqual([]);
  }, 150_000);

  it('keeps the loss plot on the first screen once a run starts; the runs table scrolls inside its box', async () => {
    ready();
    phase = 'train';
    await page.setViewportSize({ width: 1440, height: 900 });
    for (const [k, v] of [['dSae', 32], ['steps', 30], ['batch', 64]] as const) await app!.setField(k, v);
    await page.getByTestId('train-start').click();
    await waitFor('the short run finishes', `document.querySelector('[data-testid=train-status]')?.textContent === 'done'`, 120_000);
    await waitFor('the loss plot is drawn', `!!document.querySelector('[data-testid=loss-plot].js-plotly-plot .main-svg')`, 30_000);
    expect(await page.getByTestId('plots-placeholder').count(), 'the placeholder goes with the first step').toBe(0);
    await expectFirstScreen('1440×900, after a run');
    const runs = await page.evaluate(() => {
      const box = document.querySelector('.runs-scroll');
      const table = document.querySelector('[data-testid=runs-table]');
      return box && table ? { box: box.getBoundingClientRect().right, page: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth } : null;
    });
    expect(runs, 'the runs table is shown').not.toBeNull();
    expect(runs!.box, 'the runs table box fits the page').toBeLessThanOrEqual(runs!.page);
    expect(runs!.scrollWidth).toBeLessThanOrEqual(runs!.page);
    // On a phone, a latent's token contexts wrap instead of running off the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await waitFor('the feature table fills in', `document.querySelectorAll('[data-testid=feature-table] tbody tr:not(.dead)').length > 0`, 60_000);
    await page.locator('[data-testid=feature-table] tbody tr:not(.dead)').first().click();
    await waitFor('the latent’s top inputs show', `document.querySelectorAll('[data-testid=feature-inspector] [data-testid=top-inputs] li').length > 0`, 60_000);
    await waitFor('the charts follow the narrower screen', 'document.documentElement.scrollWidth <= 390', 10_000).catch(() => {});
    const wide = await tooWide();
    log(`phone with a latent inspected: scrollWidth ${wide.scrollWidth}; too wide: ${wide.count} ${wide.out.join(', ')}`);
    expect(wide.scrollWidth, 'token contexts wrap on the phone').toBeLessThanOrEqual(390);
    expect(wide.out).toEqual([]);
    await page.getByTestId('feature-inspector').screenshot({ path: join(SHOTS, 'inspector-phone.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(problems, 'console errors, page errors or outside requests').toEqual([]);
  }, 180_000);

  it('lists a run cut short by Reset as stopped, not done', async () => {
    ready();
    phase = 'reset';
    await app!.setField('steps', 100000);
    await page.getByTestId('train-start').click();
    await waitFor('the long run steps', `document.querySelector('[data-testid=train-status]')?.textContent === 'training' && Number(document.querySelector('[data-testid=step-count]')?.textContent) > 0`, 60_000);
    await page.getByTestId('train-reset').click();
    const cutShort = `[...document.querySelectorAll('[data-testid=runs-row]')].some((tr) => (tr.querySelector('td[data-col=step]')?.textContent ?? '').endsWith(' / 100000') && tr.querySelector('td[data-col=status]')?.textContent === 'stopped')`;
    await waitFor('the reset run reads stopped in the runs table', cutShort, 30_000);
    expect(await page.getByTestId('plots-placeholder').count(), 'Reset clears the plots: the placeholder is back').toBe(1);
    await app!.setField('steps', 30);
    expect(problems, 'console errors, page errors or outside requests').toEqual([]);
  }, 120_000);

  it('starts another upload with a clean labels slot: the first file’s labels do not stick to the next', async () => {
    ready();
    phase = 'upload';
    const csv = (rows: number): Buffer => Buffer.from(Array.from({ length: rows }, (_, i) => [i % 7, (i * 3) % 5, 1 - (i % 2), i / rows].join(',')).join('\n'));
    await page.getByTestId('dataset-select').selectOption('upload');
    await page.getByTestId('upload-file').setInputFiles({ name: 'first.csv', mimeType: 'text/csv', buffer: csv(64) });
    await page.getByTestId('upload-labels').setInputFiles({ name: 'first-labels.txt', mimeType: 'text/plain', buffer: Buffer.from(Array.from({ length: 64 }, (_, i) => `row ${i}`).join('\n')) });
    await page.getByTestId('dataset-load').click();
    await waitFor('the first upload loads', `(document.querySelector('[data-testid=dataset-name]')?.textContent ?? '').includes('first.csv')`, 30_000);
    await page.getByTestId('upload-file').setInputFiles({ name: 'second.csv', mimeType: 'text/csv', buffer: csv(96) });
    expect(await page.getByTestId('upload-labels').evaluate((el) => (el as HTMLInputElement).files?.length ?? 0), 'the labels slot is empty again').toBe(0);
    await page.getByTestId('dataset-load').click();
    await waitFor('the second upload loads (no leftover labels of 64 rows)', `(document.querySelector('[data-testid=dataset-name]')?.textContent ?? '').includes('second.csv')`, 30_000);
    expect(await page.getByTestId('dataset-error').count(), 'no load error').toBe(0);
    expect(problems, 'console errors, page errors or outside requests').toEqual([]);
  }, 90_000);

  it('fits a 390×844 phone: no horizontal scroll, no element wider than the screen, Train within two screens', async () => {
    ready();
    phase = 'phone';
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    // plotly redraws its charts at the new width on the window's resize event: give it a moment.
    await waitFor('the charts follow the narrower screen', 'document.documentElement.scrollWidth <= 390', 10_000).catch(() => {});
    const wide = await tooWide();
    log(`phone: scrollWidth ${wide.scrollWidth}; too wide: ${wide.count} ${wide.out.join(', ')}`);
    expect(wide.scrollWidth, 'the page is never wider than the screen').toBeLessThanOrEqual(390);
    expect(wide.out, 'elements past the right edge of the screen').toEqual([]);
    const note = await boxOf('[data-testid=backend-note]');
    expect(note!.height, 'the backend note is one line on the phone too').toBeLessThan(40);
    const train = await boxOf('[data-testid=train-start]');
    expect(train!.bottom, 'Train within two screens of scrolling').toBeLessThanOrEqual(2 * 844);
    await page.screenshot({ path: join(SHOTS, 'first-screen-phone.png') });
    // A fresh page at phone size, without the hash the run left: the first screen a new user sees.
    await page.goto(app!.url);
    await waitFor('the default dataset loads again', `!!document.querySelector('[data-testid=dataset-name]') && !document.querySelector('[data-testid=train-start]')?.disabled`, 90_000);
    const before = await tooWide();
    expect(before.scrollWidth, 'before a run, too').toBeLessThanOrEqual(390);
    expect(before.out).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'first-screen-phone.png') });
    expect(problems, 'console errors, page errors or outside requests').toEqual([]);
  }, 150_000);

  it('keeps a long custom synthetic dataset id inside the page at 1024×768 and on the phone', async () => {
    ready();
    phase = 'long id';
    await page.getByTestId('dataset-select').selectOption('synthetic:custom');
    await page.locator('[data-testid=synthetic-knobs] input').nth(6).fill('2048'); // rows: a small set
    await page.getByTestId('dataset-load').click();
    await waitFor('the custom synthetic set loads', `/^synthetic:custom:/.test(document.querySelector('[data-testid=dataset-name]')?.textContent ?? '')`, 60_000);
    const id = await page.getByTestId('dataset-name').innerText();
    log(`long id: ${id} (${id.length} characters)`);
    expect(id.length, 'a long id, the case under test').toBeGreaterThan(60);
    for (const [width, height] of [[390, 844], [1024, 768]] as const) {
      await page.setViewportSize({ width, height });
      await waitFor(`the page fits ${width} px`, `document.documentElement.scrollWidth <= ${width}`, 10_000).catch(() => {});
      const wide = await tooWide();
      log(`long id at ${width} px: scrollWidth ${wide.scrollWidth}; too wide: ${wide.count} ${wide.out.join(', ')}`);
      expect(wide.scrollWidth, `${width}×${height}: the long id does not widen the page`).toBeLessThanOrEqual(width);
      expect(wide.out, `${width}×${height}: elements past the right edge`).toEqual([]);
    }
    expect(problems, 'console errors, page errors or outside requests').toEqual([]);
  }, 120_000);
});
