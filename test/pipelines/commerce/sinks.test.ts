/**
 * The commerce sinks on the real services on 127.0.0.1: the PostgreSQL warehouse holds each event
 * exactly once — also after sinks SIGKILLed mid-batch (between INSERT and COMMIT, and at random
 * moments) and restarted, and with two sinks at once; the Redis keys hold the latest window.
 * Each test uses a schema (PostgreSQL) or a key prefix (Redis) of its own and removes it; a test
 * whose service is absent says so and skips.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { runPipeline } from '../../../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import type { EventLog } from '../../../src/log/types.js';
import { BEHAVIOR_ACTIONS, COMMERCE_TOPICS } from '../../../src/pipelines/commerce/commerce-contract.js';
import { COMMERCE_WINDOWS_TOPIC } from '../../../src/pipelines/commerce/commerce-events.js';
import { commerceResultSchema, type CommerceResult } from '../../../src/pipelines/commerce/commerce-pipeline.js';
import { checkRedis, RedisMetricsWriter } from '../../../src/pipelines/commerce/redis-metrics.js';
import { checkPostgres, WarehouseSink } from '../../../src/pipelines/commerce/warehouse.js';
import { openPipeline } from '../../../src/pipelines/registry.js';
import { waitFor } from '../../helpers/sse-client.js';
import { tempDir } from '../../helpers/tmp.js';
import { commerceFixture, writeCommerceEvents } from './fixture.js';

const PG_URL = process.env.STREAMREC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.STREAMREC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WAREHOUSE_MODULE = pathToFileURL(fileURLToPath(new URL('../../../src/pipelines/commerce/warehouse.js', import.meta.url))).href;
const LOG_MODULE = pathToFileURL(fileURLToPath(new URL('../../../src/log/open-log.js', import.meta.url))).href;

const pgState = await checkPostgres(PG_URL);
const redisState = await checkRedis(REDIS_URL);
if (pgState !== 'ok') console.log(`# PostgreSQL at ${PG_URL} is absent (${pgState}): the warehouse tests skip`);
if (redisState !== 'ok') console.log(`# Redis at ${REDIS_URL} is absent (${redisState}): the Redis test skips`);

/** A child process running the warehouse sink; with killAtBatch n it SIGKILLs itself after the n-th batch's INSERT, before COMMIT. */
function sinkChild(dataDir: string, schema: string, killAtBatch: number) {
  const script = `
    const { WarehouseSink } = await import(${JSON.stringify(WAREHOUSE_MODULE)});
    const { openEmbeddedLog } = await import(${JSON.stringify(LOG_MODULE)});
    const log = openEmbeddedLog({ dataDir: ${JSON.stringify(dataDir)} });
    let batches = 0;
    const sink = new WarehouseSink({ log, url: ${JSON.stringify(PG_URL)}, schema: ${JSON.stringify(schema)}, batchSize: 97,
      beforeCommit: () => { if (++batches === ${killAtBatch}) process.kill(process.pid, 'SIGKILL'); } });
    const n = await sink.runOnce();
    process.stdout.write(JSON.stringify({ read: n, ...sink.stats }) + '\\n');
    await log.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ signal: NodeJS.Signals | null; code: number | null; out: string; err: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  return { child, done };
}

describe('the PostgreSQL warehouse', { skip: pgState !== 'ok' && `PostgreSQL absent: ${pgState}` }, () => {
  let dir: string;
  let cleanup: () => void;
  let log: EventLog;
  let db: pg.Client;
  const schema = `streamrec_test_wh_${process.pid}_${Date.now() % 100_000}`;
  const events = commerceFixture({ seed: 7, n: 1500, start: Date.UTC(2026, 0, 1), stepMs: 250 });

  before(async () => {
    ({ dir, cleanup } = tempDir());
    log = openEmbeddedLog({ dataDir: dir });
    await writeCommerceEvents(log, events, 2);
    db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
  });
  after(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.query(`DROP SCHEMA IF EXISTS "${schema}_two" CASCADE`);
    await db.end();
    await log.close();
    cleanup();
  });

  async function assertExactlyOnce(s: string) {
    const { rows: [row] } = await db.query<{ n: string; distinct_sources: string; distinct_keys: string }>(
      `SELECT count(*) AS n, count(DISTINCT (event_type, source_partition, source_offset)) AS distinct_sources,
              count(DISTINCT (event_type, event_id, payload::text)) AS distinct_keys FROM "${s}".realtime_events`);
    assert.equal(Number(row!.n), events.length, 'one row per event');
    assert.equal(Number(row!.distinct_sources), events.length, 'no record twice');
    assert.equal(Number(row!.distinct_keys), events.length, 'no event twice');
    // Its positions: the end of every partition of the five topics.
    const ends: [string, number, number][] = [];
    for (const topic of [...COMMERCE_TOPICS].sort()) for (const p of (await log.topic(topic))!.partitions) ends.push([topic, p.partition, p.endOffset]);
    const { rows: offsets } = await db.query<{ topic: string; partition: number; next_offset: string }>(
      `SELECT topic, "partition", next_offset FROM "${s}".streamrec_offsets ORDER BY topic COLLATE "C", "partition"`);
    assert.deepEqual(offsets.map((o) => [o.topic, o.partition, Number(o.next_offset)]), ends);
    const { rows: sample } = await db.query<{ event_type: string; payload: Record<string, unknown>; timestamp: Date; processed_at: Date }>(
      `SELECT event_type, payload, "timestamp", processed_at FROM "${s}".realtime_events WHERE event_type = 'transaction_items' LIMIT 1`);
    const item = events.find((e) => e.topic === 'transaction_items' && e.event_id === sample[0]!.payload.event_id && e.product_id === sample[0]!.payload.product_id)!;
    assert.equal(sample[0]!.timestamp.getTime(), item.timestamp);
    assert.ok(sample[0]!.processed_at instanceof Date);
  }

  it('holds each event exactly once after sinks killed mid-batch and at random moments, then restarted', async () => {
    const kills: string[] = [];
    // Killed between INSERT and COMMIT of the 1st, 3rd, 2nd … batch of each run.
    for (const at of [1, 3, 2, 5, 4]) {
      const { done } = sinkChild(dir, schema, at);
      const r = await done;
      assert.equal(r.signal, 'SIGKILL', r.err);
      kills.push(`mid-batch ${at}`);
    }
    const { rows: [afterMidBatch] } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".realtime_events`);
    assert.equal(Number(afterMidBatch!.n), 97 * (0 + 2 + 1 + 4 + 3), 'each run committed the batches before the one it died in, and nothing of that one');
    // Killed from outside at a random moment.
    for (let i = 0; i < 3; i++) {
      const { child, done } = sinkChild(dir, schema, -1);
      await new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * 400));
      child.kill('SIGKILL');
      const r = await done;
      kills.push(r.signal === 'SIGKILL' ? 'random' : `finished first (${r.code})`);
    }
    const { rows: [partial] } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".realtime_events`);
    // (A random kill may come after its run finished on a fast machine: then the restart has less to do.)
    assert.ok(Number(partial!.n) <= events.length, `${partial!.n} rows after ${kills.join(', ')}`);
    // The restart finishes, and the unique key never had to refuse a row: the positions did the work.
    const { done } = sinkChild(dir, schema, -1);
    const last = await done;
    assert.equal(last.code, 0, last.err);
    const stats = JSON.parse(last.out) as { rowsWritten: number; duplicatesSkipped: number };
    assert.equal(stats.duplicatesSkipped, 0);
    assert.equal(stats.rowsWritten, events.length - Number(partial!.n));
    await assertExactlyOnce(schema);
  });

  it('refuses a warehouse filled from the former union topic commerce.events, naming how to rebuild it', async () => {
    const s = `${schema}_old`;
    await db.query(`CREATE SCHEMA "${s}"; CREATE TABLE "${s}".streamrec_offsets ("group" TEXT NOT NULL, topic TEXT NOT NULL, "partition" INTEGER NOT NULL, next_offset BIGINT NOT NULL, PRIMARY KEY ("group", topic, "partition"))`);
    try {
      await db.query(`INSERT INTO "${s}".streamrec_offsets VALUES ('warehouse-commerce', 'commerce.events', 0, 10)`);
      const sink = new WarehouseSink({ log, url: PG_URL, schema: s });
      await assert.rejects(sink.runOnce(), /filled from the former topic commerce\.events.*TRUNCATE "[^"]+"\.realtime_events; DELETE FROM "[^"]+"\.streamrec_offsets WHERE "group" = 'warehouse-commerce'/);
      assert.equal(sink.stats.rowsWritten, 0);
    } finally {
      await db.query(`DROP SCHEMA "${s}" CASCADE`);
    }
  });

  it('lets two sinks of one group run at once without writing a record twice', async () => {
    const a = new WarehouseSink({ log, url: PG_URL, schema: `${schema}_two`, batchSize: 50 });
    const b = new WarehouseSink({ log, url: PG_URL, schema: `${schema}_two`, batchSize: 50 });
    await Promise.all([a.runOnce(), b.runOnce()]);
    assert.equal(a.stats.duplicatesSkipped + b.stats.duplicatesSkipped, 0);
    assert.equal(a.stats.rowsWritten + b.stats.rowsWritten, events.length);
    await assertExactlyOnce(`${schema}_two`);
  });
});

