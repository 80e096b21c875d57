// The geometry lab as a new user meets it (issue #12), in headless chromium (harness.ts): from the first screen
// the lab tab opens three panels whose partitions are drawn (the note says CPU or GPU and the resolution); the
// how-it-works strip shows rendered formulas; play trains and pause stops, step adds `speed` steps; hovering a
// panel shows what fires; dragging a site moves it and changes the MSE at once; a lesson loads, captions itself
// with a KaTeX formula and plays; a lab URL restores its state (steps, settings, lesson); a hostile one is refused
// with a message. At 390×844 the panels stack, the page is no wider than the screen, and a tap reads out a point.
// No console error, page error or outside request. Saves docs/screenshots/lab-{desktop,lesson,phone}.png.
// Needs /usr/bin/chromium (or CHROMIUM=path); never `npx playwright install`.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LAB_STATE } from '../../src/core/lab/state.ts';
import { encodeLab } from '../../src/core/lab/url.ts';
import { SHOTS, startApp, type AppSession } from './harness.ts';

let app: AppSession | undefined;
let page: Page;
const problems: string[] = [];
let phase = 'load';
const t0 = Date.now();
const log = (msg: string): void => console.log(`[lab-e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const waitFor = (what: string, fn: string, timeout: number): Promise<void> => (app ? app.waitFor(what, fn, timeout) : Promise.reject(new Error('e2e: the app is not started')));
const text = (id: string) => page.getByTestId(id).innerText();
const steps = async () => Number(await text('lab-steps'));
const drawn = (panel: string) => `(() => { const n = document.querySelector('[data-testid=lab-note-${panel}]'); return !!n && /at \\d+ × \\d+/.test(n.textContent || ''); })()`;

beforeAll(async () => {
  app = await startApp({ width: 1280, height: 900 }, log, problems, () => phase);
  page = app.page;
}, 120_000);

afterAll(async () => {
  await app?.close();
});

describe('the geometry lab', () => {
  it('opens from the first screen: three panels drawn, the how-it-works strip rendered', async () => {
    phase = 'open';
    await page.goto(app?.url ?? '');
    await page.getByTestId('view-lab').click();
    await page.getByTestId('lab').waitFor();
    await waitFor('the SAE panel drawn', drawn('sae'), 30_000);
    expect(await text('lab-note-sae')).toMatch(/CPU \(.+\) at \d+ × \d+|GPU/);
    expect(await text('lab-mse-sae')).toMatch(/^\d/);
    for (const id of ['lab-canvas', 'lab-canvas-kmeans', 'lab-canvas-kflats']) expect(await page.getByTestId(id).isVisible(), id).toBe(true);
    await waitFor('KaTeX in the how-it-works strip', `document.querySelectorAll('[data-testid=how-it-works] .katex').length === 4`, 30_000);
    expect(page.url()).toMatch(/#lab&data=toy&/);
  });

  it('play trains, pause stops, step adds `speed` steps; hover reads out a point', async () => {
    phase = 'play';
    await page.getByTestId('lab-play').click();
    await waitFor('20 steps played', `Number(document.querySelector('[data-testid=lab-steps]').textContent) >= 20`, 30_000);
    await page.getByTestId('lab-play').click();
    await waitFor('paused', `document.querySelector('[data-testid=lab-play]').textContent === 'Play'`, 10_000);
    const paused = await steps();
    await page.waitForTimeout(300);
    expect(await steps()).toBe(paused);
    await page.getByTestId('lab-step').click();
    await waitFor('one Step click', `Number(document.querySelector('[data-testid=lab-steps]').textContent) === ${paused + DEFAULT_LAB_STATE.speed}`, 10_000);
    const box = await page.getByTestId('lab-canvas').boundingBox();
    if (!box) throw new Error('no SAE canvas box');
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.3);
    await waitFor('the hover readout', `/‖x − x̂‖²/.test(document.querySelector('[data-testid=lab-hover]').textContent)`, 10_000);
    expect(await text('lab-hover')).toMatch(/^SAE: region \{/);
  });

  it('dragging a site moves it and changes the MSE at once', async () => {
    phase = 'drag';
    const before = await text('lab-mse-sae');
    const handles = JSON.parse((await page.getByTestId('lab-canvas').getAttribute('data-handles')) ?? '[]') as { what: string; unit: number; x: number; y: number }[];
    const site = handles.find((h) => h.what === 'site');
    const box = await page.getByTestId('lab-canvas').boundingBox();
    if (!site || !box) throw new Error(`no site handle on the SAE canvas (${handles.length} handles)`);
    await page.mouse.move(box.x + site.x, box.y + site.y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.8, { steps: 5 });
    await page.mouse.up();
    await waitFor('the MSE changed', `document.querySelector('[data-testid=lab-mse-sae]').textContent !== ${JSON.stringify(before)}`, 10_000);
    // The site ends under the pointer (the last drag call answers after the earlier ones).
    const target = { x: box.width * 0.2, y: box.height * 0.8 };
    await waitFor(
      'the site under the pointer',
      `(() => { const h = JSON.parse(document.querySelector('[data-testid=lab-canvas]').dataset.handles || '[]').find((q) => q.what === 'site' && q.unit === ${site.unit}); return !!h && Math.abs(h.x - ${target.x}) < 3 && Math.abs(h.y - ${target.y}) < 3; })()`,
      10_000,
    );
    // Hovering a latent chip highlights it (and its cells on the canvas).
    await page.getByTestId('lab-latent-0').hover();
    expect(await page.getByTestId('lab-latent-0').getAttribute('class')).toMatch(/\bon\b/);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(SHOTS, 'lab-desktop.png') });
  });

  it('presentation mode sets large type and back', async () => {
    phase = 'presentation';
    const size = () => page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('main') as Element).fontSize));
    const normal = await size();
    await page.getByTestId('presentation-toggle').click();
    expect(await size()).toBeGreaterThanOrEqual(normal * 1.25);
    await page.getByTestId('presentation-toggle').click();
    expect(await size()).toBe(normal);
  });

  it('a lesson loads its data and settings, captions itself with a formula, and plays', async () => {
    phase = 'lesson';
    await page.getByTestId('lesson-superposition').click();
    await waitFor('the lesson playing', `Number(document.querySelector('[data-testid=lab-steps]').textContent) >= 30`, 30_000);
    expect(await text('lab-caption')).toMatch(/^Superposition\. Five sparse features/);
    await waitFor('the lesson formula rendered', `!!document.querySelector('[data-testid=lab-formula] .katex')`, 10_000);
    expect(await page.getByTestId('lab-dsae').inputValue()).toBe('8');
    // The lab writes its hash at most every 300 ms while playing (LabView.tsx useLabHash).
    await expect.poll(() => page.url(), { timeout: 10_000 }).toMatch(/lesson=superposition/);
    await page.getByTestId('lab-play').click(); // pause
    await page.getByTestId('lab-caption').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'lab-lesson.png') });
  });

  it('paint points by click-and-drag, then project a dataset onto its 2 principal components', async () => {
    phase = 'paint';
    await page.getByTestId('lab-paint').click();
    await page.getByTestId('lab-paint-hint').waitFor();
    await page.getByTestId('lab-canvas-kmeans').scrollIntoViewIfNeeded();
    const box = await page.getByTestId('lab-canvas-kmeans').boundingBox();
    if (!box) throw new Error('no k-means canvas');
    await page.mouse.move(box.x + 30, box.y + 40);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + 30 + i * 20, box.y + 40 + i * 15);
    await page.mouse.up();
    await waitFor('the painted points in use', `/^data: \\d+ painted points$/.test(document.querySelector('[data-testid=lab-source]')?.textContent || '')`, 10_000);
    expect(Number((await text('lab-source')).match(/\d+/)?.[0])).toBeGreaterThanOrEqual(10);
    expect(page.url()).toMatch(/data=painted&xy=/);
    await page.getByTestId('lab-paint').click();
    phase = 'project';
    await page.getByTestId('lab-data').selectOption('projection');
    await waitFor('digits projected', `/builtin:digits.*PC1, PC2/.test(document.querySelector('[data-testid=lab-source]')?.textContent || '')`, 30_000);
    await waitFor('the SAE panel drawn', drawn('sae'), 30_000);
  });

  it('a lab URL restores its state exactly; a hostile one is refused with a message', async () => {
    phase = 'restore';
    const state = { ...DEFAULT_LAB_STATE, data: { source: 'preset' as const, preset: 'rings' as const, points: 150, seed: 4, features: 5 }, clusters: 4, dSae: 6, k: 2, steps: 150, lesson: 'k' };
    await page.goto(`${app?.url ?? ''}#lab&${encodeLab(state)}`);
    await page.reload();
    await waitFor('restored to step 150', `document.querySelector('[data-testid=lab-steps]')?.textContent === '150'`, 30_000);
    await waitFor('the SAE panel drawn', drawn('sae'), 30_000);
    expect(await page.getByTestId('lab-clusters').inputValue()).toBe('4');
    expect(await page.getByTestId('lab-k').inputValue()).toBe('2');
    expect(await text('lab-source')).toMatch(/rings: 150 points, seed 4/);
    expect(await text('lab-caption')).toMatch(/^What k does\./);
    await page.goto(`${app?.url ?? ''}#lab&k=0&arch=evil`);
    await page.reload();
    await waitFor('the refusal', `!!document.querySelector('[data-testid=lab-error]')`, 20_000);
    expect(await text('lab-error')).toMatch(/the lab link is not valid: arch "evil" is unknown/);
  });

  it('at 390×844: panels stack, nothing is wider than the screen, a tap reads out a point', async () => {
    phase = 'phone';
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${app?.url ?? ''}#lab&${encodeLab({ ...DEFAULT_LAB_STATE, steps: 100 })}`);
    await page.reload();
    await waitFor('the SAE panel drawn', drawn('sae'), 30_000);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(wide).toBeLessThanOrEqual(0);
    const a = await page.getByTestId('lab-canvas-kmeans').boundingBox();
    const b = await page.getByTestId('lab-canvas').boundingBox();
    expect(b && a && b.y > a.y + a.height - 1).toBe(true);
    expect(b && b.width <= 390).toBe(true);
    await page.getByTestId('lab-canvas').scrollIntoViewIfNeeded();
    const box = await page.getByTestId('lab-canvas').boundingBox();
    if (!box) throw new Error('no SAE canvas');
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await waitFor('a readout after the tap', `/‖x − x̂‖²/.test(document.querySelector('[data-testid=lab-hover]').textContent)`, 10_000);
    // A finger drags a site (pointer events with pointerType touch, as a phone sends them).
    const handles = JSON.parse((await page.getByTestId('lab-canvas').getAttribute('data-handles')) ?? '[]') as { what: string; unit: number; x: number; y: number }[];
    const site = handles.find((h) => h.what === 'site');
    if (!site) throw new Error('no site handle');
    const target = { x: box.width * 0.3, y: box.height * 0.3 };
    await page.getByTestId('lab-canvas').evaluate(
      (el, a) => {
        const r = el.getBoundingClientRect();
        const ev = (type: string, x: number, y: number) => el.dispatchEvent(new PointerEvent(type, { pointerId: 7, pointerType: 'touch', isPrimary: true, bubbles: true, clientX: r.left + x, clientY: r.top + y }));
        ev('pointerdown', a.site.x + 5, a.site.y + 5);
        ev('pointermove', (a.site.x + a.target.x) / 2, (a.site.y + a.target.y) / 2);
        ev('pointermove', a.target.x, a.target.y);
        ev('pointerup', a.target.x, a.target.y);
      },
      { site, target },
    );
    await waitFor(
      'the site under the finger',
      `(() => { const h = JSON.parse(document.querySelector('[data-testid=lab-canvas]').dataset.handles || '[]').find((q) => q.what === 'site' && q.unit === ${site.unit}); return !!h && Math.abs(h.x - ${target.x}) < 3 && Math.abs(h.y - ${target.y}) < 3; })()`,
      10_000,
    );
    await page.screenshot({ path: join(SHOTS, 'lab-phone.png'), fullPage: false });
    expect(problems).toEqual([]);
  });

  it('draws a trained SAE on the plane through three of its rows', async () => {
    phase = 'slice';
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(app?.url ?? '');
    await page.reload();
    await app?.setField('dSae', 16);
    await app?.setField('steps', 20);
    await page.getByTestId('train-start').click();
    await waitFor('the run done', `document.querySelector('[data-testid=train-status]')?.textContent?.includes('done')`, 60_000);
    await page.getByTestId('view-lab').click();
    await page.getByTestId('lab-slice-draw').click();
    await waitFor('the slice drawn', `!!document.querySelector('[data-testid=lab-slice-note]')`, 30_000);
    expect(await text('lab-slice-note')).toMatch(/^run 1 on builtin:stories-resid-3: \d+ regions in view\. (CPU|GPU)/);
    await page.getByTestId('lab-slice-row-b').fill('0');
    await page.getByTestId('lab-slice-draw').click();
    await waitFor('the refusal', `!!document.querySelector('[data-testid=lab-slice-error]')`, 10_000);
    expect(await text('lab-slice-error')).toMatch(/the three rows must differ/);
    await page.getByTestId('lab-slice-row-b').fill('7');
    await page.getByTestId('lab-slice-draw').click();
    await waitFor('drawn again', `!document.querySelector('[data-testid=lab-slice-error]')`, 10_000);
    await page.getByTestId('lab-slice').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'lab-slice.png') });
    expect(problems).toEqual([]);
  });
});
