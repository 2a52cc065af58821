import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/*
 * Debian's Chromium driven by playwright-core: Playwright's own browser download cannot work here,
 * so the browser is the system package (`apt-get install chromium`), headless, with a fresh profile.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Tests press play without a user gesture.
  '--autoplay-policy=no-user-gesture-required',
];

export const SCREENSHOTS_DIR = join(__dirname, '..', '..', 'test-output', 'screenshots');

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

let warned = false;

/**
 * `describe`, or `describe.skip` when Chromium is missing, saying so once. With `CI` set a missing
 * Chromium is a failure, not a skip: CI installs it (.ci/run), so its absence is a broken set-up.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (chromiumAvailable()) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`${CHROMIUM_PATH} is missing and CI is set: the browser tests cannot run. Install Debian's chromium (apt-get install -y chromium; .ci/run does it).`);
      });
    });
    return;
  }
  if (!warned) {
    warned = true;
    console.warn(`Browser tests skipped: ${CHROMIUM_PATH} is missing (apt-get install chromium to run them; with CI set they fail instead).`);
  }
  describe.skip(name, body);
}

export interface LaunchedBrowser {
  readonly context: BrowserContext;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Chromium with a fresh, throw-away user data folder (removed on close).
 * @param options `bypassCSP` to see what a page would do without its Content-Security-Policy
 */
export async function launchChromium(options: { bypassCSP?: boolean } = {}): Promise<LaunchedBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    // The browser's time zone and language, fixed so pages render the same everywhere.
    timezoneId: 'Europe/Paris',
    locale: 'en-GB',
    bypassCSP: options.bypassCSP ?? false,
  });
  // The persistent context opens one blank page; tests open their own.
  for (const page of context.pages()) await page.close();
  return {
    context,
    async newPage(viewport = { width: 1280, height: 800 }) {
      const page = await context.newPage();
      // Fail in seconds, not Playwright's 30: a page that works answers in well under one.
      page.setDefaultTimeout(10_000);
      await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as test-output/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
