import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { StreamrecServer } from '../../src/server/app.js';
import { startTestServer } from '../helpers/test-server.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import type { MetricsRecord } from '../../src/server/metrics-contract.js';
import { eventNumber, sseConnect, waitFor } from '../helpers/sse-client.js';
import { tempDir } from '../helpers/tmp.js';

function record(windowType: 'tumbling_1min' | 'sliding_5min', minute: number, final: boolean, count = 100): MetricsRecord {
  const start = Date.UTC(2025, 10, 10, 7, minute);
  const size = windowType === 'tumbling_1min' ? 60_000 : 300_000;
  return {
    window_start: new Date(start).toISOString(),
    window_end: new Date(start + size).toISOString(),
    window_type: windowType,
    count,
    avg_rating: 3.5,
    p50_rating: 3.5,
    p95_rating: 5,
    p99_rating: 5,
    top_movies: Array.from({ length: 20 }, (_, i) => ({ movieId: i + 1, title: `Movie ${i + 1} (1999)`, genres: ['Drama'], count: 20 - i, avg_rating: 4, score: (20 - i) * 4 })),
    genres: { Drama: { count: 60, avg_rating: 3.6 }, Comedy: { count: 30, avg_rating: 3.4 }, Horror: { count: 10, avg_rating: 2.9 } },
    late_events: 1,
    final,
    processing_time: new Date().toISOString(),
    watermark: new Date(start).toISOString(),
    max_event_time: new Date(start + 59_000).toISOString(),
  };
}