describe('the Redis metrics', { skip: redisState !== 'ok' && `Redis absent: ${redisState}` }, () => {
  let dir: string;
  let cleanup: () => void;
  let log: EventLog;
  let redis: Redis;
  const prefix = `streamrec-test:${process.pid}:${Date.now()}:`;

  before(async () => {
    ({ dir, cleanup } = tempDir());
    log = openEmbeddedLog({ dataDir: dir });
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await log.close();
    cleanup();
  });

  it('holds the latest window\'s figures with a TTL, and a replay writes the same values', async () => {
    const start = Math.floor((Date.now() - 3600_000) / 30_000) * 30_000;
    await writeCommerceEvents(log, commerceFixture({ seed: 5, n: 1200, start, stepMs: 100 }), 2);
    const pipeline = await openPipeline('commerce', { dataDir: dir, log, idleTimeoutMs: 300 });
    await runPipeline(pipeline.spec, { log, exitWhenIdle: true });
    const results: CommerceResult[] = [];
    const consumer = log.consumer({ group: 'read', topics: [COMMERCE_WINDOWS_TOPIC], from: 'earliest' });
    for (let b = await consumer.poll({ maxRecords: 10_000 }); b.length > 0; b = await consumer.poll({ maxRecords: 10_000 })) {
      results.push(...b.map((r) => commerceResultSchema.parse(JSON.parse(r.value as string))));
    }
    await consumer.close();
    const latestStart = results.reduce((m, r) => (r.window_start > m ? r.window_start : m), '');
    const latest = results.filter((r) => r.window_start === latestStart).at(-1)!;
    assert.ok(latest.final && latest.transactions > 0);

    const read = async () => {
      const keys = (await redis.keys(`${prefix}metrics:*`)).sort();
      const values = await Promise.all(keys.map(async (k) => [k.slice(prefix.length), JSON.parse((await redis.get(k))!)] as const));
      return Object.fromEntries(values) as Record<string, Record<string, unknown>>;
    };
    const expected: Record<string, unknown> = {
      'metrics:transactions': { transaction_count: latest.transactions, total_revenue: latest.revenue, avg_order_value: latest.avg_order_value, window_start: latest.window_start, window_end: latest.window_end },
      'metrics:behavior': Object.fromEntries(BEHAVIOR_ACTIONS.map((a) => [a, latest.behaviors[a] ?? 0])),
    };
    for (const [name, c] of Object.entries(latest.categories)) expected[`metrics:products:${name}`] = { product_sales: c.units, category_revenue: c.revenue };

    for (let run = 0; run < 2; run++) {
      const writer = new RedisMetricsWriter({ log, url: REDIS_URL, prefix, ttlSeconds: 600 });
      const stop = new AbortController();
      const running = writer.run(stop.signal);
      await waitFor(() => writer.writes > 0, 5000, 'a Redis write');
      stop.abort();
      await running;
      assert.deepEqual(await read(), expected, `run ${run + 1}: the latest window's figures`);
    }
    const ttl = await redis.ttl(`${prefix}metrics:transactions`);
    assert.ok(ttl > 500 && ttl <= 600, `a TTL (${ttl} s)`);
  });
});
