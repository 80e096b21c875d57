// The app end to end, as a user meets it: Vite's dev server on 127.0.0.1 (a free port), Debian's
// headless chromium (WebGPU on SwiftShader) driven by playwright-core, tiny shapes typed into the
// experiment form. Checks, in order: the page loads without console errors and loads the default
// dataset; a run trains on it (the step count advances, the loss plot gets points); pause holds the
// step count; the feature table fills in and a latent shows its top inputs; resume and stop; a short run
// trains to the end; its SAELens export downloads as a zip that the CLI's `eval` accepts
// (test/e2e/exportZip.ts); a run with another k trains to the end and the runs table and the Pareto plot
// show both settings (sorting and restoring a run into the form too); and no console error, page error or request outside the dev server happened
// at any point. Saves screenshots of the main views to docs/screenshots/ on every run.
// Needs /usr/bin/chromium (or CHROMIUM=path): `sudo apt-get install chromium`; never `npx playwright install`.
// Without it every test fails with that message (a setup failure is not allowed to become a skip).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOTS, startApp, type AppSession } from './harness.ts';
import { evalExportZip } from './exportZip.ts';

const DEFAULT_DATASET = 'builtin:stories-resid-3';
/**
 * Tiny shapes. Far more steps than the test waits for, so that Pause always lands mid-run however fast
 * the machine; the run ends with Stop (status 'done', its SAE exportable). The wasm engine (issue #15) trains
 * this shape at thousands of steps a second: 100,000 steps ended the run before Stop.
 */
const SHAPE = { latents: 64, k: 4, steps: 10_000_000, batch: 32 };
/** A run that finishes: its end state is the training screenshot, and what the export downloads. */
const SHORT_STEPS = 300;

let app: AppSession | undefined;
let page: Page;
let url = '';
/** Every console error and page error, with the phase it happened in. */
const problems: string[] = [];
let phase = 'load';
const tmp = mkdtempSync(join(tmpdir(), 'sae-e2e-'));
const t0 = Date.now();
const log = (msg: string): void => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

let setupError: Error | null = null;
/** Throws the setup's failure (no chromium, no server) as this test's failure. */
function ready(): void {
  if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
}

const stepCount = async (): Promise<number> => Number(await page.getByTestId('step-count').innerText());
const status = (): Promise<string> => page.getByTestId('train-status').innerText();
const waitFor = (what: string, fn: string, timeout: number): Promise<void> => (app ? app.waitFor(what, fn, timeout) : Promise.reject(new Error('e2e: the app is not started')));
/** The number of points in the loss plot's first trace, read from plotly's own data on the graph div. */
const lossPoints = (): Promise<number> =>
  page.evaluate(() => {
    const el = document.querySelector('[data-testid=loss-plot]');
    const gd = (el?.matches('.js-plotly-plot') ? el : el?.querySelector('.js-plotly-plot')) as (Element & { data?: { x?: ArrayLike<number> }[] }) | null | undefined;
    return gd?.data?.[0]?.x?.length ?? 0;
  });
const setField = (key: string, value: number): Promise<void> => (app ? app.setField(key, value) : Promise.reject(new Error('e2e: the app is not started')));

