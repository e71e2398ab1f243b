/**
 * A real browser for the dashboard tests: Debian's chromium driven by playwright-core (which never
 * downloads a browser of its own here). Every page records its console errors and uncaught page
 * errors, so a test can fail on any of them; screenshots go under test-output/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CITUS_LAB_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

// Headless, no sandbox (root), and nothing that phones home or updates itself.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumAvailable(): boolean {
  try {
    fs.accessSync(CHROMIUM_PATH, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface TestBrowser {
  readonly browser: Browser;
  /** A fresh context (own sessionStorage, as a new tab of a new user) with a page that records problems. */
  newPage(): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors and page errors seen so far, as text. */
  readonly problems: string[];
  screenshot(name: string): Promise<string>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  // launch() gives chromium a new, empty --user-data-dir of its own (a temp dir it removes on close),
  // so no state leaks between runs; each newPage() is a fresh context inside it on top of that.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    browser,
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()} (${message.location().url})`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      return {
        page,
        context,
        problems,
        async screenshot(name: string) {
          const file = path.join(SCREENSHOT_DIR, `${name}.png`);
          await page.screenshot({ path: file, fullPage: true });
          return file;
        },
      };
    },
    async close() {
      await browser.close();
    },
  };
}
