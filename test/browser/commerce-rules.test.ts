/**
 * The Commerce page's pure rules (web/src/commerce-state.ts), in Node: esbuild bundles the module
 * to a temporary file (the web code is not part of the Node build), as clicks-rules.test.ts does.
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import type { CommerceSummary, CommerceWindowFigures, RecentOrder } from '../../src/pipelines/commerce/commerce-contract.js';
import { tempDir } from '../helpers/tmp.js';

const WEB_SRC = resolve(import.meta.dirname, '../../../web/src');

/* The module's shapes, as far as the tests use them (importing its types would pull web/src into the Node build). */
interface WindowPoint { start: number; end: number; final: boolean; figures: CommerceWindowFigures }
interface State {
  summary: CommerceSummary | null;
  windows: Map<number, WindowPoint>;
  orders: RecentOrder[];
  fresh: Set<number>;
  hasData: boolean;
  version: number;
}
interface Rules {
  CHART_WINDOWS: number;
  MAX_ORDERS: number;
  initialCommerceState(): State;
  applySummary(s: State, v: unknown, now?: number): boolean;
  applyHistory(s: State, v: unknown, now?: number): boolean;
  applyOrders(s: State, v: unknown, now?: number): boolean;
  applySnapshot(s: State, v: unknown, now?: number): boolean;
  toWindow(x: unknown): WindowPoint | null;
  commerceKpis(s: State): {
    revenue: number | null; orders: number | null; aov: number | null; customers: number | null; conversion: number | null;
    cart: { adds: number; removes: number } | null; totalRevenue: number | null; totalOrders: number | null; totalAov: number | null;
    window: { start: number; end: number; final: boolean } | null;
  };
  revenueBars(s: State): { start: number; end: number; revenue: number; orders: number; known: boolean; final: boolean }[];
  categoryRows(s: State): { category: string; units: number; revenue: number; share: number }[];
  behaviorRows(s: State): { action: string; label: string; count: number }[];
  topSearches(s: State, n?: number): { query: string; count: number }[];
  fmtMoney(n: number | null | undefined): string;
  fmtConversion(n: number | null | undefined): string;
  fmtMoneyShort(n: number): string;
}

let rules: Rules;
const tmp = tempDir('streamrec-commerce-rules-');