describe('the app in headless chromium', () => {
  // A failed setup fails every test with its reason (a throwing beforeAll would only mark them skipped).
  beforeAll(async () => {
    try {
      await setUp();
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  }, 120_000);

  async function setUp(): Promise<void> {
    app = await startApp({ width: 1280, height: 800 }, log, problems, () => phase);
    page = app.page;
    url = app.url;
  }

  afterAll(async () => {
    await app?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('loads without console errors and loads the default dataset', async () => {
    ready();
    await page.goto(url);
    await waitFor(`the default dataset ${DEFAULT_DATASET} loads`, `document.querySelector('[data-testid=dataset-name]')?.textContent === ${JSON.stringify(DEFAULT_DATASET)}`, 90_000);
    await waitFor('the engine starts (backend note names it)', `/Engine:/.test(document.querySelector('[data-testid=backend-note]')?.textContent ?? '')`, 30_000);
    log(`loaded: ${await page.getByTestId('backend-note').innerText()}`);
    await expect.poll(() => page.getByTestId('dataset-card').count(), { message: 'the dataset card is shown' }).toBe(1);
    await page.getByTestId('dataset-card').screenshot({ path: join(SHOTS, 'dataset-card.png') });
    expect(problems, 'console errors while the page loaded').toEqual([]);
  }, 120_000);

  it('trains from the default data: the step count advances and the loss plot gets points', async () => {
    ready();
    phase = 'train';
    await setField('dSae', SHAPE.latents);
    await setField('k', SHAPE.k);
    await setField('steps', SHAPE.steps);
    await setField('batch', SHAPE.batch);
    await page.getByTestId('train-start').click();
    await waitFor('the step count advances past 0 after Train', `Number(document.querySelector('[data-testid=step-count]')?.textContent) > 0`, 60_000);
    const first = await stepCount();
    await waitFor(`the step count advances past ${first}`, `Number(document.querySelector('[data-testid=step-count]')?.textContent) > ${first}`, 30_000);
    await expect.poll(lossPoints, { message: 'the loss plot has points', timeout: 30_000 }).toBeGreaterThan(1);
    log(`training: step ${first} → ${await stepCount()}, ${await lossPoints()} loss points`);
  }, 120_000);

  it('pause holds the step count', async () => {
    ready();
    phase = 'pause';
    const s = await status();
    expect(s, `still training when Pause is pressed (status ${s}); raise SHAPE.steps if the run finishes too fast`).toBe('training');
    await page.getByTestId('train-pause').click();
    await waitFor('the status reads "paused" after Pause', `document.querySelector('[data-testid=train-status]')?.textContent === 'paused'`, 30_000);
    await page.waitForTimeout(600); // the plots' last redraw after the pause (PLOT_INTERVAL_MS, Plots.tsx)
    const held = await stepCount();
    const points = await lossPoints();
    await page.waitForTimeout(1500);
    expect(await stepCount(), 'the step count 1.5 s after pausing').toBe(held);
    expect(await lossPoints(), 'the loss plot points 1.5 s after pausing').toBe(points);
    log(`paused at step ${held} of ${SHAPE.steps}`);
  }, 60_000);

  it('inspects a latent: the table fills in and a row shows its top inputs', async () => {
    ready();
    phase = 'inspect';
    const rows = page.locator('[data-testid=feature-table] tbody tr');
    await waitFor('the feature table fills in after pausing', `document.querySelectorAll('[data-testid=feature-table] tbody tr').length > 0`, 60_000);
    const n = await rows.count();
    // The first row that fired (dead latents have no top inputs).
    const live = page.locator('[data-testid=feature-table] tbody tr:not(.dead)').first();
    const row = (await live.count()) > 0 ? live : rows.first();
    const latent = (await row.locator('td').first().innerText()).trim();
    await row.click();
    await waitFor(`latent ${latent}'s top inputs show in the inspector`, `document.querySelectorAll('[data-testid=feature-inspector] [data-testid=top-inputs] li').length > 0`, 60_000);
    const tops = await page.locator('[data-testid=feature-inspector] [data-testid=top-inputs] li').count();
    expect(tops, `top inputs of latent ${latent}`).toBeGreaterThan(0);
    expect(await page.getByTestId('feature-inspector').innerText(), 'the inspector names the selected latent').toContain(latent);
    log(`feature table: ${n} rows; latent ${latent}: ${tops} top inputs`);
    await page.locator('.feature-panel').screenshot({ path: join(SHOTS, 'inspector.png') });
  }, 90_000);

  it('resumes and stops', async () => {
    ready();
    phase = 'resume';
    const held = await stepCount();
    await page.getByTestId('train-pause').click(); // resume
    await waitFor(`the step count advances past ${held} after Resume`, `Number(document.querySelector('[data-testid=step-count]')?.textContent) > ${held}`, 30_000);
    phase = 'stop';
    await page.getByTestId('train-stop').click();
    await waitFor('the status reads "done" after Stop', `document.querySelector('[data-testid=train-status]')?.textContent === 'done'`, 30_000);
    const last = await stepCount();
    expect(last, 'the step count after Stop').toBeGreaterThan(held);
    log(`resumed at ${held}, stopped at step ${last}`);
  }, 60_000);

  it('trains a short run to the end (the screenshot of the training view)', async () => {
    ready();
    phase = 'short run';
    await setField('steps', SHORT_STEPS);
    await page.getByTestId('train-start').click();
    await waitFor(`a ${SHORT_STEPS}-step run finishes`, `document.querySelector('[data-testid=train-status]')?.textContent === 'done' && Number(document.querySelector('[data-testid=step-count]')?.textContent) === ${SHORT_STEPS}`, 120_000);
    await expect.poll(lossPoints, { message: 'the loss plot has a point per step of the new run', timeout: 10_000 }).toBe(SHORT_STEPS);
    await waitFor('the feature table refreshes at the end of the run', `!/reading/.test(document.querySelector('.feature-panel')?.textContent ?? '') && document.querySelectorAll('[data-testid=feature-table] tbody tr').length > 0`, 60_000);
    log(`short run done: ${SHORT_STEPS} steps`);
    await page.screenshot({ path: join(SHOTS, 'training.png'), fullPage: true });
  }, 150_000);

  it('exports a SAELens zip that the CLI eval accepts', async () => {
    ready();
    phase = 'export';
    const button = page.getByTestId('export-saelens');
    if ((await button.count()) === 0) {
      throw new Error('export: the page has no [data-testid=export-saelens] button (issue 5 item 7: download a trained SAE as a SAELens folder zip); add it to the UI');
    }
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), button.click()]);
    const zipPath = join(tmp, download.suggestedFilename() || 'sae.zip');
    await download.saveAs(zipPath);
    const check = await evalExportZip(zipPath, tmp);
    const sae = check.result.sae as { dSae?: number; k?: number } | undefined;
    expect({ dSae: sae?.dSae, k: sae?.k }, 'the exported SAE is the run trained with the form\'s shape').toEqual({ dSae: SHAPE.latents, k: SHAPE.k });
    log(`export ${download.suggestedFilename()}: ${check.members.join(', ')}; eval: ${JSON.stringify(check.result).slice(0, 400)}`);
  }, 180_000);

  it('compares runs: another setting trains to the end, the runs table and the Pareto plot show both', async () => {
    ready();
    phase = 'runs';
    const OTHER_K = SHAPE.k * 2;
    await setField('k', OTHER_K);
    await setField('steps', SHORT_STEPS);
    await page.getByTestId('train-start').click();
    // The previous run also ended 'done' at SHORT_STEPS: wait for the new run's own row in the runs table.
    const newRunDone = `[...document.querySelectorAll('[data-testid=runs-table] tbody tr')].some((tr) => tr.querySelector('td[data-col=sparsity]')?.textContent === 'k=${OTHER_K}' && tr.querySelector('td[data-col=status]')?.textContent === 'done' && tr.querySelector('td[data-col=step]')?.textContent === '${SHORT_STEPS} / ${SHORT_STEPS}')`;
    await waitFor(`a ${SHORT_STEPS}-step run with k=${OTHER_K} finishes (its runs-table row reads done)`, `${newRunDone} && document.querySelector('[data-testid=train-status]')?.textContent === 'done'`, 120_000);
    const cell = (col: string) => page.locator(`[data-testid=runs-table] tbody tr td[data-col=${col}]`).allInnerTexts();
    await expect.poll(async () => (await cell('status')).filter((t) => t === 'done').length, { message: 'runs table rows that are done', timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const settings = await cell('sparsity');
    expect(new Set(settings).size, `the runs table's k / λ column (${settings.join(' | ')})`).toBeGreaterThanOrEqual(2);
    expect(settings, 'the runs table has the new run').toContain(`k=${OTHER_K}`);
    const paretoPoints = (): Promise<{ points: number; labels: string[]; front: number }> =>
      page.evaluate(() => {
        const el = document.querySelector('[data-testid=pareto-plot]');
        const gd = (el?.matches('.js-plotly-plot') ? el : el?.querySelector('.js-plotly-plot')) as (Element & { data?: { x?: ArrayLike<number>; text?: string[] }[] }) | null | undefined;
        return { points: gd?.data?.[0]?.x?.length ?? 0, labels: gd?.data?.[0]?.text ?? [], front: gd?.data?.[1]?.x?.length ?? 0 };
      });
    await expect.poll(async () => (await paretoPoints()).points, { message: 'points on the Pareto plot', timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const pareto = await paretoPoints();
    expect(pareto.front, 'the Pareto front has a point').toBeGreaterThanOrEqual(1);
    expect(pareto.labels.some((l) => l.includes(`k=${OTHER_K}`)) && pareto.labels.some((l) => l.includes(`k=${SHAPE.k}`)), `Pareto labels (${pareto.labels.join(' | ')})`).toBe(true);
    // Sorting by a header reorders the rows; restoring the first run puts its k back into the form.
    await page.getByTestId('runs-sort-run').click(); // now descending
    expect(Number((await cell('run'))[0]), 'the first row after sorting runs descending').toBe(Math.max(...(await cell('run')).map(Number)));
    await page.locator('[data-testid=runs-table] tbody tr').last().getByTestId('runs-restore').click();
    await expect.poll(() => page.locator('[data-testid=cfg-k] input').inputValue(), { message: "the form's k after restoring the first run" }).toBe(String(SHAPE.k));
    expect(decodeURIComponent(await page.evaluate(() => location.hash)), 'the URL hash after restoring').toContain(`k=${SHAPE.k}`);
    log(`runs: ${settings.length} rows (${settings.join(', ')}); Pareto: ${pareto.points} points, front ${pareto.front}`);
    await page.locator('.runs-panel').screenshot({ path: join(SHOTS, 'runs.png') });
  }, 150_000);

  it('trains with PAM-SGD picked in the trainer select: its explanation shows, the run finishes, the runs table names it', async () => {
    ready();
    phase = 'pam-sgd';
    const PAM_STEPS = 60;
    await page.getByTestId('trainer-select').selectOption('pam-sgd');
    await expect.poll(() => page.getByTestId('pam-help').isVisible(), { message: 'the PAM-SGD explanation next to the picker' }).toBe(true);
    expect(await page.getByTestId('pam-help').innerText()).toMatch(/decoder.*closed|least-squares solve/);
    await page.locator('.train-panel').screenshot({ path: join(SHOTS, 'trainer-pam.png') });
    await setField('steps', PAM_STEPS);
    await page.getByTestId('train-start').click();
    const pamDone = `[...document.querySelectorAll('[data-testid=runs-table] tbody tr')].some((tr) => /pam-sgd/.test(tr.querySelector('td[data-col=arch]')?.textContent ?? '') && tr.querySelector('td[data-col=status]')?.textContent === 'done')`;
    await waitFor(`a ${PAM_STEPS}-step pam-sgd run finishes`, `${pamDone} && document.querySelector('[data-testid=train-status]')?.textContent === 'done'`, 120_000);
    expect(decodeURIComponent(await page.evaluate(() => location.hash)), 'the URL hash keeps the trainer').toContain('trainer=pam-sgd');
    await page.getByTestId('trainer-select').selectOption('sgd');
    log('pam-sgd run done');
  }, 150_000);

  it('had no console errors or page errors at any point', () => {
    ready();
    expect(problems, 'console errors, page errors or outside requests during the run').toEqual([]);
  });
});
