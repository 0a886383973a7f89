// Ratings over HTTP (`POST /events/ratings`, what the Recommendations page rates through): checked
// bodies, keyed by user onto the ratings topic, stamped with the server's time unless given one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import { RATINGS_PARTITIONS, RATINGS_TOPIC, ratingCodec } from '../../src/movies/rating-event.js';
import { partitionForKey } from '../../src/log/partitioner.js';
import { MAX_RATINGS_PER_REQUEST } from '../../src/pipelines/ratings/ratings-ingest.js';
import { loadConfig } from '../../src/util/config.js';

const RATINGS_RATE_LIMIT = loadConfig({}).ratingsRateLimit;
import type { StreamrecServer } from '../../src/server/app.js';
import { startTestServer } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';

describe('POST /events/ratings', () => {
  let log: EventLog;
  let server: StreamrecServer;
  let base: string;
  let cleanup: () => void;
  const post = async (body: string) => {
    const res = await fetch(`${base}/events/ratings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, body: (await res.json()) as { accepted?: number; offsets?: { partition: number; offset: number }[]; message?: string } };
  };

  before(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    log = openEmbeddedLog({ dataDir: t.dir });
    ({ server, base } = await startTestServer({ log, dataDir: t.dir, recommend: false }));
  });
  after(async () => {
    await server.close();
    await log.close();
    cleanup();
  });

  it('appends ratings keyed by user, stamped now unless they carry their own time', async () => {
    const before = Date.now();
    const r = await post(JSON.stringify([{ userId: 7, movieId: 318, rating: 4.5 }, { userId: 7, movieId: 1, rating: 2, timestamp: 1_700_000_000_000 }]));
    assert.equal(r.status, 202);
    assert.equal(r.body.accepted, 2);
    const info = await log.topic(RATINGS_TOPIC);
    assert.equal(info?.partitions.length, RATINGS_PARTITIONS);
    const partition = r.body.offsets![0]!.partition;
    assert.deepEqual(r.body.offsets!.map((o) => o.partition), [partition, partition], 'one user, one partition');
    const consumer = log.consumer({ group: 'test', topics: [RATINGS_TOPIC], from: 'earliest' });
    const records = await consumer.poll({ maxRecords: 10, timeoutMs: 1000 });
    await consumer.close();
    assert.equal(records.length, 2);
    assert.equal(records[0]!.key, '7');
    const [first, second] = records.map((rec) => ratingCodec.decode(rec.value));
    assert.deepEqual([first!.userId, first!.movieId, first!.rating], [7, 318, 4.5]);
    assert.ok(first!.timestamp >= before && first!.timestamp <= Date.now());
    assert.equal(second!.timestamp, 1_700_000_000_000);
    assert.equal(partition, partitionForKey('7', RATINGS_PARTITIONS));
  });

  it('refuses a bad rating with a 400 naming what is wrong', async () => {
    const cases: [string, RegExp][] = [
      ['{"userId":1,"movieId":2}', /a rating needs "rating"/],
      ['{"userId":1,"movieId":2,"rating":4.3}', /multiple of 0\.5/],
      ['{"userId":1,"movieId":2,"rating":4,"stars":5}', /unknown field "stars"/],
      ['[1]', /event 0: a rating is an object/],
      ['{"userId":-1,"movieId":2,"rating":4}', /userId/],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, body);
      assert.match(String(r.body.message), message, body);
    }
  });
});

describe('POST /events/ratings limits', () => {
  it('answers 429 with Retry-After and the one error body over the per-client rate, and takes ratings again after it', async () => {
    const t = tempDir();
    const log = openEmbeddedLog({ dataDir: t.dir });
    const { server, base } = await startTestServer({ log, dataDir: t.dir, recommend: false });
    const post = async (count: number) => {
      const body = JSON.stringify(Array.from({ length: count }, (_, i) => ({ userId: 1 + (i % 50), movieId: 1 + i, rating: 4 })));
      const res = await fetch(`${base}/events/ratings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
    };
    const stored = async () => (await log.topic(RATINGS_TOPIC))!.partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0);
    try {
      assert.ok(RATINGS_RATE_LIMIT >= MAX_RATINGS_PER_REQUEST, 'a full request can pass');
      // One second's worth in one request empties the bucket; the next at once is refused whole.
      assert.equal((await post(RATINGS_RATE_LIMIT)).status, 202);
      const refused = await post(RATINGS_RATE_LIMIT);
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.retryAfter) >= 1, `Retry-After ${refused.retryAfter}`);
      assert.deepEqual(Object.keys(refused.body).sort(), ['detail', 'error', 'message', 'statusCode']);
      assert.equal(refused.body.error, 'Too Many Requests');
      assert.match(String(refused.body.message), new RegExp(`at most ${RATINGS_RATE_LIMIT} a second per client`));
      assert.equal(refused.body.detail, refused.body.message);
      assert.equal(await stored(), RATINGS_RATE_LIMIT, 'nothing of the refused request appended');
      await new Promise((res) => setTimeout(res, Number(refused.retryAfter) * 1000));
      assert.equal((await post(1)).status, 202, 'after Retry-After');
      assert.equal(await stored(), RATINGS_RATE_LIMIT + 1);
    } finally {
      await server.close();
      await log.close();
      t.cleanup();
    }
  });
});
