// The e2e tests' shared setup: Vite's dev server on 127.0.0.1 (a free port), Debian's headless chromium
// (WebGPU on SwiftShader) driven by playwright-core, a page that records every console error, page error
// and request outside the dev server (the app must work offline), and the small helpers every e2e file
// uses (waitFor with the page's state in the failure, typing a form field). Node only; test code.
// Needs /usr/bin/chromium (or CHROMIUM=path): `sudo apt-get install chromium`; never `npx playwright install`.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHOTS = join(ROOT, 'docs/screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--enable-unsafe-webgpu', '--no-sandbox', '--headless', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** A port nobody listens on now (the OS picks it; Vite then binds it with strictPort). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface AppSession {
  page: Page;
  /** The dev server's root URL. */
  url: string;
  /** Waits for a condition in the page; on timeout fails with `what`, the status line, alerts and console problems. */
  waitFor(what: string, fn: string, timeout: number): Promise<void>;
  /** Sets a number field of the experiment form (label data-testid cfg-KEY) as a user types it. */
  setField(key: string, value: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the dev server and a chromium page on it. Every console error, page error and outside request is
 * pushed to `problems`, tagged with `phase()` at the time it happened.
 */
export async function startApp(viewport: { width: number; height: number }, log: (msg: string) => void, problems: string[], phase: () => string): Promise<AppSession> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`e2e: no chromium at ${CHROMIUM}. Install Debian's chromium (sudo apt-get install chromium; \`npm test\`'s pretest hook does it as root) or set CHROMIUM to a chromium binary with WebGPU. Never \`npx playwright install\`.`);
  }
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
  };
  try {
    server = await createServer({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), server: { host: '127.0.0.1', port, strictPort: true, hmr: false }, logLevel: 'warn', clearScreen: false });
    await server.listen();
    const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
    log(`vite dev server at ${url}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    const page = await browser.newPage({ viewport, acceptDownloads: true });
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`[${phase()}] console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`[${phase()}] page error: ${e.message}`));
    // No network beyond the dev server: any other request is a bug (the app must work offline).
    await page.route((u) => !u.href.startsWith(url.replace(/\/$/, '')) && !u.protocol.startsWith('blob') && !u.protocol.startsWith('data'), (r) => {
      problems.push(`[${phase()}] request outside the dev server: ${r.request().url()}`);
      return r.abort();
    });
    const status = (): Promise<string> => page.getByTestId('train-status').innerText();
    const stepCount = async (): Promise<number> => Number(await page.getByTestId('step-count').innerText());
    return {
      page,
      url,
      async waitFor(what, fn, timeout) {
        try {
          await page.waitForFunction(fn, null, { timeout, polling: 100 });
        } catch {
          const alert = await page.locator('[role=alert]').allInnerTexts().catch(() => []);
          throw new Error(
            `${what}: not within ${timeout / 1000} s (train-status: ${await status().catch(() => '?')}, step ${await stepCount().catch(() => '?')}${alert.length ? `, alerts: ${alert.join(' | ')}` : ''}${problems.length ? `, console: ${problems.join(' | ')}` : ''})`,
          );
        }
      },
      async setField(key, value) {
        const input = page.locator(`[data-testid=cfg-${key}] input`);
        if ((await input.count()) !== 1) throw new Error(`the experiment form has no [data-testid=cfg-${key}] input`);
        await input.fill(String(value));
        expect(await input.inputValue(), `form field cfg-${key}`).toBe(String(value));
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
