// Accessibility as an automated scan (issue #14 deliverable 7): axe-core (WCAG 2.1 A and AA rules) over the
// page in headless chromium (harness.ts) — the first screen at desktop and phone size, the page after a
// short run (live plots, metrics, runs table, export) and with the feature inspector open on a latent —
// with no violation of impact 'serious' or 'critical'; every plot carries a text alternative (role="img"
// and an aria-label naming its traces, plotSummary.ts). Every violation found is logged with its nodes.
// Needs /usr/bin/chromium (or CHROMIUM=path); never `npx playwright install`.
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppSession } from './harness.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let app: AppSession | undefined;
let page: Page;
const problems: string[] = [];
let phase = 'load';
const t0 = Date.now();
const log = (msg: string): void => console.log(`[a11y-e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const waitFor = (what: string, fn: string, timeout: number): Promise<void> => (app ? app.waitFor(what, fn, timeout) : Promise.reject(new Error('e2e: the app is not started')));

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; summary: string }[];
}

/** axe-core's WCAG 2.1 A/AA violations on the page as it is now. */
async function scan(where: string): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] }[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.map(String), summary: n.failureSummary ?? '' })) }));
  });
  for (const v of violations) log(`${where}: [${v.impact}] ${v.id} (${v.nodes.length}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`);
  if (violations.length === 0) log(`${where}: no violations`);
  return violations;
}

const serious = (vs: Violation[]): string[] =>
  vs.filter((v) => v.impact === 'serious' || v.impact === 'critical').flatMap((v) => v.nodes.map((n) => `${v.id} at ${n.target.join(' ')}: ${n.summary.split('\n').slice(0, 2).join(' ')}`));

describe('accessibility (axe-core, WCAG 2.1 AA)', () => {
  beforeAll(async () => {
    app = await startApp({ width: 1440, height: 900 }, log, problems, () => phase);
    page = app.page;
    await page.goto(app.url);
    await waitFor('the default dataset loads and Train is enabled', `document.querySelector('[data-testid=train-start]')?.disabled === false`, 90_000);
  }, 150_000);
  afterAll(async () => {
    await app?.close();
  });

  it('the first screen has no serious or critical violation', { timeout: 60_000 }, async () => {
    phase = 'first screen';
    expect(serious(await scan('first screen, 1440×900'))).toEqual([]);
  });

  it('after a run: plots carry text alternatives; the page and the open inspector have no serious violation', { timeout: 240_000 }, async () => {
    phase = 'run';
    await app!.setField('steps', 40);
    await page.getByTestId('train-start').click();
    await waitFor('the run finishes', `document.querySelector('[data-testid=train-status]')?.textContent === 'done'`, 180_000);
    await waitFor('the loss plot is drawn', `!!document.querySelector('[data-testid=loss-plot].js-plotly-plot .main-svg')`, 30_000);
    const plotLabels = () => page.evaluate(() => Array.from(document.querySelectorAll('.js-plotly-plot'), (el) => ({ id: el.getAttribute('data-testid'), role: el.getAttribute('role'), label: el.getAttribute('aria-label') ?? '' })));
    // Plots redraw at most every PLOT_INTERVAL_MS (Plots.tsx): the last draw may come a moment after 'done'.
    await expect.poll(async () => (await plotLabels()).find((l) => l.id === 'loss-plot')?.label ?? '', { timeout: 10_000 }).toMatch(/ 40 points over 1–40/);
    const labels = await plotLabels();
    log(`plots: ${labels.map((l) => `${l.id}: ${l.label.slice(0, 90)}`).join(' || ')}`);
    expect(labels.length).toBeGreaterThanOrEqual(6);
    for (const l of labels) {
      expect(l.role, `${l.id}`).toBe('img');
      expect(l.label.length, `${l.id} has a text alternative`).toBeGreaterThan(10);
    }
    const loss = labels.find((l) => l.id === 'loss-plot')!;
    expect(loss.label).toMatch(/^loss and its parts\. loss \(every step\): 40 points over 1–40, last /);
    expect(serious(await scan('after a run, 1440×900'))).toEqual([]);

    phase = 'inspector';
    await page.locator('[data-testid=feature-table] tbody tr').first().waitFor({ timeout: 60_000 });
    await page.locator('[data-testid=feature-table] tbody tr').first().focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=feature-inspector] [data-testid=top-inputs] li').first().waitFor({ timeout: 60_000 });
    expect(serious(await scan('inspector open, 1440×900'))).toEqual([]);
  });

  it('the phone layout has no serious or critical violation', { timeout: 60_000 }, async () => {
    phase = 'phone';
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    expect(serious(await scan('after a run, 390×844'))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
