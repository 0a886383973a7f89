/**
 * The clicker and the Clicks page in a real browser: Debian's Chromium, driven by playwright-core,
 * against a real `streamrec up` (both started by test/helpers/browser.ts). Clicks go through the
 * clicker's buttons (mouse and keyboard) to `POST /clicks`; the Clicks page must show them over
 * `/clicks/stream`. Saves screenshots to test-artifacts/.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openBrowserSession, textOf, waitUntil, watchPage } from '../helpers/browser.js';
import { chromiumSkip, waitForPaint } from '../helpers/chromium.js';

const ARTIFACTS = resolve(process.cwd(), 'test-artifacts');

/** Waits until the data-testid element's text is `expected`; fails naming what it showed. */
async function waitForText(page: Page, testId: string, expected: string, timeout = 15_000): Promise<void> {
  try {
    await page.waitForFunction(`${textOf(testId)} === ${JSON.stringify(expected)}`, undefined, { timeout });
  } catch {
    assert.fail(`${testId} shows ${JSON.stringify(await page.evaluate(textOf(testId)))}, expected ${JSON.stringify(expected)}`);
  }
}

describe('clicker and Clicks page in Chromium', { skip: chromiumSkip }, () => {
  it('acknowledges clicks from the buttons and the keyboard, and the Clicks page shows them live', async () => {
    const session = await openBrowserSession(['up', '--rate', '50'], { env: { STREAMREC_SSE_HEARTBEAT_MS: '1000' } });
    const { url, context } = session;
    try {
      const problems: string[] = [];

      // ---- the clicker ----
      const clicker = await watchPage(session.page, problems, { name: 'clicker' });
      const res = await clicker.goto(`${url}/clicker`);
      assert.equal(res?.status(), 200, 'GET /clicker serves the clicker');
      await waitForText(clicker, 'count-cheers', '0');
      await waitForText(clicker, 'count-hate', '0');

      for (let i = 0; i < 3; i++) await clicker.getByTestId('click-cheers').click();
      await waitForText(clicker, 'count-cheers', '3');
      // Each acknowledgement flashes where the click landed in the log.
      await waitUntil(clicker, `/^Accepted · (partition \\d+ · )?offset \\d+$/.test(${textOf('ack-cheers')})`, 'the "accepted" state with its offset');
      for (let i = 0; i < 2; i++) await clicker.getByTestId('click-hate').click();
      await waitForText(clicker, 'count-hate', '2');
      await waitForText(clicker, 'count-cheers', '3');

      // Keyboard: Enter on the focused button, and the H shortcut.
      await clicker.getByTestId('click-cheers').focus();
      await clicker.keyboard.press('Enter');
      await waitForText(clicker, 'count-cheers', '4');
      await clicker.keyboard.press('h');
      await waitForText(clicker, 'count-hate', '3');
      assert.equal(await clicker.getByTestId('clicker-message').isVisible(), false, 'no error message after accepted clicks');
      mkdirSync(ARTIFACTS, { recursive: true });
      await clicker.screenshot({ path: resolve(ARTIFACTS, 'clicker-e2e.png'), fullPage: true });

      // ---- the Clicks page ----
      const clicks = await watchPage(await context.newPage(), problems, { name: 'clicks' });
      await clicks.goto(url);
      await clicks.getByTestId('nav-clicks').click();
      await clicks.waitForURL(/\/clicks\.html$/);
      await waitForText(clicks, 'connection-status', 'live');
      // A fresh data dir: the topic holds exactly the clicks above.
      await waitForText(clicks, 'clicks-total-cheers', '4');
      await waitForText(clicks, 'clicks-total-hate', '3');
      await waitForText(clicks, 'clicks-total', '7');
      assert.match(await clicks.evaluate(textOf('clicks-rate')), /clicks?\/s$/, 'the rate is shown');
      const plotted = `Number(document.querySelector('[data-testid="chart-clicks"]')?.dataset.plotted ?? -1)`;
      await waitUntil(clicks, `${plotted} === 7`, 'the chart to plot the 7 clicks');
      const before = await waitForPaint(clicks, 'chart-clicks');
      assert.ok(before > 50, `the chart is painted (${before} painted samples)`);

      // More clicks: the page follows without reloading (pushed over SSE).
      for (let i = 0; i < 2; i++) await clicker.getByTestId('click-cheers').click();
      await clicker.getByTestId('click-hate').click();
      await waitForText(clicker, 'count-cheers', '6');
      await waitForText(clicker, 'count-hate', '4');
      await waitForText(clicks, 'clicks-total-cheers', '6');
      await waitForText(clicks, 'clicks-total-hate', '4');
      await waitForText(clicks, 'clicks-total', '10');
      await waitUntil(clicks, `${plotted} === 10`, 'the chart to plot the 10 clicks');
      const after = await waitForPaint(clicks, 'chart-clicks');
      assert.ok(after > 50, `the chart is painted after more clicks (${after} painted samples)`);
      await clicks.screenshot({ path: resolve(ARTIFACTS, 'clicks-e2e.png'), fullPage: true });
      assert.deepEqual(problems, [], 'no errors in the pages');

      // ---- the server goes away: the clicker says so, the Clicks page shows it lost the stream ----
      assert.equal(await session.server.stop(), 0, session.server.stderr());
      await clicker.getByTestId('click-cheers').click();
      await waitUntil(clicker, `/unreachable/.test(${textOf('clicker-message')})`, 'the "unreachable" message');
      await waitForText(clicker, 'count-cheers', '6');
      await waitUntil(clicks, `/^(reconnecting|connecting)$/.test(${textOf('connection-status')})`, 'the Clicks page to notice the lost stream');
      await clicker.screenshot({ path: resolve(ARTIFACTS, 'clicker-unreachable.png'), fullPage: true });
    } finally {
      await session.close();
    }
  });
});
