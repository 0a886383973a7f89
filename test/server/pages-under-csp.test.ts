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
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumSkip, launchChromium, waitForPaint } from '../helpers/chromium.js';
import { waitFor } from '../helpers/sse-client.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');

/**
 * Console errors, page errors and CSP violations (as the page's own `securitypolicyviolation`
 * events) of a page; `expected404` names the API path whose 404s are the page's expected state.
 */
async function watch(page: Page, name: string, problems: string[], expected404?: string): Promise<void> {
  page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (expected404 && / 404 /.test(msg.text()) && new URL(msg.location().url).pathname.startsWith(expected404)) return;
    problems.push(`${name}: console error: ${msg.text()} (${msg.location().url})`);
  });
  await page.exposeFunction('reportViolation', (text: string) => problems.push(`${name}: CSP violation: ${text}`));
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' blocked ' + e.blockedURI))`);
}

/** Polls a page-side expression (evaluated by the debugger protocol, outside the page's policy) until it is truthy. */
async function until(page: Page, expression: string, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await page.waitForTimeout(100);
  }
}

const textOf = (testId: string): string => `(document.querySelector('[data-testid="${testId}"]')?.textContent ?? '').trim()`;

async function painted(page: Page, testId: string): Promise<void> {
  const samples = await waitForPaint(page, testId, 30_000);
  assert.ok(samples > 50, `${testId} drew under the policy (${samples} painted samples)`);
}

describe('pages under the Content Security Policy, in Chromium', { skip: chromiumSkip }, () => {
  it('runs the dashboard, Clicks, Commerce, clicker, analytics and docs pages with no violation and no console error', async () => {
    const data = tempDir();
    const profile = tempDir('chromium-profile-');
    const up = spawn(process.execPath, [BIN, 'up', '--rate', '300', '--port', '0', '--data-dir', data.dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, STREAMREC_SSE_HEARTBEAT_MS: '1000' },
    });
    let stderr = '';
    up.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((res) => up.on('exit', (code) => res(code)));
    const context = await launchChromium(profile.dir, undefined, { bypassCSP: false });
    const problems: string[] = [];
    try {
      await waitFor(() => /dashboard at http:\/\/localhost:\d+/.test(stderr), 60_000, 'the dashboard URL');
      const url = /dashboard at (http:\/\/localhost:\d+)/.exec(stderr)![1]!;

      const dashboard = context.pages()[0] ?? (await context.newPage());
      await watch(dashboard, 'dashboard', problems);
      const res = await dashboard.goto(url);
      assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/, 'the page is served under the policy');
      await until(dashboard, `${textOf('connection-status')} === 'live'`, 'the dashboard live');
      await until(dashboard, `/\\d/.test(${textOf('kpi-window-count')})`, 'a KPI number');
      for (const id of ['chart-top', 'chart-throughput']) await painted(dashboard, id);

      for (const name of ['clicks', 'commerce']) {
        const page = await context.newPage();
        await watch(page, name, problems);
        await page.goto(`${url}/${name}.html`);
        await until(page, `${textOf('connection-status')} === 'live'`, `the ${name} page live`);
      }
      const clicker = await context.newPage();
      await watch(clicker, 'clicker', problems);
      await clicker.goto(`${url}/clicker`);
      await until(clicker, `${textOf('count-cheers')} === '0'`, 'the clicker ready');
      await clicker.getByTestId('click-cheers').click();
      await until(clicker, `${textOf('count-cheers')} === '1'`, 'a click acknowledged');

      const analytics = await context.newPage();
      // No analytics run in this data dir: its API answers 404 and the page shows its empty state.
      await watch(analytics, 'analytics', problems, '/analytics/');
      await analytics.goto(`${url}/analytics.html`);
      await until(analytics, `document.querySelector('[data-testid="analytics-empty"]')?.hidden === false`, 'the analytics empty state');

      const docs = await context.newPage();
      await watch(docs, 'docs', problems);
      await docs.goto(`${url}/docs/`);
      await until(docs, `(document.querySelector('.swagger-ui .info .title')?.textContent ?? '').includes('streamrec API')`, 'the docs title');
      await until(docs, `document.querySelectorAll('.swagger-ui .opblock').length > 10`, 'the operations listed');

      assert.deepEqual(problems, [], 'no violation, no console or page error');
    } finally {
      await context.close();
      up.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
      data.cleanup();
      profile.cleanup();
    }
  });
});