before(async () => {
  const out = await esbuild.build({ entryPoints: [join(WEB_SRC, 'commerce-state.ts')], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent' });
  const file = join(tmp.dir, 'commerce-state.mjs');
  writeFileSync(file, out.outputFiles[0]!.text);
  rules = (await import(pathToFileURL(file).href)) as Rules;
});
after(() => tmp.cleanup());

const T0 = Date.parse('2026-01-01T12:00:00Z');
const W = 30_000;
const iso = (ms: number) => new Date(ms).toISOString();

function figures(over: Partial<CommerceWindowFigures> = {}): CommerceWindowFigures {
  return {
    transactions: 4,
    revenue: 200,
    avg_order_value: 50,
    distinct_customers: 7,
    categories: { Books: { units: 3, revenue: 60 }, Electronics: { units: 1, revenue: 140 } },
    behaviors: { page_view: 10, add_to_cart: 5, search: 2, wishlist: 1 },
    top_searches: [{ query: 'lamp', count: 2 }, { query: 'desk', count: 2 }, { query: 'mug', count: 3 }],
    cart: { adds: 5, removes: 1, conversion: 0.8 },
    ...over,
  };
}

function summary(start: number, over: Partial<CommerceSummary> = {}, fig: Partial<CommerceWindowFigures> = {}): CommerceSummary {
  return {
    window_start: iso(start),
    window_end: iso(start + W),
    final: false,
    figures: figures(fig),
    totals: { transactions: 40, revenue: 2_000 },
    updated_at: iso(start + 10_000),
    ...over,
  };
}

const order = (id: number, at: number, total = 10): RecentOrder => ({ transaction_id: id, customer_id: 100 + id, total, items_count: 2, timestamp: iso(at) });

describe('Commerce page rules', () => {
  it('reads the KPIs from the latest window and the totals', () => {
    const s = rules.initialCommerceState();
    assert.deepEqual(rules.commerceKpis(s).revenue, null);
    assert.equal(rules.applySummary(s, summary(T0)), true);
    const k = rules.commerceKpis(s);
    assert.deepEqual(
      [k.revenue, k.orders, k.aov, k.customers, k.conversion, k.totalRevenue, k.totalOrders, k.totalAov],
      [200, 4, 50, 7, 0.8, 2_000, 40, 50],
    );
    assert.deepEqual(k.cart, { adds: 5, removes: 1 });
    assert.deepEqual(k.window, { start: T0, end: T0 + W, final: false });
    assert.equal(s.hasData, true);
  });

  it('fills in what the wire may leave out (AOV, conversion, maps) and skips malformed events', () => {
    const s = rules.initialCommerceState();
    const bare = { ...summary(T0), figures: { transactions: 2, revenue: 30, cart: { adds: 4, removes: 0 } } };
    assert.equal(rules.applySummary(s, bare), true);
    const k = rules.commerceKpis(s);
    assert.equal(k.aov, 15);
    assert.equal(k.conversion, 0.5);
    assert.deepEqual(rules.categoryRows(s), []);
    const version = s.version;
    for (const bad of [null, 'x', {}, { ...summary(T0), window_start: 'soon' }, { ...summary(T0), totals: null }, { ...summary(T0), figures: { revenue: 1 } }]) {
      assert.equal(rules.applySummary(s, bad), false);
    }
    assert.equal(s.version, version);
    // A window without transactions has no AOV and, without adds, no conversion.
    const empty = rules.toWindow({ window_start: iso(T0), window_end: iso(T0 + W), transactions: 0, revenue: 0 });
    assert.equal(empty?.figures.avg_order_value, null);
    assert.equal(empty?.figures.cart.conversion, null);
  });

  it('never goes back to an older summary (a late GET answer), nor undoes a final window', () => {
    const s = rules.initialCommerceState();
    rules.applySummary(s, summary(T0 + W));
    assert.equal(rules.applySummary(s, summary(T0)), false);
    assert.equal(rules.commerceKpis(s).window?.start, T0 + W);
    assert.equal(rules.applySummary(s, summary(T0 + W, { updated_at: iso(T0 + W + 5_000) }, { revenue: 1 })), false, 'same window, older update');
    assert.equal(rules.applySummary(s, summary(T0 + W, { updated_at: iso(T0 + W + 20_000) }, { revenue: 260 })), true);
    assert.equal(rules.commerceKpis(s).revenue, 260);
    rules.applySummary(s, summary(T0 + W, { final: true, updated_at: iso(T0 + W + 41_000) }, { revenue: 270 }));
    assert.equal(rules.applySummary(s, summary(T0 + W, { final: false, updated_at: iso(T0 + W + 42_000) }, { revenue: 1 })), false);
    // History may carry an open version of a window already final: the final one stays.
    rules.applyHistory(s, [{ ...summary(T0 + W).figures, window_start: iso(T0 + W), window_end: iso(T0 + 2 * W), final: false, revenue: 5 }]);
    assert.equal(s.windows.get(T0 + W)?.figures.revenue, 270);
  });

  it('plots revenue per window: gaps are zero bars, at most CHART_WINDOWS, the open window marked', () => {
    const s = rules.initialCommerceState();
    assert.deepEqual(rules.revenueBars(s), []);
    // History as result records (envelope + figures flat) and as {figures}, in any order, as {items} too.
    rules.applyHistory(s, { items: [
      { window_start: iso(T0 + 2 * W), window_end: iso(T0 + 3 * W), final: true, count: 9, ...figures({ revenue: 30, transactions: 1 }) },
      { window_start: iso(T0), window_end: iso(T0 + W), final: true, figures: figures({ revenue: 10, transactions: 2 }) },
    ] });
    rules.applySummary(s, summary(T0 + 3 * W, {}, { revenue: 40, transactions: 3 }));
    const bars = rules.revenueBars(s);
    assert.deepEqual(bars.map((b) => [(b.start - T0) / W, b.revenue, b.orders, b.known, b.final]), [
      [0, 10, 2, true, true],
      [1, 0, 0, false, true],
      [2, 30, 1, true, true],
      [3, 40, 3, true, false],
    ]);
    for (let i = 4; i < 40; i++) rules.applySummary(s, summary(T0 + i * W, {}, { revenue: i }));
    const many = rules.revenueBars(s);
    assert.equal(many.length, rules.CHART_WINDOWS);
    assert.equal(many[many.length - 1]!.start, T0 + 39 * W);
    assert.equal(many[many.length - 1]!.revenue, 39);
  });

  it('ranks categories by revenue with their share, behaviours in the known order then others, searches by count then query', () => {
    const s = rules.initialCommerceState();
    rules.applySummary(s, summary(T0));
    assert.deepEqual(rules.categoryRows(s), [
      { category: 'Electronics', units: 1, revenue: 140, share: 0.7 },
      { category: 'Books', units: 3, revenue: 60, share: 0.3 },
    ]);
    assert.deepEqual(rules.behaviorRows(s).map((r) => [r.label, r.count]), [
      ['Page views', 10], ['Product views', 0], ['Add to cart', 5], ['Remove from cart', 0], ['Searches', 2], ['Wishlist', 1],
    ]);
    assert.deepEqual(rules.topSearches(s), [{ query: 'mug', count: 3 }, { query: 'desk', count: 2 }, { query: 'lamp', count: 2 }]);
    assert.deepEqual(rules.topSearches(s, 1), [{ query: 'mug', count: 3 }]);
  });

  it('merges orders by transaction id, newest first, at most MAX_ORDERS, marking the ones that came later', () => {
    const s = rules.initialCommerceState();
    // `GET /commerce/orders` answers {orders}; a malformed row is skipped.
    rules.applyOrders(s, { orders: [order(1, T0), order(2, T0 + 1_000), { transaction_id: 'x' }] });
    assert.deepEqual(s.orders.map((o) => o.transaction_id), [2, 1]);
    assert.equal(s.fresh.size, 0, 'the first orders are not "new"');
    // A summary event may carry orders; a repeated one is replaced, not doubled.
    rules.applySummary(s, { ...summary(T0), orders: [order(3, T0 + 2_000), order(2, T0 + 1_000, 99)] });
    assert.deepEqual(s.orders.map((o) => [o.transaction_id, o.total]), [[3, 10], [2, 99], [1, 10]]);
    assert.deepEqual([...s.fresh], [3]);
    const many = Array.from({ length: 30 }, (_, i) => order(10 + i, T0 + 10_000 + i));
    rules.applyOrders(s, [order(3, T0 + 2_000), ...many]);
    assert.equal(s.orders.length, rules.MAX_ORDERS);
    assert.equal(s.orders[0]!.transaction_id, 39);
    assert.ok(!s.fresh.has(3), 'an order that left the table is forgotten');
  });

  it('starts the orders again from a batch that shares none with the table (orders were missed in between)', () => {
    const s = rules.initialCommerceState();
    rules.applyOrders(s, [order(2, T0 + 1_000), order(1, T0)]);
    rules.applySnapshot(s, { ...summary(T0), orders: [order(9, T0 + 9_000), order(8, T0 + 8_000)] });
    assert.deepEqual(s.orders.map((o) => o.transaction_id), [9, 8], 'no rows from before the gap');
    // An overlapping batch extends the table.
    rules.applySnapshot(s, { ...summary(T0), orders: [order(10, T0 + 10_000), order(9, T0 + 9_000)] });
    assert.deepEqual(s.orders.map((o) => o.transaction_id), [10, 9, 8]);
    // An older batch (the initial GET answering late) is merged, not a restart.
    rules.applyOrders(s, { orders: [order(7, T0 + 7_000), order(6, T0 + 6_000)] });
    assert.deepEqual(s.orders.map((o) => o.transaction_id), [10, 9, 8, 7, 6]);
  });

  it('takes a CommerceStreamSnapshot (snapshot and summary events), or a bare summary; an empty snapshot still means connected', () => {
    const s = rules.initialCommerceState();
    rules.applySnapshot(s, { summary: summary(T0 + W), history: [summary(T0)], orders: [order(1, T0)] });
    assert.deepEqual([...s.windows.keys()].sort(), [T0, T0 + W]);
    assert.equal(s.orders.length, 1);
    assert.equal(rules.commerceKpis(s).window?.start, T0 + W);

    // The `summary` event: a CommerceStreamSummary (the summary with the newest orders).
    rules.applySnapshot(s, { ...summary(T0 + 2 * W, {}, { revenue: 75 }), orders: [order(2, T0 + 61_000)] });
    assert.equal(rules.commerceKpis(s).revenue, 75);
    assert.deepEqual([...s.windows.keys()].sort(), [T0, T0 + W, T0 + 2 * W]);
    assert.deepEqual(s.orders.map((o) => o.transaction_id), [2], 'a batch sharing no order with the table starts it again');

    const bare = rules.initialCommerceState();
    rules.applySnapshot(bare, summary(T0));
    assert.equal(rules.commerceKpis(bare).revenue, 200);

    const none = rules.initialCommerceState();
    rules.applySnapshot(none, { summary: null, history: [], orders: [] });
    assert.equal(none.hasData, true);
    assert.equal(none.summary, null);
  });

  it('formats amounts', () => {
    assert.equal(rules.fmtMoney(1234.5), '1,234.50');
    assert.equal(rules.fmtMoney(null), '—');
    assert.equal(rules.fmtMoneyShort(950), '950');
    assert.equal(rules.fmtMoneyShort(12_500), '12.5k');
    assert.equal(rules.fmtMoneyShort(2_000_000), '2M');
    assert.equal(rules.fmtConversion(0.454), '0.45');
    assert.equal(rules.fmtConversion(18.044), '18.04');
    assert.equal(rules.fmtConversion(null), '—');
  });
});