describe('metrics API', () => {
  let log: EventLog;
  let server: StreamrecServer;
  let base: string;
  let cleanup: () => void;
  let get: Awaited<ReturnType<typeof startTestServer>>['get'];
  const publish = (records: MetricsRecord[]) => log.producer().send('metrics', records.map((r) => ({ key: r.window_type, value: JSON.stringify(r) })));

  before(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    log = openEmbeddedLog({ dataDir: t.dir });
    ({ server, base, get } = await startTestServer({ log, heartbeatMs: 200, healthEveryMs: 100, maxQueuedBytes: 256 * 1024 }));
  });
  after(async () => {
    await server.close();
    await log.close();
    cleanup();
  });

  it('says clearly that there is no data before the first result', async () => {
    for (const path of ['/metrics/summary', '/metrics/topn', '/metrics/genres']) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.match(r.body.message!, /no metrics yet: start the pipeline with `streamrec up`/);
      assert.equal(r.body.detail, r.body.message, `${path}: FastAPI's detail`);
    }
    assert.deepEqual((await get('/metrics/history')).body, { count: 0, history: [], window_type: 'tumbling_1min', items: [] });
    assert.equal((await get('/metrics/health')).body.status, 'no_data');
  });

  it('serves the latest results, top-N, genres and history from the metrics topic', async () => {
    await publish([record('tumbling_1min', 0, true, 100), record('tumbling_1min', 1, true, 120), record('tumbling_1min', 2, true, 140),
      record('sliding_5min', 0, false, 300), record('tumbling_1min', 3, false, 50)]);
    await waitFor(() => server.view.summary()?.tumbling?.window_start === '2025-11-10T07:03:00.000Z', 5000, 'records applied');

    const summary = await get('/metrics/summary');
    assert.equal(summary.status, 200);
    assert.equal((summary.body.tumbling as MetricsRecord).count, 50, 'the latest (open) tumbling window');
    assert.equal((summary.body.sliding as MetricsRecord).count, 300);
    assert.equal(summary.body.ratings_total_since_start, 360, 'final tumbling counts summed');
    // The seed's flat fields: the latest tumbling window.
    assert.equal(summary.body.total_ratings, 50, "the latest window's count");
    assert.equal(summary.body.window_start, '2025-11-10T07:03:00.000Z');
    assert.equal(summary.body.window_end, '2025-11-10T07:04:00.000Z');
    assert.equal(summary.body.window_type, 'tumbling_1min');
    assert.equal(summary.body.avg_rating, 3.5);
    assert.equal(summary.body.p50_rating, 3.5);
    assert.equal(summary.body.p95_rating, 5);
    assert.equal(summary.body.final, false);
    assert.ok(Number.isFinite(Date.parse(summary.body.timestamp as string)), 'timestamp');

    const top = await get('/metrics/topn?limit=3');
    assert.equal(top.status, 200);
    assert.equal(top.body.window_type, 'sliding_5min');
    assert.deepEqual((top.body.movies as { rank: number; movieId: number }[]).map((m) => [m.rank, m.movieId]), [[1, 1], [2, 2], [3, 3]]);
    assert.equal(top.body.count, 3, 'movies returned');
    assert.ok(Number.isFinite(Date.parse(top.body.timestamp as string)), 'timestamp');
    assert.deepEqual((top.body.movies as { count: number; rating_count: number }[]).map((m) => [m.count, m.rating_count]), [[20, 20], [19, 19], [18, 18]]);
    assert.equal(((await get('/metrics/topn')).body.movies as unknown[]).length, 10, 'default limit 10');
    assert.equal(((await get('/metrics/topn?window_type=tumbling_1min&limit=100')).body.movies as unknown[]).length, 20, 'all the pipeline keeps');

    const genres = await get('/metrics/genres');
    const rows = genres.body.genre_list as { genre: string; count: number; share: number }[];
    assert.deepEqual(rows.map((g) => g.genre), ['Drama', 'Comedy', 'Horror']);
    assert.ok(Math.abs(rows.reduce((s, g) => s + g.share, 0) - 1) < 1e-9);
    const byName = genres.body.genres as Record<string, { count: number; avg_rating: number; share: number; percentage: number }>;
    assert.deepEqual(Object.keys(byName), ['Drama', 'Comedy', 'Horror'], 'keyed by genre name');
    assert.deepEqual(byName.Drama, { count: 60, avg_rating: 3.6, share: 0.6, percentage: 60 });

    const history = await get('/metrics/history?limit=2');
    assert.deepEqual((history.body.items as MetricsRecord[]).map((r) => r.window_start), ['2025-11-10T07:01:00.000Z', '2025-11-10T07:02:00.000Z'], 'finals only, oldest first');
    assert.equal(history.body.count, 2);
    const latest = history.body.history as { window_start: string; final: boolean; total_ratings: number; avg_rating: number }[];
    assert.deepEqual(latest.map((r) => [r.window_start.slice(11, 16), r.final, r.total_ratings]), [['07:02', true, 140], ['07:03', false, 50]], 'the latest of each window, open ones too, newest last');

    await waitFor(() => server.view.currentHealth().metrics_received === 5);
    // Late events are what ratings.late holds (as the processor commits them), not the results' late_events.
    assert.equal((await get('/metrics/health')).body.late_events_total, 0);
    await log.producer().send('ratings.late', [1, 2].map((i) => ({ value: JSON.stringify({ userId: i, movieId: 1, rating: 4, timestamp: 0 }) })));
    const health = (await get('/metrics/health')).body;
    assert.equal(health.metrics_received, 5);
    assert.equal(health.last_event_time, '2025-11-10T07:03:59.000Z');
    assert.equal(health.late_events_total, 2, 'counted the moment they are in ratings.late');
    assert.equal((await get('/pipelines/ratings/health')).body.late_events_total, 2);
    for (const k of ['consumer_lag', 'events_per_second', 'watermark_delay_seconds', 'dead_letters_total', 'ratings_processed']) assert.equal(typeof health[k], 'number', k);
    assert.equal(health.allowed_lateness_seconds, 59, 'newest event time − watermark');
  });

  it('answers bad parameters with a 400 naming them, and unknown routes with a 404', async () => {
    const cases: [string, RegExp][] = [
      ['/metrics/topn?limit=0', /querystring\/limit must be >= 1/],
      ['/metrics/topn?limit=101', /querystring\/limit must be <= 100/],
      ['/metrics/topn?limit=ten', /querystring\/limit must be integer/],
      ['/metrics/topn?window_type=hourly', /querystring\/window_type must be equal to one of the allowed values/],
      ['/metrics/history?limit=1001', /querystring\/limit must be <= 1000/],
      ['/metrics/history?limit=-5', /querystring\/limit must be >= 1/],
      ['/metrics/genres?window_type=x', /querystring\/window_type/],
    ];
    for (const [path, message] of cases) {
      const r = await get(path);
      assert.equal(r.status, 400, path);
      assert.match(r.body.message!, message, path);
      assert.equal(r.body.detail, r.body.message, `${path}: FastAPI's detail`);
    }
    const missing = await get('/metrics/nothing');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'no route GET /metrics/nothing');
    assert.equal(missing.body.detail, 'no route GET /metrics/nothing');
  });

  it('publishes the OpenAPI document and interactive docs', async () => {
    const doc = (await get('/openapi.json')).body as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    for (const p of ['/metrics/health', '/metrics/summary', '/metrics/topn', '/metrics/genres', '/metrics/history', '/metrics/stream']) assert.ok(doc.paths[p], p);
    const docs = await fetch(`${base}/docs`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
  });

  it('streams the current state at once, then each new result with increasing ids, heartbeats and retry (named events, ?format=events)', async () => {
    const client = sseConnect(`${base}/metrics/stream?format=events`);
    try {
      await waitFor(() => client.events.length > 0, 5000, 'snapshot');
      assert.match(String(client.headers['content-type']), /^text\/event-stream/);
      assert.equal(client.headers['x-accel-buffering'], 'no');
      assert.equal(client.retry, 3000);
      const snapshot = client.events[0]!;
      assert.equal(snapshot.event, 'snapshot');
      const state = JSON.parse(snapshot.data) as { summary: { ratings_total_since_start: number }; history: MetricsRecord[] };
      assert.equal(state.summary.ratings_total_since_start, 360);
      assert.deepEqual(state.history.map((r) => [r.window_start.slice(11, 16), r.final]), [['07:00', true], ['07:01', true], ['07:02', true], ['07:03', false]]);

      await publish([record('tumbling_1min', 3, true, 55), record('tumbling_1min', 4, false, 10)]);
      await waitFor(() => client.events.filter((e) => e.event === 'metrics').length >= 2, 5000, 'two metrics events');
      const ids = client.events.map((e) => eventNumber(e.id));
      assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), `ids increase: ${ids.join(',')}`);
      const metrics = client.events.filter((e) => e.event === 'metrics').map((e) => JSON.parse(e.data) as MetricsRecord);
      assert.deepEqual(metrics.map((m) => [m.window_start.slice(11, 16), m.final]), [['07:03', true], ['07:04', false]]);
      await waitFor(() => client.events.some((e) => e.event === 'health'), 5000, 'health event');
      await waitFor(() => client.comments.includes('heartbeat'), 5000, 'heartbeat comment');
    } finally {
      client.close();
    }
  });

  it("streams the seed's unnamed messages on /metrics/stream: the state at once, then new results, ids and Last-Event-ID replay", async () => {
    type Message = { type: string; data: Record<string, unknown> };
    const client = sseConnect(`${base}/metrics/stream`);
    let resumed: ReturnType<typeof sseConnect> | null = null;
    try {
      await waitFor(() => client.events.length >= 3, 5000, 'the current state');
      assert.match(String(client.headers['content-type']), /^text\/event-stream/);
      assert.equal(client.retry, 3000);
      assert.ok(client.events.every((e) => e.event === 'message' && e.id !== null), 'unnamed frames (no event: line), each with an id');
      const initial = client.events.slice(0, 3).map((e) => JSON.parse(e.data) as Message);
      assert.deepEqual(initial.map((m) => m.type), ['summary', 'topn', 'genres']);
      assert.equal(initial[0]!.data.window_start, '2025-11-10T07:04:00.000Z', 'the latest tumbling window, flat');
      assert.equal(typeof initial[0]!.data.total_ratings, 'number');
      assert.ok(!('tumbling' in initial[0]!.data), 'no nested records in the stream');
      assert.equal((initial[1]!.data.movies as { rating_count: number }[])[0]!.rating_count, 20);
      assert.deepEqual(Object.keys(initial[2]!.data.genres as object), ['Drama', 'Comedy', 'Horror']);
      const lastSeen = client.events[client.events.length - 1]!.id!;

      await publish([record('tumbling_1min', 5, false, 7), record('sliding_5min', 1, false, 77)]);
      const news = () => client.events.slice(3).map((e) => JSON.parse(e.data) as Message).filter((m) => m.type !== 'heartbeat');
      await waitFor(() => news().length >= 3, 5000, 'new summary, topn and genres');
      assert.deepEqual(news().map((m) => m.type), ['summary', 'topn', 'genres']);
      assert.equal(news()[0]!.data.total_ratings, 7);
      assert.equal(news()[1]!.data.window_start, '2025-11-10T07:01:00.000Z', 'the new latest sliding window');
      // The initial state is stamped with the stream's current id (a reconnect resumes after it); new messages count up.
      const ids = client.events.map((e) => eventNumber(e.id));
      assert.ok(ids.slice(0, 3).every((id) => id === ids[0]), `initial state: one id: ${ids.join(',')}`);
      assert.ok(ids.every((id, i) => i < 3 || id > ids[i - 1]!), `ids increase: ${ids.join(',')}`);

      resumed = sseConnect(`${base}/metrics/stream`, { 'Last-Event-ID': lastSeen });
      const r = resumed;
      await waitFor(() => r.events.filter((e) => !e.data.includes('"heartbeat"')).length >= 3, 5000, 'replay');
      const replayed = r.events.filter((e) => !e.data.includes('"heartbeat"'));
      assert.deepEqual(replayed.map((e) => (JSON.parse(e.data) as Message).type), ['summary', 'topn', 'genres'], 'what it missed, no fresh state');
      assert.ok(r.events.every((e) => eventNumber(e.id) > eventNumber(lastSeen)));
    } finally {
      client.close();
      resumed?.close();
    }
  });

  it('replays what a client missed after its Last-Event-ID', async () => {
    const first = sseConnect(`${base}/metrics/stream?format=events`);
    await waitFor(() => first.events.length > 0);
    const lastSeen = first.events[first.events.length - 1]!.id!;
    first.close();
    const missed = [server.hub.publish('metrics', { n: 1 }), server.hub.publish('metrics', { n: 2 })];
    const again = sseConnect(`${base}/metrics/stream?format=events`, { 'Last-Event-ID': lastSeen });
    try {
      await waitFor(() => again.events.filter((e) => e.event === 'metrics' && e.data.startsWith('{"n"')).length === 2, 5000, 'replay');
      assert.ok(!again.events.some((e) => e.event === 'snapshot'), 'a resumed client gets no snapshot');
      const replayed = again.events.filter((e) => e.data.startsWith('{"n"'));
      assert.deepEqual(replayed.map((e) => eventNumber(e.id)), missed);
      assert.ok(again.events.every((e) => eventNumber(e.id) > eventNumber(lastSeen)));
    } finally {
      again.close();
    }
    const stale = sseConnect(`${base}/metrics/stream?format=events`, { 'Last-Event-ID': '999999999' });
    try {
      await waitFor(() => stale.events.length > 0);
      assert.equal(stale.events[0]!.event, 'snapshot', 'an id from another server run gets a fresh snapshot');
    } finally {
      stale.close();
    }
  });

  it('keeps serving a fast client while a stalled one falls behind, then drops the stalled one', async () => {
    // A client that connects and never reads: its socket buffers fill, then its queue grows.
    const stalled = net.connect((server.app.server.address() as net.AddressInfo).port, '127.0.0.1');
    stalled.on('error', () => {});
    stalled.write('GET /metrics/stream?format=events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    stalled.pause();
    const fast = sseConnect(`${base}/metrics/stream?format=events`);
    try {
      await waitFor(() => fast.events.length > 0 && server.hub.size >= 2, 5000, 'both connected');
      const payload = { blob: 'x'.repeat(8 * 1024) };
      const before = fast.events.length;
      const n = 1500; // ~12 MB: far more than the socket buffers and the 256 KiB queue limit
      for (let i = 0; i < n; i++) {
        server.hub.publish('metrics', { ...payload, i });
        // Results arrive one by one in a running server: let sockets drain between them.
        if (i % 10 === 9) await new Promise((r) => setImmediate(r));
      }
      const blobs = () => fast.events.slice(before).filter((e) => e.data.startsWith('{"blob"'));
      await waitFor(() => blobs().length >= n, 10_000, 'the fast client receives every event');
      await waitFor(() => server.hub.size === 1, 5000, 'the stalled client dropped');
      const received = blobs().map((e) => (JSON.parse(e.data) as { i: number }).i);
      assert.deepEqual(received, Array.from({ length: n }, (_, i) => i));
    } finally {
      fast.close();
      stalled.destroy();
    }
  });
});
