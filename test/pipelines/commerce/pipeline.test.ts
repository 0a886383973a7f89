/**
 * The commerce pipeline against a brute-force computation over the raw events: events written
 * straight to their five topics (two partitions each, some out of order, some late), the real
 * processor merging them, and every final 30-second window compared field by field; the late
 * events are in their topics' `<topic>.late` and counted; the lake's commerce_raw and
 * commerce_agg hold them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHECKPOINT_NAMESPACE, CheckpointMismatchError } from '../../../src/engine/checkpoint.js';
import { runPipeline } from '../../../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import type { EventLog, LogRecord } from '../../../src/log/types.js';
import { lateTopic } from '../../../src/engine/pipeline.js';
import { COMMERCE_TOPICS, type CommerceEvent, type CommerceWindowFigures } from '../../../src/pipelines/commerce/commerce-contract.js';
import { COMMERCE_WINDOWS_TOPIC, commerceSourceCodecs } from '../../../src/pipelines/commerce/commerce-events.js';
import { commerceResultSchema, type CommerceResult } from '../../../src/pipelines/commerce/commerce-pipeline.js';
import { openPipeline, openPipelinesLake } from '../../../src/pipelines/registry.js';
import { tempDir } from '../../helpers/tmp.js';
import { commerceFixture, writeCommerceEvents } from './fixture.js';

async function readAll(log: EventLog, ...topics: string[]): Promise<LogRecord[]> {
  const consumer = log.consumer({ group: `read-${topics.join(',')}-${Math.random()}`, topics, from: 'earliest' });
  const out: LogRecord[] = [];
  for (;;) {
    const batch = await consumer.poll({ maxRecords: 10_000 });
    if (batch.length === 0) break;
    out.push(...batch);
  }
  await consumer.close();
  return out;
}

/** The figures of one window, computed the obvious way. */
function bruteForce(events: CommerceEvent[]): CommerceWindowFigures & { count: number } {
  const tx = events.filter((e) => e.topic === 'transactions');
  const cents = tx.reduce((s, e) => s + Math.round(e.total * 100), 0);
  const categories: Record<string, { units: number; cents: number }> = {};
  for (const e of events) {
    if (e.topic !== 'transaction_items') continue;
    const c = (categories[e.category] ??= { units: 0, cents: 0 });
    c.units += e.quantity;
    c.cents += Math.round(e.line_total * 100);
  }
  const behaviors: Record<string, number> = {};
  for (const e of events) if (e.topic === 'user_behavior') behaviors[e.action] = (behaviors[e.action] ?? 0) + 1;
  const searches = new Map<string, number>();
  for (const e of events) if (e.topic === 'searches') searches.set(e.query.trim().toLowerCase(), (searches.get(e.query.trim().toLowerCase()) ?? 0) + 1);
  const adds = events.filter((e) => e.topic === 'cart_events' && e.action === 'add').length;
  const removes = events.filter((e) => e.topic === 'cart_events' && e.action === 'remove').length;
  return {
    count: events.length,
    transactions: tx.length,
    revenue: cents / 100,
    avg_order_value: tx.length === 0 ? null : Math.round(cents / tx.length) / 100,
    distinct_customers: new Set(events.map((e) => e.customer_id)).size,
    categories: Object.fromEntries(Object.keys(categories).sort().map((k) => [k, { units: categories[k]!.units, revenue: categories[k]!.cents / 100 }])),
    behaviors: Object.fromEntries(Object.keys(behaviors).sort().map((k) => [k, behaviors[k]!])),
    top_searches: [...searches].map(([query, count]) => ({ query, count })).sort((a, b) => b.count - a.count || (a.query < b.query ? -1 : 1)).slice(0, 10),
    cart: { adds, removes, conversion: adds === 0 ? null : Math.round((tx.length / adds) * 10_000) / 10_000 },
  };
}

