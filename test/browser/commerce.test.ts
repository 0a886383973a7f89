/**
 * The Commerce page in a real browser: Debian's Chromium, driven by playwright-core, against a
 * real `streamrec up` (the embedded shop generator, the outbox relay and the commerce pipeline).
 * The page is opened from the dashboard's navigation and must show the shop live over
 * `/commerce/stream`: KPIs that move as the generator writes, painted charts, the orders table
 * filling with new orders, no page or console errors. Saves screenshots (desktop and phone width)
 * to test-artifacts/.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openBrowserSession, textOf, waitUntil as waitUntilShowing, watchPage } from '../helpers/browser.js';
import { chromiumSkip, waitForPaint } from '../helpers/chromium.js';

const ARTIFACTS = resolve(process.cwd(), 'test-artifacts');
const CHARTS = ['chart-revenue', 'chart-categories', 'chart-behaviors'];
const KPIS = ['kpi-revenue', 'kpi-orders', 'kpi-aov', 'kpi-customers'];

/** The transaction ids in the orders table, newest first, as a page-side expression. */
const ORDER_IDS = `[...document.querySelectorAll('[data-testid="table-orders"] tbody tr[data-order]')].map((r) => r.getAttribute('data-order'))`;

/** Waits until a page-side expression is true; fails with `what` and what the page showed. */
const waitUntil = (page: Page, expression: string, what: string, timeout = 20_000): Promise<void> =>
  waitUntilShowing(page, expression, what, timeout, `({ ${KPIS.map((id) => `'${id}': ${textOf(id)}`).join(', ')}, connection: ${textOf('connection-status')}, orders: ${ORDER_IDS}.length })`);

const kpiTexts = (page: Page): Promise<Record<string, string>> =>
  page.evaluate(`({ ${KPIS.map((id) => `'${id}': ${textOf(id)}`).join(', ')} })`) as Promise<Record<string, string>>;

describe('Commerce page in Chromium', { skip: chromiumSkip }, () => {
  it('opens from the nav and follows the shop live: KPIs move, charts paint, orders arrive, no errors', async () => {
    const session = await openBrowserSession(['up'], { env: { STREAMREC_SSE_HEARTBEAT_MS: '1000' } });
    const { url } = session;
    try {
      const problems: string[] = [];
      const page = await watchPage(session.page, problems);

      // ---- from the dashboard's navigation ----
      await page.goto(url);
      await page.getByTestId('nav-commerce').click();
      await page.waitForURL(/\/commerce\.html$/);
      assert.equal(await page.getByTestId('nav-commerce').getAttribute('aria-current'), 'page');
      await waitUntil(page, `${textOf('connection-status')} === 'live'`, 'the stream to be live');

      // ---- the KPIs show figures, then move as the generator writes ----
      await waitUntil(page, `/\\d/.test(${textOf('kpi-orders')}) && /\\d/.test(${textOf('kpi-revenue')})`, 'the first window\'s figures', 60_000);
      const first = await kpiTexts(page);
      await waitUntil(page, `${textOf('kpi-orders')} !== ${JSON.stringify(first['kpi-orders'])} || ${textOf('kpi-revenue')} !== ${JSON.stringify(first['kpi-revenue'])}`,
        `the orders or revenue KPI to move from ${JSON.stringify(first)}`, 45_000);
      const moved = await kpiTexts(page);
      // A window just opened may have no orders yet: its AOV is "—" then.
      for (const id of ['kpi-revenue', 'kpi-orders', 'kpi-customers']) assert.match(moved[id]!, /\d/, `${id} shows a figure (${JSON.stringify(moved)})`);
      assert.match(moved['kpi-aov']!, /^(\d[\d,]*\.\d\d|—)$/);
      assert.match(await page.evaluate(textOf('commerce-window')), /^window \d\d:\d\d:\d\d–\d\d:\d\d:\d\d \((open|final)\)$/);

      // ---- the charts are painted ----
      await waitUntil(page, `Number(document.querySelector('[data-testid="chart-revenue"]')?.dataset.revenue ?? 0) > 0`, 'the revenue chart to plot revenue');
      await waitUntil(page, `Number(document.querySelector('[data-testid="chart-categories"]')?.dataset.categories ?? 0) > 0`, 'the category chart to have categories');
      for (const id of CHARTS) {
        const drawn = await waitForPaint(page, id);
        assert.ok(drawn > 50, `${id} is painted (${drawn} painted samples)`);
      }

      // ---- the orders table fills, and new orders arrive over the stream (no reload, no polling) ----
      await waitUntil(page, `${ORDER_IDS}.length >= 3`, 'at least 3 orders in the table', 30_000);
      const seen = (await page.evaluate(ORDER_IDS)) as string[];
      await waitUntil(page, `${ORDER_IDS}.some((id) => !${JSON.stringify(seen)}.includes(id))`, 'a new order in the table', 30_000);
      const rows = (await page.evaluate(`[...document.querySelectorAll('[data-testid="table-orders"] tbody tr[data-order]')].slice(0, 3).map((r) => [...r.cells].map((c) => c.textContent.trim()))`)) as string[][];
      for (const cells of rows) {
        assert.match(cells[0]!, /^#\d+$/, `order id cell: ${JSON.stringify(cells)}`);
        assert.match(cells[1]!, /^\d\d:\d\d:\d\d$/, `time cell: ${JSON.stringify(cells)}`);
        assert.match(cells[4]!, /^\d[\d,]*\.\d\d$/, `total cell: ${JSON.stringify(cells)}`);
      }

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: resolve(ARTIFACTS, 'commerce-e2e.png'), fullPage: true });

      // ---- a phone's width: the same page, laid out in one column ----
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(800);
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      assert.ok(overflow <= 1, `no sideways scrolling at 390 px (${overflow} px too wide)`);
      for (const id of CHARTS) assert.ok((await waitForPaint(page, id)) > 50, `${id} is painted at a phone's width`);
      await page.screenshot({ path: resolve(ARTIFACTS, 'commerce-e2e-phone.png'), fullPage: true });

      assert.deepEqual(problems, [], 'no errors in the page');
      assert.equal(await session.server.stop(), 0, session.server.stderr());
    } finally {
      await session.close();
    }
  });
});
