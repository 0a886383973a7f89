/**
 * The pages under the server's Content Security Policy, in Debian's Chromium against a real
 * `streamrec up` (not bypassing the policy, as the behaviour tests in test/browser do): the live
 * dashboard, Clicks and Commerce pages go live and draw their charts, the clicker, the analytics
 * page and the API docs (swagger-ui) render, and no page reports a policy violation or a console
 * error. Conditions are polled from here with `evaluate` (the policy forbids the string
 * evaluation `waitForFunction` does in the page).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openBrowserSession, textOf, until, watchPage } from '../helpers/browser.js';
import { chromiumSkip, waitForPaint } from '../helpers/chromium.js';

async function painted(page: Page, testId: string): Promise<void> {
  const samples = await waitForPaint(page, testId, 30_000);
  assert.ok(samples > 50, `${testId} drew under the policy (${samples} painted samples)`);
}

describe('pages under the Content Security Policy, in Chromium', { skip: chromiumSkip }, () => {
  it('runs the dashboard, Clicks, Commerce, clicker, analytics and docs pages with no violation and no console error', async () => {
    const session = await openBrowserSession(['up', '--rate', '300'], { env: { STREAMREC_SSE_HEARTBEAT_MS: '1000' }, bypassCSP: false });
    const { url, context } = session;
    const problems: string[] = [];
    try {
      const dashboard = session.page;
      await watchPage(dashboard, problems, { name: 'dashboard', csp: true });
      const res = await dashboard.goto(url);
      assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/, 'the page is served under the policy');
      await until(dashboard, `${textOf('connection-status')} === 'live'`, 'the dashboard live');
      await until(dashboard, `/\\d/.test(${textOf('kpi-window-count')})`, 'a KPI number');
      for (const id of ['chart-top', 'chart-throughput']) await painted(dashboard, id);

      for (const name of ['clicks', 'commerce']) {
        const page = await context.newPage();
        await watchPage(page, problems, { name, csp: true });
        await page.goto(`${url}/${name}.html`);
        await until(page, `${textOf('connection-status')} === 'live'`, `the ${name} page live`);
      }
      const clicker = await context.newPage();
      await watchPage(clicker, problems, { name: 'clicker', csp: true });
      await clicker.goto(`${url}/clicker`);
      await until(clicker, `${textOf('count-cheers')} === '0'`, 'the clicker ready');
      await clicker.getByTestId('click-cheers').click();
      await until(clicker, `${textOf('count-cheers')} === '1'`, 'a click acknowledged');

      const analytics = await context.newPage();
      // No analytics run in this data dir: its API answers 404 and the page shows its empty state.
      await watchPage(analytics, problems, { name: 'analytics', expected404: '/analytics/', csp: true });
      await analytics.goto(`${url}/analytics.html`);
      await until(analytics, `document.querySelector('[data-testid="analytics-empty"]')?.hidden === false`, 'the analytics empty state');

      const docs = await context.newPage();
      await watchPage(docs, problems, { name: 'docs', csp: true });
      await docs.goto(`${url}/docs/`);
      await until(docs, `(document.querySelector('.swagger-ui .info .title')?.textContent ?? '').includes('streamrec API')`, 'the docs title');
      await until(docs, `document.querySelectorAll('.swagger-ui .opblock').length > 10`, 'the operations listed');

      assert.deepEqual(problems, [], 'no violation, no console or page error');
    } finally {
      assert.equal(await session.close(), 0, session.server.stderr());
    }
  });
});
