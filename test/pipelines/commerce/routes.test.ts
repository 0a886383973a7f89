/**
 * The commerce routes on a real server on 127.0.0.1: events written to their topics (as the relay
 * would), the real processor, and `/commerce/*` checked against the
 * window results in `commerce.windows`; the SSE stream's snapshot and summary events; the health
 * route with PostgreSQL and Redis not configured; the OpenAPI tags.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runPipeline } from '../../../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import type { EventLog } from '../../../src/log/types.js';
import type {
  CommerceCategories, CommerceEvent, CommerceHistory, CommerceOrders, CommerceServicesHealth, CommerceStreamSnapshot, CommerceStreamSummary, CommerceSummary,
} from '../../../src/pipelines/commerce/commerce-contract.js';
import { COMMERCE_WINDOWS_TOPIC } from '../../../src/pipelines/commerce/commerce-events.js';
import { commerceResultSchema, type CommerceResult } from '../../../src/pipelines/commerce/commerce-pipeline.js';
import { openPipeline } from '../../../src/pipelines/registry.js';
import type { StreamrecServer } from '../../../src/server/app.js';
import { sseConnect, waitFor } from '../../helpers/sse-client.js';
import { startTestServer } from '../../helpers/test-server.js';
import { tempDir } from '../../helpers/tmp.js';
import { commerceFixture, writeCommerceEvents } from './fixture.js';

describe('the commerce routes', () => {
  let dir: string;
  let cleanup: () => void;
  let log: EventLog;
  let server: StreamrecServer;
  let base: string;
  const saved = { pg: process.env.STREAMREC_POSTGRES_URL, redis: process.env.STREAMREC_REDIS_URL };

  before(async () => {
    delete process.env.STREAMREC_POSTGRES_URL;
    delete process.env.STREAMREC_REDIS_URL;
    ({ dir, cleanup } = tempDir());
    log = openEmbeddedLog({ dataDir: dir });
    ({ server, base } = await startTestServer({ log, healthEveryMs: 200, recommend: false }));
  });
  after(async () => {
    await server.close();
    await log.close();
    cleanup();
    if (saved.pg !== undefined) process.env.STREAMREC_POSTGRES_URL = saved.pg;
    if (saved.redis !== undefined) process.env.STREAMREC_REDIS_URL = saved.redis;
  });

  it('answers 404 before any result, then the windows, categories, orders and stream the results give', async () => {
    const before = await fetch(`${base}/commerce/summary`);
    assert.equal(before.status, 404);
    assert.match(((await before.json()) as { message: string }).message, /no commerce results yet/);
    const sse = sseConnect(`${base}/commerce/stream`);
    await waitFor(() => sse.events.length > 0, 5000, 'the snapshot');
    assert.equal(sse.events[0]!.event, 'snapshot');
    assert.deepEqual(JSON.parse(sse.events[0]!.data), { summary: null, history: [], orders: [] });

    const start = Math.floor((Date.now() - 1800_000) / 30_000) * 30_000;
    const events = commerceFixture({ seed: 21, n: 1500, start, stepMs: 100 });
    await writeCommerceEvents(log, events, 2);
    const pipeline = await openPipeline('commerce', { dataDir: dir, log, idleTimeoutMs: 300 });
    await runPipeline(pipeline.spec, { log, exitWhenIdle: true });

    const consumer = log.consumer({ group: 'read', topics: [COMMERCE_WINDOWS_TOPIC], from: 'earliest' });
    const results: CommerceResult[] = [];
    for (let b = await consumer.poll({ maxRecords: 10_000 }); b.length > 0; b = await consumer.poll({ maxRecords: 10_000 })) {
      results.push(...b.map((r) => commerceResultSchema.parse(JSON.parse(r.value as string))));
    }
    await consumer.close();
    const finals = results.filter((r) => r.final).sort((a, b) => (a.window_start < b.window_start ? -1 : 1));
    const latest = finals.at(-1)!;

    let summary: CommerceSummary | null = null;
    await waitFor(() => {
      void fetch(`${base}/commerce/summary`).then(async (r) => { if (r.status === 200) summary = (await r.json()) as CommerceSummary; });
      return summary !== null && summary.window_start === latest.window_start && summary.final;
    }, 10_000, 'the summary of the latest window');
    const s = summary!;
    assert.equal(s.figures.transactions, latest.transactions);
    assert.equal(s.figures.revenue, latest.revenue);
    assert.deepEqual(s.figures.categories, latest.categories);
    assert.deepEqual(s.figures.cart, latest.cart);
    assert.equal(s.totals.transactions, events.filter((e) => e.topic === 'transactions').length, 'no late events here: the totals are every transaction');
    assert.equal(s.totals.revenue, finals.reduce((c, f) => c + Math.round(f.revenue * 100), 0) / 100);

    const history = (await (await fetch(`${base}/commerce/history?limit=5`)).json()) as CommerceHistory;
    assert.deepEqual(history.items.map((w) => w.window_start), finals.slice(-5).map((f) => f.window_start), 'the last 5 windows, newest last');
    assert.deepEqual(history.items.at(-1)!.top_searches, latest.top_searches);
    assert.equal((await fetch(`${base}/commerce/history?limit=0`)).status, 400);

    const categories = (await (await fetch(`${base}/commerce/categories`)).json()) as CommerceCategories;
    assert.equal(categories.window_start, latest.window_start);
    assert.deepEqual(categories.categories.map((c) => c.category).sort(), Object.keys(latest.categories).sort());
    assert.ok(categories.categories.every((c, i) => i === 0 || categories.categories[i - 1]!.revenue >= c.revenue), 'by revenue');

    const tx = events.filter((e): e is Extract<CommerceEvent, { topic: 'transactions' }> => e.topic === 'transactions');
    const newest = [...tx].sort((a, b) => b.timestamp - a.timestamp || b.transaction_id - a.transaction_id).slice(0, 7);
    let orders: CommerceOrders = { orders: [] };
    await waitFor(() => {
      void fetch(`${base}/commerce/orders?limit=7`).then(async (r) => (orders = (await r.json()) as CommerceOrders));
      return orders.orders.length === 7 && orders.orders[0]!.transaction_id === newest[0]!.transaction_id;
    }, 5000, 'the seven newest orders');
    assert.deepEqual(orders.orders, newest.map((t) => ({ transaction_id: t.transaction_id, customer_id: t.customer_id, total: t.total, items_count: t.items_count, timestamp: new Date(t.timestamp).toISOString() })));

    await waitFor(() => sse.events.some((e) => e.event === 'summary' && (JSON.parse(e.data) as CommerceStreamSummary).window_start === latest.window_start
      && (JSON.parse(e.data) as CommerceStreamSummary).final), 5000, 'a summary event of the latest window');
    const last = JSON.parse(sse.events.filter((e) => e.event === 'summary').at(-1)!.data) as CommerceStreamSummary;
    assert.equal(last.figures.revenue, latest.revenue);
    assert.ok(last.orders.length === 10 && last.orders[0]!.transaction_id === newest[0]!.transaction_id);
    assert.ok(sse.events.every((e) => e.id !== null));
    sse.close();
    const again = sseConnect(`${base}/commerce/stream`);
    await waitFor(() => again.events.length > 0, 5000, 'a second snapshot');
    const snap = JSON.parse(again.events[0]!.data) as CommerceStreamSnapshot;
    assert.equal(snap.summary!.window_start, latest.window_start);
    assert.equal(snap.history.length, Math.min(20, finals.length));
    assert.equal(snap.orders.length, 10);
    again.close();
  });

  it('says PostgreSQL and Redis are not configured, and documents the routes under the commerce tag', async () => {
    const health = (await (await fetch(`${base}/commerce/health`)).json()) as CommerceServicesHealth & { status: string; events_processed: number };
    assert.equal(health.postgres, 'not configured');
    assert.equal(health.redis, 'not configured');
    assert.equal(health.warehouse, 'lake');
    assert.ok(['ok', 'idle', 'no_data'].includes(health.status));
    const spec = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[] }>> };
    for (const path of ['/commerce/summary', '/commerce/history', '/commerce/categories', '/commerce/orders', '/commerce/stream', '/commerce/health']) {
      assert.deepEqual(spec.paths[path]?.get?.tags, ['commerce'], path);
    }
  });
});
