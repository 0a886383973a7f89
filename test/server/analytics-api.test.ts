import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runAnalytics } from '../../src/analytics/run-analytics.js';
import { runPipeline } from '../../src/engine/pipeline-runner.js';
import { ratingsRawSink } from '../../src/pipelines/ratings/ratings-lake.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import { ensureCatalogue } from '../../src/movies/catalogue-store.js';
import { generateRatings } from '../../src/pipelines/ratings/ratings-generator.js';
import { ratingsPipeline } from '../../src/pipelines/ratings/ratings-pipeline.js';
import type { StreamrecServer } from '../../src/server/app.js';
import { startTestServer } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';

describe('analytics API', () => {
  let log: EventLog;
  let server: StreamrecServer;
  let cleanup: () => void;
  let dataDir: string;
  let get: Awaited<ReturnType<typeof startTestServer>>['get'];

  before(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    dataDir = t.dir;
    log = openEmbeddedLog({ dataDir });
    const catalogue = await ensureCatalogue({ dataDir, syntheticCount: 400 });
    await generateRatings({ log, catalogue, users: 300, seed: 5, rate: Infinity, count: 20_000, backfill: { fromMs: Date.UTC(2025, 10, 8), spanMs: 3 * 86_400_000 } });
    await runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: 50 }), { log, exitWhenIdle: true });
    await ratingsRawSink({ log, dataDir }).runOnce();
    ({ server, get } = await startTestServer({ log, dataDir }));
  });
  after(async () => {
    await server.close();
    await log.close();
    cleanup();
  });

  it('says how to produce analytics before the first run', async () => {
    for (const path of ['/analytics/distributions', '/analytics/topn?period=day', '/analytics/trending']) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.match(r.body.message!, /no analytics yet: run `streamrec analytics`/);
    }
  });

  it('serves distributions, top-N per period and trending after `streamrec analytics`', async () => {
    await runAnalytics({ dataDir });
    const dist = await get('/analytics/distributions');
    assert.equal(dist.status, 200);
    const rows = dist.body.distributions as { genre: string; ratings: number; histogram: { rating: number; count: number }[] }[];
    assert.equal(rows[0]!.genre, '(all)');
    assert.equal(rows[0]!.ratings, 20_000);
    assert.equal(rows[0]!.histogram.reduce((s, b) => s + b.count, 0), 20_000);
    const drama = await get('/analytics/distributions?genre=Drama');
    assert.deepEqual((drama.body.distributions as { genre: string }[]).map((r) => r.genre), ['Drama']);
    assert.equal((await get('/analytics/distributions?genre=Nope')).status, 404);

    const day = await get('/analytics/topn?period=day&at=2025-11-09T12:00:00Z');
    assert.equal(day.status, 200);
    assert.equal(day.body.period_start, '2025-11-09T00:00:00.000Z');
    const top = day.body.rows as { score: number; movieId: number }[];
    assert.ok(top.length > 0 && top.length <= 50);
    for (let i = 1; i < top.length; i++) {
      assert.ok(top[i - 1]!.score > top[i]!.score || (top[i - 1]!.score === top[i]!.score && top[i - 1]!.movieId < top[i]!.movieId), 'best first, ties by id');
    }
    const hour = await get('/analytics/topn');
    assert.equal(hour.body.period, 'hour', 'hourly by default');

    const trending = await get('/analytics/trending?limit=5');
    assert.equal(trending.status, 200);
    const t = trending.body.rows as { rank_delta: number | null; is_new: boolean }[];
    assert.ok(t.length <= 5);
    assert.ok(t.every((r) => r.is_new || (r.rank_delta ?? 0) > 0), 'only risers and new entries');
  });

  it('answers bad parameters with a 400 naming them', async () => {
    const cases: [string, RegExp][] = [
      ['/analytics/topn?period=week', /querystring\/period must be equal to one of the allowed values/],
      ['/analytics/topn?period=day&at=yesterday', /querystring\/at must match format "date-time"/],
      ['/analytics/trending?limit=0', /querystring\/limit must be >= 1/],
      ['/analytics/trending?limit=201', /querystring\/limit must be <= 200/],
      ['/analytics/distributions?genre=%00', /querystring\/genre must match pattern/],
    ];
    for (const [path, message] of cases) {
      const r = await get(path);
      assert.equal(r.status, 400, path);
      assert.match(r.body.message!, message, path);
    }
  });
});
