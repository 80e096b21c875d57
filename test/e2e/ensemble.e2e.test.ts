// Ensembles in the app end to end, as a new user meets them: Vite's dev server on 127.0.0.1 (a free
// port), Debian's headless chromium (WebGPU on SwiftShader) driven by playwright-core, tiny shapes typed
// into the experiment form (the serving and browser setup of harness.ts). In order: a link
// opens the page on synthetic:small; bagging J=2 trains to the end; "Evaluate ensemble" draws the
// metric-vs-J curves (J′ = 1, 2) and the Prop. 3.1 check; "Compare members" draws the cosine heatmap, the
// matched pairs, the stability step lines, the unique-feature table (sorted by a click, one Tab stop) and the
// decoder map with its PCA caveat; a matched pair's latent of member 1 opens in the feature inspector, which
// switches to member 1, and its "← back" button returns to the pairs; a member-0 point of the map
// switches it back; boosting J=2 trains to the end
// (two stages), evaluates, and both methods stand side by side in the curves and the comparison table;
// the ensemble downloads as a zip and loads back as a run with origin 'loaded'; the downstream tasks on
// that (unlabelled) run say why they cannot run and offer builtin:digits-marked, which loads with a click;
// a tiny bagging run trains on it and the downstream tasks fill their plots and table; and no
// console error, page error or request outside the dev server happened at any point. Saves screenshots
// docs/screenshots/ensemble-*.png on every run.
// Needs /usr/bin/chromium (or CHROMIUM=path); never `npx playwright install`. Without it every test fails
// with that message (a setup failure is not allowed to become a skip).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOTS, startApp, type AppSession } from './harness.ts';

/** Tiny shapes: each run trains in seconds on the CPU reference (what 'auto' picks on a software adapter). */
const SHAPE = { latents: 16, k: 2, steps: 150, batch: 32 };
const MARKED = 'builtin:digits-marked';
const MARKED_SHAPE = { latents: 32, k: 4, steps: 80, batch: 64 };

