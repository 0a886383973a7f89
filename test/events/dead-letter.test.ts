import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { EventReader } from '../helpers/event-reader.js';
import { ratingCodec } from '../../src/movies/rating-event.js';
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
    const { isRating, RatingSchema } = await import('../../src/movies/rating-event.js');
    const { Random } = await import('../../src/util/random.js');
    const rng = new Random(3);
    const pick = <T>(xs: T[]) => xs[rng.int(0, xs.length - 1)]!;
    const ids = [1, 7, 0, -3, 2.5, '4', null, 2 ** 53, 2 ** 31 - 1, 2 ** 31, undefined];
    const ratings = [0.5, 3, 4.5, 5, 0, 5.5, 3.3, '4', null, NaN];
    const times = [0, 1_700_000_000_000, -1, 1.5, '1', null, 253_370_764_799_999, 253_370_764_800_000, 8.64e15 + 1];
    for (let i = 0; i < 5000; i++) {
      const v: Record<string, unknown> = { userId: pick(ids), movieId: pick(ids), rating: pick(ratings), timestamp: pick(times) };
      for (const k of Object.keys(v)) if (v[k] === undefined) delete v[k];
      if (rng.chance(0.05)) v.extra = 1;
      const zodOk = RatingSchema.safeParse(v).success && Object.keys(v).length === 4;
      assert.equal(isRating(v), zodOk, JSON.stringify(v));
    }
  });
});

describe('the rating text fast path', () => {
  it('reads exactly what JSON.parse and the schema read, and declines everything else', async () => {
    const { parseRatingFast, RatingSchema } = await import('../../src/movies/rating-event.js');
    const { Random } = await import('../../src/util/random.js');
    const rng = new Random(11);
    const pick = <T>(xs: T[]) => xs[rng.int(0, xs.length - 1)]!;
    let fastHits = 0;
    for (let i = 0; i < 20_000; i++) {
      const valid = { userId: rng.chance(0.02) ? 2 ** 31 + rng.int(0, 5) : rng.int(1, 10 ** rng.int(1, 9)), movieId: rng.int(1, 200_000), rating: rng.int(1, 10) / 2, timestamp: rng.int(0, 2 ** 42) };
      let text = JSON.stringify(valid);
      if (rng.chance(0.5)) {
        // Mutate: a character changed, dropped or inserted, or another valid-looking form.
        const at = rng.int(0, text.length - 1);
        const mutation = pick(['swap', 'drop', 'insert', 'space', 'exp', 'zero', 'neg', 'dot0', 'order']);
        if (mutation === 'swap') text = text.slice(0, at) + pick(['0', '9', '.', '"', ',', '}', 'x', '-']) + text.slice(at + 1);
        else if (mutation === 'drop') text = text.slice(0, at) + text.slice(at + 1);
        else if (mutation === 'insert') text = text.slice(0, at) + pick(['0', '5', '.', ' ', ',']) + text.slice(at);
        else if (mutation === 'space') text = text.replace(':', ': ');
        else if (mutation === 'exp') text = text.replace(/"timestamp":\d+/, '"timestamp":1e3');
        else if (mutation === 'zero') text = text.replace('"userId":', '"userId":0');
        else if (mutation === 'neg') text = text.replace('"movieId":', '"movieId":-');
        else if (mutation === 'dot0') text = text.replace(/"rating":(\d)(,|\.5,)/, '"rating":$1.0,');
        else text = JSON.stringify({ movieId: valid.movieId, userId: valid.userId, rating: valid.rating, timestamp: valid.timestamp });
      }
      const fast = parseRatingFast(text);
      let general: unknown = null;
      try {
        const parsed = RatingSchema.safeParse(JSON.parse(text));
        general = parsed.success ? parsed.data : null;
      } catch {
        general = null;
      }
      if (fast !== null) {
        fastHits++;
        assert.deepEqual(fast, general, `fast path agrees on ${text}`);
      }
      if (text === JSON.stringify(valid) && valid.userId < 2 ** 31) assert.notEqual(fast, null, `the canonical form takes the fast path: ${text}`);
      if (valid.userId >= 2 ** 31 && text === JSON.stringify(valid)) assert.equal(general, null, 'ids beyond 32 bits are rejected');
    }
    assert.ok(fastHits > 10_000);
  });
});
