// The k-means / k-flats families in the app end to end (issue #12), kept short: a link opens synthetic:small,
// the arch select offers kflats, picking it shows the rank field (data-testid cfg-rank) and switches the trainer
// to its family's (lloyd); a 3-step run trains to 'done'; the runs table names it with L0 = rank + 1; the export downloads cfg.json + model.safetensors that the CLI's `eval` reads back with the same shape;
// and no console error, page error or outside request happened. Needs /usr/bin/chromium; never `npx playwright install`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppSession } from './harness.ts';
import { evalExportZip } from './exportZip.ts';

let app: AppSession | undefined;
let page: Page;
const problems: string[] = [];
let phase = 'load';
const t0 = Date.now();
const log = (msg: string): void => console.log(`[cluster-e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const tmp = mkdtempSync(join(tmpdir(), 'cluster-e2e-'));

describe('k-flats in headless chromium', () => {
  beforeAll(async () => {
    app = await startApp({ width: 1280, height: 900 }, log, problems, () => phase);
    page = app.page;
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it('picks kflats with a rank, trains it, exports a folder the CLI evaluates', async () => {
    await page.goto(`${app!.url}#dataset=synthetic:small`);
    await app!.waitFor('synthetic:small loads', `/^synthetic:small/.test(document.querySelector('.train-panel .dataset-id')?.textContent ?? '') && !!document.querySelector('[data-testid=dataset-card] h2')`, 60_000);
    phase = 'form';
    expect(await page.getByTestId('cfg-rank').count(), 'no rank field for an SAE').toBe(0);
    await page.getByTestId('cfg-arch').selectOption('kflats');
    expect(await page.getByTestId('trainer-select').inputValue()).toBe('lloyd');
    expect(await page.locator('[data-testid=trainer-select] option').allInnerTexts()).toEqual(['lloyd', 'kmeans-then-pca']);
    await expect.poll(() => page.getByTestId('cfg-rank').count()).toBe(1);
    expect(await page.getByTestId('cluster-help').innerText()).toMatch(/local PCA/);
    await app!.setField('dSae', 6);
    await app!.setField('rank', 2);
    await app!.setField('steps', 3);
    phase = 'train';
    await page.getByTestId('train-start').click();
    await app!.waitFor('the 3-step kflats run finishes', `document.querySelector('[data-testid=train-status]')?.textContent === 'done' && Number(document.querySelector('[data-testid=step-count]')?.textContent) === 3`, 120_000);
    const row = page.locator('[data-testid=runs-row]').last();
    expect(await row.innerText()).toMatch(/kflats · lloyd/);
    expect(await row.locator('td[data-col=l0]').innerText(), 'L0 = rank + 1 (the cluster and one latent per direction)').toBe('3.00');
    phase = 'export';
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-saelens').click()]);
    expect(download.suggestedFilename()).toMatch(/^kflats-/);
    const zipPath = join(tmp, download.suggestedFilename());
    await download.saveAs(zipPath);
    const check = await evalExportZip(zipPath, tmp);
    expect(check.members.map((m) => m.split('/').pop()).sort()).toEqual(['cfg.json', 'model.safetensors', 'sparsity.safetensors']);
    expect(check.result.sae).toMatchObject({ arch: 'kflats', dIn: 16, dSae: 6 * 5, k: 3 });
    expect(await page.getByTestId('python-snippet').innerText()).toMatch(/safetensors/);
    expect(problems).toEqual([]);
  }, 240_000);
});
