/**
 * The seed system's documented calls (movies-streaming-analytics-and-dashboard.md, "Consultar API
 * REST" and "Escuchar SSE") against a real `streamrec up` on 127.0.0.1: the `curl … | jq` filters
 * as assertions on the same paths, the Python line reader of the SSE stream, and the browser
 * snippet `new EventSource('/metrics/stream'); es.onmessage = …` through the `eventsource` package.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { resolve } from 'node:path';
import { EventSource } from 'eventsource';
import { waitFor } from '../helpers/sse-client.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');
const HEARTBEAT_MS = 500;
const SEED_TYPES = ['summary', 'topn', 'genres'];
/** MovieLens' genre names (the newest window may hold only some of them). */
const GENRES = new Set(['Action', 'Adventure', 'Animation', 'Children', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy', 'Film-Noir',
  'Horror', 'IMAX', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western', '(no genres listed)']);

type Json = Record<string, unknown>;

describe('the seed documents\' API calls against `streamrec up`', () => {
  let up: ChildProcess;
  let exited: Promise<number | null>;
  let stderr = '';
  let base = '';
  let startedAt = 0;
  let data: ReturnType<typeof tempDir>;

  const get = async (path: string): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as Json };
  };

  before(async () => {
    data = tempDir();
    startedAt = Date.now();
    up = spawn(process.execPath, [BIN, 'up', '--rate', '300', '--port', '0', '--data-dir', data.dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, STREAMREC_SSE_HEARTBEAT_MS: String(HEARTBEAT_MS) },
    });
    up.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    exited = new Promise((res) => up.on('exit', (code) => res(code)));
    await waitFor(() => /dashboard at http:\/\/localhost:\d+/.test(stderr), 30_000, 'the dashboard URL');
    base = /dashboard at (http:\/\/localhost:\d+)/.exec(stderr)![1]!.replace('localhost', '127.0.0.1');
  });

  after(async () => {
    up.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    data.cleanup();
  });

  it('has history (count ≥ 1) within 70 s of a fresh start', async () => {
    let count = 0;
    while (Date.now() - startedAt < 70_000) {
      const r = await get('/metrics/history?limit=20');
      count = r.status === 200 ? (r.body.count as number) : 0;
      if (count >= 1) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    const took = Date.now() - startedAt;
    assert.ok(count >= 1, `history empty after ${took} ms`);
    assert.ok(took < 70_000, `history took ${took} ms`);
  });

  it('curl /metrics/health | jq: .status is "healthy" once data flows', async () => {
    let status = '';
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && status !== 'healthy') {
      status = (await get('/metrics/health')).body.status as string;
      if (status !== 'healthy') await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(status, 'healthy');
  });

  it('curl /metrics/summary | jq: the flat fields at the top level', async () => {
    const { status, body } = await get('/metrics/summary');
    assert.equal(status, 200);
    assert.equal(typeof body.avg_rating, 'number', '.avg_rating');
    assert.equal(typeof body.total_ratings, 'number', '.total_ratings');
    assert.ok((body.total_ratings as number) >= 1);
    for (const k of ['window_start', 'window_end', 'timestamp']) assert.ok(Number.isFinite(Date.parse(body[k] as string)), `.${k}`);
    assert.equal(body.window_type, 'tumbling_1min');
    for (const k of ['p50_rating', 'p95_rating', 'ratings_total_since_start']) assert.equal(typeof body[k], 'number', `.${k}`);
    assert.equal((body.tumbling as Json).window_start, body.window_start, 'the flat fields are the latest tumbling result');
  });

  it('curl "/metrics/topn?limit=10" | jq: .count, .timestamp, .movies[0].rating_count', async () => {
    const { status, body } = await get('/metrics/topn?limit=10');
    assert.equal(status, 200);
    const movies = body.movies as Json[];
    assert.equal(body.count, movies.length);
    assert.ok(movies.length >= 1 && movies.length <= 10);
    assert.ok(Number.isFinite(Date.parse(body.timestamp as string)), '.timestamp');
    assert.equal(typeof movies[0]!.rating_count, 'number', '.movies[0].rating_count');
    assert.equal(movies[0]!.rating_count, movies[0]!.count);
  });

  it("curl /metrics/genres | jq '.genres | keys': genre names", async () => {
    const { status, body } = await get('/metrics/genres');
    assert.equal(status, 200);
    const genres = body.genres as Record<string, Json>;
    assert.ok(!Array.isArray(genres), '.genres is an object');
    const keys = Object.keys(genres);
    assert.ok(keys.length >= 1, 'some genres');
    for (const k of keys) {
      assert.ok(GENRES.has(k), `a genre name, not an index: ${k}`);
      for (const f of ['count', 'share', 'percentage']) assert.equal(typeof genres[k]![f], 'number', `.genres.${k}.${f}`);
      assert.ok('avg_rating' in genres[k]!);
    }
  });

  it('curl "/metrics/history?limit=20" | jq .count: a number ≥ 1, history newest last', async () => {
    const { status, body } = await get('/metrics/history?limit=20');
    assert.equal(status, 200);
    assert.equal(typeof body.count, 'number');
    assert.ok((body.count as number) >= 1);
    const history = body.history as Json[];
    assert.ok(Array.isArray(history));
    assert.equal(history.length, body.count);
    assert.ok(history.length <= 20);
    const starts = history.map((h) => Date.parse(h.window_start as string));
    assert.ok(starts.every((t, i) => i === 0 || t > starts[i - 1]!), 'newest last');
    for (const h of history) {
      assert.equal(typeof h.total_ratings, 'number');
      assert.equal(typeof h.final, 'boolean');
    }
  });

  it('errors carry .detail (FastAPI) beside .message', async () => {
    const bad = await get('/metrics/topn?limit=0');
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail as string, /limit must be >= 1/);
    assert.equal(bad.body.detail, bad.body.message);
    const missing = await get('/no/such/route');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.detail, 'no route GET /no/such/route');
  });

  it('the Python line reader: `data: ` lines of /metrics/stream are JSON with type summary, topn, genres', async () => {
    const seen = new Set<string>();
    const namedEvents: string[] = [];
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => {
        req.destroy();
        fail(new Error(`timed out; seen ${[...seen].join(', ')}`));
      }, 20_000);
      const req = http.get(`${base}/metrics/stream`, (res) => {
        assert.match(String(res.headers['content-type']), /^text\/event-stream/);
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          // resp.iter_lines(): one line at a time, blank ones skipped.
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            if (line.startsWith('event:')) namedEvents.push(line);
            if (!line.startsWith('data: ')) continue;
            const message = JSON.parse(line.slice(6)) as { type: string; data: unknown };
            assert.ok(message.data !== undefined, 'each message has data');
            seen.add(message.type);
          }
          if (SEED_TYPES.every((t) => seen.has(t))) {
            clearTimeout(timer);
            req.destroy();
            done();
          }
        });
      });
      req.on('error', () => {});
    });
    assert.deepEqual(namedEvents, [], 'no named events on the seed stream');
  });

  it("the browser snippet: EventSource('/metrics/stream').onmessage gets summary, topn, genres and heartbeat messages", async () => {
    const types = new Map<string, unknown>();
    const es = new EventSource(`${base}/metrics/stream`);
    try {
      es.onmessage = (event) => {
        const message = JSON.parse(event.data) as { type: string; data: unknown };
        types.set(message.type, message.data);
      };
      await waitFor(() => [...SEED_TYPES, 'heartbeat'].every((t) => types.has(t)), 20_000, `messages (seen ${[...types.keys()].join(', ')})`);
      const summary = types.get('summary') as Json;
      assert.equal(typeof summary.avg_rating, 'number');
      assert.equal(typeof summary.total_ratings, 'number');
      assert.ok(Array.isArray((types.get('topn') as Json).movies));
      const genres = Object.keys((types.get('genres') as Json).genres as object);
      assert.ok(genres.length >= 1 && genres.every((g) => GENRES.has(g)), `genre names: ${genres.join(', ')}`);
      assert.ok(Number.isFinite(Date.parse((types.get('heartbeat') as Json).timestamp as string)), 'heartbeat {timestamp}');
    } finally {
      es.close();
    }
  });
});
