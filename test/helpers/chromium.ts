/**
 * What the browser tests share: Debian's Chromium driven by playwright-core (launched headless
 * with a fresh profile and no background network traffic), a skip reason when it is absent, and
 * the painted-pixel count that tells a chart drew on its canvas.
 */
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** `describe`'s skip option: false with Chromium, else why the tests skip. */
export const chromiumSkip: false | string = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;

/**
 * Debian's Chromium, headless, with a fresh profile and no background network traffic. The
 * server's Content Security Policy forbids evaluating strings as script, which playwright's
 * `waitForFunction` does in the page, so behaviour tests bypass it (`bypassCSP`, default on);
 * test/server/pages-under-csp.test.ts runs the pages under it.
 */
export function launchChromium(profileDir: string, viewport = { width: 1400, height: 1000 }, options: { bypassCSP?: boolean } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, viewport, args: CHROMIUM_ARGS, bypassCSP: options.bypassCSP ?? true });
}

/**
 * Sampled non-transparent pixels of the canvas inside a data-testid element (0 without one).
 * Page-side code is passed as an expression: the tests are compiled without the DOM's types.
 */
export async function paintedSamples(page: Page, testId: string): Promise<number> {
  return (await page.evaluate(`(() => {
    const canvas = document.querySelector('[data-testid="${testId}"] canvas');
    if (!canvas || canvas.width === 0) return 0;
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < px.length; i += 64) if (px[i] > 0) n++;
    return n;
  })()`)) as number;
}

/**
 * Polls `paintedSamples` until the chart has drawn (more than 50 samples) or `timeoutMs` passes,
 * and returns the last count: a chart animates its first paint and repaints after each update, so
 * a single read right after the data arrives can land mid-animation on a loaded machine.
 */
export async function waitForPaint(page: Page, testId: string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let samples = 0;
  while ((samples = await paintedSamples(page, testId)) <= 50 && Date.now() < deadline) await page.waitForTimeout(200);
  return samples;
}
