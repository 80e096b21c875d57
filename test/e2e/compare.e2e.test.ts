// The SGD vs PAM-SGD A/B in the app end to end, as a new user meets it (the serving and browser setup of
// harness.ts): a link opens the page on synthetic:small, tiny shapes are typed into the experiment form;
// one side-by-side comparison (equal epochs) draws the held-out test-MSE curves, one line per trainer and
// PAM-SGD's decoder solves as markers, and its two runs join the runs table; then a ReLU training-fraction
// sweep at equal optimiser steps runs as one action with progress and draws the final test MSE and the
// % non-zero codes against the fraction (log x), its twelve runs join the runs table and the Pareto plot;
// and no console error, page error or request outside the dev server happened. Screenshots of the panel:
// docs/screenshots/compare.png (desktop) and compare-phone.png (390×844).
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
const log = (msg: string): void => console.log(`[compare-e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
let setupError: Error | null = null;
function ready(): void {
  if (setupError) throw new Error(`e2e setup failed: ${setupError.message}`);
}
const waitFor = (what: string, fn: string, timeout: number): Promise<void> => (app ? app.waitFor(what, fn, timeout) : Promise.reject(new Error('e2e: the app is not started')));

/** A plotly chart's traces (by data-testid), from plotly's own data on the graph div. */
const traces = (testId: string) =>
  page.evaluate((id) => {
    const gd = document.querySelector(`[data-testid=${id}]`) as (Element & { data?: { x?: ArrayLike<number>; name?: string }[]; layout?: { xaxis?: { type?: string; title?: { text?: string } } } }) | null;
    const data = gd?.data ?? [];
    return { names: data.map((t) => t.name ?? ''), points: data.map((t) => t.x?.length ?? 0), x: data.map((t) => Array.from(t.x ?? [])), xType: gd?.layout?.xaxis?.type ?? '', xTitle: gd?.layout?.xaxis?.title?.text ?? '' };
  }, testId);
const drawn = (testId: string): string => `!!document.querySelector('[data-testid=${testId}].js-plotly-plot .main-svg')`;
const abRows = (): Promise<string[]> => page.locator('[data-testid=runs-row] td[data-col=method]').allInnerTexts().then((t) => t.filter((s) => s.startsWith('A/B')));

describe('the trainer comparison in headless chromium', () => {
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

  it('compares SGD and PAM-SGD side by side: curves with the decoder solves, two rows in the runs table', async () => {
    ready();
    await page.goto(`${app!.url}#dataset=synthetic:small`);
    await waitFor('synthetic:small loads', `/^synthetic:small/.test(document.querySelector('.train-panel .dataset-id')?.textContent ?? '') && !!document.querySelector('[data-testid=dataset-card] h2')`, 60_000);
    phase = 'compare';
    for (const [k, v] of [['dSae', 16], ['k', 2], ['batch', 64]] as const) await app!.setField(k, v);
    const panel = page.getByTestId('compare-panel');
    expect(await page.getByTestId('compare-align-help').innerText(), 'one sentence per alignment').toMatch(/equal epochs.*handful of Adam steps[\s\S]*equal optimiser steps[\s\S]*equal wall-clock/);
    await page.getByTestId('compare-epochs').fill('3');
    expect(await page.locator('[data-testid=compare-trainers] input:checked').evaluateAll((els) => els.map((e) => e.getAttribute('data-trainer')))).toEqual(['sgd', 'pam-sgd']);
    await page.getByTestId('compare-run').click();
    await waitFor('the comparison curves are drawn', drawn('compare-curves'), 60_000);
    const curves = await traces('compare-curves');
    const solves = Number(await page.locator('[data-testid=compare-row]').nth(1).locator('td').nth(7).innerText());
    expect(curves.names, 'a line per trainer, PAM-SGD’s solves as markers').toEqual(['SGD (Adam, untied)', 'PAM-SGD', 'PAM-SGD decoder solve']);
    expect(curves.points, 'three epochs: a point each; a solve each').toEqual([3, 3, 3]);
    expect(solves).toBe(3);
    expect(curves.xTitle).toMatch(/^epochs/);
    expect(await abRows()).toEqual(['A/B 1 · 100% (4096 rows) · s=1 · equal-epochs', 'A/B 1 · 100% (4096 rows) · s=1 · equal-epochs']);
    expect(await panel.getByTestId('compare-sweep').count(), 'no sweep plot for one comparison').toBe(0);
    log(`compare: ${await page.getByTestId('compare-summary').innerText()}`);
  }, 120_000);

  it('runs a ReLU training-fraction sweep at equal steps as one action with progress; its runs reach the runs table and the Pareto plot', async () => {
    ready();
    phase = 'sweep';
    await page.getByTestId('cfg-arch').selectOption('relu');
    await page.getByTestId('compare-kind').selectOption('fraction');
    await page.getByTestId('compare-align').selectOption('equal-steps');
    await page.getByTestId('compare-epochs').fill('2');
    expect(await page.locator('.align-help li.current').innerText()).toMatch(/^equal optimiser steps:/);
    expect(await page.getByTestId('compare-run').innerText()).toBe('Compare (12 runs)');
    // Every progress line the panel shows while it runs.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      const el = document.querySelector('[data-testid=compare-progress]')!;
      new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, subtree: true, characterData: true });
    });
    await page.getByTestId('compare-run').click();
    await waitFor('the sweep plots are drawn', `${drawn('compare-sweep')} && ${drawn('compare-nonzero')} && document.querySelectorAll('[data-testid=compare-row]').length === 12`, 120_000);
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(seen.some((s) => /\d+ of 12 runs · (sgd|pam-sgd) at \d+% \(\d+ rows\): epoch/.test(s)), `progress lines: ${seen.slice(0, 5).join(' | ')}`).toBe(true);
    expect(await page.getByTestId('compare-progress').innerText()).toBe('');
    for (const id of ['compare-sweep', 'compare-nonzero']) {
      const t = await traces(id);
      expect(t.names, `${id}: a line per trainer`).toEqual(['SGD (Adam, untied)', 'PAM-SGD']);
      expect(t.x, `${id}: x = the fractions`).toEqual([
        [1, 5, 10, 25, 50, 100],
        [1, 5, 10, 25, 50, 100],
      ]);
      expect(t.xType, `${id}: log x`).toBe('log');
    }
    expect((await traces('compare-curves')).xTitle).toBe('Adam updates');
    expect((await abRows()).length, 'two A/B runs, then twelve').toBe(14);
    const pareto = await traces('pareto-plot');
    expect(pareto.points[0], 'every A/B run is a Pareto point').toBe(14);
    await page.getByTestId('compare-setting').selectOption({ label: '1% (41 rows)' });
    await waitFor('the curves of 1%', `(document.querySelector('[data-testid=compare-curves]')?.data?.[0]?.x?.length ?? 0) > 0 && /1% \\(41 rows\\)/.test(document.querySelector('[data-testid=compare-curves] .gtitle')?.textContent ?? '')`, 10_000);
    await page.getByTestId('compare-setting').selectOption({ label: '100% (4096 rows)' });
    await page.waitForTimeout(300);
    await page.getByTestId('compare-panel').screenshot({ path: join(SHOTS, 'compare.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(800); // plotly's responsive relayout
    await page.getByTestId('compare-panel').screenshot({ path: join(SHOTS, 'compare-phone.png') });
    const overflow = await page.evaluate(() => {
      const el = document.querySelector('[data-testid=compare-panel]')!;
      return { panel: el.scrollWidth - el.clientWidth, right: el.getBoundingClientRect().right - window.innerWidth };
    });
    expect(overflow, 'the panel fits 390 px: nothing wider than it, and it ends inside the window').toEqual({ panel: 0, right: expect.any(Number) });
    expect(overflow.right).toBeLessThanOrEqual(0);
    expect(problems, 'console errors, page errors, outside requests').toEqual([]);
  }, 180_000);
});
