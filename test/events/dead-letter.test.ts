import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { EventReader } from '../../src/events/event-reader.js';
import { ratingCodec } from '../../src/pipelines/ratings/rating-event.js';
import { tempDir } from '../helpers/tmp.js';

describe('malformed events', () => {
  it('go to <topic>.dlq with the reason and original bytes, are counted, and never stop the reader', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const badBytes = new Uint8Array([0xff, 0xfe, 0x7b]);
      await log.producer().send('ratings', [
        { value: '{"userId":1,"movieId":10,"rating":4.5,"timestamp":1700000000000}' },
        { value: '{"userId":1,"movieId":10,"rating":4.3,"timestamp":1700000000000}' },
        { value: 'not json' },
        { value: '{"userId":2,"movieId":10,"rating":3}' },
        { value: '{"userId":-1,"movieId":10,"rating":3,"timestamp":1}' },
        { value: badBytes },
        { value: '{"userId":3,"movieId":11,"rating":0.5,"timestamp":1700000000001}' },
      ]);
      const reader = new EventReader(log, log.consumer({ group: 'proc', topics: ['ratings'] }), ratingCodec);
      const batch = await reader.poll();
      assert.deepEqual(
        batch.events.map((e) => e.event),
        [
          { userId: 1, movieId: 10, rating: 4.5, timestamp: 1700000000000 },
          { userId: 3, movieId: 11, rating: 0.5, timestamp: 1700000000001 },
        ],
      );
      assert.equal(batch.rejected, 5);
      assert.equal(reader.deadLettered, 5);

      const dlq = await log.consumer({ group: 'inspect', topics: ['ratings.dlq'] }).poll();
      const reasons = dlq.map((r) => r.headers!.reason);
      assert.match(reasons[0]!, /^rating rating: must be a multiple of 0\.5/);
      assert.match(reasons[1]!, /^rating not valid JSON/);
      assert.match(reasons[2]!, /^rating timestamp: /);
      assert.match(reasons[3]!, /^rating userId: /);
      assert.match(reasons[4]!, /^rating invalid encoding/);
      assert.equal(dlq[1]!.value, 'not json', 'original text kept');
      assert.deepEqual(Buffer.from(dlq[4]!.value), Buffer.from(badBytes), 'original bytes kept');
      assert.deepEqual(dlq.map((r) => Number(r.headers!.source_offset)), [1, 2, 3, 4, 5]);
      assert.ok(dlq.every((r) => r.headers!.source_topic === 'ratings'));
    } finally {
      await log.close();
      cleanup();
    }
  });
});

describe('the rating fast path', () => {
  it('accepts exactly what the zod schema accepts', async () => {
    const { isRating, RatingSchema } = await import('../../src/pipelines/ratings/rating-event.js');
    const { Random } = await import('../../src/util/random.js');
    const rng = new Random(3);
    const pick = <T>(xs: T[]) => xs[rng.int(0, xs.length - 1)]!;
    const ids = [1, 7, 0, -3, 2.5, '4', null, 2 ** 53, undefined];
    const ratings = [0.5, 3, 4.5, 5, 0, 5.5, 3.3, '4', null, NaN];
    const times = [0, 1_700_000_000_000, -1, 1.5, '1', null];
    for (let i = 0; i < 5000; i++) {
      const v: Record<string, unknown> = { userId: pick(ids), movieId: pick(ids), rating: pick(ratings), timestamp: pick(times) };
      for (const k of Object.keys(v)) if (v[k] === undefined) delete v[k];
      if (rng.chance(0.05)) v.extra = 1;
      const zodOk = RatingSchema.safeParse(v).success && Object.keys(v).length === 4;
      assert.equal(isRating(v), zodOk, JSON.stringify(v));
    }
  });
});