let app: AppSession | undefined;
let page: Page;
let url = '';
/** Every console error and page error, with the phase it happened in. */
const problems: string[] = [];
let phase = 'load';
const tmp = mkdtempSync(join(tmpdir(), 'sae-ens-e2e-'));
const t0 = Date.now();
const log = (msg: string): void => console.log(`[ens-e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

let setupError: Error | null = null;
function ready(): void {
  if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
}

const waitFor = (what: string, fn: string, timeout: number): Promise<void> => (app ? app.waitFor(what, fn, timeout) : Promise.reject(new Error('e2e: the app is not started')));
/** The traces of a plotly chart (by data-testid), read from plotly's own data on the graph div: points per trace and names. */
const traces = (testId: string): Promise<{ points: number[]; names: string[]; type: string[] }> =>
  page.evaluate((id) => {
    const el = document.querySelector(`[data-testid=${id}]`);
    const gd = (el?.matches('.js-plotly-plot') ? el : el?.querySelector('.js-plotly-plot')) as (Element & { data?: { x?: ArrayLike<unknown>; z?: ArrayLike<unknown>; name?: string; type?: string }[] }) | null | undefined;
    const data = gd?.data ?? [];
    return { points: data.map((t) => (t.x ?? t.z)?.length ?? 0), names: data.map((t) => t.name ?? ''), type: data.map((t) => t.type ?? '') };
  }, testId);
const setField = (key: string, value: number): Promise<void> => (app ? app.setField(key, value) : Promise.reject(new Error('e2e: the app is not started')));
const setShape = async (s: { latents: number; k: number; steps: number; batch: number }): Promise<void> => {
  await setField('dSae', s.latents);
  await setField('k', s.k);
  await setField('steps', s.steps);
  await setField('batch', s.batch);
};
/** Picks the method and J in the form. */
const setMethod = async (method: string, J: number): Promise<void> => {
  await page.getByTestId('cfg-method').selectOption(method);
  await setField('members', J);
};
/** Clicks Train and waits until the new run is done with `steps` steps. */
async function trainToEnd(label: string, steps: number, timeout = 120_000): Promise<number> {
  const before = Number((await page.getByTestId('ensemble-run').innerText().catch(() => '')).match(/Run (\d+)/)?.[1] ?? 0);
  await page.getByTestId('train-start').click();
  await waitFor(
    `${label}: a new run trains ${steps} steps to the end`,
    `Number((document.querySelector('[data-testid=ensemble-run]')?.textContent ?? '').match(/Run (\\d+)/)?.[1] ?? 0) > ${before} && document.querySelector('[data-testid=train-status]')?.textContent === 'done' && Number(document.querySelector('[data-testid=step-count]')?.textContent) === ${steps}`,
    timeout,
  );
  const run = Number((await page.getByTestId('ensemble-run').innerText()).match(/Run (\d+)/)?.[1]);
  log(`${label}: run ${run} done at step ${steps}`);
  return run;
}

describe('ensembles in the app, in headless chromium', () => {
  beforeAll(async () => {
    try {
      await setUp();
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  }, 120_000);

  async function setUp(): Promise<void> {
    app = await startApp({ width: 1280, height: 900 }, log, problems, () => phase);
    page = app.page;
    url = app.url;
  }

  afterAll(async () => {
    await app?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('trains bagging J=2 on synthetic:small and evaluates it: the metric-vs-J curves', async () => {
    ready();
    // A shared link names the dataset (the URL hash); the rest is typed into the form.
    await page.goto(`${url}#dataset=synthetic:small`);
    await waitFor('synthetic:small loads', `/^synthetic:small/.test(document.querySelector('.train-panel .dataset-id')?.textContent ?? '') && !!document.querySelector('[data-testid=dataset-card] h2')`, 60_000);
    phase = 'bagging';
    await setShape(SHAPE);
    await setMethod('bagging', 2);
    const explain = await page.getByTestId('ensemble-explain').innerText();
    expect(explain, 'the explanation line of bagging J=2').toContain(`2 SAEs of ${SHAPE.latents} latents`);
    expect(decodeURIComponent(await page.evaluate(() => location.hash)), 'the URL hash').toMatch(/method=bagging&J=2/);
    await page.locator('.train-panel').screenshot({ path: join(SHOTS, 'ensemble-train.png') });
    await trainToEnd('bagging J=2', SHAPE.steps);
    expect(await page.getByTestId('ensemble-run').innerText()).toContain('bagging J=2');

    phase = 'evaluate bagging';
    await page.getByTestId('ensemble-evaluate').click();
    await waitFor('the metric-vs-J curves are drawn', `!!document.querySelector('[data-testid=curve-msePerToken] .main-svg') || !!document.querySelector('[data-testid=curve-msePerToken].js-plotly-plot')`, 60_000);
    const mse = await traces('curve-msePerToken');
    expect(mse.points, 'points per curve of the MSE plot (J′ = 1, 2)').toEqual([2]);
    expect(mse.names[0], 'the curve label').toMatch(/^bagging J=2 · run \d+$/);
    for (const id of ['curve-explainedVariance', 'curve-explainedVariancePerDim', 'curve-l0', 'curve-diversity', 'curve-connectivity', 'curve-mcc']) {
      expect((await traces(id)).points, `${id}'s points`).toEqual([2]);
    }
    const prop = await page.getByTestId('prop31').innerText();
    expect(prop, 'the Prop. 3.1 check line').toMatch(/max gap \d\.\de[-+]\d+ ✓/);
    expect(await page.locator('[data-testid=curve-msePerToken]').locator('xpath=..').getAttribute('title'), 'the MSE formula tooltip').toContain('(1/T) Σ_t ‖x_t − x̂_t‖²');
    log(`curves: ${mse.names.join(', ')}; ${prop}`);
  }, 180_000);

  it('compares the members: heatmap, matched pairs, stability, unique features, the decoder map', async () => {
    ready();
    phase = 'views';
    await page.getByTestId('ensemble-views').click();
    await waitFor('the member views are drawn', `document.querySelectorAll('[data-testid=matched-pairs] tbody tr').length > 0 && !!document.querySelector('[data-testid=decoder-map] .main-svg')`, 60_000);
    const heat = await traces('cosine-heatmap');
    expect(heat.type, 'the heatmap trace').toEqual(['heatmap']);
    expect(heat.points, 'heatmap rows').toEqual([SHAPE.latents]);
    expect(await page.locator('[data-testid=matched-pairs] tbody tr').count(), 'matched pairs').toBe(SHAPE.latents);
    const map = await traces('decoder-map');
    expect(map.points, 'decoder map points per member').toEqual([SHAPE.latents, SHAPE.latents]);
    expect(map.names).toEqual(['member 0', 'member 1']);
    const steps = await traces('stability-hist');
    expect(steps.type, 'stability: one step line per member, no overlaid bars').toEqual(['scatter', 'scatter']);
    expect(steps.names).toEqual(['member 0', 'member 1']);
    expect(await page.locator('[data-testid=stability-table] tbody tr').count(), 'stability rows of member 0').toBe(SHAPE.latents);
    expect(await page.locator('[data-testid=stability-table] tbody button.latent-link[data-member="1"]').count(), "every member-0 latent's best match in member 1").toBe(SHAPE.latents);
    await expect.poll(() => page.getByTestId('unique-features').innerText()).toMatch(/member 0: \d+ unique/);
    expect(await page.getByTestId('pca-caveat').innerText(), 'the PCA caveat').toMatch(/The 2 axes explain [\d.]+% of the variance: distances are approximate/);
    expect(await page.getByTestId('stability-summary').innerText()).toMatch(/member 0: mean -?[\d.]+, \d+ of 16 latents ≥ 0\.9/);
    // Unique features: τ = 1 makes every latent unique; the table sorts by latent on a click and is one Tab stop.
    await page.getByTestId('unique-tau').fill('1');
    await page.getByTestId('unique-features').getByRole('button', { name: 'Apply' }).click();
    await waitFor('the views come back with τ = 1', `(document.querySelector('[data-testid=unique-features] h4')?.textContent ?? '').includes('τ = 1)') && document.querySelectorAll('[data-testid=unique-table] tbody tr').length > 1`, 60_000);
    const order = () => page.locator('[data-testid=unique-table] tbody tr').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-latent'))));
    await page.getByTestId('unique-sort-latent').click();
    const desc = await order();
    expect(desc, 'sorted by latent, descending').toEqual([...desc].sort((a, b) => b - a));
    await page.getByTestId('unique-sort-latent').click();
    const asc = await order();
    expect(asc, 'sorted by latent, ascending').toEqual([...asc].sort((a, b) => a - b));
    expect(asc.length, 'unique rows with τ = 1: every latent of both members').toBe(2 * SHAPE.latents);
    expect(await page.locator('[data-testid=unique-table] tbody tr[tabindex="0"]').count(), 'one Tab stop').toBe(1);
    log(`unique latents at τ = 1: ${asc.length}`);
    await page.getByTestId('ensemble-views-panel').screenshot({ path: join(SHOTS, 'ensemble-views.png') });
  }, 90_000);

  it("opens a matched pair's member-1 latent in the inspector, which switches to member 1", async () => {
    ready();
    phase = 'inspect member';
    await waitFor('the feature table of member 0 is there', `document.querySelectorAll('[data-testid=feature-table] tbody tr').length > 0 && !/reading/.test(document.querySelector('.feature-panel')?.textContent ?? '')`, 60_000);
    expect(await page.getByTestId('inspect-member').inputValue(), 'the inspector starts on member 0').toBe('0');
    const link = page.locator('[data-testid=matched-pairs] tbody tr').first().locator('button.latent-link[data-member="1"]');
    const latent = await link.getAttribute('data-latent');
    await link.click();
    await waitFor(`member 1's latent ${latent} shows in the inspector`, `(document.querySelector('[data-testid=inspector-member]')?.textContent ?? '').includes('member 1') && (document.querySelector('[data-testid=feature-inspector] h3')?.textContent ?? '').includes('latent ${latent}') && !/reading/.test(document.querySelector('[data-testid=feature-inspector]')?.textContent ?? '')`, 60_000);
    expect(await page.getByTestId('inspect-member').inputValue(), 'the member picker').toBe('1');
    expect(await page.locator('[data-testid=feature-table] tbody tr[aria-selected=true]').count(), 'the selected row').toBe(1);
    log(`inspector: member 1, latent ${latent}`);
    await page.locator('.feature-panel').screenshot({ path: join(SHOTS, 'ensemble-inspector.png') });
    // The way back: a button in the inspector returns the page to the matched pairs.
    const back = page.getByTestId('latent-back');
    expect(await back.innerText()).toBe('← back to the matched pairs');
    await back.click();
    await waitFor('the matched pairs are in view again', `(() => { const r = document.querySelector('[data-testid=matched-pairs]')?.getBoundingClientRect(); return !!r && r.bottom > 0 && r.top < window.innerHeight; })()`, 10_000);
    expect(await page.getByTestId('latent-back').count(), 'the button goes once used').toBe(0);
    // A point of member 0 on the decoder map: a click opens it, and the inspector switches back to member 0.
    phase = 'map click';
    const point = page.locator('[data-testid=decoder-map] .scatterlayer .trace').first().locator('path.point').first();
    await point.scrollIntoViewIfNeeded();
    const box = await point.boundingBox();
    if (!box) throw new Error('the decoder map has no visible point of member 0');
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await waitFor('a map point of member 0 opens in the inspector', `(document.querySelector('[data-testid=inspector-member]')?.textContent ?? '').includes('member 0') && !/reading/.test(document.querySelector('[data-testid=feature-inspector]')?.textContent ?? '')`, 60_000);
    expect(await page.getByTestId('inspect-member').inputValue(), 'the member picker after the map click').toBe('0');
  }, 90_000);

  it('trains boosting J=2 and shows both methods side by side', async () => {
    ready();
    phase = 'boosting';
    await setMethod('boosting', 2);
    expect(await page.getByTestId('ensemble-explain').innerText()).toContain(`2 stages of ${SHAPE.latents} latents`);
    await trainToEnd('boosting J=2', 2 * SHAPE.steps);
    expect(await page.getByTestId('stage').innerText(), 'the progress line names the stages').toContain('stage 2 of 2');
    await page.getByTestId('ensemble-evaluate').click();
    await waitFor('the boosting run joins the comparison', `document.querySelectorAll('[data-testid=ensemble-compare] tbody tr').length === 2`, 60_000);
    const methods = await page.locator('[data-testid=ensemble-compare] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-method')));
    expect(methods, 'the comparison table').toEqual(['bagging', 'boosting']);
    const mse = await traces('curve-msePerToken');
    expect(mse.points, 'two curves, J′ = 1, 2 each').toEqual([2, 2]);
    expect(mse.names.map((n) => n.split(' · ')[0])).toEqual(['bagging J=2', 'boosting J=2']);
    await page.getByTestId('ensemble-curves').screenshot({ path: join(SHOTS, 'ensemble-curves.png') });
  }, 180_000);

  it('downloads the ensemble as a zip and loads it back as a run', async () => {
    ready();
    phase = 'export';
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-ensemble').click()]);
    const zipPath = join(tmp, download.suggestedFilename() || 'ensemble.zip');
    await download.saveAs(zipPath);
    expect(download.suggestedFilename(), 'the zip name').toMatch(/^ensemble-boosting-J2-.*\.zip$/);
    phase = 'load';
    await page.getByTestId('load-ensemble').setInputFiles(zipPath);
    await waitFor('the ensemble loads back as a run', `/origin loaded/.test(document.querySelector('[data-testid=ensemble-load-info]')?.textContent ?? '') && /loaded from/.test(document.querySelector('[data-testid=ensemble-run]')?.textContent ?? '')`, 60_000);
    const line = await page.getByTestId('ensemble-run').innerText();
    expect(line, 'the loaded run').toMatch(/boosting J=2 · 2 SAEs of 16 latents/);
    await page.getByTestId('ensemble-evaluate').click();
    await waitFor('the loaded run evaluates', `document.querySelectorAll('[data-testid=ensemble-compare] tbody tr').length === 3`, 60_000);
    log(`loaded: ${line}`);
  }, 120_000);

  it('says why the downstream tasks cannot run on unlabelled data, and offers the marked datasets', async () => {
    ready();
    phase = 'downstream without labels';
    await page.getByTestId('ensemble-downstream').click();
    await waitFor('the reason shows', `!!document.querySelector('[data-testid=downstream-why]') || !!document.querySelector('[data-testid=ensemble-error-downstream]')`, 60_000);
    expect(await page.locator('[data-testid=ensemble-error-downstream]').allInnerTexts(), 'the downstream error').toEqual([]);
    const why = await page.getByTestId('downstream-why').innerText();
    expect(why, 'the explanation').toMatch(/concept detection needs class labels/);
    expect(await page.locator('[data-testid=downstream-compare] tbody tr').first().innerText(), 'its row in the comparison').toContain('no marker');
    log(`why: ${why.replace(/\s+/g, ' ').slice(0, 200)}`);
    // The suggested dataset loads with one click.
    await page.getByTestId(`load-${MARKED.replace(/^builtin:/, '')}`).click();
    await waitFor(`${MARKED} loads`, `(document.querySelector('.train-panel .dataset-id')?.textContent ?? '') === ${JSON.stringify(MARKED)}`, 90_000);
    expect(await page.getByTestId('dataset-select').inputValue(), 'the dataset picker').toBe(MARKED);
  }, 150_000);

  it(`trains a tiny run on ${MARKED} and runs the downstream tasks`, async () => {
    ready();
    phase = 'downstream';
    await setShape(MARKED_SHAPE);
    await setMethod('bagging', 2);
    const run = await trainToEnd(`bagging J=2 on ${MARKED}`, MARKED_SHAPE.steps);
    await page.getByTestId('ensemble-downstream').click();
    // Done when the run's row is in the table, or failed when the panel shows the task's error (then say it at once).
    await waitFor('the downstream tasks finish', `(!!document.querySelector('[data-testid=downstream-compare] tbody tr[data-run="${run}"]') && !!document.querySelector('[data-testid=downstream-probing] .main-svg')) || !!document.querySelector('[data-testid=ensemble-error-downstream]')`, 120_000);
    expect(await page.locator('[data-testid=ensemble-error-downstream]').allInnerTexts(), 'the downstream error').toEqual([]);
    expect(await page.locator('[data-testid=downstream-why]').count(), `${MARKED} has labels and a marker: nothing to explain`).toBe(0);
    expect(await page.locator('[data-testid=downstream-compare] tbody tr').count(), 'both runs side by side').toBe(2);
    const row = await page.locator(`[data-testid=downstream-compare] tbody tr[data-run="${run}"]`).innerText();
    expect(row, 'the downstream row').toContain('bagging J=2');
    expect(row).toContain(MARKED);
    expect((await traces('downstream-probing')).points, 'probe accuracy bars: SAE and input baseline at kp = 1, 2, 5').toEqual([3, 3]);
    expect((await traces('downstream-scr')).points[0], 'S_SHIFT per N').toBeGreaterThan(0);
    log(`downstream: ${row.replace(/\s+/g, ' ')}`);
    await page.getByTestId('downstream').screenshot({ path: join(SHOTS, 'ensemble-downstream.png') });
    await page.locator('.ensemble-panel').screenshot({ path: join(SHOTS, 'ensemble-panel.png') });
  }, 240_000);

  it('had no console errors or page errors at any point', () => {
    ready();
    expect(problems, 'console errors, page errors or outside requests during the run').toEqual([]);
  });
});
