/**
 * The dashboard in a real browser: Debian's Chromium, driven by playwright-core, against a real
 * `streamrec up`. Saves a screenshot to test-artifacts/.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { openBrowserSession, textOf, watchPage } from '../helpers/browser.js';
import { chromiumSkip, waitForPaint } from '../helpers/chromium.js';
import { cli as streamrec } from '../helpers/streamrec-cli.js';

const ARTIFACTS = resolve(process.cwd(), 'test-artifacts');
const CHARTS = ['chart-top', 'chart-genre-share', 'chart-genre-avg', 'chart-throughput', 'chart-quality'];

describe('dashboard in Chromium', { skip: chromiumSkip }, () => {
  it('shows live numbers from a running `streamrec up`, renders every chart, and has no page errors', async () => {
    const session = await openBrowserSession(['up', '--rate', '300'], { env: { STREAMREC_SSE_HEARTBEAT_MS: '1000' } });
    try {
      const pageErrors: string[] = [];
      const page = await watchPage(session.page, pageErrors, { consoleErrors: false });
      await page.goto(session.url);

      await page.waitForSelector('[data-testid="connection-status"]:has-text("live")', { timeout: 15_000 });
      const kpi = page.getByTestId('kpi-window-count');
      // Page-side code is passed as expressions: this file is compiled without the DOM's types.
      const kpiText = textOf('kpi-window-count');
      await page.waitForFunction(`/\\d/.test(${kpiText})`, undefined, { timeout: 15_000 });
      const first = (await kpi.textContent())!.trim();
      // Numbers move live: the current window's count changes as ratings arrive.
      await page.waitForFunction(`${kpiText} !== ${JSON.stringify(first)}`, undefined, { timeout: 15_000 });
      for (const id of ['kpi-total', 'kpi-avg', 'kpi-p50', 'kpi-p95', 'kpi-rate']) assert.match((await page.getByTestId(id).textContent())!, /\d/, id);

      // Every chart drew on its canvas (some non-transparent pixels).
      for (const id of CHARTS) {
        const drawn = await waitForPaint(page, id);
        assert.ok(drawn > 50, `${id} rendered (${drawn} painted samples)`);
      }
      assert.ok((await page.locator('[data-testid="table-top"] tbody tr').count()) >= 5, 'top table has rows');
      assert.ok((await page.locator('[data-testid="table-genres"] tbody tr').count()) >= 3, 'genre table has rows');
      assert.match((await page.getByTestId('health').textContent())!, /lag/i);

      // The seeds' browser client, as their document writes it: unnamed messages reach onmessage.
      const seen = (await page.evaluate(`new Promise((done) => {
        const types = new Set();
        const es = new EventSource('/metrics/stream');
        es.onmessage = (event) => {
          types.add(JSON.parse(event.data).type);
          if (['summary', 'topn', 'genres', 'heartbeat'].every((t) => types.has(t))) { es.close(); done([...types].sort()); }
        };
        setTimeout(() => { es.close(); done([...types].sort()); }, 10000);
      })`)) as string[];
      assert.deepEqual(seen, ['genres', 'heartbeat', 'summary', 'topn'], 'EventSource.onmessage got every message type');

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: resolve(ARTIFACTS, 'dashboard-e2e.png'), fullPage: true });
      assert.deepEqual(pageErrors, [], 'no errors in the page');
    } finally {
      assert.equal(await session.close(), 0, session.server.stderr());
    }
  });

  it('shows the batch analytics page over real pipeline output', async () => {
    const session = await openBrowserSession(['serve'], {
      prepare: async (dataDir) => {
        const cli = async (...args: string[]) => {
          const r = await streamrec([...args, '--data-dir', dataDir]);
          assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
        };
        await cli('generate', 'ratings', '--rate', 'max', '--count', '30000', '--from', '2025-11-01T00:00:00Z', '--span', '2d', '--seed', '4');
        await cli('process', '--exit-when-idle', '--idle-timeout', '200ms');
        await cli('analytics');
      },
    });
    try {
      const pageErrors: string[] = [];
      const page = await watchPage(session.page, pageErrors, { consoleErrors: false });
      await page.goto(`${session.url}/analytics.html`);
      await page.waitForSelector('[data-testid="analytics-topn-table"] tbody tr', { timeout: 15_000 });
      const painted = await waitForPaint(page, 'analytics-histogram');
      assert.ok(painted > 50, `histogram rendered (${painted})`);
      assert.match((await page.getByTestId('analytics-stats').textContent())!, /30,000/);
      assert.ok((await page.locator('[data-testid="analytics-topn-table"] tbody tr').count()) >= 10);
      assert.ok(await page.getByTestId('analytics-trending-table').isVisible());
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: resolve(ARTIFACTS, 'analytics-e2e.png'), fullPage: true });
      assert.deepEqual(pageErrors, [], 'no errors in the page');
    } finally {
      assert.equal(await session.close(), 0, session.server.stderr());
    }
  });
});
