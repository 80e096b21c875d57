// Runs that survive a reload, end to end in headless chromium (test/e2e/harness.ts): a short run on
// synthetic:small trained from the form to 'done' is saved in IndexedDB with its zip; after a reload the
// runs table shows its row again (from storage) and, as the page's link points to it, it opens again as the
// current run with its inspector; its zip downloads from that row, and the storage panel
// lists it with a size and the quota; a reload in the middle of a run brings that run back 'interrupted'
// (no zip); deleting one saved run and then all of them removes their rows; a run that trains long enough to
// be checkpointed, reloaded, comes back with a Resume button, and Resume continues it from the checkpoint's
// step (not from 0) in place of the saved row; an upload is kept and a reload loads it again without asking,
// the link (copy link) carries its fingerprint, and once it is no longer kept a reload asks for the file,
// refuses another one and takes the right one. No console error, page error
// or outside request at any point. Saves docs/screenshots/storage.png.
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
const log = (msg: string): void => console.log(`[e2e persist ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
let setupError: Error | null = null;

describe('runs saved in the browser', () => {
  beforeAll(async () => {
    try {
      app = await startApp({ width: 1280, height: 900 }, log, problems, () => phase);
      page = app.page;
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it('a finished run comes back after a reload, with its zip and its size in the storage panel', async () => {
    if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
    const waitFor = app!.waitFor;
    await page.goto(`${app!.url}#dataset=synthetic:small`);
    await waitFor('synthetic:small loads', `/^synthetic:small/.test(document.querySelector('.train-panel .dataset-id')?.textContent ?? '') && !!document.querySelector('[data-testid=dataset-card] h2')`, 60_000);
    await waitFor('storage is on', `/0 runs kept/.test(document.querySelector('[data-testid=storage-quota]')?.textContent ?? '')`, 30_000);
    phase = 'train';
    for (const [k, v] of [['dSae', 16], ['k', 2], ['batch', 32], ['steps', 60]] as const) await app!.setField(k, v);
    await page.getByTestId('train-start').click();
    await waitFor('the run finishes', `document.querySelector('[data-testid=train-status]')?.textContent?.includes('done')`, 120_000);
    await waitFor('the run is saved with its zip', `[...document.querySelectorAll('[data-testid=storage-row]')].some((r) => r.querySelector('td:nth-child(3)')?.textContent === 'done' && !/—/.test(r.querySelector('td:nth-child(5)')?.textContent ?? '—'))`, 30_000);

    phase = 'reload';
    await page.reload();
    await waitFor('the saved run is back in the runs table', `document.querySelectorAll('[data-testid=runs-row]').length === 1`, 30_000);
    // The page's link pointed to it (saved=<key>): it opens again as the current run, with its inspector.
    expect(page.url()).toMatch(/&saved=[0-9a-z]+-1/);
    await waitFor('it opens again with its inspector', `!!document.querySelector('[data-testid=feature-table]') && document.querySelector('[data-testid=runs-row] td[data-col=run]')?.textContent === '1'`, 60_000);
    const row = page.getByTestId('runs-row');
    expect(await row.locator('td[data-col=status]').innerText()).toBe('done');
    expect(await row.locator('td[data-col=dataset]').innerText()).toMatch(/^synthetic:small/);
    expect(await row.locator('td[data-col=step]').innerText()).toBe('60 / 60');
    const storageRows = page.getByTestId('storage-row');
    await waitFor('the storage panel lists it', `document.querySelectorAll('[data-testid=storage-row]').length === 1`, 30_000);
    const size = await storageRows.getByTestId('storage-size').innerText();
    expect(size, 'a size in kB').toMatch(/^\d+(\.\d)? kB$/);
    expect(await page.getByTestId('storage-quota').innerText()).toMatch(/^1 run kept, [\d.]+ kB · this site uses .* of .* allowed/);
    expect(await page.getByTestId('storage-message').count(), 'no storage message').toBe(0);

    phase = 'download';
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('runs-download').click()]);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    log(`saved zip ${download.suggestedFilename()}, kept ${size}`);
    expect(problems).toEqual([]);
  }, 300_000);

  it('a reload in the middle of a run brings it back interrupted; delete and delete-all remove saved runs', async () => {
    if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
    const waitFor = app!.waitFor;
    phase = 'long run';
    await app!.setField('steps', 10_000_000);
    await page.getByTestId('train-start').click();
    await waitFor('the running run is saved', `[...document.querySelectorAll('[data-testid=storage-row]')].some((r) => r.querySelector('td:nth-child(3)')?.textContent === 'training')`, 60_000);
    // Its record is saved about once a second: let one save after its first steps land.
    await waitFor('it has stepped', `[...document.querySelectorAll('[data-testid=runs-row]')].some((r) => r.querySelector('td[data-col=status]')?.textContent === 'training' && Number((r.querySelector('td[data-col=step]')?.textContent ?? '0').split(' / ')[0]) > 0)`, 60_000);
    await page.waitForTimeout(2500);
    phase = 'reload mid-run';
    await page.reload();
    await waitFor('both saved runs are back', `document.querySelectorAll('[data-testid=runs-row]').length === 2`, 30_000);
    const rows = page.getByTestId('runs-row');
    expect(await rows.locator('td[data-col=status]').allInnerTexts()).toEqual(['done', 'interrupted']);
    expect(Number((await rows.nth(1).locator('td[data-col=step]').innerText()).split(' / ')[0]), 'steps done before the reload').toBeGreaterThan(0);
    expect(await rows.nth(0).getByTestId('runs-download').count(), 'the finished run has a zip').toBe(1);
    expect(await rows.nth(1).getByTestId('runs-download').count(), 'the interrupted run has none').toBe(0);
    await waitFor('the storage panel lists both', `document.querySelectorAll('[data-testid=storage-row]').length === 2`, 30_000);
    await page.getByTestId('storage-panel').scrollIntoViewIfNeeded();
    await page.getByTestId('storage-panel').screenshot({ path: join(SHOTS, 'storage.png') });

    phase = 'delete';
    await page.getByTestId('storage-row').nth(1).getByTestId('storage-delete').click();
    await waitFor('the interrupted run is gone', `document.querySelectorAll('[data-testid=runs-row]').length === 1 && document.querySelectorAll('[data-testid=storage-row]').length === 1`, 30_000);
    await page.getByTestId('storage-delete-all').click();
    await waitFor('every saved run is gone', `document.querySelectorAll('[data-testid=runs-row]').length === 0 && document.querySelectorAll('[data-testid=storage-row]').length === 0`, 30_000);
    expect(await page.getByTestId('storage-quota').innerText()).toMatch(/^0 runs kept/);
    expect(problems).toEqual([]);
  }, 300_000);

  it('a run checkpointed while it trains resumes after a reload from the checkpoint\'s step', async () => {
    if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
    const waitFor = app!.waitFor;
    phase = 'checkpointed run';
    await page.goto(`${app!.url}#dataset=synthetic:small&dSae=16&k=2&batch=32&steps=10000000`);
    await page.reload();
    await waitFor('synthetic:small loads', `/^synthetic:small/.test(document.querySelector('.train-panel .dataset-id')?.textContent ?? '') && !!document.querySelector('[data-testid=dataset-card] h2')`, 60_000);
    await page.getByTestId('train-start').click();
    // The first checkpoint comes one interval (10 s) into training.
    await waitFor('a checkpoint is saved', `[...document.querySelectorAll('[data-testid=storage-checkpoint]')].some((c) => /^step \\d+/.test(c.textContent ?? ''))`, 60_000);
    const cell = await page.getByTestId('storage-checkpoint').filter({ hasText: /^step/ }).first().innerText();
    const at = Number(/^step (\d+)/.exec(cell)![1]);
    expect(at).toBeGreaterThan(0);
    log(`checkpoint ${cell}; ${await page.getByTestId('storage-last-checkpoint').innerText()}`);

    phase = 'reload checkpointed';
    await page.reload();
    await waitFor('the run is back interrupted with Resume', `!!document.querySelector('[data-testid=resume-run]')`, 30_000);
    const row = page.getByTestId('runs-row').filter({ has: page.getByTestId('resume-run') });
    expect(await row.locator('td[data-col=status]').innerText()).toBe('interrupted');
    const ckAt = Number(/resume from (\d+)/.exec(await row.getByTestId('resume-run').innerText())![1]);
    expect(ckAt, 'the latest checkpoint (a later one may have come before the reload)').toBeGreaterThanOrEqual(at);
    // The current run's view: its plots and step as saved (its record's, which may lag the checkpoint's), until something else runs.
    expect(Number(await page.getByTestId('restored-step').innerText())).toBeGreaterThan(0);
    expect(await page.getByTestId('step-count').count()).toBe(0);
    await waitFor('its loss curve is drawn', `!!document.querySelector('[data-testid=loss-plot] .main-svg')`, 30_000);

    phase = 'resume';
    await row.getByTestId('resume-run').click();
    await waitFor('the resumed run reports its step', `Number(document.querySelector('[data-testid=step-count]')?.textContent ?? '0') > 0 && !document.querySelector('[data-testid=restored-view]')`, 60_000);
    const first = Number(await page.getByTestId('step-count').innerText());
    expect(first, 'the resumed run starts at the checkpoint, not at 0').toBeGreaterThanOrEqual(ckAt);
    await waitFor('it trains on', `Number(document.querySelector('[data-testid=step-count]')?.textContent ?? '0') > ${first}`, 60_000);
    await waitFor('the resumed run takes the saved row', `document.querySelectorAll('[data-testid=runs-row]').length === 1 && !document.querySelector('[data-testid=resume-run]')`, 30_000);
    log(`resumed at ${first} from checkpoint ${ckAt}`);
    await page.getByTestId('train-stop').click();
    await waitFor('stopped', `document.querySelector('[data-testid=train-status]')?.textContent?.includes('done')`, 60_000);
    await page.getByTestId('storage-delete-all').click();
    await waitFor('every saved run is gone', `document.querySelectorAll('[data-testid=storage-row]').length === 0`, 30_000);
    expect(problems).toEqual([]);
  }, 300_000);

  it('an upload survives a reload; once forgotten, the link asks for the file and refuses another', async () => {
    if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
    const waitFor = app!.waitFor;
    phase = 'upload kept';
    const csv = (rows: number, shift = 0): Buffer => Buffer.from(Array.from({ length: rows }, (_, i) => [(i + shift) % 7, (i * 3) % 5, 1 - (i % 2), i / rows].join(',')).join('\n'));
    await page.getByTestId('dataset-select').selectOption('upload');
    await page.getByTestId('upload-file').setInputFiles({ name: 'acts.csv', mimeType: 'text/csv', buffer: csv(64) });
    await page.getByTestId('dataset-load').click();
    await waitFor('the upload loads', `(document.querySelector('[data-testid=dataset-name]')?.textContent ?? '').includes('acts.csv')`, 30_000);
    await waitFor('it is kept', `[...document.querySelectorAll('[data-testid=storage-dataset-row]')].some((r) => r.getAttribute('data-id') === 'upload:acts.csv' && !/fingerprint only/.test(r.textContent ?? ''))`, 30_000);
    await waitFor('the link carries its fingerprint', `/dataset=upload%3Aacts\\.csv.*&fp=\\d+\\.[0-9a-f]{64}/.test(location.hash)`, 30_000);
    await page.getByTestId('copy-link').click();
    await waitFor('copied, or shown to copy', `document.querySelector('[data-testid=copy-link]')?.textContent === 'link copied' || !!document.querySelector('[data-testid=copy-link-text]')`, 10_000);

    phase = 'reload upload';
    await page.reload();
    await waitFor('the kept upload loads again without asking', `(document.querySelector('[data-testid=dataset-name]')?.textContent ?? '').includes('acts.csv') && !document.querySelector('[data-testid=ask-data]')`, 30_000);

    phase = 'forgotten upload';
    await page.getByTestId('storage-dataset-delete').click();
    await waitFor('forgotten', `document.querySelectorAll('[data-testid=storage-dataset-row]').length === 0`, 30_000);
    await page.reload();
    await waitFor('the file is asked for', `!!document.querySelector('[data-testid=ask-file]')`, 30_000);
    expect(await page.getByTestId('ask-data').innerText()).toMatch(/This link's dataset was acts\.csv \([\d.]+ (B|kB), SHA-256 [0-9a-f]{12}…\)/);
    await page.getByTestId('ask-file').setInputFiles({ name: 'other.csv', mimeType: 'text/csv', buffer: csv(64) });
    await waitFor('another name is refused', `/^this is other\\.csv/.test(document.querySelector('[data-testid=ask-data-message]')?.textContent ?? '')`, 30_000);
    await page.getByTestId('ask-file').setInputFiles({ name: 'acts.csv', mimeType: 'text/csv', buffer: csv(64, 1) });
    await waitFor('other contents are refused', `/contents differ/.test(document.querySelector('[data-testid=ask-data-message]')?.textContent ?? '')`, 30_000);
    await page.getByTestId('ask-data').screenshot({ path: join(SHOTS, 'ask-for-file.png') });
    await page.getByTestId('ask-file').setInputFiles({ name: 'acts.csv', mimeType: 'text/csv', buffer: csv(64) });
    await waitFor('the right file loads', `(document.querySelector('[data-testid=dataset-name]')?.textContent ?? '').includes('acts.csv') && !document.querySelector('[data-testid=ask-data]')`, 30_000);
    expect(problems).toEqual([]);
  }, 300_000);
});