describe('the commerce pipeline', () => {
  let dir: string;
  let cleanup: () => void;
  let log: EventLog;

  before(() => {
    ({ dir, cleanup } = tempDir());
    log = openEmbeddedLog({ dataDir: dir });
  });
  after(async () => {
    await log.close();
    cleanup();
  });

  it('gives each final 30-second window the brute-force figures of its on-time events, and keeps the late ones', async () => {
    const start = Math.floor((Date.now() - 3 * 3600_000) / 30_000) * 30_000;
    const events = commerceFixture({ seed: 13, n: 3000, start, stepMs: 100, lateEvery: 97, lateByMs: 60_000 });
    await writeCommerceEvents(log, events, 2);

    const pipeline = await openPipeline('commerce', { dataDir: dir, log, idleTimeoutMs: 300 });
    const stop = new AbortController();
    const lake = pipeline.startLake(stop.signal);
    const status = await runPipeline(pipeline.spec, { log, exitWhenIdle: true });
    await lake.finish();

    const decode = (r: LogRecord) => commerceSourceCodecs[r.topic as CommerceEvent['topic']].decode(r.value);
    const raw = await readAll(log, ...COMMERCE_TOPICS);
    assert.equal(raw.length, events.length);
    const lateRecords = await readAll(log, ...COMMERCE_TOPICS.map(lateTopic));
    // A late record is in its own topic's `.late`; the headers say where it was read.
    const lateKeys = new Set(lateRecords.map((r) => `${r.topic.replace(/\.late$/, '')}:${r.headers!.source_partition}:${r.headers!.source_offset}`));
    assert.equal(status.late, lateRecords.length);
    // Every event stamped a minute behind is late (a transaction's items with it); nothing else is.
    const expectedLate = raw.filter((r) => {
      const e = decode(r);
      return events.some((x) => x.event_id === e.event_id) && (e.event_id - 1) > 50 && (e.event_id - 1) % 97 === 0;
    });
    assert.ok(expectedLate.length > 20, `late events in the fixture (${expectedLate.length})`);
    assert.deepEqual(new Set(expectedLate.map((r) => `${r.topic}:${r.partition}:${r.offset}`)), lateKeys, 'the late events, exactly, each in its <topic>.late');

    const byWindow = new Map<number, CommerceEvent[]>();
    for (const r of raw) {
      if (lateKeys.has(`${r.topic}:${r.partition}:${r.offset}`)) continue;
      const e = decode(r);
      const w = Math.floor(e.timestamp / 30_000) * 30_000;
      byWindow.set(w, [...(byWindow.get(w) ?? []), e]);
    }
    const results = (await readAll(log, COMMERCE_WINDOWS_TOPIC)).map((r) => commerceResultSchema.parse(JSON.parse(r.value as string)));
    const finals = results.filter((r) => r.final);
    assert.equal(new Set(finals.map((f) => f.window_start)).size, finals.length, 'one final per window');
    assert.deepEqual(finals.map((f) => Date.parse(f.window_start)).sort((a, b) => a - b), [...byWindow.keys()].sort((a, b) => a - b));
    const figures = (r: CommerceResult) => ({
      count: r.count, transactions: r.transactions, revenue: r.revenue, avg_order_value: r.avg_order_value, distinct_customers: r.distinct_customers,
      categories: r.categories, behaviors: r.behaviors, top_searches: r.top_searches, cart: r.cart,
    });
    for (const f of finals) {
      assert.deepEqual(figures(f), bruteForce(byWindow.get(Date.parse(f.window_start))!), `window ${f.window_start}`);
      assert.equal(Date.parse(f.window_end) - Date.parse(f.window_start), 30_000);
    }
    assert.equal(finals.reduce((s, f) => s + f.late_events, 0), lateRecords.length, 'every late event attributed to one final');
    assert.ok(finals.some((f) => Object.keys(f.categories).length > 0 && f.top_searches.length > 0 && f.cart.adds > 0));

    // The lake: every event in commerce_raw, every final window in commerce_agg.
    const query = await openPipelinesLake(dir);
    try {
      const [rawRow] = await query.query("SELECT count(*) AS n, count(*) FILTER (WHERE event_type = 'transactions') AS tx FROM commerce_raw");
      assert.equal(Number(rawRow!.n), events.length);
      assert.equal(Number(rawRow!.tx), events.filter((e) => e.topic === 'transactions').length);
      const [agg] = await query.query('SELECT count(*) AS windows, sum(count) AS n, sum(late_events) AS late FROM commerce_agg');
      assert.equal(Number(agg!.windows), finals.length);
      assert.equal(Number(agg!.n) + Number(agg!.late), events.length, 'every event once: in a final window or late');
    } finally {
      query.close();
    }
  });

  it('refuses a checkpoint from when it read the union topic commerce.events, naming the reset', async () => {
    const { dir: other, cleanup: remove } = tempDir();
    const old = openEmbeddedLog({ dataDir: other });
    try {
      await writeCommerceEvents(old, commerceFixture({ seed: 3, n: 50, start: Date.UTC(2026, 0, 1), stepMs: 100 }), 2);
      // What the pipeline stored before it read the five topics.
      const fingerprint = { name: 'commerce', source: 'commerce.events', output: 'commerce.windows', windows: ['commerce_30s:30000/30000'], allowedLatenessMs: 10_000, stateVersion: 1 };
      const tx = old.transaction();
      tx.putState(CHECKPOINT_NAMESPACE, 'commerce', JSON.stringify({ fingerprint, positions: [40, 38, 41, 39], operator: {}, deadLettered: 0, writtenAt: new Date().toISOString() }));
      await tx.commit();
      const pipeline = await openPipeline('commerce', { dataDir: other, log: old, idleTimeoutMs: 300 });
      await assert.rejects(runPipeline(pipeline.spec, { log: old, exitWhenIdle: true }), (err: unknown) => {
        assert.ok(err instanceof CheckpointMismatchError);
        assert.match(err.message, /source was "commerce\.events", is now \["transactions","transaction_items","user_behavior","searches","cart_events"\]/);
        assert.match(err.message, /Run `streamrec reset commerce`/);
        return true;
      });
    } finally {
      await old.close();
      remove();
    }
  });
});
